/*
 * wildmat.c: RFC 3977 §4 wildmat matching, plus INN-style '[...]' classes
 * and '\' escapes.
 *
 * A wildmat is split on top-level commas (not inside a class, not escaped)
 * into patterns; the rightmost pattern that matches decides (§4.2).  Each
 * pattern is matched with the classic iterative two-pointer algorithm: every
 * item other than '*' consumes exactly one character, so on a mismatch it is
 * enough to retry from the most recent '*' with one more character swallowed.
 * That bounds the cost by O(pattern * text) with no recursion, whatever a
 * client sends ("*a*a*a*a*...b" cannot blow up).
 *
 * Characters are UTF-8 (RFC 3977 §4.1): '?' and class members are whole
 * code points.  A byte that does not start a well-formed sequence counts as
 * one character of its own, distinct from every code point, so matching
 * stays total on bad input.  When matching, an unterminated '[', a trailing
 * '\', and the '!' or ']' RFC 3977 does not allow inside a pattern stand for
 * themselves (as in INN, so an XPAT for "*wow!*" works); wildmat_valid
 * rejects all of them.
 */
#include <assert.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "moot.h"
#include "wildmat.h"

/* Invalid bytes decode to INVALID_BASE + byte: above every Unicode code point. */
#define INVALID_BASE 0x110000u

/*
 * Decode the UTF-8 character at s (NUL-terminated) into *cp and return its
 * length in bytes (>= 1 unless *s is NUL, then 0).  Overlong forms,
 * surrogates and truncated sequences decode as one invalid byte.
 */
static size_t utf8_decode(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c, min;
	size_t n, i;

	if (u[0] == 0) {
		*cp = 0;
		return 0;
	}
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2; c = u[0] & 0x1f; min = 0x80;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3; c = u[0] & 0x0f; min = 0x800;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4; c = u[0] & 0x07; min = 0x10000;
	} else {
		goto invalid;
	}
	for (i = 1; i < n; i++) {
		/* Stops at the NUL too, which is not a continuation byte. */
		if ((u[i] & 0xc0) != 0x80)
			goto invalid;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto invalid;
	*cp = c;
	return n;
invalid:
	*cp = INVALID_BASE + u[0];
	return 1;
}

/*
 * Decode one possibly escaped character at p, before end: '\' followed by a
 * character stands for that character; a '\' at end stands for itself.
 * Returns the bytes used (0 only when p == end).
 */
static size_t pattern_char(const char *p, const char *end, uint32_t *cp)
{
	size_t n;

	if (p >= end) {
		*cp = 0;
		return 0;
	}
	if (*p == '\\' && p + 1 < end) {
		n = utf8_decode(p + 1, cp);
		/* Never let a multi-byte character straddle the pattern's end. */
		if (p + 1 + n > end) {
			*cp = INVALID_BASE + (unsigned char)p[1];
			n = 1;
		}
		return 1 + n;
	}
	n = utf8_decode(p, cp);
	if (p + n > end) {
		*cp = INVALID_BASE + (unsigned char)*p;
		n = 1;
	}
	return n;
}

/*
 * If p (< end) opens a class "[...]" that is closed before end, return the
 * pointer just past its ']'; else NULL.  A ']' right after '[' or after the
 * negation '^'/'!' is a member, not the end; '\' escapes the next byte.
 */
static const char *class_end(const char *p, const char *end)
{
	assert(p < end && *p == '[');
	p++;
	if (p < end && (*p == '^' || *p == '!'))
		p++;
	if (p < end && *p == ']')
		p++;
	while (p < end) {
		if (*p == ']')
			return p + 1;
		if (*p == '\\' && p + 1 < end)
			p++;
		p++;
	}
	return NULL;
}

/*
 * 1 if code point c is in the class p[0..end) (p at '[', end past ']'),
 * honouring negation and ranges "a-z".  A '-' first or last is a member.
 */
static int class_match(const char *p, const char *end, uint32_t c)
{
	uint32_t lo, hi;
	int negate = 0, found = 0, first = 1;
	size_t n;

	p++;		/* '[' */
	end--;		/* ']' */
	if (p < end && (*p == '^' || *p == '!')) {
		negate = 1;
		p++;
	}
	while (p < end) {
		if (*p == ']' && first) {
			lo = ']';
			n = 1;
		} else {
			n = pattern_char(p, end, &lo);
		}
		first = 0;
		p += n;
		hi = lo;
		if (p + 1 < end && *p == '-') {
			n = pattern_char(p + 1, end, &hi);
			p += 1 + n;
		}
		if (c >= lo && c <= hi)
			found = 1;
	}
	return found != negate;
}

/*
 * Where a wildmat's patterns are.  Once one '[' at top level is found
 * unterminated, every later top-level '[' is unterminated too (the scans
 * agree on which bytes are escaped), so open_from lets us stop looking for
 * a closing ']' and keeps "[[[[[..." linear instead of quadratic.
 */
struct scan {
	const char *wend;	/* the wildmat's terminating NUL */
	const char *open_from;	/* first unterminated '[', or NULL */
};

/* Past the class opening at p (a '[' before end), or NULL if it is literal. */
static const char *class_at(struct scan *sc, const char *p, const char *end)
{
	const char *e;

	if (sc->open_from != NULL && p >= sc->open_from)
		return NULL;
	e = class_end(p, end);
	if (e == NULL && end == sc->wend)
		sc->open_from = p;
	return e;
}

/*
 * Match one item of the pattern at *pp (not '*', before end) against the
 * character at *tp.  On success advance both and return 1; else return 0.
 */
static int item_match(struct scan *sc, const char **pp, const char *end, const char **tp)
{
	const char *p = *pp, *cend;
	uint32_t pc, tc;
	size_t pn, tn;

	tn = utf8_decode(*tp, &tc);
	if (tn == 0)
		return 0;
	if (*p == '?') {
		pn = 1;
	} else if (*p == '[' && (cend = class_at(sc, p, end)) != NULL) {
		if (!class_match(p, cend, tc))
			return 0;
		pn = (size_t)(cend - p);
	} else {
		pn = pattern_char(p, end, &pc);
		if (pc != tc)
			return 0;
	}
	*pp = p + pn;
	*tp += tn;
	return 1;
}

/* 1 if the whole of text matches the single pattern p[0..end) (no commas, no '!'). */
static int pattern_match(struct scan *sc, const char *p, const char *end, const char *text)
{
	const char *t = text, *star_p = NULL, *star_t = NULL;
	uint32_t c;

	for (;;) {
		if (p < end && *p == '*') {
			while (p < end && *p == '*')
				p++;
			if (p == end)
				return 1;
			star_p = p;
			star_t = t;
			continue;
		}
		if (*t == '\0')
			return p == end;	/* a '*' was consumed above */
		if (p < end && item_match(sc, &p, end, &t))
			continue;
		/* Mismatch: let the last '*' swallow one more character. */
		if (star_p == NULL)
			return 0;
		star_t += utf8_decode(star_t, &c);
		if (*star_t == '\0')
			return 0;	/* star_p < end needs at least one more */
		p = star_p;
		t = star_t;
	}
}

/*
 * End of the pattern starting at p: the next top-level ',' or the NUL.
 * Commas inside a closed class or after '\' do not count.
 */
static const char *pattern_end(struct scan *sc, const char *p)
{
	const char *e;

	while (*p != '\0' && *p != ',') {
		if (*p == '\\' && p[1] != '\0') {
			p += 2;
		} else if (*p == '[') {
			e = class_at(sc, p, sc->wend);
			p = e ? e : p + 1;
		} else {
			p++;
		}
	}
	return p;
}

/*
 * 1 if text matches the wildmat, 0 if not (RFC 3977 §4.2: the rightmost
 * matching pattern decides, a '!' pattern rejects; no match rejects).
 * A pattern is only tried when it could change the result so far.
 */
int wildmat_match(const char *wildmat, const char *text)
{
	struct scan sc = { wildmat + strlen(wildmat), NULL };
	const char *p = wildmat, *end;
	int result = 0, negate;

	assert(text != NULL);
	for (;;) {
		negate = 0;
		if (*p == '!') {
			negate = 1;
			p++;
		}
		end = pattern_end(&sc, p);
		if (result == negate && pattern_match(&sc, p, end, text))
			result = !negate;
		if (*end == '\0')
			return result;
		p = end + 1;
	}
}

/* RFC 3977 §4.1 wildmat-exact for ASCII: printable, not one of ! * , ? [ \ ]. */
static int is_exact_ascii(unsigned char c)
{
	if (c < 0x22 || c > 0x7e)
		return 0;
	return c != '*' && c != ',' && c != '?' && c != '[' && c != '\\' && c != ']';
}

/*
 * Bytes of the character at p (before end) if it is printable ASCII other
 * than space or well-formed UTF-8 ending before end; 0 otherwise.
 */
static size_t valid_char(const char *p, const char *end)
{
	uint32_t c;
	size_t n;

	if ((unsigned char)*p < 0x80)
		return ((unsigned char)*p > 0x20 && *p != 0x7f) ? 1 : 0;
	n = utf8_decode(p, &c);
	if (c >= INVALID_BASE || p + n > end)
		return 0;
	return n;
}

/* 0 if p[0..end) is one valid pattern (non-empty, RFC 3977 §4.1 plus classes/escapes). */
static int pattern_valid(const char *p, const char *end)
{
	const char *cend;
	size_t n;

	if (p == end)
		return MOOT_EPROTO;
	while (p < end) {
		unsigned char u = (unsigned char)*p;

		if (u == '*' || u == '?') {
			p++;
		} else if (u == '[') {
			/* Must close; a closed class always holds a member. */
			cend = class_end(p, end);
			if (cend == NULL)
				return MOOT_EPROTO;
			for (p++; p < cend; p += n)
				if ((n = valid_char(p, cend)) == 0)
					return MOOT_EPROTO;
		} else if (u == '\\') {
			if (p + 1 >= end || (n = valid_char(p + 1, end)) == 0)
				return MOOT_EPROTO;
			p += 1 + n;
		} else if (u < 0x80) {
			if (!is_exact_ascii(u))
				return MOOT_EPROTO;
			p++;
		} else {
			if ((n = valid_char(p, end)) == 0)
				return MOOT_EPROTO;
			p += n;
		}
	}
	return 0;
}

/* 0 if the wildmat is syntactically valid (RFC 3977 §4.1), MOOT_EPROTO if not. */
int wildmat_valid(const char *wildmat)
{
	struct scan sc = { wildmat + strlen(wildmat), NULL };
	const char *p = wildmat, *end;

	for (;;) {
		if (*p == '!')
			p++;
		end = pattern_end(&sc, p);
		if (pattern_valid(p, end) < 0)
			return MOOT_EPROTO;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}
