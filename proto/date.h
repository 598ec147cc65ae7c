/*
 * date.h: dates on the wire.  RFC 5322 §3.3 dates (Date, Injection-Date
 * headers) both ways, with the obsolete forms RFC 5536 §3.1.1 asks readers to
 * accept, and the NEWNEWS/NEWGROUPS date forms of RFC 3977 §7.3.2.
 * All times are seconds since the epoch, UTC.
 */
#ifndef DATE_H
#define DATE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse an RFC 5322 date-time ("Tue, 25 Nov 2026 12:00:00 +0000", day name
 * optional, seconds optional, obsolete zones like GMT/UT/EST and military
 * letters accepted, 2-digit years per RFC 5322 §4.3, comments ignored).
 * Returns 0 and sets *t, or MOOT_EPROTO.
 */
int date_parse_rfc5322(const char *s, size_t len, int64_t *t);

/* Format t as "Wed, 25 Nov 2026 12:01:34 +0000" into out (at least 40 bytes). */
void date_format_rfc5322(int64_t t, char *out, size_t outlen);

/*
 * Parse the NEWNEWS/NEWGROUPS arguments: date is yyyymmdd or yymmdd
 * (RFC 3977 §7.3.2: a 2-digit year within 50 years of now... we use the
 * RFC rule relative to the current year 'now'), time is hhmmss, gmt is 1 when
 * the "GMT" argument was given (we always treat times as UTC: the server's
 * local time is UTC for us, as RFC 3977 permits).  Returns 0 or MOOT_EPROTO.
 */
int date_parse_nntp(const char *date, const char *time, int64_t now, int64_t *t);

/* Format t as "yyyymmddhhmmss" (DATE reply, RFC 3977 §7.1) into out (>= 15 bytes). */
void date_format_nntp(int64_t t, char *out, size_t outlen);

#endif
