/*
 * writer.c: one thread that runs the loop's storage jobs in order.
 *
 * Ingest's SQL (the article rows, numbering, figures and the commit) is
 * half of the loop's time per ingested article; on this thread it runs
 * beside the loop, which meanwhile reads, decrypts and checks the next
 * articles.  Jobs queue under mu; the thread takes the whole queue at a
 * time and runs it with mu released, then hands the jobs that want it to
 * the loop (done() through async).
 *
 * Waking the thread is a futex call on each side; an ingest queues one job
 * per article, so a job without done() wakes a sleeping thread only once
 * WAKE_AFTER are queued (the commit that follows them always wakes it).
 */
#include <stdlib.h>

#include "writer.h"

#define WAKE_AFTER 4

struct writer {
	uv_thread_t thread;
	uv_async_t async;		/* thread -> loop: jobs have run */
	uv_mutex_t mu;			/* guards everything below */
	uv_cond_t work;			/* loop -> thread: jobs queued, or stop */
	uv_cond_t idle;			/* thread -> writer_drain: the queue is empty */
	struct writer_job *head, **tail;	/* queued, not taken yet */
	int nqueued;
	struct writer_job *fin, **fin_tail;	/* run; their done() not called yet */
	int sleeping;			/* the thread waits on work */
	int running;			/* the thread runs a list it took */
	int stop;			/* exit once the queue is empty */
};

static void worker(void *arg)
{
	struct writer *w = arg;
	struct writer_job *list, *j, *next;
	int finished;

	uv_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stop) {
			w->sleeping = 1;
			uv_cond_wait(&w->work, &w->mu);
			w->sleeping = 0;
		}
		if (w->head == NULL)
			break;	/* stop, and nothing left */
		list = w->head;
		w->head = NULL;
		w->tail = &w->head;
		w->nqueued = 0;
		w->running = 1;
		uv_mutex_unlock(&w->mu);
		finished = 0;
		for (j = list; j != NULL; j = next) {
			next = j->next;
			j->run(j);
			if (j->done != NULL) {
				/* Handed back below, in order; j->next is ours until then. */
				j->next = NULL;
				uv_mutex_lock(&w->mu);
				*w->fin_tail = j;
				w->fin_tail = &j->next;
				uv_mutex_unlock(&w->mu);
				finished = 1;
			}
		}
		if (finished)
			uv_async_send(&w->async);
		uv_mutex_lock(&w->mu);
		w->running = 0;
		uv_cond_broadcast(&w->idle);
	}
	uv_mutex_unlock(&w->mu);
}

/* Take the jobs that have run; the caller calls their done(). */
static struct writer_job *take_finished(struct writer *w)
{
	struct writer_job *list;

	uv_mutex_lock(&w->mu);
	list = w->fin;
	w->fin = NULL;
	w->fin_tail = &w->fin;
	uv_mutex_unlock(&w->mu);
	return list;
}

static void run_done(struct writer_job *list)
{
	struct writer_job *next;

	for (; list != NULL; list = next) {
		next = list->next;
		list->done(list);
	}
}

static void on_async(uv_async_t *h)
{
	run_done(take_finished(h->data));
}

static void on_closed(uv_handle_t *h)
{
	struct writer *w = h->data;

	uv_cond_destroy(&w->idle);
	uv_cond_destroy(&w->work);
	uv_mutex_destroy(&w->mu);
	free(w);
}

int writer_new(uv_loop_t *loop, struct writer **out)
{
	struct writer *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (w == NULL)
		return UV_ENOMEM;
	w->tail = &w->head;
	w->fin_tail = &w->fin;
	if ((rc = uv_mutex_init(&w->mu)) != 0)
		goto fail_mu;
	if ((rc = uv_cond_init(&w->work)) != 0)
		goto fail_work;
	if ((rc = uv_cond_init(&w->idle)) != 0)
		goto fail_idle;
	if ((rc = uv_async_init(loop, &w->async, on_async)) != 0)
		goto fail_async;
	w->async.data = w;
	/* Not a reason to keep the loop running: shutdown drains it by hand. */
	uv_unref((uv_handle_t *)&w->async);
	if ((rc = uv_thread_create(&w->thread, worker, w)) != 0) {
		/* The close callback destroys the rest and frees it. */
		uv_close((uv_handle_t *)&w->async, on_closed);
		return rc;
	}
	*out = w;
	return 0;
fail_async:
	uv_cond_destroy(&w->idle);
fail_idle:
	uv_cond_destroy(&w->work);
fail_work:
	uv_mutex_destroy(&w->mu);
fail_mu:
	free(w);
	return rc;
}

void writer_submit(struct writer *w, struct writer_job *job)
{
	job->next = NULL;
	uv_mutex_lock(&w->mu);
	*w->tail = job;
	w->tail = &job->next;
	w->nqueued++;
	if (w->sleeping && (job->done != NULL || w->nqueued >= WAKE_AFTER))
		uv_cond_signal(&w->work);
	uv_mutex_unlock(&w->mu);
}

void writer_drain(struct writer *w)
{
	uv_mutex_lock(&w->mu);
	uv_cond_signal(&w->work);	/* even for fewer than WAKE_AFTER */
	while (w->head != NULL || w->running)
		uv_cond_wait(&w->idle, &w->mu);
	uv_mutex_unlock(&w->mu);
	run_done(take_finished(w));
}

void writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	writer_drain(w);
	uv_mutex_lock(&w->mu);
	w->stop = 1;
	uv_cond_signal(&w->work);
	uv_mutex_unlock(&w->mu);
	uv_thread_join(&w->thread);
	uv_close((uv_handle_t *)&w->async, on_closed);
}
