"""moot post/reply through $EDITOR: with stdin a terminal (a pty here), moot
writes a template, runs the editor on it and posts what comes back; an
unchanged template or a failing editor posts nothing."""

import importlib.util
import os
import pty
import stat

import harness
from harness import check, eq


def _common():
	p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "20_client_common.py")
	spec = importlib.util.spec_from_file_location("client_common_editor", p)
	m = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(m)
	return m


cc = _common()


def _script(m, name, text):
	"""An executable sh script in the client's HOME."""
	path = os.path.join(m.home, name)
	with open(path, "w") as f:
		f.write("#!/bin/sh\n" + text)
	os.chmod(path, stat.S_IRWXU)
	return path


def _run_tty(m, *args, editor, rc=0):
	"""Run moot with a terminal on stdin (so it uses $EDITOR)."""
	tmp = os.path.join(m.home, "tmp")
	os.makedirs(tmp, exist_ok=True)
	master, slave = pty.openpty()
	try:
		return m.run(*args, stdin=slave, rc=rc, env=m.env(EDITOR=editor, TMPDIR=tmp))
	finally:
		os.close(slave)
		os.close(master)


def test_editor_post(srv):
	with cc.Moot(srv) as m:
		seen = os.path.join(m.home, "template.txt")
		# The editor keeps a copy of the template, then appends a body line.
		ed = _script(m, "ed.sh", 'cp "$1" "%s"\necho "Typed in the editor." >> "$1"\n' % seen)
		out, _ = _run_tty(m, "post", "moot.general", "--subject", "Edited", editor=ed)
		mid = out.strip()
		with open(seen) as f:
			eq(f.read(), "From: Alice Example <alice@example.org>\nNewsgroups: moot.general\n"
			   "Subject: Edited\n\n", "the template")
		h, body = cc.server_article(srv, mid)
		eq(h["subject"], "Edited", "Subject")
		eq(body, ["Typed in the editor."], "body from the editor")
		eq(os.listdir(os.path.join(m.home, "tmp")), [], "the temporary file is removed")
		# The editor may change the headers: a new subject is used.
		ed2 = _script(m, "ed2.sh", 'sed -i "s/^Subject: .*/Subject: Changed in editor/" "$1"\n'
			      'echo "Body two." >> "$1"\n')
		out, _ = _run_tty(m, "post", "moot.general", "--subject", "Original", editor=ed2)
		eq(cc.server_article(srv, out.strip())[0]["subject"], "Changed in editor", "edited Subject")
		# An editor that exits with "$@" holding arguments: EDITOR with options.
		ed3 = _script(m, "ed3.sh", 'test "$1" = "--flag" || exit 3\necho "Body three." >> "$2"\n')
		out, _ = _run_tty(m, "post", "moot.general", "--subject", "Args", editor=ed3 + " --flag")
		eq(cc.server_article(srv, out.strip())[1], ["Body three."], "editor with an argument")
		eq(cc.group_count(srv, "moot.general"), 3, "three posted")


def test_editor_abort_posts_nothing(srv):
	harness.post_n(srv, 1)
	with cc.Moot(srv) as m:
		_, err = _run_tty(m, "post", "moot.general", "--subject", "Nothing", editor="true", rc=1)
		check("nothing posted" in err, err)
		_, err = _run_tty(m, "post", "moot.general", "--subject", "Fails", editor="false", rc=1)
		check("status 1" in err and "nothing posted" in err, err)
		# A reply whose quote was left alone, with no new text, is not sent.
		_, err = _run_tty(m, "reply", "moot.general", "1", editor="true", rc=1)
		check("nothing posted" in err, err)
		# Broken headers are refused before anything reaches the server.
		ed = _script(m, "bad.sh", 'printf "not a header\\n\\nbody\\n" > "$1"\n')
		_, err = _run_tty(m, "post", "moot.general", "--subject", "Bad", editor=ed, rc=1)
		check("not a header" in err, err)
		ed = _script(m, "nosubj.sh", 'sed -i "/^Subject:/d" "$1"\necho text >> "$1"\n')
		_, err = _run_tty(m, "post", "moot.general", "--subject", "X", editor=ed, rc=1)
		check("Subject" in err, err)
		eq(cc.group_count(srv, "moot.general"), 1, "nothing was posted")


def test_editor_reply_keeps_quote(srv):
	mid = harness.new_msgid("q")
	with srv.raw() as c:
		c.post(harness.article(subject="Question", msgid=mid, frm="Quinn <q@example.com>",
				       date="Fri, 06 Jan 2023 09:00:00 +0000", body=["Is this thing on?"]))
	with cc.Moot(srv) as m:
		seen = os.path.join(m.home, "template.txt")
		ed = _script(m, "ed.sh", 'cp "$1" "%s"\necho "Yes it is." >> "$1"\n' % seen)
		out, _ = _run_tty(m, "reply", mid, editor=ed)
		with open(seen) as f:
			eq(f.read(), "From: Alice Example <alice@example.org>\nNewsgroups: moot.general\n"
			   "Subject: Re: Question\n\nOn Fri, 06 Jan 2023 09:00:00 +0000, Quinn wrote:\n"
			   "> Is this thing on?\n\n", "the reply template")
		h, body = cc.server_article(srv, out.strip())
		eq(h["references"], mid, "References")
		eq(body, ["On Fri, 06 Jan 2023 09:00:00 +0000, Quinn wrote:", "> Is this thing on?", "",
			  "Yes it is."], "body")
