/*
 * test_syncer.c: the storage thread (daemon/syncer.c) on a real store and a
 * real libuv loop: announced commits are reported synced up to the newest
 * generation, a checkpoint empties the WAL so that it starts over, a sync
 * asked while a long checkpoint runs is reported before it ends, and the
 * threads stop and the loop closes cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "test.h"
#include "store_fix.h"
#include "../../proto/moot.h"
#include "../../daemon/store.h"
#include "../../daemon/syncer.h"

struct seen {
	int jobs[4];		/* the order of the reports */
	uint64_t gens[4];
	int rcs[4];
	int n;
};

static void on_report(void *arg, int job, uint64_t gen, int rc)
{
	struct seen *sn = arg;

	if (sn->n < 4) {
		sn->jobs[sn->n] = job;
		sn->gens[sn->n] = gen;
		sn->rcs[sn->n] = rc;
	}
	sn->n++;
}

/* Turn the loop until n reports came (or about 5 s passed). */
static void wait_reports(uv_loop_t *loop, struct seen *sn, int n)
{
	int i;

	for (i = 0; i < 5000 && sn->n < n; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

/* Articles from..to-1 in one transaction that does not wait for the disk. */
static int fill(struct fix *f, int from, int to)
{
	int n;

	if (store_begin_nosync(f->st) != 0)
		return -1;
	for (n = from; n < to; n++)
		if (fix_add(f, n, 6000) < 0) {
			store_rollback(f->st);
			return -1;
		}
	return store_commit_nosync(f->st);
}

/* Articles from..to-1 with 4 KiB bodies, in one transaction that does not wait for the disk. */
static int fill_big(struct fix *f, int from, int to)
{
	static char body[4096 + 3];
	char msgid[32];
	struct store_article a;
	int64_t id;
	int n;

	memset(body, 'x', sizeof(body) - 3);
	memcpy(body + sizeof(body) - 3, "\r\n", 3);
	if (store_begin_nosync(f->st) != 0)
		return -1;
	for (n = from; n < to; n++) {
		snprintf(msgid, sizeof(msgid), "<%d@big>", n);
		memset(&a, 0, sizeof(a));
		a.msgid = msgid;
		a.arrived = 7000;
		a.head = "Subject: big\r\n";
		a.head_len = strlen(a.head);
		a.body = body;
		a.body_len = sizeof(body) - 1;
		if (store_article_add(f->st, &a, &id) != 0) {
			store_rollback(f->st);
			return -1;
		}
	}
	return store_commit_nosync(f->st);
}

/* The callback of a timer that is never due within the test. */
static void never(uv_timer_t *t)
{
	(void)t;
}

static void syncer_sync_then_checkpoint(void)
{
	struct fix f;
	struct syncer *sy = NULL;
	struct seen sn;
	uv_loop_t loop;
	uv_timer_t alive;	/* keeps the loop polling: the syncer's handle does not */

	memset(&sn, 0, sizeof(sn));
	CHECK_INT(uv_loop_init(&loop), 0);
	uv_timer_init(&loop, &alive);
	uv_timer_start(&alive, never, 3600 * 1000, 0);
	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(syncer_new(&loop, f.st, on_report, &sn, &sy), 0);
	if (sy == NULL)
		goto out;
	/* Two commits announced before the thread reports: one or two syncs
	 * cover them, the last report names the newest generation. */
	CHECK_INT(fill(&f, 0, 1500), 0);
	syncer_sync(sy, 1);
	CHECK_INT(fill(&f, 1500, 3000), 0);
	syncer_sync(sy, 2);
	CHECK(store_wal_frames(f.st) > 100);
	wait_reports(&loop, &sn, 1);
	if (sn.n == 1 && sn.gens[0] == 1)
		wait_reports(&loop, &sn, 2);
	CHECK(sn.n >= 1 && sn.n <= 2);
	CHECK_INT(sn.jobs[sn.n - 1], SYNCER_SYNC);
	CHECK_INT(sn.gens[sn.n - 1], 2);
	CHECK_INT(sn.rcs[sn.n - 1], 0);
	/* A checkpoint copies everything: the next commit starts the WAL over. */
	sn.n = 0;
	syncer_checkpoint(sy);
	wait_reports(&loop, &sn, 1);
	CHECK_INT(sn.n, 1);
	CHECK_INT(sn.jobs[0], SYNCER_CHECKPOINT);
	CHECK_INT(sn.rcs[0], 0);
	CHECK_INT(fill(&f, 3000, 3001), 0);
	CHECK(store_wal_frames(f.st) < 10);
	/* A sync does not wait for a checkpoint that is running: with some
	 * 20 MB to copy and flush, it is still running when the sync of one
	 * small commit has long been reported. */
	CHECK_INT(fill_big(&f, 4000, 9000), 0);
	syncer_sync(sy, 3);
	sn.n = 0;
	wait_reports(&loop, &sn, 1);
	CHECK_INT(sn.gens[0], 3);
	sn.n = 0;
	syncer_checkpoint(sy);
	usleep(2000);	/* it has begun */
	CHECK_INT(fill(&f, 9000, 9001), 0);
	syncer_sync(sy, 4);
	wait_reports(&loop, &sn, 2);
	CHECK_INT(sn.n, 2);
	CHECK_INT(sn.jobs[0], SYNCER_SYNC);
	CHECK_INT(sn.gens[0], 4);
	CHECK_INT(sn.jobs[1], SYNCER_CHECKPOINT);
	CHECK_INT(sn.rcs[1], 0);
	syncer_free(sy);
out:
	uv_close((uv_handle_t *)&alive, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);	/* close callbacks: the syncer is freed */
	CHECK_INT(uv_loop_close(&loop), 0);
	fix_close(&f);
}

void test_syncer(void)
{
	RUN(syncer_sync_then_checkpoint);
}
