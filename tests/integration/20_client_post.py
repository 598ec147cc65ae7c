"""moot post, reply and threads against a real mootd: the posted articles
as the server stores them, the thread tree, and not-found errors."""

import importlib.util
import os
import re

import harness
from harness import check, eq, config


def _common():
	p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "20_client_common.py")
	spec = importlib.util.spec_from_file_location("client_common_post", p)
	m = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(m)
	return m


cc = _common()

GROUPS = [
	{"name": "moot.general", "description": "General discussion", "posting": "yes"},
	{"name": "moot.other", "description": "Other things", "posting": "yes"},
	{"name": "moot.announce", "description": "Read only", "posting": "no"},
]


@config(groups=GROUPS)
def test_post_prints_msgid_and_server_has_it(srv):
	with cc.Moot(srv) as m:
		mid = m.post("moot.general", "Hello there", "First line.\n.dot line\nLast line.\n")
		h, body = cc.server_article(srv, mid)
		eq(h["subject"], "Hello there", "Subject")
		eq(h["from"], "Alice Example <alice@example.org>", "From from the config")
		eq(h["newsgroups"], "moot.general", "Newsgroups")
		eq(h["message-id"], mid, "Message-ID printed = stored")
		check("references" not in h, "a new thread has no References")
		eq(body, ["First line.", ".dot line", "Last line."], "body (dot-stuffing undone)")
		# No subject with a stdin body is a usage error, nothing posted.
		_, err = m.run("post", "moot.general", input="x\n", rc=1)
		check("--subject" in err, "message names --subject: %r" % err)
		# An empty body aborts.
		_, err = m.run("post", "moot.general", "--subject", "Empty", input="  \n\n", rc=1)
		check("nothing posted" in err, err)
		eq(cc.group_count(srv, "moot.general"), 1, "articles in the group")
		# The server refuses a read-only group: exit 1 with its reason.
		_, err = m.run("post", "moot.announce", "--subject", "No", input="body\n", rc=1)
		check(err.startswith("moot: ") and "44" in err, "refusal message: %r" % err)


def _tree_lines(out):
	"""(marker, depth, number, rest) of each line of `moot threads`."""
	rows = []
	for line in out.splitlines():
		mt = re.match(r"^([* ]) ( *)(\d+) +(\d{4}-\d\d-\d\d \d\d:\d\d)  (.*)$", line)
		check(mt is not None, "unexpected threads line: %r" % line)
		check(len(mt.group(2)) % 2 == 0, "indent is two spaces per depth: %r" % line)
		rows.append((mt.group(1), len(mt.group(2)) // 2, int(mt.group(3)), mt.group(5)))
	return rows


@config(groups=GROUPS)
def test_thread_tree_shape_and_order(srv):
	old_a = harness.new_msgid("a")
	old_b = harness.new_msgid("b")
	with srv.raw() as c:
		# A is the older thread but gets replies now, so it sorts first.
		c.post(harness.article(subject="Thread A", msgid=old_a, frm='"Bob B." <bob@example.com>',
				       date="Mon, 02 Jan 2023 10:00:00 +0000", body=["Root of A."]))
		c.post(harness.article(subject="Thread B", msgid=old_b, frm="carol@example.com (Carol C)",
				       date="Tue, 03 Jan 2023 10:00:00 +0000", body=["Root of B."]))
	with cc.Moot(srv) as m:
		out, _ = m.run("threads", "moot.general")
		rows = _tree_lines(out)
		eq([r[2] for r in rows], [2, 1], "newest activity first before replies")
		check("Carol C" in rows[0][3] and "Bob B." in rows[1][3], "author names: %r" % rows)
		check(rows[0][3].endswith("Thread B (0 replies)"), rows[0][3])
		r1 = m.run("reply", "moot.general", "1", input="Reply one.\n")[0].strip()
		r2 = m.run("reply", r1, input="Reply to the reply.\n")[0].strip()
		r3 = m.run("reply", old_a, input="Second direct reply.\n")[0].strip()
		check(len({r1, r2, r3}) == 3, "three distinct ids")
		out, _ = m.run("threads", "moot.general")
		rows = _tree_lines(out)
		eq([(r[1], r[2]) for r in rows], [(0, 1), (1, 3), (2, 4), (1, 5), (0, 2)],
		   "tree (depth, number) in display order:\n" + out)
		check(all(r[0] == "*" for r in rows), "all unread:\n" + out)
		check(rows[0][3].endswith("Thread A (3 replies)"), rows[0][3])
		check("Re: Thread A" in rows[1][3] and "Alice Example" in rows[1][3], rows[1][3])
		# Read thread B: without --all it disappears, with --all it is back unmarked.
		m.run("read", "moot.general", "2")
		out, _ = m.run("threads", "moot.general")
		eq([r[2] for r in _tree_lines(out)], [1, 3, 4, 5], "read thread hidden")
		out, _ = m.run("threads", "moot.general", "--all")
		rows = _tree_lines(out)
		eq(rows[-1][:3], (" ", 0, 2), "read root shown without the unread marker")


@config(groups=GROUPS)
def test_reply_headers_quote_and_followup_to(srv):
	root = harness.new_msgid("r")
	mid = harness.new_msgid("m")
	with srv.raw() as c:
		c.post(harness.article(subject="Lunch", msgid=root, body=["Where?"]))
		c.post(harness.article(subject="RE: Lunch", msgid=mid, refs=root, frm="Dan <dan@example.com>",
				       date="Wed, 04 Jan 2023 12:30:00 +0000",
				       extra=["Followup-To: moot.other"],
				       body=["The usual place.", "", "> Where?", "-- ", "Dan's signature"]))
	with cc.Moot(srv) as m:
		out, _ = m.run("reply", "moot.general", "2", input="Fine by me.\n")
		new = out.strip()
		h, body = cc.server_article(srv, new)
		eq(h["subject"], "RE: Lunch", "Subject keeps a single Re:")
		eq(h["references"].split(), [root, mid], "References = parent's + parent id")
		eq(h["newsgroups"], "moot.other", "Newsgroups from Followup-To")
		eq(body[0], "On Wed, 04 Jan 2023 12:30:00 +0000, Dan wrote:", "attribution")
		eq(body[1:4], ["> The usual place.", ">", "> > Where?"], "quoted body")
		check(not any("signature" in l for l in body), "signature not quoted: %r" % body)
		eq(body[-1], "Fine by me.", "the new text last")
		# Replying to the reply: "Re: " added once, References grow.
		out, _ = m.run("reply", new, input="Ok.\n")
		h2, _ = cc.server_article(srv, out.strip())
		eq(h2["subject"], "RE: Lunch", "still one Re:")
		eq(h2["references"].split(), [root, mid, new], "References chain")
		# Followup-To: poster means mail; we post to Newsgroups and say so.
		p = harness.new_msgid("p")
		with srv.raw() as c:
			c.post(harness.article(subject="Ask me", msgid=p, extra=["Followup-To: poster"]))
		out, err = m.run("reply", p, input="Posting anyway.\n")
		h3, _ = cc.server_article(srv, out.strip())
		eq(h3["newsgroups"], "moot.general", "Newsgroups when Followup-To is poster")
		eq(h3["subject"], "Re: Ask me", "Re: added")
		check("poster" in err, "a note about Followup-To: poster: %r" % err)


@config(groups=GROUPS)
def test_reply_trims_long_references(srv):
	ids = ["<%s.%s@long-references.example.com>" % ("x" * 40, i) for i in range(30)]
	parent = harness.new_msgid("long")
	refs = "\r\n ".join(ids)	# folded, as a long References travels
	with srv.raw() as c:
		c.post(harness.article(subject="Deep", msgid=parent, refs=refs))
	with cc.Moot(srv) as m:
		out, _ = m.run("reply", parent, input="Deep reply.\n")
		h, _ = cc.server_article(srv, out.strip())
		got = h["references"].split()
		check(len("References: " + " ".join(got)) <= 998, "fits in 998 octets: %d" %
		      len("References: " + " ".join(got)))
		eq(got[0], ids[0], "the first id is kept")
		eq(got[-1], parent, "the parent's id is last")
		eq(got[-2], ids[-1], "the newest ancestors are kept")
		check(len(got) < len(ids) + 1, "some ids were dropped")
		eq(got[1:-1], ids[len(ids) - (len(got) - 2):], "the oldest after the first were dropped")


@config(groups=GROUPS)
def test_unknown_group_and_article_exit_1(srv):
	harness.post_n(srv, 1)
	with cc.Moot(srv) as m:
		for args in (["threads", "no.such.group"], ["read", "no.such.group"],
			     ["catchup", "no.such.group"], ["reply", "no.such.group", "1"]):
			_, err = m.run(*args, rc=1)
			check("no such group 'no.such.group'" in err, "%s: %r" % (args, err))
			eq(len(err.strip().splitlines()), 1, "one-line message")
		_, err = m.run("read", "moot.general", "99", rc=1)
		check("no article 99 in moot.general" in err, err)
		_, err = m.run("read", "moot.general", "<missing@example.com>", rc=1)
		check("no article <missing@example.com>" in err, err)
		_, err = m.run("reply", "<missing@example.com>", input="x\n", rc=1)
		check("no article" in err, err)
		# Usage errors: exit 1 as well.
		m.run(rc=1)
		_, err = m.run("frobnicate", rc=1)
		check(err.startswith("moot: "), err)
		m.run("read", "moot.general", "notanumber", rc=1)
		m.run("threads", "bad group name", rc=1)
		m.run("--tls", "sometimes", "groups", rc=1)
		# Nothing was marked read by the failures.
		check(not os.path.exists(m.newsrc) or "moot.general: 1" not in m.read_newsrc(),
		      "failed reads mark nothing")
