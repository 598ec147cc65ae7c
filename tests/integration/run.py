#!/usr/bin/python3
"""run.py: the mootd integration test runner.

    run.py --mootd PATH [--moot PATH] [-k SUBSTRING] [-v]

Imports every tests/integration/[0-9][0-9]_*.py in name order and runs each
function named test_* in definition order.  A test that takes one argument
gets a fresh harness.Server (arguments from @harness.config(...) on the
test); a test without arguments makes its own servers.  Prints "PASS name" / "FAIL name" per test (with the
traceback and the server log tail on failure) and finally "N passed, N failed".
Exit status 1 if any test failed.  MOOTD_TIMEOUT_MULT scales timeouts;
MOOT_KEEP=1 keeps each server's temporary folder (config, state, log).
"""

import argparse
import glob
import importlib.util
import inspect
import os
import signal
import sys
import time
import traceback
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def load_tests(pattern):
	tests = []
	for path in sorted(glob.glob(os.path.join(HERE, "[0-9][0-9]_*.py"))):
		modname = os.path.splitext(os.path.basename(path))[0]
		spec = importlib.util.spec_from_file_location("it_" + modname, path)
		mod = importlib.util.module_from_spec(spec)
		spec.loader.exec_module(mod)
		fns = [f for n, f in vars(mod).items()
		       if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == mod.__name__]
		fns.sort(key=lambda f: f.__code__.co_firstlineno)
		for f in fns:
			name = "%s.%s" % (modname, f.__name__)
			if pattern and pattern not in name:
				continue
			tests.append((name, f))
	return tests


def server_problems(srv):
	"""Why a server's run counts as a failure, or []."""
	import harness
	why = []
	errs = srv.log_errors()
	if errs:
		why.append("sanitizer/crash report in mootd log: %s" % errs[0])
	if srv.proc is not None and not srv.expected_exit and srv.proc.poll() is not None:
		why.append("mootd died during the test (status %s)" % srv.proc.returncode)
	return why


def run_one(name, fn, verbose):
	import harness
	harness._created.clear()
	srv = None
	failed = None
	t0 = time.monotonic()
	try:
		nparams = len(inspect.signature(fn).parameters)
		if nparams:
			srv = harness.Server(**getattr(fn, "server_kwargs", {}))
			fn(srv)
		else:
			fn()
	except Exception:
		failed = traceback.format_exc()
	# Every server made during the test: no sanitizer reports, no unexpected
	# death, and a clean SIGTERM exit (0) when the runner stops it.
	problems = []
	for s in list(harness._created):
		problems += server_problems(s)
		if s.alive():
			s.stop()
		bad = [rc for rc in s.exit_codes if rc != 0]
		if bad:
			problems.append("mootd exit status after SIGTERM (or at start-up) not 0: %s" % bad)
			problems += [p for p in server_problems(s) if p.startswith("sanitizer")
				     and p not in problems]
	if problems and not failed:
		failed = "\n".join(problems) + "\n"
	dt = time.monotonic() - t0
	if failed:
		print("FAIL %s (%.1fs)" % (name, dt))
		print("    " + failed.rstrip().replace("\n", "\n    "))
		for s in harness._created:
			tail = s.log_tail(25)
			if tail:
				print("    --- mootd log %s (tail):" % s.log_path)
				print("    " + tail.replace("\n", "\n    "))
		for s in harness._created:
			s.cleanup()		# MOOT_KEEP=1 keeps the folders
	else:
		print("PASS %s%s" % (name, " (%.1fs)" % dt if verbose else ""))
		for s in harness._created:
			s.cleanup()
	sys.stdout.flush()
	harness._created.clear()
	return failed is None


def _terminated(signum, frame):
	# Make SIGTERM run atexit (which kills every mootd we started).
	raise SystemExit(128 + signum)


def main():
	signal.signal(signal.SIGTERM, _terminated)
	ap = argparse.ArgumentParser()
	ap.add_argument("--mootd", required=True, help="path of the mootd binary")
	ap.add_argument("--moot", default=None, help="path of the moot client binary (MOOT_BIN)")
	ap.add_argument("-k", default=None, help="run tests whose name contains this")
	ap.add_argument("-v", action="store_true", help="print durations")
	args = ap.parse_args()
	os.environ["MOOTD"] = os.path.abspath(args.mootd)
	if args.moot:
		os.environ["MOOT_BIN"] = os.path.abspath(args.moot)
	import harness
	harness.MOOTD = os.path.abspath(args.mootd)
	if not os.access(harness.MOOTD, os.X_OK):
		print("mootd not found: %s" % harness.MOOTD)
		print("0 passed, 1 failed")
		return 1
	tests = load_tests(args.k)
	passed = failed = 0
	t0 = time.monotonic()
	for name, fn in tests:
		if run_one(name, fn, args.v):
			passed += 1
		else:
			failed += 1
	harness._cleanup_all()
	if args.v:
		print("(%.1fs)" % (time.monotonic() - t0))
	print("%d passed, %d failed" % (passed, failed))
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main())
