/*
 * ingest.c: the one path every article takes into the store.
 *
 * ingest_article() checks an article at once (syntax, groups, duplicates),
 * rewrites its head the way an injecting or relaying agent must (RFC 5537
 * §3.5 and §3.6: Path, Message-ID, Date, Injection-Date, our Xref), reserves
 * its numbers and queues it.  Every article queued during one turn of the
 * loop is written in one transaction by the idle callback at the start of
 * the next turn (group commit); only after that transaction committed
 * (synchronous=FULL) does each article's callback run, which sends the 2xx.
 * So a 240/239/235 always means the article survives kill -9 and power loss.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "../proto/moot.h"
#include "../proto/article.h"
#include "../proto/date.h"
#include "../proto/wildmat.h"
#include "feed.h"
#include "ingest.h"
#include "mootd.h"
#include "store.h"

#define MAX_CROSSPOST 32	/* groups one article may be numbered in */
#define MAX_FUTURE_S 86400	/* a Date further ahead is refused (RFC 5537 §3.6 leaves it to us) */

struct pending {
	struct buf art;			/* the article as received (owned) */
	struct buf head;		/* the rewritten head (owned) */
	const char *body;		/* into art */
	size_t body_len;
	char msgid[MOOT_MAX_MSGID + 1];
	struct group *groups[MAX_CROSSPOST];
	int64_t numbers[MAX_CROSSPOST];
	int ngroups;
	struct buf over;		/* from, subject, date, refs, xref: NUL-separated */
	const char *from, *subject, *date, *refs, *xref;	/* into over */
	int64_t posted, arrived, bytes, lines;
	struct buf names;		/* every Newsgroups name, NUL-separated */
	struct buf path;		/* the final Path value, NUL-terminated */
	struct buf feeds;		/* peers to queue it for, NUL-separated */
	ingest_cb cb;			/* NULL once the session went away */
	void *arg;
	int status;
};

struct ingest {
	struct mootd *d;
	struct pending **batch;		/* queued this turn */
	size_t n, cap;
	uv_idle_t idle;			/* runs the commit at the next turn */
};

static void pending_free(struct pending *p)
{
	if (p == NULL)
		return;
	buf_release(&p->art);
	buf_release(&p->head);
	buf_release(&p->over);
	buf_release(&p->names);
	buf_release(&p->path);
	buf_release(&p->feeds);
	free(p);
}

/* Is msgid already queued in this batch? */
static int in_batch(struct ingest *in, const char *msgid)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		if (strcmp(in->batch[i]->msgid, msgid) == 0)
			return 1;
	return 0;
}

struct ng_ctx {
	struct mootd *d;
	struct pending *p;
	int source;
	const struct config_peer *peer;	/* INGEST_PEER: who sent it */
	int approved;
	int unknown;		/* groups we do not carry */
	const char *why;
};

/* Collect one Newsgroups element: the group must exist and take posts. */
static int ng_one(void *arg, const char *name, size_t len)
{
	struct ng_ctx *c = arg;
	struct group *g = groups_find_n(c->d, name, len);
	int i;

	buf_append(&c->p->names, name, len);
	buf_append(&c->p->names, "", 1);
	if (g != NULL && c->peer != NULL && !wildmat_match(c->peer->accept, g->name))
		g = NULL;	/* a group we do not take from this peer */
	if (g == NULL || !g->active) {
		c->unknown++;
		return c->source == INGEST_POST ? MOOT_ENOTFOUND : 0;
	}
	for (i = 0; i < c->p->ngroups; i++)
		if (c->p->groups[i] == g)
			return 0;	/* "a,a" numbers once */
	if (c->source == INGEST_POST && g->posting == POSTING_NO) {
		c->why = "Posting not allowed to that group";
		return MOOT_EINVAL;
	}
	if (g->posting == POSTING_MODERATED && !c->approved) {
		c->why = "Moderated group: the article needs approval";
		return MOOT_EINVAL;
	}
	if (c->p->ngroups == MAX_CROSSPOST) {
		c->why = "Too many newsgroups";
		return MOOT_EPROTO;
	}
	c->p->groups[c->p->ngroups++] = g;
	return 0;
}

/* A new Message-ID: <time.random@pathhost> (RFC 5536 §3.1.3). */
static void make_msgid(struct mootd *d, char *out, size_t outlen)
{
	unsigned char r[8] = { 0 };
	unsigned long long v = 0;
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r[0] ^= (unsigned char)clock();
	for (i = 0; i < sizeof(r); i++)
		v = (v << 8) | r[i];
	snprintf(out, outlen, "<%llx.%llx@%s>", (unsigned long long)mootd_now(), v, d->cfg.pathhost);
}

/* Is this a header we replace rather than copy? */
static int replaced(const struct article_header *h)
{
	static const char *const names[] = { "Path", "Xref", "Injection-Date", "Injection-Info" };
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(names); i++)
		if (h->name_len == strlen(names[i]) && strncasecmp(h->name, names[i], h->name_len) == 0)
			return 1;
	return 0;
}

/* Append an overview value (NUL-terminated) to p->over; returns its offset. */
static size_t over_add(struct pending *p, const char *v, size_t len)
{
	size_t off = p->over.len;

	article_overview_value(v, len, &p->over);
	buf_append(&p->over, "", 1);
	return off;
}

/*
 * Build the stored head: Path first, then the article's own headers except
 * those we replace, then what we add (Message-ID, Date if absent,
 * Injection-Date for posts), and Xref last.
 */
static int build_head(struct mootd *d, struct pending *p, const struct article *a, int source)
{
	const struct article_header *path = article_get(a, "Path");
	int64_t now = p->arrived;
	char date[64];
	size_t i, off[5];
	int k;

	buf_puts(&p->path, d->cfg.pathhost);
	if (source == INGEST_POST) {
		/* RFC 5537 §3.2.1: the injecting agent's POSTED keyword. */
		buf_puts(&p->path, "!.POSTED!not-for-mail");
	} else {
		/* RFC 5537 §3.2.1: a relaying agent prepends its name. */
		buf_puts(&p->path, "!");
		article_unfold(path->value, path->value_len, &p->path);
	}
	buf_printf(&p->head, "Path: %s\r\n", p->path.data);
	for (i = 0; i < a->nh; i++)
		if (!replaced(&a->h[i]))
			buf_append(&p->head, a->h[i].line, a->h[i].line_len);
	if (article_get(a, "Message-ID") == NULL)
		buf_printf(&p->head, "Message-ID: %s\r\n", p->msgid);
	date_format_rfc5322(now, date, sizeof(date));
	if (article_get(a, "Date") == NULL)
		buf_printf(&p->head, "Date: %s\r\n", date);
	if (source == INGEST_POST)
		buf_printf(&p->head, "Injection-Date: %s\r\n", date);

	/* Overview values, from the final headers. */
	{
		const struct article_header *h;
		h = article_get(a, "From");
		off[0] = over_add(p, h->value, h->value_len);
		h = article_get(a, "Subject");
		off[1] = over_add(p, h->value, h->value_len);
		h = article_get(a, "Date");
		off[2] = h ? over_add(p, h->value, h->value_len) : over_add(p, date, strlen(date));
		h = article_get(a, "References");
		off[3] = h ? over_add(p, h->value, h->value_len) : over_add(p, "", 0);
	}
	off[4] = p->over.len;
	buf_puts(&p->over, d->cfg.pathhost);
	for (k = 0; k < p->ngroups; k++)
		buf_printf(&p->over, " %s:%lld", p->groups[k]->name, (long long)p->numbers[k]);
	buf_append(&p->over, "", 1);
	if (p->over.data == NULL || p->head.data == NULL)
		return MOOT_ENOMEM;
	p->from = p->over.data + off[0];
	p->subject = p->over.data + off[1];
	p->date = p->over.data + off[2];
	p->refs = p->over.data + off[3];
	p->xref = p->over.data + off[4];
	buf_printf(&p->head, "Xref: %s\r\n", p->xref);
	return p->head.data ? 0 : MOOT_ENOMEM;
}

/* 1 if name is one of the '!'-separated elements of path. */
static int path_has(const char *path, const char *name)
{
	size_t n = strlen(name);
	const char *p = path;

	while (*p) {
		size_t len = strcspn(p, "!");
		if (len == n && strncasecmp(p, name, n) == 0)
			return 1;
		p += len;
		if (*p == '!')
			p++;
	}
	return 0;
}

/* Does any of the article's newsgroups match the peer's send wildmat? */
static int wanted_by(const struct config_peer *peer, const struct buf *names)
{
	const char *n = names->data, *end = names->data + names->len;

	for (; n && n < end; n += strlen(n) + 1)
		if (wildmat_match(peer->send, n))
			return 1;
	return 0;
}

/* Choose the peers to queue the article for (DESIGN.md, Federation): those
 * with an address, whose name is not in Path and whose send wildmat matches. */
static void choose_feeds(struct mootd *d, struct pending *p)
{
	size_t i;

	for (i = 0; i < d->cfg.npeers; i++) {
		const struct config_peer *peer = &d->cfg.peers[i];
		if (peer->address == NULL || path_has(p->path.data, peer->name))
			continue;
		if (!wanted_by(peer, &p->names))
			continue;
		buf_append(&p->feeds, peer->name, strlen(peer->name) + 1);
	}
}

/* Check the article and fill p; returns 0 or an error with *why. */
static int prepare(struct mootd *d, struct pending *p, int source, const char *peer,
		   const char *offered, const char **why)
{
	struct article *a = malloc(sizeof(*a));
	const struct article_header *h;
	struct ng_ctx ng = { d, p, source, NULL, 0, 0, NULL };
	int rc, i;

	if (a == NULL)
		return MOOT_ENOMEM;
	rc = article_parse(p->art.data, p->art.len, a, why);
	if (rc == 0)
		rc = source == INGEST_POST ? article_check_post(a, why) : article_check_transit(a, why);
	if (rc != 0)
		goto out;
	h = article_get(a, "Message-ID");
	if (h) {
		if (h->value_len > MOOT_MAX_MSGID) {
			*why = "Message-ID too long";
			rc = MOOT_EPROTO;
			goto out;
		}
		memcpy(p->msgid, h->value, h->value_len);
		p->msgid[h->value_len] = '\0';
	} else {
		make_msgid(d, p->msgid, sizeof(p->msgid));
	}
	if (offered && strcmp(offered, p->msgid) != 0) {
		*why = "Message-ID differs from the one offered";
		rc = MOOT_EPROTO;
		goto out;
	}
	if (source == INGEST_PEER) {
		ng.peer = peer ? config_peer_find(&d->cfg, peer) : NULL;
		h = article_get(a, "Path");
		buf_clear(&p->path);
		article_unfold(h->value, h->value_len, &p->path);
		if (ng.peer == NULL || path_has(p->path.data ? p->path.data : "", d->cfg.pathhost)) {
			*why = ng.peer ? "Already seen here (our name is in Path)" : "Unknown peer";
			rc = MOOT_EINVAL;
			goto out;
		}
		buf_clear(&p->path);
	}
	p->arrived = mootd_now();
	h = article_get(a, "Date");
	p->posted = p->arrived;
	if (h && date_parse_rfc5322(h->value, h->value_len, &p->posted) != 0) {
		*why = "Invalid Date header";
		rc = MOOT_EPROTO;
		goto out;
	}
	if (p->posted > p->arrived + MAX_FUTURE_S) {
		*why = "Date is in the future";
		rc = MOOT_EPROTO;
		goto out;
	}
	ng.approved = article_get(a, "Approved") != NULL;
	h = article_get(a, "Newsgroups");
	rc = article_newsgroups(h->value, h->value_len, ng_one, &ng);
	if (rc == 0 && p->ngroups == 0 && source == INGEST_PEER)
		*why = "No wanted newsgroup";
	if (rc == MOOT_ENOTFOUND)
		*why = "No such newsgroup";
	else if (rc != 0)
		*why = ng.why ? ng.why : "Invalid Newsgroups header";
	if (rc == 0 && p->ngroups == 0) {
		*why = "No such newsgroup";
		rc = MOOT_ENOTFOUND;
	}
	if (rc != 0)
		goto out;
	rc = store_msgid_seen(d->store, p->msgid);
	if (rc > 0 || in_batch(d->ingest, p->msgid)) {
		*why = "Duplicate message-id";
		rc = MOOT_EEXIST;
		goto out;
	}
	if (rc < 0) {
		*why = "Storage failure";
		goto out;
	}
	for (i = 0; i < p->ngroups; i++)
		p->numbers[i] = p->groups[i]->next++;
	p->body = a->body;
	p->body_len = a->body_len;
	p->lines = article_body_lines(a->body, a->body_len);
	rc = build_head(d, p, a, source);
	if (rc != 0) {
		*why = "Out of memory";
		goto out;
	}
	p->bytes = (int64_t)(p->head.len + 2 + p->body_len);
	choose_feeds(d, p);
out:
	free(a);
	return rc;
}

static void on_idle(uv_idle_t *h);

int ingest_article(struct mootd *d, int source, const char *peer, const char *offered,
		   struct buf *art, ingest_cb cb, void *arg, const char **why)
{
	struct ingest *in = d->ingest;
	struct pending *p = calloc(1, sizeof(*p));
	int rc;

	*why = NULL;
	if (p == NULL) {
		*why = "Out of memory";
		return MOOT_ENOMEM;
	}
	p->art = *art;
	buf_init(art);
	if (p->art.data == NULL) {
		/* An empty article: give the parser an empty string. */
		buf_append(&p->art, "", 0);
	}
	rc = prepare(d, p, source, peer, offered, why);
	if (rc == 0 && in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 16;
		struct pending **b = realloc(in->batch, cap * sizeof(*b));
		if (b == NULL) {
			rc = MOOT_ENOMEM;
			*why = "Out of memory";
		} else {
			in->batch = b;
			in->cap = cap;
		}
	}
	if (rc != 0) {
		/* Numbers reserved by prepare() are given back. */
		int i;
		for (i = 0; i < p->ngroups && p->numbers[i]; i++)
			p->groups[i]->next--;
		pending_free(p);
		return rc;
	}
	p->cb = cb;
	p->arg = arg;
	in->batch[in->n++] = p;
	if (in->n == 1)
		uv_idle_start(&in->idle, on_idle);
	return 0;
}

/* Write one article and its numbering; MOOT_EEXIST skips just this one. */
static int write_one(struct store *st, struct pending *p)
{
	struct store_article sa = {
		.msgid = p->msgid, .arrived = p->arrived, .posted = p->posted,
		.bytes = p->bytes, .lines = p->lines, .from = p->from, .subject = p->subject,
		.date = p->date, .refs = p->refs, .xref = p->xref,
		.head = p->head.data, .head_len = p->head.len,
		.body = p->body, .body_len = p->body_len,
	};
	const char *name;
	int64_t id;
	int rc, i;

	rc = store_article_add(st, &sa, &id);
	if (rc != 0)
		return rc;
	for (i = 0; i < p->ngroups; i++) {
		rc = store_number_add(st, p->groups[i]->id, p->numbers[i], id);
		if (rc != 0)
			return rc;
	}
	/* Queued for peers in the same transaction: nothing is lost between. */
	for (name = p->feeds.data; name && name < p->feeds.data + p->feeds.len; name += strlen(name) + 1) {
		rc = store_outq_add(st, name, id);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* New marks of the groups a batch touches, applied to memory after commit. */
struct marks {
	struct group *g;
	int64_t low, high, count;
};

static struct marks *marks_for(struct marks *m, size_t *n, size_t cap, struct group *g)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (m[i].g == g)
			return &m[i];
	if (*n == cap)
		return NULL;
	m[*n] = (struct marks){ g, g->low, g->high, g->count };
	return &m[(*n)++];
}

/* Commit the batch: one transaction, then every callback. */
static void commit_batch(struct ingest *in)
{
	struct mootd *d = in->d;
	struct pending **batch = in->batch;
	size_t n = in->n, i, nm = 0, cap;
	struct marks *m;
	int rc = 0;
	int j;

	in->batch = NULL;
	in->n = in->cap = 0;
	uv_idle_stop(&in->idle);
	if (n == 0) {
		free(batch);
		return;
	}
	cap = n * MAX_CROSSPOST < d->ngroups ? n * MAX_CROSSPOST : d->ngroups;
	m = calloc(cap ? cap : 1, sizeof(*m));
	if (m == NULL || store_begin(d->store) != 0)
		rc = MOOT_ESTORE;
	for (i = 0; i < n && rc == 0; i++) {
		struct pending *p = batch[i];
		p->status = write_one(d->store, p);
		if (p->status == MOOT_EEXIST)
			continue;
		if (p->status != 0) {
			rc = p->status;
			break;
		}
		for (j = 0; j < p->ngroups; j++) {
			struct marks *mk = marks_for(m, &nm, cap, p->groups[j]);
			assert(mk != NULL);
			if (mk->count == 0)
				mk->low = p->numbers[j];
			mk->count++;
			if (p->numbers[j] > mk->high)
				mk->high = p->numbers[j];
		}
	}
	for (i = 0; i < nm && rc == 0; i++)
		rc = store_group_set_marks(d->store, m[i].g->id, m[i].low, m[i].high, m[i].count);
	if (rc == 0)
		rc = store_commit(d->store);
	if (rc != 0) {
		if (m != NULL)
			store_rollback(d->store);
		log_err("ingest: commit of %zu articles failed", n);
		for (i = 0; i < d->ngroups; i++)
			d->groups[i]->next = d->groups[i]->high + 1;
	} else {
		for (i = 0; i < nm; i++) {
			m[i].g->low = m[i].low;
			m[i].g->high = m[i].high;
			m[i].g->count = m[i].count;
		}
		for (i = 0; i < n; i++) {
			const char *name, *end = batch[i]->feeds.data + batch[i]->feeds.len;
			if (batch[i]->status != 0)
				continue;
			for (name = batch[i]->feeds.data; name && name < end; name += strlen(name) + 1)
				feed_kick(d, name);
		}
	}
	for (i = 0; i < n; i++) {
		struct pending *p = batch[i];
		int status = rc != 0 ? MOOT_ESTORE : p->status;
		if (status == 0)
			d->articles_in++;
		if (p->cb)
			p->cb(p->arg, status, p->msgid,
			      status == 0 ? NULL : status == MOOT_EEXIST ? "Duplicate message-id"
									: "Storage failure");
		pending_free(p);
	}
	free(m);
	free(batch);
}

static void on_idle(uv_idle_t *h)
{
	commit_batch(h->data);
}

int ingest_init(struct mootd *d)
{
	struct ingest *in = calloc(1, sizeof(*in));
	int rc;

	if (in == NULL)
		return MOOT_ENOMEM;
	in->d = d;
	rc = uv_idle_init(d->loop, &in->idle);
	if (rc != 0) {
		free(in);
		return rc;
	}
	in->idle.data = in;
	d->ingest = in;
	return 0;
}

static void on_idle_closed(uv_handle_t *h)
{
	free(h->data);
}

void ingest_free(struct mootd *d)
{
	struct ingest *in = d->ingest;

	if (in == NULL)
		return;
	commit_batch(in);
	d->ingest = NULL;
	uv_close((uv_handle_t *)&in->idle, on_idle_closed);
}

void ingest_forget(struct mootd *d, void *arg)
{
	struct ingest *in = d->ingest;
	size_t i;

	if (in == NULL)
		return;
	for (i = 0; i < in->n; i++)
		if (in->batch[i]->arg == arg)
			in->batch[i]->cb = NULL;
}

void ingest_flush(struct mootd *d)
{
	if (d->ingest)
		commit_batch(d->ingest);
}
