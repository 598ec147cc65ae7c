/*
 * line.c: CRLF line framing with a hard length bound, and dot-stuffing both
 * ways (RFC 3977 §3.1.1).
 *
 * Framing never looks past the bound: line_next searches at most max bytes
 * with one memchr, so a peer that sends a megabyte without a newline costs
 * O(max) per call, and the caller learns MOOT_ETOOBIG as soon as max bytes
 * without an LF are buffered.  A bare LF ends a line too; only a CR right
 * before the LF belongs to the terminator, any other CR is data.
 */
#include <assert.h>
#include <string.h>

#include "moot.h"
#include "line.h"

/*
 * Find the first line of buf[0..len) within max bytes, terminator included.
 * Returns its total length (> 0) and sets *content_len to the length without
 * CR LF; 0 when more input is needed (len < max and no LF yet, or len == 0);
 * MOOT_ETOOBIG when the first max bytes hold no LF, since such a line cannot
 * fit (a line of exactly max bytes including CRLF is accepted, max + 1 is not).
 */
ssize_t line_next(const char *buf, size_t len, size_t max, size_t *content_len)
{
	const char *lf;
	size_t scan, n;

	assert(content_len != NULL);
	if (len == 0)
		return 0;
	scan = len < max ? len : max;
	lf = scan ? memchr(buf, '\n', scan) : NULL;
	if (lf == NULL)
		return len >= max ? MOOT_ETOOBIG : 0;
	n = (size_t)(lf - buf);
	if (n > 0 && buf[n - 1] == '\r')
		*content_len = n - 1;
	else
		*content_len = n;
	return (ssize_t)(n + 1);
}

/*
 * How many bytes of buf[0..len) to drop to discard the rest of an over-long
 * line: through the next LF (*done = 1), or all of len (*done = 0).
 */
size_t line_skip(const char *buf, size_t len, int *done)
{
	const char *lf;

	assert(done != NULL);
	lf = len ? memchr(buf, '\n', len) : NULL;
	if (lf == NULL) {
		*done = 0;
		return len;
	}
	*done = 1;
	return (size_t)(lf - buf) + 1;
}

/* 1 if line (without CRLF) is the lone "." ending a multi-line block (RFC 3977 §3.1.1). */
int line_is_terminator(const char *line, size_t len)
{
	return len == 1 && line[0] == '.';
}

/* Append line (no CR/LF checks) dot-stuffed and CRLF-terminated; 0 or MOOT_ENOMEM. */
static int stuff_one(struct buf *out, const char *line, size_t len)
{
	int rc;

	/* RFC 3977 §3.1.1: a line starting with "." gets another "." in front. */
	if (len > 0 && line[0] == '.') {
		rc = buf_append(out, ".", 1);
		if (rc < 0)
			return rc;
	}
	rc = buf_append(out, line, len);
	if (rc < 0)
		return rc;
	return buf_append(out, "\r\n", 2);
}

/*
 * Append one line in wire form: leading '.' doubled, then CRLF.  Returns 0,
 * MOOT_EINVAL when line contains CR or LF (it would break the framing), or
 * MOOT_ENOMEM; on failure out is as it was.
 */
int line_stuff_append(struct buf *out, const char *line, size_t len)
{
	size_t old = out->len;
	int rc;

	if (len > 0 && (memchr(line, '\n', len) || memchr(line, '\r', len)))
		return MOOT_EINVAL;
	rc = stuff_one(out, line, len);
	if (rc < 0 && out->cap > 0) {
		out->len = old;
		out->data[old] = '\0';
	}
	return rc;
}

/*
 * Append a whole text in wire form.  Lines are separated by LF or CRLF; the
 * last line gets CRLF even without a newline, an empty text appends nothing,
 * and a trailing newline does not make an extra empty line.  Each line is
 * dot-stuffed (RFC 3977 §3.1.1).  0 or MOOT_ENOMEM (out is then as it was).
 */
int line_stuff_text(struct buf *out, const char *text, size_t len)
{
	size_t old = out->len, pos = 0, n;
	const char *lf;
	int rc = 0;

	while (pos < len) {
		lf = memchr(text + pos, '\n', len - pos);
		n = lf ? (size_t)(lf - (text + pos)) : len - pos;
		/* The CR of a CRLF (or of a final "\r") is part of the line end. */
		if (n > 0 && text[pos + n - 1] == '\r')
			rc = stuff_one(out, text + pos, n - 1);
		else
			rc = stuff_one(out, text + pos, n);
		if (rc < 0)
			break;
		pos += n + (lf ? 1 : 0);
	}
	if (rc < 0 && out->cap > 0) {
		out->len = old;
		out->data[old] = '\0';
	}
	return rc;
}

/* Drop the stuffed leading '.' of a received line in place; returns the new length. */
size_t line_unstuff(char *line, size_t len)
{
	if (len == 0 || line[0] != '.')
		return len;
	memmove(line, line + 1, len - 1);
	return len - 1;
}

/*
 * Convert a wire block (CRLF or LF lines, dot-stuffed) to plain text with LF
 * line ends, appended to out.  A final line without a line end still gets
 * "\n".  A lone "." line is the block terminator: it and anything after it
 * are ignored, so passing a block with its terminator is harmless.
 * 0 or MOOT_ENOMEM (out is then as it was).
 */
int line_unstuff_text(struct buf *out, const char *wire, size_t len)
{
	size_t old = out->len, pos = 0, n;
	const char *lf, *p;
	int rc = 0;

	while (pos < len) {
		p = wire + pos;
		lf = memchr(p, '\n', len - pos);
		n = lf ? (size_t)(lf - p) : len - pos;
		pos += n + (lf ? 1 : 0);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (line_is_terminator(p, n))
			break;
		/* RFC 3977 §3.1.1: the receiver drops a leading '.'. */
		if (n > 0 && p[0] == '.') {
			p++;
			n--;
		}
		rc = buf_append(out, p, n);
		if (rc == 0)
			rc = buf_append(out, "\n", 1);
		if (rc < 0)
			break;
	}
	if (rc < 0 && out->cap > 0) {
		out->len = old;
		out->data[old] = '\0';
	}
	return rc;
}
