package commitlog

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs"
)

func TestPrepareAheadConfig(t *testing.T) {
	c := testConfig(segment.WriteMapped, FlushAsync)
	c.PrepareAhead = 5000
	if got := c.prepareAhead(); got != 8192 {
		t.Fatalf("prepareAhead(5000) = %d, want 8192 (whole pages)", got)
	}
	c.PrepareAhead = 1 << 30
	if got := c.prepareAhead(); got != testSeg {
		t.Fatalf("prepareAhead(1 GiB) = %d, want the segment %d", got, testSeg)
	}
	if got := testConfig(segment.WritePwrite, FlushAsync).prepareAhead(); got != 0 {
		t.Fatalf("pwrite: prepareAhead = %d, want 0", got)
	}
	if got := testConfig(segment.WriteMapped, FlushSync).prepareAhead(); got != 0 {
		t.Fatalf("FlushSync: prepareAhead = %d, want 0", got)
	}
	c.PrepareAhead = 0
	if got := c.prepareAhead(); got != 0 {
		t.Fatalf("PrepareAhead 0: prepareAhead = %d", got)
	}
	c.PrepareAhead = -1
	if err := c.Validate(); err == nil {
		t.Fatal("Validate accepted PrepareAhead -1")
	}
	if c := c.segmentConfig(); c.PrepareWrite != 0 {
		t.Fatalf("segment PrepareWrite = %d", c.PrepareWrite)
	}
}

// TestPrepareAhead: in WriteMapped mode the helper keeps the pages ahead of
// the appender prepared across rolls, stores nothing into the mapping (the
// bytes above Wrote stay zero, the records read back intact while readers
// and the flusher run, under -race), and stops with Close.
func TestPrepareAhead(t *testing.T) {
	cfg := testConfig(segment.WriteMapped, FlushAsync)
	cfg.PrepareAhead = 64 << 10
	cfg.FlushLeastPages = 4
	l, _ := mustOpen(t, vfs.Default, t.TempDir(), cfg, 0)
	const n, size = 3000, 1000 // about 3 segments
	phys := make([]int64, n)
	var (
		mu    sync.Mutex
		count int // records appended; phys[:count] guarded by mu
	)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a reader behind the appender
		defer wg.Done()
		next := 0
		for {
			mu.Lock()
			c := count
			mu.Unlock()
			for ; next < c; next++ {
				checkRecord(t, l, phys[next], next, size)
			}
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	for i := 0; i < n; i++ {
		res, err := l.Append(fieldsFor(i, size), nil)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		phys[i] = res.Phys
		count = i + 1
		mu.Unlock()
		if i%200 == 0 {
			time.Sleep(time.Millisecond) // let the helper run
		}
	}
	close(done)
	wg.Wait()
	for i, p := range phys {
		checkRecord(t, l, p, i, size)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.ahead.ahead.Load() <= l.Wrote() && time.Now().Before(deadline) {
		l.ahead.wake()
		time.Sleep(time.Millisecond)
	}
	a := l.ahead.ahead.Load()
	if a == math.MaxInt64 {
		t.Skip("MADV_POPULATE_WRITE unsupported (Linux < 5.14)")
	}
	if a <= l.Wrote() {
		t.Fatalf("prepared up to %d, not beyond Wrote %d", a, l.Wrote())
	}
	if m := l.Metrics(); m.Prepared == 0 || m.Rolls < 3 {
		t.Fatalf("Prepared %d bytes over %d rolls", m.Prepared, m.Rolls)
	}
	l.mu.Lock()
	seg := l.active
	l.mu.Unlock()
	for i, b := range seg.Bytes()[seg.Wrote():] {
		if b != 0 {
			t.Fatalf("byte %d above Wrote = %d: the helper stored into the mapping", seg.Wrote()+i, b)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waited for the helper (it runs under the flusher's WaitGroup);
	// a kick now must find nobody to prepare anything.
	before := l.Metrics().Prepared
	l.ahead.wake()
	time.Sleep(10 * time.Millisecond)
	if after := l.Metrics().Prepared; after != before {
		t.Fatalf("helper prepared %d bytes after Close", after-before)
	}
}
