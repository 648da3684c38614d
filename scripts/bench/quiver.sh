#!/usr/bin/env bash
# Quiver under bench/producer and bench/consumer, the workloads of issue 6,
# 1 KiB messages. Starts bin/mqnamesrv and bin/mqbroker (from `make build`)
# on free loopback ports with a generated broker.conf and a temp store, once
# with flushDiskType=ASYNC_FLUSH and once with SYNC_FLUSH, and writes JSON
# lines to $BENCH_RESULTS/quiver.jsonl: each run's --json summary plus the
# broker's CPU time (utime+stime from /proc/<pid>/stat) and peak RSS
# (VmHWM, reset before each run), the tool's own CPU time (the script's
# cutime+cstime around it), and the broker's idle RSS after start.
# Raw tool output in $BENCH_RESULTS/raw/quiver-*.out.
#
# Workloads (QUIVER_DURATION each, default 6 s; QUIVER_RUNS runs, default 3):
#   ASYNC_FLUSH  async-1        1 sender, async (pipelined, -w 500), 1 message per request
#                async-batch32  1 sender, async (-w 64), batches of 32 messages
#                async-64       64 senders, sync sends
#                consume        bench/consumer, a new group per run, the topic from its start
#   SYNC_FLUSH   sync-1         1 sender, sync sends
#                sync-64        64 senders, sync sends
# Takes about 2.5 minutes with the defaults.
#
# The tools: PRODUCER and CONSUMER name them (default: built from
# ./bench/producer and ./bench/consumer into $BENCH_CACHE/bin). Their flags
# are spelled in producer_args and consumer_args below, the one place to
# change if the tools name them differently; the script checks them against
# the tool's -h output first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

BIN=${BIN:-$ROOT/bin}
RUNS=${QUIVER_RUNS:-3}
DURATION=${QUIVER_DURATION:-6}
WARMUP=${QUIVER_WARMUP:-2}
SIZE=1024
TOPIC=BenchTopic
PRODUCER=${PRODUCER:-}
CONSUMER=${CONSUMER:-}
# Extra flags for the tools, appended to every run of each.
PRODUCER_EXTRA=${PRODUCER_EXTRA:-}
CONSUMER_EXTRA=${CONSUMER_EXTRA:-}

# --- the tools' flags (the one place to adapt) ---------------------------
# producer_args MODE CONCURRENCY BATCH SECONDS. Async single-message sends
# keep ASYNC_WINDOW requests in flight per sender (default 500, as `nats
# bench js pub async` keeps up to 500 publishes outstanding, its --batch
# default; 256 measured 187-199 k msgs/s against 202-235 k for 512, 1024
# 178-188 k); async batches keep the producer's default of 64 (256 batches
# of 32 in flight measured slower).
ASYNC_WINDOW=${QUIVER_ASYNC_WINDOW:-500}
producer_args() {
	local w=
	[ "$1" = async ] && [ "$3" = 1 ] && w=" -w $ASYNC_WINDOW"
	echo -n "-n 127.0.0.1:$ns_port -t $TOPIC -s $SIZE -m $1 -c $2 -b $3$w -d ${4}s -json"
}
# consumer_args GROUP SECONDS: a new group from the topic's first message,
# stopping early when the topic is drained
consumer_args() {
	echo -n "-n 127.0.0.1:$ns_port -t $TOPIC -g $1 -from earliest -idle 2s -d ${2}s -json"
}
# Flags the tools must list in their -h output.
PRODUCER_FLAGS="n t s m c b w d json"
CONSUMER_FLAGS="n t g from idle d json"

out=$BENCH_RESULTS/quiver.jsonl
tmp=$(mktemp -d "${TMPDIR:-/tmp}/quiver-bench.XXXXXX")
ns_pid= broker_pid= ns_port= broker_port=
cleanup() {
	stop_pid "$broker_pid"
	stop_pid "$ns_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools ---------------------------------------------------------------
for b in mqnamesrv mqbroker; do
	[ -x "$BIN/$b" ] || die "$BIN/$b is missing: run \`make build\` first"
done
if [ -z "$PRODUCER" ] || [ -z "$CONSUMER" ]; then
	for p in producer consumer; do
		ls ./bench/$p/*.go >/dev/null 2>&1 ||
			die "./bench/$p has no Go files yet: bench/producer and bench/consumer (issue 6) are needed for the Quiver runs (or set PRODUCER and CONSUMER)"
	done
	log "quiver: building bench/producer and bench/consumer into $CACHE_BIN"
	$GO build -o "$CACHE_BIN/" ./bench/producer ./bench/consumer ||
		die "cannot build ./bench/producer and ./bench/consumer"
	PRODUCER=${PRODUCER:-$CACHE_BIN/producer}
	CONSUMER=${CONSUMER:-$CACHE_BIN/consumer}
fi
[ -x "$PRODUCER" ] || die "producer $PRODUCER is missing or not executable"
[ -x "$CONSUMER" ] || die "consumer $CONSUMER is missing or not executable"
check_flags() { # tool flags...
	local tool=$1 help f missing=
	shift
	help=$("$tool" -h 2>&1 || true)
	for f in "$@"; do
		grep -qE -- "(^|[[:space:],])--?$f([[:space:]=,]|$)" <<<"$help" || missing="$missing -$f"
	done
	[ -z "$missing" ] || die "$tool does not list the flags$missing in its -h output; adapt producer_args/consumer_args in $0"
}
check_flags "$PRODUCER" $PRODUCER_FLAGS
check_flags "$CONSUMER" $CONSUMER_FLAGS
build_report

# --- servers -------------------------------------------------------------
start_namesrv() {
	ns_port=$(free_port)
	mkdir -p "$tmp/namesrv"
	{
		echo "listenPort=$ns_port"
		echo "kvConfigPath=$tmp/namesrv/kvConfig.json"
		echo "configStorePath=$tmp/namesrv/namesrv.properties"
	} >"$tmp/namesrv/namesrv.properties"
	$BENCH_NICE "$BIN/mqnamesrv" -c "$tmp/namesrv/namesrv.properties" >"$tmp/namesrv/log" 2>&1 &
	ns_pid=$!
	wait_port "$ns_port" 20 "$ns_pid" || { cat "$tmp/namesrv/log" >&2; die "mqnamesrv did not start"; }
	log "quiver: name server pid $ns_pid on 127.0.0.1:$ns_port"
}

start_broker() { # flushDiskType
	local flush=$1 dir=$tmp/broker-$1 i
	mkdir -p "$dir/store"
	broker_port=$(free_port)
	{
		echo "# Generated by scripts/bench/quiver.sh"
		echo "brokerClusterName=BenchCluster"
		echo "brokerName=bench-a"
		echo "brokerId=0"
		echo "brokerRole=ASYNC_MASTER"
		echo "flushDiskType=$flush"
		echo "brokerIP1=127.0.0.1"
		echo "listenPort=$broker_port"
		echo "namesrvAddr=127.0.0.1:$ns_port"
		echo "adminListenAddr=127.0.0.1:$(free_port)"
		echo "storePathRootDir=$dir/store"
		echo "autoCreateTopicEnable=true"
	} >"$dir/broker.conf"
	cp "$dir/broker.conf" "$BENCH_RESULTS/raw/quiver-$flush-broker.conf"
	$BENCH_NICE "$BIN/mqbroker" -c "$dir/broker.conf" >"$dir/log" 2>&1 &
	broker_pid=$!
	for i in $(seq 1 300); do
		grep -q 'boot success' "$dir/log" 2>/dev/null && break
		kill -0 "$broker_pid" 2>/dev/null || { cat "$dir/log" >&2; die "mqbroker ($flush) exited at start"; }
		sleep 0.1
	done
	grep -q 'boot success' "$dir/log" || { cat "$dir/log" >&2; die "mqbroker ($flush) did not report boot success in 30 s"; }
	log "quiver: broker ($flush) pid $broker_pid on 127.0.0.1:$broker_port"
	sleep 2 # settle before the idle RSS: the next segment's pre-allocation
	printf '{"system":"quiver","workload":"idle","config":"%s","run":1,"server":{"rss_kib":%d,"rss_anon_kib":%d,"peak_rss_kib":%d}}\n' \
		"$flush" "$(proc_kib "$broker_pid" VmRSS)" "$(proc_kib "$broker_pid" RssAnon)" "$(proc_kib "$broker_pid" VmHWM)" >>"$out.tmp"
}

stop_broker() { # flushDiskType
	stop_pid "$broker_pid"
	broker_pid=
	cp "$tmp/broker-$1/log" "$BENCH_RESULTS/raw/quiver-$1-broker.log" 2>/dev/null || true
	rm -rf "$tmp/broker-$1/store"
}

# measure FLUSH WORKLOAD RUN TOOL ARGS... runs one tool and appends its
# summary with the broker's CPU and RSS during the run.
measure() {
	local flush=$1 workload=$2 run=$3 tool=$4
	shift 4
	local raw=raw/quiver-$flush-$workload-$run.out t0 t1 c0 c1 hwm rss anon summary
	log "quiver: [$flush] $workload run $run: $(basename "$tool") $*"
	kill -0 "$broker_pid" 2>/dev/null || die "the broker ($flush) is no longer running"
	reset_hwm "$broker_pid"
	t0=$(proc_ticks "$broker_pid")
	c0=$(child_ticks)
	timeout $((DURATION + 60)) $BENCH_NICE "$tool" "$@" >"$BENCH_RESULTS/$raw" 2>&1 ||
		{ tail -20 "$BENCH_RESULTS/$raw" >&2; die "$(basename "$tool") failed (output in $BENCH_RESULTS/$raw)"; }
	c1=$(child_ticks)
	t1=$(proc_ticks "$broker_pid")
	hwm=$(proc_kib "$broker_pid" VmHWM)
	rss=$(proc_kib "$broker_pid" VmRSS)
	anon=$(proc_kib "$broker_pid" RssAnon)
	summary=$("$CACHE_BIN/benchreport" extract-json "$BENCH_RESULTS/$raw") ||
		{ tail -20 "$BENCH_RESULTS/$raw" >&2; die "no --json summary in $BENCH_RESULTS/$raw"; }
	printf '{"system":"quiver","workload":"%s","config":"%s","run":%d,"command":%s,"raw":"%s","server":{"cpu_ticks":%d,"clk_tck":%d,"peak_rss_kib":%d,"rss_kib":%d,"rss_anon_kib":%d},"client":{"cpu_ticks":%d,"clk_tck":%d},"result":%s}\n' \
		"$workload" "$flush" "$run" "$(json_str "$(basename "$tool") $*")" "$raw" \
		$((t1 - t0)) "$(getconf CLK_TCK)" "${hwm:-0}" "${rss:-0}" "${anon:-0}" \
		$((c1 - c0)) "$(getconf CLK_TCK)" "$summary" >>"$out.tmp"
	log "    $summary"
}

warmup() {
	log "quiver: warm-up ${WARMUP}s (creates $TOPIC)"
	# shellcheck disable=SC2046
	timeout $((WARMUP + 60)) $BENCH_NICE "$PRODUCER" $(producer_args async 1 1 "$WARMUP") >"$tmp/warmup.out" 2>&1 ||
		{ tail -20 "$tmp/warmup.out" >&2; die "warm-up producer failed"; }
}

: >"$out.tmp"
start_namesrv

start_broker ASYNC_FLUSH
warmup
for run in $(seq 1 "$RUNS"); do
	# shellcheck disable=SC2046
	measure ASYNC_FLUSH async-1 "$run" "$PRODUCER" $(producer_args async 1 1 "$DURATION") $PRODUCER_EXTRA
done
for run in $(seq 1 "$RUNS"); do
	# shellcheck disable=SC2046
	measure ASYNC_FLUSH async-batch32 "$run" "$PRODUCER" $(producer_args async 1 32 "$DURATION") $PRODUCER_EXTRA
done
for run in $(seq 1 "$RUNS"); do
	# shellcheck disable=SC2046
	measure ASYNC_FLUSH async-64 "$run" "$PRODUCER" $(producer_args sync 64 1 "$DURATION") $PRODUCER_EXTRA
done
for run in $(seq 1 "$RUNS"); do
	# shellcheck disable=SC2046
	measure ASYNC_FLUSH consume "$run" "$CONSUMER" $(consumer_args "bench_consume_${run}_$$" "$DURATION") $CONSUMER_EXTRA
done
stop_broker ASYNC_FLUSH

start_broker SYNC_FLUSH
warmup
for run in $(seq 1 "$RUNS"); do
	# shellcheck disable=SC2046
	measure SYNC_FLUSH sync-1 "$run" "$PRODUCER" $(producer_args sync 1 1 "$DURATION") $PRODUCER_EXTRA
done
for run in $(seq 1 "$RUNS"); do
	# shellcheck disable=SC2046
	measure SYNC_FLUSH sync-64 "$run" "$PRODUCER" $(producer_args sync 64 1 "$DURATION") $PRODUCER_EXTRA
done
stop_broker SYNC_FLUSH

mv "$out.tmp" "$out"
log "quiver: wrote $out"
