#!/usr/bin/env bash
# NATS JetStream (file storage) on this machine, the baseline of issue 6:
# installs nats-server v2.12.15 and the nats CLI v0.4.0 into
# $BENCH_CACHE/bin (once), starts nats-server on 127.0.0.1 with a temp
# store_dir twice (default sync interval, then sync_interval: always) and
# runs `nats bench js` against each. JSON lines in $BENCH_RESULTS/nats.jsonl
# (the parsed summary of each run plus the server's CPU and RSS), raw output
# in $BENCH_RESULTS/raw/nats-*.out.
#
# Workloads, 1 KiB messages, 3 runs each (counts bound the time; override
# with the environment variables named):
#   default sync interval:
#     async-1   `nats bench js pub async`, 1 publisher       NATS_ASYNC_MSGS
#     consume   `nats bench js consume` of what async-1 wrote (same count)
#     sync-1    `nats bench js pub sync`, 1 publisher        NATS_SYNC1_MSGS
#     sync-64   `nats bench js pub sync`, 64 publishers      NATS_SYNC64_MSGS
#   sync_interval: always:
#     async-1                                                NATS_ALWAYS_ASYNC_MSGS
#     sync-1                                                 NATS_ALWAYS_SYNC1_MSGS
#     sync-64                                                NATS_ALWAYS_SYNC64_MSGS
# Takes about 2-3 minutes (the first run also builds the tools: 1 minute).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

NATS_SERVER_VERSION=${NATS_SERVER_VERSION:-v2.12.15}
NATSCLI_VERSION=${NATSCLI_VERSION:-v0.4.0}
RUNS=${NATS_RUNS:-3}
NATS_ASYNC_MSGS=${NATS_ASYNC_MSGS:-500000}
NATS_SYNC1_MSGS=${NATS_SYNC1_MSGS:-20000}
NATS_SYNC64_MSGS=${NATS_SYNC64_MSGS:-100000}
NATS_ALWAYS_ASYNC_MSGS=${NATS_ALWAYS_ASYNC_MSGS:-20000}
NATS_ALWAYS_SYNC1_MSGS=${NATS_ALWAYS_SYNC1_MSGS:-2000}
NATS_ALWAYS_SYNC64_MSGS=${NATS_ALWAYS_SYNC64_MSGS:-20000}
SIZE=1KiB
TIMEOUT=${NATS_TIMEOUT:-120}

out=$BENCH_RESULTS/nats.jsonl
tmp=$(mktemp -d "${TMPDIR:-/tmp}/quiver-nats.XXXXXX")
server_pid=
cleanup() {
	stop_pid "$server_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools ---------------------------------------------------------------
install_tools() {
	local stamp=$CACHE_BIN/.nats-server-$NATS_SERVER_VERSION
	if [ ! -x "$CACHE_BIN/nats-server" ] || [ ! -e "$stamp" ]; then
		log "nats: go install github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION"
		GOBIN=$CACHE_BIN $GO install "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION"
		touch "$stamp"
	fi
	stamp=$CACHE_BIN/.natscli-$NATSCLI_VERSION
	if [ ! -x "$CACHE_BIN/nats" ] || [ ! -e "$stamp" ]; then
		# The proxy refuses natscli's version list, so `go install
		# ...@version` fails; download the module and build from its
		# directory in the module cache, its go.mod driving the build.
		log "nats: building the nats CLI $NATSCLI_VERSION from the module cache"
		local dir
		dir=$($GO mod download -json "github.com/nats-io/natscli@$NATSCLI_VERSION" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		[ -n "$dir" ] && [ -d "$dir" ] || die "go mod download gave no directory for natscli@$NATSCLI_VERSION"
		(cd "$dir" && GOFLAGS=-mod=mod $GO build -o "$CACHE_BIN/nats" ./nats)
		touch "$stamp"
	fi
}

# --- server --------------------------------------------------------------
port=
start_server() { # $1 = default | always
	local mode=$1 dir=$tmp/$1
	mkdir -p "$dir/store"
	port=$(free_port)
	{
		echo "listen: 127.0.0.1:$port"
		echo "jetstream {"
		echo "  store_dir: \"$dir/store\""
		[ "$mode" = always ] && echo "  sync_interval: always"
		echo "}"
	} >"$dir/js.conf"
	$BENCH_NICE "$CACHE_BIN/nats-server" -c "$dir/js.conf" >"$dir/server.log" 2>&1 &
	server_pid=$!
	wait_port "$port" 20 "$server_pid" || { cat "$dir/server.log" >&2; die "nats-server did not start"; }
	cp "$dir/js.conf" "$BENCH_RESULTS/raw/nats-$mode.conf"
	log "nats: server ($mode) pid $server_pid on 127.0.0.1:$port"
}

stop_server() { # default | always
	stop_pid "$server_pid"
	server_pid=
	cp "$tmp/$1/server.log" "$BENCH_RESULTS/raw/nats-$1-server.log" 2>/dev/null || true
	rm -rf "$tmp/$1/store"
}

# bench MODE WORKLOAD RUN ARGS... runs one `nats bench js` and appends its
# parsed summary and the server's CPU/RSS to $out.
bench() {
	local mode=$1 workload=$2 run=$3
	shift 3
	local raw=raw/nats-$mode-$workload-$run.out t0 t1 hwm rss anon
	log "nats: [$mode] $workload run $run: nats bench js $*"
	reset_hwm "$server_pid"
	t0=$(proc_ticks "$server_pid")
	timeout "$TIMEOUT" $BENCH_NICE "$CACHE_BIN/nats" bench js "$@" -s "nats://127.0.0.1:$port" \
		--size "$SIZE" --no-progress >"$BENCH_RESULTS/$raw" 2>&1 ||
		{ cat "$BENCH_RESULTS/$raw" >&2; die "nats bench failed"; }
	t1=$(proc_ticks "$server_pid")
	hwm=$(proc_kib "$server_pid" VmHWM)
	rss=$(proc_kib "$server_pid" VmRSS)
	anon=$(proc_kib "$server_pid" RssAnon)
	local parsed
	parsed=$("$CACHE_BIN/benchreport" parse-nats "$BENCH_RESULTS/$raw") || die "cannot parse $raw"
	printf '{"system":"nats","workload":"%s","config":"%s","run":%d,"command":%s,"raw":"%s","server":{"cpu_ticks":%d,"clk_tck":%d,"peak_rss_kib":%d,"rss_kib":%d,"rss_anon_kib":%d},"result":%s}\n' \
		"$workload" "$mode" "$run" "$(json_str "nats bench js $* --size $SIZE")" "$raw" \
		$((t1 - t0)) "$(getconf CLK_TCK)" "${hwm:-0}" "${rss:-0}" "${anon:-0}" "$parsed" >>"$out.tmp"
	grep -E 'stats:' "$BENCH_RESULTS/$raw" | grep -v '^ *\[' | sed 's/^ */    /' >&2 || true
}

install_tools
build_report
: >"$out.tmp"

start_server default
printf '{"system":"nats","workload":"idle","config":"default","run":1,"server":{"rss_kib":%d,"rss_anon_kib":%d}}\n' \
	"$(proc_kib "$server_pid" VmRSS)" "$(proc_kib "$server_pid" RssAnon)" >>"$out.tmp"
for run in $(seq 1 "$RUNS"); do
	bench default async-1 "$run" pub async bench.js --create --purge --storage file --clients 1 --msgs "$NATS_ASYNC_MSGS"
	bench default consume "$run" consume --clients 1 --msgs "$NATS_ASYNC_MSGS"
done
for run in $(seq 1 "$RUNS"); do
	bench default sync-1 "$run" pub sync bench.js --create --purge --storage file --clients 1 --msgs "$NATS_SYNC1_MSGS"
done
for run in $(seq 1 "$RUNS"); do
	bench default sync-64 "$run" pub sync bench.js --create --purge --storage file --clients 64 --msgs "$NATS_SYNC64_MSGS"
done
stop_server default

start_server always
for run in $(seq 1 "$RUNS"); do
	bench always async-1 "$run" pub async bench.js --create --purge --storage file --clients 1 --msgs "$NATS_ALWAYS_ASYNC_MSGS"
done
for run in $(seq 1 "$RUNS"); do
	bench always sync-1 "$run" pub sync bench.js --create --purge --storage file --clients 1 --msgs "$NATS_ALWAYS_SYNC1_MSGS"
done
for run in $(seq 1 "$RUNS"); do
	bench always sync-64 "$run" pub sync bench.js --create --purge --storage file --clients 64 --msgs "$NATS_ALWAYS_SYNC64_MSGS"
done
stop_server always

mv "$out.tmp" "$out"
log "nats: wrote $out"
