package commitlog

import (
	"errors"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
	"github.com/quivermq/quiver/message"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, mut := range []func(*Config){
		func(c *Config) { c.SegmentSize = 1000 },
		func(c *Config) { c.WriteMode = 0 },
		func(c *Config) { c.FlushMode = 0 },
		func(c *Config) { c.FlushInterval = 0 },
		func(c *Config) { c.FlushLeastPages = -1 },
		func(c *Config) { c.SyncFlushTimeout = 0 },
		func(c *Config) { c.Clock = nil },
	} {
		c := DefaultConfig()
		mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Validate = %v, want ErrInvalidConfig", err)
		}
	}
}

func TestAppendReadRoundTrip(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig(mode, FlushAsync)
			now := time.UnixMilli(1_800_000_000_000)
			cfg.Clock = func() time.Time { return now }
			l, rep := mustOpen(t, vfs.Default, dir, cfg, 0)
			if rep.End != 0 || rep.Records != 0 {
				t.Fatalf("empty log report %v", rep)
			}
			var phys []int64
			for i := 0; i < 100; i++ {
				res, err := l.Append(fieldsFor(i, 100+i), nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.StoreTimestamp != now.UnixMilli() || res.End != res.Phys+int64(res.Size) {
					t.Fatalf("result %+v", res)
				}
				if i > 0 && res.Phys != phys[i-1]+int64(100+i-1)+0 && res.Phys <= phys[i-1] {
					t.Fatalf("offsets not increasing")
				}
				phys = append(phys, res.Phys)
			}
			for i, p := range phys {
				checkRecord(t, l, p, i, 100+i)
				rec, pin, _ := l.Read(p)
				if rec.StoreTimestamp() != now.UnixMilli() {
					t.Fatalf("store timestamp %d", rec.StoreTimestamp())
				}
				pin.Release()
			}
			if _, _, err := l.Read(l.Wrote()); !errors.Is(err, ErrOffsetRange) {
				t.Fatalf("Read(Wrote) = %v, want ErrOffsetRange", err)
			}
			if l.MinOffset() != 0 || l.MaxOffset() != l.Wrote() {
				t.Fatalf("min %d max %d", l.MinOffset(), l.MaxOffset())
			}
			b, pin, err := l.ReadRange(phys[1], 1<<20)
			if err != nil || int64(len(b)) != l.Wrote()-phys[1] {
				t.Fatalf("ReadRange: %d bytes, %v", len(b), err)
			}
			pin.Release()
			end := l.Wrote()
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); !errors.Is(err, ErrClosed) {
				t.Fatalf("second Close = %v", err)
			}
			// Clean reopen: same end, every record.
			l, rep = mustOpen(t, vfs.Default, dir, cfg, 0)
			defer l.Close()
			if rep.End != end || rep.Records != 100 || rep.TornAt != -1 || rep.Err() != nil {
				t.Fatalf("reopen report %v", rep)
			}
			for i, p := range phys {
				checkRecord(t, l, p, i, 100+i)
			}
			// From a checkpoint: only the tail is scanned.
			l.Close()
			l, rep = mustOpen(t, vfs.Default, dir, cfg, phys[90])
			t.Cleanup(func() { l.Close() })
			if rep.Start != phys[90] || rep.Records != 10 || rep.End != end {
				t.Fatalf("checkpoint reopen report %v", rep)
			}
		})
	}
}

func TestRollAcrossSegments(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			fs, dir := testFS(t, mode)
			cfg := testConfig(mode, FlushAsync)
			l, _ := mustOpen(t, fs, dir, cfg, 0)
			const n, size = 60, 50 << 10 // 60 x 50 KiB: three segments
			var phys []int64
			for i := 0; i < n; i++ {
				res, err := l.Append(fieldsFor(i, size), nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.Phys/testSeg != res.End/testSeg && res.End%testSeg != 0 {
					t.Fatalf("record %d straddles: [%d, %d)", i, res.Phys, res.End)
				}
				phys = append(phys, res.Phys)
			}
			if l.Metrics().Rolls < 3 {
				t.Fatalf("rolls %d", l.Metrics().Rolls)
			}
			// The end of segment 0 holds a filler.
			var last int64
			for _, p := range phys {
				if p < testSeg {
					last = p
				}
			}
			rec, pin, _ := l.Read(last)
			fill := last + int64(len(rec))
			pin.Release()
			if _, _, err := l.Read(fill); !errors.Is(err, ErrNotRecord) {
				t.Fatalf("Read(filler) = %v", err)
			}
			b, pin, err := l.ReadRange(fill, 1<<20)
			if err != nil || int64(len(b)) != testSeg-fill || !message.Record(b).IsFiller() || lastNonZero(b) != message.FillerSize {
				t.Fatalf("ReadRange at filler: %d bytes %v", len(b), err)
			}
			pin.Release()
			var got []int64
			if err := l.Scan(0, func(p int64, rec message.Record) error {
				got = append(got, p)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("Scan saw %d records, want %d", len(got), n)
			}
			for i, p := range phys {
				if got[i] != p {
					t.Fatalf("scan %d: %d want %d", i, got[i], p)
				}
				checkRecord(t, l, p, i, size)
			}
			end := l.Wrote()
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l, rep := mustOpen(t, fs, dir, cfg, 0)
			defer l.Close()
			if rep.End != end || rep.Records != n || rep.EmptyRemoved > 1 {
				t.Fatalf("reopen %v", rep)
			}
			if _, err := l.Append(fieldsFor(n, size), nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRecordTooLarge(t *testing.T) {
	l, _ := mustOpen(t, errorfs.New(), "/cl", testConfig(segment.WritePwrite, FlushAsync), 0)
	defer l.Close()
	if _, err := l.Append(fieldsFor(0, testSeg), nil); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("Append = %v", err)
	}
	items := make([]message.Fields, 3)
	for i := range items {
		items[i] = *fieldsFor(i, testSeg/3)
	}
	if _, err := l.AppendBatch(items, nil); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("AppendBatch = %v", err)
	}
	if _, err := l.AppendBatch(nil, nil); !errors.Is(err, ErrEmptyBatch) {
		t.Fatalf("AppendBatch(nil) = %v", err)
	}
}

func TestAppendBatchAndQueueOffsets(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			fs, dir := testFS(t, mode)
			l, _ := mustOpen(t, fs, dir, testConfig(mode, FlushAsync), 0)
			defer l.Close()
			q := newFakeQueues()
			// Single appends: per-queue offsets.
			for i := 0; i < 8; i++ {
				f := fieldsFor(i, 10)
				res, err := l.Append(f, q)
				if err != nil {
					t.Fatal(err)
				}
				if want := int64(i / 4); res.QueueOffset != want || f.QueueOffset != want || f.PhysicalOffset != res.Phys {
					t.Fatalf("append %d: queue offset %d want %d", i, res.QueueOffset, want)
				}
			}
			// Batches that roll: 30 batches of 10 x 4 KiB.
			next := int64(2)
			for b := 0; b < 30; b++ {
				items := make([]message.Fields, 10)
				for i := range items {
					items[i] = *fieldsFor(b*10+i, 4<<10)
					items[i].QueueID = 1
				}
				res, err := l.AppendBatch(items, q)
				if err != nil {
					t.Fatal(err)
				}
				if res.Phys/testSeg != (res.End-1)/testSeg {
					t.Fatalf("batch %d straddles [%d, %d)", b, res.Phys, res.End)
				}
				if res.QueueOffset != next {
					t.Fatalf("batch %d queue offset %d want %d", b, res.QueueOffset, next)
				}
				at := res.Phys
				for i := range items {
					rec, pin, err := l.Read(at)
					if err != nil {
						t.Fatal(err)
					}
					if rec.QueueOffset() != next+int64(i) || rec.PhysicalOffset() != at || items[i].PhysicalOffset != at {
						t.Fatalf("batch %d item %d: qo %d phys %d", b, i, rec.QueueOffset(), rec.PhysicalOffset())
					}
					at += int64(len(rec))
					pin.Release()
				}
				if at != res.End {
					t.Fatalf("batch end %d want %d", at, res.End)
				}
				next += 10
			}
			// nil assigner leaves the given queue offset.
			f := fieldsFor(0, 10)
			f.QueueOffset = 777
			res, _ := l.Append(f, nil)
			rec, pin, _ := l.Read(res.Phys)
			if rec.QueueOffset() != 777 {
				t.Fatalf("queue offset %d", rec.QueueOffset())
			}
			pin.Release()
		})
	}
}

func TestAppendAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are not meaningful under -race")
	}
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := testConfig(mode, FlushAsync)
			cfg.SegmentSize = 4 << 20
			l, _ := mustOpen(t, vfs.Default, t.TempDir(), cfg, 0)
			defer l.Close()
			f := fieldsFor(1, 1024)
			q := newFakeQueues()
			q.AssignQueueOffset(f.Topic, f.QueueID, 1)
			if a := testing.AllocsPerRun(1000, func() {
				f.HaveBodyCRC = false
				if _, err := l.Append(f, q); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Fatalf("Append: %v allocs", a)
			}
			items := []message.Fields{*fieldsFor(1, 512), *fieldsFor(2, 512)}
			if a := testing.AllocsPerRun(200, func() {
				if _, err := l.AppendBatch(items, q); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Fatalf("AppendBatch: %v allocs", a)
			}
			res, _ := l.Append(f, nil)
			if a := testing.AllocsPerRun(1000, func() {
				_, pin, err := l.Read(res.Phys)
				if err != nil {
					t.Fatal(err)
				}
				pin.Release()
			}); a != 0 {
				t.Fatalf("Read: %v allocs", a)
			}
		})
	}
}

func TestSyncGroupCommit(t *testing.T) {
	fs := errorfs.New()
	syncs := syncCounter{delay: time.Millisecond}
	fs.Inject(&syncs)
	cfg := testConfig(segment.WritePwrite, FlushSync)
	cfg.SegmentSize = 4 << 20
	l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	defer l.Close()
	const writers, each = 64, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	var maxEnd int64
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			for i := 0; i < each; i++ {
				res, err := l.Append(fieldsFor(w*each+i, 512), nil)
				if err != nil {
					errs <- err
					return
				}
				l.WaitFlushed(res.End, func(err error) { done <- err })
				if err := waitDone(t, done, 10*time.Second); err != nil {
					errs <- err
					return
				}
				if f := l.Flushed(); f < res.End {
					errs <- errors.New("acknowledged past Flushed")
					return
				}
				mu.Lock()
				maxEnd = max(maxEnd, res.End)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	appends := int64(writers * each)
	n := syncs.n.Load()
	t.Logf("%d appends, %d fdatasyncs, %s", appends, n, l.Metrics())
	if l.Flushed() < maxEnd {
		t.Fatalf("Flushed %d < %d", l.Flushed(), maxEnd)
	}
	if n*4 > appends {
		t.Fatalf("%d fdatasyncs for %d appends: no group commit", n, appends)
	}
}

func TestFlushTimeout(t *testing.T) {
	fs := errorfs.New()
	gate := syncGate{pattern: segment0}
	fs.Inject(&gate)
	cfg := testConfig(segment.WritePwrite, FlushSync)
	cfg.SyncFlushTimeout = 100 * time.Millisecond
	l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	gate.block()
	res, err := l.Append(fieldsFor(0, 100), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	start := time.Now()
	l.WaitFlushed(res.End, func(err error) { done <- err })
	if err := waitDone(t, done, 5*time.Second); !errors.Is(err, ErrFlushTimeout) {
		t.Fatalf("waiter: %v, want ErrFlushTimeout", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("timed out after %v", d)
	}
	gate.release()
	// The flush completes later; the log stays usable.
	res, err = l.Append(fieldsFor(1, 100), nil)
	if err != nil {
		t.Fatal(err)
	}
	l.WaitFlushed(res.End, func(err error) { done <- err })
	if err := waitDone(t, done, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if m := l.Metrics(); m.Timeouts != 1 {
		t.Fatalf("timeouts %d", m.Timeouts)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStickyErrors(t *testing.T) {
	t.Run("write", func(t *testing.T) {
		fs := errorfs.New()
		l, _ := mustOpen(t, fs, "/s/commitlog", testConfig(segment.WritePwrite, FlushAsync), 0)
		defer l.Close()
		if _, err := l.Append(fieldsFor(0, 10), nil); err != nil {
			t.Fatal(err)
		}
		fs.Inject(&errorfs.Rule{Op: errorfs.OpWriteAt, Path: "commitlog/" + segment.Name(0) + "*", Err: syscall.EIO, Times: 1}) // segment 0 (opened as its temporary name); not the zero-fill of the next
		_, err := l.Append(fieldsFor(1, 10), nil)
		if !errors.Is(err, syscall.EIO) {
			t.Fatalf("Append = %v, want EIO", err)
		}
		for i := 0; i < 3; i++ {
			if _, err2 := l.Append(fieldsFor(2, 10), nil); !errors.Is(err2, syscall.EIO) {
				t.Fatalf("after EIO: %v", err2)
			}
		}
		if !errors.Is(l.Err(), syscall.EIO) {
			t.Fatalf("Err = %v", l.Err())
		}
	})
	for _, mode := range modes {
		t.Run("sync/"+mode.String(), func(t *testing.T) {
			fs := errorfs.New()
			l, _ := mustOpen(t, fs, "/s/commitlog", testConfig(mode, FlushSync), 0)
			defer l.Close()
			fs.Inject(&errorfs.Rule{Op: errorfs.OpSync, Path: segment0, Err: syscall.EIO, Times: 1})
			res, err := l.Append(fieldsFor(0, 10), nil)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			l.WaitFlushed(res.End, func(err error) { done <- err })
			if err := waitDone(t, done, 5*time.Second); !errors.Is(err, syscall.EIO) {
				t.Fatalf("waiter: %v", err)
			}
			if _, err := l.Append(fieldsFor(1, 10), nil); !errors.Is(err, syscall.EIO) {
				t.Fatalf("Append after sync EIO: %v", err)
			}
			l.WaitFlushed(res.End+1, func(err error) { done <- err })
			if err := waitDone(t, done, time.Second); !errors.Is(err, syscall.EIO) {
				t.Fatalf("WaitFlushed after failure: %v", err)
			}
		})
	}
}

func TestENOSPC(t *testing.T) {
	t.Run("allocation", func(t *testing.T) {
		// The disk fills: the next segment cannot be made. The append that
		// needs it fails, nothing partial is visible, and appends resume
		// once space returns.
		fs := errorfs.New()
		cfg := testConfig(segment.WritePwrite, FlushSync)
		l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
		fs.SetCapacity(2*testSeg + testSeg/2) // segments 0 and 1 (maybe made already), not 2
		var acked []int64
		var failed error
		for i := 0; i < 80 && failed == nil; i++ {
			res, err := l.Append(fieldsFor(i, 40<<10), nil)
			if err != nil {
				failed = err
				break
			}
			acked = append(acked, res.Phys)
		}
		if !errors.Is(failed, syscall.ENOSPC) {
			t.Fatalf("append past capacity: %v", failed)
		}
		if l.Err() != nil {
			t.Fatalf("allocation failure became sticky: %v", l.Err())
		}
		fs.SetCapacity(errorfs.DefaultCapacity)
		res, err := l.Append(fieldsFor(len(acked), 40<<10), nil)
		if err != nil {
			t.Fatalf("append after space returned: %v", err)
		}
		acked = append(acked, res.Phys)
		done := make(chan error, 1)
		l.WaitFlushed(res.End, func(err error) { done <- err })
		if err := waitDone(t, done, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		fs.Crash(errorfs.CrashOptions{})
		_ = l.Close() // handles predate the crash
		l, rep := mustOpen(t, fs, "/s/commitlog", cfg, 0)
		defer l.Close()
		if rep.Records != int64(len(acked)) || rep.TornAt != -1 || rep.Err() != nil {
			t.Fatalf("report %v, want %d records", rep, len(acked))
		}
		for i, p := range acked {
			checkRecord(t, l, p, i, 40<<10)
		}
	})
	t.Run("write", func(t *testing.T) {
		// ENOSPC from the write itself (e.g. a thin-provisioned device):
		// sticky, and nothing of the failed record after reopen.
		fs := errorfs.New()
		cfg := testConfig(segment.WritePwrite, FlushSync)
		cfg.StageSize = 0 // each append writes; see write-staged
		l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
		var acked []int64
		for i := 0; i < 5; i++ {
			res, err := l.Append(fieldsFor(i, 1000), nil)
			if err != nil {
				t.Fatal(err)
			}
			acked = append(acked, res.Phys)
		}
		fs.Inject(&errorfs.Rule{Op: errorfs.OpWriteAt, Path: "commitlog/" + segment.Name(0) + "*", Err: syscall.ENOSPC, Times: 1}) // segment 0 (opened as its temporary name); not the zero-fill of the next
		if _, err := l.Append(fieldsFor(5, 1000), nil); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Append = %v", err)
		}
		if l.Wrote() != acked[4]+int64(message.MinRecordLen) && l.Wrote() <= acked[4] {
			t.Fatal("wrote moved")
		}
		end := l.Wrote()
		_ = l.Close() // sticky error expected
		fs.ClearInjectors()
		l, rep := mustOpen(t, fs, "/s/commitlog", cfg, 0)
		defer l.Close()
		if rep.End != end || rep.Records != 5 {
			t.Fatalf("report %v, want end %d", rep, end)
		}
	})
	t.Run("write-staged", func(t *testing.T) {
		// With the stage, the failed pwrite is the flusher's: the records
		// in it are never acknowledged, the error is sticky for appends and
		// waiters, and recovery finds the acknowledged records only.
		fs := errorfs.New()
		cfg := testConfig(segment.WritePwrite, FlushSync)
		l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
		var acked []int64
		for i := 0; i < 5; i++ {
			res, err := l.Append(fieldsFor(i, 1000), nil)
			if err != nil {
				t.Fatal(err)
			}
			acked = append(acked, res.Phys)
		}
		done := make(chan error, 1)
		l.WaitFlushed(l.Appended(), func(err error) { done <- err })
		if err := waitDone(t, done, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		end := l.Flushed()
		fs.Inject(&errorfs.Rule{Op: errorfs.OpWriteAt, Path: "commitlog/" + segment.Name(0) + "*", Err: syscall.ENOSPC, Times: 1}) // segment 0 (opened as its temporary name); not the zero-fill of the next
		res, err := l.Append(fieldsFor(5, 1000), nil)
		if err != nil {
			t.Fatalf("staged Append = %v", err)
		}
		l.WaitFlushed(res.End, func(err error) { done <- err })
		if err := waitDone(t, done, 5*time.Second); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("waiter of the failed write got %v", err)
		}
		if _, err := l.Append(fieldsFor(6, 1000), nil); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Append after the failed write = %v", err)
		}
		if l.Flushed() != end {
			t.Fatalf("Flushed moved from %d to %d", end, l.Flushed())
		}
		_ = l.Close() // sticky error expected
		fs.ClearInjectors()
		l, rep := mustOpen(t, fs, "/s/commitlog", cfg, 0)
		defer l.Close()
		if rep.End != end || rep.Records != 5 {
			t.Fatalf("report %v, want end %d", rep, end)
		}
		for i, p := range acked {
			checkRecord(t, l, p, i, 1000)
		}
	})
}

func TestTornTail(t *testing.T) {
	fs := errorfs.New()
	cfg := testConfig(segment.WritePwrite, FlushSync)
	l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	var phys []int64
	for i := 0; i < 20; i++ {
		res, err := l.Append(fieldsFor(i, 3000), nil)
		if err != nil {
			t.Fatal(err)
		}
		phys = append(phys, res.Phys)
	}
	done := make(chan error, 1)
	l.WaitFlushed(l.Appended(), func(err error) { done <- err })
	if err := waitDone(t, done, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	end := l.Wrote()
	// The first half of a next record, as a torn write leaves it.
	f := fieldsFor(20, 3000)
	f.PhysicalOffset = end
	rec, _ := message.AppendRecord(nil, f)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := fs.OpenReadWrite(filepath.Join("/s/commitlog", segment.Name(0)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.WriteAt(rec[:len(rec)/2], end); err != nil {
		t.Fatal(err)
	}
	_ = file.Sync()
	file.Close()
	l, rep := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	if rep.TornAt != end || rep.End != end || rep.Truncated != int64(len(rec)/2) || rep.Records != 20 || rep.Err() != nil {
		t.Fatalf("report %v, want torn at %d, %d bytes", rep, end, len(rec)/2)
	}
	for i, p := range phys {
		checkRecord(t, l, p, i, 3000)
	}
	l.Close()
	// Reopening again finds a clean end: the torn bytes were zeroed.
	l, rep = mustOpen(t, fs, "/s/commitlog", cfg, 0)
	defer l.Close()
	if rep.TornAt != -1 || rep.End != end {
		t.Fatalf("second reopen %v", rep)
	}
}

// TestPowerLossPartialWriteback: ASYNC_FLUSH, synced records, then unsynced
// ones, then a power loss that writes back a random prefix of the dirty
// pages. Every synced record survives, no torn record is visible, and the
// loss is bounded by the unflushed window.
func TestPowerLossPartialWriteback(t *testing.T) {
	torn := 0
	defer func() {
		if !t.Failed() && torn == 0 {
			t.Error("no seed produced a torn tail: the test lost its point")
		}
	}()
	for seed := int64(1); seed <= 8; seed++ {
		fs := errorfs.New()
		cfg := testConfig(segment.WritePwrite, FlushAsync)
		cfg.FlushInterval = time.Hour
		cfg.FlushLeastPages = 1 << 20
		l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
		var phys []int64
		for i := 0; i < 30; i++ {
			res, err := l.Append(fieldsFor(i, 1500), nil)
			if err != nil {
				t.Fatal(err)
			}
			phys = append(phys, res.Phys)
			if i == 14 {
				if err := l.flushNowForTest(); err != nil || l.Flushed() != res.End {
					t.Fatalf("flush: %v, flushed %d want %d", err, l.Flushed(), res.End)
				}
			}
		}
		synced := l.Flushed()
		fs.Crash(errorfs.CrashOptions{Rand: newRand(seed)})
		_ = l.Close()
		l, rep := mustOpen(t, fs, "/s/commitlog", cfg, 0)
		if rep.End < synced || rep.Err() != nil {
			t.Fatalf("seed %d: %v, synced %d", seed, rep, synced)
		}
		n := 0
		for i, p := range phys {
			if p+1 > rep.End {
				break
			}
			checkRecord(t, l, p, i, 1500)
			n++
		}
		if int64(n) != rep.Records || n < 15 {
			t.Fatalf("seed %d: %d records readable, report %v", seed, n, rep)
		}
		if rep.TornAt >= 0 {
			torn++
		}
		l.Close()
	}
}

// TestSyncFlushPowerLoss: 16 appenders under SYNC_FLUSH; a power loss at a
// random moment; every record whose done(nil) ran survives, in order.
func TestSyncFlushPowerLoss(t *testing.T) {
	for round := 0; round < 4; round++ {
		fs := errorfs.New()
		cfg := testConfig(segment.WritePwrite, FlushSync)
		l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
		var mu sync.Mutex
		acked := map[int64]int{} // phys -> record number
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				done := make(chan error, 1)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					id := w*100000 + i
					res, err := l.Append(fieldsFor(id, 700), nil)
					if err != nil {
						return
					}
					l.WaitFlushed(res.End, func(err error) { done <- err })
					if err := <-done; err != nil {
						return
					}
					mu.Lock()
					acked[res.Phys] = id
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(20+round*15) * time.Millisecond)
		mu.Lock()
		fs.Crash(errorfs.CrashOptions{Rand: newRand(int64(round))})
		snapshot := make(map[int64]int, len(acked))
		for p, id := range acked {
			snapshot[p] = id
		}
		mu.Unlock()
		close(stop)
		wg.Wait()
		_ = l.Close()
		if len(snapshot) == 0 {
			t.Fatal("nothing acknowledged")
		}
		l, rep := mustOpen(t, fs, "/s/commitlog", cfg, 0)
		if rep.Err() != nil {
			t.Fatal(rep.Err())
		}
		for p, id := range snapshot {
			checkRecord(t, l, p, id, 700)
		}
		var prev int64 = -1
		if err := l.Scan(0, func(p int64, rec message.Record) error {
			if p <= prev {
				t.Fatalf("out of order")
			}
			prev = p
			return rec.Check()
		}); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %d acked, recovered %v", round, len(snapshot), rep)
		l.Close()
	}
}

func TestBitFlipMiddle(t *testing.T) {
	fs := errorfs.New()
	cfg := testConfig(segment.WritePwrite, FlushAsync)
	l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	var phys []int64
	for i := 0; i < 50; i++ {
		res, err := l.Append(fieldsFor(i, 20000), nil) // ~1 MiB: crosses a segment
		if err != nil {
			t.Fatal(err)
		}
		phys = append(phys, res.Phys)
	}
	end := l.Wrote()
	l.Close()
	flip := func(phys int64) {
		base := phys / testSeg * testSeg
		file, err := fs.OpenReadWrite(filepath.Join("/s/commitlog", segment.Name(base)))
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		var b [1]byte
		off := phys - base + 200 // in the body
		file.ReadAt(b[:], off)
		b[0] ^= 0x10
		file.WriteAt(b[:], off)
		file.Sync()
	}
	flip(phys[20])
	flip(phys[45])
	l, rep := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	defer l.Close()
	err := rep.Err()
	var ce *CorruptError
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) || len(ce.Ranges) != 2 {
		t.Fatalf("report %v err %v", rep, err)
	}
	if r := ce.Ranges[0]; r.Start != phys[20] || r.End != phys[21] || !message.IsCorruption(r.Err) {
		t.Fatalf("range %+v, want [%d, %d)", r, phys[20], phys[21])
	}
	if r := ce.Ranges[1]; r.Start != phys[45] || r.End != phys[46] {
		t.Fatalf("range %+v, want [%d, %d)", r, phys[45], phys[46])
	}
	if rep.End != end || rep.Records != 48 {
		t.Fatalf("report %v, want end %d and 48 records", rep, end)
	}
	n := 0
	if err := l.Scan(0, func(p int64, rec message.Record) error {
		if p == phys[20] || p == phys[45] {
			t.Fatalf("scan returned the corrupt record at %d", p)
		}
		n++
		return rec.Check()
	}); err != nil {
		t.Fatal(err)
	}
	if n != 48 {
		t.Fatalf("scanned %d", n)
	}
	for i, p := range phys {
		if i != 20 && i != 45 {
			checkRecord(t, l, p, i, 20000)
		}
	}
	// The damaged records keep an intact layout (the flip is in the body):
	// Read must still refuse them.
	for _, p := range []int64{phys[20], phys[45]} {
		if _, _, err := l.Read(p); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Read(%d) in a corrupt range: %v, want ErrCorrupt", p, err)
		}
	}
	if _, err := l.Append(fieldsFor(50, 100), nil); err != nil {
		t.Fatal(err)
	}
}

func TestPinSurvivesDelete(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			fs, dir := testFS(t, mode)
			cfg := testConfig(mode, FlushSync)
			l, _ := mustOpen(t, fs, dir, cfg, 0)
			defer l.Close()
			var phys []int64
			for i := 0; i < 80; i++ { // ~4 segments
				res, err := l.Append(fieldsFor(i, 50<<10), nil)
				if err != nil {
					t.Fatal(err)
				}
				phys = append(phys, res.Phys)
			}
			done := make(chan error, 1)
			l.WaitFlushed(l.Appended(), func(err error) { done <- err })
			if err := waitDone(t, done, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			rec, pin, err := l.Read(phys[0])
			if err != nil {
				t.Fatal(err)
			}
			n, err := l.DeleteSegmentsBefore(2 * testSeg)
			if err != nil || n != 2 {
				t.Fatalf("deleted %d, %v", n, err)
			}
			if l.MinOffset() != 2*testSeg {
				t.Fatalf("MinOffset %d", l.MinOffset())
			}
			if _, _, err := l.Read(phys[0]); !errors.Is(err, ErrOffsetRange) {
				t.Fatalf("Read of deleted = %v", err)
			}
			// The pinned view still reads.
			if err := rec.Check(); err != nil || rec.PhysicalOffset() != 0 {
				t.Fatalf("pinned record: %v", err)
			}
			if _, err := fs.Stat(filepath.Join(dir, segment.Name(0))); err != nil {
				t.Fatalf("pinned segment file gone early: %v", err)
			}
			pin.Release()
			deadline := time.Now().Add(5 * time.Second)
			for {
				if _, err := fs.Stat(filepath.Join(dir, segment.Name(0))); err != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("segment not removed after Release")
				}
				time.Sleep(time.Millisecond)
			}
			// The active segment is never deleted.
			n, _ = l.DeleteSegmentsBefore(1 << 40)
			if len(*l.segs.Load()) != 1 || n == 0 {
				t.Fatalf("left %d segments", len(*l.segs.Load()))
			}
			checkRecord(t, l, phys[79], 79, 50<<10)
		})
	}
}

func TestWaitFlushedEdgeCases(t *testing.T) {
	fs := errorfs.New()
	cfg := testConfig(segment.WritePwrite, FlushSync)
	cfg.SyncFlushTimeout = 50 * time.Millisecond
	cfg.FlushInterval = 10 * time.Millisecond
	l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	done := make(chan error, 4)
	// Already durable: completes on the caller's goroutine.
	l.WaitFlushed(0, func(err error) { done <- err })
	if err := waitDone(t, done, time.Second); err != nil {
		t.Fatal(err)
	}
	// A waiter past Wrote neither spins nor completes until its timeout.
	l.WaitFlushed(1<<30, func(err error) { done <- err })
	if err := waitDone(t, done, 5*time.Second); !errors.Is(err, ErrFlushTimeout) {
		t.Fatalf("future waiter: %v", err)
	}
	// Records nobody waits for are flushed by the interval.
	res, err := l.Append(fieldsFor(0, 100), nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Flushed() < res.End {
		if time.Now().After(deadline) {
			t.Fatal("not flushed by the interval")
		}
		time.Sleep(time.Millisecond)
	}
	// Close completes pending waiters; later ones get ErrClosed.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.WaitFlushed(1<<30, func(err error) { done <- err })
	if err := waitDone(t, done, time.Second); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := l.Append(fieldsFor(1, 10), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
}

func TestWaitFlushedAsync(t *testing.T) {
	cfg := testConfig(segment.WritePwrite, FlushAsync)
	cfg.FlushInterval = 10 * time.Millisecond
	l, _ := mustOpen(t, errorfs.New(), "/s/commitlog", cfg, 0)
	defer l.Close()
	res, err := l.Append(fieldsFor(0, 100), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	l.WaitFlushed(res.End, func(err error) { done <- err })
	if err := waitDone(t, done, 5*time.Second); err != nil || l.Flushed() < res.End {
		t.Fatalf("%v, flushed %d", err, l.Flushed())
	}
}

func TestDataPastEnd(t *testing.T) {
	fs := errorfs.New()
	cfg := testConfig(segment.WritePwrite, FlushAsync)
	l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	for i := 0; i < 30; i++ { // into segment 1
		if _, err := l.Append(fieldsFor(i, 50<<10), nil); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	// Garbage over segment 1 and zeros at the end of segment 0 (its filler
	// and last records lost): nothing valid after the hole, so the end of
	// segment 0 is a torn tail, and segment 1 holds data past it. Open
	// refuses rather than deleting it.
	f, _ := fs.OpenReadWrite(filepath.Join("/s/commitlog", segment.Name(testSeg)))
	garbage := make([]byte, 600<<10) // over every record of segment 1
	for i := range garbage {
		garbage[i] = 0xFF
	}
	f.WriteAt(garbage, 0)
	f.Close()
	f, _ = fs.OpenReadWrite(filepath.Join("/s/commitlog", segment.Name(0)))
	f.WriteAt(make([]byte, 200<<10), testSeg-200<<10)
	f.Close()
	l, rep, err := Open(fs, "/s/commitlog", cfg, 0)
	if !errors.Is(err, ErrDataPastEnd) {
		if l != nil {
			l.Close()
		}
		t.Fatalf("Open = %v (%v), want ErrDataPastEnd", err, rep)
	}
}

// TestConcurrentReadAppendDelete: readers read and scan below Wrote while a
// writer appends and rolls and retention deletes; run under -race.
func TestConcurrentReadAppendDelete(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			fs, dir := testFS(t, mode)
			cfg := testConfig(mode, FlushAsync)
			cfg.FlushInterval = 5 * time.Millisecond
			l, _ := mustOpen(t, fs, dir, cfg, 0)
			defer l.Close()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for r := 0; r < 2; r++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						from := l.MinOffset()
						err := l.Scan(from, func(p int64, rec message.Record) error {
							if rec.PhysicalOffset() != p {
								return errors.New("phys mismatch")
							}
							return rec.Check()
						})
						if err != nil && !errors.Is(err, ErrOffsetRange) {
							t.Error(err)
							return
						}
					}
				}()
			}
			for i := 0; i < 400; i++ {
				if _, err := l.Append(fieldsFor(i, 10<<10), nil); err != nil {
					t.Fatal(err)
				}
				if i%100 == 99 {
					if _, err := l.DeleteSegmentsBefore(l.Flushed()); err != nil {
						t.Fatal(err)
					}
				}
			}
			close(stop)
			wg.Wait()
		})
	}
}

func TestSyncAppendWaitAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are not meaningful under -race")
	}
	cfg := testConfig(segment.WritePwrite, FlushSync)
	l, _ := mustOpen(t, errorfs.New(), "/s/commitlog", cfg, 0)
	defer l.Close()
	f := fieldsFor(1, 1024)
	done := make(chan error, 1)
	cb := func(err error) { done <- err }
	if a := testing.AllocsPerRun(300, func() {
		res, err := l.Append(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		l.WaitFlushed(res.End, cb)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Fatalf("Append+WaitFlushed: %v allocs", a)
	}
}

// TestLostFillerRepaired: a power loss can keep the next segment's pages
// while losing the page with the previous segment's filler (write-back
// order between files is the kernel's). Only zeros follow the last record
// there, so recovery puts the filler back and keeps every record of both
// segments. (Found by TestSyncFlushPowerLoss with partial write-back.)
func TestLostFillerRepaired(t *testing.T) {
	fs := errorfs.New()
	cfg := testConfig(segment.WritePwrite, FlushSync)
	l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	size := int64(cfg.SegmentSize)
	var phys []int64
	fillerAt := int64(-1)
	for i := 0; len(phys) == 0 || phys[len(phys)-1] < size+20000; i++ {
		res, err := l.Append(fieldsFor(i, 3000), nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(phys); n > 0 && phys[n-1] < size && res.Phys >= size {
			prev, _, err := l.Read(phys[n-1])
			if err != nil {
				t.Fatal(err)
			}
			fillerAt = phys[n-1] + int64(prev.TotalSize())
		}
		phys = append(phys, res.Phys)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := fs.OpenReadWrite(filepath.Join("/s/commitlog", segment.Name(0)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.WriteAt(make([]byte, message.FillerSize), fillerAt); err != nil {
		t.Fatal(err)
	}
	_ = file.Sync()
	file.Close()

	l, rep := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	if rep.FillersRepaired != 1 || rep.Err() != nil || rep.Records != int64(len(phys)) || rep.TornAt != -1 {
		t.Fatalf("report %+v, want 1 repaired filler and %d records", rep, len(phys))
	}
	for i, p := range phys {
		checkRecord(t, l, p, i, 3000)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// The repair is durable: a second recovery finds the filler.
	l, rep = mustOpen(t, fs, "/s/commitlog", cfg, 0)
	if rep.FillersRepaired != 0 || rep.Records != int64(len(phys)) {
		t.Fatalf("second report %+v", rep)
	}
	_ = l.Close()
}
