"""10_reader_basic: greeting, CAPABILITIES, LIST variants, DATE, HELP, MODE
READER and the basic error codes (RFC 3977, RFC 2980, RFC 6048)."""

import calendar
import time

import harness
from harness import check, eq, expect_code, nntplib

LIST_CAPS = ("ACTIVE", "NEWSGROUPS", "OVERVIEW.FMT", "HEADERS", "ACTIVE.TIMES", "COUNTS", "SUBSCRIPTIONS")


def _check_reader_caps(caps):
	check("2" in caps.get("VERSION", []), "VERSION 2 missing: %r" % caps.get("VERSION"))
	for c in ("READER", "POST", "OVER", "HDR", "NEWNEWS", "LIST"):
		check(c in caps, "capability %s missing: %r" % (c, sorted(caps)))
	for a in LIST_CAPS:
		check(a in caps["LIST"], "LIST %s not advertised: %r" % (a, caps["LIST"]))
	check("MSGID" in caps["OVER"], "OVER MSGID not advertised: %r" % caps["OVER"])
	check("MODE-READER" not in caps, "MODE-READER must not be advertised with READER "
	      "(RFC 3977 §5.3)")


def test_capabilities_tls(srv):
	s = srv.nntp(tls=True)
	try:
		check(s.getwelcome().startswith("200"), "greeting: %r" % s.getwelcome())
		caps = s.getcapabilities()
		_check_reader_caps(caps)
		check("STARTTLS" not in caps, "STARTTLS advertised on the implicit TLS port")
		check("IHAVE" not in caps and "STREAMING" not in caps,
		      "transit capabilities offered to an unauthenticated reader")
	finally:
		s.quit()


def test_capabilities_plain(srv):
	s = srv.nntp(tls=False)
	try:
		check(s.getwelcome().startswith("200"), "greeting: %r" % s.getwelcome())
		caps = s.getcapabilities()
		_check_reader_caps(caps)
		check("STARTTLS" in caps, "STARTTLS not advertised on the plain port: %r" % sorted(caps))
	finally:
		s.quit()


def test_capabilities_raw_code(srv):
	with srv.raw() as c:
		check(c.greeting.startswith("200 "), "greeting %r" % c.greeting)
		lines = c.cmd_multi("CAPABILITIES", 101)
		eq(lines[0], "VERSION 2", "first capability line (RFC 3977 §5.2.2)")
		# commands are case-insensitive (RFC 3977 §3.1)
		lines2 = c.cmd_multi("capabilities", 101)
		eq(lines2, lines, "lower-case CAPABILITIES")


def test_tls_by_ip_address(srv):
	# The generated certificate carries IP:127.0.0.1 in its SAN.
	with srv.raw(tls=True, host="127.0.0.1") as c:
		check(c.greeting.startswith("200"), "greeting %r" % c.greeting)
		c.cmd("DATE", 111)


def test_tls_records_split_and_coalesced(srv):
	"""TLS records cut at odd places across TCP reads, and many records in
	one read: the server reads ciphertext in place from each socket read
	(proto/tls.c), so a record that straddles two reads must be completed
	from the next, and records left in a read must all be taken."""
	import socket
	import ssl
	sock = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=harness.T(10))
	sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
	tls = srv.ssl_context().wrap_bio(inc, out, server_hostname="localhost")

	def pump():
		data = out.read()
		if data:
			sock.sendall(data)

	def read_until(marker):
		got = b""
		while marker not in got:
			try:
				got += tls.read(65536)
				continue
			except ssl.SSLWantReadError:
				pass
			pump()
			data = sock.recv(65536)
			check(data, "connection closed; got %r" % got)
			inc.write(data)
		return got

	while True:
		try:
			tls.do_handshake()
			break
		except ssl.SSLWantReadError:
			pump()
			inc.write(sock.recv(65536))
	pump()
	check(read_until(b"\r\n").startswith(b"20"), "greeting")
	# 40 commands, each its own TLS record, sent in pieces of 1 to 13 bytes.
	for i in range(40):
		tls.write(b"DATE\r\n")
	data = out.read()
	check(len(data) > 40 * 22, "one record per write: %d bytes" % len(data))
	i = 0
	step = 1
	while i < len(data):
		sock.sendall(data[i:i + step])
		i += step
		step = step % 13 + 1
		if step == 7:
			time.sleep(0.002)	# let some pieces arrive as reads of their own
	got = read_until(b"111 ")
	while got.count(b"111 ") < 40:
		got += read_until(b"\r\n")
	eq(got.count(b"111 "), 40, "DATE replies to 40 split records")
	# 200 records written at once: the server takes them from one or a few reads.
	for i in range(200):
		tls.write(b"DATE\r\n")
	sock.sendall(out.read())
	got = b""
	while got.count(b"111 ") < 200:
		got += read_until(b"\r\n")
	eq(got.count(b"111 "), 200, "DATE replies to 200 coalesced records")
	tls.write(b"QUIT\r\n")
	pump()
	check(b"205" in read_until(b"205"), "QUIT")
	sock.close()


def test_list_active_wildmat(srv):
	s = srv.nntp()
	try:
		resp, groups = s.list()
		eq(harness.code_of(resp), 215, "LIST")
		by = {g.group: g for g in groups}
		eq(sorted(by), ["moot.announce", "moot.general", "moot.mod"], "groups in LIST")
		eq(by["moot.general"].flag, "y", "moot.general flag")
		eq(by["moot.announce"].flag, "n", "moot.announce flag")
		eq(by["moot.mod"].flag, "m", "moot.mod flag")
		for g in groups:
			hi, lo = int(g.last), int(g.first)
			check(hi < lo or (hi == 0 and lo == 0), "empty group %s has high %d low %d "
			      "(RFC 3977 §6.1.1.2)" % (g.group, hi, lo))
		resp, groups = s.list("moot.gen*")
		eq([g.group for g in groups], ["moot.general"], "LIST ACTIVE moot.gen*")
		resp, groups = s.list("moot.*,!moot.mod")
		eq(sorted(g.group for g in groups), ["moot.announce", "moot.general"],
		   "LIST ACTIVE moot.*,!moot.mod")
		resp, groups = s.list("nothing.*")
		eq(harness.code_of(resp), 215, "LIST ACTIVE with no match")
		eq(groups, [], "LIST ACTIVE nothing.*")
	finally:
		s.quit()
	with srv.raw() as c:
		lines = c.cmd_multi("LIST ACTIVE moot.a?nounce", 215)
		eq(len(lines), 1, "LIST ACTIVE moot.a?nounce")
		f = lines[0].split(" ")
		eq(len(f), 4, "fields of an active line %r" % lines[0])
		eq((f[0], f[3]), ("moot.announce", "n"), "active line")
		check(f[1].isdigit() and f[2].isdigit(), "numbers in %r" % lines[0])
		plain = c.cmd_multi("LIST", 215)
		eq(sorted(plain), sorted(c.cmd_multi("LIST ACTIVE", 215)), "LIST = LIST ACTIVE")


def test_list_newsgroups(srv):
	s = srv.nntp()
	try:
		resp, d = s.descriptions("moot.*")
		eq(harness.code_of(resp), 215, "LIST NEWSGROUPS")
		eq(d, {"moot.general": "General discussion", "moot.announce": "Read only",
		       "moot.mod": "Moderated"}, "descriptions")
		resp, d = s.descriptions("moot.g*")
		eq(d, {"moot.general": "General discussion"}, "LIST NEWSGROUPS moot.g*")
		eq(s.description("moot.announce"), "Read only", "description()")
	finally:
		s.quit()
	with srv.raw() as c:
		lines = c.cmd_multi("LIST NEWSGROUPS", 215)
		eq(len(lines), 3, "LIST NEWSGROUPS without wildmat")
		for l in lines:
			f = l.split(None, 1)
			check(len(f) == 2 and f[1].strip() != "", "no description in %r" % l)


def test_list_overview_fmt(srv):
	want = ["Subject:", "From:", "Date:", "Message-ID:", "References:", "Bytes:", "Lines:",
		"Xref:full"]
	with srv.raw() as c:
		eq(c.cmd_multi("LIST OVERVIEW.FMT", 215), want, "LIST OVERVIEW.FMT")
	s = srv.nntp()
	try:
		resp, lines = s._longcmdstring("LIST OVERVIEW.FMT")
		eq(lines, want, "LIST OVERVIEW.FMT via nntplib")
	finally:
		s.quit()


def test_list_headers(srv):
	with srv.raw() as c:
		lines = c.cmd_multi("LIST HEADERS", 215)
		check(lines, "LIST HEADERS is empty")
		check(":" in lines or any(l.lower() == "subject:" or l.lower() == "subject"
					  for l in lines), "LIST HEADERS lists neither ':' nor Subject: %r" % lines)
		check(":lines" in lines and ":bytes" in lines,
		      "HDR supports :bytes/:lines, so LIST HEADERS lists them (RFC 3977 §8.6): %r" % lines)
		lines2 = c.cmd_multi("LIST HEADERS MSGID", 215)
		check(lines2, "LIST HEADERS MSGID is empty")
		lines3 = c.cmd_multi("LIST HEADERS RANGE", 215)
		check(lines3, "LIST HEADERS RANGE is empty")
		c.cmd("LIST HEADERS BOGUS", 501)


def test_list_motd(srv):
	with srv.raw() as c:
		eq(c.cmd_multi("LIST MOTD", 215), ["hello"], "LIST MOTD")


@harness.config(motd=None)
def test_list_motd_absent(srv):
	with srv.raw() as c:
		c.cmd("LIST MOTD", 503)		# RFC 6048 §2.5: not available
		c.cmd("DATE", 111)


def test_list_subscriptions(srv):
	"""RFC 6048 §2.6: the groups a new user is subscribed to, here every
	active group, in name order; a wildmat narrows them (CAPABILITIES
	lists the keyword: _check_reader_caps)."""
	with srv.raw() as c:
		eq(c.cmd_multi("LIST SUBSCRIPTIONS", 215), ["moot.announce", "moot.general", "moot.mod"],
		   "LIST SUBSCRIPTIONS")
		eq(c.cmd_multi("LIST SUBSCRIPTIONS moot.g*", 215), ["moot.general"], "with a wildmat")


def test_list_active_times(srv):
	now = time.time()
	with srv.raw() as c:
		lines = c.cmd_multi("LIST ACTIVE.TIMES", 215)
		names = {}
		for l in lines:
			f = l.split()
			eq(len(f), 3, "fields in ACTIVE.TIMES line %r" % l)
			names[f[0]] = int(f[1])
		eq(sorted(names), ["moot.announce", "moot.general", "moot.mod"], "ACTIVE.TIMES groups")
		for n, t in names.items():
			check(abs(t - now) < 3600, "creation time of %s is %d, now %d" % (n, t, now))
		lines = c.cmd_multi("LIST ACTIVE.TIMES moot.ann*", 215)
		eq([l.split()[0] for l in lines], ["moot.announce"], "ACTIVE.TIMES wildmat")


def test_list_counts(srv):
	# RFC 6048 §2.2: the ACTIVE line with the article count before the status,
	# the same figures as GROUP.
	harness.post_n(srv, 3)
	with srv.raw() as c:
		lines = c.cmd_multi("LIST COUNTS", 215)
		rows = {l.split()[0]: l.split()[1:] for l in lines}
		eq(sorted(rows), ["moot.announce", "moot.general", "moot.mod"], "COUNTS groups")
		_, g = c.cmd("GROUP moot.general", 211)
		count, low, high = g.split()[1:4]
		eq(rows["moot.general"], [high, low, count, "y"], "COUNTS line against GROUP")
		eq(rows["moot.mod"][3], "m", "COUNTS status of a moderated group")
		lines = c.cmd_multi("LIST COUNTS moot.gen*", 215)
		eq([l.split()[0] for l in lines], ["moot.general"], "COUNTS wildmat")
		c.cmd("LIST COUNTS [", 501)


def test_xgtitle(srv):
	with srv.raw() as c:
		lines = c.cmd_multi("XGTITLE moot.general", 282)	# RFC 2980 §2.9
		eq(len(lines), 1, "XGTITLE lines")
		name, desc = lines[0].split(None, 1)
		eq((name, desc), ("moot.general", "General discussion"), "XGTITLE")
		lines = c.cmd_multi("XGTITLE moot.*", 282)
		eq(len(lines), 3, "XGTITLE moot.*")


def test_date(srv):
	with srv.raw() as c:
		_, line = c.cmd("DATE", 111)
		f = line.split()
		eq(len(f), 2, "DATE reply %r" % line)
		check(len(f[1]) == 14 and f[1].isdigit(), "DATE value %r" % f[1])
		t = calendar.timegm(time.strptime(f[1], "%Y%m%d%H%M%S"))
		check(abs(t - time.time()) < 60, "DATE %s is far from now (UTC)" % f[1])
	s = srv.nntp()
	try:
		resp, dt = s.date()
		check(abs(calendar.timegm(dt.timetuple()) - time.time()) < 60, "nntplib date %r" % dt)
	finally:
		s.quit()


def test_help(srv):
	with srv.raw() as c:
		lines = c.cmd_multi("HELP", 100)
		check(len(lines) >= 1, "HELP text empty")
		text = "\n".join(lines).upper()
		for verb in ("ARTICLE", "GROUP", "POST"):
			check(verb in text, "HELP does not mention %s" % verb)


def test_unknown_command(srv):
	with srv.raw() as c:
		c.cmd("FROBNICATE", 500)
		c.cmd("FROBNICATE with args", 500)
		c.cmd("XYZZY", 500)
		c.cmd("date", 111)		# verbs are case-insensitive
		c.cmd("DATE extra-arg", 501)	# RFC 3977 §3.2.1: syntax error
		c.cmd("GROUP", 501)


def test_mode_reader_twice(srv):
	with srv.raw() as c:
		c.cmd("MODE READER", 200)
		c.cmd("MODE READER", 200)
		c.cmd("mode reader", 200)
		c.cmd("DATE", 111)
	s = srv.nntp()
	try:
		eq(harness.code_of(s._shortcmd("MODE READER")), 200, "MODE READER via nntplib")
	finally:
		s.quit()


def test_group_and_article_errors(srv):
	with srv.raw() as c:
		c.cmd("GROUP moot.nonexistent", 411)
		c.cmd("ARTICLE 1", 412)
		c.cmd("HEAD 1", 412)
		c.cmd("STAT", 412)
		c.cmd("NEXT", 412)
		c.cmd("LAST", 412)
		c.cmd("LISTGROUP", 412)
		c.cmd("OVER 1-", 412)
		c.cmd("ARTICLE <nonexistent@x>", 430)
		c.cmd("BODY <nonexistent@x>", 430)
		c.cmd("STAT <nonexistent@x>", 430)
		_, line = c.cmd("GROUP moot.general", 211)
		f = line.split()
		eq(f[1], "0", "count of an empty group in %r" % line)
		eq(f[4], "moot.general", "group name in %r" % line)
		c.cmd("ARTICLE 999", 423)
		c.cmd("HEAD 999", 423)
		c.cmd("STAT 999", 423)
		c.cmd("ARTICLE", 420)		# empty group: no current article
		c.cmd("NEXT", 420)
		c.cmd("GROUP moot.nonexistent", 411)
		c.cmd("ARTICLE <still-nonexistent@x>", 430)
		c.cmd("ARTICLE notanumber", 501)
	s = srv.nntp()
	try:
		expect_code(s.group, 411, "moot.nonexistent")
		expect_code(s.stat, 430, "<nonexistent@x>")
	finally:
		s.quit()


def test_quit(srv):
	with srv.raw() as c:
		c.cmd("QUIT", 205)
		eof, extra = c.at_eof(harness.T(3))
		check(eof, "connection still open after QUIT")
		eq(extra, [], "bytes after the 205 reply")


def test_plain_port_nntplib(srv):
	s = srv.nntp(tls=False)
	try:
		resp, count, first, last, name = s.group("moot.general")
		eq((count, name), (0, "moot.general"), "GROUP over plain NNTP")
		eq(harness.code_of(resp), 211, "GROUP code")
	finally:
		s.quit()
