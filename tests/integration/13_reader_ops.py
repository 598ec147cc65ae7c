"""13_reader_ops: pipelining, STARTTLS (RFC 4642), durability across kill -9,
SIGHUP reload, SIGTERM, restart, and `mootd -t`."""

import os
import re
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import shutil
import time

import harness
from harness import check, eq, article, new_msgid, T, Server


def test_pipelining(srv):
	ids = harness.post_n(srv, 3)
	cmds = [
		("GROUP moot.general", 211, False),
		("STAT 1", 223, False),
		("STAT 2", 223, False),
		("STAT 3", 223, False),
		("STAT 4", 423, False),
		("DATE", 111, False),
		("BOGUS", 500, False),
		("HEAD 2", 221, True),
		("MODE READER", 200, False),
		("LIST OVERVIEW.FMT", 215, True),
		("GROUP moot.nonexistent", 411, False),
		("STAT", 223, False),		# current article: 2 (from HEAD 2)
		("NEXT", 223, False),		# 3
		("NEXT", 421, False),
		("OVER 1-3", 224, True),
		("ARTICLE <nonexistent@x>", 430, False),
		("BODY 1", 222, True),
		("LISTGROUP moot.general", 211, True),
		("DATE", 111, False),
		("QUIT", 205, False),
	]
	eq(len(cmds), 20, "number of pipelined commands")
	for tls in (True, False):
		with srv.raw(tls=tls) as c:
			c.send_raw("".join(cmd + "\r\n" for cmd, _, _ in cmds))
			replies = []
			for cmd, code, multi in cmds:
				got, line = c.status()
				if got != code:
					raise harness.TestFailure("pipelined %r: expected %d, got %r (replies so far %r)"
								  % (cmd, code, line, replies))
				body = c.read_multiline() if multi else None
				replies.append((line, body))
			eq(replies[1][0].split()[1:3], ["1", ids[0]], "STAT 1")
			eq(replies[3][0].split()[1:3], ["3", ids[2]], "STAT 3")
			eq(replies[11][0].split()[1], "2", "STAT after HEAD 2")
			eq(replies[12][0].split()[1], "3", "NEXT")
			eq(len(replies[14][1]), 3, "OVER lines")
			eq(replies[16][1], ["Body of article 1."], "BODY 1")
			eq(replies[17][1], ["1", "2", "3"], "LISTGROUP")
			eof, extra = c.at_eof(T(3))
			check(eof and not extra, "after QUIT: eof %s, extra %r" % (eof, extra))


def test_pipelining_many(srv):
	ids = harness.post_n(srv, 2)
	with srv.raw() as c:
		c.send_raw("GROUP moot.general\r\n" + "STAT 1\r\nSTAT 2\r\n" * 500 + "DATE\r\n")
		c.expect(211)
		for i in range(1000):
			line = c.expect(223)
			eq(line.split()[2], ids[i % 2], "reply %d" % i)
		c.expect(111)


def test_pipelining_backpressure(srv):
	# Far more output than socket buffers hold, read slowly: the server must
	# stop reading commands while its output queue is full, and lose nothing.
	mid = new_msgid("big")
	body = ["%05d %s" % (i, "z" * 60) for i in range(500)]		# ~33 KB
	with srv.raw() as c:
		c.post(article(subject="Big", msgid=mid, body=body))
		n = 300							# ~10 MB of replies
		c.send_raw("GROUP moot.general\r\n" + "ARTICLE 1\r\n" * n + "DATE\r\n")
		time.sleep(0.5)
		c.expect(211)
		for i in range(n):
			line = c.expect(220)
			eq(line.split()[2], mid, "reply %d" % i)
			lines = c.read_multiline()
			eq(lines[-len(body):], body, "body of reply %d" % i)
		c.expect(111)
	with srv.raw() as c:
		c.cmd("DATE", 111)


def test_starttls(srv):
	with srv.raw(tls=False) as c:
		check(c.greeting.startswith("200"), "greeting %r" % c.greeting)
		caps = c.cmd_multi("CAPABILITIES", 101)
		check("STARTTLS" in caps, "STARTTLS not advertised on the plain port: %r" % caps)
		c.cmd("STARTTLS", 382)
		c.starttls()				# verifies against cert.pem
		caps = c.cmd_multi("CAPABILITIES", 101)
		check("STARTTLS" not in caps, "STARTTLS still advertised after TLS: %r" % caps)
		check("READER" in caps, "READER missing after STARTTLS: %r" % caps)
		c.cmd("STARTTLS", 502)
		c.cmd("DATE", 111)
		c.post(article(subject="Over STARTTLS"))
		c.cmd("GROUP moot.general", 211)
	with srv.raw(tls=True) as c:
		c.cmd("STARTTLS", 502)			# implicit TLS already
		c.cmd("DATE", 111)
	s = srv.nntp(tls=False)
	try:
		s.starttls(srv.ssl_context())
		check("STARTTLS" not in s.getcapabilities(), "nntplib: STARTTLS after TLS")
		eq(s.group("moot.general")[1], 1, "GROUP over nntplib STARTTLS")
	finally:
		s.quit()


def test_starttls_discards_pipelined_plaintext(srv):
	# RFC 4642 §2.2.2 / the 2011 STARTTLS injection class: commands sent in
	# the clear after STARTTLS must not run inside the TLS session.
	with srv.raw(tls=False) as c:
		c.send_raw(b"STARTTLS\r\nDATE\r\n")
		c.expect(382)
		try:
			c.starttls()
		except (ssl.SSLError, OSError, EOFError):
			return			# refusing the handshake is acceptable
		try:
			c.send("MODE READER")
			code, line = c.status()
		except (ssl.SSLError, OSError, EOFError):
			return
		eq(code, 200, "first reply inside TLS (an injected DATE ran?)")
		c.cmd("DATE", 111)


def test_starttls_bad_client_cert_check(srv):
	# A client that does not trust the server's certificate fails the
	# handshake; the server survives and serves others.
	with srv.raw(tls=False) as c:
		c.cmd("STARTTLS", 382)
		ctx = ssl.create_default_context()	# system CAs only: must not verify
		try:
			ctx.wrap_socket(c.sock, server_hostname="localhost")
			raise harness.TestFailure("handshake verified against the system CAs")
		except ssl.SSLCertVerificationError:
			pass
	with srv.raw(tls=False) as c:
		c.cmd("DATE", 111)


def test_durability_kill9(srv):
	# 5 connections post in lock-step so articles share commits (group commit).
	conns = [srv.raw() for _ in range(5)]
	ids = []
	try:
		for rnd in range(10):
			batch = []
			for c in conns:
				c.send("POST")
			for c in conns:
				c.expect(340)
			for i, c in enumerate(conns):
				mid = new_msgid("dur")
				c.send_raw(harness.wire(article(subject="Durable %d.%d" % (rnd, i), msgid=mid,
								body=["round %d conn %d" % (rnd, i)])) + b".\r\n")
				batch.append(mid)
			for c in conns:
				c.expect(240)
			ids += batch
		srv.kill9()		# immediately after the last 240
	finally:
		for c in conns:
			c.close()
	eq(len(ids), 50, "acknowledged posts")
	srv.start(new_ports=False)
	with srv.raw() as c:
		missing = []
		for mid in ids:
			code, line = c.cmd("STAT %s" % mid)
			if code != 223:
				missing.append((mid, line))
		check(not missing, "%d of 50 acknowledged articles lost after kill -9: %r"
		      % (len(missing), missing[:3]))
		_, line = c.cmd("GROUP moot.general", 211)
		eq(line.split()[1:4], ["50", "1", "50"], "GROUP after kill -9")
		eq(c.cmd_multi("LISTGROUP", 211), [str(i) for i in range(1, 51)], "numbers 1..50")
		c.post(article(subject="After restart"))
		eq(c.cmd("GROUP moot.general", 211)[1].split()[3], "51", "numbering continues")


def test_restart_keeps_articles(srv):
	ids = harness.post_n(srv, 3)
	srv.restart()
	with srv.raw() as c:
		eq(c.cmd("GROUP moot.general", 211)[1].split()[1:4], ["3", "1", "3"], "after restart")
		for mid in ids:
			c.cmd("ARTICLE %s" % mid, 220)
			c.read_multiline()
		c.post(article(subject="Fourth"))
		eq(c.cmd("STAT 4", 223)[1].split()[1], "4", "numbering continues after restart")


def _list_groups(c):
	return {l.split()[0]: l for l in c.cmd_multi("LIST ACTIVE", 215)}


def test_upgrade_from_schema_4(srv):
	"""A database of schema version 4 (its overview lines kept by a trigger,
	its counted replies in a table, indexes of arrival times and of numbering
	by article, its Message-IDs UNIQUE in articles) opens, is migrated (the
	trigger goes: mootd writes the lines itself; the replies table goes; the
	arrival index becomes a row per hour in arrivals; the numbering index
	goes; the Message-IDs move to msgids; the threads lose their index by
	Message-ID, and the one whose starter is gone is marked so), keeps its
	articles, finds them by Message-ID and NEWNEWS, refuses them again and
	takes new ones with one overview line each, a reply to the gone starter
	counted in its thread."""
	old = harness.post_n(srv, 2)
	srv.stop()
	db = sqlite3.connect(srv.db_path)
	try:
		# Undo migration 11, and add a thread whose starter expired.
		db.executescript(
			"DROP TRIGGER threads_gone; DROP INDEX threads_gone; ALTER TABLE threads DROP COLUMN gone;"
			"CREATE UNIQUE INDEX threads_msgid ON threads(msgid);"
			"INSERT INTO threads(article_id, group_id, msgid, started, replies)"
			" SELECT 1000, group_id, '<gone@upgrade.test>', started, 0 FROM threads LIMIT 1;")
		# Undo migration 10: articles with msgid UNIQUE again, no msgids.
		db.executescript(
			"DROP TRIGGER msgids_remove; DROP TABLE msgids; DROP TABLE msgid_tail;"
			"CREATE TABLE a4(id INTEGER PRIMARY KEY, msgid TEXT UNIQUE NOT NULL, arrived INTEGER,"
			" posted INTEGER, bytes INTEGER, lines INTEGER, from_ TEXT, subject TEXT, date TEXT,"
			" refs TEXT, xref TEXT, head BLOB, body BLOB, poster TEXT, root TEXT, parent TEXT);"
			"INSERT INTO a4 SELECT id, msgid, arrived, posted, bytes, lines, from_, subject, date,"
			" refs, xref, head, body, poster, root, parent FROM articles;"
			"DROP TABLE articles; ALTER TABLE a4 RENAME TO articles;"
			"CREATE TRIGGER overview_remove AFTER DELETE ON articles BEGIN"
			" DELETE FROM overview WHERE article_id = old.id; END;")
		db.execute("CREATE TRIGGER overview_add AFTER INSERT ON articles BEGIN"
			   " INSERT INTO overview(article_id, line) VALUES(new.id, 'from the trigger'); END")
		db.execute("CREATE TABLE replies(article_id INTEGER PRIMARY KEY)")
		db.execute("DROP TABLE arrivals")
		db.execute("CREATE INDEX articles_arrived ON articles(arrived)")
		db.execute("CREATE INDEX numbering_article ON numbering(article_id)")
		db.execute("PRAGMA user_version = 4")
		db.commit()
	finally:
		db.close()
	srv.start(new_ports=False)
	new = harness.post_n(srv, 1, subject="After the upgrade")
	with srv.raw() as c:
		eq(c.cmd("GROUP moot.general", 211)[1].split()[1:4], ["3", "1", "3"], "GROUP")
		over = c.cmd_multi("OVER 1-3", 224)
		listed = c.cmd_multi("NEWNEWS moot.* 19700101 000000 GMT", 230)
		for mid in old + new:
			c.cmd("STAT %s" % mid, 223)
		c.cmd("POST", 340)
		c.send_raw(harness.wire(harness.article(subject="again", msgid=old[0])) + b".\r\n")
		eq(c.status()[0], 441, "a migrated Message-ID is refused")
	eq([l.split("\t")[4] for l in over], old + new, "one overview line per article")
	eq(listed, old + new, "NEWNEWS from the migrated arrivals")
	eq(over[2].split("\t")[1], "After the upgrade 1", "the new line, written by mootd")
	with srv.raw() as c:
		c.post(article(subject="Re: gone", refs="<gone@upgrade.test>"))
	db = sqlite3.connect(srv.db_path)
	try:
		eq(db.execute("PRAGMA user_version").fetchone()[0], 11, "schema version")
		eq(db.execute("SELECT msgid, gone, replies FROM threads ORDER BY article_id").fetchall(),
		   [(m, 0, 0) for m in old + new] + [("<gone@upgrade.test>", 1, 1)],
		   "threads: the gone starter's marked, and its reply counted")
		eq(db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'threads_msgid'").fetchone()[0],
		   0, "no index of every thread by Message-ID")
		eq(db.execute("SELECT count(*) FROM msgids").fetchone()[0], 2, "the old Message-IDs in msgids")
		eq(db.execute("SELECT upto FROM msgid_tail").fetchone()[0], 2, "up to the last old article")
		eq(db.execute("SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'articles' AND type = 'index'")
		   .fetchone()[0], 0, "no index left on articles")
		eq(db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'overview_add'").fetchone()[0],
		   0, "the trigger is gone")
		eq(db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'replies'").fetchone()[0],
		   0, "the replies table is gone")
		eq(db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'articles_arrived'").fetchone()[0],
		   0, "the arrived index is gone")
		eq(db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'numbering_article'").fetchone()[0],
		   0, "the index of numbering by article is gone")
	finally:
		db.close()


def _descriptions(c):
	return dict(l.split(None, 1) for l in c.cmd_multi("LIST NEWSGROUPS", 215))


@harness.config(groups=harness.DEFAULT_GROUPS + [
	{"name": "moot.temp", "description": "Temporary", "posting": "yes"}])
def test_reload_sighup(srv):
	mid = new_msgid("temp")
	held = srv.raw()
	try:
		held.post(article(subject="In temp", group="moot.temp", msgid=mid))
		held.cmd("GROUP moot.general", 211)
		groups = [dict(g) for g in srv.groups if g["name"] != "moot.temp"]
		for g in groups:
			if g["name"] == "moot.general":
				g["description"] = "General talk"
		groups.append({"name": "moot.new", "description": "Brand new", "posting": "yes"})
		srv.groups = groups
		srv.write_config()
		srv.hup()

		def reloaded():
			with srv.raw() as c:
				return "moot.new" in _list_groups(c)
		harness.wait_until(reloaded, T(5), 0.1, "moot.new after SIGHUP")
		check(srv.alive(), "mootd died on SIGHUP")
		# the connection opened before the reload is still usable and sees it
		held.cmd("DATE", 111)
		eq(sorted(_list_groups(held)), ["moot.announce", "moot.general", "moot.mod", "moot.new"],
		   "LIST on the held connection")
		with srv.raw() as c:
			eq(sorted(_list_groups(c)), ["moot.announce", "moot.general", "moot.mod", "moot.new"],
			   "LIST after reload")
			d = _descriptions(c)
			eq(d.get("moot.general"), "General talk", "changed description")
			eq(d.get("moot.new"), "Brand new", "new group's description")
			check("moot.temp" not in d, "removed group still in LIST NEWSGROUPS")
			c.cmd("GROUP moot.temp", 411)
			c.cmd("GROUP moot.new", 211)
			c.post(article(subject="In new", group="moot.new"))
			code, line = c.cmd("POST", 340)
			c.send_raw(harness.wire(article(group="moot.temp")) + b".\r\n")
			c.expect(441)
		# put it back: its article is still there
		srv.groups = groups + [{"name": "moot.temp", "description": "Temporary", "posting": "yes"}]
		srv.write_config()
		srv.hup()

		def back():
			with srv.raw() as c:
				return "moot.temp" in _list_groups(c)
		harness.wait_until(back, T(5), 0.1, "moot.temp after re-adding it")
		with srv.raw() as c:
			eq(c.cmd("GROUP moot.temp", 211)[1].split()[1:4], ["1", "1", "1"], "re-added group")
			eq(c.cmd("STAT 1", 223)[1].split()[2], mid, "its article survived")
			c.post(article(subject="Again", group="moot.temp"))
			eq(c.cmd("GROUP moot.temp", 211)[1].split()[3], "2", "numbering continues")
		held.cmd("GROUP moot.temp", 211)
		held.cmd("QUIT", 205)
	finally:
		held.close()
	srv.restart()
	with srv.raw() as c:
		eq(sorted(_list_groups(c)), ["moot.announce", "moot.general", "moot.mod", "moot.new",
					     "moot.temp"], "groups after restart")


def test_reload_bad_config_keeps_running(srv):
	good = open(srv.config_path).read()
	srv.write_config(good.replace("  pathhost:", "  no_such_key: 1\n  pathhost:"))
	srv.hup()
	time.sleep(0.5)
	check(srv.alive(), "mootd exited on SIGHUP with a bad config")
	with srv.raw() as c:
		eq(sorted(_list_groups(c)), ["moot.announce", "moot.general", "moot.mod"],
		   "old groups kept after a bad reload")
	srv.groups = srv.groups + [{"name": "moot.later", "description": "x", "posting": "yes"}]
	srv.write_config()
	srv.hup()

	def reloaded():
		with srv.raw() as c:
			return "moot.later" in _list_groups(c)
	harness.wait_until(reloaded, T(5), 0.1, "a good reload after a bad one")


def test_sigterm_exits_0(srv):
	t0 = time.monotonic()
	rc = srv.stop(timeout=T(5))
	eq(rc, 0, "exit status on SIGTERM")
	check(time.monotonic() - t0 < T(5), "SIGTERM took too long")


def test_sigterm_with_open_connections(srv):
	harness.post_n(srv, 1)
	a = srv.raw()
	b = srv.raw(tls=False)
	n = srv.nntp()
	try:
		a.cmd("GROUP moot.general", 211)
		t0 = time.monotonic()
		rc = srv.stop(timeout=T(5))
		eq(rc, 0, "exit status on SIGTERM with open connections")
		check(time.monotonic() - t0 < T(5), "SIGTERM took too long")
		for c in (a, b):
			eof, lines = c.at_eof(T(2))
			check(eof, "connection still open after mootd exited")
			for l in lines:
				check(l.startswith("400") or l.startswith("205"), "unexpected line %r" % l)
	finally:
		a.close()
		b.close()
		try:
			n.sock.close()
		except OSError:
			pass


def _check_config(mootd, path):
	p = subprocess.run([mootd, "-t", "-c", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			   timeout=T(10))
	return p.returncode, p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")


def test_config_check():
	mootd = harness.MOOTD
	d = tempfile.mkdtemp(prefix="mootd-t-")
	try:
		state = os.path.join(d, "var")
		good = harness.make_config(state, harness.free_port(), harness.free_port())
		lines = good.splitlines()

		def write(name, text):
			p = os.path.join(d, name)
			with open(p, "w") as f:
				f.write(text)
			return p

		rc, out = _check_config(mootd, write("good.yaml", good))
		eq(rc, 0, "mootd -t good.yaml (output %r)" % out)
		check(not os.path.exists(os.path.join(state, "moot.db")), "mootd -t created the database")

		bad = "\n".join(lines[:2] + ["  colour: blue"] + lines[2:]) + "\n"
		rc, out = _check_config(mootd, write("bad.yaml", bad))
		eq(rc, 1, "mootd -t bad.yaml (output %r)" % out)
		check("bad.yaml:3:" in out, "no 'bad.yaml:3:' in %r" % out)
		check(re.search(r"bad\.yaml:3: [^:\n]*colour[^:\n]*: \S", out),
		      "message not 'FILE:LINE: KEY: what is wrong': %r" % out)

		gi = next(i for i, l in enumerate(lines) if "moot.announce" in l)
		posting = list(lines)
		posting[gi] = posting[gi].replace("posting: no", "posting: maybe")
		rc, out = _check_config(mootd, write("posting.yaml", "\n".join(posting) + "\n"))
		eq(rc, 1, "posting: maybe (output %r)" % out)
		check("posting.yaml:%d:" % (gi + 1) in out and "posting" in out,
		      "posting error not located at line %d: %r" % (gi + 1, out))

		li = next(i for i, l in enumerate(lines) if "tls: false" in l)
		port = list(lines)
		port[li] = '    - { address: "127.0.0.1:99999", tls: false }'
		rc, out = _check_config(mootd, write("port.yaml", "\n".join(port) + "\n"))
		eq(rc, 1, "port 99999 (output %r)" % out)
		check("port.yaml:%d:" % (li + 1) in out, "port error not at line %d: %r" % (li + 1, out))

		dup = good + lines[gi] + "\n"
		rc, out = _check_config(mootd, write("dup.yaml", dup))
		eq(rc, 1, "duplicate group (output %r)" % out)

		badname = good.replace("moot.general", "Moot General!")
		rc, out = _check_config(mootd, write("name.yaml", badname))
		eq(rc, 1, "invalid group name (output %r)" % out)

		rc, out = _check_config(mootd, write("syntax.yaml", "server: [\n  oops\n"))
		eq(rc, 1, "YAML syntax error (output %r)" % out)
		check("syntax.yaml:" in out, "syntax error does not name the file: %r" % out)

		rc, out = _check_config(mootd, os.path.join(d, "missing.yaml"))
		check(rc != 0, "missing config accepted")
	finally:
		shutil.rmtree(d, ignore_errors=True)


def test_post_with_pipelined_commands(srv):
	# The article and the next commands arrive in one write; the commands
	# wait for the commit and are then answered in order.
	mid = new_msgid("pipe")
	with srv.raw() as c:
		c.cmd("POST", 340)
		c.send_raw(harness.wire(article(msgid=mid)) + b".\r\nDATE\r\nSTAT " + mid.encode() +
			   b"\r\nGROUP moot.general\r\nPOST\r\n")
		c.expect(240)
		c.expect(111)
		eq(c.expect(223).split()[2], mid, "STAT after pipelined POST")
		eq(c.expect(211).split()[1], "1", "GROUP count")
		c.expect(340)
		c.send_raw(harness.wire(article(subject="second")) + b".\r\nSTAT 2\r\n")
		c.expect(240)
		c.expect(223)


def test_quit_ends_the_session(srv):
	with srv.raw() as c:
		c.send_raw(b"DATE\r\nQUIT\r\nDATE\r\nHELP\r\n")
		c.expect(111)
		c.expect(205)
		eof, extra = c.at_eof(T(3))
		check(eof, "connection open after QUIT")
		eq(extra, [], "replies to commands after QUIT")


def test_sigterm_mid_article(srv):
	mid = new_msgid("term")
	c = srv.raw()
	try:
		c.cmd("POST", 340)
		c.send_raw(harness.wire(article(msgid=mid))[:80])
		time.sleep(0.1)
		t0 = time.monotonic()
		rc = srv.stop(timeout=T(10))
		eq(rc, 0, "exit status on SIGTERM with a client in the middle of an article")
		check(time.monotonic() - t0 < T(5), "SIGTERM took %.1fs" % (time.monotonic() - t0))
	finally:
		c.close()
	srv.start(new_ports=False)
	with srv.raw() as c:
		c.cmd("STAT %s" % mid, 430)


def test_sigterm_with_unread_output(srv):
	# A client that never reads its replies must not keep mootd from exiting
	# (a drain deadline closes it).
	body = ["%05d %s" % (i, "q" * 60) for i in range(500)]
	with srv.raw() as c:
		c.post(article(subject="Big", body=body))
	c = srv.raw()
	try:
		c.send_raw("GROUP moot.general\r\n" + "ARTICLE 1\r\n" * 300)
		time.sleep(0.3)
		t0 = time.monotonic()
		# mootd gives draining connections 10 s, then closes them.
		rc = srv.stop(timeout=T(15))
		eq(rc, 0, "exit status on SIGTERM with a client not reading (no drain deadline?)")
	finally:
		c.close()


def test_long_replies_whole(srv):
	# Replies far bigger than one write request (64 KB) go out as several, in
	# order and whole, over plain TCP and over TLS: a 300 KB article and an
	# OVER of 450 lines (several chunks of rows).
	body = ["%06d %s" % (i, "w" * 70) for i in range(4000)]
	mid = new_msgid("long")
	ids = harness.post_n(srv, 450, tls=False)
	with srv.raw() as c:
		c.post(article(subject="Long", msgid=mid, body=body))
	got = {}
	for tls in (False, True):
		with srv.raw(tls=tls) as c:
			_, line = c.cmd("GROUP moot.general", 211)
			high = int(line.split()[3])
			eq(c.cmd_multi("BODY %s" % mid, 222), body, "300 KB body (tls=%s)" % tls)
			over = c.cmd_multi("OVER 1-%d" % high, 224)
			eq(len(over), high, "OVER lines (tls=%s)" % tls)
			eq([int(l.split("\t")[0]) for l in over], list(range(1, high + 1)), "OVER numbers in order")
			eq([l.split("\t")[4] for l in over[:450]], ids, "OVER message-ids (tls=%s)" % tls)
			got[tls] = over
	eq(got[False], got[True], "OVER the same over plain TCP and TLS")
