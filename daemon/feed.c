/*
 * feed.c: sending articles to peers.
 *
 * Each peer with an address has a feed: a client connection over the shared
 * transport (TLS with our client certificate, the peer's server checked by
 * CA or pinned fingerprint), which drains the peer's rows of the outq table
 * in article order.  With a peer that offers STREAMING (RFC 4644) it
 * pipelines CHECK and TAKETHIS with a bounded window; otherwise it uses
 * IHAVE (RFC 3977 §6.3.2) one article at a time.  A row leaves the queue
 * when the peer has the article (235, 239, 435, 438) or refuses it for good
 * (437, 439); "try later" (431, 436) leaves it for a rescan.  Failures close
 * the connection and retry with exponential backoff and jitter (1 s to 5
 * min).  Nothing is held in memory per queued article: the queue is read
 * from SQLite a window at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../proto/moot.h"
#include "../proto/line.h"
#include "../proto/tls.h"
#include "feed.h"
#include "ingest.h"
#include "mootd.h"
#include "store.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS (5 * 60 * 1000)
#define RESCAN_MS 2000			/* deferred (431/436) articles are offered again */
#define REPLY_TIMEOUT_MS 120000		/* a peer that stops answering is dropped */
#define WRITE_HWM (1024 * 1024)		/* stop offering while this much is unsent */
#define MAX_REPLY_LINE 4096

enum feed_phase {
	PH_IDLE,	/* not connected */
	PH_RESOLVING,
	PH_CONNECTING,
	PH_GREETING,	/* waiting for 200/201 (after TLS) */
	PH_CAPS,	/* CAPABILITIES sent */
	PH_CAPS_LIST,	/* reading the 101 list */
	PH_MODE,	/* MODE STREAM sent */
	PH_READY,	/* offering articles */
};

enum offer_state { O_CHECK, O_TAKETHIS, O_IHAVE, O_IHAVE_SENT };

struct offer {
	int64_t article_id;
	enum offer_state state;
	char msgid[MOOT_MAX_MSGID + 1];
};

struct feed;

/* One connection of a feed; freed in the transport's close callback. */
struct feed_conn {
	struct xport x;		/* x.data == this */
	struct feed *f;		/* NULL once the feed was dropped */
};

struct feed {
	struct mootd *d;
	struct feed *next;		/* in the list */
	char name[256];			/* the peer's name (config may be reloaded) */
	struct feed_conn *conn;		/* current connection, or NULL */
	struct tls_ctx *ctx;		/* client TLS context, or NULL without TLS */
	uv_timer_t timer;		/* reconnect backoff, rescans, reply timeout */
	uv_getaddrinfo_t gai;
	uv_connect_t connect;
	enum feed_phase phase;
	int streaming;			/* the peer takes CHECK/TAKETHIS */
	int work;			/* something may be queued */
	int removed;			/* dropped from the config: free when closed */
	int backing_off;		/* the timer is a reconnect backoff after a failure */
	int backoff_ms;
	int64_t cursor;			/* highest article id offered on this connection */
	int deferred;			/* 431/436 answers since the last rescan */
	struct buf in;			/* reply bytes not yet consumed */
	struct offer *win;		/* ring of offers awaiting their reply */
	size_t whead, wlen, wcap;
	uint64_t sent, refused, duplicates;
	char last_error[400];
};

static struct feed *feeds_of(struct mootd *d);

/* The feed list lives behind d->feeds (an opaque pointer in struct mootd). */
static struct feed *feeds_of(struct mootd *d)
{
	return d->feeds;
}

static const struct config_peer *peer_of(struct feed *f)
{
	return config_peer_find(&f->d->cfg, f->name);
}

static void schedule(struct feed *f, int ms);
static void pump(struct feed *f);
static void connect_now(struct feed *f);

/* ---- connection lifetime ---- */

static void conn_closed(struct xport *x)
{
	struct feed_conn *c = x->data;

	free(c);
}

/* Close the connection and forget what was in flight (it stays queued). */
static void hang_up(struct feed *f)
{
	if (f->conn) {
		f->conn->f = NULL;
		xport_close(&f->conn->x);
		f->conn = NULL;
	}
	f->phase = PH_IDLE;
	f->wlen = 0;
	f->whead = 0;
	f->cursor = 0;	/* what was in flight is offered again */
	buf_clear(&f->in);
}

/* Drop the connection; retry after a backoff when there may be work. */
static void fail(struct feed *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct feed *f, const char *fmt, ...)
{
	va_list ap;
	unsigned int r = 0;

	va_start(ap, fmt);
	vsnprintf(f->last_error, sizeof(f->last_error), fmt, ap);
	va_end(ap);
	log_warn("feed %s: %s", f->name, f->last_error);
	hang_up(f);
	f->backing_off = 1;
	f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (f->backoff_ms > BACKOFF_MAX_MS)
		f->backoff_ms = BACKOFF_MAX_MS;
	/* Jitter: 75% to 125% of the backoff, so peers do not retry in step. */
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = 0;
	schedule(f, f->backoff_ms * 3 / 4 + (int)(r % (unsigned int)(f->backoff_ms / 2 + 1)));
}

static int send_line(struct feed *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int send_line(struct feed *f, const char *fmt, ...)
{
	char line[MOOT_MAX_COMMAND];
	uv_buf_t b;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line) - 2)
		return MOOT_ETOOBIG;
	memcpy(line + n, "\r\n", 2);
	b = uv_buf_init(line, (unsigned int)n + 2);
	return xport_write(&f->conn->x, &b, 1);
}

/* ---- the window of offers ---- */

static struct offer *win_head(struct feed *f)
{
	return f->wlen ? &f->win[f->whead] : NULL;
}

static void win_pop(struct feed *f)
{
	f->whead = (f->whead + 1) % f->wcap;
	f->wlen--;
}

static int win_push(struct feed *f, const struct offer *o)
{
	if (f->wlen == f->wcap)
		return MOOT_ETOOBIG;
	f->win[(f->whead + f->wlen) % f->wcap] = *o;
	f->wlen++;
	return 0;
}

struct send_ctx {
	struct feed *f;
	const char *verb;	/* "TAKETHIS" or NULL for the IHAVE body */
	int rc;
};

/* store_article_get callback: command line (if any) and the article, one write. */
static int send_article(void *arg, const char *msgid, const char *head, size_t head_len,
			const char *body, size_t body_len)
{
	struct send_ctx *c = arg;
	char cmd[MOOT_MAX_MSGID + 16];
	uv_buf_t b[5];
	unsigned int n = 0;

	if (c->verb) {
		int len = snprintf(cmd, sizeof(cmd), "%s %s\r\n", c->verb, msgid);
		b[n++] = uv_buf_init(cmd, (unsigned int)len);
	}
	b[n++] = uv_buf_init((char *)head, (unsigned int)head_len);
	b[n++] = uv_buf_init((char *)"\r\n", 2);
	if (body_len)
		b[n++] = uv_buf_init((char *)body, (unsigned int)body_len);
	b[n++] = uv_buf_init((char *)".\r\n", 3);
	c->rc = xport_write(&c->f->conn->x, b, n);
	return 0;
}

/* Send the article (after TAKETHIS, or as an IHAVE body); 0, MOOT_ENOTFOUND, error. */
static int transfer(struct feed *f, int64_t article_id, const char *verb)
{
	struct send_ctx c = { f, verb, 0 };
	int rc = store_article_get(f->d->store, article_id, STORE_HEAD | STORE_BODY, send_article, &c);

	return rc != 0 ? rc : c.rc;
}

/* Done with an article for good: the peer has it or will never take it. */
static void settle(struct feed *f, int64_t article_id)
{
	/* With the next commit, which does not wait for the disk: were it
	 * lost, the article would only be offered again and answered 438. */
	ingest_dequeue(f->d, f->name, article_id);
}

struct fill_ctx {
	struct feed *f;
	int64_t ids[1024];
	int n;
};

static int collect(void *arg, int64_t article_id)
{
	struct fill_ctx *c = arg;

	c->ids[c->n++] = article_id;
	return 0;
}

static int get_msgid(void *arg, const char *msgid, const char *h, size_t hl, const char *b, size_t bl)
{
	snprintf(arg, MOOT_MAX_MSGID + 1, "%s", msgid);
	return 0;
}

/* Offer the next queued articles while the window and the socket have room. */
static void pump(struct feed *f)
{
	const struct config_peer *p = peer_of(f);
	struct fill_ctx c;
	size_t window;
	int i, got;

	if (f->phase != PH_READY || f->conn == NULL || p == NULL)
		return;
	window = f->streaming ? (size_t)p->window : 1;
	if (window > f->wcap)
		window = f->wcap;
	while (f->conn && f->wlen < window && f->conn->x.write_pending < WRITE_HWM) {
		c.f = f;
		c.n = 0;
		got = store_outq_next(f->d->store, f->name, f->cursor, (int)(window - f->wlen), collect, &c);
		if (got < 0) {
			fail(f, "cannot read the queue");
			return;
		}
		if (got == 0)
			break;
		for (i = 0; i < c.n; i++) {
			struct offer o = { c.ids[i], f->streaming ? O_CHECK : O_IHAVE, "" };
			f->cursor = c.ids[i];
			if (store_article_get(f->d->store, o.article_id, 0, get_msgid, o.msgid) != 0) {
				settle(f, o.article_id);	/* expired meanwhile */
				continue;
			}
			if (send_line(f, "%s %s", f->streaming ? "CHECK" : "IHAVE", o.msgid) != 0) {
				fail(f, "write failed");
				return;
			}
			win_push(f, &o);
		}
	}
	if (f->wlen > 0) {
		schedule(f, REPLY_TIMEOUT_MS);
	} else {
		f->work = 0;
		/* Offers the peer asked us to repeat later are found by a rescan. */
		schedule(f, f->deferred ? RESCAN_MS : 0);
	}
}

/* A reply to the offer at the head of the window (RFC 4644 §2.4-2.5, RFC 3977 §6.3.2). */
static void on_offer_reply(struct feed *f, int code)
{
	struct offer *o = win_head(f);
	struct offer next;
	int rc;

	if (o == NULL) {
		fail(f, "unexpected reply %d", code);
		return;
	}
	next = *o;
	win_pop(f);
	switch (o->state) {
	case O_CHECK:
		if (code == 238) {
			next.state = O_TAKETHIS;
			rc = transfer(f, next.article_id, "TAKETHIS");
			if (rc == MOOT_ENOTFOUND) {
				settle(f, next.article_id);
				break;
			}
			if (rc != 0 || win_push(f, &next) != 0) {
				fail(f, "cannot send %s", next.msgid);
				return;
			}
		} else if (code == 438) {
			f->duplicates++;
			settle(f, next.article_id);
		} else if (code == 431) {
			f->deferred++;
		} else {
			fail(f, "CHECK %s answered %d", next.msgid, code);
			return;
		}
		break;
	case O_TAKETHIS:
		if (code == 239) {
			f->sent++;
			settle(f, next.article_id);
		} else if (code == 439) {
			f->refused++;
			settle(f, next.article_id);
		} else {
			fail(f, "TAKETHIS %s answered %d", next.msgid, code);
			return;
		}
		break;
	case O_IHAVE:
		if (code == 335) {
			next.state = O_IHAVE_SENT;
			rc = transfer(f, next.article_id, NULL);
			if (rc != 0) {
				/* The peer waits for an article: the connection is lost. */
				fail(f, "cannot send %s", next.msgid);
				return;
			}
			win_push(f, &next);
		} else if (code == 435) {
			f->duplicates++;
			settle(f, next.article_id);
		} else if (code == 436) {
			f->deferred++;
		} else if (code == 437) {
			f->refused++;
			settle(f, next.article_id);
		} else {
			fail(f, "IHAVE %s answered %d", next.msgid, code);
			return;
		}
		break;
	case O_IHAVE_SENT:
		if (code == 235) {
			f->sent++;
			settle(f, next.article_id);
		} else if (code == 437) {
			f->refused++;
			settle(f, next.article_id);
		} else if (code == 436) {
			f->deferred++;
		} else {
			fail(f, "IHAVE %s transfer answered %d", next.msgid, code);
			return;
		}
		break;
	}
	f->backoff_ms = 0;	/* the peer works: the next failure starts from 1 s */
	f->backing_off = 0;
}

/* One line from the peer, according to where the conversation is. */
static void on_line(struct feed *f, const char *line, size_t len)
{
	int code = len >= 3 ? atoi(line) : 0;

	switch (f->phase) {
	case PH_GREETING:
		if (code != 200 && code != 201) {
			fail(f, "refused: %.*s", (int)(len > 100 ? 100 : len), line);
			return;
		}
		f->phase = PH_CAPS;
		send_line(f, "CAPABILITIES");
		return;
	case PH_CAPS:
		if (code == 101) {
			f->phase = PH_CAPS_LIST;
			f->streaming = 0;
			return;
		}
		/* No CAPABILITIES (an old server): try streaming anyway. */
		f->phase = PH_MODE;
		send_line(f, "MODE STREAM");
		return;
	case PH_CAPS_LIST:
		if (line_is_terminator(line, len)) {
			if (f->streaming) {
				f->phase = PH_MODE;
				send_line(f, "MODE STREAM");
			} else {
				f->phase = PH_READY;
				log_info("feed %s: connected (IHAVE)", f->name);
				pump(f);
			}
		} else if (len >= 9 && strncasecmp(line, "STREAMING", 9) == 0) {
			f->streaming = 1;
		}
		return;
	case PH_MODE:
		f->streaming = code == 203;
		f->phase = PH_READY;
		log_info("feed %s: connected (%s)", f->name, f->streaming ? "streaming" : "IHAVE");
		pump(f);
		return;
	case PH_READY:
		if (code == 400 && f->wlen == 0) {
			/* The peer closes an idle feed (RFC 3977 §5.1.1): not a failure.
			 * The timer reconnects when something is queued. */
			log_info("feed %s: closed by the peer while idle", f->name);
			hang_up(f);
			schedule(f, RESCAN_MS);
			return;
		}
		on_offer_reply(f, code);
		if (f->phase == PH_READY)
			pump(f);
		return;
	default:
		return;
	}
}

static void on_read(struct xport *x, const char *data, size_t len, int status)
{
	struct feed_conn *c = x->data;
	struct feed *f = c->f;
	size_t content, off = 0;
	ssize_t n;

	if (f == NULL)
		return;
	if (status < 0) {
		fail(f, "connection lost (%s)", status == MOOT_ETLS ? "TLS failure"
					       : status == UV_EOF ? "closed by peer" : uv_strerror(status));
		return;
	}
	buf_append(&f->in, data, len);
	/* Lines are taken by moving off and dropped together at the end: one
	 * memmove per read, not one per reply line. */
	while (f->conn == c && off < f->in.len) {
		n = line_next(f->in.data + off, f->in.len - off, MAX_REPLY_LINE, &content);
		if (n == 0)
			break;
		if (n < 0) {
			fail(f, "reply line too long");
			break;
		}
		f->in.data[off + content] = '\0';
		on_line(f, f->in.data + off, content);
		off += (size_t)n;
	}
	/* A dropped connection took its input with it (reset). */
	if (f->conn == c)
		buf_consume(&f->in, off);
}

static void on_drain(struct xport *x)
{
	struct feed_conn *c = x->data;

	if (c->f)
		pump(c->f);
}

static void on_handshake(struct xport *x, int status)
{
	struct feed_conn *c = x->data;
	struct feed *f = c->f;
	const struct config_peer *p;
	char fp[80];
	long v;

	if (f == NULL)
		return;
	p = peer_of(f);
	if (status != 0) {
		v = xport_verify_result(x);
		if (v > 0)
			fail(f, "TLS: certificate not trusted: %s", xport_verify_error(v));
		else
			fail(f, "TLS handshake failed");
		return;
	}
	if (p && p->fingerprint) {
		if (xport_peer_fingerprint(x, fp, sizeof(fp)) != 0 ||
		    !tls_fingerprint_equal(fp, p->fingerprint)) {
			fail(f, "certificate fingerprint mismatch: expected %s, presented %s",
			     p->fingerprint, fp);
			return;
		}
	}
}

static void on_connect(uv_connect_t *req, int status)
{
	struct feed *f = req->data;
	const struct config_peer *p;

	if (f->conn == NULL)
		return;
	if (status < 0) {
		fail(f, "cannot connect: %s", uv_strerror(status));
		return;
	}
	p = peer_of(f);
	f->phase = PH_GREETING;
	if (xport_start(&f->conn->x) != 0) {
		fail(f, "cannot read");
		return;
	}
	if (f->ctx && xport_start_tls(&f->conn->x, f->ctx, 0, p ? p->host : NULL) != 0) {
		fail(f, "cannot start TLS");
		return;
	}
	schedule(f, REPLY_TIMEOUT_MS);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct feed *f = req->data;
	struct feed_conn *c;

	if (status < 0 || f->removed) {
		if (res)
			uv_freeaddrinfo(res);
		if (!f->removed)
			fail(f, "cannot resolve: %s", uv_strerror(status));
		else
			f->phase = PH_IDLE;
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || xport_init(f->d->loop, &c->x) != 0) {
		free(c);
		uv_freeaddrinfo(res);
		fail(f, "out of memory");
		return;
	}
	c->f = f;
	c->x.data = c;
	c->x.read_cb = on_read;
	c->x.drain_cb = on_drain;
	c->x.close_cb = conn_closed;
	c->x.handshake_cb = on_handshake;
	f->conn = c;
	f->phase = PH_CONNECTING;
	f->connect.data = f;
	if (uv_tcp_connect(&f->connect, &c->x.tcp, res->ai_addr, on_connect) != 0) {
		uv_freeaddrinfo(res);
		fail(f, "cannot connect");
		return;
	}
	uv_freeaddrinfo(res);
}

static void connect_now(struct feed *f)
{
	const struct config_peer *p = peer_of(f);
	struct addrinfo hints;
	char port[16];

	if (p == NULL || p->address == NULL || f->phase != PH_IDLE || f->removed)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", p->port);
	f->phase = PH_RESOLVING;
	f->gai.data = f;
	if (uv_getaddrinfo(f->d->loop, &f->gai, on_resolved, p->host, port, &hints) != 0)
		fail(f, "cannot resolve %s", p->host);
}

/* The timer: reconnect, rescan, or give up on a silent peer. */
static void on_timer(uv_timer_t *t)
{
	struct feed *f = t->data;
	int64_t queued = 0;

	switch (f->phase) {
	case PH_IDLE:
		f->backing_off = 0;
		if (store_outq_count(f->d->store, f->name, &queued) == 0 && queued > 0)
			connect_now(f);
		return;
	case PH_READY:
		if (f->wlen > 0) {
			fail(f, "no reply for %d s", REPLY_TIMEOUT_MS / 1000);
			return;
		}
		/* Idle: offer again what the peer deferred. */
		f->cursor = 0;
		f->deferred = 0;
		pump(f);
		return;
	default:
		fail(f, "no answer while connecting");
		return;
	}
}

static void schedule(struct feed *f, int ms)
{
	if (ms > 0)
		uv_timer_start(&f->timer, on_timer, (uint64_t)ms, 0);
	else
		uv_timer_stop(&f->timer);
}

/* ---- the set of feeds ---- */

/* Make the TLS context for a peer: our client certificate, their CA or pin. */
static struct tls_ctx *make_ctx(struct mootd *d, const struct config_peer *p)
{
	char err[512];
	struct tls_ctx *ctx;

	if (!p->tls)
		return NULL;
	ctx = tls_ctx_client_new(p->ca, p->fingerprint == NULL, d->cfg.tls_client_certificate,
				 d->cfg.tls_client_key, err, sizeof(err));
	if (ctx == NULL)
		log_err("feed %s: %s", p->name, err);
	return ctx;
}

static struct feed *feed_new(struct mootd *d, const struct config_peer *p)
{
	struct feed *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->d = d;
	snprintf(f->name, sizeof(f->name), "%s", p->name);
	f->wcap = 1024;
	f->win = calloc(f->wcap, sizeof(*f->win));
	if (f->win == NULL) {
		free(f);
		return NULL;
	}
	f->ctx = make_ctx(d, p);
	uv_timer_init(d->loop, &f->timer);
	f->timer.data = f;
	f->next = d->feeds;
	d->feeds = f;
	return f;
}

static void timer_closed(uv_handle_t *h)
{
	struct feed *f = h->data;

	tls_ctx_free(f->ctx);
	buf_release(&f->in);
	free(f->win);
	free(f);
}

/* Unlink and free f (its connection closes on its own). */
static void feed_free(struct mootd *d, struct feed *f)
{
	struct feed **pp;

	for (pp = (struct feed **)&d->feeds; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	f->removed = 1;
	if (f->conn) {
		f->conn->f = NULL;
		xport_close(&f->conn->x);
		f->conn = NULL;
	}
	if (f->phase == PH_RESOLVING)
		uv_cancel((uv_req_t *)&f->gai);
	uv_close((uv_handle_t *)&f->timer, timer_closed);
}

int feed_start(struct mootd *d)
{
	size_t i;

	for (i = 0; i < d->cfg.npeers; i++) {
		const struct config_peer *p = &d->cfg.peers[i];
		struct feed *f;
		if (p->address == NULL)
			continue;
		f = feed_new(d, p);
		if (f == NULL)
			return MOOT_ENOMEM;
		/* Whatever was queued before a restart goes out now. */
		schedule(f, 10);
	}
	return 0;
}

void feed_reload(struct mootd *d)
{
	struct feed *f, *next;
	size_t i;

	for (f = feeds_of(d); f; f = next) {
		const struct config_peer *p = peer_of(f);
		next = f->next;
		if (p == NULL || p->address == NULL) {
			log_info("feed %s: removed from the configuration", f->name);
			feed_free(d, f);
			continue;
		}
		/* Address or TLS settings may have changed: new context, reconnect. */
		tls_ctx_free(f->ctx);
		f->ctx = make_ctx(d, p);
		if (f->conn) {
			log_info("feed %s: reconnecting after reload", f->name);
			hang_up(f);
			f->backoff_ms = 0;
			schedule(f, 10);
		}
	}
	for (i = 0; i < d->cfg.npeers; i++) {
		const struct config_peer *p = &d->cfg.peers[i];
		int found = 0;
		if (p->address == NULL)
			continue;
		for (f = feeds_of(d); f; f = f->next)
			found |= strcmp(f->name, p->name) == 0;
		if (!found && (f = feed_new(d, p)) != NULL)
			schedule(f, 10);
	}
}

void feed_kick(struct mootd *d, const char *name)
{
	struct feed *f;

	for (f = feeds_of(d); f; f = f->next) {
		if (strcmp(f->name, name) != 0)
			continue;
		f->work = 1;
		if (f->phase == PH_READY) {
			pump(f);
		} else if (f->phase == PH_IDLE && !f->backing_off) {
			/* Not waiting out a failure: connect now. */
			uv_timer_stop(&f->timer);
			connect_now(f);
		}
		return;
	}
}

void feed_stop(struct mootd *d)
{
	while (feeds_of(d))
		feed_free(d, feeds_of(d));
}

void feed_log_state(struct mootd *d)
{
	struct feed *f;
	int64_t queued;

	for (f = feeds_of(d); f; f = f->next) {
		queued = -1;
		store_outq_count(d->store, f->name, &queued);
		log_info("feed %s: %s, queue %lld, sent %llu, refused %llu, duplicates %llu%s%s",
			 f->name, f->phase == PH_READY ? "connected" : "not connected",
			 (long long)queued, (unsigned long long)f->sent,
			 (unsigned long long)f->refused, (unsigned long long)f->duplicates,
			 f->last_error[0] ? ", last error: " : "", f->last_error);
	}
}

void feed_metrics(struct mootd *d, struct buf *out)
{
	struct feed *f;
	int64_t queued;

	buf_puts(out, "# HELP moot_peer_connected 1 while the feed to a peer is connected.\n"
		      "# TYPE moot_peer_connected gauge\n");
	for (f = feeds_of(d); f; f = f->next)
		buf_printf(out, "moot_peer_connected{peer=\"%s\"} %d\n", f->name, f->phase == PH_READY);
	buf_puts(out, "# HELP moot_peer_queue Articles queued for a peer.\n"
		      "# TYPE moot_peer_queue gauge\n");
	for (f = feeds_of(d); f; f = f->next) {
		queued = 0;
		store_outq_count(d->store, f->name, &queued);
		buf_printf(out, "moot_peer_queue{peer=\"%s\"} %lld\n", f->name, (long long)queued);
	}
	buf_puts(out, "# HELP moot_peer_sent_total Articles a peer took since start.\n"
		      "# TYPE moot_peer_sent_total counter\n");
	for (f = feeds_of(d); f; f = f->next)
		buf_printf(out, "moot_peer_sent_total{peer=\"%s\"} %llu\n", f->name,
			   (unsigned long long)f->sent);
	buf_puts(out, "# HELP moot_peer_refused_total Articles a peer refused since start.\n"
		      "# TYPE moot_peer_refused_total counter\n");
	for (f = feeds_of(d); f; f = f->next)
		buf_printf(out, "moot_peer_refused_total{peer=\"%s\"} %llu\n", f->name,
			   (unsigned long long)f->refused);
}
