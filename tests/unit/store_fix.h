/*
 * store_fix.h: a store in a temporary directory of its own, shared by the
 * unit tests of store.c and of the modules built on it (test_store.c
 * defines these).
 */
#ifndef STORE_FIX_H
#define STORE_FIX_H

#include <stdint.h>

struct fix {
	char dir[64];		/* from mkdtemp */
	char path[96];		/* dir/moot.db */
	struct store *st;	/* open, or NULL */
	int64_t ga, gb;		/* groups "a.test" and "b.test" (fix_fill) */
};

/* Make the directory and open the store; 0 or -1 (a CHECK has failed). */
int fix_open(struct fix *f);

/* Close the store and remove its files and directory. */
void fix_close(struct fix *f);

/* Close the store, check its file (store_check) and open it again; 0, or -1
 * (a CHECK has failed). */
int fix_reopen(struct fix *f);

/* Add one article <n@test> arrived at `arrived` with a small head and body, its Xref naming
 * number n in a.test (the caller numbers it); its id or -1. */
int64_t fix_add(struct fix *f, int n, int64_t arrived);

/* fix_add with the Xref given ("host group:number ..."). */
int64_t fix_add_xref(struct fix *f, int n, int64_t arrived, const char *xref);

#endif
