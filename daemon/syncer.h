/*
 * syncer.h: the storage thread (DESIGN.md, The loop).  It runs the slow,
 * blocking parts of durability off the event loop: the WAL's fdatasync that
 * makes a group of ingest commits durable, and WAL checkpoints.  One job at
 * a time; the loop is told on completion through a uv_async.
 */
#ifndef SYNCER_H
#define SYNCER_H

#include <uv.h>

struct store;

enum syncer_job {
	SYNCER_SYNC = 1,	/* store_sync: every commit so far is on disk */
	SYNCER_CHECKPOINT = 2,	/* store_checkpoint, after the sync when both */
};

/* Called on the loop: job is the part that finished (SYNCER_SYNC is reported
 * before the checkpoint of the same request starts), rc 0 or MOOT_ESTORE. */
typedef void (*syncer_cb)(void *arg, int job, int rc);

struct syncer;

/* Start the thread for store on loop; cb gets every completion.  0 or a
 * negative libuv code (then *out is NULL). */
int syncer_new(uv_loop_t *loop, struct store *st, syncer_cb cb, void *arg, struct syncer **out);

/* 1 while a request is running (its last completion not yet reported). */
int syncer_busy(const struct syncer *s);

/* Run jobs (a mask of enum syncer_job) on the thread; the syncer must not
 * be busy. */
void syncer_run(struct syncer *s, int jobs);

/* Finish the running request (its completions are not reported), stop the
 * thread and free it once the loop has closed its handle; accepts NULL. */
void syncer_free(struct syncer *s);

#endif
