/*
 * post.h: composing articles for `moot post` and `moot reply`: the reply's
 * Subject, References (RFC 5537 §3.4.4) and Newsgroups, quoting the parent,
 * the $EDITOR round trip on a template, and the final article text checked
 * with proto/article.c before it is sent.
 *
 * Texts here use LF line ends; conn_post() turns them into wire form.
 */
#ifndef POST_H
#define POST_H

#include <stddef.h>
#include "../proto/buf.h"

/* The longest line RFC 5536 §3 (RFC 5322 §2.1.1) allows, without CRLF. */
#define POST_MAX_LINE 998
/* The largest body we read from stdin or an edited file. */
#define POST_MAX_TEXT (1024 * 1024)

/* A draft: header lines ("Name: value\n", folded lines kept) and the body. */
struct post_draft {
	struct buf head;		/* header block, each line ending in LF */
	struct buf body;		/* body text, LF line ends */
};

void post_draft_release(struct post_draft *d);

/* "Re: " + subject, unless it already starts with "Re:" (any case). */
int post_reply_subject(struct buf *out, const char *subject);

/*
 * References for a follow-up (RFC 5537 §3.4.4): the parent's References
 * followed by its Message-ID.  When "References: " + the value would exceed
 * POST_MAX_LINE octets, the oldest ids are dropped except the first.
 */
int post_references(struct buf *out, const char *parent_refs, const char *parent_msgid);

/* Newsgroups for a follow-up: Followup-To unless absent, empty or "poster"
 * (RFC 5536 §3.2.6), else the parent's Newsgroups. */
int post_reply_groups(struct buf *out, const char *newsgroups, const char *followup_to);

/* The name part of a From value: "Name <a@b>" → Name, "a@b (Name)" → Name,
 * "<a@b>" or "a@b" → a@b.  Quotes removed, appended to out. */
int post_author_name(struct buf *out, const char *from);

/* "On DATE, AUTHOR wrote:" then each body line prefixed "> " (">" alone for
 * an empty line), stopping at a signature separator "-- ". */
int post_quote(struct buf *out, const char *date, const char *author, const char *body, size_t len);

/* The editable text: head, an empty line, body. */
int post_template(struct buf *out, const struct post_draft *d);

/*
 * Split an edited text back into head and body (d is released first).
 * Every line before the first empty line must be a header or a folded
 * continuation.  0, or MOOT_EPROTO with *why.
 */
int post_parse(struct post_draft *d, const char *text, size_t len, const char **why);

/* 1 when the body has something besides whitespace and quoted (">") lines. */
int post_body_written(const char *body, size_t len);

/*
 * Run editor (via /bin/sh, so "emacs -nw" works) on a temporary file that
 * holds text, then replace text with what the file holds afterwards.
 * 0, or an error with err ("editor exited with status 1").
 */
int post_edit(const char *editor, struct buf *text, char *err, size_t errlen);

/*
 * The article to send: d's head, then the extra header lines (may be NULL),
 * a User-Agent, MIME headers when the text is not ASCII, an empty line, the
 * body.  Checked with article_check_post(); 0 or MOOT_EPROTO with *why.
 */
int post_build(struct buf *out, const struct post_draft *d, const char *extra_head, const char **why);

/* The value of header name in a draft's head (unfolded), or 1 when absent. */
int post_draft_header(const struct post_draft *d, const char *name, struct buf *out);

/* The message-id in a 240 reply's text ("Article received <id>") into out;
 * 0 or MOOT_ENOTFOUND. */
int post_msgid_from_reply(const char *text, char *out, size_t outlen);

/* Read all of fd (at most POST_MAX_TEXT bytes) into out; 0, -errno or MOOT_ETOOBIG. */
int post_read_fd(int fd, struct buf *out);

#endif
