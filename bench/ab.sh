#!/bin/bash
# ab.sh: ingest with two mootd builds in turn, each run on a fresh database,
# and print each build's rates, their median and its threads' CPU.  For
# judging one change on a noisy VM (see docs/performance.md, Machine).
#
#   bench/ab.sh OLD_MOOTD NEW_MOOTD [ROUNDS]
#
# Environment (all optional):
#   CONNS=4 WINDOW=64 COUNT=60000   the moot-bench ingest load of each run
#   IDS=random                      Message-IDs in no order (moot-bench --random-ids)
#   BUILD=build                     where moot-bench is (made first, as needed)
#   MOOT_PORT=31119                 mootd's plain port; its TLS port is MOOT_PORT+444
#
# Each run: a temporary state folder, mootd started, `sync`, the load over TLS
# as a peer with a client certificate, then mootd stopped by PID.  The CPU
# columns are each thread's utime+stime in clock ticks at the end of the
# run, in thread creation order (the loop first, then the storage threads).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CONNS=${CONNS:-4}
WINDOW=${WINDOW:-64}
COUNT=${COUNT:-60000}
IDS_OPT=()
[ "${IDS:-}" = random ] && IDS_OPT=(--random-ids)
MOOT_PORT=${MOOT_PORT:-31119}
MOOT_TLS=$((MOOT_PORT + 444))
BENCH=$BUILD/moot-bench

die() { echo "ab.sh: $*" >&2; exit 1; }
. "$ROOT/bench/lib.sh"
[ $# -ge 2 ] || die "usage: bench/ab.sh OLD_MOOTD NEW_MOOTD [ROUNDS]"
OLD=$1
NEW=$2
ROUNDS=${3:-5}
[ -x "$OLD" ] && [ -x "$NEW" ] || die "both mootd builds must be executable files"
make -C "$ROOT" BUILD="$BUILD" bench >/dev/null || die "cannot build moot-bench"

TMP=$(mktemp -d /tmp/moot-ab.XXXXXX)
MPID=""
cleanup() {
	if [ -n "$MPID" ]; then
		kill "$MPID" 2>/dev/null
		wait "$MPID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FP=$(bench_cert "$TMP") || exit 1
bench_config "$TMP/mootd.yaml" "$TMP/state" "$MOOT_PORT" "$MOOT_TLS" bench.test bench.other "$FP"

# one MOOTD: print "RATE CPU..." for one run on a fresh database.
one() {
	local rate cpu="" t
	rm -rf "$TMP/state"
	mkdir -p "$TMP/state"
	"$1" -c "$TMP/mootd.yaml" >"$TMP/mootd.log" 2>&1 &
	MPID=$!
	for _ in $(seq 50); do
		(exec 3<>/dev/tcp/127.0.0.1/$MOOT_TLS) 2>/dev/null && break
		kill -0 "$MPID" 2>/dev/null || die "mootd exited: $(tail -3 "$TMP/mootd.log")"
		sleep 0.1
	done
	sync
	sleep 0.5
	rate=$(timeout 300 "$BENCH" ingest --host 127.0.0.1 --port "$MOOT_TLS" --tls --insecure \
		--cert "$TMP/bench-cert.pem" --key "$TMP/bench-key.pem" --group bench.test --group bench.other \
		--connections "$CONNS" --window "$WINDOW" --count "$COUNT" --seconds 60 "${IDS_OPT[@]}" 2>/dev/null |
		tail -1 | tr ' ' '\n' | sed -n 's/^articles_per_s=//p')
	for t in /proc/$MPID/task/*; do
		cpu="$cpu $(awk '{ print $14 + $15 }' "$t/stat")"
	done
	kill "$MPID"
	wait "$MPID" 2>/dev/null
	MPID=""
	echo "${rate:-0}$cpu"
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "ingest: $CONNS connections, window $WINDOW, $COUNT articles per run, $ROUNDS rounds"
OLD_RATES=""
NEW_RATES=""
for r in $(seq "$ROUNDS"); do
	o=$(one "$OLD")
	n=$(one "$NEW")
	echo "round $r: old ${o%% *}/s (cpu${o#* }), new ${n%% *}/s (cpu${n#* })"
	OLD_RATES="$OLD_RATES ${o%% *}"
	NEW_RATES="$NEW_RATES ${n%% *}"
done
mo=$(echo "$OLD_RATES" | median)
mn=$(echo "$NEW_RATES" | median)
echo "old:$OLD_RATES  median $mo"
echo "new:$NEW_RATES  median $mn"
awk -v a="$mo" -v b="$mn" 'BEGIN { if (a > 0) printf "new/old %.3f\n", b / a }'
