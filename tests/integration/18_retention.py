"""Retention: articles older than a group's retention_days expire (and never come back)."""

import sqlite3
import time

import harness
from harness import check, eq

GROUPS = [
	{"name": "moot.general", "description": "General discussion", "posting": "yes",
	 "retention_days": 2},
	{"name": "moot.keep", "description": "Kept forever", "posting": "yes", "retention_days": 0},
]


@harness.config(groups=GROUPS)
def test_expiry(srv):
	ids = [harness.new_msgid("r%d" % i) for i in range(3)]
	kept = harness.new_msgid("keep")
	cross = harness.new_msgid("cross")
	with srv.raw() as c:
		for mid in ids:
			c.post(harness.article(msgid=mid))
		c.post(harness.article(msgid=kept, group="moot.keep"))
		c.post(harness.article(msgid=cross, group="moot.general,moot.keep"))
	eq(harness.group_stat(srv, "moot.general"), (4, 1, 4), "before expiry")
	# Age two articles and the crosspost by three days, as if they had
	# arrived then (the daemon is stopped while the file is changed).
	srv.stop()
	db = sqlite3.connect(srv.db_path)
	with db:
		db.executemany("UPDATE articles SET arrived = arrived - 3 * 86400 WHERE msgid = ?",
			       [(ids[0],), (ids[1],), (cross,)])
	db.close()
	srv.start(new_ports=False)
	srv.hup()	# a reload applies retention at once
	harness.wait_until(lambda: harness.group_stat(srv, "moot.general") == (1, 3, 4), harness.T(10),
			   what="moot.general expired to one article")
	with srv.raw() as c:
		c.cmd("STAT %s" % ids[0], 430)
		c.cmd("STAT %s" % ids[1], 430)
		c.cmd("STAT %s" % ids[2], 223)
		# The crosspost stays numbered in the group that keeps everything.
		c.cmd("STAT %s" % cross, 223)
		c.cmd("GROUP moot.keep", 211)
		eq(c.cmd_multi("LISTGROUP", 211), ["1", "2"], "moot.keep numbers")
		# An expired id is remembered: it is never accepted again.
		_, line = c.cmd("POST", 340)
		c.send_raw(harness.wire(harness.article(msgid=ids[0])) + b".\r\n")
		code, line = c.status()
		eq(code, 441, "re-posting an expired message-id: %r" % line)
	check("expired 3 articles from moot.general" in srv.log_text(), "expiry (3 numberings) is logged")
