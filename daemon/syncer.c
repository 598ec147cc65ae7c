/*
 * syncer.c: one storage thread beside the event loop.
 *
 * The loop commits each batch of ingested articles into SQLite's WAL without
 * waiting for the disk (store_commit_nosync) and asks this thread for an
 * fdatasync of the WAL; the 2xx replies of the batch go out when the sync is
 * reported back.  While the disk works, the loop keeps reading, parsing and
 * committing the next batch, whose sync follows.  Checkpoints, which copy the
 * WAL into the database and sync it, run here too.
 *
 * The thread and the loop share only the fields under mu.  The thread never
 * touches loop state: it reports through async, whose callback runs on the
 * loop and calls the owner's cb.
 */
#include <assert.h>
#include <stdlib.h>

#include "../proto/moot.h"
#include "store.h"
#include "syncer.h"

struct syncer {
	struct store *st;	/* not owned */
	syncer_cb cb;		/* completions, on the loop */
	void *arg;
	int busy;		/* loop only: jobs asked and not yet reported */
	uv_thread_t thread;
	uv_async_t async;	/* thread -> loop: something finished */
	uv_mutex_t mu;		/* guards the fields below */
	uv_cond_t cv;		/* loop -> thread: a request or stop */
	int want;		/* jobs asked and not yet taken by the thread */
	int done;		/* jobs finished and not yet reported */
	int rc_sync, rc_ckpt;	/* their results */
	int stop;		/* the thread should exit once want is done */
};

/* Record a finished job and wake the loop. */
static void finish(struct syncer *s, int job, int rc)
{
	uv_mutex_lock(&s->mu);
	if (job == SYNCER_SYNC)
		s->rc_sync = rc;
	else
		s->rc_ckpt = rc;
	s->done |= job;
	uv_mutex_unlock(&s->mu);
	uv_async_send(&s->async);
}

static void worker(void *arg)
{
	struct syncer *s = arg;
	int jobs;

	uv_mutex_lock(&s->mu);
	for (;;) {
		while (s->want == 0 && !s->stop)
			uv_cond_wait(&s->cv, &s->mu);
		if (s->want == 0)
			break;	/* asked to stop, nothing left to do */
		jobs = s->want;
		s->want = 0;
		uv_mutex_unlock(&s->mu);
		if (jobs & SYNCER_SYNC)
			finish(s, SYNCER_SYNC, store_sync(s->st));
		if (jobs & SYNCER_CHECKPOINT)
			finish(s, SYNCER_CHECKPOINT, store_checkpoint(s->st));
		uv_mutex_lock(&s->mu);
	}
	uv_mutex_unlock(&s->mu);
}

/* On the loop: report what finished, the sync before the checkpoint.  A bit
 * leaves busy before its callback, so the callback may run the next request. */
static void on_async(uv_async_t *h)
{
	struct syncer *s = h->data;
	int done, rc_sync, rc_ckpt;

	uv_mutex_lock(&s->mu);
	done = s->done;
	rc_sync = s->rc_sync;
	rc_ckpt = s->rc_ckpt;
	s->done = 0;
	uv_mutex_unlock(&s->mu);
	if (done & SYNCER_SYNC) {
		s->busy &= ~SYNCER_SYNC;
		s->cb(s->arg, SYNCER_SYNC, rc_sync);
	}
	if (done & SYNCER_CHECKPOINT) {
		s->busy &= ~SYNCER_CHECKPOINT;
		s->cb(s->arg, SYNCER_CHECKPOINT, rc_ckpt);
	}
}

static void on_closed(uv_handle_t *h)
{
	struct syncer *s = h->data;

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
	if ((rc = uv_async_init(loop, &s->async, on_async)) != 0)
		goto fail_async;
	s->async.data = s;
	/* Not a reason to keep the loop running: at shutdown ingest_flush
	 * answers everything without the thread. */
	uv_unref((uv_handle_t *)&s->async);
	if ((rc = uv_thread_create(&s->thread, worker, s)) != 0)
		goto fail_thread;
	*out = s;
	return 0;
fail_thread:
	/* The handle is closed and the struct freed by the close callback. */
	uv_close((uv_handle_t *)&s->async, on_closed);
	return rc;
fail_async:
	uv_cond_destroy(&s->cv);
fail_cv:
	uv_mutex_destroy(&s->mu);
fail_mu:
	free(s);
	return rc;
}

int syncer_busy(const struct syncer *s)
{
	return s->busy != 0;
}

void syncer_run(struct syncer *s, int jobs)
{
	assert(s->busy == 0 && jobs != 0);
	s->busy = jobs;
	uv_mutex_lock(&s->mu);
	s->want = jobs;
	uv_cond_signal(&s->cv);
	uv_mutex_unlock(&s->mu);
}

void syncer_free(struct syncer *s)
{
	if (s == NULL)
		return;
	uv_mutex_lock(&s->mu);
	s->stop = 1;
	uv_cond_signal(&s->cv);
	uv_mutex_unlock(&s->mu);
	uv_thread_join(&s->thread);
	uv_close((uv_handle_t *)&s->async, on_closed);
}
