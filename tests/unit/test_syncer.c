/*
 * test_syncer.c: the storage thread (daemon/syncer.c) on a real store and a
 * real libuv loop: a sync and a checkpoint asked together are reported in
 * that order, each on the loop, with busy set until the last; the commits
 * made before the request are then durable and the WAL starts over; the
 * thread stops and the loop closes cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "test.h"
#include "../../proto/moot.h"
#include "../../daemon/store.h"
#include "../../daemon/syncer.h"

struct seen {
	struct syncer *s;
	int jobs[4];		/* the order of the reports */
	int rcs[4];
	int busy_at[4];		/* syncer_busy() inside each report */
	int n;
};

static void on_report(void *arg, int job, int rc)
{
	struct seen *sn = arg;

	if (sn->n < 4) {
		sn->jobs[sn->n] = job;
		sn->rcs[sn->n] = rc;
		sn->busy_at[sn->n] = syncer_busy(sn->s);
	}
	sn->n++;
}

/* Many small articles in one transaction that does not wait for the disk. */
static int fill(struct store *st, int from, int to)
{
	struct store_article a;
	char msgid[32], head[96];
	int64_t id;
	int n;

	if (store_begin_nosync(st) != 0)
		return -1;
	for (n = from; n < to; n++) {
		snprintf(msgid, sizeof(msgid), "<%d@syncer.test>", n);
		snprintf(head, sizeof(head), "Message-ID: %s\r\n", msgid);
		memset(&a, 0, sizeof(a));
		a.msgid = msgid;
		a.from = a.subject = a.date = a.xref = "";
		a.head = head;
		a.head_len = strlen(head);
		a.body = "body\r\n";
		a.body_len = 6;
		if (store_article_add(st, &a, &id) != 0) {
			store_rollback(st);
			return -1;
		}
	}
	return store_commit_nosync(st);
}

/* The callback of a timer that is never due within the test. */
static void never(uv_timer_t *t)
{
	(void)t;
}

static void syncer_sync_then_checkpoint(void)
{
	char dir[] = "/tmp/syncerXXXXXX", path[64], err[256];
	struct store *st = NULL;
	struct seen sn;
	uv_loop_t loop;
	uv_timer_t alive;	/* keeps the loop polling: the syncer's handle does not */
	int i;

	memset(&sn, 0, sizeof(sn));
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/moot.db", dir);
	CHECK_INT(uv_loop_init(&loop), 0);
	uv_timer_init(&loop, &alive);
	uv_timer_start(&alive, never, 3600 * 1000, 0);
	CHECK_INT(store_open(path, &st, err, sizeof(err)), 0);
	if (st == NULL)
		goto out;
	CHECK_INT(fill(st, 0, 3000), 0);
	CHECK(store_wal_frames(st) > 100);
	CHECK_INT(syncer_new(&loop, st, on_report, &sn, &sn.s), 0);
	if (sn.s == NULL)
		goto out;
	CHECK_INT(syncer_busy(sn.s), 0);
	syncer_run(sn.s, SYNCER_SYNC | SYNCER_CHECKPOINT);
	CHECK_INT(syncer_busy(sn.s), 1);
	/* Turn the loop until both reports came. */
	for (i = 0; i < 5000 && sn.n < 2; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	CHECK_INT(sn.n, 2);
	CHECK_INT(sn.jobs[0], SYNCER_SYNC);
	CHECK_INT(sn.rcs[0], 0);
	CHECK_INT(sn.busy_at[0], 1);	/* the checkpoint is still to come */
	CHECK_INT(sn.jobs[1], SYNCER_CHECKPOINT);
	CHECK_INT(sn.rcs[1], 0);
	CHECK_INT(sn.busy_at[1], 0);
	/* Everything was copied: the next commit starts the WAL over. */
	CHECK_INT(fill(st, 3000, 3001), 0);
	CHECK(store_wal_frames(st) < 10);
	/* A sync alone, then stop with nothing running. */
	syncer_run(sn.s, SYNCER_SYNC);
	for (i = 0; i < 5000 && sn.n < 3; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	CHECK_INT(sn.n, 3);
	CHECK_INT(sn.jobs[2], SYNCER_SYNC);
	syncer_free(sn.s);
out:
	uv_close((uv_handle_t *)&alive, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);	/* close callbacks: the syncer is freed */
	CHECK_INT(uv_loop_close(&loop), 0);
	store_close(st);
	snprintf(path, sizeof(path), "%s/moot.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/moot.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/moot.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

void test_syncer(void)
{
	RUN(syncer_sync_then_checkpoint);
}
