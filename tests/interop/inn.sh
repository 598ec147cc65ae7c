#!/bin/bash
# tests/interop/inn.sh: peer mootd with INN 2.7 (Debian inn2) on loopback, in
# both directions, and show articles crossing each way.  Not part of
# `make check`: run it by hand, as root, on a machine where INN may be
# installed (see tests/interop/README.md and docs/federation.md, "INN").
#
#   mootd -> INN:  mootd's feed connects with `tls: false` to innd on
#                  127.0.0.1:2119 (INN trusts 127.0.0.1: peer ME in
#                  incoming.conf) and streams CHECK/TAKETHIS (RFC 4644).
#   INN -> mootd:  innfeed speaks plain TCP to 127.0.0.1:$FEED_PORT, where
#                  stunnel (client mode) wraps it in TLS towards mootd's
#                  implicit-TLS listener and presents a client certificate;
#                  that certificate's fingerprint is INN's identity on mootd,
#                  so mootd's rule (transit only for a peer proven by its
#                  certificate) holds unchanged.
#
# Prints PASS/FAIL lines and "N passed, N failed"; exits 0 only if all pass.
# Stops its own mootd and stunnel by PID; INN is left running (stop it with
# `su news -s /bin/sh -c '/usr/lib/news/bin/rc.news stop'`).
#
# Environment: MOOTD (default build/mootd), FEED_PORT (default: innfeed.conf's
# port for peer moot, else 24119), MOOT_PORT (plain, default 24120),
# MOOT_TLS_PORT (default 24563), KEEP=1 keeps the temporary folder.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MOOTD=${MOOTD:-$ROOT/build/mootd}
INN_SETUP=${INN_SETUP:-/work/shared/bench/inn-setup.sh}
INN_HOST=127.0.0.1
INN_PORT=2119
MOOT_PORT=${MOOT_PORT:-24120}
MOOT_TLS_PORT=${MOOT_TLS_PORT:-24563}
INN_PATHHOST=inn.example.org	# inn-setup.sh sets it
MOOT_PATHHOST=moot.example.org	# inn-setup.sh's newsfeeds entry excludes it
GROUP=moot.interop		# created on INN by this script
WAIT_S=${WAIT_S:-60}
CTLINND=/usr/lib/news/bin/ctlinnd

pass=0
fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
die() { echo "FAIL: $*"; fail=$((fail + 1)); finish; }

if [ "$(id -u)" != 0 ]; then
	echo "inn.sh: run as root (it installs and configures INN)" >&2
	exit 2
fi
for cmd in python3 openssl stunnel4; do
	if ! command -v $cmd >/dev/null; then
		echo "inn.sh: needs $cmd (apt-get install stunnel4 for stunnel4)" >&2
		exit 2
	fi
done
[ -x "$MOOTD" ] || { echo "inn.sh: $MOOTD not built (make)" >&2; exit 2; }

T=$(mktemp -d /tmp/moot-inn.XXXXXX)
# A copy, so that a rebuild during the run does not change the binary.
cp "$MOOTD" "$T/mootd" && MOOTD=$T/mootd
MOOTD_PID=
STUNNEL_PID=
TCPDUMP_PID=
moot_ids=
inn_ids=

finish() {
	[ -n "$STUNNEL_PID" ] && kill "$STUNNEL_PID" 2>/dev/null
	[ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null
	if [ -n "$MOOTD_PID" ]; then
		kill "$MOOTD_PID" 2>/dev/null
		wait "$MOOTD_PID" 2>/dev/null
	fi
	if [ "$fail" -gt 0 ]; then
		echo "--- mootd log (last 30 lines)"; tail -n 30 "$T/mootd.log" 2>/dev/null
		echo "--- stunnel log (last 10 lines)"; tail -n 10 "$T/stunnel.log" 2>/dev/null
		echo "--- INN news.notice (last 15 lines)"; tail -n 15 /var/log/news/news.notice 2>/dev/null
	fi
	if [ "${KEEP:-0}" = 1 ] || [ "$fail" -gt 0 ]; then
		echo "files kept in $T"
	else
		rm -rf "$T"
	fi
	echo "$pass passed, $fail failed (INN left running)"
	[ "$fail" -eq 0 ]
	exit $?
}
trap 'die interrupted' INT TERM

# ---- a small NNTP client (python3 standard library only) ----
cat > "$T/nntp.py" <<'PY'
import socket, ssl, sys, time

def conn(host, port, tls=None):
    s = socket.create_connection((host, int(port)), timeout=20)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if tls != "anon":
            ctx.load_cert_chain(tls[0], tls[1])
        s = ctx.wrap_socket(s)
    return s.makefile("rwb")

def cmd(f, line):
    f.write(line.encode() + b"\r\n"); f.flush()
    return f.readline().decode("latin-1").rstrip("\r\n")

def multiline(f):
    out = []
    while True:
        l = f.readline().decode("latin-1").rstrip("\r\n")
        if l == ".":
            return out
        out.append(l[1:] if l.startswith("..") else l)

def reader(host, port, mode_reader):
    f = conn(host, port)
    f.readline()
    if mode_reader:
        cmd(f, "MODE READER")
    return f

def post(host, port, mode_reader, group, subject, msgid):
    f = reader(host, port, mode_reader)
    r = cmd(f, "POST")
    if not r.startswith("340"):
        print("POST refused: " + r); return 1
    lines = ["From: Interop Test <interop@example.org>", "Newsgroups: " + group,
             "Subject: " + subject]
    if msgid != "-":
        lines.append("Message-ID: " + msgid)
    lines += ["", "Crossing between mootd and INN.", ".."]
    for l in lines:
        f.write(l.encode() + b"\r\n")
    f.write(b".\r\n"); f.flush()
    r = f.readline().decode("latin-1").rstrip("\r\n")
    if not r.startswith("240"):
        print("POST failed: " + r); return 1
    # INN and mootd both name the new article in the 240 line.
    ids = [w for w in r.split() if w.startswith("<") and w.endswith(">")]
    if msgid == "-" and not ids:
        # Otherwise find it by its subject.
        cmd(f, "GROUP " + group.split(",")[0])
        r = cmd(f, "XPAT Subject 1- *" + subject + "*")
        if r.startswith("221"):
            for l in multiline(f):
                n = l.split()[0]
                r2 = cmd(f, "STAT " + n)
                ids = [w for w in r2.split() if w.startswith("<")]
    print(ids[0] if ids else msgid)
    cmd(f, "QUIT")
    return 0

def wait_for(host, port, mode_reader, group, msgid, seconds):
    # Prints the article's Path, Xref and Injection-Info once the server has it in group.
    end = time.time() + float(seconds)
    while True:
        f = reader(host, port, mode_reader)
        r = cmd(f, "GROUP " + group)
        r = cmd(f, "HEAD " + msgid) if r.startswith("211") else r
        if r.startswith("221"):
            h = multiline(f)
            for l in h:
                if l.lower().startswith(("path:", "xref:", "injection-info:")):
                    print(l)
            cmd(f, "QUIT")
            return 0
        cmd(f, "QUIT")
        if time.time() >= end:
            print("last reply: " + r)
            return 1
        time.sleep(1)

def script(host, port, tls, *lines):
    # Sends lines one at a time and prints each first reply line; a
    # NOWAIT: line is sent without waiting (TAKETHIS, whose article follows
    # as an ARTICLE: line of '|'-separated lines).
    f = conn(host, port, tls)
    print(f.readline().decode("latin-1").rstrip("\r\n"))
    for l in lines:
        if l.startswith("NOWAIT:"):
            f.write(l[7:].encode() + b"\r\n")
        elif l.startswith("ARTICLE:"):
            for a in l[8:].split("|"):
                f.write(a.encode() + b"\r\n")
            f.write(b".\r\n"); f.flush()
            print(f.readline().decode("latin-1").rstrip("\r\n"))
        else:
            print(cmd(f, l))

a = sys.argv[1:]
if a[0] == "post":
    sys.exit(post(a[1], a[2], a[3] == "reader", a[4], a[5], a[6]))
if a[0] == "wait":
    sys.exit(wait_for(a[1], a[2], a[3] == "reader", a[4], a[5], a[6]))
if a[0] == "script":
    tls = None if a[3] == "plain" else "anon" if a[3] == "anon" else a[3].split(",")
    sys.exit(script(a[1], a[2], tls, *a[4:]))
PY
nntp() { python3 "$T/nntp.py" "$@"; }

# ---- INN ----
echo "== INN 2.7 on $INN_HOST:$INN_PORT"
if ! PEER_PORT=${FEED_PORT:-24119} bash "$INN_SETUP" >"$T/inn-setup.log" 2>&1; then
	cat "$T/inn-setup.log"
	die "inn-setup.sh failed"
fi
# inn-setup.sh adds the innfeed peer only once: use the port it has.
FEED_PORT=$(awk '/^peer moot/ { p = 1 } p && /port-number:/ { print $2; exit }' /etc/news/innfeed.conf)
[ -n "$FEED_PORT" ] || die "no 'peer moot' in /etc/news/innfeed.conf (inn-setup.sh without PEER_PORT?)"
grep -q "^moot/$MOOT_PATHHOST:" /etc/news/newsfeeds ||
	die "/etc/news/newsfeeds has no moot/$MOOT_PATHHOST feed"
grep -q "^pathhost:[[:space:]]*$INN_PATHHOST" /etc/news/inn.conf || die "INN's pathhost is not $INN_PATHHOST"
# mootd connects from 127.0.0.1, which incoming.conf's "peer ME" already
# lets feed innd; a partner on another host gets its own peer entry.
grep -q '127.0.0.1' /etc/news/incoming.conf || die "incoming.conf does not let 127.0.0.1 feed innd"
if ! grep -q "^$GROUP " /var/lib/news/active; then
	su news -s /bin/sh -c "$CTLINND newgroup $GROUP y" >/dev/null || die "ctlinnd newgroup $GROUP"
fi
ok "INN ready, innfeed feeds peer moot at 127.0.0.1:$FEED_PORT, group $GROUP exists"

# ---- mootd ----
mkdir -p "$T/state"
# INN's identity on mootd: the client certificate stunnel presents for innfeed.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$INN_PATHHOST" \
	-keyout "$T/inn-client-key.pem" -out "$T/inn-client-cert.pem" 2>/dev/null ||
	die "cannot make INN's client certificate"
INN_FP=$(openssl x509 -noout -fingerprint -sha256 -in "$T/inn-client-cert.pem" | sed 's/^.*=/sha256:/')

cat > "$T/mootd.yaml" <<YAML
server:
  pathhost: $MOOT_PATHHOST
  state: $T/state
  listen:
    - { address: "127.0.0.1:$MOOT_PORT", tls: false }
    - { address: "127.0.0.1:$MOOT_TLS_PORT", tls: true }
  access: { read: open, post: open }  # the test posts without an account
groups:
  - { name: $GROUP, description: "mootd and INN interop" }
  - { name: bench.test, description: "Benchmark test articles" }
peers:
  - name: $INN_PATHHOST
    address: "$INN_HOST:$INN_PORT"
    tls: false                      # innd has no implicit-TLS feed port
    send: "$GROUP,bench.*"
    accept: "$GROUP,bench.*"
    identity: { fingerprint: "$INN_FP" }
YAML
if "$MOOTD" -t -c "$T/mootd.yaml" >"$T/check.log" 2>&1; then
	ok "mootd -t accepts the peering configuration"
else
	cat "$T/check.log"; die "mootd -t"
fi
# mootd -f generates the certificates and prints their fingerprints.
"$MOOTD" -f -c "$T/mootd.yaml" >"$T/fingerprints" 2>&1
if grep -q '^server sha256:' "$T/fingerprints" && [ -f "$T/state/cert.pem" ]; then
	ok "mootd -f: $(grep '^server' "$T/fingerprints" | cut -d' ' -f1-2)"
else
	cat "$T/fingerprints"; die "mootd -f"
fi
"$MOOTD" -c "$T/mootd.yaml" >"$T/mootd.log" 2>&1 &
MOOTD_PID=$!
for i in $(seq 50); do
	(exec 3<>/dev/tcp/127.0.0.1/$MOOT_PORT) 2>/dev/null && break
	sleep 0.1
done
kill -0 "$MOOTD_PID" 2>/dev/null || die "mootd did not start"

# ---- stunnel: innfeed (plain) -> mootd (TLS with INN's client certificate) ----
cat > "$T/stunnel.conf" <<CONF
foreground = yes
pid =
output = $T/stunnel.log
debug = 5
[innfeed-to-mootd]
client = yes
accept = 127.0.0.1:$FEED_PORT
connect = 127.0.0.1:$MOOT_TLS_PORT
cert = $T/inn-client-cert.pem
key = $T/inn-client-key.pem
; mootd's server certificate, pinned (the fingerprint from mootd -f)
verifyPeer = yes
CAfile = $T/state/cert.pem
CONF
stunnel4 "$T/stunnel.conf" >/dev/null 2>&1 &
STUNNEL_PID=$!
for i in $(seq 50); do
	(exec 3<>/dev/tcp/127.0.0.1/$FEED_PORT) 2>/dev/null && break
	sleep 0.1
done
kill -0 "$STUNNEL_PID" 2>/dev/null || die "stunnel did not start (port $FEED_PORT busy?)"
ok "mootd (pid $MOOTD_PID) on $MOOT_PORT/$MOOT_TLS_PORT, stunnel (pid $STUNNEL_PID) on $FEED_PORT"

if command -v tcpdump >/dev/null; then
	tcpdump -i lo -s 0 -U -w "$T/lo.pcap" "tcp port $INN_PORT or tcp port $FEED_PORT" 2>/dev/null &
	TCPDUMP_PID=$!
	sleep 1
fi

# innfeed may be waiting out a reconnect backoff from before stunnel
# listened: flushing the funnel makes it reconnect now.
su news -s /bin/sh -c "$CTLINND flush innfeed!" >/dev/null 2>&1

# ---- mootd -> INN ----
echo "== mootd -> INN"
stamp=$(date +%s).$$
for g in $GROUP bench.test; do
	id=$(nntp post 127.0.0.1 $MOOT_PORT plain $g "moot to inn $g $stamp" -)
	case "$id" in
	"<"*) ok "posted on mootd in $g: $id" ;;
	*) bad "post on mootd in $g: $id"; continue ;;
	esac
	if out=$(nntp wait $INN_HOST $INN_PORT reader $g "$id" $WAIT_S); then
		ok "INN has $id in $g: $(echo "$out" | grep -i '^path:')"
		echo "$out" | grep -qi "^path: $INN_PATHHOST!$MOOT_PATHHOST!" &&
			ok "Path on INN shows the route $INN_PATHHOST!$MOOT_PATHHOST" ||
			bad "Path on INN: $out"
	else
		bad "INN does not have $id in $g after $WAIT_S s ($out)"
	fi
	moot_ids="$moot_ids $id"
done

# ---- INN -> mootd ----
echo "== INN -> mootd"
for g in $GROUP bench.test; do
	# Let nnrpd make the Message-ID: INN's own syntax must pass mootd's checks.
	id=$(nntp post $INN_HOST $INN_PORT reader $g "inn to moot $g $stamp" -)
	case "$id" in
	"<"*) ok "posted on INN in $g: $id"; inn_ids="$inn_ids $id" ;;
	*) bad "post on INN in $g: $id"; continue ;;
	esac
	if out=$(nntp wait 127.0.0.1 $MOOT_PORT plain $g "$id" $WAIT_S); then
		ok "mootd has $id in $g: $(echo "$out" | grep -i '^path:')"
		echo "$out" | grep -qi "^path: $MOOT_PATHHOST!$INN_PATHHOST!" &&
			ok "Path on mootd shows the route $MOOT_PATHHOST!$INN_PATHHOST" ||
			bad "Path on mootd: $out"
		# RFC 5537 §3.6: INN's injection fields reach mootd unchanged.
		echo "$out" | grep -qi "^injection-info: " &&
			ok "INN's Injection-Info kept: $(echo "$out" | grep -i '^injection-info:' | cut -c1-60)" ||
			bad "no Injection-Info on mootd: $out"
	else
		bad "mootd does not have $id in $g after $WAIT_S s ($out)"
	fi
done
grep -q "peer $INN_PATHHOST identified by its certificate" "$T/mootd.log" &&
	ok "mootd identified INN by its client certificate (via stunnel)" ||
	bad "mootd log has no 'peer $INN_PATHHOST identified by its certificate'"

# ---- no loops, no duplicates ----
echo "== loops and duplicates"
sleep 3
n=$(grep -c "our name is in Path" "$T/mootd.log")
[ "$n" -eq 0 ] && ok "mootd was never offered its own articles back" ||
	bad "mootd was offered $n of its own articles back"
grep "feed $INN_PATHHOST" "$T/mootd.log" | sed 's/^/    /'
grep -q "feed $INN_PATHHOST: connected" "$T/mootd.log" &&
	ok "mootd's feed to INN connected ($(grep -o "feed $INN_PATHHOST: connected ([a-zA-Z]*)" "$T/mootd.log" | head -1))" ||
	bad "mootd's feed never logged 'connected'"
if [ -n "$TCPDUMP_PID" ]; then
	kill "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID" 2>/dev/null; TCPDUMP_PID=
	# What each side offered: mootd -> innd on $INN_PORT, innfeed -> mootd
	# on $FEED_PORT (the plain side of stunnel).
	offers() { tcpdump -nn -A -r "$T/lo.pcap" "tcp dst port $1" 2>/dev/null |
		grep -aoE '(CAPABILITIES|MODE STREAM|(CHECK|TAKETHIS|IHAVE) <[^> ]*>)'; }
	replies() { tcpdump -nn -A -r "$T/lo.pcap" "tcp src port $1" 2>/dev/null |
		grep -aoE '\b(203|238|239|235|335|431|435|436|437|438|439|480|502) ' | cut -c1-3 | sort | uniq -c | tr -s ' \n' ' '; }
	offers $INN_PORT > "$T/to-inn"; offers $FEED_PORT > "$T/to-moot"
	echo "    mootd -> innd:    $(sed 's/ <.*//' "$T/to-inn" | sort | uniq -c | tr -s ' \n' ' ')"
	echo "    innd replies:     $(replies $INN_PORT)"
	echo "    innfeed -> mootd: $(sed 's/ <.*//' "$T/to-moot" | sort | uniq -c | tr -s ' \n' ' ')"
	echo "    mootd replies:    $(replies $FEED_PORT)"
	loops=0
	for id in $moot_ids; do
		grep -qF "$id" "$T/to-inn" || bad "no offer of $id to innd was captured"
		grep -qF "$id" "$T/to-moot" && { bad "innfeed offered $id back to mootd"; loops=1; }
	done
	for id in $inn_ids; do
		grep -qF "$id" "$T/to-moot" || bad "no offer of $id to mootd was captured"
		grep -qF "$id" "$T/to-inn" && { bad "mootd offered $id back to innd"; loops=1; }
	done
	[ $loops = 0 ] && ok "captured on loopback: each article offered once, never back to where it came from"
else
	echo "    (tcpdump not installed: the exchange was not captured)"
fi

# ---- security: only the certified peer may feed mootd ----
echo "== identity"
r=$(nntp script 127.0.0.1 $MOOT_PORT plain "MODE STREAM" "CHECK <x.$stamp@example.org>" "IHAVE <x.$stamp@example.org>")
echo "$r" | sed 's/^/    /'
[ "$(echo "$r" | sed -n 2p | cut -c1-3)" = 502 ] && [ "$(echo "$r" | sed -n 3p | cut -c1-3)" = 480 ] &&
	[ "$(echo "$r" | sed -n 4p | cut -c1-3)" = 480 ] &&
	ok "a plaintext stranger gets 502 (MODE STREAM) and 480 (CHECK, IHAVE)" ||
	bad "a plaintext stranger was not refused"
r=$(nntp script 127.0.0.1 $MOOT_TLS_PORT anon "CHECK <x.$stamp@example.org>" \
	"NOWAIT:TAKETHIS <x.$stamp@example.org>" "ARTICLE:Path: x|From: x@example.org|Newsgroups: $GROUP|Subject: x|Message-ID: <x.$stamp@example.org>|Date: $(date -R)||x")
echo "$r" | sed 's/^/    /'
[ "$(echo "$r" | sed -n 2p | cut -c1-3)" = 480 ] && [ "$(echo "$r" | sed -n 3p | cut -c1-3)" = 480 ] &&
	ok "a TLS session without a client certificate gets 480 for CHECK and TAKETHIS" ||
	bad "a TLS stranger was not refused"

finish
