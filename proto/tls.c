/*
 * tls.c: the NNTP transport over a libuv TCP stream, plain or TLS.
 *
 * TLS is done with OpenSSL memory BIOs, h2o style: ciphertext read from the
 * socket is written into the read BIO, SSL_read runs until it wants more,
 * and the write BIO is drained into one uv_write after every SSL call.  The
 * owner sees only plaintext (read_cb) and writes only plaintext
 * (xport_write), so the session code is the same with and without TLS.
 *
 * Memory per idle connection is kept small: receive buffers are allocated in
 * the alloc callback and freed as soon as the read callback has handed the
 * bytes on, and SSL_MODE_RELEASE_BUFFERS lets OpenSSL drop its record buffers
 * between records.
 *
 * This is the only file that includes OpenSSL headers.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "moot.h"
#include "tls.h"

#define READ_CHUNK (64 * 1024)

struct tls_ctx {
	SSL_CTX *ctx;		/* owned */
	int server;		/* 1 for a server context */
};

/*
 * A reply is written as requests of at most OUT_MAX bytes, so that their
 * buffers stay under malloc's mmap threshold and are reused from the heap:
 * perf showed OVER replies of 200 KB spending a quarter of the loop
 * faulting in the pages of fresh mappings.  (TLS: four full records.)
 */
#define OUT_MIN 4096		/* first size of a TLS write request's data */
#define OUT_PLAIN (4 * 16384)	/* plaintext per TLS write request: four full records */
/* Room for the records of n bytes of plaintext: each record (at most 16 KiB
 * of plaintext) adds a header, a tag and padding. */
#define RECORDS_SIZE(n) ((n) + ((n) / 16384 + 1) * 128)
#define OUT_MAX RECORDS_SIZE((size_t)OUT_PLAIN)	/* most bytes in one write request */

struct write_req {
	uv_write_t req;		/* req.data points to the xport */
	size_t len;		/* bytes in data */
	size_t cap;		/* room in data */
	char data[];		/* the bytes handed to uv_write */
};

struct tls_conn {
	SSL *ssl;		/* owns rbio and wbio */
	BIO *rbio;		/* ciphertext from the network, read by SSL: in */
	BIO *wbio;		/* ciphertext produced by SSL: appended to out */
	const char *in;		/* tls_input's ciphertext not yet read by SSL */
	size_t in_len;		/* its length; 0 outside tls_input */
	struct write_req *out;	/* the next write to the socket, being filled; or NULL */
};

/* Put OpenSSL's last error (or what) into err. */
static void ssl_error(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err, errlen, "%s: %s", what, buf);
	} else {
		snprintf(err, errlen, "%s", what);
	}
	ERR_clear_error();
}

/* Accept any client certificate at the TLS layer: whether it identifies a
 * peer is decided later by its fingerprint (DESIGN.md, Federation). */
static int accept_any_cert(int preverify, X509_STORE_CTX *store)
{
	(void)preverify;
	(void)store;
	return 1;
}

/* Settings common to both sides: TLS 1.2+, no renegotiation, small buffers. */
static SSL_CTX *ctx_base(const SSL_METHOD *method)
{
	SSL_CTX *ctx = SSL_CTX_new(method);

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

struct tls_ctx *tls_ctx_server_new(const char *cert_file, const char *key_file,
				   int want_client_cert, char *err, size_t errlen)
{
	struct tls_ctx *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->server = 1;
	t->ctx = ctx_base(TLS_server_method());
	if (t->ctx == NULL) {
		ssl_error(err, errlen, "SSL_CTX_new");
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
		char what[512];
		snprintf(what, sizeof(what), "cannot load certificate '%s'", cert_file);
		ssl_error(err, errlen, what);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		char what[512];
		snprintf(what, sizeof(what), "cannot load key '%s'", key_file);
		ssl_error(err, errlen, what);
		goto fail;
	}
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		ssl_error(err, errlen, "certificate and key do not match");
		goto fail;
	}
	/*
	 * TLS 1.3 suites in the server's order, AES-128-GCM first (the one
	 * RFC 8446 §9.1 has every client implement): ten AES rounds instead of
	 * AES-256's fourteen on every record (of the loop's 40k instructions
	 * per ingested article, 3.9k decrypted; 3.4k with this).
	 */
	if (SSL_CTX_set_ciphersuites(t->ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
					     "TLS_CHACHA20_POLY1305_SHA256") != 1) {
		ssl_error(err, errlen, "SSL_CTX_set_ciphersuites");
		goto fail;
	}
	SSL_CTX_set_options(t->ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Sessions are not resumed across restarts; a small cache is enough. */
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(t->ctx, 1024);
	SSL_CTX_set_session_id_context(t->ctx, (const unsigned char *)"mootd", 5);
	if (want_client_cert)
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, accept_any_cert);
	return t;
fail:
	tls_ctx_free(t);
	return NULL;
}

struct tls_ctx *tls_ctx_client_new(const char *ca_file, int verify,
				   const char *cert_file, const char *key_file,
				   char *err, size_t errlen)
{
	struct tls_ctx *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->ctx = ctx_base(TLS_client_method());
	if (t->ctx == NULL) {
		ssl_error(err, errlen, "SSL_CTX_new");
		goto fail;
	}
	if (verify) {
		int ok = ca_file ? SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL)
				 : SSL_CTX_set_default_verify_paths(t->ctx);
		if (ok != 1) {
			char what[512];
			snprintf(what, sizeof(what), "cannot load CA '%s'", ca_file ? ca_file : "(system)");
			ssl_error(err, errlen, what);
			goto fail;
		}
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	}
	if (cert_file && key_file) {
		if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1) {
			ssl_error(err, errlen, "cannot load client certificate");
			goto fail;
		}
	}
	return t;
fail:
	tls_ctx_free(t);
	return NULL;
}

void tls_ctx_free(struct tls_ctx *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/* Write a PEM object to path with the given mode, atomically (temp + rename). */
static int write_pem(const char *path, int mode, int (*emit)(BIO *, void *), void *obj,
		     char *err, size_t errlen)
{
	char tmp[4096];
	BIO *bio;
	int fd, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "path too long '%s'", path);
		return MOOT_ETLS;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
		return MOOT_ETLS;
	}
	bio = BIO_new_fd(fd, BIO_CLOSE);
	ok = bio && emit(bio, obj) == 1 && BIO_flush(bio) == 1;
	if (bio)
		fsync(fd);
	BIO_free(bio);
	if (!ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write '%s'", path);
		unlink(tmp);
		return MOOT_ETLS;
	}
	return 0;
}

static int emit_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static int emit_cert(BIO *b, void *c)
{
	return PEM_write_bio_X509(b, c);
}

/* Add one X509v3 extension given in openssl.cnf syntax. */
static int add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

int tls_generate_self_signed(const char *cert_file, const char *key_file,
			     const char *cn, char *err, size_t errlen)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char san[512];
	int rc = MOOT_ETLS;

	if (key == NULL || cert == NULL) {
		ssl_error(err, errlen, "cannot generate key");
		goto out;
	}
	X509_set_version(cert, 2);
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL)
		goto fail;
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"moot", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(cert, name);
	if (strcmp(cn, "localhost") == 0)
		snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1");
	else
		snprintf(san, sizeof(san), "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1", cn);
	if (!add_ext(cert, NID_subject_alt_name, san) ||
	    !add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(cert, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
	    !add_ext(cert, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    !add_ext(cert, NID_subject_key_identifier, "hash"))
		goto fail;
	if (X509_sign(cert, key, EVP_sha256()) == 0)
		goto fail;
	if (write_pem(key_file, 0600, emit_key, key, err, errlen) != 0)
		goto out;
	if (write_pem(cert_file, 0644, emit_cert, cert, err, errlen) != 0)
		goto out;
	rc = 0;
	goto out;
fail:
	ssl_error(err, errlen, "cannot build certificate");
out:
	BN_free(bn);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* "sha256:" + lower-case hex of SHA-256 over the DER form of cert. */
static int cert_fingerprint(X509 *cert, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	size_t pos;

	if (outlen < 7 + 64 + 1)
		return MOOT_EINVAL;
	if (X509_digest(cert, EVP_sha256(), md, &n) != 1)
		return MOOT_ETLS;
	pos = (size_t)snprintf(out, outlen, "sha256:");
	for (i = 0; i < n; i++)
		pos += (size_t)snprintf(out + pos, outlen - pos, "%02x", md[i]);
	return 0;
}

int tls_file_fingerprint(const char *cert_file, char *out, size_t outlen)
{
	FILE *f = fopen(cert_file, "r");
	X509 *cert;
	int rc;

	if (f == NULL)
		return -errno;
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (cert == NULL)
		return MOOT_ETLS;
	rc = cert_fingerprint(cert, out, outlen);
	X509_free(cert);
	return rc;
}

/* Copy the hex digits of a fingerprint, lower-cased, without prefix or colons. */
static size_t fp_normalize(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	if (strncasecmp(in, "sha256:", 7) == 0)
		in += 7;
	for (; *in && n + 1 < outlen; in++) {
		if (*in == ':' || *in == ' ')
			continue;
		out[n++] = (char)((*in >= 'A' && *in <= 'F') ? *in + 32 : *in);
	}
	out[n] = '\0';
	return n;
}

int tls_fingerprint_equal(const char *a, const char *b)
{
	char na[160], nb[160];

	if (fp_normalize(a, na, sizeof(na)) != 64 || fp_normalize(b, nb, sizeof(nb)) != 64)
		return 0;
	return CRYPTO_memcmp(na, nb, 64) == 0;
}

/* ---- the transport ---- */

static void on_close(uv_handle_t *h)
{
	struct xport *x = h->data;

	if (x->tls) {
		SSL_free(x->tls->ssl);
		free(x->tls->out);
		free(x->tls);
		x->tls = NULL;
	}
	buf_release(&x->pending);
	if (x->close_cb)
		x->close_cb(x);
}

int xport_init(uv_loop_t *loop, struct xport *x)
{
	int rc;

	memset(x, 0, sizeof(*x));
	rc = uv_tcp_init(loop, &x->tcp);
	if (rc < 0)
		return rc;
	x->tcp.data = x;
	return 0;
}

static void on_write(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct xport *x = req->data;

	assert(x->write_pending >= w->len);
	x->write_pending -= w->len;
	free(w);
	(void)status;	/* a failed write shows up as a read error too */
	if (!x->closing && x->write_pending == 0 && x->drain_cb)
		x->drain_cb(x);
}

/*
 * Hand w to the socket (w is ours to free).  When nothing is queued before
 * it, write at once with uv_try_write: a write that the socket takes whole
 * needs no request, no completion callback and none of the epoll_ctl calls
 * libuv makes when a request completes (one per reply: 2 % of the loop
 * serving ARTICLE).  What the socket does not take is queued as before.
 */
static int submit(struct xport *x, struct write_req *w)
{
	uv_buf_t b = uv_buf_init(w->data, (unsigned int)w->len);
	int rc;

	if (x->write_pending == 0 && !x->closing) {
		rc = uv_try_write((uv_stream_t *)&x->tcp, &b, 1);
		if (rc == (int)w->len) {
			free(w);
			return 0;
		}
		if (rc > 0) {
			w->len -= (size_t)rc;
			memmove(w->data, w->data + rc, w->len);
			b = uv_buf_init(w->data, (unsigned int)w->len);
		} else if (rc != UV_EAGAIN) {
			free(w);
			return rc;
		}
	}
	w->req.data = x;
	rc = uv_write(&w->req, (uv_stream_t *)&x->tcp, &b, 1, on_write);
	if (rc < 0) {
		free(w);
		return rc;
	}
	x->write_pending += w->len;
	return 0;
}

/* Hand n buffers to the socket, copied into write requests of at most
 * OUT_MAX bytes each. */
static int raw_write(struct xport *x, const uv_buf_t *bufs, unsigned int n)
{
	size_t total = 0, off = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += bufs[i].len;
	i = 0;
	while (total > 0) {
		size_t size = total < OUT_MAX ? total : OUT_MAX, got = 0;
		struct write_req *w = malloc(sizeof(*w) + size);
		int rc;

		if (w == NULL)
			return MOOT_ENOMEM;
		while (got < size) {
			size_t take = bufs[i].len - off;
			if (take > size - got)
				take = size - got;
			memcpy(w->data + got, bufs[i].base + off, take);
			got += take;
			off += take;
			if (off == bufs[i].len) {
				i++;
				off = 0;
			}
		}
		w->len = w->cap = size;
		if ((rc = submit(x, w)) < 0)
			return rc;
		total -= size;
	}
	return 0;
}

/*
 * The write side of a TLS connection is a BIO of our own: every record SSL
 * produces is appended to t->out, the write request that flush_wbio hands
 * to the socket next.  Ciphertext is so copied once, by OpenSSL, instead of
 * into a memory BIO and out of it again.  The method is made once per
 * process and never freed: connections of a replaced tls_ctx still use it.
 */
/* Room for extra more bytes in t->out; 0 or MOOT_ENOMEM. */
static int out_reserve(struct tls_conn *t, size_t extra)
{
	size_t len = t->out ? t->out->len : 0, cap = t->out ? t->out->cap : 0;
	struct write_req *w;

	if (cap - len >= extra)
		return 0;
	if (cap == 0)
		cap = extra > OUT_MIN ? extra : OUT_MIN;
	while (cap - len < extra)
		cap *= 2;
	w = realloc(t->out, sizeof(*w) + cap);
	if (w == NULL)
		return MOOT_ENOMEM;
	w->len = len;
	w->cap = cap;
	t->out = w;
	return 0;
}

static int out_write(BIO *b, const char *data, int len)
{
	struct tls_conn *t = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (out_reserve(t, (size_t)len) != 0)
		return -1;
	memcpy(t->out->data + t->out->len, data, (size_t)len);
	t->out->len += (size_t)len;
	return len;
}

static long out_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int out_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/*
 * The read BIO hands SSL the ciphertext of the socket read being handled
 * (tls_input) in place, where a memory BIO would copy it into a buffer it
 * grows and clears; SSL keeps a partial record itself and asks again
 * (retry) when this read has been used up.
 */
static int in_read(BIO *b, char *out, int outl)
{
	struct tls_conn *t = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (outl <= 0)
		return 0;
	if (t->in_len == 0) {
		BIO_set_retry_read(b);
		return -1;
	}
	n = t->in_len < (size_t)outl ? t->in_len : (size_t)outl;
	memcpy(out, t->in, n);
	t->in += n;
	t->in_len -= n;
	return (int)n;
}

static long in_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls_conn *t = BIO_get_data(b);

	(void)num;
	(void)ptr;
	if (cmd == BIO_CTRL_PENDING)
		return (long)t->in_len;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static BIO_METHOD *out_method, *in_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static void bio_methods_make(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "moot write");
	BIO_METHOD *r = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "moot read");

	if (m == NULL || r == NULL || !BIO_meth_set_write(m, out_write) ||
	    !BIO_meth_set_ctrl(m, out_ctrl) || !BIO_meth_set_create(m, out_create) ||
	    !BIO_meth_set_read(r, in_read) || !BIO_meth_set_ctrl(r, in_ctrl) ||
	    !BIO_meth_set_create(r, out_create)) {
		BIO_meth_free(m);
		BIO_meth_free(r);
		return;
	}
	out_method = m;
	in_method = r;
}

/* The write (out) or read (in) BIO of t, or NULL. */
static BIO *conn_bio(struct tls_conn *t, int in)
{
	BIO *b;

	pthread_once(&bio_once, bio_methods_make);
	if (out_method == NULL || (b = BIO_new(in ? in_method : out_method)) == NULL)
		return NULL;
	BIO_set_data(b, t);
	return b;
}

/* Move whatever ciphertext SSL produced to the socket. */
static int flush_wbio(struct xport *x)
{
	struct write_req *w = x->tls->out;

	if (w == NULL || w->len == 0)
		return 0;
	x->tls->out = NULL;
	return submit(x, w);
}

/*
 * Encrypt plaintext into the write BIO (the handshake must be done), one
 * record at a time; a bigger reply goes out as several write requests.
 */
static int tls_write_plain(struct xport *x, const char *p, size_t n)
{
	while (n > 0) {
		int chunk = n > 16384 ? 16384 : (int)n;
		int w, rc;

		if (x->tls->out != NULL && x->tls->out->len + RECORDS_SIZE((size_t)chunk) > OUT_MAX &&
		    (rc = flush_wbio(x)) != 0)
			return rc;
		/* A new request gets room for up to four records at once. */
		if (out_reserve(x->tls, x->tls->out == NULL ? RECORDS_SIZE(n < OUT_PLAIN ? n : OUT_PLAIN)
							     : RECORDS_SIZE((size_t)chunk)) != 0)
			return MOOT_ENOMEM;
		w = SSL_write(x->tls->ssl, p, chunk);
		if (w <= 0) {
			ERR_clear_error();
			return MOOT_ETLS;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int xport_write(struct xport *x, const uv_buf_t *bufs, unsigned int n)
{
	unsigned int i;
	int rc;

	if (x->closing)
		return UV_EPIPE;
	if (x->tls == NULL)
		return raw_write(x, bufs, n);
	if (!x->handshake_done) {
		/* Implicit TLS: the greeting is queued before the handshake ends. */
		for (i = 0; i < n; i++)
			if (buf_append(&x->pending, bufs[i].base, bufs[i].len) != 0)
				return MOOT_ENOMEM;
		return 0;
	}
	for (i = 0; i < n; i++) {
		rc = tls_write_plain(x, bufs[i].base, bufs[i].len);
		if (rc != 0)
			return rc;
	}
	return flush_wbio(x);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	(void)suggested;
	b->base = malloc(READ_CHUNK);
	b->len = b->base ? READ_CHUNK : 0;
}

/* Drive the handshake; returns 0 (done or in progress) or MOOT_ETLS. */
static int do_handshake(struct xport *x)
{
	int r = SSL_do_handshake(x->tls->ssl);

	if (r == 1) {
		x->handshake_done = 1;
		if (flush_wbio(x) != 0)
			return MOOT_ETLS;
		if (x->pending.len) {
			if (tls_write_plain(x, x->pending.data, x->pending.len) != 0)
				return MOOT_ETLS;
			buf_release(&x->pending);
		}
		if (flush_wbio(x) != 0)
			return MOOT_ETLS;
		if (x->handshake_cb)
			x->handshake_cb(x, 0);
		return 0;
	}
	r = SSL_get_error(x->tls->ssl, r);
	flush_wbio(x);	/* alerts too */
	if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE)
		return 0;
	ERR_clear_error();
	return MOOT_ETLS;
}

/* Drive SSL over the ciphertext tls_input put in place; hand all plaintext it yields to the owner. */
static void tls_read(struct xport *x)
{
	char plain[16 * 1024];
	int n, err;

	if (!x->handshake_done) {
		if (do_handshake(x) != 0) {
			if (x->handshake_cb)
				x->handshake_cb(x, MOOT_ETLS);
			if (!x->closing)
				x->read_cb(x, NULL, 0, MOOT_ETLS);
			return;
		}
		if (!x->handshake_done || x->closing)
			return;
	}
	for (;;) {
		n = SSL_read(x->tls->ssl, plain, sizeof(plain));
		if (n > 0) {
			x->read_cb(x, plain, (size_t)n, 0);
			if (x->closing || x->tls == NULL)
				return;
			continue;
		}
		err = SSL_get_error(x->tls->ssl, n);
		flush_wbio(x);	/* TLS 1.3 post-handshake messages */
		if (err == SSL_ERROR_WANT_READ)
			return;
		ERR_clear_error();
		x->read_cb(x, NULL, 0, err == SSL_ERROR_ZERO_RETURN ? UV_EOF : MOOT_ETLS);
		return;
	}
}

/* Feed the ciphertext of one socket read to SSL (tls_read). */
static void tls_input(struct xport *x, const char *data, size_t len)
{
	struct tls_conn *t = x->tls;

	/* SSL reads data through t->in until it asks for more (WANT_READ),
	 * or the owner stops reading; nothing of it is read after return. */
	t->in = data;
	t->in_len = len;
	tls_read(x);
	if (x->tls == t) {
		t->in = NULL;
		t->in_len = 0;
	}
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
	struct xport *x = stream->data;

	if (x->closing) {
		free(b->base);
		return;
	}
	if (nread < 0) {
		free(b->base);
		x->read_cb(x, NULL, 0, (int)nread);
		return;
	}
	if (nread > 0) {
		if (x->tls)
			tls_input(x, b->base, (size_t)nread);
		else
			x->read_cb(x, b->base, (size_t)nread, 0);
	}
	free(b->base);
}

int xport_start(struct xport *x)
{
	uv_tcp_nodelay(&x->tcp, 1);
	return xport_resume(x);
}

void xport_pause(struct xport *x)
{
	if (x->reading && !x->closing) {
		uv_read_stop((uv_stream_t *)&x->tcp);
		x->reading = 0;
	}
}

int xport_resume(struct xport *x)
{
	int rc;

	if (x->reading || x->closing)
		return 0;
	rc = uv_read_start((uv_stream_t *)&x->tcp, on_alloc, on_read);
	if (rc == 0)
		x->reading = 1;
	return rc;
}

int xport_start_tls(struct xport *x, struct tls_ctx *ctx, int server, const char *sni)
{
	struct tls_conn *t;

	if (x->tls)
		return MOOT_EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return MOOT_ENOMEM;
	t->ssl = SSL_new(ctx->ctx);
	t->rbio = conn_bio(t, 1);
	t->wbio = conn_bio(t, 0);
	if (t->ssl == NULL || t->rbio == NULL || t->wbio == NULL) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return MOOT_ENOMEM;
	}
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	x->tls = t;
	x->handshake_done = 0;
	if (server) {
		SSL_set_accept_state(t->ssl);
		return 0;
	}
	SSL_set_connect_state(t->ssl);
	if (sni && *sni) {
		/* An address is checked against IP SANs and never sent as SNI
		 * (RFC 6066 §3); a name is both. */
		int is_ip = strspn(sni, "0123456789.") == strlen(sni) || strchr(sni, ':') != NULL;
		int verify = SSL_CTX_get_verify_mode(ctx->ctx) & SSL_VERIFY_PEER;
		if (is_ip) {
			if (verify)
				X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), sni);
		} else {
			SSL_set_tlsext_host_name(t->ssl, sni);
			if (verify)
				SSL_set1_host(t->ssl, sni);
		}
	}
	return do_handshake(x);	/* sends the ClientHello */
}

int xport_peer_fingerprint(struct xport *x, char *out, size_t outlen)
{
	X509 *cert;

	if (x->tls == NULL || !x->handshake_done)
		return MOOT_ENOTFOUND;
	cert = SSL_get0_peer_certificate(x->tls->ssl);
	if (cert == NULL)
		return MOOT_ENOTFOUND;
	return cert_fingerprint(cert, out, outlen);
}

long xport_verify_result(const struct xport *x)
{
	if (x->tls == NULL)
		return -1;
	return SSL_get_verify_result(x->tls->ssl);
}

const char *xport_verify_error(long result)
{
	return X509_verify_cert_error_string(result);
}

int xport_is_tls(const struct xport *x)
{
	return x->tls != NULL && x->handshake_done;
}

const char *xport_tls_version(const struct xport *x)
{
	if (!xport_is_tls(x))
		return "plain";
	return SSL_get_version(x->tls->ssl);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct xport *x = req->data;

	(void)status;
	if (!uv_is_closing((uv_handle_t *)&x->tcp))
		uv_close((uv_handle_t *)&x->tcp, on_close);
}

void xport_close(struct xport *x)
{
	if (x->closing)
		return;
	x->closing = 1;
	if (x->reading) {
		uv_read_stop((uv_stream_t *)&x->tcp);
		x->reading = 0;
	}
	if (x->tls && x->handshake_done) {
		SSL_shutdown(x->tls->ssl);	/* queues close_notify */
		ERR_clear_error();
		flush_wbio(x);
	}
	x->shutdown_req.data = x;
	if (uv_shutdown(&x->shutdown_req, (uv_stream_t *)&x->tcp, on_shutdown) != 0)
		uv_close((uv_handle_t *)&x->tcp, on_close);
}

void xport_abort(struct xport *x)
{
	x->closing = 1;
	x->reading = 0;
	if (!uv_is_closing((uv_handle_t *)&x->tcp))
		uv_close((uv_handle_t *)&x->tcp, on_close);
}

/* ---- password hashing ----
 *
 * Here because this is the one file that speaks OpenSSL (STYLE.md habit 9).
 * PBKDF2-HMAC-SHA256 with 600,000 iterations and a 16-byte random salt
 * (OWASP's 2023 figure for PBKDF2-SHA256), stored as
 * "pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX".
 */

#define PW_ITERATIONS 600000
#define PW_SALT 16
#define PW_HASH 32

static void to_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int from_hex(const char *s, size_t len, unsigned char *out, size_t n)
{
	size_t i;

	if (len != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++) {
		int c = s[i], v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 0;
}

int tls_password_hash(const char *password, char *out, size_t outlen)
{
	unsigned char salt[PW_SALT], hash[PW_HASH];
	char salt_hex[2 * PW_SALT + 1], hash_hex[2 * PW_HASH + 1];

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof(salt), PW_ITERATIONS,
			      EVP_sha256(), sizeof(hash), hash) != 1) {
		ERR_clear_error();
		return MOOT_ETLS;
	}
	to_hex(salt, sizeof(salt), salt_hex);
	to_hex(hash, sizeof(hash), hash_hex);
	if ((size_t)snprintf(out, outlen, "pbkdf2-sha256$%d$%s$%s", PW_ITERATIONS, salt_hex, hash_hex) >= outlen)
		return MOOT_ETOOBIG;
	return 0;
}

/* Split a stored hash into its iterations, salt and hash; 0 or -1. */
static int parse_stored(const char *stored, long *iter, unsigned char *salt, unsigned char *want)
{
	const char *p = stored, *salt_s, *hash_s;
	char *end;

	if (strncmp(p, "pbkdf2-sha256$", 14) != 0)
		return -1;
	p += 14;
	*iter = strtol(p, &end, 10);
	if (end == p || *end != '$' || *iter < 1000 || *iter > 100000000)
		return -1;
	salt_s = end + 1;
	hash_s = strchr(salt_s, '$');
	if (hash_s == NULL || from_hex(salt_s, (size_t)(hash_s - salt_s), salt, PW_SALT) != 0 ||
	    from_hex(hash_s + 1, strlen(hash_s + 1), want, PW_HASH) != 0)
		return -1;
	return 0;
}

int tls_password_verify(const char *password, const char *stored)
{
	unsigned char salt[PW_SALT], want[PW_HASH], got[PW_HASH];
	long iter;

	if (parse_stored(stored, &iter, salt, want) != 0)
		return 0;
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof(salt), (int)iter,
			      EVP_sha256(), sizeof(got), got) != 1) {
		ERR_clear_error();
		return 0;
	}
	return CRYPTO_memcmp(got, want, sizeof(want)) == 0;
}

void tls_thread_done(void)
{
	OPENSSL_thread_stop();
}

int tls_password_hash_valid(const char *stored)
{
	unsigned char salt[PW_SALT], want[PW_HASH];
	long iter;

	return parse_stored(stored, &iter, salt, want) == 0;
}
