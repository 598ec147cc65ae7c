/* Unit tests of daemon/msgtail.c: the newest Message-IDs in memory. */
#include <stdint.h>
#include <stdio.h>

#include "../../daemon/msgtail.h"
#include "../../proto/moot.h"
#include "test.h"

/* Pairs "<i@t>" with id i for i in [from, to]. */
static void add_range(struct msgtail *t, int from, int to)
{
	char m[32];
	int i;

	for (i = from; i <= to; i++) {
		snprintf(m, sizeof(m), "<%d@t>", i);
		CHECK_INT(msgtail_add(t, m, i), 0);
	}
}

/* msgtail_find of "<i@t>". */
static int64_t find(struct msgtail *t, int i)
{
	char m[32];

	snprintf(m, sizeof(m), "<%d@t>", i);
	return msgtail_find(t, m);
}

/*
 * Pairs are found by Message-ID (the newest of two wins), also past the
 * table's growth; truncation forgets the newest ones, drop_upto the oldest
 * ids, both keeping the others findable.
 */
static void msgtail_find_and_forget(void)
{
	int made = 0, i, ok = 1;
	struct msgtail *t = msgtail_get("/test/one", &made);

	CHECK(t != NULL && made);
	if (t == NULL)
		return;
	add_range(t, 1, 5000);	/* past the first table of 2,048 slots */
	CHECK_INT((int)msgtail_count(t), 5000);
	for (i = 1; i <= 5000; i++)
		ok &= find(t, i) == i;
	CHECK(ok);
	CHECK(msgtail_find(t, "<0@t>") == 0);
	CHECK_INT(msgtail_add(t, "<7@t>", 9000), 0);	/* a second pair for one ID */
	CHECK(find(t, 7) == 9000);
	msgtail_truncate(t, 4000);	/* <4001@t>.. and the second <7@t> */
	CHECK_INT((int)msgtail_count(t), 4000);
	CHECK(find(t, 7) == 7);
	CHECK(find(t, 4000) == 4000);
	CHECK(find(t, 4001) == 0);
	msgtail_drop_upto(t, 3000);
	CHECK_INT((int)msgtail_count(t), 1000);
	CHECK(find(t, 3000) == 0);
	CHECK(find(t, 3001) == 3001);
	CHECK(find(t, 4000) == 4000);
	add_range(t, 4001, 4002);	/* the packed buffer takes more */
	CHECK(find(t, 4002) == 4002);
	CHECK(find(t, 3500) == 3500);
	msgtail_put(t);
}

/* One msgtail per key, counted; the copy is sorted by Message-ID. */
static void msgtail_shared_and_sorted(void)
{
	int made = 0;
	struct msgtail *a = msgtail_get("/test/two", &made), *b, *c;
	struct msgtail_pair *p = NULL;
	size_t n = 0, i;
	int sorted = 1;

	CHECK(a != NULL && made);
	b = msgtail_get("/test/two", &made);
	CHECK(b == a && !made);
	c = msgtail_get("/test/three", &made);
	CHECK(c != NULL && c != a && made);
	if (a == NULL || c == NULL)
		goto out;
	CHECK_INT(msgtail_add(a, "<b@t>", 1), 0);
	CHECK_INT(msgtail_add(a, "<c@t>", 2), 0);
	CHECK_INT(msgtail_add(a, "<a@t>", 3), 0);
	CHECK(msgtail_find(c, "<a@t>") == 0);
	CHECK_INT(msgtail_copy(a, &p, &n), 0);
	CHECK_INT((int)n, 3);
	for (i = 1; p != NULL && i < n; i++)
		sorted &= strcmp(p[i - 1].msgid, p[i].msgid) < 0;
	CHECK(sorted);
	if (p != NULL && n == 3)
		CHECK(p[0].id == 3 && p[2].id == 2);
	msgtail_free_copy(p, n);
	msgtail_put(b);	/* a still holds it */
	CHECK(msgtail_find(a, "<c@t>") == 2);
out:
	msgtail_put(a);
	msgtail_put(c);
	/* Gone with its last reference: the key starts empty again. */
	a = msgtail_get("/test/two", &made);
	CHECK(a != NULL && made);
	if (a != NULL)
		CHECK_INT((int)msgtail_count(a), 0);
	msgtail_put(a);
}

/* A deletion makes the pairs up to its id suspect until the next merge. */
static void msgtail_stale_after_delete(void)
{
	int made = 0;
	struct msgtail *t = msgtail_get("/test/four", &made);

	if (t == NULL) {
		CHECK(t != NULL);
		return;
	}
	add_range(t, 10, 20);
	CHECK(!msgtail_stale(t));
	msgtail_deleted(t, 5);	/* older than every pair */
	CHECK(!msgtail_stale(t));
	msgtail_deleted(t, 15);
	CHECK(msgtail_stale(t));
	msgtail_drop_upto(t, 20);	/* merged */
	CHECK(!msgtail_stale(t));
	msgtail_put(t);
}

void test_msgtail(void)
{
	RUN(msgtail_find_and_forget);
	RUN(msgtail_shared_and_sorted);
	RUN(msgtail_stale_after_delete);
}
