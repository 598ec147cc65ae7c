/*
 * buf.c: a growable byte buffer.
 *
 * The buffer doubles its allocation as it grows, so appending n bytes one at
 * a time costs O(n) overall.  data is kept NUL-terminated whenever cap > 0,
 * which is why every size computation reserves one byte more than len.
 * Sizes are checked before they are used: a length that would wrap size_t
 * or exceed PTRDIFF_MAX is reported as MOOT_ENOMEM, never allocated short.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moot.h"
#include "buf.h"

/* The first allocation of a buffer; small enough to be cheap when idle. */
#define BUF_MIN_CAP 64

/* Zero b: a zeroed buffer is valid and empty, nothing is allocated. */
void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Free b's data and zero it; safe on a zeroed or already released buffer. */
void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

/*
 * Make room for extra more bytes plus the NUL; 0 or MOOT_ENOMEM (also when
 * len + extra + 1 would exceed PTRDIFF_MAX, the largest object C allows,
 * which also rules out size_t overflow).  On failure b is unchanged.
 */
int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	assert(b->len <= b->cap);
	if (extra > (size_t)PTRDIFF_MAX - 1 - b->len)
		return MOOT_ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : BUF_MIN_CAP;
	while (cap < need)
		cap = cap > (size_t)PTRDIFF_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return MOOT_ENOMEM;
	if (b->cap == 0)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Append n bytes of p (p may be NULL when n is 0); 0 or MOOT_ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n)
{
	int rc;

	rc = buf_reserve(b, n);
	if (rc < 0)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* Append the C string s without its NUL; 0 or MOOT_ENOMEM. */
int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_cat(struct buf *b, ...)
{
	size_t len = b->len;
	const char *s;
	va_list ap;
	int rc = 0;

	va_start(ap, b);
	while (rc == 0 && (s = va_arg(ap, const char *)) != NULL)
		rc = buf_append(b, s, strlen(s));
	va_end(ap);
	if (rc != 0 && b->data != NULL) {
		b->len = len;
		b->data[len] = '\0';
	}
	return rc;
}

int buf_put_int(struct buf *b, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/*
 * Append printf-formatted text; 0, MOOT_ENOMEM, or MOOT_EINVAL when the
 * format itself fails.  On failure b's content is unchanged.
 */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	size_t room;
	int n, rc;

	/* Try in the space we already have; most formats are short. */
	rc = buf_reserve(b, 0);
	if (rc < 0)
		return rc;
	room = b->cap - b->len;
	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, room, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->data[b->len] = '\0';
		return MOOT_EINVAL;
	}
	if ((size_t)n >= room) {
		rc = buf_reserve(b, (size_t)n);
		if (rc < 0) {
			b->data[b->len] = '\0';
			return rc;
		}
		va_copy(cp, ap);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
		va_end(cp);
		if (n < 0) {
			b->data[b->len] = '\0';
			return MOOT_EINVAL;
		}
	}
	b->len += (size_t)n;
	return 0;
}

/* Append printf-formatted text; see buf_vprintf. */
int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* Remove the first n bytes (n <= len, clamped if larger), keeping the rest in order. */
void buf_consume(struct buf *b, size_t n)
{
	assert(n <= b->len);
	if (n >= b->len) {
		buf_clear(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

/* Set len to 0 and keep the allocation for reuse. */
void buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->cap > 0)
		b->data[0] = '\0';
}
