"""30_federation_resilience: federation across outages (issue 5): a
partition of a triangle heals and converges; a sender killed with SIGKILL
in the middle of draining a backlog loses and duplicates nothing."""

import time

import harness
from harness import (check, eq, wait_until, article, new_msgid, T, federate, group_stat,
		     has_all, group_msgids, outq_count, post_n)

A, B, C = "a.example.org", "b.example.org", "c.example.org"


def converge(servers, mids, group="moot.general", timeout=20):
	"""Every server has exactly mids in group, each once, and nothing queued."""
	for s in servers:
		wait_until(lambda: has_all(s, mids), T(timeout), interval=0.1,
			   what="all %d articles on %s" % (len(mids), s.pathhost))
	for s in servers:
		wait_until(lambda: outq_count(s) == 0, T(timeout), what="empty outq on %s" % s.pathhost)
	time.sleep(0.3)
	for s in servers:
		got = group_msgids(s, group)
		eq(sorted(got), sorted(mids), "Message-IDs in %s on %s" % (group, s.pathhost))
		eq(group_stat(s, group), (len(mids), 1, len(mids)), "GROUP on %s" % s.pathhost)
		eq(outq_count(s), 0, "outq on %s" % s.pathhost)


def test_partition():
	srv = federate([A, B, C], [(A, B), (B, C), (A, C)])
	a, b, c = srv[A], srv[B], srv[C]
	before = post_n(a, 2, subject="Before A") + post_n(b, 2, subject="Before B")
	converge([a, b, c], before)
	eq(b.stop(), 0, "B's exit status after SIGTERM")
	during = post_n(a, 5, subject="During A") + post_n(c, 5, subject="During C")
	# A and C still reach each other directly; both queue for B.
	for s in (a, c):
		wait_until(lambda: has_all(s, during), T(15), what="A-C exchange during the outage")
	wait_until(lambda: outq_count(a, B) == 10 and outq_count(c, B) == 10, T(15),
		   what="10 articles queued for B on A and on C (%d, %d)" % (outq_count(a, B), outq_count(c, B)))
	b.start(new_ports=False)
	after = post_n(b, 2, subject="After B")
	converge([a, b, c], before + during + after, timeout=25)


def test_kill9_mid_drain():
	srv = federate([A, B], [(A, B)], start=False, opts={(A, B): {"window": 4}})
	a, b = srv[A], srv[B]
	a.start(new_ports=False)
	mids = post_n(a, 300, subject="Backlog")
	eq(outq_count(a, B), 300, "backlog queued on A while B is down")
	b.start(new_ports=False)
	# Kill A while B has part of the backlog.
	# (window 4 keeps the drain slow enough to catch it part-way).
	seen = wait_until(lambda: (lambda n: n if n >= 50 else 0)(group_stat(b, "moot.general")[0]),
			  T(20), interval=0.005, what="B part-way through the backlog")
	a.kill9()
	check(seen < 300, "the drain finished before the test could kill A (B had %d)" % seen)
	left = outq_count(a, B)
	check(0 < left <= 300 - seen + 4, "queue left on A after SIGKILL: %d (B had %d)" % (left, seen))
	a.start(new_ports=False)
	wait_until(lambda: group_stat(b, "moot.general")[0] >= 300, T(20), what="300 on B")
	wait_until(lambda: outq_count(a) == 0, T(10), what="A's queue drained")
	time.sleep(0.3)
	got = group_msgids(b, "moot.general")
	eq(len(got), 300, "articles on B")
	eq(sorted(got), sorted(mids), "B has each of A's 300 articles once")
	eq(group_stat(b, "moot.general"), (300, 1, 300), "GROUP on B")
