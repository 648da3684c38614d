package timer

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"context"

	"github.com/quivermq/quiver/engine/vfs"
)

// statm returns the process's resident and file-backed resident bytes
// (/proc/self/statm fields 2 and 3).
func statm(tb testing.TB) (rss, shared int64) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		tb.Skipf("no /proc/self/statm: %v", err)
	}
	f := bytes.Fields(b)
	ps := int64(os.Getpagesize())
	r, _ := strconv.ParseInt(string(f[1]), 10, 64)
	s, _ := strconv.ParseInt(string(f[2]), 10, 64)
	return r * ps, s * ps
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func dirBytes(tb testing.TB, dir string) int64 {
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

const mib = 1 << 20

// BenchmarkPending1M adds 1,000,000 entries due over one hour to a wheel
// with the default geometry (72 h + 24 h span, 1 s slots, 48 MiB
// segments) on the OS file system, then measures: the cost of Add; Go
// heap and process RSS with them pending; the files; the CPU an idle Run
// loop burns over 2 s of real time; reopening (recovery) with 1M pending;
// and the rate at which the delivery loop hands them to a no-op deliver
// once the (fake) clock jumps past all of them. Run with -benchtime=1x.
func BenchmarkPending1M(b *testing.B) {
	const n = 1_000_000
	for range b.N {
		dir := b.TempDir()
		clk := newClock()
		cfg := DefaultConfig(dir)
		cfg.FS = vfs.Default
		cfg.Clock = clk.Now
		cfg.Logger = quietLogger()
		w := mustOpen(b, cfg)

		runtime.GC()
		rss0, _ := statm(b)
		start := time.Now()
		for i := range int64(n) {
			at := t0.Add(time.Second + time.Duration(i)*time.Hour/n)
			if err := w.Add(Entry{DeliverAtMs: at.UnixMilli(), Phys: i * 1024, Size: 1024, QueueOffset: i}); err != nil {
				b.Fatal(err)
			}
		}
		addTook := time.Since(start)
		start = time.Now()
		if err := w.Sync(); err != nil {
			b.Fatal(err)
		}
		syncTook := time.Since(start)

		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss, rssFile := statm(b)
		st := w.Stats()

		// Idle: nothing due for an hour; Run wakes once per Precision.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		cpu0 := cpuTime()
		idleStart := time.Now()
		go func() { done <- w.Run(ctx, func([]Entry) error { return nil }) }()
		time.Sleep(2 * time.Second)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		idleCPU := cpuTime() - cpu0
		idleWall := time.Since(idleStart)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}

		start = time.Now()
		w = mustOpen(b, cfg)
		reopenTook := time.Since(start)
		if w.Pending() != n {
			b.Fatalf("pending after reopen %d", w.Pending())
		}
		runtime.GC()
		rssReopen, rssReopenFile := statm(b)

		clk.Set(t0.Add(time.Hour + 2*time.Second))
		delivered := 0
		start = time.Now()
		got, err := w.Tick(clk.Now(), func(batch []Entry) error { delivered += len(batch); return nil })
		if err != nil || got != n || delivered != n {
			b.Fatalf("Tick delivered %d (%d), %v", got, delivered, err)
		}
		deliverTook := time.Since(start)
		rssDelivered, rssDeliveredFile := statm(b)
		files := dirBytes(b, dir)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}

		b.ReportMetric(float64(addTook.Nanoseconds())/n, "ns/add")
		b.ReportMetric(float64(syncTook.Microseconds())/1000, "sync-ms")
		b.ReportMetric(float64(ms.HeapInuse)/mib, "heap-MiB")
		b.ReportMetric(float64(rss)/mib, "rss-MiB")
		b.ReportMetric(float64(rss-rssFile)/mib, "rss-anon-MiB")
		b.ReportMetric(float64(rss-rss0)/mib, "rss-growth-MiB")
		b.ReportMetric(float64(st.LogBytes+st.WheelBytes)/mib, "file-MiB")
		b.ReportMetric(float64(idleCPU.Microseconds())/1000/idleWall.Seconds(), "idle-cpu-ms/s")
		b.ReportMetric(float64(reopenTook.Microseconds())/1000, "reopen-ms")
		b.ReportMetric(float64(n)/deliverTook.Seconds(), "delivered/s")
		b.Logf("RSS after reopen %.1f MiB (file-backed %.1f); after delivering all %.1f MiB (file-backed %.1f)",
			float64(rssReopen)/mib, float64(rssReopenFile)/mib, float64(rssDelivered)/mib, float64(rssDeliveredFile)/mib)
		b.Logf("1M pending: add %v (%.0f ns/add), sync %v; heap in use %.1f MiB; RSS %.1f MiB (file-backed %.1f, grew %.1f from %.1f); log %d B in %d segments + wheel %d B; idle Run: %v CPU in %v; reopen %v; delivery of 1M in %v; files after delivery %d B",
			addTook, float64(addTook.Nanoseconds())/n, syncTook, float64(ms.HeapInuse)/mib, float64(rss)/mib, float64(rssFile)/mib,
			float64(rss-rss0)/mib, float64(rss0)/mib, st.LogBytes, st.LogSegments, st.WheelBytes, idleCPU, idleWall, reopenTook, deliverTook, files)
	}
}

// BenchmarkAdd is the cost of one Add into a wheel with the default
// geometry (including the log writes; no sync).
func BenchmarkAdd(b *testing.B) {
	clk := newClock()
	cfg := DefaultConfig(b.TempDir())
	cfg.Clock = clk.Now
	cfg.Logger = quietLogger()
	w := mustOpen(b, cfg)
	defer w.Close()
	b.ReportAllocs()
	b.SetBytes(entrySize)
	b.ResetTimer()
	for i := range int64(b.N) {
		at := t0.Add(time.Second + time.Duration(i%3_600_000)*time.Millisecond)
		if err := w.Add(Entry{DeliverAtMs: at.UnixMilli(), Phys: i, Size: 100, QueueOffset: i}); err != nil {
			b.Fatal(err)
		}
	}
}
