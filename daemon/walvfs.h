/*
 * walvfs.h: a SQLite VFS over the default one that writes each commit's WAL
 * frames with one system call instead of two per frame (see walvfs.c).
 * Part of the storage layer: only store.c, walvfs.c and pagecache.c include
 * sqlite3.h.
 */
#ifndef MOOT_WALVFS_H
#define MOOT_WALVFS_H

#include <stdint.h>

#define WALVFS_NAME "moot-wal"

/* Register the VFS named WALVFS_NAME (once per process, thread-safe);
 * 0 or MOOT_ESTORE. */
int walvfs_register(void);

/* Counters of a WAL file opened through the VFS (f: its sqlite3_file, as
 * SQLITE_FCNTL_JOURNAL_POINTER gives it): writes SQLite asked for, writes
 * made to the file and, unless synced is NULL, syncs made at SQLite's asking.
 * Of a database file (SQLITE_FCNTL_FILE_POINTER), the checkpoints' writes
 * asked for and made, and in synced the writes whose writeback was started
 * at once.
 * 0, or MOOT_ENOTFOUND when f is neither.
 * Read from the thread that uses the connection. */
struct sqlite3_file;
int walvfs_counts(struct sqlite3_file *f, uint64_t *asked, uint64_t *made, uint64_t *synced);

/* Of a database file, how many times a checkpoint waited for the disk to
 * take the pages it had handed over (DB_WRITEBACK_MAX); 0, or
 * MOOT_ENOTFOUND when f is not such a file.  From the thread that uses the
 * connection. */
int walvfs_waits(struct sqlite3_file *f, uint64_t *waits);

/* While on, the WAL file f skips the syncs SQLite asks for (as with
 * synchronous=NORMAL: a sync after the WAL header was written is still
 * made); its buffered writes still reach the file at the same points.
 * 0, or MOOT_ENOTFOUND when f is not such a WAL file.  From the thread that
 * uses the connection. */
int walvfs_defer_sync(struct sqlite3_file *f, int on);

#endif
