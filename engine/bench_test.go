package engine

import (
	"fmt"
	"testing"

	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/engine/vfs"
)

// pullStore returns a store holding n 1 KiB messages in queue (B, 0).
func pullStore(tb testing.TB, n int) *Store {
	s := mustOpen(tb, testConfig(vfs.Default, tb.TempDir(), commitlog.FlushAsync))
	body := make([]byte, 1024)
	for i := 0; i < n; i++ {
		if _, err := s.Append(fields("B", 0, body, "tagA", "", "")); err != nil {
			tb.Fatal(err)
		}
	}
	waitDispatched(tb, s)
	return s
}

// TestGetMessagesAllocs asserts the pull path's claim: 0 allocations per
// GetMessages + Release once the pool is warm.
func TestGetMessagesAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race")
	}
	s := pullStore(t, 64)
	defer mustClose(t, s)
	off := int64(0)
	allocs := testing.AllocsPerRun(200, func() {
		r, err := s.GetMessages("B", 0, off, 32, 256<<10, nil)
		if err != nil || r.Status != Found || len(r.Records) != 32 {
			t.Fatalf("GetMessages: %v %v", err, r.Status)
		}
		off = (off + 32) % 64
		r.Release()
	})
	if allocs != 0 {
		t.Fatalf("GetMessages: %.1f allocations per call, want 0", allocs)
	}
}

// BenchmarkGetMessages32x1K pulls 32 × 1 KiB messages from the page cache.
func BenchmarkGetMessages32x1K(b *testing.B) {
	s := pullStore(b, 1024)
	defer mustClose(b, s)
	b.ReportAllocs()
	b.SetBytes(32 * 1024)
	off := int64(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := s.GetMessages("B", 0, off, 32, 256<<10, nil)
		if err != nil || len(r.Records) != 32 {
			b.Fatalf("GetMessages: %v %v", err, r.Status)
		}
		off = (off + 32) % 1024
		r.Release()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)*32/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkAppend1K appends 1 KiB messages under FlushAsync through the
// store (topic-queue table included).
func BenchmarkAppend1K(b *testing.B) {
	s := mustOpen(b, testConfig(vfs.Default, b.TempDir(), commitlog.FlushAsync))
	defer mustClose(b, s)
	f := fields("B", 0, make([]byte, 1024), "tagA", "", "")
	b.ReportAllocs()
	b.SetBytes(1024)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Append(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenAfterCleanClose times Open + Close of a store holding 32 MiB
// of 1 KiB messages in 8 queues (start time after a clean shutdown).
func BenchmarkOpenAfterCleanClose(b *testing.B) {
	cfg := testConfig(vfs.Default, b.TempDir(), commitlog.FlushAsync)
	cfg.CommitLog.SegmentSize = 8 << 20
	cfg.ConsumeQueue.EntriesPerFile = 300_000
	s := mustOpen(b, cfg)
	body := make([]byte, 1024)
	for i := 0; i < 32<<10; i++ {
		if _, err := s.Append(fields("B", int32(i%8), body, "", fmt.Sprint("k", i), "")); err != nil {
			b.Fatal(err)
		}
	}
	mustClose(b, s)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := mustOpen(b, cfg)
		if s.Redispatched() > 4096 {
			b.Fatalf("re-dispatched %d bytes", s.Redispatched())
		}
		b.StopTimer()
		mustClose(b, s)
		b.StartTimer()
	}
}
