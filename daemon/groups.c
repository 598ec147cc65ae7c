/*
 * groups.c: the in-memory table of newsgroups.
 *
 * Groups are few (an admin defines them in YAML) and every reader command
 * needs one, so the daemon keeps all of them in memory: a sorted array of
 * pointers, binary-searched by name.  The store's groups table is the
 * durable copy; ingest.c updates both, the store inside its transaction and
 * memory after the commit.  A group removed from the configuration is kept
 * (inactive, invisible to readers) with its articles, so re-adding it brings
 * them back.
 */
#include <stdlib.h>
#include <string.h>

#include "../proto/moot.h"
#include "mootd.h"
#include "store.h"

static int cmp_group(const void *a, const void *b)
{
	const struct group *ga = *(struct group *const *)a;
	const struct group *gb = *(struct group *const *)b;

	return strcmp(ga->name, gb->name);
}

/* Add a group to the table (keeps it sorted).  Takes nothing; copies strings. */
static struct group *add(struct mootd *d, int64_t id, const char *name, const char *desc)
{
	struct group **arr, *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->id = id;
	g->name = strdup(name);
	g->description = strdup(desc ? desc : "");
	arr = realloc(d->groups, (d->ngroups + 1) * sizeof(*arr));
	if (g->name == NULL || g->description == NULL || arr == NULL) {
		free(g->name);
		free(g->description);
		free(g);
		if (arr)
			d->groups = arr;
		return NULL;
	}
	d->groups = arr;
	d->groups[d->ngroups++] = g;
	qsort(d->groups, d->ngroups, sizeof(*d->groups), cmp_group);
	return g;
}

/* Copy one stored group into memory (first sync only). */
static int load_one(void *arg, const struct store_group *sg)
{
	struct mootd *d = arg;
	struct group *g;

	if (groups_find(d, sg->name))
		return 0;
	g = add(d, sg->id, sg->name, sg->description);
	if (g == NULL)
		return MOOT_ENOMEM;
	g->low = sg->low;
	g->high = sg->high;
	g->count = sg->count;
	g->next = sg->high + 1;
	g->created = sg->created;
	g->active = 0;	/* until the config names it */
	return 0;
}

/* Apply one configured group: upsert in the store, then in memory. */
static int sync_one(struct mootd *d, const struct config_group *cg, int64_t now)
{
	struct group *g = groups_find(d, cg->name);
	int64_t id;
	char *desc;

	if (store_group_upsert(d->store, cg->name, cg->description, now, &id) != 0)
		return MOOT_ESTORE;
	if (g == NULL) {
		g = add(d, id, cg->name, cg->description);
		if (g == NULL)
			return MOOT_ENOMEM;
		g->low = 1;
		g->high = 0;
		g->count = 0;
		g->next = 1;
		g->created = now;
	} else if (strcmp(g->description, cg->description) != 0) {
		desc = strdup(cg->description);
		if (desc == NULL)
			return MOOT_ENOMEM;
		free(g->description);
		g->description = desc;
	}
	g->posting = cg->posting;
	g->retention_days = cg->retention_days;
	g->active = 1;
	return 0;
}

int groups_sync(struct mootd *d)
{
	int64_t now = mootd_now();
	size_t i;
	int rc;

	if (d->groups == NULL && store_groups_each(d->store, load_one, d) != 0)
		return MOOT_ESTORE;
	if (store_begin(d->store) != 0)
		return MOOT_ESTORE;
	for (i = 0; i < d->cfg.ngroups; i++) {
		rc = sync_one(d, &d->cfg.groups[i], now);
		if (rc != 0)
			goto fail;
	}
	for (i = 0; i < d->ngroups; i++) {
		struct group *g = d->groups[i];
		if (config_group_find(&d->cfg, g->name))
			continue;
		if (g->active)
			log_info("group %s removed from the configuration (articles kept)", g->name);
		g->active = 0;
		if (store_group_set_status(d->store, g->id, STORE_GROUP_REMOVED) != 0) {
			rc = MOOT_ESTORE;
			goto fail;
		}
	}
	if (store_commit(d->store) != 0)
		return MOOT_ESTORE;
	return 0;
fail:
	store_rollback(d->store);
	return rc;
}

struct group *groups_find_n(struct mootd *d, const char *name, size_t len)
{
	size_t lo = 0, hi = d->ngroups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *gn = d->groups[mid]->name;
		int c = strncmp(gn, name, len);
		if (c == 0 && gn[len] != '\0')
			c = 1;
		if (c == 0)
			return d->groups[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct group *groups_find(struct mootd *d, const char *name)
{
	return groups_find_n(d, name, strlen(name));
}

struct group *groups_by_id(struct mootd *d, int64_t id)
{
	size_t i;

	for (i = 0; i < d->ngroups; i++)
		if (d->groups[i]->id == id)
			return d->groups[i];
	return NULL;
}

void groups_free(struct mootd *d)
{
	size_t i;

	for (i = 0; i < d->ngroups; i++) {
		free(d->groups[i]->name);
		free(d->groups[i]->description);
		free(d->groups[i]);
	}
	free(d->groups);
	d->groups = NULL;
	d->ngroups = 0;
}

void groups_expire(struct mootd *d)
{
	int64_t now = mootd_now(), low, count, expired;
	size_t i;

	for (i = 0; i < d->ngroups; i++) {
		struct group *g = d->groups[i];
		if (g->retention_days <= 0 || !g->active)
			continue;
		if (store_expire_group(d->store, g->id, now - (int64_t)g->retention_days * 86400,
				       &low, &count, &expired) != 0) {
			log_err("expiry of %s failed", g->name);
			continue;
		}
		g->low = low;
		g->count = count;
		if (expired)
			log_info("expired %lld articles from %s", (long long)expired, g->name);
	}
}
