/*
 * msgtail.h: the Message-IDs of the newest articles, in memory.
 *
 * The articles' Message-ID index (the msgids table) takes new IDs in
 * sorted batches (store.c, "Message-IDs since the last merge"); until
 * then an article's ID is only here.  One msgtail is shared by every
 * connection of the process to the same database, found by its key (the
 * database's path), and is safe to use from several threads.  It holds
 * pairs (Message-ID, article id) in the order they were added; a pair may
 * name an article that is gone or was rolled back, so a caller checks a
 * pair against the articles table before trusting it.
 */
#ifndef MOOT_MSGTAIL_H
#define MOOT_MSGTAIL_H

#include <stddef.h>
#include <stdint.h>

struct msgtail;

struct msgtail_pair {
	char *msgid;
	int64_t id;
};

/* The msgtail of key, made empty if there is none (*made set to 1: the
 * caller fills it), with one more reference; NULL when out of memory. */
struct msgtail *msgtail_get(const char *key, int *made);

/* Drop one reference; the last frees it.  NULL: nothing. */
void msgtail_put(struct msgtail *t);

/* The article id of the newest pair with msgid, or 0. */
int64_t msgtail_find(struct msgtail *t, const char *msgid);

/* Add a pair; 0 or MOOT_ENOMEM (nothing added). */
int msgtail_add(struct msgtail *t, const char *msgid, int64_t id);

/* Pairs held. */
size_t msgtail_count(struct msgtail *t);

/* Forget every pair added after the first n. */
void msgtail_truncate(struct msgtail *t, size_t n);

/* Forget every pair whose article id is at most upto, and every deletion
 * noted before (a merge is done). */
void msgtail_drop_upto(struct msgtail *t, int64_t upto);

/* Note that article id is being deleted; msgtail_stale says whether a pair
 * may name a deleted article since. */
void msgtail_deleted(struct msgtail *t, int64_t id);
int msgtail_stale(struct msgtail *t);

/* A copy of the pairs, sorted by Message-ID, into *out (*n of them; free
 * with msgtail_free_copy); 0 or MOOT_ENOMEM. */
int msgtail_copy(struct msgtail *t, struct msgtail_pair **out, size_t *n);
void msgtail_free_copy(struct msgtail_pair *p, size_t n);

#endif
