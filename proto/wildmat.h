/*
 * wildmat.h: RFC 3977 §4 wildmat matching.
 *
 * A wildmat is a comma-separated list of patterns, each optionally negated by
 * '!'; '*' matches any sequence, '?' any one character (a UTF-8 character, not
 * a byte), '[...]' is not part of RFC 3977 wildmat but INN accepts it: we
 * accept character classes too, with '^' or '!' negation and ranges.  The
 * rightmost pattern that matches decides: match if it is not negated.
 * '\' escapes the next character.
 */
#ifndef WILDMAT_H
#define WILDMAT_H

/* 1 if text matches the wildmat, 0 if not. */
int wildmat_match(const char *wildmat, const char *text);

/* 0 if the wildmat is syntactically valid, MOOT_EPROTO otherwise. */
int wildmat_valid(const char *wildmat);

#endif
