/*
 * thread.h: threads from References (RFC 5537 §3.4.4), as a tree.  The
 * parent of an article is the last message-id in its References that is
 * present in the set; when none is, the article is a root (its thread's
 * start may have expired).  Roots are ordered by latest activity in their
 * thread, newest first; children by date, oldest first.
 */
#ifndef THREAD_H
#define THREAD_H

#include <stdint.h>
#include <stddef.h>

struct thread_node {
	int64_t number;			/* article number in the group */
	char *msgid, *subject, *from, *date, *refs;	/* owned copies */
	int64_t posted;			/* parsed Date, epoch seconds (0 if unparseable) */
	int read;			/* set by the caller from .newsrc */
	int depth;			/* 0 for roots */
	struct thread_node *parent;
	struct thread_node *child;	/* first child */
	struct thread_node *next;	/* next sibling */
	size_t replies;			/* articles below this one */
	int64_t latest;			/* newest posted in this subtree */
};

struct thread_set {
	struct thread_node **nodes;	/* every article, in the order added */
	size_t n, cap;
	struct thread_node **roots;	/* after thread_build: sorted roots */
	size_t nroots;
	size_t *index;			/* msgid hash of node index + 1 (0 empty); first added wins */
	size_t index_cap;		/* slots in index: 0 or a power of two */
};

void thread_set_init(struct thread_set *ts);

/* Add one article (strings copied); 0 or MOOT_ENOMEM. */
int thread_add(struct thread_set *ts, int64_t number, const char *msgid, const char *subject,
	       const char *from, const char *date, const char *refs);

/* Link parents and children, compute depth/replies/latest, sort. */
int thread_build(struct thread_set *ts);

/* The node with msgid, or NULL. */
struct thread_node *thread_find(const struct thread_set *ts, const char *msgid);

/* Depth-first walk of one thread in display order: the next node after cur
 * within root's tree, or NULL at the end. */
struct thread_node *thread_walk_next(const struct thread_node *root, const struct thread_node *cur);

/* The root of the thread containing node. */
struct thread_node *thread_root(struct thread_node *node);

void thread_set_release(struct thread_set *ts);

#endif
