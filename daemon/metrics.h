/*
 * metrics.h: operational figures in the Prometheus text format (version
 * 0.0.4), served over HTTP on the loopback address set in server.metrics.
 */
#ifndef METRICS_H
#define METRICS_H

struct mootd;
struct buf;

/* Listen on cfg.metrics_address, if set; 0 or an error (logged). */
int metrics_start(struct mootd *d);

/* Close the listener and any open scrapes. */
void metrics_stop(struct mootd *d);

/* The metrics text (what GET /metrics returns), appended to out. */
void metrics_render(struct mootd *d, struct buf *out);

#endif
