/*
 * test_store.c: the SQLite store against a real database file in a fresh
 * directory under /tmp: groups, articles and numbering, overview ranges,
 * stepping, message-id lookups, transactions, durability across close and
 * open, NEWNEWS and expiry; members, the moderation queue, bans, the audit
 * log, cancels and the community health figures on a fixture worked out by
 * hand.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "store_fix.h"
#include "../../proto/moot.h"
#include "../../daemon/msgtail.h"
#include "../../daemon/store.h"

#define TEST_BASE "/tmp"

/* Make the directory and open the store; 0 or -1 (a CHECK has failed). */
int fix_open(struct fix *f)
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

int fix_reopen(struct fix *f)
{
	char err[256] = "";

	store_close(f->st);
	f->st = NULL;
	CHECK_INT(store_check(f->path, err, sizeof(err)), 0);
	CHECK_INT(store_open(f->path, &f->st, err, sizeof(err)), 0);
	return f->st ? 0 : -1;
}

/* Close the store and remove its files and directory. */
void fix_close(struct fix *f)
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

int64_t fix_add(struct fix *f, int n, int64_t arrived)
{
	char xref[48];

	snprintf(xref, sizeof(xref), "host a.test:%d", n);
	return fix_add_xref(f, n, arrived, xref);
}

/* store_article_add's result for the article <n@test> of fix_add_xref, its id in *id. */
static int add_article(struct store *st, int n, int64_t arrived, const char *xref, int64_t *id)
{
	struct store_article a;
	char msgid[32], subject[32], head[128], body[32];

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
	a.xref = xref;
	a.head = head;
	a.head_len = strlen(head);
	a.body = body;
	a.body_len = strlen(body);
	return store_article_add(st, &a, id);
}

int64_t fix_add_xref(struct fix *f, int n, int64_t arrived, const char *xref)
{
	int64_t id = -1;

	CHECK_INT(add_article(f->st, n, arrived, xref, &id), 0);
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
		ids[n] = n == 3 ? fix_add_xref(f, n, 1000 + 100 * n, "host a.test:3 b.test:1")
				: fix_add(f, n, 1000 + 100 * n);
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
	char want[64], xref[64];
	int n;

	if (s->rows < 16) {
		s->numbers[s->rows] = r->number;
		s->ids[s->rows] = r->article_id;
		snprintf(s->msgid[s->rows], sizeof(s->msgid[0]), "%s", r->msgid);
	}
	s->rows++;
	if (sscanf(r->msgid, "<%d@test>", &n) == 1) {
		snprintf(want, sizeof(want), "subject %d", n);
		snprintf(xref, sizeof(xref), n == 3 ? "host a.test:3 b.test:1" : "host a.test:%d", n);
		if (strcmp(r->subject, want) == 0 && strcmp(r->from, "user@example.com") == 0 &&
		    strcmp(r->date, "Sat, 1 Jan 2000 00:00:00 +0000") == 0 &&
		    strcmp(r->refs, n > 1 ? "<1@test>" : "") == 0 &&
		    strcmp(r->xref, xref) == 0 &&
		    r->bytes == 100 + n && r->lines == n)
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

	CHECK_INT(store_open("/nonexistent-dir-moot/x/moot.db", &st, err, sizeof(err)), MOOT_ESTORE);
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
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_number_step(f.st, f.ga, 5, 1, &v), 0);
	CHECK_INT(v, 9);
	CHECK_INT(store_number_step(f.st, f.ga, 9, -1, &v), 0);
	CHECK_INT(v, 5);

	/* A number taken: refused at once outside a transaction; inside one the
	 * row is held, and the commit fails and rolls back everything with it. */
	CHECK_INT(store_number_add(f.st, f.ga, 9, ids[2]), MOOT_EEXIST);
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_number_add(f.st, f.ga, 10, ids[2]), 0);
	CHECK_INT(store_number_add(f.st, f.ga, 9, ids[2]), 0);
	CHECK_INT(store_commit(f.st), MOOT_ESTORE);
	store_rollback(f.st);
	CHECK_INT(store_number_get(f.st, f.ga, 10, &v), MOOT_ENOTFOUND);
	CHECK_INT(store_number_get(f.st, f.ga, 9, &v), 0);
	CHECK_INT(v, ids[1]);

	/* The same failure met by a read, whose caller may go on: the rows it
	 * lost keep the commit refused until the rollback. */
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_number_add(f.st, f.ga, 11, ids[2]), 0);
	CHECK_INT(store_number_add(f.st, f.ga, 9, ids[2]), 0);
	CHECK_INT(store_number_add(f.st, f.ga, 12, ids[2]), 0);
	CHECK_INT(store_number_get(f.st, f.ga, 5, &v), MOOT_ESTORE);
	CHECK_INT(store_commit(f.st), MOOT_ESTORE);
	store_rollback(f.st);
	CHECK_INT(store_number_get(f.st, f.ga, 11, &v), MOOT_ENOTFOUND);
	CHECK_INT(store_begin(f.st), 0);	/* and the next transaction commits */
	CHECK_INT(store_number_add(f.st, f.ga, 12, ids[2]), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_number_get(f.st, f.ga, 12, &v), 0);
	CHECK_INT(v, ids[2]);
out:
	fix_close(&f);
}

/* Count the numbers a range gives (store_numbers_range). */
static int count_cb(void *arg, int64_t number)
{
	(void)number;
	(*(int *)arg)++;
	return 0;
}

/*
 * The overview and numbering rows a transaction holds back (ROWS_MAX at a
 * time in one statement): every read on the same connection sees them,
 * those of a rolled-back transaction never appear, and a commit writes the
 * last few (40 articles: two full sets and 8 more, crossposts on top).
 */
static void store_held_rows(void)
{
	struct fix f;
	struct seen s;
	int64_t ids[41], v = -1;
	int n, count = 0;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_group_upsert(f.st, "a.test", "Group A", 500, &f.ga), 0);
	CHECK_INT(store_group_upsert(f.st, "b.test", "Group B", 500, &f.gb), 0);
	CHECK_INT(store_begin(f.st), 0);
	for (n = 1; n <= 40; n++) {
		ids[n] = fix_add(&f, n, 1000 + n);
		CHECK_INT(store_number_add(f.st, f.ga, n, ids[n]), 0);
		if (n % 3 == 0)
			CHECK_INT(store_number_add(f.st, f.gb, n / 3, ids[n]), 0);
		if (n == 5) {
			/* Read your writes, with rows still held. */
			CHECK_INT(store_number_get(f.st, f.ga, 5, &v), 0);
			CHECK_INT(v, ids[5]);
			memset(&s, 0, sizeof(s));
			CHECK_INT(store_over_range(f.st, f.ga, 1, 5, 0, 0, over_cb, &s), 5);
			CHECK_INT(s.ids[4], ids[5]);
		}
	}
	/* 40 overview rows and 40 + 13 numbers: some are still held here. */
	CHECK_INT(store_numbers_range(f.st, f.gb, 1, 100, 0, count_cb, &count), 13);
	CHECK_INT(store_commit(f.st), 0);
	count = 0;
	CHECK_INT(store_numbers_range(f.st, f.ga, 1, 100, 0, count_cb, &count), 40);
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_range(f.st, f.ga, 33, 40, 0, 0, over_cb, &s), 8);
	CHECK_INT(s.ids[7], ids[40]);
	memset(&s, 0, sizeof(s));
	CHECK_INT(store_over_article(f.st, ids[40], 0, over_cb, &s), 0);
	CHECK_INT(s.rows, 1);

	/* Rolled back with rows held: none of them is written later. */
	CHECK_INT(store_begin(f.st), 0);
	ids[0] = fix_add(&f, 41, 2000);
	CHECK_INT(store_number_add(f.st, f.ga, 41, ids[0]), 0);
	store_rollback(f.st);
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_number_get(f.st, f.ga, 41, &v), MOOT_ENOTFOUND);
	CHECK_INT(store_over_article(f.st, ids[0], 0, over_cb, &s), MOOT_ENOTFOUND);
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
	/* history alone: a stored article is not in it */
	CHECK_INT(store_history_seen(f.st, "<2@test>"), 0);
	CHECK_INT(store_history_seen(f.st, "<nope@test>"), 0);
	CHECK_INT(store_history_add(f.st, "<nope@test>", 77, "rejected"), 0);
	CHECK_INT(store_msgid_seen(f.st, "<nope@test>"), 1);
	CHECK_INT(store_history_seen(f.st, "<nope@test>"), 1);
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
	id = fix_add(&f, 7, 5000);
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
	fix_add(&f, 8, 5000);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_msgid_seen(f.st, "<8@test>"), 1);
out:
	fix_close(&f);
}

/*
 * Commits without the sync (the ingest path with its storage thread):
 * visible at once, durable after store_sync, rolled back cleanly; the WAL
 * only grows until store_checkpoint copies it, after which the next commit
 * starts it over; the store then behaves as before (FULL commits).
 */
static void store_nosync(void)
{
	struct fix f;
	int64_t ids[6];
	int n, frames;

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	CHECK_INT(store_begin_nosync(f.st), 0);
	for (n = 100; n < 1400; n++)
		fix_add(&f, n, 6000);
	CHECK_INT(store_commit_nosync(f.st), 0);
	CHECK_INT(store_msgid_seen(f.st, "<1399@test>"), 1);
	CHECK_INT(store_sync(f.st), 0);
	frames = store_wal_frames(f.st);
	CHECK(frames > 10);
	/* a rolled-back nosync transaction leaves nothing */
	CHECK_INT(store_begin_nosync(f.st), 0);
	fix_add(&f, 2000, 6000);
	store_rollback(f.st);
	CHECK_INT(store_msgid_seen(f.st, "<2000@test>"), 0);
	/* no automatic checkpoint: the next commit appends to the WAL */
	CHECK_INT(store_begin(f.st), 0);
	fix_add(&f, 2001, 6000);
	CHECK_INT(store_commit(f.st), 0);
	CHECK(store_wal_frames(f.st) > frames);
	/* after a checkpoint the next commit starts the WAL over */
	CHECK_INT(store_checkpoint(f.st), 0);
	CHECK_INT(store_begin(f.st), 0);
	fix_add(&f, 2002, 6000);
	CHECK_INT(store_commit(f.st), 0);
	CHECK(store_wal_frames(f.st) < 10);
	if (fix_reopen(&f) < 0)
		goto out;
	CHECK_INT(store_msgid_seen(f.st, "<100@test>"), 1);
	CHECK_INT(store_msgid_seen(f.st, "<1399@test>"), 1);
	CHECK_INT(store_msgid_seen(f.st, "<2002@test>"), 1);
	CHECK_INT(store_msgid_seen(f.st, "<2000@test>"), 0);
out:
	fix_close(&f);
}

/* store_read_begin: the reads until store_read_end share one snapshot; it
 * leaves an open write transaction alone. */
static void store_read_snapshot(void)
{
	struct fix f;
	struct store *other = NULL;
	char err[256];
	int64_t ids[6];

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	CHECK_INT(store_open(f.path, &other, err, sizeof(err)), 0);
	if (other == NULL)
		goto out;
	store_read_begin(f.st);
	CHECK_INT(store_msgid_seen(f.st, "<1@test>"), 1);
	/* another connection commits: not seen inside the snapshot ... */
	CHECK_INT(store_history_add(other, "<later@test>", 5, "cancelled"), 0);
	CHECK_INT(store_msgid_seen(f.st, "<later@test>"), 0);
	store_read_end(f.st);
	/* ... nor in the snapshot kept for the next command ... */
	store_read_begin(f.st);
	CHECK_INT(store_msgid_seen(f.st, "<later@test>"), 0);
	store_read_end(f.st);
	CHECK_INT(store_msgid_seen(f.st, "<later@test>"), 0);
	/* ... seen once it is released */
	store_read_release(f.st);
	CHECK_INT(store_msgid_seen(f.st, "<later@test>"), 1);
	store_read_end(f.st);		/* a second end does nothing */
	store_read_release(f.st);	/* nor a second release */
	/* a write releases a kept snapshot first: it commits at once, and
	 * sees (and is seen by) everything committed before it */
	store_read_begin(f.st);
	CHECK_INT(store_msgid_seen(f.st, "<1@test>"), 1);
	store_read_end(f.st);
	CHECK_INT(store_history_add(other, "<later2@test>", 5, "cancelled"), 0);
	CHECK_INT(store_history_add(f.st, "<own@test>", 5, "cancelled"), 0);
	CHECK_INT(store_msgid_seen(f.st, "<later2@test>"), 1);
	CHECK_INT(store_msgid_seen(other, "<own@test>"), 1);
	/* and so does a write transaction */
	store_read_begin(f.st);
	CHECK_INT(store_msgid_seen(f.st, "<1@test>"), 1);
	store_read_end(f.st);
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_history_add(f.st, "<txn@test>", 5, "cancelled"), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_msgid_seen(other, "<txn@test>"), 1);
	/* inside a write transaction: no snapshot of its own, and its end
	 * does not commit the write */
	CHECK_INT(store_begin(f.st), 0);
	store_read_begin(f.st);
	CHECK_INT(store_history_add(f.st, "<mine@test>", 5, "cancelled"), 0);
	store_read_end(f.st);
	store_rollback(f.st);
	CHECK_INT(store_msgid_seen(f.st, "<mine@test>"), 0);
out:
	store_close(other);
	fix_close(&f);
}

/* store_over_lines callback: keep the lines, "number|line" each, in a buffer. */
struct lines {
	char text[1024];
	size_t len;
	int n;
};

static int line_cb(void *arg, int64_t number, const char *line, size_t len)
{
	struct lines *l = arg;
	int w = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%lld|%.*s\n",
			 (long long)number, (int)len, line);

	if (w > 0 && (size_t)w < sizeof(l->text) - l->len)
		l->len += (size_t)w;
	l->n++;
	return 0;
}

/* Ready overview lines, kept by triggers: the form of OVER, its range,
 * limit and order; a removed article's line goes too. */
static void store_overview_lines(void)
{
	struct fix f;
	struct lines l;
	struct store_article a;
	int64_t ids[6], id;

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_over_lines(f.st, f.ga, 2, 3, 0, line_cb, &l), 2);
	CHECK_STR(l.text,
		  "2|subject 2\tuser@example.com\tSat, 1 Jan 2000 00:00:00 +0000\t<2@test>\t<1@test>"
		  "\t102\t2\tXref: host a.test:2\n"
		  "3|subject 3\tuser@example.com\tSat, 1 Jan 2000 00:00:00 +0000\t<3@test>\t<1@test>"
		  "\t103\t3\tXref: host a.test:3 b.test:1\n");
	/* empty fields stay empty; no Xref: without an xref */
	memset(&a, 0, sizeof(a));
	a.msgid = "<bare@test>";
	a.from = a.subject = a.date = a.xref = "";
	a.head = "Message-ID: <bare@test>\r\n";
	a.head_len = strlen(a.head);
	a.bytes = 40;
	CHECK_INT(store_article_add(f.st, &a, &id), 0);
	CHECK_INT(store_number_add(f.st, f.ga, 6, id), 0);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_over_lines(f.st, f.ga, 5, 100, 0, line_cb, &l), 2);
	CHECK_STR(l.text, "5|subject 5\tuser@example.com\tSat, 1 Jan 2000 00:00:00 +0000\t<5@test>"
			  "\t<1@test>\t105\t5\tXref: host a.test:5\n6|\t\t\t<bare@test>\t\t40\t0\t\n");
	/* absent values (NULL) are empty too, numbers as numbers */
	memset(&a, 0, sizeof(a));
	a.msgid = "<null@test>";
	a.head = "Message-ID: <null@test>\r\n";
	a.head_len = strlen(a.head);
	a.bytes = 1234567890123;
	a.lines = 7;
	a.xref = "host a.test:7";
	CHECK_INT(store_article_add(f.st, &a, &ids[0]), 0);
	CHECK_INT(store_number_add(f.st, f.ga, 7, ids[0]), 0);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_over_lines(f.st, f.ga, 7, 7, 0, line_cb, &l), 1);
	CHECK_STR(l.text, "7|\t\t\t<null@test>\t\t1234567890123\t7\tXref: host a.test:7\n");
	CHECK_INT(store_article_remove(f.st, ids[0], 7000, NULL, NULL), 0);
	/* a cancelled article's line goes with it */
	CHECK_INT(store_article_remove(f.st, id, 7000, NULL, NULL), 0);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_over_lines(f.st, f.ga, 5, 100, 0, line_cb, &l), 1);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_over_lines(f.st, f.ga, 1, 100, 3, line_cb, &l), 3);	/* limit */
	CHECK_INT(l.n, 3);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_over_lines(f.st, f.gb, 2, 100, 0, line_cb, &l), 0);
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

/* NEWNEWS: since filters by arrival; one row per (article, group), by id
 * then group; in chunks of articles, each starting after the last. */
static void store_newnews_since(void)
{
	struct fix f;
	struct nn x;
	int64_t ids[6], after, last, ctl, late;

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	memset(&x, 0, sizeof(x));
	CHECK_INT(store_newnews_first(f.st, 1300, &after), 0);	/* 3, 4, 5 arrived 1300.. */
	CHECK_INT(after, ids[3] - 1);
	CHECK_INT(store_newnews(f.st, 1300, after, 10, newnews_cb, &x, &last), 3);
	CHECK_INT(last, ids[5]);
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

	/* Two articles a chunk: 3 (both its groups) and 4, then 5. */
	memset(&x, 0, sizeof(x));
	CHECK_INT(store_newnews(f.st, 1300, after, 2, newnews_cb, &x, &last), 2);
	CHECK_INT(last, ids[4]);
	CHECK_INT(x.n, 3);
	CHECK_INT(store_newnews(f.st, 1300, last, 2, newnews_cb, &x, &last), 1);
	CHECK_INT(last, ids[5]);
	CHECK_INT(x.n, 4);
	CHECK_INT(x.ids[3], ids[5]);

	/* An article numbered nowhere (a control article) counts in its chunk, unlisted. */
	ctl = fix_add_xref(&f, 6, 1600, "host");
	CHECK_INT(store_newnews_first(f.st, 1550, &after), 0);
	CHECK_INT(after, ctl - 1);
	memset(&x, 0, sizeof(x));
	CHECK_INT(store_newnews(f.st, 1550, after, 10, newnews_cb, &x, &last), 1);
	CHECK_INT(last, ctl);
	CHECK_INT(x.n, 0);
	/* After a clock set back: a later id that arrived earlier is still found. */
	late = fix_add_xref(&f, 7, 1250, "host a.test:6");
	CHECK_INT(store_number_add(f.st, f.ga, 6, late), 0);
	CHECK_INT(store_newnews_first(f.st, 1200, &after), 0);
	CHECK_INT(after, ids[2] - 1);
	memset(&x, 0, sizeof(x));
	CHECK_INT(store_newnews(f.st, 1200, after, 10, newnews_cb, &x, &last), 6);
	CHECK_INT(x.n, 6);	/* 2, 3 (twice), 4, 5, and 7 */
	CHECK_INT(x.ids[5], late);

	CHECK_INT(store_newnews_first(f.st, 1601, &after), 0);
	CHECK_INT(after, INT64_MAX);
	memset(&x, 0, sizeof(x));
	CHECK_INT(store_newnews_first(f.st, 0, &after), 0);
	CHECK_INT(store_newnews(f.st, 0, after, 100, newnews_cb, &x, &last), 7);
	CHECK_INT(x.n, 7);
	CHECK_INT(x.ids[0], ids[1]);
	CHECK_INT(x.ids[5], ids[5]);
	CHECK_INT(x.ids[6], late);
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
	struct nn nn;
	int64_t ids[6], low = -1, count = -1, expired = -1, v, after, last;

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
	/* NEWNEWS lists 3 only in b.test, where it is still numbered (its Xref names both) */
	memset(&nn, 0, sizeof(nn));
	CHECK_INT(store_newnews_first(f.st, 0, &after), 0);
	CHECK_INT(store_newnews(f.st, 0, after, 10, newnews_cb, &nn, &last), 3);
	CHECK_INT(nn.n, 3);
	CHECK_INT(nn.ids[0], ids[3]);
	CHECK_INT(nn.groups[0], f.gb);
	CHECK_INT(nn.ids[1], ids[4]);
	CHECK_INT(nn.groups[1], f.ga);
	CHECK_INT(nn.ids[2], ids[5]);

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

/* ---- members, moderation, bans, audit log, cancels, figures ---- */

/* A copy of the last member passed to user_cb, and how many were. */
struct ulist {
	int n;
	int stop_after;		/* return 7 after this many; 0 never */
	char names[8][16];
	char hash[32], role[16], address[32];
	int64_t id, created;
	int disabled;
};

static int user_cb(void *arg, const struct store_user *u)
{
	struct ulist *l = arg;

	if (l->n < 8)
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s", u->name);
	snprintf(l->hash, sizeof(l->hash), "%s", u->password_hash);
	snprintf(l->role, sizeof(l->role), "%s", u->role);
	snprintf(l->address, sizeof(l->address), "%s", u->address);
	l->id = u->id;
	l->created = u->created;
	l->disabled = u->disabled;
	l->n++;
	return l->stop_after && l->n >= l->stop_after ? 7 : 0;
}

/* Members: add, duplicate, get, list by name, disable, new password, across a reopen. */
static void store_users(void)
{
	struct fix f;
	struct ulist l;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_user_add(f.st, "bob", "$hash$bob", "admin", NULL, 100), 0);
	CHECK_INT(store_user_add(f.st, "alice", "$hash$alice", "member", "alice@example.org", 200), 0);
	CHECK_INT(store_user_add(f.st, "carol", "$hash$carol", "moderator", "", 300), 0);
	CHECK_INT(store_user_add(f.st, "alice", "$other", "admin", NULL, 400), MOOT_EEXIST);
	CHECK_INT(store_user_add(f.st, "dave", NULL, "member", NULL, 400), MOOT_EINVAL);

	memset(&l, 0, sizeof(l));
	CHECK_INT(store_user_get(f.st, "alice", user_cb, &l), 0);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.names[0], "alice");
	CHECK_STR(l.hash, "$hash$alice");	/* the duplicate changed nothing */
	CHECK_STR(l.role, "member");
	CHECK_STR(l.address, "alice@example.org");
	CHECK_INT(l.created, 200);
	CHECK_INT(l.disabled, 0);
	CHECK(l.id > 0);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_user_get(f.st, "bob", user_cb, &l), 0);
	CHECK_STR(l.address, "");
	CHECK_STR(l.role, "admin");
	CHECK_INT(store_user_get(f.st, "nobody", user_cb, &l), MOOT_ENOTFOUND);
	CHECK_INT(store_user_get(f.st, "Alice", user_cb, &l), MOOT_ENOTFOUND);	/* exact names */

	memset(&l, 0, sizeof(l));
	CHECK_INT(store_users_each(f.st, user_cb, &l), 0);
	CHECK_INT(l.n, 3);
	CHECK_STR(l.names[0], "alice");
	CHECK_STR(l.names[1], "bob");
	CHECK_STR(l.names[2], "carol");
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	CHECK_INT(store_users_each(f.st, user_cb, &l), 7);
	CHECK_INT(l.n, 2);

	CHECK_INT(store_user_set_disabled(f.st, "alice", 1), 0);
	CHECK_INT(store_user_set_password(f.st, "bob", "$hash$new"), 0);
	CHECK_INT(store_user_set_disabled(f.st, "nobody", 1), MOOT_ENOTFOUND);
	CHECK_INT(store_user_set_password(f.st, "nobody", "$x"), MOOT_ENOTFOUND);
	CHECK_INT(store_user_set_password(f.st, "bob", NULL), MOOT_EINVAL);
	if (fix_reopen(&f) < 0)
		goto out;
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_user_get(f.st, "alice", user_cb, &l), 0);
	CHECK_INT(l.disabled, 1);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_user_get(f.st, "bob", user_cb, &l), 0);
	CHECK_STR(l.hash, "$hash$new");
	CHECK_INT(l.disabled, 0);
	CHECK_INT(store_user_set_disabled(f.st, "alice", 0), 0);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_user_get(f.st, "alice", user_cb, &l), 0);
	CHECK_INT(l.disabled, 0);
out:
	fix_close(&f);
}

/* Queued articles seen by mod_cb. */
struct mlist {
	int n;
	int64_t ids[8];
	char user[16], address[32], groups[32], msgid[32], from[32], subject[32];
	char article[64];
	size_t article_len;
	int article_null;
	int64_t submitted;
};

static int mod_cb(void *arg, const struct store_mod *m)
{
	struct mlist *l = arg;

	if (l->n < 8)
		l->ids[l->n] = m->id;
	l->n++;
	l->submitted = m->submitted;
	snprintf(l->user, sizeof(l->user), "%s", m->user);
	snprintf(l->address, sizeof(l->address), "%s", m->address);
	snprintf(l->groups, sizeof(l->groups), "%s", m->groups);
	snprintf(l->msgid, sizeof(l->msgid), "%s", m->msgid);
	snprintf(l->from, sizeof(l->from), "%s", m->from);
	snprintf(l->subject, sizeof(l->subject), "%s", m->subject);
	l->article_null = m->article == NULL;
	l->article_len = m->article_len;
	memset(l->article, 0, sizeof(l->article));
	if (m->article && m->article_len < sizeof(l->article))
		memcpy(l->article, m->article, m->article_len);
	return 0;
}

/* The moderation queue: oldest first, with or without the text, get, delete. */
static void store_modqueue(void)
{
	static const char art[] = "From: a@b\r\nSubject: hi\r\n\r\nbody\0with NUL\r\n";
	struct fix f;
	struct store_mod m;
	struct mlist l;
	int64_t late = -1, early = -1;

	if (fix_open(&f) < 0)
		goto out;
	memset(&m, 0, sizeof(m));
	m.submitted = 200;
	m.user = "alice";
	m.address = "192.0.2.1";
	m.groups = "moot.support";
	m.msgid = "<late@x>";
	m.from = "a@b";
	m.subject = "late";
	m.article = art;
	m.article_len = sizeof(art) - 1;
	CHECK_INT(store_mod_add(f.st, &m, &late), 0);
	m.submitted = 100;
	m.user = NULL;		/* anonymous */
	m.msgid = "<early@x>";
	m.subject = "early";
	CHECK_INT(store_mod_add(f.st, &m, &early), 0);
	CHECK(late > 0 && early > late);

	memset(&l, 0, sizeof(l));
	CHECK_INT(store_mod_each(f.st, 0, mod_cb, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(l.ids[0], early);	/* by submission time, not id */
	CHECK_INT(l.ids[1], late);
	CHECK(l.article_null);
	CHECK_STR(l.subject, "late");

	memset(&l, 0, sizeof(l));
	CHECK_INT(store_mod_each(f.st, 1, mod_cb, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK(!l.article_null);
	CHECK_INT(l.article_len, sizeof(art) - 1);
	CHECK(memcmp(l.article, art, sizeof(art) - 1) == 0);	/* bytes after a NUL kept */

	memset(&l, 0, sizeof(l));
	CHECK_INT(store_mod_get(f.st, early, mod_cb, &l), 0);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.submitted, 100);
	CHECK_STR(l.user, "");
	CHECK_STR(l.address, "192.0.2.1");
	CHECK_STR(l.groups, "moot.support");
	CHECK_STR(l.msgid, "<early@x>");
	CHECK_STR(l.from, "a@b");
	CHECK_STR(l.subject, "early");
	CHECK_INT(l.article_len, sizeof(art) - 1);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_mod_get(f.st, late, mod_cb, &l), 0);
	CHECK_STR(l.user, "alice");
	CHECK_INT(store_mod_get(f.st, 9999, mod_cb, &l), MOOT_ENOTFOUND);

	CHECK_INT(store_mod_delete(f.st, early), 0);
	CHECK_INT(store_mod_delete(f.st, early), MOOT_ENOTFOUND);
	CHECK_INT(store_mod_get(f.st, early, mod_cb, &l), MOOT_ENOTFOUND);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_mod_each(f.st, 0, mod_cb, &l), 0);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.ids[0], late);
out:
	fix_close(&f);
}

/* Bans: in force before until, not from it; forever; the longest wins; per kind; lifted. */
static void store_bans(void)
{
	struct fix f;
	char reason[64];
	int64_t until = -1;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_ban_add(f.st, "user", "mallory", 1000, "spam", "ana", 10), 0);
	CHECK_INT(store_ban_add(f.st, "address", "192.0.2.7", 0, NULL, "ana", 10), 0);
	CHECK_INT(store_ban_add(f.st, "group", "x", 0, "", "ana", 10), MOOT_EINVAL);
	CHECK_INT(store_ban_active(f.st, "group", "x", 10, &until, reason, sizeof(reason)), MOOT_EINVAL);

	reason[0] = '\0';
	CHECK_INT(store_ban_active(f.st, "user", "mallory", 999, &until, reason, sizeof(reason)), 1);
	CHECK_INT(until, 1000);
	CHECK_STR(reason, "spam");
	CHECK_INT(store_ban_active(f.st, "user", "mallory", 1000, &until, reason, sizeof(reason)), 0);
	CHECK_INT(store_ban_active(f.st, "user", "mallory", 5000, &until, reason, sizeof(reason)), 0);
	CHECK_INT(store_ban_active(f.st, "address", "mallory", 10, &until, reason, sizeof(reason)), 0);
	CHECK_INT(store_ban_active(f.st, "user", "mallory2", 10, &until, reason, sizeof(reason)), 0);
	CHECK_INT(store_ban_active(f.st, "address", "192.0.2.7", INT64_MAX, &until, reason,
				   sizeof(reason)), 1);
	CHECK_INT(until, 0);
	CHECK_STR(reason, "");
	CHECK_INT(store_ban_active(f.st, "address", "192.0.2.7", 5, NULL, NULL, 0), 1);

	/* a second, longer ban wins; a short reason buffer truncates */
	CHECK_INT(store_ban_add(f.st, "user", "mallory", 3000, "again", "ben", 20), 0);
	CHECK_INT(store_ban_active(f.st, "user", "mallory", 500, &until, reason, 4), 1);
	CHECK_INT(until, 3000);
	CHECK_STR(reason, "aga");
	CHECK_INT(store_ban_add(f.st, "user", "mallory", 0, "for good", "ben", 30), 0);
	CHECK_INT(store_ban_active(f.st, "user", "mallory", 500, &until, reason, sizeof(reason)), 1);
	CHECK_INT(until, 0);
	CHECK_STR(reason, "for good");

	CHECK_INT(store_ban_remove(f.st, "user", "mallory"), 0);	/* all three */
	CHECK_INT(store_ban_active(f.st, "user", "mallory", 500, &until, reason, sizeof(reason)), 0);
	CHECK_INT(store_ban_remove(f.st, "user", "mallory"), MOOT_ENOTFOUND);
	CHECK_INT(store_ban_remove(f.st, "user", "192.0.2.7"), MOOT_ENOTFOUND);	/* other kind */
	CHECK_INT(store_ban_active(f.st, "address", "192.0.2.7", 5, NULL, NULL, 0), 1);
out:
	fix_close(&f);
}

/* Audit log entries seen by event_cb. */
struct elist {
	int n;
	int stop_after;
	int64_t at[8];
	char kind[8][16], actor[8][16], subject[8][16], detail[8][16];
};

static int event_cb(void *arg, const struct store_event *e)
{
	struct elist *l = arg;

	if (l->n < 8) {
		l->at[l->n] = e->at;
		snprintf(l->kind[l->n], sizeof(l->kind[0]), "%s", e->kind);
		snprintf(l->actor[l->n], sizeof(l->actor[0]), "%s", e->actor);
		snprintf(l->subject[l->n], sizeof(l->subject[0]), "%s", e->subject);
		snprintf(l->detail[l->n], sizeof(l->detail[0]), "%s", e->detail);
	}
	l->n++;
	return l->stop_after && l->n >= l->stop_after ? 3 : 0;
}

/* The audit log: appended, read back from a time on in order, NULLs as "". */
static void store_events(void)
{
	struct fix f;
	struct elist l;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_event_add(f.st, 30, "ban", "ana", "mallory", "spam"), 0);
	CHECK_INT(store_event_add(f.st, 10, "login-fail", NULL, "192.0.2.7", NULL), 0);
	CHECK_INT(store_event_add(f.st, 20, "approve", "ana", "<m@x>", ""), 0);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_events_each(f.st, 0, event_cb, &l), 0);
	CHECK_INT(l.n, 3);
	CHECK_INT(l.at[0], 10);
	CHECK_STR(l.kind[0], "login-fail");
	CHECK_STR(l.actor[0], "");
	CHECK_STR(l.detail[0], "");
	CHECK_INT(l.at[2], 30);
	CHECK_STR(l.subject[2], "mallory");
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_events_each(f.st, 20, event_cb, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_STR(l.kind[0], "approve");
	CHECK_STR(l.kind[1], "ban");
	CHECK_STR(l.detail[1], "spam");
	memset(&l, 0, sizeof(l));
	l.stop_after = 1;
	CHECK_INT(store_events_each(f.st, 0, event_cb, &l), 3);
	CHECK_INT(l.n, 1);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_events_each(f.st, 31, event_cb, &l), 0);
	CHECK_INT(l.n, 0);
out:
	fix_close(&f);
}

/* The marks store_article_remove reported. */
struct marks {
	int n;
	int stop;		/* return this from the callback */
	int64_t group[4], low[4], count[4];
};

static int marks_cb(void *arg, int64_t group_id, int64_t low, int64_t count)
{
	struct marks *m = arg;

	if (m->n < 4) {
		m->group[m->n] = group_id;
		m->low[m->n] = low;
		m->count[m->n] = count;
	}
	m->n++;
	return m->stop;
}

/* Cancel: numbering gone in every group with marks fixed, outq rows gone, id in history. */
static void store_cancel(void)
{
	struct fix f;
	struct marks m;
	struct glist l;
	struct store_article a;
	int64_t ids[6], v, count = -1, lone = -1;

	if (fix_open(&f) < 0 || fix_fill(&f, ids) < 0)
		goto out;
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_outq_add(f.st, "p1", ids[3]), 0);
	CHECK_INT(store_outq_add(f.st, "p2", ids[3]), 0);
	CHECK_INT(store_outq_add(f.st, "p1", ids[4]), 0);
	CHECK_INT(store_commit(f.st), 0);

	/* the crosspost: both groups, in group id order */
	CHECK(f.ga < f.gb);
	memset(&m, 0, sizeof(m));
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_article_remove(f.st, ids[3], 7000, marks_cb, &m), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(m.n, 2);
	CHECK_INT(m.group[0], f.ga);
	CHECK_INT(m.low[0], 1);
	CHECK_INT(m.count[0], 4);
	CHECK_INT(m.group[1], f.gb);
	CHECK_INT(m.low[1], 2);		/* empty: high + 1 (RFC 3977 §6.1.1.2) */
	CHECK_INT(m.count[1], 0);
	CHECK_INT(store_msgid_seen(f.st, "<3@test>"), 1);
	CHECK_INT(store_msgid_get(f.st, "<3@test>", &v), MOOT_ENOTFOUND);
	CHECK_INT(store_number_get(f.st, f.ga, 3, &v), MOOT_ENOTFOUND);
	CHECK_INT(store_number_get(f.st, f.gb, 1, &v), MOOT_ENOTFOUND);
	CHECK_INT(store_outq_count(f.st, "p1", &count), 0);
	CHECK_INT(count, 1);
	CHECK_INT(store_outq_count(f.st, "p2", &count), 0);
	CHECK_INT(count, 0);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_groups_each(f.st, group_cb, &l), 0);
	CHECK_INT(l.low[0], 1);
	CHECK_INT(l.high[0], 5);
	CHECK_INT(l.count[0], 4);
	CHECK_INT(l.low[1], 2);
	CHECK_INT(l.high[1], 1);
	CHECK_INT(l.count[1], 0);

	/* the lowest, then the highest: low moves up, high stays */
	CHECK_INT(store_begin(f.st), 0);
	memset(&m, 0, sizeof(m));
	CHECK_INT(store_article_remove(f.st, ids[1], 7000, marks_cb, &m), 0);
	CHECK_INT(m.n, 1);
	CHECK_INT(m.low[0], 2);
	CHECK_INT(m.count[0], 3);
	CHECK_INT(store_article_remove(f.st, ids[5], 7000, NULL, NULL), 0);
	CHECK_INT(store_article_remove(f.st, ids[5], 7000, NULL, NULL), MOOT_ENOTFOUND);
	CHECK_INT(store_article_remove(f.st, 9999, 7000, marks_cb, &m), MOOT_ENOTFOUND);
	/* an article numbered nowhere */
	memset(&a, 0, sizeof(a));
	a.msgid = "<lone@test>";
	a.from = a.subject = a.date = a.refs = a.xref = "";
	CHECK_INT(store_article_add(f.st, &a, &lone), 0);
	memset(&m, 0, sizeof(m));
	CHECK_INT(store_article_remove(f.st, lone, 7000, marks_cb, &m), 0);
	CHECK_INT(m.n, 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_msgid_seen(f.st, "<lone@test>"), 1);
	memset(&l, 0, sizeof(l));
	CHECK_INT(store_groups_each(f.st, group_cb, &l), 0);
	CHECK_INT(l.low[0], 2);
	CHECK_INT(l.high[0], 5);
	CHECK_INT(l.count[0], 2);

	/* the callback's non-zero stops it; rolled back, the article is still there */
	CHECK_INT(store_begin(f.st), 0);
	memset(&m, 0, sizeof(m));
	m.stop = 5;
	CHECK_INT(store_article_remove(f.st, ids[4], 7000, marks_cb, &m), 5);
	store_rollback(f.st);
	CHECK_INT(store_msgid_get(f.st, "<4@test>", &v), 0);
	CHECK_INT(store_msgid_seen(f.st, "<4@test>"), 1);
	CHECK_INT(store_number_get(f.st, f.ga, 4, &v), 0);
	CHECK_INT(store_outq_count(f.st, "p1", &count), 0);
	CHECK_INT(count, 1);
out:
	fix_close(&f);
}

/* The figures' time base: day 100 starts at T0. */
#define T0 (100 * 86400)
#define DAY 86400

/*
 * Store article <n@fig> from poster replying to <root@fig> (0: a starter),
 * number it n and record it in group g, and in g2 too when not 0 (a
 * crosspost, recorded in g first).  Subject "subject n" unless given.  Its
 * id, or -1.
 */
static int64_t fig_post(struct fix *f, int n, int64_t arrived, const char *poster, int root,
			int64_t g, int64_t g2, const char *subject)
{
	struct store_article a;
	char msgid[32], rootid[32], subj[160], xref[64];
	int64_t id = -1, gs[2] = { g, g2 };
	int i;

	snprintf(msgid, sizeof(msgid), "<%d@fig>", n);
	snprintf(rootid, sizeof(rootid), "<%d@fig>", root);
	snprintf(subj, sizeof(subj), "%s", subject ? subject : "");
	if (subject == NULL)
		snprintf(subj, sizeof(subj), "subject %d", n);
	memset(&a, 0, sizeof(a));
	a.msgid = msgid;
	a.arrived = a.posted = arrived;
	a.from = poster;
	a.subject = subj;
	a.date = "";
	/* "host a.test:n b.test:n": the groups it is numbered in below */
	snprintf(xref, sizeof(xref), "host");
	for (i = 0; i < 2 && gs[i] != 0; i++)
		snprintf(xref + strlen(xref), sizeof(xref) - strlen(xref), " %s.test:%d",
			 gs[i] == f->ga ? "a" : "b", n);
	a.xref = xref;
	a.refs = root ? rootid : "";
	a.head = "X: y\r\n";
	a.head_len = 6;
	a.poster = poster;
	a.root = root ? rootid : NULL;
	a.parent = a.root;
	CHECK_INT(store_article_add(f->st, &a, &id), 0);
	for (i = 0; i < 2 && gs[i] != 0; i++) {
		CHECK_INT(store_number_add(f->st, gs[i], n, id), 0);	/* numbered n: holes are fine */
		CHECK_INT(store_stats_record(f->st, gs[i], id, poster, a.root, arrived), 0);
	}
	return id;
}

/*
 * The fixture of the figures, by arrival:
 *   O  1 old   a  T0-5d          its reply 2 new1 a T0+200 (first reply 432200)
 *   A  3 old   a  T0+100         replies 4 new1 +60, 5 old, 6 new2
 *   B  7 new1  a  T0+1000        reply 8 new2 crossposted a+b +300
 *   C  9 new2  b  T0+2000        replies 10 old +1000, 11 new1
 *   D 12 old   a  T0+3000        no reply
 *   E 13 new3  a  T0+1d+10       reply 14 old +30
 *     15 new3  a  T0+90000       a reply to <99@fig>, which never came
 *   F 16 new3  b+a T0+3d         a crossposted starter, no reply: its thread is in b
 */
static int fig_fill(struct fix *f, int64_t ids[17])
{
	static const char long_subject[] =
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"\xc3\xa9 and more";	/* 126 x, then an e-acute across the 128-byte cut */
	int64_t a = f->ga, b = f->gb;

	if (store_begin(f->st) < 0)
		return -1;
	ids[1] = fig_post(f, 1, T0 - 5 * DAY, "old@x", 0, a, 0, NULL);
	ids[2] = fig_post(f, 2, T0 + 200, "new1@x", 1, a, 0, NULL);
	ids[3] = fig_post(f, 3, T0 + 100, "old@x", 0, a, 0, NULL);
	ids[4] = fig_post(f, 4, T0 + 160, "new1@x", 3, a, 0, NULL);
	ids[5] = fig_post(f, 5, T0 + 500, "old@x", 3, a, 0, NULL);
	ids[6] = fig_post(f, 6, T0 + 1000, "new2@x", 3, a, 0, NULL);
	ids[7] = fig_post(f, 7, T0 + 1000, "new1@x", 0, a, 0, NULL);
	ids[8] = fig_post(f, 8, T0 + 1300, "new2@x", 7, a, b, NULL);
	ids[9] = fig_post(f, 9, T0 + 2000, "new2@x", 0, b, 0, long_subject);
	ids[10] = fig_post(f, 10, T0 + 3000, "old@x", 9, b, 0, NULL);
	ids[11] = fig_post(f, 11, T0 + 7000, "new1@x", 9, b, 0, NULL);
	ids[12] = fig_post(f, 12, T0 + 3000, "old@x", 0, a, 0, NULL);
	ids[13] = fig_post(f, 13, T0 + DAY + 10, "new3@x", 0, a, 0, NULL);
	ids[14] = fig_post(f, 14, T0 + DAY + 40, "old@x", 13, a, 0, NULL);
	ids[15] = fig_post(f, 15, T0 + 90000, "new3@x", 99, a, 0, NULL);
	ids[16] = fig_post(f, 16, T0 + 3 * DAY, "new3@x", 0, b, a, NULL);
	return store_commit(f->st);
}

/* The figures over every window and group choice of the fixture, worked out by hand above. */
static void store_figures(void)
{
	struct fix f;
	struct store_stats s;
	struct marks m;
	int64_t ids[17], both[2], ga[1], gb[1], threads_before;
	int k;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_group_upsert(f.st, "a.test", "", 1, &f.ga), 0);
	CHECK_INT(store_group_upsert(f.st, "b.test", "", 1, &f.gb), 0);
	if (fig_fill(&f, ids) < 0)
		goto out;
	both[0] = f.gb;
	both[1] = f.ga;
	ga[0] = f.ga;
	gb[0] = f.gb;

	/* everything from T0: a crosspost counts once per group (8 and 16 twice) */
	CHECK_INT(store_stats(f.st, both, 2, T0, &s), 0);
	CHECK_INT(s.posts, 17);
	CHECK_INT(s.threads, 6);		/* A B C D E F */
	CHECK_INT(s.posters, 4);
	CHECK_INT(s.new_posters, 3);		/* old was first seen before T0 */
	CHECK_INT(s.unanswered, 2);		/* D F */
	CHECK_INT(s.reply_p50, 60);		/* 30 60 300 1000: rank 2 */
	CHECK_INT(s.reply_p90, 1000);		/* rank ceil(3.6) = 4 */
	CHECK_INT(s.ntop, 4);
	CHECK_INT(s.top[0].article_id, ids[3]);
	CHECK_INT(s.top[0].replies, 3);
	CHECK_STR(s.top[0].subject, "subject 3");
	CHECK_INT(s.top[1].article_id, ids[9]);
	CHECK_INT(s.top[1].replies, 2);
	CHECK_INT(strlen(s.top[1].subject), 126);	/* cut before the split character */
	CHECK_INT(s.top[2].article_id, ids[7]);	/* the crossposted reply counted once */
	CHECK_INT(s.top[2].replies, 1);
	CHECK_STR(s.top[2].subject, "subject 7");
	CHECK_INT(s.top[3].article_id, ids[13]);
	CHECK_INT(s.top[3].replies, 1);

	/* b only: the crosspost F started its thread there */
	CHECK_INT(store_stats(f.st, gb, 1, T0, &s), 0);
	CHECK_INT(s.posts, 5);			/* 8 9 10 11 16 */
	CHECK_INT(s.posters, 4);
	CHECK_INT(s.new_posters, 3);
	CHECK_INT(s.threads, 2);		/* C F */
	CHECK_INT(s.unanswered, 1);
	CHECK_INT(s.reply_p50, 1000);
	CHECK_INT(s.reply_p90, 1000);
	CHECK_INT(s.ntop, 1);
	CHECK_INT(s.top[0].article_id, ids[9]);

	/* a only */
	CHECK_INT(store_stats(f.st, ga, 1, T0, &s), 0);
	CHECK_INT(s.posts, 12);
	CHECK_INT(s.posters, 4);
	CHECK_INT(s.new_posters, 3);
	CHECK_INT(s.threads, 4);		/* A B D E */
	CHECK_INT(s.unanswered, 1);
	CHECK_INT(s.reply_p50, 60);		/* 30 60 300 */
	CHECK_INT(s.reply_p90, 300);
	CHECK_INT(s.ntop, 3);
	CHECK_INT(s.top[0].article_id, ids[3]);
	CHECK_INT(s.top[1].article_id, ids[7]);
	CHECK_INT(s.top[2].article_id, ids[13]);

	/* since new1's very first post: new1 is new; posts still from the hour's start */
	CHECK_INT(store_stats(f.st, both, 2, T0 + 160, &s), 0);
	CHECK_INT(s.posts, 17);
	CHECK_INT(s.posters, 4);
	CHECK_INT(s.new_posters, 3);
	CHECK_INT(s.threads, 5);		/* B C D E F: A started at T0+100 */
	CHECK_INT(store_stats(f.st, both, 2, T0 + 161, &s), 0);
	CHECK_INT(s.new_posters, 2);

	/* a from the next day */
	CHECK_INT(store_stats(f.st, ga, 1, T0 + DAY, &s), 0);
	CHECK_INT(s.posts, 4);			/* 13 14 15 16 */
	CHECK_INT(s.posters, 2);
	CHECK_INT(s.new_posters, 1);		/* new3 */
	CHECK_INT(s.threads, 1);
	CHECK_INT(s.unanswered, 0);
	CHECK_INT(s.reply_p50, 30);
	CHECK_INT(s.reply_p90, 30);
	CHECK_INT(s.ntop, 1);

	/* all time: thread O and its slow reply come in */
	CHECK_INT(store_stats(f.st, both, 2, T0 - 10 * DAY, &s), 0);
	CHECK_INT(s.posts, 18);
	CHECK_INT(s.threads, 7);
	CHECK_INT(s.posters, 4);
	CHECK_INT(s.new_posters, 4);
	CHECK_INT(s.unanswered, 2);
	CHECK_INT(s.reply_p50, 300);		/* 30 60 300 1000 432200: rank 3 */
	CHECK_INT(s.reply_p90, 432200);		/* rank 5 */
	CHECK_INT(s.ntop, 5);
	CHECK_INT(s.top[2].article_id, ids[1]);	/* ties: the older thread first */
	CHECK_INT(s.top[3].article_id, ids[7]);
	CHECK_INT(s.top[4].article_id, ids[13]);

	/* an empty window, no groups, a group with nothing */
	CHECK_INT(store_stats(f.st, both, 2, T0 + 10 * DAY, &s), 0);
	CHECK_INT(s.posts, 0);
	CHECK_INT(s.threads, 0);
	CHECK_INT(s.posters, 0);
	CHECK_INT(s.reply_p50, -1);
	CHECK_INT(s.reply_p90, -1);
	CHECK_INT(s.ntop, 0);
	CHECK_INT(store_stats(f.st, NULL, 0, 0, &s), 0);
	CHECK_INT(s.posts, 0);
	CHECK_INT(s.threads, 0);
	CHECK_INT(s.reply_p50, -1);
	ga[0] = 9999;
	CHECK_INT(store_stats(f.st, ga, 1, 0, &s), 0);
	CHECK_INT(s.posts, 0);

	/* a cancelled starter leaves the figures: its post and its thread */
	CHECK_INT(store_stats(f.st, both, 2, T0, &s), 0);
	CHECK_INT(s.posts, 17);
	threads_before = s.threads;
	CHECK_INT(store_begin(f.st), 0);
	memset(&m, 0, sizeof(m));
	CHECK_INT(store_article_remove(f.st, ids[3], T0 + 5 * DAY, marks_cb, &m), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(m.n, 1);
	CHECK_INT(m.count[0], 12);		/* 13 numbered in a, less the cancelled one */
	CHECK_INT(m.low[0], 1);
	CHECK_INT(store_stats(f.st, both, 2, T0, &s), 0);
	CHECK_INT(s.posts, 16);
	CHECK_INT(s.threads, threads_before - 1);
	for (k = 0; k < s.ntop; k++)
		CHECK(s.top[k].article_id != ids[3]);

	/* a cancelled first reply: the next reply becomes the first; with none
	 * left the thread is unanswered again (C in b: replies 10 at +1000, 11 at +5000) */
	CHECK_INT(store_stats(f.st, gb, 1, T0, &s), 0);
	CHECK_INT(s.reply_p50, 1000);
	CHECK_INT(s.unanswered, 1);
	for (k = 0; k < 2; k++) {
		/* after cancelling 10: 11 is the first reply; after 11 too: C F unanswered */
		static const int64_t p50[2] = { 5000, -1 }, unanswered[2] = { 1, 2 };
		CHECK_INT(store_begin(f.st), 0);
		CHECK_INT(store_article_remove(f.st, ids[10 + k], T0 + 5 * DAY, NULL, NULL), 0);
		CHECK_INT(store_commit(f.st), 0);
		CHECK_INT(store_stats(f.st, gb, 1, T0, &s), 0);
		CHECK_INT(s.reply_p50, p50[k]);
		CHECK_INT(s.unanswered, unanswered[k]);
	}
out:
	fix_close(&f);
}

/*
 * Figures gathered in one transaction are written whole: more rows than the
 * store holds at once (300 posters in one batch), a cancel in the same
 * batch of a post recorded before it, and a rolled-back batch that leaves
 * nothing behind for the next commit.
 */
static void store_figures_batched(void)
{
	struct fix f;
	struct store_stats s;
	char poster[32];
	int64_t ga[1], ids[301];
	int n;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_group_upsert(f.st, "a.test", "", 1, &f.ga), 0);
	ga[0] = f.ga;
	CHECK_INT(store_begin(f.st), 0);
	for (n = 1; n <= 300; n++) {
		snprintf(poster, sizeof(poster), "p%d@x", n);
		ids[n] = fig_post(&f, n, T0 + n * 60, poster, n > 1 ? 1 : 0, f.ga, 0, NULL);
		if (n == 10)
			CHECK_INT(store_article_remove(f.st, ids[5], T0 + DAY, NULL, NULL), 0);
	}
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_stats(f.st, ga, 1, T0, &s), 0);
	CHECK_INT(s.posts, 299);		/* 300 less the cancelled one */
	CHECK_INT(s.posters, 300);		/* the posters keep their rows */
	CHECK_INT(s.new_posters, 300);
	CHECK_INT(s.threads, 1);
	CHECK_INT(s.ntop, 1);
	CHECK_INT(s.top[0].replies, 298);	/* 2..300 less 5 */

	CHECK_INT(store_begin(f.st), 0);
	for (n = 0; n < 5; n++)
		fig_post(&f, 400 + n, T0 + 50, "gone@x", 1, f.ga, 0, NULL);
	store_rollback(f.st);
	CHECK_INT(store_begin(f.st), 0);
	fig_post(&f, 500, T0 + 70, "p1@x", 1, f.ga, 0, NULL);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_stats(f.st, ga, 1, T0, &s), 0);
	CHECK_INT(s.posts, 300);
	CHECK_INT(s.posters, 300);
	CHECK_INT(s.top[0].replies, 299);	/* and 500 */

	/* A reply rolled back alone: the next article takes its id, and its reply counts. */
	CHECK_INT(store_begin(f.st), 0);
	fig_post(&f, 600, T0 + 80, "p1@x", 1, f.ga, 0, NULL);
	store_rollback(f.st);
	CHECK_INT(store_begin(f.st), 0);
	fig_post(&f, 601, T0 + 90, "p1@x", 1, f.ga, 0, NULL);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_stats(f.st, ga, 1, T0, &s), 0);
	CHECK_INT(s.top[0].replies, 300);	/* and 601 */
out:
	fix_close(&f);
}

/*
 * A reply finds its thread through the starter's article, wherever the
 * starter's Message-ID is (here in msgids: a merge after every two), and
 * through the threads whose starter is gone once the starter expired: the
 * figures keep that thread, and a reply to it, or the cancel of one, counts.
 */
static void store_figures_starter_gone(void)
{
	struct fix f;
	struct store_stats s;
	int64_t ga[1], ids[6], low, count, expired;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_group_upsert(f.st, "a.test", "", 1, &f.ga), 0);
	ga[0] = f.ga;
	store_tail_merge_at(f.st, 2);
	CHECK_INT(store_begin(f.st), 0);
	ids[1] = fig_post(&f, 1, T0, "p@x", 0, f.ga, 0, NULL);
	ids[2] = fig_post(&f, 2, T0 + DAY, "p@x", 0, f.ga, 0, NULL);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_begin(f.st), 0);
	ids[3] = fig_post(&f, 3, T0 + DAY + 60, "q@x", 1, f.ga, 0, NULL);
	ids[4] = fig_post(&f, 4, T0 + DAY + 120, "q@x", 2, f.ga, 0, NULL);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_stats(f.st, ga, 1, T0, &s), 0);
	CHECK_INT(s.threads, 2);
	CHECK_INT(s.unanswered, 0);
	CHECK_INT(s.ntop, 2);
	CHECK_INT(s.top[0].replies, 1);
	CHECK_INT(s.top[1].replies, 1);

	/* the first starter expires; its thread stays */
	CHECK_INT(store_expire_group(f.st, f.ga, T0 + 1, &low, &count, &expired), 0);
	CHECK_INT(expired, 1);
	CHECK_INT(store_begin(f.st), 0);
	ids[5] = fig_post(&f, 5, T0 + 2 * DAY, "r@x", 1, f.ga, 0, NULL);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_stats(f.st, ga, 1, T0, &s), 0);
	CHECK_INT(s.threads, 2);
	CHECK_INT(s.top[0].article_id, ids[1]);
	CHECK_INT(s.top[0].replies, 2);

	/* cancelling its replies: the count, then the first reply, go back */
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_article_remove(f.st, ids[5], T0 + 3 * DAY, NULL, NULL), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_stats(f.st, ga, 1, T0, &s), 0);
	CHECK_INT(s.top[0].article_id, ids[1]);
	CHECK_INT(s.top[0].replies, 1);
	CHECK_INT(s.unanswered, 0);
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_article_remove(f.st, ids[3], T0 + 3 * DAY, NULL, NULL), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(store_stats(f.st, ga, 1, T0, &s), 0);
	CHECK_INT(s.unanswered, 1);
	CHECK_INT(s.ntop, 1);
	CHECK_INT(s.top[0].article_id, ids[2]);
out:
	fix_close(&f);
}

/* store_article_add's result for the article <n@test> (fix_add's, no Xref). */
static int add_rc(struct store *st, int n)
{
	int64_t id;

	return add_article(st, n, 1000, NULL, &id);
}

/* 1 if store_msgid_get finds <n@test>, 0 if not, -1 on an error. */
static int found(struct store *st, int n)
{
	char msgid[32];
	int64_t id;
	int rc;

	snprintf(msgid, sizeof(msgid), "<%d@test>", n);
	rc = store_msgid_get(st, msgid, &id);
	return rc == 0 ? 1 : rc == MOOT_ENOTFOUND ? 0 : -1;
}

/*
 * The newest Message-IDs wait in memory (shared by the connections to one
 * database) until a commit merges them into msgids: either way an article
 * is found by its Message-ID and a second one with it is refused; a
 * rolled-back article leaves nothing behind, a removed one is not found,
 * and a reopen finds the tail again in the articles table.
 */
static void store_msgid_tail(void)
{
	struct fix f;
	struct store *other = NULL;
	struct msgtail *t = NULL;
	char err[256];
	int made, n;

	if (fix_open(&f) < 0)
		goto out;
	t = msgtail_get(store_path(f.st), &made);
	CHECK(t != NULL && !made);	/* the store's own */
	if (t == NULL)
		goto out;
	store_tail_merge_at(f.st, 3);
	CHECK_INT(store_begin(f.st), 0);
	CHECK(fix_add(&f, 1, 1000) > 0);
	CHECK(fix_add(&f, 2, 1000) > 0);
	CHECK_INT(add_rc(f.st, 1), MOOT_EEXIST);	/* in the tail, this transaction's */
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT((int)msgtail_count(t), 2);
	CHECK_INT(found(f.st, 1), 1);
	CHECK_INT(store_msgid_seen(f.st, "<2@test>"), 1);
	CHECK_INT(store_open(f.path, &other, err, sizeof(err)), 0);
	if (other != NULL)
		CHECK_INT(found(other, 2), 1);	/* the tail is shared */
	/* The third waiting ID makes the commit merge all three. */
	CHECK_INT(store_begin(f.st), 0);
	CHECK(fix_add(&f, 3, 1000) > 0);
	CHECK_INT(add_rc(f.st, 2), MOOT_EEXIST);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT((int)msgtail_count(t), 0);
	for (n = 1; n <= 3; n++) {
		CHECK_INT(found(f.st, n), 1);
		if (other != NULL)
			CHECK_INT(found(other, n), 1);
	}
	CHECK_INT(add_rc(f.st, 3), MOOT_EEXIST);	/* from msgids, outside a transaction */
	/* A rolled-back article leaves no trace, and its ID is free again. */
	CHECK_INT(store_begin(f.st), 0);
	CHECK(fix_add(&f, 4, 1000) > 0);
	store_rollback(f.st);
	CHECK_INT((int)msgtail_count(t), 0);
	CHECK_INT(found(f.st, 4), 0);
	CHECK_INT(store_msgid_seen(f.st, "<4@test>"), 0);
	CHECK_INT(store_begin(f.st), 0);
	CHECK(fix_add(&f, 4, 1000) > 0);
	CHECK(fix_add(&f, 5, 1000) > 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT((int)msgtail_count(t), 2);
	/* Removed from the tail and from msgids: not found by Message-ID. */
	{
		int64_t id4 = 0, id2 = 0;
		CHECK_INT(store_msgid_get(f.st, "<4@test>", &id4), 0);
		CHECK_INT(store_msgid_get(f.st, "<2@test>", &id2), 0);
		CHECK_INT(store_begin(f.st), 0);
		CHECK_INT(store_article_remove(f.st, id4, 2000, NULL, NULL), 0);
		CHECK_INT(store_article_remove(f.st, id2, 2000, NULL, NULL), 0);
		CHECK_INT(store_commit(f.st), 0);
	}
	CHECK_INT(found(f.st, 4), 0);
	CHECK_INT(found(f.st, 2), 0);
	CHECK_INT(found(f.st, 5), 1);
	/* A merge now leaves the removed <4@test> out of msgids. */
	store_tail_merge_at(f.st, 1);
	CHECK_INT(store_begin(f.st), 0);
	CHECK(fix_add(&f, 6, 1000) > 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT((int)msgtail_count(t), 0);
	CHECK_INT(found(f.st, 4), 0);
	CHECK_INT(found(f.st, 6), 1);
	CHECK_INT(store_begin(f.st), 0);
	CHECK(fix_add(&f, 7, 1000) > 0);
	CHECK_INT(store_commit(f.st), 0);
	store_tail_merge_at(f.st, 3);
	CHECK_INT(store_begin(f.st), 0);
	CHECK(fix_add(&f, 8, 1000) > 0);
	CHECK_INT(store_commit(f.st), 0);
	/* Every connection closed: a reopen finds <8@test> (in the tail) again. */
	store_close(other);
	other = NULL;
	msgtail_put(t);
	t = NULL;
	if (fix_reopen(&f) < 0)
		goto out;
	t = msgtail_get(store_path(f.st), &made);
	CHECK(t != NULL && !made);
	if (t != NULL)
		CHECK_INT((int)msgtail_count(t), 1);
	CHECK_INT(found(f.st, 8), 1);
	CHECK_INT(found(f.st, 3), 1);
	CHECK_INT(found(f.st, 4), 0);
	CHECK_INT(add_rc(f.st, 8), MOOT_EEXIST);
	CHECK_INT(add_rc(f.st, 1), MOOT_EEXIST);
	CHECK_INT(add_rc(f.st, 4), MOOT_EEXIST);	/* remembered in history */
out:
	msgtail_put(t);
	store_close(other);
	fix_close(&f);
}

/* Marks counted on top of what is stored (the writer thread's, ingest.c). */
static void store_group_marks_added(void)
{
	struct fix f;
	int64_t g, low, high, count;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_group_upsert(f.st, "a.test", "A", 100, &g), 0);
	CHECK_INT(store_group_marks(f.st, g, &low, &high, &count), 0);
	CHECK_INT(low, 1);
	CHECK_INT(high, 0);
	CHECK_INT(count, 0);
	/* Into an empty group: low is the first new number. */
	CHECK_INT(store_group_add_marks(f.st, g, 1, 5, 5), 0);
	CHECK_INT(store_group_marks(f.st, g, &low, &high, &count), 0);
	CHECK_INT(low, 1);
	CHECK_INT(high, 5);
	CHECK_INT(count, 5);
	/* Another connection expired two meanwhile: counted on top of that. */
	CHECK_INT(store_group_set_marks(f.st, g, 3, 5, 3), 0);
	CHECK_INT(store_group_add_marks(f.st, g, 6, 8, 3), 0);
	CHECK_INT(store_group_marks(f.st, g, &low, &high, &count), 0);
	CHECK_INT(low, 3);
	CHECK_INT(high, 8);
	CHECK_INT(count, 6);
	/* Emptied (low = high + 1, RFC 3977 §6.1.1.2), then one more. */
	CHECK_INT(store_group_set_marks(f.st, g, 9, 8, 0), 0);
	CHECK_INT(store_group_add_marks(f.st, g, 9, 9, 1), 0);
	CHECK_INT(store_group_marks(f.st, g, &low, &high, &count), 0);
	CHECK_INT(low, 9);
	CHECK_INT(high, 9);
	CHECK_INT(count, 1);
	CHECK_INT(store_group_add_marks(f.st, g + 100, 1, 1, 1), MOOT_ENOTFOUND);
	CHECK_INT(store_group_marks(f.st, g + 100, &low, &high, &count), MOOT_ENOTFOUND);
out:
	fix_close(&f);
}

void test_store(void)
{
	RUN(store_open_fails);
	RUN(store_groups);
	RUN(store_group_marks_added);
	RUN(store_overview);
	RUN(store_overview_lines);
	RUN(store_numbers);
	RUN(store_held_rows);
	RUN(store_articles);
	RUN(store_transactions);
	RUN(store_durable);
	RUN(store_nosync);
	RUN(store_read_snapshot);
	RUN(store_newnews_since);
	RUN(store_expire);
	RUN(store_users);
	RUN(store_modqueue);
	RUN(store_bans);
	RUN(store_events);
	RUN(store_cancel);
	RUN(store_figures);
	RUN(store_figures_batched);
	RUN(store_figures_starter_gone);
	RUN(store_msgid_tail);
}
