#!/bin/bash
# compare.sh: run the same moot-bench loads against INN 2.7 and mootd on
# loopback, in one run, and print each figure side by side with moot/INN.
#
#   sudo bench/compare.sh            (root: inn-setup.sh installs and starts INN)
#
# Environment (all optional):
#   BUILD=build          where moot-bench and mootd are (made first, as needed)
#   INN_SETUP=...        INN set-up script (default ../shared/bench/inn-setup.sh)
#   RUN_SECONDS=10       length of each timed phase
#   INGEST_COUNT=30000   articles per ingest run (each run is also time-bounded)
#   WARMUP_COUNT=20000   articles each server takes, untimed, before the ingest runs
#   ROUNDS=3             runs of each ingest load per server, INN and mootd in turn;
#                        the table gives each load's median
#   IDLE_CONNS=500       idle TLS connections, both servers
#   BIG_IDLE=20000       idle TLS connections, mootd alone (0 skips)
#   MOOT_PORT=31119      mootd's plain port; its TLS port is MOOT_PORT+444
#
# What it starts it stops: mootd by PID and moot-bench processes by PID.
# INN stays running (it is a system service here); the script says so.
# Every load is bounded in time (--seconds; a grace period after it).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
INN_SETUP=${INN_SETUP:-$ROOT/../shared/bench/inn-setup.sh}
[ -f "$INN_SETUP" ] || INN_SETUP=/work/shared/bench/inn-setup.sh
RUN_SECONDS=${RUN_SECONDS:-10}
INGEST_COUNT=${INGEST_COUNT:-30000}
WARMUP_COUNT=${WARMUP_COUNT:-20000}
ROUNDS=${ROUNDS:-3}
IDLE_CONNS=${IDLE_CONNS:-500}
BIG_IDLE=${BIG_IDLE:-20000}
MOOT_PORT=${MOOT_PORT:-31119}
MOOT_TLS=$((MOOT_PORT + 444))
BENCH=$BUILD/moot-bench
MOOTD=$BUILD/mootd

die() { echo "compare.sh: $*" >&2; exit 1; }
. "$ROOT/bench/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root (INN is installed and started with inn-setup.sh)"
# Always through make: a moot-bench or mootd older than its sources is rebuilt.
make -C "$ROOT" BUILD="$BUILD" bench >/dev/null || die "cannot build moot-bench and mootd"
# Both servers and the load inherit the highest descriptor limit allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)

TMP=$(mktemp -d /tmp/moot-compare.XXXXXX)
MPID=""
BG=""
cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null
	[ -n "$MPID" ] && stop_mootd
	echo "mootd stopped; its log and the raw moot-bench lines are in $TMP"
	echo "INN (innd, nnrpd on 2119 and 2563) is left running: stop it with"
	echo "  su news -s /bin/sh -c '/usr/lib/news/bin/rc.news stop'; pkill -u news -x nnrpd"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- INN ----
bash "$INN_SETUP" >"$TMP/inn-setup.log" 2>&1 || die "inn-setup.sh failed: see $TMP/inn-setup.log"
# An outgoing feed (tests/interop/inn.sh adds one to a moot peer that is gone
# afterwards) makes INN queue every benchmark article for innfeed, which
# slows INN and takes CPU from mootd's runs too.
if grep -q '^[^#[:space:]][^:]*:[^:]*:[^:]*:innfeed!' /etc/news/newsfeeds 2>/dev/null; then
	echo "warning: INN has an outgoing innfeed feed (/etc/news/newsfeeds): both servers' figures" \
		"suffer; remove it (and its peer in innfeed.conf) for a clean comparison" >&2
fi
# Fresh groups for this run on both servers, so both start empty.
RUN=r$(date +%s)
G1=bench.$RUN.test
G2=bench.$RUN.other
for g in $G1 $G2; do
	su news -s /bin/sh -c "/usr/lib/news/bin/ctlinnd newgroup $g y" >/dev/null ||
		die "ctlinnd newgroup $g failed"
done

# ---- mootd ----
FP=$(bench_cert "$TMP") || exit 1
mkdir -p "$TMP/state"
bench_config "$TMP/mootd.yaml" "$TMP/state" "$MOOT_PORT" "$MOOT_TLS" "$G1" "$G2" "$FP"
# start_mootd: start mootd on the run's configuration and wait for its TLS port.
start_mootd() {
	"$MOOTD" -c "$TMP/mootd.yaml" >>"$TMP/mootd.log" 2>&1 &
	MPID=$!
	for _ in $(seq 50); do
		(exec 3<>/dev/tcp/127.0.0.1/$MOOT_TLS) 2>/dev/null && return
		kill -0 "$MPID" 2>/dev/null || die "mootd exited: $(tail -3 "$TMP/mootd.log")"
		sleep 0.2
	done
	die "mootd does not listen on $MOOT_TLS"
}
# stop_mootd: SIGTERM, then (bounded) SIGKILL; by PID.
stop_mootd() {
	kill "$MPID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.2; done
	kill -9 "$MPID" 2>/dev/null
	wait "$MPID" 2>/dev/null
	MPID=""
}
start_mootd

# ---- helpers ----
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
ROWS=$TMP/rows
: >"$ROWS"
# row FIGURE INN MOOT TARGET: one line of the final table.
row() {
	printf '%-44s %14s %14s %8s  %s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")" "$4" >>"$ROWS"
}
# bench NAME ARGS...: run moot-bench (bounded by timeout), keep and echo its line.
# Each load starts with the disk quiet: what the previous one left in the page
# cache (INN writes its articles back a few seconds after taking them) is
# flushed first, so that neither server's run pays for the other's writes.
bench() {
	local name=$1 out
	shift
	sync
	sleep 1
	out=$(timeout 300 "$BENCH" "$@" 2>>"$TMP/bench.err" | tail -1)
	echo "$name: $out" >>"$TMP/raw"
	echo "  $name: $out" >&2
	echo "$out"
}
INN_PLAIN=(--host 127.0.0.1 --port 2119)
INN_TLS=(--host 127.0.0.1 --port 2563 --tls --insecure)
MOOT_PEER=(--host 127.0.0.1 --port "$MOOT_TLS" --tls --insecure --cert "$TMP/bench-cert.pem" --key "$TMP/bench-key.pem")
MOOT_RTLS=(--host 127.0.0.1 --port "$MOOT_TLS" --tls --insecure)
NGS=(--group "$G1" --group "$G2")
# Wait (bounded) until INN's per-reader nnrpd processes from a run are gone.
nnrpd_settle() {
	for _ in $(seq 60); do
		[ "$(pgrep -c -x nnrpd)" -le 1 ] && return
		sleep 0.5
	done
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); fd limit $NOFILE" >&2
echo "groups $G1 $G2; mootd pid $MPID on $MOOT_PORT/$MOOT_TLS; INN on 2119/2563" >&2

# ---- ingest: INN plain on innd's port, mootd as a TLS peer (client certificate) ----
# Two ways of keeping the window full: refill once per read (the default, one
# write per batch of replies, as a buffered feeder does) and after each reply
# (--refill-each, one write per article).  Servers differ in which suits them
# (INN stalls at window 64 when refilled per reply, and does best at window 16
# refilled per reply); the target row takes each server at its best.
max2() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }
# median X...: the middle value (the mean of the two middle ones for an even count).
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# Warm-up, not measured: a fresh INN ingested 3-4k articles/s in its first
# runs and 13-16k/s minutes later (its history and overview files grow into
# shape); both servers take the same untimed load first.
bench "inn ingest warm-up" ingest "${INN_PLAIN[@]}" "${NGS[@]}" --connections 4 --window 16 \
	--count "$WARMUP_COUNT" --seconds 60 >/dev/null
bench "moot ingest warm-up" ingest "${MOOT_PEER[@]}" "${NGS[@]}" --connections 4 --window 16 \
	--count "$WARMUP_COUNT" --seconds 60 >/dev/null
# Each load runs ROUNDS times, INN and mootd in turn, and counts with its
# median: on this VM one run of half a second can fall into a slow phase of
# either server (see docs/performance.md, Machine).
declare -A IBEST MBEST
for w in 256 64 16; do
	for c in 1 4; do
		ib=0
		mb=0
		for how in read each; do
			opt=()
			lbl=read
			[ $how = each ] && opt=(--refill-each) && lbl=reply
			is=()
			ms=()
			for r in $(seq "$ROUNDS"); do
				i=$(bench "inn ingest c$c w$w refill-$how round $r" ingest "${INN_PLAIN[@]}" \
					"${NGS[@]}" --connections $c --window $w --count "$INGEST_COUNT" \
					--seconds "$RUN_SECONDS" "${opt[@]}")
				m=$(bench "moot ingest c$c w$w refill-$how round $r" ingest "${MOOT_PEER[@]}" \
					"${NGS[@]}" --connections $c --window $w --count "$INGEST_COUNT" \
					--seconds "$RUN_SECONDS" "${opt[@]}")
				is+=("$(get "$i" articles_per_s)")
				ms+=("$(get "$m" articles_per_s)")
			done
			i=$(median "${is[@]}")
			m=$(median "${ms[@]}")
			row "ingest/s, $c conn, window $w, refill per $lbl" "$i" "$m" ""
			ib=$(max2 "$ib" "$i")
			mb=$(max2 "$mb" "$m")
		done
		row "ingest/s, $c conn, window $w, each at its best" "$ib" "$mb" ""
		IBEST[$c]=$(max2 "${IBEST[$c]:-0}" "$ib")
		MBEST[$c]=$(max2 "${MBEST[$c]:-0}" "$mb")
	done
done
# The same load with Message-IDs in no order (--random-ids): those of a real
# feed come from many origins and from clients that make them up at random,
# and each one lands in another leaf of mootd's Message-ID index, which every
# commit then writes whole to the WAL.  INN's history is a hash and does not
# care.  Shown beside the target rows, which use Message-IDs in order
# (docs/performance.md says what each gives).
for c in 1 4; do
	is=()
	ms=()
	for r in $(seq "$ROUNDS"); do
		i=$(bench "inn ingest c$c w256 random ids round $r" ingest "${INN_PLAIN[@]}" "${NGS[@]}" \
			--connections $c --window 256 --count "$INGEST_COUNT" --seconds "$RUN_SECONDS" --random-ids)
		m=$(bench "moot ingest c$c w256 random ids round $r" ingest "${MOOT_PEER[@]}" "${NGS[@]}" \
			--connections $c --window 256 --count "$INGEST_COUNT" --seconds "$RUN_SECONDS" --random-ids)
		is+=("$(get "$i" articles_per_s)")
		ms+=("$(get "$m" articles_per_s)")
	done
	row "ingest/s, $c conn, window 256, random Message-IDs" "$(median "${is[@]}")" "$(median "${ms[@]}")" ""
done
# The target: with c connections, each server at its best window and way of
# refilling it (the issue names no window).  mootd answers a TAKETHIS once its
# article is on disk, so its rate on one connection grows with the window (a
# window's worth per commit and sync); INN answers before its writes reach the
# disk and is bound by innd's one CPU at any window.
for c in 1 4; do
	row "ingest/s, $c conn, each at its best window" "${IBEST[$c]}" "${MBEST[$c]}" "≥ 3"
done

# ---- read: GROUP, OVER in chunks of 1000, then random ARTICLE, over TLS ----
for c in 8 64; do
	nnrpd_settle
	i=$(bench "inn read c$c" read "${INN_TLS[@]}" --group "$G1" --connections $c \
		--seconds "$RUN_SECONDS" --over-seconds 30)
	nnrpd_settle
	q=$(bench "inn read c$c quickack" read "${INN_TLS[@]}" --group "$G1" --connections $c \
		--seconds "$RUN_SECONDS" --over-seconds 30 --quickack)
	m=$(bench "moot read c$c" read "${MOOT_RTLS[@]}" --group "$G1" --connections $c \
		--seconds "$RUN_SECONDS" --over-seconds 30)
	row "read $c TLS: group size (articles)" "$(get "$i" group_count)" "$(get "$m" group_count)" ""
	row "read $c TLS: OVER lines/s" "$(get "$i" over_lines_per_s)" "$(get "$m" over_lines_per_s)" "≥ 3"
	row "read $c TLS: ARTICLE/s" "$(get "$i" article_per_s)" "$(get "$m" article_per_s)" "≥ 3"
	row "read $c TLS: p50 ARTICLE ms" "$(get "$i" p50_ms)" "$(get "$m" p50_ms)" ""
	row "read $c TLS: p99 ARTICLE ms" "$(get "$i" p99_ms)" "$(get "$m" p99_ms)" \
		"$([ $c = 64 ] && echo "≤ 0.33")"
	row "read $c TLS: ARTICLE/s, INN client quick-ACK" "$(get "$q" article_per_s)" \
		"$(get "$m" article_per_s)" "(INN without the delayed-ACK stall)"
	row "read $c TLS: p99 ms, INN client quick-ACK" "$(get "$q" p99_ms)" "$(get "$m" p99_ms)" ""
done

# ---- idle: memory per idle TLS reader connection ----
# A fresh mootd (same database): the heap the read loads left behind would
# otherwise absorb the connections and hide what each one costs.
stop_mootd
start_mootd
nnrpd_settle
i=$(bench "inn idle $IDLE_CONNS" idle "${INN_TLS[@]}" --connections "$IDLE_CONNS" --seconds 5 \
	--burst 20 --pids-of nnrpd)
m=$(bench "moot idle $IDLE_CONNS" idle "${MOOT_RTLS[@]}" --connections "$IDLE_CONNS" --seconds 5 \
	--pid "$MPID")
row "idle $IDLE_CONNS TLS: connections held" "$(get "$i" open)" "$(get "$m" open)" ""
row "idle TLS: RSS bytes per connection" "$(get "$i" per_conn_bytes)" "$(get "$m" per_conn_bytes)" "≤ 0.02"
row "idle TLS: PSS bytes per connection" "$(get "$i" per_conn_pss_bytes)" \
	"$(get "$m" per_conn_pss_bytes)" "(shared pages divided)"

# ---- mootd alone: BIG_IDLE idle TLS connections, under 1 GiB ----
if [ "$BIG_IDLE" -gt 0 ]; then
	# The descriptor limit binds mootd (one per connection plus its own);
	# the load is split over two moot-bench processes for the same reason.
	max=$((NOFILE - 32))
	n=$BIG_IDLE
	if [ "$n" -gt "$max" ]; then
		echo "  note: fd hard limit $NOFILE lets mootd hold at most ~$max; trying $n anyway" >&2
	fi
	half=$((n / 2))
	base=$(awk '/VmRSS/ { print $2 }' "/proc/$MPID/status")
	timeout 400 "$BENCH" idle "${MOOT_RTLS[@]}" --connections "$half" --seconds 300 \
		>"$TMP/big-a.out" 2>"$TMP/big-a.err" &
	BG=$!
	for _ in $(seq 600); do
		grep -q holding "$TMP/big-a.err" && break
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.5
	done
	b=$(bench "moot idle $n (second half)" idle "${MOOT_RTLS[@]}" --connections $((n - half)) \
		--seconds 5 --pid "$MPID")
	kill "$BG" 2>/dev/null
	wait "$BG" 2>/dev/null
	BG=""
	a=$(tail -1 "$TMP/big-a.out")
	echo "moot idle $n (first half): $a" >>"$TMP/raw"
	held=$(($(get "$a" open) + $(get "$b" open)))
	rss=$(get "$b" rss_after_kb)
	row "mootd alone: idle TLS connections held" "" "$held of $n" ""
	row "mootd alone: RSS KiB with them (< 1 GiB)" "" "$rss" "< 1048576"
	row "mootd alone: RSS bytes per connection" "" "$(( (rss - base) * 1024 / (held > 0 ? held : 1) ))" ""
fi

echo
printf '%-44s %14s %14s %8s  %s\n' "figure" "INN" "moot" "moot/INN" "target"
cat "$ROWS"
