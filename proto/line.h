/*
 * line.h: CRLF line framing with a hard length bound, and dot-stuffing both
 * ways (RFC 3977 §3.1.1).  No I/O: callers hand in bytes they received.
 *
 * Lines end in CRLF; a bare LF is accepted as a line end too (liberal in
 * what we accept), and a lone CR inside a line is kept as data.
 */
#ifndef LINE_H
#define LINE_H

#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

/*
 * Find the first line in buf[0..len).  On success return the number of bytes
 * the line occupies including its terminator (> 0), and set *content_len to
 * its length without CR LF.  Return 0 when no LF has arrived yet and len <= max,
 * or MOOT_ETOOBIG when no LF occurs within the first max bytes (the caller then
 * discards with line_skip and answers an error).
 */
ssize_t line_next(const char *buf, size_t len, size_t max, size_t *content_len);

/*
 * Bytes to discard from buf[0..len) to drop the rest of an over-long line:
 * up to and including the next LF, or all of len when none arrived yet.
 * *done is set to 1 when the LF was found.
 */
size_t line_skip(const char *buf, size_t len, int *done);

/* 1 if the line content (without CRLF) is the lone "." that ends a multi-line block. */
int line_is_terminator(const char *line, size_t len);

/*
 * Append one line of text to out in wire form: a leading '.' doubled
 * (dot-stuffing), then CRLF.  line must not contain CR or LF.
 */
int line_stuff_append(struct buf *out, const char *line, size_t len);

/*
 * Append a whole text (lines separated by LF or CRLF, no terminator needed
 * at the end) to out in wire form, each line dot-stuffed and ended by CRLF.
 * Does not add the final ".\r\n".
 */
int line_stuff_text(struct buf *out, const char *text, size_t len);

/*
 * Undo dot-stuffing of one received line in place: if line starts with '.',
 * drop it.  Returns the new length.  (The caller has already checked it is not
 * the terminator.)
 */
size_t line_unstuff(char *line, size_t len);

/*
 * Convert a wire-form block (CRLF lines, dot-stuffed, without the final ".")
 * to plain text with LF line ends, appending to out.
 */
int line_unstuff_text(struct buf *out, const char *wire, size_t len);

#endif
