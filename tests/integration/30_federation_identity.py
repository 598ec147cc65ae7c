"""30_federation_identity: who may feed us and whom we feed (issue 5,
DESIGN.md Federation): a client without a certificate, or with one no peer
names, gets no transit service (RFC 3977 §6.3.2, RFC 4644 §2.3-2.5: 480 and
502) and stores nothing; a feed whose peer certificate does not verify (wrong
CA, wrong pinned fingerprint) delivers nothing and says why in the log."""

import harness
from harness import (check, eq, wait_until, article, wire, new_msgid, T, federate,
		     make_client_cert, has_all, head_of, group_stat, outq_count, peers_yaml)

A, B, C = "a.example.org", "b.example.org", "c.example.org"


def transit_article(mid, group="moot.general", path="p.example.net!origin.example"):
	return article(subject="Transit", group=group, msgid=mid,
		       date="Mon, 02 Jan 2023 10:00:00 +0000", extra=["Path: %s" % path])


def _stranger(srv, **kw):
	"""Every transit command from a non-peer is refused; the session stays usable."""
	with srv.raw(**kw) as c:
		caps = c.cmd_multi("CAPABILITIES", 101)
		check("READER" in caps, "CAPABILITIES %r" % caps)
		check("IHAVE" not in caps and "STREAMING" not in caps,
		      "transit capabilities offered to a stranger: %r" % caps)
		c.cmd("MODE STREAM", 502)
		m1, m2, m3 = new_msgid("s"), new_msgid("s"), new_msgid("s")
		eq(c.cmd("CHECK %s" % m1)[0], 480, "CHECK from a stranger")
		eq(c.cmd("IHAVE %s" % m2)[0], 480, "IHAVE from a stranger")
		# TAKETHIS: the article is read to its end, then refused (RFC 4644 §2.5).
		c.send_raw(b"TAKETHIS " + m3.encode() + b"\r\n" + wire(transit_article(m3)) + b".\r\n")
		eq(c.status()[0], 480, "TAKETHIS from a stranger")
		eq(c.cmd("DATE")[0], 111, "DATE after the refused TAKETHIS (stream in step)")
		# Pipelined: TAKETHIS + article + DATE in one write.
		m4 = new_msgid("s")
		c.send_raw(b"TAKETHIS " + m4.encode() + b"\r\n" + wire(transit_article(m4)) +
			   b".\r\nDATE\r\n")
		eq(c.status()[0], 480, "pipelined TAKETHIS from a stranger")
		eq(c.status()[0], 111, "DATE pipelined after TAKETHIS")
		for m in (m1, m2, m3, m4):
			eq(c.cmd("STAT %s" % m)[0], 430, "%s must not be stored" % m)
		c.cmd("QUIT", 205)
	eq(group_stat(srv, "moot.general"), (0, 1, 0), "nothing stored")


def test_stranger_refused():
	srv = federate([A, B], [(A, B)], start=False)
	a = srv[A]
	a.start(new_ports=False)
	# Plain, TLS without a certificate, TLS with a certificate no peer names.
	_stranger(a, tls=False)
	_stranger(a, tls=True)
	cert, key, fp = make_client_cert(a.dir, "stranger")
	_stranger(a, tls=True, cert=cert, key=key)
	plain_fp = "sha256:" + fp[7:].replace(":", "").lower()
	check("client certificate %s is no configured peer" % plain_fp in a.log_text(),
	      "A's log names the unknown certificate %s" % plain_fp)


def test_wrong_ca_and_fingerprint():
	# A feeds B, verifying B with A's own certificate as the CA, and C,
	# pinning the wrong fingerprint (C's client certificate instead of its
	# server certificate).  B and C would accept A.
	srv = federate([A, B, C], [(A, B), (A, C)], start=False)
	a, b, c = srv[A], srv[B], srv[C]
	a.extra_top = peers_yaml([
		{"name": B, "address": "127.0.0.1:%d" % b.tls_port, "ca": a.cert,
		 "send": "moot.*", "accept": "moot.*", "identity": {"fingerprint": b.fps["client"]}},
		{"name": C, "address": "127.0.0.1:%d" % c.tls_port, "fingerprint": c.fps["client"],
		 "send": "moot.*", "accept": "moot.*", "identity": {"fingerprint": c.fps["client"]}},
	])
	for s in (a, b, c):
		s.start(new_ports=False)
	mid = new_msgid("ca")
	with a.raw(tls=False) as conn:
		conn.post(article(msgid=mid))
	wait_until(lambda: "feed %s: TLS: certificate not trusted" % B in a.log_text(), T(10),
		   what="A's log: B's certificate not trusted")
	wait_until(lambda: "feed %s: certificate fingerprint mismatch" % C in a.log_text(), T(10),
		   what="A's log: C's fingerprint mismatch")
	eq(head_of(b, mid), None, "nothing delivered to B")
	eq(head_of(c, mid), None, "nothing delivered to C")
	eq(outq_count(a, B), 1, "still queued for B")
	eq(outq_count(a, C), 1, "still queued for C")
	check("%s: connected" % B not in a.log_text() and "%s: connected" % C not in a.log_text(),
	      "no feed got connected")
