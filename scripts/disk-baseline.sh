#!/usr/bin/env bash
# Sequential write bandwidth of the disk under the given directory, as
# issue 3 compares the commit log against it: dd of 512 MiB with
# conv=fdatasync, three times. Prints one "dd-MB/s" line per run.
set -euo pipefail
dir=${1:-.}
f=$(mktemp -p "$dir" dd-baseline.XXXXXX)
trap 'rm -f "$f"' EXIT
for i in 1 2 3; do
	out=$(LC_ALL=C dd if=/dev/zero of="$f" bs=1M count=512 conv=fdatasync 2>&1 | tail -1)
	# "536870912 bytes (537 MB, 512 MiB) copied, 0.33 s, 1.6 GB/s"
	secs=$(echo "$out" | sed -E 's/.*copied, ([0-9.]+) s.*/\1/')
	echo "dd-MB/s $(awk -v s="$secs" 'BEGIN { printf "%.0f", 536.870912 / s }')"
done
