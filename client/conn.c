/*
 * conn.c: the client's synchronous NNTP connection.
 *
 * A command-line reader wants "send this, give me the reply", so each call
 * here writes through the shared transport (proto/tls.c) and then runs a
 * private libuv loop until the bytes it waits for have arrived, the
 * connection failed, or the per-reply timeout passed.  The transport is the
 * daemon's, so TLS, dot-stuffing and line framing are the same code on both
 * sides of the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/moot.h"
#include "../proto/line.h"
#include "../proto/tls.h"
#include "conn.h"

#define MAX_REPLY_LINE (1024 * 1024)	/* longest line we accept from a server */

struct conn {
	uv_loop_t loop;
	struct xport x;			/* the transport; x.data == this */
	uv_timer_t timer;		/* per-wait timeout */
	uv_connect_t connect;
	struct tls_ctx *ctx;		/* client TLS context, or NULL */
	struct conn_opts o;		/* as given (strings not copied) */
	struct buf in;			/* plaintext received, not yet consumed */
	int status;			/* first transport error, or 0 */
	int connected;			/* TCP connect finished */
	int handshake;			/* 1 done, -1 failed, 0 pending */
	int timed_out;
	int closed;			/* close callback ran */
	int authenticated;
	char err[512];
};

const char *conn_error(const struct conn *c)
{
	return c->err;
}

static void on_read(struct xport *x, const char *data, size_t len, int status)
{
	struct conn *c = x->data;

	if (status < 0) {
		if (c->status == 0)
			c->status = status;
		xport_pause(x);
		return;
	}
	if (c->in.len + len > 2 * MAX_REPLY_LINE + 65536 && memchr(c->in.data, '\n', c->in.len) == NULL) {
		c->status = MOOT_ETOOBIG;
		xport_pause(x);
		return;
	}
	buf_append(&c->in, data, len);
}

static void on_handshake(struct xport *x, int status)
{
	struct conn *c = x->data;

	c->handshake = status == 0 ? 1 : -1;
}

static void on_closed(struct xport *x)
{
	struct conn *c = x->data;

	c->closed = 1;
}

static void on_connect(uv_connect_t *req, int status)
{
	struct conn *c = req->data;

	c->connected = 1;
	if (status < 0)
		c->status = status;
}

static void on_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;

	c->timed_out = 1;
}

/* Wait states for run_until. */
enum wait_for { W_CONNECT, W_HANDSHAKE, W_LINE, W_CLOSE };

static int ready(struct conn *c, enum wait_for w)
{
	switch (w) {
	case W_CONNECT:
		return c->connected;
	case W_HANDSHAKE:
		return c->handshake != 0;
	case W_LINE:
		return c->in.len && memchr(c->in.data, '\n', c->in.len) != NULL;
	case W_CLOSE:
		return c->closed;
	}
	return 1;
}

/* Run the loop until w is satisfied; 0, or CONN_ENET on error/timeout. */
static int run_until(struct conn *c, enum wait_for w)
{
	c->timed_out = 0;
	uv_timer_start(&c->timer, on_timeout, (uint64_t)c->o.timeout_ms, 0);
	while (!ready(c, w) && !c->timed_out && (c->status == 0 || w == W_CLOSE || w == W_CONNECT))
		uv_run(&c->loop, UV_RUN_ONCE);
	uv_timer_stop(&c->timer);
	if (ready(c, w))
		return 0;
	if (c->timed_out)
		snprintf(c->err, sizeof(c->err), "%s:%d: no answer within %d ms", c->o.host, c->o.port,
			 c->o.timeout_ms);
	else if (c->status == MOOT_ETLS)
		snprintf(c->err, sizeof(c->err), "%s:%d: TLS failure", c->o.host, c->o.port);
	else if (c->status == MOOT_ETOOBIG)
		snprintf(c->err, sizeof(c->err), "%s:%d: reply line too long", c->o.host, c->o.port);
	else
		snprintf(c->err, sizeof(c->err), "%s:%d: connection lost: %s", c->o.host, c->o.port,
			 c->status < 0 && c->status > -10000 ? uv_strerror(c->status) : "closed");
	return CONN_ENET;
}

/* Take one line (without CRLF) from the input into out (NUL-terminated). */
static int read_line(struct conn *c, struct buf *out)
{
	size_t content;
	ssize_t n;
	int rc = run_until(c, W_LINE);

	if (rc != 0)
		return rc;
	n = line_next(c->in.data, c->in.len, MAX_REPLY_LINE, &content);
	if (n <= 0) {
		snprintf(c->err, sizeof(c->err), "%s:%d: reply line too long", c->o.host, c->o.port);
		return CONN_ENET;
	}
	buf_clear(out);
	buf_append(out, c->in.data, content);
	buf_consume(&c->in, (size_t)n);
	return 0;
}

/* Read a status line: code and text. */
static int read_status(struct conn *c, int *code, char *text, size_t textlen)
{
	struct buf line = { 0 };
	int rc = read_line(c, &line);

	if (rc != 0)
		return rc;
	if (line.len < 3 || line.data[0] < '1' || line.data[0] > '5' ||
	    line.data[1] < '0' || line.data[1] > '9' || line.data[2] < '0' || line.data[2] > '9') {
		snprintf(c->err, sizeof(c->err), "%s:%d: not an NNTP reply: '%.60s'", c->o.host,
			 c->o.port, line.data ? line.data : "");
		buf_release(&line);
		return CONN_ENET;
	}
	*code = (line.data[0] - '0') * 100 + (line.data[1] - '0') * 10 + (line.data[2] - '0');
	if (text && textlen)
		snprintf(text, textlen, "%s", line.len > 4 ? line.data + 4 : "");
	buf_release(&line);
	return 0;
}

static int send_line(struct conn *c, const char *line)
{
	uv_buf_t b[2] = { uv_buf_init((char *)line, (unsigned int)strlen(line)),
			  uv_buf_init((char *)"\r\n", 2) };

	if (xport_write(&c->x, b, 2) != 0) {
		snprintf(c->err, sizeof(c->err), "%s:%d: write failed", c->o.host, c->o.port);
		return CONN_ENET;
	}
	return 0;
}

/* Start TLS and check the server: CA verification or the pinned fingerprint. */
static int start_tls(struct conn *c)
{
	char fp[80] = "(none)";
	long v;
	int rc;

	if (xport_start_tls(&c->x, c->ctx, 0, c->o.host) != 0) {
		snprintf(c->err, sizeof(c->err), "cannot start TLS");
		return CONN_ETLS;
	}
	rc = run_until(c, W_HANDSHAKE);
	if (rc != 0 || c->handshake < 0) {
		v = xport_verify_result(&c->x);
		if (v > 0)
			snprintf(c->err, sizeof(c->err),
				 "%s:%d: server certificate not trusted: %s (use --ca FILE, a fingerprint pin, or --insecure)",
				 c->o.host, c->o.port, xport_verify_error(v));
		else if (rc == 0 || c->status == MOOT_ETLS)
			snprintf(c->err, sizeof(c->err), "%s:%d: TLS handshake failed", c->o.host, c->o.port);
		return CONN_ETLS;
	}
	if (c->o.fingerprint && !c->o.insecure) {
		if (xport_peer_fingerprint(&c->x, fp, sizeof(fp)) != 0 ||
		    !tls_fingerprint_equal(fp, c->o.fingerprint)) {
			snprintf(c->err, sizeof(c->err),
				 "certificate fingerprint mismatch: expected %s, server presented %s",
				 c->o.fingerprint, fp);
			return CONN_ETLS;
		}
	}
	return 0;
}

/* RFC 4643 §2.3: AUTHINFO USER then PASS, never in plaintext unless insecure. */
static int authenticate(struct conn *c)
{
	char line[600], text[256];
	int code, rc;

	if (c->o.user == NULL || c->o.password == NULL) {
		snprintf(c->err, sizeof(c->err), "the server requires authentication: set user and password_command");
		return CONN_EAUTH;
	}
	if (!xport_is_tls(&c->x) && !c->o.insecure) {
		snprintf(c->err, sizeof(c->err), "refusing to send a password over an unencrypted connection");
		return CONN_EAUTH;
	}
	/* One argument each (RFC 4643 §2.3.2): no blanks or control characters. */
	if (strpbrk(c->o.user, " \t\r\n") || strpbrk(c->o.password, "\r\n")) {
		snprintf(c->err, sizeof(c->err), "user name or password contains a blank or a line break");
		return CONN_EAUTH;
	}
	snprintf(line, sizeof(line), "AUTHINFO USER %s", c->o.user);
	if ((rc = send_line(c, line)) != 0 || (rc = read_status(c, &code, text, sizeof(text))) != 0)
		return rc;
	if (code == 381) {
		snprintf(line, sizeof(line), "AUTHINFO PASS %s", c->o.password);
		if ((rc = send_line(c, line)) != 0 || (rc = read_status(c, &code, text, sizeof(text))) != 0)
			return rc;
	}
	if (code != 281) {
		snprintf(c->err, sizeof(c->err), "authentication refused: %d %s", code, text);
		return CONN_EAUTH;
	}
	c->authenticated = 1;
	return 0;
}

/* Resolve, then connect to each address in turn until one answers. */
static int dial(struct conn *c)
{
	uv_getaddrinfo_t gai;
	struct addrinfo hints, *ai;
	char port[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", c->o.port);
	rc = uv_getaddrinfo(&c->loop, &gai, NULL, c->o.host, port, &hints);	/* synchronous */
	if (rc != 0) {
		snprintf(c->err, sizeof(c->err), "%s: cannot resolve: %s", c->o.host, uv_strerror(rc));
		return CONN_ENET;
	}
	for (ai = gai.addrinfo; ai; ai = ai->ai_next) {
		if (ai != gai.addrinfo) {
			/* A failed attempt leaves the handle unusable: start afresh. */
			xport_abort(&c->x);
			run_until(c, W_CLOSE);
			xport_init(&c->loop, &c->x);
			c->x.data = c;
			c->x.read_cb = on_read;
			c->x.handshake_cb = on_handshake;
			c->x.close_cb = on_closed;
			c->closed = 0;
		}
		c->status = 0;
		c->connected = 0;
		c->connect.data = c;
		rc = uv_tcp_connect(&c->connect, &c->x.tcp, ai->ai_addr, on_connect);
		if (rc == 0)
			rc = run_until(c, W_CONNECT);
		if (rc == 0 && c->status == 0)
			break;
		if (rc == 0)
			rc = c->status;
	}
	uv_freeaddrinfo(gai.addrinfo);
	if (rc != 0 || c->status != 0) {
		snprintf(c->err, sizeof(c->err), "%s:%d: cannot connect: %s", c->o.host, c->o.port,
			 uv_strerror(c->status ? c->status : rc));
		return CONN_ENET;
	}
	return xport_start(&c->x) == 0 ? 0 : CONN_ENET;
}

/* The greeting, STARTTLS when asked, MODE READER. */
static int handshake_nntp(struct conn *c)
{
	char text[256];
	int code, rc;

	if ((rc = read_status(c, &code, text, sizeof(text))) != 0)
		return rc;
	if (code != 200 && code != 201) {
		snprintf(c->err, sizeof(c->err), "%s:%d: server refused the connection: %d %s",
			 c->o.host, c->o.port, code, text);
		return CONN_ENET;
	}
	if (c->o.tls == CONN_TLS_STARTTLS) {
		if ((rc = send_line(c, "STARTTLS")) != 0 || (rc = read_status(c, &code, text, sizeof(text))) != 0)
			return rc;
		if (code != 382) {
			snprintf(c->err, sizeof(c->err), "%s:%d: STARTTLS refused: %d %s", c->o.host,
				 c->o.port, code, text);
			return CONN_ETLS;
		}
		if ((rc = start_tls(c)) != 0)
			return rc;
	}
	if (c->o.user && c->o.password && (xport_is_tls(&c->x) || c->o.insecure)) {
		if ((rc = authenticate(c)) != 0)
			return rc;
	}
	/* RFC 3977 §5.3; a server that does not know it answers 5xx: harmless. */
	if ((rc = send_line(c, "MODE READER")) != 0 || (rc = read_status(c, &code, text, sizeof(text))) != 0)
		return rc;
	return 0;
}

int conn_open(const struct conn_opts *o, struct conn **out, char *err, size_t errlen)
{
	struct conn *c = calloc(1, sizeof(*c));
	char e[256];
	int rc;

	*out = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return MOOT_ENOMEM;
	}
	c->o = *o;
	if (c->o.timeout_ms <= 0)
		c->o.timeout_ms = 30000;
	uv_loop_init(&c->loop);
	uv_timer_init(&c->loop, &c->timer);
	c->timer.data = c;
	xport_init(&c->loop, &c->x);
	c->x.data = c;
	c->x.read_cb = on_read;
	c->x.handshake_cb = on_handshake;
	c->x.close_cb = on_closed;
	if (o->insecure && o->tls != CONN_TLS_OFF)
		fprintf(stderr, "moot: warning: --insecure: the server's certificate is not checked\n");
	if (o->tls != CONN_TLS_OFF) {
		int verify = !o->insecure && o->fingerprint == NULL;
		c->ctx = tls_ctx_client_new(o->ca, verify, NULL, NULL, e, sizeof(e));
		if (c->ctx == NULL) {
			snprintf(c->err, sizeof(c->err), "%s", e);
			rc = CONN_ETLS;
			goto fail;
		}
	}
	rc = dial(c);
	if (rc == 0 && o->tls == CONN_TLS_IMPLICIT)
		rc = start_tls(c);
	if (rc == 0)
		rc = handshake_nntp(c);
	if (rc != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	snprintf(err, errlen, "%s", c->err);
	c->status = c->status ? c->status : UV_ECANCELED;
	conn_close(c);
	return rc;
}

int conn_cmd(struct conn *c, const char *line, int *code, char *text, size_t textlen)
{
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((rc = send_line(c, line)) != 0 || (rc = read_status(c, code, text, textlen)) != 0)
			return rc;
		/* RFC 4643 §2.3.1: 480 means authenticate, then retry. */
		if (*code != 480 || c->authenticated || tries == 1)
			return 0;
		if ((rc = authenticate(c)) != 0)
			return rc;
	}
	return 0;
}

int conn_read_block(struct conn *c, struct buf *out)
{
	struct buf line = { 0 };
	int rc;

	for (;;) {
		if ((rc = read_line(c, &line)) != 0)
			break;
		if (line_is_terminator(line.data ? line.data : "", line.len))
			break;
		line.len = line_unstuff(line.data ? line.data : (char *)"", line.len);
		buf_append(out, line.data, line.len);
		buf_append(out, "\n", 1);
	}
	buf_release(&line);
	return rc;
}

int conn_post(struct conn *c, const char *article, size_t len, int *code, char *text, size_t textlen)
{
	struct buf wire = { 0 };
	uv_buf_t b;
	int rc;

	if ((rc = conn_cmd(c, "POST", code, text, textlen)) != 0)
		return rc;
	if (*code != 340)
		return 0;
	line_stuff_text(&wire, article, len);
	buf_append(&wire, ".\r\n", 3);
	b = uv_buf_init(wire.data, (unsigned int)wire.len);
	rc = xport_write(&c->x, &b, 1);
	buf_release(&wire);
	if (rc != 0) {
		snprintf(c->err, sizeof(c->err), "%s:%d: write failed", c->o.host, c->o.port);
		return CONN_ENET;
	}
	return read_status(c, code, text, textlen);
}

void conn_close(struct conn *c)
{
	char text[128];
	int code;

	if (c == NULL)
		return;
	if (c->status == 0 && c->connected)
		if (send_line(c, "QUIT") == 0)
			read_status(c, &code, text, sizeof(text));
	xport_close(&c->x);
	run_until(c, W_CLOSE);
	uv_close((uv_handle_t *)&c->timer, NULL);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	uv_loop_close(&c->loop);
	tls_ctx_free(c->ctx);
	buf_release(&c->in);
	free(c);
}
