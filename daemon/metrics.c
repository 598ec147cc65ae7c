/*
 * metrics.c: a minimal HTTP/1.0 endpoint for Prometheus.
 *
 * Only "GET /metrics" is answered (200, text/plain; version=0.0.4); every
 * other request gets 404, a request over 4 KiB or slower than 5 s is
 * dropped.  The listener binds only a loopback address (config.c checks),
 * so it needs no authentication.  Each scrape computes the figures fresh:
 * counters kept in struct mootd, per-group counts from memory, per-peer
 * queue lengths from the store (feed.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/moot.h"
#include "../proto/buf.h"
#include "feed.h"
#include "metrics.h"
#include "mootd.h"

#define MAX_REQUEST 4096
#define SCRAPE_TIMEOUT_MS 5000

struct scrape {
	uv_tcp_t tcp;			/* tcp.data == this */
	uv_timer_t timer;		/* drops a slow client */
	uv_write_t write;
	struct mootd *d;
	struct buf in;			/* the request so far */
	struct buf out;			/* the response */
	char rbuf[1024];		/* receive buffer; copied into `in` at once */
	int closing;
	int handles;			/* handles still open (tcp, timer) */
};

static uv_tcp_t *listener_of(struct mootd *d)
{
	return d->metrics;
}

/* Escape a label value (RFC-less but Prometheus: \\ \" \n). */
static void label(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_append(out, "\\", 1);
		if (*v == '\n')
			buf_puts(out, "\\n");
		else
			buf_append(out, v, 1);
	}
}

/* One metric without labels: its HELP and TYPE lines, then its value. */
static void metric(struct buf *out, const char *name, const char *type, const char *help,
		   unsigned long long value)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, value);
}

void metrics_render(struct mootd *d, struct buf *out)
{
	size_t i;

	metric(out, "moot_connections", "gauge", "Open client and peer connections.", d->nsessions);
	metric(out, "moot_connections_total", "counter", "Connections accepted since start.",
	       d->connections_total);
	metric(out, "moot_articles_received_total", "counter",
	       "Articles stored since start (posts and peers).", d->articles_in);
	metric(out, "moot_posts_rejected_total", "counter", "Posts refused with 441.", d->posts_rejected);
	metric(out, "moot_login_failures_total", "counter", "Failed AUTHINFO attempts.", d->login_failures);
	buf_puts(out, "# HELP moot_group_articles Articles in a group.\n"
		      "# TYPE moot_group_articles gauge\n");
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i]->active)
			continue;
		buf_puts(out, "moot_group_articles{group=\"");
		label(out, d->groups[i]->name);
		buf_printf(out, "\"} %lld\n", (long long)d->groups[i]->count);
	}
	feed_metrics(d, out);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct scrape *sc = h->data;

	if (--sc->handles == 0) {
		buf_release(&sc->in);
		buf_release(&sc->out);
		free(sc);
	}
}

static void scrape_close(struct scrape *sc)
{
	if (sc->closing)
		return;
	sc->closing = 1;
	uv_close((uv_handle_t *)&sc->timer, on_handle_closed);
	uv_close((uv_handle_t *)&sc->tcp, on_handle_closed);
}

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	scrape_close(req->data);
}

static void respond(struct scrape *sc)
{
	struct buf body = { 0 };
	int ok = strncmp(sc->in.data, "GET /metrics ", 13) == 0 || strncmp(sc->in.data, "GET /metrics\r", 13) == 0;
	uv_buf_t b;

	uv_read_stop((uv_stream_t *)&sc->tcp);
	if (ok)
		metrics_render(sc->d, &body);
	else
		buf_puts(&body, "not found: try /metrics\n");
	buf_printf(&sc->out, "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		   ok ? "200 OK" : "404 Not Found", body.len);
	buf_append(&sc->out, body.data, body.len);
	buf_release(&body);
	b = uv_buf_init(sc->out.data, (unsigned int)sc->out.len);
	sc->write.data = sc;
	if (uv_write(&sc->write, (uv_stream_t *)&sc->tcp, &b, 1, on_written) != 0)
		scrape_close(sc);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct scrape *sc = h->data;

	(void)suggested;
	*b = uv_buf_init(sc->rbuf, sizeof(sc->rbuf));
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *b)
{
	struct scrape *sc = stream->data;

	if (n < 0 || sc->in.len + (size_t)n > MAX_REQUEST) {
		scrape_close(sc);
		return;
	}
	buf_append(&sc->in, b->base, (size_t)n);
	if (sc->in.data && strstr(sc->in.data, "\r\n\r\n"))
		respond(sc);
}

static void on_timeout(uv_timer_t *t)
{
	scrape_close(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct mootd *d = server->data;
	struct scrape *sc;

	if (status < 0 || (sc = calloc(1, sizeof(*sc))) == NULL)
		return;
	sc->d = d;
	uv_tcp_init(d->loop, &sc->tcp);
	uv_timer_init(d->loop, &sc->timer);
	sc->tcp.data = sc;
	sc->timer.data = sc;
	sc->handles = 2;
	if (uv_accept(server, (uv_stream_t *)&sc->tcp) != 0 ||
	    uv_read_start((uv_stream_t *)&sc->tcp, on_alloc, on_read) != 0) {
		scrape_close(sc);
		return;
	}
	uv_timer_start(&sc->timer, on_timeout, SCRAPE_TIMEOUT_MS, 0);
}

int metrics_start(struct mootd *d)
{
	struct sockaddr_storage ss;
	uv_tcp_t *l;
	int rc;

	if (d->cfg.metrics_address == NULL)
		return 0;
	if (strchr(d->cfg.metrics_host, ':'))
		rc = uv_ip6_addr(d->cfg.metrics_host, d->cfg.metrics_port, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(d->cfg.metrics_host, d->cfg.metrics_port, (struct sockaddr_in *)&ss);
	if (rc != 0)
		return rc;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return MOOT_ENOMEM;
	uv_tcp_init(d->loop, l);
	l->data = d;
	rc = uv_tcp_bind(l, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)l, 64, on_connection);
	if (rc != 0) {
		log_err("metrics: cannot listen on %s: %s", d->cfg.metrics_address, uv_strerror(rc));
		uv_close((uv_handle_t *)l, (uv_close_cb)free);
		return rc;
	}
	d->metrics = l;
	log_info("metrics on http://%s/metrics", d->cfg.metrics_address);
	return 0;
}

void metrics_stop(struct mootd *d)
{
	uv_tcp_t *l = listener_of(d);

	if (l == NULL)
		return;
	uv_close((uv_handle_t *)l, (uv_close_cb)free);
	d->metrics = NULL;
}
