/*
 * session.c: one client connection.
 *
 * Bytes arrive through the transport (plain or TLS, the same here) into a
 * bounded input buffer.  process() takes complete lines out of it one at a
 * time and hands each command to reader.c, so pipelined commands are
 * answered in order.  Replies accumulate in s->out and all replies produced
 * from one read go out in one write.  Three things stop command processing
 * until they clear: an asynchronous result being awaited (SESSION_WAIT, e.g.
 * a POST waiting for its commit), a long reply still being produced (a
 * continuation), and output over the high-water mark (a reader that does not
 * read).  While stopped, the socket is not read either, so a client cannot
 * grow our memory by sending without reading.
 *
 * A session is freed only in the transport's close callback; the closing
 * flag of the transport makes late callbacks no-ops.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/moot.h"
#include "../proto/line.h"
#include "ingest.h"
#include "reader.h"
#include "session.h"
#include "transit.h"
#include "auth.h"

/* A line of article data longer than this is taken in pieces. */
#define ARTICLE_PIECE (64 * 1024)
/* Most room reserved for an article before its first line (session.art_hint). */
#define ART_HINT_MAX (64 * 1024)
/* Most room an idle session keeps for its next article (finish_article). */
#define ART_KEEP_MAX (16 * 1024)
/* A close that has not completed after this many seconds is forced. */
#define CLOSE_GRACE_S 30

static void process(struct session *s);

/* ---- connections per client address ---- */

#define ADDR_BUCKETS 1024

struct addr_count {
	struct addr_count *next;	/* in its bucket */
	int count;			/* open sessions from host */
	char host[INET6_ADDRSTRLEN];
};

static unsigned int addr_hash(const char *host)
{
	unsigned int h = 2166136261u;	/* FNV-1a */

	while (*host)
		h = (h ^ (unsigned char)*host++) * 16777619u;
	return h % ADDR_BUCKETS;
}

void session_host_of(const char *addr, char *out, size_t outlen)
{
	const char *colon = strrchr(addr, ':');
	size_t n = colon ? (size_t)(colon - addr) : strlen(addr);

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, addr, n);
	out[n] = '\0';
}

/* Add delta to the host's count; returns the new count (0 on failure). */
static int addr_add(struct mootd *d, const char *addr, int delta)
{
	struct addr_count **pp, *a;
	char host[INET6_ADDRSTRLEN];
	int n;

	if (d->addrs == NULL && (d->addrs = calloc(ADDR_BUCKETS, sizeof(*d->addrs))) == NULL)
		return 0;
	session_host_of(addr, host, sizeof(host));
	for (pp = &d->addrs[addr_hash(host)]; (a = *pp) != NULL; pp = &a->next)
		if (strcmp(a->host, host) == 0)
			break;
	if (a == NULL) {
		if (delta < 0 || (a = calloc(1, sizeof(*a))) == NULL)
			return 0;
		snprintf(a->host, sizeof(a->host), "%s", host);
		*pp = a;
	}
	a->count += delta;
	n = a->count;
	if (n <= 0) {
		*pp = a->next;
		free(a);
	}
	return n;
}

void session_addrs_free(struct mootd *d)
{
	size_t i;

	if (d->addrs == NULL)
		return;
	for (i = 0; i < ADDR_BUCKETS; i++)
		while (d->addrs[i]) {
			struct addr_count *a = d->addrs[i];
			d->addrs[i] = a->next;
			free(a);
		}
	free(d->addrs);
	d->addrs = NULL;
}

/* Where output goes now: behind the newest pending reply, if any. */
static struct buf *sink(struct session *s)
{
	return s->slot_tail ? &s->slot_tail->after : &s->out;
}

/* Bytes queued towards the client: assembled plus handed to the socket. */
static size_t queued(const struct session *s)
{
	return s->out.len + s->x.write_pending;
}

void session_flush(struct session *s)
{
	struct mootd *d = s->d;
	uv_buf_t b;

	if (s->out.len == 0 || s->x.closing)
		return;
	if (d->holding_writes && s->out.len < SESSION_OUT_HWM && s->state != SESSION_CLOSING &&
	    !s->close_after_flush) {
		if (!s->held) {
			if (d->nheld == d->capheld) {
				size_t cap = d->capheld ? d->capheld * 2 : 64;
				struct session **h = realloc(d->held, cap * sizeof(*h));
				if (h == NULL)
					goto write;	/* no room to hold: write now */
				d->held = h;
				d->capheld = cap;
			}
			d->held[d->nheld++] = s;
			s->held = 1;
		}
		return;
	}
write:
	b = uv_buf_init(s->out.data, (unsigned int)s->out.len);
	if (xport_write(&s->x, &b, 1) != 0) {
		log_warn("%s: write failed, closing", s->addr);
		buf_clear(&s->out);
		xport_abort(&s->x);
		return;
	}
	/* Keep a small allocation for the next replies; drop a large one. */
	if (s->out.cap > 64 * 1024)
		buf_release(&s->out);
	else
		buf_clear(&s->out);
}

/* Append "CODE text\r\n" to b. */
static void status_line(struct buf *b, int code, const char *fmt, va_list ap)
{
	const char digits[4] = { (char)('0' + code / 100 % 10), (char)('0' + code / 10 % 10),
				 (char)('0' + code % 10), ' ' };

	buf_append(b, digits, sizeof(digits));
	if (fmt == NULL)
		buf_puts(b, command_reply_text(code));
	else if (strcmp(fmt, "%s") == 0)
		buf_puts(b, va_arg(ap, const char *));	/* e.g. 239 <id>: no format to parse */
	else
		buf_vprintf(b, fmt, ap);
	buf_append(b, "\r\n", 2);
}

void session_reply(struct session *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status_line(sink(s), code, fmt, ap);
	va_end(ap);
}

int session_defer(struct session *s)
{
	struct session_slot *slot = calloc(1, sizeof(*slot));

	if (slot == NULL)
		return MOOT_ENOMEM;
	if (s->slot_tail)
		s->slot_tail->next = slot;
	else
		s->slot_head = slot;
	s->slot_tail = slot;
	s->nslots++;
	return 0;
}

void session_fill(struct session *s, int code, const char *fmt, ...)
{
	struct session_slot *slot = s->slot_head;
	va_list ap;

	if (slot == NULL) {
		/* Only a session aborted before it could reserve the slot. */
		assert(s->x.closing);
		return;
	}
	/* Everything before the oldest slot is already in s->out. */
	va_start(ap, fmt);
	status_line(&s->out, code, fmt, ap);
	va_end(ap);
	buf_append(&s->out, slot->after.data, slot->after.len);
	buf_release(&slot->after);
	s->slot_head = slot->next;
	if (s->slot_head == NULL)
		s->slot_tail = NULL;
	s->nslots--;
	free(slot);
}

void session_write(struct session *s, const char *p, size_t n)
{
	buf_append(sink(s), p, n);
}

struct buf *session_output(struct session *s)
{
	return sink(s);
}

void session_line(struct session *s, const char *fmt, ...)
{
	struct buf *b = sink(s);
	size_t start = b->len;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	/* RFC 3977 §3.1.1: a line starting with "." is dot-stuffed. */
	if (b->len > start && b->data[start] == '.') {
		if (buf_reserve(b, 1) == 0) {
			memmove(b->data + start + 1, b->data + start, b->len - start + 1);
			b->data[start] = '.';
			b->len++;
		}
	}
	buf_append(b, "\r\n", 2);
}

void session_end(struct session *s)
{
	buf_append(sink(s), ".\r\n", 3);
}

void session_receive_article(struct session *s, session_article_cb cb)
{
	assert(s->state == SESSION_COMMAND);
	s->state = SESSION_ARTICLE;
	s->art_cb = cb;
	s->art_toobig = 0;
	s->art_midline = 0;
	buf_clear(&s->art);
	/* Room for an article like the last one at once, instead of a
	 * dozen reallocs line by line (a failure here is retried by the
	 * appends). */
	if (s->art_hint > 0)
		buf_reserve(&s->art, s->art_hint);
}

void session_wait(struct session *s)
{
	s->state = SESSION_WAIT;
}

void session_resume(struct session *s)
{
	if (s->state == SESSION_WAIT)
		s->state = SESSION_COMMAND;
	process(s);
}

void session_continue(struct session *s, session_cont_fn fn)
{
	s->cont = fn;
}

void session_hold_writes(struct mootd *d)
{
	d->holding_writes = 1;
}

void session_release_held(struct mootd *d)
{
	size_t i;

	d->holding_writes = 0;
	for (i = 0; i < d->nheld; i++) {
		struct session *s = d->held[i];
		s->held = 0;
		session_flush(s);
		/* Resume reading if the write settled the back-pressure. */
		if (!s->x.closing && !s->eof && s->state != SESSION_WAIT && !s->cont &&
		    s->nslots < SESSION_MAX_SLOTS && queued(s) < SESSION_OUT_HWM)
			xport_resume(&s->x);
	}
	d->nheld = 0;
}

/* Begin closing the transport (after what is queued has been written). */
static void begin_close(struct session *s)
{
	if (s->x.closing)
		return;
	s->state = SESSION_CLOSING;
	session_flush(s);
	s->closing_since = mootd_now();
	xport_close(&s->x);
}

void session_close_after_flush(struct session *s)
{
	s->close_after_flush = 1;
	s->state = SESSION_CLOSING;
}

/*
 * The input not yet taken.  Lines are taken by moving in_off, and the bytes
 * before it are dropped once per read (input_compact): dropping each line
 * with a memmove of everything after it made a 64 KiB read of pipelined
 * articles cost a quadratic 40 MB of copying.
 */
static const char *input(const struct session *s)
{
	return s->in.data + s->in_off;
}

static size_t input_len(const struct session *s)
{
	return s->in.len - s->in_off;
}

static void input_clear(struct session *s)
{
	buf_clear(&s->in);
	s->in_off = 0;
}

static void input_take(struct session *s, size_t n)
{
	s->in_off += n;
	if (s->in_off == s->in.len)
		input_clear(s);
}

/* Move what is left to the front of the buffer. */
static void input_compact(struct session *s)
{
	buf_consume(&s->in, s->in_off);
	s->in_off = 0;
}

int session_starttls(struct session *s)
{
	int rc;

	/* The 382 goes out in plaintext; everything after it is TLS. */
	session_flush(s);
	/* RFC 4642 §2.2.2: a client must not pipeline after STARTTLS; drop it. */
	input_clear(s);
	rc = xport_start_tls(&s->x, s->d->tls, 1, NULL);
	if (rc != 0) {
		log_warn("%s: cannot start TLS", s->addr);
		xport_abort(&s->x);
		return rc;
	}
	s->tls_started = 1;
	return 0;
}

/* The article block is complete: hand it to its callback. */
static void finish_article(struct session *s)
{
	session_article_cb cb = s->art_cb;

	s->art_hint = s->art.len < ART_HINT_MAX ? s->art.len + s->art.len / 8 : ART_HINT_MAX;
	s->state = SESSION_COMMAND;
	s->art_cb = NULL;
	cb(s, &s->art, s->art_toobig ? MOOT_ETOOBIG : 0);
	/* Whatever the callback did not take is not kept; the room of an
	 * ordinary article is, for the next one (the callback may have left
	 * an empty buffer in exchange, see ingest_article). */
	if (s->art.cap > ART_KEEP_MAX)
		buf_release(&s->art);
	else
		buf_clear(&s->art);
}

/* Add one piece of article data, discarding everything once over the limit. */
static void article_add(struct session *s, const char *p, size_t n, int crlf)
{
	size_t limit = (size_t)s->d->cfg.max_article_bytes;

	if (s->art_toobig || (n == 0 && !crlf))
		return;
	if (s->art.len + n + (crlf ? 2 : 0) > limit) {
		s->art_toobig = 1;
		buf_release(&s->art);
		return;
	}
	buf_append(&s->art, p, n);
	if (crlf)
		buf_append(&s->art, "\r\n", 2);
}

/* Take one article line (the rest of one taken in pieces, or a huge one);
 * returns 0 when it needs more input. */
static int take_article_line(struct session *s)
{
	const char *in = input(s);
	size_t len = input_len(s);
	const char *nl = memchr(in, '\n', len);
	size_t n, content;

	if (nl == NULL) {
		/* A huge line without LF yet: take it now so s->in stays bounded. */
		if (len >= ARTICLE_PIECE) {
			article_add(s, in, len, 0);
			s->art_midline = 1;
			input_clear(s);
		}
		return 0;
	}
	n = (size_t)(nl - in) + 1;
	content = n - 1;
	if (content > 0 && in[content - 1] == '\r')
		content--;
	if (!s->art_midline && line_is_terminator(in, content)) {
		input_take(s, n);
		finish_article(s);
		return 1;
	}
	/* Lines are stored with CRLF whatever the client sent (bare LF too). */
	article_add(s, in, content, 1);
	s->art_midline = 0;
	input_take(s, n);
	return 1;
}

/*
 * Take article lines from the input, up to the "." line or the last whole
 * line; returns 0 when it needs more input.  Lines that already end in CRLF
 * (nearly all) are stored as they are, wire form and dot-stuffing kept, so a
 * run of them is appended at once rather than a line at a time (a
 * buf_append per line was a tenth of the loop's time per ingested article).
 */
static int take_article(struct session *s)
{
	const char *in, *p, *end, *run, *nl;
	size_t content;
	int crlf;

	if (s->art_midline)
		return take_article_line(s);
	in = run = p = input(s);
	end = in + input_len(s);
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		content = (size_t)(nl - p);
		crlf = content > 0 && p[content - 1] == '\r';
		if (line_is_terminator(p, crlf ? content - 1 : content)) {
			article_add(s, run, (size_t)(p - run), 0);
			input_take(s, (size_t)(nl + 1 - in));
			finish_article(s);
			return 1;
		}
		if (!crlf) {
			/* A bare LF: the run so far, then this line with a CRLF. */
			article_add(s, run, (size_t)(p - run), 0);
			article_add(s, p, content, 1);
			run = nl + 1;
		}
		p = nl + 1;
	}
	if (p == in)
		return take_article_line(s);	/* no whole line: maybe a huge one */
	article_add(s, run, (size_t)(p - run), 0);
	input_take(s, (size_t)(p - in));
	return 1;
}

/* Take one command line from the input and dispatch it; 0 if it needs more. */
static int take_command(struct session *s)
{
	char line[MOOT_MAX_LINE_BUF + 1];
	struct command cmd;
	size_t content;
	ssize_t n;
	int rc;

	if (s->discarding_line) {
		int done = 0;
		input_take(s, line_skip(input(s), input_len(s), &done));
		if (!done)
			return 0;
		s->discarding_line = 0;
		session_reply(s, 501, "Command line too long");
		return 1;
	}
	n = line_next(input(s), input_len(s), MOOT_MAX_LINE_BUF, &content);
	if (n == 0)
		return 0;
	if (n < 0) {
		s->discarding_line = 1;
		return 1;
	}
	memcpy(line, input(s), content);
	line[content] = '\0';
	input_take(s, (size_t)n);
	s->cmd_started = 0;	/* the next line gets its own time */
	/* RFC 3977 §3.1: at most 512 octets including the CRLF. */
	if (content > MOOT_MAX_COMMAND - 2) {
		session_reply(s, 501, "Command line too long");
		return 1;
	}
	rc = command_parse(line, content, &cmd);
	if (rc == MOOT_ETOOBIG) {
		session_reply(s, 501, "Too many arguments");
		return 1;
	}
	if (rc != 0) {
		if (content == 0)
			session_reply(s, 500, "Empty command");
		else
			session_reply(s, 501, "Invalid characters in command");
		return 1;
	}
	reader_dispatch(s, &cmd);
	return 1;
}

/* Run the current continuation while there is room; 1 if it is finished. */
static int run_continuation(struct session *s)
{
	while (s->cont && queued(s) < SESSION_OUT_HWM) {
		if (!s->cont(s))
			s->cont = NULL;
		if (s->out.len >= SESSION_OUT_CHUNK)
			session_flush(s);
	}
	return s->cont == NULL;
}

static void on_next_turn(uv_idle_t *h)
{
	session_turn(h->loop->data);
}

/*
 * 1 if s may take more input in this turn of the loop (SESSION_TURN_BYTES);
 * otherwise it goes into d->yielded, to go on in the next turn.
 */
static int turn_allows(struct session *s)
{
	struct mootd *d = s->d;

	if (s->turn != d->turn) {
		s->turn = d->turn;
		s->turn_bytes = 0;
	}
	if (s->turn_bytes < SESSION_TURN_BYTES)
		return 1;
	s->yielded = 1;
	s->yield_next = d->yielded;
	d->yielded = s;
	uv_idle_start(&d->next_turn, on_next_turn);
	return 0;
}

static void on_turn_counted(uv_check_t *h)
{
	struct mootd *d = h->loop->data;

	d->turn++;
}

void session_start(struct mootd *d)
{
	uv_check_init(d->loop, &d->turn_count);
	uv_check_start(&d->turn_count, on_turn_counted);
	uv_unref((uv_handle_t *)&d->turn_count);
	/* Started while a session waits for the next turn (turn_allows). */
	uv_idle_init(d->loop, &d->next_turn);
}

void session_stop(struct mootd *d)
{
	uv_close((uv_handle_t *)&d->turn_count, NULL);
	uv_close((uv_handle_t *)&d->next_turn, NULL);
}

void session_turn(struct mootd *d)
{
	struct session *list = d->yielded, *s;

	d->yielded = NULL;
	uv_idle_stop(&d->next_turn);
	/* The last turn's articles are a batch of their own, as they would
	 * be had this turn read nothing. */
	ingest_end_turn(d);
	while ((s = list) != NULL) {
		list = s->yield_next;
		s->yield_next = NULL;
		s->yielded = 0;
		process(s);
	}
}

/*
 * Process buffered input for as long as nothing blocks and the turn's
 * budget lasts, then write what was produced and decide whether to keep
 * reading from the socket.
 */
static void process(struct session *s)
{
	int progress = 1;
	size_t before;

	while (progress && !s->x.closing && s->state != SESSION_CLOSING && !s->yielded) {
		if (s->cont && !run_continuation(s))
			break;
		if (s->state == SESSION_WAIT || queued(s) >= SESSION_OUT_HWM)
			break;
		if (s->nslots >= SESSION_MAX_SLOTS || input_len(s) == 0)
			break;
		if (!turn_allows(s))
			break;
		before = input_len(s);
		if (s->state == SESSION_ARTICLE)
			progress = take_article(s);
		else
			progress = take_command(s);
		if (input_len(s) < before)
			s->turn_bytes += before - input_len(s);
		if (s->out.len >= SESSION_OUT_HWM / 2)
			session_flush(s);
	}
	if (s->x.closing)
		return;
	if (s->state == SESSION_COMMAND && !s->cont && input_len(s) == 0 && s->nslots == 0 &&
	    s->d->draining) {
		session_reply(s, 400, "Server shutting down");
		s->close_after_flush = 1;
	}
	if (s->state == SESSION_COMMAND && !s->cont && s->eof && s->nslots == 0 && !s->yielded &&
	    (input_len(s) == 0 || !progress))
		s->close_after_flush = 1;
	if (s->state == SESSION_ARTICLE && s->eof && !s->yielded) {
		/* RFC: a client that leaves mid-article has posted nothing. */
		buf_release(&s->art);
		s->close_after_flush = 1;
	}
	if (s->close_after_flush || s->state == SESSION_CLOSING) {
		/* A reply queued before the TLS handshake ended (implicit TLS
		 * refusing a connection) goes out once it does. */
		if (s->x.tls && !s->x.handshake_done && !s->eof)
			return;
		/* Replies still owed to earlier commands (a QUIT pipelined
		 * behind TAKETHIS): they, and whatever came after them (the
		 * 205), go out first.  The last of them comes back here. */
		if (s->nslots > 0) {
			session_flush(s);
			xport_pause(&s->x);
			return;
		}
		begin_close(s);
		return;
	}
	/* The clock for finishing a command line or an article (slowloris)
	 * runs only while we wait for the client's bytes, never while the
	 * client waits for us (output over the high-water mark, a commit). */
	if (s->state == SESSION_ARTICLE || (s->state == SESSION_COMMAND && !progress && input_len(s) > 0)) {
		if (s->cmd_started == 0)
			s->cmd_started = mootd_now();
	} else {
		s->cmd_started = 0;
	}
	session_flush(s);
	if (s->eof || s->state == SESSION_WAIT || s->cont || queued(s) >= SESSION_OUT_HWM ||
	    s->nslots >= SESSION_MAX_SLOTS || s->yielded)
		xport_pause(&s->x);
	else if (xport_resume(&s->x) != 0)
		xport_abort(&s->x);
}

void session_input(struct session *s, const char *data, size_t len)
{
	s->last_active = mootd_now();
	input_compact(s);
	if (buf_append(&s->in, data, len) != 0) {
		xport_abort(&s->x);
		return;
	}
	process(s);
}

static void on_read(struct xport *x, const char *data, size_t len, int status)
{
	struct session *s = x->data;

	if (status < 0) {
		if (status != UV_EOF && status != UV_ECONNRESET)
			log_info("%s: connection error: %s", s->addr,
				 status == MOOT_ETLS ? "TLS failure" : uv_strerror(status));
		if (status == UV_EOF && !s->x.closing) {
			s->eof = 1;
			xport_pause(x);
			process(s);
		} else {
			xport_abort(x);
		}
		return;
	}
	session_input(s, data, len);
}

static void on_drain(struct xport *x)
{
	struct session *s = x->data;

	process(s);
}

/* The TLS handshake ended: send what waited for it, or give up. */
static void on_handshake(struct xport *x, int status)
{
	struct session *s = x->data;

	if (status != 0) {
		log_info("%s: TLS handshake failed", s->addr);
		xport_abort(x);
		return;
	}
	transit_identify(s);
	if (s->close_after_flush || s->state == SESSION_CLOSING)
		process(s);
}

static void on_close(struct xport *x)
{
	struct session *s = x->data;
	struct mootd *d = s->d;

	ingest_forget(d, s);
	auth_session_closed(s);
	if (s->yielded) {
		struct session **pp = &d->yielded;
		while (*pp != s)
			pp = &(*pp)->yield_next;
		*pp = s->yield_next;
	}
	if (s->counted)
		addr_add(d, s->addr, -1);
	if (s->prev)
		s->prev->next = s->next;
	else
		d->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	d->nsessions--;
	while (s->slot_head) {
		struct session_slot *slot = s->slot_head;
		s->slot_head = slot->next;
		buf_release(&slot->after);
		free(slot);
	}
	buf_release(&s->in);
	buf_release(&s->out);
	buf_release(&s->art);
	free(s);
}

/* Record the peer's address for logs. */
static void peer_name(struct session *s)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (uv_tcp_getpeername(&s->x.tcp, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			uv_ip6_name(a, host, sizeof(host));
			port = ntohs(a->sin6_port);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			uv_ip4_name(a, host, sizeof(host));
			port = ntohs(a->sin_port);
		}
	}
	snprintf(s->addr, sizeof(s->addr), "%s:%d", host, port);
}

void session_accept(struct mootd *d, uv_stream_t *server, int implicit_tls)
{
	struct session *s = calloc(1, sizeof(*s));
	int from_host;

	if (s == NULL || xport_init(d->loop, &s->x) != 0) {
		free(s);
		log_err("cannot allocate a session");
		return;
	}
	s->x.data = s;
	s->x.read_cb = on_read;
	s->x.drain_cb = on_drain;
	s->x.close_cb = on_close;
	s->x.handshake_cb = on_handshake;
	s->d = d;
	s->state = SESSION_COMMAND;
	s->last_active = mootd_now();
	s->implicit_tls = implicit_tls;
	s->next = d->sessions;
	if (d->sessions)
		d->sessions->prev = s;
	d->sessions = s;
	d->nsessions++;
	d->connections_total++;
	if (uv_accept(server, (uv_stream_t *)&s->x.tcp) != 0) {
		xport_abort(&s->x);
		return;
	}
	peer_name(s);
	from_host = addr_add(d, s->addr, 1);
	s->counted = from_host > 0;
	if (implicit_tls) {
		if (d->tls == NULL || xport_start_tls(&s->x, d->tls, 1, NULL) != 0) {
			xport_abort(&s->x);
			return;
		}
		s->tls_started = 1;
	}
	if (d->draining) {
		session_reply(s, 400, "Server shutting down");
		s->close_after_flush = 1;
	} else if (from_host > d->cfg.max_connections_per_address) {
		session_reply(s, 400, "Too many connections from your address (limit %ld)",
			      d->cfg.max_connections_per_address);
		log_warn("%s: refused: too many connections from this address", s->addr);
		s->close_after_flush = 1;
	} else if ((long)d->nsessions > d->cfg.max_connections) {
		/* RFC 3977 §5.1.1: 400 when service is not available. */
		session_reply(s, 400, "Too many connections (limit %ld), try again later",
			      d->cfg.max_connections);
		log_warn("%s: refused: too many connections", s->addr);
		s->close_after_flush = 1;
	} else {
		reader_greet(s);
	}
	if (xport_start(&s->x) != 0) {
		xport_abort(&s->x);
		return;
	}
	process(s);
}

void session_sweep_idle(struct mootd *d)
{
	int64_t now = mootd_now();
	long idle = d->cfg.idle_timeout_s;
	struct session *s, *next;

	for (s = d->sessions; s; s = next) {
		next = s->next;
		if (s->x.closing) {
			if (s->closing_since && now - s->closing_since > CLOSE_GRACE_S)
				xport_abort(&s->x);
			continue;
		}
		if (s->cmd_started && now - s->cmd_started > d->cfg.command_timeout_s &&
		    s->state != SESSION_WAIT && !s->cont) {
			/* A command line or article dragged out byte by byte. */
			log_info("%s: command not finished in %lds, closing", s->addr,
				 d->cfg.command_timeout_s);
			if (s->state == SESSION_COMMAND)
				session_reply(s, 400, "Command timeout, closing connection");
			buf_release(&s->art);
			begin_close(s);
			continue;
		}
		if (s->state == SESSION_WAIT || now - s->last_active <= idle)
			continue;
		/* RFC 3977 §3.1: the server may close an idle connection. */
		log_info("%s: idle for %lds, closing", s->addr, (long)(now - s->last_active));
		if (s->state == SESSION_COMMAND && !s->cont)
			session_reply(s, 400, "Idle timeout, closing connection");
		begin_close(s);
	}
}

void session_close_all(struct mootd *d)
{
	struct session *s, *next;

	for (s = d->sessions; s; s = next) {
		next = s->next;
		if (s->x.closing)
			continue;
		/* Sessions in the middle of a reply finish it first (process()). */
		if (s->state == SESSION_COMMAND && !s->cont && input_len(s) == 0 && s->nslots == 0) {
			session_reply(s, 400, "Server shutting down");
			begin_close(s);
		} else if (s->state == SESSION_ARTICLE || s->state == SESSION_WAIT) {
			/* Ingest was flushed before: a wait now is a login check. */
			begin_close(s);
		}
	}
}
