/*
 * fuzz_date.c: libFuzzer target for proto/date.c.  The whole input is tried
 * as an RFC 5322 §3.3 date-time; it is also split at its first blank into
 * the date and time arguments of NEWNEWS/NEWGROUPS (RFC 3977 §7.3.2), with
 * "now" taken from the first input bytes.
 *
 * Invariants: a parsed RFC 5322 value formatted with date_format_rfc5322
 * parses back to the same time, and formats to the same text again; a parsed
 * NNTP value formatted with date_format_nntp (yyyymmddhhmmss) parses back to
 * the same time through date_parse_nntp; formatting never overruns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/moot.h"
#include "../../proto/date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

/* Format t both ways and check each parses back to t. */
static void round_trip(int64_t t, int64_t now)
{
	char out[64], again[64], d[16], h[16];
	int64_t u = 0;

	memset(out, 0x55, sizeof(out));
	date_format_rfc5322(t, out, 40);
	REQUIRE(memchr(out, '\0', 40) != NULL);
	REQUIRE(date_parse_rfc5322(out, strlen(out), &u) == 0);
	REQUIRE(u == t);
	date_format_rfc5322(u, again, sizeof(again));
	REQUIRE(strcmp(out, again) == 0);

	date_format_nntp(t, out, 15);
	REQUIRE(strlen(out) == 14);
	memcpy(d, out, 8);
	d[8] = '\0';
	memcpy(h, out + 8, 6);
	h[6] = '\0';
	u = 0;
	REQUIRE(date_parse_nntp(d, h, now, &u) == 0);
	REQUIRE(u == t);
}

/* Parse the input both ways and round-trip what parses. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], *sp;
	int64_t t = 0, now = 1795000000;	/* late 2026 */
	size_t i;

	if (size >= sizeof(s))
		return 0;
	if (date_parse_rfc5322((const char *)data, size, &t) == 0)
		round_trip(t, now);

	/* The same bytes as NEWNEWS "date time" with a now from the input. */
	memcpy(s, data, size);
	s[size] = '\0';
	if (size >= 4) {
		int64_t k = 0;
		for (i = 0; i < 4; i++)
			k = k << 8 | data[i];
		/* Anywhere from 1970 to about 2106. */
		now = k;
	}
	sp = strchr(s, ' ');
	if (sp) {
		*sp = '\0';
		t = 0;
		if (date_parse_nntp(s, sp + 1, now, &t) == 0)
			round_trip(t, now);
		if (date_parse_nntp(s, sp + 1, 1795000000, &t) == 0)
			round_trip(t, 1795000000);
	}
	return 0;
}
