/*
 * store.h: the article store on SQLite (WAL, synchronous=FULL).  This is the
 * only module that speaks SQL or includes sqlite3.h.  Statements are prepared
 * once at open.  Schema as in DESIGN.md: articles, numbering, groups, history
 * (and, later, outq, users, modqueue, bans, events).
 *
 * Strings handed to callbacks are valid only during the callback.  Functions
 * return 0, MOOT_ENOTFOUND, MOOT_EEXIST or MOOT_ESTORE (the SQLite message is
 * logged to stderr by the store).
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* Open (creating if needed) the database file at path, apply the schema and
 * migrations, prepare statements.  Returns 0 or MOOT_ESTORE with err. */
int store_open(const char *path, struct store **out, char *err, size_t errlen);

/* Finalize statements and close; accepts NULL. */
void store_close(struct store *st);

/* The database file's path (valid while st is open). */
const char *store_path(struct store *st);

/*
 * Call cb(arg) before each statement that writes and does not run inside a
 * transaction of st's own (the first of a transaction, or a lone write):
 * when another connection of this process may hold the write lock waiting
 * for the caller, cb lets it finish first (ingest_yield).  NULL: none.
 */
void store_on_write(struct store *st, void (*cb)(void *arg), void *arg);

/* Transactions: one writer.  begin/commit/rollback nest not.  A commit is
 * on disk when store_commit returns (synchronous=FULL). */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);
/* Run the reads of one command in one snapshot (one WAL read lock): between
 * these two calls only reads; store_read_end also after a failure.  The
 * snapshot is kept for the next command's store_read_begin until
 * store_read_release (the loop calls it at the end of every turn) or until a
 * statement that writes, which releases it first. */
void store_read_begin(struct store *st);
void store_read_end(struct store *st);
void store_read_release(struct store *st);

/*
 * Group commit off the loop: a transaction begun with store_begin_nosync
 * commits into the WAL without waiting for the disk; it is durable once a
 * store_sync that started after store_commit_nosync returned 0.  store_sync
 * and store_checkpoint may each run on another thread while the loop goes on
 * (they use their own descriptor and connection); the loop's connection
 * never checkpoints by itself, so someone must call store_checkpoint when
 * store_wal_frames grows.
 */
int store_begin_nosync(struct store *st);
int store_commit_nosync(struct store *st);
int store_sync(struct store *st);
int store_checkpoint(struct store *st);
int store_wal_frames(const struct store *st);
/* The WAL's size as another connection of this process left it (its commit
 * came after this one's last): store_wal_frames returns it until the next. */
void store_wal_note(struct store *st, int frames);
/* Writes the connection asked for on its WAL and writes it made (walvfs.c
 * puts a commit's frames in one), and unless synced is NULL the syncs of
 * its WAL SQLite made (none at a store_commit_nosync); 0 or MOOT_ENOTFOUND. */
int store_wal_writes(struct store *st, uint64_t *asked, uint64_t *made, uint64_t *synced);
/* Writes store_checkpoint's connection asked for on the database file,
 * writes it made (walvfs.c joins contiguous pages) and, unless started is
 * NULL, writes whose writeback it started at once; unless waits is NULL,
 * how often it waited for the disk to take them; 0 or MOOT_ENOTFOUND. */
int store_db_writes(struct store *st, uint64_t *asked, uint64_t *made, uint64_t *started,
		    uint64_t *waits);

/* ---- groups ---- */

enum store_group_status {
	STORE_GROUP_ACTIVE = 0,
	STORE_GROUP_REMOVED = 1,	/* no longer in the config: not listed, articles kept */
};

struct store_group {
	int64_t id;
	const char *name;
	const char *description;
	int status;		/* enum store_group_status */
	int64_t low, high, count;
	int64_t created;	/* epoch seconds */
};

/* Call cb for every group (any status), ordered by name.  Stops when cb returns non-zero and returns that. */
int store_groups_each(struct store *st, int (*cb)(void *arg, const struct store_group *g), void *arg);

/*
 * Insert the group if absent (low 1, high 0, count 0, created now), else
 * update description and set status ACTIVE.  Sets *id.
 */
int store_group_upsert(struct store *st, const char *name, const char *description,
		       int64_t now, int64_t *id);

/* Set a group's status. */
int store_group_set_status(struct store *st, int64_t id, int status);

/* Write a group's low/high/count (inside the caller's transaction). */
int store_group_set_marks(struct store *st, int64_t id, int64_t low, int64_t high, int64_t count);

/* Count count new articles numbered low..high, every one above the group's
 * numbers, into its marks (relative to what is stored: another connection
 * may have changed them). */
int store_group_add_marks(struct store *st, int64_t id, int64_t low, int64_t high, int64_t count);

/* Read a group's stored low/high/count. */
int store_group_marks(struct store *st, int64_t id, int64_t *low, int64_t *high, int64_t *count);

/* ---- writing articles (inside a transaction) ---- */

struct store_article {
	const char *msgid;	/* "<...>" */
	int64_t arrived;	/* epoch seconds */
	int64_t posted;		/* from Date, epoch seconds */
	int64_t bytes;		/* RFC 3977 §8.5 :bytes, the article's octets in wire form */
	int64_t lines;		/* :lines, body lines */
	const char *from;	/* overview values (unfolded, tabs replaced), NUL-terminated */
	const char *subject;
	const char *date;
	const char *refs;	/* "" when none */
	const char *xref;	/* "pathhost group:n group:n" */
	const char *head;	/* wire form, each header ending CRLF, no empty line */
	size_t head_len;
	const char *body;	/* wire form (dot-stuffed CRLF lines), without the "." line */
	size_t body_len;
	const char *poster;	/* the From address, lower-cased (community figures) */
	const char *root;	/* first References id, NULL for a thread starter */
	const char *parent;	/* last References id, NULL for a thread starter */
};

/* 1 if msgid is in articles or history, 0 if not, < 0 on error. */
int store_msgid_seen(struct store *st, const char *msgid);

/* 1 if msgid is in history (refused, cancelled, expired), 0 if not, < 0 on error. */
int store_history_seen(struct store *st, const char *msgid);

/*
 * Insert an article; MOOT_EEXIST if its message-id is stored or in history.
 * Sets *article_id.
 * a->xref ("pathhost group:number ...") must name every number the article
 * is then given with store_number_add: cancels, expiry and NEWNEWS find an
 * article's numbering from it.
 */
int store_article_add(struct store *st, const struct store_article *a, int64_t *article_id);

/* Number an article in a group (a number its xref names). */
int store_number_add(struct store *st, int64_t group_id, int64_t number, int64_t article_id);

/* Record a message-id in history (state: "rejected", "cancelled", "expired"). */
int store_history_add(struct store *st, const char *msgid, int64_t when, const char *state);

/* ---- reading ---- */

/* article id numbered number in group, or MOOT_ENOTFOUND. */
int store_number_get(struct store *st, int64_t group_id, int64_t number, int64_t *article_id);

/* The first number > number (dir > 0) or < number (dir < 0) in group; MOOT_ENOTFOUND at the end. */
int store_number_step(struct store *st, int64_t group_id, int64_t number, int dir, int64_t *next);

/* Merge the newest Message-IDs into their index (see store.c) at the
 * commit that finds pairs of them waiting, instead of 32,768: for tests. */
void store_tail_merge_at(struct store *st, size_t pairs);

/* The article id of msgid, or MOOT_ENOTFOUND. */
int store_msgid_get(struct store *st, const char *msgid, int64_t *article_id);

/* What of an article to fetch. */
#define STORE_HEAD 1
#define STORE_BODY 2

/*
 * Call cb with the article's stored head and/or body (wire form; head ends
 * with its last header's CRLF, body without the "." line), and its msgid.
 * Missing parts are passed as NULL/0.
 */
int store_article_get(struct store *st, int64_t article_id, int what,
		      int (*cb)(void *arg, const char *msgid, const char *head, size_t head_len,
				const char *body, size_t body_len),
		      void *arg);

/* One overview row, valid during the callback. */
struct store_over {
	int64_t number;		/* in the group asked for; 0 when looked up by message-id */
	int64_t article_id;
	const char *msgid, *subject, *from, *date, *refs, *xref;
	int64_t bytes, lines;
	const char *head;	/* only when want_head, else NULL */
	size_t head_len;
};

/*
 * Overview rows for numbers lo..hi of a group, ascending, at most limit rows
 * (limit <= 0: no limit).  Returns the number of rows passed to cb, or < 0.
 * Stops early when cb returns non-zero.
 */
int store_over_range(struct store *st, int64_t group_id, int64_t lo, int64_t hi, int limit,
		     int want_head, int (*cb)(void *arg, const struct store_over *row), void *arg);

/*
 * The same range as ready overview lines (RFC 3977 §8.3.2): cb gets each
 * number and the text that follows "number TAB" (no CRLF; a NUL follows it).
 * Returns the number of rows passed to cb, or < 0; stops when cb returns
 * non-zero.
 */
int store_over_lines(struct store *st, int64_t group_id, int64_t lo, int64_t hi, int limit,
		     int (*cb)(void *arg, int64_t number, const char *line, size_t len), void *arg);

/* The same for one article by id (number 0); 0, MOOT_ENOTFOUND or MOOT_ESTORE. */
int store_over_line(struct store *st, int64_t article_id,
		    int (*cb)(void *arg, int64_t number, const char *line, size_t len), void *arg);

/* The overview row of one article by id (number 0). */
int store_over_article(struct store *st, int64_t article_id, int want_head,
		       int (*cb)(void *arg, const struct store_over *row), void *arg);

/* Article numbers lo..hi of a group, ascending (LISTGROUP); at most limit; returns count. */
int store_numbers_range(struct store *st, int64_t group_id, int64_t lo, int64_t hi, int limit,
			int (*cb)(void *arg, int64_t number), void *arg);

/*
 * NEWNEWS, in chunks: store_newnews_first sets *after so that the first
 * chunk begins with the first article arrived at or after since (INT64_MAX
 * when there is none).  store_newnews then calls cb(arg, article_id, msgid,
 * group_id) per (article, group) for at most limit articles with an id
 * above after that arrived at or after since, ordered by id; it returns how
 * many articles it looked at (a chunk of fewer than limit is the last),
 * sets *last to the highest id among them (the next chunk's after), or
 * returns cb's non-zero or MOOT_ESTORE.
 */
int store_newnews_first(struct store *st, int64_t since, int64_t *after);
int store_newnews(struct store *st, int64_t since, int64_t after, int limit,
		  int (*cb)(void *arg, int64_t article_id, const char *msgid, int64_t group_id),
		  void *arg, int64_t *last);

/*
 * Expire: remove group's numbering of articles arrived before cutoff, delete
 * the articles no group numbers any more (their ids go to history as
 * "expired"), and recompute the group's low and count, which are returned.
 * Runs its own transaction.  *expired counts numbering rows removed.
 */
int store_expire_group(struct store *st, int64_t group_id, int64_t cutoff,
		       int64_t *low, int64_t *count, int64_t *expired);

/* ---- outgoing feeds (outq: what each peer still has to receive) ---- */

/* Queue article_id for peer (inside the ingest transaction); a repeat is ignored. */
int store_outq_add(struct store *st, const char *peer, int64_t article_id);

/* cb with up to limit queued article ids above after, ascending; returns the
 * count passed to cb, or < 0.  cb must not call other outq functions. */
int store_outq_next(struct store *st, const char *peer, int64_t after, int limit,
		    int (*cb)(void *arg, int64_t article_id), void *arg);

/* The peer has the article (or refused it for good): drop it from the queue. */
int store_outq_delete(struct store *st, const char *peer, int64_t article_id);

/* How many articles are queued for peer. */
int store_outq_count(struct store *st, const char *peer, int64_t *count);

/* ---- members (users) ---- */

struct store_user {
	int64_t id;
	const char *name;
	const char *password_hash;	/* tls_password_hash's format */
	const char *role;		/* "member", "moderator", "admin" */
	const char *address;		/* their From address, "" when none */
	int64_t created;
	int disabled;
};

/* Add a member; MOOT_EEXIST if the name is taken. */
int store_user_add(struct store *st, const char *name, const char *password_hash,
		   const char *role, const char *address, int64_t now);

/* cb with the member named name; MOOT_ENOTFOUND. */
int store_user_get(struct store *st, const char *name,
		   int (*cb)(void *arg, const struct store_user *u), void *arg);

/* cb for every member, ordered by name. */
int store_users_each(struct store *st, int (*cb)(void *arg, const struct store_user *u), void *arg);

/* Set disabled (1) or enabled (0); MOOT_ENOTFOUND. */
int store_user_set_disabled(struct store *st, const char *name, int disabled);

/* Replace a member's password hash; MOOT_ENOTFOUND. */
int store_user_set_password(struct store *st, const char *name, const char *password_hash);

/* ---- moderation queue ---- */

struct store_mod {
	int64_t id;
	int64_t submitted;
	const char *user;	/* who posted, "" when anonymous */
	const char *address;	/* the poster's network address */
	const char *groups;	/* the Newsgroups value */
	const char *msgid;
	const char *from;
	const char *subject;
	const char *article;	/* wire form as received */
	size_t article_len;
};

/* Queue an article for moderation; sets *id. */
int store_mod_add(struct store *st, const struct store_mod *m, int64_t *id);

/* cb for queued articles, oldest first (article NULL unless with_article). */
int store_mod_each(struct store *st, int with_article,
		   int (*cb)(void *arg, const struct store_mod *m), void *arg);

/* cb with one queued article (with its text); MOOT_ENOTFOUND. */
int store_mod_get(struct store *st, int64_t id, int (*cb)(void *arg, const struct store_mod *m), void *arg);

/* 1 if an article with msgid waits in the queue, 0 if not, < 0 on error. */
int store_mod_has_msgid(struct store *st, const char *msgid);

/* Remove a queued article; MOOT_ENOTFOUND. */
int store_mod_delete(struct store *st, int64_t id);

/* ---- bans and the audit log ---- */

/* Ban a user name or an address (kind "user" or "address") until (0 = forever). */
int store_ban_add(struct store *st, const char *kind, const char *target, int64_t until,
		  const char *reason, const char *by, int64_t now);

/* Lift every ban of target; MOOT_ENOTFOUND when there was none. */
int store_ban_remove(struct store *st, const char *kind, const char *target);

/* The ban in force on target at now: 1 with *until (0 = forever) and the reason
 * copied into reason (reasonlen bytes), 0 when none. */
int store_ban_active(struct store *st, const char *kind, const char *target, int64_t now,
		     int64_t *until, char *reason, size_t reasonlen);

/* Append to the audit log (approve, reject, cancel, ban, login failures...). */
int store_event_add(struct store *st, int64_t now, const char *kind, const char *actor,
		    const char *subject, const char *detail);

/* One audit log entry, valid during the callback (NULL fields read as ""). */
struct store_event {
	int64_t id;
	int64_t at;
	const char *kind, *actor, *subject, *detail;
};

/* cb for the audit log entries at or after since, oldest first; stops at and returns cb's non-zero. */
int store_events_each(struct store *st, int64_t since,
		      int (*cb)(void *arg, const struct store_event *e), void *arg);

/* ---- cancels ---- */

/*
 * Remove an article everywhere: its numbering (fixing each group's low and
 * count, which are returned through cb per group), its outq rows, the article;
 * its msgid goes to history as "cancelled".  Inside the caller's transaction.
 * MOOT_ENOTFOUND if absent.
 */
int store_article_remove(struct store *st, int64_t article_id, int64_t now,
			 int (*cb)(void *arg, int64_t group_id, int64_t low, int64_t count), void *arg);

/* ---- community health figures ---- */

/*
 * Record, inside the ingest transaction, what the figures need about one
 * article numbered in group_id: per-day activity of its poster, the thread it
 * starts (no References) or replies to (root = first References id; the
 * thread's first-reply time is set by its first reply), and the poster's
 * first-ever post.  Inside a transaction the post counts, poster rows and
 * reply counts are gathered and written by store_commit (or before a
 * cancel); outside one, at once.
 */
int store_stats_record(struct store *st, int64_t group_id, int64_t article_id, const char *poster,
		       const char *root, int64_t arrived);

struct store_stats {
	int64_t posts;			/* articles posted in the window */
	int64_t threads;		/* threads started in the window */
	int64_t posters;		/* distinct posters active in the window */
	int64_t new_posters;		/* of them, first post ever in the window */
	int64_t unanswered;		/* threads started in the window with no reply yet */
	int64_t reply_p50, reply_p90;	/* seconds to first reply (-1 when no replied thread) */
	struct {
		int64_t article_id;	/* the thread's first article */
		int64_t replies;
		char subject[128];
	} top[5];			/* most active threads started in the window */
	int ntop;
};

/* The figures over groups group_ids[0..n) for articles arrived since `since`. */
int store_stats(struct store *st, const int64_t *group_ids, size_t n, int64_t since,
		struct store_stats *out);

/*
 * Copy the database to path with SQLite's online backup API (consistent,
 * safe while the daemon writes; pages are copied in steps).  Opens its own
 * connection to db_path, so it works from a separate process.  0 or
 * MOOT_ESTORE with err.
 */
int store_backup(const char *db_path, const char *path, char *err, size_t errlen);

/* PRAGMA integrity_check, then the Message-ID index against the articles
 * (every entry names its article, every merged article has its entry, no
 * Message-ID twice): 0 when all is well, else MOOT_ESTORE with the first
 * problem in err. */
int store_check(const char *db_path, char *err, size_t errlen);

/* The last SQLite error message, for logs. */
const char *store_errmsg(struct store *st);

#endif
