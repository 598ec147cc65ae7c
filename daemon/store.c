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
 * Version 3 adds members, the moderation queue, bans, the audit log and the
 * community health figures.  The figures never scan articles: ingest feeds
 * small tables through store_stats_record (hourly: posts per group and hour;
 * poster_groups: when each poster last posted in each group; posters: when
 * each was first seen; threads: one row per thread starter with its reply
 * count and first-reply delay), and store_stats answers with range scans of
 * their indexes over the window, which always ends now.
 *
 * Errors are logged as "store: <what>: <sqlite errmsg>" on stderr and
 * returned as MOOT_ESTORE.  Callbacks must not re-enter the function that
 * called them (its statement is still running); other store calls are fine.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../proto/buf.h"
#include "../proto/moot.h"
#include "store.h"
#include "msgtail.h"
#include "pagecache.h"
#include "walvfs.h"

/*
 * Reads go through a memory map of the first STORE_MMAP_SIZE bytes of the
 * database instead of a pread(2) and a copy per page: OVER and ARTICLE
 * touch many pages that SQLite's own cache does not hold.  The mapped pages
 * are the kernel's page cache, shared with the file, not mootd's heap.
 */
#define STORE_MMAP_SIZE 1073741824
#define MOOT_STR_(x) #x
#define MOOT_STR(x) MOOT_STR_(x)

/* How long a writer waits for the lock held by another connection, in ms. */
#define STORE_BUSY_TIMEOUT 5000

/*
 * An overview line after "number TAB" (RFC 3977 §8.3.2, the fields of LIST
 * OVERVIEW.FMT) from the columns of an articles row, their names prefixed
 * with p ("" or "new."): the overview table holds these.
 */
#define OVER_LINE(p) \
	"ifnull(" p "subject, '') || char(9) || ifnull(" p "from_, '') || char(9) ||" \
	" ifnull(" p "date, '') || char(9) || " p "msgid || char(9) || ifnull(" p "refs, '') ||" \
	" char(9) || ifnull(" p "bytes, 0) || char(9) || ifnull(" p "lines, 0) || char(9) ||" \
	" CASE WHEN ifnull(" p "xref, '') = '' THEN '' ELSE 'Xref: ' || " p "xref END"

/*
 * Schema migrations: migrations[i] takes user_version i to i + 1.  Append a
 * new string to change the schema; never edit one that has shipped.
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
	/*
	 * 2 -> 3: members, moderation queue, bans, audit log, and the figure
	 * tables (see store_stats_record).  Articles stored before this version
	 * have NULL poster/root/parent and are not in the figures.
	 */
	"ALTER TABLE articles ADD COLUMN poster TEXT;"
	"ALTER TABLE articles ADD COLUMN root TEXT;"
	"ALTER TABLE articles ADD COLUMN parent TEXT;"
	"CREATE TABLE users("
	" id INTEGER PRIMARY KEY,"
	" name TEXT UNIQUE NOT NULL,"
	" password_hash TEXT NOT NULL,"
	" role TEXT NOT NULL,"
	" address TEXT,"
	" created INTEGER,"
	" disabled INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE modqueue("
	" id INTEGER PRIMARY KEY,"
	" submitted INTEGER,"
	" user TEXT,"
	" address TEXT,"
	" groups TEXT,"
	" msgid TEXT,"
	" from_ TEXT,"
	" subject TEXT,"
	" article BLOB);"
	"CREATE TABLE bans("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT,"
	" target TEXT,"
	" until INTEGER,"
	" reason TEXT,"
	" by_ TEXT,"
	" created INTEGER);"
	"CREATE INDEX bans_target ON bans(kind, target);"
	"CREATE TABLE events("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER,"
	" kind TEXT,"
	" actor TEXT,"
	" subject TEXT,"
	" detail TEXT);"
	"CREATE INDEX events_at ON events(at);"
	/* posts per group and hour (arrived / 3600) */
	"CREATE TABLE hourly("
	" group_id INTEGER NOT NULL,"
	" hour INTEGER NOT NULL,"
	" posts INTEGER NOT NULL,"
	" PRIMARY KEY(group_id, hour)) WITHOUT ROWID;"
	/* the hour of each poster's last post in each group: the active posters of a window */
	"CREATE TABLE poster_groups("
	" group_id INTEGER NOT NULL,"
	" poster TEXT NOT NULL,"
	" last_hour INTEGER NOT NULL,"
	" PRIMARY KEY(group_id, poster)) WITHOUT ROWID;"
	"CREATE INDEX poster_groups_seen ON poster_groups(group_id, last_hour);"
	/* one row per thread starter; first_reply in seconds from started */
	"CREATE TABLE threads("
	" article_id INTEGER PRIMARY KEY,"
	" group_id INTEGER NOT NULL,"
	" msgid TEXT NOT NULL,"
	" started INTEGER NOT NULL,"
	" replies INTEGER NOT NULL DEFAULT 0,"
	" first_reply INTEGER);"
	/* covering: the figures read threads from this index alone (until migration 9) */
	"CREATE INDEX threads_group ON threads(group_id, started, first_reply, replies);"
	"CREATE UNIQUE INDEX threads_msgid ON threads(msgid);"
	/* the replies already counted, so a crosspost's per-group calls count it once */
	"CREATE TABLE replies(article_id INTEGER PRIMARY KEY);"
	"CREATE TABLE posters("
	" poster TEXT PRIMARY KEY,"
	" first_seen INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX posters_first ON posters(first_seen);",
	/*
	 * 3 -> 4: the overview line of each article, ready to serve (everything
	 * after "number TAB", RFC 3977 §8.3.2), in a narrow table of its own so
	 * that OVER reads a few hundred bytes per article instead of the pages
	 * of whole articles.  Triggers keep it in step with articles; existing
	 * articles get theirs here.
	 */
	"CREATE TABLE overview(article_id INTEGER PRIMARY KEY, line TEXT NOT NULL);"
	"INSERT INTO overview(article_id, line) SELECT id, " OVER_LINE("") " FROM articles;"
	"CREATE TRIGGER overview_add AFTER INSERT ON articles BEGIN"
	" INSERT INTO overview(article_id, line) VALUES(new.id, " OVER_LINE("new.") ");"
	" END;"
	"CREATE TRIGGER overview_remove AFTER DELETE ON articles BEGIN"
	" DELETE FROM overview WHERE article_id = old.id;"
	" END;",
	/*
	 * 4 -> 5: store_article_add writes the overview line itself, built in
	 * C (over_line): the trigger's SQL concatenation cost about 4 us per
	 * article, a sixth of the loop's time per ingested article.
	 */
	"DROP TRIGGER overview_add;",
	/*
	 * 5 -> 6: a reply is counted once by store_stats_record itself (the
	 * calls for one article's groups come together), and any article
	 * whose root is a thread's msgid is one of its replies: the table that
	 * remembered the counted replies cost an insert per reply.
	 */
	"DROP TABLE IF EXISTS replies;",
	/*
	 * 6 -> 7: where NEWNEWS starts, from a row per hour of arrival instead
	 * of an index entry per article: arrivals holds, for each hour
	 * (arrived / 3600) any article arrived in, the id of the first one
	 * stored with it, so every article arrived since a time has an id at
	 * or above the least first_id of the hours from then on, whatever the
	 * clock did.  Ingest adds a row per new hour (store_article_add).
	 */
	"CREATE TABLE arrivals(hour INTEGER PRIMARY KEY, first_id INTEGER NOT NULL);"
	"INSERT INTO arrivals(hour, first_id)"
	" SELECT arrived / 3600, min(id) FROM articles WHERE arrived IS NOT NULL GROUP BY arrived / 3600;"
	"DROP INDEX articles_arrived;",
	/*
	 * 7 -> 8: an article's numbering is found from the Xref of its
	 * overview line (article_numbers), which names every group and number
	 * it was given, each checked against numbering: the index by article
	 * cost an insert per group an article was numbered in.
	 */
	"DROP INDEX numbering_article;",
	/*
	 * 8 -> 9: threads_group without first_reply and replies, which every
	 * reply changes: each one moved its thread's entry in the index (a
	 * delete and an insert, four to five WAL pages per commit of fifty
	 * articles).  The figures read those two from the rows instead.
	 */
	"DROP INDEX threads_group;"
	"CREATE INDEX threads_group ON threads(group_id, started);",
	/*
	 * 9 -> 10: the Message-ID index in a table of its own, msgids, that
	 * takes new IDs in sorted batches (see "Message-IDs since the last
	 * merge"): an ID in no order (a feed from many origins) put another
	 * leaf of the old UNIQUE index in each commit's WAL.  msgid_tail.upto:
	 * every article up to it is in msgids.  SQLite cannot drop a UNIQUE
	 * constraint, so articles is copied to a table without it.
	 */
	"CREATE TABLE msgids(msgid TEXT PRIMARY KEY, article_id INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO msgids(msgid, article_id) SELECT msgid, id FROM articles ORDER BY msgid;"
	"CREATE TABLE msgid_tail(upto INTEGER NOT NULL);"
	"INSERT INTO msgid_tail(upto) SELECT coalesce(max(id), 0) FROM articles;"
	"CREATE TABLE articles_new("
	" id INTEGER PRIMARY KEY,"
	" msgid TEXT NOT NULL,"
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
	" body BLOB,"
	" poster TEXT,"
	" root TEXT,"
	" parent TEXT);"
	"INSERT INTO articles_new(id, msgid, arrived, posted, bytes, lines, from_, subject, date, refs,"
	" xref, head, body, poster, root, parent)"
	" SELECT id, msgid, arrived, posted, bytes, lines, from_, subject, date, refs,"
	" xref, head, body, poster, root, parent FROM articles;"
	"DROP TABLE articles;"
	"ALTER TABLE articles_new RENAME TO articles;"
	"CREATE TRIGGER overview_remove AFTER DELETE ON articles BEGIN"
	" DELETE FROM overview WHERE article_id = old.id;"
	" END;"
	"CREATE TRIGGER msgids_remove AFTER DELETE ON articles BEGIN"
	" DELETE FROM msgids WHERE msgid = old.msgid AND article_id = old.id;"
	" END;",
	/*
	 * 10 -> 11: no index of every thread by its starter's Message-ID.  A
	 * reply finds its thread through the starter's article (the tail or
	 * msgids: see thread_of), and only the threads whose starter is gone
	 * (expired: the figures keep them) are indexed by Message-ID.  The
	 * UNIQUE index took each new thread in another leaf with IDs in no
	 * order: 14 of 104 WAL pages in a commit of 100 articles.  Not UNIQUE:
	 * a starter forgotten by history may come back and go again.
	 */
	"DROP INDEX threads_msgid;"
	"ALTER TABLE threads ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;"
	"UPDATE threads SET gone = 1 WHERE NOT EXISTS(SELECT 1 FROM articles WHERE id = threads.article_id);"
	"CREATE INDEX threads_gone ON threads(msgid) WHERE gone;"
	"CREATE TRIGGER threads_gone AFTER DELETE ON articles BEGIN"
	" UPDATE threads SET gone = 1 WHERE article_id = old.id;"
	" END;",
};

/* Seconds in an hour: posts are counted per hour, arrived / HOUR. */
#define HOUR 3600

/* How many threads store_stats lists (struct store_stats.top). */
#define TOP_THREADS 5

/* Per-connection scratch: the articles (and numbers) one expiry run looks at, the groups one store_stats asks for. */
#define TEMP_SCHEMA \
	"CREATE TEMP TABLE IF NOT EXISTS expire_ids(id INTEGER PRIMARY KEY, number INTEGER);" \
	"CREATE TEMP TABLE IF NOT EXISTS stat_groups(id INTEGER PRIMARY KEY);"

/* The range scan of a group's numbers (PRIMARY KEY(group_id, number)); bound by bind_range. */
#define RANGE_WHERE " WHERE n.group_id = ?1 AND n.number BETWEEN ?2 AND ?3 ORDER BY n.number LIMIT ?4"

/* That scan joined to the overview lines. */
#define OVER_RANGE_FROM " FROM numbering n JOIN overview o ON o.article_id = n.article_id"

/* The columns row_user() reads. */
#define USER_COLS "id, name, password_hash, role, address, created, disabled"

/* The columns row_mod() reads; the article follows as column 8. */
#define MOD_COLS "id, submitted, user, address, groups, msgid, from_, subject"

enum stmt_id {
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_GROUPS_EACH,
	ST_GROUP_UPSERT,
	ST_GROUP_SET_STATUS,
	ST_GROUP_SET_MARKS,
	ST_GROUP_ADD_MARKS,
	ST_GROUP_MARKS,
	ST_GROUP_HIGH,
	ST_MSGID_SEEN,
	ST_HISTORY_SEEN,
	ST_ARTICLE_ADD,
	ST_OVERVIEW_ADD,
	ST_OVERVIEW_ADD_MANY,
	ST_ARRIVAL_ADD,
	ST_NUMBER_ADD,
	ST_NUMBER_ADD_MANY,
	ST_HISTORY_ADD,
	ST_NUMBER_GET,
	ST_GROUP_ID,
	ST_NUMBER_NEXT,
	ST_NUMBER_PREV,
	ST_MSGID_GET,
	ST_ARTICLE_GET,		/* + (what & 3): msgid only, head, body, both */
	ST_ARTICLE_GET_HEAD,
	ST_ARTICLE_GET_BODY,
	ST_ARTICLE_GET_BOTH,
	ST_OVER_LINES,
	ST_OVER_LINE_ARTICLE,
	ST_OVER_RANGE_HEAD,
	ST_OVER_ARTICLE_HEAD,
	ST_NUMBERS_RANGE,
	ST_NEWNEWS,
	ST_NEWNEWS_FIRST,
	ST_EXPIRE_CLEAR,
	ST_EXPIRE_PICK,
	ST_EXPIRE_UNNUMBER,
	ST_EXPIRE_IDS,
	ST_EXPIRE_MARKS,
	ST_OUTQ_ADD,
	ST_OUTQ_NEXT,
	ST_OUTQ_DELETE,
	ST_OUTQ_COUNT,
	ST_USER_ADD,
	ST_USER_GET,
	ST_USERS_EACH,
	ST_USER_SET_DISABLED,
	ST_USER_SET_PASSWORD,
	ST_MOD_ADD,
	ST_MOD_EACH,
	ST_MOD_EACH_ARTICLE,
	ST_MOD_GET,
	ST_MOD_DELETE,
	ST_MOD_HAS_MSGID,
	ST_BAN_ADD,
	ST_BAN_REMOVE,
	ST_BAN_ACTIVE,
	ST_EVENT_ADD,
	ST_EVENTS_EACH,
	ST_REMOVE_HISTORY,
	ST_REMOVE_UNNUMBER,
	ST_REMOVE_OUTQ,
	ST_REMOVE_ARTICLE,
	ST_REMOVE_HOURLY,
	ST_REMOVE_THREAD,
	ST_REMOVE_ROOT,
	ST_REMOVE_REPLY_COUNT,
	ST_REMOVE_FIRST_REPLY,
	ST_STATS_HOURLY,
	ST_STATS_POSTER_GROUP,
	ST_STATS_POSTER,
	ST_STATS_THREAD,
	ST_STATS_REPLY,
	ST_THREAD_OF,
	ST_STATS_GROUPS_CLEAR,
	ST_STATS_GROUPS_ADD,
	ST_STATS_POSTS,
	ST_STATS_POSTERS,
	ST_STATS_NEW_POSTERS,
	ST_STATS_THREADS,
	ST_STATS_DELAYS,
	ST_STATS_TOP,
	ST_TAIL_CHECK,
	ST_TAIL_LOAD,
	ST_TAIL_ADD_MANY,
	ST_TAIL_ADD,
	ST_TAIL_MERGE_MANY,
	ST_TAIL_MERGE,
	ST_TAIL_SET,
	ST_COUNT
};

/* store_article_get picks its statement as ST_ARTICLE_GET + (what & 3). */
_Static_assert(ST_ARTICLE_GET + STORE_HEAD == ST_ARTICLE_GET_HEAD &&
	       ST_ARTICLE_GET + STORE_BODY == ST_ARTICLE_GET_BODY &&
	       ST_ARTICLE_GET + (STORE_HEAD | STORE_BODY) == ST_ARTICLE_GET_BOTH,
	       "article statement variants out of order");

/*
 * Held rows: inside a transaction, store_article_add's overview row and
 * store_number_add's numbering row wait in struct held_rows and go in
 * ROWS_MAX at a time, one statement for all (rows_flush).  Running a
 * statement costs SQLite about half a microsecond besides its rows, as much
 * again as the row itself: a sixth of the writer thread's time per
 * ingested article went to the two statements' runs.  Before any statement
 * that might read those tables runs on the connection, step() writes what
 * is held (only the per-article statements of ingest, rows_blind, skip
 * it), and so do commits; a rollback drops them.
 */
#define ROWS_MAX 16
#define ROWS_VALUES4(v) v "," v "," v "," v
#define ROWS_VALUES(v) ROWS_VALUES4(v) "," ROWS_VALUES4(v) "," ROWS_VALUES4(v) "," ROWS_VALUES4(v)

/* A pair of the tail names an article that is there (tail_has, tail_merge). */
#define TAIL_THERE(m, i) "EXISTS(SELECT 1 FROM articles WHERE id = " i " AND msgid = " m ")"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_BEGIN_READ] = "BEGIN",
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
	/* New numbers are above every number the group has: low moves only when it was empty. */
	[ST_GROUP_ADD_MARKS] = "UPDATE groups SET low = CASE WHEN count = 0 THEN ?2 ELSE low END,"
			       " high = max(high, ?3), count = count + ?4 WHERE id = ?1",
	[ST_GROUP_MARKS] = "SELECT low, high, count FROM groups WHERE id = ?1",
	[ST_GROUP_HIGH] = "SELECT high FROM groups WHERE id = ?1",
	/* With the tail in memory (tail_has) besides: see "Message-IDs since the last merge". */
	[ST_MSGID_SEEN] =
		"SELECT EXISTS(SELECT 1 FROM msgids WHERE msgid = ?1)"
		" OR EXISTS(SELECT 1 FROM history WHERE msgid = ?1)",
	/* A row or none: fewer steps than EXISTS, on every ingested article. */
	[ST_HISTORY_SEEN] = "SELECT 1 FROM history WHERE msgid = ?1",
	/* from_, subject, date, refs and xref stay NULL: the overview line has them. */
	[ST_ARTICLE_ADD] =
		"INSERT INTO articles(msgid, arrived, posted, bytes, lines, head, body, poster, root,"
		" parent) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_OVERVIEW_ADD] = "INSERT INTO overview(article_id, line) VALUES(?1, ?2)",
	/* ROWS_MAX held rows in one statement; OR FAIL: no statement journal (a failure fails the batch). */
	[ST_OVERVIEW_ADD_MANY] = "INSERT OR FAIL INTO overview(article_id, line) VALUES" ROWS_VALUES("(?,?)"),
	[ST_ARRIVAL_ADD] = "INSERT OR IGNORE INTO arrivals(hour, first_id) VALUES(?1, ?2)",
	[ST_NUMBER_ADD] = "INSERT INTO numbering(group_id, number, article_id) VALUES(?1, ?2, ?3)",
	[ST_NUMBER_ADD_MANY] =
		"INSERT OR FAIL INTO numbering(group_id, number, article_id) VALUES" ROWS_VALUES("(?,?,?)"),
	[ST_HISTORY_ADD] =
		"INSERT INTO history(msgid, seen, state) VALUES(?1, ?2, ?3)"
		" ON CONFLICT(msgid) DO UPDATE SET seen = excluded.seen, state = excluded.state",
	[ST_NUMBER_GET] = "SELECT article_id FROM numbering WHERE group_id = ?1 AND number = ?2",
	[ST_GROUP_ID] = "SELECT id FROM groups WHERE name = ?1",
	[ST_NUMBER_NEXT] =
		"SELECT number FROM numbering WHERE group_id = ?1 AND number > ?2"
		" ORDER BY number LIMIT 1",
	[ST_NUMBER_PREV] =
		"SELECT number FROM numbering WHERE group_id = ?1 AND number < ?2"
		" ORDER BY number DESC LIMIT 1",
	[ST_MSGID_GET] = "SELECT article_id FROM msgids WHERE msgid = ?1",
	[ST_ARTICLE_GET] = "SELECT msgid FROM articles WHERE id = ?1",
	[ST_ARTICLE_GET_HEAD] = "SELECT msgid, head FROM articles WHERE id = ?1",
	[ST_ARTICLE_GET_BODY] = "SELECT msgid, body FROM articles WHERE id = ?1",
	[ST_ARTICLE_GET_BOTH] = "SELECT msgid, head, body FROM articles WHERE id = ?1",
	/* Overview rows: number, line, article id (row_over), then the head if asked for. */
	[ST_OVER_LINES] = "SELECT n.number, o.line, o.article_id" OVER_RANGE_FROM RANGE_WHERE,
	[ST_OVER_LINE_ARTICLE] = "SELECT 0, line, article_id FROM overview WHERE article_id = ?1",
	[ST_OVER_RANGE_HEAD] =
		"SELECT n.number, o.line, o.article_id, a.head" OVER_RANGE_FROM
		" JOIN articles a ON a.id = n.article_id" RANGE_WHERE,
	[ST_OVER_ARTICLE_HEAD] =
		"SELECT 0, o.line, o.article_id, a.head FROM overview o JOIN articles a ON a.id = o.article_id"
		" WHERE o.article_id = ?1",
	[ST_NUMBERS_RANGE] = "SELECT n.number FROM numbering n" RANGE_WHERE,
	/* One chunk of articles by id (the rowid: a chunk reads only its rows), with their overview lines. */
	[ST_NEWNEWS] =
		"SELECT a.id, a.msgid, o.line FROM"
		" (SELECT id, msgid FROM articles NOT INDEXED WHERE id > ?2 AND arrived >= ?1"
		"  ORDER BY id LIMIT ?3) a"
		" LEFT JOIN overview o ON o.article_id = a.id ORDER BY a.id",
	/*
	 * Where a NEWNEWS starts: the first article by id that arrived since ?1,
	 * read from the first of the hours since (no article arrived since has
	 * a smaller id, migration 7); NULL when none did.
	 */
	[ST_NEWNEWS_FIRST] =
		"SELECT (SELECT id FROM articles"
		" WHERE id >= (SELECT min(first_id) FROM arrivals WHERE hour >= ?1 / 3600)"
		" AND arrived >= ?1 ORDER BY id LIMIT 1)",
	[ST_EXPIRE_CLEAR] = "DELETE FROM temp.expire_ids",
	[ST_EXPIRE_PICK] =
		"INSERT OR IGNORE INTO temp.expire_ids(id, number)"
		" SELECT n.article_id, n.number FROM numbering n JOIN articles a ON a.id = n.article_id"
		" WHERE n.group_id = ?1 AND a.arrived < ?2",
	[ST_EXPIRE_UNNUMBER] =
		"DELETE FROM numbering"
		" WHERE group_id = ?1 AND number IN (SELECT number FROM temp.expire_ids)",
	[ST_EXPIRE_IDS] = "SELECT id FROM temp.expire_ids",
	[ST_EXPIRE_MARKS] = "SELECT min(number), count(*) FROM numbering WHERE group_id = ?1",
	[ST_OUTQ_ADD] = "INSERT OR IGNORE INTO outq(peer, article_id) VALUES(?1, ?2)",
	[ST_OUTQ_NEXT] =
		"SELECT article_id FROM outq WHERE peer = ?1 AND article_id > ?2"
		" ORDER BY article_id LIMIT ?3",
	[ST_OUTQ_DELETE] = "DELETE FROM outq WHERE peer = ?1 AND article_id = ?2",
	[ST_OUTQ_COUNT] = "SELECT count(*) FROM outq WHERE peer = ?1",
	[ST_USER_ADD] =
		"INSERT INTO users(name, password_hash, role, address, created)"
		" VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_USER_GET] =
		"SELECT " USER_COLS " FROM users WHERE name = ?1",
	[ST_USERS_EACH] = "SELECT " USER_COLS " FROM users ORDER BY name",
	[ST_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE name = ?1",
	[ST_USER_SET_PASSWORD] = "UPDATE users SET password_hash = ?2 WHERE name = ?1",
	[ST_MOD_ADD] =
		"INSERT INTO modqueue(submitted, user, address, groups, msgid, from_, subject, article)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_MOD_EACH] = "SELECT " MOD_COLS ", NULL FROM modqueue ORDER BY submitted, id",
	[ST_MOD_EACH_ARTICLE] = "SELECT " MOD_COLS ", article FROM modqueue ORDER BY submitted, id",
	[ST_MOD_GET] = "SELECT " MOD_COLS ", article FROM modqueue WHERE id = ?1",
	[ST_MOD_DELETE] = "DELETE FROM modqueue WHERE id = ?1",
	[ST_MOD_HAS_MSGID] = "SELECT EXISTS(SELECT 1 FROM modqueue WHERE msgid = ?1)",
	[ST_BAN_ADD] =
		"INSERT INTO bans(kind, target, until, reason, by_, created)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_BAN_REMOVE] = "DELETE FROM bans WHERE kind = ?1 AND target = ?2",
	/* Of the bans in force, the one that lasts longest: forever (0) first. */
	[ST_BAN_ACTIVE] =
		"SELECT until, reason FROM bans"
		" WHERE kind = ?1 AND target = ?2 AND (until = 0 OR until > ?3)"
		" ORDER BY until = 0 DESC, until DESC LIMIT 1",
	[ST_EVENT_ADD] =
		"INSERT INTO events(at, kind, actor, subject, detail) VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_EVENTS_EACH] =
		"SELECT id, at, kind, actor, subject, detail FROM events"
		" WHERE at >= ?1 ORDER BY at, id",
	/* Remembered first (as ?3), while the row still gives the msgid; no row: not found. */
	[ST_REMOVE_HISTORY] =
		"INSERT INTO history(msgid, seen, state)"
		" SELECT msgid, ?2, ?3 FROM articles WHERE id = ?1"
		" ON CONFLICT(msgid) DO UPDATE SET seen = excluded.seen, state = excluded.state",
	[ST_REMOVE_UNNUMBER] = "DELETE FROM numbering WHERE group_id = ?1 AND number = ?2",
	/* outq has no index on article_id: a scan of what peers still owe, done only on cancel. */
	[ST_REMOVE_OUTQ] = "DELETE FROM outq WHERE article_id = ?1",
	[ST_REMOVE_ARTICLE] = "DELETE FROM articles WHERE id = ?1",
	/* A cancelled article leaves the figures: its post, its thread, its reply. */
	[ST_REMOVE_HOURLY] =
		"UPDATE hourly SET posts = posts - 1 WHERE group_id = ?1 AND posts > 0"
		" AND hour = (SELECT arrived / 3600 FROM articles WHERE id = ?2)",
	[ST_REMOVE_THREAD] = "DELETE FROM threads WHERE article_id = ?1",
	[ST_REMOVE_ROOT] = "SELECT root FROM articles WHERE id = ?1",
	/* ?1: the thread's starter (thread_of the cancelled reply's root). */
	[ST_REMOVE_REPLY_COUNT] = "UPDATE threads SET replies = replies - 1 WHERE replies > 0 AND article_id = ?1",
	/*
	 * A cancelled first reply: the thread's next counted reply becomes its
	 * first (none: NULL, unanswered again; runs after ST_REMOVE_REPLY_COUNT).
	 * Reads the articles from the first arrived since the thread's start
	 * (arrivals, as NEWNEWS); only on cancel, and not at all when no reply
	 * is left.
	 */
	[ST_REMOVE_FIRST_REPLY] =
		"UPDATE threads SET first_reply = CASE WHEN replies = 0 THEN NULL ELSE ("
		"  SELECT max(a.arrived - threads.started, 0) FROM articles a"
		"  WHERE a.id >= (SELECT min(first_id) FROM arrivals WHERE hour >= threads.started / 3600)"
		"  AND a.arrived >= threads.started AND a.root = threads.msgid AND a.id <> ?1"
		"  ORDER BY a.arrived LIMIT 1) END"
		" WHERE article_id = ?2"
		" AND first_reply = max((SELECT arrived FROM articles WHERE id = ?1) - started, 0)",
	[ST_STATS_HOURLY] =
		"INSERT INTO hourly(group_id, hour, posts) VALUES(?1, ?2, ?3)"
		" ON CONFLICT(group_id, hour) DO UPDATE SET posts = posts + excluded.posts",
	/* The WHERE clauses skip the write (and the index update) when nothing changes. */
	[ST_STATS_POSTER_GROUP] =
		"INSERT INTO poster_groups(group_id, poster, last_hour) VALUES(?1, ?2, ?3)"
		" ON CONFLICT(group_id, poster) DO UPDATE SET last_hour = excluded.last_hour"
		" WHERE excluded.last_hour > last_hour",
	[ST_STATS_POSTER] =
		"INSERT INTO posters(poster, first_seen) VALUES(?1, ?2)"
		" ON CONFLICT(poster) DO UPDATE SET first_seen = excluded.first_seen"
		" WHERE excluded.first_seen < first_seen",
	/* The first group recorded wins; the msgid is the stored article's. */
	[ST_STATS_THREAD] =
		"INSERT OR IGNORE INTO threads(article_id, group_id, msgid, started, replies)"
		" SELECT id, ?2, msgid, ?3, 0 FROM articles WHERE id = ?1",
	/* Never a negative delay, whatever the clocks said. */
	[ST_STATS_REPLY] =
		"UPDATE threads SET replies = replies + ?3,"
		" first_reply = coalesce(first_reply, max(?2 - started, 0))"
		" WHERE article_id = ?1",
	/* Past the tail: the starter's article in msgids, else a thread whose starter is gone. */
	[ST_THREAD_OF] =
		"SELECT coalesce((SELECT article_id FROM msgids WHERE msgid = ?1),"
		" (SELECT max(article_id) FROM threads WHERE msgid = ?1 AND gone), 0)",
	[ST_TAIL_CHECK] = "SELECT " TAIL_THERE("?2", "?1"),
	[ST_TAIL_LOAD] =
		"SELECT id, msgid FROM articles WHERE id > (SELECT coalesce(max(upto), 0) FROM msgid_tail) ORDER BY id",
	[ST_TAIL_ADD_MANY] = "INSERT OR IGNORE INTO msgids(msgid, article_id) VALUES" ROWS_VALUES("(?,?)"),
	[ST_TAIL_ADD] = "INSERT OR IGNORE INTO msgids(msgid, article_id) VALUES(?1, ?2)",
	/* The same, each pair checked: when an article may have been deleted since it was added. */
	[ST_TAIL_MERGE_MANY] =
		"INSERT OR IGNORE INTO msgids(msgid, article_id) SELECT column1, column2 FROM (VALUES"
		ROWS_VALUES("(?,?)") ") WHERE " TAIL_THERE("column1", "column2"),
	[ST_TAIL_MERGE] =
		"INSERT OR IGNORE INTO msgids(msgid, article_id) SELECT ?1, ?2 WHERE " TAIL_THERE("?1", "?2"),
	[ST_TAIL_SET] = "UPDATE msgid_tail SET upto = ?1",
	[ST_STATS_GROUPS_CLEAR] = "DELETE FROM temp.stat_groups",
	[ST_STATS_GROUPS_ADD] = "INSERT OR IGNORE INTO temp.stat_groups(id) VALUES(?1)",
	[ST_STATS_POSTS] =
		"SELECT coalesce(sum(posts), 0) FROM hourly"
		" WHERE group_id IN (SELECT id FROM temp.stat_groups) AND hour >= ?1",
	/* At most one row per poster and group, from the (group_id, last_hour) index. */
	[ST_STATS_POSTERS] =
		"SELECT count(DISTINCT poster) FROM poster_groups"
		" WHERE group_id IN (SELECT id FROM temp.stat_groups) AND last_hour >= ?1",
	/* First seen in the window means active in it: only the groups are checked. */
	[ST_STATS_NEW_POSTERS] =
		"SELECT count(*) FROM posters p WHERE p.first_seen >= ?1"
		" AND EXISTS (SELECT 1 FROM poster_groups g"
		"  WHERE g.group_id IN (SELECT id FROM temp.stat_groups) AND g.poster = p.poster)",
	[ST_STATS_THREADS] =
		"SELECT count(*), count(*) - count(first_reply) FROM threads"
		" WHERE group_id IN (SELECT id FROM temp.stat_groups) AND started >= ?1",
	/* The window's first-reply delays in order from the ?2-th (from 0): one sort for both ranks. */
	[ST_STATS_DELAYS] =
		"SELECT first_reply FROM threads"
		" WHERE group_id IN (SELECT id FROM temp.stat_groups) AND started >= ?1"
		" AND first_reply IS NOT NULL ORDER BY first_reply LIMIT -1 OFFSET ?2",
	/* The five picked from the index first, then their subjects. */
	[ST_STATS_TOP] =
		"SELECT t.article_id, t.replies, substr(o.line, 1, instr(o.line, char(9)) - 1) FROM"
		" (SELECT article_id, replies FROM threads"
		"  WHERE group_id IN (SELECT id FROM temp.stat_groups) AND started >= ?1"
		"  AND replies > 0 ORDER BY replies DESC, article_id LIMIT ?2) t"
		" LEFT JOIN overview o ON o.article_id = t.article_id"
		" ORDER BY t.replies DESC, t.article_id",
};

/*
 * Figures gathered inside a transaction (store_stats_record): one row per
 * group and hour, per group and poster, per poster and per thread replied
 * to, written when the transaction commits, before a cancel (which takes a
 * post out of them) and when FIG_MAX rows are held.  A batch of a hundred
 * articles then costs a few upserts instead of four per article.
 */
#define FIG_MAX 256

struct fig_hour {
	int64_t group_id, hour, posts;
};

enum fig_kind {
	FIG_POSTER_GROUP,	/* poster_groups: value is the latest hour */
	FIG_POSTER,		/* posters: value is the earliest arrival */
	FIG_REPLY,		/* threads: count replies to the starter name, value the earliest */
};

struct fig_row {
	enum fig_kind kind;
	int64_t group_id;	/* FIG_POSTER_GROUP, else 0 */
	size_t name;		/* offset in names of the poster or the starter's msgid */
	int64_t value;
	int64_t count;
};

struct figures {
	struct fig_hour hours[FIG_MAX];
	struct fig_row rows[FIG_MAX];
	int nhours, nrows;
	struct buf names;	/* the rows' names, NUL-terminated */
};

struct held_rows {
	struct {
		int64_t article_id;
		size_t off, len;		/* of its line in lines */
	} over[ROWS_MAX];
	int nover;
	struct buf lines;			/* the overview lines held, back to back */
	int64_t num[ROWS_MAX][3];		/* group_id, number, article_id */
	int nnum;
	int failed;				/* some were lost: the transaction must not commit */
};

struct store {
	sqlite3 *db;				/* the connection */
	sqlite3_stmt *stmt[ST_COUNT];		/* prepared at open, indexed by enum stmt_id */
	sqlite3 *ckpt;				/* a second connection, for checkpoints only */
	int wal_fd;				/* the WAL file, for store_sync (-1: none) */
	int wal_frames;				/* frames in the WAL after the last commit */
	struct sqlite3_file *deferred;		/* inside store_begin_nosync: its WAL file */
	int reading;				/* inside store_read_begin */
	int held;				/* its snapshot kept after store_read_end */
	struct figures fig;			/* not yet written (store_stats_record) */
	struct held_rows rows;			/* not yet inserted (see ROWS_MAX) */
	struct buf over;			/* store_article_add's overview line */
	struct buf row;				/* row_over's copy of a line, split */
	int64_t stats_last;			/* the article store_stats_record saw last */
	int64_t arrival_hour;			/* the hour store_article_add added last, or INT64_MIN */
	struct gname {
		char name[64];
		size_t len;			/* 0: empty slot */
		int64_t id;
	} gnames[4];				/* group_id_of's last names */
	unsigned gnext;				/* the slot to fill next */
	void (*on_write)(void *arg);		/* before a write outside a transaction (store_on_write) */
	void *on_write_arg;
	struct msgtail *tail;			/* Message-IDs since the last merge, shared */
	size_t tail_mark;			/* tail pairs before this transaction's */
	int tail_writing;			/* inside store_begin: the pairs after tail_mark are ours */
	size_t tail_merge_at;			/* pairs that make a commit merge them */
};

static int figures_flush(struct store *st);
static void figures_clear(struct figures *fig);
static int rows_flush(struct store *st);

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

/*
 * Reset s and keep its bindings: only for a statement that binds every
 * parameter before each step (the per-article inserts of ingest, where
 * dropping fifteen bindings cost more than the reset).  What it points to
 * is never read again before the next binds replace it.
 */
static void done_rebound(sqlite3_stmt *s)
{
	sqlite3_reset(s);
}

/*
 * 1 if s is one of the statements ingest runs per article that neither read
 * nor write overview or numbering: held rows may stay held across them.
 */
static int rows_blind(struct store *st, sqlite3_stmt *s)
{
	static const enum stmt_id blind[] = {
		ST_HISTORY_SEEN, ST_ARTICLE_ADD, ST_ARRIVAL_ADD, ST_STATS_HOURLY,
		ST_STATS_POSTER_GROUP, ST_STATS_POSTER, ST_STATS_THREAD, ST_STATS_REPLY,
		ST_OUTQ_ADD, ST_GROUP_ADD_MARKS, ST_MSGID_SEEN, ST_TAIL_CHECK,
		ST_THREAD_OF,
	};
	size_t i;

	for (i = 0; i < MOOT_ARRAY_SIZE(blind); i++)
		if (s == st->stmt[blind[i]])
			return 1;
	return 0;
}

/* Step s, a statement of rows_flush, once (then reset, bindings dropped); SQLITE_OK or SQLite's error. */
static int rows_step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	done(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Forget every held row (not their failure: see struct held_rows). */
static void rows_drop(struct held_rows *h)
{
	h->nover = h->nnum = 0;
	buf_clear(&h->lines);
}

/* Insert the held overview rows: a full set with one statement, fewer one by one. */
static int over_flush(struct store *st)
{
	struct held_rows *h = &st->rows;
	sqlite3_stmt *s;
	int i, rc = SQLITE_OK;

	if (h->nover == ROWS_MAX) {
		s = st->stmt[ST_OVERVIEW_ADD_MANY];
		for (i = 0; i < ROWS_MAX; i++) {
			sqlite3_bind_int64(s, 2 * i + 1, h->over[i].article_id);
			sqlite3_bind_text64(s, 2 * i + 2, h->lines.data + h->over[i].off, h->over[i].len,
					    SQLITE_STATIC, SQLITE_UTF8);
		}
		rc = rows_step(s);
	} else {
		s = st->stmt[ST_OVERVIEW_ADD];
		for (i = 0; i < h->nover && rc == SQLITE_OK; i++) {
			sqlite3_bind_int64(s, 1, h->over[i].article_id);
			sqlite3_bind_text64(s, 2, h->lines.data + h->over[i].off, h->over[i].len,
					    SQLITE_STATIC, SQLITE_UTF8);
			rc = rows_step(s);
		}
	}
	if (rc != SQLITE_OK)
		h->failed = 1;
	h->nover = 0;
	buf_clear(&h->lines);
	/* Keep a small buffer for the next lines; drop one that long References grew. */
	if (h->lines.cap > 64 * 1024)
		buf_release(&h->lines);
	return rc;
}

/* Insert the held numbering rows, as over_flush. */
static int num_flush(struct store *st)
{
	struct held_rows *h = &st->rows;
	sqlite3_stmt *s;
	int i, rc = SQLITE_OK;

	if (h->nnum == ROWS_MAX) {
		s = st->stmt[ST_NUMBER_ADD_MANY];
		for (i = 0; i < ROWS_MAX * 3; i++)
			sqlite3_bind_int64(s, i + 1, h->num[i / 3][i % 3]);
		rc = rows_step(s);
	} else {
		s = st->stmt[ST_NUMBER_ADD];
		for (i = 0; i < h->nnum && rc == SQLITE_OK; i++) {
			sqlite3_bind_int64(s, 1, h->num[i][0]);
			sqlite3_bind_int64(s, 2, h->num[i][1]);
			sqlite3_bind_int64(s, 3, h->num[i][2]);
			rc = rows_step(s);
		}
	}
	if (rc != SQLITE_OK)
		h->failed = 1;
	h->nnum = 0;
	return rc;
}

/*
 * Insert every held row.  They are forgotten either way; on an error
 * (SQLite's code, its message logged) the transaction must be rolled back.
 * Rows held outside a transaction (it ended without store_commit or
 * store_rollback) are dropped.
 */
static int rows_flush(struct store *st)
{
	struct held_rows *h = &st->rows;
	int rc = SQLITE_OK;

	if (sqlite3_get_autocommit(st->db)) {
		rows_drop(h);
		return SQLITE_OK;
	}
	if (h->nover > 0)
		rc = over_flush(st);
	if (h->nnum > 0 && rc == SQLITE_OK)
		rc = num_flush(st);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "store: held overview and numbering rows: %s\n", sqlite3_errmsg(st->db));
		rows_drop(h);
	}
	return rc;	/* h->failed stays set until the rollback, whatever the caller does */
}

/*
 * Every statement steps through here: one that writes first ends a read
 * snapshot kept by store_read_end (store_read_release), so that no write
 * ever joins it and waits for its end to commit.  BEGIN IMMEDIATE counts as
 * a write to SQLite (BEGIN and COMMIT do not), so store_begin releases here
 * too.
 */
static int step(struct store *st, sqlite3_stmt *s)
{
	int rc;

	if ((st->rows.nover > 0 || st->rows.nnum > 0) && !rows_blind(st, s) &&
	    (rc = rows_flush(st)) != SQLITE_OK)
		return rc;
	if (!sqlite3_stmt_readonly(s)) {
		if (st->held)
			store_read_release(st);
		if (st->on_write != NULL && sqlite3_get_autocommit(st->db))
			st->on_write(st->on_write_arg);
	}
	return sqlite3_step(s);
}

/*
 * SQLite's own busy handler sleeps a millisecond and more between tries;
 * a transaction of the writer thread (writer.c) lasts a fraction of that,
 * and the loop waits for it: try again every BUSY_SLEEP_US instead, for
 * STORE_BUSY_TIMEOUT milliseconds in all.
 */
#define BUSY_SLEEP_US 50

static int busy(void *arg, int tries)
{
	struct timespec ts = { 0, BUSY_SLEEP_US * 1000 };

	(void)arg;
	if ((long)tries * BUSY_SLEEP_US >= (long)STORE_BUSY_TIMEOUT * 1000)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

/* Step statement id, which must finish without rows, then reset it; 0 or MOOT_ESTORE. */
static int run(struct store *st, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc = step(st, s);

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
	int rc = step(st, s);
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

/* sqlite3_wal_hook: remember the WAL's size; checkpoints are store_checkpoint's. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *st = arg;

	(void)db;
	(void)name;
	st->wal_frames = frames;
	return SQLITE_OK;
}

/*
 * Durability off the loop (DESIGN.md, The loop): an ingest commit may skip
 * the WAL sync (store_commit_nosync) when its 2xx waits for store_sync, a
 * plain fdatasync of the WAL file that another thread can run while the loop
 * goes on.  Checkpoints move to that thread as well: the wal hook replaces
 * the automatic checkpoint on the loop's connection, and store_checkpoint
 * copies the WAL on a second connection with synchronous=FULL, which syncs
 * the WAL before copying and the database after a checkpoint that copied
 * the whole WAL, the only kind after which the WAL is rewritten: so it is
 * only ever rewritten once everything in it is on disk.  store_checkpoint
 * syncs the database after the others too (see there).
 */
static int open_wal(struct store *st, const char *path, char *err, size_t errlen)
{
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(st->db, "main"));

	/* The migrations' read opened (and if need be created) the WAL file. */
	st->wal_fd = wal ? open(wal, O_RDWR | O_CLOEXEC) : -1;
	if (st->wal_fd < 0) {
		snprintf(err, errlen, "open WAL of '%s': %s", path, wal ? strerror(errno) : "no name");
		fprintf(stderr, "store: %s\n", err);
		return MOOT_ESTORE;
	}
	if (sqlite3_open_v2(path, &st->ckpt, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    WALVFS_NAME) != SQLITE_OK) {
		snprintf(err, errlen, "open '%s' for checkpoints: %s", path,
			 st->ckpt ? sqlite3_errmsg(st->ckpt) : "out of memory");
		fprintf(stderr, "store: %s\n", err);
		return MOOT_ESTORE;
	}
	sqlite3_busy_timeout(st->ckpt, STORE_BUSY_TIMEOUT);
	if (exec(st->ckpt, "PRAGMA synchronous = FULL", "checkpoint pragmas", err, errlen) < 0)
		return MOOT_ESTORE;
	sqlite3_wal_hook(st->db, wal_hook, st);
	return 0;
}

/*
 * Message-IDs since the last merge.  The msgids table indexes every article
 * up to msgid_tail.upto; the IDs of newer ones are in a msgtail in memory
 * (shared by this process's connections to the database, filled from the
 * articles table at the first open), and the commit that finds
 * TAIL_MERGE_AT of them there writes them into msgids in one sorted batch.
 * A B-tree takes an ID in no order in another leaf, and every leaf a
 * commit touches goes whole to the WAL (and to the database again at the
 * checkpoint): one per article with IDs from many origins, 124 WAL pages
 * in a commit of 100 articles, against about one per 20 articles when a
 * batch of 32,768 goes in together.  A pair of the tail counts only while
 * its article is there with that ID (TAIL_THERE): one rolled back or
 * deleted since is ignored, and the merge skips it.
 */
#define TAIL_MERGE_AT 32768

/* The tail of st's database, filled from the articles after msgid_tail.upto
 * if it is new; 0 or MOOT_ESTORE. */
static int tail_open(struct store *st)
{
	sqlite3_stmt *s = st->stmt[ST_TAIL_LOAD];
	int made, rc = SQLITE_DONE, ret = 0;

	st->tail_merge_at = TAIL_MERGE_AT;
	st->tail = msgtail_get(store_path(st), &made);
	if (st->tail == NULL) {
		fprintf(stderr, "store: Message-ID tail: out of memory\n");
		return MOOT_ESTORE;
	}
	if (!made)
		return 0;
	/*
	 * Up to TAIL_MERGE_AT rows, read once: through the page cache, whose
	 * memory is given back after, not through the memory map, whose pages
	 * would stay in the process's resident set (53 MB of them after a
	 * tail of 30,000 articles).
	 */
	sqlite3_exec(st->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = msgtail_add(st->tail, (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 0));
	if (ret == 0 && rc != SQLITE_DONE)
		ret = fail(st, "load the Message-ID tail");
	done(s);
	if (sqlite3_exec(st->db, "PRAGMA mmap_size = " MOOT_STR(STORE_MMAP_SIZE), NULL, NULL, NULL) != SQLITE_OK)
		ret = fail(st, "memory map after loading the Message-ID tail");
	sqlite3_db_release_memory(st->db);
	malloc_trim(0);	/* and the heap gives it back to the system */
	return ret == 0 ? 0 : MOOT_ESTORE;
}

/* The id of msgid's article if the tail has it; 0 if not; MOOT_ESTORE. */
static int64_t tail_has(struct store *st, const char *msgid)
{
	sqlite3_stmt *s = st->stmt[ST_TAIL_CHECK];
	int64_t id = msgtail_find(st->tail, msgid), there = 0;
	int ret;

	if (id == 0)
		return 0;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, msgid, -1, SQLITE_STATIC);
	ret = one_int(st, ST_TAIL_CHECK, "check the Message-ID tail", &there);
	if (ret != 0)
		return MOOT_ESTORE;
	return there ? id : 0;
}

/*
 * The id of the thread whose starter has Message-ID root, that is, of the
 * starter's article: through the tail, then msgids, then the threads whose
 * starter is gone (migration 11).  0 when none (no such article yet, or
 * not a starter: no threads row has that id), MOOT_ESTORE.
 */
static int64_t thread_of(struct store *st, const char *root)
{
	sqlite3_stmt *s = st->stmt[ST_THREAD_OF];
	int64_t id = tail_has(st, root);

	if (id != 0)
		return id;
	sqlite3_bind_text(s, 1, root, -1, SQLITE_STATIC);
	return one_int(st, ST_THREAD_OF, "find a thread", &id) == 0 ? id : MOOT_ESTORE;
}

/* Inside a transaction, write the tail's pairs into msgids in Message-ID
 * order (ROWS_MAX to a statement) and move msgid_tail.upto past them;
 * *upto: the newest article id merged.  SQLite's result code. */
static int tail_merge(struct store *st, int64_t *upto)
{
	struct msgtail_pair *p;
	size_t n, i, k;
	int rc = SQLITE_OK, check = msgtail_stale(st->tail);

	if (msgtail_copy(st->tail, &p, &n) != 0)
		return SQLITE_NOMEM;
	*upto = 0;
	for (i = 0; i < n; i++)
		if (p[i].id > *upto)
			*upto = p[i].id;
	for (i = 0; rc == SQLITE_OK && i + ROWS_MAX <= n; i += ROWS_MAX) {
		sqlite3_stmt *s = st->stmt[check ? ST_TAIL_MERGE_MANY : ST_TAIL_ADD_MANY];
		for (k = 0; k < ROWS_MAX; k++) {
			sqlite3_bind_text(s, (int)(2 * k + 1), p[i + k].msgid, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, (int)(2 * k + 2), p[i + k].id);
		}
		rc = rows_step(s);
	}
	for (; rc == SQLITE_OK && i < n; i++) {
		sqlite3_stmt *s = st->stmt[check ? ST_TAIL_MERGE : ST_TAIL_ADD];
		sqlite3_bind_text(s, 1, p[i].msgid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, p[i].id);
		rc = rows_step(s);
	}
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st->stmt[ST_TAIL_SET], 1, *upto);
		rc = rows_step(st->stmt[ST_TAIL_SET]);
	}
	msgtail_free_copy(p, n);
	return rc;
}

void store_tail_merge_at(struct store *st, size_t pairs)
{
	st->tail_merge_at = pairs;
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
	st->wal_fd = -1;
	st->arrival_hour = INT64_MIN;
	/* Before SQLite initializes (the VFS lookup does): pagecache.c.  Refused
	 * only if something initialized SQLite first; its own cache then serves. */
	(void)pagecache_install();
	/* Both connections write the WAL through walvfs.c: a commit's frames in one write. */
	if (walvfs_register() != 0) {
		snprintf(err, errlen, "cannot register the SQLite VFS '%s'", WALVFS_NAME);
		fprintf(stderr, "store: %s\n", err);
		goto fail;
	}
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, WALVFS_NAME);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		fprintf(stderr, "store: %s\n", err);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_handler(st->db, busy, NULL);
	/*
	 * The page cache (32 MB, not the default 2 MB) holds the hot parts of
	 * the indexes ingest touches per article (message-ids, numbering, the
	 * figure tables); with 2 MB those writes mostly miss it.
	 */
	if (exec(st->db, "PRAGMA journal_mode = WAL;"
		 "PRAGMA synchronous = FULL;"
		 "PRAGMA cache_size = -32768;"
		 "PRAGMA mmap_size = " MOOT_STR(STORE_MMAP_SIZE) ";"
		 "PRAGMA foreign_keys = OFF;", "pragmas", err, errlen) < 0)
		goto fail;
	if (migrate(st->db, err, errlen) < 0)
		goto fail;
	if (exec(st->db, TEMP_SCHEMA, "temp schema", err, errlen) < 0)
		goto fail;
	if (open_wal(st, path, err, errlen) < 0)
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
	/* ROWS_VALUES spells out ROWS_MAX rows. */
	assert(sqlite3_bind_parameter_count(st->stmt[ST_OVERVIEW_ADD_MANY]) == 2 * ROWS_MAX &&
	       sqlite3_bind_parameter_count(st->stmt[ST_NUMBER_ADD_MANY]) == 3 * ROWS_MAX &&
	       sqlite3_bind_parameter_count(st->stmt[ST_TAIL_MERGE_MANY]) == 2 * ROWS_MAX &&
	       sqlite3_bind_parameter_count(st->stmt[ST_TAIL_ADD_MANY]) == 2 * ROWS_MAX);
	if (tail_open(st) != 0) {
		snprintf(err, errlen, "load the newest Message-IDs of '%s'", path);
		goto fail;
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
	store_read_release(st);
	buf_release(&st->fig.names);
	buf_release(&st->rows.lines);
	buf_release(&st->over);
	buf_release(&st->row);
	msgtail_put(st->tail);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);	/* NULL is a no-op */
	if (st->ckpt && sqlite3_close(st->ckpt) != SQLITE_OK)
		fprintf(stderr, "store: close: %s\n", sqlite3_errmsg(st->ckpt));
	if (st->wal_fd >= 0)
		close(st->wal_fd);
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		fprintf(stderr, "store: close: %s\n", sqlite3_errmsg(st->db));
	free(st);
}

void store_on_write(struct store *st, void (*cb)(void *arg), void *arg)
{
	st->on_write = cb;
	st->on_write_arg = arg;
}

const char *store_path(struct store *st)
{
	return sqlite3_db_filename(st->db, "main");
}

/* Start the one write transaction, taking the write lock now; 0 or MOOT_ESTORE. */
int store_begin(struct store *st)
{
	int ret = run(st, ST_BEGIN, "begin");

	if (ret == 0) {
		/* BEGIN IMMEDIATE: no other connection adds pairs until we end. */
		st->rows.failed = 0;
		st->tail_mark = msgtail_count(st->tail);
		st->tail_writing = 1;
	}
	return ret;
}

/* Commit; 0 or MOOT_ESTORE (then the transaction may still be open: roll back). */
int store_commit(struct store *st)
{
	int64_t merged = 0;
	int ret;

	if (rows_flush(st) != SQLITE_OK || figures_flush(st) != 0)
		return MOOT_ESTORE;
	if (st->rows.failed) {
		fprintf(stderr, "store: commit refused: held rows were lost\n");
		return MOOT_ESTORE;
	}
	if (msgtail_count(st->tail) >= st->tail_merge_at && tail_merge(st, &merged) != SQLITE_OK)
		return fail(st, "merge the newest Message-IDs");
	ret = run(st, ST_COMMIT, "commit");
	if (ret == 0) {
		st->tail_writing = 0;
		if (merged > 0)
			msgtail_drop_upto(st->tail, merged);	/* in msgids now */
	}
	return ret;
}

/*
 * Reads of one command in one snapshot: each statement outside a
 * transaction takes and drops the WAL read lock (two fcntl calls, a fifth of
 * the loop's time serving ARTICLE), so a command that runs several shares
 * one.  Only reads may run until store_read_end; nothing when a transaction
 * is already open.
 */
void store_read_begin(struct store *st)
{
	if (st->held) {
		/* The snapshot kept from the last command of this loop turn. */
		st->held = 0;
		st->reading = 1;
		return;
	}
	if (sqlite3_get_autocommit(st->db) && run(st, ST_BEGIN_READ, "begin read") == 0)
		st->reading = 1;
}

/*
 * End the reads of store_read_begin.  Its snapshot is kept for the next
 * command (taking and dropping the WAL read lock is two fcntl calls and an
 * fstat, a tenth of the loop's time serving ARTICLE to 8 clients) until
 * store_read_release: at the end of the loop's turn, before a write.
 */
void store_read_end(struct store *st)
{
	if (st->reading) {
		st->reading = 0;
		st->held = !sqlite3_get_autocommit(st->db);
	}
}

void store_read_release(struct store *st)
{
	st->reading = 0;
	if (st->held) {
		st->held = 0;
		if (!sqlite3_get_autocommit(st->db))
			run(st, ST_COMMIT, "end read");
	}
}

/* The loop connection's WAL file object (walvfs's), or NULL. */
static sqlite3_file *wal_file(struct store *st)
{
	sqlite3_file *f = NULL;

	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) != SQLITE_OK)
		return NULL;
	return f;
}

/* The database file of store_checkpoint's connection, or NULL. */
static sqlite3_file *ckpt_db_file(struct store *st)
{
	sqlite3_file *f = NULL;

	if (sqlite3_file_control(st->ckpt, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK)
		return NULL;
	return f;
}

/* End the deferral of store_begin_nosync: the WAL syncs at commit again. */
static void sync_full(struct store *st)
{
	if (st->deferred != NULL) {
		walvfs_defer_sync(st->deferred, 0);
		st->deferred = NULL;
	}
}

/*
 * As store_begin, for a transaction whose commit does not wait for the disk:
 * the WAL file skips the commit's sync (walvfs_defer_sync).  Should the WAL
 * not be one of walvfs's, the commit waits for the disk as store_commit's
 * does, which is slower and just as safe.
 */
int store_begin_nosync(struct store *st)
{
	sqlite3_file *f = wal_file(st);

	if (walvfs_defer_sync(f, 1) == 0)
		st->deferred = f;
	if (store_begin(st) != 0) {
		sync_full(st);
		return MOOT_ESTORE;
	}
	return 0;
}

/* Commit a store_begin_nosync transaction: in the WAL, not yet on disk. */
int store_commit_nosync(struct store *st)
{
	int rc = store_commit(st);

	if (rc == 0)
		sync_full(st);
	return rc;
}

/* Roll back the open transaction; nothing when none is open (SQLite may have rolled it back). */
void store_rollback(struct store *st)
{
	figures_clear(&st->fig);
	rows_drop(&st->rows);
	st->rows.failed = 0;
	st->stats_last = 0;	/* its id may be given again */
	st->arrival_hour = INT64_MIN;	/* its row may be gone */
	st->held = 0;	/* a kept snapshot goes with it */
	if (!sqlite3_get_autocommit(st->db))
		run(st, ST_ROLLBACK, "rollback");
	if (st->tail_writing)
		msgtail_truncate(st->tail, st->tail_mark);	/* its articles are gone */
	st->tail_writing = 0;
	sync_full(st);
}

/* Put every commit made so far on disk; callable from one other thread. */
int store_sync(struct store *st)
{
	if (fdatasync(st->wal_fd) != 0) {
		fprintf(stderr, "store: sync WAL: %s\n", strerror(errno));
		return MOOT_ESTORE;
	}
	return 0;
}

/*
 * A passive checkpoint on the second connection (see open_wal); from one
 * thread at a time, which may be another than store_sync's.  0 or MOOT_ESTORE.
 *
 * SQLite syncs the database file only after a checkpoint that found no new
 * commit when it ended.  One that a commit overtook (the rule under load:
 * commits go on meanwhile) leaves its pages to the kernel, and the complete
 * checkpoint that lets the WAL start over (ingest.c holds commits for it)
 * then synced every page copied since the last one: 16,000 and more, 20 ms
 * with ingest stopped.  So every checkpoint that copied pages syncs the
 * database file here, while commits go on (after a complete one SQLite's
 * sync left nothing to write).
 */
int store_checkpoint(struct store *st)
{
	sqlite3_file *f;
	int log = 0, copied = 0;
	int rc = sqlite3_wal_checkpoint_v2(st->ckpt, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		fprintf(stderr, "store: checkpoint: %s\n", sqlite3_errmsg(st->ckpt));
		return MOOT_ESTORE;
	}
	if (rc == SQLITE_OK && copied > 0 && (f = ckpt_db_file(st)) != NULL && f->pMethods != NULL &&
	    f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
		fprintf(stderr, "store: checkpoint: sync of the database file failed\n");
		return MOOT_ESTORE;
	}
	return 0;
}

/* Writes the loop connection asked for on its WAL file, and writes made
 * (see walvfs.c); 0 or MOOT_ENOTFOUND. */
int store_wal_writes(struct store *st, uint64_t *asked, uint64_t *made, uint64_t *synced)
{
	return walvfs_counts(wal_file(st), asked, made, synced);
}

/* Writes store_checkpoint's connection was asked for and made on the
 * database file, writebacks it started and its waits for them (see
 * walvfs.c); 0 or MOOT_ENOTFOUND. */
int store_db_writes(struct store *st, uint64_t *asked, uint64_t *made, uint64_t *started,
		    uint64_t *waits)
{
	uint64_t w;
	int rc = walvfs_counts(ckpt_db_file(st), asked, made, started);

	if (rc == 0)
		rc = walvfs_waits(ckpt_db_file(st), &w);
	if (rc == 0 && waits != NULL)
		*waits = w;
	return rc;
}

/* Frames in the WAL after the connection's last commit (or store_wal_note). */
int store_wal_frames(const struct store *st)
{
	return st->wal_frames;
}

void store_wal_note(struct store *st, int frames)
{
	st->wal_frames = frames;
}

/* ---- groups ---- */

/* cb for every group ordered by name; stops at and returns cb's first non-zero. */
int store_groups_each(struct store *st, int (*cb)(void *arg, const struct store_group *g), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_GROUPS_EACH];
	struct store_group g;
	int rc, ret = 0;

	while ((rc = step(st, s)) == SQLITE_ROW) {
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

/* Run statement id (group id, low, high, count); MOOT_ENOTFOUND when no such group. */
static int marks_update(struct store *st, enum stmt_id sid, const char *what,
			int64_t id, int64_t low, int64_t high, int64_t count)
{
	sqlite3_stmt *s = st->stmt[sid];
	int ret;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, low);
	sqlite3_bind_int64(s, 3, high);
	sqlite3_bind_int64(s, 4, count);
	ret = run(st, sid, what);
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		return MOOT_ENOTFOUND;
	return ret;
}

/* Write group id's low/high/count; MOOT_ENOTFOUND when no such group. */
int store_group_set_marks(struct store *st, int64_t id, int64_t low, int64_t high, int64_t count)
{
	return marks_update(st, ST_GROUP_SET_MARKS, "set group marks", id, low, high, count);
}

/* Add count new articles numbered low..high (all above the group's numbers). */
int store_group_add_marks(struct store *st, int64_t id, int64_t low, int64_t high, int64_t count)
{
	return marks_update(st, ST_GROUP_ADD_MARKS, "add group marks", id, low, high, count);
}

/* Read group id's low/high/count; 0, MOOT_ENOTFOUND or MOOT_ESTORE. */
int store_group_marks(struct store *st, int64_t id, int64_t *low, int64_t *high, int64_t *count)
{
	sqlite3_stmt *s = st->stmt[ST_GROUP_MARKS];
	int rc, ret = 0;

	sqlite3_bind_int64(s, 1, id);
	rc = step(st, s);
	if (rc == SQLITE_ROW) {
		*low = sqlite3_column_int64(s, 0);
		*high = sqlite3_column_int64(s, 1);
		*count = sqlite3_column_int64(s, 2);
	} else if (rc == SQLITE_DONE) {
		ret = MOOT_ENOTFOUND;
	} else {
		ret = fail(st, "group marks");
	}
	done(s);
	return ret;
}

/* ---- writing articles ---- */

/* The EXISTS query id for msgid: 1 if it found it, 0 if not, MOOT_ESTORE. */
static int exists(struct store *st, enum stmt_id id, const char *what, const char *msgid)
{
	int64_t seen = 0;
	int ret;

	sqlite3_bind_text(st->stmt[id], 1, msgid, -1, SQLITE_STATIC);
	ret = one_int(st, id, what, &seen);
	if (ret == MOOT_ENOTFOUND)
		return fail(st, what);
	return ret < 0 ? ret : seen != 0;
}

/* 1 if msgid is in articles or history, 0 if not, MOOT_ESTORE. */
int store_msgid_seen(struct store *st, const char *msgid)
{
	int64_t id = tail_has(st, msgid);

	return id != 0 ? (id > 0 ? 1 : MOOT_ESTORE) : exists(st, ST_MSGID_SEEN, "msgid seen", msgid);
}

/* 1 if msgid is in history, 0 if not, MOOT_ESTORE. */
int store_history_seen(struct store *st, const char *msgid)
{
	int64_t one;
	int ret;

	sqlite3_bind_text(st->stmt[ST_HISTORY_SEEN], 1, msgid, -1, SQLITE_STATIC);
	ret = one_int(st, ST_HISTORY_SEEN, "history seen", &one);
	return ret == MOOT_ENOTFOUND ? 0 : ret < 0 ? ret : 1;
}

/*
 * The overview line of a into b: everything after "number TAB" (RFC 3977
 * §8.3.2), as OVER_LINE makes it from the stored columns (absent values
 * empty, no "Xref: " without an xref).  0 or MOOT_ENOMEM.
 */
static int over_line(struct buf *b, const struct store_article *a)
{
	const char *v[] = { a->subject, a->from, a->date, a->msgid, a->refs, a->xref };
	size_t n[MOOT_ARRAY_SIZE(v)], total = 64, i;	/* 64: tabs, two numbers, "Xref: " */
	char *p;

	/* Every article's line on the ingest writer: the room once, then copies. */
	for (i = 0; i < MOOT_ARRAY_SIZE(v); i++) {
		n[i] = v[i] ? strlen(v[i]) : 0;
		total += n[i];
	}
	buf_clear(b);
	if (buf_reserve(b, total) != 0)
		return MOOT_ENOMEM;
	p = b->data;
	for (i = 0; i < 5; i++) {
		memcpy(p, v[i] ? v[i] : "", n[i]);
		p += n[i];
		*p++ = '\t';
	}
	b->len = (size_t)(p - b->data);
	if (buf_put_int(b, a->bytes) != 0 || buf_puts(b, "\t") != 0 || buf_put_int(b, a->lines) != 0 ||
	    buf_puts(b, "\t") != 0 || (n[5] > 0 && buf_puts(b, "Xref: ") != 0) ||
	    buf_append(b, v[5] ? v[5] : "", n[5]) != 0)
		return MOOT_ENOMEM;
	return 0;
}

/*
 * The overview line of article_id: held inside a transaction (ROWS_MAX),
 * inserted at once outside one.  0 or MOOT_ESTORE.
 */
static int over_add(struct store *st, int64_t article_id, const struct buf *line)
{
	struct held_rows *h = &st->rows;
	sqlite3_stmt *s;

	if (!sqlite3_get_autocommit(st->db)) {
		h->over[h->nover].article_id = article_id;
		h->over[h->nover].off = h->lines.len;
		h->over[h->nover].len = line->len;
		if (buf_append(&h->lines, line->data, line->len) != 0) {
			fprintf(stderr, "store: add article: overview line: out of memory\n");
			h->failed = 1;
			return MOOT_ESTORE;
		}
		if (++h->nover == ROWS_MAX && over_flush(st) != SQLITE_OK)
			return fail(st, "add overview lines");
		return 0;
	}
	s = st->stmt[ST_OVERVIEW_ADD];
	sqlite3_bind_int64(s, 1, article_id);
	sqlite3_bind_text64(s, 2, line->data, line->len, SQLITE_STATIC, SQLITE_UTF8);
	return run(st, ST_OVERVIEW_ADD, "add article: overview");
}

/*
 * Insert article a and its overview line (strings and blobs are copied by
 * SQLite); *article_id.
 * MOOT_EEXIST, not logged, when the Message-ID is stored or remembered in
 * history (store_msgid_seen): nothing is written, the caller's transaction
 * goes on.
 */
int store_article_add(struct store *st, const struct store_article *a, int64_t *article_id)
{
	sqlite3_stmt *s = st->stmt[ST_ARTICLE_ADD];
	int ret = store_msgid_seen(st, a->msgid);

	/* One article per Message-ID, and none remembered in history. */
	if (ret != 0)
		return ret > 0 ? MOOT_EEXIST : ret;
	if (sqlite3_bind_text(s, 1, a->msgid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, a->arrived) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, a->posted) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, a->bytes) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, a->lines) != SQLITE_OK ||
	    bind_blob(s, 6, a->head, a->head_len) != SQLITE_OK ||
	    bind_blob(s, 7, a->body, a->body_len) != SQLITE_OK ||
	    sqlite3_bind_text(s, 8, a->poster, -1, SQLITE_STATIC) != SQLITE_OK ||	/* NULL: NULL */
	    sqlite3_bind_text(s, 9, a->root, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 10, a->parent, -1, SQLITE_STATIC) != SQLITE_OK) {
		ret = fail(st, "add article: bind");	/* e.g. SQLITE_TOOBIG */
		done(s);
		return ret;
	}
	if (step(st, s) == SQLITE_DONE) {
		*article_id = sqlite3_last_insert_rowid(st->db);
		if (msgtail_add(st->tail, a->msgid, *article_id) != 0) {
			/* Unfindable by its Message-ID: fail it (the caller rolls back). */
			fprintf(stderr, "store: add article: Message-ID tail: out of memory\n");
			ret = MOOT_ESTORE;
		}
	} else {
		ret = fail(st, "add article");
	}
	done_rebound(s);
	if (ret != 0)
		return ret;
	if (over_line(&st->over, a) != 0) {
		fprintf(stderr, "store: add article: overview line: out of memory\n");
		return MOOT_ESTORE;
	}
	ret = over_add(st, *article_id, &st->over);
	/* Keep a small buffer for the next line; drop one a long References grew. */
	if (st->over.cap > 64 * 1024)
		buf_release(&st->over);
	if (ret == 0 && a->arrived / HOUR != st->arrival_hour) {
		/* The first article of its hour on this connection: the row, unless there. */
		s = st->stmt[ST_ARRIVAL_ADD];
		sqlite3_bind_int64(s, 1, a->arrived / HOUR);
		sqlite3_bind_int64(s, 2, *article_id);
		if ((ret = run(st, ST_ARRIVAL_ADD, "add article: arrival")) == 0)
			st->arrival_hour = a->arrived / HOUR;
	}
	return ret;
}

/*
 * Number article_id as number in group_id.  Inside a transaction the row is
 * held (ROWS_MAX), and a number already taken fails the batch's flush or
 * commit; outside one it is inserted at once, MOOT_EEXIST when taken.
 */
int store_number_add(struct store *st, int64_t group_id, int64_t number, int64_t article_id)
{
	struct held_rows *h = &st->rows;
	sqlite3_stmt *s = st->stmt[ST_NUMBER_ADD];
	int rc, ret = 0;

	if (!sqlite3_get_autocommit(st->db)) {
		h->num[h->nnum][0] = group_id;
		h->num[h->nnum][1] = number;
		h->num[h->nnum][2] = article_id;
		if (++h->nnum == ROWS_MAX && num_flush(st) != SQLITE_OK)
			return fail(st, "add numbers");
		return 0;
	}
	sqlite3_bind_int64(s, 1, group_id);
	sqlite3_bind_int64(s, 2, number);
	sqlite3_bind_int64(s, 3, article_id);
	rc = step(st, s);
	if (rc != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			ret = MOOT_EEXIST;
		else
			ret = fail(st, "add number");
	}
	done_rebound(s);
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
	int64_t id = tail_has(st, msgid);

	if (id != 0) {
		*article_id = id;
		return id > 0 ? 0 : MOOT_ESTORE;
	}
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
	rc = step(st, s);
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

/*
 * Fill r from the current row of an overview statement: number, overview
 * line, article id, and the head at column 3 when want_head.  The line's
 * eight fields (over_line's order) are split in a copy in st->row, valid
 * until the next row; a field the line lacks is "".  0 or MOOT_ENOMEM.
 */
static int row_over(struct store *st, sqlite3_stmt *s, int want_head, struct store_over *r)
{
	const char *line = text(s, 1);
	size_t len = (size_t)sqlite3_column_bytes(s, 1);
	const char *field[8];
	char *p, *end;
	int i;

	buf_clear(&st->row);
	if (buf_append(&st->row, line, len + 1) != 0)	/* with its NUL */
		return MOOT_ENOMEM;
	p = st->row.data;
	end = p + len;
	for (i = 0; i < 8; i++) {
		char *tab = i < 7 ? memchr(p, '\t', (size_t)(end - p)) : NULL;

		field[i] = p;
		if (tab != NULL) {
			*tab = '\0';
			p = tab + 1;
		} else {
			p = end;
		}
	}
	r->number = sqlite3_column_int64(s, 0);
	r->article_id = sqlite3_column_int64(s, 2);
	r->subject = field[0];
	r->from = field[1];
	r->date = field[2];
	r->msgid = field[3];
	r->refs = field[4];
	r->bytes = strtoll(field[5], NULL, 10);
	r->lines = strtoll(field[6], NULL, 10);
	r->xref = strncmp(field[7], "Xref: ", 6) == 0 ? field[7] + 6 : field[7];
	r->head = NULL;
	r->head_len = 0;
	if (want_head)
		r->head = blob(s, 3, &r->head_len);
	return 0;
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

	while ((rc = step(st, s)) == SQLITE_ROW) {
		if (row_over(st, s, want_head, &r) != 0) {
			fprintf(stderr, "store: overview: out of memory\n");
			n = MOOT_ESTORE;
			break;
		}
		n++;
		if (cb(arg, &r) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		n = fail(st, "overview");
	done(s);
	return n;
}

/* Bind RANGE_WHERE's parameters of s: numbers lo..hi of group_id, at most
 * limit rows (<= 0: all); returns s. */
static sqlite3_stmt *bind_range(struct store *st, enum stmt_id id, int64_t group_id, int64_t lo,
				int64_t hi, int limit)
{
	sqlite3_stmt *s = st->stmt[id];

	sqlite3_bind_int64(s, 1, group_id);
	sqlite3_bind_int64(s, 2, lo);
	sqlite3_bind_int64(s, 3, hi);
	sqlite3_bind_int64(s, 4, limit > 0 ? limit : -1);	/* LIMIT -1: none */
	return s;
}

/* Overview of numbers lo..hi of group_id, ascending, at most limit (<= 0: all); the row count. */
int store_over_range(struct store *st, int64_t group_id, int64_t lo, int64_t hi, int limit,
		     int want_head, int (*cb)(void *arg, const struct store_over *row), void *arg)
{
	sqlite3_stmt *s = bind_range(st, want_head ? ST_OVER_RANGE_HEAD : ST_OVER_LINES, group_id,
				     lo, hi, limit);

	return over_rows(st, s, want_head, cb, arg);
}

/* Step s, whose rows are (number, overview line), calling cb for each; the
 * row count, or < 0.  Resets s. */
static int line_rows(struct store *st, sqlite3_stmt *s,
		     int (*cb)(void *arg, int64_t number, const char *line, size_t len), void *arg)
{
	int rc, n = 0;

	while ((rc = step(st, s)) == SQLITE_ROW) {
		const char *line = text(s, 1);
		n++;
		if (cb(arg, sqlite3_column_int64(s, 0), line, (size_t)sqlite3_column_bytes(s, 1)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		n = fail(st, "overview lines");
	done(s);
	return n;
}

/* The overview lines of numbers lo..hi of group_id, ascending, at most limit
 * (<= 0: all); the row count, or < 0. */
int store_over_lines(struct store *st, int64_t group_id, int64_t lo, int64_t hi, int limit,
		     int (*cb)(void *arg, int64_t number, const char *line, size_t len), void *arg)
{
	return line_rows(st, bind_range(st, ST_OVER_LINES, group_id, lo, hi, limit), cb, arg);
}

/* cb with the overview line of article_id (number 0); 0, MOOT_ENOTFOUND or MOOT_ESTORE. */
int store_over_line(struct store *st, int64_t article_id,
		    int (*cb)(void *arg, int64_t number, const char *line, size_t len), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_OVER_LINE_ARTICLE];
	int n;

	sqlite3_bind_int64(s, 1, article_id);
	n = line_rows(st, s, cb, arg);
	if (n < 0)
		return n;
	return n == 0 ? MOOT_ENOTFOUND : 0;
}

/* cb with the overview row of article_id (number 0); 0, MOOT_ENOTFOUND or MOOT_ESTORE. */
int store_over_article(struct store *st, int64_t article_id, int want_head,
		       int (*cb)(void *arg, const struct store_over *row), void *arg)
{
	sqlite3_stmt *s = st->stmt[want_head ? ST_OVER_ARTICLE_HEAD : ST_OVER_LINE_ARTICLE];
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
	sqlite3_stmt *s = bind_range(st, ST_NUMBERS_RANGE, group_id, lo, hi, limit);
	int rc, n = 0;

	while ((rc = step(st, s)) == SQLITE_ROW) {
		n++;
		if (cb(arg, sqlite3_column_int64(s, 0)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		n = fail(st, "list numbers");
	done(s);
	return n;
}

/* One numbering of an article: a group, and its number there. */
struct gnum {
	int64_t group_id, number;
};

/* At most this many (ingest numbers an article in at most 32 groups). */
#define MAX_GNUMS 64

static int gnum_cmp(const void *a, const void *b)
{
	const struct gnum *x = a, *y = b;

	return (x->group_id > y->group_id) - (x->group_id < y->group_id);
}

/*
 * The id of group name[0..len) into *id: from a few names kept (a group's id
 * never changes: groups are marked, not deleted), else from groups.  0,
 * MOOT_ENOTFOUND or MOOT_ESTORE.
 */
static int group_id_of(struct store *st, const char *name, size_t len, int64_t *id)
{
	struct gname *g;
	size_t i;
	int rc;

	for (i = 0; i < MOOT_ARRAY_SIZE(st->gnames); i++) {
		g = &st->gnames[i];
		if (g->len == len && len > 0 && memcmp(g->name, name, len) == 0) {
			*id = g->id;
			return 0;
		}
	}
	sqlite3_bind_text(st->stmt[ST_GROUP_ID], 1, name, (int)len, SQLITE_STATIC);
	rc = one_int(st, ST_GROUP_ID, "numbering of an article: group", id);
	if (rc == 0 && len < sizeof(g->name)) {
		g = &st->gnames[st->gnext++ % MOOT_ARRAY_SIZE(st->gnames)];
		memcpy(g->name, name, len);
		g->len = len;
		g->id = *id;
	}
	return rc;
}

/*
 * Into out (MAX_GNUMS), by group id, the groups article_id is numbered in
 * now, from line[0..len), its overview line: the Xref (RFC 5536 §3.2.14,
 * written with the numbers ingest gave) names each group and number, and
 * each is kept only while numbering still gives that number to this
 * article (expiry takes an article out of one group at a time).  The
 * count, or MOOT_ESTORE.
 */
static int xref_numbers(struct store *st, int64_t article_id, const char *line, size_t len,
			struct gnum *out)
{
	const char *p = line, *end = line + len, *tok, *tok_end, *colon;
	int64_t group_id, number, owner;
	int rc, tabs = 0, n = 0, ret = 0;
	char *num_end;

	while (p < end && tabs < 7)
		if (*p++ == '\t')
			tabs++;
	/* "Xref: pathhost group:number group:number" */
	if (tabs == 7 && end - p > 6 && memcmp(p, "Xref: ", 6) == 0)
		p = memchr(p + 6, ' ', (size_t)(end - p - 6));
	else
		p = NULL;
	for (; p != NULL && ret == 0; p = tok_end < end ? tok_end : NULL) {
		tok = p + 1;
		tok_end = memchr(tok, ' ', (size_t)(end - tok));
		if (tok_end == NULL)
			tok_end = end;
		colon = memchr(tok, ':', (size_t)(tok_end - tok));
		if (colon == NULL || colon == tok)
			continue;
		number = strtoll(colon + 1, &num_end, 10);
		if (num_end != tok_end)
			continue;
		rc = group_id_of(st, tok, (size_t)(colon - tok), &group_id);
		if (rc == 0)
			rc = store_number_get(st, group_id, number, &owner);
		if (rc == MOOT_ENOTFOUND || (rc == 0 && owner != article_id))
			continue;	/* not (or no longer) numbered there */
		if (rc < 0)
			ret = rc;
		else if (n == MAX_GNUMS)
			ret = fail(st, "numbering of an article: too many groups");
		else
			out[n++] = (struct gnum){ group_id, number };
	}
	if (ret < 0)
		return ret;
	qsort(out, (size_t)n, sizeof(*out), gnum_cmp);
	return n;
}

/* xref_numbers of article_id's stored overview line (none: 0). */
static int article_numbers(struct store *st, int64_t article_id, struct gnum *out)
{
	sqlite3_stmt *s = st->stmt[ST_OVER_LINE_ARTICLE];
	int rc, ret = 0;

	sqlite3_bind_int64(s, 1, article_id);
	rc = step(st, s);
	if (rc == SQLITE_ROW)
		ret = xref_numbers(st, article_id, text(s, 1), (size_t)sqlite3_column_bytes(s, 1), out);
	else if (rc != SQLITE_DONE)
		ret = fail(st, "numbering of an article");
	done(s);
	return ret;
}

/*
 * NEWNEWS (RFC 3977 §7.4): cb per (article, group) for articles arrived at or
 * after since, ordered by article id then group id; stops at and returns
 * cb's first non-zero, else 0.
 */
int store_newnews_first(struct store *st, int64_t since, int64_t *after)
{
	int64_t first;
	int rc;

	sqlite3_bind_int64(st->stmt[ST_NEWNEWS_FIRST], 1, since);
	rc = one_int(st, ST_NEWNEWS_FIRST, "newnews start", &first);
	if (rc != 0)
		return rc == MOOT_ENOTFOUND ? fail(st, "newnews start") : rc;
	/* min() of no rows is NULL, read as 0: article ids start at 1. */
	*after = first == 0 ? INT64_MAX : first - 1;
	return 0;
}

int store_newnews(struct store *st, int64_t since, int64_t after, int limit,
		  int (*cb)(void *arg, int64_t article_id, const char *msgid, int64_t group_id),
		  void *arg, int64_t *last)
{
	sqlite3_stmt *s = st->stmt[ST_NEWNEWS];
	struct gnum g[MAX_GNUMS];
	int64_t prev = after;
	int rc, i, k, n = 0, ret = 0;

	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, after);
	sqlite3_bind_int(s, 3, limit);
	while ((rc = step(st, s)) == SQLITE_ROW) {
		prev = sqlite3_column_int64(s, 0);
		n++;
		/* numbered nowhere (a control article): counted, not listed */
		k = xref_numbers(st, prev, text(s, 2), (size_t)sqlite3_column_bytes(s, 2), g);
		if (k < 0)
			ret = k;
		for (i = 0; i < k && ret == 0; i++)
			ret = cb(arg, prev, text(s, 1), g[i].group_id);
		if (ret != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = fail(st, "newnews");
	done(s);
	*last = prev;
	return ret < 0 ? ret : ret > 0 ? ret : n;
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
	while ((rc = step(st, s)) == SQLITE_ROW) {
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

/*
 * Recount group_id's low and count from its numbering and write them with
 * high (which never goes down).  0 or MOOT_ESTORE.
 */
static int group_marks(struct store *st, int64_t group_id, int64_t high, int64_t *low, int64_t *count)
{
	sqlite3_stmt *s = st->stmt[ST_EXPIRE_MARKS];
	int rc, ret;

	sqlite3_bind_int64(s, 1, group_id);
	rc = step(st, s);
	if (rc != SQLITE_ROW) {
		ret = fail(st, "group marks");
		done(s);
		return ret;
	}
	/* RFC 3977 §6.1.1.2: an empty group reports low = high + 1. */
	*low = sqlite3_column_type(s, 0) == SQLITE_NULL ? high + 1 : sqlite3_column_int64(s, 0);
	*count = sqlite3_column_int64(s, 1);
	done(s);
	return store_group_set_marks(st, group_id, *low, high, *count);
}

/* Record article_id's msgid in history as state ("cancelled", "expired"); no such article: no change. */
static int remember(struct store *st, int64_t article_id, int64_t now, const char *state)
{
	sqlite3_stmt *s = st->stmt[ST_REMOVE_HISTORY];

	sqlite3_bind_int64(s, 1, article_id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_text(s, 3, state, -1, SQLITE_STATIC);
	return run(st, ST_REMOVE_HISTORY, "history of a removed article");
}

/* remember article_id as state, then delete it (its overview line goes with it). */
static int forget_article(struct store *st, int64_t article_id, int64_t now, const char *state)
{
	int ret = remember(st, article_id, now, state);

	if (ret < 0)
		return ret;
	msgtail_deleted(st->tail, article_id);
	sqlite3_bind_int64(st->stmt[ST_REMOVE_ARTICLE], 1, article_id);
	return run(st, ST_REMOVE_ARTICLE, "forget: delete");
}

/* The expiry steps of store_expire_group inside its transaction; 0 or an error. */
static int expire(struct store *st, int64_t group_id, int64_t cutoff,
		  int64_t *low, int64_t *count, int64_t *expired)
{
	sqlite3_stmt *s;
	int64_t high;
	int rc = SQLITE_DONE, ret;

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
	s = st->stmt[ST_EXPIRE_IDS];
	while (ret == 0 && (rc = step(st, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		struct gnum g[MAX_GNUMS];

		ret = article_numbers(st, id, g);
		if (ret == 0)
			ret = forget_article(st, id, (int64_t)time(NULL), "expired");
		else if (ret > 0)
			ret = 0;	/* still in another group */
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = fail(st, "expire: articles");
	done(s);
	if (ret < 0 || (ret = run(st, ST_EXPIRE_CLEAR, "expire: clear")) < 0)
		return ret;
	return group_marks(st, group_id, high, low, count);
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

/* ---- members ---- */

/* Fill u from the current row of a USER_COLS statement. */
static void row_user(sqlite3_stmt *s, struct store_user *u)
{
	u->id = sqlite3_column_int64(s, 0);
	u->name = text(s, 1);
	u->password_hash = text(s, 2);
	u->role = text(s, 3);
	u->address = text(s, 4);
	u->created = sqlite3_column_int64(s, 5);
	u->disabled = sqlite3_column_int(s, 6);
}

/*
 * Add member name with a password hash, a role and a From address (NULL:
 * none), enabled; MOOT_EEXIST, not logged, when the name is taken;
 * MOOT_EINVAL for a missing name, hash or role.
 */
int store_user_add(struct store *st, const char *name, const char *password_hash,
		   const char *role, const char *address, int64_t now)
{
	sqlite3_stmt *s = st->stmt[ST_USER_ADD];
	int ret = 0;

	if (name == NULL || password_hash == NULL || role == NULL)
		return MOOT_EINVAL;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, address ? address : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	if (step(st, s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE)
			ret = MOOT_EEXIST;
		else
			ret = fail(st, "add user");
	}
	done(s);
	return ret;
}

/* cb with the member named name; returns cb's value, MOOT_ENOTFOUND or MOOT_ESTORE. */
int store_user_get(struct store *st, const char *name,
		   int (*cb)(void *arg, const struct store_user *u), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_USER_GET];
	struct store_user u;
	int rc, ret;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = step(st, s);
	if (rc == SQLITE_ROW) {
		row_user(s, &u);
		ret = cb(arg, &u);
	} else if (rc == SQLITE_DONE) {
		ret = MOOT_ENOTFOUND;
	} else {
		ret = fail(st, "get user");
	}
	done(s);
	return ret;
}

/* cb for every member ordered by name; stops at and returns cb's first non-zero. */
int store_users_each(struct store *st, int (*cb)(void *arg, const struct store_user *u), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_USERS_EACH];
	struct store_user u;
	int rc, ret = 0;

	while ((rc = step(st, s)) == SQLITE_ROW) {
		row_user(s, &u);
		ret = cb(arg, &u);
		if (ret != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = fail(st, "list users");
	done(s);
	return ret;
}

/* Run a bound UPDATE/DELETE by name or id; MOOT_ENOTFOUND when it touched no row. */
static int change_one(struct store *st, enum stmt_id id, const char *what)
{
	int ret = run(st, id, what);

	if (ret == 0 && sqlite3_changes(st->db) == 0)
		return MOOT_ENOTFOUND;
	return ret;
}

/* Disable (1) or enable (0) member name; MOOT_ENOTFOUND. */
int store_user_set_disabled(struct store *st, const char *name, int disabled)
{
	sqlite3_stmt *s = st->stmt[ST_USER_SET_DISABLED];

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, disabled != 0);
	return change_one(st, ST_USER_SET_DISABLED, "disable user");
}

/* Replace member name's password hash; MOOT_ENOTFOUND, MOOT_EINVAL for a NULL hash. */
int store_user_set_password(struct store *st, const char *name, const char *password_hash)
{
	sqlite3_stmt *s = st->stmt[ST_USER_SET_PASSWORD];

	if (password_hash == NULL)
		return MOOT_EINVAL;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, password_hash, -1, SQLITE_STATIC);
	return change_one(st, ST_USER_SET_PASSWORD, "set password");
}

/* ---- moderation queue ---- */

/* Fill m from the current row of a MOD_COLS statement; the article (column 8) when with_article. */
static void row_mod(sqlite3_stmt *s, int with_article, struct store_mod *m)
{
	m->id = sqlite3_column_int64(s, 0);
	m->submitted = sqlite3_column_int64(s, 1);
	m->user = text(s, 2);
	m->address = text(s, 3);
	m->groups = text(s, 4);
	m->msgid = text(s, 5);
	m->from = text(s, 6);
	m->subject = text(s, 7);
	m->article = NULL;
	m->article_len = 0;
	if (with_article)
		m->article = blob(s, 8, &m->article_len);
}

/* Queue m (its strings and article are copied; m->id is ignored); *id. */
int store_mod_add(struct store *st, const struct store_mod *m, int64_t *id)
{
	sqlite3_stmt *s = st->stmt[ST_MOD_ADD];
	int ret = 0;

	if (sqlite3_bind_int64(s, 1, m->submitted) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, m->user ? m->user : "", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, m->address, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, m->groups, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, m->msgid, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 6, m->from, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 7, m->subject, -1, SQLITE_STATIC) != SQLITE_OK ||
	    bind_blob(s, 8, m->article, m->article_len) != SQLITE_OK) {
		ret = fail(st, "queue for moderation: bind");
		done(s);
		return ret;
	}
	if (step(st, s) == SQLITE_DONE)
		*id = sqlite3_last_insert_rowid(st->db);
	else
		ret = fail(st, "queue for moderation");
	done(s);
	return ret;
}

/* cb for queued articles oldest first (article NULL unless with_article); stops at cb's non-zero. */
int store_mod_each(struct store *st, int with_article,
		   int (*cb)(void *arg, const struct store_mod *m), void *arg)
{
	sqlite3_stmt *s = st->stmt[with_article ? ST_MOD_EACH_ARTICLE : ST_MOD_EACH];
	struct store_mod m;
	int rc, ret = 0;

	while ((rc = step(st, s)) == SQLITE_ROW) {
		row_mod(s, with_article, &m);
		ret = cb(arg, &m);
		if (ret != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = fail(st, "list moderation queue");
	done(s);
	return ret;
}

/* cb with queued article id and its text; returns cb's value, MOOT_ENOTFOUND or MOOT_ESTORE. */
int store_mod_get(struct store *st, int64_t id, int (*cb)(void *arg, const struct store_mod *m), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_MOD_GET];
	struct store_mod m;
	int rc, ret;

	sqlite3_bind_int64(s, 1, id);
	rc = step(st, s);
	if (rc == SQLITE_ROW) {
		row_mod(s, 1, &m);
		ret = cb(arg, &m);
	} else if (rc == SQLITE_DONE) {
		ret = MOOT_ENOTFOUND;
	} else {
		ret = fail(st, "get queued article");
	}
	done(s);
	return ret;
}

/* Drop queued article id (approved and ingested, or rejected); MOOT_ENOTFOUND. */
/* 1 if msgid waits in the moderation queue (the queue is small: no index). */
int store_mod_has_msgid(struct store *st, const char *msgid)
{
	int64_t v = 0;
	int rc;

	sqlite3_bind_text(st->stmt[ST_MOD_HAS_MSGID], 1, msgid, -1, SQLITE_STATIC);
	rc = one_int(st, ST_MOD_HAS_MSGID, "mod has msgid", &v);
	return rc < 0 ? rc : (int)v;
}

int store_mod_delete(struct store *st, int64_t id)
{
	sqlite3_bind_int64(st->stmt[ST_MOD_DELETE], 1, id);
	return change_one(st, ST_MOD_DELETE, "delete queued article");
}

/* ---- bans and the audit log ---- */

/* 1 when kind is one store_ban_* knows. */
static int ban_kind(const char *kind)
{
	return kind && (strcmp(kind, "user") == 0 || strcmp(kind, "address") == 0);
}

/*
 * Ban target (kind "user" or "address", compared exactly: the caller
 * normalises) until `until` (0: forever), by whom and why; MOOT_EINVAL for
 * another kind.  Several bans of one target may stand; the longest wins.
 */
int store_ban_add(struct store *st, const char *kind, const char *target, int64_t until,
		  const char *reason, const char *by, int64_t now)
{
	sqlite3_stmt *s = st->stmt[ST_BAN_ADD];

	if (!ban_kind(kind) || target == NULL || until < 0)
		return MOOT_EINVAL;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, until);
	sqlite3_bind_text(s, 4, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, by ? by : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now);
	return run(st, ST_BAN_ADD, "add ban");
}

/* Lift every ban of target, expired ones too; MOOT_ENOTFOUND when there was none. */
int store_ban_remove(struct store *st, const char *kind, const char *target)
{
	sqlite3_stmt *s = st->stmt[ST_BAN_REMOVE];

	if (!ban_kind(kind) || target == NULL)
		return MOOT_EINVAL;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, target, -1, SQLITE_STATIC);
	return change_one(st, ST_BAN_REMOVE, "remove ban");
}

/*
 * 1 when a ban on target is in force at now (until 0, or now < until), with
 * *until and reason (truncated to reasonlen; reason may be NULL); 0 when
 * none; MOOT_EINVAL, MOOT_ESTORE.
 */
int store_ban_active(struct store *st, const char *kind, const char *target, int64_t now,
		     int64_t *until, char *reason, size_t reasonlen)
{
	sqlite3_stmt *s = st->stmt[ST_BAN_ACTIVE];
	int rc, ret = 0;

	if (!ban_kind(kind) || target == NULL)
		return MOOT_EINVAL;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	rc = step(st, s);
	if (rc == SQLITE_ROW) {
		ret = 1;
		if (until)
			*until = sqlite3_column_int64(s, 0);
		if (reason && reasonlen > 0)
			snprintf(reason, reasonlen, "%s", text(s, 1));
	} else if (rc != SQLITE_DONE) {
		ret = fail(st, "ban active");
	}
	done(s);
	return ret;
}

/* Append an entry to the audit log; NULL strings are stored as NULL. */
int store_event_add(struct store *st, int64_t now, const char *kind, const char *actor,
		    const char *subject, const char *detail)
{
	sqlite3_stmt *s = st->stmt[ST_EVENT_ADD];

	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, detail, -1, SQLITE_STATIC);
	return run(st, ST_EVENT_ADD, "add event");
}

/* cb for audit entries at or after since, oldest first; stops at and returns cb's non-zero. */
int store_events_each(struct store *st, int64_t since,
		      int (*cb)(void *arg, const struct store_event *e), void *arg)
{
	sqlite3_stmt *s = st->stmt[ST_EVENTS_EACH];
	struct store_event e;
	int rc, ret = 0;

	sqlite3_bind_int64(s, 1, since);
	while ((rc = step(st, s)) == SQLITE_ROW) {
		e.id = sqlite3_column_int64(s, 0);
		e.at = sqlite3_column_int64(s, 1);
		e.kind = text(s, 2);
		e.actor = text(s, 3);
		e.subject = text(s, 4);
		e.detail = text(s, 5);
		ret = cb(arg, &e);
		if (ret != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = fail(st, "list events");
	done(s);
	return ret;
}

/* ---- cancels ---- */

/* The thread article_id replies to (thread_of its root), 0 if none, MOOT_ESTORE. */
static int64_t reply_thread(struct store *st, int64_t article_id)
{
	sqlite3_stmt *s = st->stmt[ST_REMOVE_ROOT];
	int64_t thread = 0;
	int rc;

	sqlite3_bind_int64(s, 1, article_id);
	rc = step(st, s);
	/* the root stays valid while s is not reset */
	if (rc == SQLITE_ROW && text(s, 0)[0] != '\0')
		thread = thread_of(st, text(s, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		thread = fail(st, "cancel: root");
	done(s);
	return thread;
}

/*
 * Remove article_id everywhere inside the caller's transaction: history
 * first (the row still gives the msgid), then group by group its numbering
 * with the group's marks recounted and passed to cb, then its outq rows and
 * the article.  The figure tables keep its rows (they count what was
 * posted).  MOOT_ENOTFOUND when absent; a non-zero from cb stops the removal
 * half done and is returned: the caller rolls back.
 */
int store_article_remove(struct store *st, int64_t article_id, int64_t now,
			 int (*cb)(void *arg, int64_t group_id, int64_t low, int64_t count), void *arg)
{
	sqlite3_stmt *s;
	struct gnum g[MAX_GNUMS];
	int64_t group_id, high, low, count, thread;
	int i, n, ret;

	/* The figures of this transaction first: the cancel may take a post
	 * out of them. */
	if ((ret = figures_flush(st)) < 0)
		return ret;
	if ((ret = remember(st, article_id, now, "cancelled")) < 0)
		return ret;
	if (sqlite3_changes(st->db) == 0)
		return MOOT_ENOTFOUND;

	if ((n = article_numbers(st, article_id, g)) < 0)
		return n;
	for (i = 0; i < n; i++) {
		group_id = g[i].group_id;
		s = st->stmt[ST_REMOVE_HOURLY];
		sqlite3_bind_int64(s, 1, group_id);
		sqlite3_bind_int64(s, 2, article_id);
		if ((ret = run(st, ST_REMOVE_HOURLY, "cancel: figures")) < 0)
			return ret;
		s = st->stmt[ST_REMOVE_UNNUMBER];
		sqlite3_bind_int64(s, 1, group_id);
		sqlite3_bind_int64(s, 2, g[i].number);
		if ((ret = run(st, ST_REMOVE_UNNUMBER, "cancel: unnumber")) < 0)
			return ret;
		sqlite3_bind_int64(st->stmt[ST_GROUP_HIGH], 1, group_id);
		ret = one_int(st, ST_GROUP_HIGH, "cancel: read group", &high);
		if (ret == MOOT_ENOTFOUND)
			continue;	/* numbered in a group that is gone: nothing to fix */
		if (ret < 0 || (ret = group_marks(st, group_id, high, &low, &count)) < 0)
			return ret;
		if (cb && (ret = cb(arg, group_id, low, count)) != 0)
			return ret;
	}

	sqlite3_bind_int64(st->stmt[ST_REMOVE_OUTQ], 1, article_id);
	if ((ret = run(st, ST_REMOVE_OUTQ, "cancel: outq")) < 0)
		return ret;
	sqlite3_bind_int64(st->stmt[ST_REMOVE_THREAD], 1, article_id);
	if ((ret = run(st, ST_REMOVE_THREAD, "cancel: thread")) < 0)
		return ret;
	if ((thread = reply_thread(st, article_id)) < 0)
		return MOOT_ESTORE;
	if (thread > 0) {
		sqlite3_bind_int64(st->stmt[ST_REMOVE_REPLY_COUNT], 1, thread);
		if ((ret = run(st, ST_REMOVE_REPLY_COUNT, "cancel: replies")) < 0)
			return ret;
		sqlite3_bind_int64(st->stmt[ST_REMOVE_FIRST_REPLY], 1, article_id);
		sqlite3_bind_int64(st->stmt[ST_REMOVE_FIRST_REPLY], 2, thread);
		if ((ret = run(st, ST_REMOVE_FIRST_REPLY, "cancel: first reply")) < 0)
			return ret;
	}
	msgtail_deleted(st->tail, article_id);
	sqlite3_bind_int64(st->stmt[ST_REMOVE_ARTICLE], 1, article_id);
	return run(st, ST_REMOVE_ARTICLE, "cancel: delete");
}

/* ---- community health figures ---- */

/* Forget the figures not written. */
static void figures_clear(struct figures *fig)
{
	fig->nhours = fig->nrows = 0;
	buf_clear(&fig->names);
}

/* Write one gathered row; 0 or MOOT_ESTORE. */
static int figures_write(struct store *st, const struct fig_row *r, const char *name)
{
	sqlite3_stmt *s;
	int64_t thread;

	switch (r->kind) {
	case FIG_POSTER_GROUP:
		s = st->stmt[ST_STATS_POSTER_GROUP];
		sqlite3_bind_int64(s, 1, r->group_id);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, r->value);
		return run(st, ST_STATS_POSTER_GROUP, "figures: poster");
	case FIG_POSTER:
		s = st->stmt[ST_STATS_POSTER];
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, r->value);
		return run(st, ST_STATS_POSTER, "figures: poster");
	case FIG_REPLY:
		if ((thread = thread_of(st, name)) <= 0)
			return thread < 0 ? MOOT_ESTORE : 0;
		s = st->stmt[ST_STATS_REPLY];
		sqlite3_bind_int64(s, 1, thread);
		sqlite3_bind_int64(s, 2, r->value);
		sqlite3_bind_int64(s, 3, r->count);
		return run(st, ST_STATS_REPLY, "figures: reply");
	}
	return MOOT_ESTORE;
}

/* Write the figures gathered and forget them; 0 or MOOT_ESTORE. */
static int figures_flush(struct store *st)
{
	struct figures *fig = &st->fig;
	sqlite3_stmt *s;
	int i, ret = 0;

	for (i = 0; i < fig->nhours && ret == 0; i++) {
		s = st->stmt[ST_STATS_HOURLY];
		sqlite3_bind_int64(s, 1, fig->hours[i].group_id);
		sqlite3_bind_int64(s, 2, fig->hours[i].hour);
		sqlite3_bind_int64(s, 3, fig->hours[i].posts);
		ret = run(st, ST_STATS_HOURLY, "figures: hourly");
	}
	for (i = 0; i < fig->nrows && ret == 0; i++)
		ret = figures_write(st, &fig->rows[i], fig->names.data + fig->rows[i].name);
	figures_clear(fig);
	return ret;
}

/*
 * Gather value for the row of kind, group_id and name: a new row, or the one
 * held takes the later value (FIG_POSTER_GROUP) or the earlier (the others)
 * and counts one more.  0, or MOOT_ENOMEM.
 */
static int figures_row(struct figures *fig, enum fig_kind kind, int64_t group_id, const char *name,
		       int64_t value)
{
	struct fig_row *r;
	int i;

	for (i = 0; i < fig->nrows; i++) {
		r = &fig->rows[i];
		if (r->kind == kind && r->group_id == group_id &&
		    strcmp(fig->names.data + r->name, name) == 0) {
			if (kind == FIG_POSTER_GROUP ? value > r->value : value < r->value)
				r->value = value;
			r->count++;
			return 0;
		}
	}
	assert(fig->nrows < FIG_MAX);
	r = &fig->rows[fig->nrows];
	*r = (struct fig_row){ kind, group_id, fig->names.len, value, 1 };
	if (buf_append(&fig->names, name, strlen(name) + 1) != 0)
		return MOOT_ENOMEM;
	fig->nrows++;
	return 0;
}

/* Gather a post of poster in group_id at arrived; 0 or MOOT_ESTORE. */
static int figures_post(struct store *st, int64_t group_id, const char *poster, int64_t arrived)
{
	struct figures *fig = &st->fig;
	int64_t hour = arrived > 0 ? arrived / HOUR : 0;
	int i;

	/* Room for this call's rows: one hour, up to three named rows. */
	if (fig->nhours == FIG_MAX || fig->nrows > FIG_MAX - 3) {
		if (figures_flush(st) != 0)
			return MOOT_ESTORE;
	}
	for (i = 0; i < fig->nhours; i++)
		if (fig->hours[i].group_id == group_id && fig->hours[i].hour == hour)
			break;
	if (i == fig->nhours)
		fig->hours[fig->nhours++] = (struct fig_hour){ group_id, hour, 0 };
	fig->hours[i].posts++;
	if (figures_row(fig, FIG_POSTER_GROUP, group_id, poster, hour) != 0 ||
	    figures_row(fig, FIG_POSTER, 0, poster, arrived) != 0) {
		fprintf(stderr, "store: figures: out of memory\n");
		return MOOT_ESTORE;
	}
	return 0;
}

/*
 * Record article_id, numbered in group_id, for the figures (inside the
 * ingest transaction, after store_article_add).  Ingest calls it once for
 * each group the article is numbered in, first group first:
 *  - hourly counts the post in every group (so a crosspost counts once per
 *    group, and twice in the figures over both groups);
 *  - poster_groups keeps the hour of the poster's latest post in the
 *    group, posters their earliest post anywhere (NULL poster: "");
 *  - a starter (root NULL or "") gets one threads row, in the first group
 *    recorded (the calls for one article come one after the other, and
 *    only the first counts its thread or reply);
 *  - a reply is counted once in the thread
 *    whose starter has msgid root, whichever group that is; the first reply
 *    sets the thread's first_reply.  A reply whose starter is unknown when
 *    the figures are written (not yet arrived, expired long ago) counts
 *    only as a post.
 */
int store_stats_record(struct store *st, int64_t group_id, int64_t article_id, const char *poster,
		       const char *root, int64_t arrived)
{
	sqlite3_stmt *s;
	int ret;

	if (poster == NULL)
		poster = "";
	if ((ret = figures_post(st, group_id, poster, arrived)) < 0)
		return ret;
	if (article_id == st->stats_last) {
		/* a later group of the same article: thread and reply counted */
	} else if (root == NULL || root[0] == '\0') {
		s = st->stmt[ST_STATS_THREAD];
		sqlite3_bind_int64(s, 1, article_id);
		sqlite3_bind_int64(s, 2, group_id);
		sqlite3_bind_int64(s, 3, arrived);
		ret = run(st, ST_STATS_THREAD, "figures: thread");
	} else if (figures_row(&st->fig, FIG_REPLY, 0, root, arrived) != 0) {
		fprintf(stderr, "store: figures: out of memory\n");
		ret = MOOT_ESTORE;
	}
	if (ret == 0)
		st->stats_last = article_id;
	if (ret == 0 && sqlite3_get_autocommit(st->db))
		ret = figures_flush(st);
	return ret;
}

/* Copy src into dst (size > 0 bytes), cutting before a UTF-8 character that does not fit. */
static void copy_utf8(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	assert(size > 0);
	if (n >= size) {
		n = size - 1;
		/* src[n] is the first byte left out: back off to the start of its character */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The 1-based nearest rank of the pct-th percentile of n values: ceil(pct * n / 100). */
static int64_t nearest_rank(int64_t n, int pct)
{
	return (n * pct + 99) / 100;
}

/*
 * The median and 90th percentile by nearest rank of the first-reply delays
 * of the n answered threads in the window: one sorted pass, from the median's
 * row on to the 90th's.
 */
static int reply_delays(struct store *st, int64_t since, int64_t n, int64_t *p50, int64_t *p90)
{
	sqlite3_stmt *s = st->stmt[ST_STATS_DELAYS];
	int64_t r50 = nearest_rank(n, 50), r90 = nearest_rank(n, 90), rank;
	int rc = SQLITE_DONE, ret = 0;

	assert(n > 0 && r50 >= 1 && r50 <= r90 && r90 <= n);
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, r50 - 1);
	for (rank = r50; rank <= r90 && (rc = step(st, s)) == SQLITE_ROW; rank++) {
		if (rank == r50)
			*p50 = sqlite3_column_int64(s, 0);
		if (rank == r90)
			*p90 = sqlite3_column_int64(s, 0);
	}
	if (rc != SQLITE_ROW)	/* an error, or fewer rows than counted */
		ret = fail(st, "figures: reply delays");
	done(s);
	return ret;
}

/* A one-integer figure query bound to since into *v; 0 or MOOT_ESTORE. */
static int figure(struct store *st, enum stmt_id id, int64_t since, int64_t *v)
{
	int ret;

	sqlite3_bind_int64(st->stmt[id], 1, since);
	ret = one_int(st, id, "figures", v);
	return ret == MOOT_ENOTFOUND ? fail(st, "figures") : ret;
}

/* The figure queries of store_stats, temp.stat_groups filled; 0 or MOOT_ESTORE. */
static int stats_query(struct store *st, int64_t since, struct store_stats *out)
{
	sqlite3_stmt *s;
	int rc, ret;

	/* Posts and posters are counted by the hour: from the start of since's hour. */
	if ((ret = figure(st, ST_STATS_POSTS, since / HOUR, &out->posts)) < 0 ||
	    (ret = figure(st, ST_STATS_POSTERS, since / HOUR, &out->posters)) < 0 ||
	    (ret = figure(st, ST_STATS_NEW_POSTERS, since, &out->new_posters)) < 0)
		return ret;

	s = st->stmt[ST_STATS_THREADS];
	sqlite3_bind_int64(s, 1, since);
	if ((rc = step(st, s)) == SQLITE_ROW) {
		out->threads = sqlite3_column_int64(s, 0);
		out->unanswered = sqlite3_column_int64(s, 1);
	}
	done(s);
	if (rc != SQLITE_ROW)
		return fail(st, "figures: threads");
	if (out->threads > out->unanswered &&
	    (ret = reply_delays(st, since, out->threads - out->unanswered,
				&out->reply_p50, &out->reply_p90)) < 0)
		return ret;

	s = st->stmt[ST_STATS_TOP];
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int(s, 2, TOP_THREADS);
	while ((rc = step(st, s)) == SQLITE_ROW && out->ntop < TOP_THREADS) {
		out->top[out->ntop].article_id = sqlite3_column_int64(s, 0);
		out->top[out->ntop].replies = sqlite3_column_int64(s, 1);
		copy_utf8(out->top[out->ntop].subject, sizeof(out->top[0].subject), text(s, 2));
		out->ntop++;
	}
	ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, "figures: top threads");
	done(s);
	return ret;
}

/*
 * The health figures over groups group_ids[0..n) (none: all zero) for the
 * window from since to now: posts and active posters by the hour (from the
 * start of since's hour), new posters by their first post anywhere (to the
 * second), threads by their start.
 * Percentiles are -1 without an answered thread; top lists at most five
 * threads with at least one reply, most replies first, then oldest.
 * *out is filled on success; 0 or MOOT_ESTORE.
 */
int store_stats(struct store *st, const int64_t *group_ids, size_t n, int64_t since,
		struct store_stats *out)
{
	sqlite3_stmt *s = st->stmt[ST_STATS_GROUPS_ADD];
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	out->reply_p50 = out->reply_p90 = -1;
	if (since < 0)
		since = 0;
	if ((ret = run(st, ST_STATS_GROUPS_CLEAR, "figures: groups")) < 0)
		return ret;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, group_ids[i]);
		if ((ret = run(st, ST_STATS_GROUPS_ADD, "figures: groups")) < 0)
			return ret;
	}
	ret = stats_query(st, since, out);
	if (run(st, ST_STATS_GROUPS_CLEAR, "figures: groups") < 0 && ret == 0)
		ret = MOOT_ESTORE;
	return ret;
}

/* The connection's last SQLite error message. */
const char *store_errmsg(struct store *st)
{
	return sqlite3_errmsg(st->db);
}

int store_backup(const char *db_path, const char *path, char *err, size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int rc;

	rc = sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open '%s': %s", dst ? path : db_path,
			 sqlite3_errmsg(dst ? dst : src));
		goto out;
	}
	sqlite3_busy_timeout(src, STORE_BUSY_TIMEOUT);
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dst));
		rc = SQLITE_ERROR;
		goto out;
	}
	/* One step, from one snapshot: a stepwise copy restarts whenever the
	 * daemon writes between steps, so on a busy server it would never end.
	 * In WAL mode the daemon keeps writing while the copy reads. */
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc));
	else
		rc = SQLITE_OK;
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	return rc == SQLITE_OK ? 0 : MOOT_ESTORE;
}

/*
 * The Message-ID index against the articles (schema 10 and later): each
 * entry names its article, each article up to msgid_tail.upto has its
 * entry, no Message-ID is stored twice.  Full scans: for `mootd check`.
 */
static const struct {
	const char *sql;	/* one count: the problems found */
	const char *what;
} msgid_checks[] = {
	{ "SELECT count(*) FROM msgids m WHERE NOT EXISTS"
	  " (SELECT 1 FROM articles a WHERE a.id = m.article_id AND a.msgid = m.msgid)",
	  "Message-ID index entries without their article" },
	{ "SELECT count(*) FROM articles a WHERE a.id <= (SELECT coalesce(max(upto), 0) FROM msgid_tail)"
	  " AND NOT EXISTS (SELECT 1 FROM msgids m WHERE m.msgid = a.msgid AND m.article_id = a.id)",
	  "articles missing from the Message-ID index" },
	{ "SELECT count(*) FROM (SELECT 1 FROM articles GROUP BY msgid HAVING count(*) > 1)",
	  "Message-IDs stored more than once" },
};

/* 0 when every count of msgid_checks is 0 (or the schema has no msgids),
 * else MOOT_ESTORE with the first problem in err. */
static int check_msgids(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0;
	size_t i;
	int has = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'msgid_tail'", -1,
			       &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		has = sqlite3_column_int(s, 0) > 0;
	sqlite3_finalize(s);
	for (i = 0; has && i < MOOT_ARRAY_SIZE(msgid_checks); i++) {
		s = NULL;
		if (sqlite3_prepare_v2(db, msgid_checks[i].sql, -1, &s, NULL) != SQLITE_OK ||
		    sqlite3_step(s) != SQLITE_ROW) {
			snprintf(err, errlen, "%s: %s", msgid_checks[i].what, sqlite3_errmsg(db));
			sqlite3_finalize(s);
			return MOOT_ESTORE;
		}
		n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		if (n != 0) {
			snprintf(err, errlen, "%lld %s", (long long)n, msgid_checks[i].what);
			return MOOT_ESTORE;
		}
	}
	return 0;
}

int store_check(const char *db_path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc = MOOT_ESTORE;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot check '%s': %s", db_path, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(s, 0);
		if (r && strcmp(r, "ok") == 0)
			rc = check_msgids(db, err, errlen);
		else
			snprintf(err, errlen, "%s", r ? r : "no answer");
	} else {
		snprintf(err, errlen, "integrity_check: %s", sqlite3_errmsg(db));
	}
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}
