/*
 * walvfs.h: a SQLite VFS over the default one that writes each commit's WAL
 * frames with one system call instead of two per frame (see walvfs.c).
 * Part of the storage layer: only store.c and walvfs.c include sqlite3.h.
 */
#ifndef MOOT_WALVFS_H
#define MOOT_WALVFS_H

#include <stdint.h>

#define WALVFS_NAME "moot-wal"

/* Register the VFS named WALVFS_NAME (once per process, thread-safe);
 * 0 or MOOT_ESTORE. */
int walvfs_register(void);

/* Counters of a WAL file opened through the VFS (f: its sqlite3_file, as
 * SQLITE_FCNTL_JOURNAL_POINTER gives it): writes SQLite asked for and writes
 * made to the file.  0, or MOOT_ENOTFOUND when f is not such a WAL file.
 * Read from the thread that uses the connection. */
struct sqlite3_file;
int walvfs_counts(struct sqlite3_file *f, uint64_t *asked, uint64_t *made);

#endif
