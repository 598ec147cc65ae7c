/*
 * article.h: parse and validate a news article (RFC 5536) in wire form, and
 * build overview field values (RFC 3977 §8.3).  No I/O, no allocation except
 * into a caller's struct buf.
 *
 * "Wire form" is how articles travel and how we store them: CRLF line ends,
 * dot-stuffed, without the terminating "." line.  The parser never copies:
 * every pointer in struct article points into the caller's buffer, which must
 * outlive it.
 */
#ifndef ARTICLE_H
#define ARTICLE_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

#define ARTICLE_MAX_HEADERS 256
/* Longest header line a post may have, without its CRLF (RFC 5322 §2.1.1). */
#define ARTICLE_MAX_LINE 998

struct article_header {
	const char *name;	/* field name, not NUL-terminated */
	size_t name_len;
	const char *value;	/* raw value: after ':' and leading WSP, up to (not
				   including) the final CRLF; may contain folding CRLF WSP */
	size_t value_len;
	const char *line;	/* the whole field including continuation lines */
	size_t line_len;	/* ... and its final CRLF */
};

/*
 * The fields article_parse indexes as it goes, so that finding one of them
 * (article_get, the checks) costs no scan of every header: on ingest the
 * scans were the largest part of checking an article.
 */
enum article_known {
	AK_FROM, AK_NEWSGROUPS, AK_SUBJECT, AK_MESSAGE_ID, AK_DATE, AK_REFERENCES,
	AK_PATH, AK_CONTROL, AK_SUPERSEDES, AK_APPROVED, AK_XREF, AK_COUNT
};

struct article {
	struct article_header h[ARTICLE_MAX_HEADERS];	/* in order of appearance */
	size_t nh;
	unsigned short first[AK_COUNT];	/* 1 + index in h of the first such field; 0: none */
	unsigned char count[AK_COUNT];	/* how many there are, at most 255 */
	const char *head;	/* header block, up to and including the last header's CRLF */
	size_t head_len;
	const char *body;	/* after the empty line; wire form; may be empty */
	size_t body_len;
};

/*
 * Parse wire (len bytes) into a.  Returns 0, or MOOT_EPROTO with *why set to a
 * static reason ("no empty line after headers" ...): a header line without a
 * colon, an empty field name, a NUL byte, a header that starts with a
 * continuation line, more than ARTICLE_MAX_HEADERS fields.  An article with no
 * body and no empty line is accepted (body_len 0).
 */
int article_parse(const char *wire, size_t len, struct article *a, const char **why);

/* The first header named name (case-insensitive), or NULL. */
const struct article_header *article_get(const struct article *a, const char *name);

/* 1 if h is named name, compared ASCII case-insensitively (RFC 5322 §1.2.2). */
int article_header_named(const struct article_header *h, const char *name);

/* How many headers are named name. */
int article_count(const struct article *a, const char *name);

/*
 * Checks for an article a reader POSTs (RFC 5537 §3.5 and RFC 5536 §3):
 * every header line at most ARTICLE_MAX_LINE octets; From, Newsgroups,
 * Subject present exactly once and non-empty; Message-ID, Date, References,
 * if present, once and well formed; Newsgroups a valid list.
 * Returns 0 or MOOT_EPROTO with *why.
 */
int article_check_post(const struct article *a, const char **why);

/*
 * Checks for an article arriving from a peer (RFC 5537 §3.6): as for a post,
 * and Message-ID, Date and Path are required too.
 */
int article_check_transit(const struct article *a, const char **why);

/* 1 if s[0..len) is a valid message-id (RFC 5536 §3.1.3, RFC 3977 §3.6). */
int article_msgid_valid(const char *s, size_t len);

/* 1 if s[0..len) is a valid newsgroup name (RFC 5536 §3.1.4: components of
 * letters, digits, '+', '-', '_', separated by single dots, no empty
 * component, at most MOOT_MAX_GROUP - 1 bytes). */
int article_group_valid(const char *s, size_t len);

/*
 * Split a Newsgroups value into names: calls cb(arg, name, name_len) for each
 * (surrounding whitespace removed).  Stops and returns the callback's value if
 * it is non-zero.  Returns MOOT_EPROTO for an empty element or an invalid name.
 */
int article_newsgroups(const char *value, size_t len,
		       int (*cb)(void *arg, const char *name, size_t name_len), void *arg);

/*
 * Iterate the message-ids of a References value: *pos starts at 0; each call
 * sets *id and *id_len to the next <...> token and returns 1, or returns 0 at the end.
 */
int article_next_msgid(const char *value, size_t len, size_t *pos,
		       const char **id, size_t *id_len);

/*
 * Append the value unfolded (RFC 5322 §2.2.3: CRLF before WSP removed) with
 * leading and trailing whitespace trimmed.
 */
int article_unfold(const char *value, size_t len, struct buf *out);

/*
 * Append the value as an overview field (RFC 3977 §8.3.1): unfolded, then each
 * TAB, CR and LF replaced by a space, and trimmed.
 */
int article_overview_value(const char *value, size_t len, struct buf *out);

/*
 * Append the mailbox address of a From value, lower-cased: the addr-spec
 * inside <...> if there is one, else the first word containing '@' (RFC 5322
 * §3.4, "Name <a@b>" and the older "a@b (Name)").  MOOT_ENOTFOUND if none.
 */
int article_from_address(const char *value, size_t len, struct buf *out);

/*
 * The injecting site of a Path value: the element before the first one
 * starting with ".POSTED" (RFC 5537 §3.2.1), or else the last element that is
 * not "not-for-mail".  Sets *host and *host_len; MOOT_ENOTFOUND when empty.
 */
int article_path_origin(const char *value, size_t len, const char **host, size_t *host_len);

/*
 * The one message-id a header body (len bytes) holds, as in Supersedes (RFC
 * 5536 §3.2.12): 0 with *id, *id_len inside value, blanks and folds around
 * it left out; MOOT_EPROTO when it is not exactly one valid message-id.
 */
int article_single_msgid(const char *value, size_t len, const char **id, size_t *id_len);

/*
 * The target of a cancel control message (RFC 5537 §5.3): value (len bytes)
 * is a Control header's body.  0 with *id, *id_len the message-id (inside
 * value) when it is "cancel <id>"; MOOT_ENOTFOUND when it is some other
 * control message; MOOT_EPROTO when the target is not one valid message-id.
 */
int article_control_cancel(const char *value, size_t len, const char **id, size_t *id_len);

/* Number of lines in a wire-form body (RFC 3977 §8.5 :lines metadata). */
int64_t article_body_lines(const char *body, size_t len);

/* Dots a wire-form body carries for dot-stuffing (RFC 3977 §3.1.1): one per
 * line that starts with '.', which :bytes leaves out (RFC 3977 §8.1.1). */
int64_t article_body_stuffing(const char *body, size_t len);

/* Both of the above in one pass over the body. */
void article_body_counts(const char *body, size_t len, int64_t *lines, int64_t *stuffing);

#endif
