/* Unit tests for proto/line.c: framing bounds and dot-stuffing (RFC 3977 §3.1.1). */
#include <stdlib.h>

#include "test.h"
#include "../../proto/moot.h"
#include "../../proto/line.h"

/* CRLF and bare LF both end a line; content excludes the terminator. */
static void next_basic(void)
{
	size_t clen = 99;

	CHECK_INT(line_next("GROUP a\r\nNEXT\r\n", 15, 512, &clen), 9);
	CHECK_INT(clen, 7);
	CHECK_INT(line_next("NEXT\nLAST\n", 10, 512, &clen), 5);
	CHECK_INT(clen, 4);
	CHECK_INT(line_next("\r\n", 2, 512, &clen), 2);
	CHECK_INT(clen, 0);
	CHECK_INT(line_next("\n", 1, 512, &clen), 1);
	CHECK_INT(clen, 0);
	/* A lone CR inside the line is data, only the one before LF is dropped. */
	CHECK_INT(line_next("a\rb\r\r\n", 6, 512, &clen), 6);
	CHECK_INT(clen, 4);
}

/* No LF yet and still under the bound: wait for more input. */
static void next_incomplete(void)
{
	size_t clen = 77;

	CHECK_INT(line_next("", 0, 512, &clen), 0);
	CHECK_INT(line_next("GROUP", 5, 512, &clen), 0);
	CHECK_INT(line_next("GROUP\r", 6, 512, &clen), 0);
	CHECK_INT(clen, 77);	/* untouched when no line */
}

/* max counts the terminator: exactly max bytes is a line, max + 1 is too long. */
static void next_bounds(void)
{
	char buf[600];
	size_t clen = 0;

	memset(buf, 'x', sizeof(buf));
	buf[510] = '\r';
	buf[511] = '\n';
	CHECK_INT(line_next(buf, 512, 512, &clen), 512);
	CHECK_INT(clen, 510);
	CHECK_INT(line_next(buf, 600, 512, &clen), 512);

	memset(buf, 'x', sizeof(buf));
	buf[511] = '\r';
	buf[512] = '\n';	/* 513 bytes with CRLF */
	CHECK_INT(line_next(buf, 513, 512, &clen), MOOT_ETOOBIG);
	CHECK_INT(line_next(buf, 600, 512, &clen), MOOT_ETOOBIG);
	/* 512 bytes without an LF can never become a line within 512. */
	CHECK_INT(line_next(buf, 512, 512, &clen), MOOT_ETOOBIG);
	CHECK_INT(line_next(buf, 511, 512, &clen), 0);

	/* With bare LF, max bytes including the LF is still fine. */
	memset(buf, 'y', sizeof(buf));
	buf[511] = '\n';
	CHECK_INT(line_next(buf, 600, 512, &clen), 512);
	CHECK_INT(clen, 511);
	CHECK_INT(line_next(buf, 600, 511, &clen), MOOT_ETOOBIG);
}

/* An LF past max is not seen: the scan stops at max bytes. */
static void next_never_reads_past_max(void)
{
	char *p = malloc(16);
	size_t clen;

	CHECK(p != NULL);
	if (p == NULL)
		return;
	memcpy(p, "abcdefgh\n\n\n\n\n\n\n\n", 16);
	/* LFs follow, but beyond max: the line is still too long. */
	CHECK_INT(line_next(p, 16, 8, &clen), MOOT_ETOOBIG);
	free(p);
}

/* line_skip drops through the next LF, or everything when none arrived. */
static void skip(void)
{
	int done = -1;

	CHECK_INT(line_skip("xxxx", 4, &done), 4);
	CHECK_INT(done, 0);
	CHECK_INT(line_skip("xx\r\nNEXT\r\n", 10, &done), 4);
	CHECK_INT(done, 1);
	CHECK_INT(line_skip("\n", 1, &done), 1);
	CHECK_INT(done, 1);
	CHECK_INT(line_skip("", 0, &done), 0);
	CHECK_INT(done, 0);
}

/* Only a lone "." is the terminator; ".." and ". " are data. */
static void terminator(void)
{
	CHECK(line_is_terminator(".", 1));
	CHECK(!line_is_terminator("..", 2));
	CHECK(!line_is_terminator(". ", 2));
	CHECK(!line_is_terminator("", 0));
	CHECK(!line_is_terminator("a", 1));
	CHECK(!line_is_terminator(".\r", 2));
}

/* Dot-stuffing one line (RFC 3977 §3.1.1). */
static void stuff_append(void)
{
	struct buf b = { 0 };

	CHECK_INT(line_stuff_append(&b, "hello", 5), 0);
	CHECK_INT(line_stuff_append(&b, ".", 1), 0);
	CHECK_INT(line_stuff_append(&b, "..", 2), 0);
	CHECK_INT(line_stuff_append(&b, ".x.", 3), 0);
	CHECK_INT(line_stuff_append(&b, "", 0), 0);
	CHECK_INT(line_stuff_append(&b, "a.", 2), 0);
	CHECK_STR(b.data, "hello\r\n..\r\n...\r\n..x.\r\n\r\na.\r\n");
	/* CR or LF inside would break the framing: refused, out unchanged. */
	CHECK_INT(line_stuff_append(&b, "a\r\n.\r\n", 6), MOOT_EINVAL);
	CHECK_INT(line_stuff_append(&b, "a\nb", 3), MOOT_EINVAL);
	CHECK_STR(b.data, "hello\r\n..\r\n...\r\n..x.\r\n\r\na.\r\n");
	buf_release(&b);
}

/* Whole texts: LF or CRLF input, final line without newline, empty text. */
static void stuff_text(void)
{
	struct buf b = { 0 };

	CHECK_INT(line_stuff_text(&b, "", 0), 0);
	CHECK_INT(b.len, 0);
	CHECK_INT(line_stuff_text(&b, "a\nb", 3), 0);
	CHECK_STR(b.data, "a\r\nb\r\n");
	buf_clear(&b);
	CHECK_INT(line_stuff_text(&b, "a\r\n.\r\n..\n", 9), 0);
	CHECK_STR(b.data, "a\r\n..\r\n...\r\n");
	buf_clear(&b);
	CHECK_INT(line_stuff_text(&b, "\n\n", 2), 0);
	CHECK_STR(b.data, "\r\n\r\n");
	buf_clear(&b);
	CHECK_INT(line_stuff_text(&b, ".", 1), 0);
	CHECK_STR(b.data, "..\r\n");
	buf_clear(&b);
	/* Bytes after len are not read; a lone CR mid-line stays. */
	CHECK_INT(line_stuff_text(&b, "x\ry\nIGNORED", 4), 0);
	CHECK_STR(b.data, "x\ry\r\n");
	buf_release(&b);
}

/* line_unstuff drops exactly one leading dot. */
static void unstuff_line(void)
{
	char a[] = "..";
	char c[] = "...x";
	char d[] = "abc";

	CHECK_INT(line_unstuff(a, 2), 1);
	CHECK(a[0] == '.');
	CHECK_INT(line_unstuff(c, 4), 3);
	CHECK(memcmp(c, "..x", 3) == 0);
	CHECK_INT(line_unstuff(d, 3), 3);
	CHECK_STR(d, "abc");
	CHECK_INT(line_unstuff(d, 0), 0);
}

/* Wire block to text, and a round trip through stuffing. */
static void unstuff_text(void)
{
	struct buf b = { 0 }, w = { 0 };
	const char *text = ".\n..\nplain\n\n.dot\nlast";

	CHECK_INT(line_unstuff_text(&b, "a\r\n..\r\n...b\r\n\r\n", 15), 0);
	CHECK_STR(b.data, "a\n.\n..b\n\n");
	buf_clear(&b);
	/* The terminator, if passed, ends the block. */
	CHECK_INT(line_unstuff_text(&b, "x\r\n.\r\ny\r\n", 9), 0);
	CHECK_STR(b.data, "x\n");
	buf_clear(&b);
	CHECK_INT(line_unstuff_text(&b, "bare\nlf", 7), 0);
	CHECK_STR(b.data, "bare\nlf\n");
	buf_clear(&b);

	CHECK_INT(line_stuff_text(&w, text, strlen(text)), 0);
	CHECK_STR(w.data, "..\r\n...\r\nplain\r\n\r\n..dot\r\nlast\r\n");
	CHECK_INT(line_unstuff_text(&b, w.data, w.len), 0);
	CHECK_STR(b.data, ".\n..\nplain\n\n.dot\nlast\n");
	buf_release(&b);
	buf_release(&w);
}

void test_line(void)
{
	RUN(next_basic);
	RUN(next_incomplete);
	RUN(next_bounds);
	RUN(next_never_reads_past_max);
	RUN(skip);
	RUN(terminator);
	RUN(stuff_append);
	RUN(stuff_text);
	RUN(unstuff_line);
	RUN(unstuff_text);
}
