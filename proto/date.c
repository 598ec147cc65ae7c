/*
 * date.c: dates on the wire, both ways, with no locale and no time zone
 * database: RFC 5322 §3.3 date-times (with the obsolete syntax of §4.3 that
 * RFC 5536 §3.1.1 asks news readers to accept) and the NEWNEWS/NEWGROUPS and
 * DATE forms of RFC 3977 §7.
 *
 * Calendar arithmetic is Howard Hinnant's days_from_civil/civil_from_days
 * (proleptic Gregorian, exact for every int64 day count we can reach), so
 * the functions are pure: no mktime, no TZ, no static buffers.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "moot.h"
#include "date.h"

static const char day_names[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char month_names[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;					/* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;	/* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;		/* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* The date of day z since 1970-01-01, inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Gregorian leap year: every 4th, except centuries not divisible by 400. */
static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Length of month m (1..12) of year y. */
static int days_in_month(int64_t y, int m)
{
	static const unsigned char dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	assert(m >= 1 && m <= 12);
	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/*
 * Seconds since the epoch for a validated UTC date and time; MOOT_EPROTO
 * when a field is out of range (second 60 is a leap second, RFC 5322 §3.3).
 */
static int make_time(int64_t y, int mon, int d, int h, int min, int s, int64_t *t)
{
	if (mon < 1 || mon > 12 || d < 1 || d > days_in_month(y, mon))
		return MOOT_EPROTO;
	if (h < 0 || h > 23 || min < 0 || min > 59 || s < 0 || s > 60)
		return MOOT_EPROTO;
	*t = days_from_civil(y, mon, d) * 86400 + h * 3600 + min * 60 + s;
	return 0;
}

/* The range every parsed time must fall in, after its zone is applied, so
 * that it formats back to a 4-digit year: 1900-01-01 to 9999-12-31 23:59:59. */
#define DATE_MIN (-2208988800LL)
#define DATE_MAX (253402300799LL)

static int in_range(int64_t t)
{
	return t >= DATE_MIN && t <= DATE_MAX;
}

/* Floor division of t by 86400 into days and seconds of the day. */
static void split_time(int64_t t, int64_t *days, int *secs)
{
	int64_t r = t % 86400;

	*days = t / 86400;
	if (r < 0) {
		r += 86400;
		(*days)--;
	}
	*secs = (int)r;
}

/* A cursor over the bytes of an RFC 5322 date. */
struct lex {
	const char *p;		/* next byte */
	const char *end;	/* one past the last byte */
};

/*
 * Skip CFWS (RFC 5322 §3.2.2): spaces, tabs, CR, LF and comments, which
 * nest and may hold quoted-pairs.  MOOT_EPROTO for an unclosed comment.
 */
static int skip_cfws(struct lex *lx)
{
	size_t depth;

	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			lx->p++;
			continue;
		}
		if (c != '(')
			break;
		depth = 0;
		do {
			c = *lx->p++;
			if (c == '\\' && lx->p < lx->end)
				lx->p++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} while (depth > 0 && lx->p < lx->end);
		if (depth > 0)
			return MOOT_EPROTO;
	}
	return 0;
}

/* Read 1..maxd digits as a number; returns the digit count, 0 if none. */
static int read_num(struct lex *lx, int maxd, int *val)
{
	int n = 0, v = 0;

	while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
		if (n == maxd)
			return 0;	/* too many digits: not a field we know */
		v = v * 10 + (*lx->p - '0');
		lx->p++;
		n++;
	}
	*val = v;
	return n;
}

/* ASCII letter, whatever the locale. */
static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Read a run of ASCII letters into word (NUL-terminated, at most cap - 1
 * letters); returns its length, 0 if there is none or it is too long.
 */
static size_t read_word(struct lex *lx, char *word, size_t cap)
{
	size_t n = 0;

	while (lx->p < lx->end && is_alpha(*lx->p)) {
		if (n + 1 >= cap)
			return 0;
		word[n++] = *lx->p++;
	}
	word[n] = '\0';
	return n;
}

/* Index of word in names (ASCII case-insensitive, RFC 5234 §2.3), or -1. */
static int find_name(const char *word, const char (*names)[4], int count)
{
	int i;

	for (i = 0; i < count; i++)
		if ((word[0] | 0x20) == (names[i][0] | 0x20) && strcasecmp(word, names[i]) == 0)
			return i;
	return -1;
}

/*
 * Offset in minutes east of UTC for an alphabetic zone (RFC 5322 §4.3).
 * Known North American zones have their offsets; UT, GMT, the military
 * letters and any other name of up to five letters mean "unknown", which
 * RFC 5322 §4.3 says to treat as -0000, i.e. UTC.
 */
static int alpha_zone(const char *word)
{
	static const struct {
		const char *name;
		int minutes;
	} zones[] = {
		{ "UT", 0 }, { "GMT", 0 },
		{ "EST", -5 * 60 }, { "EDT", -4 * 60 },
		{ "CST", -6 * 60 }, { "CDT", -5 * 60 },
		{ "MST", -7 * 60 }, { "MDT", -6 * 60 },
		{ "PST", -8 * 60 }, { "PDT", -7 * 60 },
	};
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(zones); i++)
		if (strcasecmp(word, zones[i].name) == 0)
			return zones[i].minutes;
	return 0;
}

/*
 * Parse the zone at lx: "+hhmm"/"-hhmm" (mm < 60) or an alphabetic
 * obs-zone of one to five letters.  Sets *minutes east of UTC.
 */
static int parse_zone(struct lex *lx, int *minutes)
{
	char word[8];
	int sign, v;

	if (lx->p < lx->end && (*lx->p == '+' || *lx->p == '-')) {
		sign = *lx->p == '-' ? -1 : 1;
		lx->p++;
		if (read_num(lx, 4, &v) != 4 || v % 100 > 59)
			return MOOT_EPROTO;
		*minutes = sign * ((v / 100) * 60 + v % 100);
		return 0;
	}
	if (read_word(lx, word, 6) == 0)
		return MOOT_EPROTO;
	*minutes = alpha_zone(word);
	return 0;
}

/*
 * Parse an RFC 5322 §3.3 date-time from s[0..len) (no NUL needed):
 * [day-of-week ","] day month year hour ":" minute [":" second] zone,
 * with CFWS anywhere between tokens, and the §4.3 obsolete forms: 2-digit
 * years (< 50 is 20xx, else 19xx), 3-digit years (+1900), alphabetic zones.
 * Four-digit years below 1900 are refused, as §3.3 requires.  Month and day
 * names are matched without regard to case; the day name, when given, is
 * checked to be a day name but not against the date.  Returns 0 and sets
 * *t, or MOOT_EPROTO with *t untouched.
 */
int date_parse_rfc5322(const char *s, size_t len, int64_t *t)
{
	struct lex lx = { s, s + len };
	char word[8];
	int day, mon, year, h, min, sec = 0, zone, nd;
	int64_t y, when;

	if (skip_cfws(&lx) < 0)
		return MOOT_EPROTO;
	if (lx.p < lx.end && !(*lx.p >= '0' && *lx.p <= '9')) {
		if (read_word(&lx, word, sizeof(word)) != 3 || find_name(word, day_names, 7) < 0)
			return MOOT_EPROTO;
		if (skip_cfws(&lx) < 0)
			return MOOT_EPROTO;
		/* The comma is required by §3.3; some old software left it out. */
		if (lx.p < lx.end && *lx.p == ',')
			lx.p++;
		if (skip_cfws(&lx) < 0)
			return MOOT_EPROTO;
	}
	if (read_num(&lx, 2, &day) == 0 || skip_cfws(&lx) < 0)
		return MOOT_EPROTO;
	if (read_word(&lx, word, sizeof(word)) != 3 || (mon = find_name(word, month_names, 12)) < 0)
		return MOOT_EPROTO;
	if (skip_cfws(&lx) < 0)
		return MOOT_EPROTO;
	nd = read_num(&lx, 4, &year);
	if (nd < 2)
		return MOOT_EPROTO;
	/* RFC 5322 §4.3: the obsolete 2- and 3-digit years. */
	if (nd == 2)
		y = year < 50 ? 2000 + year : 1900 + year;
	else if (nd == 3)
		y = 1900 + year;
	else if (year < 1900)
		return MOOT_EPROTO;
	else
		y = year;
	if (skip_cfws(&lx) < 0 || read_num(&lx, 2, &h) == 0 || skip_cfws(&lx) < 0)
		return MOOT_EPROTO;
	if (lx.p >= lx.end || *lx.p != ':')
		return MOOT_EPROTO;
	lx.p++;
	if (skip_cfws(&lx) < 0 || read_num(&lx, 2, &min) != 2 || skip_cfws(&lx) < 0)
		return MOOT_EPROTO;
	if (lx.p < lx.end && *lx.p == ':') {
		lx.p++;
		if (skip_cfws(&lx) < 0 || read_num(&lx, 2, &sec) != 2 || skip_cfws(&lx) < 0)
			return MOOT_EPROTO;
	}
	if (parse_zone(&lx, &zone) < 0 || skip_cfws(&lx) < 0 || lx.p != lx.end)
		return MOOT_EPROTO;
	if (make_time(y, mon + 1, day, h, min, sec, &when) < 0)
		return MOOT_EPROTO;
	/* The local time is zone minutes ahead of UTC (RFC 5322 §3.3). */
	when -= (int64_t)zone * 60;
	if (!in_range(when))
		return MOOT_EPROTO;
	*t = when;
	return 0;
}

/*
 * Format t as "Wed, 25 Nov 2026 12:01:34 +0000" (RFC 5322 §3.3, always UTC,
 * English names whatever the locale) into out; truncated to fit outlen.
 */
void date_format_rfc5322(int64_t t, char *out, size_t outlen)
{
	int64_t days, y;
	int secs, m, d, wd;

	if (outlen == 0)
		return;
	split_time(t, &days, &secs);
	civil_from_days(days, &y, &m, &d);
	/* 1970-01-01 was a Thursday. */
	wd = (int)(((days % 7) + 7 + 4) % 7);
	snprintf(out, outlen, "%s, %d %s %04lld %02d:%02d:%02d +0000",
		 day_names[wd], d, month_names[m - 1], (long long)y,
		 secs / 3600, secs / 60 % 60, secs % 60);
}

/* 1 if s is exactly n ASCII digits. */
static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[n] == '\0';
}

/* The value of the two digits at s. */
static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/*
 * Parse NEWNEWS/NEWGROUPS date and time (RFC 3977 §7.3.2): date is
 * yyyymmdd (yyyy >= 1900) or yymmdd, time hhmmss, both in UTC.  For yymmdd,
 * RFC 3977 §7.3.2 says the year is in the current century if yy is smaller
 * than or equal to the current year's last two digits, else in the previous
 * century; "current" is the year of now.  Returns 0 and sets *t, or
 * MOOT_EPROTO (wrong length, non-digit, or a field out of range).
 */
int date_parse_nntp(const char *date, const char *time, int64_t now, int64_t *t)
{
	int64_t y, days, cur_year, century, when;
	int mon, d, secs;
	size_t dlen;

	if (date == NULL || time == NULL)
		return MOOT_EPROTO;
	dlen = strnlen(date, 9);
	if ((dlen != 8 && dlen != 6) || !all_digits(date, dlen))
		return MOOT_EPROTO;
	if (strnlen(time, 7) != 6 || !all_digits(time, 6))
		return MOOT_EPROTO;
	if (dlen == 8) {
		y = two(date) * 100 + two(date + 2);
		if (y < 1900)
			return MOOT_EPROTO;
		date += 4;
	} else {
		split_time(now, &days, &secs);
		civil_from_days(days, &cur_year, &mon, &d);
		century = cur_year - cur_year % 100;
		y = two(date);
		y += y <= cur_year % 100 ? century : century - 100;
		date += 2;
	}
	if (make_time(y, two(date), two(date + 2), two(time), two(time + 2), two(time + 4), &when) != 0 ||
	    !in_range(when))
		return MOOT_EPROTO;
	*t = when;
	return 0;
}

/* Format t as "yyyymmddhhmmss" (RFC 3977 §7.1) into out; truncated to fit outlen. */
void date_format_nntp(int64_t t, char *out, size_t outlen)
{
	int64_t days, y;
	int secs, m, d;

	if (outlen == 0)
		return;
	split_time(t, &days, &secs);
	civil_from_days(days, &y, &m, &d);
	snprintf(out, outlen, "%04lld%02d%02d%02d%02d%02d", (long long)y, m, d,
		 secs / 3600, secs / 60 % 60, secs % 60);
}
