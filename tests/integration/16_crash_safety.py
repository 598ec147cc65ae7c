"""16_crash_safety: nothing acknowledged is lost when mootd is killed
(issue 7, "Crash safety"; DESIGN.md: a 235/239/240 goes out only after the
article's transaction committed).

A configured inbound peer streams 20,000 articles over 4 connections (RFC
4644 MODE STREAM, pipelined TAKETHIS with deferred replies) and mootd is
killed with SIGKILL part-way.  After the restart every article answered 239
is there and readable, the database passes PRAGMA integrity_check (`mootd
check`), the group's counts and numbers agree with what is stored, and
resending the rest gives 439 for what was stored and 239 for what was not.
Another streams 40,000 articles without a kill and checks that the WAL file
stayed bounded (it starts over under load).  The outbound-queue test does the
kill for a peer's outbound queue: what A stored before it was killed reaches
B exactly once after both are up.  The last two make a commit fail inside
the writer thread's transaction, or meet a duplicate at the insert, and
check that the POST is refused, nothing of it is stored and its number is
reused."""

import email.utils
import os
import random
import sys
import ssl
import subprocess
import threading
import time

import harness
from harness import (check, eq, wait_until, T, make_client_cert, peers_yaml, group_stat,
		     outq_count)

SENDER = "sender.example"
GROUP = "moot.general"
CONNS = 4
WINDOW = 100


def note(msg):
	"""A progress line on stderr when MOOT_DEBUG is set."""
	if os.environ.get("MOOT_DEBUG"):
		print("    [16] " + msg, file=sys.stderr)


# ---------------------------------------------------------------- articles

def make_articles(n, tag, pad=0):
	"""n small transit articles (pad: that many more bytes of body each): a
	list of (msgid, body lines, wire bytes of the whole TAKETHIS command with
	its dot-stuffed article)."""
	date = email.utils.formatdate(usegmt=True)
	run = "%s%d.%d" % (tag, os.getpid(), int(time.time() * 1000) % 10**9)
	out = []
	for i in range(n):
		mid = "<%s.%d@%s>" % (run, i, SENDER)
		body = ["Crash safety article %d of %d." % (i, n),
			".A line that starts with a dot (stuffed on the wire).",
			"x" * (i % 61)] + ["y" * 70] * (pad // 72)
		lines = ["Path: %s!not-for-mail" % SENDER,
			 "From: Sender <sender@%s>" % SENDER,
			 "Newsgroups: %s" % GROUP,
			 "Subject: Crash %d" % i,
			 "Message-ID: %s" % mid,
			 "Date: %s" % date,
			 ""] + body
		data = b"TAKETHIS " + mid.encode() + b"\r\n" + harness.wire(lines) + b".\r\n"
		out.append((mid, body, data))
	return out


def peer_entry(fp):
	"""The config entry of the inbound-only sending peer."""
	return {"name": SENDER, "accept": "moot.*", "identity": {"fingerprint": fp}}


# ---------------------------------------------------------------- streaming

class Progress:
	"""Articles written to the sockets so far (all connections)."""

	def __init__(self):
		self.lock = threading.Lock()
		self.sent = 0

	def add(self, k):
		with self.lock:
			self.sent += k


def stream_one(srv, cert, key, items, acks, progress, expect=None):
	"""Send items over one peer connection with up to WINDOW TAKETHIS
	outstanding; acks[msgid] = reply code of each reply read (239/439).
	expect: msgid -> wanted code (default 239).  Returns None, or the
	exception that ended the connection (expected when mootd is killed)."""
	try:
		c = srv.raw(tls=True, cert=cert, key=key, timeout=T(20))
	except (OSError, EOFError, ssl.SSLError) as e:
		return e
	try:
		c.cmd("MODE STREAM", 203)
		sock, buf = c.sock, c.buf
		outstanding = []
		head = 0	# index of the oldest unanswered in outstanding
		i = 0
		while i < len(items) or head < len(outstanding):
			room = WINDOW - (len(outstanding) - head)
			if i < len(items) and room > 0:
				k = min(room, len(items) - i)
				sock.sendall(b"".join(it[2] for it in items[i:i + k]))
				outstanding.extend(it[0] for it in items[i:i + k])
				i += k
				progress.add(k)
			chunk = sock.recv(65536)
			if not chunk:
				raise EOFError("connection closed by mootd")
			buf += chunk
			while True:
				j = buf.find(b"\r\n")
				if j < 0:
					break
				line, buf = buf[:j].decode("utf-8", "replace"), buf[j + 2:]
				check(head < len(outstanding), "reply nothing asked for: %r" % line)
				mid = outstanding[head]
				head += 1
				want = (expect or {}).get(mid, 239)
				if line != "%d %s" % (want, mid):
					raise harness.TestFailure("TAKETHIS %s: got %r, want %d" %
								  (mid, line, want))
				acks[mid] = want
		c.send("QUIT")
		return None
	except (OSError, EOFError, ssl.SSLError) as e:
		return e
	finally:
		c.close()


def stream(srv, cert, key, items, expect=None, kill_after=None):
	"""Stream items over CONNS connections (items dealt round-robin).
	With kill_after, SIGKILL mootd once that many articles were written
	and return the acknowledged msgids; without, every connection must end
	cleanly.  Returns (acks dict, number written before the kill)."""
	acks = {}
	progress = Progress()
	errors = [None] * CONNS
	failures = []

	def worker(n):
		try:
			errors[n] = stream_one(srv, cert, key, items[n::CONNS], acks, progress, expect)
		except Exception as e:	# a wrong reply: a test failure
			failures.append(e)

	threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(CONNS)]
	for t in threads:
		t.start()
	sent_at_kill = None
	if kill_after is not None:
		deadline = time.monotonic() + T(60)
		while progress.sent < kill_after and any(t.is_alive() for t in threads):
			check(time.monotonic() < deadline, "streaming stalled at %d" % progress.sent)
			time.sleep(0.0005)
		sent_at_kill = progress.sent
		check(srv.alive(), "mootd died while streaming (status %s)" % srv.proc.poll())
		srv.kill9()
	for t in threads:
		t.join(T(60))
		check(not t.is_alive(), "a streaming connection did not finish")
	if failures:
		raise failures[0]
	if kill_after is None:
		bad = [e for e in errors if e is not None]
		check(not bad, "streaming connection failed: %r" % bad[:1])
	return acks, sent_at_kill


# ---------------------------------------------------------------- checks

def mootd_check(srv):
	"""`mootd -c CFG check`: exits 0 and says ok."""
	r = subprocess.run(harness.mootd_argv(srv.mootd, "-c", srv.config_path, "check"),
			   cwd=srv.dir, stdin=subprocess.DEVNULL, capture_output=True, timeout=T(60))
	out = r.stdout.decode("utf-8", "replace")
	check(r.returncode == 0 and out.rstrip().endswith("ok"),
	      "mootd check: status %d, out %r, err %r" % (r.returncode, out[-300:], r.stderr[-300:]))


def stat_all(srv, mids, batch=500):
	"""The Message-IDs of mids that STAT does not find (pipelined STAT)."""
	missing = []
	mids = list(mids)
	with srv.raw(tls=False, timeout=T(20)) as c:
		for k in range(0, len(mids), batch):
			part = mids[k:k + batch]
			c.send_raw(b"".join(b"STAT " + m.encode() + b"\r\n" for m in part))
			for m in part:
				code, line = c.status()
				if code != 223:
					missing.append((m, line))
				else:
					check(line.split()[2] == m, "STAT %s: %r" % (m, line))
		c.cmd("QUIT")
	return missing


def stored(srv):
	"""The numbered articles of GROUP: (GROUP line fields, numbers from
	LISTGROUP, Message-IDs from HDR).  Asserts numbers and ids are unique
	and agree with the GROUP count."""
	with srv.raw(tls=False, timeout=T(30)) as c:
		code, line = c.cmd("GROUP %s" % GROUP, 211)
		count, low, high = (int(x) for x in line.split()[1:4])
		nums = [int(x) for x in c.cmd_multi("LISTGROUP %s" % GROUP, 211)]
		hdr = c.cmd_multi("HDR Message-ID 1-", 225) if count else []
		c.cmd("QUIT")
	mids = [l.split(" ", 1)[1] for l in hdr]
	eq(len(set(nums)), len(nums), "distinct LISTGROUP numbers")
	eq(len(nums), count, "LISTGROUP size vs the GROUP count")
	eq(len(mids), count, "HDR lines vs the GROUP count")
	eq(len(set(mids)), count, "distinct Message-IDs vs the GROUP count")
	eq(nums, sorted(nums), "LISTGROUP in order")
	if count:
		eq((low, high), (nums[0], nums[-1]), "GROUP low/high vs LISTGROUP")
		eq([int(l.split(" ", 1)[0]) for l in hdr], nums, "HDR numbers vs LISTGROUP")
	return (count, low, high), nums, mids


def check_bodies(srv, items, mids, n=300):
	"""ARTICLE of a random sample of mids: the body exactly as sent."""
	by_id = {it[0]: it[1] for it in items}
	sample = random.sample(sorted(mids), min(n, len(mids)))
	with srv.raw(tls=False, timeout=T(20)) as c:
		for m in sample:
			lines = c.cmd_multi("ARTICLE %s" % m, 220)
			hdr, body = harness.headers_of(lines)
			eq(hdr.get("message-id"), m, "Message-ID of ARTICLE %s" % m)
			eq(hdr.get("path"), "%s!%s!not-for-mail" % (srv.pathhost, SENDER), "Path of %s" % m)
			eq(body, by_id[m], "body of %s" % m)
		c.cmd("QUIT")


def after_crash(srv, items, acks):
	"""The checks after a SIGKILL and a restart; returns the stored ids."""
	acked = [m for m, code in acks.items() if code == 239]
	missing = stat_all(srv, acked)
	check(not missing, "%d of %d acknowledged articles lost after SIGKILL, e.g. %r" %
	      (len(missing), len(acked), missing[:3]))
	check_bodies(srv, items, acked)
	mootd_check(srv)
	(count, low, high), nums, mids = stored(srv)
	sent = {it[0] for it in items}
	check(set(mids) <= sent, "stored ids that were never sent: %r" % sorted(set(mids) - sent)[:3])
	check(count >= len(acked), "GROUP count %d below the %d acknowledged" % (count, len(acked)))
	# Numbers start at 1 and a rolled-back batch leaves no hole behind.
	eq((count, low, high), (count, 1, count) if count else (0, 1, 0), "GROUP after the restart")
	return set(mids)


def resend_rest(srv, cert, key, items, acks, stored_ids):
	"""Resend everything not acknowledged, plus a few acknowledged ones:
	439 for what is stored, 239 for the rest."""
	rest = [it for it in items if it[0] not in acks]
	rest += random.sample([it for it in items if it[0] in acks], min(50, len(acks)))
	expect = {it[0]: (439 if it[0] in stored_ids else 239) for it in rest}
	got, _ = stream(srv, cert, key, rest, expect=expect)
	eq(len(got), len(rest), "replies to the resent articles")


# ---------------------------------------------------------------- tests

def inbound_server():
	srv = harness.Server(start=False, pathhost="a.example.org")
	cert, key, fp = make_client_cert(srv.dir, "sender")
	srv.extra_top = peers_yaml([peer_entry(fp)])
	srv.start()
	return srv, cert, key


def test_kill9_while_streaming():
	n = 20000
	items = make_articles(n, "crash")
	srv, cert, key = inbound_server()
	kill_after = random.randint(n * 20 // 100, n * 80 // 100)
	t0 = time.monotonic()
	acks, sent = stream(srv, cert, key, items, kill_after=kill_after)
	dt = time.monotonic() - t0
	check(sent >= kill_after and len(acks) < n,
	      "mootd killed after %d sent, %d acknowledged" % (sent, len(acks)))
	check(len(acks) > 0, "nothing acknowledged in %.1fs before the kill (%d sent)" % (dt, sent))
	# The file as SIGKILL left it passes the integrity check before any
	# recovery by a restarted mootd.
	mootd_check(srv)
	srv.start(new_ports=False)
	stored_ids = after_crash(srv, items, acks)
	note("killed after %d written in %.2fs: %d acknowledged, %d stored" %
	     (sent, dt, len(acks), len(stored_ids)))
	resend_rest(srv, cert, key, items, acks, stored_ids)
	(count, low, high), nums, mids = stored(srv)
	eq((count, low, high), (n, 1, n), "GROUP after resending the rest")
	eq(set(mids), {it[0] for it in items}, "every article stored once")
	eq(set(stat_all(srv, [it[0] for it in items])), set(), "STAT of all")
	mootd_check(srv)


def test_wal_starts_over_under_load():
	"""Under steady ingest the WAL file stops growing: the checkpoint that
	holds commits for its restart waits for the batches already in the
	writer (daemon/ingest.c, CHECKPOINT_TAIL_FRAMES).  One that a commit
	overtook left the WAL going on, to 100 MB and more under load.  Articles
	of about 1.5 KB, as in bench/moot-bench."""
	n = 40000
	items = make_articles(n, "wal", pad=1200)
	srv, cert, key = inbound_server()
	acks, _ = stream(srv, cert, key, items)
	eq(len(acks), n, "articles acknowledged")
	wal = srv.db_path + "-wal"
	size = os.path.getsize(wal)
	# 16,000 pages for the hold, then the checkpoints that run until one
	# leaves a tail of 1,000, and what commits while the last waits for
	# the writer: 16,800-17,900 in runs here, against 23,000-41,000 with
	# holds begun while the writer had batches.  Pages of 4 KiB with 24-byte
	# frame headers.
	limit = 21000 * (4096 + 24)
	note("WAL file after %d articles: %d bytes (limit %d)" % (n, size, limit))
	check(size <= limit, "WAL file of %d bytes after %d articles, more than %d" % (size, n, limit))
	(count, low, high), _, _ = stored(srv)
	eq((count, low, high), (n, 1, n), "GROUP after the load")


def test_kill9_outbound_queue():
	a_name, b_name = "a.example.org", "b.example.org"
	srv = harness.federate([a_name, b_name], [(a_name, b_name)], start=False)
	a, b = srv[a_name], srv[b_name]
	cert, key, fp = make_client_cert(a.dir, "sender")
	# A's peers: B (from federate) and the inbound-only sender.
	a.extra_top += peers_yaml([peer_entry(fp)]).split("\n", 1)[1]
	a.start(new_ports=False)
	n = 2000
	items = make_articles(n, "outq")
	kill_after = random.randint(n * 20 // 100, n * 80 // 100)
	acks, sent = stream(a, cert, key, items, kill_after=kill_after)
	check(0 < len(acks) < n, "killed with %d of %d acknowledged (%d sent)" % (len(acks), n, sent))
	a.start(new_ports=False)
	stored_ids = after_crash(a, items, acks)
	note("killed after %d written: %d acknowledged, %d stored" % (sent, len(acks), len(stored_ids)))
	# Each article A stored is queued for B in the same transaction.
	eq(outq_count(a, b_name), len(stored_ids), "A's queue for B after the restart")
	b.start(new_ports=False)
	wait_until(lambda: group_stat(b, GROUP)[0] >= len(stored_ids), T(30), interval=0.1,
		   what="%d articles on B" % len(stored_ids))
	wait_until(lambda: outq_count(a) == 0, T(15), what="A's queue empty")
	time.sleep(0.3)
	_, _, b_mids = stored(b)
	eq(len(b_mids), len(stored_ids), "articles on B (each once)")
	eq(set(b_mids), stored_ids, "B has exactly what A stored")
	# The rest, sent now that both run, reaches B too: 2,000 on each.
	resend_rest(a, cert, key, items, acks, stored_ids)
	wait_until(lambda: group_stat(b, GROUP)[0] >= n, T(30), interval=0.1, what="%d on B" % n)
	wait_until(lambda: outq_count(a) == 0, T(15), what="A's queue empty at the end")
	time.sleep(0.3)
	for s in (a, b):
		(count, low, high), _, mids = stored(s)
		eq((count, low, high), (n, 1, n), "GROUP on %s" % s.pathhost)
		eq(set(mids), {it[0] for it in items}, "articles on %s" % s.pathhost)
	eq(outq_count(a), 0, "A's queue at the end")
	mootd_check(a)
	mootd_check(b)


def _trigger_meets_post(trigger, subject, reason):
	"""Add trigger (SQL) behind mootd's back, POST an article with subject
	that it acts on, then another: the first gets 441 with reason, nothing
	of it is stored, and its number goes to the next article.  Returns the
	log text."""
	import sqlite3
	from harness import article, new_msgid
	srv = harness.Server()
	try:
		with srv.raw() as c:
			c.post(article(subject="before", msgid=new_msgid("ok")))
		db = sqlite3.connect(srv.db_path, timeout=10)
		db.execute(trigger)
		db.commit()
		with srv.raw() as c:
			bad = new_msgid("bad")
			c.cmd("POST", 340)
			c.send_raw(harness.wire(article(subject=subject, msgid=bad)) + b".\r\n")
			code, line = c.status()
			eq(code, 441, "the POST the trigger acted on")
			check(reason in line, "its reason: %r" % line)
			b = new_msgid("ok")
			c.post(article(subject="after", msgid=b))
			c.cmd("GROUP " + GROUP, 211)
			eq(c.cmd("STAT %s" % bad)[0], 430, "nothing stored of it")
			eq(c.cmd("STAT 2")[1].split()[2], b, "its number went to the next article")
		eq(group_stat(srv, GROUP), (2, 1, 2), "marks")
		eq(db.execute("SELECT count(*) FROM articles").fetchone()[0], 2, "rows")
		db.execute("DROP TRIGGER t")
		db.commit()
		db.close()
		return srv.log_text()
	finally:
		srv.stop()


def test_commit_failure_gives_numbers_back():
	"""A commit that fails (a trigger added behind mootd's back makes one
	insert fail inside the writer thread's transaction): the POST gets 441
	Storage failure, nothing of it is stored, its number is handed out again,
	and the server goes on taking articles."""
	log = _trigger_meets_post("CREATE TRIGGER t BEFORE INSERT ON articles WHEN CAST(new.head AS TEXT) LIKE '%Subject: fail me%'"
				  " BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
				  "fail me", "Storage failure")
	check("ingest: commit of 1 articles failed" in log, "the failure is logged")


def test_duplicate_in_writer_gives_numbers_back():
	"""A duplicate that only the writer finds: two TAKETHIS in one write, and
	a trigger (added behind mootd's back) that puts the second's Message-ID
	in history when the first article is inserted.  The loop checked both
	before either was committed, so only store_article_add finds the second
	taken: 439, nothing stored of it, its number goes to the next article
	(no gap), and it is not a failed commit."""
	import sqlite3
	srv, cert, key = inbound_server()
	try:
		items = make_articles(3, "dupw")
		db = sqlite3.connect(srv.db_path, timeout=10)
		db.execute("CREATE TRIGGER t AFTER INSERT ON articles WHEN new.msgid = '%s' BEGIN"
			   " INSERT INTO history(msgid, seen, state) VALUES('%s', 0, 'rejected'); END"
			   % (items[0][0], items[1][0]))
		db.commit()
		acks = {}
		err = stream_one(srv, cert, key, items, acks, Progress(), {items[1][0]: 439})
		check(err is None, "the stream ended cleanly: %r" % (err,))
		eq([acks.get(it[0]) for it in items], [239, 439, 239], "replies")
		eq(group_stat(srv, GROUP), (2, 1, 2), "marks")
		with srv.raw() as c:
			c.cmd("GROUP " + GROUP, 211)
			eq(c.cmd("STAT %s" % items[1][0])[0], 430, "nothing stored of it")
			eq(c.cmd("STAT 2")[1].split()[2], items[2][0], "its number went to the next article")
		db.execute("DROP TRIGGER t")
		db.commit()
		db.close()
		check("articles failed" not in srv.log_text(), "a duplicate is not a failed commit")
	finally:
		srv.stop()
