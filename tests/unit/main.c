/* The unit test runner: every module's cases, then one closing line. */
#include "test.h"

struct test_state T;

int main(void)
{
	test_buf();
	test_line();
	test_command();
	test_wildmat();
	test_date();
	test_article();
	test_tls();
	test_store();
	test_msgtail();
	test_pagecache();
	test_syncer();
	test_writer();
	test_walvfs();
	test_config();
	test_newsrc();
	test_thread();
	printf("%d passed, %d failed\n", T.passed, T.failed);
	return T.failed ? 1 : 0;
}
