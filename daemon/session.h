/*
 * session.h: one client connection: input framing, the command loop,
 * pipelining in order, output batching (all replies produced from one read
 * go out in one write), the output high-water mark, and receiving
 * multi-line article data.  Commands themselves live in reader.c.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdint.h>
#include "../proto/moot.h"
#include "../proto/buf.h"
#include "../proto/tls.h"
#include "../proto/command.h"
#include "mootd.h"

/* Output above this many bytes stops command processing until it drains. */
#define SESSION_OUT_HWM (256 * 1024)
/* A long reply is handed to the transport each time this much is ready, so
 * the output buffer keeps one small allocation (session_flush). */
#define SESSION_OUT_CHUNK (32 * 1024)

enum session_state {
	SESSION_COMMAND = 0,	/* reading command lines */
	SESSION_ARTICLE,	/* reading a multi-line article block (POST) */
	SESSION_WAIT,		/* waiting for an asynchronous result (ingest commit) */
	SESSION_CLOSING,	/* QUIT or fatal error: flush, then close */
};

struct session;

/*
 * A reply that will be known later (a TAKETHIS waiting for its commit).
 * Output produced after the slot was reserved waits in `after`, so pipelined
 * replies still leave in command order (RFC 3977 §3.5).
 */
struct session_slot {
	struct session_slot *next;
	struct buf after;	/* output of later commands, sent once this slot is filled */
};

/* At most this many replies may be pending at once; more input waits. */
#define SESSION_MAX_SLOTS 1024

/*
 * Input one session may take in one turn of the loop; the rest waits for
 * the next turn (session_turn).  A peer with hundreds of articles in flight
 * is otherwise read and checked in one go, milliseconds in which no batch
 * commits and no other connection is served; in slices, each turn's
 * articles are committed and answered while the next are read.
 */
#define SESSION_TURN_BYTES (64 * 1024)

/* Receives a finished article block: status 0 with the wire form in art
 * (dot-stuffed CRLF lines, without the "." line; the callee may take the
 * data by swapping the buf), or MOOT_ETOOBIG when it exceeded the limit
 * (art is then empty: the data was discarded as it arrived). */
typedef void (*session_article_cb)(struct session *s, struct buf *art, int status);

/* Produces more of a long multi-line reply; called when the output has
 * drained below the high-water mark.  Returns 1 when more remains, 0 when done. */
typedef int (*session_cont_fn)(struct session *s);

struct session {
	struct xport x;			/* embedded transport; x.data == this */
	struct mootd *d;
	struct session *prev, *next;	/* in d->sessions */
	enum session_state state;
	int implicit_tls;		/* accepted on a TLS listener */
	int tls_started;		/* STARTTLS done or implicit */
	int mode_reader;		/* MODE READER was sent (informational) */
	int close_after_flush;		/* QUIT or a fatal error */
	int paused;			/* reading stopped by the high-water mark */
	int discarding_line;		/* dropping the rest of an over-long line */
	int eof;			/* the client closed its side: finish, then close */
	int64_t closing_since;		/* when closing began (to abort stuck closes) */
	int64_t last_active;		/* epoch seconds of the last input */
	int64_t cmd_started;		/* when the unfinished command line or article began, or 0 */
	int counted;			/* counted in d->addrs */
	int held;			/* in d->held: output waits for session_release_held */
	uint64_t turn;			/* the loop turn turn_bytes counts in (d->turn) */
	size_t turn_bytes;		/* input taken in that turn */
	struct session *yield_next;	/* in d->yielded: its turn's input was taken */
	int yielded;			/* in d->yielded: wait for the next turn */
	char addr[64];			/* peer address, for logs */
	struct buf in;			/* received plaintext; from in_off on not yet processed */
	size_t in_off;			/* bytes of in already taken (dropped once per read) */
	struct buf out;			/* replies not yet written */
	struct buf art;			/* article being received (SESSION_ARTICLE) */
	int art_toobig;			/* the article exceeded max_article_bytes */
	int art_midline;		/* part of an over-long line was already taken */
	size_t art_hint;		/* room to reserve for the next article (the last one's size) */
	session_article_cb art_cb;
	session_cont_fn cont;		/* a long reply in progress, or NULL */
	int64_t cont_next, cont_hi;	/* continuation cursor */
	int cont_kind;			/* which reply, for reader.c */
	char cont_arg[128];		/* e.g. HDR field name / XPAT pattern */
	char peer[256];			/* the configured peer this session proved to be, or "" */
	char user[64];			/* the member who authenticated (RFC 4643), or "" */
	char pending_user[64];		/* AUTHINFO USER given, PASS awaited */
	int role;			/* enum auth_role of user */
	char user_address[256];		/* the member's From address, "" when none */
	struct auth_work *auth_work;	/* a password check in progress, or NULL */
	int64_t pending_mod;		/* the queued article an XMOD APPROVE is ingesting */
	int streaming;			/* MODE STREAM accepted (RFC 4644) */
	char transit_id[MOOT_MAX_MSGID + 1];	/* message-id of the IHAVE/TAKETHIS in progress */
	int transit_cmd;		/* which of them (transit.c) */
	struct session_slot *slot_head;	/* oldest pending reply */
	struct session_slot *slot_tail;	/* newest: output goes to its `after` */
	int nslots;
	struct group *group;		/* currently selected group, or NULL */
	int64_t cur;			/* current article number, 0 when none */
};

/* The host part of a session address "host:port" (IPv6 hosts contain
 * colons too: the port is after the last one) into out. */
void session_host_of(const char *addr, char *out, size_t outlen);

/* The next turn has begun: commit what the last one queued, then go on
 * with the sessions that had taken SESSION_TURN_BYTES (d->yielded). */
void session_turn(struct mootd *d);

/* Start the two loop handles of the turn budget (d->turn_count, d->next_turn),
 * before the first session; session_stop closes them (uv_walk at exit may
 * instead). */
void session_start(struct mootd *d);
void session_stop(struct mootd *d);

/* Accept a new connection from listener server; called by listen.c. */
void session_accept(struct mootd *d, uv_stream_t *server, int implicit_tls);

/* Append a status line "CODE text\r\n"; text is printf-formatted or NULL
 * for the standard text. */
void session_reply(struct session *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append raw bytes to the output (already in wire form). */
void session_write(struct session *s, const char *p, size_t n);

/* The buffer the next reply bytes go to, for a producer that appends whole
 * lines itself (no dot-stuffing is done); valid until the next session call. */
struct buf *session_output(struct session *s);

/* Append a text line with dot-stuffing and CRLF (for multi-line bodies). */
void session_line(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append the ".\r\n" that ends a multi-line block. */
void session_end(struct session *s);

/* Switch to receiving an article; cb runs when the "." line arrives. */
void session_receive_article(struct session *s, session_article_cb cb);

/* Enter SESSION_WAIT: stop processing commands until session_resume. */
void session_wait(struct session *s);
/* Leave SESSION_WAIT, flush, and process any pipelined input. */
void session_resume(struct session *s);

/* Reserve the next reply's place; its text comes later with session_fill.
 * Returns 0 or MOOT_ENOMEM. */
int session_defer(struct session *s);

/* Give the oldest reserved reply its status line (slots fill in order). */
void session_fill(struct session *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Start a continuation producing the rest of a long reply. */
void session_continue(struct session *s, session_cont_fn fn);

/* After the pending output (the 382 reply) is written, start TLS (RFC 4642). */
int session_starttls(struct session *s);

/* Close after the pending output is written (QUIT, 400). */
void session_close_after_flush(struct session *s);

/* Plaintext arrived from the client: buffer it and process what is complete.
 * (The transport's read callback; also the entry point of the session fuzzer.) */
void session_input(struct session *s, const char *data, size_t len);

/* Send what is buffered now (normally done after each batch of input). */
void session_flush(struct session *s);

/*
 * While ingest runs a batch's callbacks, each session's output is held and
 * written once afterwards (one SSL record and one write for all the 239s a
 * session got from one commit).
 */
void session_hold_writes(struct mootd *d);
void session_release_held(struct mootd *d);

/* Sweep: close sessions idle longer than the configured timeout. */
void session_sweep_idle(struct mootd *d);

/* Free the per-address table (at exit, after every session closed). */
void session_addrs_free(struct mootd *d);

/* Close every session (SIGTERM drain: after flushing their output). */
void session_close_all(struct mootd *d);

#endif
