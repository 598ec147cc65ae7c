/*
 * main.c: moot, the command-line reader.
 *
 *   moot [options] groups
 *   moot [options] threads GROUP [--all]
 *   moot [options] read GROUP [NUMBER|<message-id>] [--thread]
 *   moot [options] post GROUP --subject S
 *   moot [options] reply <message-id> | reply GROUP NUMBER
 *   moot [options] catchup GROUP | unread GROUP
 *   moot [options] mod queue [WILDMAT] | show ID | approve ID | reject ID [--reason R]
 *   moot [options] mod ban USER|ADDRESS [--for 7d] [--reason R] | unban USER|ADDRESS
 *   moot [options] cancel <message-id>
 *   moot [options] stats [WILDMAT] [--days N]
 *
 * Each subcommand is one short synchronous NNTP conversation (conn.c),
 * with read state kept in ~/.newsrc (newsrc.c) so tin and slrn share it.
 * Output is collected in a buffer, then shown through $PAGER with colour
 * when stdout is a terminal, or written plainly (or as one JSON document
 * with --json) for scripts.  Exit status: 0 ok, 1 usage, not found or not
 * permitted, 2 network, TLS or authentication failure; one-line messages
 * on stderr.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../proto/moot.h"
#include "../proto/article.h"
#include "../proto/line.h"
#include "conf.h"
#include "conn.h"
#include "json.h"
#include "newsrc.h"
#include "post.h"
#include "thread.h"

#define EXIT_USAGE 1		/* usage error, the group/article does not exist, not permitted */
#define EXIT_NET 2		/* network, TLS or authentication failure */
#define RULE "------------------------------------------------------------------------"

/* Everything one run needs; made in main(), passed down. */
struct ctx {
	struct conf cf;
	const char *subject;		/* post --subject */
	const char *reason;		/* mod reject/ban --reason */
	const char *ban_for;		/* mod ban --for */
	const char *ban_user;		/* mod ban/unban --user */
	const char *ban_address;	/* mod ban/unban --address */
	int days;			/* stats --days, 0: the default */
	int json, all, thread;		/* --json, --all, --thread */
	int tty, colour;		/* stdout is a terminal; colour wanted */
	struct conn *c;			/* open connection, or NULL */
	struct newsrc *nr;		/* loaded .newsrc, or NULL */
	struct buf out;			/* output collected for emit() */
};

/* An article fetched with ARTICLE, parsed. */
struct fetched {
	int64_t number;			/* in the current group, 0 if unknown */
	struct buf text;		/* as received: LF lines, un-stuffed */
	struct buf wire;		/* the same in wire form, what a points into */
	struct article a;
	struct buf body;		/* plain body, LF lines */
};

/* One group of `moot groups`. */
struct grp {
	char *name;
	int64_t low, high;
	const char *desc;		/* points into the LIST NEWSGROUPS block, or "" */
};

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A one-line message on stderr, prefixed "moot: ". */
static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs("moot: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fputs("usage: moot [options] COMMAND [ARGS]\n"
	      "commands:\n"
	      "  groups                              groups, unread counts, descriptions\n"
	      "  threads GROUP [--all]               the threads of a group as a tree\n"
	      "  read GROUP [NUMBER|<msgid>] [--thread]  the next unread (or the named) article\n"
	      "  post GROUP --subject S              post (body from stdin or $EDITOR)\n"
	      "  reply <msgid> | reply GROUP NUMBER  follow up, quoting the article\n"
	      "  catchup GROUP                       mark the whole group read\n"
	      "  unread GROUP                        mark the whole group unread\n"
	      "  mod queue [WILDMAT]                 articles awaiting approval (moderators)\n"
	      "  mod show ID | approve ID            show or approve a queued article\n"
	      "  mod reject ID [--reason R]          drop a queued article\n"
	      "  mod ban USER|ADDRESS [--for 7d] [--reason R]   stop someone posting\n"
	      "  mod unban USER|ADDRESS              lift a ban (--user/--address force the kind)\n"
	      "  cancel <msgid>                      withdraw an article (its author, moderators)\n"
	      "  stats [WILDMAT] [--days N]          community health figures (moderators)\n"
	      "options:\n"
	      "  --config FILE  --server HOST:PORT  --tls implicit|starttls|off  --ca FILE\n"
	      "  --fingerprint sha256:HEX  --user NAME  --insecure  --newsrc FILE  --json\n"
	      "  (after `mod ban`/`mod unban`, --user NAME names whom to ban, not the login)\n"
	      "See moot(1).\n", f);
}

/* ------------------------------------------------------------ output */

/*
 * Append len bytes of text from the network to the output.  On a terminal,
 * control characters (C0 except TAB and LF, DEL, and C1 as UTF-8) become
 * '?', so an article cannot drive the terminal with escape sequences.
 */
static void put(struct ctx *x, const char *s, size_t len)
{
	size_t i, start = 0;

	if (!x->tty) {
		buf_append(&x->out, s, len);
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		int bad = (ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f;
		int c1 = ch == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
			 (unsigned char)s[i + 1] <= 0x9f;

		if (!bad && !c1)
			continue;
		buf_append(&x->out, s + start, i - start);
		buf_append(&x->out, "?", 1);
		i += (size_t)c1;
		start = i + 1;
	}
	buf_append(&x->out, s + start, len - start);
}

static void puts_(struct ctx *x, const char *s)
{
	put(x, s, strlen(s));
}

/* SGR attributes, only when colour is on: "1" bold, "2" dim, "0" reset. */
static void attr(struct ctx *x, const char *sgr)
{
	if (x->colour)
		buf_printf(&x->out, "\033[%sm", sgr);
}

/* Append s cut or padded to width characters (UTF-8 code points). */
static void put_padded(struct ctx *x, const char *s, size_t width)
{
	size_t i, chars = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (chars == width)
			break;
		chars++;
	}
	put(x, s, i);
	for (; chars < width; chars++)
		buf_append(&x->out, " ", 1);
}

/*
 * Show the collected output: through $PAGER (default "less -FRX") when
 * stdout is a terminal, else written as is.
 */
static void emit(struct ctx *x)
{
	const char *pager = getenv("PAGER");
	FILE *p = NULL;

	if (x->out.len == 0)
		return;
	if (x->tty) {
		if (pager == NULL || *pager == '\0')
			pager = "less -FRX";
		if (strcmp(pager, "cat") != 0) {
			fflush(stdout);
			p = popen(pager, "w");
		}
	}
	if (p != NULL) {
		fwrite(x->out.data, 1, x->out.len, p);
		pclose(p);
	} else {
		fwrite(x->out.data, 1, x->out.len, stdout);
		fflush(stdout);
	}
	buf_clear(&x->out);
}

/* ------------------------------------------------------------ connection */

/* Open the connection described by the configuration; 0 or an exit status. */
static int connect_server(struct ctx *x)
{
	struct conn_opts o;
	char err[600], *password = NULL;
	int rc;

	if (x->c != NULL)
		return 0;
	memset(&o, 0, sizeof(o));
	o.host = x->cf.host;
	o.port = conf_port(&x->cf);
	o.tls = x->cf.tls;
	o.ca = x->cf.ca;
	o.fingerprint = x->cf.fingerprint;
	o.insecure = x->cf.insecure;
	o.user = x->cf.user;
	if (x->cf.user != NULL && x->cf.password_command != NULL) {
		if (conf_password(&x->cf, &password, err, sizeof(err)) != 0) {
			msg("%s", err);
			return EXIT_NET;
		}
	}
	o.password = password;
	rc = conn_open(&o, &x->c, err, sizeof(err));
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	if (rc != 0) {
		msg("%s", err);
		return EXIT_NET;
	}
	return 0;
}

static void disconnect(struct ctx *x)
{
	conn_close(x->c);
	x->c = NULL;
}

/* Send a command; 0 with *code and text, or EXIT_NET after a message. */
static int cmd(struct ctx *x, const char *line, int *code, char *text, size_t textlen)
{
	if (conn_cmd(x->c, line, code, text, textlen) != 0) {
		msg("%s", conn_error(x->c));
		return EXIT_NET;
	}
	if (*code == 480 || *code == 481 || *code == 483) {
		msg("%s: %d %s", line, *code, text);
		return EXIT_NET;
	}
	return 0;
}

/* Read a multi-line block into out; 0 or EXIT_NET. */
static int block(struct ctx *x, struct buf *out)
{
	if (conn_read_block(x->c, out) != 0) {
		msg("%s", conn_error(x->c));
		return EXIT_NET;
	}
	return 0;
}

/* An unexpected reply to line: say so; EXIT_NET. */
static int unexpected(const char *line, int code, const char *text)
{
	msg("%s: unexpected reply %d %s", line, code, text);
	return EXIT_NET;
}

/* 1 if s is a valid group name we may put on a command line. */
static int group_ok(const char *g)
{
	if (!article_group_valid(g, strlen(g))) {
		msg("'%.80s' is not a valid group name", g);
		return 0;
	}
	return 1;
}

/* Parse a positive article number; 0 or -1. */
static int parse_number(const char *s, int64_t *n)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*n = strtoll(s, &end, 10);
	return errno || *end != '\0' || *n < 1 ? -1 : 0;
}

/* GROUP name (RFC 3977 §6.1.1): the figures; 0, or EXIT_USAGE for 411, EXIT_NET. */
static int select_group(struct ctx *x, const char *g, int64_t *count, int64_t *low, int64_t *high)
{
	char line[MOOT_MAX_GROUP + 16], text[512];
	long long n = 0, lo = 0, hi = 0;
	int code, rc;

	snprintf(line, sizeof(line), "GROUP %s", g);
	if ((rc = cmd(x, line, &code, text, sizeof(text))) != 0)
		return rc;
	if (code == 411) {
		msg("no such group '%s'", g);
		return EXIT_USAGE;
	}
	if (code != 211 || sscanf(text, "%lld %lld %lld", &n, &lo, &hi) != 3)
		return unexpected(line, code, text);
	*count = n;
	*low = lo;
	*high = hi;
	return 0;
}

/* Load the .newsrc; 0 or EXIT_USAGE. */
static int load_newsrc(struct ctx *x)
{
	int rc = newsrc_load(x->cf.newsrc, &x->nr);

	if (rc != 0) {
		msg("cannot read '%s': %s", x->cf.newsrc, rc > -10000 ? strerror(-rc) : "out of memory");
		return EXIT_USAGE;
	}
	return 0;
}

/* Save the .newsrc atomically; 0 or EXIT_USAGE. */
static int save_newsrc(struct ctx *x)
{
	int rc = newsrc_save(x->nr, x->cf.newsrc);

	if (rc != 0) {
		msg("cannot write '%s': %s", x->cf.newsrc, rc > -10000 ? strerror(-rc) : "error");
		return EXIT_USAGE;
	}
	return 0;
}

/* ------------------------------------------------------------ articles */

static void fetched_release(struct fetched *f)
{
	buf_release(&f->text);
	buf_release(&f->wire);
	buf_release(&f->body);
}

/* The unfolded value of header name in f, into out (cleared); 1 if absent. */
static int header(const struct fetched *f, const char *name, struct buf *out)
{
	const struct article_header *h = article_get(&f->a, name);

	buf_clear(out);
	if (h == NULL) {
		buf_puts(out, "");
		return 1;
	}
	article_unfold(h->value, h->value_len, out);
	return 0;
}

/* The number of this article in group g from its Xref header (RFC 5536 §3.2.14), or 0. */
static int64_t xref_number(const struct fetched *f, const char *g)
{
	struct buf v = { 0 };
	size_t glen = strlen(g);
	int64_t n = 0;
	char *p, *save = NULL;

	if (header(f, "Xref", &v) == 0) {
		for (p = strtok_r(v.data, " ", &save); p; p = strtok_r(NULL, " ", &save))
			if (strncmp(p, g, glen) == 0 && p[glen] == ':') {
				n = strtoll(p + glen + 1, NULL, 10);
				break;
			}
	}
	buf_release(&v);
	return n;
}

/*
 * ARTICLE spec (a number in the current group or a <message-id>) into f.
 * 0, EXIT_USAGE for 423/430 (after a message naming what), or EXIT_NET.
 */
static int fetch(struct ctx *x, const char *spec, const char *group, struct fetched *f)
{
	char line[MOOT_MAX_MSGID + 16], text[512];
	const char *why = NULL;
	long long n = 0;
	int code, rc;

	memset(f, 0, sizeof(*f));
	snprintf(line, sizeof(line), "ARTICLE %s", spec);
	if ((rc = cmd(x, line, &code, text, sizeof(text))) != 0)
		return rc;
	if (code == 423 || code == 430 || code == 420) {
		if (spec[0] == '<')
			msg("no article %s", spec);
		else
			msg("no article %s in %s", spec, group ? group : "the group");
		return EXIT_USAGE;
	}
	if (code == 412) {
		msg("%s: no group selected", line);
		return EXIT_USAGE;
	}
	if (code != 220)
		return unexpected(line, code, text);
	if ((rc = block(x, &f->text)) != 0)
		return rc;
	sscanf(text, "%lld", &n);
	f->number = n;
	line_stuff_text(&f->wire, f->text.data ? f->text.data : "", f->text.len);
	if (article_parse(f->wire.data ? f->wire.data : "", f->wire.len, &f->a, &why) != 0) {
		msg("%s: the server sent an article that does not parse: %s", line, why);
		return EXIT_NET;
	}
	line_unstuff_text(&f->body, f->a.body, f->a.body_len);
	if (f->number == 0 && group != NULL)
		f->number = xref_number(f, group);
	return 0;
}

/* Show one article: the headers a person wants, an empty line, the body. */
static void show_article(struct ctx *x, const struct fetched *f)
{
	static const char *const names[] = { "From", "Date", "Subject", "Newsgroups", "Message-ID" };
	struct buf v = { 0 };
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(names); i++) {
		if (header(f, names[i], &v) != 0)
			continue;
		attr(x, "2");
		buf_printf(&x->out, "%s:", names[i]);
		attr(x, "0");
		buf_append(&x->out, " ", 1);
		if (i == 2)
			attr(x, "1");
		put(x, v.data, v.len);
		if (i == 2)
			attr(x, "0");
		buf_append(&x->out, "\n", 1);
	}
	buf_append(&x->out, "\n", 1);
	put(x, f->body.data ? f->body.data : "", f->body.len);
	if (f->body.len && f->body.data[f->body.len - 1] != '\n')
		buf_append(&x->out, "\n", 1);
	buf_release(&v);
}

/* The article as a JSON object: group, number, msgid, headers, body. */
static void json_article(struct buf *o, const struct fetched *f, const char *group)
{
	struct buf v = { 0 };
	size_t i, j;

	json_object_begin(o);
	json_key(o, "group");
	json_string(o, group);
	json_key(o, "number");
	json_int(o, f->number);
	json_key(o, "msgid");
	header(f, "Message-ID", &v);
	json_string_n(o, v.data, v.len);
	json_key(o, "headers");
	json_object_begin(o);
	for (i = 0; i < f->a.nh; i++) {
		const struct article_header *h = &f->a.h[i];
		char name[128];
		int dup = 0;

		/* A name that appears twice keeps its first value (valid JSON objects
		 * should not repeat a member name, RFC 8259 §4). */
		for (j = 0; j < i && !dup; j++)
			dup = f->a.h[j].name_len == h->name_len &&
			      strncasecmp(f->a.h[j].name, h->name, h->name_len) == 0;
		if (dup || h->name_len >= sizeof(name))
			continue;
		memcpy(name, h->name, h->name_len);
		name[h->name_len] = '\0';
		buf_clear(&v);
		article_unfold(h->value, h->value_len, &v);
		json_key(o, name);
		json_string_n(o, v.data ? v.data : "", v.len);
	}
	json_object_end(o);
	json_key(o, "body");
	json_string_n(o, f->body.data ? f->body.data : "", f->body.len);
	json_object_end(o);
	buf_release(&v);
}

/* ------------------------------------------------------------ groups */

static int grp_cmp(const void *a, const void *b)
{
	return strcmp(((const struct grp *)a)->name, ((const struct grp *)b)->name);
}

/* Attach LIST NEWSGROUPS descriptions (name WSP description lines) to gs. */
static void describe(struct grp *gs, size_t n, struct buf *desc)
{
	char *p = desc->data, *end = desc->data + desc->len;

	while (p && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;
		struct grp key, *hit;

		if (nl == NULL)
			break;
		*nl = '\0';
		sp = p + strcspn(p, " \t");
		if (*sp != '\0') {
			*sp++ = '\0';
			sp += strspn(sp, " \t");
		}
		key.name = p;
		hit = bsearch(&key, gs, n, sizeof(*gs), grp_cmp);
		if (hit != NULL)
			hit->desc = sp;
		p = nl + 1;
	}
}

/* moot groups: LIST ACTIVE, LIST NEWSGROUPS (RFC 3977 §7.6.3, §7.6.6). */
static int cmd_groups(struct ctx *x)
{
	struct buf active = { 0 }, desc = { 0 };
	struct grp *gs = NULL;
	size_t n = 0, cap = 0, i, width = 10;
	char text[512], *p, *end;
	int code, rc;

	if ((rc = load_newsrc(x)) != 0 || (rc = connect_server(x)) != 0)
		return rc;
	if ((rc = cmd(x, "LIST ACTIVE", &code, text, sizeof(text))) != 0)
		return rc;
	if (code != 215)
		return unexpected("LIST ACTIVE", code, text);
	if ((rc = block(x, &active)) != 0)
		goto out;
	if ((rc = cmd(x, "LIST NEWSGROUPS", &code, text, sizeof(text))) != 0)
		goto out;
	if (code == 215 && (rc = block(x, &desc)) != 0)
		goto out;
	for (p = active.data, end = p + active.len; p && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), name[MOOT_MAX_GROUP];
		long long hi, lo;

		if (nl == NULL)
			break;
		*nl = '\0';
		if (sscanf(p, "%255s %lld %lld", name, &hi, &lo) == 3) {
			if (n == cap) {
				struct grp *g = realloc(gs, (cap ? cap * 2 : 32) * sizeof(*gs));
				if (g == NULL) {
					rc = EXIT_NET;
					goto out;
				}
				gs = g;
				cap = cap ? cap * 2 : 32;
			}
			gs[n].name = strdup(name);
			gs[n].low = lo;
			gs[n].high = hi;
			gs[n].desc = "";
			if (gs[n].name != NULL)
				n++;
		}
		p = nl + 1;
	}
	qsort(gs, n, sizeof(*gs), grp_cmp);
	describe(gs, n, &desc);
	for (i = 0; i < n; i++)
		if (strlen(gs[i].name) > width)
			width = strlen(gs[i].name);
	if (x->json) {
		json_object_begin(&x->out);
		json_key(&x->out, "groups");
		json_array_begin(&x->out);
	}
	for (i = 0; i < n; i++) {
		struct grp *g = &gs[i];
		/* RFC 3977 §6.1.1.2: an empty group has high = low - 1. */
		int64_t count = g->high >= g->low ? g->high - g->low + 1 : 0;
		int64_t unread = count ? newsrc_unread_count(x->nr, g->name, g->low, g->high) : 0;

		if (x->json) {
			json_object_begin(&x->out);
			json_key(&x->out, "name");
			json_string(&x->out, g->name);
			json_key(&x->out, "description");
			json_string(&x->out, g->desc);
			json_key(&x->out, "low");
			json_int(&x->out, g->low);
			json_key(&x->out, "high");
			json_int(&x->out, g->high);
			json_key(&x->out, "count");
			json_int(&x->out, count);
			json_key(&x->out, "unread");
			json_int(&x->out, unread);
			json_object_end(&x->out);
			continue;
		}
		if (unread)
			attr(x, "1");
		put_padded(x, g->name, width);
		buf_printf(&x->out, " %6" PRId64, unread);
		if (unread)
			attr(x, "0");
		buf_puts(&x->out, "  ");
		puts_(x, g->desc);
		buf_puts(&x->out, "\n");
	}
	if (x->json) {
		json_array_end(&x->out);
		json_object_end(&x->out);
		buf_puts(&x->out, "\n");
	}
	emit(x);
out:
	for (i = 0; i < n; i++)
		free(gs[i].name);
	free(gs);
	buf_release(&active);
	buf_release(&desc);
	return rc;
}

/* ------------------------------------------------------------ threads */

/*
 * GROUP g, then OVER low-high (RFC 3977 §8.3) into ts, built, with read
 * flags from the .newsrc.  0, EXIT_USAGE (no such group) or EXIT_NET.
 */
static int load_threads(struct ctx *x, const char *g, struct thread_set *ts)
{
	struct buf ov = { 0 };
	int64_t count, low, high;
	char line[64], text[512], *p, *end;
	int code, rc;
	size_t i;

	if ((rc = select_group(x, g, &count, &low, &high)) != 0)
		return rc;
	if (count == 0 || high < low)
		return 0;
	snprintf(line, sizeof(line), "OVER %" PRId64 "-%" PRId64, low, high);
	if ((rc = cmd(x, line, &code, text, sizeof(text))) != 0)
		return rc;
	if (code == 423)
		return 0;	/* no articles in that range */
	if (code != 224)
		return unexpected(line, code, text);
	if ((rc = block(x, &ov)) != 0)
		goto out;
	for (p = ov.data, end = p + ov.len; p && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *f[8];
		int nf = 0;
		int64_t num;

		if (nl == NULL)
			break;
		*nl = '\0';
		/* number, Subject, From, Date, Message-ID, References, :bytes, :lines */
		f[nf++] = p;
		while (nf < 8 && (p = strchr(p, '\t')) != NULL) {
			*p++ = '\0';
			f[nf++] = p;
		}
		if (nf >= 6 && parse_number(f[0], &num) == 0 && f[4][0] == '<') {
			if (thread_add(ts, num, f[4], f[1], f[2], f[3], f[5]) != 0) {
				msg("out of memory");
				rc = EXIT_NET;
				goto out;
			}
		}
		p = nl + 1;
	}
	if (thread_build(ts) != 0) {
		msg("out of memory");
		rc = EXIT_NET;
		goto out;
	}
	for (i = 0; i < ts->n; i++)
		ts->nodes[i]->read = newsrc_is_read(x->nr, g, ts->nodes[i]->number);
out:
	buf_release(&ov);
	return rc;
}

/* 1 when some article of root's thread is unread. */
static int thread_unread(const struct thread_node *root)
{
	const struct thread_node *t;

	for (t = root; t != NULL; t = thread_walk_next(root, t))
		if (!t->read)
			return 1;
	return 0;
}

/* One node and its subtree as JSON. */
static void json_node(struct buf *o, const struct thread_node *t)
{
	const struct thread_node *ch;

	json_object_begin(o);
	json_key(o, "number");
	json_int(o, t->number);
	json_key(o, "msgid");
	json_string(o, t->msgid);
	json_key(o, "subject");
	json_string(o, t->subject);
	json_key(o, "from");
	json_string(o, t->from);
	json_key(o, "date");
	json_string(o, t->date);
	json_key(o, "posted");
	json_int(o, t->posted);
	json_key(o, "read");
	json_bool(o, t->read);
	json_key(o, "replies");
	json_int(o, (int64_t)t->replies);
	json_key(o, "children");
	json_array_begin(o);
	for (ch = t->child; ch != NULL; ch = ch->next)
		json_node(o, ch);
	json_array_end(o);
	json_object_end(o);
}

/* "YYYY-MM-DD HH:MM" in local time, or blanks when the date did not parse. */
static void put_date(struct ctx *x, int64_t posted)
{
	time_t t = (time_t)posted;
	struct tm tm;
	char s[32];

	if (posted == 0 || localtime_r(&t, &tm) == NULL)
		snprintf(s, sizeof(s), "%-16s", "(no date)");
	else
		strftime(s, sizeof(s), "%Y-%m-%d %H:%M", &tm);
	attr(x, "2");
	buf_puts(&x->out, s);
	attr(x, "0");
}

/* One line of the tree: marker, indent, number, date, author, subject. */
static void thread_line(struct ctx *x, const struct thread_node *t)
{
	struct buf author = { 0 };

	buf_puts(&x->out, t->read ? "  " : "* ");
	buf_printf(&x->out, "%*s%-5" PRId64 " ", 2 * t->depth, "", t->number);
	put_date(x, t->posted);
	buf_puts(&x->out, "  ");
	post_author_name(&author, t->from);
	put_padded(x, author.data ? author.data : "", 20);
	buf_puts(&x->out, "  ");
	if (t->depth == 0)
		attr(x, "1");
	puts_(x, t->subject);
	if (t->depth == 0) {
		attr(x, "0");
		buf_printf(&x->out, " (%zu %s)", t->replies, t->replies == 1 ? "reply" : "replies");
	}
	buf_puts(&x->out, "\n");
	buf_release(&author);
}

/* moot threads GROUP [--all] */
static int cmd_threads(struct ctx *x, const char *g)
{
	struct thread_set ts;
	const struct thread_node *t;
	size_t i;
	int rc, shown = 0;

	thread_set_init(&ts);
	if (!group_ok(g))
		return EXIT_USAGE;
	if ((rc = load_newsrc(x)) != 0 || (rc = connect_server(x)) != 0)
		return rc;
	if ((rc = load_threads(x, g, &ts)) != 0)
		goto out;
	if (x->json) {
		json_object_begin(&x->out);
		json_key(&x->out, "group");
		json_string(&x->out, g);
		json_key(&x->out, "threads");
		json_array_begin(&x->out);
	}
	for (i = 0; i < ts.nroots; i++) {
		if (!x->all && !thread_unread(ts.roots[i]))
			continue;
		shown++;
		if (x->json) {
			json_node(&x->out, ts.roots[i]);
			continue;
		}
		for (t = ts.roots[i]; t != NULL; t = thread_walk_next(ts.roots[i], t))
			thread_line(x, t);
	}
	if (x->json) {
		json_array_end(&x->out);
		json_object_end(&x->out);
		buf_puts(&x->out, "\n");
	} else if (shown == 0) {
		fprintf(stderr, "moot: no %sthreads in %s%s\n", x->all ? "" : "unread ", g,
			x->all || ts.n == 0 ? "" : " (--all shows read ones)");
	}
	emit(x);
out:
	thread_set_release(&ts);
	return rc;
}

/* ------------------------------------------------------------ read */

/* The first unread article number of the selected group g (LISTGROUP,
 * RFC 3977 §6.1.2), or 0 when none; 0 or an exit status. */
static int first_unread(struct ctx *x, const char *g, int64_t low, int64_t high, int64_t *found)
{
	struct buf nums = { 0 };
	char line[MOOT_MAX_GROUP + 64], text[512], *p, *end;
	int64_t start = low, n;
	int code, rc;

	*found = 0;
	/* Skip what the .newsrc already covers, so LISTGROUP sends only the rest. */
	while (start <= high && newsrc_is_read(x->nr, g, start))
		start++;
	if (start > high)
		return 0;
	snprintf(line, sizeof(line), "LISTGROUP %s %" PRId64 "-%" PRId64, g, start, high);
	if ((rc = cmd(x, line, &code, text, sizeof(text))) != 0)
		return rc;
	if (code != 211)
		return unexpected(line, code, text);
	if ((rc = block(x, &nums)) != 0)
		goto out;
	for (p = nums.data, end = p + nums.len; p && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			break;
		*nl = '\0';
		if (parse_number(p, &n) == 0 && !newsrc_is_read(x->nr, g, n)) {
			*found = n;
			break;
		}
		p = nl + 1;
	}
out:
	buf_release(&nums);
	return rc;
}

/* Show (or add to the JSON array) article spec of g and mark it read. */
static int read_one(struct ctx *x, const char *g, const char *spec)
{
	struct fetched f;
	int rc = fetch(x, spec, g, &f);

	if (rc == 0) {
		if (x->json)
			json_article(&x->out, &f, g);
		else
			show_article(x, &f);
		if (f.number > 0 && newsrc_mark_range(x->nr, g, f.number, f.number) != 0) {
			msg("cannot mark %s %" PRId64 " read", g, f.number);
			rc = EXIT_USAGE;
		}
	}
	fetched_release(&f);
	return rc;
}

/* The Message-ID of the article spec names, fetched with HEAD. */
static int msgid_of(struct ctx *x, const char *spec, char *out, size_t outlen)
{
	char line[MOOT_MAX_MSGID + 16], text[512];
	int code, rc;

	snprintf(line, sizeof(line), "STAT %s", spec);
	if ((rc = cmd(x, line, &code, text, sizeof(text))) != 0)
		return rc;
	if (code == 423 || code == 430) {
		msg("no article %s", spec);
		return EXIT_USAGE;
	}
	if (code != 223 || post_msgid_from_reply(text, out, outlen) != 0)
		return unexpected(line, code, text);
	return 0;
}

/* --thread: every article of the thread holding msgid, in tree order. */
static int read_thread(struct ctx *x, const char *g, const char *msgid)
{
	struct thread_set ts;
	const struct thread_node *root, *t;
	char spec[32];
	int rc, first = 1;

	thread_set_init(&ts);
	if ((rc = load_threads(x, g, &ts)) != 0)
		goto out;
	t = thread_find(&ts, msgid);
	if (t == NULL) {
		/* Not in this group's overview: show the one article. */
		rc = read_one(x, g, msgid);
		goto out;
	}
	root = thread_root((struct thread_node *)t);
	for (t = root; t != NULL && rc == 0; t = thread_walk_next(root, t)) {
		if (!first && !x->json) {
			attr(x, "2");
			buf_puts(&x->out, RULE "\n");
			attr(x, "0");
		}
		first = 0;
		snprintf(spec, sizeof(spec), "%" PRId64, t->number);
		rc = read_one(x, g, spec);
		if (rc == EXIT_USAGE)
			rc = 0;	/* expired between OVER and ARTICLE: skip it */
	}
out:
	thread_set_release(&ts);
	return rc;
}

/* moot read GROUP [NUMBER|<msgid>] [--thread] */
static int cmd_read(struct ctx *x, const char *g, const char *which)
{
	char spec[MOOT_MAX_MSGID + 8], msgid[MOOT_MAX_MSGID + 8];
	int64_t count, low, high, n;
	int rc;

	if (!group_ok(g))
		return EXIT_USAGE;
	if (which != NULL) {
		if (which[0] == '<' ? !article_msgid_valid(which, strlen(which)) : parse_number(which, &n) != 0) {
			msg("'%.80s' is neither an article number nor a <message-id>", which);
			return EXIT_USAGE;
		}
	}
	if ((rc = load_newsrc(x)) != 0 || (rc = connect_server(x)) != 0)
		return rc;
	if ((rc = select_group(x, g, &count, &low, &high)) != 0)
		return rc;
	if (which != NULL) {
		snprintf(spec, sizeof(spec), "%s", which);
	} else {
		if ((rc = first_unread(x, g, low, high, &n)) != 0)
			return rc;
		if (n == 0) {
			fprintf(stderr, "moot: no unread articles in %s\n", g);
			return 0;
		}
		snprintf(spec, sizeof(spec), "%" PRId64, n);
	}
	if (x->json && x->thread)
		json_array_begin(&x->out);
	if (x->thread) {
		if ((rc = msgid_of(x, spec, msgid, sizeof(msgid))) == 0)
			rc = read_thread(x, g, msgid);
	} else {
		rc = read_one(x, g, spec);
	}
	if (x->json && x->thread)
		json_array_end(&x->out);
	if (x->json)
		buf_puts(&x->out, "\n");
	if (rc != 0)
		return rc;
	disconnect(x);
	emit(x);
	return save_newsrc(x);
}

/* ------------------------------------------------------------ post, reply */

/* The From for posts: the config's, or $USER@host. */
static int default_from(const struct ctx *x, struct buf *out)
{
	const char *user = getenv("USER");
	char host[256];

	if (x->cf.from != NULL)
		return buf_puts(out, x->cf.from);
	if (user == NULL || *user == '\0')
		user = getenv("LOGNAME");
	if (user == NULL || *user == '\0')
		user = "user";
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	return buf_printf(out, "%s@%s", user, host);
}

/*
 * Fill d's body: from stdin when it is not a terminal (appended to what d
 * holds, the quote), else through $EDITOR on the whole draft.  0, or
 * EXIT_USAGE when nothing was written (after a message).
 */
static int compose(struct ctx *x, struct post_draft *d)
{
	struct buf text = { 0 };
	const char *editor = getenv("VISUAL"), *why = NULL;
	char err[600];
	int rc;

	if (!isatty(0)) {
		if (d->body.len)
			buf_puts(&d->body, "\n");
		rc = post_read_fd(0, &d->body);
		if (rc != 0) {
			msg("reading the body from stdin: %s",
			    rc == MOOT_ETOOBIG ? "too large" : strerror(-rc));
			return EXIT_USAGE;
		}
		if (!post_body_written(d->body.data ? d->body.data : "", d->body.len)) {
			msg("empty body; nothing posted");
			return EXIT_USAGE;
		}
		return 0;
	}
	if (editor == NULL || *editor == '\0')
		editor = getenv("EDITOR");
	if (editor == NULL || *editor == '\0')
		editor = "vi";
	if (d->body.len)
		buf_puts(&d->body, "\n");
	post_template(&text, d);
	rc = post_edit(editor, &text, err, sizeof(err));
	if (rc != 0) {
		msg("%s", err);
		buf_release(&text);
		return EXIT_USAGE;
	}
	rc = post_parse(d, text.data ? text.data : "", text.len, &why);
	buf_release(&text);
	if (rc != 0) {
		msg("the edited article: %s; nothing posted", why ? why : "out of memory");
		return EXIT_USAGE;
	}
	if (!post_body_written(d->body.data ? d->body.data : "", d->body.len)) {
		msg("empty body; nothing posted");
		return EXIT_USAGE;
	}
	return 0;
}

/* Build, check and POST the draft; print the new Message-ID. */
static int send_draft(struct ctx *x, const struct post_draft *d, const char *extra)
{
	struct buf art = { 0 };
	const char *why = NULL;
	char text[512], id[MOOT_MAX_MSGID + 8];
	int code, rc;

	if (post_build(&art, d, extra, &why) != 0) {
		msg("not posted: %s", why ? why : "out of memory");
		buf_release(&art);
		return EXIT_USAGE;
	}
	if ((rc = connect_server(x)) != 0)
		goto out;
	if (conn_post(x->c, art.data, art.len, &code, text, sizeof(text)) != 0) {
		msg("%s", conn_error(x->c));
		rc = EXIT_NET;
		goto out;
	}
	if (code == 240) {
		if (post_msgid_from_reply(text, id, sizeof(id)) == 0)
			printf("%s\n", id);
		else
			fprintf(stderr, "moot: posted (the server did not say the Message-ID: %s)\n", text);
	} else if (code == 440 || code == 441) {
		msg("posting refused: %d %s", code, text);
		rc = EXIT_USAGE;
	} else if (code == 480 || code == 481 || code == 483 || code == 502) {
		msg("posting refused: %d %s", code, text);
		rc = EXIT_NET;
	} else {
		rc = unexpected("POST", code, text);
	}
out:
	buf_release(&art);
	return rc;
}

/* moot post GROUP --subject S */
static int cmd_post(struct ctx *x, const char *g)
{
	struct post_draft d = { { 0 }, { 0 } };
	struct buf from = { 0 };
	int rc;

	if (!group_ok(g))
		return EXIT_USAGE;
	if (x->subject == NULL && !isatty(0)) {
		msg("post: --subject is required when the body comes from stdin");
		return EXIT_USAGE;
	}
	if (x->subject && strpbrk(x->subject, "\r\n")) {
		msg("post: the subject must be one line");
		return EXIT_USAGE;
	}
	default_from(x, &from);
	buf_printf(&d.head, "From: %s\nNewsgroups: %s\nSubject: %s\n", from.data, g,
		   x->subject ? x->subject : "");
	rc = compose(x, &d);
	if (rc == 0)
		rc = send_draft(x, &d, NULL);
	post_draft_release(&d);
	buf_release(&from);
	return rc;
}

/* moot reply <msgid> | reply GROUP NUMBER */
static int cmd_reply(struct ctx *x, const char *a1, const char *a2)
{
	struct post_draft d = { { 0 }, { 0 } };
	struct buf from = { 0 }, v = { 0 }, subj = { 0 }, groups = { 0 }, refs = { 0 }, extra = { 0 };
	struct buf date = { 0 }, author = { 0 }, fup = { 0 }, ng = { 0 }, pid = { 0 };
	int64_t count, low, high, n;
	struct fetched f;
	int rc;

	memset(&f, 0, sizeof(f));
	if (a2 == NULL) {
		if (a1[0] != '<' || !article_msgid_valid(a1, strlen(a1))) {
			msg("reply: expected <message-id> or GROUP NUMBER");
			return EXIT_USAGE;
		}
	} else if (!group_ok(a1) || parse_number(a2, &n) != 0) {
		msg("reply: expected GROUP NUMBER");
		return EXIT_USAGE;
	}
	if ((rc = connect_server(x)) != 0)
		return rc;
	if (a2 != NULL && (rc = select_group(x, a1, &count, &low, &high)) != 0)
		return rc;
	if ((rc = fetch(x, a2 ? a2 : a1, a2 ? a1 : NULL, &f)) != 0)
		goto out;
	/* Compose without holding the connection open through the editor. */
	disconnect(x);
	header(&f, "Subject", &v);
	post_reply_subject(&subj, v.data);
	header(&f, "Newsgroups", &ng);
	header(&f, "Followup-To", &fup);
	post_reply_groups(&groups, ng.data, fup.data);
	if (fup.len && strncasecmp(fup.data, "poster", 6) == 0)
		fprintf(stderr, "moot: the author asked for replies by mail (Followup-To: poster); "
			"posting to %s anyway\n", ng.data);
	header(&f, "Message-ID", &pid);
	header(&f, "References", &v);
	if (pid.len == 0) {
		msg("the article has no Message-ID; cannot reply");
		rc = EXIT_USAGE;
		goto out;
	}
	post_references(&refs, v.data, pid.data);
	header(&f, "Date", &date);
	header(&f, "From", &v);
	post_author_name(&author, v.data);
	default_from(x, &from);
	buf_printf(&d.head, "From: %s\nNewsgroups: %s\nSubject: %s\n", from.data, groups.data, subj.data);
	post_quote(&d.body, date.data, author.data, f.body.data ? f.body.data : "", f.body.len);
	buf_printf(&extra, "References: %s\n", refs.data);
	rc = compose(x, &d);
	if (rc == 0)
		rc = send_draft(x, &d, extra.data);
out:
	fetched_release(&f);
	post_draft_release(&d);
	buf_release(&from);
	buf_release(&v);
	buf_release(&subj);
	buf_release(&groups);
	buf_release(&refs);
	buf_release(&extra);
	buf_release(&date);
	buf_release(&author);
	buf_release(&fup);
	buf_release(&ng);
	buf_release(&pid);
	return rc;
}

/* ------------------------------------------------------------ catchup, unread */

/* moot catchup GROUP / moot unread GROUP */
static int cmd_mark(struct ctx *x, const char *g, int catchup)
{
	int64_t count, low, high;
	int rc;

	if (!group_ok(g))
		return EXIT_USAGE;
	if ((rc = load_newsrc(x)) != 0 || (rc = connect_server(x)) != 0)
		return rc;
	if ((rc = select_group(x, g, &count, &low, &high)) != 0)
		return rc;
	disconnect(x);
	rc = catchup ? newsrc_catchup(x->nr, g, high) : newsrc_unread_all(x->nr, g);
	if (rc != 0) {
		msg("cannot update the read state of %s", g);
		return EXIT_USAGE;
	}
	if ((rc = save_newsrc(x)) != 0)
		return rc;
	if (catchup)
		printf("%s: all articles up to %" PRId64 " marked read\n", g, high);
	else
		printf("%s: all %" PRId64 " articles marked unread\n", g, count);
	return 0;
}

/* ------------------------------------------------------------ mod, cancel, stats */

/*
 * The community manager's commands speak moot's extension (docs/protocol.md,
 * "XMOOT"): XMOD, XCANCEL and XSTATS, with the private reply codes of
 * RFC 3977 §3.2.1.1 (290 list, 291 done, 292 figures, 490 no such item).
 * 502 (not a moderator, not the author) and 490 exit with EXIT_USAGE;
 * 480/481/483 (no or wrong credentials) with EXIT_NET, as everywhere.
 */

/* Longest command line we send (RFC 3977 §3.1: 512 octets with CRLF). */
#define CMD_MAX 510

/* 1 if s may go on a command line as one argument (no blanks, no controls). */
static int word_ok(const char *s)
{
	const unsigned char *p;

	if (*s == '\0')
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* 1 if s may end a command line as free text (no line breaks or controls). */
static int text_ok(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * Send line (built by the caller, at most CMD_MAX) and classify the reply:
 * 0 when it is want, EXIT_USAGE after a message for 502/490/430/441/501,
 * EXIT_NET otherwise.  what names the object in messages.
 */
static int ext_cmd(struct ctx *x, const char *line, int want, const char *what, char *text, size_t textlen)
{
	int code, rc;

	if (strlen(line) > CMD_MAX) {
		msg("%s: the command would be longer than %d octets", what, CMD_MAX);
		return EXIT_USAGE;
	}
	if ((rc = connect_server(x)) != 0 || (rc = cmd(x, line, &code, text, textlen)) != 0)
		return rc;
	if (code == want)
		return 0;
	switch (code) {
	case 502:
		msg("%s: not permitted: %s", what, text);
		return EXIT_USAGE;
	case 490:
	case 430:
		msg("%s: not found: %s", what, text);
		return EXIT_USAGE;
	case 441:
	case 501:
		msg("%s: refused: %d %s", what, code, text);
		return EXIT_USAGE;
	case 500:
		msg("%s: the server does not support moot's extension (XMOOT)", what);
		return EXIT_NET;
	default:
		return unexpected(line, code, text);
	}
}

/* Parse a queue id (a positive decimal); 0 or EXIT_USAGE. */
static int queue_id(const char *s, int64_t *id)
{
	if (parse_number(s, id) != 0) {
		msg("'%.80s' is not a queue id (see moot mod queue)", s);
		return EXIT_USAGE;
	}
	return 0;
}

/* Split the next tab-separated field off *p (NUL-terminated), "" at the end. */
static char *field(char **p)
{
	char *f = *p, *tab = strchr(f, '\t');

	if (tab != NULL) {
		*tab = '\0';
		*p = tab + 1;
	} else {
		*p = f + strlen(f);
	}
	return f;
}

/* moot mod queue [WILDMAT]: XMOD QUEUE, one line (or JSON object) per article. */
static int mod_queue(struct ctx *x, const char *wildmat)
{
	struct buf list = { 0 };
	char line[CMD_MAX + 1], text[512], *p, *end;
	int rc, n = 0;

	if (wildmat && !word_ok(wildmat)) {
		msg("mod queue: '%.80s' is not a group wildmat", wildmat);
		return EXIT_USAGE;
	}
	snprintf(line, sizeof(line), "XMOD QUEUE%s%s", wildmat ? " " : "", wildmat ? wildmat : "");
	if ((rc = ext_cmd(x, line, 290, "mod queue", text, sizeof(text))) != 0)
		return rc;
	if ((rc = block(x, &list)) != 0)
		goto out;
	if (x->json) {
		json_object_begin(&x->out);
		json_key(&x->out, "queue");
		json_array_begin(&x->out);
	}
	for (p = list.data, end = p + list.len; p && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *f = p;
		const char *id, *sub, *user, *groups, *mid, *from, *subject;

		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
		/* id, submitted, user, groups, message-id, from, subject */
		id = field(&f);
		sub = field(&f);
		user = field(&f);
		groups = field(&f);
		mid = field(&f);
		from = field(&f);
		subject = f;
		if (*id == '\0')
			continue;
		n++;
		if (x->json) {
			json_object_begin(&x->out);
			json_key(&x->out, "id");
			json_int(&x->out, strtoll(id, NULL, 10));
			json_key(&x->out, "submitted");
			json_int(&x->out, strtoll(sub, NULL, 10));
			json_key(&x->out, "user");
			json_string(&x->out, strcmp(user, "-") == 0 ? NULL : user);
			json_key(&x->out, "groups");
			json_string(&x->out, groups);
			json_key(&x->out, "msgid");
			json_string(&x->out, mid);
			json_key(&x->out, "from");
			json_string(&x->out, from);
			json_key(&x->out, "subject");
			json_string(&x->out, subject);
			json_object_end(&x->out);
			continue;
		}
		attr(x, "1");
		buf_printf(&x->out, "#%-5s", id);
		attr(x, "0");
		buf_puts(&x->out, " ");
		put_date(x, strtoll(sub, NULL, 10));
		buf_puts(&x->out, "  ");
		put_padded(x, groups, 20);
		buf_puts(&x->out, "  ");
		puts_(x, subject);
		buf_puts(&x->out, "\n        ");
		puts_(x, from);
		buf_puts(&x->out, " (");
		puts_(x, user);
		buf_puts(&x->out, ")  ");
		puts_(x, mid);
		buf_puts(&x->out, "\n");
	}
	if (x->json) {
		json_array_end(&x->out);
		json_object_end(&x->out);
		buf_puts(&x->out, "\n");
	} else if (n == 0) {
		fprintf(stderr, "moot: the moderation queue is empty%s%s\n", wildmat ? " for " : "",
			wildmat ? wildmat : "");
	}
	disconnect(x);
	emit(x);
out:
	buf_release(&list);
	return rc;
}

/* moot mod show ID: the queued article as the poster sent it. */
static int mod_show(struct ctx *x, const char *arg)
{
	struct buf art = { 0 };
	char line[64], text[512];
	int64_t id;
	int rc;

	if ((rc = queue_id(arg, &id)) != 0)
		return rc;
	snprintf(line, sizeof(line), "XMOD SHOW %" PRId64, id);
	if ((rc = ext_cmd(x, line, 290, "mod show", text, sizeof(text))) != 0)
		return rc;
	if ((rc = block(x, &art)) == 0) {
		if (x->json) {
			json_object_begin(&x->out);
			json_key(&x->out, "id");
			json_int(&x->out, id);
			json_key(&x->out, "article");
			json_string_n(&x->out, art.data ? art.data : "", art.len);
			json_object_end(&x->out);
			buf_puts(&x->out, "\n");
		} else {
			put(x, art.data ? art.data : "", art.len);
		}
		disconnect(x);
		emit(x);
	}
	buf_release(&art);
	return rc;
}

/* moot mod approve ID / moot mod reject ID [--reason R] */
static int mod_decide(struct ctx *x, const char *arg, int approve)
{
	char line[CMD_MAX + 64], text[512];
	int64_t id;
	int rc;

	if ((rc = queue_id(arg, &id)) != 0)
		return rc;
	if (approve && x->reason) {
		msg("mod approve: --reason goes with reject and ban");
		return EXIT_USAGE;
	}
	if (x->reason && !text_ok(x->reason)) {
		msg("--reason: one line of text, please");
		return EXIT_USAGE;
	}
	if (approve)
		snprintf(line, sizeof(line), "XMOD APPROVE %" PRId64, id);
	else
		snprintf(line, sizeof(line), "XMOD REJECT %" PRId64 "%s%s", id, x->reason ? " " : "",
			 x->reason ? x->reason : "");
	if ((rc = ext_cmd(x, line, 291, approve ? "mod approve" : "mod reject", text, sizeof(text))) != 0)
		return rc;
	printf("#%" PRId64 ": %s\n", id, text);
	return 0;
}

/*
 * Seconds in "7d", "12h", "30m", "45s", "2w" or "N" (seconds); "0" and
 * "forever" mean for good.  0 or -1.
 */
static int parse_duration(const char *s, int64_t *secs)
{
	static const struct { char unit; int64_t mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	char *end;
	long long n;
	size_t i;

	if (strcmp(s, "forever") == 0) {
		*secs = 0;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || n < 0 || n > 100LL * 365 * 86400)
		return -1;
	if (*end == '\0') {
		*secs = n;
		return 0;
	}
	if (end[1] != '\0')
		return -1;
	for (i = 0; i < MOOT_ARRAY_SIZE(units); i++)
		if (tolower((unsigned char)*end) == units[i].unit) {
			*secs = n * units[i].mult;
			return *secs <= 100LL * 365 * 86400 ? 0 : -1;
		}
	return -1;
}

/* Is target an address (has ':' or '.', or is all hex digits) rather than a user? */
static int looks_like_address(const char *t)
{
	const char *p;

	if (strpbrk(t, ":."))
		return 1;
	for (p = t; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return 0;
	return 1;
}

/*
 * The ban target and its kind: --user/--address after the subcommand, or
 * the one argument, guessed.  0 or EXIT_USAGE.
 */
static int ban_target(struct ctx *x, const char *sub, int argc, char **argv, const char **kind,
		      const char **target)
{
	int given = (x->ban_user != NULL) + (x->ban_address != NULL) + (argc > 0);

	if (given != 1 || argc > 1) {
		msg("mod %s: name one USER or ADDRESS (or --user NAME / --address ADDR)", sub);
		return EXIT_USAGE;
	}
	if (x->ban_user) {
		*kind = "USER";
		*target = x->ban_user;
	} else if (x->ban_address) {
		*kind = "ADDRESS";
		*target = x->ban_address;
	} else {
		*target = argv[0];
		*kind = looks_like_address(argv[0]) ? "ADDRESS" : "USER";
	}
	if (!word_ok(*target) || strlen(*target) > 255) {
		msg("mod %s: '%.80s' is not a user name or address", sub, *target);
		return EXIT_USAGE;
	}
	return 0;
}

/* moot mod ban TARGET [--for D] [--reason R] / moot mod unban TARGET */
static int mod_ban(struct ctx *x, int ban, int argc, char **argv)
{
	const char *sub = ban ? "ban" : "unban", *kind, *target;
	char line[CMD_MAX + 64], text[512];
	int64_t secs = 0;
	int rc;

	if ((rc = ban_target(x, sub, argc, argv, &kind, &target)) != 0)
		return rc;
	if (!ban && (x->ban_for || x->reason)) {
		msg("mod unban: --for and --reason go with ban");
		return EXIT_USAGE;
	}
	if (x->ban_for && parse_duration(x->ban_for, &secs) != 0) {
		msg("--for: expected a duration such as 7d, 12h, 30m or a number of seconds");
		return EXIT_USAGE;
	}
	if (x->reason && !text_ok(x->reason)) {
		msg("--reason: one line of text, please");
		return EXIT_USAGE;
	}
	if (ban)
		snprintf(line, sizeof(line), "XMOD BAN %s %s %" PRId64 "%s%s", kind, target, secs,
			 x->reason ? " " : "", x->reason ? x->reason : "");
	else
		snprintf(line, sizeof(line), "XMOD UNBAN %s %s", kind, target);
	if ((rc = ext_cmd(x, line, 291, ban ? "mod ban" : "mod unban", text, sizeof(text))) != 0)
		return rc;
	if (ban && secs)
		printf("banned %s %s for %" PRId64 "s (%s)\n", kind[0] == 'U' ? "user" : "address", target,
		       secs, x->ban_for);
	else if (ban)
		printf("banned %s %s for good\n", kind[0] == 'U' ? "user" : "address", target);
	else
		printf("unbanned %s %s\n", kind[0] == 'U' ? "user" : "address", target);
	return 0;
}

/* moot mod SUBCOMMAND ... */
static int cmd_mod(struct ctx *x, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";

	if (strcmp(sub, "queue") == 0 && argc <= 2)
		return mod_queue(x, argc == 2 ? argv[1] : NULL);
	if (strcmp(sub, "show") == 0 && argc == 2)
		return mod_show(x, argv[1]);
	if (strcmp(sub, "approve") == 0 && argc == 2)
		return mod_decide(x, argv[1], 1);
	if (strcmp(sub, "reject") == 0 && argc == 2)
		return mod_decide(x, argv[1], 0);
	if (strcmp(sub, "ban") == 0 || strcmp(sub, "unban") == 0)
		return mod_ban(x, sub[0] == 'b', argc - 1, argv + 1);
	msg("mod %s: expected queue [WILDMAT], show ID, approve ID, reject ID, ban TARGET or unban TARGET",
	    sub);
	return EXIT_USAGE;
}

/* moot cancel <message-id>: XCANCEL, by its author or a moderator. */
static int cmd_cancel(struct ctx *x, const char *id)
{
	char line[MOOT_MAX_MSGID + 16], text[512];
	int rc;

	if (strlen(id) > MOOT_MAX_MSGID || !article_msgid_valid(id, strlen(id))) {
		msg("cancel: '%.80s' is not a <message-id>", id);
		return EXIT_USAGE;
	}
	snprintf(line, sizeof(line), "XCANCEL %s", id);
	if ((rc = ext_cmd(x, line, 291, "cancel", text, sizeof(text))) != 0)
		return rc;
	printf("cancelled %s\n", id);
	return 0;
}

/* Seconds as "45s", "12m 5s", "3h 20m", "2d 4h"; "-" when negative (no figure). */
static void put_duration(struct ctx *x, int64_t s)
{
	if (s < 0)
		buf_puts(&x->out, "-");
	else if (s < 60)
		buf_printf(&x->out, "%" PRId64 "s", s);
	else if (s < 3600)
		buf_printf(&x->out, "%" PRId64 "m %" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		buf_printf(&x->out, "%" PRId64 "h %" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		buf_printf(&x->out, "%" PRId64 "d %" PRId64 "h", s / 86400, s % 86400 / 3600);
}

/* The figure names of XSTATS with their labels, in display order. */
static const struct {
	const char *key, *label;
	int seconds;		/* shown as a duration */
} figures[] = {
	{ "groups", "groups", 0 },
	{ "posts", "posts", 0 },
	{ "threads", "new threads", 0 },
	{ "posters", "active posters", 0 },
	{ "new_posters", "new posters", 0 },
	{ "unanswered", "threads without reply", 0 },
	{ "reply_p50_s", "first reply, median", 1 },
	{ "reply_p90_s", "first reply, 90th percentile", 1 },
};

/* One "top ARTICLE REPLIES SUBJECT" line of XSTATS. */
struct top_thread {
	int64_t article, replies;
	const char *subject;		/* points into the reply block */
};

#define TOP_MAX 20

/* moot stats [WILDMAT] [--days N] [--json]: XSTATS, the health figures. */
static int cmd_stats(struct ctx *x, const char *wildmat)
{
	struct buf lines = { 0 };
	struct top_thread top[TOP_MAX];
	char line[CMD_MAX + 1], text[512], *p, *end;
	int64_t v[MOOT_ARRAY_SIZE(figures)];
	int have[MOOT_ARRAY_SIZE(figures)] = { 0 };
	int rc, days = x->days ? x->days : 30;
	size_t i, ntop = 0;

	if (wildmat == NULL)
		wildmat = "*";
	if (!word_ok(wildmat)) {
		msg("stats: '%.80s' is not a group wildmat", wildmat);
		return EXIT_USAGE;
	}
	snprintf(line, sizeof(line), "XSTATS %s %d", wildmat, days);
	if ((rc = ext_cmd(x, line, 292, "stats", text, sizeof(text))) != 0)
		return rc;
	if ((rc = block(x, &lines)) != 0)
		goto out;
	/* "name N" lines, then "top ARTICLE REPLIES SUBJECT" lines; unknown names are skipped. */
	for (p = lines.data, end = p + lines.len; p && p < end; p++) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;
		long long id, replies;
		int off = 0;

		if (nl == NULL)
			break;
		*nl = '\0';
		if (strncmp(p, "top ", 4) == 0) {
			if (ntop < TOP_MAX && sscanf(p + 4, "%lld %lld %n", &id, &replies, &off) == 2 && off > 0)
				top[ntop++] = (struct top_thread){ id, replies, p + 4 + off };
		} else if ((sp = strchr(p, ' ')) != NULL) {
			*sp = '\0';
			for (i = 0; i < MOOT_ARRAY_SIZE(figures); i++)
				if (strcmp(p, figures[i].key) == 0) {
					v[i] = strtoll(sp + 1, NULL, 10);
					have[i] = 1;
				}
		}
		p = nl;
	}
	if (x->json) {
		json_object_begin(&x->out);
		json_key(&x->out, "wildmat");
		json_string(&x->out, wildmat);
		json_key(&x->out, "days");
		json_int(&x->out, days);
		for (i = 0; i < MOOT_ARRAY_SIZE(figures); i++) {
			if (!have[i])
				continue;
			json_key(&x->out, figures[i].key);
			if (figures[i].seconds && v[i] < 0)
				json_null(&x->out);	/* no thread was answered */
			else
				json_int(&x->out, v[i]);
		}
		json_key(&x->out, "top");
		json_array_begin(&x->out);
		for (i = 0; i < ntop; i++) {
			json_object_begin(&x->out);
			json_key(&x->out, "article");
			json_int(&x->out, top[i].article);
			json_key(&x->out, "replies");
			json_int(&x->out, top[i].replies);
			json_key(&x->out, "subject");
			json_string(&x->out, top[i].subject);
			json_object_end(&x->out);
		}
		json_array_end(&x->out);
		json_object_end(&x->out);
		buf_puts(&x->out, "\n");
	} else {
		attr(x, "1");
		buf_printf(&x->out, "%s, last %d days\n", wildmat, days);
		attr(x, "0");
		for (i = 0; i < MOOT_ARRAY_SIZE(figures); i++) {
			if (!have[i])
				continue;
			buf_printf(&x->out, "  %-30s ", figures[i].label);
			if (figures[i].seconds)
				put_duration(x, v[i]);
			else
				buf_printf(&x->out, "%" PRId64, v[i]);
			buf_puts(&x->out, "\n");
		}
		if (ntop > 0) {
			attr(x, "1");
			buf_puts(&x->out, "most active threads\n");
			attr(x, "0");
			buf_puts(&x->out, "  replies  subject\n");
		}
		for (i = 0; i < ntop; i++) {
			buf_printf(&x->out, "  %7" PRId64 "  ", top[i].replies);
			puts_(x, top[i].subject);
			buf_puts(&x->out, "\n");
		}
	}
	disconnect(x);
	emit(x);
out:
	buf_release(&lines);
	return rc;
}

/* ------------------------------------------------------------ main */

enum {
	OPT_CONFIG = 256, OPT_SERVER, OPT_TLS, OPT_CA, OPT_FINGERPRINT, OPT_USER, OPT_INSECURE,
	OPT_NEWSRC, OPT_JSON, OPT_ALL, OPT_THREAD, OPT_SUBJECT, OPT_VERSION, OPT_REASON, OPT_FOR,
	OPT_DAYS, OPT_BAN_USER, OPT_ADDRESS,
};

static const struct option longopts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "fingerprint", required_argument, NULL, OPT_FINGERPRINT },
	{ "user", required_argument, NULL, OPT_USER },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "newsrc", required_argument, NULL, OPT_NEWSRC },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "thread", no_argument, NULL, OPT_THREAD },
	{ "subject", required_argument, NULL, OPT_SUBJECT },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "for", required_argument, NULL, OPT_FOR },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "ban-user", required_argument, NULL, OPT_BAN_USER },
	{ "address", required_argument, NULL, OPT_ADDRESS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* 1 if the option word a ("--name" or "--name=v") takes the next word as its value. */
static int takes_value(const char *a)
{
	size_t n = strcspn(a + 2, "="), i, hits = 0;
	int arg = 0;

	if (a[1] != '-' || a[2 + n] == '=')
		return 0;
	/* getopt_long accepts unique abbreviations: so do we. */
	for (i = 0; longopts[i].name != NULL; i++) {
		if (strncmp(longopts[i].name, a + 2, n) != 0)
			continue;
		if (longopts[i].name[n] == '\0')
			return longopts[i].has_arg == required_argument;
		hits++;
		arg = longopts[i].has_arg == required_argument;
	}
	return hits == 1 && arg;
}

/*
 * `--user NAME` after the words "mod ban" or "mod unban" names the member
 * to ban, not the login name: rename it --ban-user before getopt sees it.
 * Options before the command words keep their meaning.
 */
static void rename_ban_user(int argc, char **argv)
{
	static char ban_user[] = "--ban-user", ban_user_eq[300];
	int i, words = 0, ban = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			return;
		if (a[0] == '-' && a[1] != '\0') {
			if (ban && strcmp(a, "--user") == 0) {
				argv[i++] = ban_user;
			} else if (ban && strncmp(a, "--user=", 7) == 0 && ban_user_eq[0] == '\0' &&
				   strlen(a) < sizeof(ban_user_eq) - 4) {
				snprintf(ban_user_eq, sizeof(ban_user_eq), "--ban-user=%s", a + 7);
				argv[i] = ban_user_eq;
			} else if (takes_value(a)) {
				i++;
			}
			continue;
		}
		if (words == 0 && strcmp(a, "mod") != 0)
			return;
		if (words == 1 && strcmp(a, "ban") != 0 && strcmp(a, "unban") != 0)
			return;
		ban = ++words >= 2;	/* the words so far are "mod ban" or "mod unban" */
	}
}

/* Flags given on the command line, applied after the file. */
struct flags {
	const char *config, *server, *tls, *ca, *fingerprint, *user, *newsrc;
	int insecure;
};

/* Load the config file, then apply the flags; 0 or EXIT_USAGE. */
static int configure(struct ctx *x, const struct flags *fl)
{
	const char *env = getenv("MOOT_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	char err[600], *path = NULL;
	int rc, must = 1;

	if (conf_init(&x->cf) != 0) {
		msg("out of memory");
		return EXIT_USAGE;
	}
	if (fl->config)
		path = strdup(fl->config);
	else if (env && *env)
		path = strdup(env);
	else {
		must = 0;
		if (xdg && *xdg == '/') {
			if (asprintf(&path, "%s/moot/moot.yaml", xdg) < 0)
				path = NULL;
		} else {
			path = conf_expand_home("~/.config/moot/moot.yaml");
		}
	}
	if (path == NULL) {
		msg("out of memory");
		return EXIT_USAGE;
	}
	rc = conf_load(&x->cf, path, must, err, sizeof(err));
	free(path);
	if (rc != 0) {
		msg("%s", err);
		return EXIT_USAGE;
	}
	if (fl->server && conf_set_server(&x->cf, fl->server, err, sizeof(err)) != 0) {
		msg("--server: %s", err);
		return EXIT_USAGE;
	}
	if (fl->tls && conf_parse_tls(fl->tls, &x->cf.tls) != 0) {
		msg("--tls: expected implicit, starttls or off");
		return EXIT_USAGE;
	}
	if (fl->fingerprint && strncmp(fl->fingerprint, "sha256:", 7) != 0) {
		msg("--fingerprint: expected sha256:HEX");
		return EXIT_USAGE;
	}
	if ((fl->ca && conf_set(&x->cf.ca, fl->ca) != 0) ||
	    (fl->fingerprint && conf_set(&x->cf.fingerprint, fl->fingerprint) != 0) ||
	    (fl->user && conf_set(&x->cf.user, fl->user) != 0) ||
	    (fl->newsrc && conf_set(&x->cf.newsrc, fl->newsrc) != 0)) {
		msg("out of memory");
		return EXIT_USAGE;
	}
	x->cf.insecure = fl->insecure;
	return 0;
}

/* Run the subcommand argv[0..argc). */
static int dispatch(struct ctx *x, int argc, char **argv)
{
	const char *c = argv[0];

	if (strcmp(c, "groups") == 0 && argc == 1)
		return cmd_groups(x);
	if (strcmp(c, "threads") == 0 && argc == 2)
		return cmd_threads(x, argv[1]);
	if (strcmp(c, "read") == 0 && (argc == 2 || argc == 3))
		return cmd_read(x, argv[1], argc == 3 ? argv[2] : NULL);
	if (strcmp(c, "post") == 0 && argc == 2)
		return cmd_post(x, argv[1]);
	if (strcmp(c, "reply") == 0 && (argc == 2 || argc == 3))
		return cmd_reply(x, argv[1], argc == 3 ? argv[2] : NULL);
	if (strcmp(c, "catchup") == 0 && argc == 2)
		return cmd_mark(x, argv[1], 1);
	if (strcmp(c, "unread") == 0 && argc == 2)
		return cmd_mark(x, argv[1], 0);
	if (strcmp(c, "mod") == 0)
		return cmd_mod(x, argc - 1, argv + 1);
	if (strcmp(c, "cancel") == 0 && argc == 2)
		return cmd_cancel(x, argv[1]);
	if (strcmp(c, "stats") == 0 && argc <= 2)
		return cmd_stats(x, argc == 2 ? argv[1] : NULL);
	if (strcmp(c, "help") == 0) {
		usage(stdout);
		return 0;
	}
	msg("%s: unknown command or wrong arguments (moot --help)", c);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct ctx x;
	struct flags fl;
	int opt, rc;

	memset(&x, 0, sizeof(x));
	memset(&fl, 0, sizeof(fl));
	/* A closed pager or socket shows up as EPIPE, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	opterr = 0;
	rename_ban_user(argc, argv);
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_CONFIG: fl.config = optarg; break;
		case OPT_SERVER: fl.server = optarg; break;
		case OPT_TLS: fl.tls = optarg; break;
		case OPT_CA: fl.ca = optarg; break;
		case OPT_FINGERPRINT: fl.fingerprint = optarg; break;
		case OPT_USER: fl.user = optarg; break;
		case OPT_INSECURE: fl.insecure = 1; break;
		case OPT_NEWSRC: fl.newsrc = optarg; break;
		case OPT_JSON: x.json = 1; break;
		case OPT_ALL: x.all = 1; break;
		case OPT_THREAD: x.thread = 1; break;
		case OPT_SUBJECT: x.subject = optarg; break;
		case OPT_REASON: x.reason = optarg; break;
		case OPT_FOR: x.ban_for = optarg; break;
		case OPT_BAN_USER: x.ban_user = optarg; break;
		case OPT_ADDRESS: x.ban_address = optarg; break;
		case OPT_DAYS:
			x.days = atoi(optarg);
			if (x.days < 1 || x.days > 3650 || strspn(optarg, "0123456789") != strlen(optarg)) {
				msg("--days: a number from 1 to 3650");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("moot %s\n", MOOT_VERSION);
			return 0;
		default:
			msg("%s: unknown option or missing value (moot --help)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	x.tty = isatty(1) && !x.json;
	x.colour = x.tty && getenv("NO_COLOR") == NULL &&
		   !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
	rc = configure(&x, &fl);
	if (rc == 0)
		rc = dispatch(&x, argc - optind, argv + optind);
	emit(&x);
	conn_close(x.c);
	newsrc_free(x.nr);
	conf_release(&x.cf);
	buf_release(&x.out);
	if (fflush(stdout) != 0 && errno != EPIPE && rc == 0) {
		msg("writing the output: %s", strerror(errno));
		rc = EXIT_USAGE;
	}
	return rc;
}
