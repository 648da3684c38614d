#!/usr/bin/env bash
# Sequential write bandwidth of the disk under the given directory, as
# issue 3 compares the commit log against it: dd of 512 MiB with
# conv=fdatasync, three times. Prints one "dd-MB/s" line per run, each
# followed by a "dd-cpu-s" line: the CPU seconds dd used (user and system;
# with conv=fdatasync most of the write-back runs in dd's own fdatasync,
# unless the kernel's flusher threads start it first).
set -euo pipefail
dir=${1:-.}
f=$(mktemp -p "$dir" dd-baseline.XXXXXX)
trap 'rm -f "$f"' EXIT
# cutime+cstime of this shell in clock ticks: the CPU of the children it
# has waited for.
child_ticks() {
	local stat
	stat=$(cat "/proc/$$/stat")
	stat=${stat##*) }
	awk '{ print $14 + $15 }' <<<"$stat"
}
hz=$(getconf CLK_TCK)
for i in 1 2 3; do
	t0=$(child_ticks)
	out=$(LC_ALL=C dd if=/dev/zero of="$f" bs=1M count=512 conv=fdatasync 2>&1 | tail -1)
	# "536870912 bytes (537 MB, 512 MiB) copied, 0.33 s, 1.6 GB/s"
	secs=$(echo "$out" | sed -E 's/.*copied, ([0-9.]+) s.*/\1/')
	t1=$(child_ticks)
	echo "dd-MB/s $(awk -v s="$secs" 'BEGIN { printf "%.0f", 536.870912 / s }')"
	echo "dd-cpu-s $(awk -v t=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')"
done
