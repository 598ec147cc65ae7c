/* Unit tests of daemon/pagecache.c: SQLite's page cache, the parked page kept aside. */
#include <stdint.h>

#include "../../daemon/pagecache.h"
#include "../../daemon/store.h"
#include "store_fix.h"
#include "test.h"

/* Articles in one transaction, their Message-IDs in scrambled order. */
#define SCRAMBLED 4001	/* a prime: i * 1999 % SCRAMBLED visits every n once */

/*
 * Message-IDs in scrambled order split pages in the middle of the
 * Message-ID index (msgids, here merged at each of four commits, so that
 * the later ones go in between), where SQLite parks a page for a moment at
 * the lock-byte page's number: the cache keeps it aside (under 0), and
 * every article is found again, in the same connection, after the commit
 * and after a reopen, the database intact.
 */
static void pagecache_parks_pages(void)
{
	struct fix f;
	char msgid[32];
	unsigned long parked0;
	int i, n, found = 0;

	if (fix_open(&f) < 0)
		goto out;
	CHECK_INT(pagecache_install(), 0);	/* store_open put it in place first */
	parked0 = pagecache_parked();
	store_tail_merge_at(f.st, 1);
	for (i = 1; i < SCRAMBLED; i++) {
		if (i % 1000 == 1)
			CHECK_INT(store_begin(f.st), 0);
		CHECK(fix_add(&f, (int)((int64_t)i * 1999 % SCRAMBLED), 1000 + i) > 0);
		if (i % 1000 == 0 || i == SCRAMBLED - 1)
			CHECK_INT(store_commit(f.st), 0);
	}
	CHECK(pagecache_parked() > parked0);
	for (n = 1; n < SCRAMBLED; n++) {
		snprintf(msgid, sizeof(msgid), "<%d@test>", n);
		found += store_msgid_seen(f.st, msgid) == 1;
	}
	CHECK_INT(found, SCRAMBLED - 1);
	if (fix_reopen(&f) == 0) {
		CHECK_INT(store_msgid_seen(f.st, "<1@test>"), 1);
		CHECK_INT(store_msgid_seen(f.st, "<4000@test>"), 1);
		CHECK_INT(store_msgid_seen(f.st, "<4001@test>"), 0);
	}
out:
	fix_close(&f);
}

void test_pagecache(void)
{
	RUN(pagecache_parks_pages);
}
