/*
 * pagecache.h: SQLite's own page cache, with one page number moved out of
 * its way (see pagecache.c).  Part of the storage layer: only store.c,
 * walvfs.c and pagecache.c include sqlite3.h.
 */
#ifndef MOOT_PAGECACHE_H
#define MOOT_PAGECACHE_H

/* Put the page cache in place for every connection of the process (once,
 * thread-safe).  It must run before SQLite initializes (before any open or
 * VFS lookup); later it is refused and SQLite's cache stays as it is.
 * 0 when in place, MOOT_ESTORE when refused. */
int pagecache_install(void);

/* How many times a page was parked at the lock-byte page's number (kept
 * under 0 instead), in every cache of the process so far. */
unsigned long pagecache_parked(void);

#endif
