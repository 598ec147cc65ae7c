/*
 * fuzz_wildmat.c: libFuzzer target for RFC 3977 §4 wildmats.  The input is
 * split at its first NUL byte (or newline when there is none) into a wildmat
 * and a text; both are bounded like the daemon bounds them (a command line
 * is at most 512 octets, RFC 3977 §3.1), and libFuzzer's -timeout catches
 * any super-linear blow-up.
 *
 * Invariants: wildmat_match returns 0 or 1; "*" matches every text; a
 * wildmat without metacharacters matches exactly its own text; for a valid
 * single pattern P (no comma, no leading '!'), "P,!P" never matches and
 * "!P,P" matches exactly when P does (the rightmost match decides, §4.2).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/moot.h"
#include "../../proto/wildmat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)
#define MAX_PART 1024

/* Match one wildmat against one text and check the invariants. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char pat[MAX_PART + 1], text[MAX_PART + 1], combo[2 * MAX_PART + 4];
	const uint8_t *sep;
	size_t plen, tlen;
	int m, v;

	sep = memchr(data, '\0', size);
	if (sep == NULL)
		sep = memchr(data, '\n', size);
	plen = sep ? (size_t)(sep - data) : size;
	tlen = sep ? size - plen - 1 : 0;
	if (plen > MAX_PART || tlen > MAX_PART)
		return 0;
	memcpy(pat, data, plen);
	pat[plen] = '\0';
	if (sep)
		memcpy(text, sep + 1, tlen);
	text[tlen] = '\0';
	/* The text is a C string: it ends at an embedded NUL. */
	tlen = strlen(text);

	m = wildmat_match(pat, text);
	REQUIRE(m == 0 || m == 1);
	v = wildmat_valid(pat);
	REQUIRE(v == 0 || v == MOOT_EPROTO);
	/* Match the text against itself as a wildmat too. */
	m = wildmat_match(text, pat);
	REQUIRE(m == 0 || m == 1);
	(void)wildmat_valid(text);

	REQUIRE(wildmat_match("*", text) == 1);
	if (strpbrk(pat, "*?[]\\,!") == NULL)
		REQUIRE(wildmat_match(pat, text) == (strcmp(pat, text) == 0));

	if (v == 0 && pat[0] != '!' && strpbrk(pat, ",\\") == NULL && plen > 0) {
		m = wildmat_match(pat, text);
		snprintf(combo, sizeof(combo), "%s,!%s", pat, pat);
		REQUIRE(wildmat_valid(combo) == 0);
		REQUIRE(wildmat_match(combo, text) == 0);
		snprintf(combo, sizeof(combo), "!%s,%s", pat, pat);
		REQUIRE(wildmat_match(combo, text) == m);
	}
	return 0;
}
