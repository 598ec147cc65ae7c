/*
 * json.c: the JSON writer behind `moot --json` (RFC 8259).
 *
 * No tree is built: values are appended to the caller's buffer as they are
 * produced.  A comma is needed before a value or member exactly when the
 * last byte written is not '{', '[' or ':' (or the buffer is empty), so the
 * writer keeps no state of its own and nesting has no fixed depth.
 */
#include <stdio.h>
#include <string.h>
#include <inttypes.h>

#include "../proto/moot.h"
#include "json.h"

/* Add the separating comma when the previous byte ends a value. */
static int sep(struct buf *out)
{
	char last;

	if (out->len == 0)
		return 0;
	last = out->data[out->len - 1];
	if (last == '{' || last == '[' || last == ':')
		return 0;
	return buf_append(out, ",", 1);
}

int json_object_begin(struct buf *out)
{
	int rc = sep(out);

	return rc ? rc : buf_append(out, "{", 1);
}

int json_object_end(struct buf *out)
{
	return buf_append(out, "}", 1);
}

int json_array_begin(struct buf *out)
{
	int rc = sep(out);

	return rc ? rc : buf_append(out, "[", 1);
}

int json_array_end(struct buf *out)
{
	return buf_append(out, "]", 1);
}

int json_key(struct buf *out, const char *name)
{
	int rc = json_string(out, name);

	return rc ? rc : buf_append(out, ":", 1);
}

/*
 * Length of the valid UTF-8 sequence at s[0..len) (RFC 3629 §4: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0 if invalid.
 */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int json_escape(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, n;
	char esc[8];
	int rc = 0;

	while (i < len && rc == 0) {
		n = utf8_seq(p + i, len - i);
		if (n > 1 || (n == 1 && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')) {
			/* Plain bytes are copied in runs. */
			i += n;
			run += n;
			continue;
		}
		if (run)
			rc = buf_append(out, p + i - run, run);
		run = 0;
		if (rc)
			break;
		if (n == 0) {
			rc = buf_puts(out, "\xef\xbf\xbd");	/* U+FFFD for a bad byte */
			i++;
			continue;
		}
		switch (p[i]) {
		case '"':  rc = buf_puts(out, "\\\""); break;
		case '\\': rc = buf_puts(out, "\\\\"); break;
		case '\b': rc = buf_puts(out, "\\b"); break;
		case '\f': rc = buf_puts(out, "\\f"); break;
		case '\n': rc = buf_puts(out, "\\n"); break;
		case '\r': rc = buf_puts(out, "\\r"); break;
		case '\t': rc = buf_puts(out, "\\t"); break;
		default:
			/* RFC 8259 §7: other control characters as \u00XX. */
			snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			rc = buf_puts(out, esc);
		}
		i++;
	}
	if (rc == 0 && run)
		rc = buf_append(out, p + i - run, run);
	return rc;
}

int json_string_n(struct buf *out, const char *s, size_t len)
{
	int rc = sep(out);

	if (rc == 0)
		rc = buf_append(out, "\"", 1);
	if (rc == 0)
		rc = json_escape(out, s, len);
	if (rc == 0)
		rc = buf_append(out, "\"", 1);
	return rc;
}

int json_string(struct buf *out, const char *s)
{
	if (s == NULL)
		return json_null(out);
	return json_string_n(out, s, strlen(s));
}

int json_int(struct buf *out, int64_t v)
{
	int rc = sep(out);

	return rc ? rc : buf_printf(out, "%" PRId64, v);
}

int json_bool(struct buf *out, int v)
{
	int rc = sep(out);

	return rc ? rc : buf_puts(out, v ? "true" : "false");
}

int json_null(struct buf *out)
{
	int rc = sep(out);

	return rc ? rc : buf_puts(out, "null");
}
