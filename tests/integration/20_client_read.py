"""moot read, catchup, unread and --json against a real mootd: read state in
~/.newsrc (and the lines of it moot must keep), JSON documents for scripts."""

import importlib.util
import json
import os
import re

import harness
from harness import check, eq


def _common():
	p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "20_client_common.py")
	spec = importlib.util.spec_from_file_location("client_common_read", p)
	m = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(m)
	return m


cc = _common()


def _headers_shown(out):
	"""The header lines before the first empty line of `moot read` output."""
	head, _, body = out.partition("\n\n")
	return dict(l.split(": ", 1) for l in head.splitlines()), body


def test_read_marks_read_and_moves_on(srv):
	ids = harness.post_n(srv, 3, subject="Piece")
	with cc.Moot(srv) as m:
		out, _ = m.run("read", "moot.general")
		h, body = _headers_shown(out)
		eq(h["Subject"], "Piece 1", "first unread is article 1")
		eq(h["Message-ID"], ids[0], "Message-ID shown")
		eq(h["Newsgroups"], "moot.general", "Newsgroups shown")
		check("From" in h and "Date" in h, "From and Date shown: %r" % h)
		check("Path" not in h and "Xref" not in h, "only the headers a person wants: %r" % h)
		eq(body, "Body of article 1.\n", "body")
		eq(m.read_newsrc(), "moot.general: 1\n", ".newsrc after the first read")
		out, _ = m.run("read", "moot.general")
		eq(_headers_shown(out)[0]["Subject"], "Piece 2", "second read shows the next article")
		eq(m.read_newsrc(), "moot.general: 1-2\n", ".newsrc after the second read")
		# Reading by message-id marks the right number too.
		m.run("read", "moot.general", ids[2])
		eq(m.read_newsrc(), "moot.general: 1-3\n", "read by message-id")
		out, err = m.run("read", "moot.general")
		eq(out, "", "nothing shown when all is read")
		check("no unread articles in moot.general" in err, err)
		# Marking one article unread, then read picks it.
		m.run("unread", "moot.general")
		check(re.match(r"^moot\.general:\s*$", m.read_newsrc()), "unread: %r" % m.read_newsrc())
		out, _ = m.run("read", "moot.general", "2")
		eq(_headers_shown(out)[0]["Subject"], "Piece 2", "read by number")
		out, _ = m.run("read", "moot.general")
		eq(_headers_shown(out)[0]["Subject"], "Piece 1", "first unread again")
		eq(m.read_newsrc(), "moot.general: 1-2\n", ".newsrc")


def test_newsrc_round_trip_keeps_foreign_lines(srv):
	harness.post_n(srv, 4)
	before = ("options -n -q\n"
		  "comp.lang.c: 1-500,502\n"
		  "moot.general: 1\n"
		  "this line is garbage & not a newsrc line\n"
		  "alt.unsubscribed! 3-9\n")
	with cc.Moot(srv) as m:
		with open(m.newsrc, "w") as f:
			f.write(before)
		out, _ = m.run("read", "moot.general")
		check("Article 2" in out, "article 2 is the first unread: %r" % out[:200])
		eq(m.read_newsrc(), before.replace("moot.general: 1\n", "moot.general: 1-2\n"),
		   ".newsrc after read (foreign lines kept in place)")
		m.run("catchup", "moot.general")
		eq(m.read_newsrc(), before.replace("moot.general: 1\n", "moot.general: 1-4\n"),
		   ".newsrc after catchup")
		out, err = m.run("threads", "moot.general")
		eq(out, "", "no unread threads after catchup")
		check("no unread threads" in err, err)
		out, _ = m.run("threads", "moot.general", "--all")
		eq(len(out.splitlines()), 4, "--all shows read threads")
		m.run("unread", "moot.general")
		after = m.read_newsrc().splitlines()
		eq([l for l in after if not l.startswith("moot.general")],
		   [l for l in before.splitlines() if not l.startswith("moot.general")], "others kept")
		check(re.match(r"^moot\.general:\s*$", after[2]), "group line emptied: %r" % after[2])
		# The write is atomic: no temporary files left beside it.
		eq(sorted(n for n in os.listdir(m.home) if "newsrc" in n), [".newsrc"], "leftover temp files")
	with cc.Moot(srv, extra=["newsrc: ~/elsewhere/my.newsrc"]) as m:
		os.makedirs(os.path.join(m.home, "elsewhere"))
		m.run("read", "moot.general", "3")
		with open(os.path.join(m.home, "elsewhere", "my.newsrc")) as f:
			eq(f.read(), "moot.general: 3\n", "newsrc: key with ~/")
		check(not os.path.exists(m.newsrc), "the default path is not used")


def test_json_documents(srv):
	root = harness.new_msgid("j")
	with srv.raw() as c:
		c.post(harness.article(subject='Quotes "and" \\ tabs', msgid=root, frm="Eve <eve@example.com>",
				       date="Thu, 05 Jan 2023 08:00:00 +0000",
				       body=["tab\there", b"bad utf-8: \xff!", "caf\u00e9", "bell\x07."]))
	with cc.Moot(srv) as m:
		reply = m.run("reply", root, input="JSON reply.\n")[0].strip()
		out, _ = m.run("groups", "--json")
		doc = json.loads(out)
		g = {x["name"]: x for x in doc["groups"]}
		eq(sorted(g), ["moot.announce", "moot.general", "moot.mod"], "group names")
		eq(g["moot.general"]["description"], "General discussion", "description")
		eq((g["moot.general"]["low"], g["moot.general"]["high"], g["moot.general"]["count"],
		    g["moot.general"]["unread"]), (1, 2, 2, 2), "low/high/count/unread")
		eq(g["moot.announce"]["count"], 0, "empty group")
		m.run("read", "moot.general", "1")
		eq(json.loads(m.run("groups", "--json")[0])["groups"][1]["unread"], 1, "unread after read")

		doc = json.loads(m.run("threads", "moot.general", "--json", "--all")[0])
		eq(doc["group"], "moot.general", "group")
		eq(len(doc["threads"]), 1, "one thread")
		t = doc["threads"][0]
		eq((t["number"], t["msgid"], t["subject"], t["from"], t["read"], t["replies"]),
		   (1, root, 'Quotes "and" \\ tabs', "Eve <eve@example.com>", True, 1), "root")
		eq(t["date"], "Thu, 05 Jan 2023 08:00:00 +0000", "date as sent")
		eq(len(t["children"]), 1, "one child")
		ch = t["children"][0]
		eq((ch["number"], ch["msgid"], ch["read"], ch["replies"], ch["children"]),
		   (2, reply, False, 0, []), "child")
		# Without --all the thread is still listed (the reply is unread).
		eq(len(json.loads(m.run("threads", "moot.general", "--json")[0])["threads"]), 1, "unread thread")

		doc = json.loads(m.run("read", "moot.general", "1", "--json")[0])
		eq((doc["group"], doc["number"], doc["msgid"]), ("moot.general", 1, root), "read --json")
		eq(doc["headers"]["Subject"], 'Quotes "and" \\ tabs', "headers.Subject")
		check('\\u0007' in m.run("read", "moot.general", "1", "--json")[0], "control char escaped as \\u0007")
		eq(doc["headers"]["From"], "Eve <eve@example.com>", "headers.From")
		eq(doc["body"], "tab\there\nbad utf-8: \ufffd!\ncaf\u00e9\nbell\x07.\n", "body escaped, bad byte replaced")

		arr = json.loads(m.run("read", "moot.general", "2", "--thread", "--json")[0])
		check(isinstance(arr, list), "--thread --json gives an array")
		eq([a["number"] for a in arr], [1, 2], "the whole thread in order")
		check(arr[1]["body"].endswith("JSON reply.\n"), arr[1]["body"])
		eq(m.read_newsrc(), "moot.general: 1-2\n", "--thread marks the thread read")
		out, _ = m.run("read", "moot.general", "1", "--thread")
		eq(out.count("\n" + "-" * 72 + "\n"), 1, "one rule between two articles")
		check("\x1b[" not in out, "no colour when stdout is not a terminal")
