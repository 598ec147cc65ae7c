/*
 * test_tls.c: certificates, fingerprints and a real TLS exchange through the
 * transport over 127.0.0.1 (a server and a client xport on one loop).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../proto/moot.h"
#include "../../proto/tls.h"
#include "test.h"

static char dir[64];
static char cert[128], key[128], cert2[128], key2[128];

static void fingerprint_forms(void)
{
	const char *a = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *b = "SHA256:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
			"01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF";
	const char *c = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
	const char *other = "sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	CHECK(tls_fingerprint_equal(a, b));
	CHECK(tls_fingerprint_equal(a, c));
	CHECK(!tls_fingerprint_equal(a, other));
	CHECK(!tls_fingerprint_equal(a, "sha256:0123"));
	CHECK(!tls_fingerprint_equal("", ""));
}

static void generate_and_load(void)
{
	char err[256], fp[80], fp2[80];
	struct tls_ctx *ctx;

	CHECK_INT(tls_generate_self_signed(cert, key, "localhost", err, sizeof(err)), 0);
	CHECK_INT(tls_generate_self_signed(cert2, key2, "peer.example.org", err, sizeof(err)), 0);
	CHECK(access(key, F_OK) == 0);
	CHECK_INT(tls_file_fingerprint(cert, fp, sizeof(fp)), 0);
	CHECK_INT(strlen(fp), 7 + 64);
	CHECK(strncmp(fp, "sha256:", 7) == 0);
	CHECK_INT(tls_file_fingerprint(cert2, fp2, sizeof(fp2)), 0);
	CHECK(!tls_fingerprint_equal(fp, fp2));
	ctx = tls_ctx_server_new(cert, key, 0, err, sizeof(err));
	CHECK(ctx != NULL);
	tls_ctx_free(ctx);
	/* A key that does not belong to the certificate is refused. */
	ctx = tls_ctx_server_new(cert, key2, 0, err, sizeof(err));
	CHECK(ctx == NULL);
	CHECK(strstr(err, "match") != NULL);
	ctx = tls_ctx_server_new("/nonexistent/cert.pem", key, 0, err, sizeof(err));
	CHECK(ctx == NULL);
	CHECK(strstr(err, "/nonexistent/cert.pem") != NULL);
}

/* ---- a TLS round trip over loopback ---- */

struct rt {
	uv_tcp_t listener;
	struct xport server, client;
	uv_connect_t connect;
	struct tls_ctx *sctx, *cctx;
	char got_server[64], got_client[64];
	size_t n_server, n_client;
	int handshakes, failures, closed, sent;
	char server_fp[80], client_fp[80];
};

static void rt_closed(struct xport *x)
{
	struct rt *r = x->data;
	r->closed++;
}

static void rt_server_read(struct xport *x, const char *data, size_t len, int status)
{
	struct rt *r = x->data;

	if (status < 0) {
		xport_close(x);
		return;
	}
	if (r->n_server + len < sizeof(r->got_server)) {
		memcpy(r->got_server + r->n_server, data, len);
		r->n_server += len;
	}
	if (memchr(r->got_server, '\n', r->n_server)) {
		uv_buf_t b = uv_buf_init((char *)"205 bye\r\n", 9);
		xport_peer_fingerprint(x, r->client_fp, sizeof(r->client_fp));
		xport_write(x, &b, 1);
		xport_close(x);
	}
}

static void rt_client_read(struct xport *x, const char *data, size_t len, int status)
{
	struct rt *r = x->data;

	if (status < 0) {
		xport_close(x);
		return;
	}
	if (r->n_client + len < sizeof(r->got_client)) {
		memcpy(r->got_client + r->n_client, data, len);
		r->n_client += len;
	}
	if (!r->sent && strstr(r->got_client, "200 welcome\r\n")) {
		uv_buf_t b = uv_buf_init((char *)"QUIT\r\n", 6);
		r->sent = 1;
		xport_write(x, &b, 1);
	}
}

static void rt_handshake(struct xport *x, int status)
{
	struct rt *r = x->data;

	if (status == 0)
		r->handshakes++;
	else
		r->failures++;
	if (x == &r->client && status == 0)
		xport_peer_fingerprint(x, r->server_fp, sizeof(r->server_fp));
}

static void rt_accept(uv_stream_t *l, int status)
{
	struct rt *r = l->data;
	uv_buf_t b = uv_buf_init((char *)"200 welcome\r\n", 13);

	if (status < 0 || xport_init(l->loop, &r->server) != 0)
		return;
	r->server.data = r;
	r->server.read_cb = rt_server_read;
	r->server.close_cb = rt_closed;
	r->server.handshake_cb = rt_handshake;
	uv_accept(l, (uv_stream_t *)&r->server.tcp);
	xport_start_tls(&r->server, r->sctx, 1, NULL);
	xport_write(&r->server, &b, 1);	/* queued until the handshake ends */
	xport_start(&r->server);
	uv_close((uv_handle_t *)l, NULL);
}

static void rt_connected(uv_connect_t *req, int status)
{
	struct rt *r = req->data;

	if (status < 0) {
		r->failures++;
		xport_abort(&r->client);
		return;
	}
	xport_start(&r->client);
	if (xport_start_tls(&r->client, r->cctx, 0, "localhost") != 0)
		r->failures++;
}

static void round_trip(void)
{
	uv_loop_t loop;
	struct rt *r = calloc(1, sizeof(*r));
	struct sockaddr_in addr;
	struct sockaddr_storage bound;
	int len = sizeof(bound);
	char err[256], fp[80], fp2[80];

	uv_loop_init(&loop);
	r->sctx = tls_ctx_server_new(cert, key, 1, err, sizeof(err));
	r->cctx = tls_ctx_client_new(cert, 1, cert2, key2, err, sizeof(err));
	CHECK(r->sctx != NULL && r->cctx != NULL);
	if (!r->sctx || !r->cctx)
		goto out;
	uv_tcp_init(&loop, &r->listener);
	r->listener.data = r;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	CHECK_INT(uv_tcp_bind(&r->listener, (struct sockaddr *)&addr, 0), 0);
	CHECK_INT(uv_listen((uv_stream_t *)&r->listener, 8, rt_accept), 0);
	uv_tcp_getsockname(&r->listener, (struct sockaddr *)&bound, &len);
	xport_init(&loop, &r->client);
	r->client.data = r;
	r->client.read_cb = rt_client_read;
	r->client.close_cb = rt_closed;
	r->client.handshake_cb = rt_handshake;
	r->connect.data = r;
	uv_tcp_connect(&r->connect, &r->client.tcp, (struct sockaddr *)&bound, rt_connected);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK_INT(r->handshakes, 2);
	CHECK_INT(r->failures, 0);
	CHECK_INT(r->closed, 2);
	CHECK(strncmp(r->got_client, "200 welcome\r\n205 bye\r\n", 22) == 0);
	CHECK(strncmp(r->got_server, "QUIT\r\n", 6) == 0);
	/* Each side sees the other's certificate by its fingerprint. */
	tls_file_fingerprint(cert, fp, sizeof(fp));
	tls_file_fingerprint(cert2, fp2, sizeof(fp2));
	CHECK(tls_fingerprint_equal(r->server_fp, fp));
	CHECK(tls_fingerprint_equal(r->client_fp, fp2));
out:
	CHECK_INT(uv_loop_close(&loop), 0);
	tls_ctx_free(r->sctx);
	tls_ctx_free(r->cctx);
	free(r);
}

/* A client that trusts another CA fails the handshake. */
static void wrong_ca_refused(void)
{
	uv_loop_t loop;
	struct rt *r = calloc(1, sizeof(*r));
	struct sockaddr_in addr;
	struct sockaddr_storage bound;
	int len = sizeof(bound);
	char err[256];

	uv_loop_init(&loop);
	r->sctx = tls_ctx_server_new(cert, key, 0, err, sizeof(err));
	r->cctx = tls_ctx_client_new(cert2, 1, NULL, NULL, err, sizeof(err));
	uv_tcp_init(&loop, &r->listener);
	r->listener.data = r;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_bind(&r->listener, (struct sockaddr *)&addr, 0);
	uv_listen((uv_stream_t *)&r->listener, 8, rt_accept);
	uv_tcp_getsockname(&r->listener, (struct sockaddr *)&bound, &len);
	xport_init(&loop, &r->client);
	r->client.data = r;
	r->client.read_cb = rt_client_read;
	r->client.close_cb = rt_closed;
	r->client.handshake_cb = rt_handshake;
	r->connect.data = r;
	uv_tcp_connect(&r->connect, &r->client.tcp, (struct sockaddr *)&bound, rt_connected);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK(r->failures >= 1);
	CHECK(strstr(r->got_client, "200") == NULL);
	CHECK_INT(uv_loop_close(&loop), 0);
	tls_ctx_free(r->sctx);
	tls_ctx_free(r->cctx);
	free(r);
}

static void password_hashes(void)
{
	char h[256], h2[256];

	CHECK_INT(tls_password_hash("correct horse", h, sizeof(h)), 0);
	CHECK(strncmp(h, "pbkdf2-sha256$600000$", 21) == 0);
	CHECK(tls_password_hash_valid(h));
	CHECK(tls_password_verify("correct horse", h));
	CHECK(!tls_password_verify("correct horsE", h));
	CHECK(!tls_password_verify("", h));
	/* A new salt each time: the same password hashes differently. */
	CHECK_INT(tls_password_hash("correct horse", h2, sizeof(h2)), 0);
	CHECK(strcmp(h, h2) != 0);
	CHECK(tls_password_verify("correct horse", h2));
	/* Malformed stored values never verify. */
	CHECK(!tls_password_hash_valid("plain"));
	CHECK(!tls_password_verify("x", "pbkdf2-sha256$10$00$00"));
	CHECK(!tls_password_verify("x", "pbkdf2-sha256$600000$zz$zz"));
	CHECK(!tls_password_hash_valid("pbkdf2-sha256$600000$0011$"));
	CHECK_INT(tls_password_hash("x", h, 20), MOOT_ETOOBIG);
}

void test_tls(void)
{
	char tmpl[] = "/tmp/moot-tls-XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		T.failed++;
		return;
	}
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cert2, sizeof(cert2), "%s/cert2.pem", dir);
	snprintf(key2, sizeof(key2), "%s/key2.pem", dir);
	RUN(fingerprint_forms);
	RUN(generate_and_load);
	RUN(round_trip);
	RUN(wrong_ca_refused);
	RUN(password_hashes);
	unlink(cert);
	unlink(key);
	unlink(cert2);
	unlink(key2);
	rmdir(dir);
}
