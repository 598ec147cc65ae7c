/*
 * writer.h: the storage writer thread (DESIGN.md, The loop: "move storage
 * to one writer thread fed by a queue").  The loop hands it jobs in order;
 * it runs each job's run() on its own thread, one after the other, and then
 * each job's done() on the loop.  A job is owned by its submitter; the
 * writer only links it.  The thread has no state of its own: what run()
 * touches (a store connection of its own, say) is the submitter's business,
 * and must not be touched by the loop until done() runs.
 */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>
#include <uv.h>

struct writer_job {
	struct writer_job *next;		/* in the queue (the writer's) */
	void (*run)(struct writer_job *job);	/* on the writer thread */
	void (*done)(struct writer_job *job);	/* afterwards on the loop; NULL: none */
};

/* The struct of type that embeds job as its member (for run and done). */
#define WRITER_OWNER(job, type, member) ((type *)((char *)(job) - offsetof(type, member)))

struct writer;

/* Start the thread on loop.  0 or a negative libuv code (*out NULL). */
int writer_new(uv_loop_t *loop, struct writer **out);

/* Queue job (run and done set) after every job queued before.  A job without
 * done wakes the thread only once a few are queued; one with done at once. */
void writer_submit(struct writer *w, struct writer_job *job);

/* Wait until every queued job has run, then run their done() here, on the
 * loop (for shutdown). */
void writer_drain(struct writer *w);

/* Drain, stop the thread and free it once the loop has closed its handle;
 * accepts NULL. */
void writer_free(struct writer *w);

#endif
