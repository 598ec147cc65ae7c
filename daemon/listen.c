/*
 * listen.c: the listening sockets.  Each configured address gets a TCP
 * listener; a connection on a TLS listener starts with the TLS handshake
 * (implicit TLS, RFC 8143), one on a plain listener may upgrade with
 * STARTTLS (RFC 4642).  Everything after accept is session.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "../proto/moot.h"
#include "listen.h"
#include "session.h"

struct listener {
	uv_tcp_t tcp;			/* the listening handle; tcp.data == this */
	struct mootd *d;
	int tls;			/* implicit TLS */
	char addr[80];			/* as configured, for logs */
	struct listener *next;		/* in d->listeners */
};

static void on_connection(uv_stream_t *server, int status)
{
	struct listener *l = server->data;

	if (status < 0) {
		log_warn("accept on %s: %s", l->addr, uv_strerror(status));
		return;
	}
	session_accept(l->d, server, l->tls);
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Bind and listen on one configured address. */
static int listen_one(struct mootd *d, const struct config_listen *cl, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct listener *l;
	int rc;

	if (strchr(cl->host, ':'))
		rc = uv_ip6_addr(cl->host, cl->port, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(cl->host, cl->port, (struct sockaddr_in *)&ss);
	if (rc != 0) {
		snprintf(err, errlen, "bad address '%s': %s", cl->address, uv_strerror(rc));
		return rc;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return MOOT_ENOMEM;
	l->d = d;
	l->tls = cl->tls;
	snprintf(l->addr, sizeof(l->addr), "%s", cl->address);
	uv_tcp_init(d->loop, &l->tcp);
	l->tcp.data = l;
	rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->tcp, 511, on_connection);
	if (rc != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", cl->address, uv_strerror(rc));
		uv_close((uv_handle_t *)&l->tcp, on_closed);
		return rc;
	}
	l->next = d->listeners;
	d->listeners = l;
	log_info("listening on %s (%s)", cl->address, cl->tls ? "TLS" : "plain, STARTTLS");
	return 0;
}

int listen_start(struct mootd *d, char *err, size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; i < d->cfg.nlisten; i++) {
		rc = listen_one(d, &d->cfg.listen[i], err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void listen_stop(struct mootd *d)
{
	struct listener *l, *next;

	for (l = d->listeners; l; l = next) {
		next = l->next;
		uv_close((uv_handle_t *)&l->tcp, on_closed);
	}
	d->listeners = NULL;
}
