#!/usr/bin/env bash
# A stand-in for bench/producer and bench/consumer, to test
# scripts/bench/quiver.sh before the real tools exist:
#   PRODUCER=scripts/bench/fake-tool.sh CONSUMER=scripts/bench/fake-tool.sh scripts/bench/quiver.sh
# It sleeps for -duration, prints a status line a second and a final --json
# summary with plausible (made-up) numbers. Its numbers mean nothing.
set -euo pipefail
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	cat <<'HELP'
Usage of fake-tool (the flags of bench/producer and bench/consumer):
  -n addresses
  -t topic
  -g group
  -s bytes
  -m mode
  -c senders
  -b int
  -d duration
  -from string
  -idle duration
  -json
HELP
	exit 0
fi
dur=1 mode=consume conc=1 batch=1
while [ $# -gt 0 ]; do
	case $1 in
	-d) dur=${2%s}; shift ;;
	-m) mode=$2; shift ;;
	-c) conc=$2; shift ;;
	-b) batch=$2; shift ;;
	esac
	shift
done
tps=$((50000 * batch / (1 + (batch - 1) / 4) + conc * 300))
for i in $(seq 1 "$dur"); do
	echo "[${i}s] tps=$tps p99=850us failures=0"
	sleep 1
done
printf '{"mode":"%s","size":1024,"concurrency":%d,"batch":%d,"sent":%d,"failures":0,"tps":%d,"mbps":%.1f,"p50_us":210,"p99_us":850,"p999_us":1900,"max_us":5300,"elapsed_s":%d}\n' \
	"$mode" "$conc" "$batch" $((tps * dur)) "$tps" "$(awk -v t="$tps" 'BEGIN { print t * 1024 / 1e6 }')" "$dur"
