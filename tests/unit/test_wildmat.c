/* Unit tests for proto/wildmat.c: RFC 3977 §4 wildmats, classes, escapes, cost. */
#include <stdlib.h>
#include <time.h>

#include "test.h"
#include "../../proto/moot.h"
#include "../../proto/wildmat.h"

/* "$@" of RFC 3977 §4.4: the UTF-8 encoding of the pound sign. */
#define POUND "\xc2\xa3"

/* RFC 3977 §4.4, every row of the table, with strings in and out. */
static void rfc_examples(void)
{
	CHECK(wildmat_match("abc", "abc"));
	CHECK(!wildmat_match("abc", "abcd"));
	CHECK(!wildmat_match("abc", "ab"));
	CHECK(!wildmat_match("abc", "ABC"));

	CHECK(wildmat_match("abc,def", "abc"));
	CHECK(wildmat_match("abc,def", "def"));
	CHECK(!wildmat_match("abc,def", "abc,def"));

	CHECK(wildmat_match(POUND, POUND));
	CHECK(!wildmat_match(POUND, "\xc2"));
	CHECK(wildmat_match("?", POUND));	/* one character, two octets */
	CHECK(!wildmat_match("??", POUND));

	CHECK(wildmat_match("a*", "a"));
	CHECK(wildmat_match("a*", "apple"));
	CHECK(!wildmat_match("a*", "banana"));

	CHECK(wildmat_match("a*b", "ab"));
	CHECK(wildmat_match("a*b", "acb"));
	CHECK(!wildmat_match("a*b", "abc"));

	CHECK(wildmat_match("a*,*b", "apple"));
	CHECK(wildmat_match("a*,*b", "rhubarb"));
	CHECK(!wildmat_match("a*,*b", "carrot"));

	CHECK(wildmat_match("a*,!*b", "apple"));
	CHECK(!wildmat_match("a*,!*b", "ab"));
	CHECK(!wildmat_match("a*,!*b", "curb"));

	CHECK(wildmat_match("a*,!*b,c*", "apple"));
	CHECK(!wildmat_match("a*,!*b,c*", "anub"));
	CHECK(wildmat_match("a*,!*b,c*", "cabal"));
	CHECK(wildmat_match("a*,!*b,c*", "curb"));
	CHECK(!wildmat_match("a*,!*b,c*", "zzz"));

	CHECK(wildmat_match("a*,c*,!*b", "apple"));
	CHECK(wildmat_match("a*,c*,!*b", "carrot"));
	CHECK(!wildmat_match("a*,c*,!*b", "appleb"));
	CHECK(!wildmat_match("a*,c*,!*b", "curb"));

	CHECK(wildmat_match("?a*", "bat"));
	CHECK(wildmat_match("?a*", POUND "a"));
	CHECK(!wildmat_match("?a*", "dead"));
	CHECK(!wildmat_match("?a*", "a"));

	CHECK(wildmat_match("??a*", "dead"));
	CHECK(!wildmat_match("??a*", "bat"));

	CHECK(wildmat_match("*a?", "dead"));
	CHECK(wildmat_match("*a?", "a" POUND));
	CHECK(!wildmat_match("*a?", "data"));

	CHECK(wildmat_match("*a??", "beard"));
	CHECK(!wildmat_match("*a??", "dead"));
}

/* The wildmats servers meet every day. */
static void everyday(void)
{
	CHECK(wildmat_match("*", ""));
	CHECK(wildmat_match("*", "comp.lang.c"));
	CHECK(!wildmat_match("!*", "comp.lang.c"));
	CHECK(!wildmat_match("!*", ""));
	CHECK(wildmat_match("a*,!a.b*", "a.c"));
	CHECK(wildmat_match("a*,!a.b*", "abc"));
	CHECK(!wildmat_match("a*,!a.b*", "a.b"));
	CHECK(!wildmat_match("a*,!a.b*", "a.b.c"));
	CHECK(!wildmat_match("a*,!a.b*", "b"));
	CHECK(wildmat_match("*,!alt.*,alt.good", "alt.good"));
	CHECK(!wildmat_match("*,!alt.*,alt.good", "alt.bad"));
	CHECK(wildmat_match("*,!alt.*,alt.good", "comp.x"));
	CHECK(wildmat_match("comp.*", "comp.lang.c"));
	CHECK(!wildmat_match("comp.*", "comp"));
	CHECK(wildmat_match("**a**", "bab"));
	CHECK(wildmat_match("", ""));
	CHECK(!wildmat_match("", "a"));
	CHECK(!wildmat_match("?", ""));
	CHECK(wildmat_match("*?*", "x"));
	CHECK(!wildmat_match("*?*", ""));
}

/* '[...]' classes, ranges, negation, and ',' inside a class. */
static void classes(void)
{
	CHECK(wildmat_match("[abc]", "b"));
	CHECK(!wildmat_match("[abc]", "d"));
	CHECK(!wildmat_match("[abc]", "ab"));
	CHECK(wildmat_match("file[0-9]", "file7"));
	CHECK(!wildmat_match("file[0-9]", "filex"));
	CHECK(wildmat_match("[^0-9]*", "x1"));
	CHECK(!wildmat_match("[^0-9]*", "1x"));
	CHECK(wildmat_match("[!a]", "b"));
	CHECK(!wildmat_match("[!a]", "a"));
	CHECK(wildmat_match("[]]", "]"));
	CHECK(wildmat_match("[^]]", "a"));
	CHECK(!wildmat_match("[^]]", "]"));
	CHECK(wildmat_match("[a-]", "-"));
	CHECK(wildmat_match("[,]x", ",x"));	/* the comma does not split */
	CHECK(wildmat_match("[a,b]", ","));
	CHECK(!wildmat_match("[a,b]", "a,b"));
	CHECK(wildmat_match("[" POUND "]", POUND));	/* members are characters */
	CHECK(!wildmat_match("[" POUND "]", "\xa3"));
	CHECK(wildmat_match("[^a]", POUND));
	CHECK(wildmat_match("[\\]]", "]"));
	/* Unterminated classes stand for themselves (and are invalid). */
	CHECK(!wildmat_match("foo[a-", "foobar"));
	CHECK(!wildmat_match("foo[", "foobar"));
	CHECK(wildmat_match("foo[", "foo["));
	CHECK(wildmat_match("a[,b", "b"));	/* "a[" and "b" */
}

/* '\' escapes the next character; a trailing '\' is literal. */
static void escapes(void)
{
	CHECK(wildmat_match("a\\*", "a*"));
	CHECK(!wildmat_match("a\\*", "ab"));
	CHECK(wildmat_match("a\\,b", "a,b"));
	CHECK(!wildmat_match("a\\,b", "a"));
	CHECK(wildmat_match("\\!x", "!x"));
	CHECK(wildmat_match("a\\", "a\\"));
	CHECK(wildmat_match("\\" POUND, POUND));
	/* '!' inside a pattern is an ordinary character when matching. */
	CHECK(wildmat_match("*wow!*", "say wow!!"));
}

/* Bad UTF-8 in the text never matches more than its bytes and never crashes. */
static void bad_utf8(void)
{
	CHECK(wildmat_match("?", "\xff"));
	CHECK(wildmat_match("??", "\xc2\x41"));	/* truncated sequence: two characters */
	CHECK(wildmat_match("?", "\xe2\x82\xac"));	/* the euro sign */
	CHECK(!wildmat_match("?", "\xe2\x82"));
	CHECK(wildmat_match("*\xa3", "\xc2\xa3") == 0);	/* no match in mid-character */
	CHECK(wildmat_match("*", "\xf0\x9f"));
}

/* Adversarial patterns run in bounded time: no exponential backtracking. */
static void no_blowup(void)
{
	char pat[512], text[4001], *brackets;
	clock_t start;
	size_t i;
	int r;

	for (i = 0; i + 2 < sizeof(pat); i += 2) {
		pat[i] = '*';
		pat[i + 1] = 'a';
	}
	pat[i] = 'b';
	pat[i + 1] = '\0';
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	start = clock();
	r = wildmat_match(pat, text);
	CHECK(!r);
	/* Many unterminated '[': linear, not quadratic (4e9 steps if it were). */
	brackets = malloc(20001);
	CHECK(brackets != NULL);
	if (brackets != NULL) {
		memset(brackets, '[', 20000);
		brackets[20000] = '\0';
		for (i = 0; i < 20; i++)
			r |= wildmat_match(brackets, "x");
		CHECK(!r);
		CHECK_INT(wildmat_valid(brackets), MOOT_EPROTO);
		free(brackets);
	}
	for (i = 0; i + 2 < sizeof(pat); i += 2) {
		pat[i] = '*';
		pat[i + 1] = ',';
	}
	pat[sizeof(pat) - 2] = 'x';	/* "*,*,...,*,x" */
	pat[sizeof(pat) - 1] = '\0';
	for (i = 0; i < 1000; i++)
		r |= !wildmat_match(pat, text);
	CHECK(!r);
	CHECK((double)(clock() - start) / CLOCKS_PER_SEC < 2.0);
}

/* wildmat_valid follows RFC 3977 §4.1 plus classes and escapes. */
static void validity(void)
{
	CHECK_INT(wildmat_valid("*"), 0);
	CHECK_INT(wildmat_valid("!*"), 0);
	CHECK_INT(wildmat_valid("a*,!a.b*"), 0);
	CHECK_INT(wildmat_valid("a*,!*b,c*"), 0);
	CHECK_INT(wildmat_valid("comp.lang.[a-z]*"), 0);
	CHECK_INT(wildmat_valid("[]]"), 0);
	CHECK_INT(wildmat_valid("a\\,b"), 0);
	CHECK_INT(wildmat_valid("a\\!"), 0);
	CHECK_INT(wildmat_valid(POUND "?"), 0);
	CHECK_INT(wildmat_valid("\\" POUND), 0);

	CHECK_INT(wildmat_valid(""), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("!"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("a,"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid(",a"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("a,,b"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("a,!"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("!!a"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("a!b"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("a]"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("foo[a-"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("[]"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("[^]"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("a\\"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("a b"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("a\tb"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("a\x7f"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("\xc2"), MOOT_EPROTO);
	CHECK_INT(wildmat_valid("\xc0\xaf"), MOOT_EPROTO);	/* overlong '/' */
	CHECK_INT(wildmat_valid("\xed\xa0\x80"), MOOT_EPROTO);	/* a surrogate */
	CHECK_INT(wildmat_valid("[\xff]"), MOOT_EPROTO);
}

void test_wildmat(void)
{
	RUN(rfc_examples);
	RUN(everyday);
	RUN(classes);
	RUN(escapes);
	RUN(bad_utf8);
	RUN(no_blowup);
	RUN(validity);
}
