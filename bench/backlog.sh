#!/bin/bash
# backlog.sh: a federation backlog drains without memory per queued article
# (issue 5, Outbound).  Run by hand; not part of make check.
#
#   bench/backlog.sh
#
# Two mootds from the build on random free 127.0.0.1 ports, each in its own
# temporary folder.  A has B configured as a peer (address, pinned server
# fingerprint, send "bench.*") while B is not running; moot-bench is an
# inbound peer of A (client certificate) and streams BACKLOG articles into A
# with TAKETHIS (RFC 4644 §2.5), which queues every one of them for B.
# Then B starts and the script measures, from B's start, how long A takes to
# empty its queue for B with B holding every article, the drain rate, and
# A's VmRSS (/proc) during the drain against before it.  The queue (outq in
# A's moot.db) and B's article count are read with sqlite3 in read-only mode.
#
# Environment (all optional):
#   BUILD=build          where mootd and moot-bench are (made first, as needed)
#   BACKLOG=100000       articles streamed into A and queued for B
#   CONNS=4 WINDOW=64    moot-bench ingest connections and window
#   DRAIN_TIMEOUT=1200   seconds allowed for the drain
#   KEEP=1               keep the temporary folder (logs, per-second samples)
#
# Output: one line of figures on stdout, e.g.
#   backlog=100000 fill_s=.. drain_s=.. reconnect_s=.. drain_per_s=..
#   rss_before_kb=.. rss_peak_kb=.. rss_after_kb=.. ...
# drain_s counts from B's start; reconnect_s is the part of it spent before
# the first article left A's queue (A's reconnect backoff: B was down during
# the fill); drain_per_s is BACKLOG / (drain_s - reconnect_s).
# Every process the script starts is stopped by its PID on exit.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BACKLOG=${BACKLOG:-100000}
CONNS=${CONNS:-4}
WINDOW=${WINDOW:-64}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-1200}
MOOTD=$BUILD/mootd
BENCH=$BUILD/moot-bench
NAME_A=moot-a.example
NAME_B=moot-b.example

die() { echo "backlog.sh: $*" >&2; exit 1; }
. "$ROOT/bench/lib.sh"
note() { echo "backlog.sh: $*" >&2; }
command -v python3 >/dev/null || die "python3 is needed (sqlite3 module)"
command -v openssl >/dev/null || die "openssl is needed"
make -C "$ROOT" DEVELOPER=1 BUILD="$BUILD" "$MOOTD" "$BENCH" >/dev/null ||
	die "cannot build $MOOTD and $BENCH"

TMP=$(mktemp -d /tmp/moot-backlog.XXXXXX) || die "mktemp failed"
PID_A=""
PID_B=""
PID_BENCH=""
# stop PID: SIGTERM, up to 10 s to exit, then SIGKILL.
stop() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
cleanup() {
	stop "$PID_BENCH"
	stop "$PID_B"
	stop "$PID_A"
	if [ "${KEEP:-}" = 1 ]; then
		note "logs and samples kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Four distinct free ports (held open together while chosen).
read -r PA PA_TLS PB PB_TLS < <(python3 -c '
import socket
s = [socket.socket() for _ in range(4)]
for x in s:
	x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
') || die "cannot pick ports"

# moot-bench's client certificate: its identity as A's inbound peer.
FP_BENCH=$(bench_cert "$TMP") || exit 1

# config DIR PATHHOST PORT TLS_PORT PEERS_YAML: write DIR/mootd.yaml.
config() {
	mkdir -p "$1/state"
	cat >"$1/mootd.yaml" <<EOF
server:
  pathhost: $2
  state: $1/state
  listen:
    - { address: "127.0.0.1:$3", tls: false }
    - { address: "127.0.0.1:$4", tls: true }
  limits: { max_connections: 1000, max_article_bytes: 1000000, idle_timeout_s: 3600 }
groups:
  - { name: bench.test, description: "Backlog test articles" }
  - { name: bench.other, description: "Backlog other articles" }
$5
EOF
}
# fingerprint DIR server|client: from `mootd -f` (creates the certificates).
fingerprint() {
	(cd "$1" && "$MOOTD" -f -c "$1/mootd.yaml") 2>>"$TMP/setup.log" | awk -v k="$2" '$1 == k { print $2 }'
}

config "$TMP/b" "$NAME_B" "$PB" "$PB_TLS" ""
FP_B_SERVER=$(fingerprint "$TMP/b" server)
FP_B_CLIENT=$(fingerprint "$TMP/b" client)
{ [ -n "$FP_B_SERVER" ] && [ -n "$FP_B_CLIENT" ]; } || die "mootd -f failed for B: see $TMP/setup.log"
config "$TMP/a" "$NAME_A" "$PA" "$PA_TLS" "peers:
  - name: bench.example
    accept: \"bench.*\"
    identity: { fingerprint: \"$FP_BENCH\" }
  - name: $NAME_B
    address: \"127.0.0.1:$PB_TLS\"
    tls: true
    fingerprint: \"$FP_B_SERVER\"
    send: \"bench.*\"
    accept: \"bench.*\"
    window: $WINDOW
    identity: { fingerprint: \"$FP_B_CLIENT\" }"
FP_A_CLIENT=$(fingerprint "$TMP/a" client)
[ -n "$FP_A_CLIENT" ] || die "mootd -f failed for A: see $TMP/setup.log"
# B takes from A (inbound only: B has nothing to send back).
config "$TMP/b" "$NAME_B" "$PB" "$PB_TLS" "peers:
  - name: $NAME_A
    accept: \"bench.*\"
    identity: { fingerprint: \"$FP_A_CLIENT\" }"
for s in a b; do
	"$MOOTD" -t -c "$TMP/$s/mootd.yaml" >>"$TMP/setup.log" 2>&1 ||
		die "mootd -t rejects $s's configuration: see $TMP/setup.log"
done

# start DIR TLS_PORT VAR: run mootd in DIR (log DIR/mootd.log), its PID in
# VAR at once (so cleanup stops it), then wait for its TLS port.
start() {
	local pid
	(cd "$1" && exec "$MOOTD" -c "$1/mootd.yaml") >>"$1/mootd.log" 2>&1 &
	pid=$!
	printf -v "$3" '%s' "$pid"
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || die "mootd in $1 exited: $(tail -3 "$1/mootd.log")"
		sleep 0.1
	done
	die "mootd in $1 does not listen on $2"
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
load1() { cut -d' ' -f1 /proc/loadavg; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# outq_count: rows queued for B in A's database (read-only).
outq_count() {
	python3 - "$TMP/a/state/moot.db" "$NAME_B" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
print(db.execute("SELECT count(*) FROM outq WHERE peer = ?", (sys.argv[2],)).fetchone()[0])
EOF
}

LOAD_START=$(load1)
note "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); folder $TMP"
start "$TMP/a" "$PA_TLS" PID_A
RSS_START=$(rss_kb "$PID_A")
note "A (pid $PID_A) on $PA/$PA_TLS, RSS ${RSS_START} kB; B (not running) on $PB/$PB_TLS"

# ---- fill: BACKLOG articles into A while B is down ----
T_FILL=$(now)
timeout 1800 "$BENCH" ingest --host 127.0.0.1 --port "$PA_TLS" --tls --insecure \
	--cert "$TMP/bench-cert.pem" --key "$TMP/bench-key.pem" --connections "$CONNS" \
	--window "$WINDOW" --count "$BACKLOG" --seconds 1500 --group bench.test --group bench.other \
	>"$TMP/ingest.out" 2>"$TMP/ingest.err" &
PID_BENCH=$!
wait "$PID_BENCH"
PID_BENCH=""
FILL_S=$(elapsed "$T_FILL" "$(now)")
INGEST=$(tail -1 "$TMP/ingest.out")
note "ingest: $INGEST"
ACCEPTED=$(echo "$INGEST" | tr ' ' '\n' | sed -n 's/^accepted=//p')
[ "${ACCEPTED:-0}" = "$BACKLOG" ] || die "A accepted ${ACCEPTED:-0} of $BACKLOG: $(tail -3 "$TMP/ingest.err")"
QUEUED=$(outq_count) || die "cannot read A's queue"
[ "$QUEUED" = "$BACKLOG" ] || die "A's queue for B holds $QUEUED, not $BACKLOG"
RSS_BEFORE=$(rss_kb "$PID_A")
LOAD_FILL=$(load1)
note "filled in ${FILL_S} s: queue for B $QUEUED, A's RSS ${RSS_BEFORE} kB"

# ---- drain: start B, sample until A's queue is empty and B has everything ----
T0=$(now)
start "$TMP/b" "$PB_TLS" PID_B
note "B (pid $PID_B) started; draining"
DRAIN=$(python3 - "$T0" "$PID_A" "$TMP/a/state/moot.db" "$TMP/b/state/moot.db" "$NAME_B" \
	"$BACKLOG" "$DRAIN_TIMEOUT" "$TMP/drain.tsv" <<'EOF'
# Every 0.25 s: A's queue for B, B's articles, A's VmRSS; a line a second to
# the samples file.  Prints the figures when the queue is empty and B holds
# the whole backlog, or when the timeout passes.
import sqlite3, sys, time
t0, pid, dba, dbb, peer = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
backlog, limit, samples = int(sys.argv[6]), float(sys.argv[7]), open(sys.argv[8], "w")

def rss():
	with open("/proc/%s/status" % pid) as f:
		for l in f:
			if l.startswith("VmRSS:"):
				return int(l.split()[1])
	return -1

def count(db, sql, *args):
	try:
		c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
		try:
			return c.execute(sql, args).fetchone()[0]
		finally:
			c.close()
	except sqlite3.Error:
		return -1	# B's database does not exist yet

peak, first, last_line, done = 0, None, -1.0, False
samples.write("t_s\tqueue\tb_articles\ta_rss_kb\n")
while True:
	t = time.time() - t0
	q = count(dba, "SELECT count(*) FROM outq WHERE peer = ?", peer)
	n = count(dbb, "SELECT count(*) FROM articles")
	r = rss()
	peak = max(peak, r)
	if first is None and 0 <= q < backlog:
		first = t
	if t - last_line >= 1.0:
		samples.write("%.1f\t%d\t%d\t%d\n" % (t, q, n, r))
		samples.flush()
		last_line = t
	if q == 0 and n >= backlog:
		done = True
		break
	if t > limit:
		break
	time.sleep(0.25)
samples.write("%.1f\t%d\t%d\t%d\n" % (t, q, n, r))
first = t if first is None else first
active = t - first
print("done=%d drain_s=%.1f reconnect_s=%.1f drain_per_s=%.0f rss_peak_kb=%d rss_after_kb=%d"
      " queue_left=%d b_articles=%d" % (done, t, first, backlog / active if active > 0 else 0,
					  peak, r, q, n))
EOF
) || die "the drain sampler failed"
LOAD_END=$(load1)
get() { echo "$DRAIN" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ "$(get "done")" = 1 ] || note "NOT DRAINED within ${DRAIN_TIMEOUT} s: $DRAIN; A's log: $(grep -i "feed" "$TMP/a/mootd.log" | tail -3)"
echo "backlog=$BACKLOG fill_s=$FILL_S drain_s=$(get drain_s) reconnect_s=$(get reconnect_s)" \
	"drain_per_s=$(get drain_per_s) rss_start_kb=$RSS_START rss_before_kb=$RSS_BEFORE" \
	"rss_peak_kb=$(get rss_peak_kb) rss_after_kb=$(get rss_after_kb) queue_left=$(get queue_left)" \
	"b_articles=$(get b_articles) load_start=$LOAD_START load_fill=$LOAD_FILL load_end=$LOAD_END"
[ "$(get "done")" = 1 ]
