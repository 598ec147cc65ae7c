/*
 * test_writer.c: the writer thread (daemon/writer.c) on a real libuv loop:
 * jobs run in the order queued, off the loop's thread; done() runs on the
 * loop, in the same order, and only after its run(); writer_drain runs
 * whatever is queued, even fewer jobs than wake the thread; the thread
 * stops and the loop closes cleanly.  And what ingest builds on it: a
 * transaction the writer keeps open while the loop's own connection wants
 * to write (store_on_write lets it commit; the loop waits in the busy
 * handler meanwhile).
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "test.h"
#include "store_fix.h"
#include "../../proto/moot.h"
#include "../../daemon/store.h"
#include "../../daemon/writer.h"

#define NJOBS 40

struct log {
	int ran[NJOBS + 2], nran;	/* written by the thread only */
	int done[NJOBS + 2], ndone;	/* by the loop only */
	int off_loop;			/* jobs that ran on the loop's thread */
	int early;			/* done() before its run() */
	uv_thread_t loop_thread;
};

struct tjob {
	struct writer_job job;
	struct log *log;
	int id;
	int has_run;
};

static struct tjob *tjob_of(struct writer_job *j)
{
	return WRITER_OWNER(j, struct tjob, job);
}

static void tjob_run(struct writer_job *j)
{
	struct tjob *t = tjob_of(j);
	uv_thread_t self = uv_thread_self();

	if (uv_thread_equal(&self, &t->log->loop_thread))
		t->log->off_loop++;	/* counts the wrong ones */
	t->log->ran[t->log->nran++] = t->id;
	t->has_run = 1;
}

static void tjob_done(struct writer_job *j)
{
	struct tjob *t = tjob_of(j);

	if (!t->has_run)
		t->log->early++;
	t->log->done[t->log->ndone++] = t->id;
}

static void never(uv_timer_t *t)
{
	(void)t;
}

static void writer_order(void)
{
	static struct tjob jobs[NJOBS + 2];
	struct writer *w = NULL;
	struct log log;
	uv_loop_t loop;
	uv_timer_t alive;	/* keeps the loop polling: the writer's handle does not */
	int i, k, ndone_jobs = 0;

	memset(&log, 0, sizeof(log));
	memset(jobs, 0, sizeof(jobs));
	log.loop_thread = uv_thread_self();
	CHECK_INT(uv_loop_init(&loop), 0);
	uv_timer_init(&loop, &alive);
	uv_timer_start(&alive, never, 3600 * 1000, 0);
	CHECK_INT(writer_new(&loop, &w), 0);
	if (w == NULL)
		goto out;
	/* Every fifth job wants done(). */
	for (i = 0; i < NJOBS; i++) {
		jobs[i] = (struct tjob){ { NULL, tjob_run, i % 5 == 4 ? tjob_done : NULL }, &log, i, 0 };
		ndone_jobs += i % 5 == 4;
		writer_submit(w, &jobs[i].job);
	}
	for (k = 0; k < 5000 && log.ndone < ndone_jobs; k++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	CHECK_INT(log.nran, NJOBS);
	CHECK_INT(log.ndone, ndone_jobs);
	for (i = 0; i < log.nran; i++)
		CHECK_INT(log.ran[i], i);
	for (i = 0; i < log.ndone; i++)
		CHECK_INT(log.done[i], 5 * i + 4);
	CHECK_INT(log.off_loop, 0);
	CHECK_INT(log.early, 0);
	/* Two jobs without done() do not wake a sleeping thread (WAKE_AFTER);
	 * writer_drain runs them, and a third's done() at once, here. */
	usleep(20000);
	jobs[NJOBS] = (struct tjob){ { NULL, tjob_run, NULL }, &log, NJOBS, 0 };
	jobs[NJOBS + 1] = (struct tjob){ { NULL, tjob_run, tjob_done }, &log, NJOBS + 1, 0 };
	writer_submit(w, &jobs[NJOBS].job);
	writer_drain(w);
	CHECK_INT(log.nran, NJOBS + 1);
	writer_submit(w, &jobs[NJOBS + 1].job);
	writer_drain(w);
	CHECK_INT(log.nran, NJOBS + 2);
	CHECK_INT(log.ndone, ndone_jobs + 1);
	CHECK_INT(log.done[log.ndone - 1], NJOBS + 1);
	writer_free(w);
out:
	uv_close((uv_handle_t *)&alive, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);	/* close callbacks: the writer is freed */
	CHECK_INT(uv_loop_close(&loop), 0);
}

/* The writer side of writer_yield: a transaction of its own connection. */
struct txn {
	struct writer_job job;
	struct store *st;
	int rc;
};

static void txn_begin(struct writer_job *j)
{
	struct txn *t = WRITER_OWNER(j, struct txn, job);
	int64_t id;

	t->rc = store_begin_nosync(t->st);
	if (t->rc == 0)
		t->rc = store_group_upsert(t->st, "w.test", "by the writer", 1, &id);
}

static void txn_commit(struct writer_job *j)
{
	struct txn *t = WRITER_OWNER(j, struct txn, job);

	usleep(30000);	/* the loop waits in the busy handler meanwhile */
	if (t->rc == 0)
		t->rc = store_commit_nosync(t->st);
}

static void txn_done(struct writer_job *j)
{
	(void)j;	/* a job with done() wakes the thread at once */
}

struct yield_ctx {
	struct writer *w;
	struct writer_job *commit;	/* submitted by the first call */
	int calls;
};

static void on_write(void *arg)
{
	struct yield_ctx *y = arg;

	if (y->calls++ == 0)
		writer_submit(y->w, y->commit);
}

static void writer_yield(void)
{
	struct fix f;
	struct store *wst = NULL;
	struct writer *w = NULL;
	struct txn begin, commit;
	struct yield_ctx y;
	uv_loop_t loop;
	uint64_t t0;
	int64_t id, low, high, count;
	char err[256];

	memset(&y, 0, sizeof(y));
	CHECK_INT(uv_loop_init(&loop), 0);
	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_open(store_path(f.st), &wst, err, sizeof(err)), 0);
	CHECK_INT(writer_new(&loop, &w), 0);
	if (wst == NULL || w == NULL)
		goto out;
	begin = (struct txn){ { NULL, txn_begin, NULL }, wst, -1 };
	commit = (struct txn){ { NULL, txn_commit, txn_done }, wst, -1 };
	writer_submit(w, &begin.job);
	writer_drain(w);
	CHECK_INT(begin.rc, 0);	/* the writer holds the write lock now */
	y.w = w;
	y.commit = &commit.job;
	store_on_write(f.st, on_write, &y);
	/* A read does not call the hook. */
	CHECK_INT(store_group_marks(f.st, 1, &low, &high, &count), MOOT_ENOTFOUND);
	CHECK_INT(y.calls, 0);
	/* A lone write does: the writer commits, the loop's write waits for it. */
	t0 = uv_hrtime();
	commit.rc = begin.rc;
	CHECK_INT(store_group_upsert(f.st, "l.test", "by the loop", 2, &id), 0);
	CHECK(uv_hrtime() - t0 >= 20 * 1000000ull);
	CHECK_INT(y.calls, 1);
	writer_drain(w);
	CHECK_INT(commit.rc, 0);
	/* Inside a transaction of its own, once: at its BEGIN. */
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(store_group_set_status(f.st, id, 0), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK_INT(y.calls, 2);
	store_on_write(f.st, NULL, NULL);
	CHECK_INT(store_group_set_status(f.st, id, 1), 0);
	CHECK_INT(y.calls, 2);
out:
	writer_free(w);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK_INT(uv_loop_close(&loop), 0);
	store_close(wst);
	fix_close(&f);
}

void test_writer(void)
{
	RUN(writer_order);
	RUN(writer_yield);
}
