/*
 * thread.c: reply trees from References (RFC 5537 §3.4.4, RFC 5536 §3.2.10).
 *
 * thread_add copies each article into its own node and indexes its
 * Message-ID in an open-addressing hash (the first article with an id owns
 * it; a later duplicate becomes a root of its own).  thread_build then picks
 * each article's parent, the rightmost id in its References present in the
 * set, breaks any cycle that choice would make (References that point at
 * the article itself or at one of its descendants), links children in date
 * order and sorts the roots by latest activity.  Every walk is iterative,
 * so a reply chain as long as the set costs no stack: depth in a pre-order
 * pass, replies and latest in the reverse pass.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/moot.h"
#include "../proto/article.h"
#include "../proto/date.h"
#include "thread.h"

/* "No node" in the index arrays of thread_build. */
#define NONE SIZE_MAX

/* Zero ts: an empty set, nothing allocated. */
void thread_set_init(struct thread_set *ts)
{
	memset(ts, 0, sizeof(*ts));
}

/* FNV-1a over s[0..len). */
static size_t hash_id(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return (size_t)h;
}

/* Index of the node owning message-id id[0..len), or NONE. */
static size_t lookup(const struct thread_set *ts, const char *id, size_t len)
{
	size_t i, s;
	const char *m;

	if (ts->index_cap == 0 || len == 0)
		return NONE;
	for (i = hash_id(id, len) & (ts->index_cap - 1);; i = (i + 1) & (ts->index_cap - 1)) {
		s = ts->index[i];
		if (s == 0)
			return NONE;
		m = ts->nodes[s - 1]->msgid;
		if (strncmp(m, id, len) == 0 && m[len] == '\0')
			return s - 1;
	}
}

/* Put node idx into a slot of index (cap slots, a power of two). */
static void place(size_t *index, size_t cap, const struct thread_set *ts, size_t idx)
{
	const char *m = ts->nodes[idx]->msgid;
	size_t i = hash_id(m, strlen(m)) & (cap - 1);

	while (index[i] != 0)
		i = (i + 1) & (cap - 1);
	index[i] = idx + 1;
}

/* Index the last added node under its msgid unless the id is empty or
 * already taken; the table stays at most half full.  0 or MOOT_ENOMEM. */
static int index_add(struct thread_set *ts, size_t idx)
{
	const char *m = ts->nodes[idx]->msgid;
	size_t cap, i, *index;

	if (m[0] == '\0' || lookup(ts, m, strlen(m)) != NONE)
		return 0;
	if ((idx + 1) * 2 > ts->index_cap) {
		cap = ts->index_cap ? ts->index_cap : 64;
		while ((idx + 1) * 2 > cap) {
			if (cap > SIZE_MAX / 2 / sizeof(*index))
				return MOOT_ENOMEM;
			cap *= 2;
		}
		index = calloc(cap, sizeof(*index));
		if (index == NULL)
			return MOOT_ENOMEM;
		for (i = 0; i < ts->index_cap; i++)
			if (ts->index[i] != 0)
				place(index, cap, ts, ts->index[i] - 1);
		free(ts->index);
		ts->index = index;
		ts->index_cap = cap;
	}
	place(ts->index, ts->index_cap, ts, idx);
	return 0;
}

/* A copy of s, "" for NULL; NULL when out of memory. */
static char *copy(const char *s)
{
	return strdup(s ? s : "");
}

/* Free one node and its strings; accepts NULL. */
static void node_free(struct thread_node *t)
{
	if (t == NULL)
		return;
	free(t->msgid);
	free(t->subject);
	free(t->from);
	free(t->date);
	free(t->refs);
	free(t);
}

/*
 * Add one article; every string is copied (NULL is taken as "").  posted is
 * parsed from date (RFC 5322 §3.3), 0 when it does not parse.  The tree
 * fields are set by thread_build.  0 or MOOT_ENOMEM (the set unchanged).
 */
int thread_add(struct thread_set *ts, int64_t number, const char *msgid, const char *subject,
	       const char *from, const char *date, const char *refs)
{
	struct thread_node *t, **nodes;
	size_t cap;

	if (ts->n == ts->cap) {
		cap = ts->cap ? ts->cap * 2 : 64;
		if (cap > SIZE_MAX / sizeof(*nodes))
			return MOOT_ENOMEM;
		nodes = realloc(ts->nodes, cap * sizeof(*nodes));
		if (nodes == NULL)
			return MOOT_ENOMEM;
		ts->nodes = nodes;
		ts->cap = cap;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return MOOT_ENOMEM;
	t->number = number;
	t->msgid = copy(msgid);
	t->subject = copy(subject);
	t->from = copy(from);
	t->date = copy(date);
	t->refs = copy(refs);
	if (!t->msgid || !t->subject || !t->from || !t->date || !t->refs)
		goto fail;
	if (date_parse_rfc5322(t->date, strlen(t->date), &t->posted) < 0)
		t->posted = 0;
	t->latest = t->posted;
	ts->nodes[ts->n] = t;
	if (index_add(ts, ts->n) < 0)
		goto fail;
	ts->n++;
	return 0;
fail:
	node_free(t);
	return MOOT_ENOMEM;
}

/* The node's parent candidate: the rightmost References id present in the
 * set, NONE for none; a duplicate msgid (not the indexed node) gets NONE. */
static size_t pick_parent(const struct thread_set *ts, size_t idx)
{
	const struct thread_node *t = ts->nodes[idx];
	size_t pos = 0, len = strlen(t->refs), id_len, j, best = NONE;
	const char *id;

	if (t->msgid[0] != '\0' && lookup(ts, t->msgid, strlen(t->msgid)) != idx)
		return NONE;
	while (article_next_msgid(t->refs, len, &pos, &id, &id_len)) {
		j = lookup(ts, id, id_len);
		if (j != NONE)
			best = j;
	}
	return best;
}

/*
 * Break every cycle in the parent graph cand[] (each node has at most one
 * parent, so each cycle is met by exactly one walk): the node added last in
 * a cycle loses its parent, as if links were made in order and the one
 * closing the cycle refused.  state[] is scratch, n entries.  O(n).
 */
static void break_cycles(size_t *cand, size_t *state, size_t n)
{
	size_t i, j, k, m;

	for (i = 0; i < n; i++)
		state[i] = 0;
	for (i = 0; i < n; i++) {
		if (state[i] != 0)
			continue;
		/* Walk stamp i + 1: nodes met on this walk only. */
		for (j = i; j != NONE && state[j] == 0; j = cand[j])
			state[j] = i + 1;
		if (j == NONE || state[j] != i + 1)
			continue;
		/* j is on a new cycle: find its newest node. */
		m = j;
		for (k = cand[j]; k != j; k = cand[k])
			if (k > m)
				m = k;
		cand[m] = NONE;
	}
}

struct sort_ent {
	struct thread_node *t;	/* the node */
	size_t idx;		/* its position in ts->nodes, the last tie-break */
};

/* Children order: posted, then number, then order added; ascending. */
static int child_cmp(const void *a, const void *b)
{
	const struct sort_ent *x = a, *y = b;

	if (x->t->posted != y->t->posted)
		return x->t->posted < y->t->posted ? -1 : 1;
	if (x->t->number != y->t->number)
		return x->t->number < y->t->number ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Root order: latest, then number, then order added; descending. */
static int root_cmp(const void *a, const void *b)
{
	const struct sort_ent *x = a, *y = b;

	if (x->t->latest != y->t->latest)
		return x->t->latest > y->t->latest ? -1 : 1;
	if (x->t->number != y->t->number)
		return x->t->number > y->t->number ? -1 : 1;
	return (x->idx < y->idx) - (x->idx > y->idx);
}

/*
 * Link parents and children, compute depth, replies and latest, and sort
 * the children and the roots (ts->roots).  May be called again after more
 * thread_add calls; it starts over.  0 or MOOT_ENOMEM (the tree is then
 * unlinked: every node a root, ts->nroots 0).
 */
int thread_build(struct thread_set *ts)
{
	struct sort_ent *ent = NULL;
	struct thread_node *t, *c, **roots = NULL, **order = NULL;
	size_t *cand = NULL, *state = NULL, i, nent = 0, nroots = 0, no;
	size_t n = ts->n;
	int rc = MOOT_ENOMEM;

	free(ts->roots);
	ts->roots = NULL;
	ts->nroots = 0;
	for (i = 0; i < n; i++) {
		t = ts->nodes[i];
		t->parent = t->child = t->next = NULL;
		t->depth = 0;
		t->replies = 0;
		t->latest = t->posted;
	}
	if (n == 0)
		return 0;
	cand = calloc(n, sizeof(*cand));
	state = calloc(n, sizeof(*state));
	ent = calloc(n, sizeof(*ent));
	roots = calloc(n, sizeof(*roots));
	order = calloc(n, sizeof(*order));
	if (!cand || !state || !ent || !roots || !order)
		goto done;

	for (i = 0; i < n; i++)
		cand[i] = pick_parent(ts, i);
	break_cycles(cand, state, n);

	/* Children lists: prepend in reverse sorted order, so each list ends up ascending. */
	for (i = 0; i < n; i++) {
		if (cand[i] == NONE) {
			roots[nroots++] = ts->nodes[i];
			continue;
		}
		ts->nodes[i]->parent = ts->nodes[cand[i]];
		ent[nent].t = ts->nodes[i];
		ent[nent].idx = i;
		nent++;
	}
	qsort(ent, nent, sizeof(*ent), child_cmp);
	for (i = nent; i-- > 0;) {
		c = ent[i].t;
		c->next = c->parent->child;
		c->parent->child = c;
	}

	/* Pre-order: a parent comes before its children, so depth flows down. */
	for (no = 0, i = 0; i < nroots; i++) {
		for (c = roots[i]; c != NULL; c = thread_walk_next(roots[i], c)) {
			assert(no < n);
			c->depth = c->parent ? c->parent->depth + 1 : 0;
			order[no++] = c;
		}
	}
	assert(no == n);
	/* Reverse pre-order: every child is done before its parent. */
	for (i = no; i-- > 0;) {
		c = order[i];
		if (c->parent == NULL)
			continue;
		c->parent->replies += c->replies + 1;
		if (c->latest > c->parent->latest)
			c->parent->latest = c->latest;
	}

	for (nent = 0, i = 0; i < n; i++) {
		if (cand[i] != NONE)
			continue;
		ent[nent].t = ts->nodes[i];
		ent[nent].idx = i;
		nent++;
	}
	qsort(ent, nent, sizeof(*ent), root_cmp);
	for (i = 0; i < nent; i++)
		roots[i] = ent[i].t;
	ts->roots = roots;
	ts->nroots = nroots;
	roots = NULL;
	rc = 0;
done:
	free(cand);
	free(state);
	free(ent);
	free(roots);
	free(order);
	return rc;
}

/* The node with msgid (the first added with it), or NULL. */
struct thread_node *thread_find(const struct thread_set *ts, const char *msgid)
{
	size_t i;

	if (msgid == NULL)
		return NULL;
	i = lookup(ts, msgid, strlen(msgid));
	return i == NONE ? NULL : ts->nodes[i];
}

/*
 * Depth-first pre-order within root's tree: cur's first child, else the
 * next sibling of cur or of its nearest ancestor below root; NULL at the
 * end.  cur NULL starts the walk (returns root).  Never leaves root's tree.
 */
struct thread_node *thread_walk_next(const struct thread_node *root, const struct thread_node *cur)
{
	if (cur == NULL)
		return (struct thread_node *)root;
	if (cur->child != NULL)
		return cur->child;
	while (cur != NULL && cur != root) {
		if (cur->next != NULL)
			return cur->next;
		cur = cur->parent;
	}
	return NULL;
}

/* The root of node's thread (node itself for a root); NULL for NULL. */
struct thread_node *thread_root(struct thread_node *node)
{
	while (node != NULL && node->parent != NULL)
		node = node->parent;
	return node;
}

/* Free every node, string and array; ts is left empty and reusable. */
void thread_set_release(struct thread_set *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		node_free(ts->nodes[i]);
	free(ts->nodes);
	free(ts->roots);
	free(ts->index);
	thread_set_init(ts);
}
