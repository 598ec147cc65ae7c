/*
 * store.c: the article store on SQLite, the only file that speaks SQL.
 *
 * One database file in WAL mode with synchronous=FULL, so a committed
 * transaction survives power loss, not only kill -9 (DESIGN.md, Storage).
 * An article is stored once in `articles`; `numbering` gives it a number in
 * every group it is posted to (crossposts share the row); `groups` keeps each
 * group's low/high/count in the same transaction as the numbering; `history`
 * remembers rejected, cancelled and expired message-ids so they are never
 * accepted again.
 *
 * The schema is versioned with PRAGMA user_version: migrations[i] brings a
 * database from version i to i + 1, each in its own transaction.  Every
 * statement is prepared once at open (SQLITE_PREPARE_PERSISTENT), reset after
 * each use and finalized at close.  Parameters are bound SQLITE_STATIC: every
 * function steps its statement to the end (or resets it) before it returns,
 * so the caller's strings always outlive the step; bindings are cleared after
 * each use so no statement keeps a pointer into the caller's memory.
 *
 * Errors are logged as "store: <what>: <sqlite errmsg>" on stderr and
 * returned as MOOT_ESTORE.  Callbacks must not re-enter the function that
 * called them (its statement is still running); other store calls are fine.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "../proto/moot.h"
#include "store.h"

/* How long a writer waits for the lock held by another connection, in ms. */
#define STORE_BUSY_TIMEOUT 5000

/*
 * Schema migrations: migrations[i] takes user_version i to i + 1.  Append a
 * new string to change the schema (version 2 will add outq, then users,
 * modqueue, bans, events); never edit one that has shipped.
 */
static const char *const migrations[] = {
	/* 0 -> 1: articles, numbering, groups, history (DESIGN.md, Storage) */
	"CREATE TABLE articles("
	" id INTEGER PRIMARY KEY,"
	" msgid TEXT UNIQUE NOT NULL,"
	" arrived INTEGER,"
	" posted INTEGER,"
	" bytes INTEGER,"
	" lines INTEGER,"
	" from_ TEXT,"
	" subject TEXT,"
	" date TEXT,"
	" refs TEXT,"
	" xref TEXT,"
	" head BLOB,"
	" body BLOB);"
	"CREATE INDEX articles_arrived ON articles(arrived);"
	"CREATE TABLE numbering("
	" group_id INTEGER,"
	" number INTEGER,"
	" article_id INTEGER,"
	" PRIMARY KEY(group_id, number)) WITHOUT ROWID;"
	"CREATE INDEX numbering_article ON numbering(article_id);"
	"CREATE TABLE groups("
	" id INTEGER PRIMARY KEY,"
	" name TEXT UNIQUE NOT NULL,"
	" description TEXT,"
	" status INTEGER,"
	" low INTEGER,"
	" high INTEGER,"
	" count INTEGER,"
	" created INTEGER);"
	"CREATE TABLE history("
	" msgid TEXT PRIMARY KEY,"
	" seen INTEGER,"
	" state TEXT) WITHOUT ROWID;",
	/* 1 -> 2: outq, what each peer still has to receive (DESIGN.md, Federation) */
	"CREATE TABLE outq("
	" peer TEXT NOT NULL,"
	" article_id INTEGER NOT NULL,"
	" PRIMARY KEY(peer, article_id)) WITHOUT ROWID;",
};

/* Per-connection scratch: the article ids one expiry run looks at. */
#define TEMP_SCHEMA "CREATE TEMP TABLE IF NOT EXISTS expire_ids(id INTEGER PRIMARY KEY);"

/* The overview columns, in the order row_over() reads them. */
#define OVER_COLS \
	"a.id, a.msgid, a.subject, a.from_, a.date, a.refs, a.xref, a.bytes, a.lines, a.arrived"

/* The range scan of a group's numbers (PRIMARY KEY(group_id, number)) joined to articles. */
#define OVER_RANGE_FROM \
	" FROM numbering n JOIN articles a ON a.id = n.article_id" \
	" WHERE n.group_id = ?1 AND n.number BETWEEN ?2 AND ?3 ORDER BY n.number LIMIT ?4"

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_GROUPS_EACH,
	ST_GROUP_UPSERT,
	ST_GROUP_SET_STATUS,
	ST_GROUP_SET_MARKS,
	ST_GROUP_HIGH,
	ST_MSGID_SEEN,
	ST_ARTICLE_ADD,
	ST_NUMBER_ADD,
	ST_HISTORY_ADD,
	ST_NUMBER_GET,
	ST_NUMBER_NEXT,
	ST_NUMBER_PREV,
	ST_MSGID_GET,
	ST_ARTICLE_GET,		/* + (what & 3): msgid only, head, body, both */
	ST_ARTICLE_GET_HEAD,
	ST_ARTICLE_GET_BODY,
	ST_ARTICLE_GET_BOTH,
	ST_OVER_RANGE,
	ST_OVER_RANGE_HEAD,
	ST_OVER_ARTICLE,
	ST_OVER_ARTICLE_HEAD,
	ST_NUMBERS_RANGE,
	ST_NEWNEWS,
	ST_EXPIRE_CLEAR,
	ST_EXPIRE_PICK,
	ST_EXPIRE_UNNUMBER,
	ST_EXPIRE_HISTORY,
	ST_EXPIRE_DELETE,
	ST_EXPIRE_MARKS,
	ST_OUTQ_ADD,
	ST_OUTQ_NEXT,
	ST_OUTQ_DELETE,
	ST_OUTQ_COUNT,
	ST_COUNT
};

/* store_article_get picks its statement as ST_ARTICLE_GET + (what & 3). */
_Static_assert(ST_ARTICLE_GET + STORE_HEAD == ST_ARTICLE_GET_HEAD &&
	       ST_ARTICLE_GET + STORE_BODY == ST_ARTICLE_GET_BODY &&
	       ST_ARTICLE_GET + (STORE_HEAD | STORE_BODY) == ST_ARTICLE_GET_BOTH,
	       "article statement variants out of order");

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GROUPS_EACH] =
		"SELECT id, name, description, status, low, high, count, created"
		" FROM groups ORDER BY name",
	[ST_GROUP_UPSERT] =
		"INSERT INTO groups(name, description, status, low, high, count, created)"
		" VALUES(?1, ?2, 0, 1, 0, 0, ?3)"
		" ON CONFLICT(name) DO UPDATE SET description = excluded.description, status = 0"
		" RETURNING id",
	[ST_GROUP_SET_STATUS] = "UPDATE groups SET status = ?2 WHERE id = ?1",
	[ST_GROUP_SET_MARKS] = "UPDATE groups SET low = ?2, high = ?3, count = ?4 WHERE id = ?1",
	[ST_GROUP_HIGH] = "SELECT high FROM groups WHERE id = ?1",
	[ST_MSGID_SEEN] =
		"SELECT EXISTS(SELECT 1 FROM articles WHERE msgid = ?1)"
		" OR EXISTS(SELECT 1 FROM history WHERE msgid = ?1)",
	[ST_ARTICLE_ADD] =
		"INSERT INTO articles(msgid, arrived, posted, bytes, lines, from_, subject, date,"
		" refs, xref, head, body) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_NUMBER_ADD] = "INSERT INTO numbering(group_id, number, article_id) VALUES(?1, ?2, ?3)",
	[ST_HISTORY_ADD] =
		"INSERT INTO history(msgid, seen, state) VALUES(?1, ?2, ?3)"
		" ON CONFLICT(msgid) DO UPDATE SET seen = excluded.seen, state = excluded.state",
	[ST_NUMBER_GET] = "SELECT article_id FROM numbering WHERE group_id = ?1 AND number = ?2",
	[ST_NUMBER_NEXT] =
		"SELECT number FROM numbering WHERE group_id = ?1 AND number > ?2"
		" ORDER BY number LIMIT 1",
	[ST_NUMBER_PREV] =
		"SELECT number FROM numbering WHERE group_id = ?1 AND number < ?2"
		" ORDER BY number DESC LIMIT 1",
	[ST_MSGID_GET] = "SELECT id FROM articles WHERE msgid = ?1",
	[ST_ARTICLE_GET] = "SELECT msgid FROM articles WHERE id = ?1",
	[ST_ARTICLE_GET_HEAD] = "SELECT msgid, head FROM articles WHERE id = ?1",
	[ST_ARTICLE_GET_BODY] = "SELECT msgid, body FROM articles WHERE id = ?1",
	[ST_ARTICLE_GET_BOTH] = "SELECT msgid, head, body FROM articles WHERE id = ?1",
	[ST_OVER_RANGE] = "SELECT n.number, " OVER_COLS OVER_RANGE_FROM,
	[ST_OVER_RANGE_HEAD] = "SELECT n.number, " OVER_COLS ", a.head" OVER_RANGE_FROM,
	[ST_OVER_ARTICLE] = "SELECT 0, " OVER_COLS " FROM articles a WHERE a.id = ?1",
	[ST_OVER_ARTICLE_HEAD] = "SELECT 0, " OVER_COLS ", a.head FROM articles a WHERE a.id = ?1",
	[ST_NUMBERS_RANGE] = "SELECT n.number" OVER_RANGE_FROM,
	/* The arrived index finds the articles; the sort puts them in id order. */
	[ST_NEWNEWS] =
		"SELECT a.id, a.msgid, n.group_id"
		" FROM articles a INDEXED BY articles_arrived"
		" JOIN numbering n ON n.article_id = a.id"
		" WHERE a.arrived >= ?1 ORDER BY a.id, n.group_id",
	[ST_EXPIRE_CLEAR] = "DELETE FROM temp.expire_ids",
	[ST_EXPIRE_PICK] =
		"INSERT OR IGNORE INTO temp.expire_ids(id)"
		" SELECT n.article_id FROM numbering n JOIN articles a ON a.id = n.article_id"
		" WHERE n.group_id = ?1 AND a.arrived < ?2",
	[ST_EXPIRE_UNNUMBER] =
		"DELETE FROM numbering"
		" WHERE group_id = ?1 AND article_id IN (SELECT id FROM temp.expire_ids)",
	[ST_EXPIRE_HISTORY] =
		"INSERT INTO history(msgid, seen, state)"
		" SELECT a.msgid, ?1, 'expired' FROM articles a"
		" WHERE a.id IN (SELECT id FROM temp.expire_ids)"
		" AND NOT EXISTS (SELECT 1 FROM numbering n WHERE n.article_id = a.id)"
		" ON CONFLICT(msgid) DO UPDATE SET seen = excluded.seen, state = excluded.state",
	[ST_EXPIRE_DELETE] =
		"DELETE FROM articles"
		" WHERE id IN (SELECT id FROM temp.expire_ids)"
		" AND NOT EXISTS (SELECT 1 FROM numbering n WHERE n.article_id = articles.id)",
	[ST_EXPIRE_MARKS] = "SELECT min(number), count(*) FROM numbering WHERE group_id = ?1",
	[ST_OUTQ_ADD] = "INSERT OR IGNORE INTO outq(peer, article_id) VALUES(?1, ?2)",
	[ST_OUTQ_NEXT] =
		"SELECT article_id FROM outq WHERE peer = ?1 AND article_id > ?2"
		" ORDER BY article_id LIMIT ?3",
	[ST_OUTQ_DELETE] = "DELETE FROM outq WHERE peer = ?1 AND article_id = ?2",
	[ST_OUTQ_COUNT] = "SELECT count(*) FROM outq WHERE peer = ?1",
};

struct store {
	sqlite3 *db;				/* the connection */
	sqlite3_stmt *stmt[ST_COUNT];		/* prepared at open, indexed by enum stmt_id */
};

/* Log "store: what: errmsg" and return MOOT_ESTORE. */
static int fail(struct store *st, const char *what)
{
	fprintf(stderr, "store: %s: %s\n", what, sqlite3_errmsg(st->db));
	return MOOT_ESTORE;
}

/* Reset s and drop its bindings, so it holds no pointer into the caller's memory. */
static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Step statement id, which must finish without rows, then reset it; 0 or MOOT_ESTORE. */
static int run(struct store *st, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fail(st, what);
		done(s);
		return MOOT_ESTORE;
	}
	done(s);
	return 0;
}

/*
 * Step a one-row query whose first column is an integer into *v; 0,
 * MOOT_ENOTFOUND when it gives no row, MOOT_ESTORE.  Resets s.
 */
static int one_int(struct store *st, enum stmt_id id, const char *what, int64_t *v)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc = sqlite3_step(s);
	int ret = 0;

	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		ret = MOOT_ENOTFOUND;
	else
		ret = fail(st, what);
	done(s);
	return ret;
}

/* Column i of s as text, "" for NULL; valid until s steps or resets. */
static const char *text(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	return t ? t : "";
}

/*
 * Column i of s as a blob without copying: *len set, NULL only for an SQL
 * NULL (an empty blob comes back as "" so that present-but-empty differs
 * from missing).  Valid until s steps or resets.
 */
static const char *blob(sqlite3_stmt *s, int i, size_t *len)
{
	const char *p;

	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		*len = 0;
		return NULL;
	}
	p = sqlite3_column_blob(s, i);	/* before column_bytes, as SQLite advises */
	*len = (size_t)sqlite3_column_bytes(s, i);
	return p ? p : "";
}

/* Bind blob p of len bytes (NULL: an empty blob) at parameter i; SQLITE_OK or an error. */
static int bind_blob(sqlite3_stmt *s, int i, const char *p, size_t len)
{
	if (p == NULL) {
		p = "";
		len = 0;
	}
	return sqlite3_bind_blob64(s, i, p, (sqlite3_uint64)len, SQLITE_STATIC);
}

/* Run a batch of SQL (no parameters); 0 or MOOT_ESTORE with err filled. */
static int exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
		fprintf(stderr, "store: %s\n", err);
		sqlite3_free(msg);
		return MOOT_ESTORE;
	}
	return 0;
}

/*
 * Bring the schema from its user_version to the newest, one transaction per
 * step; refuse a database newer than this code.  0 or MOOT_ESTORE with err.
 */
static int migrate(sqlite3 *db, char *err, size_t errlen)
{
	const int newest = (int)MOOT_ARRAY_SIZE(migrations);
	sqlite3_stmt *s;
	char sql[64];
	int version, rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "read schema version: %s", sqlite3_errmsg(db));
		fprintf(stderr, "store: %s\n", err);
		return MOOT_ESTORE;
	}
	rc = sqlite3_step(s);
	version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	if (version < 0) {
		snprintf(err, errlen, "read schema version: %s", sqlite3_errmsg(db));
		fprintf(stderr, "store: %s\n", err);
		return MOOT_ESTORE;
	}
	if (version > newest) {
		snprintf(err, errlen, "schema version %d is newer than this mootd knows (%d)",
			 version, newest);
		fprintf(stderr, "store: %s\n", err);
		return MOOT_ESTORE;
	}
	for (; version < newest; version++) {
		if (exec(db, "BEGIN IMMEDIATE", "migrate", err, errlen) < 0)
			return MOOT_ESTORE;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (exec(db, migrations[version], "migrate", err, errlen) < 0 ||
		    exec(db, sql, "migrate", err, errlen) < 0 ||
		    exec(db, "COMMIT", "migrate", err, errlen) < 0) {
			if (!sqlite3_get_autocommit(db))
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return MOOT_ESTORE;
		}
	}
	return 0;
}

/*
 * Open (creating if needed) the database at path: pragmas, migrations, the
 * connection's temp table, then every statement.  0 with *out set, or
 * MOOT_ESTORE with err filled and *out NULL.
 */
int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *st;
	int i, rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return MOOT_ESTORE;
	}
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		fprintf(stderr, "store: %s\n", err);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT);
	if (exec(st->db, "PRAGMA journal_mode = WAL;"
		 "PRAGMA synchronous = FULL;"
		 "PRAGMA foreign_keys = OFF;", "pragmas", err, errlen) < 0)
		goto fail;
	if (migrate(st->db, err, errlen) < 0)
		goto fail;
	if (exec(st->db, TEMP_SCHEMA, "temp schema", err, errlen) < 0)
		goto fail;
	for (i = 0; i < ST_COUNT; i++) {
		assert(stmt_sql[i] != NULL);
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&st->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "prepare '%s': %s", stmt_sql[i], sqlite3_errmsg(st->db));
			fprintf(stderr, "store: %s\n", err);
			goto fail;
		}
	}
	*out = st;
	return 0;
fail:
	store_close(st);
	return MOOT_ESTORE;
}

/* Finalize every statement and close the connection; accepts NULL and a half-open store. */
void store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);	/* NULL is a no-op */
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		fprintf(stderr, "store: close: %s\n", sqlite3_errmsg(st->db));
	free(st);
}

/* Start the one write transaction, taking the write lock now; 0 or MOOT_ESTORE. */
int store_begin(struct store *st)
{
	return run(st, ST_BEGIN, "begin");
}

/* Commit; 0 or MOOT_ESTORE (then the transaction may still be open: roll back). */
int store_commit(struct store *st)
{
	return run(st, ST_COMMIT, "commit");
}

/* Roll back the open transaction; nothing when none is open (SQLite may have rolled it back). */
void store_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return;
	run(st, ST_ROLLBACK, "rollback");
}

/* ---- groups ---- */

/* cb for every group ordered by name; stops at and returns cb's first non-zero. */
int store_groups_each(struct store *st, int (*cb)(void *arg, const struct store_group *g), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_GROUPS_EACH];
	struct store_group g;
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		g.id = sqlite3_column_int64(s, 0);
		g.name = text(s, 1);
		g.description = text(s, 2);
		g.status = sqlite3_column_int(s, 3);
		g.low = sqlite3_column_int64(s, 4);
		g.high = sqlite3_column_int64(s, 5);
		g.count = sqlite3_column_int64(s, 6);
		g.created = sqlite3_column_int64(s, 7);
		ret = cb(arg, &g);
		if (ret != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = fail(st, "list groups");
	done(s);
	return ret;
}

/* Insert the group (low 1, high 0, count 0) or update its description and make it ACTIVE; *id. */
int store_group_upsert(struct store *st, const char *name, const char *description,
		       int64_t now, int64_t *id)
{
	sqlite3_stmt *s = st->stmt[ST_GROUP_UPSERT];
	int ret;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, description ? description : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	ret = one_int(st, ST_GROUP_UPSERT, "upsert group", id);
	return ret == MOOT_ENOTFOUND ? fail(st, "upsert group") : ret;
}

/* Set group id's status; MOOT_ENOTFOUND when no such group. */
int store_group_set_status(struct store *st, int64_t id, int status)
{
	sqlite3_stmt *s = st->stmt[ST_GROUP_SET_STATUS];
	int ret;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, status);
	ret = run(st, ST_GROUP_SET_STATUS, "set group status");
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		return MOOT_ENOTFOUND;
	return ret;
}

/* Write group id's low/high/count; MOOT_ENOTFOUND when no such group. */
int store_group_set_marks(struct store *st, int64_t id, int64_t low, int64_t high, int64_t count)
{
	sqlite3_stmt *s = st->stmt[ST_GROUP_SET_MARKS];
	int ret;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, low);
	sqlite3_bind_int64(s, 3, high);
	sqlite3_bind_int64(s, 4, count);
	ret = run(st, ST_GROUP_SET_MARKS, "set group marks");
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		return MOOT_ENOTFOUND;
	return ret;
}

/* ---- writing articles ---- */

/* 1 if msgid is in articles or history, 0 if not, MOOT_ESTORE. */
int store_msgid_seen(struct store *st, const char *msgid)
{
	sqlite3_stmt *s = st->stmt[ST_MSGID_SEEN];
	int64_t seen = 0;
	int ret;

	sqlite3_bind_text(s, 1, msgid, -1, SQLITE_STATIC);
	ret = one_int(st, ST_MSGID_SEEN, "msgid seen", &seen);
	if (ret == MOOT_ENOTFOUND)
		return fail(st, "msgid seen");
	return ret < 0 ? ret : seen != 0;
}

/*
 * Insert article a (its strings and blobs are copied by SQLite); *article_id.
 * MOOT_EEXIST, not logged, when the message-id is already stored: only this
 * statement fails, the caller's transaction goes on.
 */
int store_article_add(struct store *st, const struct store_article *a, int64_t *article_id)
{
	sqlite3_stmt *s = st->stmt[ST_ARTICLE_ADD];
	int rc, ret = 0;

	if (sqlite3_bind_text(s, 1, a->msgid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, a->arrived) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, a->posted) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, a->bytes) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, a->lines) != SQLITE_OK ||
	    sqlite3_bind_text(s, 6, a->from, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 7, a->subject, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 8, a->date, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 9, a->refs ? a->refs : "", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 10, a->xref, -1, SQLITE_STATIC) != SQLITE_OK ||
	    bind_blob(s, 11, a->head, a->head_len) != SQLITE_OK ||
	    bind_blob(s, 12, a->body, a->body_len) != SQLITE_OK) {
		ret = fail(st, "add article: bind");	/* e.g. SQLITE_TOOBIG */
		done(s);
		return ret;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		*article_id = sqlite3_last_insert_rowid(st->db);
	} else {
		rc = sqlite3_extended_errcode(st->db);
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			ret = MOOT_EEXIST;
		else
			ret = fail(st, "add article");
	}
	done(s);
	return ret;
}

/* Number article_id as number in group_id; MOOT_EEXIST when that number is taken. */
int store_number_add(struct store *st, int64_t group_id, int64_t number, int64_t article_id)
{
	sqlite3_stmt *s = st->stmt[ST_NUMBER_ADD];
	int rc, ret = 0;

	sqlite3_bind_int64(s, 1, group_id);
	sqlite3_bind_int64(s, 2, number);
	sqlite3_bind_int64(s, 3, article_id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			ret = MOOT_EEXIST;
		else
			ret = fail(st, "add number");
	}
	done(s);
	return ret;
}

/* Record msgid in history with state; an existing entry takes the new state and time. */
int store_history_add(struct store *st, const char *msgid, int64_t when, const char *state)
{
	sqlite3_stmt *s = st->stmt[ST_HISTORY_ADD];

	sqlite3_bind_text(s, 1, msgid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, when);
	sqlite3_bind_text(s, 3, state, -1, SQLITE_STATIC);
	return run(st, ST_HISTORY_ADD, "add history");
}

/* ---- reading ---- */

/* The article numbered number in group_id; MOOT_ENOTFOUND. */
int store_number_get(struct store *st, int64_t group_id, int64_t number, int64_t *article_id)
{
	sqlite3_stmt *s = st->stmt[ST_NUMBER_GET];

	sqlite3_bind_int64(s, 1, group_id);
	sqlite3_bind_int64(s, 2, number);
	return one_int(st, ST_NUMBER_GET, "get number", article_id);
}

/* The next (dir > 0) or previous (dir < 0) number in group_id; MOOT_ENOTFOUND at the end. */
int store_number_step(struct store *st, int64_t group_id, int64_t number, int dir, int64_t *next)
{
	enum stmt_id id;

	if (dir == 0)
		return MOOT_EINVAL;
	id = dir > 0 ? ST_NUMBER_NEXT : ST_NUMBER_PREV;
	sqlite3_bind_int64(st->stmt[id], 1, group_id);
	sqlite3_bind_int64(st->stmt[id], 2, number);
	return one_int(st, id, "step number", next);
}

/* The article id of msgid; MOOT_ENOTFOUND. */
int store_msgid_get(struct store *st, const char *msgid, int64_t *article_id)
{
	sqlite3_bind_text(st->stmt[ST_MSGID_GET], 1, msgid, -1, SQLITE_STATIC);
	return one_int(st, ST_MSGID_GET, "get msgid", article_id);
}

/*
 * cb with the parts of article_id that what asks for, read straight from
 * SQLite's row (no copy, valid during cb); returns cb's value, MOOT_ENOTFOUND
 * or MOOT_ESTORE.  Only the asked columns are selected.
 */
int store_article_get(struct store *st, int64_t article_id, int what,
		      int (*cb)(void *arg, const char *msgid, const char *head, size_t head_len,
				const char *body, size_t body_len),
		      void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_ARTICLE_GET + (what & (STORE_HEAD | STORE_BODY))];
	const char *head = NULL, *body = NULL;
	size_t head_len = 0, body_len = 0;
	int rc, ret, col = 1;

	sqlite3_bind_int64(s, 1, article_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		ret = MOOT_ENOTFOUND;
	} else if (rc != SQLITE_ROW) {
		ret = fail(st, "get article");
	} else {
		if (what & STORE_HEAD)
			head = blob(s, col++, &head_len);
		if (what & STORE_BODY)
			body = blob(s, col++, &body_len);
		ret = cb(arg, text(s, 0), head, head_len, body, body_len);
	}
	done(s);
	return ret;
}

/* Fill r from the current row of an overview statement (see OVER_COLS); head at column 11. */
static void row_over(sqlite3_stmt *s, int want_head, struct store_over *r)
{
	r->number = sqlite3_column_int64(s, 0);
	r->article_id = sqlite3_column_int64(s, 1);
	r->msgid = text(s, 2);
	r->subject = text(s, 3);
	r->from = text(s, 4);
	r->date = text(s, 5);
	r->refs = text(s, 6);
	r->xref = text(s, 7);
	r->bytes = sqlite3_column_int64(s, 8);
	r->lines = sqlite3_column_int64(s, 9);
	r->arrived = sqlite3_column_int64(s, 10);
	r->head = NULL;
	r->head_len = 0;
	if (want_head)
		r->head = blob(s, 11, &r->head_len);
}

/*
 * Step an overview statement already bound, cb per row until cb returns
 * non-zero; the number of rows passed to cb or MOOT_ESTORE.  Resets s.
 */
static int over_rows(struct store *st, sqlite3_stmt *s, int want_head,
		     int (*cb)(void *arg, const struct store_over *row), void *arg)
{
	struct store_over r;
	int rc, n = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_over(s, want_head, &r);
		n++;
		if (cb(arg, &r) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		n = fail(st, "overview");
	done(s);
	return n;
}

/* Overview of numbers lo..hi of group_id, ascending, at most limit (<= 0: all); the row count. */
int store_over_range(struct store *st, int64_t group_id, int64_t lo, int64_t hi, int limit,
		     int want_head, int (*cb)(void *arg, const struct store_over *row), void *arg)
{
	sqlite3_stmt *s = st->stmt[want_head ? ST_OVER_RANGE_HEAD : ST_OVER_RANGE];

	sqlite3_bind_int64(s, 1, group_id);
	sqlite3_bind_int64(s, 2, lo);
	sqlite3_bind_int64(s, 3, hi);
	sqlite3_bind_int64(s, 4, limit > 0 ? limit : -1);	/* LIMIT -1: none */
	return over_rows(st, s, want_head, cb, arg);
}

/* cb with the overview row of article_id (number 0); 0, MOOT_ENOTFOUND or MOOT_ESTORE. */
int store_over_article(struct store *st, int64_t article_id, int want_head,
		       int (*cb)(void *arg, const struct store_over *row), void *arg)
{
	sqlite3_stmt *s = st->stmt[want_head ? ST_OVER_ARTICLE_HEAD : ST_OVER_ARTICLE];
	int n;

	sqlite3_bind_int64(s, 1, article_id);
	n = over_rows(st, s, want_head, cb, arg);
	if (n < 0)
		return n;
	return n == 0 ? MOOT_ENOTFOUND : 0;
}

/* Numbers lo..hi of group_id ascending, at most limit (<= 0: all), cb each; the count. */
int store_numbers_range(struct store *st, int64_t group_id, int64_t lo, int64_t hi, int limit,
			int (*cb)(void *arg, int64_t number), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_NUMBERS_RANGE];
	int rc, n = 0;

	sqlite3_bind_int64(s, 1, group_id);
	sqlite3_bind_int64(s, 2, lo);
	sqlite3_bind_int64(s, 3, hi);
	sqlite3_bind_int64(s, 4, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		if (cb(arg, sqlite3_column_int64(s, 0)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		n = fail(st, "list numbers");
	done(s);
	return n;
}

/*
 * NEWNEWS (RFC 3977 §7.4): cb per (article, group) for articles arrived at or
 * after since, ordered by article id then group id; stops at and returns
 * cb's first non-zero, else 0.
 */
int store_newnews(struct store *st, int64_t since,
		  int (*cb)(void *arg, int64_t article_id, const char *msgid, int64_t group_id),
		  void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_NEWNEWS];
	int rc, ret = 0;

	sqlite3_bind_int64(s, 1, since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = cb(arg, sqlite3_column_int64(s, 0), text(s, 1), sqlite3_column_int64(s, 2));
		if (ret != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = fail(st, "newnews");
	done(s);
	return ret;
}

/* ---- outgoing feeds ---- */

int store_outq_add(struct store *st, const char *peer, int64_t article_id)
{
	sqlite3_stmt *s = st->stmt[ST_OUTQ_ADD];

	sqlite3_bind_text(s, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, article_id);
	return run(st, ST_OUTQ_ADD, "outq add");
}

/*
 * The article ids queued for peer above after, ascending, at most limit;
 * returns how many were passed to cb (which must not call outq functions).
 */
int store_outq_next(struct store *st, const char *peer, int64_t after, int limit,
		    int (*cb)(void *arg, int64_t article_id), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_OUTQ_NEXT];
	int rc, n = 0;

	sqlite3_bind_text(s, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, after);
	sqlite3_bind_int(s, 3, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		if (cb(arg, sqlite3_column_int64(s, 0)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		n = fail(st, "outq next");
	done(s);
	return n;
}

int store_outq_delete(struct store *st, const char *peer, int64_t article_id)
{
	sqlite3_stmt *s = st->stmt[ST_OUTQ_DELETE];

	sqlite3_bind_text(s, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, article_id);
	return run(st, ST_OUTQ_DELETE, "outq delete");
}

int store_outq_count(struct store *st, const char *peer, int64_t *count)
{
	sqlite3_bind_text(st->stmt[ST_OUTQ_COUNT], 1, peer, -1, SQLITE_STATIC);
	return one_int(st, ST_OUTQ_COUNT, "outq count", count);
}

/* The expiry steps of store_expire_group inside its transaction; 0 or an error. */
static int expire(struct store *st, int64_t group_id, int64_t cutoff,
		  int64_t *low, int64_t *count, int64_t *expired)
{
	sqlite3_stmt *s;
	int64_t high;
	int rc, ret;

	sqlite3_bind_int64(st->stmt[ST_GROUP_HIGH], 1, group_id);
	ret = one_int(st, ST_GROUP_HIGH, "expire: read group", &high);
	if (ret < 0)
		return ret;
	if ((ret = run(st, ST_EXPIRE_CLEAR, "expire: clear")) < 0)
		return ret;

	s = st->stmt[ST_EXPIRE_PICK];
	sqlite3_bind_int64(s, 1, group_id);
	sqlite3_bind_int64(s, 2, cutoff);
	if ((ret = run(st, ST_EXPIRE_PICK, "expire: pick")) < 0)
		return ret;

	s = st->stmt[ST_EXPIRE_UNNUMBER];
	sqlite3_bind_int64(s, 1, group_id);
	if ((ret = run(st, ST_EXPIRE_UNNUMBER, "expire: unnumber")) < 0)
		return ret;
	*expired = sqlite3_changes64(st->db);

	/* Articles no group numbers any more: remembered, then deleted. */
	sqlite3_bind_int64(st->stmt[ST_EXPIRE_HISTORY], 1, (int64_t)time(NULL));
	if ((ret = run(st, ST_EXPIRE_HISTORY, "expire: history")) < 0 ||
	    (ret = run(st, ST_EXPIRE_DELETE, "expire: delete")) < 0 ||
	    (ret = run(st, ST_EXPIRE_CLEAR, "expire: clear")) < 0)
		return ret;

	s = st->stmt[ST_EXPIRE_MARKS];
	sqlite3_bind_int64(s, 1, group_id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		ret = fail(st, "expire: marks");
		done(s);
		return ret;
	}
	/* RFC 3977 §6.1.1.2: an empty group reports low = high + 1. */
	*low = sqlite3_column_type(s, 0) == SQLITE_NULL ? high + 1 : sqlite3_column_int64(s, 0);
	*count = sqlite3_column_int64(s, 1);
	done(s);
	return store_group_set_marks(st, group_id, *low, high, *count);
}

/*
 * Expire group_id's articles arrived before cutoff in one transaction of its
 * own (so not inside store_begin); on success *low, *count and *expired (the
 * numbering rows removed).  MOOT_ENOTFOUND for no such group, MOOT_ESTORE;
 * on error nothing changed.
 */
int store_expire_group(struct store *st, int64_t group_id, int64_t cutoff,
		       int64_t *low, int64_t *count, int64_t *expired)
{
	int64_t l = 0, c = 0, e = 0;
	int ret;

	if ((ret = store_begin(st)) < 0)
		return ret;
	ret = expire(st, group_id, cutoff, &l, &c, &e);
	if (ret == 0)
		ret = store_commit(st);
	if (ret < 0) {
		store_rollback(st);
		return ret;
	}
	*low = l;
	*count = c;
	*expired = e;
	return 0;
}

/* The connection's last SQLite error message. */
const char *store_errmsg(struct store *st)
{
	return sqlite3_errmsg(st->db);
}
