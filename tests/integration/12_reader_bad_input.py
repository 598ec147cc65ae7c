"""12_reader_bad_input: over-long lines, binary garbage, oversized and
truncated articles, idle timeout and the connection limit.  A clear error,
nothing lost, no crash (issue 3)."""

import os
import random
import socket
import ssl
import struct
import time

import harness
from harness import check, eq, article, new_msgid, T


def _alive_and_serving(srv, tls=True):
	check(srv.alive(), "mootd died; log tail:\n%s" % srv.log_tail())
	with srv.raw(tls=tls) as c:
		check(c.greeting.startswith("200"), "greeting after abuse: %r" % c.greeting)
		c.cmd("DATE", 111)


def _count(srv, group="moot.general"):
	with srv.raw() as c:
		_, line = c.cmd("GROUP %s" % group, 211)
		return int(line.split()[1])


def test_long_command_line_501(srv):
	for tls in (True, False):
		with srv.raw(tls=tls) as c:
			c.cmd("GROUP " + "a" * 600, 501)	# 606 octets > 512 (RFC 3977 §3.1)
			c.cmd("DATE", 111)
			c.cmd("X" * 513, 501)
			c.cmd("DATE", 111)
			c.cmd("LIST ACTIVE " + "m" * 505, 501)
			c.cmd("GROUP moot.general", 211)


def test_very_long_command_line_501(srv):
	# Longer than the daemon's input buffer for commands (DESIGN.md: 2 KB).
	with srv.raw() as c:
		c.cmd("GROUP " + "b" * 5000, 501)
		c.cmd("DATE", 111)
		c.send_raw(b"HELP " + b"c" * 100000 + b"\r\nDATE\r\n")
		c.expect(501)
		c.expect(111)
	_alive_and_serving(srv)


def _garbage(seed):
	rnd = random.Random(seed)
	data = bytearray(rnd.getrandbits(8) for _ in range(4096))
	for i in range(0, 4096, 97):
		data[i] = 0
	return bytes(data.replace(b"\n", b"\x00"))	# no newline until we send one


def _garbage_session(srv, tls, seed):
	c = srv.raw(tls=tls)
	try:
		data = _garbage(seed)
		try:
			for i in range(0, len(data), 512):
				c.send_raw(data[i:i + 512])
				time.sleep(0.01)
			time.sleep(0.2)
			check(srv.alive(), "mootd died while receiving garbage")
			c.send_raw(b"\r\n")
			c.send_raw(b"\x00\xff\xfe\r\n\r\n\x01DATE\r\n")
			c.send_raw(b"DATE\r\n")
		except OSError:
			pass		# the server may hang up on garbage: fine
		# whatever comes back must be status lines, then the DATE reply, or EOF
		c.settimeout(T(5))
		while True:
			try:
				line = c.readline_bytes()
			except (EOFError, OSError, ssl.SSLError):
				break
			check(len(line) >= 3 and line[:3].isdigit(), "non-status reply %r" % line[:80])
			check(not line.startswith(b"2"), "garbage accepted: %r" % line[:80])
			if line.startswith(b"111"):
				break
	finally:
		c.close()


def test_binary_garbage_tls(srv):
	_garbage_session(srv, True, 1)
	_alive_and_serving(srv)
	_garbage_session(srv, True, 2)
	_alive_and_serving(srv, tls=False)


def test_binary_garbage_plain(srv):
	_garbage_session(srv, False, 3)
	_alive_and_serving(srv, tls=False)
	_alive_and_serving(srv)


def test_garbage_instead_of_tls_handshake(srv):
	for seed in (4, 5):
		s = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=T(5))
		try:
			s.sendall(_garbage(seed) + b"\r\n")
			s.settimeout(T(3))
			try:
				while s.recv(4096):
					pass
			except OSError:
				pass
		finally:
			s.close()
	# a client that connects and never handshakes, next to a good one
	idle = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=T(5))
	try:
		_alive_and_serving(srv)
	finally:
		idle.close()
	# a plain NNTP client talking to the TLS port
	s = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=T(5))
	s.sendall(b"CAPABILITIES\r\nQUIT\r\n")
	s.close()
	_alive_and_serving(srv)


def test_nul_in_command(srv):
	with srv.raw() as c:
		c.send_raw(b"DA\x00TE\r\n")
		code, line = c.status()
		check(code in (500, 501), "command with NUL: %r" % line)
		c.send_raw(b"GROUP moot.gen\x00eral\r\n")
		code, line = c.status()
		check(code in (411, 501), "GROUP with NUL: %r" % line)
		c.send_raw(b"\xff\xfe\xfd\r\n")
		code, line = c.status()
		check(code in (500, 501), "binary verb: %r" % line)
		c.send_raw(b"\r\n")			# empty line
		code, line = c.status()
		check(code in (500, 501), "empty line: %r" % line)
		c.cmd("DATE", 111)


@harness.config(limits={"max_article_bytes": 2048})
def test_article_too_big(srv):
	bigid = new_msgid("big")
	big = article(subject="Too big", msgid=bigid,
		      body=["%04d %s" % (i, "x" * 70) for i in range(100)])	# ~7.6 KB
	with srv.raw() as c:
		c.cmd("POST", 340)
		c.send_raw(harness.wire(big) + b".\r\n")
		c.expect(441)
		c.cmd("DATE", 111)
		c.post(article(subject="Small", body=["fits"]))
		# a much bigger one, sent in pieces
		c.cmd("POST", 340)
		c.send_raw(harness.wire(article(subject="Huge")))
		chunk = (b"y" * 1000 + b"\r\n") * 100
		for _ in range(20):			# 2 MB
			c.send_raw(chunk)
		c.send_raw(b".\r\n")
		c.expect(441)
		c.cmd("DATE", 111)
		_, line = c.cmd("GROUP moot.general", 211)
		eq(line.split()[1], "1", "only the small article is stored")
	s = srv.nntp()
	try:
		harness.expect_code(s.post, 441, harness.as_bytes_lines(big))
	finally:
		s.quit()
	with srv.raw() as c:
		c.cmd("STAT %s" % bigid, 430)


def test_disconnect_mid_article(srv):
	mid = new_msgid("half")
	lines = article(subject="Half", msgid=mid, body=["line %d" % i for i in range(50)])
	data = harness.wire(lines)
	for tls in (True, False):
		c = srv.raw(tls=tls)
		c.cmd("POST", 340)
		c.send_raw(data[:len(data) // 2])
		time.sleep(0.1)
		c.close()
	# and one that stops right before the terminating "."
	c = srv.raw()
	c.cmd("POST", 340)
	c.send_raw(data)
	time.sleep(0.1)
	c.close()
	time.sleep(0.3)
	check(srv.alive(), "mootd died")
	eq(_count(srv), 0, "GROUP count after aborted POSTs")
	with srv.raw() as c:
		c.cmd("STAT %s" % mid, 430)
	srv.restart()
	eq(_count(srv), 0, "GROUP count after restart")
	with srv.raw() as c:
		c.cmd("STAT %s" % mid, 430)
		c.post(lines)		# the id was never used: it can be posted now
		c.cmd("STAT %s" % mid, 223)


@harness.config(limits={"idle_timeout_s": 1})
def test_idle_timeout(srv):
	t0 = time.monotonic()
	conns = [srv.raw(tls=True), srv.raw(tls=False)]
	try:
		for c in conns:
			eof, lines = c.at_eof(max(0.1, T(3.5) - (time.monotonic() - t0)))
			dt = time.monotonic() - t0
			check(eof, "idle connection still open after %.1fs (idle_timeout_s 1)" % dt)
			for l in lines:
				check(l.startswith("400"), "unexpected line before close: %r" % l)
	finally:
		for c in conns:
			c.close()
	_alive_and_serving(srv)


@harness.config(limits={"idle_timeout_s": 1})
def test_active_connection_not_idle(srv):
	with srv.raw() as c:
		end = time.monotonic() + 2.5
		while time.monotonic() < end:
			c.cmd("DATE", 111)
			time.sleep(0.25)
		c.cmd("DATE", 111)


@harness.config(limits={"max_connections": 3})
def test_max_connections(srv):
	conns = []
	try:
		# The start-up probes may take a moment to be noticed as closed.
		deadline = time.monotonic() + T(3)
		while len(conns) < 3:
			c = srv.raw()
			if c.greeting.startswith("200"):
				conns.append(c)
				continue
			c.close()
			check(time.monotonic() < deadline, "could not open 3 connections with "
			      "max_connections 3: %r" % c.greeting)
			time.sleep(0.1)
		for tls in (True, False):
			c = srv.raw(tls=tls)
			try:
				check(c.greeting.startswith("400"), "connection over the limit: %r" % c.greeting)
				eof, _ = c.at_eof(T(3))
				check(eof, "connection over the limit not closed after 400")
			finally:
				c.close()
		for c in conns:
			c.cmd("DATE", 111)
		conns.pop().close()
		def _one_more():
			c = srv.raw()
			if c.greeting.startswith("200"):
				conns.append(c)
				return True
			c.close()
			return False
		harness.wait_until(_one_more, T(3), 0.1, "a free slot after closing a connection")
		conns[-1].cmd("DATE", 111)
	finally:
		for c in conns:
			c.close()


@harness.config(limits={"max_connections": 3})
def test_abandoned_tls_handshakes_free_their_slot(srv):
	# Clients that connect to the TLS port and leave before (or during) the
	# handshake must not keep a connection slot.
	hello_start = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
	for i in range(6):
		s = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=T(5))
		if i % 2:
			s.sendall(hello_start)		# a truncated ClientHello
		s.close()
	conns = []

	def three():
		c = srv.raw()
		if c.greeting.startswith("200"):
			conns.append(c)
		else:
			c.close()
		return len(conns) == 3
	try:
		harness.wait_until(three, T(3), 0.1, "3 connections after 6 abandoned TLS handshakes "
				   "(max_connections 3)")
	finally:
		for c in conns:
			c.close()


def test_many_connections_quick_close(srv):
	socks = []
	for i in range(60):
		s = socket.create_connection(("127.0.0.1", srv.tls_port if i % 2 else srv.plain_port),
					     timeout=T(5))
		socks.append(s)
	for s in socks:
		s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
		s.close()		# RST
	_alive_and_serving(srv)
	_alive_and_serving(srv, tls=False)


def test_command_line_length_boundary(srv):
	# RFC 3977 §3.1: at most 512 octets including the CRLF.
	with srv.raw() as c:
		pat = "moot.*" + "," + "x" * (512 - 2 - len("LIST ACTIVE ") - 7)
		eq(len("LIST ACTIVE " + pat) + 2, 512, "test line length")
		lines = c.cmd_multi("LIST ACTIVE " + pat, 215)
		eq(len(lines), 3, "LIST ACTIVE with a 512-octet line")
		c.cmd("LIST ACTIVE " + pat + "y", 501)		# 513 octets
		c.cmd("DATE", 111)


def test_byte_by_byte(srv):
	# Framing across reads: commands and an article arrive one octet per write
	# (one TLS record each on the TLS port).
	mid = new_msgid("bytes")
	for tls in (True, False):
		with srv.raw(tls=tls) as c:
			for b in b"DATE\r\n":
				c.send_raw(bytes([b]))
				time.sleep(0.002)
			c.expect(111)
			c.cmd("POST", 340)
			data = harness.wire(article(subject="Slow", msgid=mid if tls else None,
						    body=[".", "a", ".b"])) + b".\r\n"
			for b in data:
				c.send_raw(bytes([b]))
				time.sleep(0.001)
			c.expect(240)
	with srv.raw() as c:
		eq(c.cmd_multi("BODY %s" % mid, 222), [".", "a", ".b"], "body sent byte by byte")
		_, line = c.cmd("GROUP moot.general", 211)
		eq(line.split()[1], "2", "two slow articles")


def test_number_edge_cases(srv):
	harness.post_n(srv, 2)
	with srv.raw() as c:
		c.cmd("GROUP moot.general", 211)
		c.cmd("ARTICLE 0", 423)
		for cmd in ("ARTICLE -1", "STAT 1x", "STAT foo@bar", "STAT <>", "OVER a-b", "OVER 1-2-3",
			    "LISTGROUP moot.general x-"):
			code, line = c.cmd(cmd)
			check(code == 501 or (cmd == "STAT <>" and code == 430),
			      "%s: expected 501, got %r" % (cmd, line))
		for cmd in ("STAT 99999999999999999999", "STAT 2147483648", "STAT 9223372036854775808",
			    "HEAD 18446744073709551617"):
			code, line = c.cmd(cmd)
			check(code in (423, 501), "%s: expected 423 or 501, got %r" % (cmd, line))
		for cmd, ok in (("OVER 1-99999999999999999999", 224), ("OVER 9223372036854775807-", 423),
				("LISTGROUP moot.general 1-9223372036854775807", 211),
				("HDR Subject 2-9223372036854775807", 225),
				("XPAT Subject 1-18446744073709551616 *", 221)):
			code, line = c.cmd(cmd)
			check(code in (ok, 423, 501), "%s: got %r" % (cmd, line))
			if code in (211, 221, 224, 225):
				c.read_multiline()
		eq(c.cmd("STAT 2", 223)[1].split()[1], "2", "still usable")


@harness.config(limits={"idle_timeout_s": 1})
def test_idle_timeout_mid_article(srv):
	mid = new_msgid("slowloris")
	with srv.raw() as c:
		c.cmd("POST", 340)
		c.send_raw(harness.wire(article(msgid=mid))[:60])
		eof, lines = c.at_eof(T(3.5))
		check(eof, "a client idle in the middle of an article was not closed")
	eq(_count(srv), 0, "nothing stored from the abandoned article")
	with srv.raw() as c:
		c.cmd("STAT %s" % mid, 430)
