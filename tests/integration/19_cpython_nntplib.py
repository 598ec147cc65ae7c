"""19_cpython_nntplib: a client test suite written by others, run against
mootd.  CPython's Lib/test/test_nntplib.py has networked tests
(NetworkedNNTPTestsMixin) that it runs against public news servers: welcome,
HELP, LIST, LIST ACTIVE wildmat, unknown command, NEWGROUPS, descriptions
(LIST NEWSGROUPS), GROUP, DATE, XOVER, XHDR, CAPABILITIES, a refused login,
QUIT, timeouts and the context manager.  Here they run against a mootd with
articles in moot.general, plain and over implicit TLS, with the two tests
CPython skips by default (OVER ranges, ARTICLE = HEAD + blank + BODY) turned
back on.  Debian ships the module in libpython3.X-testsuite (`make check`
installs it)."""

import io
import functools
import ssl
import sys
import unittest

import harness
from harness import TestFailure, check, eq, nntplib


def _suite_module():
	try:
		from test import support
		from test import test_nntplib
	except ImportError as e:
		raise TestFailure("CPython's test suite is not installed (%s): apt-get install "
				  "libpython3.%d-testsuite, or run make check" % (e, sys.version_info[1]))
	return support, test_nntplib


def _unskipped(method):
	"""The test function under CPython's skipIf and transient_internet wrappers."""
	while hasattr(method, "__wrapped__"):
		method = method.__wrapped__
	return method


def test_cpython_networked_suite(srv):
	support, T = _suite_module()
	harness.post_n(srv, 12, tls=False)
	mixin = T.NetworkedNNTPTestsMixin
	names = sorted(n for n in dir(mixin) if n.startswith("test_"))
	check(len(names) >= 15, "CPython's networked nntplib tests: only %r" % names)

	class Plain(T.NetworkedNNTPTests):
		NNTP_HOST = "127.0.0.1"
		GROUP_NAME = "moot.general"
		GROUP_PAT = "moot.*"
		DESC = "General"
		NNTP_CLASS = staticmethod(functools.partial(nntplib.NNTP, port=srv.plain_port))
		# Skipped upstream for reasons of the public servers; mootd serves both.
		test_over = _unskipped(mixin.test_over)
		test_article_head_body = _unskipped(mixin.test_article_head_body)

	class TLS(Plain):
		NNTP_CLASS = staticmethod(functools.partial(nntplib.NNTP_SSL, port=srv.tls_port))
		ssl_context = ssl.create_default_context(cafile=srv.cert)

	# setUpClass asks for the "network" resource; this machine's loopback is it.
	support.use_resources = ["network"]
	suite = unittest.TestSuite()
	for cls in (Plain, TLS):
		suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(cls))
	out = io.StringIO()
	result = unittest.TextTestRunner(stream=out, verbosity=2).run(suite)
	report = out.getvalue()
	bad = ["%s: %s" % (t.id(), tb.strip().splitlines()[-1]) for t, tb in result.failures + result.errors]
	check(not bad, "CPython nntplib tests failed:\n  " + "\n  ".join(bad) + "\n" + report[-3000:])
	# transient_internet turns a refused or reset connection into a skip:
	# a skip here is a failure.
	eq([(t.id(), why) for t, why in result.skipped], [], "skipped CPython nntplib tests")
	eq(result.testsRun, 2 * len(names), "CPython nntplib tests run (plain and TLS)")
