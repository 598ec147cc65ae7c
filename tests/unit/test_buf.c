/* Unit tests for proto/buf.c: growth, NUL termination, overflow, consume. */
#include <stdint.h>
#include <stdlib.h>

#include "test.h"
#include "../../proto/moot.h"
#include "../../proto/buf.h"

/* A zeroed buffer is empty and valid; release leaves it zeroed again. */
static void init_release(void)
{
	struct buf b;

	memset(&b, 0xff, sizeof(b));
	buf_init(&b);
	CHECK(b.data == NULL);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.cap, 0);
	buf_release(&b);	/* releasing an empty buffer is fine */
	CHECK(b.data == NULL);
	CHECK_INT(buf_puts(&b, "x"), 0);
	buf_release(&b);
	CHECK(b.data == NULL);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.cap, 0);
}

/* Appends concatenate, keep a NUL after the data, and accept embedded NULs. */
static void append_terminates(void)
{
	struct buf b = { 0 };

	CHECK_INT(buf_append(&b, "abc", 3), 0);
	CHECK_INT(b.len, 3);
	CHECK_STR(b.data, "abc");
	CHECK_INT(buf_append(&b, "d\0e", 3), 0);
	CHECK_INT(b.len, 6);
	CHECK(memcmp(b.data, "abcd\0e", 7) == 0);	/* including the final NUL */
	CHECK_INT(buf_puts(&b, ""), 0);
	CHECK_INT(b.len, 6);
	CHECK(b.cap > b.len);
	CHECK_INT(b.data[b.len], '\0');
	buf_release(&b);
}

/* Empty appends on a fresh buffer still give a NUL-terminated empty string. */
static void append_empty(void)
{
	struct buf b = { 0 };

	CHECK_INT(buf_append(&b, NULL, 0), 0);
	CHECK_INT(b.len, 0);
	CHECK(b.cap > 0);
	CHECK_STR(b.data, "");
	buf_release(&b);
}

/* Capacity doubles, so a million one-byte appends reallocate only ~15 times. */
static void growth_doubles(void)
{
	struct buf b = { 0 };
	size_t i, last_cap = 0, grows = 0;
	int ok = 1;

	for (i = 0; i < 1000000; i++) {
		if (buf_append(&b, "x", 1) != 0)
			ok = 0;
		if (b.cap != last_cap) {
			if (last_cap != 0 && b.cap < 2 * last_cap)
				ok = 0;
			last_cap = b.cap;
			grows++;
		}
	}
	CHECK(ok);
	CHECK_INT(b.len, 1000000);
	CHECK(grows <= 20);
	CHECK(b.cap >= b.len + 1);
	CHECK_INT(b.data[b.len], '\0');
	buf_release(&b);
}

/* buf_reserve refuses sizes that would overflow (or exceed PTRDIFF_MAX), leaving b unchanged. */
static void reserve_overflow(void)
{
	struct buf b = { 0 };
	char *data;
	size_t cap;

	CHECK_INT(buf_puts(&b, "hello"), 0);
	data = b.data;
	cap = b.cap;
	CHECK_INT(buf_reserve(&b, SIZE_MAX), MOOT_ENOMEM);
	CHECK_INT(buf_reserve(&b, SIZE_MAX - 5), MOOT_ENOMEM);
	CHECK_INT(buf_reserve(&b, SIZE_MAX - 6), MOOT_ENOMEM);	/* len+extra+1 == SIZE_MAX */
	CHECK_INT(buf_reserve(&b, (size_t)PTRDIFF_MAX - 5), MOOT_ENOMEM);	/* one over the limit */
	CHECK_INT(buf_append(&b, "x", SIZE_MAX), MOOT_ENOMEM);
	CHECK(b.data == data);
	CHECK_INT(b.cap, cap);
	CHECK_STR(b.data, "hello");
	/* A reserve within the capacity allocates nothing. */
	CHECK_INT(buf_reserve(&b, 1), 0);
	CHECK(b.data == data);
	CHECK_INT(buf_reserve(&b, 1000), 0);
	CHECK(b.cap >= 1006);
	CHECK_STR(b.data, "hello");
	buf_release(&b);
}

/* printf appends, both within the current capacity and beyond it. */
static void printf_appends(void)
{
	struct buf b = { 0 };
	char big[300];

	CHECK_INT(buf_printf(&b, "%d %s", 211, "group"), 0);
	CHECK_STR(b.data, "211 group");
	CHECK_INT(b.len, 9);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(buf_printf(&b, "[%s]", big), 0);
	CHECK_INT(b.len, 9 + 2 + 299);
	CHECK(b.data[9] == '[' && b.data[b.len - 1] == ']');
	CHECK_INT(b.data[b.len], '\0');
	CHECK_INT(strlen(b.data), b.len);
	/* An empty format changes nothing. */
	CHECK_INT(buf_printf(&b, "%s", ""), 0);
	CHECK_INT(b.len, 310);
	buf_release(&b);
}

/* Output that exactly fills the spare room, and one byte more. */
static void printf_boundary(void)
{
	struct buf b = { 0 };
	size_t room;
	char s[200];

	CHECK_INT(buf_puts(&b, "x"), 0);
	room = b.cap - b.len;	/* includes the NUL's byte */
	CHECK(room > 2 && room < sizeof(s));
	memset(s, 'b', room - 1);
	s[room - 1] = '\0';
	CHECK_INT(buf_printf(&b, "%s", s), 0);	/* fits exactly with the NUL */
	CHECK_INT(b.len, room);
	CHECK_INT(strlen(b.data), b.len);
	CHECK_INT(buf_printf(&b, "%s", "c"), 0);	/* now needs a grow */
	CHECK_INT(b.len, room + 1);
	CHECK_INT(b.data[b.len - 1], 'c');
	CHECK_INT(b.data[b.len], '\0');
	buf_release(&b);
}

/* consume keeps the tail in order; consuming everything empties the buffer. */
static void consume_and_clear(void)
{
	struct buf b = { 0 };
	size_t cap;

	CHECK_INT(buf_puts(&b, "GROUP misc\r\nARTICLE 1\r\n"), 0);
	buf_consume(&b, 12);
	CHECK_STR(b.data, "ARTICLE 1\r\n");
	CHECK_INT(b.len, 11);
	buf_consume(&b, 0);
	CHECK_INT(b.len, 11);
	buf_consume(&b, 11);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	CHECK_INT(buf_puts(&b, "abc"), 0);
	cap = b.cap;
	buf_clear(&b);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.cap, cap);
	CHECK_STR(b.data, "");
	buf_clear(&b);
	buf_release(&b);
	buf_clear(&b);	/* clearing a released buffer is harmless */
	CHECK(b.data == NULL);
}

/* buf_cat appends every string up to NULL; buf_put_int writes decimal, the
 * extremes included, as printf's %lld would. */
static void cat_and_int(void)
{
	struct buf b;
	char want[32];
	static const int64_t v[] = { 0, 7, -7, 1234567890123, INT64_MAX, INT64_MIN };
	size_t i;

	buf_init(&b);
	CHECK_INT(buf_cat(&b, "Path: ", "a!b", "\r\n", (char *)NULL), 0);
	CHECK_STR(b.data, "Path: a!b\r\n");
	CHECK_INT(buf_cat(&b, (char *)NULL), 0);
	CHECK_INT(buf_cat(&b, "", "x", (char *)NULL), 0);
	CHECK_STR(b.data, "Path: a!b\r\nx");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_clear(&b);
		CHECK_INT(buf_put_int(&b, v[i]), 0);
		snprintf(want, sizeof(want), "%lld", (long long)v[i]);
		CHECK_STR(b.data, want);
		CHECK_INT(b.len, strlen(want));
	}
	buf_release(&b);
}

void test_buf(void)
{
	RUN(init_release);
	RUN(append_terminates);
	RUN(append_empty);
	RUN(growth_doubles);
	RUN(reserve_overflow);
	RUN(printf_appends);
	RUN(printf_boundary);
	RUN(consume_and_clear);
	RUN(cat_and_int);
}
