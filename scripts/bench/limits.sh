#!/usr/bin/env bash
# The machine's limits, the yardsticks of issue 6's targets, as JSON lines
# in $BENCH_RESULTS/limits.jsonl:
#   - sequential write bandwidth: dd bs=1M count=512 conv=fdatasync, 3 runs
#     (scripts/disk-baseline.sh), on the disk under $TMPDIR, with the CPU
#     seconds dd used
#   - fdatasync latency of a 4 KiB append: 2000 x (pwrite + fdatasync) on a
#     pre-allocated file (bench/report/cmd/fsyncbench), 3 runs
#   - loopback TCP bandwidth: 1 connection, 64 KiB writes for 3 s
#     (bench/report/cmd/tcpbench), 3 runs, with the CPU seconds of both ends
# Takes about 30 s.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

out=$BENCH_RESULTS/limits.jsonl
tmp=$(mktemp -d "${TMPDIR:-/tmp}/quiver-limits.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

log "limits: building fsyncbench and tcpbench"
$GO build -o "$CACHE_BIN/" ./bench/report/cmd/fsyncbench ./bench/report/cmd/tcpbench

: >"$out.tmp"
run=0
log "limits: dd (3 runs)"
# One "MB/s CPU-seconds" pair per run.
for v in $($BENCH_NICE ./scripts/disk-baseline.sh "$tmp" |
	awk '$1 == "dd-MB/s" { m = $2 } $1 == "dd-cpu-s" { print m "," $2 }'); do
	run=$((run + 1))
	printf '{"system":"machine","workload":"dd","run":%d,"result":{"name":"dd","bytes":536870912,"mbps":%s,"cpu_s":%s}}\n' \
		"$run" "${v%,*}" "${v#*,}" >>"$out.tmp"
done
[ "$run" = 3 ] || die "disk-baseline.sh gave $run results, want 3"
for run in 1 2 3; do
	log "limits: fdatasync 4 KiB, run $run"
	r=$($BENCH_NICE "$CACHE_BIN/fsyncbench" -dir "$tmp" -n 2000 -size 4096)
	printf '{"system":"machine","workload":"fdatasync","run":%d,"result":%s}\n' "$run" "$r" >>"$out.tmp"
done
for run in 1 2 3; do
	log "limits: loopback TCP, run $run"
	r=$($BENCH_NICE "$CACHE_BIN/tcpbench" -duration 3s)
	printf '{"system":"machine","workload":"loopback","run":%d,"result":%s}\n' "$run" "$r" >>"$out.tmp"
done
mv "$out.tmp" "$out"
log "limits: wrote $out"
cat "$out"
