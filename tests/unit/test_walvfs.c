/*
 * test_walvfs.c: the VFS that writes a commit's WAL frames at once, through
 * the store that uses it: one write per commit, frames visible to a second
 * connection as soon as the commit returns, commits (synced, then the
 * process gone without closing anything) found again on open, a
 * transaction bigger than the buffer, a checkpoint's pages written to the
 * database file in runs, and a process that stops when the last of those
 * writes fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "store_fix.h"
#include "../../proto/moot.h"
#include "../../daemon/store.h"

/* Add article <n@big> with a body of size bytes; 0 or the store's error. */
static int add_big(struct store *st, int n, size_t size)
{
	struct store_article a;
	char msgid[32], head[96];
	char *body = malloc(size);
	int64_t id;
	int rc;

	if (body == NULL)
		return MOOT_ENOMEM;
	memset(body, 'a' + n % 26, size);
	snprintf(msgid, sizeof(msgid), "<%d@big>", n);
	snprintf(head, sizeof(head), "Message-ID: %s\r\nSubject: big %d\r\n", msgid, n);
	memset(&a, 0, sizeof(a));
	a.msgid = msgid;
	a.arrived = 5000;
	a.bytes = (int64_t)size;
	a.subject = "big";
	a.head = head;
	a.head_len = strlen(head);
	a.body = body;
	a.body_len = size;
	rc = store_article_add(st, &a, &id);
	free(body);
	return rc;
}

/* Articles first..first+n-1 of size bytes in one transaction committed
 * without the WAL sync; 0 or the first error (then rolled back). */
static int add_batch(struct store *st, int first, int n, size_t size)
{
	int rc = store_begin_nosync(st), i;

	for (i = 0; i < n && rc == 0; i++)
		rc = add_big(st, first + i, size);
	if (rc == 0)
		return store_commit_nosync(st);
	store_rollback(st);
	return rc;
}

/* fix_open, and a second connection to the same database in *other; 0 or -1. */
static int fix_open_two(struct fix *f, struct store **other)
{
	char err[256];

	if (fix_open(f) < 0)
		return -1;
	CHECK_INT(store_open(f->path, other, err, sizeof(err)), 0);
	return *other != NULL ? 0 : -1;
}

/* A commit of many pages reaches the WAL file in one write, synced or not. */
static void walvfs_one_write(void)
{
	struct fix f;
	uint64_t asked0, made0, asked, made;
	int n;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_wal_writes(f.st, &asked0, &made0, NULL), 0);
	CHECK_INT(add_batch(f.st, 0, 40, 3000), 0);
	CHECK_INT(store_wal_writes(f.st, &asked, &made, NULL), 0);
	CHECK(asked - asked0 >= 2 * 30);	/* header and page of each frame */
	CHECK_INT(made - made0, 1);
	CHECK_INT(store_begin(f.st), 0);
	for (n = 40; n < 50; n++)
		CHECK_INT(add_big(f.st, n, 3000), 0);
	CHECK_INT(store_commit(f.st), 0);
	asked0 = asked;
	made0 = made;
	CHECK_INT(store_wal_writes(f.st, &asked, &made, NULL), 0);
	CHECK(asked - asked0 >= 2 * 8);
	CHECK_INT(made - made0, 1);
out:
	fix_close(&f);
}

/* Another connection reads a commit as soon as it returns, and can
 * checkpoint it. */
static void walvfs_visible(void)
{
	struct fix f;
	struct store *other = NULL;
	int n;

	if (fix_open_two(&f, &other) < 0)
		goto out;
	for (n = 0; n < 5; n++) {
		char msgid[32];

		CHECK_INT(add_batch(f.st, n * 20, 20, 1500), 0);
		snprintf(msgid, sizeof(msgid), "<%d@big>", n * 20 + 19);
		CHECK_INT(store_msgid_seen(other, msgid), 1);
		CHECK_INT(store_msgid_seen(other, "<0@big>"), 1);
	}
	CHECK_INT(store_checkpoint(other), 0);
	CHECK_INT(store_msgid_seen(f.st, "<99@big>"), 1);
out:
	store_close(other);
	fix_close(&f);
}

/* A process that commits without the WAL sync, syncs with store_sync and
 * then ends without closing anything leaves every commit in the files. */
static void walvfs_exit(void)
{
	struct fix f;
	char err[256];
	pid_t pid;
	int status = -1, n;

	if (fix_open(&f) < 0)
		goto out;
	store_close(f.st);
	f.st = NULL;
	pid = fork();
	if (pid == 0) {
		struct store *st = NULL;
		int ok = store_open(f.path, &st, err, sizeof(err)) == 0;

		for (n = 0; n < 10 && ok; n++)
			ok = add_batch(st, n * 30, 30, 1500) == 0;
		ok = ok && store_sync(st) == 0;
		_exit(ok ? 0 : 1);	/* no store_close: nothing is flushed at close */
	}
	CHECK(pid > 0);
	if (pid > 0)
		CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK_INT(status, 0);
	CHECK_INT(store_open(f.path, &f.st, err, sizeof(err)), 0);
	if (f.st == NULL)
		goto out;
	for (n = 0; n < 300; n += 29) {
		char msgid[32];
		snprintf(msgid, sizeof(msgid), "<%d@big>", n);
		CHECK_INT(store_msgid_seen(f.st, msgid), 1);
	}
	CHECK_INT(store_msgid_seen(f.st, "<299@big>"), 1);
	CHECK_INT(store_msgid_seen(f.st, "<300@big>"), 0);
	CHECK_INT(store_check(f.path, err, sizeof(err)), 0);
out:
	fix_close(&f);
}

/* A transaction bigger than the buffer (1 MiB) goes out in several writes
 * and reads back whole. */
static void walvfs_big(void)
{
	struct fix f;
	uint64_t asked0, made0, asked, made;
	int n;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(store_wal_writes(f.st, &asked0, &made0, NULL), 0);
	CHECK_INT(store_begin_nosync(f.st), 0);
	for (n = 0; n < 300; n++)
		CHECK_INT(add_big(f.st, n, 9000), 0);
	CHECK_INT(add_big(f.st, 300, 3 << 20), 0);	/* 3 MiB, past the buffer */
	CHECK_INT(store_commit_nosync(f.st), 0);
	CHECK_INT(store_sync(f.st), 0);
	CHECK_INT(store_wal_writes(f.st, &asked, &made, NULL), 0);
	CHECK(made - made0 >= 4);
	CHECK(made - made0 < (asked - asked0) / 50);
	if (fix_reopen(&f) < 0)
		goto out;
	CHECK_INT(store_msgid_seen(f.st, "<0@big>"), 1);
	CHECK_INT(store_msgid_seen(f.st, "<300@big>"), 1);
out:
	fix_close(&f);
}

/* Syncs of the loop's WAL since *last (updated); UINT64_MAX when unknown. */
static uint64_t syncs_since(struct store *st, uint64_t *last)
{
	uint64_t asked, made, synced, d;

	if (store_wal_writes(st, &asked, &made, &synced) != 0)
		return UINT64_MAX;
	d = synced - *last;
	*last = synced;
	return d;
}

/*
 * A store_commit syncs the WAL; a store_commit_nosync does not (its sync is
 * store_sync's), and neither does one rolled back; afterwards commits sync
 * again.  When the WAL starts over after a full checkpoint, its new header
 * is synced even inside a nosync transaction, as synchronous=NORMAL does.
 */
static void walvfs_deferred_sync(void)
{
	struct fix f;
	uint64_t last = 0;

	if (fix_open(&f) < 0)
		goto out;
	syncs_since(f.st, &last);
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(add_big(f.st, 0, 3000), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK(syncs_since(f.st, &last) == 1);
	CHECK_INT(add_batch(f.st, 1, 10, 3000), 0);
	CHECK(syncs_since(f.st, &last) == 0);
	CHECK_INT(store_begin_nosync(f.st), 0);
	CHECK_INT(add_big(f.st, 11, 3000), 0);
	store_rollback(f.st);
	CHECK(syncs_since(f.st, &last) == 0);
	CHECK_INT(store_begin(f.st), 0);
	CHECK_INT(add_big(f.st, 12, 3000), 0);
	CHECK_INT(store_commit(f.st), 0);
	CHECK(syncs_since(f.st, &last) == 1);
	/* Everything copied: the next commit writes the WAL from its start. */
	CHECK_INT(store_checkpoint(f.st), 0);
	CHECK_INT(add_batch(f.st, 13, 2, 3000), 0);
	CHECK(syncs_since(f.st, &last) == 1);
	CHECK_INT(add_batch(f.st, 15, 2, 3000), 0);
	CHECK(syncs_since(f.st, &last) == 0);
	CHECK_INT(store_msgid_seen(f.st, "<16@big>"), 1);
	CHECK_INT(store_msgid_seen(f.st, "<11@big>"), 0);
out:
	fix_close(&f);
}

/*
 * A checkpoint writes the pages it copies to the database file in runs of
 * contiguous pages, not one write each, and starts the writeback of each
 * run as it is written, waiting for the disk each time 256 KiB were handed
 * over (DB_WRITEBACK_MAX); the copied pages are there for every connection
 * once it returns, also after the WAL starts over (new commits overwrite
 * the frames they were read from), and after a reopen.
 */
static void walvfs_checkpoint_writes(void)
{
	struct fix f;
	struct store *other = NULL;
	uint64_t asked0, made0, started0, waits0, asked, made, started, waits;
	int n;

	if (fix_open_two(&f, &other) < 0)
		goto out;
	CHECK_INT(store_db_writes(f.st, &asked0, &made0, &started0, &waits0), 0);
	for (n = 0; n < 10; n++)
		CHECK_INT(add_batch(f.st, n * 40, 40, 1500), 0);
	CHECK_INT(store_sync(f.st), 0);
	CHECK_INT(store_checkpoint(f.st), 0);
	CHECK_INT(store_db_writes(f.st, &asked, &made, &started, &waits), 0);
	CHECK(asked - asked0 >= 200);	/* 400 articles of 1.5 KB: 200 pages and more */
	CHECK(made - made0 > 0);
	CHECK(made - made0 <= (asked - asked0) / 8);
	CHECK(started - started0 == made - made0);
	/* 800 KiB and more handed over 256 KiB at a time: two waits at least. */
	CHECK(waits - waits0 >= 2);
	CHECK(waits - waits0 < started - started0);
	/* The WAL starts over: the old articles come from the database file. */
	CHECK_INT(add_batch(f.st, 400, 40, 1500), 0);
	CHECK_INT(add_batch(f.st, 440, 40, 1500), 0);
	for (n = 0; n < 480; n += 37) {
		char msgid[32];
		snprintf(msgid, sizeof(msgid), "<%d@big>", n);
		CHECK_INT(store_msgid_seen(other, msgid), 1);
		CHECK_INT(store_msgid_seen(f.st, msgid), 1);
	}
	CHECK_INT(store_msgid_seen(other, "<479@big>"), 1);
	CHECK_INT(store_msgid_seen(other, "<480@big>"), 0);
	store_close(other);
	other = NULL;
	if (fix_reopen(&f) == 0)
		CHECK_INT(store_msgid_seen(f.st, "<399@big>"), 1);
out:
	store_close(other);
	fix_close(&f);
}

/*
 * A write that fails at the end of a checkpoint, after the last page is
 * copied, where SQLite ignores the error, stops the process (walvfs.c); the
 * articles are all there at the next open, from the WAL.  The child's file
 * size limit makes every write that would grow the database file fail.
 */
static void walvfs_checkpoint_write_fails(void)
{
	struct fix f;
	char err[256];
	pid_t pid;
	int status = 0, n;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(add_batch(f.st, 0, 20, 1500), 0);
	CHECK_INT(store_sync(f.st), 0);
	CHECK_INT(store_checkpoint(f.st), 0);
	store_close(f.st);
	f.st = NULL;
	fprintf(stderr, "(an expected walvfs error follows)\n");
	pid = fork();
	if (pid == 0) {
		struct rlimit none = { 0, 0 }, size;
		struct store *st = NULL;
		struct stat sb;

		setrlimit(RLIMIT_CORE, &none);
		signal(SIGXFSZ, SIG_IGN);	/* a write past the limit fails with EFBIG */
		if (store_open(f.path, &st, err, sizeof(err)) != 0 || add_batch(st, 20, 4, 1500) != 0 ||
		    store_sync(st) != 0 || stat(f.path, &sb) != 0)
			_exit(2);
		size.rlim_cur = size.rlim_max = (rlim_t)sb.st_size;
		if (setrlimit(RLIMIT_FSIZE, &size) != 0)
			_exit(3);
		store_checkpoint(st);	/* the new pages grow the file: the last write fails */
		_exit(0);
	}
	CHECK(pid > 0);
	if (pid > 0)
		CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	CHECK_INT(store_open(f.path, &f.st, err, sizeof(err)), 0);
	if (f.st == NULL)
		goto out;
	for (n = 0; n < 24; n++) {
		char msgid[32];
		snprintf(msgid, sizeof(msgid), "<%d@big>", n);
		CHECK_INT(store_msgid_seen(f.st, msgid), 1);
	}
	CHECK_INT(store_checkpoint(f.st), 0);
	store_close(f.st);
	f.st = NULL;
	CHECK_INT(store_check(f.path, err, sizeof(err)), 0);
out:
	fix_close(&f);
}

void test_walvfs(void)
{
	RUN(walvfs_one_write);
	RUN(walvfs_visible);
	RUN(walvfs_exit);
	RUN(walvfs_big);
	RUN(walvfs_deferred_sync);
	RUN(walvfs_checkpoint_writes);
	RUN(walvfs_checkpoint_write_fails);
}
