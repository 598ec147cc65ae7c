"""30_federation_inbound: the transit commands as a configured peer sees
them (RFC 4644 streaming: MODE STREAM, CHECK, TAKETHIS; RFC 3977 §6.3.2
IHAVE), driven by a raw TLS client presenting the peer's client certificate.
The receiver is a.example.org; the peer is the inbound-only p.example.net,
accepting moot.* except moot.noaccept."""

import email.utils
import socket
import ssl

import harness
from harness import (check, eq, article, wire, new_msgid, make_client_cert, peers_yaml,
		     head_of, group_stat, headers_of, outq_count)

ME, PEER = "a.example.org", "p.example.net"
DATE = "Mon, 02 Jan 2023 10:00:00 +0000"
GROUPS = harness.DEFAULT_GROUPS + [{"name": "moot.noaccept", "posting": "yes"}]


def receiver():
	"""A started receiver and (cert, key) of the peer's client certificate."""
	srv = harness.Server(start=False, pathhost=ME, groups=GROUPS)
	cert, key, fp = make_client_cert(srv.dir, "p")
	srv.extra_top = peers_yaml([{"name": PEER, "accept": "moot.*,!moot.noaccept",
				     "identity": {"fingerprint": fp}}])
	srv.start()
	return srv, cert, key


def peer_conn(srv, cert, key):
	c = srv.raw(tls=True, cert=cert, key=key)
	check(c.greeting.startswith("200") or c.greeting.startswith("201"), c.greeting)
	return c


def art(mid, group="moot.general", path=PEER + "!origin.example", date=DATE, msgid_hdr=None,
	extra=(), subject="Transit"):
	"""A transit article (lines); path/date None leave the header out."""
	ex = list(extra)
	if path is not None:
		ex.insert(0, "Path: %s" % path)
	return article(subject=subject, group=group, msgid=msgid_hdr or mid, date=date, extra=ex)


def takethis_bytes(mid, lines):
	return b"TAKETHIS " + mid.encode() + b"\r\n" + wire(lines) + b".\r\n"


def takethis(c, mid, lines):
	c.send_raw(takethis_bytes(mid, lines))
	return c.status()


def test_peer_capabilities_and_mode_stream():
	srv, cert, key = receiver()
	with peer_conn(srv, cert, key) as c:
		caps = c.cmd_multi("CAPABILITIES", 101)
		check("IHAVE" in caps and "STREAMING" in caps, "transit capabilities for a peer: %r" % caps)
		eq(c.cmd("MODE STREAM")[1][:3], "203", "MODE STREAM")
		# Still a reader session: DATE works after MODE STREAM.
		eq(c.cmd("DATE")[0], 111, "DATE")
	check("peer %s identified by its certificate" % PEER in srv.log_text(), "log identifies the peer")


def test_check_and_takethis():
	srv, cert, key = receiver()
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		m = new_msgid("in")
		eq(c.cmd("CHECK %s" % m)[1], "238 %s" % m, "CHECK new")
		eq(takethis(c, m, art(m))[1], "239 %s" % m, "TAKETHIS good")
		eq(c.cmd("CHECK %s" % m)[1], "438 %s" % m, "CHECK existing")
		eq(takethis(c, m, art(m, subject="again"))[1], "439 %s" % m, "TAKETHIS duplicate")
		# TAKETHIS without a CHECK first is fine too (RFC 4644 §2.5).
		m2 = new_msgid("in")
		eq(takethis(c, m2, art(m2))[1], "239 %s" % m2, "TAKETHIS without CHECK")
		eq(c.cmd("DATE")[0], 111, "in step")
	h = head_of(srv, m)
	eq(h["path"], "%s!%s!origin.example" % (ME, PEER), "Path: ours prepended")
	eq(h["xref"], "%s moot.general:1" % ME, "Xref")
	eq(h["subject"], "Transit", "the first copy is kept")
	eq(h["date"], DATE, "Date kept")
	check("injection-date" not in h, "no Injection-Date added to a relayed article: %r" % h)
	eq(head_of(srv, m2)["xref"], "%s moot.general:2" % ME, "Xref of the second")
	eq(group_stat(srv, "moot.general"), (2, 1, 2), "GROUP")
	eq(outq_count(srv), 0, "nothing queued (inbound-only peer)")
	# The injecting site's Injection-Date and Injection-Info travel unchanged
	# (RFC 5537 §3.6: a relaying agent changes only Path and Xref).
	m3 = new_msgid("in")
	inj = ["Injection-Date: Mon, 02 Jan 2023 10:00:05 +0000",
	       'Injection-Info: origin.example; posting-account="someone"']
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		eq(takethis(c, m3, art(m3, extra=inj))[1], "239 %s" % m3, "TAKETHIS with injection fields")
	h = head_of(srv, m3)
	eq((h.get("injection-date"), h.get("injection-info")),
	   ("Mon, 02 Jan 2023 10:00:05 +0000", 'origin.example; posting-account="someone"'),
	   "injection fields of a relayed article")


def test_takethis_refusals():
	srv, cert, key = receiver()
	cases = []
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		m = new_msgid("bad")
		other = new_msgid("other")
		cases.append(("Message-ID header differs from the command's id", m,
			      art(m, msgid_hdr=other), other))
		m = new_msgid("bad")
		cases.append(("group outside accept", m, art(m, group="moot.noaccept"), None))
		m = new_msgid("bad")
		cases.append(("group not carried", m, art(m, group="moot.nosuch"), None))
		m = new_msgid("bad")
		cases.append(("our pathhost already in Path", m,
			      art(m, path="%s!x.example!%s!origin.example" % (PEER, ME)), None))
		m = new_msgid("bad")
		cases.append(("no Date", m, art(m, date=None), None))
		m = new_msgid("bad")
		cases.append(("no Path", m, art(m, path=None), None))
		m = new_msgid("bad")
		cases.append(("moderated group without Approved", m, art(m, group="moot.mod"), None))
		for what, mid, lines, _ in cases:
			eq(takethis(c, mid, lines)[1], "439 %s" % mid, "TAKETHIS %s" % what)
			eq(c.cmd("DATE")[0], 111, "in step after %s" % what)
		# A refused id is remembered: offered again, it is not wanted.
		for what, mid, _, _ in cases:
			eq(c.cmd("CHECK %s" % mid)[1], "438 %s" % mid, "CHECK after refusal (%s)" % what)
		# Accepted: a crosspost to an accepted and a refused group is filed
		# in the accepted one only; a Path not starting with the peer's name
		# is accepted (DESIGN.md: RFC 5537 §3.2.1 diagnostic).
		mx = new_msgid("ok")
		eq(takethis(c, mx, art(mx, group="moot.noaccept,moot.general"))[1], "239 %s" % mx,
		   "crosspost with a refused group")
		mp = new_msgid("ok")
		eq(takethis(c, mp, art(mp, path="elsewhere.example!origin.example"))[1], "239 %s" % mp,
		   "Path without the peer's name")
		ma = new_msgid("ok")
		eq(takethis(c, ma, art(ma, group="moot.mod", extra=["Approved: mod@example.org"]))[1],
		   "239 %s" % ma, "moderated group with Approved")
		mn = new_msgid("ok")
		eq(takethis(c, mn, art(mn, group="moot.announce"))[1], "239 %s" % mn,
		   "posting: no group takes articles from peers")
	for what, mid, _, other in cases:
		eq(head_of(srv, mid), None, "nothing stored for %s" % what)
		if other:
			eq(head_of(srv, other), None, "nothing stored under the header's id")
	eq(head_of(srv, mx)["xref"], "%s moot.general:1" % ME, "Xref of the crosspost")
	eq(head_of(srv, mp)["path"], "%s!elsewhere.example!origin.example" % ME, "diagnostic Path")
	eq(head_of(srv, ma)["xref"], "%s moot.mod:1" % ME, "approved article in moot.mod")
	eq(head_of(srv, mn)["xref"], "%s moot.announce:1" % ME, "article in moot.announce")
	eq(group_stat(srv, "moot.noaccept"), (0, 1, 0), "moot.noaccept stays empty")
	eq(group_stat(srv, "moot.general"), (2, 1, 2), "moot.general")


def test_ihave():
	srv, cert, key = receiver()
	with peer_conn(srv, cert, key) as c:
		m = new_msgid("ih")
		c.cmd("IHAVE %s" % m, 335)
		c.send_raw(wire(art(m)) + b".\r\n")
		eq(c.status()[0], 235, "IHAVE transfer")
		eq(c.cmd("IHAVE %s" % m)[0], 435, "IHAVE duplicate")
		# Moderated without Approved: offered (335), then refused (437).
		mm = new_msgid("ih")
		c.cmd("IHAVE %s" % mm, 335)
		c.send_raw(wire(art(mm, group="moot.mod")) + b".\r\n")
		eq(c.status()[0], 437, "IHAVE moderated without Approved")
		eq(c.cmd("IHAVE %s" % mm)[0], 435, "a refused id is not wanted again")
		ma = new_msgid("ih")
		c.cmd("IHAVE %s" % ma, 335)
		c.send_raw(wire(art(ma, group="moot.mod", extra=["Approved: mod@example.org"])) + b".\r\n")
		eq(c.status()[0], 235, "IHAVE moderated with Approved")
		# Article with another Message-ID than offered; group outside accept.
		mx, my = new_msgid("ih"), new_msgid("ih")
		c.cmd("IHAVE %s" % mx, 335)
		c.send_raw(wire(art(mx, msgid_hdr=my)) + b".\r\n")
		eq(c.status()[0], 437, "IHAVE with a different Message-ID header")
		mg = new_msgid("ih")
		c.cmd("IHAVE %s" % mg, 335)
		c.send_raw(wire(art(mg, group="moot.noaccept")) + b".\r\n")
		eq(c.status()[0], 437, "IHAVE for a group outside accept")
		eq(c.cmd("DATE")[0], 111, "in step")
	eq(head_of(srv, m)["path"], "%s!%s!origin.example" % (ME, PEER), "Path after IHAVE")
	eq(head_of(srv, ma)["xref"], "%s moot.mod:1" % ME, "approved")
	for x in (mm, mx, my, mg):
		eq(head_of(srv, x), None, "%s not stored" % x)
	eq(group_stat(srv, "moot.general"), (1, 1, 1), "moot.general")


def test_pipelined_stream():
	srv, cert, key = receiver()
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		mids = [new_msgid("pipe") for _ in range(20)]
		data = b""
		want = []
		for i, m in enumerate(mids):
			if i % 2 == 0:
				data += b"CHECK " + m.encode() + b"\r\n"
				want.append("238 %s" % m)
			else:
				data += takethis_bytes(m, art(m, subject="Pipelined %d" % i))
				want.append("239 %s" % m)
		# Plus a duplicate of an article sent earlier in the same write.
		data += takethis_bytes(mids[1], art(mids[1], subject="dup"))
		want.append("439 %s" % mids[1])
		c.send_raw(data)
		got = [c.readline() for _ in want]
		eq(got, want, "replies in order")
		eq(c.cmd("DATE")[0], 111, "in step")
	eq(group_stat(srv, "moot.general"), (10, 1, 10), "the 10 TAKETHIS articles")
	with srv.raw(tls=False) as r:
		r.cmd("GROUP moot.general", 211)
		got = [l.split(" ", 1)[1] for l in r.cmd_multi("HDR Message-ID 1-", 225)]
	eq(got, mids[1::2], "numbered in the order sent")


def test_quit_pipelined_behind_takethis():
	"""QUIT in the same write as three TAKETHIS: the server answers the
	three (once their commit is on disk) and then the QUIT, in order
	(RFC 3977 §3.5), before it closes.  It used to close at the QUIT with
	the three 239 still owed."""
	srv, cert, key = receiver()
	mids = [new_msgid("pq") for _ in range(3)]
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		c.send_raw(b"".join(takethis_bytes(m, art(m)) for m in mids) + b"QUIT\r\n")
		eof, lines = c.at_eof(harness.T(5))
		check(eof, "closed after the QUIT")
	eq(lines, ["239 %s" % m for m in mids] + ["205 Bye"], "the replies, then the QUIT's")
	eq(group_stat(srv, "moot.general"), (3, 1, 3), "stored")


def test_check_after_pending_takethis():
	"""CHECK <id> pipelined right behind TAKETHIS <id>: the article has been
	received (its commit pending), so it is not wanted again: 438, or 431
	"try later" (RFC 4644 §2.4), never 238."""
	srv, cert, key = receiver()
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		m = new_msgid("pend")
		c.send_raw(takethis_bytes(m, art(m)) + b"CHECK " + m.encode() + b"\r\n")
		eq(c.readline(), "239 %s" % m, "TAKETHIS")
		line = c.readline()
		check(line in ("438 %s" % m, "431 %s" % m),
		      "CHECK of an article received just before: got %r, want 438 (or 431)" % line)


def test_cancel_in_the_same_write():
	"""An article, a second, a cancel of the first and a fourth, pipelined in
	one write, so that one commit holds them all: the group's marks count the
	cancel, live and after a restart (they are kept in the database)."""
	srv, cert, key = receiver()
	a, b, cm, d = (new_msgid("cx") for _ in range(4))
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		data = (takethis_bytes(a, art(a)) + takethis_bytes(b, art(b)) +
			takethis_bytes(cm, art(cm, subject="cmsg cancel " + a, extra=["Control: cancel " + a])) +
			takethis_bytes(d, art(d)))
		c.send_raw(data)
		got = [c.readline() for _ in range(4)]
		eq(got, ["239 %s" % m for m in (a, b, cm, d)], "replies")
	eq(head_of(srv, a), None, "the cancelled article is gone")
	eq(head_of(srv, d)["xref"], "%s moot.general:3" % ME, "numbered after the cancel")
	eq(group_stat(srv, "moot.general"), (2, 2, 3), "marks with the cancel")
	srv.restart()
	eq(group_stat(srv, "moot.general"), (2, 2, 3), "marks after a restart")


def test_cancelled_not_taken_again():
	"""An article cancelled in an earlier commit and offered again by
	TAKETHIS: the insert finds its message-id in history, 439, and nothing
	is stored or numbered for it; the next article takes the next number."""
	srv, cert, key = receiver()
	a, cm, d = (new_msgid("ca") for _ in range(3))
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		eq(takethis(c, a, art(a)), (239, "239 %s" % a), "the article")
		eq(takethis(c, cm, art(cm, subject="cmsg cancel " + a, extra=["Control: cancel " + a])),
		   (239, "239 %s" % cm), "its cancel")
		eq(takethis(c, a, art(a)), (439, "439 %s" % a), "the article again")
		eq(takethis(c, d, art(d)), (239, "239 %s" % d), "the next one")
	eq(head_of(srv, a), None, "the cancelled article stays gone")
	eq(head_of(srv, d)["xref"], "%s moot.general:2" % ME, "no number went to the refused one")
	eq(group_stat(srv, "moot.general"), (1, 2, 2), "marks")


def test_supersedes_from_a_peer():
	"""A relayed article with Supersedes is stored and removes the one it
	names when both were injected at the same site (as a cancel, RFC 5537
	§5.3); injected elsewhere, the new article is stored and the old one
	stays (a forged Supersedes deletes nothing)."""
	srv, cert, key = receiver()
	a, b, forged, c2 = (new_msgid("sup") for _ in range(4))
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		eq(takethis(c, a, art(a))[1], "239 %s" % a, "the original")
		eq(takethis(c, forged, art(forged, path=PEER + "!forger.example",
					     extra=["Supersedes: %s" % a]))[1], "239 %s" % forged,
		   "a Supersedes from another site is taken")
		eq(head_of(srv, a) is not None, True, "but does not remove the original")
		eq(takethis(c, b, art(b, extra=["Supersedes: %s" % a]))[1], "239 %s" % b,
		   "a Supersedes from the original's site")
		eq(takethis(c, c2, art(c2, extra=["Supersedes: junk"]))[1], "239 %s" % c2,
		   "a malformed Supersedes is relayed as it is")
	eq(head_of(srv, a), None, "the superseded article is gone")
	eq(head_of(srv, b)["supersedes"], a, "the new one keeps its header")
	eq(group_stat(srv, "moot.general")[0], 3, "forged, b and c2 left")
	check("not from the article's origin" in srv.log_text(), "the forged Supersedes is logged")


def test_check_right_after_refused_takethis():
	"""CHECK pipelined right behind a TAKETHIS that is refused: the refusal
	is remembered at once, before it is written (438, not 238)."""
	srv, cert, key = receiver()
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		m = new_msgid("ref")
		c.send_raw(takethis_bytes(m, art(m, group="moot.noaccept")) + b"CHECK " + m.encode() + b"\r\n")
		eq(c.readline(), "439 %s" % m, "TAKETHIS refused")
		eq(c.readline(), "438 %s" % m, "CHECK of the id just refused")


def test_newnews_in_chunks():
	"""NEWNEWS over more articles than one chunk of the reply (500): every
	article once, in arrival order, the control article of a cancel not at
	all (it is numbered nowhere), and the wildmat applied."""
	srv, cert, key = receiver()
	mids = [new_msgid("nn") for _ in range(1203)]
	with peer_conn(srv, cert, key) as c:
		c.cmd("MODE STREAM", 203)
		data = b"".join(takethis_bytes(m, art(m, group="moot.noaccept" if i == 7 else
						       "moot.announce" if i % 100 == 3 else "moot.general"))
				for i, m in enumerate(mids))
		cm = new_msgid("nnc")
		data += takethis_bytes(cm, art(cm, subject="cmsg cancel " + mids[0],
					       extra=["Control: cancel " + mids[0]]))
		c.send_raw(data)
		got = [c.readline() for _ in range(len(mids) + 1)]
		eq(sum(1 for l in got if l.startswith("239 ")), len(mids), "all but the refused one taken")
	with srv.raw(tls=False) as r:
		listed = r.cmd_multi("NEWNEWS moot.* 19700101 000000 GMT", 230)
		eq(listed, mids[1:7] + mids[8:], "NEWNEWS moot.*: the articles in order, once each")
		announce = r.cmd_multi("NEWNEWS moot.announce 19700101 000000 GMT", 230)
		eq(announce, [m for i, m in enumerate(mids) if i % 100 == 3], "NEWNEWS with a wildmat")
		eq(r.cmd_multi("NEWNEWS moot.* 20991231 000000 GMT", 230), [], "nothing from the future")
		eq(r.cmd("DATE")[0], 111, "in step after the long reply")


def test_burst_then_close_notify():
	"""A peer writes 60 TAKETHIS of 20 KB articles (more than a turn of the
	loop takes from one connection, SESSION_TURN_BYTES) and QUIT, then
	closes its side of TLS (close_notify, then a TCP half-close) without
	waiting.  The end of the stream arrives while the rest of the burst
	still waits for its turns, often in the middle of an article: every
	article is still taken and answered in order, then 205, then the close."""
	srv, cert, key = receiver()
	mids = [new_msgid("burst") for _ in range(60)]
	body = ["%03d %s" % (i, "b" * 96) for i in range(200)]
	data = b"MODE STREAM\r\n" + b"".join(
		takethis_bytes(m, art(m, subject="Burst %d" % i)[:-2] + body)
		for i, m in enumerate(mids)) + b"QUIT\r\n"
	check(len(data) > 16 * 64 * 1024, "the burst spans many turns: %d bytes" % len(data))
	ctx = ssl.create_default_context(cafile=srv.cert)
	ctx.load_cert_chain(cert, key)
	inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
	tls = ctx.wrap_bio(inc, out, server_hostname="localhost")
	sock = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=harness.T(10))

	def pump():
		"""Send what TLS wrote; feed TLS what arrived (b"" at EOF)."""
		if out.pending:
			sock.sendall(out.read())
		chunk = sock.recv(65536)
		if chunk:
			inc.write(chunk)
		else:
			inc.write_eof()
		return chunk

	try:
		while True:
			try:
				tls.do_handshake()
				break
			except ssl.SSLWantReadError:
				check(pump(), "closed during the handshake")
		tls.write(data)
		try:
			tls.unwrap()
		except ssl.SSLWantReadError:
			pass	# our close_notify is written; the server's comes later
		sock.sendall(out.read())
		sock.shutdown(socket.SHUT_WR)
		got = b""
		while True:
			try:
				piece = tls.read(65536)
			except ssl.SSLWantReadError:
				if not pump():
					break
				continue
			except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
				break
			if not piece:
				break
			got += piece
	finally:
		sock.close()
	lines = got.decode().split("\r\n")
	check(lines[0].startswith("20"), "greeting: %r" % lines[0])
	eq(lines[1][:3], "203", "MODE STREAM")
	eq(lines[2:2 + len(mids)], ["239 %s" % m for m in mids], "every TAKETHIS answered, in order")
	eq(lines[2 + len(mids)][:3], "205", "QUIT answered after them")
	eq(group_stat(srv, "moot.general"), (60, 1, 60), "all 60 stored and numbered")
