/*
 * syncer.h: the storage threads that wait for the disk (DESIGN.md, The
 * loop).  They run the slow, blocking parts of durability off the event
 * loop: the WAL's fdatasync that makes ingest's commits durable, and, on a
 * thread of its own so that no sync waits behind one, WAL checkpoints.
 * Ingest numbers its commits (generations) and announces each; the sync
 * thread syncs until it has covered the newest one, starting the next sync
 * at once when commits came during the last, and reports through a uv_async.
 */
#ifndef SYNCER_H
#define SYNCER_H

#include <stdint.h>
#include <uv.h>

struct store;

enum syncer_job {
	SYNCER_SYNC = 1,	/* store_sync: commits up to a generation are on disk */
	SYNCER_CHECKPOINT = 2,	/* store_checkpoint finished */
};

/*
 * Called on the loop.  SYNCER_SYNC: every commit announced with a generation
 * <= gen is on disk (rc 0), or a sync since the last report failed (rc
 * MOOT_ESTORE).  SYNCER_CHECKPOINT: the checkpoint asked for ended (gen 0).
 */
typedef void (*syncer_cb)(void *arg, int job, uint64_t gen, int rc);

struct syncer;

/* Start the thread for store on loop; cb gets every report.  0 or a
 * negative libuv code (then *out is NULL). */
int syncer_new(uv_loop_t *loop, struct store *st, syncer_cb cb, void *arg, struct syncer **out);

/* A commit with generation gen (greater than any before) wants its sync;
 * callable from any thread. */
void syncer_sync(struct syncer *s, uint64_t gen);

/* Ask for one checkpoint (it runs beside the syncs); the caller asks again
 * only after its report. */
void syncer_checkpoint(struct syncer *s);

/* Finish the running jobs (their reports are not made), stop the threads
 * and free it once the loop has closed its handle; accepts NULL. */
void syncer_free(struct syncer *s);

#endif
