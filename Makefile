# Quiver: a RocketMQ-compatible message broker in Go.
# `make run` starts a name server and a broker; `make test` is what CI runs.

SHELL     := /bin/bash
.SHELLFLAGS := -o pipefail -c

GO        ?= go
BIN       ?= bin
FUZZTIME  ?= 30s
BENCHCOUNT ?= 5
BENCHTIME ?= 1s
PKGS      := ./...

.PHONY: all build run test lint fmt vet bench bench-engine fuzz clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/mqnamesrv ./cmd/mqbroker ./cmd/mqadmin

# Starts mqnamesrv and mqbroker in the foreground with their embedded default
# configuration (name server 127.0.0.1:9876; broker 10911, registered as
# 127.0.0.1) and a store under $(RUN_DIR)/store. Ctrl-C stops both.
RUN_DIR ?= $(CURDIR)/.run
run: build
	@RUN_DIR=$(RUN_DIR) BIN=$(BIN) ./scripts/run.sh

# Everything CI checks: formatting, vet, the import-direction rule, all unit,
# golden and interop tests, then all of them again under the race detector.
test: lint
	$(GO) test -count=1 -timeout 15m $(PKGS)
	$(GO) test -count=1 -race -timeout 15m $(PKGS)

lint: fmt vet
	$(GO) test -count=1 -run 'TestImportDirection|TestCheckEdges' ./internal/lint/

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# `make bench` regenerates BENCHMARKS.md's figures in one run, about 12-14
# minutes on the 2-core dev machine (the transport and sync-append
# benchmarks run shorter than they did, for a margin under 15 minutes: a
# run on a slow hour took 16):
#   1. Go benchmarks of the codecs and the transport: raw output in
#      bench.out, medians by benchstat (about 5 minutes)
#   2. bench-engine, the storage engine against the disk (about 3.5 minutes)
#   3. scripts/bench/limits.sh: dd conv=fdatasync, 4 KiB fdatasync latency,
#      loopback TCP bandwidth (about 15 s)
#   4. scripts/bench/nats.sh: NATS JetStream baseline, nats-server v2.12.15
#      and `nats bench js` (natscli v0.4.0), both built into .bench-cache/bin
#      the first time (about 1.5 minutes; the first build adds about 1)
#   5. scripts/bench/quiver.sh: bin/mqbroker under bench/producer and
#      bench/consumer, ASYNC_FLUSH then SYNC_FLUSH (about 2.5 minutes)
#   6. bench/report: BENCHMARKS.md's section between the `make bench`
#      markers, and docs/bench/*.png (about 10 s)
# Results of 3-5 as JSON lines in $(BENCH_RESULTS); if the Quiver runs
# fail, the report still shows the rest and make fails at the end.
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCH_RESULTS ?= $(CURDIR)/.bench-cache/results
bench: build
	$(GO) test -run '^$$' -bench 'SplitDecodeHeader|DecodeSend|EncodeSendReply|EncodePullReplyHeader' \
		-benchmem -count $(BENCHCOUNT) -benchtime $(BENCHTIME) ./protocol/ | tee bench.out
	$(GO) test -run '^$$' -bench 'PutRecord|Peek|Check|Property|BatchIter32' \
		-benchmem -count $(BENCHCOUNT) -benchtime $(BENCHTIME) ./message/ | tee -a bench.out
	$(GO) test -run '^$$' -bench 'Transport|OnTraffic' -benchtime 1s -count 3 ./netio/ | tee -a bench.out
	$(BENCHSTAT) bench.out
	$(MAKE) bench-engine
	@test -n "$(BENCH_RESULTS)" || { echo "make bench: BENCH_RESULTS is empty" >&2; exit 1; }
	rm -rf $(BENCH_RESULTS)/raw $(BENCH_RESULTS)/*.jsonl $(BENCH_RESULTS)/quiver.failed
	BENCH_RESULTS=$(BENCH_RESULTS) GO=$(GO) ./scripts/bench/limits.sh
	BENCH_RESULTS=$(BENCH_RESULTS) GO=$(GO) ./scripts/bench/nats.sh
	BENCH_RESULTS=$(BENCH_RESULTS) GO=$(GO) BIN=$(abspath $(BIN)) ./scripts/bench/quiver.sh || \
		{ echo "make bench: the Quiver runs failed; the report shows the rest" >&2; touch $(BENCH_RESULTS)/quiver.failed; }
	$(GO) run ./bench/report -results $(BENCH_RESULTS) -md BENCHMARKS.md -charts docs/bench
	@test ! -e $(BENCH_RESULTS)/quiver.failed

# The storage engine against the disk, in one run: dd's sequential write
# bandwidth (conv=fdatasync), ASYNC and SYNC appends, reads by queue,
# recovery and start-up. Output in bench-engine.out.
bench-engine:
	./scripts/disk-baseline.sh $${TMPDIR:-/tmp} | tee bench-engine.out
	$(GO) test -run '^$$' -bench 'AppendAsync$$' -benchtime 20000x -count 3 ./engine/commitlog/ | tee -a bench-engine.out
	$(GO) test -run '^$$' -bench 'AppendSync/pwrite|AppendSyncLoops/pwrite' -benchtime 2s -count 3 ./engine/commitlog/ | tee -a bench-engine.out
	$(GO) test -run '^$$' -bench 'Read$$|Recover' -benchtime 2s -count 1 ./engine/commitlog/ | tee -a bench-engine.out
	$(GO) test -run '^$$' -bench 'GetMessages|Append1K|OpenAfterCleanClose' -benchtime 2s -count 3 ./engine/ | tee -a bench-engine.out
	QUIVER_BENCH_GIB=$${QUIVER_BENCH_GIB:-2} $(GO) test -run '^$$' -bench StartLarge -benchtime 3x -timeout 30m ./engine/ | tee -a bench-engine.out

# Runs every fuzz target in ./fuzz for FUZZTIME each.
fuzz:
	@set -e; for t in $$($(GO) test -list '^Fuzz' ./fuzz/ | grep '^Fuzz'); do \
		echo "== $$t ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./fuzz/; \
	done

clean:
	rm -rf $(BIN) $(RUN_DIR) bench.out bench-engine.out
