package engine

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
	"github.com/quivermq/quiver/message"
)

// fakeClock is a settable clock shared by the store and the errorfs
// (file modification times).
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.set(t)
	return c
}

func (c *fakeClock) now() time.Time      { return time.Unix(0, c.ns.Load()).In(time.Local) }
func (c *fakeClock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// t0 is 10:00 local time: not a DeleteWhen hour of these tests.
var t0 = time.Date(2026, 1, 10, 10, 0, 0, 0, time.Local)

// retentionStore opens a store on an errorfs with small consume-queue and
// index files, both the store and the errorfs on clk.
func retentionStore(t *testing.T, clk *fakeClock, mod func(*Config)) (*Store, *errorfs.FS) {
	t.Helper()
	fs := errorfs.New()
	fs.SetClock(clk.now)
	cfg := testConfig(fs, "/s", commitlog.FlushAsync)
	cfg.Clock = clk.now
	cfg.ConsumeQueue.EntriesPerFile = 100
	cfg.Index.MaxIndexNum = 100
	cfg.CleanInterval = time.Hour // tests call Clean unless they say otherwise
	// NB: no periodic checkpoint: errorfs's Sync reads a consume-queue
	// mapping while the dispatcher stores into it, which the race detector
	// reports (an errorfs/consumequeue matter, not retention's).
	cfg.CheckpointInterval = time.Hour
	if mod != nil {
		mod(&cfg)
	}
	return mustOpen(t, cfg), fs
}

var retBody = make([]byte, 4000)

// appendUntil appends keyed 4000-byte records to R/0 until Wrote passes end.
func appendUntil(t *testing.T, s *Store, end int64) {
	t.Helper()
	for s.log.Wrote() < end {
		if _, err := s.Append(fields("R", 0, retBody, "", fmt.Sprint("k", s.log.Wrote()), "")); err != nil {
			t.Fatal(err)
		}
	}
}

// settle waits until everything appended is flushed and dispatched.
func settle(t *testing.T, s *Store) {
	t.Helper()
	waitDispatched(t, s)
	deadline := time.Now().Add(5 * time.Second)
	for s.log.Flushed() < s.log.Wrote() {
		if time.Now().After(deadline) {
			t.Fatal("flush did not catch up")
		}
		time.Sleep(time.Millisecond)
	}
}

func countFiles(t *testing.T, fs *errorfs.FS, dir string) int {
	t.Helper()
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(names)
}

func usedBytes(t *testing.T, fs *errorfs.FS) int64 {
	t.Helper()
	u, err := fs.DiskUsage("/s")
	if err != nil {
		t.Fatal(err)
	}
	return int64(u.Total - u.Free)
}

// TestRetentionDeleteWhen: sealed segments older than FileReservedTime go
// at a DeleteWhen hour, oldest first, stopping at the first young one, and
// not at other hours; consume-queue and index files below the new minimum
// go with them.
func TestRetentionDeleteWhen(t *testing.T) {
	clk := newFakeClock(t0)
	s, fs := retentionStore(t, clk, func(c *Config) { c.DeleteWhen = "04;16" })
	defer mustClose(t, s)
	const seg = 1 << 20
	appendUntil(t, s, 2*seg+10000) // segments 0 and 1 sealed at t0
	clk.add(48 * time.Hour)
	appendUntil(t, s, 4*seg+10000) // 2 and 3 sealed at t0+48h, 4 active
	settle(t, s)
	cqDir := "/s/consumequeue/R/0"
	cqBefore, idxBefore := countFiles(t, fs, cqDir), countFiles(t, fs, "/s/index")

	clk.set(t0.Add(73 * time.Hour)) // 11:00: old enough, wrong hour
	res, err := s.Clean()
	if err != nil || res.Expired+res.Forced != 0 || res.TimeToDelete || res.Pressure {
		t.Fatalf("Clean at 11:00: %+v, %v", res, err)
	}
	clk.set(t0.Add(18 * time.Hour)) // 04:00 the next day: right hour, too young
	if res, err := s.Clean(); err != nil || !res.TimeToDelete || res.Expired != 0 {
		t.Fatalf("Clean at 04:00 (young): %+v, %v", res, err)
	}
	if s.log.MinOffset() != 0 {
		t.Fatalf("MinOffset %d before deletion", s.log.MinOffset())
	}

	clk.set(t0.Add(78 * time.Hour)) // 16:00: 0 and 1 are 78h old, 2 is 30h
	res, err = s.Clean()
	if err != nil || !res.TimeToDelete || res.Expired != 2 || res.Forced != 0 {
		t.Fatalf("Clean at 16:00: %+v, %v", res, err)
	}
	if m := s.log.MinOffset(); m != 2*seg {
		t.Fatalf("MinOffset %d, want %d", m, 2*seg)
	}
	if n := countFiles(t, fs, cqDir); n >= cqBefore {
		t.Fatalf("consume-queue files %d -> %d", cqBefore, n)
	}
	if n := countFiles(t, fs, "/s/index"); n >= idxBefore {
		t.Fatalf("index files %d -> %d", idxBefore, n)
	}
	min := s.MinOffset("R", 0)
	r, err := s.GetMessages("R", 0, min, 1, 1<<20, nil)
	if err != nil || r.Status != Found || r.Records[0].PhysicalOffset() < 2*seg {
		t.Fatalf("read at queue min %d: %v %v", min, r.Status, err)
	}
	r.Release()
	m := s.Metrics().Retention
	if m.SegmentsDeleted != 2 || m.CleanRuns != 3 || !m.LastClean.Equal(clk.now()) || m.DiskFull {
		t.Fatalf("metrics %+v", m)
	}
}

// TestRetentionDiskPressure: past DiskMaxUsedSpaceRatio the oldest
// segments go though young, until usage is below the ratio; never the
// active segment; a pinned reader keeps its records until Release; a full
// disk refuses appends until the deletion frees space.
func TestRetentionDiskPressure(t *testing.T) {
	clk := newFakeClock(t0)
	s, fs := retentionStore(t, clk, nil)
	defer mustClose(t, s)
	const seg = 1 << 20
	appendUntil(t, s, 5*seg+10000) // 0..4 sealed, 5 active
	settle(t, s)
	first, err := s.GetMessages("R", 0, 0, 1, 1<<20, nil) // pinned across the deletion
	if err != nil || first.Status != Found {
		t.Fatal(first.Status, err)
	}
	body0 := bytes.Clone(first.Records[0].Body())

	fs.SetCapacity(usedBytes(t, fs)) // 100%: full and under pressure
	res, err := s.Clean()
	if err != nil || !res.Pressure || res.TimeToDelete || res.Expired != 0 || res.Forced == 0 {
		t.Fatalf("Clean: %+v, %v", res, err)
	}
	if res.UsedPercent >= 75 || s.DiskFull() != nil {
		t.Fatalf("after forced clean: usage %.1f%%, full %v", res.UsedPercent, s.DiskFull())
	}
	if s.log.MinOffset() != int64(res.Forced)*seg {
		t.Fatalf("MinOffset %d after %d deletions", s.log.MinOffset(), res.Forced)
	}
	if !bytes.Equal(first.Records[0].Body(), body0) {
		t.Fatal("pinned record changed after deletion")
	}
	first.Release()

	// Capacity below what the active segment alone holds: everything
	// sealed goes, never the active segment, and the disk stays full.
	wrote := s.log.Wrote()
	fs.SetCapacity(seg)
	res, err = s.Clean()
	if err != nil || !res.Pressure {
		t.Fatalf("Clean: %+v, %v", res, err)
	}
	active := wrote / seg * seg
	if s.log.MinOffset() != active || s.log.Wrote() != wrote {
		t.Fatalf("MinOffset %d Wrote %d, want %d %d", s.log.MinOffset(), s.log.Wrote(), active, wrote)
	}
	if s.DiskFull() == nil {
		t.Fatalf("usage %.1f%%: not full", res.UsedPercent)
	}
	if _, err := s.Append(fields("R", 0, retBody, "", "", "")); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Append on a full disk: %v", err)
	}
	// The queue's records in the active segment are still readable; the
	// consume-queue files below it are gone.
	min := s.MinOffset("R", 0)
	if n := countFiles(t, fs, "/s/consumequeue/R/0"); int64(n) > 3 {
		t.Fatalf("%d consume-queue files left", n)
	}
	r, err := s.GetMessages("R", 0, min, 32, 1<<20, nil)
	if err != nil || r.Status != Found || r.Records[0].PhysicalOffset() < active {
		t.Fatalf("read at %d: %v %v", min, r.Status, err)
	}
	r.Release()

	fs.SetCapacity(0) // the operator freed space
	if _, err := s.Clean(); err != nil || s.DiskFull() != nil {
		t.Fatalf("Clean after freeing: %v, full %v", err, s.DiskFull())
	}
	if _, err := s.Append(fields("R", 0, retBody, "", "", "")); err != nil {
		t.Fatal(err)
	}
	m := s.Metrics().Retention
	if m.SegmentsForced != 5 || m.SegmentsDeleted != 0 || m.DiskFull {
		t.Fatalf("metrics %+v", m)
	}
}

// TestDiskHighWatermark: past the watermark appends fail fast with
// ErrDiskFull while reads go on; the state holds inside the hysteresis and
// clears by itself (the cleaner goroutine) once space returns.
func TestDiskHighWatermark(t *testing.T) {
	clk := newFakeClock(t0)
	s, fs := retentionStore(t, clk, func(c *Config) { c.CleanInterval = 5 * time.Millisecond })
	defer mustClose(t, s)
	for i := 0; i < 10; i++ {
		if _, err := s.Append(fields("W", 1, msgBody("W", 1, int64(i), 100), "", "", "")); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, s)
	used := usedBytes(t, fs)
	waitFull := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for (s.DiskFull() != nil) != want {
			if time.Now().After(deadline) {
				t.Fatalf("disk full state never became %v (%+v)", want, s.Metrics().Retention)
			}
			time.Sleep(time.Millisecond)
		}
	}
	fs.SetCapacity(used * 100 / 95)
	waitFull(true)
	_, err := s.Append(fields("W", 1, []byte("x"), "", "", ""))
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "above the high watermark 90%") {
		t.Fatalf("Append: %v", err)
	}
	var dfe *DiskFullError
	if !errors.As(err, &dfe) || dfe.UsedPercent < 90 || dfe.Watermark != 90 {
		t.Fatalf("error %#v", err)
	}
	if _, err := s.AppendBatch([]message.Fields{*fields("W", 1, []byte("x"), "", "", "")}); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("AppendBatch: %v", err)
	}
	if got := readQueue(t, s, "W", 1); len(got) != 10 {
		t.Fatalf("read %d records while full", len(got))
	}
	if m := s.Metrics().Retention; !m.DiskFull || m.DiskUsedPercent < 90 || m.CleanRuns == 0 || m.LastClean.IsZero() {
		t.Fatalf("metrics %+v", m)
	}

	// 89%: below the watermark but inside the hysteresis: still full.
	fs.SetCapacity(used * 100 / 89)
	deadline := time.Now().Add(3 * time.Second)
	for s.Metrics().Retention.DiskUsedPercent >= 90 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if _, err := s.Clean(); err != nil || s.DiskFull() == nil {
		t.Fatalf("full cleared at 89%%: %v", err)
	}

	fs.SetCapacity(used * 2) // 50%
	waitFull(false)
	if _, err := s.Append(fields("W", 1, []byte("x"), "", "", "")); err != nil {
		t.Fatalf("Append after space returned: %v", err)
	}
}

// TestRetentionConfig: DeleteWhen parsing and the retention fields'
// defaults, clamps and errors.
func TestRetentionConfig(t *testing.T) {
	for in, want := range map[string][]int{"04": {4}, "04;16": {4, 16}, "4; 16 ;23": {4, 16, 23}, "0": {0}} {
		h, err := ParseDeleteWhen(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		n := 0
		for _, w := range want {
			if !h[w] {
				t.Fatalf("%q: hour %d missing", in, w)
			}
		}
		for _, b := range h {
			if b {
				n++
			}
		}
		if n != len(want) {
			t.Fatalf("%q: %d hours, want %d", in, n, len(want))
		}
	}
	for _, in := range []string{"", " ", "24", "-1", "04;", "ab", "004", "4:00", "04,16"} {
		_, err := ParseDeleteWhen(in)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Fatalf("%q: %v", in, err)
		}
	}

	c := DefaultConfig()
	c.Dir = "x"
	if c.FileReservedTime != 72 || c.DeleteWhen != "04" || c.DiskMaxUsedSpaceRatio != 75 ||
		c.DiskHighWatermark != 90 || c.CleanInterval != 10*time.Second {
		t.Fatalf("defaults %+v", c)
	}
	z := Config{Dir: "x"}.withDefaults()
	if z.FileReservedTime != 72 || z.DeleteWhen != "04" || z.DiskMaxUsedSpaceRatio != 75 ||
		z.DiskHighWatermark != 90 || z.CleanInterval != 10*time.Second {
		t.Fatalf("zero defaults %+v", z)
	}
	for in, want := range map[int]int{5: 10, 99: 95, 80: 80} {
		c2 := c
		c2.DiskMaxUsedSpaceRatio = in
		if got := c2.withDefaults().DiskMaxUsedSpaceRatio; got != want {
			t.Fatalf("ratio %d clamped to %d, want %d", in, got, want)
		}
	}
	bad := []func(*Config){
		func(c *Config) { c.DeleteWhen = "25" },
		func(c *Config) { c.FileReservedTime = -1 },
		func(c *Config) { c.DiskMaxUsedSpaceRatio = -1 },
		func(c *Config) { c.DiskHighWatermark = 5 },
		func(c *Config) { c.DiskHighWatermark = 101 },
		func(c *Config) { c.CleanInterval = -time.Second },
	}
	for i, f := range bad {
		c2 := c
		f(&c2)
		if err := c2.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("case %d: %v", i, err)
		}
	}
	c.DeleteWhen = "04;x"
	if _, err := Open(c); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("Open with DeleteWhen 04;x: %v", err)
	}
}

// TestCleanAfterClose: Clean after Close fails with ErrClosed, and the
// cleaner goroutine is gone.
func TestCleanAfterClose(t *testing.T) {
	s, _ := retentionStore(t, newFakeClock(t0), func(c *Config) { c.CleanInterval = time.Millisecond })
	time.Sleep(5 * time.Millisecond)
	mustClose(t, s)
	if _, err := s.Clean(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Clean after Close: %v", err)
	}
}
