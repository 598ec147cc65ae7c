/*
 * stats-bench.c: how long store_stats takes on a big store (issue 6: under
 * 100 ms on 1,000,000 articles).
 *
 * Fills a fresh store with N articles (default 1,000,000) arriving evenly
 * over a year in 10 groups, through the same calls ingest makes
 * (store_article_add, store_number_add, store_stats_record per group), in
 * transactions of 50,000.  One article in five starts a thread (~200,000
 * threads); a reply goes to one of the 300 most recent threads, skewed
 * towards the newest, so some threads are busy and some never answered;
 * one in twenty is crossposted to a second group.  20,000 posters, a few
 * of them writing most of the posts.  Then it times store_stats for a
 * 30-day window over all groups and over one group, and a 365-day window
 * over all groups (the worst case), each cold once and then best of five,
 * in wall-clock and CPU time (a loaded machine inflates only the former).
 *
 * Build and run (from the top of the tree):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -o /tmp/stats-bench bench/stats-bench.c daemon/store.c -lsqlite3
 *   /tmp/stats-bench [articles] [database path, kept; default a temp dir, removed]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../proto/moot.h"
#include "../daemon/store.h"

#define GROUPS 10
#define POSTERS 20000
#define BATCH 50000
#define RECENT 300		/* replies go to one of the most recent threads */
#define YEAR (365 * 86400)
#define START 1700000000	/* the first arrival */

/* xorshift64*: a fixed sequence, so every run builds the same store. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;

/* The next pseudo-random 64-bit value. */
static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

/* A uniform double in [0, 1). */
static double unit(void)
{
	return (double)(next() >> 11) / 9007199254740992.0;
}

/* Seconds of a clock: CLOCK_MONOTONIC (wall) or CLOCK_PROCESS_CPUTIME_ID (cpu). */
static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wall-clock seconds. */
static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU seconds of this process: what a loaded machine does not inflate. */
static double cpu_s(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* Stop the bench on a store error. */
static void check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "stats-bench: %s: error %d\n", what, rc);
		exit(1);
	}
}

/* Fill the store with n articles as described at the top; prints how long it took. */
static void fill(struct store *st, const int64_t *groups, long n)
{
	static long recent[RECENT];	/* article numbers (msgid <i@bench>) of recent starters */
	int64_t number[GROUPS] = { 0 }, id;
	long i, nrecent = 0, threads = 0;
	char msgid[32], root[32], from[48], subject[48], head[128];
	struct store_article a;
	double t0 = now_s(), c0 = cpu_s(), rec = 0, t;

	for (i = 0; i < n; i++) {
		int g = (int)(next() % GROUPS), g2 = -1, k;
		int poster = (int)(POSTERS * unit() * unit() * unit());
		int starter = nrecent == 0 || next() % 5 == 0;

		if (i % BATCH == 0)
			check(store_begin(st), "begin");
		snprintf(msgid, sizeof(msgid), "<%ld@bench>", i);
		snprintf(from, sizeof(from), "poster%d@example.org", poster);
		snprintf(head, sizeof(head), "Message-ID: %s\r\nFrom: %s\r\n", msgid, from);
		memset(&a, 0, sizeof(a));
		a.msgid = msgid;
		a.arrived = a.posted = START + (int64_t)((double)i * YEAR / n);
		a.bytes = 200;
		a.lines = 1;
		a.from = from;
		a.date = "";
		a.xref = "";
		a.head = head;
		a.head_len = strlen(head);
		a.body = "x\r\n";
		a.body_len = 3;
		a.poster = from;
		if (starter) {
			snprintf(subject, sizeof(subject), "thread %ld", i);
			a.refs = "";
			recent[nrecent++ % RECENT] = i;
			threads++;
		} else {
			long have = nrecent < RECENT ? nrecent : RECENT;
			long back = (long)(have * unit() * unit());	/* newest most likely */

			snprintf(root, sizeof(root), "<%ld@bench>", recent[(nrecent - 1 - back) % RECENT]);
			snprintf(subject, sizeof(subject), "Re: thread");
			a.refs = a.root = a.parent = root;
		}
		a.subject = subject;
		check(store_article_add(st, &a, &id), "article");
		if (next() % 20 == 0)
			g2 = (g + 1 + (int)(next() % (GROUPS - 1))) % GROUPS;
		for (k = 0; k < 2; k++) {
			int gg = k == 0 ? g : g2;

			if (gg < 0)
				break;
			check(store_number_add(st, groups[gg], ++number[gg], id), "number");
			t = cpu_s();
			check(store_stats_record(st, groups[gg], id, a.poster, a.root, a.arrived), "record");
			rec += cpu_s() - t;
		}
		if (i % BATCH == BATCH - 1 || i == n - 1)
			check(store_commit(st), "commit");
	}
	for (i = 0; i < GROUPS; i++)
		check(store_group_set_marks(st, groups[i], 1, number[i], number[i]), "marks");
	printf("filled %ld articles (%ld threads) in %.1f s wall, %.1f s cpu, of which"
	       " store_stats_record %.1f s cpu\n", n, threads, now_s() - t0, cpu_s() - c0, rec);
}

/* Time store_stats over groups[0..ng) from since: cold, then the best of five; print the figures. */
static void measure(struct store *st, const char *label, const int64_t *groups, size_t ng, int64_t since)
{
	struct store_stats s;
	double t, c, cold, best = 1e9, cpu = 1e9;
	int i;

	t = now_s();
	check(store_stats(st, groups, ng, since, &s), "stats");
	cold = now_s() - t;
	for (i = 0; i < 5; i++) {
		t = now_s();
		c = cpu_s();
		check(store_stats(st, groups, ng, since, &s), "stats");
		c = cpu_s() - c;
		t = now_s() - t;
		if (t < best)
			best = t;
		if (c < cpu)
			cpu = c;
	}
	printf("%-24s cold %6.1f ms, warm %6.1f ms (cpu %6.1f ms) | posts %lld threads %lld"
	       " posters %lld new %lld unanswered %lld p50 %llds p90 %llds top %lld replies\n",
	       label, cold * 1e3, best * 1e3, cpu * 1e3, (long long)s.posts, (long long)s.threads,
	       (long long)s.posters, (long long)s.new_posters, (long long)s.unanswered,
	       (long long)s.reply_p50, (long long)s.reply_p90,
	       (long long)(s.ntop ? s.top[0].replies : 0));
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/stats-benchXXXXXX", path[128], name[32], err[256];
	struct store *st;
	int64_t groups[GROUPS], end;
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	int i, keep = argc > 2;

	if (n <= 0)
		n = 1000000;
	if (keep) {
		snprintf(path, sizeof(path), "%s", argv[2]);
	} else {
		if (mkdtemp(dir) == NULL) {
			perror("stats-bench: mkdtemp");
			return 1;
		}
		snprintf(path, sizeof(path), "%s/moot.db", dir);
	}
	if (store_open(path, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "stats-bench: %s\n", err);
		return 1;
	}
	for (i = 0; i < GROUPS; i++) {
		snprintf(name, sizeof(name), "bench.g%d", i);
		check(store_group_upsert(st, name, "", START, &groups[i]), "group");
	}
	fill(st, groups, n);
	end = START + YEAR;
	measure(st, "30 days, all 10 groups", groups, GROUPS, end - 30 * 86400);
	measure(st, "30 days, one group", groups, 1, end - 30 * 86400);
	measure(st, "365 days, all 10 groups", groups, GROUPS, START);
	store_close(st);
	if (!keep) {
		static const char *const suffix[] = { "", "-wal", "-shm" };
		char p[160];

		for (i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	return 0;
}
