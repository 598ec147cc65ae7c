/*
 * walvfs.c: a SQLite VFS that coalesces the writes of WAL frames.
 *
 * SQLite appends each page of a commit to the WAL as two writes, the 24-byte
 * frame header and then the page, so a batch of ingested articles that dirties
 * 40 pages costs 80 pwrite calls on the loop (a quarter of its time during
 * ingest at small windows, measured with perf).  This VFS wraps the default
 * one; database files pass straight through, and a WAL file keeps contiguous
 * writes in a buffer that goes to the file in one write:
 *
 *   - when the page of a commit frame (a frame header with a non-zero
 *     "database size after commit") has been written, before SQLite returns
 *     from writing the frames and long before it publishes the new WAL
 *     header in shared memory: other connections never see a frame that is
 *     not in the file, and a failed write fails the commit as it would have;
 *   - before anything else touches the file (read, sync, truncate, size,
 *     file control, close), before a write that does not follow the buffer,
 *     and when the buffer is full;
 *   - at the database file's shared-memory barrier, as a safety net (a
 *     failure there is kept and returned by the WAL file's next call).
 *
 * The buffer belongs to one connection's WAL file object and is only used by
 * the thread that runs that connection.  Durability does not change: the
 * data reaches the kernel at the same points as before, and the WAL is
 * synced exactly as before (by SQLite, or by store_sync).
 *
 * The database file is written only by checkpoints (in WAL mode), one page
 * per write, in page order: most of those pages were appended one after the
 * other, so contiguous writes are kept in a buffer too, of DB_BUF_MAX, and
 * go to the file in one write (the default VFS's, which takes less than
 * 128 KiB at a time).  Copying 4,000 pages, the checkpoint thread spent a
 * third less CPU.  The buffer is written before any other call on the file,
 * before a write that does not follow it or would overfill it, and at
 * SQLITE_FCNTL_CKPT_DONE, which SQLite sends after the last page is copied
 * and before it records in shared memory that the pages are in the database
 * file, from where other connections then read them.  A failure there cannot
 * be returned (SQLite ignores that call's result), and going on would let
 * readers see stale pages; the WAL still holds every one of them, so the
 * process stops instead (abort) and the next start finds them there.
 *
 * Each run of database pages written is also handed to the disk at once
 * (sync_file_range, SYNC_FILE_RANGE_WRITE: writeback starts, nothing waits
 * for it), through a read-only descriptor of our own.  Left to the end, a
 * checkpoint's pages (16 MB of them then) went out in one burst at its
 * closing fdatasync (store_checkpoint), and a WAL sync issued meanwhile
 * waited behind it: 1.3 ms on average and up to 9 ms during a checkpoint,
 * against 0.35 ms otherwise, while every reply of the batch waited for that
 * sync.  Durability is unchanged: the checkpoint's own sync is still what
 * counts.  At most DB_WRITEBACK_MAX bytes are handed over at a time: past
 * that, the checkpoint waits for the disk to take them before it hands
 * over more (SYNC_FILE_RANGE_WAIT_BEFORE).  Started without a bound, a
 * checkpoint put megabytes in the disk's queue at once, and a WAL sync
 * issued meanwhile waited behind all of them: 0.7-0.9 ms on average during
 * checkpoints, against 0.3-0.4 ms outside them, with 256 KiB at a time
 * 0.45-0.48 ms.  Only the checkpoint's thread waits.
 *
 * Deferred syncs (walvfs_defer_sync): while the store commits a batch whose
 * sync another thread makes (store_begin_nosync), the WAL file skips the
 * sync SQLite asks for at commit, as synchronous=NORMAL would, without
 * switching the connection's pragma (a PRAGMA statement is compiled again
 * each time it runs: two per batch were 2-5 % of the loop during ingest).
 * A sync after SQLite wrote the WAL header, when the WAL starts over, is
 * still made, as NORMAL makes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../proto/moot.h"
#include "walvfs.h"

#define FRAME_HEADER 24			/* bytes of a WAL frame header */
#define BUF_MAX (1 << 20)		/* largest buffered run of writes */
#define BUF_FIRST (64 << 10)		/* first allocation of a buffer */
#define DB_BUF_MAX (64 << 10)		/* largest buffered run of database writes */
#define DB_WRITEBACK_MAX (256 << 10)	/* database bytes handed to the disk before waiting for them */

struct vfile {
	sqlite3_file base;		/* pMethods: wal_methods, db_methods or NULL */
	sqlite3_file *real;		/* the default VFS's file, placed after this struct */
	struct vfile *wal;		/* database file: its WAL file while open */
	struct vfile *db;		/* WAL file: its database file */
	int fd;				/* WAL file: our descriptor for the buffered writes; main
					 * database file: one for starting writeback; or -1 */
	unsigned char *buf;		/* writes not made yet (a WAL or a main database file) */
	size_t len, cap;		/* bytes in buf, bytes allocated */
	sqlite3_int64 off;		/* file offset of buf[0] */
	sqlite3_int64 commit_at;	/* offset of the page of a buffered commit frame, or -1 */
	int err;			/* a failed flush at the barrier, for the next call */
	int defer;			/* WAL file: skip syncs (walvfs_defer_sync) */
	int header_written;		/* WAL file: the header was written since the last sync */
	uint64_t asked, made;		/* writes asked for, writes made (walvfs_counts) */
	int is_db;			/* a main database file: buffers a checkpoint's writes */
	uint64_t synced;		/* WAL: syncs made; database: writebacks started (walvfs_counts) */
	size_t wb_pending;		/* database: bytes handed to the disk since the last wait */
	uint64_t waits;			/* database: waits for the disk to take them (walvfs_counts) */
};

/* Alignment of the real file after struct vfile. */
#define VFILE_SIZE ((sizeof(struct vfile) + 15) & ~(size_t)15)

static sqlite3_vfs vfs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registered = SQLITE_ERROR;

static const sqlite3_io_methods wal_methods, db_methods;

/*
 * Write n bytes at off with our own descriptor: the default VFS's write
 * takes at most 128 KiB at a time.  SQLite takes no POSIX locks on a WAL
 * file, so a second descriptor of it is harmless.  SQLite's result code.
 */
static int write_all(struct vfile *f, const unsigned char *p, size_t n, sqlite3_int64 off)
{
	f->made++;
	while (n > 0) {
		ssize_t w = pwrite(f->fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 && errno != ENOSPC ? SQLITE_IOERR_WRITE : SQLITE_FULL;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return SQLITE_OK;
}

/* Write the buffer to the file; SQLite's result code.  The buffer is empty
 * afterwards either way (a failed commit is rolled back by SQLite). */
static int flush(struct vfile *f)
{
	int rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = write_all(f, f->buf, f->len, f->off);
	f->len = 0;
	return rc;
}

/* Flush, and hand back an error kept from a flush at the barrier. */
static int settle(struct vfile *f)
{
	int rc = flush(f);

	if (rc == SQLITE_OK && f->err != SQLITE_OK)
		rc = f->err;
	f->err = SQLITE_OK;
	return rc;
}

/* Make room for amt more bytes; 0, or -1 when the buffer cannot hold them. */
static int reserve(struct vfile *f, size_t amt)
{
	size_t cap = f->cap ? f->cap : BUF_FIRST;
	unsigned char *b;

	if (f->len + amt <= f->cap)
		return 0;
	if (f->len + amt > BUF_MAX)
		return -1;
	while (cap < f->len + amt)
		cap *= 2;
	if (cap > BUF_MAX)
		cap = BUF_MAX;
	b = realloc(f->buf, cap);
	if (b == NULL)
		return -1;
	f->buf = b;
	f->cap = cap;
	return 0;
}

/* ---- the WAL file ---- */

static int wal_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	struct vfile *f = (struct vfile *)file;
	const unsigned char *p = data;
	int rc;

	f->asked++;
	if (off == 0)
		f->header_written = 1;	/* the WAL starts over */
	if (f->fd < 0)
		return f->real->pMethods->xWrite(f->real, data, amt, off);
	if ((f->len > 0 && off != f->off + (sqlite3_int64)f->len) || f->err != SQLITE_OK) {
		rc = settle(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (reserve(f, (size_t)amt) != 0) {
		rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
		if (reserve(f, (size_t)amt) != 0) {
			/* Bigger than the buffer (or no memory): write it as it comes. */
			if (off == f->commit_at)
				f->commit_at = -1;
			return write_all(f, p, (size_t)amt, off);
		}
	}
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, data, (size_t)amt);
	f->len += (size_t)amt;
	if (amt == FRAME_HEADER && (p[4] | p[5] | p[6] | p[7]) != 0) {
		f->commit_at = off + FRAME_HEADER;	/* its page comes next */
		return SQLITE_OK;
	}
	if (off == f->commit_at) {
		f->commit_at = -1;
		return flush(f);
	}
	return SQLITE_OK;
}

static int wal_read(sqlite3_file *file, void *data, int amt, sqlite3_int64 off)
{
	struct vfile *f = (struct vfile *)file;
	int rc = settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, data, amt, off);
}

static int wal_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfile *f = (struct vfile *)file;
	int rc = settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wal_sync(sqlite3_file *file, int flags)
{
	struct vfile *f = (struct vfile *)file;
	int rc = settle(f);

	if (rc != SQLITE_OK || (f->defer && !f->header_written))
		return rc;
	f->synced++;
	rc = f->real->pMethods->xSync(f->real, flags);
	if (rc == SQLITE_OK)
		f->header_written = 0;
	return rc;
}

static int wal_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct vfile *f = (struct vfile *)file;
	int rc = settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wal_control(sqlite3_file *file, int op, void *arg)
{
	struct vfile *f = (struct vfile *)file;
	int rc = settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

/* The end of either kind of file, its buffer written (rc, the result of
 * that): the buffer, our descriptor, then the real file; rc, or the real
 * close's result. */
static int release(struct vfile *f, int rc)
{
	int rc2;

	free(f->buf);
	f->buf = NULL;
	f->cap = 0;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	rc2 = f->real->pMethods->xClose(f->real);
	return rc != SQLITE_OK ? rc : rc2;
}

static int wal_close(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *)file;
	int rc = settle(f);

	if (f->db != NULL && f->db->wal == f)
		f->db->wal = NULL;
	return release(f, rc);
}

/* ---- the database file: a checkpoint's writes ---- */

/* Have the kernel start writing len bytes at off of the database file to
 * the disk, first waiting for those handed over before once they reach
 * DB_WRITEBACK_MAX (see the top of this file).  Advisory: the checkpoint's
 * sync makes them durable, so a failure changes nothing. */
static void start_writeback(struct vfile *f, sqlite3_int64 off, size_t len)
{
	if (f->fd < 0)
		return;
	if (f->wb_pending >= DB_WRITEBACK_MAX) {
		/* Offset 0 and length 0: the whole file. */
		if (sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE) == 0)
			f->waits++;
		f->wb_pending = 0;
	}
	if (sync_file_range(f->fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE) == 0) {
		f->synced++;
		f->wb_pending += len;
	}
}

/* Write len bytes at off to the database file through the default VFS and
 * start their writeback; SQLite's result code. */
static int db_write_now(struct vfile *f, const void *data, size_t len, sqlite3_int64 off)
{
	int rc;

	f->made++;
	rc = f->real->pMethods->xWrite(f->real, data, (int)len, off);
	if (rc == SQLITE_OK)
		start_writeback(f, off, len);
	return rc;
}

/* Write the database file's buffer; SQLite's result code.  The buffer is
 * empty afterwards either way. */
static int db_flush(struct vfile *f)
{
	int rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = db_write_now(f, f->buf, f->len, f->off);
	f->len = 0;
	return rc;
}

/* Flush a database file's buffer before another call on it; the WAL
 * file's methods settle their own. */
static int db_settle(struct vfile *f)
{
	return f->is_db ? db_flush(f) : SQLITE_OK;
}

static int db_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	struct vfile *f = (struct vfile *)file;
	int rc;

	if (!f->is_db)
		return f->real->pMethods->xWrite(f->real, data, amt, off);
	f->asked++;
	if (f->len > 0 && (off != f->off + (sqlite3_int64)f->len || f->len + (size_t)amt > DB_BUF_MAX)) {
		rc = db_flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if ((size_t)amt > DB_BUF_MAX / 2 || reserve(f, (size_t)amt) != 0) {
		/* A page as big as half the buffer, or no memory: as it comes. */
		return db_write_now(f, data, (size_t)amt, off);
	}
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, data, (size_t)amt);
	f->len += (size_t)amt;
	return SQLITE_OK;
}

/* The last page of a checkpoint is copied: the pages go to the file before
 * SQLite records them as there (see the top of this file). */
static void db_checkpoint_done(struct vfile *f)
{
	int rc = db_flush(f);

	if (rc != SQLITE_OK) {
		fprintf(stderr, "walvfs: checkpoint: writing the database file failed (SQLite error %d):"
			" stopping, the WAL keeps the pages\n", rc);
		abort();
	}
}

/* ---- both kinds: straight through, after the database file's buffer ---- */

static int pass_close(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *)file;
	int rc = db_settle(f);

	if (f->wal != NULL)
		f->wal->db = NULL;
	return release(f, rc);
}

static int pass_read(sqlite3_file *file, void *data, int amt, sqlite3_int64 off)
{
	struct vfile *f = (struct vfile *)file;
	int rc = db_settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, data, amt, off);
}

static int pass_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfile *f = (struct vfile *)file;
	int rc = db_settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int pass_sync(sqlite3_file *file, int flags)
{
	struct vfile *f = (struct vfile *)file;
	int rc = db_settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int pass_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct vfile *f = (struct vfile *)file;
	int rc = db_settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int pass_control(sqlite3_file *file, int op, void *arg)
{
	struct vfile *f = (struct vfile *)file;
	int rc;

	if (op == SQLITE_FCNTL_CKPT_DONE && f->is_db)
		db_checkpoint_done(f);
	rc = db_settle(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int pass_lock(sqlite3_file *file, int level)
{
	struct vfile *f = (struct vfile *)file;
	int rc = db_settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, level);
}

static int pass_unlock(sqlite3_file *file, int level)
{
	struct vfile *f = (struct vfile *)file;
	int rc = db_settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, level);
}

static int pass_reserved(sqlite3_file *file, int *out)
{
	struct vfile *f = (struct vfile *)file;
	int rc = db_settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int pass_sector(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *)file;
	return f->real->pMethods->xSectorSize(f->real);
}

static int pass_device(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *)file;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int pass_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
	struct vfile *f = (struct vfile *)file;
	return f->real->pMethods->xShmMap(f->real, region, size, extend, out);
}

static int pass_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct vfile *f = (struct vfile *)file;
	int rc = db_settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

/* SQLite calls the barrier of the database file between the two copies of
 * a new WAL header: the WAL's frames must be in the file before it. */
static void db_shm_barrier(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *)file;

	if (f->wal != NULL && f->wal->len > 0) {
		int rc = flush(f->wal);
		if (rc != SQLITE_OK && f->wal->err == SQLITE_OK)
			f->wal->err = rc;
	}
	if (f->is_db && f->len > 0)
		db_checkpoint_done(f);	/* a failure cannot be returned here either */
	f->real->pMethods->xShmBarrier(f->real);
}

static void pass_shm_barrier(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *)file;
	f->real->pMethods->xShmBarrier(f->real);
}

static int pass_shm_unmap(sqlite3_file *file, int del)
{
	struct vfile *f = (struct vfile *)file;
	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int pass_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
	struct vfile *f = (struct vfile *)file;
	int rc = db_settle(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int pass_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	struct vfile *f = (struct vfile *)file;
	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods wal_methods = {
	3, wal_close, wal_read, wal_write, wal_truncate, wal_sync, wal_size,
	pass_lock, pass_unlock, pass_reserved, wal_control, pass_sector, pass_device,
	pass_shm_map, pass_shm_lock, pass_shm_barrier, pass_shm_unmap, pass_fetch, pass_unfetch,
};

static const sqlite3_io_methods db_methods = {
	3, pass_close, pass_read, db_write, pass_truncate, pass_sync, pass_size,
	pass_lock, pass_unlock, pass_reserved, pass_control, pass_sector, pass_device,
	pass_shm_map, pass_shm_lock, db_shm_barrier, pass_shm_unmap, pass_fetch, pass_unfetch,
};

/* ---- the VFS: opening files, the rest straight to the default VFS ---- */

#define UNDER ((sqlite3_vfs *)vfs.pAppData)

static int vfs_open(sqlite3_vfs *v, const char *name, sqlite3_file *file, int flags, int *out)
{
	struct vfile *f = (struct vfile *)file;
	int rc;

	(void)v;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)((char *)f + VFILE_SIZE);
	f->fd = -1;
	f->commit_at = -1;
	rc = UNDER->xOpen(UNDER, name, f->real, flags, out);
	if (f->real->pMethods == NULL) {
		f->base.pMethods = NULL;
		return rc;
	}
	if ((flags & SQLITE_OPEN_WAL) && name != NULL) {
		f->base.pMethods = &wal_methods;
		/* Without a descriptor of our own, writes go through unbuffered. */
		if (rc == SQLITE_OK && (flags & SQLITE_OPEN_READWRITE))
			f->fd = open(name, O_WRONLY | O_CLOEXEC);
		f->db = (struct vfile *)sqlite3_database_file_object(name);
		if (f->db != NULL && f->db->base.pMethods == &db_methods)
			f->db->wal = f;
		else
			f->db = NULL;
	} else {
		f->base.pMethods = &db_methods;
		f->is_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;	/* not temporary files or journals */
		/* Only to start writeback (start_writeback): reading is enough. */
		if (f->is_db && rc == SQLITE_OK && (flags & SQLITE_OPEN_READWRITE) && name != NULL)
			f->fd = open(name, O_RDONLY | O_CLOEXEC);
	}
	return rc;
}

static int vfs_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return UNDER->xDelete(UNDER, name, sync);
}

static int vfs_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return UNDER->xAccess(UNDER, name, flags, out);
}

static int vfs_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return UNDER->xFullPathname(UNDER, name, n, out);
}

static void *vfs_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return UNDER->xDlOpen(UNDER, name);
}

static void vfs_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	UNDER->xDlError(UNDER, n, out);
}

static void (*vfs_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return UNDER->xDlSym(UNDER, h, sym);
}

static void vfs_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	UNDER->xDlClose(UNDER, h);
}

static int vfs_random(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return UNDER->xRandomness(UNDER, n, out);
}

static int vfs_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return UNDER->xSleep(UNDER, us);
}

static int vfs_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return UNDER->xCurrentTime(UNDER, out);
}

static int vfs_lasterror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return UNDER->xGetLastError ? UNDER->xGetLastError(UNDER, n, out) : 0;
}

static int vfs_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return UNDER->xCurrentTimeInt64(UNDER, out);
}

static void do_register(void)
{
	sqlite3_vfs *under;

	/* Before SQLite initializes: no allocation statistics (nothing reads
	 * them), so an allocation takes no global mutex.  Refused (harmlessly)
	 * when SQLite is already initialized. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	under = sqlite3_vfs_find(NULL);

	/* Version 2 methods are enough: the system-call hooks are for tests of SQLite. */
	if (under == NULL || under->iVersion < 2)
		return;
	vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)VFILE_SIZE + under->szOsFile,
		.mxPathname = under->mxPathname,
		.zName = WALVFS_NAME,
		.pAppData = under,
		.xOpen = vfs_open,
		.xDelete = vfs_delete,
		.xAccess = vfs_access,
		.xFullPathname = vfs_fullpath,
		.xDlOpen = vfs_dlopen,
		.xDlError = vfs_dlerror,
		.xDlSym = vfs_dlsym,
		.xDlClose = vfs_dlclose,
		.xRandomness = vfs_random,
		.xSleep = vfs_sleep,
		.xCurrentTime = vfs_time,
		.xGetLastError = vfs_lasterror,
		.xCurrentTimeInt64 = vfs_time64,
	};
	registered = sqlite3_vfs_register(&vfs, 0);
}

int walvfs_register(void)
{
	pthread_once(&once, do_register);
	return registered == SQLITE_OK ? 0 : MOOT_ESTORE;
}

/* file as one of our WAL files, or NULL. */
static struct vfile *wal_of(struct sqlite3_file *file)
{
	return file != NULL && file->pMethods == &wal_methods ? (struct vfile *)file : NULL;
}

int walvfs_defer_sync(struct sqlite3_file *file, int on)
{
	struct vfile *f = wal_of(file);

	if (f == NULL)
		return MOOT_ENOTFOUND;
	f->defer = on;
	return 0;
}

int walvfs_counts(struct sqlite3_file *file, uint64_t *asked, uint64_t *made, uint64_t *synced)
{
	struct vfile *f = wal_of(file);

	if (f == NULL && file != NULL && file->pMethods == &db_methods)
		f = (struct vfile *)file;
	if (f == NULL)
		return MOOT_ENOTFOUND;
	*asked = f->asked;
	*made = f->made;
	if (synced != NULL)
		*synced = f->synced;
	return 0;
}

int walvfs_waits(struct sqlite3_file *file, uint64_t *waits)
{
	if (file == NULL || file->pMethods != &db_methods)
		return MOOT_ENOTFOUND;
	*waits = ((struct vfile *)file)->waits;
	return 0;
}
