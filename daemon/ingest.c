/*
 * ingest.c: the one path every article takes into the store.
 *
 * ingest_article() checks an article at once (syntax, groups, duplicates),
 * rewrites its head the way an injecting or relaying agent must (RFC 5537
 * §3.5 and §3.6: Path, Message-ID, Date, Injection-Date), queues it and
 * hands it to the writer thread (writer.c), which writes its rows in a
 * transaction of its own connection while the loop goes on; there it is
 * numbered and gets its Xref.  Every article queued during one turn of the
 * loop is committed together by the commit job the idle callback submits
 * at the start of the next turn (group commit).  The commit goes into the
 * WAL without waiting for the disk; the storage thread (syncer.c) then
 * fdatasyncs the WAL, and only when that sync is reported does each
 * article's callback run, which sends the 2xx.  So a 240/239/235 always
 * means the article survives kill -9 and power loss.  Without the threads
 * the commit job runs on the loop and waits for the disk (synchronous=FULL).
 *
 * What the loop and the writer share: a pending article is the loop's
 * until it is queued, then the writer's (its status, numbers, head and
 * overview) but for its msgid, cb and arg, which the loop still reads
 * (in_batch, ingest_forget); a batch is the writer's from its submission
 * until batch_committed runs on the loop.  struct wside is the writer's.
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
#include "session.h"
#include "store.h"
#include "syncer.h"
#include "writer.h"

#define MAX_CROSSPOST 32	/* groups one article may be numbered in */
#define MAX_FUTURE_S 86400	/* a Date further ahead is refused (RFC 5537 §3.6 leaves it to us) */

struct ingest;

struct pending {
	struct writer_job job;		/* write_job: its rows, on the writer thread */
	struct ingest *in;
	struct buf art;			/* the article as received (owned) */
	struct buf head;		/* the rewritten head (owned) */
	const char *body;		/* into art */
	size_t body_len;
	char msgid[MOOT_MAX_MSGID + 1];
	uint32_t hash;			/* of msgid (msgid_hash): most lookups end there */
	struct group *groups[MAX_CROSSPOST];
	int64_t numbers[MAX_CROSSPOST];	/* given at commit time (number_it) */
	int ngroups;
	struct buf over;		/* from, subject, date, refs, xref: NUL-separated */
	size_t off[4];			/* of from, subject, date, refs in over */
	size_t xref_off;		/* of xref in over: the pathhost, number_it adds the rest */
	const char *from, *subject, *date, *refs, *xref;	/* into over, set by number_it */
	int64_t posted, arrived, bytes, lines;
	int64_t stuffing;		/* dots the body carries for dot-stuffing */
	struct buf names;		/* every Newsgroups name, NUL-separated */
	struct buf path;		/* the final Path value, NUL-terminated */
	struct buf feeds;		/* peers to queue it for, NUL-separated */
	struct buf poster;		/* the From address, lower-cased ("" if none) */
	char root[MOOT_MAX_MSGID + 1];	/* first References id, "" for a thread starter */
	char parent[MOOT_MAX_MSGID + 1];	/* last References id */
	char cancel[MOOT_MAX_MSGID + 1];	/* Control: cancel or Supersedes target, or "" */
	int64_t cancel_id;		/* its article id here, 0 when absent */
	int cancel_later;		/* the target is still on its way in: write_one finds it */
	int control;			/* a control article: stored, sent on, numbered nowhere */
	ingest_cb cb;			/* NULL once the session went away */
	void *arg;
	int status;			/* write_one's result (the writer's until its commit ran) */
	int written;			/* write_one ran */
	struct pending *next;		/* in the pool of finished ones (struct ingest) */
};

/* Every buffer a pending owns: freed with it, kept (emptied) in the pool. */
#define PENDING_BUFS(p) { &(p)->art, &(p)->head, &(p)->over, &(p)->names, &(p)->path, &(p)->feeds, &(p)->poster }

/* New marks of a group whose article was cancelled, applied after commit. */
struct unmark {
	int64_t group_id, low, count;
};

struct cancel_ctx {
	struct unmark *u;
	size_t n, cap;
};

/* A write that rides along with a batch's commit. */
struct side {
	enum { SIDE_REFUSED, SIDE_DEQUEUE } kind;
	size_t name;			/* offset in names: the message-id, or the peer */
	int64_t value;			/* when refused, or the article id */
};

/*
 * Articles committed in one transaction.  Its commit job runs on the writer
 * thread after the article jobs (or, without the thread, writes them all
 * itself); batch_committed then runs on the loop, and once the sync of its
 * generation is reported the articles are answered (settle).
 */
struct batch {
	struct writer_job job;		/* commit_job, then batch_committed */
	struct ingest *in;
	struct pending **p;		/* owned, as is each pending */
	size_t n, cap;
	uint64_t gen;			/* the commit's generation (syncer_sync) */
	int durable;			/* commit with the WAL synced (no storage thread, shutdown) */
	int committed;			/* batch_committed ran */
	int rc;				/* the commit's result */
	int frames;			/* the WAL's size after it */
	struct cancel_ctx cc;		/* the groups its cancels changed */
	struct side *side;		/* small writes riding along (ingest_refused, ingest_dequeue) */
	size_t nside, capside;
	struct buf names;		/* their message-ids and peer names, NUL-terminated */
	struct batch *next;		/* in in->inflight */
};

/* What a group's numbers did in the open transaction (the writer's). */
struct wmark {
	struct group *g;
	int64_t next0;			/* g->next when the transaction first numbered in it */
	int64_t low, high, count;	/* the numbers given since the last flush_marks */
};

/*
 * The writing side: touched only by the job that runs, on the writer thread
 * (or on the loop without one).  One transaction is open from the first
 * article written until the commit job of its batch.
 */
struct wside {
	struct store *st;		/* the writer's own connection, or d->store */
	int open;			/* a transaction is open */
	int open_durable;		/* it was begun to sync at commit */
	int durable;			/* the next one is to be (set by commit_job) */
	int rc;				/* its first failure */
	struct wmark *m;		/* every group it numbered in */
	size_t nm, capm;
	struct cancel_ctx cc;		/* what its cancels did to group marks */
};

struct ingest {
	struct mootd *d;
	struct article scratch;		/* the parse of the article prepare() checks (8 KiB: not per article) */
	int preparing;			/* prepare() runs (it is not reentrant: scratch) */
	int64_t date_at;		/* the second date_now last formatted */
	char date[64];			/* and its RFC 5322 form ("" before the first) */
	struct batch *cur;		/* queued this turn (with a writer: handed to it) */
	struct batch *hold;		/* queued while a checkpoint holds commits (writer only) */
	uv_idle_t idle;			/* submits cur at the next turn */
	struct syncer *syncer;		/* the storage thread; NULL: commits sync on the loop */
	struct writer *writer;		/* the writer thread; NULL: transactions run on the loop */
	struct wside w;
	struct batch *inflight;		/* submitted, not yet answered (oldest first) */
	struct batch **inflight_tail;
	uint64_t gen;			/* generation of the last batch submitted */
	uint64_t committed;		/* generation of the last batch committed (batch_committed) */
	uint64_t synced;		/* the newest generation reported on disk */
	uint64_t failed_upto;		/* the newest generation of a failed sync */
	int checkpoint_running;		/* asked for and not yet reported */
	int checkpoint_waits;		/* decided, to start once every batch is committed */
	int checkpointing;		/* that checkpoint holds commits, so the WAL restarts */
	int checkpointed_at;		/* the WAL's size when the last checkpoint started */
	int frames_at_tick;		/* the WAL's size at the last ingest_tick */
	struct pending *pool;		/* finished, kept for the next articles */
	size_t npool;
};

/*
 * Finished pendings are kept for the next articles with the room their
 * buffers grew (at most PENDING_POOL of them, a buffer over POOL_BUF_MAX
 * released): the record and six buffers grown from nothing were thirteen
 * calls to malloc, realloc and free per ingested article, a tenth of the
 * loop's instructions.  The article's own buffer goes back to a session
 * (ingest_article).  PENDING_POOL covers four peers with 256 articles in
 * flight each; with 256, such a load missed the pool for 40 % of them.
 */
#define PENDING_POOL 1024
#define POOL_BUF_MAX 16384

/*
 * Checkpoints: every CHECKPOINT_FRAMES new WAL pages (32 MB; eight times
 * SQLite's default interval) one runs beside the commits.  A page written
 * by many commits meanwhile (an index's last leaf, the groups row) is
 * copied once per checkpoint: against every 1,000 pages, the checkpoint
 * thread spent a tenth less and ingest went 7-14 % faster at 4,000 pages;
 * once a checkpoint's writes went to the disk as it made them (walvfs.c),
 * 8,000 pages did better again than 4,000 (paired runs: +6 % with one
 * connection at window 256, +8 % with four at window 64, +3 % at window 16),
 * and 12,000 no better than 8,000.  Under steady
 * load the WAL then never starts over, since pages keep arriving behind
 * each checkpoint; so once it holds CHECKPOINT_HOLD_FRAMES pages (64 MB),
 * commits wait for one checkpoint, which only has the pages since the
 * previous one left to copy.
 */
#define CHECKPOINT_FRAMES 8000
#define CHECKPOINT_HOLD_FRAMES 16000

/*
 * Group commit: with a writer, at most one commit is queued or running at
 * a time.  A turn that ends while the writer has not finished the last one
 * leaves its articles in the open transaction (they go on being written as
 * they arrive), and batch_committed submits them, with whatever the turns
 * meanwhile added, as the next commit, unless GROUP_COMMIT_MAX articles are
 * waiting already.  Their replies would have waited for that sync anyway;
 * with one connection at window 256 a commit then carries about 100
 * articles instead of 48, and the syncs and the commits' own pages halve.
 */
#define GROUP_COMMIT_MAX 1024

/*
 * The checkpoint that holds commits starts only once every batch handed
 * to the writer is committed, and only with at most CHECKPOINT_TAIL_FRAMES
 * pages left to copy: past CHECKPOINT_HOLD_FRAMES, checkpoints that let
 * commits go on run back to back until one leaves so short a tail.  A
 * checkpoint that a commit overtakes cannot copy that commit's pages, and
 * then the WAL cannot start over: holds begun with batches still in the
 * writer failed that way two times out of three and the WAL grew to
 * 100-170 MB (16_crash_safety.py, test_wal_starts_over_under_load).
 */
#define CHECKPOINT_TAIL_FRAMES 1000

/*
 * When the checkpoints that let commits go on fall behind (the disk or the
 * CPU slower than ingest: under valgrind 15,000 pages came in while one
 * copied 8,000, and the WAL grew to 130 MB), commits stop at
 * CHECKPOINT_HARD_FRAMES (76 MB) until the running checkpoint ends, and the
 * next one holds them whatever is left to copy: commits then wait longer,
 * and the WAL stays bounded.
 */
#define CHECKPOINT_HARD_FRAMES 19000

static void pending_free(struct pending *p)
{
	size_t i;

	if (p == NULL)
		return;
	{
		struct buf *b[] = PENDING_BUFS(p);

		for (i = 0; i < MOOT_ARRAY_SIZE(b); i++)
			buf_release(b[i]);
	}
	free(p);
}

/* A pending for a new article, all zero but the room of a pooled one's buffers; NULL without memory. */
static struct pending *pending_new(struct ingest *in)
{
	struct pending *p = in->pool;

	if (p == NULL)
		return calloc(1, sizeof(*p));
	in->pool = p->next;
	in->npool--;
	{
		struct buf *b[] = PENDING_BUFS(p), keep[MOOT_ARRAY_SIZE(b)];
		size_t i;

		for (i = 0; i < MOOT_ARRAY_SIZE(b); i++)
			keep[i] = *b[i];
		memset(p, 0, sizeof(*p));
		for (i = 0; i < MOOT_ARRAY_SIZE(b); i++)
			*b[i] = keep[i];
	}
	return p;
}

/* Done with p: into the pool, its buffers emptied (or freed when the pool is full). */
static void pending_put(struct ingest *in, struct pending *p)
{
	struct buf *b[] = PENDING_BUFS(p);
	size_t i;

	if (in->npool >= PENDING_POOL) {
		pending_free(p);
		return;
	}
	for (i = 0; i < MOOT_ARRAY_SIZE(b); i++) {
		if (b[i]->cap > POOL_BUF_MAX)
			buf_release(b[i]);
		else
			buf_clear(b[i]);
	}
	p->next = in->pool;
	in->pool = p;
	in->npool++;
}

/* FNV-1a of a message-id: the batches are searched by it, then by strcmp. */
static uint32_t msgid_hash(const char *msgid)
{
	uint32_t h = 2166136261u;

	while (*msgid)
		h = (h ^ (unsigned char)*msgid++) * 16777619u;
	return h;
}

/* b's article with msgid (of hash h; b may be NULL), or NULL. */
static const struct pending *batch_find(const struct batch *b, const char *msgid, uint32_t h)
{
	size_t i;

	for (i = 0; b && i < b->n; i++)
		if (b->p[i]->hash == h && strcmp(b->p[i]->msgid, msgid) == 0)
			return b->p[i];
	return NULL;
}

/* Is msgid (of hash h) queued this turn (or held for a checkpoint)? */
static int in_batch(struct ingest *in, const char *msgid, uint32_t h)
{
	return batch_find(in->cur, msgid, h) || batch_find(in->hold, msgid, h);
}

/* The article with msgid taken in and not yet answered, or NULL. */
static const struct pending *find_pending(struct ingest *in, const char *msgid)
{
	uint32_t h = msgid_hash(msgid);
	const struct pending *t = batch_find(in->cur, msgid, h);
	const struct batch *b;

	if (t == NULL)
		t = batch_find(in->hold, msgid, h);
	for (b = in->inflight; t == NULL && b; b = b->next)
		t = batch_find(b, msgid, h);
	return t;
}

/* The injecting site of a pending article, from its final Path (made on
 * the loop before it was queued, and never changed after), into out. */
static int pending_origin(const struct pending *t, char *out, size_t outlen)
{
	const char *o;
	size_t olen;

	if (t->path.data == NULL || article_path_origin(t->path.data, t->path.len, &o, &olen) != 0 ||
	    olen == 0 || olen >= outlen)
		return MOOT_ENOTFOUND;
	memcpy(out, o, olen);
	out[olen] = '\0';
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
	if (c->p->control)
		return 0;	/* sent on, numbered nowhere */
	if (g != NULL && c->peer != NULL && !wildmat_match(c->peer->accept, g->name))
		g = NULL;	/* a group we do not take from this peer */
	if (g == NULL || !g->active) {
		c->unknown++;
		return c->source == INGEST_PEER ? 0 : MOOT_ENOTFOUND;
	}
	for (i = 0; i < c->p->ngroups; i++)
		if (c->p->groups[i] == g)
			return 0;	/* "a,a" numbers once */
	if (c->source != INGEST_PEER && g->posting == POSTING_NO) {
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
void ingest_make_msgid(struct mootd *d, char *out, size_t outlen)
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

/*
 * Is this a header we replace (or drop) rather than copy?  Path and Xref
 * always.  A post's Injection-Date and Injection-Info are the injecting
 * agent's to write (RFC 5537 §3.5); a relayed article keeps its own, which
 * only Path and Xref may change on the way (§3.6).
 */
static int replaced(const struct article_header *h, int source)
{
	static const char *const names[] = { "Path", "Xref", "Injection-Date", "Injection-Info" };
	size_t i, n = source == INGEST_PEER ? 2 : MOOT_ARRAY_SIZE(names);

	for (i = 0; i < n; i++)
		if (article_header_named(h, names[i]))
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

/* now as an RFC 5322 date, formatted once per second (a batch of articles
 * shares it; snprintf of every date was 2 % of the loop during ingest). */
static const char *date_now(struct ingest *in, int64_t now)
{
	if (in->date[0] == '\0' || in->date_at != now) {
		date_format_rfc5322(now, in->date, sizeof(in->date));
		in->date_at = now;
	}
	return in->date;
}

/*
 * Build the stored head: Path first, then the article's own headers except
 * those we replace, then what we add (Message-ID, Date if absent,
 * Injection-Date for posts); Xref comes last, from number_it.
 */
static int build_head(struct mootd *d, struct pending *p, const struct article *a, int source)
{
	const struct article_header *path = article_get(a, "Path");
	int64_t now = p->arrived;
	const char *date;
	size_t i;

	/* The head as received plus what is added (Path, dates, Xref), and
	 * the overview values, without a string of reallocs. */
	if (buf_reserve(&p->head, a->head_len + 256) != 0 || buf_reserve(&p->over, 512) != 0)
		return MOOT_ENOMEM;

	buf_puts(&p->path, d->cfg.pathhost);
	if (source != INGEST_PEER) {
		/* RFC 5537 §3.2.1: the injecting agent's POSTED keyword. */
		buf_puts(&p->path, "!.POSTED!not-for-mail");
	} else {
		/* RFC 5537 §3.2.1: a relaying agent prepends its name. */
		buf_puts(&p->path, "!");
		article_unfold(path->value, path->value_len, &p->path);
	}
	buf_cat(&p->head, "Path: ", p->path.data, "\r\n", (char *)NULL);
	for (i = 0; i < a->nh; i++)
		if (!replaced(&a->h[i], source))
			buf_append(&p->head, a->h[i].line, a->h[i].line_len);
	if (article_get(a, "Message-ID") == NULL)
		buf_cat(&p->head, "Message-ID: ", p->msgid, "\r\n", (char *)NULL);
	date = date_now(d->ingest, now);
	if (article_get(a, "Date") == NULL)
		buf_cat(&p->head, "Date: ", date, "\r\n", (char *)NULL);
	if (source != INGEST_PEER)
		buf_cat(&p->head, "Injection-Date: ", date, "\r\n", (char *)NULL);

	/* Overview values, from the final headers. */
	{
		const struct article_header *h;
		h = article_get(a, "From");
		p->off[0] = over_add(p, h->value, h->value_len);
		h = article_get(a, "Subject");
		p->off[1] = over_add(p, h->value, h->value_len);
		h = article_get(a, "Date");
		p->off[2] = h ? over_add(p, h->value, h->value_len) : over_add(p, date, strlen(date));
		h = article_get(a, "References");
		p->off[3] = h ? over_add(p, h->value, h->value_len) : over_add(p, "", 0);
	}
	/* Xref begins with our name (number_it, on the writer, adds the numbers). */
	p->xref_off = p->over.len;
	buf_puts(&p->over, d->cfg.pathhost);
	return p->over.data && p->head.data ? 0 : MOOT_ENOMEM;
}

/*
 * Number the article in each of its groups, inside the commit's transaction
 * once it is known not to be a duplicate (so a duplicate uses no number),
 * and finish what depends on the numbers: Xref (RFC 5536 §3.2.14) at the end
 * of the head and of the overview values, and :bytes.  0 or MOOT_ENOMEM.
 * Runs on the writer thread: of the groups it touches only next and the
 * names, which do not change.
 */
static int number_it(struct pending *p)
{
	size_t xref = p->xref_off;
	int k, rc = 0;

	for (k = 0; k < p->ngroups; k++)
		p->numbers[k] = p->groups[k]->next++;
	for (k = 0; k < p->ngroups && rc == 0; k++)
		rc = buf_cat(&p->over, " ", p->groups[k]->name, ":", (char *)NULL) ||
		     buf_put_int(&p->over, p->numbers[k]);
	if (rc != 0 || buf_append(&p->over, "", 1) != 0 ||
	    buf_cat(&p->head, "Xref: ", p->over.data + xref, "\r\n", (char *)NULL) != 0)
		return MOOT_ENOMEM;
	p->from = p->over.data + p->off[0];
	p->subject = p->over.data + p->off[1];
	p->date = p->over.data + p->off[2];
	p->refs = p->over.data + p->off[3];
	p->xref = p->over.data + xref;
	/* RFC 3977 §8.1.1: the article's octets, CRLF counted as two, without
	 * the dots added for dot-stuffing (INN counts it the same way). */
	p->bytes = (int64_t)(p->head.len + 2 + p->body_len) - p->stuffing;
	return 0;
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
	const char *n = names->data, *end = names->data ? names->data + names->len : NULL;

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

/* Message-ID: the article's own (checked against the one offered), or a new one. */
static int take_msgid(struct mootd *d, struct pending *p, const struct article *a,
		      const char *offered, const char **why)
{
	const struct article_header *h = article_get(a, "Message-ID");

	if (h) {
		if (h->value_len > MOOT_MAX_MSGID) {
			*why = "Message-ID too long";
			return MOOT_EPROTO;
		}
		memcpy(p->msgid, h->value, h->value_len);
		p->msgid[h->value_len] = '\0';
	} else {
		ingest_make_msgid(d, p->msgid, sizeof(p->msgid));
	}
	if (offered && strcmp(offered, p->msgid) != 0) {
		*why = "Message-ID differs from the one offered";
		return MOOT_EPROTO;
	}
	p->hash = msgid_hash(p->msgid);
	return 0;
}

/* Date: parseable and not more than a day ahead; sets posted and arrived. */
static int take_date(struct pending *p, const struct article *a, const char **why)
{
	const struct article_header *h = article_get(a, "Date");

	p->arrived = mootd_now();
	p->posted = p->arrived;
	if (h && date_parse_rfc5322(h->value, h->value_len, &p->posted) != 0) {
		*why = "Invalid Date header";
		return MOOT_EPROTO;
	}
	if (p->posted > p->arrived + MAX_FUTURE_S) {
		*why = "Date is in the future";
		return MOOT_EPROTO;
	}
	return 0;
}

/* The injecting site of the article with id article_id, into out. */
static int stored_origin(struct mootd *d, int64_t article_id, char *out, size_t outlen);

/*
 * Aim p at the article it removes, message-id v (n bytes): a cancel's
 * target (RFC 5537 §5.3) or the article its Supersedes names (RFC 5536
 * §3.2.12), removed in p's transaction.  A peer's article may remove only
 * one injected where p was (DESIGN.md, Community management): otherwise
 * p is aimed at nothing and MOOT_EINVAL returned.  A target not here (yet)
 * is no error.
 */
static int aim_removal(struct mootd *d, struct pending *p, const struct article *a, const char *v,
		       size_t n, int source)
{
	const struct article_header *path;
	const struct pending *target = NULL;
	const char *origin;
	size_t origin_len;
	char orig[256];

	memcpy(p->cancel, v, n);
	p->cancel[n] = '\0';
	if (store_msgid_get(d->store, p->cancel, &p->cancel_id) != 0)
		p->cancel_id = 0;
	if (p->cancel_id == 0 && (target = find_pending(d->ingest, p->cancel)) != NULL)
		p->cancel_later = 1;	/* taken with this article, not committed yet */
	if ((p->cancel_id == 0 && !p->cancel_later) || source != INGEST_PEER)
		return 0;
	path = article_get(a, "Path");
	if ((p->cancel_later ? pending_origin(target, orig, sizeof(orig))
			     : stored_origin(d, p->cancel_id, orig, sizeof(orig))) != 0 ||
	    article_path_origin(path->value, path->value_len, &origin, &origin_len) != 0 ||
	    strlen(orig) != origin_len || strncasecmp(orig, origin, origin_len) != 0) {
		log_warn("ingest: removal of %s by %s ignored: not from the article's origin", p->cancel,
			 p->msgid);
		p->cancel[0] = '\0';
		p->cancel_id = 0;
		p->cancel_later = 0;
		return MOOT_EINVAL;
	}
	return 0;
}

/*
 * A control article (RFC 5537 §5): only "cancel" is acted on, and only when
 * local (XCANCEL, already authorized) or, from a peer, when the cancel was
 * injected where the original was.  Readers do not post control articles
 * directly: community.c turns a posted cancel into XCANCEL's own, and
 * refuses the others.
 */
static int take_control(struct mootd *d, struct pending *p, const struct article *a, int source,
			const char **why)
{
	const struct article_header *h = article_get(a, "Control");
	const char *v;
	size_t n;
	int rc;

	if (h == NULL)
		return 0;
	if (source == INGEST_POST) {
		*why = "Control messages are not accepted from readers (use XCANCEL)";
		return MOOT_EINVAL;
	}
	p->control = 1;
	rc = article_control_cancel(h->value, h->value_len, &v, &n);
	if (rc == MOOT_ENOTFOUND)
		return 0;	/* other control messages are passed on, not acted on */
	if (rc != 0) {
		*why = "Invalid cancel target";
		return MOOT_EPROTO;
	}
	if (aim_removal(d, p, a, v, n, source) != 0) {
		*why = "Cancel not from the article's origin";
		return MOOT_EINVAL;
	}
	return 0;
}

/*
 * An article that supersedes another (RFC 5536 §3.2.12) is stored, and the
 * one it names is removed as by a cancel (RFC 5537 §5.3), in one
 * transaction.  A post's right to do so was checked by community.c (its
 * author, a moderator, an admin).  From a peer, a Supersedes injected
 * elsewhere than its target is ignored: the new article is kept, the old
 * one too.
 */
static int take_supersedes(struct mootd *d, struct pending *p, const struct article *a, int source,
			   const char **why)
{
	const struct article_header *h = article_get(a, "Supersedes");
	const char *v;
	size_t n;

	if (h == NULL || p->control)
		return 0;
	if (article_single_msgid(h->value, h->value_len, &v, &n) != 0) {
		if (source == INGEST_PEER)
			return 0;	/* not ours to judge: relayed as it is */
		*why = "invalid Supersedes header";
		return MOOT_EPROTO;
	}
	aim_removal(d, p, a, v, n, source);
	return 0;
}

/* Who posted and which thread it belongs to: for the community figures. */
static void take_thread(struct pending *p, const struct article *a)
{
	const struct article_header *h = article_get(a, "From");
	const char *id;
	size_t pos = 0, len;

	if (article_from_address(h->value, h->value_len, &p->poster) != 0)
		buf_clear(&p->poster);
	buf_append(&p->poster, "", 0);
	h = article_get(a, "References");
	if (h == NULL)
		return;
	while (article_next_msgid(h->value, h->value_len, &pos, &id, &len)) {
		if (len > MOOT_MAX_MSGID)
			continue;
		if (p->root[0] == '\0') {
			memcpy(p->root, id, len);
			p->root[len] = '\0';
		}
		memcpy(p->parent, id, len);
		p->parent[len] = '\0';
	}
}

/* A peer's article: it must name a configured peer and not have been here. */
static int check_transit(struct mootd *d, struct pending *p, const struct article *a,
			 const char *peer, struct ng_ctx *ng, const char **why)
{
	const struct article_header *h = article_get(a, "Path");

	ng->peer = peer ? config_peer_find(&d->cfg, peer) : NULL;
	if (ng->peer == NULL) {
		*why = "Unknown peer";
		return MOOT_EINVAL;
	}
	buf_clear(&p->path);
	article_unfold(h->value, h->value_len, &p->path);
	if (path_has(p->path.data ? p->path.data : "", d->cfg.pathhost)) {
		*why = "Already seen here (our name is in Path)";
		return MOOT_EINVAL;
	}
	buf_clear(&p->path);
	return 0;
}

/* Newsgroups: every group must exist and take it (for peers: the wanted ones). */
static int take_groups(struct pending *p, const struct article *a, int source,
		       struct ng_ctx *ng, const char **why)
{
	const struct article_header *h = article_get(a, "Newsgroups");
	int rc;

	ng->approved = article_get(a, "Approved") != NULL;
	rc = article_newsgroups(h->value, h->value_len, ng_one, ng);
	if (rc == MOOT_ENOTFOUND) {
		*why = "No such newsgroup";
	} else if (rc != 0) {
		*why = ng->why ? ng->why : "Invalid Newsgroups header";
	} else if (p->ngroups == 0 && !p->control) {
		*why = source == INGEST_PEER ? "No wanted newsgroup" : "No such newsgroup";
		rc = MOOT_ENOTFOUND;
	}
	return rc;
}

/* Check the article and fill p; returns 0 or an error with *why. */
static int prepare(struct mootd *d, struct pending *p, int source, const char *peer,
		   const char *offered, const char **why)
{
	struct article *a = &d->ingest->scratch;
	struct ng_ctx ng = { d, p, source, NULL, 0, 0, NULL };
	int rc;

	assert(!d->ingest->preparing);
	d->ingest->preparing = 1;
	rc = article_parse(p->art.data, p->art.len, a, why);
	if (rc == 0)
		rc = source == INGEST_PEER ? article_check_transit(a, why) : article_check_post(a, why);
	if (rc == 0)
		rc = take_msgid(d, p, a, offered, why);
	if (rc == 0 && source == INGEST_PEER)
		rc = check_transit(d, p, a, peer, &ng, why);
	if (rc == 0)
		rc = take_date(p, a, why);
	if (rc == 0)
		rc = take_control(d, p, a, source, why);
	if (rc == 0)
		rc = take_supersedes(d, p, a, source, why);
	if (rc == 0)
		rc = take_groups(p, a, source, &ng, why);
	if (rc != 0)
		goto out;
	/* A duplicate of a stored (or refused, cancelled, expired) article is
	 * found by write_one, inside the commit's transaction: a lookup here
	 * would open and close a read transaction of its own for every
	 * article, which cost a seventh of the loop's time in the profile.
	 * Numbers are given there too, after that check (number_it). */
	if (in_batch(d->ingest, p->msgid, p->hash)) {
		*why = "Duplicate message-id";
		rc = MOOT_EEXIST;
		goto out;
	}
	take_thread(p, a);
	p->body = a->body;
	p->body_len = a->body_len;
	article_body_counts(a->body, a->body_len, &p->lines, &p->stuffing);
	rc = build_head(d, p, a, source);
	if (rc != 0) {
		*why = "Out of memory";
		goto out;
	}
	choose_feeds(d, p);
out:
	d->ingest->preparing = 0;
	return rc;
}

/* store_article_get callback: the origin of the stored article's Path. */
static int origin_of(void *arg, const char *msgid, const char *head, size_t head_len,
		     const char *body, size_t body_len)
{
	struct buf *out = arg;
	struct article *a = malloc(sizeof(*a));
	const struct article_header *h;
	const char *why, *o;
	size_t olen;

	if (a == NULL)
		return MOOT_ENOMEM;
	if (article_parse(head, head_len, a, &why) == 0 && (h = article_get(a, "Path")) != NULL &&
	    article_path_origin(h->value, h->value_len, &o, &olen) == 0)
		buf_append(out, o, olen);
	free(a);
	return 0;
}

static int stored_origin(struct mootd *d, int64_t article_id, char *out, size_t outlen)
{
	struct buf b = { 0 };
	int rc = store_article_get(d->store, article_id, STORE_HEAD, origin_of, &b);

	if (rc == 0 && (b.len == 0 || b.len >= outlen))
		rc = MOOT_ENOTFOUND;
	if (rc == 0)
		memcpy(out, b.data, b.len + 1);
	buf_release(&b);
	return rc;
}

static void on_idle(uv_idle_t *h);
static void write_job(struct writer_job *j);
static void commit_job(struct writer_job *j);
static void batch_committed(struct writer_job *j);
static void submit(struct ingest *in, int durable);

/* arr, whose *cap elements of elem bytes are all used, with room for as many
 * again (first when it has none); NULL without memory, arr unchanged then. */
static void *grow(void *arr, size_t *cap, size_t elem, size_t first)
{
	size_t n = *cap ? *cap * 2 : first;
	void *a = realloc(arr, n * elem);

	if (a != NULL)
		*cap = n;
	return a;
}

/* A new, empty batch; NULL without memory. */
static struct batch *batch_new(struct ingest *in)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->in = in;
	b->job.run = commit_job;
	b->job.done = batch_committed;
	return b;
}

/* Append p to *bp (made when NULL); 0 or MOOT_ENOMEM. */
static int batch_add(struct ingest *in, struct batch **bp, struct pending *p)
{
	struct batch *b = *bp;

	if (b == NULL && (b = *bp = batch_new(in)) == NULL)
		return MOOT_ENOMEM;
	if (b->n == b->cap) {
		struct pending **a = grow(b->p, &b->cap, sizeof(*a), 16);
		if (a == NULL)
			return MOOT_ENOMEM;
		b->p = a;
	}
	b->p[b->n++] = p;
	return 0;
}

/* Free b and its articles without answering them. */
static void batch_free(struct batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		pending_put(b->in, b->p[i]);
	free(b->p);
	free(b->cc.u);
	free(b->side);
	buf_release(&b->names);
	free(b);
}

int ingest_article(struct mootd *d, int source, const char *peer, const char *offered,
		   struct buf *art, ingest_cb cb, void *arg, const char **why)
{
	struct ingest *in = d->ingest;
	struct pending *p = pending_new(in);
	int to_writer, rc;

	*why = NULL;
	if (p == NULL) {
		*why = "Out of memory";
		return MOOT_ENOMEM;
	}
	p->in = in;
	p->job.run = write_job;
	{
		/* The article's buffer for the pending's empty one, which the
		 * session fills with its next article (a malloc and a free
		 * fewer per article). */
		struct buf spare = p->art;

		p->art = *art;
		*art = spare;
	}
	if (p->art.data == NULL) {
		/* An empty article: give the parser an empty string. */
		buf_append(&p->art, "", 0);
	}
	rc = prepare(d, p, source, peer, offered, why);
	/* With a writer its rows are written at once, beside the loop; not
	 * while a checkpoint holds commits (the WAL is to start over after it). */
	to_writer = in->writer != NULL && !in->checkpointing;
	if (rc == 0 && batch_add(in, to_writer || in->writer == NULL ? &in->cur : &in->hold, p) != 0) {
		rc = MOOT_ENOMEM;
		*why = "Out of memory";
	}
	if (rc != 0) {
		pending_put(in, p);
		return rc;
	}
	p->cb = cb;
	p->arg = arg;
	if (to_writer)
		writer_submit(in->writer, &p->job);
	if (!in->checkpointing || to_writer)
		uv_idle_start(&in->idle, on_idle);
	return 0;
}

static int cancelled_marks(void *arg, int64_t group_id, int64_t low, int64_t count)
{
	struct cancel_ctx *c = arg;

	if (c->n == c->cap) {
		struct unmark *u = grow(c->u, &c->cap, sizeof(*u), 8);
		if (u == NULL)
			return MOOT_ENOMEM;
		c->u = u;
	}
	c->u[c->n++] = (struct unmark){ group_id, low, count };
	return 0;
}

/* The open transaction's record of group g, made on first use; NULL without memory. */
static struct wmark *wmark_of(struct wside *w, struct group *g)
{
	size_t i;

	for (i = 0; i < w->nm; i++)
		if (w->m[i].g == g)
			return &w->m[i];
	if (w->nm == w->capm) {
		struct wmark *m = grow(w->m, &w->capm, sizeof(*m), 8);
		if (m == NULL)
			return NULL;
		w->m = m;
	}
	w->m[w->nm] = (struct wmark){ g, g->next, 0, 0, 0 };
	return &w->m[w->nm++];
}

/* Write the numbers given since the last flush into the groups' marks. */
static int flush_marks(struct wside *w)
{
	size_t i;
	int rc;

	for (i = 0; i < w->nm; i++) {
		struct wmark *m = &w->m[i];
		if (m->count == 0)
			continue;
		rc = store_group_add_marks(w->st, m->g->id, m->low, m->high, m->count);
		if (rc != 0)
			return rc;
		m->count = 0;
	}
	return 0;
}

/* Write one article, its numbering, its feeds and its figures; a cancel
 * removes its target.  MOOT_EEXIST (a duplicate) skips just this one. */
static int write_one(struct wside *w, struct pending *p)
{
	struct store *st = w->st;
	struct store_article sa;
	const char *name;
	int64_t id;
	int rc, i;

	/* A Message-ID stored or remembered in history fails the insert
	 * below (MOOT_EEXIST), which gives the numbers back. */
	for (i = 0; i < p->ngroups; i++)
		if (wmark_of(w, p->groups[i]) == NULL)
			return MOOT_ENOMEM;	/* before number_it: next0 is the value before */
	if (number_it(p) != 0)
		return MOOT_ENOMEM;
	sa = (struct store_article){
		.msgid = p->msgid, .arrived = p->arrived, .posted = p->posted,
		.bytes = p->bytes, .lines = p->lines, .from = p->from, .subject = p->subject,
		.date = p->date, .refs = p->refs, .xref = p->xref,
		.head = p->head.data, .head_len = p->head.len,
		.body = p->body, .body_len = p->body_len,
		.poster = p->poster.data ? p->poster.data : "",
		.root = p->root[0] ? p->root : NULL,
		.parent = p->parent[0] ? p->parent : NULL,
	};
	rc = store_article_add(st, &sa, &id);
	if (rc == MOOT_EEXIST) {
		/* Give the numbers back: nothing took one since number_it. */
		for (i = p->ngroups - 1; i >= 0; i--)
			p->groups[i]->next = p->numbers[i];
		return rc;
	}
	if (rc != 0)
		return rc;
	for (i = 0; i < p->ngroups; i++) {
		struct wmark *m = wmark_of(w, p->groups[i]);
		rc = store_number_add(st, p->groups[i]->id, p->numbers[i], id);
		if (rc != 0)
			return rc;
		if (m->count++ == 0)
			m->low = p->numbers[i];
		m->high = p->numbers[i];
	}
	/* The figures count a post in each of its groups (a cancel takes it out
	 * of each again); a thread and a reply are counted once, by the store. */
	for (i = 0; i < p->ngroups; i++) {
		rc = store_stats_record(st, p->groups[i]->id, id, sa.poster, sa.root, p->arrived);
		if (rc != 0)
			return rc;
	}
	/* Queued for peers in the same transaction: nothing is lost between. */
	for (name = p->feeds.data; name && name < p->feeds.data + p->feeds.len; name += strlen(name) + 1) {
		rc = store_outq_add(st, name, id);
		if (rc != 0)
			return rc;
	}
	if (p->cancel_later && store_msgid_get(st, p->cancel, &p->cancel_id) != 0)
		p->cancel_id = 0;	/* its target was a duplicate, or failed */
	if (p->cancel_id) {
		/* The cancel reads the marks: those of this transaction first. */
		rc = flush_marks(w);
		if (rc == 0)
			rc = store_article_remove(st, p->cancel_id, p->arrived, cancelled_marks, &w->cc);
		if (rc == MOOT_ENOTFOUND)
			rc = 0;	/* cancelled twice in one batch */
		if (rc != 0)
			return rc;
		log_info("ingest: %s cancelled by %s", p->cancel, p->msgid);
	}
	return 0;
}

/* Make one small write (struct side) on st now. */
static int side_write(struct store *st, int kind, const char *name, int64_t value)
{
	return kind == SIDE_REFUSED ? store_history_add(st, name, value, "rejected")
				    : store_outq_delete(st, name, value);
}

/* Begin the writer's transaction unless one is open. */
static void wbegin(struct wside *w)
{
	if (!w->open) {
		w->open = 1;
		w->open_durable = w->durable;
		w->rc = w->durable ? store_begin(w->st) : store_begin_nosync(w->st);
	}
}

/* Write p in the writer's transaction, beginning it if none is open. */
static void article_write(struct wside *w, struct pending *p)
{
	wbegin(w);
	if (w->rc == 0) {
		p->status = write_one(w, p);
		if (p->status != 0 && p->status != MOOT_EEXIST)
			w->rc = p->status;
	}
	p->written = 1;
}

/* writer job of one article: its rows, at once. */
static void write_job(struct writer_job *j)
{
	struct pending *p = WRITER_OWNER(j, struct pending, job);

	article_write(&p->in->w, p);
}

/*
 * The commit of a batch (on the writer thread, or on the loop without
 * one): whatever article is not written yet, the groups' marks, then commit
 * or roll back, handing out the numbers again after a rollback.  A batch
 * committed without the WAL's sync has its sync asked for here, so that
 * it starts without waiting for the loop.
 */
static void commit_job(struct writer_job *j)
{
	struct batch *b = WRITER_OWNER(j, struct batch, job);
	struct ingest *in = b->in;
	struct wside *w = &in->w;
	size_t i;
	int rc;

	w->durable = b->durable;
	for (i = 0; i < b->n; i++)
		if (!b->p[i]->written)
			article_write(w, b->p[i]);
	wbegin(w);
	for (i = 0; i < b->nside && w->rc == 0; i++) {
		const struct side *sd = &b->side[i];
		w->rc = side_write(w->st, sd->kind, b->names.data + sd->name, sd->value);
	}
	rc = w->rc;
	if (rc == 0)
		rc = flush_marks(w);
	if (rc == 0)
		rc = w->open_durable ? store_commit(w->st) : store_commit_nosync(w->st);
	if (rc != 0) {
		store_rollback(w->st);
		for (i = 0; i < w->nm; i++)
			w->m[i].g->next = w->m[i].next0;
	}
	b->rc = rc;
	b->frames = store_wal_frames(w->st);
	b->cc = w->cc;
	w->cc = (struct cancel_ctx){ NULL, 0, 0 };
	w->open = 0;
	w->rc = 0;
	w->nm = 0;
	if (rc == 0 && !w->open_durable && in->syncer != NULL)
		syncer_sync(in->syncer, b->gen);
}

/*
 * Answer n articles of one commit (rc its result, or of the sync that made
 * it durable): kick the feeds that queued them, run every callback, free
 * them and the array.
 */
static void complete(struct ingest *in, struct pending **batch, size_t n, int rc)
{
	struct mootd *d = in->d;
	size_t i;

	for (i = 0; i < n && rc == 0; i++) {
		const char *name, *end;
		if (batch[i]->status != 0 || batch[i]->feeds.data == NULL)
			continue;
		end = batch[i]->feeds.data + batch[i]->feeds.len;
		for (name = batch[i]->feeds.data; name < end; name += strlen(name) + 1)
			feed_kick(d, name);
	}
	session_hold_writes(d);
	for (i = 0; i < n; i++) {
		struct pending *p = batch[i];
		int status = rc != 0 ? MOOT_ESTORE : p->status;
		if (status == 0)
			d->articles_in++;
		if (p->cb)
			p->cb(p->arg, status, p->msgid,
			      status == 0 ? NULL : status == MOOT_EEXIST ? "Duplicate message-id"
									: "Storage failure");
		pending_put(in, p);
	}
	session_release_held(d);
	free(batch);
}

/*
 * Answer the batches at the head of inflight that can be: committed and
 * on disk, or failed.  Strictly in order, because a session's pending
 * replies are filled oldest first.
 */
static void settle(struct ingest *in)
{
	struct batch *b;

	while ((b = in->inflight) != NULL && b->committed &&
	       (b->rc != 0 || b->durable || in->syncer == NULL || b->gen <= in->synced)) {
		int rc = b->rc;
		if (rc == 0 && !b->durable && in->syncer != NULL && b->gen <= in->failed_upto)
			rc = MOOT_ESTORE;
		in->inflight = b->next;
		if (in->inflight == NULL)
			in->inflight_tail = &in->inflight;
		complete(in, b->p, b->n, rc);
		b->p = NULL;
		b->n = 0;
		batch_free(b);
	}
}

/* Load the stored marks of g into memory (the writer changed them). */
static void refresh(struct mootd *d, struct group *g)
{
	int64_t low, high, count;

	if (store_group_marks(d->store, g->id, &low, &high, &count) == 0) {
		g->low = low;
		g->high = high;
		g->count = count;
	}
}

/*
 * Ask the storage thread for a checkpoint once the WAL has grown (see
 * CHECKPOINT_FRAMES and CHECKPOINT_TAIL_FRAMES), or hold commits while one
 * runs past CHECKPOINT_HARD_FRAMES; force: checkpoint whatever is new, with
 * commits held, so that the WAL starts over (ingest is idle).
 */
static void kick(struct ingest *in, int force)
{
	int frames, fresh, hold;

	if (in->syncer == NULL)
		return;
	frames = store_wal_frames(in->d->store);
	if (in->checkpoint_running) {
		/* Ingest outruns the checkpoints: commits wait from
		 * CHECKPOINT_HARD_FRAMES until this one ends, and the one that
		 * follows holds them until the WAL starts over. */
		if (!in->checkpointing && frames >= CHECKPOINT_HARD_FRAMES) {
			in->checkpointing = 1;
			submit(in, 0);	/* what the writer has of this turn commits first */
		}
		return;
	}
	if (frames < in->checkpointed_at)
		in->checkpointed_at = 0;	/* the WAL started over */
	fresh = frames - in->checkpointed_at;
	hold = force || (frames >= CHECKPOINT_HOLD_FRAMES &&
			 (fresh <= CHECKPOINT_TAIL_FRAMES || frames >= CHECKPOINT_HARD_FRAMES));
	if (fresh <= 0 || (!hold && fresh < CHECKPOINT_FRAMES && frames < CHECKPOINT_HOLD_FRAMES))
		return;
	in->checkpointed_at = frames;
	in->checkpoint_running = 1;
	in->checkpointing = hold;
	if (hold) {
		submit(in, 0);	/* what the writer has of this turn commits first */
		if (in->committed != in->gen) {
			in->checkpoint_waits = 1;	/* batch_committed starts it */
			return;
		}
	}
	syncer_checkpoint(in->syncer);
}

/*
 * On the loop, after a batch's commit job: readers see its numbers now
 * (the marks as stored, which also count what expiry or a cancel did
 * meanwhile); its 2xx waits for the sync (settle).
 */
static void batch_committed(struct writer_job *j)
{
	struct batch *b = WRITER_OWNER(j, struct batch, job);
	struct ingest *in = b->in;
	struct mootd *d = in->d;
	struct group *seen[MAX_CROSSPOST];
	size_t i, nseen = 0, k;
	int g;

	b->committed = 1;
	in->committed = b->gen;
	if (b->rc != 0) {
		log_err("ingest: commit of %zu articles failed", b->n);
	} else {
		/* The loop's connection tracks the WAL's size for kick(). */
		store_wal_note(d->store, b->frames);
		/* A fresh snapshot, not one kept from earlier in this turn. */
		store_read_release(d->store);
		for (i = 0; i < b->n; i++) {
			struct pending *p = b->p[i];
			if (p->status != 0)
				continue;
			for (g = 0; g < p->ngroups; g++) {
				for (k = 0; k < nseen && seen[k] != p->groups[g]; k++)
					;
				if (k < nseen)
					continue;
				refresh(d, p->groups[g]);
				if (nseen < MOOT_ARRAY_SIZE(seen))
					seen[nseen++] = p->groups[g];
			}
		}
		for (i = 0; i < b->cc.n; i++) {
			struct group *gr = groups_by_id(d, b->cc.u[i].group_id);
			if (gr)
				refresh(d, gr);
		}
	}
	settle(in);
	/* Group commit: what turns queued while this one ran (see on_idle). */
	if (in->cur != NULL && in->committed == in->gen && !uv_is_active((uv_handle_t *)&in->idle))
		submit(in, in->syncer == NULL);
	if (in->checkpoint_waits && in->committed == in->gen) {
		in->checkpoint_waits = 0;
		syncer_checkpoint(in->syncer);
	}
	kick(in, 0);
}

/* Hand the batch of this turn to the writer (or commit it here). */
static void submit(struct ingest *in, int durable)
{
	struct batch *b = in->cur;

	in->cur = NULL;
	uv_idle_stop(&in->idle);
	if (b == NULL)
		return;
	b->durable = durable;
	b->gen = ++in->gen;
	*in->inflight_tail = b;
	in->inflight_tail = &b->next;
	if (in->writer != NULL) {
		writer_submit(in->writer, &b->job);
	} else {
		commit_job(&b->job);
		batch_committed(&b->job);
	}
}

/* Move the articles held during a checkpoint into a batch of their own,
 * handing them to the writer. */
static void release_hold(struct ingest *in)
{
	size_t i;

	if (in->hold == NULL)
		return;
	submit(in, 0);	/* what the writer has of this turn commits first */
	in->cur = in->hold;
	in->hold = NULL;
	for (i = 0; i < in->cur->n; i++)
		writer_submit(in->writer, &in->cur->p[i]->job);
	uv_idle_start(&in->idle, on_idle);
}

/* syncer_cb: commits up to gen are durable (or their sync failed), or the
 * checkpoint ended. */
static void on_synced(void *arg, int job, uint64_t gen, int rc)
{
	struct ingest *in = arg;

	if (job == SYNCER_SYNC) {
		if (rc != 0) {
			log_err("ingest: the WAL could not be synced: answering its articles as failed");
			in->failed_upto = gen;
		}
		if (gen > in->synced)
			in->synced = gen;
		settle(in);
	} else {
		in->checkpoint_running = 0;
		if (in->checkpointing) {
			in->checkpointing = 0;
			if (in->writer != NULL)
				release_hold(in);
			else if (in->cur != NULL)
				uv_idle_start(&in->idle, on_idle);
		}
	}
	kick(in, 0);
}

/* The next turn of the loop: commit what this one queued, unless the
 * writer's last commit is still to come (GROUP_COMMIT_MAX).  Without a
 * writer a checkpoint that holds commits lets the batch grow until it ends;
 * with one, what it has is committed (what came since waits in hold). */
static void on_idle(uv_idle_t *h)
{
	struct ingest *in = h->data;

	if (in->checkpointing && in->writer == NULL) {
		uv_idle_stop(&in->idle);
		return;
	}
	if (in->writer != NULL && in->committed != in->gen && in->cur != NULL &&
	    in->cur->n < GROUP_COMMIT_MAX) {
		uv_idle_stop(&in->idle);	/* batch_committed submits it */
		return;
	}
	submit(in, in->syncer == NULL);
}

/* store_on_write of the loop's connection: it is about to write, and the
 * writer may hold the write lock with a transaction open for this turn's
 * batch: let it commit now instead of at the turn's end. */
static void yield(void *arg)
{
	struct ingest *in = arg;

	if (in->cur != NULL && in->cur->n > 0)
		submit(in, 0);	/* its side writes go with it: they are not written yet */
}

/*
 * Answer everything now: commit the queued articles, wait for the writer,
 * sync the WAL here, which puts every commit on disk, and answer every
 * batch (the storage thread's own report, when it comes, finds nothing left).
 */
static void flush_all(struct ingest *in)
{
	struct batch *b;
	int rc = 0;

	if (in->hold != NULL) {
		int checkpointing = in->checkpointing;
		in->checkpointing = 0;
		release_hold(in);
		in->checkpointing = checkpointing;
	}
	submit(in, in->writer == NULL);
	if (in->writer != NULL)
		writer_drain(in->writer);
	for (b = in->inflight; b; b = b->next)
		if (b->committed && b->rc == 0 && !b->durable)
			break;
	if (b != NULL)
		rc = store_sync(in->d->store);
	for (b = in->inflight; b; b = b->next)
		b->durable = 1;	/* on disk now (or rc says it is not) */
	if (rc != 0)
		in->failed_upto = in->gen;
	in->synced = in->gen;
	settle(in);
}

/* Queue a small write for the next commit; without ingest or memory, make
 * it at once on the loop's connection. */
static void side_add(struct mootd *d, int kind, const char *name, int64_t value)
{
	struct ingest *in = d->ingest;
	struct batch **bp = NULL, *b = NULL;
	size_t off;

	if (in != NULL) {
		bp = in->writer != NULL && in->checkpointing ? &in->hold : &in->cur;
		if ((b = *bp) == NULL)
			b = *bp = batch_new(in);
	}
	if (b != NULL && b->nside == b->capside) {
		struct side *a = grow(b->side, &b->capside, sizeof(*a), 16);
		if (a != NULL)
			b->side = a;
	}
	off = b ? b->names.len : 0;
	if (b == NULL || b->nside == b->capside || buf_append(&b->names, name, strlen(name) + 1) != 0) {
		if (side_write(d->store, kind, name, value) != 0)
			log_warn("ingest: cannot record %s", name);
		return;
	}
	b->side[b->nside++] = (struct side){ kind, off, value };
	if (bp == &in->cur || in->writer == NULL)
		uv_idle_start(&in->idle, on_idle);
}

void ingest_refused(struct mootd *d, const char *msgid)
{
	side_add(d, SIDE_REFUSED, msgid, mootd_now());
}

void ingest_dequeue(struct mootd *d, const char *peer, int64_t article_id)
{
	side_add(d, SIDE_DEQUEUE, peer, article_id);
}

int ingest_init(struct mootd *d)
{
	struct ingest *in = calloc(1, sizeof(*in));
	char err[256];
	int rc;

	if (in == NULL)
		return MOOT_ENOMEM;
	in->d = d;
	in->inflight_tail = &in->inflight;
	in->w.st = d->store;
	rc = uv_idle_init(d->loop, &in->idle);
	if (rc != 0) {
		free(in);
		return rc;
	}
	in->idle.data = in;
	if (!d->sync_on_loop && (rc = syncer_new(d->loop, d->store, on_synced, in, &in->syncer)) != 0)
		log_warn("ingest: no storage thread (%s): commits sync on the loop", uv_strerror(rc));
	/* The writer thread has a connection of its own (writer.h). */
	if (in->syncer != NULL) {
		struct store *wst = NULL;
		if (store_open(store_path(d->store), &wst, err, sizeof(err)) != 0 ||
		    (rc = writer_new(d->loop, &in->writer)) != 0) {
			log_warn("ingest: no writer thread: transactions run on the loop");
			store_close(wst);
		} else {
			in->w.st = wst;
			store_on_write(d->store, yield, in);
		}
	}
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
	flush_all(in);
	if (in->writer != NULL) {
		writer_free(in->writer);
		store_on_write(d->store, NULL, NULL);
		store_close(in->w.st);
	}
	free(in->w.m);
	free(in->w.cc.u);
	while (in->pool != NULL) {
		struct pending *p = in->pool;
		in->pool = p->next;
		pending_free(p);
	}
	syncer_free(in->syncer);
	d->ingest = NULL;
	uv_close((uv_handle_t *)&in->idle, on_idle_closed);
}

int ingest_pending(struct mootd *d, const char *msgid)
{
	return d->ingest != NULL && find_pending(d->ingest, msgid) != NULL;
}

/* Is msgid a refusal of b's, not written yet? */
static int refused_in(const struct batch *b, const char *msgid)
{
	size_t i;

	for (i = 0; b && i < b->nside; i++)
		if (b->side[i].kind == SIDE_REFUSED && strcmp(b->names.data + b->side[i].name, msgid) == 0)
			return 1;
	return 0;
}

int ingest_was_refused(struct mootd *d, const char *msgid)
{
	struct ingest *in = d->ingest;
	struct batch *b;

	if (in == NULL)
		return 0;
	if (refused_in(in->cur, msgid) || refused_in(in->hold, msgid))
		return 1;
	for (b = in->inflight; b; b = b->next)
		if (refused_in(b, msgid))
			return 1;
	return 0;
}

/* Forget the callbacks of b's articles for arg. */
static void forget_in(struct batch *b, void *arg)
{
	size_t i;

	for (i = 0; b && i < b->n; i++)
		if (b->p[i]->arg == arg)
			b->p[i]->cb = NULL;
}

void ingest_forget(struct mootd *d, void *arg)
{
	struct ingest *in = d->ingest;
	struct batch *b;

	if (in == NULL)
		return;
	forget_in(in->cur, arg);
	forget_in(in->hold, arg);
	for (b = in->inflight; b; b = b->next)
		forget_in(b, arg);
}

void ingest_end_turn(struct mootd *d)
{
	struct ingest *in = d->ingest;

	if (in != NULL && in->cur != NULL && uv_is_active((uv_handle_t *)&in->idle))
		on_idle(&in->idle);
}

void ingest_flush(struct mootd *d)
{
	if (d->ingest)
		flush_all(d->ingest);
}

void ingest_tick(struct mootd *d)
{
	struct ingest *in = d->ingest;
	int quiet;

	if (in == NULL)
		return;
	/* Nothing committed for a whole tick: a good time to empty the WAL. */
	quiet = in->cur == NULL && in->hold == NULL && in->inflight == NULL &&
		store_wal_frames(d->store) == in->frames_at_tick;
	in->frames_at_tick = store_wal_frames(d->store);
	kick(in, quiet);
}
