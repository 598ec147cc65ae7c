/* Unit tests for proto/date.c: RFC 5322 §3.3/§4.3 dates and RFC 3977 §7 date forms. */
#include <stdint.h>

#include "test.h"
#include "../../proto/moot.h"
#include "../../proto/date.h"

/* Parse a C string; returns the rc, with *t set only on success. */
static int p5322(const char *s, int64_t *t)
{
	return date_parse_rfc5322(s, strlen(s), t);
}

/* Well-formed RFC 5322 dates, with and without the optional parts. */
static void rfc5322_basic(void)
{
	int64_t t = 0;

	CHECK_INT(p5322("Wed, 25 Nov 2026 12:00:00 +0000", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("25 Nov 2026 12:00:00 +0000", &t), 0);	/* no day name */
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 12:00 +0000", &t), 0);	/* no seconds */
	CHECK_INT(t, 1795608000);
	/* RFC 5322 appendix A examples. */
	CHECK_INT(p5322("Fri, 21 Nov 1997 09:55:06 -0600", &t), 0);
	CHECK_INT(t, 880127706);
	CHECK_INT(p5322("Tue, 1 Jul 2003 10:52:37 +0200", &t), 0);
	CHECK_INT(t, 1057049557);
	CHECK_INT(p5322("Thu,\r\n     13\r\n       Feb\r\n         1969\r\n     23:32\r\n"
			"               -0330 (Newfoundland Time)", &t), 0);
	CHECK_INT(t, -27723480);
	/* Case-insensitive names, and a zone that crosses midnight. */
	CHECK_INT(p5322("wed, 25 NOV 2026 23:30:00 -0100", &t), 0);
	CHECK_INT(t, 1795608000 + 12 * 3600 + 30 * 60);
	CHECK_INT(p5322("1 Jan 1970 00:00:00 +0000", &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(p5322("31 Dec 1969 23:59:59 +0000", &t), 0);
	CHECK_INT(t, -1);
}

/* Comments and surplus whitespace are CFWS and ignored (RFC 5322 §3.2.2). */
static void rfc5322_comments(void)
{
	int64_t t = 0;

	CHECK_INT(p5322(" (x) Wed (y) , 25 (nested (deep) \\) ok) Nov 2026 12:00:00 +0000 (UTC)  ", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 12:00:00 +0000 (unclosed", &t), MOOT_EPROTO);
}

/* RFC 5322 §4.3 obsolete forms: old zones, military letters, short years. */
static void rfc5322_obsolete(void)
{
	int64_t t = 0;

	CHECK_INT(p5322("Wed, 25 Nov 2026 12:00:00 GMT", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 12:00:00 UT", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 07:00:00 EST", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 08:00:00 EDT", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 06:00:00 CST", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 07:00:00 cdt", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 05:00:00 MST", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 06:00:00 MDT", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 04:00:00 PST", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 05:00:00 PDT", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 12:00:00 Z", &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 12:00:00 A", &t), 0);	/* military: -0000 */
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("Wed, 25 Nov 2026 12:00:00 CET", &t), 0);	/* unknown: -0000 */
	CHECK_INT(t, 1795608000);
	CHECK_INT(p5322("1 Jan 26 00:00:00 +0000", &t), 0);
	CHECK_INT(t, 1767225600);
	CHECK_INT(p5322("1 Jan 49 00:00:00 +0000", &t), 0);	/* 2049 */
	CHECK_INT(t, 2493072000LL);
	CHECK_INT(p5322("1 Jan 50 00:00:00 +0000", &t), 0);	/* 1950 */
	CHECK_INT(t, -631152000LL);
	CHECK_INT(p5322("1 Jan 100 00:00:00 +0000", &t), 0);	/* 3 digits: 2000 */
	CHECK_INT(t, 946684800);
	CHECK_INT(p5322("Tue, 5 Nov 2026 1:02:03 +0000", &t), 0);	/* one-digit hour */
}

/* Leap years and month lengths, including the century rules. */
static void leap_years(void)
{
	int64_t t = 0;

	CHECK_INT(p5322("29 Feb 2000 00:00:00 +0000", &t), 0);
	CHECK_INT(t, 951782400);
	CHECK_INT(p5322("29 Feb 2024 23:59:59 +0000", &t), 0);
	CHECK_INT(t, 1709251199);
	CHECK_INT(p5322("29 Feb 1900 00:00:00 +0000", &t), MOOT_EPROTO);
	CHECK_INT(p5322("29 Feb 2100 00:00:00 +0000", &t), MOOT_EPROTO);
	CHECK_INT(p5322("29 Feb 2026 00:00:00 +0000", &t), MOOT_EPROTO);
	CHECK_INT(p5322("1 Mar 1900 00:00:00 +0000", &t), 0);
	CHECK_INT(t, -2203891200LL);
	CHECK_INT(p5322("28 Feb 2100 00:00:00 +0000", &t), 0);
	CHECK_INT(t, 4107456000LL);
	CHECK_INT(p5322("31 Apr 2026 00:00:00 +0000", &t), MOOT_EPROTO);
	CHECK_INT(p5322("31 Dec 9999 23:59:59 +0000", &t), 0);
	CHECK_INT(t, 253402300799LL);
	CHECK_INT(p5322("19 Jan 2038 03:14:08 +0000", &t), 0);	/* past 32-bit time_t */
	CHECK_INT(t, 2147483648LL);
	CHECK_INT(p5322("31 Dec 1998 23:59:60 +0000", &t), 0);	/* a leap second */
	CHECK_INT(t, 915148800);
}

/* Garbage is refused, and *t is not touched. */
static void rfc5322_garbage(void)
{
	static const char *bad[] = {
		"", " ", "(only a comment)", "garbage", "Wed,", "Wed, 25",
		"Wed, 25 Nov", "Wed, 25 Nov 2026", "Wed, 25 Nov 2026 12:00:00",
		"Wed, 25 Nov 2026 12:00:00 +000", "Wed, 25 Nov 2026 12:00:00 +00000",
		"Wed, 25 Nov 2026 12:00:00 +0060", "Wed, 25 Nov 2026 12:00:00 0000",
		"Wed, 25 Nov 2026 12:00:00 +0000 trailing",
		"Wed, 25 Nov 2026 12:00:00 ABCDEF", "Xyz, 25 Nov 2026 12:00:00 +0000",
		"Wed, 25 Foo 2026 12:00:00 +0000", "Wed, 32 Nov 2026 12:00:00 +0000",
		"Wed, 0 Nov 2026 12:00:00 +0000", "Wed, 123 Nov 2026 12:00:00 +0000",
		"Wed, 25 Nov 2026 24:00:00 +0000", "Wed, 25 Nov 2026 12:60:00 +0000",
		"Wed, 25 Nov 2026 12:00:61 +0000", "Wed, 25 Nov 1899 12:00:00 +0000",
		"Wed, 25 Nov 20266 12:00:00 +0000", "Wed, 25 Nov 2 12:00:00 +0000",
		"Wed, 25 Nov 2026 12 +0000", "Wed, 25 Nov 2026 12:0:00 +0000",
		"Wed, 25 Nov 2026 12::00 +0000", "Wed, 25 November 2026 12:00:00 +0000",
		"Wed, -5 Nov 2026 12:00:00 +0000", "2026-11-25T12:00:00Z",
	};
	size_t i;
	int64_t t = 42;
	int accepted = 0;

	for (i = 0; i < MOOT_ARRAY_SIZE(bad); i++) {
		if (p5322(bad[i], &t) != MOOT_EPROTO) {
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
			accepted++;
		}
	}
	CHECK_INT(accepted, 0);
	CHECK_INT(t, 42);
	/* An embedded NUL within len is garbage; bytes past len are not read. */
	CHECK_INT(date_parse_rfc5322("1 Jan 1970 00:00:00 +0000\0x", 27, &t), MOOT_EPROTO);
	CHECK_INT(date_parse_rfc5322("1 Jan 1970 00:00:00 +0000 junk", 25, &t), 0);
	CHECK_INT(t, 0);
}

/* Formatting is English, UTC, and parses back to the same instant. */
static void rfc5322_format(void)
{
	char out[40];
	int64_t back = 0;
	static const int64_t samples[] = {
		0, -1, 951782400, 1709251199, 2147483648LL, -2203891200LL, 253402300799LL,
	};
	size_t i;

	date_format_rfc5322(1795608000, out, sizeof(out));
	CHECK_STR(out, "Wed, 25 Nov 2026 12:00:00 +0000");
	date_format_rfc5322(1795608000 + 94, out, sizeof(out));
	CHECK_STR(out, "Wed, 25 Nov 2026 12:01:34 +0000");
	date_format_rfc5322(0, out, sizeof(out));
	CHECK_STR(out, "Thu, 1 Jan 1970 00:00:00 +0000");
	date_format_rfc5322(-1, out, sizeof(out));
	CHECK_STR(out, "Wed, 31 Dec 1969 23:59:59 +0000");
	date_format_rfc5322(951782400, out, sizeof(out));
	CHECK_STR(out, "Tue, 29 Feb 2000 00:00:00 +0000");
	for (i = 0; i < MOOT_ARRAY_SIZE(samples); i++) {
		date_format_rfc5322(samples[i], out, sizeof(out));
		CHECK_INT(p5322(out, &back), 0);
		CHECK_INT(back, samples[i]);
	}
	/* A short buffer is truncated, still terminated. */
	date_format_rfc5322(0, out, 4);
	CHECK_STR(out, "Thu");
}

/* NEWNEWS/NEWGROUPS dates, 8-digit (RFC 3977 §7.3.2). */
static void nntp_parse(void)
{
	int64_t t = 0, now = 1795608000;	/* 2026-11-25 */

	CHECK_INT(date_parse_nntp("20261125", "120000", now, &t), 0);
	CHECK_INT(t, 1795608000);
	CHECK_INT(date_parse_nntp("19700101", "000000", now, &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(date_parse_nntp("20000229", "000000", now, &t), 0);
	CHECK_INT(t, 951782400);
	CHECK_INT(date_parse_nntp("20240229", "235959", now, &t), 0);
	CHECK_INT(t, 1709251199);
	CHECK_INT(date_parse_nntp("19981231", "235960", now, &t), 0);	/* leap second */
	CHECK_INT(t, 915148800);
}

/* 6-digit dates: current century if yy <= this year's yy, else the previous one. */
static void nntp_two_digit_year(void)
{
	int64_t t = 0, now = 1795608000;	/* 2026 */

	CHECK_INT(date_parse_nntp("260101", "000000", now, &t), 0);
	CHECK_INT(t, 1767225600);	/* 2026 */
	CHECK_INT(date_parse_nntp("000101", "000000", now, &t), 0);
	CHECK_INT(t, 946684800);	/* 2000 */
	CHECK_INT(date_parse_nntp("261231", "000000", now, &t), 0);
	CHECK_INT(t, 1798675200);	/* 2026, later this year still counts */
	CHECK_INT(date_parse_nntp("271231", "000000", now, &t), 0);
	CHECK_INT(t, -1325548800LL);	/* 1927 */
	CHECK_INT(date_parse_nntp("991231", "235959", now, &t), 0);
	CHECK_INT(t, 946684799);	/* 1999 */
	/* The rule follows now: in 1999, "00" is 1900. */
	CHECK_INT(date_parse_nntp("000101", "000000", 946684799, &t), 0);
	CHECK_INT(t, -2208988800LL);
}

/* Bad NNTP dates and times are refused, *t untouched. */
static void nntp_garbage(void)
{
	static const char *bad[][2] = {
		{ "2026112", "120000" }, { "202611250", "120000" }, { "20261325", "120000" },
		{ "20260001", "120000" }, { "20261100", "120000" }, { "20261131", "120000" },
		{ "20260229", "120000" }, { "21000229", "000000" }, { "18991231", "000000" },
		{ "2026112a", "120000" }, { "+0261125", "120000" }, { "20261125", "240000" },
		{ "20261125", "126000" }, { "20261125", "120061" }, { "20261125", "12000" },
		{ "20261125", "1200000" }, { "20261125", "12:00:" }, { "", "" },
		{ "261325", "000000" }, { "20261125 ", "120000" }, { "2026-1-1", "120000" },
	};
	size_t i;
	int64_t t = 42;
	int accepted = 0;

	for (i = 0; i < MOOT_ARRAY_SIZE(bad); i++) {
		if (date_parse_nntp(bad[i][0], bad[i][1], 1795608000, &t) != MOOT_EPROTO) {
			fprintf(stderr, "accepted \"%s\" \"%s\"\n", bad[i][0], bad[i][1]);
			accepted++;
		}
	}
	CHECK_INT(accepted, 0);
	CHECK_INT(date_parse_nntp(NULL, "000000", 0, &t), MOOT_EPROTO);
	CHECK_INT(t, 42);
}

/* DATE reply form (RFC 3977 §7.1). */
static void nntp_format(void)
{
	char out[15];
	int64_t back = 0;

	date_format_nntp(1795608094, out, sizeof(out));
	CHECK_STR(out, "20261125120134");
	date_format_nntp(0, out, sizeof(out));
	CHECK_STR(out, "19700101000000");
	date_format_nntp(951782400, out, sizeof(out));
	CHECK_STR(out, "20000229000000");
	date_format_nntp(-1, out, sizeof(out));
	CHECK_STR(out, "19691231235959");
	date_format_nntp(1709251199, out, sizeof(out));
	CHECK_STR(out, "20240229235959");
	CHECK_INT(date_parse_nntp("20240229", out + 8, 0, &back), 0);
	CHECK_INT(back, 1709251199);
}

void test_date(void)
{
	RUN(rfc5322_basic);
	RUN(rfc5322_comments);
	RUN(rfc5322_obsolete);
	RUN(leap_years);
	RUN(rfc5322_garbage);
	RUN(rfc5322_format);
	RUN(nntp_parse);
	RUN(nntp_two_digit_year);
	RUN(nntp_garbage);
	RUN(nntp_format);
}
