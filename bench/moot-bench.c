/*
 * moot-bench.c: a load generator for any NNTP server, in the spirit of
 * redis-benchmark.  One libuv loop drives C connections through the shared
 * transport (proto/tls.c, plain or TLS) and line framing (proto/line.c), and
 * one line of figures is printed per run.
 *
 * Modes:
 *   ingest  MODE STREAM, then pipelined TAKETHIS (RFC 4644 §2.5) of generated
 *           ~1.5 KB articles in threads across the --group list, a window of
 *           64 per connection refilled once per read in one write (or after
 *           each reply, --refill-each); counts 239 (accepted) and 439
 *           (rejected).  Message-IDs follow one another in order within
 *           a run, or with --random-ids start with 16 scrambled hex digits,
 *           so that they land all over the server's index, as Message-IDs
 *           from many origins and from clients that make them up at
 *           random do.
 *   post    POST (RFC 3977 §6.3.1) in a loop on each reader connection.
 *   read    GROUP, OVER over the whole group in chunks of 1000 (RFC 3977
 *           §8.3), then, once every client has finished its OVER walk,
 *           random ARTICLE by number until the end; p50/p99 latency.
 *   idle    open N connections (TLS handshake done, greeting read, MODE
 *           READER answered), hold them, and report the server's resident
 *           memory per connection.
 *
 * Every load is bounded in time: --seconds bounds the run (ingest and post
 * also stop at --count), --over-seconds bounds the OVER walk, and a grace
 * period bounds the wait for replies still in flight at the end.
 */
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "../proto/moot.h"
#include "../proto/buf.h"
#include "../proto/date.h"
#include "../proto/line.h"
#include "../proto/tls.h"

#define MAX_GROUPS 16
#define MAX_REPLY_LINE (1024 * 1024)	/* longest reply line we accept */
#define OVER_CHUNK 1000			/* articles per OVER command */
#define GRACE_MS 15000			/* wait for in-flight replies after the end */
#define MAX_LATENCIES (16u * 1024 * 1024) /* latency samples kept (64 MiB) */
#define THREAD_LEN 10			/* articles per generated thread */
#define BODY_LINES 16			/* lines of generated body text */

enum mode { M_INGEST, M_POST, M_READ, M_IDLE };

enum cstate {
	C_CONNECT,	/* TCP connect (and TLS handshake) under way */
	C_GREETING,	/* waiting for 200/201 */
	C_MODE,		/* MODE STREAM or MODE READER sent */
	C_GROUP,	/* GROUP sent */
	C_OVER,		/* OVER sent; reply may be multi-line */
	C_WAIT,		/* read: OVER done, waiting for the others */
	C_ARTICLE,	/* ARTICLE sent */
	C_STREAM,	/* ingest: TAKETHIS in flight */
	C_POST,		/* POST sent, waiting for 340 */
	C_POSTED,	/* article sent, waiting for 240/441 */
	C_IDLE,		/* idle: greeting read, holding */
	C_DONE		/* closing or closed */
};

struct opts {
	enum mode mode;
	const char *host;
	int port;
	int tls;
	int insecure;
	const char *ca;			/* CA file for server verification */
	const char *cert, *key;		/* our client certificate */
	int conns;
	uint64_t count;			/* 0: unbounded (then --seconds) */
	double seconds;
	double over_seconds;		/* read: bound on the OVER walk */
	int window;			/* ingest: TAKETHIS in flight per connection */
	int burst;			/* idle: connects in progress at once */
	int quickack;			/* re-arm TCP_QUICKACK after every read */
	int refill_each;		/* ingest: a write per reply, not one per read */
	int random_ids;			/* ingest: Message-IDs in no order (--random-ids) */
	const char *groups[MAX_GROUPS];
	int ngroups;
	long pid;			/* idle: server process to measure, or 0 */
	const char *pids_of;		/* idle: sum every process with this comm */
};

struct bench;

struct client {
	struct xport x;			/* x.data == this */
	struct bench *b;
	uv_connect_t connect;
	int id;
	enum cstate state;
	int closed;			/* close callback ran */
	int counted_open;		/* idle: counted in b->open */
	struct buf in;			/* received plaintext not yet framed */
	struct buf out;			/* commands being assembled */
	int multiline;			/* inside a multi-line reply body */
	int ml_code;			/* its status code */
	int inflight;			/* ingest: TAKETHIS awaiting a reply */
	int refill;			/* ingest: replies came, refill the window after this read */
	uint64_t seq;			/* articles generated on this connection */
	uint64_t low, high, next;	/* read: group range and OVER cursor */
	uint64_t t_sent;		/* read: when ARTICLE went out (ns) */
	uint64_t rng;			/* xorshift state */
	const char *group;		/* read: the group this client reads */
};

struct bench {
	uv_loop_t *loop;
	struct opts o;
	struct tls_ctx *ctx;
	struct client *c;
	int nclosed;			/* clients whose close callback ran */
	uv_timer_t end_timer;		/* --seconds / --over-seconds / grace */
	uv_signal_t sigint, sigterm;
	int stopping;			/* no new work is issued */
	int ending;			/* final grace period running */
	char runid[40];
	char date[64];
	char body[BODY_LINES * 80];	/* generated body, wire form */
	size_t body_len;
	/* figures */
	uint64_t t_start, t_end;	/* the measured phase (ns) */
	uint64_t issued;		/* ingest/post: articles sent */
	uint64_t accepted, rejected;
	uint64_t errors;
	uint64_t over_lines;
	uint64_t group_count;		/* read: articles in the first client's group */
	uint64_t t_over_start, t_over_end;
	int over_done;			/* clients finished with OVER */
	int over_stop;			/* --over-seconds passed */
	uint64_t articles, misses, article_bytes;
	uint32_t *lat;			/* ARTICLE latency samples (us) */
	size_t nlat, caplat;
	/* idle */
	int next_connect;		/* index of the next client to connect */
	int connecting;			/* connects in progress */
	int open;
	int failed;
	int holding;
	int held;			/* idle: connections still open at the end */
	long rss_before, pss_before, rss_after, pss_after;
};

static void client_close(struct client *c);
static void begin_end(struct bench *b);
static void idle_connect_more(struct bench *b);

/* ---- small utilities ---- */

/* A fatal start-up error: print and exit (never after the loop has run work). */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("moot-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* xorshift64*: a fast, good-enough generator for picking article numbers. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ULL;
}

/* Seconds between two uv_hrtime values. */
static double secs(uint64_t from, uint64_t to)
{
	return to > from ? (double)(to - from) / 1e9 : 0.0;
}

/* One kB figure ("Key:   123 kB") from a /proc file, or -1. */
static long proc_kb(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* RSS and PSS (kB) of one process; -1 each when unreadable. */
static void proc_mem(long pid, long *rss, long *pss)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	*rss = proc_kb(path, "VmRSS");
	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", pid);
	*pss = proc_kb(path, "Pss");
}

/*
 * The server's memory in kB: of --pid, or summed over every process whose
 * comm is --pids-of (INN forks one nnrpd per reader).  RSS counts shared
 * pages once per process; PSS divides them, so both are reported.
 */
static void server_mem(const struct opts *o, long *rss, long *pss)
{
	struct dirent *de;
	char path[300], comm[64];
	long r, p;
	DIR *d;
	FILE *f;

	*rss = *pss = -1;
	if (o->pid > 0) {
		proc_mem(o->pid, rss, pss);
		return;
	}
	if (o->pids_of == NULL || (d = opendir("/proc")) == NULL)
		return;
	*rss = *pss = 0;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		if (strcmp(comm, o->pids_of) != 0)
			continue;
		proc_mem(strtol(de->d_name, NULL, 10), &r, &p);
		if (r > 0)
			*rss += r;
		if (p > 0)
			*pss += p;
	}
	closedir(d);
}

/* Raise RLIMIT_NOFILE to the hard limit; returns the soft limit now in force. */
static long raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1L << 30 : (long)rl.rlim_cur;
}

/* ---- generated articles ---- */

/* Fill b->body with BODY_LINES lines of text in wire form (~1.1 KB). */
static void make_body(struct bench *b)
{
	static const char *words[] = {
		"moot", "news", "thread", "reply", "group", "server", "reader", "loop",
		"peer", "article", "overview", "number", "benchmark", "figure", "latency",
		"commit", "storage", "transit", "stream", "window"
	};
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	size_t off = 0;
	int i;

	for (i = 0; i < BODY_LINES; i++) {
		size_t start = off;
		while (off - start < 64) {
			const char *w = words[rnd(&s) % MOOT_ARRAY_SIZE(words)];
			off += (size_t)snprintf(b->body + off, sizeof(b->body) - off, "%s ", w);
		}
		b->body[off - 1] = '\r';
		b->body[off++] = '\n';
	}
	b->body_len = off;
	assert(off < sizeof(b->body));
}

/* The message-id of article seq on connection id, into out. */
/* The decimal digits of v at out (room for 20); returns their count. */
static size_t put_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/*
 * "<runid.id.seq@bench.example>" into out (at least MSGID_ROOM bytes), or
 * with --random-ids "<h.runid.id.seq@bench.example>", h 16 hex digits that
 * scramble id and seq (a bijection of 64 bits: distinct for each article).
 * Built by hand, like the rest of each article: with printf, formatting
 * took half of the load generator's time, which shares the machine's
 * cores with the server it measures.
 */
#define MSGID_ROOM 96
static size_t msgid(const struct bench *b, int id, uint64_t seq, char *out, size_t outlen)
{
	static const char tail[] = "@bench.example>";
	size_t n = 0, r = strlen(b->runid);

	if (outlen < MSGID_ROOM || id < 0)
		abort();	/* a bug here, not an input */
	out[n++] = '<';
	if (b->o.random_ids) {
		/* splitmix64's finalizer of id and seq (seq < 2^40 in any run) */
		uint64_t h = ((uint64_t)id << 40) ^ seq;
		int k;

		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
		h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
		h ^= h >> 31;
		for (k = 60; k >= 0; k -= 4)
			out[n++] = "0123456789abcdef"[(h >> k) & 15];
		out[n++] = '.';
	}
	memcpy(out + n, b->runid, r);
	n += r;
	out[n++] = '.';
	n += put_u64(out + n, (uint64_t)id);
	out[n++] = '.';
	n += put_u64(out + n, seq);
	memcpy(out + n, tail, sizeof(tail));
	return n + sizeof(tail) - 1;
}

/* Append v in decimal. */
static int buf_u64(struct buf *o, uint64_t v)
{
	char d[20];

	return buf_append(o, d, put_u64(d, v));
}

/*
 * Append the next generated article of client c to c->out in wire form
 * (headers, blank line, dot-stuffed body; no terminator).  Articles come in
 * threads of THREAD_LEN: the first starts a thread, the rest carry
 * References (RFC 5536 §3.2.10) to the root and the previous article.  The
 * thread's group rotates over the --group list; every 8th thread is
 * crossposted to all of them.  with_path: a transit article carries Path;
 * a POST leaves it to the server.
 */
static int append_article(struct client *c, int with_path, char *id, size_t idlen)
{
	struct bench *b = c->b;
	uint64_t seq = c->seq++, thread = seq / THREAD_LEN, pos = seq % THREAD_LEN;
	char root[128], prev[128];
	int rc = 0, i;

	size_t idn = msgid(b, c->id, seq, id, idlen);

	if (with_path)
		rc |= buf_puts(&c->out, "Path: bench.example!not-for-mail\r\n");
	rc |= buf_puts(&c->out, "From: Bench Writer <writer@bench.example>\r\nNewsgroups: ");
	if (thread % 8 == 7 && b->o.ngroups > 1) {
		for (i = 0; i < b->o.ngroups; i++)
			rc |= buf_printf(&c->out, "%s%s", i ? "," : "", b->o.groups[i]);
	} else {
		rc |= buf_puts(&c->out, b->o.groups[(thread + (uint64_t)c->id) % (uint64_t)b->o.ngroups]);
	}
	rc |= buf_puts(&c->out, pos ? "\r\nSubject: Re: bench thread " : "\r\nSubject: bench thread ");
	rc |= buf_u64(&c->out, (uint64_t)c->id);
	rc |= buf_puts(&c->out, ".");
	rc |= buf_u64(&c->out, thread);
	rc |= buf_puts(&c->out, "\r\nDate: ");
	rc |= buf_puts(&c->out, b->date);
	rc |= buf_puts(&c->out, "\r\nMessage-ID: ");
	rc |= buf_append(&c->out, id, idn);
	rc |= buf_puts(&c->out, "\r\n");
	if (pos) {
		rc |= buf_puts(&c->out, "References: ");
		rc |= buf_append(&c->out, root, msgid(b, c->id, seq - pos, root, sizeof(root)));
		if (pos > 1) {
			rc |= buf_puts(&c->out, " ");
			rc |= buf_append(&c->out, prev, msgid(b, c->id, seq - 1, prev, sizeof(prev)));
		}
		rc |= buf_puts(&c->out, "\r\n");
	}
	rc |= buf_puts(&c->out, "User-Agent: moot-bench/" MOOT_VERSION "\r\n\r\nArticle ");
	rc |= buf_u64(&c->out, seq);
	rc |= buf_puts(&c->out, " of connection ");
	rc |= buf_u64(&c->out, (uint64_t)c->id);
	rc |= buf_puts(&c->out, " in this run.\r\n");
	rc |= buf_append(&c->out, b->body, b->body_len);
	return rc ? MOOT_ENOMEM : 0;
}

/* ---- sending ---- */

/* Write c->out as one write and clear it; a failure closes the client. */
static void flush_out(struct client *c)
{
	uv_buf_t ub;

	if (c->out.len == 0)
		return;
	ub = uv_buf_init(c->out.data, (unsigned int)c->out.len);
	if (xport_write(&c->x, &ub, 1) != 0) {
		c->b->errors++;
		client_close(c);
	}
	buf_clear(&c->out);
}

/* Send one command line. */
static void send_cmd(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_cmd(struct client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	buf_puts(&c->out, "\r\n");
	flush_out(c);
}

/* ingest: fill the TAKETHIS window (all in one write). */
static void ingest_fill(struct client *c)
{
	struct bench *b = c->b;
	char id[128];

	while (!b->stopping && c->inflight < b->o.window) {
		if (b->o.count && b->issued >= b->o.count) {
			b->stopping = 1;
			break;
		}
		/* RFC 4644 §2.5: TAKETHIS <id>, then the article at once. */
		buf_puts(&c->out, "TAKETHIS ");
		buf_append(&c->out, id, msgid(b, c->id, c->seq, id, sizeof(id)));
		buf_puts(&c->out, "\r\n");
		if (append_article(c, 1, id, sizeof(id)) != 0 || buf_puts(&c->out, ".\r\n") != 0) {
			b->errors++;
			client_close(c);
			return;
		}
		c->inflight++;
		b->issued++;
	}
	if (b->stopping && c->inflight == 0) {
		/* The count ran out as this connection's window emptied: no reply
		 * will come to close it (on_reply closes on the last one). */
		client_close(c);
		return;
	}
	flush_out(c);
}

/* post: offer the next article with POST, or close when the run is over. */
static void post_next(struct client *c)
{
	struct bench *b = c->b;

	if (b->stopping || (b->o.count && b->issued >= b->o.count)) {
		client_close(c);
		return;
	}
	b->issued++;
	c->state = C_POST;
	send_cmd(c, "POST");
}

/* read: one more client is through its OVER walk (or gone); when all are,
 * the ARTICLE phase starts. */
static void over_finished(struct bench *b)
{
	b->over_done++;
	if (b->over_done == b->o.conns)
		begin_end(b);
}

/* read: the next OVER chunk, or wait for the others. */
static void over_next(struct client *c)
{
	struct bench *b = c->b;
	uint64_t to;

	if (b->over_stop || b->stopping || c->next > c->high || c->high == 0) {
		c->state = C_WAIT;
		over_finished(b);
		return;
	}
	to = c->next + OVER_CHUNK - 1;
	if (to > c->high)
		to = c->high;
	c->state = C_OVER;
	send_cmd(c, "OVER %" PRIu64 "-%" PRIu64, c->next, to);
	c->next = to + 1;
}

/* read: a random ARTICLE by number. */
static void article_next(struct client *c)
{
	struct bench *b = c->b;
	uint64_t n;

	if (b->stopping || (b->o.count && b->articles + b->misses >= b->o.count)) {
		client_close(c);
		return;
	}
	n = c->high >= c->low && c->high ? c->low + rnd(&c->rng) % (c->high - c->low + 1) : 1;
	c->state = C_ARTICLE;
	c->t_sent = uv_hrtime();
	send_cmd(c, "ARTICLE %" PRIu64, n);
}

/* ---- replies ---- */

/* Keep one latency sample (us). */
static void add_latency(struct bench *b, uint64_t ns)
{
	uint32_t *n;

	if (b->nlat == b->caplat) {
		if (b->caplat >= MAX_LATENCIES)
			return;
		b->caplat = b->caplat ? b->caplat * 2 : 65536;
		n = realloc(b->lat, b->caplat * sizeof(*n));
		if (n == NULL) {
			b->caplat = b->nlat;
			return;
		}
		b->lat = n;
	}
	b->lat[b->nlat++] = (uint32_t)(ns / 1000 > UINT32_MAX ? UINT32_MAX : ns / 1000);
}

/* A multi-line reply (OVER 224, ARTICLE 220) ended. */
static void multiline_done(struct client *c)
{
	struct bench *b = c->b;

	c->multiline = 0;
	if (c->state == C_OVER) {
		over_next(c);
	} else if (c->state == C_ARTICLE) {
		if (!b->stopping) {
			b->articles++;
			add_latency(b, uv_hrtime() - c->t_sent);
		}
		article_next(c);
	}
}

/* Parse "NNN" at the start of a status line; -1 when it is not one. */
static int status_code(const char *l, size_t n)
{
	if (n < 3 || !isdigit((unsigned char)l[0]) || !isdigit((unsigned char)l[1]) ||
	    !isdigit((unsigned char)l[2]))
		return -1;
	return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
}

/* An unexpected reply: count it and drop the connection. */
static void unexpected(struct client *c, const char *l, size_t n)
{
	c->b->errors++;
	if (c->b->errors <= 5)
		fprintf(stderr, "moot-bench: connection %d: unexpected reply '%.*s'\n", c->id,
			(int)(n > 100 ? 100 : n), l);
	client_close(c);
}

/* The greeting arrived: the first command of each mode. */
static void on_greeting(struct client *c)
{
	struct bench *b = c->b;

	switch (b->o.mode) {
	case M_INGEST:
		c->state = C_MODE;
		send_cmd(c, "MODE STREAM");
		break;
	default:
		c->state = C_MODE;
		send_cmd(c, "MODE READER");
		break;
	}
}

/* One status line (not inside a multi-line body). */
static void on_status(struct client *c, const char *l, size_t n)
{
	struct bench *b = c->b;
	int code = status_code(l, n);
	char id[128];
	unsigned long long cnt, lo, hi;

	switch (c->state) {
	case C_GREETING:
		if (code == 200 || code == 201)
			on_greeting(c);
		else
			unexpected(c, l, n);
		return;
	case C_MODE:
		if (b->o.mode == M_INGEST && code == 203) {
			c->state = C_STREAM;
			ingest_fill(c);
		} else if (b->o.mode == M_POST && (code == 200 || code == 201)) {
			post_next(c);
		} else if (b->o.mode == M_IDLE && (code == 200 || code == 201)) {
			/* A reader that said hello and went quiet (INN's nnrpd
			 * drops a connection with no command after initialtimeout). */
			c->state = C_IDLE;
			c->counted_open = 1;
			b->open++;
			b->connecting--;
			idle_connect_more(b);
		} else if (b->o.mode == M_READ && (code == 200 || code == 201)) {
			c->state = C_GROUP;
			send_cmd(c, "GROUP %s", c->group);
		} else {
			unexpected(c, l, n);
		}
		return;
	case C_GROUP:
		/* RFC 3977 §6.1.1: 211 number low high group */
		if (code != 211 || sscanf(l + 3, "%llu %llu %llu", &cnt, &lo, &hi) != 3) {
			unexpected(c, l, n);
			return;
		}
		if (b->group_count == 0)
			b->group_count = cnt;
		c->low = lo;
		c->high = cnt ? hi : 0;
		c->next = lo;
		over_next(c);
		return;
	case C_OVER:
		if (code == 224) {
			c->multiline = 1;
			c->ml_code = code;
		} else if (code == 423) {
			over_next(c);	/* an empty range */
		} else {
			unexpected(c, l, n);
		}
		return;
	case C_ARTICLE:
		if (code == 220) {
			c->multiline = 1;
			c->ml_code = code;
		} else if (code == 423 || code == 430) {
			if (!b->stopping)
				b->misses++;
			article_next(c);
		} else {
			unexpected(c, l, n);
		}
		return;
	case C_STREAM:
		/* RFC 4644 §2.5: 239 transferred OK, 439 rejected */
		b->t_end = uv_hrtime();
		if (code == 239)
			b->accepted++;
		else if (code == 439)
			b->rejected++;
		else {
			unexpected(c, l, n);
			return;
		}
		c->inflight--;
		if (b->stopping) {
			if (c->inflight == 0)
				client_close(c);
		} else if (b->o.refill_each) {
			ingest_fill(c);	/* this reply's slot at once, in a write of its own */
		} else {
			c->refill = 1;	/* once the whole read is handled: one write */
		}
		return;
	case C_POST:
		if (code != 340) {
			unexpected(c, l, n);
			return;
		}
		c->state = C_POSTED;
		if (append_article(c, 0, id, sizeof(id)) != 0) {
			client_close(c);
			return;
		}
		buf_puts(&c->out, ".\r\n");
		flush_out(c);
		return;
	case C_POSTED:
		b->t_end = uv_hrtime();
		if (code == 240)
			b->accepted++;
		else if (code == 441)
			b->rejected++;
		else {
			unexpected(c, l, n);
			return;
		}
		post_next(c);
		return;
	default:
		unexpected(c, l, n);
		return;
	}
}

/* One received line, without CRLF. */
static void on_line(struct client *c, const char *l, size_t n)
{
	struct bench *b = c->b;

	if (c->multiline) {
		if (line_is_terminator(l, n)) {
			multiline_done(c);
			return;
		}
		if (c->ml_code == 224)
			b->over_lines++;
		else
			b->article_bytes += n + 2;
		return;
	}
	on_status(c, l, n);
}

/* Linux leaves quick-ACK mode on its own, so this is re-armed per read. */
static void quickack(struct client *c)
{
	uv_os_fd_t fd;
	int one = 1;

	if (uv_fileno((uv_handle_t *)&c->x.tcp, &fd) == 0)
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

static void on_read(struct xport *x, const char *data, size_t len, int status)
{
	struct client *c = x->data;
	size_t off = 0, content;
	ssize_t n;

	if (status < 0 || c->state == C_DONE) {
		if (status < 0 && c->state != C_DONE) {
			if (c->state == C_IDLE && c->b->holding)
				;	/* the server dropped an idle connection: counted at the end */
			else if (c->b->errors++ < 5)
				fprintf(stderr, "moot-bench: connection %d: %s in state %d\n", c->id,
					status == MOOT_ETLS ? "TLS failure" : uv_strerror(status), c->state);
			if (c->state == C_CONNECT || c->state == C_GREETING || c->state == C_MODE) {
				c->b->failed++;
				if (c->b->o.mode == M_IDLE)
					c->b->connecting--;
			}
			client_close(c);
			if (c->b->o.mode == M_IDLE)
				idle_connect_more(c->b);
		}
		return;
	}
	if (c->b->o.quickack)
		quickack(c);
	if (buf_append(&c->in, data, len) != 0) {
		client_close(c);
		return;
	}
	while (c->state != C_DONE && c->state != C_IDLE) {
		n = line_next(c->in.data + off, c->in.len - off, MAX_REPLY_LINE, &content);
		if (n == 0)
			break;
		if (n < 0) {
			unexpected(c, "(line too long)", 15);
			break;
		}
		on_line(c, c->in.data + off, content);
		off += (size_t)n;
	}
	if (c->refill && c->state == C_STREAM) {
		c->refill = 0;
		ingest_fill(c);
	}
	if (c->state == C_IDLE) {
		/* An idle connection keeps no buffers (what a server should do too). */
		buf_release(&c->in);
		buf_release(&c->out);
	} else if (c->state != C_DONE) {
		buf_consume(&c->in, off);
	}
}

static void on_closed(struct xport *x)
{
	struct client *c = x->data;
	struct bench *b = c->b;

	c->closed = 1;
	buf_release(&c->in);
	buf_release(&c->out);
	b->nclosed++;
	if (b->o.mode != M_IDLE && b->nclosed == b->o.conns) {
		if (b->t_end == 0)
			b->t_end = uv_hrtime();
		uv_timer_stop(&b->end_timer);
		uv_close((uv_handle_t *)&b->end_timer, NULL);
		uv_close((uv_handle_t *)&b->sigint, NULL);
		uv_close((uv_handle_t *)&b->sigterm, NULL);
	}
}

/* Close a client once (a closing or never-connected one is left alone). */
static void client_close(struct client *c)
{
	struct bench *b = c->b;

	if (c->state == C_DONE)
		return;
	if (c->counted_open) {
		c->counted_open = 0;
		b->open--;
	}
	/* read: a client dropped before its OVER walk ended must not hold the others. */
	if (b->o.mode == M_READ && b->t_over_end == 0 && c->state != C_WAIT) {
		c->state = C_DONE;
		over_finished(b);
	}
	c->state = C_DONE;
	xport_close(&c->x);
}

static void on_handshake(struct xport *x, int status)
{
	struct client *c = x->data;

	if (status == 0 && c->state == C_CONNECT)
		c->state = C_GREETING;
}

static void on_connect(uv_connect_t *req, int status)
{
	struct client *c = req->data;
	struct bench *b = c->b;

	if (status < 0 || xport_start(&c->x) != 0 ||
	    (b->o.tls && xport_start_tls(&c->x, b->ctx, 0, b->o.host) != 0)) {
		if (b->errors++ < 5)
			fprintf(stderr, "moot-bench: connect %s:%d: %s\n", b->o.host, b->o.port,
				status < 0 ? uv_strerror(status) : "failed");
		b->failed++;
		if (b->o.mode == M_IDLE)
			b->connecting--;
		client_close(c);
		if (b->o.mode == M_IDLE)
			idle_connect_more(b);
		return;
	}
	if (!b->o.tls)
		c->state = C_GREETING;
}

/* Start connecting client i. */
static void client_start(struct bench *b, int i)
{
	struct client *c = &b->c[i];
	struct sockaddr_storage sa;
	int rc;

	c->b = b;
	c->id = i;
	c->rng = 0x2545f4914f6cdd1dULL ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL);
	c->group = b->o.groups[i % b->o.ngroups];
	if (xport_init(b->loop, &c->x) != 0)
		die("cannot make a TCP handle (out of file descriptors?)");
	c->x.data = c;
	c->x.read_cb = on_read;
	c->x.close_cb = on_closed;
	c->x.handshake_cb = on_handshake;
	c->state = C_CONNECT;
	if (uv_ip4_addr(b->o.host, b->o.port, (struct sockaddr_in *)&sa) != 0 &&
	    uv_ip6_addr(b->o.host, b->o.port, (struct sockaddr_in6 *)&sa) != 0)
		die("'%s' is not an IP address", b->o.host);
	c->connect.data = c;
	rc = uv_tcp_connect(&c->connect, &c->x.tcp, (struct sockaddr *)&sa, on_connect);
	if (rc < 0) {
		if (b->errors++ < 5)
			fprintf(stderr, "moot-bench: connect: %s\n", uv_strerror(rc));
		b->failed++;
		if (b->o.mode == M_IDLE)
			b->connecting--;
		c->state = C_DONE;
		xport_abort(&c->x);
	}
}

/* ---- phases and the end ---- */

static void on_end_timer(uv_timer_t *t);

/* Stop every client now (after the grace period, or a second signal). */
static void abort_all(struct bench *b)
{
	int i;

	if (b->t_end == 0)
		b->t_end = uv_hrtime();
	for (i = 0; i < b->o.conns; i++)
		if (b->c[i].state != C_DONE) {
			b->c[i].state = C_DONE;
			xport_abort(&b->c[i].x);
		}
}

/*
 * Move to the next phase: for read, from the OVER walk to the ARTICLE phase
 * (which lasts --seconds); otherwise to the end of the run.
 */
static void begin_end(struct bench *b)
{
	int i;

	if (b->o.mode == M_READ && b->t_over_end == 0) {
		b->t_over_end = uv_hrtime();
		b->t_start = b->t_over_end;
		uv_timer_start(&b->end_timer, on_end_timer, (uint64_t)(b->o.seconds * 1000), 0);
		for (i = 0; i < b->o.conns; i++)
			if (b->c[i].state == C_WAIT)
				article_next(&b->c[i]);
		return;
	}
}

/* The run's time is up: stop issuing, and bound the wait for what is in flight. */
static void stop_run(struct bench *b)
{
	int i;

	if (b->ending) {
		abort_all(b);
		return;
	}
	b->stopping = 1;
	b->ending = 1;
	if (b->o.mode == M_READ || b->o.mode == M_IDLE) {
		/* ARTICLE figures stop at the deadline; idle connections just go. */
		if (b->t_end == 0)
			b->t_end = uv_hrtime();
		if (b->o.mode == M_IDLE) {
			server_mem(&b->o, &b->rss_after, &b->pss_after);
			b->held = b->open;
		}
		for (i = 0; i < b->o.conns; i++)
			client_close(&b->c[i]);
		if (b->o.mode == M_IDLE) {
			abort_all(b);
			uv_close((uv_handle_t *)&b->end_timer, NULL);
			uv_close((uv_handle_t *)&b->sigint, NULL);
			uv_close((uv_handle_t *)&b->sigterm, NULL);
			return;
		}
	} else {
		for (i = 0; i < b->o.conns; i++) {
			struct client *c = &b->c[i];
			if (c->state == C_STREAM && c->inflight == 0)
				client_close(c);
			else if (c->state == C_POST || c->state == C_MODE || c->state == C_GREETING ||
				 c->state == C_CONNECT)
				client_close(c);
		}
	}
	uv_timer_start(&b->end_timer, on_end_timer, GRACE_MS, 0);
}

static void on_end_timer(uv_timer_t *t)
{
	struct bench *b = t->data;

	if (b->o.mode == M_READ && b->t_over_end == 0 && !b->over_stop) {
		/* --over-seconds passed: finish the chunks in flight, then
		 * ARTICLE; a server that does not answer is given up on later. */
		b->over_stop = 1;
		uv_timer_start(&b->end_timer, on_end_timer, GRACE_MS, 0);
		return;
	}
	stop_run(b);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct bench *b = s->data;

	(void)signum;
	if (b->o.mode == M_READ && b->t_over_end == 0)
		b->over_stop = 1;
	stop_run(b);
}

/* idle: keep up to --burst connects in flight until all are started. */
static void idle_connect_more(struct bench *b)
{
	while (!b->stopping && b->next_connect < b->o.conns && b->connecting < b->o.burst) {
		b->connecting++;
		client_start(b, b->next_connect++);
	}
	if (!b->holding && !b->stopping && b->next_connect == b->o.conns && b->connecting == 0) {
		/* Everything is open (or failed): measure, then hold. */
		b->holding = 1;
		b->t_start = uv_hrtime();
		fprintf(stderr, "moot-bench: %d open, holding for %.0f s\n", b->open, b->o.seconds);
		uv_timer_start(&b->end_timer, on_end_timer, (uint64_t)(b->o.seconds * 1000), 0);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile of the latency samples, in ms. */
static double percentile(const struct bench *b, double p)
{
	size_t i;

	if (b->nlat == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(b->nlat - 1) + 0.5);
	return b->lat[i] / 1000.0;
}

/* Print the one line of figures. */
static void report(struct bench *b)
{
	const struct opts *o = &b->o;
	double t = secs(b->t_start, b->t_end);

	switch (o->mode) {
	case M_INGEST:
	case M_POST:
		printf("mode=%s conns=%d tls=%d articles=%" PRIu64 " accepted=%" PRIu64
		       " rejected=%" PRIu64 " seconds=%.2f articles_per_s=%.0f errors=%" PRIu64 "\n",
		       o->mode == M_INGEST ? "ingest" : "post", o->conns, o->tls,
		       b->accepted + b->rejected, b->accepted, b->rejected, t,
		       t > 0 ? (double)(b->accepted + b->rejected) / t : 0, b->errors);
		break;
	case M_READ:
		if (b->nlat > 0)
			qsort(b->lat, b->nlat, sizeof(*b->lat), cmp_u32);
		printf("mode=read clients=%d tls=%d group_count=%" PRIu64 " over_lines=%" PRIu64 " over_s=%.2f over_lines_per_s=%.0f"
		       " articles=%" PRIu64 " article_s=%.2f article_per_s=%.0f article_mb_per_s=%.1f"
		       " p50_ms=%.3f p99_ms=%.3f misses=%" PRIu64 " errors=%" PRIu64 "\n",
		       o->conns, o->tls, b->group_count, b->over_lines, secs(b->t_over_start, b->t_over_end),
		       secs(b->t_over_start, b->t_over_end) > 0 ?
		       (double)b->over_lines / secs(b->t_over_start, b->t_over_end) : 0,
		       b->articles, t, t > 0 ? (double)b->articles / t : 0,
		       t > 0 ? (double)b->article_bytes / t / 1e6 : 0,
		       percentile(b, 50), percentile(b, 99), b->misses, b->errors);
		break;
	case M_IDLE:
		printf("mode=idle conns=%d tls=%d open=%d failed=%d held_s=%.1f rss_before_kb=%ld"
		       " rss_after_kb=%ld pss_before_kb=%ld pss_after_kb=%ld per_conn_bytes=%.0f"
		       " per_conn_pss_bytes=%.0f errors=%" PRIu64 "\n",
		       o->conns, o->tls, b->held, o->conns - b->held, t, b->rss_before, b->rss_after,
		       b->pss_before, b->pss_after,
		       b->held > 0 && b->rss_after >= 0 ?
		       (double)(b->rss_after - b->rss_before) * 1024.0 / b->held : 0,
		       b->held > 0 && b->pss_after >= 0 ?
		       (double)(b->pss_after - b->pss_before) * 1024.0 / b->held : 0,
		       b->errors);
		break;
	}
	fflush(stdout);
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: moot-bench ingest|post|read|idle --host ADDR --port N [options]\n"
		"  --tls                 implicit TLS (RFC 8143)\n"
		"  --insecure            do not verify the server certificate\n"
		"  --quickack            ACK at once (TCP_QUICKACK after every read): hides the\n"
		"                        Nagle/delayed-ACK stall of servers that reply in pieces\n"
		"  --ca FILE             verify the server against this CA (default: system store)\n"
		"  --cert FILE --key FILE  our client certificate (peers: TAKETHIS on mootd)\n"
		"  --connections C       connections or clients (default 1; idle: 100)\n"
		"  --count N             stop after N articles (ingest, post) or ARTICLEs (read)\n"
		"  --seconds S           run length (default 10; read: the ARTICLE phase; idle: hold)\n"
		"  --over-seconds S      read: bound on the OVER walk (default 60)\n"
		"  --window W            ingest: TAKETHIS in flight per connection (default 64)\n"
		"  --refill-each         ingest: send the next article after each reply, in a\n"
		"                        write of its own (default: refill once per read)\n"
		"  --random-ids          ingest: Message-IDs in no order (default: in order)\n"
		"  --group G             a group (repeatable; default bench.test and bench.other)\n"
		"  --burst B             idle: connects in progress at once (default 200)\n"
		"  --pid PID             idle: the server process whose memory is measured\n"
		"  --pids-of NAME        idle: sum the memory of every process named NAME\n");
}

/* A numeric argument in [lo, hi], or exit. */
static double num_arg(const char *opt, const char *v, double lo, double hi)
{
	char *end;
	double d;

	if (v == NULL)
		die("%s needs a value", opt);
	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || d < lo || d > hi)
		die("%s: '%s' is not a number from %g to %g", opt, v, lo, hi);
	return d;
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	int i, conns_set = 0;

	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->conns = 1;
	o->seconds = 10;
	o->over_seconds = 60;
	o->window = 64;
	o->burst = 200;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		exit(argc < 2 ? 2 : 0);
	}
	if (strcmp(argv[1], "ingest") == 0)
		o->mode = M_INGEST;
	else if (strcmp(argv[1], "post") == 0)
		o->mode = M_POST;
	else if (strcmp(argv[1], "read") == 0)
		o->mode = M_READ;
	else if (strcmp(argv[1], "idle") == 0)
		o->mode = M_IDLE;
	else
		die("unknown mode '%s' (ingest, post, read, idle)", argv[1]);
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--tls") == 0) {
			o->tls = 1;
			continue;
		}
		if (strcmp(a, "--insecure") == 0) {
			o->insecure = 1;
			continue;
		}
		if (strcmp(a, "--quickack") == 0) {
			o->quickack = 1;
			continue;
		}
		if (strcmp(a, "--refill-each") == 0) {
			o->refill_each = 1;
			continue;
		}
		if (strcmp(a, "--random-ids") == 0) {
			o->random_ids = 1;
			continue;
		}
		if (v == NULL)
			die("%s: unknown option or missing value", a);
		i++;
		if (strcmp(a, "--host") == 0)
			o->host = v;
		else if (strcmp(a, "--port") == 0)
			o->port = (int)num_arg(a, v, 1, 65535);
		else if (strcmp(a, "--ca") == 0)
			o->ca = v;
		else if (strcmp(a, "--cert") == 0)
			o->cert = v;
		else if (strcmp(a, "--key") == 0)
			o->key = v;
		else if (strcmp(a, "--connections") == 0 || strcmp(a, "-c") == 0) {
			o->conns = (int)num_arg(a, v, 1, 1000000);
			conns_set = 1;
		} else if (strcmp(a, "--count") == 0)
			o->count = (uint64_t)num_arg(a, v, 1, 1e12);
		else if (strcmp(a, "--seconds") == 0)
			o->seconds = num_arg(a, v, 0.1, 86400);
		else if (strcmp(a, "--over-seconds") == 0)
			o->over_seconds = num_arg(a, v, 0.1, 86400);
		else if (strcmp(a, "--window") == 0)
			o->window = (int)num_arg(a, v, 1, 100000);
		else if (strcmp(a, "--burst") == 0)
			o->burst = (int)num_arg(a, v, 1, 100000);
		else if (strcmp(a, "--pid") == 0)
			o->pid = (long)num_arg(a, v, 1, 1e9);
		else if (strcmp(a, "--pids-of") == 0)
			o->pids_of = v;
		else if (strcmp(a, "--group") == 0) {
			if (o->ngroups == MAX_GROUPS)
				die("at most %d --group options", MAX_GROUPS);
			if (strlen(v) >= MOOT_MAX_GROUP || strpbrk(v, " \t\r\n,"))
				die("--group: '%s' is not a group name", v);
			o->groups[o->ngroups++] = v;
		} else
			die("unknown option '%s'", a);
	}
	if (o->port == 0)
		die("--port is required");
	if ((o->cert == NULL) != (o->key == NULL))
		die("--cert and --key go together");
	if (o->mode == M_IDLE && !conns_set)
		o->conns = 100;
	if (o->ngroups == 0) {
		o->groups[o->ngroups++] = "bench.test";
		o->groups[o->ngroups++] = "bench.other";
	}
}

int main(int argc, char **argv)
{
	struct bench *b;
	char err[512];
	long nofile;
	time_t now = time(NULL);
	int i;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		die("out of memory");
	parse_args(&b->o, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	nofile = raise_nofile();
	if (nofile > 0 && b->o.conns > nofile - 16)
		fprintf(stderr, "moot-bench: warning: %d connections but only %ld file descriptors\n",
			b->o.conns, nofile);
	if (b->o.tls) {
		b->ctx = tls_ctx_client_new(b->o.ca, !b->o.insecure, b->o.cert, b->o.key, err, sizeof(err));
		if (b->ctx == NULL)
			die("TLS: %s", err);
	}
	snprintf(b->runid, sizeof(b->runid), "b%lx%x", (unsigned long)now, (unsigned)getpid());
	date_format_rfc5322((int64_t)now, b->date, sizeof(b->date));
	make_body(b);
	b->c = calloc((size_t)b->o.conns, sizeof(*b->c));
	if (b->c == NULL)
		die("out of memory");
	b->loop = uv_default_loop();
	b->loop->data = b;
	uv_timer_init(b->loop, &b->end_timer);
	b->end_timer.data = b;
	uv_signal_init(b->loop, &b->sigint);
	uv_signal_init(b->loop, &b->sigterm);
	b->sigint.data = b->sigterm.data = b;
	uv_signal_start(&b->sigint, on_signal, SIGINT);
	uv_signal_start(&b->sigterm, on_signal, SIGTERM);

	b->t_start = b->t_over_start = uv_hrtime();
	if (b->o.mode == M_IDLE) {
		server_mem(&b->o, &b->rss_before, &b->pss_before);
		idle_connect_more(b);
	} else {
		uv_timer_start(&b->end_timer, on_end_timer,
			       (uint64_t)((b->o.mode == M_READ ? b->o.over_seconds : b->o.seconds) * 1000), 0);
		for (i = 0; i < b->o.conns; i++)
			client_start(b, i);
	}
	uv_run(b->loop, UV_RUN_DEFAULT);
	if (b->t_end == 0)
		b->t_end = uv_hrtime();
	report(b);
	if (uv_loop_close(b->loop) != 0)
		fprintf(stderr, "moot-bench: warning: handles left open at exit\n");
	tls_ctx_free(b->ctx);
	free(b->lat);
	free(b->c);
	i = b->errors > 0 || (b->o.mode == M_IDLE && b->held < b->o.conns);
	free(b);
	return i;
}
