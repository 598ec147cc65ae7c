"""17_backup: `mootd backup FILE` (SQLite online backup API) and `mootd
check` (issue 7, Operations; docs/operations.md): a backup taken while
articles are being posted is a sound database holding at least everything
acknowledged before it started, and restoring it (stop, replace moot.db,
drop -wal/-shm, start) serves those articles.  Usage and I/O errors give
exit status 2 and 1."""

import os
import sqlite3
import subprocess
import threading
import time

import harness
from harness import check, eq, T, article, new_msgid

GROUP = "moot.general"


def mootd_cmd(srv, *args, timeout=60):
	"""Run `mootd -c CFG args...`: (status, stdout, stderr) as text; fails
	the test when it takes longer than timeout seconds (scaled)."""
	try:
		r = subprocess.run(harness.mootd_argv(srv.mootd, "-c", srv.config_path, *args),
				   cwd=srv.dir, stdin=subprocess.DEVNULL, capture_output=True,
				   timeout=T(timeout))
	except subprocess.TimeoutExpired:
		raise harness.TestFailure("mootd %s did not finish in %.0fs" %
					  (" ".join(args), T(timeout))) from None
	return (r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace"))


def body_of(i, size):
	"""A body of about size bytes, distinct per article."""
	line = "Backup test article %d, padded to make the database larger. " % i
	return [(line + "y" * 40)[:78]] * max(1, size // 80)


def post_many(srv, n, size, tag):
	"""POST n articles of about size bytes; their Message-IDs (all 240)."""
	mids = []
	with srv.raw(tls=False, timeout=T(20)) as c:
		for i in range(n):
			m = new_msgid(tag)
			c.post(article(subject="%s %d" % (tag, i), msgid=m, body=body_of(i, size)))
			mids.append(m)
		c.cmd("QUIT", 205)
	return mids


class Poster(threading.Thread):
	"""Posts articles until stopped; records each acknowledged id with the
	time (monotonic) its 240 arrived."""

	def __init__(self, srv, size):
		super().__init__(daemon=True)
		self.srv, self.size = srv, size
		self.acked = []		# (time of the 240, msgid)
		self.stop = threading.Event()
		self.error = None

	def run(self):
		try:
			with self.srv.raw(tls=False, timeout=T(20)) as c:
				i = 0
				while not self.stop.is_set():
					m = new_msgid("during")
					c.post(article(subject="During %d" % i, msgid=m,
						       body=body_of(i, self.size)))
					self.acked.append((time.monotonic(), m))
					i += 1
				c.cmd("QUIT", 205)
		except Exception as e:
			self.error = e


def backup_ids(path):
	"""Open the backup with Python's sqlite3: integrity_check must say ok;
	returns the set of Message-IDs in its articles table."""
	db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
	try:
		eq([r[0] for r in db.execute("PRAGMA integrity_check")], ["ok"], "integrity_check of the backup")
		return {r[0] for r in db.execute("SELECT msgid FROM articles")}
	finally:
		db.close()


def stat_codes(srv, mids):
	"""STAT every id over one connection: {msgid: code}."""
	out = {}
	with srv.raw(tls=False, timeout=T(20)) as c:
		for m in mids:
			out[m] = c.cmd("STAT %s" % m)[0]
		c.cmd("QUIT")
	return out


def test_backup_while_posting(srv):
	# About 16 MB: several steps of an incremental backup (which restarts
	# whenever another connection writes: it must still end while the
	# server is busy).
	before = post_many(srv, 800, 20000, "before")
	posters = [Poster(srv, 2000) for _ in range(3)]
	for p in posters:
		p.start()
	harness.wait_until(lambda: all(len(p.acked) >= 5 or p.error for p in posters), T(10),
			   what="posting under way")
	dest = os.path.join(srv.dir, "backup.db")
	try:
		t0 = time.monotonic()
		rc, out, err = mootd_cmd(srv, "backup", dest, timeout=20)
		t1 = time.monotonic()
		time.sleep(0.2)		# a few more posts after the backup ended
	finally:
		for p in posters:
			p.stop.set()
		for p in posters:
			p.join(T(20))
	errors = [p.error for p in posters if p.error]
	check(not errors, "posting during the backup failed: %r" % errors[:1])
	during = sorted(a for p in posters for a in p.acked)
	eq(rc, 0, "mootd backup status (stderr %r)" % err[-300:])
	check(dest in out, "mootd backup says what it wrote: %r" % out)
	acked_before = before + [m for t, m in during if t < t0]
	acked_after = [m for t, m in during if t > t1]
	check(len(during) > len(acked_before) - len(before),
	      "posts went on while the backup ran (%d acknowledged in all)" % len(during))
	ids = backup_ids(dest)
	lost = [m for m in acked_before if m not in ids]
	check(not lost, "%d articles acknowledged before the backup are not in it: %r" %
	      (len(lost), lost[:3]))
	late = [m for m in acked_after if m in ids]
	check(not late, "articles acknowledged after the backup ended are in it: %r" % late[:3])
	rc, out, err = mootd_cmd(srv, "check")
	eq(rc, 0, "mootd check status (stderr %r)" % err[-300:])
	check(out.rstrip().endswith("ok"), "mootd check output: %r" % out)
	everything = before + [m for _, m in during]
	eq(stat_codes(srv, everything), {m: 223 for m in everything}, "all articles on the live server")

	# Restore: stop, replace the database by the backup, start.
	eq(srv.stop(), 0, "mootd exit status after SIGTERM")
	for suffix in ("-wal", "-shm"):
		try:
			os.unlink(srv.db_path + suffix)
		except FileNotFoundError:
			pass
	os.replace(dest, srv.db_path)
	srv.start(new_ports=False)
	codes = stat_codes(srv, everything)
	eq([m for m in acked_before if codes[m] != 223], [], "articles of the backup after the restore")
	eq([m for m in acked_after if codes[m] != 430], [], "later articles gone after the restore")
	eq(sum(1 for m in everything if codes[m] == 223), len(ids), "restored articles vs the backup")
	count, low, high = harness.group_stat(srv, GROUP)
	eq(count, len(ids), "GROUP count after the restore")
	with srv.raw(tls=False) as c:
		for i in (0, len(before) - 1):
			lines = c.cmd_multi("BODY %s" % before[i], 222)
			eq(lines, body_of(i, 20000), "body of %s after the restore" % before[i])
		c.cmd("QUIT")
	# The restored server takes new articles, numbered after the restored ones.
	m = post_many(srv, 1, 100, "restored")[0]
	eq(harness.head_of(srv, m)["xref"], "%s %s:%d" % (srv.pathhost, GROUP, high + 1),
	   "number of a post after the restore")
	rc, out, err = mootd_cmd(srv, "check")
	eq(rc, 0, "mootd check after the restore (stderr %r)" % err[-300:])


def test_backup_errors(srv):
	harness.post_n(srv, 3, tls=False)
	rc, out, err = mootd_cmd(srv, "backup")
	eq(rc, 2, "mootd backup without FILE (stderr %r)" % err[-200:])
	rc, out, err = mootd_cmd(srv, "backup", "a.db", "b.db")
	eq(rc, 2, "mootd backup with two files (stderr %r)" % err[-200:])
	rc, out, err = mootd_cmd(srv, "check", "extra")
	eq(rc, 2, "mootd check with an argument (stderr %r)" % err[-200:])
	# Destinations that cannot be written: a missing folder, a folder.
	missing = os.path.join(srv.dir, "no-such-folder", "backup.db")
	rc, out, err = mootd_cmd(srv, "backup", missing)
	eq(rc, 1, "mootd backup into a missing folder (stderr %r)" % err[-200:])
	check(err.strip() != "", "an error message on stderr")
	check(not os.path.exists(missing), "nothing written")
	rc, out, err = mootd_cmd(srv, "backup", srv.dir)
	eq(rc, 1, "mootd backup onto a folder (stderr %r)" % err[-200:])
	# An existing file that is not a database is refused, not overwritten.
	junk = os.path.join(srv.dir, "notes.txt")
	with open(junk, "w") as f:
		f.write("not a database\n" * 200)
	rc, out, err = mootd_cmd(srv, "backup", junk)
	eq(rc, 1, "mootd backup onto a file that is not a database (stderr %r)" % err[-200:])
	with open(junk) as f:
		eq(f.read(), "not a database\n" * 200, "the file left alone")
	# No database at all (a fresh state folder): check and backup say so.
	empty = harness.Server(start=False)
	empty.pick_ports()
	os.makedirs(empty.state, exist_ok=True)
	empty.write_config()
	rc, out, err = mootd_cmd(empty, "check")
	eq(rc, 1, "mootd check without a database (stderr %r)" % err[-200:])
	rc, out, err = mootd_cmd(empty, "backup", os.path.join(empty.dir, "b.db"))
	eq(rc, 1, "mootd backup without a database (stderr %r)" % err[-200:])
	# A backup of the running server is still fine after all that.
	dest = os.path.join(srv.dir, "ok.db")
	eq(mootd_cmd(srv, "backup", dest)[0], 0, "mootd backup")
	eq(len(backup_ids(dest)), 3, "articles in the backup")


def test_check_message_id_index(srv):
	"""`mootd check` compares the Message-ID index with the articles: an
	entry without its article, a merged article without its entry and a
	Message-ID stored twice each make it fail and say so; undone, it
	passes again."""
	harness.post_n(srv, 3)
	srv.stop()
	breakages = [
		("INSERT INTO msgids(msgid, article_id) VALUES('<nowhere@example.org>', 99999)",
		 "DELETE FROM msgids WHERE msgid = '<nowhere@example.org>'",
		 "1 Message-ID index entries without their article"),
		("UPDATE msgid_tail SET upto = (SELECT max(id) FROM articles)",
		 "UPDATE msgid_tail SET upto = 0",
		 "3 articles missing from the Message-ID index"),
		("INSERT INTO articles(msgid, head, body) SELECT msgid, head, body FROM articles WHERE id = 1",
		 "DELETE FROM articles WHERE id = (SELECT max(id) FROM articles)",
		 "1 Message-IDs stored more than once"),
	]
	rc, out, err = mootd_cmd(srv, "check")
	eq(rc, 0, "mootd check of the intact database (stderr %r)" % err[-300:])
	for breaking, mending, said in breakages:
		db = sqlite3.connect(srv.db_path)
		try:
			eq(db.execute("SELECT upto FROM msgid_tail").fetchone()[0], 0, "nothing merged yet")
			db.execute(breaking)
			db.commit()
		finally:
			db.close()
		rc, out, err = mootd_cmd(srv, "check")
		eq(rc, 1, "mootd check after %r" % breaking)
		check(said in err, "mootd check says %r: %r" % (said, err[-300:]))
		db = sqlite3.connect(srv.db_path)
		try:
			db.execute(mending)
			db.commit()
		finally:
			db.close()
		rc, out, err = mootd_cmd(srv, "check")
		eq(rc, 0, "mootd check after %r (stderr %r)" % (mending, err[-300:]))
