/*
 * syncer.c: the storage threads beside the event loop that wait for the disk.
 *
 * Ingest commits each batch of articles into SQLite's WAL without waiting
 * for the disk (store_commit_nosync), numbers the commit and calls
 * syncer_sync; the 2xx replies of the batch go out when a sync covering that
 * number is reported.  The sync thread syncs while announced commits are not
 * yet covered: a sync takes every commit made before it started, and commits
 * that arrive during it get the next one straight away, without waiting for
 * the loop.  Checkpoints, which copy the WAL into the database, run on a
 * thread of their own: one takes milliseconds (thousands of pages copied,
 * then two flushes), and a sync waiting behind it held up every reply.
 *
 * The threads and the loop share only the fields under mu.  The threads
 * never touch loop state: they report through async, whose callback runs on
 * the loop and calls the owner's cb.
 */
#include <stdlib.h>

#include "../proto/moot.h"
#include "store.h"
#include "syncer.h"

struct syncer {
	struct store *st;	/* not owned */
	syncer_cb cb;		/* reports, on the loop */
	void *arg;
	uint64_t reported;	/* loop only: the generation last reported synced */
	uv_thread_t thread;	/* syncs */
	uv_thread_t ckpt_thread;	/* checkpoints */
	int ckpt_started;	/* ckpt_thread runs */
	uv_async_t async;	/* threads -> loop: something finished */
	uv_mutex_t mu;		/* guards the fields below */
	uv_cond_t cv;		/* loop -> sync thread: work or stop */
	uv_cond_t ckpt_cv;	/* loop -> checkpoint thread: work or stop */
	uint64_t committed;	/* the newest generation announced */
	uint64_t synced;	/* the newest generation on disk */
	int rc_sync;		/* a sync failed since the last report */
	int ckpt_wanted;	/* a checkpoint was asked for */
	int ckpt_done;		/* it ended, not yet reported */
	int rc_ckpt;
	int stop;		/* exit once nothing is owed */
};

static void worker(void *arg)
{
	struct syncer *s = arg;
	uint64_t target;
	int rc;

	uv_mutex_lock(&s->mu);
	for (;;) {
		while (s->committed == s->synced && !s->stop)
			uv_cond_wait(&s->cv, &s->mu);
		if (s->committed == s->synced)
			break;	/* stop, nothing owed */
		/* Everything announced so far is in the WAL file: one
		 * fdatasync covers it all. */
		target = s->committed;
		uv_mutex_unlock(&s->mu);
		rc = store_sync(s->st);
		uv_mutex_lock(&s->mu);
		s->synced = target;
		if (rc != 0)
			s->rc_sync = rc;
		uv_async_send(&s->async);
	}
	uv_mutex_unlock(&s->mu);
}

static void ckpt_worker(void *arg)
{
	struct syncer *s = arg;
	int rc;

	uv_mutex_lock(&s->mu);
	for (;;) {
		while (!s->ckpt_wanted && !s->stop)
			uv_cond_wait(&s->ckpt_cv, &s->mu);
		if (!s->ckpt_wanted)
			break;	/* stop */
		s->ckpt_wanted = 0;
		uv_mutex_unlock(&s->mu);
		rc = store_checkpoint(s->st);
		uv_mutex_lock(&s->mu);
		s->ckpt_done = 1;
		s->rc_ckpt = rc;
		uv_async_send(&s->async);
	}
	uv_mutex_unlock(&s->mu);
}

/* On the loop: report the newest sync, then a finished checkpoint. */
static void on_async(uv_async_t *h)
{
	struct syncer *s = h->data;
	uint64_t synced;
	int rc_sync, ckpt_done, rc_ckpt;

	uv_mutex_lock(&s->mu);
	synced = s->synced;
	rc_sync = s->rc_sync;
	ckpt_done = s->ckpt_done;
	rc_ckpt = s->rc_ckpt;
	s->rc_sync = 0;
	s->ckpt_done = 0;
	uv_mutex_unlock(&s->mu);
	if (synced != s->reported || rc_sync != 0) {
		s->reported = synced;
		s->cb(s->arg, SYNCER_SYNC, synced, rc_sync);
	}
	if (ckpt_done)
		s->cb(s->arg, SYNCER_CHECKPOINT, 0, rc_ckpt);
}

/* Let the threads finish what they run and exit, and wait for them. */
static void stop_threads(struct syncer *s)
{
	uv_mutex_lock(&s->mu);
	s->stop = 1;
	uv_cond_signal(&s->cv);
	uv_cond_signal(&s->ckpt_cv);
	uv_mutex_unlock(&s->mu);
	uv_thread_join(&s->thread);
	if (s->ckpt_started)
		uv_thread_join(&s->ckpt_thread);
}

static void on_closed(uv_handle_t *h)
{
	struct syncer *s = h->data;

	uv_cond_destroy(&s->ckpt_cv);
	uv_cond_destroy(&s->cv);
	uv_mutex_destroy(&s->mu);
	free(s);
}

int syncer_new(uv_loop_t *loop, struct store *st, syncer_cb cb, void *arg, struct syncer **out)
{
	struct syncer *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (s == NULL)
		return UV_ENOMEM;
	s->st = st;
	s->cb = cb;
	s->arg = arg;
	if ((rc = uv_mutex_init(&s->mu)) != 0)
		goto fail_mu;
	if ((rc = uv_cond_init(&s->cv)) != 0)
		goto fail_cv;
	if ((rc = uv_cond_init(&s->ckpt_cv)) != 0)
		goto fail_ckpt_cv;
	if ((rc = uv_async_init(loop, &s->async, on_async)) != 0)
		goto fail_async;
	s->async.data = s;
	/* Not a reason to keep the loop running: at shutdown ingest_flush
	 * answers everything without the threads. */
	uv_unref((uv_handle_t *)&s->async);
	if ((rc = uv_thread_create(&s->thread, worker, s)) != 0) {
		/* The close callback destroys the rest and frees it. */
		uv_close((uv_handle_t *)&s->async, on_closed);
		return rc;
	}
	if ((rc = uv_thread_create(&s->ckpt_thread, ckpt_worker, s)) != 0) {
		stop_threads(s);
		uv_close((uv_handle_t *)&s->async, on_closed);
		return rc;
	}
	s->ckpt_started = 1;
	*out = s;
	return 0;
fail_async:
	uv_cond_destroy(&s->ckpt_cv);
fail_ckpt_cv:
	uv_cond_destroy(&s->cv);
fail_cv:
	uv_mutex_destroy(&s->mu);
fail_mu:
	free(s);
	return rc;
}

void syncer_sync(struct syncer *s, uint64_t gen)
{
	uv_mutex_lock(&s->mu);
	if (gen > s->committed)
		s->committed = gen;
	uv_cond_signal(&s->cv);
	uv_mutex_unlock(&s->mu);
}

void syncer_checkpoint(struct syncer *s)
{
	uv_mutex_lock(&s->mu);
	s->ckpt_wanted = 1;
	uv_cond_signal(&s->ckpt_cv);
	uv_mutex_unlock(&s->mu);
}

void syncer_free(struct syncer *s)
{
	if (s == NULL)
		return;
	stop_threads(s);
	uv_close((uv_handle_t *)&s->async, on_closed);
}
