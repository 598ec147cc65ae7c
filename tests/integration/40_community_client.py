"""40_community_client: the moot client's community commands against a real
mootd: `moot mod queue/show/approve/reject/ban/unban`, `moot cancel` and
`moot stats --json`, logging in with user + password_command, and their
exit statuses (0 done, 1 not permitted or not found, 2 no credentials)."""

import importlib.util
import json
import os

import harness
from harness import check, eq, article, new_msgid


def _load(name, alias):
	p = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
	spec = importlib.util.spec_from_file_location(alias, p)
	m = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(m)
	return m


cc = _load("40_community_common.py", "community_common_client")
client = _load("20_client_common.py", "client_common_community")
BOB = "Bob <bob@example.org>"


def as_user(srv, name):
	"""A moot client logging in as name (password from password_command)."""
	return client.Moot(srv, extra=["user: %s" % name,
				       "password_command: \"echo '%s'\"" % cc.password(name)])


def queue_posts(srv, n):
	"""n anonymous posts to moot.mod (queued); their Message-IDs."""
	mids = []
	with srv.raw(tls=False) as c:
		for i in range(n):
			mid = new_msgid("q")
			line = c.post(article(subject="Queued %d" % i, group="moot.mod", msgid=mid))
			check(line.endswith("awaits moderator approval"), line)
			mids.append(mid)
		c.cmd("QUIT", 205)
	return mids


@harness.config(extra_top=cc.roles_yaml(moderators=[("mia", "moot.*")]))
def test_mod_commands(srv):
	cc.add_user(srv, "mia", address="mia@example.org")
	cc.add_user(srv, "bob", address="bob@example.org")
	m1, m2 = queue_posts(srv, 2)
	with as_user(srv, "mia") as mia, as_user(srv, "bob") as bob, client.Moot(srv) as anon:
		out, _ = mia.run("--json", "mod", "queue")
		q = json.loads(out)["queue"]
		eq([e["msgid"] for e in q], [m1, m2], "queue as JSON")
		eq(q[0]["user"], None, "an anonymous poster has no user")
		eq(q[0]["subject"], "Queued 0", "subject")
		eq(q[0]["groups"], "moot.mod", "groups")
		out, _ = mia.run("mod", "queue", "moot.mod")
		check(m1 in out and m2 in out and "Queued 1" in out, "readable queue: %r" % out)
		out, err = mia.run("mod", "queue", "moot.general")
		eq(out, "", "nothing queued for moot.general")
		check("empty" in err, "says the queue is empty: %r" % err)
		out, _ = mia.run("mod", "show", str(q[0]["id"]))
		check("Message-ID: %s" % m1 in out and "Subject: Queued 0" in out, "mod show: %r" % out)
		out, _ = mia.run("mod", "approve", str(q[0]["id"]))
		check("Approved" in out and m1 in out, "approve output: %r" % out)
		out, _ = mia.run("mod", "reject", str(q[1]["id"]), "--reason", "off topic")
		check("Rejected" in out and m2 in out, "reject output: %r" % out)
		out, _ = mia.run("--json", "mod", "queue")
		eq(json.loads(out), {"queue": []}, "queue empty")
		eq(cc.stat(srv, m1), 223, "approved article readable")
		eq(cc.stat(srv, m2), 430, "rejected article never stored")
		_, err = mia.run("mod", "approve", str(q[1]["id"]), rc=1)
		check("not found" in err, "approving a rejected id: %r" % err)
		_, err = mia.run("mod", "approve", "x", rc=1)
		_, err = bob.run("mod", "queue", rc=1)
		check("not permitted" in err, "a member asking for the queue: %r" % err)
		anon.run("mod", "queue", rc=2)
		# Bans: the kind is guessed, or forced with --user/--address.
		out, _ = mia.run("mod", "ban", "bob", "--for", "7d", "--reason", "too loud")
		eq(out, "banned user bob for 604800s (7d)\n", "ban output")
		with cc.login(srv, "bob") as c:
			eq(c.cmd("POST")[0], 440, "bob banned")
		out, _ = mia.run("mod", "unban", "bob")
		eq(out, "unbanned user bob\n", "unban output")
		mia.run("mod", "unban", "bob", rc=1)
		out, _ = mia.run("mod", "ban", "10.1.2.3")
		eq(out, "banned address 10.1.2.3 for good\n", "an address is guessed")
		out, _ = mia.run("mod", "ban", "--user", "1234", "--for", "30m")
		eq(out, "banned user 1234 for 1800s (30m)\n", "--user forces a user")
		out, _ = mia.run("mod", "unban", "--address", "10.1.2.3")
		eq(out, "unbanned address 10.1.2.3\n", "--address")
		mia.run("mod", "ban", "bob", "--for", "soon", rc=1)
		mia.run("mod", "ban", rc=1)
		mia.run("mod", "frobnicate", rc=1)


def test_cancel_and_stats():
	srv = harness.Server(extra_top=cc.roles_yaml(moderators=[("mia", "moot.general")]))
	with srv:
		cc.add_user(srv, "mia", address="mia@example.org")
		cc.add_user(srv, "bob", address="bob@example.org")
		cc.add_user(srv, "carl", address="carl@example.org")
		with cc.login(srv, "bob") as c:
			t1, _ = cc.post_as(c, BOB, subject="Hello all")
			t2, _ = cc.post_as(c, BOB, subject="Second")
			c.post(article(subject="Re: Hello all", msgid=new_msgid("r"), frm=BOB, refs=t1))
		with as_user(srv, "mia") as mia, as_user(srv, "bob") as bob, as_user(srv, "carl") as carl:
			out, _ = mia.run("stats", "moot.general", "--days", "7", "--json")
			st = json.loads(out)
			eq({k: st[k] for k in ("wildmat", "days", "groups", "threads", "posters", "unanswered")},
			   {"wildmat": "moot.general", "days": 7, "groups": 1, "threads": 2, "posters": 1,
			    "unanswered": 1}, "stats --json")
			eq(st["posts"], 3, "posts")
			check(st["reply_p50_s"] is not None and 0 <= st["reply_p50_s"] <= st["reply_p90_s"],
			      "first-reply times: %r" % st)
			eq([(t["replies"], t["subject"]) for t in st["top"]], [(1, "Hello all")], "top threads")
			out, _ = mia.run("stats", "moot.general")
			check("moot.general, last 30 days" in out and "Hello all" in out, "table: %r" % out)
			check("new threads" in out and "first reply, median" in out, "labels: %r" % out)
			_, err = bob.run("stats", rc=1)
			check("not permitted" in err, "stats for a member: %r" % err)
			mia.run("stats", "--days", "0", rc=1)
			_, err = carl.run("cancel", t2, rc=1)
			check("not permitted" in err, "a stranger's cancel: %r" % err)
			out, _ = bob.run("cancel", t2)
			eq(out, "cancelled %s\n" % t2, "cancel output")
			eq(cc.stat(srv, t2), 430, "cancelled")
			bob.run("cancel", t2, rc=1)
			bob.run("cancel", "not-an-id", rc=1)
			out, _ = mia.run("stats", "moot.announce", "--json")
			st = json.loads(out)
			eq((st["posts"], st["reply_p50_s"], st["top"]), (0, None, []), "an empty group")
