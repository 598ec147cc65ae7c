"""11_reader_post: POST (RFC 3977 §6.3.1, RFC 5536/5537 injection), reading
back by number and message-id, threads and overview (OVER/XOVER, HDR/XHDR,
XPAT), NEXT/LAST, LISTGROUP ranges, crossposts, NEWNEWS and NEWGROUPS."""

import datetime
import email.utils
import time

import harness
from harness import (check, eq, expect_code, article, as_bytes_lines, new_msgid,
		     headers_of, decode_lines, code_of, PATHHOST)

OTHER_GROUPS = harness.DEFAULT_GROUPS + [
	{"name": "moot.other", "description": "Another group", "posting": "yes"}]


def _group(c, name):
	"""GROUP name on a raw client; returns (count, low, high)."""
	_, line = c.cmd("GROUP %s" % name, 211)
	f = line.split()
	eq(f[4], name, "group name in %r" % line)
	return int(f[1]), int(f[2]), int(f[3])


def test_post_and_read(srv):
	s = srv.nntp()
	try:
		art = article(subject="First post", body=["Hello", "World"])
		resp = s.post(as_bytes_lines(art))
		eq(code_of(resp), 240, "POST reply %r" % resp)
		resp, count, first, last, name = s.group("moot.general")
		eq((count, first, last, name), (1, 1, 1, "moot.general"), "GROUP after one post")
		resp, info = s.article(1)
		eq(code_of(resp), 220, "ARTICLE 1")
		eq(info.number, 1, "ARTICLE 1 number")
		msgid = info.message_id
		hdr, body = headers_of(decode_lines(info.lines))
		eq(hdr.get("message-id"), msgid, "Message-ID header vs 220 line")
		check(msgid.startswith("<") and msgid.endswith(">") and "@" in msgid,
		      "server-made Message-ID %r" % msgid)
		eq(hdr.get("subject"), "First post", "Subject")
		eq(hdr.get("from"), "Tester <tester@example.com>", "From")
		eq(hdr.get("newsgroups"), "moot.general", "Newsgroups")
		check(email.utils.parsedate_to_datetime(hdr["date"]) is not None, "Date %r" % hdr.get("date"))
		path = hdr.get("path", "")
		check(path == PATHHOST or path.startswith(PATHHOST + "!"),
		      "Path %r does not start with the pathhost" % path)
		check(email.utils.parsedate_to_datetime(hdr["injection-date"]) is not None,
		      "Injection-Date missing")
		eq(hdr.get("xref"), "%s moot.general:1" % PATHHOST, "Xref")
		eq(body, ["Hello", "World"], "body")

		resp, hinfo = s.head(1)
		eq(code_of(resp), 221, "HEAD 1")
		hl = decode_lines(hinfo.lines)
		eq(hl, decode_lines(info.lines)[:len(hl)], "HEAD = header part of ARTICLE")
		eq(len(hl) + 1 + len(body), len(info.lines), "HEAD lines + blank + BODY = ARTICLE")
		resp, binfo = s.body(1)
		eq(code_of(resp), 222, "BODY 1")
		eq(decode_lines(binfo.lines), ["Hello", "World"], "BODY 1")
		resp, num, mid = s.stat(1)
		eq((code_of(resp), num, mid), (223, 1, msgid), "STAT 1")
		resp, info2 = s.article(msgid)
		eq(info2.lines, info.lines, "ARTICLE by message-id = by number")
	finally:
		s.quit()
	with srv.raw() as c:
		# by message-id, without a group selected: number 0 (RFC 3977 §6.2.1.2)
		eq(c.cmd("ARTICLE %s" % msgid, 220)[1].split()[1:3], ["0", msgid], "220 by msgid")
		c.read_multiline()
		eq(c.cmd("HEAD %s" % msgid, 221)[1].split()[1:3], ["0", msgid], "221 by msgid")
		c.read_multiline()
		eq(c.cmd("BODY %s" % msgid, 222)[1].split()[1:3], ["0", msgid], "222 by msgid")
		eq(c.read_multiline(), ["Hello", "World"], "BODY by msgid")
		eq(c.cmd("STAT %s" % msgid, 223)[1].split()[1:3], ["0", msgid], "223 by msgid")
		eq(_group(c, "moot.general"), (1, 1, 1), "GROUP on a new connection")
		# current article is the first after GROUP
		eq(c.cmd("STAT", 223)[1].split()[1:3], ["1", msgid], "STAT current")
		eq(c.cmd("HEAD", 221)[1].split()[1:3], ["1", msgid], "HEAD current")
		c.read_multiline()
		act = c.cmd_multi("LIST ACTIVE moot.general", 215)
		eq(act, ["moot.general 1 1 y"], "LIST ACTIVE after one post")


def test_post_keeps_message_id_and_date(srv):
	mid = new_msgid("keep")
	date = email.utils.formatdate(time.time() - 3600, usegmt=True)
	with srv.raw() as c:
		c.post(article(subject="Mine", msgid=mid, date=date))
		_group(c, "moot.general")
		eq(c.cmd("STAT 1", 223)[1].split()[1:3], ["1", mid], "STAT 1")
		hdr, _ = headers_of(c.cmd_multi("HEAD %s" % mid, 221))
		eq(hdr.get("message-id"), mid, "kept Message-ID")
		eq(hdr.get("date"), date, "kept Date")


def test_post_duplicate_message_id(srv):
	mid = new_msgid("dup")
	s = srv.nntp()
	try:
		eq(code_of(s.post(as_bytes_lines(article(msgid=mid)))), 240, "first POST")
		expect_code(s.post, 441, as_bytes_lines(article(subject="again", msgid=mid)))
		resp, count, first, last, name = s.group("moot.general")
		eq(count, 1, "count after a duplicate")
		resp, hinfo = s.head(mid)
		hdr, _ = headers_of(decode_lines(hinfo.lines))
		eq(hdr.get("subject"), "Test subject", "the first article is kept")
	finally:
		s.quit()


def test_post_rejections(srv):
	bad = {
		"unknown group": article(group="moot.nonexistent"),
		"posting: no group": article(group="moot.announce"),
		"missing Subject": article(subject=None),
		"missing From": [l for l in article() if not l.startswith("From:")],
		"missing Newsgroups": [l for l in article() if not l.startswith("Newsgroups:")],
		"header without colon": article(extra=["This is not a header"]),
		"bad Message-ID": article(msgid="not-a-message-id"),
		"unparsable Date": article(date="yesterday at noon"),
		"Message-ID over 250 octets": article(msgid="<%s@example.com>" % ("m" * 250)),
		"no body separator": [l for l in article() if l.startswith(("From:", "Newsgroups:",
									   "Subject:"))] + ["body?"],
		"header line over 998 octets": article(extra=["X-Long: " + "y" * 991]),
		"folded line over 998 octets": article(extra=["X-Long: a", " " + "y" * 998]),
	}
	with srv.raw() as c:
		for why, lines in bad.items():
			_, line = c.cmd("POST", 340)
			c.send_raw(harness.wire(lines) + b".\r\n")
			code, line = c.status()
			if code != 441:
				raise harness.TestFailure("POST with %s: expected 441, got %r" % (why, line))
			c.cmd("DATE", 111)		# still usable
		for g in ("moot.general", "moot.announce", "moot.mod"):
			eq(_group(c, g)[0], 0, "count of %s after rejected posts" % g)
	s = srv.nntp()
	try:
		expect_code(s.post, 441, as_bytes_lines(article(group="moot.nonexistent")))
		expect_code(s.post, 441, as_bytes_lines(article(group="moot.announce")))
		expect_code(s.post, 441, as_bytes_lines(article(subject=None)))
	finally:
		s.quit()


def test_post_line_lengths(srv):
	"""RFC 5322 §2.1.1: a header line holds at most 998 octets before its
	CRLF.  The longest one, a long field folded into shorter lines, and a
	long body line are accepted (as by INN); one octet more is 441 (above)."""
	mids = [new_msgid("len") for _ in range(3)]
	with srv.raw() as c:
		c.post(article(msgid=mids[0], extra=["X-Long: " + "y" * 990]))
		c.post(article(msgid=mids[1], extra=["X-Long: " + "a" * 600, " " + "b" * 600]))
		c.post(article(msgid=mids[2], body=["z" * 5000]))
		head = c.cmd_multi("HEAD %s" % mids[0], 221)
		check("X-Long: " + "y" * 990 in head, "the 998-octet line is kept whole")
		eq(c.cmd_multi("BODY %s" % mids[2], 222), ["z" * 5000], "a 5000-octet body line")


def test_post_large_article(srv):
	# ~900 KB, under the default max_article_bytes of 1,000,000
	body = ["%06d %s" % (i, "L" * 80) for i in range(10000)]
	mid = new_msgid("large")
	s = srv.nntp()
	try:
		eq(code_of(s.post(as_bytes_lines(article(subject="Large", msgid=mid, body=body)))), 240,
		   "POST of a 900 KB article")
		resp, info = s.body(mid)
		eq(decode_lines(info.lines), body, "large body read back")
	finally:
		s.quit()


def test_post_empty_body(srv):
	mid = new_msgid("empty")
	with srv.raw() as c:
		c.post(article(subject="Empty", msgid=mid, body=[]))
		eq(c.cmd_multi("BODY %s" % mid, 222), [], "empty body")
		_group(c, "moot.general")
		eq(c.cmd_multi("HDR :lines 1", 225), ["1 0"], ":lines of an empty body")


def test_post_moderated_goes_to_the_queue(srv):
	# A post to a moderated group by someone who does not moderate it waits
	# for approval (240 saying so), even with a forged Approved header.
	with srv.raw() as c:
		for extra in ([], ["Approved: moderator@example.com"]):
			mid = new_msgid("mod")
			_, line = c.cmd("POST", 340)
			c.send_raw(harness.wire(article(group="moot.mod", msgid=mid, extra=extra)) + b".\r\n")
			code, line = c.status()
			eq(code, 240, "moderated POST")
			check("awaits moderator approval" in line and mid in line, "queued: %r" % line)
			c.cmd("STAT %s" % mid, 430)
		eq(_group(c, "moot.mod")[0], 0, "moot.mod count while queued")


def test_mixed_line_ends_and_a_huge_line(srv):
	"""An article whose body mixes CRLF and bare-LF lines, has a line longer
	than the 64 KiB the session takes at once, dot-stuffed lines after both
	kinds, and a terminator sent as ".\\n": stored with CRLF everywhere, read
	back line for line, in one write or a few bytes at a time."""
	huge = "h" * 70000
	body = ["crlf one", "bare one", "..stuffed after bare", huge, "after huge", "..", "last"]
	wire = (b"crlf one\r\nbare one\n...stuffed after bare\n" + huge.encode() + b"\r\nafter huge\n"
		b"...\r\nlast\n.\n")
	for how in ("at once", "in pieces"):
		mid = new_msgid("ends")
		lines = article(subject="Ends", msgid=mid, body=[])	# the head and its empty line
		head = "".join("%s\r\n" % l for l in lines)
		with srv.raw() as c:
			c.cmd("POST", 340)
			data = head.encode() + wire
			if how == "at once":
				c.send_raw(data)
			else:
				for i in range(0, len(data), 997):
					c.send_raw(data[i:i + 997])
			eq(c.status()[0], 240, "POST %s" % how)
			got = c.cmd_multi("BODY %s" % mid, 222)
			short = [l if len(l) < 100 else "<%d octets>" % len(l) for l in got]
			eq(short, body[:3] + ["<70000 octets>"] + body[4:], "body lines %s" % how)
			eq(got[3], huge, "the huge line %s" % how)
			c.cmd("BODY %s" % mid, 222)
			raw = b"".join(l + b"\r\n" for l in c.read_multiline_bytes(unstuff=False))
			check(b"\n" not in raw.replace(b"\r\n", b""), "only CRLF line ends stored (%s)" % how)


def test_dot_stuffing_roundtrip(srv):
	body = [".", "..", ".leading dot", "...three", "middle . dot", "", ".", "trailing   ",
		"\ttab", "Gr\u00fc\u00dfe", ". space", "end"]
	mid = new_msgid("dots")
	with srv.raw() as c:
		c.post(article(subject="Dots", msgid=mid, body=body))
		_group(c, "moot.general")
		c.cmd("BODY 1", 222)
		raw = c.read_multiline_bytes(unstuff=False)
		eq(raw, harness.wire(body).split(b"\r\n")[:-1], "BODY in wire form (dot-stuffed)")
		eq(c.cmd_multi("BODY %s" % mid, 222), body, "BODY unstuffed")
		art = c.cmd_multi("ARTICLE 1", 220)
		eq(art[-len(body):], body, "ARTICLE body")
		_, over = c.cmd("OVER 1", 224)
		f = c.read_multiline()[0].split("\t")
		eq(int(f[7]), len(body), ":lines counts body lines")
		# RFC 3977 §8.1.1: :bytes is the article's size without the dots
		# added by dot-stuffing (as INN counts it), CRLF as two octets.
		size = sum(len(l.encode("utf-8", "surrogateescape")) + 2 for l in art)
		eq(int(f[6]), size, ":bytes of the unstuffed article")
		eq(c.cmd_multi("HDR :bytes 1", 225), ["1 %d" % size], "HDR :bytes")
	s = srv.nntp()
	try:
		resp, info = s.body(mid)
		eq(decode_lines(info.lines), body, "BODY via nntplib")
		mid2 = new_msgid("dots2")
		s.post(as_bytes_lines(article(subject="Dots 2", msgid=mid2, body=body)))
		resp, info = s.body(mid2)
		eq(decode_lines(info.lines), body, "nntplib-posted body")
	finally:
		s.quit()


def _thread(srv):
	"""Post root, reply, reply-to-reply; returns [(msgid, subject, refs, body)]."""
	root, r1, r2 = new_msgid("root"), new_msgid("r1"), new_msgid("r2")
	arts = [
		(root, "Thread root", "", ["Root body", "line 2", "line 3"]),
		(r1, "Re: Thread root", root, ["Reply body"]),
		(r2, "Re: Thread root again", root + " " + r1, ["Deep", "reply", "", "x"]),
	]
	with srv.raw() as c:
		for mid, subj, refs, body in arts:
			c.post(article(subject=subj, msgid=mid, refs=refs or None, body=body))
	return arts


def test_thread_overview(srv):
	arts = _thread(srv)
	with srv.raw() as c:
		_group(c, "moot.general")
		over = c.cmd_multi("OVER 1-3", 224)
		eq(len(over), 3, "OVER 1-3 lines")
		for n, (line, (mid, subj, refs, body)) in enumerate(zip(over, arts), 1):
			f = line.split("\t")
			eq(len(f), 9, "fields in overview line %r" % line)
			eq(f[0], str(n), "number")
			eq(f[1], subj, "subject")
			eq(f[2], "Tester <tester@example.com>", "from")
			check(email.utils.parsedate_to_datetime(f[3]) is not None, "date %r" % f[3])
			eq(f[4], mid, "message-id")
			eq(f[5], refs, "references")
			eq(int(f[7]), len(body), ":lines of %d" % n)
			wire_lines = c.cmd_multi("ARTICLE %d" % n, 220)
			wlen = len(harness.wire(wire_lines))
			nbytes = int(f[6])
			check(wlen - len(wire_lines) - 3 <= nbytes <= wlen + 5,
			      ":bytes %d implausible for a %d-octet article" % (nbytes, wlen))
			eq(f[8], "Xref: %s moot.general:%d" % (PATHHOST, n), "Xref:full field")
		eq(c.cmd_multi("XOVER 1-3", 224), over, "XOVER = OVER")
		eq(c.cmd_multi("OVER 2", 224), over[1:2], "OVER 2")
		eq(c.cmd_multi("OVER 2-", 224), over[1:], "OVER 2-")
		c.cmd("STAT 1", 223)		# ARTICLE n above moved the current article
		eq(c.cmd_multi("OVER", 224), over[0:1], "OVER (current article)")
		# by message-id: number field 0 (RFC 3977 §8.3.2)
		l = c.cmd_multi("OVER %s" % arts[1][0], 224)
		eq(len(l), 1, "OVER <msgid> lines")
		eq(l[0].split("\t"), ["0"] + over[1].split("\t")[1:], "OVER <msgid>")
		c.cmd("OVER <nonexistent@x>", 430)
		c.cmd("OVER 100-200", 423)
		c.cmd("OVER 3-1", 423)
	s = srv.nntp()
	try:
		s.group("moot.general")
		resp, ov = s.over((1, 3))
		eq([n for n, _ in ov], [1, 2, 3], "nntplib over numbers")
		eq(ov[1][1]["references"], arts[0][0], "nntplib over references")
		eq(ov[2][1]["subject"], arts[2][1], "nntplib over subject")
		eq(int(ov[0][1][":lines"]), 3, "nntplib over :lines")
		resp, ov = s.xover(1, 3)
		eq(len(ov), 3, "nntplib xover")
	finally:
		s.quit()


def test_folded_subject_in_overview(srv):
	mid = new_msgid("fold")
	lines = ["From: Tester <tester@example.com>", "Newsgroups: moot.general",
		 "Subject: Folded", "\tsubject line", "Message-ID: %s" % mid, "", "body"]
	with srv.raw() as c:
		c.post(lines)
		_group(c, "moot.general")
		f = c.cmd_multi("OVER 1", 224)[0].split("\t")
		eq(len(f), 9, "fields with a folded subject")
		eq(f[1], "Folded subject line", "unfolded subject, TAB as space (RFC 3977 §8.3.2)")
		hdr = c.cmd_multi("HDR Subject 1", 225)
		eq(hdr, ["1 Folded subject line"], "HDR of a folded subject")


def test_hdr_xhdr_xpat(srv):
	arts = _thread(srv)
	with srv.raw() as c:
		c.cmd("HDR Subject 1-3", 412)		# no group yet
		_group(c, "moot.general")
		eq(c.cmd_multi("HDR Subject 1-3", 225),
		   ["1 Thread root", "2 Re: Thread root", "3 Re: Thread root again"], "HDR Subject 1-3")
		eq(c.cmd_multi("HDR subject 2-", 225),
		   ["2 Re: Thread root", "3 Re: Thread root again"], "HDR subject 2- (case)")
		eq(c.cmd_multi("HDR :lines 1-3", 225), ["1 3", "2 1", "3 4"], "HDR :lines")
		eq(c.cmd_multi("HDR Message-ID 2", 225), ["2 %s" % arts[1][0]], "HDR Message-ID 2")
		# an absent header: the number, the space optional (RFC 3977 §8.5.2)
		eq([l.rstrip(" ") for l in c.cmd_multi("HDR References 1-2", 225)],
		   ["1", "2 %s" % arts[0][0]], "HDR References (empty value for the root)")
		eq(c.cmd_multi("HDR Subject %s" % arts[1][0], 225), ["0 Re: Thread root"],
		   "HDR by message-id")
		eq(c.cmd_multi("HDR Subject", 225), ["1 Thread root"], "HDR current article")
		c.cmd("HDR Subject 100-200", 423)
		c.cmd("HDR Subject <nonexistent@x>", 430)
		c.cmd("HDR", 501)
		# RFC 3977 §8.5.2: an unknown metadata item is 503, a malformed
		# field 501; a lone ":" is no item at all (§9.8), as INN says.
		c.cmd("HDR :foo 1-3", 503)
		c.cmd("HDR : 1-3", 501)
		c.cmd("XHDR : 1-3", 501)
		c.cmd("XPAT : 1-3 *", 501)
		c.cmd("HDR Sub:ject 1-3", 501)
		# RFC 2980 XHDR: 221
		eq(c.cmd_multi("XHDR Subject 1-3", 221),
		   ["1 Thread root", "2 Re: Thread root", "3 Re: Thread root again"], "XHDR 1-3")
		l = c.cmd_multi("XHDR Subject %s" % arts[1][0], 221)
		eq(len(l), 1, "XHDR <msgid> lines")
		first, _, val = l[0].partition(" ")
		check(first in ("0", arts[1][0]), "XHDR <msgid> first token %r" % first)
		eq(val, "Re: Thread root", "XHDR <msgid> value")
		# RFC 2980 §2.6 XPAT
		eq(c.cmd_multi("XPAT Subject 1-3 Re:*", 221),
		   ["2 Re: Thread root", "3 Re: Thread root again"], "XPAT Re:*")
		eq(c.cmd_multi("XPAT Subject 1- *again", 221), ["3 Re: Thread root again"],
		   "XPAT *again")
		eq(c.cmd_multi("XPAT Subject 1-3 *nomatch*", 221), [], "XPAT no match")
		l = c.cmd_multi("XPAT Subject %s *Thread*" % arts[0][0], 221)
		eq(len(l), 1, "XPAT by message-id")
	s = srv.nntp()
	try:
		s.group("moot.general")
		resp, l = s.xhdr("subject", "1-3")
		eq([n for n, _ in l], ["1", "2", "3"], "nntplib xhdr numbers")
	finally:
		s.quit()


def test_xhdr_xpat_absent_header(srv):
	"""An article without the header: HDR gives it an empty value (RFC 3977
	§8.5.2); XHDR and XPAT leave it out, as INN does, so "*" matches only
	articles that have the header.  Overview fields are always there."""
	mids = [new_msgid("kw") for _ in range(3)]
	with srv.raw() as c:
		for i, mid in enumerate(mids):
			c.post(article(msgid=mid, extra=["Keywords: k2"] if i == 1 else []))
		_group(c, "moot.general")
		eq([l.rstrip(" ") for l in c.cmd_multi("HDR Keywords 1-3", 225)], ["1", "2 k2", "3"],
		   "HDR of a header only article 2 has")
		eq(c.cmd_multi("XHDR Keywords 1-3", 221), ["2 k2"], "XHDR leaves out the others")
		eq(c.cmd_multi("XPAT Keywords 1-3 *", 221), ["2 k2"], "XPAT * needs the header")
		eq(c.cmd_multi("XHDR Keywords %s" % mids[0], 221), [], "XHDR <msgid> without it")
		eq(c.cmd_multi("XHDR Keywords %s" % mids[1], 221), ["%s k2" % mids[1]],
		   "XHDR <msgid> with it")
		eq([l.rstrip(" ") for l in c.cmd_multi("XHDR References 1-3", 221)], ["1", "2", "3"],
		   "an empty overview field still has its line")


def test_next_last(srv):
	arts = _thread(srv)
	with srv.raw() as c:
		_group(c, "moot.general")
		c.cmd("LAST", 422)
		eq(c.cmd("NEXT", 223)[1].split()[1:3], ["2", arts[1][0]], "NEXT to 2")
		eq(c.cmd("NEXT", 223)[1].split()[1:3], ["3", arts[2][0]], "NEXT to 3")
		c.cmd("NEXT", 421)
		eq(c.cmd("STAT", 223)[1].split()[1:3], ["3", arts[2][0]], "current stays 3")
		eq(c.cmd("LAST", 223)[1].split()[1:3], ["2", arts[1][0]], "LAST to 2")
		eq(c.cmd("LAST", 223)[1].split()[1:3], ["1", arts[0][0]], "LAST to 1")
		c.cmd("LAST", 422)
		c.cmd("STAT 3", 223)			# sets the current article
		eq(c.cmd("LAST", 223)[1].split()[1:3], ["2", arts[1][0]], "LAST after STAT 3")
		c.cmd("STAT %s" % arts[0][0], 223)	# by msgid: current unchanged
		eq(c.cmd("STAT", 223)[1].split()[1], "2", "current unchanged by STAT <msgid>")
	s = srv.nntp()
	try:
		s.group("moot.general")
		resp, num, mid = s.next()
		eq((num, mid), (2, arts[1][0]), "nntplib next")
		resp, num, mid = s.last()
		eq((num, mid), (1, arts[0][0]), "nntplib last")
		expect_code(s.last, 422)
	finally:
		s.quit()


def test_listgroup_ranges(srv):
	_thread(srv)
	with srv.raw() as c:
		c.cmd("LISTGROUP", 412)
		_, line = c.cmd("LISTGROUP moot.general 2-", 211)
		eq(line.split()[1:5], ["3", "1", "3", "moot.general"], "LISTGROUP status line")
		eq(c.read_multiline(), ["2", "3"], "LISTGROUP 2-")
		eq(c.cmd_multi("LISTGROUP moot.general 1-2", 211), ["1", "2"], "LISTGROUP 1-2")
		eq(c.cmd_multi("LISTGROUP moot.general 3-1", 211), [], "LISTGROUP 3-1")
		eq(c.cmd_multi("LISTGROUP moot.general 2", 211), ["2"], "LISTGROUP 2")
		eq(c.cmd_multi("LISTGROUP moot.general 4-", 211), [], "LISTGROUP 4-")
		c.cmd("LISTGROUP moot.nonexistent", 411)
		eq(c.cmd_multi("LISTGROUP moot.announce", 211), [], "LISTGROUP of an empty group")
	with srv.raw() as c:
		_group(c, "moot.general")
		eq(c.cmd_multi("LISTGROUP", 211), ["1", "2", "3"], "LISTGROUP after GROUP")
		eq(c.cmd("STAT", 223)[1].split()[1], "1", "LISTGROUP selects the first article")


@harness.config(groups=OTHER_GROUPS)
def test_crosspost(srv):
	solo = new_msgid("solo")
	mid = new_msgid("xpost")
	with srv.raw() as c:
		c.post(article(subject="General only", msgid=solo))
		c.post(article(subject="Crossposted", group="moot.general,moot.other", msgid=mid))
		eq(_group(c, "moot.general"), (2, 1, 2), "moot.general after crosspost")
		eq(c.cmd("STAT 2", 223)[1].split()[2], mid, "moot.general:2")
		x1 = c.cmd_multi("OVER 2", 224)[0].split("\t")[8]
		eq(_group(c, "moot.other"), (1, 1, 1), "moot.other after crosspost")
		eq(c.cmd("STAT 1", 223)[1].split()[2], mid, "moot.other:1")
		x2 = c.cmd_multi("OVER 1", 224)[0].split("\t")[8]
		hdr, body = headers_of(c.cmd_multi("ARTICLE %s" % mid, 220))
		xref = hdr["xref"].split()
		eq(xref[0], PATHHOST, "Xref host")
		eq(sorted(xref[1:]), ["moot.general:2", "moot.other:1"], "Xref entries")
		eq(x1, x2, "the same overview Xref from both groups")
		eq(sorted(x1.split()[2:]), ["moot.general:2", "moot.other:1"], "overview Xref")
		act = {l.split()[0]: l for l in c.cmd_multi("LIST ACTIVE", 215)}
		eq(act["moot.other"], "moot.other 1 1 y", "LIST ACTIVE moot.other")
		eq(act["moot.general"], "moot.general 2 1 y", "LIST ACTIVE moot.general")
		# folding white space around commas (RFC 5536 §3.1.4), a group named twice
		sp = new_msgid("spaces")
		c.post(article(subject="Spaces", group="moot.other , moot.general,moot.other", msgid=sp))
		eq(_group(c, "moot.general"), (3, 1, 3), "moot.general after a spaced crosspost")
		eq(c.cmd("STAT 3", 223)[1].split()[2], sp, "moot.general:3")
		eq(_group(c, "moot.other"), (2, 1, 2), "moot.other numbered once")
		hdr, _ = headers_of(c.cmd_multi("HEAD %s" % sp, 221))
		eq(sorted(hdr["xref"].split()[1:]), ["moot.general:3", "moot.other:2"], "Xref, once each")


def test_newnews(srv):
	before = datetime.datetime.utcnow() - datetime.timedelta(minutes=2)
	arts = _thread(srv)
	ids = sorted(a[0] for a in arts)
	future = datetime.datetime.utcnow() + datetime.timedelta(days=1)
	with srv.raw() as c:
		eq(sorted(c.cmd_multi("NEWNEWS moot.* 20000101 000000", 230)), ids, "NEWNEWS since 2000")
		eq(sorted(c.cmd_multi("NEWNEWS moot.* %s GMT" % before.strftime("%Y%m%d %H%M%S"), 230)),
		   ids, "NEWNEWS since 2 minutes ago")
		eq(c.cmd_multi("NEWNEWS moot.* %s" % future.strftime("%Y%m%d %H%M%S"), 230), [],
		   "NEWNEWS since tomorrow")
		eq(c.cmd_multi("NEWNEWS moot.announce 20000101 000000", 230), [],
		   "NEWNEWS in an empty group")
		eq(sorted(c.cmd_multi("NEWNEWS moot.gen*,!moot.mod 000101 000000", 230)), ids,
		   "NEWNEWS with a 6-digit date")
		c.cmd("NEWNEWS moot.* 2000 000000", 501)
		c.cmd("NEWNEWS moot.*", 501)
	s = srv.nntp()
	try:
		resp, l = s.newnews("moot.*", before)
		eq(sorted(l), ids, "nntplib newnews")
	finally:
		s.quit()


def test_newgroups(srv):
	names = ["moot.announce", "moot.general", "moot.mod"]
	with srv.raw() as c:
		l = c.cmd_multi("NEWGROUPS 20000101 000000", 231)
		eq(sorted(x.split()[0] for x in l), names, "NEWGROUPS 8-digit date")
		for x in l:
			eq(len(x.split()), 4, "NEWGROUPS line format %r" % x)
		l = c.cmd_multi("NEWGROUPS 000101 000000 GMT", 231)
		eq(sorted(x.split()[0] for x in l), names, "NEWGROUPS 6-digit date")
		eq(c.cmd_multi("NEWGROUPS 20991231 235959", 231), [], "NEWGROUPS in the future")
		c.cmd("NEWGROUPS 2000010 000000", 501)
		c.cmd("NEWGROUPS 20000101", 501)
		c.cmd("NEWGROUPS 20001301 000000", 501)
	s = srv.nntp()
	try:
		resp, l = s.newgroups(datetime.date(2000, 1, 1))
		eq(sorted(g.group for g in l), names, "nntplib newgroups")
	finally:
		s.quit()


def test_post_plain_port(srv):
	s = srv.nntp(tls=False)
	try:
		mid = new_msgid("plain")
		eq(code_of(s.post(as_bytes_lines(article(msgid=mid)))), 240, "POST over plain")
		resp, num, m = s.stat(mid)
		eq(m, mid, "STAT after plain POST")
	finally:
		s.quit()
	with srv.raw(tls=True) as c:
		c.cmd("STAT %s" % mid, 223)
