/*
 * tls.h: NNTP transport over a libuv TCP stream, with optional TLS done with
 * OpenSSL memory BIOs (h2o style: ciphertext from the socket is written into
 * the read BIO, SSL_read runs until WANT_READ, and the write BIO is drained
 * after every SSL call).  Server side (implicit TLS, RFC 8143, and STARTTLS,
 * RFC 4642) and client side.  The session code is the same with and without
 * TLS: it reads plaintext through read_cb and writes through xport_write.
 *
 * Only this file includes OpenSSL headers.
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>
#include <uv.h>
#include "buf.h"

struct tls_ctx;	/* an SSL_CTX with our settings */

/*
 * Make a server context from PEM files: TLS 1.2 or later, OpenSSL default
 * ciphers, no renegotiation, SSL_MODE_RELEASE_BUFFERS.  When want_client_cert
 * is set, a client certificate is requested (optional, self-signed accepted)
 * so peers can be identified by fingerprint.  Returns NULL with err filled.
 */
struct tls_ctx *tls_ctx_server_new(const char *cert_file, const char *key_file,
				   int want_client_cert, char *err, size_t errlen);

/*
 * Make a client context: verifies the server against ca_file (or the system
 * store when ca_file is NULL) unless insecure or a fingerprint pin is used
 * (the pin is checked after the handshake with tls_peer_fingerprint).
 * cert_file/key_file, if not NULL, are our client certificate.
 */
struct tls_ctx *tls_ctx_client_new(const char *ca_file, int verify,
				   const char *cert_file, const char *key_file,
				   char *err, size_t errlen);

void tls_ctx_free(struct tls_ctx *ctx);

/*
 * Generate a self-signed certificate and key (EC P-256, CN=cn, 10 years)
 * into the two files (key with mode 0600).  Returns 0 or MOOT_ETLS with err.
 */
int tls_generate_self_signed(const char *cert_file, const char *key_file,
			     const char *cn, char *err, size_t errlen);

/* "sha256:" + hex SHA-256 of the DER certificate in a PEM file; 0 or error. */
int tls_file_fingerprint(const char *cert_file, char *out, size_t outlen);

/* Compare two fingerprints ignoring case, colons and a "sha256:" prefix. */
int tls_fingerprint_equal(const char *a, const char *b);

/* Hash a password for storage: "pbkdf2-sha256$600000$salt$hash" (hex) into
 * out (at least 128 bytes).  Slow on purpose (~0.3 s): call it off the loop. */
int tls_password_hash(const char *password, char *out, size_t outlen);

/* 1 if password matches the stored hash (constant-time compare), else 0. */
int tls_password_verify(const char *password, const char *stored);

/* A thread that used OpenSSL (a libuv worker) frees its per-thread state. */
void tls_thread_done(void);

/* 1 if stored looks like a hash tls_password_hash makes. */
int tls_password_hash_valid(const char *stored);

struct xport;

/* Plaintext arrived (len > 0), or the stream ended or failed (len == 0,
 * status < 0: UV_EOF, or a UV_/MOOT_ETLS error).  data is valid only
 * during the call. */
typedef void (*xport_read_cb)(struct xport *x, const char *data, size_t len, int status);
/* Everything written so far has been handed to the kernel; used for
 * back-pressure (output high-water mark). */
typedef void (*xport_drain_cb)(struct xport *x);
/* The handle is closed; the owner may free the memory now. */
typedef void (*xport_close_cb)(struct xport *x);
/* The TLS handshake finished (status 0) or failed (< 0). */
typedef void (*xport_handshake_cb)(struct xport *x, int status);

struct xport {
	uv_tcp_t tcp;			/* embedded handle; tcp.data points to the xport */
	struct tls_conn *tls;		/* NULL while plaintext */
	xport_read_cb read_cb;
	xport_drain_cb drain_cb;
	xport_close_cb close_cb;
	xport_handshake_cb handshake_cb;
	void *data;			/* the owner (session, client connection) */
	size_t write_pending;		/* bytes handed to uv_write, not yet completed */
	int reading;			/* uv_read_start is active */
	int closing;			/* xport_close called: late callbacks are no-ops */
	int handshake_done;
	struct buf pending;		/* plaintext written before the TLS handshake finished */
	uv_shutdown_t shutdown_req;	/* graceful close */
};

/* Initialise x's TCP handle on loop (then uv_accept or uv_tcp_connect into &x->tcp). */
int xport_init(uv_loop_t *loop, struct xport *x);

/* Set TCP_NODELAY and start reading; plaintext reaches read_cb. */
int xport_start(struct xport *x);

/* Stop delivering data (back-pressure); xport_resume restarts. */
void xport_pause(struct xport *x);
int xport_resume(struct xport *x);

/*
 * Start TLS on the stream, as server or client.  Any bytes written with
 * xport_write after this are encrypted.  handshake_cb, if set, is called
 * once the handshake completes or fails.  For a client, sni may name the host.
 */
int xport_start_tls(struct xport *x, struct tls_ctx *ctx, int server, const char *sni);

/*
 * Write n buffers as one write (one uv_write of the ciphertext or plaintext;
 * the data is copied, the caller keeps ownership of bufs).  Returns 0 or error.
 */
int xport_write(struct xport *x, const uv_buf_t *bufs, unsigned int n);

/* The peer certificate's fingerprint ("sha256:hex") into out; MOOT_ENOTFOUND
 * when none was presented. */
int xport_peer_fingerprint(struct xport *x, char *out, size_t outlen);

/* The X509 verification result of the peer's certificate (X509_V_OK == 0),
 * or -1 without TLS; and its text. */
long xport_verify_result(const struct xport *x);
const char *xport_verify_error(long result);

/* 1 if the stream is encrypted and the handshake done. */
int xport_is_tls(const struct xport *x);

/* A short description of the negotiated protocol ("TLSv1.3") or "plain". */
const char *xport_tls_version(const struct xport *x);

/* Close gracefully: queues a TLS close_notify, waits for queued writes to
 * reach the kernel (uv_shutdown), then closes the handle; close_cb runs from
 * the libuv close callback.  Safe to call more than once. */
void xport_close(struct xport *x);

/* Close the handle now, dropping queued writes (a peer that stopped reading). */
void xport_abort(struct xport *x);

#endif
