package timer

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
)

// crashPoint is the state of a history at a simulated power loss.
type crashPoint struct {
	fs        *errorfs.FS
	now       time.Time
	added     int           // entries[:added] were passed to Add
	delivered map[int64]int // what deliver had accepted by then
	durable   Checkpoint    // the last checkpoint the wheel reported
}

// A power loss at many points of a history (adds, syncs, deliveries, segment
// deletions), some with write-back cut short at random pages: after
// reopening and re-adding from the checkpoint, every entry added before
// the crash is delivered, no entry twice after the restart, and only
// entries whose slot the checkpoint had not passed come again.
func TestCrashLosesNothingCounted(t *testing.T) {
	clk := newClock()
	fs := errorfs.New()
	cfg := testConfig("/timer", fs, clk)
	cfg.MaxBatch = 2 // slots split into batches: crashes inside a slot
	w := mustOpen(t, cfg)
	rng := rand.New(rand.NewPCG(5, 6))
	const perSec, secs = 8, 400
	entries := make([]Entry, perSec*secs)
	for i := range entries {
		// Due 1 s to 5 min after the second it is added in: never past due.
		addSec := i / perSec
		d := time.Second + time.Duration(rng.Int64N(int64(5*time.Minute)))
		entries[i] = entryAt(int64(i), t0.Add(time.Duration(addSec)*time.Second+d))
	}
	r := newRecorder(clk)
	calls := 0
	flaky := func(b []Entry) error {
		if calls++; calls%5 == 0 {
			return errDeliver
		}
		return r.deliver(b)
	}
	var points []crashPoint
	added := 0
	for sec := 0; sec < secs+320; sec++ {
		now := t0.Add(time.Duration(sec) * time.Second)
		clk.Set(now)
		for ; added < len(entries) && added < (sec+1)*perSec; added++ {
			if err := w.Add(entries[added]); err != nil {
				t.Fatal(err)
			}
			if added%97 == 0 { // mid-second crash points, between adds
				points = append(points, crashPoint{fs: fs.CrashClone(errorfs.CrashOptions{}), now: now, added: added + 1,
					delivered: maps.Clone(r.count), durable: w.Durable()})
			}
		}
		if sec%7 == 0 {
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
		}
		if sec%3 != 0 { // some seconds deliver nothing: delivery lags a little
			// Every 5th deliver fails: Tick stops, often inside a slot
			// split into batches, and the next Sync records that.
			if _, err := w.Tick(now, flaky); err != nil && !errors.Is(err, errDeliver) {
				t.Fatal(err)
			}
		}
		if sec%23 == 0 {
			opts := errorfs.CrashOptions{}
			if sec%2 == 0 {
				opts.Rand = rand.New(rand.NewPCG(uint64(sec), 7))
			}
			points = append(points, crashPoint{fs: fs.CrashClone(opts), now: now, added: added,
				delivered: maps.Clone(r.count), durable: w.Durable()})
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(r.count) != len(entries) {
		t.Fatalf("the history itself delivered %d of %d", len(r.count), len(entries))
	}

	partial := 0
	for pi, p := range points {
		clk.Set(p.now)
		cfg := testConfig("/timer", p.fs, clk)
		cfg.MaxBatch = 2
		w, err := Open(cfg)
		if err != nil {
			t.Fatalf("point %d: Open after crash: %v", pi, err)
		}
		ck := w.Durable()
		if ck.PartialLeft > 0 {
			partial++
		}
		if ck.QueueOffset < p.durable.QueueOffset || ck.DeliveredMs < p.durable.DeliveredMs {
			t.Fatalf("point %d: checkpoint went back: %+v, had %+v", pi, ck, p.durable)
		}
		if ck.QueueOffset >= int64(p.added) {
			t.Fatalf("point %d: checkpoint counts %d, only %d added", pi, ck.QueueOffset, p.added)
		}
		for _, e := range entries[ck.QueueOffset+1 : p.added] {
			if err := w.Add(e); err != nil {
				t.Fatalf("point %d: re-add: %v", pi, err)
			}
		}
		r2 := newRecorder(clk)
		tickThrough(t, w, clk, r2, t0.Add(time.Duration(secs+320)*time.Second))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		for i := range int64(p.added) {
			before, after := p.delivered[i], r2.count[i]
			switch {
			case after > 1:
				t.Fatalf("point %d: entry %d delivered %d times after the restart", pi, i, after)
			case before+after == 0:
				t.Fatalf("point %d: entry %d lost (durable %+v)", pi, i, ck)
			case before == 1 && after == 1 && ceilTo(entries[i].DeliverAtMs, 1000) < ck.DeliveredMs:
				t.Fatalf("point %d: entry %d delivered again though the checkpoint passed its slot", pi, i)
			}
		}
		if st := w.Stats(); st.Corrupt != 0 || st.Lost != 0 {
			t.Fatalf("point %d: corrupt %d lost %d", pi, st.Corrupt, st.Lost)
		}
	}
	t.Logf("%d crash points checked, %d of them inside a slot delivered in batches", len(points), partial)
	if partial == 0 {
		t.Error("no crash point fell inside a slot split into batches")
	}
}

// A failed log fdatasync is sticky: nothing more is added or counted, and
// Run stops with the error.
func TestSyncErrorIsSticky(t *testing.T) {
	clk := newClock()
	fs := errorfs.New()
	w := mustOpen(t, testConfig("/timer", fs, clk))
	defer w.Close()
	if err := w.Add(entryAt(1, t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	// The first log segment only (opened under its temporary name, hence
	// the *): the allocator syncs the next segment in the background, and
	// "log/*" could fire there instead.
	fs.Inject(&errorfs.Rule{Op: errorfs.OpSync, Path: "log/" + segment.Name(0) + "*", Err: syscall.EIO, Times: 1})
	if err := w.Add(entryAt(2, t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Sync = %v, want EIO", err)
	}
	if err := w.Add(entryAt(3, t0.Add(time.Minute))); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Add after a failed sync = %v, want the sticky EIO", err)
	}
	if got := w.Durable().QueueOffset; got != 1 {
		t.Fatalf("durable queue offset %d, want 1", got)
	}
	if err := w.Run(context.Background(), func([]Entry) error { return nil }); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Run = %v, want EIO", err)
	}
}

// A write error of the checkpoint record keeps the previous record: a
// crash then reopens at the older checkpoint.
func TestTornCheckpointKeepsPrevious(t *testing.T) {
	clk := newClock()
	fs := errorfs.New()
	cfg := testConfig("/timer", fs, clk)
	w := mustOpen(t, cfg)
	for i := range int64(10) {
		if err := w.Add(entryAt(i, t0.Add(time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(entryAt(10, t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	fs.Inject(&errorfs.Rule{Op: errorfs.OpWriteAt, Path: "checkpoint", Err: syscall.EIO})
	if err := w.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Sync = %v", err)
	}
	fs.ClearInjectors()
	fs.Crash(errorfs.CrashOptions{})
	_ = w.Close() // the files died with the crash; Close releases the handles
	w = mustOpen(t, cfg)
	defer w.Close()
	if ck := w.Durable(); ck.QueueOffset != 9 || w.Pending() != 10 {
		t.Fatalf("after crash: %+v, pending %d", ck, w.Pending())
	}
}
