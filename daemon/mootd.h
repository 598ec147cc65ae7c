/*
 * mootd.h: the daemon's one context struct (STYLE.md habit 7: no global
 * mutable state but this, made in main.c and reached through loop->data),
 * and the in-memory group table (groups.c).
 */
#ifndef MOOTD_H
#define MOOTD_H

#include <stdint.h>
#include <stdarg.h>
#include <uv.h>
#include "config.h"

struct store;
struct tls_ctx;
struct session;
struct listener;
struct ingest;
struct feed;
struct auth;
struct community;
struct addr_count;

/*
 * One newsgroup as the daemon serves it.  Groups are allocated once and never
 * freed while the daemon runs (a removed group is kept with active = 0), so
 * sessions may keep a pointer across reloads.
 */
struct group {
	int64_t id;		/* groups.id in the store */
	char *name;		/* owned */
	char *description;	/* owned; replaced on reload */
	enum posting posting;	/* from the config */
	int retention_days;	/* from the config; 0 keeps forever */
	int active;		/* 1 while the config lists it */
	int64_t low, high, count;	/* committed marks (RFC 3977 §6.1.1), read back after each commit */
	int64_t next;		/* next number to hand out: the writer thread's once ingest runs */
	int64_t created;	/* epoch seconds, for NEWGROUPS and LIST ACTIVE.TIMES */
};

struct mootd {
	uv_loop_t *loop;
	struct config cfg;		/* the configuration in force */
	const char *config_path;	/* -c FILE, or NULL for the embedded default */
	struct store *store;
	struct tls_ctx *tls;		/* server context; NULL if no certificate */
	struct group **groups;		/* sorted by name; includes inactive ones */
	size_t ngroups;
	struct listener *listeners;	/* linked list */
	struct session *sessions;	/* doubly linked list of open sessions */
	size_t nsessions;
	struct ingest *ingest;		/* the article intake (ingest.c) */
	int sync_on_loop;		/* no storage thread: ingest syncs on the loop (fuzzing) */
	struct feed *feeds;		/* outgoing feeds (feed.c) */
	struct auth *auth;		/* login failure tracking (auth.c) */
	struct community *community;	/* rate limits (community.c) */
	struct addr_count **addrs;	/* open sessions per client host (session.c) */
	uv_tcp_t *metrics;		/* the metrics listener, or NULL (metrics.c) */
	int holding_writes;		/* ingest callbacks running: sessions write once after */
	struct session **held;		/* sessions with output held meanwhile */
	size_t nheld, capheld;
	uint64_t login_failures;	/* counters for metrics */
	uint64_t posts_rejected;
	uv_timer_t tick;		/* once a second: idle timeouts; hourly: expiry */
	uv_check_t turn_end;		/* every loop turn: store_read_release */
	uv_check_t turn_count;		/* every loop turn: d->turn (session_start) */
	uint64_t turn;			/* loop turns ended (for SESSION_TURN_BYTES) */
	uv_idle_t next_turn;		/* runs session_turn while d->yielded has any */
	struct session *yielded;	/* sessions waiting for the next turn */
	uv_signal_t sighup, sigterm, sigint;
	uv_timer_t drain_timer;		/* SIGTERM: forces the last connections closed */
	int draining;			/* SIGTERM received: no new sessions */
	int64_t last_expire;		/* epoch seconds of the last expiry run */
	uint64_t articles_in;		/* counters for logs and, later, metrics */
	uint64_t connections_total;
};

/* Log one line to stderr: "2026-11-25T12:00:00Z LEVEL message". */
void mootd_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) mootd_log("info", __VA_ARGS__)
#define log_warn(...) mootd_log("warn", __VA_ARGS__)
#define log_err(...) mootd_log("error", __VA_ARGS__)

/* Current time in epoch seconds (from the loop's clock, refreshed per turn). */
int64_t mootd_now(void);

/* ---- groups.c ---- */

/*
 * Bring the store's groups table and the in-memory table in line with
 * d->cfg: upsert configured groups, mark the others removed (articles kept).
 * Called at start and on SIGHUP.  Returns 0 or MOOT_ESTORE.
 */
int groups_sync(struct mootd *d);

/* The group named name (active or not), or NULL.  Binary search. */
struct group *groups_find(struct mootd *d, const char *name);
struct group *groups_find_n(struct mootd *d, const char *name, size_t len);

/* The group with store id, or NULL. */
struct group *groups_by_id(struct mootd *d, int64_t id);

/* Free the table (at exit). */
void groups_free(struct mootd *d);

/* Run retention: expire articles older than each group's retention_days. */
void groups_expire(struct mootd *d);

#endif
