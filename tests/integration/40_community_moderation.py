"""40_community_moderation: the community manager's protocol (docs/protocol.md,
XMOOT): the moderation queue (XMOD QUEUE/SHOW/APPROVE/REJECT), cancels by
author or moderator (XCANCEL, RFC 5537 §5.3 control articles) reaching a
peer, a forged inbound cancel ignored, bans and hourly rate limits with
their 440/441 replies, and the health figures (XSTATS) on a known fixture."""

import importlib.util
import os

import harness
from harness import (check, eq, wait_until, T, federate, group_stat, head_of, has_all, article,
		     wire, new_msgid, make_client_cert, peers_yaml)


def _common():
	p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "40_community_common.py")
	spec = importlib.util.spec_from_file_location("community_common_mod", p)
	m = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(m)
	return m


cc = _common()
A, B = "a.example.org", "b.example.org"
BOB, CARL = "Bob <bob@example.org>", "Carl <carl@example.org>"


def community_pair():
	"""A (members, roles, login needed to post) feeding B.  On A: ana
	moderates moot.mod* by roles.moderators, mo is a store-role moderator,
	bob and carl are members."""
	srv = federate([A, B], [(A, B)], start=False)
	a, b = srv[A], srv[B]
	a.access = {"post": "authenticated"}
	a.extra_top += cc.roles_yaml(moderators=[("ana", "moot.mod*")])
	for name, role in (("ana", "member"), ("mo", "moderator"), ("bob", "member"), ("carl", "member")):
		cc.add_user(a, name, role=role, address="%s@example.org" % name)
	a.start(new_ports=False)
	b.start(new_ports=False)
	return a, b


def arrive(srv, mids):
	wait_until(lambda: has_all(srv, mids), T(15), what="%r on %s" % (mids, srv.pathhost))


def gone(srv, mid):
	wait_until(lambda: cc.stat(srv, mid) == 430, T(15), what="%s gone from %s" % (mid, srv.pathhost))


def test_moderation_queue_and_cancel():
	a, b = community_pair()
	bob = cc.login(a, "bob")
	ana = cc.login(a, "ana")
	mo = cc.login(a, "mo")
	carl = cc.login(a, "carl")
	try:
		# A member's post to a moderated group waits, invisible.
		mid, line = cc.post_as(bob, BOB, group="moot.mod", subject="Please approve")
		eq(line, "240 Article received %s; it awaits moderator approval" % mid, "queued reply")
		eq(group_stat(a, "moot.mod"), (0, 1, 0), "nothing numbered in moot.mod yet")
		eq(cc.stat(a, mid), 430, "queued article not readable")
		eq(bob.cmd("XMOD QUEUE")[0], 502, "XMOD by a non-moderator")
		eq(bob.cmd("XSTATS")[0], 502, "XSTATS by a non-moderator")
		with a.raw(tls=False) as anon:
			eq(anon.cmd("XMOD QUEUE")[0], 480, "XMOD without login")
			eq(anon.cmd("XCANCEL %s" % mid)[0], 480, "XCANCEL without login")
		# Both kinds of moderator see it; a wildmat narrows the list.
		for who, c in (("ana (roles.moderators)", ana), ("mo (store role)", mo)):
			q = cc.queue(c)
			eq([(e["msgid"], e["user"], e["groups"], e["subject"]) for e in q],
			   [(mid, "bob", "moot.mod", "Please approve")], "queue for %s" % who)
			check("bob@example.org" in q[0]["from"], "From in the queue line: %r" % q[0])
		eq(cc.queue(ana, "moot.general"), [], "queue for a wildmat without it")
		qid = cc.queue(ana, "moot.m*")[0]["id"]
		lines = ana.cmd_multi("XMOD SHOW %d" % qid, 290)
		hdr, body = harness.headers_of(lines)
		eq(hdr["message-id"], mid, "XMOD SHOW: the queued article")
		eq(bob.cmd("XMOD SHOW %d" % qid)[0], 502, "XMOD SHOW by a non-moderator")
		eq(ana.cmd("XMOD SHOW 999999")[0], 490, "XMOD SHOW of no such id")
		eq(ana.cmd("XMOD APPROVE x1")[0], 501, "XMOD APPROVE of a bad id")
		# Approval: visible with Approved, and sent on to B.
		eq(ana.cmd("XMOD APPROVE %d" % qid)[0], 291, "XMOD APPROVE")
		eq(cc.queue(ana), [], "queue empty after approval")
		eq(ana.cmd("XMOD APPROVE %d" % qid)[0], 490, "approving twice")
		eq(group_stat(a, "moot.mod"), (1, 1, 1), "approved article numbered")
		h = head_of(a, mid)
		eq(h["approved"], "ana@example.org", "Approved added by the server")
		eq(h["from"], BOB, "From kept")
		arrive(b, [mid])
		eq(head_of(b, mid)["approved"], "ana@example.org", "Approved on the peer")
		# Rejection leaves nothing, here or there.
		mid2, line = cc.post_as(bob, BOB, group="moot.mod", subject="Spam")
		check(line.endswith("it awaits moderator approval"), line)
		qid2 = cc.queue(mo)[0]["id"]
		eq(mo.cmd("XMOD REJECT %d off topic, sorry" % qid2)[0], 291, "XMOD REJECT")
		eq(cc.queue(mo), [], "queue empty after rejection")
		eq(mo.cmd("XMOD SHOW %d" % qid2)[0], 490, "rejected article gone from the queue")
		# A moderator's own post to the group goes straight in.
		mid3, line = cc.post_as(ana, "Ana <ana@example.org>", group="moot.mod", subject="Rules")
		eq(line, "240 Article received %s" % mid3, "moderator posts directly")
		eq(head_of(a, mid3)["approved"], "ana@example.org", "and Approved is added")
		arrive(b, [mid3])
		eq(cc.stat(a, mid2), 430, "rejected article never stored on A")
		eq(cc.stat(b, mid2), 430, "nor on B")
		eq(group_stat(a, "moot.mod")[0], 2, "moot.mod on A")
		# Cancel: a stranger may not, the author may; both sides lose it.
		m4, _ = cc.post_as(bob, BOB, subject="Oops")
		arrive(b, [m4])
		eq(carl.cmd("XCANCEL %s" % m4)[0], 502, "cancel by a stranger")
		line = carl.post(article(group="moot.general", frm=CARL, subject="cmsg cancel %s" % m4,
					 extra=["Control: cancel %s" % m4]), expect=441)
		check("Permission denied" in line, "a stranger's posted cancel: %r" % line)
		eq(cc.stat(a, m4), 223, "still there after the refused cancels")
		eq(bob.cmd("XCANCEL <nosuch@example.org>")[0], 430, "cancel of an unknown article")
		eq(bob.cmd("XCANCEL not-an-id")[0], 501, "cancel of a malformed id")
		eq(bob.cmd("XCANCEL %s" % m4)[0], 291, "cancel by the author")
		eq(cc.stat(a, m4), 430, "cancelled article gone on A")
		gone(b, m4)
		eq(bob.cmd("XCANCEL %s" % m4)[0], 430, "cancelled twice")
		# A moderator of one of its groups may cancel too.
		m6, _ = cc.post_as(ana, "Ana <ana@example.org>", group="moot.mod", subject="By ana")
		eq(carl.cmd("XCANCEL %s" % m6)[0], 502, "member cancelling a moderator's post")
		eq(mo.cmd("XCANCEL %s" % m6)[0], 291, "cancel by a (store-role) moderator")
		eq(cc.stat(a, m6), 430, "moderator's cancel honoured")
		# The audit log keeps what moderators did.
		check("rejected" in a.log_text() and "approved" in a.log_text(), "moderator actions logged")
	finally:
		for c in (bob, ana, mo, carl):
			c.close()


def test_bans():
	a, _ = community_pair()
	bob = cc.login(a, "bob")
	ana = cc.login(a, "ana")
	try:
		eq(ana.cmd("XMOD BAN USER bob 0 spamming the group")[0], 291, "ban bob for good")
		code, line = bob.cmd("POST")
		eq(code, 440, "banned member's POST")
		check("banned" in line and "spamming the group" in line, "440 says why: %r" % line)
		# A new session of the same member is banned too; reading still works.
		with cc.login(a, "bob") as again:
			eq(again.cmd("POST")[0], 440, "banned in a new session")
			eq(again.cmd("GROUP moot.general")[0], 211, "banned member can read")
		eq(ana.cmd("XMOD UNBAN USER bob")[0], 291, "unban")
		eq(ana.cmd("XMOD UNBAN USER bob")[0], 490, "unban without a ban")
		cc.post_as(bob, BOB, subject="Back again")
		# An address ban with an end; other members from it are stopped too.
		eq(ana.cmd("XMOD BAN ADDRESS 127.0.0.1 3600 flood")[0], 291, "ban the address")
		code, line = bob.cmd("POST")
		eq(code, 440, "POST from a banned address")
		check("until" in line, "a ban with an end says until when: %r" % line)
		eq(ana.cmd("XMOD BAN USER bob soon")[0], 501, "ban with a bad duration")
		eq(ana.cmd("XMOD BAN USER bob 3155760001")[0], 501, "ban longer than a hundred years")
		eq(ana.cmd("XMOD BAN USER bob 99999999999999999999")[0], 501, "ban past the 64-bit range")
		eq(ana.cmd("XMOD BAN USER nobody 3155760000 long")[0], 291, "a ban of a hundred years")
		eq(ana.cmd("XMOD BAN PERSON bob 0")[0], 501, "ban of an unknown kind")
		eq(ana.cmd("XMOD UNBAN ADDRESS 127.0.0.1")[0], 291, "unban the address")
		cc.post_as(bob, BOB, subject="Free again")
		eq(bob.cmd("XMOD BAN USER ana 0")[0], 502, "a member cannot ban")
	finally:
		bob.close()
		ana.close()


@harness.config(access={"post": "authenticated"}, extra_top=cc.roles_yaml(admins=["root"]))
def test_supersede(srv):
	"""A post with Supersedes (RFC 5536 §3.2.12, what tin's and slrn's
	"supersede" sends) replaces the named article, in the same commit, when
	its poster may cancel that one: the author or an admin; anyone else gets
	441 and both stay as they were."""
	for name in ("bob", "carl", "root"):
		cc.add_user(srv, name, address="%s@example.org" % name)
	with cc.login(srv, "bob") as bob, cc.login(srv, "carl") as carl, cc.login(srv, "root") as root:
		old, _ = cc.post_as(bob, BOB, subject="First version")
		line = carl.post(article(frm=CARL, subject="Hijack", extra=["Supersedes: %s" % old]), expect=441)
		check("Permission denied" in line, "a stranger's supersede: %r" % line)
		eq(cc.stat(srv, old), 223, "the original stays after a refused supersede")
		eq(group_stat(srv, "moot.general")[0], 1, "and nothing was added")
		bob.post(article(frm=BOB, subject="x", extra=["Supersedes: not-an-id"]), expect=441)
		new = new_msgid("v2")
		bob.post(article(frm=BOB, msgid=new, subject="Second version", extra=["Supersedes: %s" % old]))
		eq(cc.stat(srv, old), 430, "the superseded article is gone")
		eq(head_of(srv, new)["supersedes"], old, "the new one is stored with its header")
		eq(group_stat(srv, "moot.general")[0], 1, "one article left in the group")
		# An admin may replace anyone's; one naming an unknown article is an ordinary post.
		third = new_msgid("v3")
		root.post(article(frm="Root <root@example.org>", msgid=third, subject="Moderated version",
				  extra=["Supersedes: %s" % new]))
		eq(cc.stat(srv, new), 430, "superseded by an admin")
		bob.post(article(frm=BOB, subject="Nothing to replace", extra=["Supersedes: <gone@example.org>"]))
		eq(group_stat(srv, "moot.general")[0], 2, "the admin's and the last post")


@harness.config(limits={"posts_per_hour_user": 2}, access={"post": "authenticated"},
		extra_top=cc.roles_yaml(admins=["root"]))
def test_rate_limit(srv):
	cc.add_user(srv, "bob", address="bob@example.org")
	with cc.login(srv, "bob") as c:
		cc.post_as(c, BOB, subject="one")
		cc.post_as(c, BOB, subject="two")
		_, line = cc.post_as(c, BOB, subject="three", expect=441)
		check("Posting limit reached; try again in" in line and "minutes" in line,
		      "441 says when to retry: %r" % line)
	with cc.login(srv, "bob") as c:
		eq(c.post(harness.article(frm=BOB), expect=None)[:3], "441", "still limited in a new session")
	eq(group_stat(srv, "moot.general")[0], 2, "two posts stored")


GROUPS = harness.DEFAULT_GROUPS + [{"name": "moot.other", "posting": "yes"}]


def stats(c, args=""):
	"""XSTATS on c: (figures dict, top list of (replies, subject))."""
	lines = c.cmd_multi("XSTATS" + (" " + args if args else ""), 292)
	fig, top = {}, []
	for l in lines:
		if l.startswith("top "):
			_, _, n, subj = l.split(" ", 3)
			top.append((int(n), subj))
		else:
			k, v = l.split(" ")
			fig[k] = int(v)
	return fig, top


def post_fixture(srv):
	"""Three threads in moot.general (2, 1 and 0 replies) and one in moot.other;
	posted openly (access.post open) by five addresses."""
	def post(c, frm, subject, group="moot.general", refs=None):
		mid = new_msgid("st")
		c.post(article(subject=subject, group=group, msgid=mid, frm=frm, refs=refs))
		return mid
	with srv.raw(tls=False) as c:
		t1 = post(c, "alice@example.net", "Thread one")
		t2 = post(c, "bob@example.net", "Thread two")
		post(c, "dave@example.net", "Thread three")
		r1 = post(c, "bob@example.net", "Re: Thread one", refs=t1)
		post(c, "carol@example.net", "Re: Thread one", refs="%s %s" % (t1, r1))
		post(c, "alice@example.net", "Re: Thread two", refs=t2)
		post(c, "erin@example.net", "Elsewhere", group="moot.other")
		c.cmd("QUIT", 205)


@harness.config(groups=GROUPS, extra_top=cc.roles_yaml(moderators=[("mia", "moot.*")]))
def test_stats_figures(srv):
	cc.add_user(srv, "mia", address="mia@example.org")
	cc.add_user(srv, "bob", address="bob@example.org")
	post_fixture(srv)
	with cc.login(srv, "bob") as c:
		eq(c.cmd("XSTATS")[0], 502, "XSTATS for a member")
	with srv.raw(tls=False) as c:
		eq(c.cmd("XSTATS")[0], 480, "XSTATS without login")
	with cc.login(srv, "mia") as c:
		fig, top = stats(c, "moot.general 7")
		p50, p90 = fig.pop("reply_p50_s"), fig.pop("reply_p90_s")
		eq(fig, {"groups": 1, "posts": 6, "threads": 3, "posters": 4, "new_posters": 4,
			 "unanswered": 1}, "figures for moot.general")
		check(0 <= p50 <= p90 < 600, "first-reply times: p50 %d, p90 %d" % (p50, p90))
		eq(top, [(2, "Thread one"), (1, "Thread two")], "most active threads")
		fig, top = stats(c)
		eq((fig["groups"], fig["posts"], fig["threads"], fig["posters"], fig["unanswered"]),
		   (len(GROUPS), 7, 4, 5, 2), "figures for every group (default *, 30 days)")
		fig, top = stats(c, "moot.announce")
		eq((fig["posts"], fig["threads"], fig["reply_p50_s"], top), (0, 0, -1, []),
		   "an empty group: no percentile (-1)")
		eq(c.cmd("XSTATS moot.general 0")[0], 501, "days out of range")
		eq(c.cmd("XSTATS moot.general x")[0], 501, "days not a number")


# ---------------------------------------------------------------- forged cancel

ME, PEER = "r.example.org", "p.example.net"
DATE = "Mon, 02 Jan 2023 10:00:00 +0000"


def takethis(c, mid, lines):
	c.send_raw(b"TAKETHIS " + mid.encode() + b"\r\n" + wire(lines) + b".\r\n")
	return c.status()


def cancel_lines(target, path):
	mid = new_msgid("cancel")
	return mid, ["Path: %s" % path, "From: someone@example.net", "Newsgroups: moot.general",
		     "Subject: cmsg cancel %s" % target, "Control: cancel %s" % target,
		     "Message-ID: %s" % mid, "Date: %s" % DATE, "", "cancel"]


def test_forged_inbound_cancel_ignored():
	srv = harness.Server(start=False, pathhost=ME)
	cert, key, fp = make_client_cert(srv.dir, "p")
	srv.extra_top = peers_yaml([{"name": PEER, "accept": "moot.*", "identity": {"fingerprint": fp}}])
	srv.start()
	with srv.raw(tls=True, cert=cert, key=key) as c:
		c.cmd("MODE STREAM", 203)
		orig = new_msgid("orig")
		eq(takethis(c, orig, article(msgid=orig, date=DATE, extra=["Path: %s!origin.example" % PEER]))[1],
		   "239 %s" % orig, "the original")
		# Injected elsewhere than the original: refused, the original stays.
		cid, lines = cancel_lines(orig, "%s!forger.example" % PEER)
		eq(takethis(c, cid, lines)[1], "439 %s" % cid, "forged cancel refused")
		eq(cc.stat(srv, orig), 223, "original still there after the forged cancel")
		# Injected where the original was: honoured.
		cid, lines = cancel_lines(orig, "%s!origin.example" % PEER)
		eq(takethis(c, cid, lines)[1], "239 %s" % cid, "cancel from the origin")
		eq(c.cmd("DATE")[0], 111, "in step")
	eq(cc.stat(srv, orig), 430, "original cancelled")
	eq(group_stat(srv, "moot.general")[0], 0, "group empty after the cancel")
	check("not from the article's origin" in srv.log_text(), "the forged cancel is logged")
	# History keeps the id: offered again, it is not wanted.
	with srv.raw(tls=True, cert=cert, key=key) as c:
		c.cmd("MODE STREAM", 203)
		eq(c.cmd("CHECK %s" % orig)[1], "438 %s" % orig, "a cancelled id is not wanted again")
