package timer

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
	"github.com/quivermq/quiver/internal/testutil"
)

func TestFormatRoundTrip(t *testing.T) {
	e := logEntry{Entry: Entry{DeliverAtMs: 1, Phys: 2, Size: 3, QueueOffset: 4}, slotMs: 5, prevPos: -1}
	var b [entrySize]byte
	encodeEntry(b[:], &e)
	got, ok := decodeEntry(b[:])
	if !ok || got != e {
		t.Fatalf("decode = %+v, %v; want %+v", got, ok, e)
	}
	b[3] ^= 1
	if _, ok := decodeEntry(b[:]); ok {
		t.Fatal("a flipped bit decoded")
	}
	var zero [entrySize]byte
	if _, ok := decodeEntry(zero[:]); ok {
		t.Fatal("a zero entry decoded")
	}
	buf := make([]byte, ckptRecordSize)
	g := geometry{1000, 4200, 24576}
	c := Checkpoint{QueueOffset: 7, LogEnd: 480, DeliveredMs: 123000, DeliveredTotal: 9}
	encodeCheckpoint(buf, 3, g, c)
	seq, g2, c2, ok := decodeCheckpoint(buf)
	if !ok || seq != 3 || g2 != g || c2 != c {
		t.Fatalf("checkpoint round trip: %d %+v %+v %v", seq, g2, c2, ok)
	}
}

func TestConfigValidate(t *testing.T) {
	base := DefaultConfig("/x")
	if err := base.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for name, mut := range map[string]func(*Config){
		"no dir":        func(c *Config) { c.Dir = "" },
		"precision":     func(c *Config) { c.Precision = 1500 * time.Microsecond },
		"segment size":  func(c *Config) { c.SegmentSize = 4096 },
		"max batch":     func(c *Config) { c.MaxBatch = -1 },
		"short delay":   func(c *Config) { c.MaxDelay = time.Millisecond },
		"retry reverse": func(c *Config) { c.RetryMax = time.Millisecond },
	} {
		c := base
		mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate = %v, want ErrInvalidConfig", name, err)
		}
	}
}

// Entries added out of time order come out in time order, each in the
// tick of its second (never before its time, at most one Precision
// after).
func TestDeliverInTimeOrder(t *testing.T) {
	clk := newClock()
	w := mustOpen(t, testConfig("/timer", errorfs.New(), clk))
	defer w.Close()
	delays := []time.Duration{5 * time.Second, 1500 * time.Millisecond, 3 * time.Second, 3*time.Second + 200*time.Millisecond,
		2 * time.Second, 59 * time.Minute, 3*time.Second + 100*time.Millisecond, 10 * time.Second}
	for i, d := range delays {
		if err := w.Add(entryAt(int64(i), t0.Add(d))); err != nil {
			t.Fatal(err)
		}
	}
	if w.Pending() != int64(len(delays)) {
		t.Fatalf("Pending = %d", w.Pending())
	}
	r := newRecorder(clk)
	tickThrough(t, w, clk, r, t0.Add(time.Hour))
	if len(r.got) != len(delays) {
		t.Fatalf("delivered %d, want %d", len(r.got), len(delays))
	}
	for i, e := range r.got {
		due := time.UnixMilli(e.DeliverAtMs)
		if r.at[i].Before(due) || r.at[i].Sub(due) >= time.Second {
			t.Errorf("entry %d due %v delivered at %v", e.QueueOffset, due.Sub(t0), r.at[i].Sub(t0))
		}
		if i > 0 && e.DeliverAtMs < r.got[i-1].DeliverAtMs {
			t.Errorf("out of order: %d after %d", e.DeliverAtMs, r.got[i-1].DeliverAtMs)
		}
		if e != entryAt(e.QueueOffset, due) {
			t.Errorf("entry came back changed: %+v", e)
		}
	}
	if st := w.Stats(); st.Pending != 0 || st.DeliveredTotal != int64(len(delays)) || st.SlotsInUse != 0 {
		t.Fatalf("stats after delivery: %+v", st)
	}
}

func TestPastDueDeliveredAtOnce(t *testing.T) {
	clk := newClock()
	w := mustOpen(t, testConfig("/timer", errorfs.New(), clk))
	defer w.Close()
	r := newRecorder(clk)
	now := clk.Advance(30 * time.Second)
	tickThrough(t, w, clk, r, now) // delivery is at now
	for i, at := range []time.Time{t0.Add(-time.Hour), now.Add(-10 * time.Second), now, now.Add(-time.Millisecond)} {
		if err := w.Add(entryAt(int64(i), at)); err != nil {
			t.Fatal(err)
		}
	}
	// The slot of now was already started: past-due entries go to the
	// next one, delivered by the next tick.
	n, err := w.Tick(now.Add(time.Second), r.deliver)
	if err != nil || n != 4 {
		t.Fatalf("Tick = %d, %v; want 4", n, err)
	}
}

func TestBeyondMaxDelayRefused(t *testing.T) {
	clk := newClock()
	cfg := testConfig("/timer", errorfs.New(), clk)
	w := mustOpen(t, cfg)
	defer w.Close()
	if err := w.Add(entryAt(1, t0.Add(cfg.MaxDelay+time.Millisecond))); !errors.Is(err, ErrBeyondMaxDelay) {
		t.Fatalf("Add beyond MaxDelay = %v", err)
	}
	if err := w.Add(entryAt(1, t0.Add(cfg.MaxDelay))); err != nil {
		t.Fatalf("Add at MaxDelay = %v", err)
	}
	if w.Pending() != 1 {
		t.Fatalf("Pending = %d", w.Pending())
	}
}

func TestAddSkipsAlreadyAdded(t *testing.T) {
	clk := newClock()
	w := mustOpen(t, testConfig("/timer", errorfs.New(), clk))
	defer w.Close()
	for _, qo := range []int64{3, 4, 4, 2, 5} {
		if err := w.Add(entryAt(qo, t0.Add(time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	if st := w.Stats(); st.Added != 3 || st.Skipped != 2 {
		t.Fatalf("added %d skipped %d", st.Added, st.Skipped)
	}
}

// Delivery that lags by more than Slack makes Add refuse entries whose
// slot still holds undelivered ones, instead of overwriting them.
func TestBusyWhenDeliveryLags(t *testing.T) {
	clk := newClock()
	cfg := testConfig("/timer", errorfs.New(), clk)
	cfg.MaxDelay, cfg.Slack = 60*time.Second, 10*time.Second // 70 slots
	w := mustOpen(t, cfg)
	defer w.Close()
	if err := w.Add(entryAt(1, t0.Add(5*time.Second))); err != nil {
		t.Fatal(err)
	}
	clk.Advance(65 * time.Second)
	if err := w.Add(entryAt(2, t0.Add(75*time.Second))); !errors.Is(err, ErrBusy) {
		t.Fatalf("Add into an undelivered slot = %v, want ErrBusy", err)
	}
	r := newRecorder(clk)
	if _, err := w.Tick(clk.Now(), r.deliver); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(entryAt(2, t0.Add(75*time.Second))); err != nil {
		t.Fatalf("Add after catch-up = %v", err)
	}
	tickThrough(t, w, clk, r, t0.Add(80*time.Second))
	if len(r.got) != 2 || r.count[1] != 1 || r.count[2] != 1 {
		t.Fatalf("delivered %v", r.count)
	}
}

// A slot holding many more entries than MaxBatch is delivered in batches,
// each entry once.
func TestLongSlotChain(t *testing.T) {
	clk := newClock()
	w := mustOpen(t, testConfig("/timer", errorfs.New(), clk))
	defer w.Close()
	const n = 1000
	for i := range int64(n) {
		if err := w.Add(entryAt(i, t0.Add(7*time.Second+time.Duration(i%500)*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
	}
	r := newRecorder(clk)
	var sizes []int
	deliver := func(b []Entry) error { sizes = append(sizes, len(b)); return r.deliver(b) }
	for now := clk.Now(); now.Before(t0.Add(10 * time.Second)); now = clk.Advance(time.Second) {
		if _, err := w.Tick(now, deliver); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.count) != n {
		t.Fatalf("delivered %d distinct, want %d", len(r.count), n)
	}
	for qo, c := range r.count {
		if c != 1 {
			t.Fatalf("entry %d delivered %d times", qo, c)
		}
	}
	for _, s := range sizes {
		if s > 64 {
			t.Fatalf("batch of %d > MaxBatch", s)
		}
	}
}

// 100k entries spread over the whole span, each delivered exactly once, at
// its second; the log is reclaimed as delivery passes.
func TestManyEntriesExactlyOnce(t *testing.T) {
	clk := newClock()
	cfg := testConfig("/timer", errorfs.New(), clk)
	w := mustOpen(t, cfg)
	defer w.Close()
	const n = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	due := make([]int64, n)
	for i := range int64(n) {
		at := t0.Add(time.Duration(rng.Int64N(int64(cfg.MaxDelay))))
		due[i] = at.UnixMilli()
		if err := w.Add(entryAt(i, at)); err != nil {
			t.Fatal(err)
		}
	}
	st := w.Stats()
	if st.Pending != n || st.LogSegments < n/512 {
		t.Fatalf("after adding: %+v", st)
	}
	seen := make([]uint8, n)
	var last int64
	deliver := func(b []Entry) error {
		now := clk.Now().UnixMilli()
		for _, e := range b {
			seen[e.QueueOffset]++
			if e.DeliverAtMs != due[e.QueueOffset] || now < e.DeliverAtMs || now-e.DeliverAtMs >= 1000 {
				t.Errorf("entry %d due %d delivered at %d", e.QueueOffset, e.DeliverAtMs, now)
			}
			if ceilTo(e.DeliverAtMs, 1000) < last {
				t.Errorf("slot order broken at entry %d", e.QueueOffset)
			}
			last = ceilTo(e.DeliverAtMs, 1000)
		}
		return nil
	}
	for now := clk.Now(); !now.After(t0.Add(cfg.MaxDelay + time.Second)); now = clk.Advance(time.Second) {
		if _, err := w.Tick(now, deliver); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("entry %d delivered %d times", i, c)
		}
	}
	st = w.Stats()
	if st.Pending != 0 || st.DeliveredTotal != n || st.SlotsInUse != 0 {
		t.Fatalf("after delivery: %+v", st)
	}
	if st.LogSegments > 1 || st.ReclaimedSegments < n/512 {
		t.Fatalf("log not reclaimed: %d segments left, %d reclaimed", st.LogSegments, st.ReclaimedSegments)
	}
}

// Segments go once all their entries are delivered, not before.
func TestSegmentsReclaimed(t *testing.T) {
	clk := newClock()
	fs := errorfs.New()
	w := mustOpen(t, testConfig("/timer", fs, clk))
	defer w.Close()
	// Segment 0: 512 entries due in 10 s, but its last entry is due in
	// 100 s, which pins it. Segment 1: entries due in 20 s.
	for i := range int64(1024) {
		at := t0.Add(10 * time.Second)
		if i == 511 {
			at = t0.Add(100 * time.Second)
		} else if i >= 512 {
			at = t0.Add(20 * time.Second)
		}
		if err := w.Add(entryAt(i, at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Add(entryAt(2000, t0.Add(30*time.Minute))); err != nil { // segment 2, active
		t.Fatal(err)
	}
	r := newRecorder(clk)
	list := func() []int64 {
		b, err := segment.List(fs, "/timer/log")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// The list also shows the segment the allocator prepared past the
	// active one (49152).
	tickThrough(t, w, clk, r, t0.Add(30*time.Second))
	if got := list(); len(got) < 2 || got[0] != 0 || got[1] != 49152 {
		t.Fatalf("after 30 s: segments %v, want 0 (pinned) and the active one", got)
	}
	tickThrough(t, w, clk, r, t0.Add(101*time.Second))
	if got := list(); got[0] != 49152 {
		t.Fatalf("after 101 s: segments %v, want only the active one", got)
	}
	if st := w.Stats(); st.LogSegments != 1 || st.ReclaimedSegments != 2 {
		t.Fatalf("stats: %+v", st)
	}
	if len(r.count) != 1024 {
		t.Fatalf("delivered %d", len(r.count))
	}
}

// A failing deliver is retried with the same entries: none is skipped and
// none is counted delivered before deliver succeeds.
func TestDeliverFailureRetried(t *testing.T) {
	clk := newClock()
	w := mustOpen(t, testConfig("/timer", errorfs.New(), clk))
	defer w.Close()
	for i := range int64(200) {
		if err := w.Add(entryAt(i, t0.Add(time.Duration(1+i%3)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	r := newRecorder(clk)
	r.fail = 3
	now := clk.Advance(5 * time.Second)
	for i := 0; i < 3; i++ {
		if _, err := w.Tick(now, r.deliver); !errors.Is(err, errDeliver) {
			t.Fatalf("Tick %d = %v, want the deliver error", i, err)
		}
		if w.Pending() != 200 {
			t.Fatalf("Pending = %d after a failed deliver", w.Pending())
		}
	}
	if n, err := w.Tick(now, r.deliver); err != nil || n != 200 {
		t.Fatalf("Tick = %d, %v", n, err)
	}
	for i := range int64(200) {
		if r.count[i] != 1 {
			t.Fatalf("entry %d delivered %d times", i, r.count[i])
		}
	}
	if st := w.Stats(); st.DeliverErrors != 3 || st.Pending != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

// Run ticks on its own, backs off after a failed deliver and retries.
func TestRunRetriesWithBackoff(t *testing.T) {
	cfg := testConfig(t.TempDir(), vfs.Default, newClock())
	cfg.Clock = time.Now
	cfg.Precision = 20 * time.Millisecond
	cfg.RetryMin, cfg.RetryMax = 5*time.Millisecond, 20*time.Millisecond
	w := mustOpen(t, cfg)
	now := time.Now()
	for i := range int64(50) {
		if err := w.Add(entryAt(i, now.Add(time.Duration(i)*2*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	count := map[int64]int{}
	var fails atomic.Int32
	deliver := func(b []Entry) error {
		if fails.Add(1) <= 3 {
			return errDeliver
		}
		mu.Lock()
		defer mu.Unlock()
		for _, e := range b {
			count[e.QueueOffset]++
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, deliver) }()
	testutil.Eventually(t, 5*time.Second, func() bool { return w.Pending() == 0 }, "all delivered")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range int64(50) {
		if count[i] != 1 {
			t.Fatalf("entry %d delivered %d times", i, count[i])
		}
	}
}

// Close, reopen, re-add from the checkpoint: nothing lost, nothing twice.
func TestRestartMidway(t *testing.T) {
	clk := newClock()
	fs := errorfs.New()
	cfg := testConfig("/timer", fs, clk)
	w := mustOpen(t, cfg)
	const n = 5000
	rng := rand.New(rand.NewPCG(3, 4))
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = entryAt(int64(i), t0.Add(time.Duration(rng.Int64N(int64(20*time.Minute)))))
	}
	for _, e := range entries[:3000] {
		if err := w.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	r := newRecorder(clk)
	tickThrough(t, w, clk, r, t0.Add(5*time.Minute))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(entries[3000]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close = %v", err)
	}
	clk.Advance(3 * time.Minute) // down for a while: catch-up on restart

	w = mustOpen(t, cfg)
	defer w.Close()
	ck := w.Durable()
	if ck.QueueOffset != 2999 {
		t.Fatalf("durable queue offset %d, want 2999", ck.QueueOffset)
	}
	if want := int64(3000 - len(r.got)); w.Pending() != want {
		t.Fatalf("Pending after reopen = %d, want %d", w.Pending(), want)
	}
	for _, e := range entries { // the broker re-adds from the start: Add skips the old ones
		if err := w.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	tickThrough(t, w, clk, r, t0.Add(21*time.Minute))
	for i := range int64(n) {
		if r.count[i] != 1 {
			t.Fatalf("entry %d delivered %d times", i, r.count[i])
		}
	}
}

func TestOpenMismatchAndLock(t *testing.T) {
	clk := newClock()
	fs := errorfs.New()
	cfg := testConfig("/timer", fs, clk)
	w := mustOpen(t, cfg)
	if _, err := Open(cfg); !errors.Is(err, vfs.ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.Precision = 500 * time.Millisecond
	if _, err := Open(cfg); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Open with another precision = %v, want ErrMismatch", err)
	}
}
