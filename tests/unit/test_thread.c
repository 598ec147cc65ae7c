/* Unit tests for client/thread.c: parents from References, missing
 * ancestors, root and child order, cycles, duplicates, deep chains, walks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "../../proto/moot.h"
#include "../../client/thread.h"

/* A Date header for minute m of one day (RFC 5322 §3.3). */
static const char *at(int m)
{
	static char d[8][64];
	static int k;
	char *p = d[k++ % 8];

	snprintf(p, 64, "Tue, 25 Nov 2025 %02d:%02d:00 +0000", m / 60, m % 60);
	return p;
}

/* Epoch seconds of at(m): 2025-11-25 00:00 UTC is 1764028800. */
static int64_t t_at(int m)
{
	return 1764028800 + (int64_t)m * 60;
}

/* Add an article with a Date at minute m. */
static int add(struct thread_set *ts, int64_t num, const char *id, int m, const char *refs)
{
	return thread_add(ts, num, id, "subject", "a@example.org", at(m), refs);
}

/* The msgids of root's tree in walk order, joined by spaces, into out. */
static const char *walk(const struct thread_node *root)
{
	static char out[1024];
	const struct thread_node *c;
	size_t len = 0;

	out[0] = '\0';
	for (c = root; c != NULL && len < sizeof(out) - 64; c = thread_walk_next(root, c))
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", len ? " " : "", c->msgid);
	return out;
}

/* The msgids of the roots in order, joined by spaces. */
static const char *root_list(const struct thread_set *ts)
{
	static char out[1024];
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < ts->nroots && len < sizeof(out) - 64; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? " " : "",
					ts->roots[i]->msgid);
	return out;
}

/* A small tree: children by date, depth, replies, latest, find, root. */
static void simple_tree(void)
{
	struct thread_set ts;
	struct thread_node *a, *b, *c, *d;

	thread_set_init(&ts);
	CHECK_INT(add(&ts, 1, "<a@x>", 0, NULL), 0);
	CHECK_INT(add(&ts, 2, "<b@x>", 30, "<a@x>"), 0);
	CHECK_INT(add(&ts, 3, "<c@x>", 10, "<a@x>"), 0);
	CHECK_INT(add(&ts, 4, "<d@x>", 40, "<a@x> <b@x>"), 0);
	CHECK_INT(thread_build(&ts), 0);
	a = thread_find(&ts, "<a@x>");
	b = thread_find(&ts, "<b@x>");
	c = thread_find(&ts, "<c@x>");
	d = thread_find(&ts, "<d@x>");
	CHECK(a && b && c && d);
	if (!(a && b && c && d))
		goto out;
	CHECK_INT(ts.nroots, 1);
	CHECK(ts.roots[0] == a);
	CHECK(a->parent == NULL && b->parent == a && c->parent == a && d->parent == b);
	CHECK(a->child == c && c->next == b && b->next == NULL);	/* by date, not number */
	CHECK(b->child == d);
	CHECK_INT(a->depth, 0);
	CHECK_INT(c->depth, 1);
	CHECK_INT(d->depth, 2);
	CHECK_INT(a->replies, 3);
	CHECK_INT(b->replies, 1);
	CHECK_INT(d->replies, 0);
	CHECK_INT(a->posted, t_at(0));
	CHECK_INT(a->latest, t_at(40));
	CHECK_INT(c->latest, t_at(10));
	CHECK(thread_root(d) == a);
	CHECK(thread_root(a) == a);
	CHECK(thread_root(NULL) == NULL);
	CHECK(thread_find(&ts, "<nope@x>") == NULL);
	CHECK(thread_find(&ts, "<a@x") == NULL);
	CHECK(thread_find(&ts, NULL) == NULL);
	CHECK_STR(d->subject, "subject");
	CHECK_STR(d->refs, "<a@x> <b@x>");
	CHECK_STR(a->refs, "");		/* NULL refs copied as "" */
out:
	thread_set_release(&ts);
	CHECK(ts.n == 0 && ts.nodes == NULL && ts.roots == NULL);
}

/* The parent is missing but the grandparent is present: attach to it.
 * The rightmost present id wins, wherever it stands. */
static void missing_parent(void)
{
	struct thread_set ts;
	struct thread_node *a, *r, *s;

	thread_set_init(&ts);
	CHECK_INT(add(&ts, 1, "<a@x>", 0, NULL), 0);
	CHECK_INT(add(&ts, 3, "<r@x>", 20, "<a@x> <gone@x>"), 0);
	CHECK_INT(add(&ts, 4, "<s@x>", 30, "<gone2@x> <a@x> <gone3@x> (comment <c@x>) <x@x>"), 0);
	CHECK_INT(thread_build(&ts), 0);
	a = thread_find(&ts, "<a@x>");
	r = thread_find(&ts, "<r@x>");
	s = thread_find(&ts, "<s@x>");
	CHECK(a && r && s);
	if (a && r && s) {
		CHECK(r->parent == a);
		CHECK(s->parent == a);
		CHECK_INT(r->depth, 1);
		CHECK_INT(a->replies, 2);
	}
	CHECK_INT(ts.nroots, 1);
	thread_set_release(&ts);
}

/* No referenced article present, empty or malformed References: roots. */
static void missing_all_refs(void)
{
	struct thread_set ts;
	size_t i;

	thread_set_init(&ts);
	CHECK_INT(add(&ts, 1, "<a@x>", 0, "<gone1@x> <gone2@x>"), 0);
	CHECK_INT(add(&ts, 2, "<b@x>", 1, ""), 0);
	CHECK_INT(add(&ts, 3, "<c@x>", 2, "garbage <unterminated"), 0);
	CHECK_INT(thread_build(&ts), 0);
	CHECK_INT(ts.nroots, 3);
	for (i = 0; i < ts.n; i++) {
		CHECK(ts.nodes[i]->parent == NULL);
		CHECK_INT(ts.nodes[i]->depth, 0);
		CHECK_INT(ts.nodes[i]->replies, 0);
	}
	CHECK_STR(root_list(&ts), "<c@x> <b@x> <a@x>");
	thread_set_release(&ts);
}

/* Roots by latest activity in the thread, newest first; ties by number,
 * highest first; an unparseable date counts as 0. */
static void root_order(void)
{
	struct thread_set ts;

	thread_set_init(&ts);
	CHECK_INT(add(&ts, 1, "<old@x>", 0, NULL), 0);
	CHECK_INT(add(&ts, 2, "<new@x>", 50, NULL), 0);
	CHECK_INT(add(&ts, 3, "<reply@x>", 90, "<old@x>"), 0);	/* revives old */
	CHECK_INT(add(&ts, 4, "<tie4@x>", 20, NULL), 0);
	CHECK_INT(add(&ts, 5, "<tie5@x>", 20, NULL), 0);
	CHECK_INT(thread_add(&ts, 6, "<nodate@x>", "s", "f", "not a date", NULL), 0);
	CHECK_INT(thread_add(&ts, 7, "<nulls@x>", NULL, NULL, NULL, NULL), 0);
	CHECK_INT(thread_build(&ts), 0);
	CHECK_STR(root_list(&ts), "<old@x> <new@x> <tie5@x> <tie4@x> <nulls@x> <nodate@x>");
	CHECK_INT(thread_find(&ts, "<nodate@x>")->posted, 0);
	CHECK_INT(thread_find(&ts, "<old@x>")->latest, t_at(90));
	thread_set_release(&ts);
}

/* References that make a loop: no cycle is created, the article closing it
 * (added last) becomes a root; self-references make a root too. */
static void cycles(void)
{
	struct thread_set ts;
	struct thread_node *a, *b, *c, *s, *t;

	thread_set_init(&ts);
	CHECK_INT(add(&ts, 1, "<a@x>", 0, "<c@x>"), 0);
	CHECK_INT(add(&ts, 2, "<b@x>", 1, "<a@x>"), 0);
	CHECK_INT(add(&ts, 3, "<c@x>", 2, "<b@x>"), 0);
	CHECK_INT(add(&ts, 4, "<s@x>", 3, "<s@x>"), 0);
	CHECK_INT(add(&ts, 5, "<t@x>", 4, "<a@x> <t@x>"), 0);	/* rightmost present is itself */
	CHECK_INT(thread_build(&ts), 0);
	a = thread_find(&ts, "<a@x>");
	b = thread_find(&ts, "<b@x>");
	c = thread_find(&ts, "<c@x>");
	s = thread_find(&ts, "<s@x>");
	t = thread_find(&ts, "<t@x>");
	CHECK(a && b && c && s && t);
	if (!(a && b && c && s && t))
		goto out;
	CHECK(c->parent == NULL);
	CHECK(a->parent == c && b->parent == a);
	CHECK_INT(c->replies, 2);
	CHECK_INT(b->depth, 2);
	CHECK(s->parent == NULL && s->child == NULL);
	CHECK(t->parent == NULL && t->child == NULL);
	CHECK_INT(ts.nroots, 3);
	CHECK_STR(walk(c), "<c@x> <a@x> <b@x>");
	CHECK_STR(walk(s), "<s@x>");
	/* Two articles naming each other. */
	thread_set_release(&ts);
	CHECK_INT(add(&ts, 1, "<p@x>", 0, "<q@x>"), 0);
	CHECK_INT(add(&ts, 2, "<q@x>", 1, "<p@x>"), 0);
	CHECK_INT(thread_build(&ts), 0);
	CHECK_INT(ts.nroots, 1);
	CHECK_STR(walk(ts.roots[0]), "<q@x> <p@x>");
out:
	thread_set_release(&ts);
}

/* A second article with the same msgid is a root of its own, unlinked;
 * replies attach to the first. */
static void duplicate_msgid(void)
{
	struct thread_set ts;
	struct thread_node *first, *dup, *r;

	thread_set_init(&ts);
	CHECK_INT(add(&ts, 1, "<top@x>", 0, NULL), 0);
	CHECK_INT(add(&ts, 2, "<d@x>", 1, "<top@x>"), 0);
	CHECK_INT(add(&ts, 3, "<d@x>", 2, "<top@x>"), 0);
	CHECK_INT(add(&ts, 4, "<r@x>", 3, "<d@x>"), 0);
	CHECK_INT(thread_build(&ts), 0);
	first = ts.nodes[1];
	dup = ts.nodes[2];
	r = ts.nodes[3];
	CHECK(thread_find(&ts, "<d@x>") == first);
	CHECK(first->parent == ts.nodes[0]);
	CHECK(dup->parent == NULL && dup->child == NULL);
	CHECK(r->parent == first);
	CHECK_INT(ts.nroots, 2);
	CHECK_INT(ts.nodes[0]->replies, 2);
	CHECK_INT(dup->replies, 0);
	thread_set_release(&ts);
}

/* A 10,000-long reply chain, added out of order: no recursion, exact depth
 * and replies, and the walk visits every article once, in chain order. */
static void deep_chain(void)
{
	enum { N = 10000 };
	struct thread_set ts;
	struct thread_node *c, *last;
	char id[64], refs[128];
	size_t i, k, seen;
	int ok = 1;

	thread_set_init(&ts);
	for (k = 0; k < N; k++) {
		i = (k * 7919) % N;	/* a permutation: 7919 is prime, N is not a multiple */
		snprintf(id, sizeof(id), "<%zu@chain>", i);
		if (i == 0)
			refs[0] = '\0';
		else
			snprintf(refs, sizeof(refs), "<0@chain> <%zu@chain>", i - 1);
		if (add(&ts, (int64_t)i + 1, id, (int)(i % 1000), refs) < 0)
			ok = 0;
	}
	CHECK(ok);
	CHECK_INT(thread_build(&ts), 0);
	CHECK_INT(ts.nroots, 1);
	last = thread_find(&ts, "<9999@chain>");
	CHECK(last != NULL);
	if (last == NULL)
		goto out;
	CHECK_INT(last->depth, N - 1);
	CHECK(thread_root(last) == ts.roots[0]);
	CHECK_STR(ts.roots[0]->msgid, "<0@chain>");
	CHECK_INT(ts.roots[0]->replies, N - 1);
	CHECK_INT(ts.roots[0]->latest, t_at(999));
	seen = 0;
	for (c = ts.roots[0]; c != NULL; c = thread_walk_next(ts.roots[0], c)) {
		snprintf(id, sizeof(id), "<%zu@chain>", seen);
		if (strcmp(c->msgid, id) != 0 || c->depth != (int)seen)
			ok = 0;
		seen++;
	}
	CHECK(ok);
	CHECK_INT(seen, N);
out:
	thread_set_release(&ts);
}

/* thread_walk_next is a depth-first pre-order that stays in its subtree. */
static void walk_order(void)
{
	struct thread_set ts;
	struct thread_node *b;

	thread_set_init(&ts);
	CHECK_INT(add(&ts, 1, "<a@x>", 0, NULL), 0);
	CHECK_INT(add(&ts, 2, "<b@x>", 1, "<a@x>"), 0);
	CHECK_INT(add(&ts, 3, "<c@x>", 2, "<a@x>"), 0);
	CHECK_INT(add(&ts, 4, "<b1@x>", 3, "<a@x> <b@x>"), 0);
	CHECK_INT(add(&ts, 5, "<b2@x>", 4, "<a@x> <b@x>"), 0);
	CHECK_INT(add(&ts, 6, "<b1a@x>", 5, "<a@x> <b@x> <b1@x>"), 0);
	CHECK_INT(add(&ts, 7, "<c1@x>", 6, "<a@x> <c@x>"), 0);
	CHECK_INT(add(&ts, 8, "<z@x>", 1, NULL), 0);
	CHECK_INT(thread_build(&ts), 0);
	CHECK_STR(root_list(&ts), "<a@x> <z@x>");
	CHECK_STR(walk(ts.roots[0]), "<a@x> <b@x> <b1@x> <b1a@x> <b2@x> <c@x> <c1@x>");
	CHECK_STR(walk(ts.roots[1]), "<z@x>");
	b = thread_find(&ts, "<b@x>");
	CHECK_STR(walk(b), "<b@x> <b1@x> <b1a@x> <b2@x>");	/* a subtree walk stops at its end */
	CHECK(thread_walk_next(ts.roots[0], NULL) == ts.roots[0]);
	/* Building again gives the same tree; an article added later joins it. */
	CHECK_INT(add(&ts, 9, "<b3@x>", 7, "<b@x>"), 0);
	CHECK_INT(thread_build(&ts), 0);
	CHECK_STR(walk(ts.roots[0]), "<a@x> <b@x> <b1@x> <b1a@x> <b2@x> <b3@x> <c@x> <c1@x>");
	CHECK_INT(ts.roots[0]->replies, 7);
	thread_set_release(&ts);
	/* An empty set builds to no roots. */
	CHECK_INT(thread_build(&ts), 0);
	CHECK_INT(ts.nroots, 0);
	thread_set_release(&ts);
}

void test_thread(void)
{
	RUN(simple_tree);
	RUN(missing_parent);
	RUN(missing_all_refs);
	RUN(root_order);
	RUN(cycles);
	RUN(duplicate_msgid);
	RUN(deep_chain);
	RUN(walk_order);
}
