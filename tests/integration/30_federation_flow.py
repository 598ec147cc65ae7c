"""30_federation_flow: articles flowing between mootd instances (issue 5,
DESIGN.md Federation; RFC 5537 flooding, RFC 4644 streaming): two peers,
a line A-B-C, a triangle, and the send/accept wildmats.  Every instance
verifies its peers by CA and recognises them by client-certificate
fingerprint (harness.federate)."""

import os

import harness
from harness import (check, eq, wait_until, article, new_msgid, T, federate, group_stat,
		     head_of, has_all, group_msgids, outq_count)

A, B, C = "a.example.org", "b.example.org", "c.example.org"


def post(srv, group="moot.general", subject="Federated", extra=()):
	"""POST one article on srv; returns its Message-ID."""
	mid = new_msgid("fed")
	with srv.raw(tls=False) as c:
		c.post(article(subject=subject, group=group, msgid=mid, extra=extra))
		c.cmd("QUIT", 205)
	return mid


def arrive(srv, mids, what=None):
	wait_until(lambda: has_all(srv, mids), T(15), interval=0.05,
		   what=what or "%d article(s) on %s" % (len(mids), srv.pathhost))


def quiet(servers):
	"""Wait until no instance has anything queued for a peer."""
	for s in servers:
		wait_until(lambda: outq_count(s) == 0, T(15), what="empty outq on %s" % s.pathhost)


def settled_counts(servers, group, want):
	"""GROUP counts of every instance equal want, and stay so a moment later
	(no echo still on its way)."""
	for s in servers:
		wait_until(lambda: group_stat(s, group)[0] >= want, T(15),
			   what="%d articles in %s on %s" % (want, group, s.pathhost))
	quiet(servers)
	harness.time.sleep(0.3)
	for s in servers:
		eq(group_stat(s, group), (want, 1, want), "GROUP %s on %s" % (group, s.pathhost))
		mids = group_msgids(s, group)
		eq(len(set(mids)), len(mids), "distinct Message-IDs on %s" % s.pathhost)
	quiet(servers)


def test_two_peers():
	srv = federate([A, B], [(A, B)])
	a, b = srv[A], srv[B]
	m1 = post(a, subject="From A")
	arrive(b, [m1])
	h = head_of(b, m1)
	eq(h["message-id"], m1, "Message-ID on B")
	eq(h["path"], "%s!%s!.POSTED!not-for-mail" % (B, A), "Path on B")
	eq(h["xref"], "%s moot.general:1" % B, "Xref on B (B's own numbers)")
	eq(h["subject"], "From A", "Subject on B")
	eq(head_of(a, m1)["xref"], "%s moot.general:1" % A, "Xref on A")
	# B -> A: B's post is number 2 on B and on A.
	m2 = post(b, subject="From B")
	arrive(a, [m2])
	h = head_of(a, m2)
	eq(h["path"], "%s!%s!.POSTED!not-for-mail" % (A, B), "Path on A")
	eq(h["xref"], "%s moot.general:2" % A, "Xref on A")
	settled_counts([a, b], "moot.general", 2)
	eq(group_msgids(a, "moot.general"), [m1, m2], "order on A")
	eq(group_msgids(b, "moot.general"), [m1, m2], "order on B")
	check("feed %s: connected (streaming)" % B in a.log_text(), "A's feed to B streams")
	check("peer %s identified by its certificate" % A in b.log_text(), "B identified A")


def test_line():
	srv = federate([A, B, C], [(A, B), (B, C)])
	a, b, c = srv[A], srv[B], srv[C]
	ma = post(a, subject="From A")
	arrive(c, [ma])
	eq(head_of(c, ma)["path"], "%s!%s!%s!.POSTED!not-for-mail" % (C, B, A), "Path on C")
	eq(head_of(b, ma)["path"], "%s!%s!.POSTED!not-for-mail" % (B, A), "Path on B")
	mc = post(c, subject="From C")
	arrive(a, [mc])
	eq(head_of(a, mc)["path"], "%s!%s!%s!.POSTED!not-for-mail" % (A, B, C), "Path on A")
	mb = post(b, subject="From B")
	arrive(a, [mb])
	arrive(c, [mb])
	settled_counts([a, b, c], "moot.general", 3)


def test_triangle():
	srv = federate([A, B, C], [(A, B), (B, C), (A, C)])
	servers = list(srv.values())
	mids = []
	for s in servers:
		for i in range(3):
			mids.append(post(s, subject="From %s %d" % (s.pathhost, i)))
	for s in servers:
		arrive(s, mids)
	settled_counts(servers, "moot.general", 9)
	# Each article arrived once per instance by the shortest route or the
	# other one; either way the Path starts with the receiver and ends with
	# the origin, and holds no name twice.
	for s in servers:
		for m in mids:
			path = head_of(s, m)["path"].split("!")
			eq(path[0], s.pathhost, "Path on %s starts with it" % s.pathhost)
			eq(path[-2:], [".POSTED", "not-for-mail"], "Path tail")
			hosts = path[:-2]
			eq(len(set(hosts)), len(hosts), "no name twice in Path %r" % path)
	# Still quiet after another post round: no loop made the counts grow.
	harness.time.sleep(0.5)
	for s in servers:
		eq(group_stat(s, "moot.general")[0], 9, "count on %s after quiet" % s.pathhost)
		eq(outq_count(s), 0, "outq on %s" % s.pathhost)


GROUPS = harness.DEFAULT_GROUPS + [
	{"name": "moot.private", "posting": "yes"},	# not in A's send
	{"name": "moot.secret", "posting": "yes"},	# not in B's accept
]
GROUPS_A = GROUPS + [{"name": "moot.onlya", "posting": "yes"}]	# B does not carry it


def test_wildmats():
	srv = federate([A, B], [(A, B)], groups={A: GROUPS_A, B: GROUPS},
		       opts={(A, B): {"send": "moot.*,!moot.private"},
			     (B, A): {"accept": "moot.*,!moot.secret"}})
	a, b = srv[A], srv[B]
	m_private = post(a, group="moot.private", subject="private")
	m_secret = post(a, group="moot.secret", subject="secret")
	m_onlya = post(a, group="moot.onlya", subject="only on A")
	m_x1 = post(a, group="moot.general,moot.onlya", subject="crosspost carried+uncarried")
	m_x2 = post(a, group="moot.secret,moot.general", subject="crosspost refused+accepted")
	m_x3 = post(a, group="moot.private,moot.general", subject="crosspost unsent+sent")
	marker = post(a, subject="marker")
	# Only what A sends is queued: private and onlya (not in send / sent but
	# B lacks the group; onlya matches moot.* so it is offered and refused).
	arrive(b, [m_x1, m_x2, m_x3, marker])
	quiet([a])
	for m in (m_private, m_secret, m_onlya):
		eq(head_of(b, m), None, "%s must not cross" % m)
	eq(head_of(b, m_x1)["xref"], "%s moot.general:1" % B, "crosspost with a group B lacks")
	eq(head_of(b, m_x2)["xref"], "%s moot.general:2" % B, "crosspost with a refused group")
	# A crosspost goes when any of its groups is sent; B files it in every
	# group it carries and accepts, moot.private included.
	eq(head_of(b, m_x3)["xref"], "%s moot.private:1 moot.general:3" % B,
	   "crosspost with an unsent group")
	eq(head_of(b, marker)["xref"], "%s moot.general:4" % B, "marker")
	eq(group_stat(b, "moot.secret"), (0, 1, 0), "moot.secret on B")
	eq(group_stat(b, "moot.private"), (1, 1, 1), "moot.private on B")
	eq(group_stat(b, "moot.onlya"), None, "B does not carry moot.onlya")
	# The other way: B's moot.secret post goes to A (A's accept is moot.*).
	mb = post(b, group="moot.secret", subject="secret from B")
	arrive(a, [mb])
	eq(head_of(a, mb)["xref"], "%s moot.secret:3" % A, "B's secret post on A")
	quiet([a, b])


class FakePeer:
	"""A minimal TLS transit server that does not offer STREAMING, so a feed
	must use IHAVE (RFC 3977 §6.3.2).  It answers 435 to ids in `have`,
	records every command and every article it took, and requires the
	client certificate `client_ca` (a self-signed one is its own CA)."""

	def __init__(self, folder, client_ca, have=()):
		import socket as _socket
		import ssl as _ssl
		import threading
		self.cert, self.key, self.fp = harness.make_client_cert(folder, "fakepeer")
		self.ctx = _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER)
		self.ctx.load_cert_chain(self.cert, self.key)
		self.ctx.verify_mode = _ssl.CERT_REQUIRED
		self.ctx.load_verify_locations(client_ca)
		self.lsock = _socket.create_server(("127.0.0.1", 0))
		self.lsock.settimeout(0.2)
		self.port = self.lsock.getsockname()[1]
		self.have = set(have)
		self.commands, self.articles, self.client_certs = [], {}, []
		self.stop = False
		self.thread = threading.Thread(target=self._serve, daemon=True)
		self.thread.start()

	def _serve(self):
		import hashlib
		while not self.stop:
			try:
				conn, _ = self.lsock.accept()
			except OSError:
				continue
			try:
				conn.settimeout(T(10))
				s = self.ctx.wrap_socket(conn, server_side=True)
				der = s.getpeercert(binary_form=True)
				self.client_certs.append("sha256:" + hashlib.sha256(der).hexdigest())
				f = s.makefile("rwb")
				self._session(f)
				s.close()
			except Exception:
				conn.close()

	def _session(self, f):
		def say(line):
			f.write(line.encode() + b"\r\n")
			f.flush()
		say("200 fake peer ready")
		while not self.stop:
			l = f.readline()
			if not l:
				return
			cmd = l.decode().rstrip("\r\n")
			self.commands.append(cmd)
			verb = cmd.split(" ")[0].upper()
			if verb == "CAPABILITIES":
				say("101 Capability list:")
				say("VERSION 2")
				say("IHAVE")
				say(".")
			elif verb == "MODE":
				say("501 no streaming here")
			elif verb == "IHAVE":
				mid = cmd.split(" ", 1)[1]
				if mid in self.have or mid in self.articles:
					say("435 duplicate")
					continue
				say("335 send it")
				lines = []
				while True:
					a = f.readline()
					if a in (b".\r\n", b""):
						break
					lines.append(a.decode().rstrip("\r\n"))
				self.articles[mid] = lines
				say("235 thanks")
			elif verb == "QUIT":
				say("205 bye")
				return
			else:
				say("500 what?")

	def close(self):
		self.stop = True
		self.thread.join(T(5))
		self.lsock.close()


def test_ihave_feed():
	a = harness.Server(start=False, pathhost=A)
	fps = a.fingerprints()
	known = new_msgid("known")
	fake = FakePeer(a.dir, os.path.join(a.state, "client-cert.pem"), have=[known])
	try:
		a.extra_top = harness.peers_yaml([{
			"name": "fake.example.net", "address": "127.0.0.1:%d" % fake.port,
			"fingerprint": fake.fp, "send": "moot.*", "accept": "moot.*",
			"identity": {"fingerprint": harness.make_client_cert(a.dir, "fakeclient")[2]}}])
		a.start(new_ports=False)
		m1 = post(a, subject="one")
		with a.raw(tls=False) as c:
			c.post(article(subject="known", msgid=known))
		m2 = post(a, subject="two")
		wait_until(lambda: m1 in fake.articles and m2 in fake.articles, T(10),
			   what="articles at the IHAVE-only peer")
		wait_until(lambda: outq_count(a) == 0, T(10), what="A's queue empty")
		check("STREAMING" not in fake.commands and
		      not any(c.startswith(("CHECK", "TAKETHIS")) for c in fake.commands),
		      "no streaming commands to an IHAVE-only peer: %r" % fake.commands)
		eq([c for c in fake.commands if c.startswith("IHAVE")],
		   ["IHAVE %s" % m for m in (m1, known, m2)], "IHAVE offers in article order")
		eq(sorted(fake.articles), sorted([m1, m2]), "the duplicate was not transferred")
		hdr, body = harness.headers_of(fake.articles[m1])
		eq(hdr["path"], "%s!.POSTED!not-for-mail" % A, "Path as sent")
		eq(hdr["message-id"], m1, "Message-ID as sent")
		eq(body, ["Hello from the test suite.", "Second line."], "body as sent")
		check(fake.client_certs and all(fp == fps["client"].lower() for fp in fake.client_certs),
		      "A presented its client certificate: %r vs %s" % (fake.client_certs, fps["client"]))
		check("feed fake.example.net: connected (IHAVE)" in a.log_text(), "log says IHAVE")
	finally:
		if a.alive():
			a.stop()	# closes the feed: the fake's session ends
		fake.close()
