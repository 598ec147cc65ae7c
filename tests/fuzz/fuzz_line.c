/*
 * fuzz_line.c: libFuzzer target for proto/line.c (RFC 3977 §3.1.1 framing
 * and dot-stuffing) on arbitrary bytes.
 *
 * Invariants checked (abort() on violation, so libFuzzer reports a crash):
 *  - line_next never claims more than len bytes, its content excludes the
 *    LF (and a CR right before it), and it returns MOOT_ETOOBIG only when the
 *    first max bytes hold no LF;
 *  - line_skip consumes at most len bytes, through the first LF when done;
 *  - line_unstuff removes exactly one leading '.';
 *  - line_stuff_text output is CRLF lines with no bare LF and never a lone
 *    "." line, and for a text without CR, line_unstuff_text(line_stuff_text(x))
 *    is x with a final LF added when x did not end in one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/moot.h"
#include "../../proto/buf.h"
#include "../../proto/line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

/* Walk data line by line with line_next and max, checking each result. */
static void check_framing(const char *p, size_t len, size_t max)
{
	while (len > 0) {
		size_t content = (size_t)-1;
		ssize_t n = line_next(p, len, max, &content);
		const char *lf = memchr(p, '\n', len < max ? len : max);

		if (n == 0) {
			/* More input needed: no LF, and under the bound. */
			REQUIRE(lf == NULL && len < max);
			return;
		}
		if (n < 0) {
			REQUIRE(n == MOOT_ETOOBIG);
			REQUIRE(lf == NULL && len >= max);
			int done = -1;
			size_t k = line_skip(p, len, &done);
			const char *any = memchr(p, '\n', len);
			REQUIRE(k <= len && k > 0);
			REQUIRE(done == (any != NULL));
			if (any)
				REQUIRE(k == (size_t)(any - p) + 1);
			else
				REQUIRE(k == len);
			p += k;
			len -= k;
			continue;
		}
		REQUIRE((size_t)n <= len && (size_t)n <= max);
		REQUIRE(lf != NULL && (size_t)n == (size_t)(lf - p) + 1);
		REQUIRE(content < (size_t)n);
		REQUIRE(content == (size_t)n - 1 || (content == (size_t)n - 2 && p[content] == '\r'));
		REQUIRE(memchr(p, '\n', content) == NULL);
		p += n;
		len -= (size_t)n;
	}
}

/* The stuffed form: every line CRLF-terminated, none a lone ".". */
static void check_wire(const char *w, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *lf = memchr(w + pos, '\n', len - pos);
		size_t n;

		REQUIRE(lf != NULL);
		n = (size_t)(lf - (w + pos));
		REQUIRE(n >= 1 && w[pos + n - 1] == '\r');
		REQUIRE(!line_is_terminator(w + pos, n - 1));
		pos += n + 1;
	}
}

/* Check framing, unstuffing and stuffing of one input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct buf w, t, u;
	char *copy;
	size_t max, n;

	if (size > 1 << 16)
		return 0;
	/* Bounds around the input size, and the two the daemon uses. */
	max = size ? (size_t)data[0] % 64 + 1 : 1;
	check_framing(p, size, max);
	check_framing(p, size, MOOT_MAX_COMMAND);
	check_framing(p, size, MOOT_MAX_LINE_BUF);

	copy = malloc(size + 1);
	REQUIRE(copy != NULL);
	memcpy(copy, p, size);
	n = line_unstuff(copy, size);
	if (size > 0 && p[0] == '.') {
		REQUIRE(n == size - 1);
		REQUIRE(memcmp(copy, p + 1, n) == 0);
	} else {
		REQUIRE(n == size);
		REQUIRE(memcmp(copy, p, size) == 0);
	}
	free(copy);

	buf_init(&w);
	buf_init(&t);
	buf_init(&u);
	REQUIRE(line_stuff_text(&w, p, size) == 0);
	check_wire(w.data, w.len);
	REQUIRE(line_unstuff_text(&t, w.data, w.len) == 0);
	/* Arbitrary wire input must not crash the unstuffer either. */
	REQUIRE(line_unstuff_text(&u, p, size) == 0);
	REQUIRE(u.len <= size + 1);
	if (memchr(p, '\r', size) == NULL) {
		if (size == 0) {
			REQUIRE(t.len == 0);
		} else if (p[size - 1] == '\n') {
			REQUIRE(t.len == size && memcmp(t.data, p, size) == 0);
		} else {
			REQUIRE(t.len == size + 1 && memcmp(t.data, p, size) == 0);
			REQUIRE(t.data[size] == '\n');
		}
	}
	/* One line through line_stuff_append: refused iff it has CR or LF. */
	buf_clear(&u);
	n = size < 600 ? size : 600;
	if (memchr(p, '\r', n) || memchr(p, '\n', n)) {
		REQUIRE(line_stuff_append(&u, p, n) == MOOT_EINVAL);
		REQUIRE(u.len == 0);
	} else {
		REQUIRE(line_stuff_append(&u, p, n) == 0);
		check_wire(u.data, u.len);
		REQUIRE(u.len == n + 2 + (n > 0 && p[0] == '.'));
	}
	buf_release(&w);
	buf_release(&t);
	buf_release(&u);
	return 0;
}
