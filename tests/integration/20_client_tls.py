"""moot's connection security against a real mootd: CA verification, the
fingerprint pin (mismatch refused naming both fingerprints), STARTTLS,
--insecure, configuration errors and exit status 2 for network failures."""

import importlib.util
import os

import harness
from harness import check, eq


def _common():
	p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "20_client_common.py")
	spec = importlib.util.spec_from_file_location("client_common_tls", p)
	m = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(m)
	return m


cc = _common()
WRONG = "sha256:" + "ab" * 32


def test_fingerprint_pin_mismatch_refused(srv):
	harness.post_n(srv, 1)
	real = cc.fingerprint(srv.cert)
	with cc.Moot(srv, ca=False, extra=['fingerprint: "%s"' % WRONG]) as m:
		out, err = m.run("groups", rc=2)
		eq(out, "", "nothing printed")
		eq(len(err.strip().splitlines()), 1, "one line: %r" % err)
		check(err.startswith("moot: ") and "mismatch" in err, err)
		check(WRONG in err, "names the expected fingerprint: %r" % err)
		check(("presented sha256:" + real) in err.lower(),
		      "names the presented fingerprint %s: %r" % (real, err))
		# The flag overrides the file: the right pin works, colons and case ignored.
		colons = ":".join(real[i:i + 2] for i in range(0, 64, 2)).upper()
		out, _ = m.run("--fingerprint", "sha256:" + colons, "groups")
		check(out.startswith("moot.announce"), "groups listed with the pin: %r" % out)
	with cc.Moot(srv, ca=False, extra=['fingerprint: "sha256:%s"' % real]) as m:
		out, _ = m.run("threads", "moot.general")
		check("Article 1" in out, "pin match works: %r" % out)


def test_wrong_ca_and_no_ca_refused(srv):
	with harness.Server() as other:
		with cc.Moot(srv, ca=False, extra=["ca: %s" % other.cert]) as m:
			_, err = m.run("groups", rc=2)
			check("certificate" in err and "not trusted" in err, err)
			eq(len(err.strip().splitlines()), 1, "one line")
	with cc.Moot(srv, ca=False) as m:
		# The system store does not know a self-signed certificate.
		_, err = m.run("groups", rc=2)
		check("not trusted" in err, err)
		# --insecure connects and says so on stderr.
		out, err = m.run("--insecure", "groups")
		check("moot.general" in out, out)
		check("insecure" in err, "warning on stderr: %r" % err)
	# A CA file relative to the config file's folder.
	with cc.Moot(srv, ca=False, extra=["ca: ca.pem"]) as m:
		with open(srv.cert) as src, open(os.path.join(os.path.dirname(m.config), "ca.pem"), "w") as dst:
			dst.write(src.read())
		m.run("groups")


def test_starttls_and_plain(srv):
	harness.post_n(srv, 2)
	with cc.Moot(srv, tls="starttls") as m:
		out, _ = m.run("threads", "moot.general")
		eq(len(out.splitlines()), 2, "two threads over STARTTLS")
		mid = m.post("moot.general", "Over STARTTLS", "text\n")
		eq(cc.server_article(srv, mid)[0]["subject"], "Over STARTTLS", "posted over STARTTLS")
	with cc.Moot(srv, tls="off", ca=False) as m:
		out, _ = m.run("groups")
		check("moot.general" in out, out)
	# STARTTLS verifies the certificate like implicit TLS does.
	with cc.Moot(srv, tls="starttls", ca=False, extra=['fingerprint: "%s"' % WRONG]) as m:
		_, err = m.run("groups", rc=2)
		check("mismatch" in err, err)


def test_network_and_config_errors(srv):
	port = harness.free_port()
	with cc.Moot(srv, server="127.0.0.1:%d" % port) as m:
		_, err = m.run("groups", rc=2)
		check("cannot connect" in err and str(port) in err, err)
		eq(len(err.strip().splitlines()), 1, "one line")
	with cc.Moot(srv) as m:
		with open(m.config, "a") as f:
			f.write("colour: always\n")
		_, err = m.run("groups", rc=1)
		check("moot.yaml:5: colour: unknown key" in err, "FILE:LINE: KEY: %r" % err)
		m.write_config("server: 127.0.0.1:%d\npassword: hunter2\n" % srv.tls_port)
		_, err = m.run("groups", rc=1)
		check("password_command" in err, err)
		m.write_config("tls: sometimes\n")
		_, err = m.run("groups", rc=1)
		check(":1: tls:" in err, err)
		# --config FILE and $MOOT_CONFIG name other files; a named file must exist.
		alt = os.path.join(m.home, "alt.yaml")
		with open(alt, "w") as f:
			f.write("server: 127.0.0.1:%d\nca: %s\n" % (srv.tls_port, srv.cert))
		out, _ = m.run("--config", alt, "groups")
		check("moot.general" in out, out)
		out, _ = m.run("groups", env=m.env(MOOT_CONFIG=alt))
		check("moot.general" in out, out)
		_, err = m.run("--config", alt + ".missing", "groups", rc=1)
		check("alt.yaml.missing" in err, err)
		# Flags override the file.
		m.write_config("server: 127.0.0.1:%d\ntls: off\n" % harness.free_port())
		out, _ = m.run("--server", "127.0.0.1:%d" % srv.tls_port, "--tls", "implicit", "--ca", srv.cert,
			       "groups")
		check("moot.general" in out, out)
