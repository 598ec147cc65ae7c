"""20_client_common.py: helpers for the moot client tests (no tests here).

Moot(srv) makes a fresh HOME with ~/.config/moot/moot.yaml pointing at the
harness server over implicit TLS, verified with the server's own cert.pem,
and runs the built client (MOOT_BIN, default build/moot) in it.  Every run
fails the test if a sanitizer or crash report appears on stderr.
"""

import hashlib
import os
import shutil
import ssl
import subprocess
import tempfile

import harness
from harness import T, check, eq

HERE = os.path.dirname(os.path.abspath(__file__))
MOOT = os.environ.get("MOOT_BIN") or os.path.join(HERE, "..", "..", "build", "moot")


def fingerprint(cert_path):
	"""sha256 of the DER certificate in a PEM file, lower-case hex."""
	with open(cert_path) as f:
		der = ssl.PEM_cert_to_DER_cert(f.read())
	return hashlib.sha256(der).hexdigest()


class Moot:
	"""The client with its own HOME, config and .newsrc."""

	def __init__(self, srv, tls="implicit", ca=True, extra=(), server=None):
		check(os.access(MOOT, os.X_OK), "moot not built: %s" % MOOT)
		self.srv = srv
		self.home = tempfile.mkdtemp(prefix="moot-home-")
		self.newsrc = os.path.join(self.home, ".newsrc")
		self.config = os.path.join(self.home, ".config", "moot", "moot.yaml")
		os.makedirs(os.path.dirname(self.config))
		if server is None:
			port = srv.tls_port if tls == "implicit" else srv.plain_port
			server = "127.0.0.1:%d" % port
		lines = ["server: %s" % server, "tls: %s" % tls,
			 'from: "Alice Example <alice@example.org>"']
		if ca:
			lines.append("ca: %s" % srv.cert)
		lines.extend(extra)
		self.write_config("\n".join(lines) + "\n")

	def write_config(self, text):
		with open(self.config, "w") as f:
			f.write(text)

	def env(self, **kw):
		e = {k: v for k, v in os.environ.items()
		     if not k.startswith("MOOT_") and k not in ("PAGER", "EDITOR", "VISUAL", "XDG_CONFIG_HOME")}
		e.update(HOME=self.home, PAGER="cat", LC_ALL="C.UTF-8", TZ="UTC")
		e.update(kw)
		return e

	def run(self, *args, input=None, rc=0, stdin=None, env=None):
		"""Run moot ARGS; check the exit status (unless rc is None).
		Returns (stdout, stderr) as str."""
		kw = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or self.env(),
			  timeout=T(30), cwd=self.home)
		if stdin is not None:
			kw["stdin"] = stdin
		elif input is not None:
			kw["input"] = input.encode("utf-8") if isinstance(input, str) else input
		else:
			kw["stdin"] = subprocess.DEVNULL
		p = subprocess.run([MOOT] + list(args), **kw)
		out = p.stdout.decode("utf-8", "surrogateescape")
		err = p.stderr.decode("utf-8", "surrogateescape")
		bad = [l for l in err.splitlines() if any(m in l for m in harness.LOG_ERRORS)]
		check(not bad, "sanitizer/crash report from moot %s: %s" % (args, "\n".join(err.splitlines()[:30])))
		self.status = p.returncode
		if rc is not None and p.returncode != rc:
			raise harness.TestFailure("moot %s: exit %d, want %d\nstdout: %s\nstderr: %s" %
						  (" ".join(args), p.returncode, rc, out[:2000], err[:2000]))
		return out, err

	def read_newsrc(self):
		with open(self.newsrc) as f:
			return f.read()

	def post(self, group, subject, body):
		"""moot post with the body on stdin; returns the printed Message-ID."""
		out, _ = self.run("post", group, "--subject", subject, input=body)
		mid = out.strip()
		check(mid.startswith("<") and mid.endswith(">") and "@" in mid,
		      "post did not print a Message-ID: %r" % out)
		return mid

	def close(self):
		shutil.rmtree(self.home, ignore_errors=True)

	def __enter__(self):
		return self

	def __exit__(self, *exc):
		self.close()
		return False


def server_article(srv, mid):
	"""(headers dict, body lines) of an article as the server stores it."""
	c = srv.nntp()
	try:
		_, info = c.article(mid)
	finally:
		c.quit()
	return harness.headers_of(harness.decode_lines(info.lines))


def group_count(srv, group):
	c = srv.nntp()
	try:
		_, count, _, _, _ = c.group(group)
	finally:
		c.quit()
	return count


__all__ = ["Moot", "MOOT", "fingerprint", "server_article", "group_count", "T", "check", "eq"]
