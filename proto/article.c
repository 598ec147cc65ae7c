/*
 * article.c: parse and validate a news article in wire form (RFC 5536), and
 * build overview field values (RFC 3977 §8.3).
 *
 * The parser walks the header block once, line by line, and records where each
 * field, its name and its value lie in the caller's buffer; nothing is copied.
 * It is strict about the framing a server must rely on (every header line ends
 * in CRLF, no bare CR or LF, no NUL, a field name made of printable US-ASCII
 * other than ':', no header line that is still dot-stuffed) and liberal about
 * the rest (a missing space after the colon, whitespace-only continuation
 * lines, 8-bit bytes in values).  The semantic checks a server applies before
 * accepting an article (required fields, Message-ID and Newsgroups syntax) sit
 * in article_check_post and article_check_transit, separate from parsing, so a
 * reader can parse a stored article without re-validating it.
 */
#include <assert.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "moot.h"
#include "buf.h"
#include "article.h"

/* RFC 5322 §2.2: WSP is SP or HTAB. */
static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Any whitespace that may appear in a (possibly folded) value: WSP, CR, LF. */
static int is_fws(char c)
{
	return is_wsp(c) || c == '\r' || c == '\n';
}

/* RFC 5322 §2.2 ftext: printable US-ASCII except ':' (%d33-57 / %d59-126). */
static int is_ftext(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 33 && u <= 126 && u != ':';
}

/* RFC 5322 §3.2.3 atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~". */
static int is_atext(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* RFC 5536 §3.1.3 mdtext: %d33-61 / %d63-90 / %d94-126 (no '>', '[', '\', ']'). */
static int is_mdtext(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 33 && u <= 61) || (u >= 63 && u <= 90) || (u >= 94 && u <= 126);
}

/* RFC 5536 §3.1.4 component-grapheme (ASCII part): ALPHA / DIGIT / "+" / "-" / "_". */
static int is_group_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '-' || c == '_';
}

/* 1 if s[0..len) holds no character other than whitespace (and folds). */
static int blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_fws(s[i]))
			return 0;
	return 1;
}

/*
 * Find the end of the header line starting at wire[pos]: return the offset
 * just after its CRLF, or 0 with *why set when the line holds a NUL, a bare CR
 * or LF, or has no CRLF before len (RFC 5322 §2.2: CR and LF occur only
 * together, as the line end).
 */
static size_t line_end(const char *wire, size_t len, size_t pos, const char **why)
{
	const char *p = wire + pos, *end = wire + len, *cr, *stop, *lf, *nul;

	assert(pos < len);
	/* memchr scans a word at a time: a third of article_parse's time was
	 * this loop, a byte at a time. */
	cr = memchr(p, '\r', (size_t)(end - p));
	stop = cr != NULL ? cr : end;
	lf = memchr(p, '\n', (size_t)(stop - p));
	nul = memchr(p, '\0', (size_t)(stop - p));
	if (nul != NULL && (lf == NULL || nul < lf)) {
		*why = "NUL byte in headers";
		return 0;
	}
	if (lf != NULL) {
		*why = "bare LF in headers";
		return 0;
	}
	if (cr == NULL || cr + 1 == end) {
		*why = "header line without CRLF";
		return 0;
	}
	if (cr[1] != '\n') {
		*why = "bare CR in headers";
		return 0;
	}
	return (size_t)(cr - wire) + 2;
}

/* The enum article_known of the field name[0..len), compared ASCII case-insensitively, or -1. */
static int known_of(const char *name, size_t len)
{
	static const char *const names[AK_COUNT] = {
		[AK_FROM] = "From", [AK_NEWSGROUPS] = "Newsgroups", [AK_SUBJECT] = "Subject",
		[AK_MESSAGE_ID] = "Message-ID", [AK_DATE] = "Date", [AK_REFERENCES] = "References",
		[AK_PATH] = "Path", [AK_CONTROL] = "Control", [AK_SUPERSEDES] = "Supersedes",
		[AK_APPROVED] = "Approved", [AK_XREF] = "Xref",
	};
	int k = -1;
	size_t i;

	/* The length and the first letter leave at most one candidate. */
	switch (len) {
	case 4:
		switch (name[0] | 0x20) {
		case 'f': k = AK_FROM; break;
		case 'd': k = AK_DATE; break;
		case 'p': k = AK_PATH; break;
		case 'x': k = AK_XREF; break;
		}
		break;
	case 7:
		switch (name[0] | 0x20) {
		case 's': k = AK_SUBJECT; break;
		case 'c': k = AK_CONTROL; break;
		}
		break;
	case 8:
		k = AK_APPROVED;
		break;
	case 10:
		switch (name[0] | 0x20) {
		case 'n': k = AK_NEWSGROUPS; break;
		case 'm': k = AK_MESSAGE_ID; break;
		case 'r': k = AK_REFERENCES; break;
		case 's': k = AK_SUPERSEDES; break;
		}
		break;
	}
	if (k < 0)
		return -1;
	/* Every byte, letters case folded: a byte equal to a letter when ORed
	 * with 0x20 is that letter in one case or the other. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i], w = (unsigned char)names[k][i];
		if (c != w && (w == '-' || (c | 0x20) != (w | 0x20)))
			return -1;
	}
	return k;
}

/*
 * Start a new field from the line wire[pos..end) (end is after its CRLF).
 * RFC 5322 §2.2: field-name ":" value; the name is ftext only, so "Subject :"
 * and a line without a colon are both malformed.  The value starts after
 * leading WSP (a missing space after the colon is tolerated).
 */
static int start_field(struct article *a, const char *wire, size_t pos, size_t end,
		       const char **why)
{
	struct article_header *h;
	const char *p = wire + pos;
	size_t n = end - 2 - pos;	/* content without CRLF */
	size_t i, v;
	int k;

	assert(end >= pos + 2);
	if (p[0] == '.') {
		*why = "header line starts with '.'";
		return MOOT_EPROTO;
	}
	if (memchr(p, ':', n) == NULL) {
		*why = "header line without colon";
		return MOOT_EPROTO;
	}
	for (i = 0; i < n && is_ftext(p[i]); i++)
		;
	if (p[i] != ':') {
		*why = "bad character in header field name";
		return MOOT_EPROTO;
	}
	if (i == 0) {
		*why = "empty header field name";
		return MOOT_EPROTO;
	}
	if (a->nh >= ARTICLE_MAX_HEADERS) {
		*why = "too many headers";
		return MOOT_EPROTO;
	}
	for (v = i + 1; v < n && is_wsp(p[v]); v++)
		;
	h = &a->h[a->nh++];
	if ((k = known_of(p, i)) >= 0) {
		if (a->count[k] == 0)
			a->first[k] = (unsigned short)a->nh;
		if (a->count[k] < UCHAR_MAX)
			a->count[k]++;
	}
	h->name = p;
	h->name_len = i;
	h->value = p + v;
	h->value_len = n - v;
	h->line = p;
	h->line_len = end - pos;
	return 0;
}

/*
 * Extend the last field with the continuation line wire[pos..end) (RFC 5322
 * §2.2.3: a line starting with WSP continues the field above).  When the value
 * was empty so far, it starts at this line's first non-WSP byte, so leading
 * folding whitespace never counts as content.
 */
static void continue_field(struct article *a, const char *wire, size_t pos, size_t end)
{
	struct article_header *h = &a->h[a->nh - 1];
	const char *content_end = wire + end - 2;
	const char *q;

	assert(a->nh > 0 && end >= pos + 2);
	h->line_len = (size_t)(wire + end - h->line);
	if (h->value_len > 0) {
		h->value_len = (size_t)(content_end - h->value);
		return;
	}
	for (q = wire + pos; q < content_end && is_wsp(*q); q++)
		;
	h->value = q;
	h->value_len = (size_t)(content_end - q);
}

/*
 * Parse wire[0..len) into a; every pointer set points into wire.  Returns 0,
 * or MOOT_EPROTO with *why set to a static reason.  See article.h.
 */
int article_parse(const char *wire, size_t len, struct article *a, const char **why)
{
	size_t pos = 0, end;
	int rc;

	assert(wire != NULL || len == 0);
	a->nh = 0;
	memset(a->first, 0, sizeof(a->first));
	memset(a->count, 0, sizeof(a->count));
	a->head = wire;
	a->head_len = 0;
	a->body = len > 0 ? wire + len : wire;
	a->body_len = 0;
	while (pos < len) {
		if (wire[pos] == '\r' && pos + 1 < len && wire[pos + 1] == '\n') {
			/* RFC 5322 §2.1: an empty line ends the header section. */
			a->head_len = pos;
			a->body = wire + pos + 2;
			a->body_len = len - pos - 2;
			return 0;
		}
		end = line_end(wire, len, pos, why);
		if (end == 0)
			return MOOT_EPROTO;
		if (is_wsp(wire[pos])) {
			if (a->nh == 0) {
				*why = "continuation line before the first header";
				return MOOT_EPROTO;
			}
			continue_field(a, wire, pos, end);
		} else {
			rc = start_field(a, wire, pos, end, why);
			if (rc < 0)
				return rc;
		}
		pos = end;
	}
	a->head_len = len;
	return 0;
}

/* 1 if h is named name[0..n), compared case-insensitively (RFC 5322 §1.2.2). */
static int named(const struct article_header *h, const char *name, size_t n)
{
	/* Most names of one length differ in the first letter (Date, From,
	 * Path): compare it, ASCII case folded, before the call. */
	return h->name_len == n && n > 0 && (h->name[0] | 0x20) == (name[0] | 0x20) &&
	       strncasecmp(h->name, name, n) == 0;
}

int article_header_named(const struct article_header *h, const char *name)
{
	return named(h, name, strlen(name));
}

/* The first header of a known field k, or NULL. */
static const struct article_header *known(const struct article *a, int k)
{
	return a->first[k] ? &a->h[a->first[k] - 1] : NULL;
}

/* The first header named name (case-insensitive), or NULL; points into a. */
const struct article_header *article_get(const struct article *a, const char *name)
{
	size_t i, n = strlen(name);
	int k = known_of(name, n);

	if (k >= 0)
		return known(a, k);
	for (i = 0; i < a->nh; i++)
		if (named(&a->h[i], name, n))
			return &a->h[i];
	return NULL;
}

/* How many headers of a are named name (case-insensitive). */
int article_count(const struct article *a, const char *name)
{
	size_t i, len = strlen(name);
	int n = 0;

	for (i = 0; i < a->nh; i++)
		if (named(&a->h[i], name, len))
			n++;
	return n;
}

/*
 * 1 if s[0..len) is RFC 5322 §3.2.3 dot-atom-text: 1*atext *("." 1*atext),
 * so no leading, trailing or doubled dot.
 */
static int dot_atom_text(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!is_atext(s[i])) {
			return 0;
		}
	}
	return 1;
}

/* 1 if s[0..len) is RFC 5536 §3.1.3 no-fold-literal: "[" *mdtext "]". */
static int no_fold_literal(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || s[0] != '[' || s[len - 1] != ']')
		return 0;
	for (i = 1; i < len - 1; i++)
		if (!is_mdtext(s[i]))
			return 0;
	return 1;
}

/*
 * 1 if s[0..len) is a valid message-id.  RFC 5536 §3.1.3:
 *   msg-id = "<" id-left "@" id-right ">"
 *   id-left = dot-atom-text;  id-right = dot-atom-text / no-fold-literal
 * and RFC 3977 §3.6: at most 250 octets, printable US-ASCII only.  The
 * id-left holds no '@', so the first '@' is the separator; an '@' inside a
 * bracketed id-right is literal text.
 */
int article_msgid_valid(const char *s, size_t len)
{
	const char *at;
	size_t left, right;

	if (s == NULL || len < 5 || len > MOOT_MAX_MSGID)
		return 0;
	if (s[0] != '<' || s[len - 1] != '>')
		return 0;
	at = memchr(s + 1, '@', len - 2);
	if (at == NULL)
		return 0;
	left = (size_t)(at - (s + 1));
	right = (size_t)((s + len - 1) - (at + 1));
	if (!dot_atom_text(s + 1, left))
		return 0;
	return dot_atom_text(at + 1, right) || no_fold_literal(at + 1, right);
}

/*
 * 1 if s[0..len) is a valid newsgroup name.  RFC 5536 §3.1.4:
 *   newsgroup-name = component *("." component)
 *   component = 1*(ALPHA / DIGIT / "+" / "-" / "_")
 * so no empty component (leading, trailing or doubled dot), no whitespace and
 * no wildmat characters; at most MOOT_MAX_GROUP - 1 bytes.
 */
int article_group_valid(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0 || len >= MOOT_MAX_GROUP)
		return 0;
	if (s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!is_group_char(s[i])) {
			return 0;
		}
	}
	return 1;
}

/*
 * Call cb for each name of the Newsgroups value[0..len).  RFC 5536 §3.1.4:
 *   newsgroup-list = *WSP newsgroup-name *([FWS] "," [FWS] newsgroup-name) *WSP
 * so whitespace and folds around each name are dropped, and an empty element
 * (",,", a leading or trailing comma, an empty value) is an error.  Returns 0,
 * the callback's first non-zero value, or MOOT_EPROTO.
 */
int article_newsgroups(const char *value, size_t len,
		       int (*cb)(void *arg, const char *name, size_t name_len), void *arg)
{
	size_t start = 0, end, b, e;
	const char *comma;
	int rc;

	assert(cb != NULL);
	if (value == NULL)
		return MOOT_EPROTO;
	for (;;) {
		comma = memchr(value + start, ',', len - start);
		end = comma ? (size_t)(comma - value) : len;
		for (b = start; b < end && is_fws(value[b]); b++)
			;
		for (e = end; e > b && is_fws(value[e - 1]); e--)
			;
		if (!article_group_valid(value + b, e - b))
			return MOOT_EPROTO;
		rc = cb(arg, value + b, e - b);
		if (rc != 0)
			return rc;
		if (comma == NULL)
			return 0;
		start = end + 1;
	}
}

/*
 * Skip the RFC 5322 §3.2.2 comment starting at value[*pos] == '(': nested
 * comments and quoted-pairs are honoured.  Returns 1 with *pos after the
 * closing ')', or 0 with *pos = len when the comment is unterminated.
 */
static int skip_comment(const char *value, size_t len, size_t *pos)
{
	size_t i, depth = 0;

	assert(*pos < len && value[*pos] == '(');
	for (i = *pos; i < len; i++) {
		if (value[i] == '\\') {
			i++;
		} else if (value[i] == '(') {
			depth++;
		} else if (value[i] == ')') {
			if (--depth == 0) {
				*pos = i + 1;
				return 1;
			}
		}
	}
	*pos = len;
	return 0;
}

/*
 * Next "<...>" token of a References (or Message-ID) value from *pos: comments
 * are skipped, other bytes outside tokens ignored, and a '<' met inside a token
 * restarts it, so a broken id does not swallow the next one.  The token is not
 * validated (use article_msgid_valid).  Returns 1 and sets *id and *id_len into
 * value, or 0 at the end.
 */
int article_next_msgid(const char *value, size_t len, size_t *pos,
		       const char **id, size_t *id_len)
{
	size_t i, start;

	while (*pos < len) {
		if (value[*pos] == '(') {
			if (!skip_comment(value, len, pos))
				return 0;
			continue;
		}
		if (value[*pos] != '<') {
			(*pos)++;
			continue;
		}
		start = *pos;
		for (i = start + 1; i < len && value[i] != '>'; i++)
			if (value[i] == '<')
				start = i;
		if (i == len) {
			*pos = len;
			return 0;
		}
		*id = value + start;
		*id_len = i + 1 - start;
		*pos = i + 1;
		return 1;
	}
	return 0;
}

/*
 * Strictly walk a value made of msg-ids separated by CFWS (RFC 5536 §3.1.3
 * Message-ID, §3.2.10 References).  Returns the number of ids, or -1 when
 * anything else appears or an id is invalid.
 */
static int msgid_list(const char *value, size_t len)
{
	size_t pos = 0, start, id_len;
	const char *id;
	int n = 0;

	for (;;) {
		while (pos < len && is_fws(value[pos]))
			pos++;
		if (pos < len && value[pos] == '(') {
			if (!skip_comment(value, len, &pos))
				return -1;
			continue;
		}
		if (pos == len)
			return n;
		if (value[pos] != '<')
			return -1;
		start = pos;
		if (!article_next_msgid(value, len, &pos, &id, &id_len))
			return -1;
		if (id != value + start || !article_msgid_valid(id, id_len))
			return -1;
		n++;
	}
}

/* The reasons a required or singular field fails, all static strings. */
struct field_rule {
	int known;	/* enum article_known */
	const char *missing;
	const char *duplicate;
	const char *empty;
};

static const struct field_rule rule_from = {
	AK_FROM, "missing From header", "duplicate From header", "empty From header" };
static const struct field_rule rule_newsgroups = {
	AK_NEWSGROUPS, "missing Newsgroups header", "duplicate Newsgroups header",
	"empty Newsgroups header" };
static const struct field_rule rule_subject = {
	AK_SUBJECT, "missing Subject header", "duplicate Subject header",
	"empty Subject header" };
static const struct field_rule rule_msgid = {
	AK_MESSAGE_ID, "missing Message-ID header", "duplicate Message-ID header",
	"empty Message-ID header" };
static const struct field_rule rule_date = {
	AK_DATE, "missing Date header", "duplicate Date header", "empty Date header" };
static const struct field_rule rule_references = {
	AK_REFERENCES, "missing References header", "duplicate References header",
	"empty References header" };
static const struct field_rule rule_path = {
	AK_PATH, "missing Path header", "duplicate Path header", "empty Path header" };

/*
 * Check that the field of rule r appears at most once (any number of times
 * when many is set), at least once when required, and that its body is not
 * blank (RFC 5536 §3: every header body holds a non-whitespace character).
 * Sets *hp to the first such field or NULL.  Returns 0 or MOOT_EPROTO.
 */
static int check_field(const struct article *a, const struct field_rule *r, int required,
		       int many, const struct article_header **hp, const char **why)
{
	const struct article_header *h = known(a, r->known);
	int n = a->count[r->known];

	*hp = h;
	if (n == 0) {
		if (!required)
			return 0;
		*why = r->missing;
		return MOOT_EPROTO;
	}
	if (n > 1 && !many) {
		*why = r->duplicate;
		return MOOT_EPROTO;
	}
	if (blank(h->value, h->value_len)) {
		*why = r->empty;
		return MOOT_EPROTO;
	}
	return 0;
}

/* article_newsgroups callback: count the names. */
static int count_group(void *arg, const char *name, size_t name_len)
{
	size_t *n = arg;

	(*n)++;
	return 0;
}

/*
 * The checks shared by posts and transit (RFC 5536 §3, RFC 5537 §3.5/§3.6);
 * strict adds the fields a relayed article must already carry.
 */
static int check(const struct article *a, int strict, const char **why)
{
	const struct article_header *h;
	size_t ngroups = 0;
	int rc;

	if ((rc = check_field(a, &rule_from, 1, 0, &h, why)) < 0)
		return rc;
	if ((rc = check_field(a, &rule_newsgroups, 1, 0, &h, why)) < 0)
		return rc;
	if (article_newsgroups(h->value, h->value_len, count_group, &ngroups) < 0 ||
	    ngroups == 0) {
		*why = "invalid Newsgroups header";
		return MOOT_EPROTO;
	}
	if ((rc = check_field(a, &rule_subject, 1, 0, &h, why)) < 0)
		return rc;
	if ((rc = check_field(a, &rule_msgid, strict, 0, &h, why)) < 0)
		return rc;
	if (h != NULL && msgid_list(h->value, h->value_len) != 1) {
		*why = "invalid Message-ID header";
		return MOOT_EPROTO;
	}
	/* Date syntax is checked by the caller with date.c. */
	if ((rc = check_field(a, &rule_date, strict, 0, &h, why)) < 0)
		return rc;
	if ((rc = check_field(a, &rule_references, 0, 0, &h, why)) < 0)
		return rc;
	if (h != NULL && msgid_list(h->value, h->value_len) < 1) {
		*why = "invalid References header";
		return MOOT_EPROTO;
	}
	/* Path (and Xref) may repeat: the server rewrites them (RFC 5537 §3.2). */
	if ((rc = check_field(a, &rule_path, strict, 1, &h, why)) < 0)
		return rc;
	return 0;
}

/*
 * 1 if every line of a's header block, folded continuations included, holds
 * at most ARTICLE_MAX_LINE octets before its CRLF (RFC 5322 §2.1.1, which
 * RFC 5536 §3 keeps for news).  The parser has checked the CRLFs.
 */
static int head_lines_fit(const struct article *a)
{
	const char *p = a->head, *end = a->head + a->head_len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) > ARTICLE_MAX_LINE + 1)	/* + its CR */
			return 0;
		p = nl + 1;
	}
	return 1;
}

/*
 * Checks for a reader's POST (RFC 5537 §3.5: the injecting agent refuses an
 * article that breaks RFC 5536); 0 or MOOT_EPROTO with *why.  A header line
 * over 998 octets is refused, as INN's nnrpd refuses it at POST.  Relayed
 * articles are not held to it (INN's innd takes them too).
 */
static int from_has_mailbox(const char *value, size_t len);

int article_check_post(const struct article *a, const char **why)
{
	const struct article_header *from;
	int rc;

	if (!head_lines_fit(a)) {
		*why = "header line too long";
		return MOOT_EPROTO;
	}
	if ((rc = check(a, 0, why)) != 0)
		return rc;
	from = article_get(a, "From");
	if (!from_has_mailbox(from->value, from->value_len)) {
		*why = "no address in From header";
		return MOOT_EPROTO;
	}
	return 0;
}

/* Checks for an article relayed by a peer (RFC 5537 §3.6); 0 or MOOT_EPROTO. */
int article_check_transit(const struct article *a, const char **why)
{
	return check(a, 1, why);
}

/*
 * Append value[0..len) unfolded (RFC 5322 §2.2.3: every CRLF followed by WSP
 * is removed; a bare LF before WSP too, to be liberal) and trimmed of leading
 * and trailing whitespace.  Returns 0 or MOOT_ENOMEM.
 */
int article_unfold(const char *value, size_t len, struct buf *out)
{
	size_t b = 0, e = len, i, run;
	int rc;

	while (b < e && is_fws(value[b]))
		b++;
	while (e > b && is_fws(value[e - 1]))
		e--;
	if ((rc = buf_reserve(out, e - b)) < 0)
		return rc;
	/* Most values are one line: without an LF there is no fold. */
	if (memchr(value + b, '\n', e - b) == NULL)
		return buf_append(out, value + b, e - b);
	for (i = b; i < e; i += run) {
		if (value[i] == '\r' && i + 2 < e && value[i + 1] == '\n' && is_wsp(value[i + 2])) {
			run = 2;
			continue;
		}
		if (value[i] == '\n' && i + 1 < e && is_wsp(value[i + 1])) {
			run = 1;
			continue;
		}
		for (run = 1; i + run < e && value[i + run] != '\r' && value[i + run] != '\n'; run++)
			;
		if ((rc = buf_append(out, value + i, run)) < 0)
			return rc;
	}
	return 0;
}

/*
 * Append value[0..len) as an overview field (RFC 3977 §8.3.1): unfolded, each
 * TAB, CR and LF replaced by a space, then trimmed.  A NUL is replaced too:
 * overview lines are text.  Returns 0 or MOOT_ENOMEM.
 */
int article_overview_value(const char *value, size_t len, struct buf *out)
{
	size_t start = out->len, i, lead;
	int rc;

	if ((rc = article_unfold(value, len, out)) < 0)
		return rc;
	for (i = start; i < out->len; i++) {
		unsigned char c = (unsigned char)out->data[i];

		/* all four are at most CR: one comparison for most bytes */
		if (c <= '\r' && (c == '\t' || c == '\r' || c == '\n' || c == '\0'))
			out->data[i] = ' ';
	}
	while (out->len > start && out->data[out->len - 1] == ' ')
		out->len--;
	for (lead = start; lead < out->len && out->data[lead] == ' '; lead++)
		;
	if (lead > start) {
		memmove(out->data + start, out->data + lead, out->len - lead);
		out->len -= lead - start;
	}
	if (out->cap > 0)
		out->data[out->len] = '\0';
	return 0;
}

int article_single_msgid(const char *value, size_t len, const char **id, size_t *id_len)
{
	const char *v = value;
	size_t n = len;

	while (n && is_fws(*v))
		v++, n--;
	while (n && is_fws(v[n - 1]))
		n--;
	if (n > MOOT_MAX_MSGID || !article_msgid_valid(v, n))
		return MOOT_EPROTO;
	*id = v;
	*id_len = n;
	return 0;
}

int article_control_cancel(const char *value, size_t len, const char **id, size_t *id_len)
{
	const char *v = value;
	size_t n = len;

	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	if (n < 7 || strncasecmp(v, "cancel", 6) != 0 || (v[6] != ' ' && v[6] != '\t'))
		return MOOT_ENOTFOUND;
	return article_single_msgid(v + 7, n - 7, id, id_len);
}

/*
 * Lines in a wire-form body (RFC 3977 §8.5 :lines): each line ends in CRLF,
 * so count the LFs; a last line without one counts too; an empty body is 0.
 * The dots of dot-stuffing are counted in the same pass: one per line that
 * starts with '.'.
 */
void article_body_counts(const char *body, size_t len, int64_t *lines, int64_t *stuffing)
{
	const char *p = body, *end = body + len, *lf;
	int64_t n = 0, dots;

	if (len == 0) {
		*lines = *stuffing = 0;
		return;
	}
	dots = body[0] == '.';
	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = lf + 1;
		dots += p < end && *p == '.';
	}
	*lines = n + (p < end);
	*stuffing = dots;
}

int64_t article_body_lines(const char *body, size_t len)
{
	int64_t lines, stuffing;

	article_body_counts(body, len, &lines, &stuffing);
	return lines;
}

int64_t article_body_stuffing(const char *body, size_t len)
{
	int64_t lines, stuffing;

	article_body_counts(body, len, &lines, &stuffing);
	return stuffing;
}

/*
 * The mailbox address of a From value as [*p, *end): the addr-spec inside
 * <...> if there is one, else the first word containing '@'.  0, or
 * MOOT_ENOTFOUND when there is no '@' where the address should be.
 */
static int from_span(const char *value, size_t len, const char **p, const char **end)
{
	const char *lt, *gt, *w;

	*p = value;
	*end = value + len;
	lt = memchr(value, '<', len);
	gt = lt ? memchr(lt, '>', (size_t)(*end - lt)) : NULL;
	if (lt && gt && gt - lt > 1) {
		*p = lt + 1;
		*end = gt;
	} else {
		/* "a@b (Name)": the first blank-separated word with an '@'. */
		for (w = value; w < value + len;) {
			const char *we = w;
			while (we < value + len && *we != ' ' && *we != '\t' && *we != '\r' && *we != '\n')
				we++;
			if (memchr(w, '@', (size_t)(we - w))) {
				*p = w;
				*end = we;
				break;
			}
			w = we + 1;
		}
		if (w >= value + len)
			return MOOT_ENOTFOUND;
	}
	if (memchr(*p, '@', (size_t)(*end - *p)) == NULL)
		return MOOT_ENOTFOUND;
	return 0;
}

int article_from_address(const char *value, size_t len, struct buf *out)
{
	const char *p, *end;
	size_t i, start;

	if (from_span(value, len, &p, &end) != 0)
		return MOOT_ENOTFOUND;
	start = out->len;
	if (buf_append(out, p, (size_t)(end - p)) != 0)
		return MOOT_ENOMEM;
	for (i = start; i < out->len; i++)
		if (out->data[i] >= 'A' && out->data[i] <= 'Z')
			out->data[i] = (char)(out->data[i] + 32);
	return 0;
}

/* 1 if a From value names a mailbox: an address with a local part before
 * its '@' and a domain after it (RFC 5322 §3.4.1; a quoted local part may
 * hold blanks, so they are not looked at). */
static int from_has_mailbox(const char *value, size_t len)
{
	const char *p, *end, *at;

	if (from_span(value, len, &p, &end) != 0)
		return 0;
	at = memchr(p, '@', (size_t)(end - p));
	return at > p && at + 1 < end && memchr(at + 1, '@', (size_t)(end - at - 1)) == NULL;
}

int article_path_origin(const char *value, size_t len, const char **host, size_t *host_len)
{
	const char *p = value, *end = value + len;
	const char *prev = NULL, *last = NULL;
	size_t prev_len = 0, last_len = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	while (p < end) {
		const char *e = memchr(p, '!', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
		if (n >= 7 && strncmp(p, ".POSTED", 7) == 0) {
			if (prev == NULL)
				return MOOT_ENOTFOUND;
			*host = prev;
			*host_len = prev_len;
			return 0;
		}
		if (n > 0 && p[0] != '.' && !(n == 12 && strncmp(p, "not-for-mail", 12) == 0)) {
			last = p;
			last_len = n;
		}
		prev = p;
		prev_len = n;
		p += n + (e ? 1 : 0);
	}
	if (last == NULL)
		return MOOT_ENOTFOUND;
	*host = last;
	*host_len = last_len;
	return 0;
}
