/*
 * test_store.c: the SQLite store against a real database file in a fresh
 * directory under /tmp/h4/: groups, articles and numbering, overview ranges,
 * stepping, message-id lookups, transactions, durability across close and
 * open, NEWNEWS and expiry.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "../../proto/moot.h"
#include "../../daemon/store.h"

#define TEST_BASE "/tmp/h4"

/* A store in a temp directory of its own. */
struct fix {
	char dir[64];		/* from mkdtemp */
	char path[96];		/* dir/moot.db */
	struct store *st;	/* open, or NULL */
	int64_t ga, gb;		/* groups "a.test" and "b.test" */
};

/* Make the directory and open the store; 0 or -1 (a CHECK has failed). */
static int fix_open(struct fix *f)
{
	char err[256] = "";
	int rc;

	memset(f, 0, sizeof(*f));
	if (mkdir(TEST_BASE, 0700) < 0 && errno != EEXIST) {
		CHECK(!"mkdir " TEST_BASE);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/storeXXXXXX", TEST_BASE);
	if (mkdtemp(f->dir) == NULL) {
		CHECK(!"mkdtemp");
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/moot.db", f->dir);
	rc = store_open(f->path, &f->st, err, sizeof(err));
	CHECK_INT(rc, 0);
	CHECK(f->st != NULL);
	return f->st ? 0 : -1;
}

/* Close and open the same file again; 0 or -1. */
static int fix_reopen(struct fix *f)
{
	char err[256] = "";

	store_close(f->st);
	f->st = NULL;
	CHECK_INT(store_open(f->path, &f->st, err, sizeof(err)), 0);
	return f->st ? 0 : -1;
}

/* Close the store and remove its files and directory. */
static void fix_close(struct fix *f)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[128];
	size_t i;

	store_close(f->st);
	f->st = NULL;
	if (f->path[0] == '\0')
		return;
	for (i = 0; i < MOOT_ARRAY_SIZE(suffix); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	CHECK_INT(rmdir(f->dir), 0);
}

/* Add one article <n@test> arrived at `arrived` with a small head and body; its id or -1. */
static int64_t add(struct fix *f, int n, int64_t arrived)
{
	struct store_article a;
	char msgid[32], subject[32], head[128], body[32];
	int64_t id = -1;

	snprintf(msgid, sizeof(msgid), "<%d@test>", n);
	snprintf(subject, sizeof(subject), "subject %d", n);
	snprintf(head, sizeof(head), "Message-ID: %s\r\nSubject: %s\r\n", msgid, subject);
	snprintf(body, sizeof(body), "body %d\r\n", n);
	memset(&a, 0, sizeof(a));
	a.msgid = msgid;
	a.arrived = arrived;
	a.posted = arrived - 10;
	a.bytes = 100 + n;
	a.lines = n;
	a.from = "user@example.com";
	a.subject = subject;
	a.date = "Sat, 1 Jan 2000 00:00:00 +0000";
	a.refs = n > 1 ? "<1@test>" : "";
	a.xref = "host a.test:1";
	a.head = head;
	a.head_len = strlen(head);
	a.body = body;
	a.body_len = strlen(body);
	CHECK_INT(store_article_add(f->st, &a, &id), 0);
	return id;
}

/*
 * Groups a.test and b.test; articles 1..5 numbered 1..5 in a.test, arrived
 * at 1000 + 100 * n; article 3 also numbered 1 in b.test (a crosspost).
 * Article ids are returned in ids[1..5].  0 or -1.
 */
static int fix_fill(struct fix *f, int64_t ids[6])
{
	int n;

	CHECK_INT(store_group_upsert(f->st, "a.test", "Group A", 500, &f->ga), 0);
	CHECK_INT(store_group_upsert(f->st, "b.test", "Group B", 500, &f->gb), 0);
	CHECK(f->ga != f->gb);
	if (store_begin(f->st) != 0)
		return -1;
	for (n = 1; n <= 5; n++) {
		ids[n] = add(f, n, 1000 + 100 * n);
		CHECK_INT(store_number_add(f->st, f->ga, n, ids[n]), 0);
	}
	CHECK_INT(store_number_add(f->st, f->gb, 1, ids[3]), 0);
	CHECK_INT(store_group_set_marks(f->st, f->ga, 1, 5, 5), 0);
	CHECK_INT(store_group_set_marks(f->st, f->gb, 1, 1, 1), 0);
	CHECK_INT(store_commit(f->st), 0);
	return 0;
}

/* What the overview callback saw. */
struct seen {
	int rows;
	int stop_after;		/* return 1 after this many rows; 0 never */
	int64_t numbers[16];
	int64_t ids[16];
	char msgid[16][32];
	int had_head;		/* rows with a head */
	int head_ok;		/* rows whose head starts with its Message-ID header */
	int fields_ok;		/* rows whose other overview fields match */
};

/* Record an overview row into a struct seen. */
static int over_cb(void *arg, const struct store_over *r)
{
	struct seen *s = arg;
	char want[64];
	int n;

	if (s->rows < 16) {
		s->numbers[s->rows] = r->number;
		s->ids[s->rows] = r->article_id;
		snprintf(s->msgid[s->rows], sizeof(s->msgid[0]), "%s", r->msgid);
	}
	s->rows++;
	if (sscanf(r->msgid, "<%d@test>", &n) == 1) {
		snprintf(want, sizeof(want), "subject %d", n);
		if (strcmp(r->subject, want) == 0 && strcmp(r->from, "user@example.com") == 0 &&
		    strcmp(r->date, "Sat, 1 Jan 2000 00:00:00 +0000") == 0 &&
		    strcmp(r->refs, n > 1 ? "<1@test>" : "") == 0 &&
		    strcmp(r->xref, "host a.test:1") == 0 &&
		    r->bytes == 100 + n && r->lines == n && r->arrived == 1000 + 100 * n)
			s->fields_ok++;
		snprintf(want, sizeof(want), "Message-ID: %s\r\n", r->msgid);
		if (r->head && r->head_len > strlen(want) &&
		    memcmp(r->head, want, strlen(want)) == 0 && r->head[r->head_len - 1] == '\n')
			s->head_ok++;
	}
	if (r->head)
		s->had_head++;
	return s->stop_after && s->rows >= s->stop_after;
}

/* Record a number into a struct seen. */
static int number_cb(void *arg, int64_t number)
{
	struct seen *s = arg;

	if (s->rows < 16)
		s->numbers[s->rows] = number;
	s->rows++;
	return s->stop_after && s->rows >= s->stop_after;
}

/* Collects the groups listed, in order. */
struct glist {
	int n;
	int stop_after;
	char names[8][32];
	char descs[8][32];
	int status[8];
	int64_t low[8], high[8], count[8];
};

static int group_cb(void *arg, const struct store_group *g)
{
	struct glist *l = arg;

	if (l->n < 8) {
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s", g->name);
		snprintf(l->descs[l->n], sizeof(l->descs[0]), "%s", g->description);
		l->status[l->n] = g->status;
		l->low[l->n] = g->low;
		l->high[l->n] = g->high;
		l->count[l->n] = g->count;
	}
	l->n++;
	return l->stop_after && l->n >= l->stop_after ? 42 : 0;
}

/* A fetched article, copied out of the callback. */
struct got {
	int calls;
	char msgid[32];
	char head[128];
	char body[32];
	int head_null, body_null;
	size_t head_len, body_len;
};

static int article_cb(void *arg, const char *msgid, const char *head, size_t head_len,
		      const char *body, size_t body_len)
{
	struct got *g = arg;

	g->calls++;
	snprintf(g->msgid, sizeof(g->msgid), "%s", msgid);
	g->head_null = head == NULL;
	g->body_null = body == NULL;
	g->head_len = head_len;
	g->body_len = body_len;
	if (head && head_len < sizeof(g->head))
		memcpy(g->head, head, head_len);
	if (body && body_len < sizeof(g->body))
		memcpy(g->body, body, body_len);
	return 0;
}

/* NEWNEWS rows. */
struct nn {
	int n;
	int64_t ids[16], groups[16];
	char msgid[16][32];
};

static int newnews_cb(void *arg, int64_t article_id, const char *msgid, int64_t group_id)
{
	struct nn *x = arg;

	if (x->n < 16) {
		x->ids[x->n] = article_id;
		x->groups[x->n] = group_id;
		snprintf(x->msgid[x->n], sizeof(x->msgid[0]), "%s", msgid);
	}
	x->n++;
	return 0;
}

/* Opening a file in a directory that does not exist fails with a message. */
static void store_open_fails(void)
{
	struct store *st = (struct store *)&st;	/* not NULL, must be cleared */
	char err[256] = "";

	CHECK_INT(store_open("/nonexistent-dir-h4/x/moot.db", &st, err, sizeof(err)), MOOT_ESTORE);
	CHECK(st == NULL);
	CHECK(err[0] != '\0');
	store_close(NULL);	/* accepted */
}

/* Upsert inserts with low 1 high 0 count 0, re-upsert keeps the id; listing is by name. */
static void store_groups(void)
{
	struct fix f;
	struct glist l;
	int64_t a, b, a2, c;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_group_upsert(f.st, "zz.last", "Last", 100, &b), 0);
	CHECK_INT(store_group_upsert(f.st, "aa.first", "First", 100, &a), 0);
	CHECK(a != b);
	CHECK_INT(store_group_set_status(f.st, a, STORE_GROUP_REMOVED), 0);
	CHECK_INT(store_group_upsert(f.st, "aa.first", "First, renamed", 200, &a2), 0);
	CHECK_INT(a2, a);
	CHECK_INT(store_group_upsert(f.st, "mm.middle", NULL, 100, &c), 0);
	CHECK_INT(store_group_set_marks(f.st, c, 3, 9, 4), 0);
	CHECK_INT(store_group_set_status(f.st, b, STORE_GROUP_REMOVED), 0);

	memset(&l, 0, sizeof(l));
	CHECK_INT(store_groups_each(f.st, group_cb, &l), 0);
	CHECK_INT(l.n, 3);
	CHECK_STR(l.names[0], "aa.first");
	CHECK_STR(l.descs[0], "First, renamed");
	CHECK_INT(l.status[0], STORE_GROUP_ACTIVE);	/* re-upsert reactivates */
	CHECK_INT(l.low[0], 1);
	CHECK_INT(l.high[0], 0);
	CHECK_INT(l.count[0], 0);
	CHECK_STR(l.names[1], "mm.middle");
	CHECK_STR(l.descs[1], "");
	CHECK_INT(l.low[1], 3);
	CHECK_INT(l.high[1], 9);
	CHECK_INT(l.count[1], 4);
	CHECK_STR(l.names[2], "zz.last");
	CHECK_INT(l.status[2], STORE_GROUP_REMOVED);

	/* The callback's non-zero stops the walk and is returned. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	CHECK_INT(store_groups_each(f.st, group_cb, &l), 42);
	CHECK_INT(l.n, 2);

	CHECK_INT(store_group_set_status(f.st, 9999, STORE_GROUP_REMOVED), MOOT_ENOTFOUND);
	CHECK_INT(store_group_set_marks(f.st, 9999, 1, 0, 0), MOOT_ENOTFOUND);
out:
	fix_close(&f);
}

/* Overview ranges, limits, empty ranges, with and without the head. */
static void store_overview(void)
{
	struct fix f;
	struct seen s;
	int64_t ids[6];

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;

	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.ga, 1, 5, 0, 0, over_cb, &s), 5);
	CHECK_INT(s.rows, 5);
	CHECK_INT(s.numbers[0], 1);
	CHECK_INT(s.numbers[4], 5);
	CHECK_INT(s.ids[2], ids[3]);
	CHECK_STR(s.msgid[0], "<1@test>");
	CHECK_STR(s.msgid[4], "<5@test>");
	CHECK_INT(s.fields_ok, 5);
	CHECK_INT(s.had_head, 0);	/* want_head off: no head */

	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.ga, 2, 4, 0, 1, over_cb, &s), 3);
	CHECK_INT(s.numbers[0], 2);
	CHECK_INT(s.numbers[2], 4);
	CHECK_INT(s.had_head, 3);
	CHECK_INT(s.head_ok, 3);

	/* limit */
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.ga, 2, INT64_MAX, 2, 0, over_cb, &s), 2);
	CHECK_INT(s.numbers[0], 2);
	CHECK_INT(s.numbers[1], 3);
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.ga, 1, 5, -3, 0, over_cb, &s), 5);

	/* empty ranges: reversed, past the end, another group, a missing group */
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.ga, 4, 2, 0, 0, over_cb, &s), 0);
	CHECK_INT(store_over_range(f.st, f.ga, 6, 100, 0, 0, over_cb, &s), 0);
	CHECK_INT(store_over_range(f.st, 9999, 1, 5, 0, 0, over_cb, &s), 0);
	CHECK_INT(s.rows, 0);

	/* the crosspost, in b.test with its own number */
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.gb, 0, 100, 0, 0, over_cb, &s), 1);
	CHECK_INT(s.numbers[0], 1);
	CHECK_INT(s.ids[0], ids[3]);
	CHECK_STR(s.msgid[0], "<3@test>");

	/* the callback stops it early; the count includes that row */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	CHECK_INT(store_over_range(f.st, f.ga, 1, 5, 0, 1, over_cb, &s), 2);
	/* and the statement was reset: a new scan starts from the beginning */
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.ga, 1, 5, 0, 1, over_cb, &s), 5);
	CHECK_INT(s.numbers[0], 1);

	/* by article id: number 0 */
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_article(f.st, ids[4], 1, over_cb, &s), 0);
	CHECK_INT(s.rows, 1);
	CHECK_INT(s.numbers[0], 0);
	CHECK_STR(s.msgid[0], "<4@test>");
	CHECK_INT(s.head_ok, 1);
	CHECK_INT(s.fields_ok, 1);
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_article(f.st, ids[4], 0, over_cb, &s), 0);
	CHECK_INT(s.had_head, 0);
	CHECK_INT(store_over_article(f.st, 9999, 0, over_cb, &s), MOOT_ENOTFOUND);

	/* LISTGROUP numbers */
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_numbers_range(f.st, f.ga, 2, 5, 0, number_cb, &s), 4);
	CHECK_INT(s.numbers[0], 2);
	CHECK_INT(s.numbers[3], 5);
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_numbers_range(f.st, f.ga, 1, 5, 3, number_cb, &s), 3);
	CHECK_INT(s.numbers[2], 3);
	CHECK_INT(store_numbers_range(f.st, f.ga, 5, 1, 0, number_cb, &s), 0);
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	CHECK_INT(store_numbers_range(f.st, f.ga, 1, 5, 0, number_cb, &s), 1);
out:
	fix_close(&f);
}

/* Number lookup and stepping (LAST/NEXT, RFC 3977 §6.1.3, §6.1.4) with holes and ends. */
static void store_numbers(void)
{
	struct fix f;
	int64_t ids[6], v = -1;

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	CHECK_INT(store_number_get(f.st, f.ga, 3, &v), 0);
	CHECK_INT(v, ids[3]);
	CHECK_INT(store_number_get(f.st, f.gb, 1, &v), 0);
	CHECK_INT(v, ids[3]);
	CHECK_INT(store_number_get(f.st, f.ga, 6, &v), MOOT_ENOTFOUND);
	CHECK_INT(store_number_get(f.st, f.gb, 2, &v), MOOT_ENOTFOUND);

	CHECK_INT(store_number_step(f.st, f.ga, 3, 1, &v), 0);
	CHECK_INT(v, 4);
	CHECK_INT(store_number_step(f.st, f.ga, 3, -1, &v), 0);
	CHECK_INT(v, 2);
	CHECK_INT(store_number_step(f.st, f.ga, 5, 1, &v), MOOT_ENOTFOUND);
	CHECK_INT(store_number_step(f.st, f.ga, 1, -1, &v), MOOT_ENOTFOUND);
	CHECK_INT(store_number_step(f.st, f.ga, 0, 1, &v), 0);	/* from before the start */
	CHECK_INT(v, 1);
	CHECK_INT(store_number_step(f.st, f.ga, 100, -1, &v), 0);	/* from past the end */
	CHECK_INT(v, 5);
	CHECK_INT(store_number_step(f.st, f.gb, 1, 1, &v), MOOT_ENOTFOUND);
	CHECK_INT(store_number_step(f.st, f.ga, 3, 0, &v), MOOT_EINVAL);

	/* a hole: number 3 gone after expiry is tested elsewhere; here add 9 and step over 6..8 */
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_number_add(f.st, f.ga, 9, ids[1]), 0);
	CHECK_INT(store_number_add(f.st, f.ga, 9, ids[2]), MOOT_EEXIST);	/* number taken */
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_number_step(f.st, f.ga, 5, 1, &v), 0);
	CHECK_INT(v, 9);
	CHECK_INT(store_number_step(f.st, f.ga, 9, -1, &v), 0);
	CHECK_INT(v, 5);
out:
	fix_close(&f);
}

/* Message-id lookups, duplicates, history, and article fetches by part. */
static void store_articles(void)
{
	struct fix f;
	struct got g;
	struct store_article a;
	int64_t ids[6], v = -1, id6 = -1;

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	CHECK(ids[1] > 0 && ids[2] != ids[1]);
	CHECK_INT(store_msgid_get(f.st, "<2@test>", &v), 0);
	CHECK_INT(v, ids[2]);
	CHECK_INT(store_msgid_get(f.st, "<nope@test>", &v), MOOT_ENOTFOUND);
	CHECK_INT(store_msgid_seen(f.st, "<2@test>"), 1);
	CHECK_INT(store_msgid_seen(f.st, "<nope@test>"), 0);
	CHECK_INT(store_history_add(f.st, "<nope@test>", 77, "rejected"), 0);
	CHECK_INT(store_msgid_seen(f.st, "<nope@test>"), 1);
	CHECK_INT(store_msgid_get(f.st, "<nope@test>", &v), MOOT_ENOTFOUND);
	CHECK_INT(store_history_add(f.st, "<nope@test>", 78, "cancelled"), 0);	/* again: fine */

	/* a duplicate gives MOOT_EEXIST and the transaction goes on */
	CHECK_INT(store_begin(f.st), 0);
	memset(&a, 0, sizeof(a));
	a.msgid = "<2@test>";
	a.from = a.subject = a.date = a.refs = a.xref = "";
	CHECK_INT(store_article_add(f.st, &a, &v), MOOT_EEXIST);
	a.msgid = "<6@test>";
	a.head = "Message-ID: <6@test>\r\n";
	a.head_len = strlen(a.head);
	a.body = NULL;		/* an empty body */
	a.body_len = 0;
	CHECK_INT(store_article_add(f.st, &a, &id6), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_msgid_get(f.st, "<6@test>", &v), 0);
	CHECK_INT(v, id6);

	memset(&g, 0, sizeof(g));
	CHECK_INT(store_article_get(f.st, ids[2], STORE_HEAD | STORE_BODY, article_cb, &g), 0);
	CHECK_INT(g.calls, 1);
	CHECK_STR(g.msgid, "<2@test>");
	CHECK_STR(g.head, "Message-ID: <2@test>\r\nSubject: subject 2\r\n");
	CHECK_INT(g.head_len, strlen("Message-ID: <2@test>\r\nSubject: subject 2\r\n"));
	CHECK_STR(g.body, "body 2\r\n");
	CHECK_INT(g.body_len, 8);

	memset(&g, 0, sizeof(g));
	CHECK_INT(store_article_get(f.st, ids[2], STORE_HEAD, article_cb, &g), 0);
	CHECK(!g.head_null && g.body_null);
	CHECK_INT(g.body_len, 0);
	CHECK_STR(g.head, "Message-ID: <2@test>\r\nSubject: subject 2\r\n");

	memset(&g, 0, sizeof(g));
	CHECK_INT(store_article_get(f.st, ids[2], STORE_BODY, article_cb, &g), 0);
	CHECK(g.head_null && !g.body_null);
	CHECK_STR(g.body, "body 2\r\n");

	memset(&g, 0, sizeof(g));
	CHECK_INT(store_article_get(f.st, ids[2], 0, article_cb, &g), 0);	/* STAT-like */
	CHECK(g.head_null && g.body_null);
	CHECK_STR(g.msgid, "<2@test>");

	/* an empty body is present, not missing */
	memset(&g, 0, sizeof(g));
	CHECK_INT(store_article_get(f.st, id6, STORE_BODY, article_cb, &g), 0);
	CHECK(!g.body_null);
	CHECK_INT(g.body_len, 0);

	memset(&g, 0, sizeof(g));
	CHECK_INT(store_article_get(f.st, 9999, STORE_HEAD, article_cb, &g), MOOT_ENOTFOUND);
	CHECK_INT(g.calls, 0);
out:
	fix_close(&f);
}

/* A rolled-back transaction leaves nothing; nested begin fails; rollback outside one is harmless. */
static void store_transactions(void)
{
	struct fix f;
	struct seen s;
	int64_t ids[6], id;

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	CHECK_INT(store_begin(f.st), 0);
	id = add(&f, 7, 5000);
	CHECK_INT(store_number_add(f.st, f.ga, 6, id), 0);
	CHECK_INT(store_group_set_marks(f.st, f.ga, 1, 6, 6), 0);
	fprintf(stderr, "(an expected store error follows)\n");
	CHECK_INT(store_begin(f.st), MOOT_ESTORE);	/* nest not */
	store_rollback(f.st);
	CHECK_INT(store_msgid_seen(f.st, "<7@test>"), 0);
	CHECK_INT(store_number_get(f.st, f.ga, 6, &id), MOOT_ENOTFOUND);
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.ga, 1, 100, 0, 0, over_cb, &s), 5);
	store_rollback(f.st);	/* no transaction: nothing happens */
	/* the store is usable after all that */
	CHECK_INT(store_begin(f.st), 0);
	add(&f, 8, 5000);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_msgid_seen(f.st, "<8@test>"), 1);
out:
	fix_close(&f);
}

/* Closing and opening again keeps groups, articles, numbering and history. */
static void store_durable(void)
{
	struct fix f;
	struct seen s;
	struct glist l;
	struct got g;
	int64_t ids[6], v = -1, again = -1;

	struct stat sb;
	char wal[128];

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	/* WAL mode: the write-ahead log sits beside the database while it is open */
	snprintf(wal, sizeof(wal), "%s-wal", f.path);
	CHECK_INT(stat(wal, &sb), 0);
	CHECK_INT(store_history_add(f.st, "<gone@test>", 5, "cancelled"), 0);
	if (fix_reopen(&f) < 0)
		goto out;
	if (fix_reopen(&f) < 0)		/* a second open of a current schema migrates nothing */
		goto out;
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_groups_each(f.st, group_cb, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_STR(l.names[0], "a.test");
	CHECK_STR(l.descs[0], "Group A");
	CHECK_INT(l.high[0], 5);
	CHECK_INT(l.count[0], 5);
	CHECK_INT(store_group_upsert(f.st, "a.test", "Group A", 900, &again), 0);
	CHECK_INT(again, f.ga);
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.ga, 1, 5, 0, 1, over_cb, &s), 5);
	CHECK_INT(s.fields_ok, 5);
	CHECK_INT(s.head_ok, 5);
	CHECK_INT(store_number_get(f.st, f.gb, 1, &v), 0);
	CHECK_INT(v, ids[3]);
	CHECK_INT(store_msgid_seen(f.st, "<gone@test>"), 1);
	memset(&g, 0, sizeof(g));
	CHECK_INT(store_article_get(f.st, ids[5], STORE_BODY, article_cb, &g), 0);
	CHECK_STR(g.body, "body 5\r\n");
out:
	fix_close(&f);
}

/* NEWNEWS: since filters by arrival; one row per (article, group), by id then group. */
static void store_newnews_since(void)
{
	struct fix f;
	struct nn x;
	int64_t ids[6];

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	memset(&x, 0, sizeof(x));
	CHECK_INT(store_newnews(f.st, 1300, newnews_cb, &x), 0);	/* 3, 4, 5 arrived 1300.. */
	CHECK_INT(x.n, 4);
	CHECK_INT(x.ids[0], ids[3]);
	CHECK_INT(x.ids[1], ids[3]);
	CHECK(f.ga < f.gb);
	CHECK_INT(x.groups[0], f.ga);
	CHECK_INT(x.groups[1], f.gb);
	CHECK_STR(x.msgid[1], "<3@test>");
	CHECK_INT(x.ids[2], ids[4]);
	CHECK_INT(x.ids[3], ids[5]);
	CHECK_STR(x.msgid[3], "<5@test>");

	memset(&x, 0, sizeof(x));
	CHECK_INT(store_newnews(f.st, 1501, newnews_cb, &x), 0);
	CHECK_INT(x.n, 0);
	memset(&x, 0, sizeof(x));
	CHECK_INT(store_newnews(f.st, 0, newnews_cb, &x), 0);
	CHECK_INT(x.n, 6);
	CHECK_INT(x.ids[0], ids[1]);
	CHECK_INT(x.ids[5], ids[5]);
out:
	fix_close(&f);
}

/* Expiry: old articles go to history, low/count fixed, a crosspost survives in b.test. */
static void store_expire(void)
{
	struct fix f;
	struct seen s;
	struct glist l;
	struct got g;
	int64_t ids[6], low = -1, count = -1, expired = -1, v;

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	/* arrived 1100..1500: before 1350 are 1, 2, 3 (3 also in b.test) */
	CHECK_INT(store_expire_group(f.st, f.ga, 1350, &low, &count, &expired), 0);
	CHECK_INT(low, 4);
	CHECK_INT(count, 2);
	CHECK_INT(expired, 3);
	CHECK_INT(store_msgid_seen(f.st, "<1@test>"), 1);		/* now in history */
	CHECK_INT(store_msgid_get(f.st, "<1@test>", &v), MOOT_ENOTFOUND);
	CHECK_INT(store_msgid_get(f.st, "<2@test>", &v), MOOT_ENOTFOUND);
	CHECK_INT(store_msgid_get(f.st, "<3@test>", &v), 0);	/* survives in b.test */
	CHECK_INT(v, ids[3]);
	CHECK_INT(store_number_get(f.st, f.ga, 3, &v), MOOT_ENOTFOUND);
	CHECK_INT(store_number_get(f.st, f.gb, 1, &v), 0);
	memset(&g, 0, sizeof(g));
	CHECK_INT(store_article_get(f.st, ids[3], STORE_BODY, article_cb, &g), 0);
	CHECK_STR(g.body, "body 3\r\n");
	CHECK_INT(store_article_get(f.st, ids[1], STORE_BODY, article_cb, &g), MOOT_ENOTFOUND);

	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.ga, 1, 5, 0, 0, over_cb, &s), 2);
	CHECK_INT(s.numbers[0], 4);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_groups_each(f.st, group_cb, &l), 0);
	CHECK_STR(l.names[0], "a.test");
	CHECK_INT(l.low[0], 4);
	CHECK_INT(l.high[0], 5);	/* high never goes down */
	CHECK_INT(l.count[0], 2);
	CHECK_INT(l.count[1], 1);	/* b.test untouched */

	/* nothing older: nothing expires */
	CHECK_INT(store_expire_group(f.st, f.ga, 1350, &low, &count, &expired), 0);
	CHECK_INT(expired, 0);
	CHECK_INT(low, 4);
	CHECK_INT(count, 2);

	/* expire everything: the empty group reports low = high + 1 (RFC 3977 §6.1.1.2) */
	CHECK_INT(store_expire_group(f.st, f.ga, 99999, &low, &count, &expired), 0);
	CHECK_INT(expired, 2);
	CHECK_INT(low, 6);
	CHECK_INT(count, 0);
	CHECK_INT(store_msgid_seen(f.st, "<5@test>"), 1);
	CHECK_INT(store_msgid_get(f.st, "<5@test>", &v), MOOT_ENOTFOUND);

	/* now b.test: the crosspost finally goes */
	CHECK_INT(store_expire_group(f.st, f.gb, 99999, &low, &count, &expired), 0);
	CHECK_INT(expired, 1);
	CHECK_INT(low, 2);
	CHECK_INT(count, 0);
	CHECK_INT(store_msgid_get(f.st, "<3@test>", &v), MOOT_ENOTFOUND);
	CHECK_INT(store_msgid_seen(f.st, "<3@test>"), 1);

	CHECK_INT(store_expire_group(f.st, 9999, 1, &low, &count, &expired), MOOT_ENOTFOUND);
	/* the store is still usable: no transaction was left open */
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_commit(f.st), 0);

	/* and history survives a reopen */
	if (fix_reopen(&f) < 0)
		goto out;
	CHECK_INT(store_msgid_seen(f.st, "<2@test>"), 1);
out:
	fix_close(&f);
}

void test_store(void)
{
	RUN(store_open_fails);
	RUN(store_groups);
	RUN(store_overview);
	RUN(store_numbers);
	RUN(store_articles);
	RUN(store_transactions);
	RUN(store_durable);
	RUN(store_newnews_since);
	RUN(store_expire);
}
