/*
 * reader.c: the reader commands of mootd (RFC 3977, the RFC 2980 extensions
 * real newsreaders still send, RFC 4642 STARTTLS, RFC 6048 LIST variants).
 *
 * reader_dispatch() looks the verb up in a static table that also holds the
 * allowed argument counts, so every handler starts with its arguments
 * counted.  Every path appends exactly one reply.  Long multi-line replies
 * (OVER, HDR, XPAT, LISTGROUP over large ranges) are produced in chunks: the
 * first chunk is built by the handler, the rest by a continuation that the
 * session runs while its output is below the high-water mark; the cursor is
 * s->cont_next..s->cont_hi and the field/pattern in s->cont_arg.
 *
 * Rows of one chunk are built in a local buffer before anything is written,
 * so a store failure on the first chunk still earns a clean 403; a failure on
 * a later chunk, when the status line is already out, closes the session
 * rather than truncating the block silently.
 *
 * Compatibility notes (DESIGN.md "Newsreader compatibility", INN behaviour):
 * OVER and HDR answer 423 for an empty range (RFC 3977 §8.3.2, §8.5.2), the
 * legacy XOVER/XHDR/XPAT answer an empty 224/221 block as INN does; XPAT
 * joins its pattern words with spaces (INN's Glom) so a search for
 * "*two words*" works.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../proto/moot.h"
#include "../proto/buf.h"
#include "../proto/command.h"
#include "../proto/wildmat.h"
#include "../proto/date.h"
#include "../proto/article.h"
#include "config.h"
#include "mootd.h"
#include "store.h"
#include "ingest.h"
#include "session.h"
#include "reader.h"
#include "transit.h"
#include "auth.h"
#include "community.h"

/* Overview/header rows produced per chunk of a long reply: about 40 KB of
 * OVER, so the session's output stays in one small buffer. */
#define ROWS_CHUNK 200
/* Article numbers produced per chunk of LISTGROUP. */
#define NUMBERS_CHUNK 2000
/* Longest header field name accepted by HDR/XHDR/XPAT. */
#define FIELD_MAX 96

/* Which multi-line row reply is in progress (s->cont_kind). */
enum rows_kind {
	ROWS_OVER = 1,		/* OVER/XOVER: overview lines */
	ROWS_HDR,		/* HDR: "number value" (RFC 3977 §8.5) */
	ROWS_XHDR,		/* XHDR: the same, "<msgid> value" by id (RFC 2980 §2.6) */
	ROWS_XPAT,		/* XPAT: XHDR lines whose value matches (RFC 2980 §2.9) */
	ROWS_LISTGROUP,		/* LISTGROUP numbers (RFC 3977 §6.1.2) */
};

/* Which value a header request reads. */
enum field {
	F_SUBJECT, F_FROM, F_DATE, F_MSGID, F_REFS, F_XREF, F_BYTES, F_LINES, F_OTHER,
};

static const struct {
	const char *name;
	enum field field;
} overview_fields[] = {
	{ "Subject", F_SUBJECT },
	{ "From", F_FROM },
	{ "Date", F_DATE },
	{ "Message-ID", F_MSGID },
	{ "References", F_REFS },
	{ "Xref", F_XREF },
	{ ":bytes", F_BYTES },
	{ ":lines", F_LINES },
};

/* What an OVER/HDR/XPAT argument selected. */
enum sel_kind {
	SEL_CURRENT,		/* no argument: the current article */
	SEL_RANGE,		/* a number or range in the current group */
	SEL_MSGID,		/* a message-id */
};

struct sel {
	enum sel_kind kind;
	int64_t lo, hi;		/* SEL_CURRENT/SEL_RANGE; lo > hi when empty */
	int64_t article_id;	/* SEL_MSGID */
	const char *msgid;	/* SEL_MSGID: the argument (points into the command) */
};

/* State of one chunk of rows. */
struct rows {
	enum rows_kind kind;
	enum field field;
	const char *name;	/* header name for F_OTHER (points into s->cont_arg) */
	const char *pattern;	/* XPAT pattern, else NULL */
	const char *key;	/* printed instead of the number (XHDR/XPAT by id), else NULL */
	int64_t last;		/* number of the last row seen */
	int nrows;		/* rows seen */
	int absent;		/* field_value: the article has no such header (F_OTHER) */
	int err;		/* an append failed */
	struct buf *out;	/* where lines go: &own, or the session's output */
	struct buf own;		/* lines produced, CRLF-terminated */
	struct buf val;		/* scratch for one value */
	struct article *art;	/* scratch for parsing a stored head (F_OTHER) */
};

/* ---- small helpers ---- */

/* The selected group if it is still active (inactive groups are invisible), else NULL. */
static struct group *cur_group(struct session *s)
{
	if (s->group == NULL || !s->group->active)
		return NULL;
	return s->group;
}

/* The active group named name, or NULL. */
static struct group *find_active(struct mootd *d, const char *name)
{
	struct group *g = groups_find(d, name);

	return g && g->active ? g : NULL;
}

/* 1 if some active group accepts posts (posting yes or moderated). */
static int posting_allowed(struct mootd *d)
{
	size_t i;

	for (i = 0; i < d->ngroups; i++) {
		const struct group *g = d->groups[i];
		if (g->active && (g->posting == POSTING_YES || g->posting == POSTING_MODERATED))
			return 1;
	}
	return 0;
}

/* LIST ACTIVE status letter (RFC 3977 §7.6.3). */
static char group_status(const struct group *g)
{
	switch (g->posting) {
	case POSTING_YES:
		return 'y';
	case POSTING_MODERATED:
		return 'm';
	default:
		return 'n';
	}
}

/*
 * Parse a run of decimal digits [p, end) as a non-negative int64: no sign,
 * no blanks, no overflow, at least one digit.  Returns 0 or MOOT_EPROTO.
 */
static int parse_digits(const char *p, const char *end, int64_t *out)
{
	int64_t v = 0;

	if (p == end)
		return MOOT_EPROTO;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return MOOT_EPROTO;
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return MOOT_EPROTO;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return 0;
}

/* An article number argument (RFC 3977 §3.1 / §6.2): 0 or MOOT_EPROTO. */
static int parse_number(const char *s, int64_t *out)
{
	return parse_digits(s, s + strlen(s), out);
}

/*
 * A range argument (RFC 3977 §8.3.2): "n", "n-" (n to the end, *hi is
 * INT64_MAX) or "n-m".  Returns 0 or MOOT_EPROTO.
 */
static int parse_range(const char *s, int64_t *lo, int64_t *hi)
{
	const char *dash = strchr(s, '-');

	if (dash == NULL) {
		if (parse_digits(s, s + strlen(s), lo) != 0)
			return MOOT_EPROTO;
		*hi = *lo;
		return 0;
	}
	if (parse_digits(s, dash, lo) != 0)
		return MOOT_EPROTO;
	if (dash[1] == '\0') {
		*hi = INT64_MAX;
		return 0;
	}
	return parse_digits(dash + 1, dash + strlen(dash), hi);
}

/* 1 if arg looks like a message-id (it starts with '<'). */
static int is_msgid_arg(const char *arg)
{
	return arg[0] == '<';
}

/* 1 if arg is a valid message-id (RFC 3977 §3.6). */
static int msgid_ok(const char *arg)
{
	size_t n = strlen(arg);

	return n <= MOOT_MAX_MSGID && article_msgid_valid(arg, n);
}

/* Reply for a store failure: 403 (RFC 3977 §3.2.1). */
static void reply_store_error(struct session *s)
{
	session_reply(s, 403, "Internal fault (storage)");
}

/* The buffer as a C string ("" when nothing was ever appended). */
static const char *bufstr(const struct buf *b)
{
	return b->data ? b->data : "";
}

/* Append every line of text (LF or CRLF separated) with session_line,
 * dot-stuffed.  A final line break does not make an empty last line. */
static void write_text_lines(struct session *s, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		size_t len = n;

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > INT32_MAX)
			len = INT32_MAX;
		session_line(s, "%.*s", (int)len, p);
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* ---- greeting, MODE, CAPABILITIES, HELP, DATE, QUIT ---- */

/* 200 or 201 with the service line (RFC 3977 §5.1.1, §5.3). */
static void reply_ready(struct session *s)
{
	if (posting_allowed(s->d))
		session_reply(s, 200, "%s moot NNTP service ready, posting allowed",
			      s->d->cfg.pathhost);
	else
		session_reply(s, 201, "%s moot NNTP service ready, posting prohibited",
			      s->d->cfg.pathhost);
}

/* Greet a new session (RFC 3977 §5.1). */
void reader_greet(struct session *s)
{
	reply_ready(s);
}

/* MODE READER (RFC 3977 §5.3): idempotent at any time; MODE STREAM refused. */
static void cmd_mode(struct session *s, struct command *cmd)
{
	if (strcasecmp(cmd->argv[0], "READER") == 0) {
		s->mode_reader = 1;
		reply_ready(s);
	} else if (strcasecmp(cmd->argv[0], "STREAM") == 0) {
		transit_mode_stream(s);
	} else {
		session_reply(s, 501, "Unknown MODE variant");
	}
}

/* CAPABILITIES (RFC 3977 §5.2): accurate for this session. */
static void cmd_capabilities(struct session *s, struct command *cmd)
{
	struct mootd *d = s->d;

	session_reply(s, 101, "Capability list:");
	session_line(s, "VERSION 2");
	session_line(s, "READER");
	if (posting_allowed(d))
		session_line(s, "POST");
	session_line(s, "OVER MSGID");
	session_line(s, "HDR");
	session_line(s, "LIST ACTIVE ACTIVE.TIMES COUNTS HEADERS%s NEWSGROUPS OVERVIEW.FMT SUBSCRIPTIONS",
		     d->cfg.motd ? " MOTD" : "");
	session_line(s, "NEWNEWS");
	if (d->tls != NULL && !s->tls_started)
		session_line(s, "STARTTLS");
	if (xport_is_tls(&s->x) && s->user[0] == '\0')
		session_line(s, "AUTHINFO USER");	/* RFC 4643 §2.2: only where it may be used */
	session_line(s, "XMOOT MOD CANCEL STATS");
	if (s->peer[0]) {
		/* RFC 3977 §3.3.2, RFC 4644 §2.1: only for an identified peer. */
		session_line(s, "IHAVE");
		session_line(s, "STREAMING");
	}
	session_line(s, "IMPLEMENTATION moot %s", MOOT_VERSION);
	session_end(s);
}

/* HELP (RFC 3977 §7.2). */
static void cmd_help(struct session *s, struct command *cmd)
{
	static const char *const lines[] = {
		"ARTICLE [number|<message-id>]",
		"BODY [number|<message-id>]",
		"CAPABILITIES [keyword]",
		"DATE",
		"GROUP newsgroup",
		"HDR field [range|<message-id>]",
		"HEAD [number|<message-id>]",
		"HELP",
		"LAST",
		"LIST [ACTIVE|ACTIVE.TIMES|COUNTS|NEWSGROUPS|SUBSCRIPTIONS [wildmat]|HEADERS [MSGID|RANGE]|MOTD|OVERVIEW.FMT]",
		"LISTGROUP [newsgroup [range]]",
		"MODE READER",
		"NEWGROUPS [yy]yymmdd hhmmss [GMT]",
		"NEWNEWS wildmat [yy]yymmdd hhmmss [GMT]",
		"NEXT",
		"OVER [range|<message-id>]",
		"POST",
		"QUIT",
		"STARTTLS",
		"STAT [number|<message-id>]",
		"XGTITLE [wildmat]",
		"XHDR field [range|<message-id>]",
		"XOVER [range]",
		"XPAT field range|<message-id> pattern",
	};
	size_t i;

	session_reply(s, 100, "Help text follows");
	for (i = 0; i < MOOT_ARRAY_SIZE(lines); i++)
		session_line(s, "  %s", lines[i]);
	session_end(s);
}

/* DATE (RFC 3977 §7.1): 111 yyyymmddhhmmss in UTC. */
static void cmd_date(struct session *s, struct command *cmd)
{
	char when[32];

	date_format_nntp(mootd_now(), when, sizeof(when));
	session_reply(s, 111, "%s", when);
}

/* QUIT (RFC 3977 §5.4). */
static void cmd_quit(struct session *s, struct command *cmd)
{
	session_reply(s, 205, "Bye");
	session_close_after_flush(s);
}

/* ---- GROUP, LISTGROUP, LAST, NEXT ---- */

/* Make g the selected group with the current article at its first (RFC 3977 §6.1.1.2). */
static void select_group(struct session *s, struct group *g)
{
	s->group = g;
	s->cur = g->count > 0 ? g->low : 0;
}

/* The 211 line for g. */
static void reply_group(struct session *s, const struct group *g)
{
	session_reply(s, 211, "%" PRId64 " %" PRId64 " %" PRId64 " %s",
		      g->count, g->low, g->high, g->name);
}

/* GROUP name (RFC 3977 §6.1.1). */
static void cmd_group(struct session *s, struct command *cmd)
{
	struct group *g = find_active(s->d, cmd->argv[0]);

	if (g == NULL) {
		session_reply(s, 411, "No such newsgroup");
		return;
	}
	select_group(s, g);
	reply_group(s, g);
}

/* store_numbers_range callback for LISTGROUP: one number per line. */
static int number_row(void *arg, int64_t number)
{
	struct rows *r = arg;

	r->last = number;
	r->nrows++;
	if (buf_printf(&r->own, "%" PRId64 "\r\n", number) != 0)
		r->err = 1;
	return 0;
}

/*
 * One chunk of LISTGROUP numbers from s->cont_next to s->cont_hi into r->out.
 * Returns 1 when more remain, 0 when this was the last, < 0 on a store failure.
 */
static int numbers_chunk(struct session *s, struct rows *r)
{
	int n;

	assert(s->group != NULL);
	n = store_numbers_range(s->d->store, s->group->id, s->cont_next, s->cont_hi,
				NUMBERS_CHUNK, number_row, r);
	if (n < 0 || r->err)
		return MOOT_ESTORE;
	if (n < NUMBERS_CHUNK || r->last >= s->cont_hi)
		return 0;
	s->cont_next = r->last + 1;
	return 1;
}

/* A multi-line reply failed after its status line: do not truncate silently. */
static void abort_reply(struct session *s)
{
	log_warn("%s: storage failed during a multi-line reply, closing", s->addr);
	session_close_after_flush(s);
}

/* Continuation of LISTGROUP (session_cont_fn). */
static int listgroup_cont(struct session *s)
{
	struct rows r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = numbers_chunk(s, &r);
	if (rc < 0) {
		buf_release(&r.own);
		abort_reply(s);
		return 0;
	}
	session_write(s, r.own.data, r.own.len);
	buf_release(&r.own);
	if (rc == 0)
		session_end(s);
	return rc;
}

/* LISTGROUP [group [range]] (RFC 3977 §6.1.2). */
static void cmd_listgroup(struct session *s, struct command *cmd)
{
	struct group *g, *old_group;
	int64_t old_cur;
	struct rows r;
	int64_t lo = 1, hi = INT64_MAX;
	int rc;

	if (cmd->argc == 2 && parse_range(cmd->argv[1], &lo, &hi) != 0) {
		session_reply(s, 501, "Syntax error in range");
		return;
	}
	if (cmd->argc >= 1) {
		g = find_active(s->d, cmd->argv[0]);
		if (g == NULL) {
			session_reply(s, 411, "No such newsgroup");
			return;
		}
	} else {
		g = cur_group(s);
		if (g == NULL) {
			session_reply(s, 412, "No newsgroup selected");
			return;
		}
	}
	/* Never show numbers beyond the committed high water mark. */
	if (hi > g->high)
		hi = g->high;
	if (lo < 1)
		lo = 1;
	memset(&r, 0, sizeof(r));
	old_group = s->group;
	old_cur = s->cur;
	select_group(s, g);
	s->cont_kind = ROWS_LISTGROUP;
	s->cont_next = lo;
	s->cont_hi = hi;
	rc = lo <= hi ? numbers_chunk(s, &r) : 0;
	if (rc < 0) {
		/* A failed command leaves the selection as it was. */
		s->group = old_group;
		s->cur = old_cur;
		buf_release(&r.own);
		reply_store_error(s);
		return;
	}
	reply_group(s, g);
	session_write(s, r.own.data, r.own.len);
	buf_release(&r.own);
	if (rc == 0)
		session_end(s);
	else
		session_continue(s, listgroup_cont);
}

/* store_over_range callback that only records the message-id. */
struct msgid_ctx {
	char msgid[MOOT_MAX_MSGID + 1];
	int found;
};

static int msgid_row(void *arg, const struct store_over *row)
{
	struct msgid_ctx *c = arg;

	snprintf(c->msgid, sizeof(c->msgid), "%s", row->msgid ? row->msgid : "");
	c->found = 1;
	return 0;
}

/*
 * The message-id of article number n of g into c.  Returns 0,
 * MOOT_ENOTFOUND or MOOT_ESTORE.  Numbers above the committed high water
 * mark are not visible.
 */
static int number_msgid(struct session *s, const struct group *g, int64_t n, struct msgid_ctx *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if (n < 1 || n > g->high)
		return MOOT_ENOTFOUND;
	rc = store_over_range(s->d->store, g->id, n, n, 1, 0, msgid_row, c);
	if (rc < 0)
		return MOOT_ESTORE;
	return c->found ? 0 : MOOT_ENOTFOUND;
}

/* LAST (dir < 0, RFC 3977 §6.1.3) and NEXT (dir > 0, §6.1.4). */
static void step(struct session *s, int dir)
{
	struct group *g = cur_group(s);
	struct msgid_ctx c;
	int64_t n;
	int rc;

	if (g == NULL) {
		session_reply(s, 412, "No newsgroup selected");
		return;
	}
	if (s->cur == 0) {
		session_reply(s, 420, "Current article number is invalid");
		return;
	}
	rc = store_number_step(s->d->store, g->id, s->cur, dir, &n);
	if (rc == 0)
		rc = number_msgid(s, g, n, &c);
	if (rc == MOOT_ENOTFOUND) {
		if (dir < 0)
			session_reply(s, 422, "No previous article in this group");
		else
			session_reply(s, 421, "No next article in this group");
		return;
	}
	if (rc != 0) {
		reply_store_error(s);
		return;
	}
	s->cur = n;
	session_reply(s, 223, "%" PRId64 " %s", n, c.msgid);
}

static void cmd_last(struct session *s, struct command *cmd)
{
	step(s, -1);
}

static void cmd_next(struct session *s, struct command *cmd)
{
	step(s, 1);
}

/* ---- ARTICLE, HEAD, BODY, STAT ---- */

/*
 * Resolve the argument of ARTICLE/HEAD/BODY/STAT (RFC 3977 §6.2): NULL for
 * the current article, a number, or a message-id.  Sets *number (0 for a
 * message-id) and *article_id.  On error the reply is sent and -1 returned.
 */
static int resolve_article(struct session *s, const char *arg, int64_t *number, int64_t *article_id)
{
	struct group *g;
	int64_t n;
	int rc;

	if (arg != NULL && is_msgid_arg(arg)) {
		if (!msgid_ok(arg)) {
			session_reply(s, 501, "Syntax error in message-id");
			return -1;
		}
		rc = store_msgid_get(s->d->store, arg, article_id);
		if (rc == MOOT_ENOTFOUND) {
			session_reply(s, 430, "No article with that message-id");
			return -1;
		}
		if (rc != 0) {
			reply_store_error(s);
			return -1;
		}
		*number = 0;
		return 0;
	}
	if (arg != NULL && parse_number(arg, &n) != 0) {
		session_reply(s, 501, "Syntax error in article number");
		return -1;
	}
	g = cur_group(s);
	if (g == NULL) {
		session_reply(s, 412, "No newsgroup selected");
		return -1;
	}
	if (arg == NULL) {
		n = s->cur;
		if (n == 0) {
			session_reply(s, 420, "Current article number is invalid");
			return -1;
		}
	}
	rc = n >= 1 && n <= g->high ? store_number_get(s->d->store, g->id, n, article_id)
				    : MOOT_ENOTFOUND;
	if (rc == MOOT_ENOTFOUND) {
		if (arg == NULL)
			session_reply(s, 420, "Current article number is invalid");
		else
			session_reply(s, 423, "No article with that number");
		return -1;
	}
	if (rc != 0) {
		reply_store_error(s);
		return -1;
	}
	*number = n;
	return 0;
}

/* Write one stored part, making sure it ends with CRLF before the "." line. */
static void write_part(struct session *s, const char *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
	session_write(s, p, n);
	if (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n')
		session_write(s, "\r\n", 2);
}

struct fetch_ctx {
	struct session *s;
	int code;		/* 220, 221 or 222 */
	int64_t number;
	int done;
};

/* store_article_get callback: the whole reply, straight from the stored bytes. */
static int fetch_row(void *arg, const char *msgid, const char *head, size_t head_len,
		     const char *body, size_t body_len)
{
	struct fetch_ctx *c = arg;
	struct session *s = c->s;

	session_reply(s, c->code, "%" PRId64 " %s", c->number, msgid ? msgid : "");
	if (c->code != 222)
		write_part(s, head, head_len);
	if (c->code == 220)
		session_write(s, "\r\n", 2);	/* RFC 5536 §2.1: empty line between */
	if (c->code != 221)
		write_part(s, body, body_len);
	session_end(s);
	c->done = 1;
	return 0;
}

/* ARTICLE (220), HEAD (221), BODY (222) (RFC 3977 §6.2.1-§6.2.3). */
static void fetch(struct session *s, struct command *cmd, int code)
{
	struct fetch_ctx c = { s, code, 0, 0 };
	int64_t article_id;
	int what = code == 221 ? STORE_HEAD : code == 222 ? STORE_BODY : STORE_HEAD | STORE_BODY;
	const char *arg = cmd->argc ? cmd->argv[0] : NULL;
	int rc;

	store_read_begin(s->d->store);
	if (resolve_article(s, arg, &c.number, &article_id) != 0) {
		store_read_end(s->d->store);
		return;
	}
	rc = store_article_get(s->d->store, article_id, what, fetch_row, &c);
	store_read_end(s->d->store);
	if (!c.done) {
		if (rc == MOOT_ENOTFOUND && c.number == 0)
			session_reply(s, 430, "No article with that message-id");
		else if (rc == MOOT_ENOTFOUND && arg != NULL)
			session_reply(s, 423, "No article with that number");
		else if (rc == MOOT_ENOTFOUND)
			session_reply(s, 420, "Current article number is invalid");
		else
			reply_store_error(s);
		return;
	}
	if (c.number != 0)
		s->cur = c.number;
}

static void cmd_article(struct session *s, struct command *cmd)
{
	fetch(s, cmd, 220);
}

static void cmd_head(struct session *s, struct command *cmd)
{
	fetch(s, cmd, 221);
}

static void cmd_body(struct session *s, struct command *cmd)
{
	fetch(s, cmd, 222);
}

/* STAT (RFC 3977 §6.2.4): 223 n <msgid>, without the text. */
static void cmd_stat(struct session *s, struct command *cmd)
{
	const char *arg = cmd->argc ? cmd->argv[0] : NULL;
	struct msgid_ctx c;
	int64_t number, article_id;
	int rc;

	if (arg != NULL && is_msgid_arg(arg)) {
		if (resolve_article(s, arg, &number, &article_id) == 0)
			session_reply(s, 223, "0 %s", arg);
		return;
	}
	if (arg != NULL && parse_number(arg, &number) != 0) {
		session_reply(s, 501, "Syntax error in article number");
		return;
	}
	if (cur_group(s) == NULL) {
		session_reply(s, 412, "No newsgroup selected");
		return;
	}
	if (arg == NULL) {
		number = s->cur;
		if (number == 0) {
			session_reply(s, 420, "Current article number is invalid");
			return;
		}
	}
	rc = number_msgid(s, s->group, number, &c);
	if (rc == MOOT_ENOTFOUND) {
		if (arg == NULL)
			session_reply(s, 420, "Current article number is invalid");
		else
			session_reply(s, 423, "No article with that number");
		return;
	}
	if (rc != 0) {
		reply_store_error(s);
		return;
	}
	s->cur = number;
	session_reply(s, 223, "%" PRId64 " %s", number, c.msgid);
}

/* ---- OVER, XOVER, HDR, XHDR, XPAT ---- */

/*
 * Resolve the range/message-id argument of OVER/HDR/XPAT (RFC 3977 §8.3.2,
 * §8.5.2); arg NULL is the current article.  On error the reply is sent and
 * -1 returned.  A range is clamped to 1..the committed high water mark;
 * sel->lo > sel->hi means it selects nothing.
 */
static int resolve_range(struct session *s, const char *arg, struct sel *sel)
{
	struct group *g;
	int rc;

	memset(sel, 0, sizeof(*sel));
	if (arg != NULL && is_msgid_arg(arg)) {
		if (!msgid_ok(arg)) {
			session_reply(s, 501, "Syntax error in message-id");
			return -1;
		}
		rc = store_msgid_get(s->d->store, arg, &sel->article_id);
		if (rc == MOOT_ENOTFOUND) {
			session_reply(s, 430, "No article with that message-id");
			return -1;
		}
		if (rc != 0) {
			reply_store_error(s);
			return -1;
		}
		sel->kind = SEL_MSGID;
		sel->msgid = arg;
		return 0;
	}
	if (arg != NULL && parse_range(arg, &sel->lo, &sel->hi) != 0) {
		session_reply(s, 501, "Syntax error in range");
		return -1;
	}
	g = cur_group(s);
	if (g == NULL) {
		session_reply(s, 412, "No newsgroup selected");
		return -1;
	}
	if (arg == NULL) {
		if (s->cur == 0) {
			session_reply(s, 420, "Current article number is invalid");
			return -1;
		}
		sel->kind = SEL_CURRENT;
		sel->lo = sel->hi = s->cur;
	} else {
		sel->kind = SEL_RANGE;
	}
	if (sel->lo < 1)
		sel->lo = 1;
	if (sel->hi > g->high)
		sel->hi = g->high;
	return 0;
}

/* The field a header name asks for. */
static enum field field_of(const char *name)
{
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(overview_fields); i++)
		if (strcasecmp(name, overview_fields[i].name) == 0)
			return overview_fields[i].field;
	return F_OTHER;
}

/*
 * Check a HDR/XHDR/XPAT field argument: a header name (RFC 5322 §3.6.8
 * printable characters but ':') or ":bytes"/":lines".  Replies 501 or 503
 * (RFC 3977 §8.5.2: unsupported metadata) and returns -1 when it is not.
 * A lone ":" names no metadata item (RFC 3977 §9.8: ":" 1*A-NOTCOLON) and is
 * a syntax error, as in INN; it only means "any header" in LIST HEADERS.
 */
static int check_field(struct session *s, const char *name)
{
	const char *p;

	if (name[0] == ':' && name[1] != '\0') {
		if (field_of(name) != F_OTHER)
			return 0;
		session_reply(s, 503, "Unsupported metadata item");
		return -1;
	}
	if (strlen(name) > FIELD_MAX) {
		session_reply(s, 501, "Header name too long");
		return -1;
	}
	for (p = name; *p; p++) {
		if ((unsigned char)*p < 33 || (unsigned char)*p > 126 || *p == ':') {
			session_reply(s, 501, "Syntax error in header name");
			return -1;
		}
	}
	return 0;
}

/* Set up r for kind from s->cont_arg ("field\0pattern\0"). */
static int rows_init(struct rows *r, struct session *s, enum rows_kind kind)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->out = &r->own;
	if (kind == ROWS_OVER)
		return 0;
	r->name = s->cont_arg;
	r->field = field_of(r->name);
	if (kind == ROWS_XPAT)
		r->pattern = s->cont_arg + strlen(s->cont_arg) + 1;
	if (r->field == F_OTHER) {
		r->art = malloc(sizeof(*r->art));
		if (r->art == NULL)
			return MOOT_ENOMEM;
	}
	return 0;
}

static void rows_release(struct rows *r)
{
	buf_release(&r->own);
	buf_release(&r->val);
	free(r->art);
	r->art = NULL;
}

/* 1 if the stored head/whatever is needed for r's field. */
static int rows_want_head(const struct rows *r)
{
	return r->kind != ROWS_OVER && r->field == F_OTHER;
}

/* The value of r's field in row (valid until the next call). */
static const char *field_value(struct rows *r, const struct store_over *row)
{
	const struct article_header *h;
	const char *why;

	buf_clear(&r->val);
	r->absent = 0;
	switch (r->field) {
	case F_SUBJECT:
		return row->subject ? row->subject : "";
	case F_FROM:
		return row->from ? row->from : "";
	case F_DATE:
		return row->date ? row->date : "";
	case F_MSGID:
		return row->msgid ? row->msgid : "";
	case F_REFS:
		return row->refs ? row->refs : "";
	case F_XREF:
		return row->xref ? row->xref : "";
	case F_BYTES:
		if (buf_printf(&r->val, "%" PRId64, row->bytes) != 0)
			r->err = 1;
		break;
	case F_LINES:
		if (buf_printf(&r->val, "%" PRId64, row->lines) != 0)
			r->err = 1;
		break;
	case F_OTHER:
		if (row->head == NULL || r->art == NULL ||
		    article_parse(row->head, row->head_len, r->art, &why) != 0)
			break;
		h = article_get(r->art, r->name);
		r->absent = h == NULL;
		if (h != NULL && article_overview_value(h->value, h->value_len, &r->val) != 0)
			r->err = 1;
		break;
	}
	return bufstr(&r->val);
}

/* v >= 0 in decimal, NUL-terminated at the end of a 24-byte tmp; returns its start. */
static char *decimal(char tmp[24], int64_t v)
{
	char *p = tmp + 23;
	uint64_t u = v < 0 ? 0 : (uint64_t)v;

	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	return p;
}

/*
 * store_over_range/store_over_article callback (HDR, XHDR, XPAT): one row
 * into *r->out.  HDR gives an article without the header an empty value
 * (RFC 3977 §8.5.2); XHDR and XPAT leave it out, as INN does (RFC 2980
 * §2.6 and §2.9 say nothing of it): an absent header matches no pattern.
 */
static int emit_row(void *arg, const struct store_over *row)
{
	struct rows *r = arg;
	const char *value;
	int rc;

	r->last = row->number;
	r->nrows++;
	value = field_value(r, row);
	if (r->absent && r->kind != ROWS_HDR)
		return 0;
	if (r->pattern && !wildmat_match(r->pattern, value))
		return 0;
	if (r->key)
		rc = buf_printf(r->out, "%s %s\r\n", r->key, value);
	else
		rc = buf_printf(r->out, "%" PRId64 " %s\r\n", row->number, value);
	if (rc != 0)
		r->err = 1;
	return 0;
}

/* store_over_lines/store_over_line callback: the overview line (RFC 3977
 * §8.3.2, the fields of LIST OVERVIEW.FMT), "number TAB line CRLF", into
 * *r->out; the line is stored ready (store.c's overview table). */
static int emit_line(void *arg, int64_t number, const char *line, size_t len)
{
	struct rows *r = arg;
	char nbuf[24];
	const char *num = decimal(nbuf, number);
	size_t nlen = strlen(num);
	char *w;

	r->last = number;
	r->nrows++;
	if (buf_reserve(r->out, nlen + 1 + len + 2) != 0) {
		r->err = 1;
		return 1;
	}
	w = r->out->data + r->out->len;
	memcpy(w, num, nlen);
	w[nlen] = '\t';
	memcpy(w + nlen + 1, line, len);
	memcpy(w + nlen + 1 + len, "\r\n", 3);	/* with the NUL */
	r->out->len += nlen + 1 + len + 2;
	return 0;
}

/*
 * One chunk of rows s->cont_next..s->cont_hi of the selected group into r.
 * Returns 1 when more remain, 0 when this was the last, < 0 on failure.
 */
static int rows_chunk(struct session *s, struct rows *r)
{
	int n;

	assert(s->group != NULL);
	if (r->kind == ROWS_OVER)
		n = store_over_lines(s->d->store, s->group->id, s->cont_next, s->cont_hi,
				     ROWS_CHUNK, emit_line, r);
	else
		n = store_over_range(s->d->store, s->group->id, s->cont_next, s->cont_hi,
				     ROWS_CHUNK, rows_want_head(r), emit_row, r);
	if (n < 0 || r->err)
		return MOOT_ESTORE;
	if (n < ROWS_CHUNK || r->last >= s->cont_hi)
		return 0;
	s->cont_next = r->last + 1;
	return 1;
}

/* Continuation of OVER/HDR/XHDR/XPAT (session_cont_fn). */
static int rows_cont(struct session *s)
{
	struct rows r;
	int rc;

	size_t start;

	rc = rows_init(&r, s, (enum rows_kind)s->cont_kind);
	/* Rows go straight into the session's output, without a copy. */
	r.out = session_output(s);
	start = r.out->len;
	if (rc == 0)
		rc = rows_chunk(s, &r);
	if (rc < 0) {
		r.out->len = start;	/* no half chunk before the close */
		rows_release(&r);
		abort_reply(s);
		return 0;
	}
	rows_release(&r);
	if (rc == 0)
		session_end(s);
	return rc;
}

/* The status line of a row reply. */
static void reply_rows_status(struct session *s, enum rows_kind kind)
{
	switch (kind) {
	case ROWS_OVER:
		session_reply(s, 224, "Overview information follows");
		break;
	case ROWS_HDR:
		session_reply(s, 225, "Headers follow");
		break;
	default:
		session_reply(s, 221, "Header follows");
		break;
	}
}

/*
 * Produce a row reply of kind for sel (s->cont_arg already holds the field
 * and pattern).  legacy: XOVER/XHDR/XPAT, which answer an empty range with an
 * empty block as INN does, where OVER/HDR answer 423 (RFC 3977 §8.3.2).
 */
static void rows_reply(struct session *s, enum rows_kind kind, const struct sel *sel, int legacy)
{
	struct rows r;
	int rc;

	if (rows_init(&r, s, kind) != 0) {
		session_reply(s, 403, "Internal fault (out of memory)");
		return;
	}
	if (sel->kind == SEL_MSGID) {
		/* By message-id the number field is 0 (RFC 3977 §8.3.2, §8.5.2);
		 * XHDR and XPAT print the message-id instead (RFC 2980 §2.6). */
		if (kind == ROWS_XHDR || kind == ROWS_XPAT)
			r.key = sel->msgid;
		if (kind == ROWS_OVER)
			rc = store_over_line(s->d->store, sel->article_id, emit_line, &r);
		else
			rc = store_over_article(s->d->store, sel->article_id, rows_want_head(&r),
						emit_row, &r);
		if ((rc < 0 && rc != MOOT_ENOTFOUND) || r.err) {
			reply_store_error(s);
		} else if (r.nrows == 0) {
			session_reply(s, 430, "No article with that message-id");
		} else {
			reply_rows_status(s, kind);
			session_write(s, r.own.data, r.own.len);
			session_end(s);
		}
		rows_release(&r);
		return;
	}
	s->cont_kind = kind;
	s->cont_next = sel->lo;
	s->cont_hi = sel->hi;
	rc = sel->lo <= sel->hi ? rows_chunk(s, &r) : 0;
	if (rc < 0) {
		reply_store_error(s);
	} else if (r.nrows == 0 && sel->kind == SEL_CURRENT) {
		session_reply(s, 420, "Current article number is invalid");
	} else if (r.nrows == 0 && !legacy) {
		session_reply(s, 423, "No articles in that range");
	} else {
		reply_rows_status(s, kind);
		session_write(s, r.own.data, r.own.len);
		if (rc == 0)
			session_end(s);
		else
			session_continue(s, rows_cont);
	}
	rows_release(&r);
}

/* OVER and XOVER [range|<msgid>] (RFC 3977 §8.3, RFC 2980 §2.8). */
static void cmd_over(struct session *s, struct command *cmd)
{
	struct sel sel;

	if (resolve_range(s, cmd->argc ? cmd->argv[0] : NULL, &sel) != 0)
		return;
	rows_reply(s, ROWS_OVER, &sel, strcmp(cmd->verb, "XOVER") == 0);
}

/*
 * Store "field\0pattern\0" in s->cont_arg for the rows continuation.
 * Returns 0, or replies 501 and returns -1 when it does not fit.
 */
static int set_cont_arg(struct session *s, const char *field, const char *pattern)
{
	size_t fl = strlen(field), pl = strlen(pattern);

	if (fl + 1 + pl + 1 > sizeof(s->cont_arg)) {
		session_reply(s, 501, "Arguments too long");
		return -1;
	}
	memcpy(s->cont_arg, field, fl + 1);
	memcpy(s->cont_arg + fl + 1, pattern, pl + 1);
	return 0;
}

/* HDR (RFC 3977 §8.5) and XHDR (RFC 2980 §2.6): field [range|<msgid>]. */
static void cmd_hdr(struct session *s, struct command *cmd)
{
	int xhdr = strcmp(cmd->verb, "XHDR") == 0;
	struct sel sel;

	if (check_field(s, cmd->argv[0]) != 0)
		return;
	if (set_cont_arg(s, cmd->argv[0], "") != 0)
		return;
	if (resolve_range(s, cmd->argc > 1 ? cmd->argv[1] : NULL, &sel) != 0)
		return;
	rows_reply(s, xhdr ? ROWS_XHDR : ROWS_HDR, &sel, xhdr);
}

/*
 * Build the one pattern of XPAT from its words argv[0..argc): joined with
 * single spaces, as INN does (clients send a search for "*two words*"
 * unquoted), and matched as INN's uwildmat_simple would: a ',' or a leading
 * '!' is an ordinary character, so each is escaped for wildmat_match.
 * Returns 0, or MOOT_ETOOBIG when it does not fit in len bytes.
 */
static int xpat_pattern(char *out, size_t len, char **argv, int argc)
{
	size_t o = 0;
	int i;

	for (i = 0; i < argc; i++) {
		const char *p;

		if (i > 0 && o + 1 < len)
			out[o++] = ' ';
		for (p = argv[i]; *p; p++) {
			if (o + 3 > len)
				return MOOT_ETOOBIG;
			if (*p == '\\' && p[1] != '\0') {
				out[o++] = *p++;
			} else if (*p == ',' || (*p == '!' && o == 0)) {
				out[o++] = '\\';
			}
			out[o++] = *p;
		}
	}
	if (o + 1 > len)
		return MOOT_ETOOBIG;
	out[o] = '\0';
	return 0;
}

/*
 * XPAT field range|<msgid> pattern [pattern...] (RFC 2980 §2.9).  The
 * pattern is not checked with wildmat_valid: like INN, anything is a
 * pattern, and what RFC 3977 would reject stands for itself.
 */
static void cmd_xpat(struct session *s, struct command *cmd)
{
	char pattern[sizeof(s->cont_arg)];
	struct sel sel;

	if (check_field(s, cmd->argv[0]) != 0)
		return;
	if (xpat_pattern(pattern, sizeof(pattern), cmd->argv + 2, cmd->argc - 2) != 0) {
		session_reply(s, 501, "Pattern too long");
		return;
	}
	if (set_cont_arg(s, cmd->argv[0], pattern) != 0)
		return;
	if (resolve_range(s, cmd->argv[1], &sel) != 0)
		return;
	rows_reply(s, ROWS_XPAT, &sel, 1);
}

/* ---- LIST, XGTITLE, NEWGROUPS ---- */

/* Validate an optional wildmat argument; replies 501 and returns -1 if bad. */
static int check_wildmat(struct session *s, const char *w)
{
	if (w != NULL && wildmat_valid(w) != 0) {
		session_reply(s, 501, "Syntax error in wildmat");
		return -1;
	}
	return 0;
}

/* 1 if g is listed: active and matching wildmat w (NULL matches all). */
static int listed(const struct group *g, const char *w)
{
	return g->active && (w == NULL || wildmat_match(w, g->name));
}

/* One LIST ACTIVE line (RFC 3977 §7.6.3). */
static void active_line(struct session *s, const struct group *g)
{
	session_line(s, "%s %" PRId64 " %" PRId64 " %c", g->name, g->high, g->low,
		     group_status(g));
}

enum list_what { LIST_ACTIVE, LIST_COUNTS, LIST_TIMES, LIST_NEWSGROUPS, LIST_XGTITLE, LIST_SUBSCRIPTIONS };

/* The group lines of LIST ACTIVE/ACTIVE.TIMES/NEWSGROUPS and XGTITLE. */
static void list_groups(struct session *s, int code, enum list_what what, const char *w)
{
	struct mootd *d = s->d;
	size_t i;

	if (check_wildmat(s, w) != 0)
		return;
	session_reply(s, code, code == 282 ? "Descriptions follow" : "Information follows");
	for (i = 0; i < d->ngroups; i++) {
		const struct group *g = d->groups[i];
		if (!listed(g, w))
			continue;
		switch (what) {
		case LIST_ACTIVE:
			active_line(s, g);
			break;
		case LIST_COUNTS:	/* RFC 6048 §2.2: ACTIVE with the count before the status */
			session_line(s, "%s %" PRId64 " %" PRId64 " %" PRId64 " %c", g->name, g->high,
				     g->low, g->count, group_status(g));
			break;
		case LIST_TIMES:	/* RFC 3977 §7.6.4 */
			session_line(s, "%s %" PRId64 " moot", g->name, g->created);
			break;
		case LIST_NEWSGROUPS:	/* RFC 3977 §7.6.6 */
		case LIST_XGTITLE:	/* RFC 2980 §2.15 */
			session_line(s, "%s\t%s", g->name, g->description ? g->description : "");
			break;
		case LIST_SUBSCRIPTIONS:	/* RFC 6048 §2.6: every group the admin made */
			session_line(s, "%s", g->name);
			break;
		}
	}
	session_end(s);
}

/* LIST [keyword [argument]] (RFC 3977 §7.6, RFC 6048). */
static void cmd_list(struct session *s, struct command *cmd)
{
	static const char *const overview_fmt[] = {
		"Subject:", "From:", "Date:", "Message-ID:", "References:",
		/* RFC 3977 §8.4.2 allows these compatibility names for :bytes and
		 * :lines; slrn turns XOVER off unless it sees them, and nntplib
		 * and tin read either. */
		"Bytes:", "Lines:", "Xref:full",
	};
	const char *kw = cmd->argc ? cmd->argv[0] : "ACTIVE";
	const char *arg = cmd->argc > 1 ? cmd->argv[1] : NULL;
	size_t i;

	if (strcasecmp(kw, "ACTIVE") == 0) {
		list_groups(s, 215, LIST_ACTIVE, arg);
	} else if (strcasecmp(kw, "COUNTS") == 0) {
		list_groups(s, 215, LIST_COUNTS, arg);
	} else if (strcasecmp(kw, "ACTIVE.TIMES") == 0) {
		list_groups(s, 215, LIST_TIMES, arg);
	} else if (strcasecmp(kw, "NEWSGROUPS") == 0) {
		list_groups(s, 215, LIST_NEWSGROUPS, arg);
	} else if (strcasecmp(kw, "OVERVIEW.FMT") == 0 && arg == NULL) {
		/* RFC 3977 §8.4 */
		session_reply(s, 215, "Order of fields in overview database");
		for (i = 0; i < MOOT_ARRAY_SIZE(overview_fmt); i++)
			session_line(s, "%s", overview_fmt[i]);
		session_end(s);
	} else if (strcasecmp(kw, "HEADERS") == 0 &&
		   (arg == NULL || strcasecmp(arg, "MSGID") == 0 || strcasecmp(arg, "RANGE") == 0)) {
		/* RFC 3977 §8.6: any header, and two metadata items, both forms. */
		session_reply(s, 215, "Field list follows");
		session_line(s, ":");
		session_line(s, ":bytes");
		session_line(s, ":lines");
		session_end(s);
	} else if (strcasecmp(kw, "MOTD") == 0 && arg == NULL) {
		/* RFC 6048 §2.5 */
		if (s->d->cfg.motd == NULL) {
			session_reply(s, 503, "No message of the day");
			return;
		}
		session_reply(s, 215, "Message of the day follows");
		write_text_lines(s, s->d->cfg.motd);
		session_end(s);
	} else if (strcasecmp(kw, "SUBSCRIPTIONS") == 0) {
		/* The groups of a community server are the admin's choice, so
		 * a reader's first .newsrc (tin asks) may as well have them all. */
		list_groups(s, 215, LIST_SUBSCRIPTIONS, arg);
	} else if (strcasecmp(kw, "DISTRIB.PATS") == 0 && arg == NULL) {
		session_reply(s, 503, "Distribution patterns not available");
	} else {
		session_reply(s, 501, "Unknown LIST keyword or bad argument");
	}
}

/* XGTITLE [wildmat] (RFC 2980 §2.15): 282 and "name\tdescription" lines. */
static void cmd_xgtitle(struct session *s, struct command *cmd)
{
	struct group *g = cur_group(s);
	const char *w = cmd->argc ? cmd->argv[0] : g ? g->name : "*";

	list_groups(s, 282, LIST_XGTITLE, w);
}

/*
 * Parse the date arguments of NEWGROUPS/NEWNEWS (RFC 3977 §7.3.2): date,
 * time and an optional "GMT".  Replies 501 and returns -1 when bad.
 */
static int parse_when(struct session *s, char **argv, int argc, int64_t *t)
{
	if (argc == 3 && strcasecmp(argv[2], "GMT") != 0) {
		session_reply(s, 501, "Syntax error: expected GMT");
		return -1;
	}
	if (date_parse_nntp(argv[0], argv[1], mootd_now(), t) != 0) {
		session_reply(s, 501, "Syntax error in date or time");
		return -1;
	}
	return 0;
}

/* NEWGROUPS date time [GMT] (RFC 3977 §7.3). */
static void cmd_newgroups(struct session *s, struct command *cmd)
{
	struct mootd *d = s->d;
	int64_t since;
	size_t i;

	if (parse_when(s, cmd->argv, cmd->argc, &since) != 0)
		return;
	session_reply(s, 231, "List of new newsgroups follows");
	for (i = 0; i < d->ngroups; i++) {
		const struct group *g = d->groups[i];
		if (g->active && g->created >= since)
			active_line(s, g);
	}
	session_end(s);
}

/* ---- NEWNEWS ---- */

/* Articles one NEWNEWS chunk looks at. */
#define NEWNEWS_CHUNK 500

struct newnews_ctx {
	struct mootd *d;
	const char *wildmat;
	int64_t last_id;	/* article id last listed, -1 none */
	struct buf *out;	/* the session's output */
	int err;
};

/* store_newnews callback: list each article once when one of its groups matches. */
static int newnews_row(void *arg, int64_t article_id, const char *msgid, int64_t group_id)
{
	struct newnews_ctx *c = arg;
	const struct group *g;

	if (article_id == c->last_id || msgid == NULL)
		return 0;
	g = groups_by_id(c->d, group_id);
	if (g == NULL || !listed(g, c->wildmat))
		return 0;
	c->last_id = article_id;
	if (buf_cat(c->out, msgid, "\r\n", (char *)NULL) != 0)
		c->err = 1;
	return 0;
}

/*
 * One chunk of NEWNEWS: articles after s->cont_next that arrived at or after
 * s->cont_hi, groups matching the wildmat in s->cont_arg, into the output.
 * 1 when more remain, 0 at the end, < 0 on failure (the output is as before).
 */
static int newnews_chunk(struct session *s)
{
	struct newnews_ctx c = { s->d, s->cont_arg, -1, session_output(s), 0 };
	size_t start = c.out->len;
	int64_t last;
	int n;

	n = store_newnews(s->d->store, s->cont_hi, s->cont_next, NEWNEWS_CHUNK, newnews_row, &c, &last);
	if (n < 0 || c.err) {
		c.out->len = start;
		return MOOT_ESTORE;
	}
	s->cont_next = last;
	return n == NEWNEWS_CHUNK;
}

/* Continuation of NEWNEWS (session_cont_fn): the reply is produced a chunk
 * at a time, as the client reads it, so a long list costs no memory. */
static int newnews_cont(struct session *s)
{
	int rc = newnews_chunk(s);

	if (rc < 0) {
		abort_reply(s);
		return 0;
	}
	if (rc == 0)
		session_end(s);
	return rc;
}

/* NEWNEWS wildmat date time [GMT] (RFC 3977 §7.4). */
static void cmd_newnews(struct session *s, struct command *cmd)
{
	int64_t since, after;
	size_t mark;
	int rc;

	if (check_wildmat(s, cmd->argv[0]) != 0)
		return;
	if (parse_when(s, cmd->argv + 1, cmd->argc - 1, &since) != 0)
		return;
	if (strlen(cmd->argv[0]) >= sizeof(s->cont_arg)) {
		session_reply(s, 501, "Wildmat too long");
		return;
	}
	if (store_newnews_first(s->d->store, since, &after) != 0) {
		reply_store_error(s);
		return;
	}
	snprintf(s->cont_arg, sizeof(s->cont_arg), "%s", cmd->argv[0]);
	s->cont_next = after;
	s->cont_hi = since;
	mark = session_output(s)->len;
	session_reply(s, 230, "List of new articles follows");
	rc = after == INT64_MAX ? 0 : newnews_chunk(s);
	if (rc < 0) {
		session_output(s)->len = mark;	/* nothing sent yet: a plain error */
		reply_store_error(s);
		return;
	}
	if (rc == 0)
		session_end(s);
	else
		session_continue(s, newnews_cont);
}

/* ---- STARTTLS, AUTHINFO, transit ---- */

/* STARTTLS (RFC 4642 §2.2). */
static void cmd_starttls(struct session *s, struct command *cmd)
{
	if (s->tls_started) {
		session_reply(s, 502, "Already using TLS");
		return;
	}
	if (s->d->tls == NULL) {
		session_reply(s, 580, "Can not initiate TLS negotiation");
		return;
	}
	session_reply(s, 382, "Continue with TLS negotiation");
	/* RFC 4642 §2.2.2: state learnt before TLS is discarded. */
	s->group = NULL;
	s->cur = 0;
	/* On failure session_starttls has already aborted the connection. */
	(void)session_starttls(s);
}

/* ---- dispatch ---- */

typedef void (*handler_fn)(struct session *s, struct command *cmd);

#define R 1	/* the command reads articles or groups */

/* Sorted by verb (strcmp): reader_dispatch searches it by halves. */
static const struct command_entry {
	const char *verb;
	handler_fn fn;
	int min, max;		/* allowed argument counts */
	int flags;		/* R: needs read access (server.access.read) */
} commands[] = {
	{ "ARTICLE", cmd_article, 0, 1, R },
	{ "AUTHINFO", auth_authinfo, 0, COMMAND_MAX_ARGS, 0 },
	{ "BODY", cmd_body, 0, 1, R },
	{ "CAPABILITIES", cmd_capabilities, 0, 1, 0 },
	{ "CHECK", transit_check, 0, COMMAND_MAX_ARGS, 0 },
	{ "DATE", cmd_date, 0, 0, 0 },
	{ "GROUP", cmd_group, 1, 1, R },
	{ "HDR", cmd_hdr, 1, 2, R },
	{ "HEAD", cmd_head, 0, 1, R },
	{ "HELP", cmd_help, 0, 0, 0 },
	{ "IHAVE", transit_ihave, 0, COMMAND_MAX_ARGS, 0 },
	{ "LAST", cmd_last, 0, 0, R },
	{ "LIST", cmd_list, 0, 2, R },
	{ "LISTGROUP", cmd_listgroup, 0, 2, R },
	{ "MODE", cmd_mode, 1, 1, 0 },
	{ "NEWGROUPS", cmd_newgroups, 2, 3, R },
	{ "NEWNEWS", cmd_newnews, 3, 4, R },
	{ "NEXT", cmd_next, 0, 0, R },
	{ "OVER", cmd_over, 0, 1, R },
	{ "POST", community_post, 0, 0, 0 },
	{ "QUIT", cmd_quit, 0, 0, 0 },
	{ "STARTTLS", cmd_starttls, 0, 0, 0 },
	{ "STAT", cmd_stat, 0, 1, R },
	{ "TAKETHIS", transit_takethis, 0, COMMAND_MAX_ARGS, 0 },
	{ "XCANCEL", community_xcancel, 1, 1, 0 },
	{ "XGTITLE", cmd_xgtitle, 0, 1, R },
	{ "XHDR", cmd_hdr, 1, 2, R },
	{ "XMOD", community_xmod, 1, COMMAND_MAX_ARGS, 0 },
	{ "XOVER", cmd_over, 0, 1, R },
	{ "XPAT", cmd_xpat, 3, COMMAND_MAX_ARGS, R },
	{ "XSTATS", community_xstats, 0, 2, 0 },
};

static int command_cmp(const void *key, const void *entry)
{
	return strcmp(key, ((const struct command_entry *)entry)->verb);
}

/* Run one parsed command; every path appends exactly one reply (RFC 3977 §3.2). */
void reader_dispatch(struct session *s, struct command *cmd)
{
	const struct command_entry *c;
#ifndef NDEBUG
	static int sorted;
	size_t i;

	for (i = 1; !sorted && i < MOOT_ARRAY_SIZE(commands); i++)
		assert(strcmp(commands[i - 1].verb, commands[i].verb) < 0);
	sorted = 1;
#endif
	assert(s != NULL && cmd != NULL);
	c = bsearch(cmd->verb, commands, MOOT_ARRAY_SIZE(commands), sizeof(commands[0]), command_cmp);
	if (c == NULL) {
		session_reply(s, 500, "Unknown command");
		return;
	}
	if ((c->flags & R) && !auth_may_read(s)) {
		/* RFC 4643 §2.1: 480 when authentication is needed first. */
		session_reply(s, 480, "Authentication required");
		return;
	}
	if (cmd->argc < c->min || cmd->argc > c->max) {
		session_reply(s, 501, "Syntax error: wrong number of arguments");
		return;
	}
	c->fn(s, cmd);
}
