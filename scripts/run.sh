#!/usr/bin/env bash
# Starts a name server and a broker in the foreground for local use (make run).
# Both listen on 127.0.0.1; Ctrl-C stops both.
set -euo pipefail
BIN=${BIN:-bin}
RUN_DIR=${RUN_DIR:-.run}
mkdir -p "$RUN_DIR"

pids=()
stop() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait
}
trap stop INT TERM EXIT

"$BIN/mqnamesrv" &
pids+=($!)
"$BIN/mqbroker" -n 127.0.0.1:9876 &
pids+=($!)
echo "name server 127.0.0.1:9876, broker 127.0.0.1:10911 (Ctrl-C stops)"
wait -n
