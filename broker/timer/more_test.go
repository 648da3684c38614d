package timer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/vfs/errorfs"
	"github.com/quivermq/quiver/internal/testutil"
)

// Add on one goroutine, Run delivering on another, Sync and Stats on a
// third: every entry delivered once (run it under -race).
func TestConcurrentAddAndRun(t *testing.T) {
	cfg := testConfig("/timer", errorfs.New(), newClock())
	cfg.Clock = time.Now
	cfg.Precision = 10 * time.Millisecond
	cfg.MaxDelay, cfg.Slack = time.Minute, 10*time.Second
	w := mustOpen(t, cfg)
	const n = 20_000
	var mu sync.Mutex
	count := make([]int, n)
	deliver := func(b []Entry) error {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range b {
			count[e.QueueOffset]++
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- w.Run(ctx, deliver) }()
	stop := make(chan struct{})
	var side sync.WaitGroup
	side.Add(1)
	go func() {
		defer side.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := w.Sync(); err != nil {
				t.Error(err)
				return
			}
			_ = w.Stats()
			time.Sleep(3 * time.Millisecond)
		}
	}()
	for i := range int64(n) {
		at := time.Now().Add(time.Duration(i%300) * time.Millisecond)
		if i%1000 == 999 {
			at = time.Now().Add(-time.Second) // past due
		}
		if err := w.Add(entryAt(i, at)); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return w.Pending() == 0 }, "all delivered")
	close(stop)
	side.Wait()
	cancel()
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for i, c := range count {
		if c != 1 {
			t.Fatalf("entry %d delivered %d times", i, c)
		}
	}
}

// An unreadable entry below the durable end is skipped by recovery; the
// other entries of its slot are relinked and still delivered.
func TestCorruptEntrySkipped(t *testing.T) {
	clk := newClock()
	fs := errorfs.New()
	cfg := testConfig("/timer", fs, clk)
	w := mustOpen(t, cfg)
	for i := range int64(10) {
		if err := w.Add(entryAt(i, t0.Add(30*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := fs.OpenReadWrite("/timer/log/00000000000000000000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff}, 4*entrySize+5); err != nil { // entry 4
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	w = mustOpen(t, cfg)
	if st := w.Stats(); st.Corrupt != 1 || st.Pending != 9 {
		t.Fatalf("after reopen: %+v", st)
	}
	r := newRecorder(clk)
	tickThrough(t, w, clk, r, t0.Add(31*time.Second))
	if len(r.got) != 9 || r.count[4] != 0 {
		t.Fatalf("delivered %v", r.count)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The relink was made durable: a second reopen agrees.
	w = mustOpen(t, cfg)
	defer w.Close()
	if st := w.Stats(); st.Corrupt != 1 || st.Pending != 0 {
		t.Fatalf("second reopen: %+v", st)
	}
}

// After a downtime longer than the span, the first Tick delivers every
// pending entry at once, in slot order.
func TestCatchUpAfterLongDowntime(t *testing.T) {
	clk := newClock()
	cfg := testConfig("/timer", errorfs.New(), clk)
	w := mustOpen(t, cfg)
	for i := range int64(3000) {
		if err := w.Add(entryAt(i, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(5 * 24 * time.Hour)
	w = mustOpen(t, cfg)
	defer w.Close()
	if err := w.Add(entryAt(5000, clk.Now().Add(time.Second))); err != nil { // a new one, due after the backlog
		t.Fatal(err)
	}
	r := newRecorder(clk)
	n, err := w.Tick(clk.Now(), r.deliver)
	if err != nil || n != 3000 {
		t.Fatalf("catch-up Tick = %d, %v", n, err)
	}
	for i := 1; i < len(r.got); i++ {
		if r.got[i].DeliverAtMs < r.got[i-1].DeliverAtMs {
			t.Fatalf("catch-up out of order at %d", i)
		}
	}
	if n, err := w.Tick(clk.Advance(time.Second), r.deliver); err != nil || n != 1 {
		t.Fatalf("next Tick = %d, %v", n, err)
	}
}

// Close between two batches of one long slot: after reopening, delivery
// resumes inside the slot; every entry is delivered exactly once.
func TestCloseMidSlotResumes(t *testing.T) {
	clk := newClock()
	fs := errorfs.New()
	cfg := testConfig("/timer", fs, clk)
	w := mustOpen(t, cfg)
	const n = 1000 // one slot, 16 batches of 64
	for i := range int64(n) {
		if err := w.Add(entryAt(i, t0.Add(5*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	r := newRecorder(clk)
	calls := 0
	deliver := func(b []Entry) error {
		calls++
		if calls > 5 {
			return errDeliver
		}
		return r.deliver(b)
	}
	now := clk.Advance(5 * time.Second)
	if _, err := w.Tick(now, deliver); !errors.Is(err, errDeliver) {
		t.Fatalf("Tick = %v", err)
	}
	if len(r.got) != 5*64 || w.Pending() != n-5*64 {
		t.Fatalf("delivered %d, pending %d", len(r.got), w.Pending())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = mustOpen(t, cfg)
	defer w.Close()
	if ck := w.Durable(); ck.PartialLeft != n-5*64 {
		t.Fatalf("checkpoint %+v", ck)
	}
	if w.Pending() != n-5*64 {
		t.Fatalf("pending after reopen %d", w.Pending())
	}
	if err := w.Add(entryAt(n, t0)); err != nil { // past due: goes after the half-delivered slot
		t.Fatal(err)
	}
	tickThrough(t, w, clk, r, now.Add(2*time.Second))
	for i := range int64(n + 1) {
		if r.count[i] != 1 {
			t.Fatalf("entry %d delivered %d times", i, r.count[i])
		}
	}
	if st := w.Stats(); st.Pending != 0 || st.SlotsInUse != 0 {
		t.Fatalf("stats %+v", st)
	}
}
