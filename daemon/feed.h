/*
 * feed.h: outgoing feeds, one per configured peer with an address.  What a
 * peer still has to receive is the outq table (filled by ingest.c in the
 * article's own transaction), so a restart of either side loses nothing.
 */
#ifndef FEED_H
#define FEED_H

struct mootd;

/* Create a feed for every peer with an address and start those with work. */
int feed_start(struct mootd *d);

/* The configuration changed (SIGHUP): add, keep or drop feeds to match. */
void feed_reload(struct mootd *d);

/* Articles were queued for peer name: send them soon. */
void feed_kick(struct mootd *d, const char *name);

/* Close every feed connection (SIGTERM); feeds are freed when closed. */
void feed_stop(struct mootd *d);

/* Log one line of state per feed (connected, queue, sent, refused, last error). */
void feed_log_state(struct mootd *d);

/* Per-peer figures in Prometheus text: connected, queue, sent, refused. */
struct buf;
void feed_metrics(struct mootd *d, struct buf *out);

#endif
