package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/engine/vfs"
)

// largeStore fills a store in dir with gib GiB of 1 KiB messages in 8
// queues, each with a key (so the index has work), in 1 GiB segments as in
// production, and closes it cleanly. It returns the config and the bytes
// written.
func largeStore(b *testing.B, dir string, gib int) (Config, int64) {
	cfg := testConfig(vfs.Default, dir, commitlog.FlushAsync)
	cfg.CommitLog.SegmentSize = 1 << 30
	cfg.CommitLog.NoWarm = false
	cfg.CommitLog.FlushInterval = 500 * time.Millisecond
	cfg.ConsumeQueue.EntriesPerFile = 300_000
	cfg.Index = DefaultConfig().Index
	cfg.Index.Logger = cfg.Logger
	cfg.CheckpointInterval = time.Second
	s := mustOpen(b, cfg)
	body := make([]byte, 1024)
	target := int64(gib) << 30
	for i := 0; s.Log().Appended() < target-(1<<20); i++ {
		if _, err := s.Append(fields("B", int32(i%8), body, "", "k"+strconv.Itoa(i), "")); err != nil {
			b.Fatal(err)
		}
	}
	waitDispatched(b, s)
	end := s.Log().Wrote()
	mustClose(b, s)
	return cfg, end
}

func benchGiB() int {
	if v, err := strconv.Atoi(os.Getenv("QUIVER_BENCH_GIB")); err == nil && v > 0 {
		return v
	}
	return 1
}

// BenchmarkStartLarge measures, on a store of QUIVER_BENCH_GIB GiB
// (default 1) of 1 KiB messages with keys:
//
//   - clean: Open after a clean Close (checkpoint trusted, only the tail
//     scanned): the start time DESIGN.md budgets at 200 ms for 100 GiB;
//   - crash: Open with the abort marker present and no checkpoint, consume
//     queues or index: every record is read and CRC-checked, and every
//     consume-queue and index entry rebuilt. The worst case of a crash
//     (a real crash rescans only what follows the last checkpoint, at most
//     a second of appends); reported as seconds per GiB.
//
// The page cache holds the data (it was just written); a cold-cache crash
// start is bounded by the disk's read bandwidth besides.
//
//	QUIVER_BENCH_GIB=4 go test -run '^$' -bench StartLarge -benchtime 1x -timeout 30m ./engine/
func BenchmarkStartLarge(b *testing.B) {
	gib := benchGiB()
	dir := b.TempDir()
	cfg, end := largeStore(b, dir, gib)
	var want [8]int64 // each queue's length, for the rebuild to match
	s := mustOpen(b, cfg)
	for q := range want {
		want[q] = s.MaxOffset("B", int32(q))
	}
	mustClose(b, s)
	b.Run(fmt.Sprintf("clean/GiB=%d", gib), func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			s := mustOpen(b, cfg)
			total += s.StartTime()
			if s.Unclean() || s.Redispatched() > 4096 {
				b.Fatalf("clean start: unclean %v, re-dispatched %d bytes", s.Unclean(), s.Redispatched())
			}
			mustClose(b, s)
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "start-ms")
	})
	b.Run(fmt.Sprintf("crash-rebuild/GiB=%d", gib), func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			for _, p := range []string{"checkpoint", "consumequeue", "index"} {
				if err := os.RemoveAll(filepath.Join(dir, p)); err != nil {
					b.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "abort"), []byte(LinuxBootID()), 0o644); err != nil {
				b.Fatal(err)
			}
			s := mustOpen(b, cfg)
			total += s.StartTime()
			if !s.Unclean() || s.Redispatched() < end-(1<<20) {
				b.Fatalf("crash start: unclean %v, re-dispatched %d of %d bytes", s.Unclean(), s.Redispatched(), end)
			}
			for q, n := range want {
				if got := s.MaxOffset("B", int32(q)); got != n {
					b.Fatalf("queue B/%d rebuilt to %d entries, had %d", q, got, n)
				}
			}
			mustClose(b, s)
		}
		per := total.Seconds() / float64(b.N) / (float64(end) / (1 << 30))
		b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "start-ms")
		b.ReportMetric(per, "s/GiB")
	})
}
