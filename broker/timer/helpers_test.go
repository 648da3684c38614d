package timer

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/vfs"
)

// t0 is the fake clock's start: a whole second.
var t0 = time.UnixMilli(1_700_000_000_000)

// fakeClock is an injectable clock the tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testConfig is a small wheel: 1 h max delay, 10 min slack, 1 s slots,
// 512-entry segments, batches of 64.
func testConfig(dir string, fs vfs.FS, clk *fakeClock) Config {
	return Config{
		Dir:         dir,
		FS:          fs,
		MaxDelay:    time.Hour,
		Slack:       10 * time.Minute,
		Precision:   time.Second,
		SegmentSize: 2 * segmentQuantum,
		MaxBatch:    64,
		Clock:       clk.Now,
		Logger:      quietLogger(),
	}
}

func mustOpen(tb testing.TB, cfg Config) *Wheel {
	tb.Helper()
	w, err := Open(cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return w
}

// recorder is a deliver func that remembers what it got and when.
type recorder struct {
	clk   *fakeClock
	got   []Entry
	at    []time.Time
	count map[int64]int // by queue offset
	fail  int           // fail this many calls first
	calls int
}

func newRecorder(clk *fakeClock) *recorder {
	return &recorder{clk: clk, count: map[int64]int{}}
}

func (r *recorder) deliver(batch []Entry) error {
	r.calls++
	if r.fail > 0 {
		r.fail--
		return errDeliver
	}
	now := r.clk.Now()
	for _, e := range batch {
		r.got = append(r.got, e)
		r.at = append(r.at, now)
		r.count[e.QueueOffset]++
	}
	return nil
}

type deliverError struct{}

func (deliverError) Error() string { return "test: deliver failed" }

var errDeliver error = deliverError{}

// tickThrough ticks once per second from the clock's now until until
// (inclusive), failing the test on a Tick error.
func tickThrough(tb testing.TB, w *Wheel, clk *fakeClock, r *recorder, until time.Time) {
	tb.Helper()
	for now := clk.Now(); !now.After(until); now = clk.Advance(time.Second) {
		if _, err := w.Tick(now, r.deliver); err != nil {
			tb.Fatalf("Tick(%v): %v", now.Sub(t0), err)
		}
	}
}

func entryAt(qo int64, at time.Time) Entry {
	return Entry{DeliverAtMs: at.UnixMilli(), Phys: qo * 100, Size: int32(qo%1000 + 1), QueueOffset: qo}
}
