/*
 * ingest.h: the one path every article takes in (POST, IHAVE, TAKETHIS,
 * approvals and cancels): validate, dedupe, number, store.  Articles that
 * arrive in one loop turn share one transaction (group commit), written on
 * the writer thread (writer.c); the callback, which sends the 2xx, runs only
 * after that transaction committed and the WAL holding it was synced to
 * disk (on the storage thread, syncer.c, while the loop goes on).
 */
#ifndef INGEST_H
#define INGEST_H

#include <stdint.h>

#include "../proto/buf.h"

struct mootd;

enum ingest_source {
	INGEST_POST = 0,	/* a reader's POST: we inject (RFC 5537 §3.5) */
	INGEST_PEER = 1,	/* transit from a peer (RFC 5537 §3.6) */
	INGEST_LOCAL = 2,	/* made by the server itself (a cancel from XCANCEL, an
				   approved article): injected like a post, may be a
				   control article */
};

/* Result of a queued article: status 0 stored; MOOT_EEXIST duplicate;
 * MOOT_ESTORE the commit failed.  msgid is the article's Message-ID. */
typedef void (*ingest_cb)(void *arg, int status, const char *msgid, const char *why);

int ingest_init(struct mootd *d);
void ingest_free(struct mootd *d);

/*
 * Take an article in wire form (without the "." line).  peer names the
 * configured peer it came from (INGEST_PEER; its accept wildmat applies), NULL
 * for a POST; offered is the message-id the peer announced (IHAVE/TAKETHIS),
 * which the article's Message-ID must match.  Checks it now; on a problem
 * returns MOOT_EPROTO (malformed, *why says what), MOOT_EEXIST (a duplicate
 * of one queued now), MOOT_ENOTFOUND (no such or no wanted group) or
 * MOOT_EINVAL (posting not allowed, or a Path loop), and cb is never called.
 * Otherwise returns 0 and cb runs once after the batch commits and is on
 * disk; a duplicate of a stored article is found then (status MOOT_EEXIST).
 * Takes ownership of art's memory (art is left empty).
 */
int ingest_article(struct mootd *d, int source, const char *peer, const char *offered,
		   struct buf *art, ingest_cb cb, void *arg, const char **why);

/* 1 if an article with msgid is taken and not yet answered (queued, or
 * committed and not yet on disk). */
int ingest_pending(struct mootd *d, const char *msgid);

/* Forget callbacks for arg (its session closed); their articles still commit. */
void ingest_forget(struct mootd *d, void *arg);

/*
 * Small writes that need not be on disk before anything is answered ride
 * along with the next commit instead of a transaction of their own: that
 * msgid was refused (history, so that it is not taken later), that
 * article_id left peer's queue (lost in a crash, the article is offered
 * again and refused as a duplicate).
 */
void ingest_refused(struct mootd *d, const char *msgid);
void ingest_dequeue(struct mootd *d, const char *peer, int64_t article_id);

/* 1 if ingest_refused(msgid) was called and is not committed yet. */
int ingest_was_refused(struct mootd *d, const char *msgid);

/* A new Message-ID "<time.random@pathhost>" into out (>= MOOT_MAX_MSGID + 1). */
void ingest_make_msgid(struct mootd *d, char *out, size_t outlen);

/* Commit the pending batch now and put every commit on disk, answering
 * all of them (used at shutdown). */
void ingest_flush(struct mootd *d);

/* Commit what this turn of the loop queued now, as the next turn would
 * (session_turn, before it takes more input). */
void ingest_end_turn(struct mootd *d);

/* Once a second: checkpoint the WAL off the loop when it has grown. */
void ingest_tick(struct mootd *d);

#endif
