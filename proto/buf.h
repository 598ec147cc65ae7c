/*
 * buf.h: a growable byte buffer (in the spirit of redis's sds, but a plain struct).
 *
 * A zeroed struct buf is a valid empty buffer.  data is always NUL-terminated
 * when cap > 0 (the NUL is not counted in len), so text can be used as a C string.
 * Growth is bounded by the caller: every append takes no limit itself, callers
 * check len against their own bound before appending network data.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

struct buf {
	char *data;	/* bytes, NUL-terminated when cap > 0 */
	size_t len;	/* bytes in use, excluding the NUL */
	size_t cap;	/* bytes allocated */
};

/* Zero b (no allocation). */
void buf_init(struct buf *b);
/* Free b's contents and zero it. */
void buf_release(struct buf *b);
/* Make room for at least extra more bytes; 0 or MOOT_ENOMEM. */
int buf_reserve(struct buf *b, size_t extra);
/* Append n bytes of p; 0 or MOOT_ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Append a C string. */
int buf_puts(struct buf *b, const char *s);
/* Append C strings up to a NULL argument (no format to parse: the hot paths'
 * header lines); 0 or MOOT_ENOMEM, and then b's content is unchanged. */
int buf_cat(struct buf *b, ...) __attribute__((sentinel));
/* Append v in decimal; 0 or MOOT_ENOMEM. */
int buf_put_int(struct buf *b, int64_t v);
/* Append printf-formatted text. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Remove the first n bytes (n <= len), keeping the rest. */
void buf_consume(struct buf *b, size_t n);
/* Set len to 0, keeping the allocation. */
void buf_clear(struct buf *b);

#endif
