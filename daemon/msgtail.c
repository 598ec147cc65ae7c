/*
 * msgtail.c: the Message-IDs of the newest articles, in memory (see
 * msgtail.h and store.c).
 *
 * The pairs sit in an array in the order they were added, their Message-IDs
 * one after the other in one buffer (no allocation per pair), and a hash
 * table of indexes into the array finds them (open addressing, linear
 * probing, at most half full).  A slot keeps the upper half of its
 * Message-ID's hash too, so a probe compares the strings only when that
 * matches: each string compared is a cache miss or two (the pair, then the
 * text), and a new Message-ID, the common lookup, probes one to three
 * slots before it finds an empty one.  Every removal keeps the order, packs
 * the buffer and rebuilds the table: removals come once per merge or
 * rollback, lookups and additions once per article.  One mutex per msgtail;
 * one more guards the list of them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/moot.h"
#include "msgtail.h"

struct msgtail {
	struct msgtail *next;		/* the list of all msgtails */
	char *key;
	int refs;
	pthread_mutex_t mu;
	struct entry {
		size_t off;		/* of the Message-ID in text */
		int64_t id;
	} *pair;			/* in the order added */
	size_t n, cap;
	char *text;			/* the Message-IDs, each with its NUL */
	size_t len, textcap;
	struct slot {
		uint32_t pair;		/* index + 1 into pair, 0: empty */
		uint32_t tag;		/* the upper half of the Message-ID's hash */
	} *slot;
	size_t nslot;			/* a power of two, or 0 */
	int64_t deleted;		/* the largest id deleted since the last merge, or 0 */
};

static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static struct msgtail *all;

/*
 * Eight bytes at a time, each word multiplied in, then MurmurHash3's
 * finalizer: a byte at a time (FNV-1a) made a chain of one multiply per
 * byte, and the ingest writer hashes about three Message-IDs per article.
 */
static uint64_t hash(const char *s)
{
	size_t n = strlen(s);
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

/* The slot of msgid, or the empty slot where it would go; *tag: msgid's.
 * nslot > 0. */
static struct slot *slot_of(struct msgtail *t, const char *msgid, uint32_t *tag)
{
	uint64_t h = hash(msgid);
	size_t i = (size_t)h & (t->nslot - 1);
	struct slot *sl;

	*tag = (uint32_t)(h >> 32);
	for (;; i = (i + 1) & (t->nslot - 1)) {
		sl = &t->slot[i];
		if (sl->pair == 0 ||
		    (sl->tag == *tag && strcmp(t->text + t->pair[sl->pair - 1].off, msgid) == 0))
			return sl;
	}
}

/* Point msgid's slot at pair i (from 0).  nslot > 0. */
static void slot_set(struct msgtail *t, const char *msgid, size_t i)
{
	uint32_t tag;
	struct slot *sl = slot_of(t, msgid, &tag);

	sl->pair = (uint32_t)(i + 1);
	sl->tag = tag;
}

/* Index every pair again in a table of nslot slots (a power of two, more
 * than twice n); the newest pair of a Message-ID wins.  0 or MOOT_ENOMEM
 * (the table is as it was). */
static int reindex(struct msgtail *t, size_t nslot)
{
	struct slot *slot = calloc(nslot, sizeof(*slot));
	size_t i;

	if (slot == NULL)
		return MOOT_ENOMEM;
	free(t->slot);
	t->slot = slot;
	t->nslot = nslot;
	for (i = 0; i < t->n; i++)
		slot_set(t, t->text + t->pair[i].off, i);
	return 0;
}

struct msgtail *msgtail_get(const char *key, int *made)
{
	struct msgtail *t;

	*made = 0;
	pthread_mutex_lock(&all_mu);
	for (t = all; t != NULL && strcmp(t->key, key) != 0; t = t->next)
		;
	if (t == NULL) {
		t = calloc(1, sizeof(*t));
		if (t != NULL && (t->key = strdup(key)) == NULL) {
			free(t);
			t = NULL;
		}
		if (t != NULL) {
			pthread_mutex_init(&t->mu, NULL);
			t->next = all;
			all = t;
			*made = 1;
		}
	}
	if (t != NULL)
		t->refs++;
	pthread_mutex_unlock(&all_mu);
	return t;
}

void msgtail_put(struct msgtail *t)
{
	struct msgtail **pp;

	if (t == NULL)
		return;
	pthread_mutex_lock(&all_mu);
	if (--t->refs > 0) {
		pthread_mutex_unlock(&all_mu);
		return;
	}
	for (pp = &all; *pp != t; pp = &(*pp)->next)
		;
	*pp = t->next;
	pthread_mutex_unlock(&all_mu);
	free(t->pair);
	free(t->text);
	free(t->slot);
	free(t->key);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

int64_t msgtail_find(struct msgtail *t, const char *msgid)
{
	int64_t id = 0;
	uint32_t s, tag;

	pthread_mutex_lock(&t->mu);
	if (t->nslot > 0 && (s = slot_of(t, msgid, &tag)->pair) != 0)
		id = t->pair[s - 1].id;
	pthread_mutex_unlock(&t->mu);
	return id;
}

/* Room for one more pair with a Message-ID of len bytes (NUL included);
 * 0 or MOOT_ENOMEM. */
static int room(struct msgtail *t, size_t len)
{
	if (t->n >= UINT32_MAX - 1)
		return MOOT_ENOMEM;	/* a slot holds a 32-bit index */
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct entry *p = realloc(t->pair, cap * sizeof(*p));
		if (p == NULL)
			return MOOT_ENOMEM;
		t->pair = p;
		t->cap = cap;
	}
	if (t->len + len > t->textcap) {
		size_t cap = t->textcap ? t->textcap : 64 * 1024;
		char *p;
		while (cap < t->len + len)
			cap *= 2;
		if ((p = realloc(t->text, cap)) == NULL)
			return MOOT_ENOMEM;
		t->text = p;
		t->textcap = cap;
	}
	if (2 * (t->n + 1) > t->nslot)
		return reindex(t, t->nslot ? t->nslot * 2 : 2048);
	return 0;
}

int msgtail_add(struct msgtail *t, const char *msgid, int64_t id)
{
	size_t len = strlen(msgid) + 1;
	int rc;

	pthread_mutex_lock(&t->mu);
	rc = room(t, len);
	if (rc == 0) {
		memcpy(t->text + t->len, msgid, len);
		t->pair[t->n].off = t->len;
		t->pair[t->n].id = id;
		t->len += len;
		t->n++;
		slot_set(t, msgid, t->n - 1);
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

size_t msgtail_count(struct msgtail *t)
{
	size_t n;

	pthread_mutex_lock(&t->mu);
	n = t->n;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* Keep the pairs for which keep() holds, in order, their Message-IDs packed
 * (each moves down, never up), and index them again. */
static void filter(struct msgtail *t, int (*keep)(size_t i, const struct entry *p, int64_t arg),
		   int64_t arg)
{
	size_t i, n = 0, len = 0;

	for (i = 0; i < t->n; i++) {
		if (keep(i, &t->pair[i], arg)) {
			size_t l = strlen(t->text + t->pair[i].off) + 1;
			memmove(t->text + len, t->text + t->pair[i].off, l);
			t->pair[n].off = len;
			t->pair[n++].id = t->pair[i].id;
			len += l;
		}
	}
	t->n = n;
	t->len = len;
	/* The table only shrinks here: reindexing in it needs no memory. */
	memset(t->slot, 0, t->nslot * sizeof(*t->slot));
	for (i = 0; i < t->n; i++)
		slot_set(t, t->text + t->pair[i].off, i);
}

static int before(size_t i, const struct entry *p, int64_t n)
{
	(void)p;
	return (int64_t)i < n;
}

static int newer(size_t i, const struct entry *p, int64_t upto)
{
	(void)i;
	return p->id > upto;
}

void msgtail_truncate(struct msgtail *t, size_t n)
{
	pthread_mutex_lock(&t->mu);
	if (n < t->n)
		filter(t, before, (int64_t)n);
	pthread_mutex_unlock(&t->mu);
}

void msgtail_drop_upto(struct msgtail *t, int64_t upto)
{
	pthread_mutex_lock(&t->mu);
	if (t->n > 0)
		filter(t, newer, upto);
	t->deleted = 0;
	pthread_mutex_unlock(&t->mu);
}

void msgtail_deleted(struct msgtail *t, int64_t id)
{
	pthread_mutex_lock(&t->mu);
	if (id > t->deleted)
		t->deleted = id;
	pthread_mutex_unlock(&t->mu);
}

int msgtail_stale(struct msgtail *t)
{
	size_t i;
	int stale = 0;

	pthread_mutex_lock(&t->mu);
	/* Ids grow in the order pairs are added, mostly: look at them all. */
	for (i = 0; t->deleted > 0 && i < t->n && !stale; i++)
		stale = t->pair[i].id <= t->deleted;
	pthread_mutex_unlock(&t->mu);
	return stale;
}

static int by_msgid(const void *a, const void *b)
{
	return strcmp(((const struct msgtail_pair *)a)->msgid, ((const struct msgtail_pair *)b)->msgid);
}

/* The copy: the pairs, then the Message-IDs they point into, one block. */
int msgtail_copy(struct msgtail *t, struct msgtail_pair **out, size_t *n)
{
	struct msgtail_pair *p;
	char *text;
	size_t i;

	pthread_mutex_lock(&t->mu);
	p = malloc(t->n * sizeof(*p) + t->len + 1);
	if (p != NULL) {
		text = (char *)(p + t->n);
		memcpy(text, t->text ? t->text : "", t->len);
		for (i = 0; i < t->n; i++) {
			p[i].msgid = text + t->pair[i].off;
			p[i].id = t->pair[i].id;
		}
		*n = t->n;
	}
	pthread_mutex_unlock(&t->mu);
	if (p == NULL)
		return MOOT_ENOMEM;
	qsort(p, *n, sizeof(*p), by_msgid);
	*out = p;
	return 0;
}

void msgtail_free_copy(struct msgtail_pair *p, size_t n)
{
	(void)n;
	free(p);
}
