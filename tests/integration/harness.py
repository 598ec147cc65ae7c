"""harness.py: shared helpers for mootd integration tests.

Starts real mootd processes on free 127.0.0.1 ports, each in its own
temporary folder, and connects to them with nntplib (TLS and plain) or with
a raw line client for exact status codes and pipelining.  Stdlib only
(Debian's /usr/bin/python3).  MOOTD_TIMEOUT_MULT scales every timeout.
MOOTD_WRAPPER (e.g. "valgrind --error-exitcode=99 -q") is put in front of
every mootd the Server class starts; valgrind's "==PID== " lines in a log
then count as failures, like sanitizer reports.
"""

import atexit
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import warnings

with warnings.catch_warnings():
	warnings.simplefilter("ignore", DeprecationWarning)
	import nntplib  # noqa: E402  (deprecated since 3.11, removed in 3.13)

MOOTD = os.environ.get("MOOTD") or os.path.join(
	os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "mootd")
MULT = float(os.environ.get("MOOTD_TIMEOUT_MULT") or "1")
# A command (split like a shell would) run in front of mootd, e.g. valgrind.
WRAPPER = shlex.split(os.environ.get("MOOTD_WRAPPER") or "")
PATHHOST = "test.example.org"

DEFAULT_GROUPS = [
	{"name": "moot.general", "description": "General discussion", "posting": "yes",
	 "retention_days": 0},
	{"name": "moot.announce", "description": "Read only", "posting": "no"},
	{"name": "moot.mod", "description": "Moderated", "posting": "moderated"},
]

# Sanitizer and crash markers that make a test fail when found in a log.
LOG_ERRORS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
	      "ERROR: UndefinedBehaviorSanitizer", "Segmentation fault")
# Valgrind's own lines ("==1234== Invalid read of size 4"); with -q it prints
# only errors and leaks.  A few warnings about the tool itself are not errors.
VALGRIND_LINE = re.compile(r"^==\d+== ")
VALGRIND_BENIGN = ("Warning: set address range perms", "Warning: client switching stacks",
		   "Warning: noted but unhandled ioctl")


def is_log_error(line):
	"""True when a mootd log line is a sanitizer, valgrind or crash report."""
	if any(m in line for m in LOG_ERRORS):
		return True
	return bool(VALGRIND_LINE.match(line)) and not any(b in line for b in VALGRIND_BENIGN)


def mootd_argv(mootd, *args):
	"""The command line that runs mootd with args, behind MOOTD_WRAPPER if set."""
	return WRAPPER + [mootd] + list(args)


def T(seconds):
	"""A timeout scaled by MOOTD_TIMEOUT_MULT."""
	return seconds * MULT


class TestFailure(AssertionError):
	pass


def check(cond, msg="check failed"):
	"""Assert that stays active under python -O."""
	if not cond:
		raise TestFailure(msg)


def eq(got, want, what="value"):
	if got != want:
		raise TestFailure("%s: got %r, want %r" % (what, got, want))


def code_of(resp):
	"""The 3-digit status code of a response line (str), as int."""
	return int(resp[:3])


def expect_code(fn, code, *args, **kw):
	"""Call an nntplib method expecting it to fail with status code `code`."""
	try:
		r = fn(*args, **kw)
	except nntplib.NNTPError as e:
		resp = e.response if hasattr(e, "response") else str(e)
		eq(code_of(resp), code, "status of %s" % getattr(fn, "__name__", fn))
		return resp
	raise TestFailure("%s: expected %d, got success %r" % (getattr(fn, "__name__", fn), code,
							      r if not isinstance(r, tuple) else r[0]))


def wait_until(pred, timeout, interval=0.05, what="condition"):
	"""Poll pred() until true (returns its value) or fail after timeout seconds."""
	deadline = time.monotonic() + timeout
	last_exc = None
	while True:
		try:
			v = pred()
			if v:
				return v
		except Exception as e:  # keep polling; report the last error
			last_exc = e
		if time.monotonic() >= deadline:
			raise TestFailure("timed out after %.1fs waiting for %s%s" %
					  (timeout, what, (": %r" % last_exc) if last_exc else ""))
		time.sleep(interval)


# ---------------------------------------------------------------- ports

_handed_out = set()


def free_port():
	"""A port that was free a moment ago on 127.0.0.1 (bind :0, close)."""
	for _ in range(50):
		s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		try:
			s.bind(("127.0.0.1", 0))
			port = s.getsockname()[1]
		finally:
			s.close()
		if port not in _handed_out:
			_handed_out.add(port)
			return port
	raise TestFailure("no free port")


# ---------------------------------------------------------------- config

def _q(s):
	"""A YAML double-quoted scalar."""
	return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _scalar(v):
	if isinstance(v, bool):
		return "yes" if v else "no"
	if isinstance(v, int):
		return str(v)
	if v in ("yes", "no", "moderated"):
		return v
	return _q(v)


def make_config(state, plain_port, tls_port, groups=None, limits=None, motd="hello",
		pathhost=PATHHOST, extra_server="", extra_top="", access=None):
	"""The YAML text of a test configuration; extra_server is YAML appended
	inside `server:` (indented), extra_top YAML appended at the top level
	(e.g. a `peers:` list).  Reader tests post without logging in and post
	a lot from one address, so by default posting is open and unlimited;
	access={"post": "authenticated"} and limits restore the real defaults."""
	lim = {"max_connections": 10000, "max_article_bytes": 1000000, "idle_timeout_s": 600,
	       "max_connections_per_address": 100000,
	       "posts_per_hour_user": 0, "posts_per_hour_address": 0}
	lim.update(limits or {})
	acc = {"read": "open", "post": "open"}
	acc.update(access or {})
	out = ["server:",
	       "  pathhost: %s" % pathhost,
	       "  state: %s" % _q(state),
	       "  listen:",
	       '    - { address: "127.0.0.1:%d", tls: false }' % plain_port,
	       '    - { address: "127.0.0.1:%d", tls: true }' % tls_port,
	       "  limits: { %s }" % ", ".join("%s: %d" % kv for kv in lim.items()),
	       "  access: { %s }" % ", ".join("%s: %s" % kv for kv in acc.items())]
	if motd is not None:
		out.append("  motd: %s" % _q(motd))
	if extra_server:
		out.append(extra_server.rstrip("\n"))
	out.append("groups:")
	for g in (DEFAULT_GROUPS if groups is None else groups):
		out.append("  - { %s }" % ", ".join("%s: %s" % (k, _scalar(v)) for k, v in g.items()))
	if extra_top:
		out.append(extra_top.rstrip("\n"))
	return "\n".join(out) + "\n"


# ---------------------------------------------------------------- server

_live = {}		# pid -> Popen, for atexit cleanup
_created = []		# every Server made since the runner last looked


_dirs = set()		# temporary folders not yet removed


def _cleanup_all():
	for pid, proc in list(_live.items()):
		try:
			os.kill(pid, signal.SIGKILL)
			proc.wait(timeout=5)
		except Exception:
			pass
		_live.pop(pid, None)
	if not os.environ.get("MOOT_KEEP"):
		for d in list(_dirs):
			shutil.rmtree(d, ignore_errors=True)
			_dirs.discard(d)


atexit.register(_cleanup_all)


class ServerError(TestFailure):
	pass


class Server:
	"""One mootd process in a fresh temporary folder.

	Server(groups=..., limits=..., motd=...) writes <dir>/mootd.yaml with state
	<dir>/var and two fresh ports (plain, tls), starts mootd and waits until
	both ports accept.  Use as a context manager, or call stop()."""

	def __init__(self, groups=None, limits=None, motd="hello", start=True, mootd=None,
		     extra_server="", pathhost=PATHHOST, extra_top="", access=None):
		self.mootd = os.path.abspath(mootd or MOOTD)
		self.access = dict(access or {})
		self.dir = tempfile.mkdtemp(prefix="mootd-it-")
		_dirs.add(self.dir)
		self.state = os.path.join(self.dir, "var")
		self.config_path = os.path.join(self.dir, "mootd.yaml")
		self.log_path = os.path.join(self.dir, "mootd.log")
		self.cert = os.path.join(self.state, "cert.pem")
		self.groups = list(DEFAULT_GROUPS if groups is None else groups)
		self.limits = dict(limits or {})
		self.motd = motd
		self.extra_server = extra_server
		self.pathhost = pathhost
		self.extra_top = extra_top
		self.db_path = os.path.join(self.state, "moot.db")
		self.proc = None
		self.plain_port = self.tls_port = None
		self.expected_exit = False	# set when a test stopped/killed it on purpose
		self.exit_codes = []		# exit status of every process that ended
		self._ctx = None
		_created.append(self)
		if start:
			self.start()

	# -- lifecycle

	def write_config(self, text=None):
		"""Write the config file (generated from the current settings, or text)."""
		if text is None:
			text = make_config(self.state, self.plain_port, self.tls_port, self.groups,
					   self.limits, self.motd, pathhost=self.pathhost,
					   extra_server=self.extra_server, extra_top=self.extra_top,
					   access=self.access)
		tmp = self.config_path + ".tmp"
		with open(tmp, "w") as f:
			f.write(text)
		os.replace(tmp, self.config_path)

	def pick_ports(self):
		"""Choose the ports now (before start), e.g. to name them in a peer's config."""
		if self.plain_port is None:
			self.plain_port, self.tls_port = free_port(), free_port()
		return self

	def fingerprints(self):
		"""Run `mootd -f` on the current settings: {"server": fp, "client": fp}
		(generating the certificates when absent)."""
		self.pick_ports()
		os.makedirs(self.state, exist_ok=True)
		self.write_config()
		r = subprocess.run(mootd_argv(self.mootd, "-f", "-c", self.config_path), cwd=self.dir,
				   stdin=subprocess.DEVNULL, capture_output=True, timeout=T(30))
		out = {}
		for l in r.stdout.decode("utf-8", "replace").splitlines():
			f = l.split()
			if len(f) >= 2 and f[0] in ("server", "client"):
				out[f[0]] = f[1]
		if r.returncode != 0 or set(out) != {"server", "client"}:
			raise ServerError("mootd -f failed (%s): %r %r" % (r.returncode, r.stdout[-500:],
									r.stderr[-500:]))
		return out

	def start(self, new_ports=True):
		"""Start mootd; retry with other ports when the chosen ones collide."""
		for attempt in range(4):
			if new_ports or self.plain_port is None:
				self.plain_port, self.tls_port = free_port(), free_port()
			self.write_config()
			try:
				self._spawn()
				return self
			except ServerError as e:
				if attempt < 3 and self._looks_like_port_clash():
					if self.exit_codes:
						self.exit_codes.pop()	# expected: port taken
					new_ports = True
					continue
				raise
		raise ServerError("could not start mootd")

	def _looks_like_port_clash(self):
		t = self.log_tail(20).lower()
		return "in use" in t or "eaddrinuse" in t

	def _spawn(self):
		if not os.access(self.mootd, os.X_OK):
			raise ServerError("mootd not found or not executable: %s" % self.mootd)
		os.makedirs(self.state, exist_ok=True)
		self.expected_exit = False
		log = open(self.log_path, "ab")
		log.write(b"---- start %s\n" % time.strftime("%H:%M:%S").encode())
		log.flush()
		try:
			self.proc = subprocess.Popen(mootd_argv(self.mootd, "-c", self.config_path),
						     stdin=subprocess.DEVNULL, stdout=log, stderr=log,
						     cwd=self.dir)
		finally:
			log.close()
		_live[self.proc.pid] = self.proc
		try:
			self.wait_ready()
		except ServerError:
			self._reap(force=True)
			raise

	def wait_ready(self, timeout=None):
		"""Wait until both ports accept and the certificate exists."""
		timeout = T(10) if timeout is None else timeout
		deadline = time.monotonic() + timeout
		pending = [self.plain_port, self.tls_port]
		while True:
			rc = self.proc.poll()
			if rc is not None:
				self._note_exit(rc)
				raise ServerError("mootd exited with %s during start-up; log tail:\n%s" %
						  (rc, self.log_tail()))
			# The plain port: a TCP connect is enough.  The TLS port: a full
			# handshake (a connection dropped before the handshake is a
			# different case, tested on its own).
			if pending and pending[0] == self.plain_port:
				try:
					socket.create_connection(("127.0.0.1", self.plain_port), timeout=1).close()
					pending.pop(0)
				except OSError:
					pass
			if pending == [self.tls_port] and os.path.exists(self.cert):
				self._ctx = None
				try:
					with Raw(self, tls=True, greet=True, timeout=T(2)) as c:
						c.send("QUIT")
					pending.pop(0)
				except (OSError, EOFError, ssl.SSLError, TestFailure):
					pass
			if not pending:
				return
			if time.monotonic() >= deadline:
				raise ServerError("mootd not ready after %.1fs (ports %d/%d, cert %s); "
						  "log tail:\n%s" % (timeout, self.plain_port, self.tls_port,
								     os.path.exists(self.cert), self.log_tail()))
			time.sleep(0.02)

	def _note_exit(self, rc):
		self.exit_codes.append(rc)
		_live.pop(self.proc.pid, None)

	def _reap(self, force=False):
		if self.proc is None:
			return None
		rc = self.proc.poll()
		if rc is None and force:
			try:
				os.kill(self.proc.pid, signal.SIGKILL)
			except ProcessLookupError:
				pass
			rc = self.proc.wait(timeout=10)
		if rc is not None and self.proc.pid in _live:
			self._note_exit(rc)
		return rc

	def alive(self):
		return self.proc is not None and self.proc.poll() is None

	def stop(self, timeout=None):
		"""SIGTERM, wait; SIGKILL after the timeout.  Returns the exit status
		(negative signal number when it had to be killed: never 0 then)."""
		if self.proc is None:
			return None
		self.expected_exit = True
		rc = self.proc.poll()
		if rc is None:
			try:
				os.kill(self.proc.pid, signal.SIGTERM)
			except ProcessLookupError:
				pass
			try:
				rc = self.proc.wait(timeout=T(5) if timeout is None else timeout)
			except subprocess.TimeoutExpired:
				os.kill(self.proc.pid, signal.SIGKILL)
				self.proc.wait(timeout=10)
				rc = "killed after SIGTERM timeout"
		if self.proc.pid in _live:
			_live.pop(self.proc.pid, None)
			self.exit_codes.append(rc)
		return rc

	def kill9(self):
		"""SIGKILL now and wait for the process."""
		if self.proc is None:
			return
		self.expected_exit = True
		try:
			os.kill(self.proc.pid, signal.SIGKILL)
		except ProcessLookupError:
			pass
		self.proc.wait(timeout=10)
		_live.pop(self.proc.pid, None)

	def restart(self, sigkill=False):
		"""Stop (SIGTERM, or SIGKILL) and start again with the same ports and state."""
		if self.alive():
			if sigkill:
				self.kill9()
			else:
				self.stop()
		return self.start(new_ports=False)

	def hup(self):
		"""Send SIGHUP (reload the configuration)."""
		check(self.alive(), "mootd not running for SIGHUP")
		os.kill(self.proc.pid, signal.SIGHUP)

	def cleanup(self, keep=False):
		self._reap(force=True)
		if not keep and not os.environ.get("MOOT_KEEP"):
			shutil.rmtree(self.dir, ignore_errors=True)
			_dirs.discard(self.dir)

	def __enter__(self):
		return self

	def __exit__(self, *exc):
		if self.alive():
			self.stop()
		self.cleanup()
		return False

	# -- diagnostics

	def log_text(self):
		try:
			with open(self.log_path, "rb") as f:
				return f.read().decode("utf-8", "replace")
		except OSError:
			return ""

	def log_tail(self, n=30):
		return "\n".join(self.log_text().splitlines()[-n:])

	def log_errors(self):
		"""Sanitizer / valgrind / crash lines found in the log."""
		return [l for l in self.log_text().splitlines() if is_log_error(l)]

	# -- connecting

	def ssl_context(self):
		"""A client context that verifies the server against its own cert.pem."""
		if self._ctx is None:
			self._ctx = ssl.create_default_context(cafile=self.cert)
		return self._ctx

	def nntp(self, tls=True, host="localhost", **kw):
		"""An nntplib connection (NNTP_SSL verifying, or plain NNTP)."""
		kw.setdefault("timeout", T(10))
		with warnings.catch_warnings():
			warnings.simplefilter("ignore", DeprecationWarning)
			if tls:
				return nntplib.NNTP_SSL(host, self.tls_port, ssl_context=self.ssl_context(), **kw)
			return nntplib.NNTP(host, self.plain_port, **kw)

	def raw(self, tls=True, host="localhost", greet=True, timeout=None, cert=None, key=None):
		"""A raw line client; reads the greeting unless greet=False.  With
		cert/key (PEM paths) it presents that client certificate (TLS only)."""
		ctx = None
		if cert:
			ctx = ssl.create_default_context(cafile=self.cert)
			ctx.load_cert_chain(cert, key)
		return Raw(self, tls=tls, host=host, greet=greet, timeout=timeout, ctx=ctx)


# ---------------------------------------------------------------- raw client

class Raw:
	"""Line client with exact control of the bytes on the wire."""

	def __init__(self, server, tls=True, host="localhost", greet=True, timeout=None, ctx=None):
		self.server = server
		self.timeout = T(10) if timeout is None else timeout
		port = server.tls_port if tls else server.plain_port
		s = socket.create_connection(("127.0.0.1", port), timeout=self.timeout)
		s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		if tls:
			s = (ctx or server.ssl_context()).wrap_socket(s, server_hostname=host)
		self.sock = s
		self.buf = b""
		self.greeting = self.readline() if greet else None

	def settimeout(self, t):
		self.sock.settimeout(t)

	def send_raw(self, data):
		if isinstance(data, str):
			data = data.encode("utf-8")
		self.sock.sendall(data)

	def send(self, line):
		"""Send one line; CRLF is appended."""
		if isinstance(line, str):
			line = line.encode("utf-8")
		self.send_raw(line + b"\r\n")

	def _fill(self):
		chunk = self.sock.recv(65536)
		if not chunk:
			raise EOFError("connection closed by server")
		self.buf += chunk

	def readline_bytes(self):
		"""One line without its CRLF (bytes).  EOFError at end of stream."""
		while True:
			i = self.buf.find(b"\n")
			if i >= 0:
				line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
				check(line.endswith(b"\r\n"), "line not ended by CRLF: %r" % line[:100])
				return line[:-2]
			if len(self.buf) > 10_000_000:
				raise TestFailure("unterminated line from server")
			self._fill()

	def readline(self):
		return self.readline_bytes().decode("utf-8", "surrogateescape")

	def read_multiline_bytes(self, unstuff=True):
		"""The lines of a multi-line block up to the "." line (RFC 3977 §3.1.1)."""
		out = []
		while True:
			l = self.readline_bytes()
			if l == b".":
				return out
			if unstuff and l.startswith(b"."):
				l = l[1:]
			out.append(l)

	def read_multiline(self, unstuff=True):
		return [l.decode("utf-8", "surrogateescape") for l in self.read_multiline_bytes(unstuff)]

	def status(self):
		"""(code, line) of the next status line."""
		line = self.readline()
		check(len(line) >= 3 and line[:3].isdigit(), "not a status line: %r" % line[:200])
		return int(line[:3]), line

	def expect(self, code):
		"""Read a status line and assert its code; returns the line."""
		c, line = self.status()
		if c != code:
			raise TestFailure("expected %d, got %r" % (code, line[:200]))
		return line

	def cmd(self, line, code=None):
		"""Send a command and return (code, line); assert the code if given."""
		self.send(line)
		c, l = self.status()
		if code is not None and c != code:
			raise TestFailure("%s: expected %d, got %r" % (line[:60], code, l[:200]))
		return c, l

	def cmd_multi(self, line, code):
		"""Send a command expecting a multi-line reply with code; returns its lines."""
		self.cmd(line, code)
		return self.read_multiline()

	def post(self, lines, expect=240):
		"""POST an article given as text lines (dot-stuffed here). Returns the final line."""
		self.cmd("POST", 340)
		self.send_raw(wire(lines) + b".\r\n")
		return self.expect(expect) if expect is not None else self.status()[1]

	def starttls(self, host="localhost"):
		"""Start TLS on this connection (after a 382), verifying the server."""
		check(self.buf == b"", "data after the 382 reply before the handshake: %r" % self.buf[:80])
		self.sock = self.server.ssl_context().wrap_socket(self.sock, server_hostname=host)

	def at_eof(self, timeout=None):
		"""Wait up to timeout for EOF; returns (True, lines_seen) or (False, lines)."""
		seen = []
		deadline = time.monotonic() + (T(3) if timeout is None else timeout)
		while time.monotonic() < deadline:
			self.sock.settimeout(max(0.05, deadline - time.monotonic()))
			try:
				seen.append(self.readline())
			except EOFError:
				return True, seen
			except (socket.timeout, TimeoutError):
				break
			except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
				return True, seen
		return False, seen

	def close(self):
		try:
			self.sock.close()
		except OSError:
			pass

	def __enter__(self):
		return self

	def __exit__(self, *exc):
		self.close()
		return False


# ---------------------------------------------------------------- articles

_seq = [0]


def unique(tag="t"):
	_seq[0] += 1
	return "%s%d.%d.%d" % (tag, os.getpid(), int(time.time() * 1000) % 10**9, _seq[0])


def article(subject="Test subject", group="moot.general", body=None, msgid=None,
	    frm="Tester <tester@example.com>", refs=None, extra=(), date=None):
	"""Article lines (text, no CRLF, not dot-stuffed)."""
	h = ["From: %s" % frm, "Newsgroups: %s" % group]
	if subject is not None:
		h.append("Subject: %s" % subject)
	if msgid:
		h.append("Message-ID: %s" % msgid)
	if refs:
		h.append("References: %s" % refs)
	if date:
		h.append("Date: %s" % date)
	h.extend(extra)
	if body is None:
		body = ["Hello from the test suite.", "Second line."]
	return h + [""] + list(body)


def wire(lines):
	"""Dot-stuffed CRLF wire form of text lines (without the final ".")."""
	out = []
	for l in lines:
		b = l.encode("utf-8") if isinstance(l, str) else l
		if b.startswith(b"."):
			b = b"." + b
		out.append(b + b"\r\n")
	return b"".join(out)


def as_bytes_lines(lines):
	"""Article lines for nntplib.post (bytes with CRLF; nntplib stuffs dots)."""
	return [(l.encode("utf-8") if isinstance(l, str) else l) + b"\r\n" for l in lines]


def new_msgid(tag="t"):
	return "<%s@test.example.com>" % unique(tag)


def headers_of(lines):
	"""Parse header lines (list of str, up to the blank line) into a dict of
	lower-case name -> value (unfolded); also returns the body."""
	hdr = {}
	last = None
	i = 0
	for i, l in enumerate(lines):
		if l == "":
			break
		if l[:1] in (" ", "\t") and last:
			hdr[last] += " " + l.strip()
			continue
		name, _, value = l.partition(":")
		last = name.strip().lower()
		hdr[last] = value.strip()
	else:
		i = len(lines)
	return hdr, lines[i + 1:]


def decode_lines(lines):
	"""nntplib returns bytes lines; make them str."""
	return [l.decode("utf-8", "surrogateescape") if isinstance(l, bytes) else l for l in lines]


def config(**kw):
	"""Decorator: the runner starts the test's Server with these arguments."""
	def deco(fn):
		fn.server_kwargs = kw
		return fn
	return deco


def post_n(srv, n, group="moot.general", tls=True, subject="Article"):
	"""Post n articles over one raw connection; returns their Message-IDs."""
	ids = []
	with srv.raw(tls=tls) as c:
		for i in range(n):
			mid = new_msgid("p")
			c.post(article(subject="%s %d" % (subject, i + 1), group=group, msgid=mid,
				       body=["Body of article %d." % (i + 1)]))
			ids.append(mid)
		c.cmd("QUIT", 205)
	return ids


# ---------------------------------------------------------------- federation

def peers_yaml(entries):
	"""The top-level `peers:` YAML of a list of dicts (values: str, int, bool,
	or a dict written as a flow mapping, e.g. identity)."""
	out = ["peers:"]
	for e in entries:
		first = True
		for k, v in e.items():
			if isinstance(v, dict):
				val = "{ %s }" % ", ".join("%s: %s" % (a, _q(b)) for a, b in v.items())
			elif isinstance(v, bool):
				val = "true" if v else "false"
			elif isinstance(v, int):
				val = str(v)
			else:
				val = _q(v)
			out.append("%s%s: %s" % ("  - " if first else "    ", k, val))
			first = False
	return "\n".join(out) + "\n"


def federate(names, links, groups=None, send="moot.*", accept="moot.*", opts=None,
	     start=True, limits=None):
	"""Servers whose pathhosts are `names`, peered along `links` (pairs (x, y):
	x and y feed each other, each verifying the other's server certificate
	with ca: and recognising its client certificate by fingerprint).
	opts[(x, y)] is a dict of keys that override or extend x's entry for y
	(a value None removes the key).  groups is one list for all, or a dict
	name -> list.  Returns {name: Server}; started unless start=False."""
	opts = opts or {}
	srv = {}
	for n in names:
		g = groups.get(n) if isinstance(groups, dict) else groups
		srv[n] = Server(start=False, pathhost=n, groups=g, limits=limits)
	fps = {n: s.fingerprints() for n, s in srv.items()}
	for n, s in srv.items():
		entries = []
		for x, y in links:
			if n not in (x, y):
				continue
			other = y if n == x else x
			e = {"name": other, "address": "127.0.0.1:%d" % srv[other].tls_port,
			     "ca": srv[other].cert, "send": send, "accept": accept,
			     "identity": {"fingerprint": fps[other]["client"]}}
			for k, v in opts.get((n, other), {}).items():
				if v is None:
					e.pop(k, None)
				else:
					e[k] = v
			entries.append(e)
		s.extra_top = peers_yaml(entries) if entries else ""
		s.fps = fps[n]
	if start:
		for s in srv.values():
			s.start(new_ports=False)
	return srv


def group_stat(srv, group, tls=False):
	"""(count, low, high) of GROUP group on srv, or None for 411."""
	with srv.raw(tls=tls) as c:
		code, line = c.cmd("GROUP %s" % group)
		c.cmd("QUIT")
		if code == 411:
			return None
		check(code == 211, "GROUP %s: %r" % (group, line))
		f = line.split()
		return int(f[1]), int(f[2]), int(f[3])


def head_of(srv, msgid, tls=False):
	"""The headers (dict, lower-case names) of msgid on srv, or None (430)."""
	with srv.raw(tls=tls) as c:
		code, line = c.cmd("HEAD %s" % msgid)
		if code == 430:
			return None
		check(code == 221, "HEAD %s: %r" % (msgid, line))
		hdr, _ = headers_of(c.read_multiline())
		c.cmd("QUIT")
		return hdr


def has_all(srv, msgids):
	"""True when srv has every Message-ID of msgids (STAT, one connection)."""
	with srv.raw(tls=False) as c:
		for m in msgids:
			if c.cmd("STAT %s" % m)[0] != 223:
				return False
		c.cmd("QUIT")
	return True


def group_msgids(srv, group):
	"""The Message-IDs of the articles numbered in group, in number order."""
	with srv.raw(tls=False) as c:
		code, line = c.cmd("GROUP %s" % group)
		check(code == 211, "GROUP %s: %r" % (group, line))
		if int(line.split()[1]) == 0:
			return []
		lines = c.cmd_multi("HDR Message-ID 1-", 225)
		c.cmd("QUIT")
	return [l.split(" ", 1)[1] for l in lines]


def outq_count(srv, peer=None):
	"""Rows of the outgoing queue in srv's database (read-only)."""
	import sqlite3
	db = sqlite3.connect("file:%s?mode=ro" % srv.db_path, uri=True, timeout=T(5))
	try:
		cols = [r[1] for r in db.execute("PRAGMA table_info(outq)")]
		if peer is None:
			return db.execute("SELECT count(*) FROM outq").fetchone()[0]
		col = "peer" if "peer" in cols else cols[0]
		return db.execute("SELECT count(*) FROM outq WHERE %s = ?" % col, (peer,)).fetchone()[0]
	finally:
		db.close()


def make_client_cert(folder, cn="p"):
	"""A self-signed P-256 client certificate: (cert path, key path, fingerprint)."""
	cert, key = os.path.join(folder, cn + "-cert.pem"), os.path.join(folder, cn + "-key.pem")
	subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			"ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + cn, "-days", "2",
			"-keyout", key, "-out", cert], check=True, capture_output=True, timeout=T(30))
	out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
			     check=True, capture_output=True, timeout=T(30)).stdout.decode()
	# "sha256 Fingerprint=AB:CD:..." (the case of the prefix varies by version)
	fp = "sha256:" + out.strip().split("=", 1)[1]
	return cert, key, fp
