/*
 * json.h: a tiny JSON writer (RFC 8259) for `moot --json`.  It appends to a
 * struct buf that holds one document being written; commas are placed by
 * looking at the last byte written, so callers only say what comes next.
 * Strings are escaped per RFC 8259 §7 (quote, backslash, every control
 * character) and invalid UTF-8 is replaced by U+FFFD, so the output is
 * always valid JSON whatever the server sent.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>
#include "../proto/buf.h"

/* Open and close objects and arrays (as a value: a comma is added when needed). */
int json_object_begin(struct buf *out);
int json_object_end(struct buf *out);
int json_array_begin(struct buf *out);
int json_array_end(struct buf *out);

/* A member name inside an object: `"name":`; the value follows. */
int json_key(struct buf *out, const char *name);

/* Values.  json_string_n takes len bytes of s (may hold NUL, bad UTF-8);
 * json_string(NULL) writes null. */
int json_string(struct buf *out, const char *s);
int json_string_n(struct buf *out, const char *s, size_t len);
int json_int(struct buf *out, int64_t v);
int json_bool(struct buf *out, int v);
int json_null(struct buf *out);

/* Append s escaped as a JSON string body (without the quotes). */
int json_escape(struct buf *out, const char *s, size_t len);

#endif
