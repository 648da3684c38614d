package commitlog

import (
	"os"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/internal/testutil"
)

// appendFlushed appends 16,000 records of size bytes (about 16 MiB of
// log), waiting for a flush every 500 under FlushSync, flushes, and
// returns their offsets.
func appendFlushed(t *testing.T, l *Log, size int) []int64 {
	t.Helper()
	phys := make([]int64, 16000)
	for i := range phys {
		res, err := l.Append(fieldsFor(i, size), nil)
		if err != nil {
			t.Fatal(err)
		}
		phys[i] = res.Phys
		if l.cfg.FlushMode == FlushSync && i%500 == 499 {
			ch := make(chan error, 1)
			l.WaitFlushed(res.End, func(err error) { ch <- err })
			if err := waitDone(t, ch, 5*time.Second); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.flushNowForTest(); err != nil {
		t.Fatal(err)
	}
	return phys
}

func TestCacheWindowConfig(t *testing.T) {
	c := testConfig(segment.WritePwrite, FlushAsync)
	c.CacheWindow = -1
	if err := c.Validate(); err == nil {
		t.Fatal("Validate accepted CacheWindow -1")
	}
	var d dropper
	for _, tc := range []struct{ window, step int64 }{
		{1, dropAlign}, {4 << 20, dropAlign}, {40 << 20, 10 << 20}, {1 << 30, 64 << 20},
	} {
		d.init(tc.window, 0)
		if d.step != tc.step {
			t.Errorf("window %d: step %d, want %d", tc.window, d.step, tc.step)
		}
	}
}

// TestCacheWindow: with a CacheWindow the log releases the page cache of
// flushed bytes more than the window behind Flushed, whole segments and
// part of one, keeps the window's, and every record reads back intact
// from the disk.
func TestCacheWindow(t *testing.T) {
	for _, mode := range modes {
		for _, flush := range []FlushMode{FlushAsync, FlushSync} {
			t.Run(mode.String()+"/"+flush.String(), func(t *testing.T) {
				testCacheWindow(t, mode, flush)
			})
		}
	}
}

func testCacheWindow(t *testing.T, mode segment.WriteMode, flush FlushMode) {
	cfg := testConfig(mode, flush)
	cfg.SegmentSize = 4 << 20
	cfg.CacheWindow = 4 << 20
	l, _ := mustOpen(t, vfs.Default, t.TempDir(), cfg, 0)
	defer l.Close()
	const size = 1000
	phys := appendFlushed(t, l, size)
	want := (l.Flushed() - cfg.CacheWindow) &^ (dropAlign - 1)
	deadline := time.Now().Add(5 * time.Second)
	for l.cache.dropped.Load() < want && time.Now().Before(deadline) {
		l.cache.flushed(l.Flushed())
		time.Sleep(time.Millisecond)
	}
	if got := l.cache.dropped.Load(); got < want {
		t.Fatalf("cache dropped below %d, want %d (Flushed %d)", got, want, l.Flushed())
	}
	if m := l.Metrics(); m.CacheDropped < want-dropAlign || m.CacheDropErrors != 0 {
		t.Fatalf("metrics: %d bytes dropped, %d errors; want about %d and none", m.CacheDropped, m.CacheDropErrors, want)
	}
	ps := os.Getpagesize()
	for _, s := range *l.segs.Load() {
		b := s.Bytes()
		switch end := s.Base() + int64(s.Size()); {
		case end <= want:
			if r := testutil.Resident(t, b); r != 0 {
				t.Errorf("segment %d, below the window: %d pages still cached", s.Base(), r)
			}
		case s.Base() >= l.Flushed()-cfg.CacheWindow:
			if r := testutil.Resident(t, b[:s.Flushed()]); r < s.Flushed()/ps {
				t.Errorf("segment %d, in the window: %d of %d pages cached", s.Base(), r, s.Flushed()/ps)
			}
		}
	}
	for i, p := range phys {
		checkRecord(t, l, p, i, size)
	}
}

// TestReadahead: a read in one chunk of released data makes the helper
// bring the next two chunks back into memory, across a segment boundary,
// before any reader asks for them.
func TestReadahead(t *testing.T) {
	cfg := testConfig(segment.WritePwrite, FlushAsync)
	cfg.SegmentSize = 4 << 20
	l, _ := mustOpen(t, vfs.Default, t.TempDir(), cfg, 0)
	defer l.Close()
	const size = 1000
	phys := appendFlushed(t, l, size)
	segs := *l.segs.Load()
	for _, s := range segs {
		if err := s.DropCache(0, s.Size()); err != nil {
			t.Fatal(err)
		}
		if r := testutil.Resident(t, s.Bytes()); r != 0 {
			t.Fatalf("segment %d: %d pages cached after DropCache", s.Base(), r)
		}
	}
	// A record in the middle of the first segment (chunk 0): chunks 1 and
	// 2, the second and third segments, come back.
	i := 1000
	checkRecord(t, l, phys[i], i, size)
	deadline := time.Now().Add(5 * time.Second)
	ps := os.Getpagesize()
	want := segs[1].Size()/ps + segs[2].Size()/ps
	got := 0
	for time.Now().Before(deadline) {
		got = testutil.Resident(t, segs[1].Bytes()) + testutil.Resident(t, segs[2].Bytes())
		if got == want && l.Metrics().Prefetched >= 2*raChunk {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if got != want {
		t.Fatalf("%d of the next two chunks' %d pages resident after a read before them", got, want)
	}
	if r := testutil.Resident(t, segs[3].Bytes()); r != 0 {
		t.Errorf("the fourth segment, three chunks ahead: %d pages resident, want none", r)
	}
	if m := l.Metrics(); m.Prefetched < int64(2*raChunk) {
		t.Errorf("Prefetched %d bytes, want at least %d", m.Prefetched, 2*raChunk)
	}
	for i, p := range phys {
		checkRecord(t, l, p, i, size)
	}
}
