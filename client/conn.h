/*
 * conn.h: the client's connection to an NNTP server, synchronous on top of
 * the shared libuv transport (proto/tls.c): each call runs the loop until
 * the reply it waits for has arrived or the timeout passed.
 *
 * TLS: implicit (RFC 8143), STARTTLS (RFC 4642) or off.  The server
 * certificate is verified against a CA file (or the system store), or
 * pinned by fingerprint; --insecure skips both and says so on stderr.
 * Credentials are sent only over TLS (RFC 4643 §2.1) unless insecure.
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <stdint.h>
#include "../proto/buf.h"

enum conn_tls {
	CONN_TLS_IMPLICIT = 0,
	CONN_TLS_STARTTLS = 1,
	CONN_TLS_OFF = 2,
};

struct conn_opts {
	const char *host;		/* name or address */
	int port;
	enum conn_tls tls;
	const char *ca;			/* CA file; NULL: system store */
	const char *fingerprint;	/* "sha256:..." pin; replaces CA verification */
	int insecure;			/* no verification at all */
	const char *user;		/* AUTHINFO USER, or NULL */
	const char *password;		/* AUTHINFO PASS */
	int timeout_ms;			/* per reply; default 30000 */
};

struct conn;

/* Errors callers map to exit status 2 (network/TLS/auth). */
#define CONN_ENET  (-20001)	/* cannot resolve or connect, connection lost, timeout */
#define CONN_ETLS  (-20002)	/* handshake failed, certificate not trusted, pin mismatch */
#define CONN_EAUTH (-20003)	/* authentication refused or impossible */

/*
 * Connect, set up TLS as asked, read the greeting, send MODE READER.  On
 * failure returns a CONN_E* code with a one-line message in err, e.g.
 * "certificate fingerprint mismatch: expected sha256:ab..., server presented sha256:cd...".
 */
int conn_open(const struct conn_opts *o, struct conn **out, char *err, size_t errlen);

/*
 * Send one command line (without CRLF) and read the status line: *code and
 * the text after the code (into text).  When the server answers 480 and
 * credentials are configured, authenticates and retries once.  Returns 0 or
 * CONN_E*.
 */
int conn_cmd(struct conn *c, const char *line, int *code, char *text, size_t textlen);

/* Read the multi-line block that follows a status line, un-stuffed, each
 * line ending in LF, appended to out. */
int conn_read_block(struct conn *c, struct buf *out);

/*
 * POST an article (text with LF or CRLF line ends; dot-stuffed here).
 * On 240 returns 0 and copies the server's text; else *code and text say why.
 */
int conn_post(struct conn *c, const char *article, size_t len, int *code, char *text, size_t textlen);

/* QUIT and close; accepts NULL. */
void conn_close(struct conn *c);

/* The last error message. */
const char *conn_error(const struct conn *c);

#endif
