/*
 * test.h: the smallest test harness that can fail.  A case is a function;
 * RUN() counts it passed when none of its CHECKs failed.  Each
 * tests/unit/test_<module>.c exports void test_<module>(void) which RUNs its
 * cases; main.c calls them all and prints "N passed, N failed".
 */
#ifndef TEST_H
#define TEST_H

#include <stdio.h>
#include <string.h>

struct test_state {
	int passed;		/* cases with no failed CHECK */
	int failed;		/* cases with at least one */
	int case_failed;	/* the current case failed */
	const char *case_name;	/* the current case */
};

extern struct test_state T;

#define CHECK(c) do { \
	if (!(c)) { \
		T.case_failed = 1; \
		fprintf(stderr, "%s:%d: %s: CHECK failed: %s\n", __FILE__, __LINE__, T.case_name, #c); \
	} \
} while (0)

/* Compare a string with an expected C string; prints both on failure. */
#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ == NULL || strcmp(g_, w_) != 0) { \
		T.case_failed = 1; \
		fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
			T.case_name, g_ ? g_ : "(null)", w_); \
	} \
} while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) { \
		T.case_failed = 1; \
		fprintf(stderr, "%s:%d: %s: %s is %lld, want %lld\n", __FILE__, __LINE__, \
			T.case_name, #got, g_, w_); \
	} \
} while (0)

#define RUN(fn) do { \
	T.case_failed = 0; T.case_name = #fn; fn(); \
	if (T.case_failed) T.failed++; else T.passed++; \
} while (0)

void test_buf(void);
void test_line(void);
void test_command(void);
void test_wildmat(void);
void test_date(void);
void test_article(void);
void test_tls(void);
void test_store(void);
void test_msgtail(void);
void test_pagecache(void);
void test_writer(void);
void test_syncer(void);
void test_walvfs(void);
void test_config(void);
void test_newsrc(void);
void test_thread(void);

#endif
