package stats

import (
	"sync/atomic"
	"time"
)

// Counters are the cumulative message, byte and failure counts of a run.
// Safe for concurrent use.
type Counters struct {
	msgs  atomic.Int64
	bytes atomic.Int64
	fails atomic.Int64
}

// Add counts n messages of nbytes body bytes in total.
func (c *Counters) Add(n, nbytes int64) {
	c.msgs.Add(n)
	c.bytes.Add(nbytes)
}

// Fail counts n failed messages.
func (c *Counters) Fail(n int64) { c.fails.Add(n) }

// Load returns the current totals.
func (c *Counters) Load() Totals {
	return Totals{Msgs: c.msgs.Load(), Bytes: c.bytes.Load(), Fails: c.fails.Load()}
}

// Reset zeroes the counters (the end of a warm-up). Adds racing with Reset
// land on either side of it.
func (c *Counters) Reset() {
	c.msgs.Store(0)
	c.bytes.Store(0)
	c.fails.Store(0)
}

// Totals is a snapshot of Counters.
type Totals struct {
	Msgs, Bytes, Fails int64
}

// Sub returns t - o.
func (t Totals) Sub(o Totals) Totals {
	return Totals{Msgs: t.Msgs - o.Msgs, Bytes: t.Bytes - o.Bytes, Fails: t.Fails - o.Fails}
}

// Rates are per-second rates over an interval.
type Rates struct {
	MsgsPerSec  float64 // messages per second
	MBPerSec    float64 // body megabytes (10^6 bytes) per second
	FailsPerSec float64 // failed messages per second
}

// RatesOf returns the rates of delta over elapsed; zero for a non-positive
// elapsed time.
func RatesOf(delta Totals, elapsed time.Duration) Rates {
	s := elapsed.Seconds()
	if s <= 0 {
		return Rates{}
	}
	return Rates{
		MsgsPerSec:  float64(delta.Msgs) / s,
		MBPerSec:    float64(delta.Bytes) / 1e6 / s,
		FailsPerSec: float64(delta.Fails) / s,
	}
}

// Window turns successive cumulative samples into per-interval rates: each
// Sample returns the rate since the previous one. It also keeps the last
// Size intervals so that Smoothed can report a steadier rate than one
// second's. Not safe for concurrent use (the reporter owns it).
type Window struct {
	last   Totals
	lastAt time.Time
	ring   []slot
	next   int
	filled int
}

type slot struct {
	d  Totals
	el time.Duration
}

// NewWindow returns a window starting at start with cumulative totals t0,
// keeping size intervals (at least 1).
func NewWindow(start time.Time, t0 Totals, size int) *Window {
	if size < 1 {
		size = 1
	}
	return &Window{last: t0, lastAt: start, ring: make([]slot, size)}
}

// Sample records cumulative totals t taken at now and returns the delta and
// the rates since the previous sample.
func (w *Window) Sample(now time.Time, t Totals) (Totals, Rates) {
	el := now.Sub(w.lastAt)
	d := t.Sub(w.last)
	w.last, w.lastAt = t, now
	w.ring[w.next] = slot{d: d, el: el}
	w.next = (w.next + 1) % len(w.ring)
	if w.filled < len(w.ring) {
		w.filled++
	}
	return d, RatesOf(d, el)
}

// Smoothed returns the rates over the last Size intervals (fewer at the
// start).
func (w *Window) Smoothed() Rates {
	var d Totals
	var el time.Duration
	for i := 0; i < w.filled; i++ {
		s := w.ring[i]
		d.Msgs += s.d.Msgs
		d.Bytes += s.d.Bytes
		d.Fails += s.d.Fails
		el += s.el
	}
	return RatesOf(d, el)
}
