"""40_community_common.py: helpers for the community tests (no tests here).

Members are made with `mootd -c CONFIG user add` (the password on stdin)
against the server's own database, before or while the server runs (the
store is SQLite in WAL mode).  login() is a raw TLS session after
AUTHINFO USER/PASS (RFC 4643 §2.3)."""

import os
import subprocess

import harness
from harness import T, check, eq


def password(name):
	return "pw-%s-secret" % name


def add_user(srv, name, role="member", address=None, pw=None):
	"""Add member name (password pw, by default password(name)) to srv's store."""
	if not os.path.exists(srv.config_path):
		srv.pick_ports()
		os.makedirs(srv.state, exist_ok=True)
		srv.write_config()
	args = [srv.mootd, "-c", srv.config_path, "user", "add", name, "--role", role]
	if address:
		args += ["--address", address]
	r = subprocess.run(args, input=((pw or password(name)) + "\n").encode(), capture_output=True,
			   timeout=T(30), cwd=srv.dir)
	check(r.returncode == 0, "mootd user add %s: %d %r" % (name, r.returncode, r.stderr[-300:]))
	out = r.stdout.decode()
	check(("added %s" % name) in out, "user add says what it did: %r" % out)


def login(srv, name, pw=None, code=281):
	"""A raw TLS session logged in as name (or refused with code)."""
	c = srv.raw(tls=True)
	c.cmd("AUTHINFO USER %s" % name, 381)
	c.cmd("AUTHINFO PASS %s" % (pw or password(name)), code)
	return c


def roles_yaml(moderators=(), admins=()):
	"""The top-level `roles:` YAML: moderators is a list of (user, wildmat)."""
	out = ["roles:"]
	if admins:
		out.append("  admins: [%s]" % ", ".join(admins))
	if moderators:
		out.append("  moderators:")
		for u, g in moderators:
			out.append('    - { user: %s, groups: "%s" }' % (u, g))
	return "\n".join(out) + "\n"


def post_as(c, frm, group="moot.general", subject="Member post", refs=None, expect=240):
	"""POST on session c; returns (Message-ID, final status line)."""
	mid = harness.new_msgid("cm")
	line = c.post(harness.article(subject=subject, group=group, msgid=mid, frm=frm, refs=refs),
		      expect=expect)
	return mid, line


def queue(c, wildmat=None):
	"""XMOD QUEUE on session c: a list of dicts."""
	lines = c.cmd_multi("XMOD QUEUE" + (" " + wildmat if wildmat else ""), 290)
	out = []
	for l in lines:
		f = l.split("\t")
		eq(len(f), 7, "fields of a queue line %r" % l)
		out.append({"id": int(f[0]), "submitted": int(f[1]), "user": f[2], "groups": f[3],
			    "msgid": f[4], "from": f[5], "subject": f[6]})
	return out


def stat(srv, msgid):
	"""The STAT code of msgid on srv (223 or 430)."""
	with srv.raw(tls=False) as c:
		code = c.cmd("STAT %s" % msgid)[0]
		c.cmd("QUIT")
	return code


__all__ = ["password", "add_user", "login", "roles_yaml", "post_as", "queue", "stat", "T", "check", "eq"]
