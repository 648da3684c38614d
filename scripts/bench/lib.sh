# Shared helpers of the scripts/bench drivers; sourced, not run.
#
# Environment (all optional):
#   BENCH_RESULTS  results directory (default .bench-cache/results); each
#                  driver rewrites its own *.jsonl there and keeps raw tool
#                  output under raw/
#   BENCH_CACHE    tools and build outputs (default .bench-cache)
#   BENCH_NICE     command prefix for everything started, e.g. "nice -n 19"
#                  while developing on a shared machine (default empty)
#   GO             the go command (default go)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_CACHE=${BENCH_CACHE:-$ROOT/.bench-cache}
BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_CACHE/results}
BENCH_NICE=${BENCH_NICE:-}
GO=${GO:-go}
CACHE_BIN=$BENCH_CACHE/bin
mkdir -p "$CACHE_BIN" "$BENCH_RESULTS/raw"

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# free_port prints a TCP port on 127.0.0.1 that nothing listens on, with
# the next port free too (a broker also binds listenPort+1).
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Hltn "( sport = :$p or sport = :$((p + 1)) )" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

# wait_port waits until something accepts on 127.0.0.1:$1, at most $2 s,
# and fails if the process $3 (when given) exits first.
wait_port() {
	local port=$1 secs=${2:-30} pid=${3:-} i
	for i in $(seq 1 $((secs * 10))); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# stop_pid sends TERM to a process this script started, then KILL after 10 s.
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# json_str quotes $1 as a JSON string (no control characters expected).
json_str() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# build_report builds the report generator (which also parses nats bench
# output) into $CACHE_BIN/benchreport.
build_report() {
	(cd "$ROOT" && $GO build -o "$CACHE_BIN/benchreport" ./bench/report)
}

# proc_ticks prints utime+stime of process $1 in clock ticks.
proc_ticks() {
	# Fields after the command name (which may hold spaces) start at 3.
	local stat
	stat=$(cat "/proc/$1/stat")
	stat=${stat##*) }
	awk '{ print $12 + $13 }' <<<"$stat"
}

# child_ticks prints the user and system time, in clock ticks, of this
# shell's children that it has waited for (cutime+cstime of /proc/$$/stat):
# the difference around a command is the CPU the command used, its own
# children included.
child_ticks() {
	local stat
	stat=$(cat "/proc/$$/stat")
	stat=${stat##*) }
	awk '{ print $14 + $15 }' <<<"$stat"
}

# proc_kib prints the /proc/$1/status field $2 (VmRSS, VmHWM) in KiB.
proc_kib() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

# reset_hwm resets the peak RSS (VmHWM) of process $1; best effort.
reset_hwm() {
	echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true
}
