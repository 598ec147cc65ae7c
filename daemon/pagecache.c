/*
 * pagecache.c: SQLite's own page cache (pcache1), with one page number
 * moved out of its way.
 *
 * When SQLite splits a B-tree page in the middle of an index (a new
 * Message-ID among the others), it gives the new pages ascending numbers
 * by swapping two of them: one is parked for a moment at the page number
 * of the lock-byte page (1 GiB / page size + 1, 262,145 with 4 KiB pages),
 * which never holds data.  pcache1 remembers the largest page number it
 * was ever given, and at the end of every write transaction drops the
 * pages above the database's size: when that largest number is far above
 * the size, it walks its whole hash table, every slot and every page, to
 * find none.  With a 32 MiB cache that walk was 4-5 % of the ingest
 * writer's time (perf), after any commit that split an index page.
 *
 * Here the parked page is kept under page number 0, which SQLite never
 * uses, so the largest number stays the database's own.  Everything else
 * goes to pcache1 unchanged.  The page is parked and moved on within one
 * call of SQLite's (balance_nonroot), so no truncation ever sees it.
 */
#include <pthread.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "../proto/moot.h"
#include "pagecache.h"

/* SQLite's PENDING_BYTE: the lock-byte page holds the byte at 1 GiB. */
#define LOCK_BYTE 0x40000000u

/* Where the parked page is kept instead. */
#define PARKED 0u

struct cache {
	sqlite3_pcache *base;	/* pcache1's cache, owned */
	unsigned lock_page;	/* the lock-byte page's number at this page size */
};

static sqlite3_pcache_methods2 base;	/* pcache1, as SQLite had it */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int installed;			/* ours is in place */
static unsigned long parked;		/* pages parked so far (atomic; tests read it) */

/* The key pcache1 keeps a page number under. */
static unsigned key_of(const struct cache *c, unsigned key)
{
	return key == c->lock_page ? PARKED : key;
}

static int pc_init(void *arg)
{
	(void)arg;
	return base.xInit(base.pArg);
}

static void pc_shutdown(void *arg)
{
	(void)arg;
	if (base.xShutdown)
		base.xShutdown(base.pArg);
}

static sqlite3_pcache *pc_create(int page_size, int extra, int purgeable)
{
	struct cache *c = malloc(sizeof(*c));

	if (c == NULL)
		return NULL;
	c->base = base.xCreate(page_size, extra, purgeable);
	if (c->base == NULL) {
		free(c);
		return NULL;
	}
	c->lock_page = page_size > 0 ? LOCK_BYTE / (unsigned)page_size + 1 : 0;
	return (sqlite3_pcache *)c;
}

static void pc_cachesize(sqlite3_pcache *p, int n)
{
	base.xCachesize(((struct cache *)p)->base, n);
}

static int pc_pagecount(sqlite3_pcache *p)
{
	return base.xPagecount(((struct cache *)p)->base);
}

static sqlite3_pcache_page *pc_fetch(sqlite3_pcache *p, unsigned key, int create)
{
	struct cache *c = (struct cache *)p;

	return base.xFetch(c->base, key_of(c, key), create);
}

static void pc_unpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard)
{
	base.xUnpin(((struct cache *)p)->base, page, discard);
}

static void pc_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned from, unsigned to)
{
	struct cache *c = (struct cache *)p;

	if (to == c->lock_page)
		__atomic_add_fetch(&parked, 1, __ATOMIC_RELAXED);
	base.xRekey(c->base, page, key_of(c, from), key_of(c, to));
}

static void pc_truncate(sqlite3_pcache *p, unsigned limit)
{
	base.xTruncate(((struct cache *)p)->base, limit);
}

static void pc_destroy(sqlite3_pcache *p)
{
	struct cache *c = (struct cache *)p;

	base.xDestroy(c->base);
	free(c);
}

static void pc_shrink(sqlite3_pcache *p)
{
	if (base.xShrink)
		base.xShrink(((struct cache *)p)->base);
}

static void do_install(void)
{
	static const sqlite3_pcache_methods2 ours = {
		.iVersion = 1,
		.xInit = pc_init,
		.xShutdown = pc_shutdown,
		.xCreate = pc_create,
		.xCachesize = pc_cachesize,
		.xPagecount = pc_pagecount,
		.xFetch = pc_fetch,
		.xUnpin = pc_unpin,
		.xRekey = pc_rekey,
		.xTruncate = pc_truncate,
		.xDestroy = pc_destroy,
		.xShrink = pc_shrink,
	};

	/* Both refused (SQLITE_MISUSE) once SQLite is initialized. */
	if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base) != SQLITE_OK || base.xCreate == NULL)
		return;
	installed = sqlite3_config(SQLITE_CONFIG_PCACHE2, &ours) == SQLITE_OK;
}

int pagecache_install(void)
{
	pthread_once(&once, do_install);
	return installed ? 0 : MOOT_ESTORE;
}

unsigned long pagecache_parked(void)
{
	return __atomic_load_n(&parked, __ATOMIC_RELAXED);
}
