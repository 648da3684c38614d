package stats

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds, in microseconds: 1 µs to 60 s at 3 significant
// digits. Values outside are clamped to the nearest bound (and counted in
// Clamped), so a stall is still seen as a 60 s outlier rather than lost.
const (
	MinMicros = 1
	MaxMicros = 60_000_000
	SigFigs   = 3
)

// Percentiles is a latency distribution digest, in microseconds.
type Percentiles struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_us"`
	P50   int64   `json:"p50_us"`
	P90   int64   `json:"p90_us"`
	P99   int64   `json:"p99_us"`
	P999  int64   `json:"p999_us"`
	Max   int64   `json:"max_us"`
	Min   int64   `json:"min_us"`
}

// Histogram is an HDR histogram of microseconds. It is not safe for
// concurrent use; Recorder is.
type Histogram struct {
	h       *hdrhistogram.Histogram
	clamped int64
}

// NewHistogram returns an empty histogram covering MinMicros..MaxMicros.
func NewHistogram() *Histogram {
	return &Histogram{h: hdrhistogram.New(MinMicros, MaxMicros, SigFigs)}
}

// RecordMicros records one value in microseconds, clamped into range.
func (h *Histogram) RecordMicros(us int64) {
	if us < MinMicros {
		// Sub-microsecond (or a clock step backwards): count as 1 µs.
		us = MinMicros
	} else if us > MaxMicros {
		us = MaxMicros
		h.clamped++
	}
	_ = h.h.RecordValue(us) // in range by construction: cannot fail
}

// Record records a duration.
func (h *Histogram) Record(d time.Duration) { h.RecordMicros(d.Microseconds()) }

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	_ = h.h.Merge(o.h) // same bounds by construction: nothing is dropped
	h.clamped += o.clamped
}

// Reset empties h.
func (h *Histogram) Reset() { h.h.Reset(); h.clamped = 0 }

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Clamped is the number of values above MaxMicros recorded as MaxMicros.
func (h *Histogram) Clamped() int64 { return h.clamped }

// Quantile returns the value at quantile q (0..100), in microseconds, to
// the histogram's precision (HDR's highest equivalent value).
func (h *Histogram) Quantile(q float64) int64 { return h.h.ValueAtQuantile(q) }

// Percentiles digests h. An empty histogram gives all zeros.
func (h *Histogram) Percentiles() Percentiles {
	if h.h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		Count: h.h.TotalCount(),
		Mean:  h.h.Mean(),
		P50:   h.h.ValueAtQuantile(50),
		P90:   h.h.ValueAtQuantile(90),
		P99:   h.h.ValueAtQuantile(99),
		P999:  h.h.ValueAtQuantile(99.9),
		Max:   h.h.Max(),
		Min:   h.h.Min(),
	}
}

// Recorder is a concurrency-safe latency recorder with an interval view
// (since the last Interval call) and a cumulative one (since creation or
// Reset).
type Recorder struct {
	// Lock order: tmu, then mu.
	tmu   sync.Mutex // guards total and spare; taken by Interval, Total, Reset
	total *Histogram // values folded in by Interval and Total
	spare *Histogram // empty; swapped in for cur by Interval

	mu  sync.Mutex // guards cur; taken per Record
	cur *Histogram // values since the last Interval
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{cur: NewHistogram(), spare: NewHistogram(), total: NewHistogram()}
}

// Record records one latency. Safe for concurrent use.
func (r *Recorder) Record(d time.Duration) { r.RecordMicros(d.Microseconds()) }

// RecordMicros records one latency in microseconds. Safe for concurrent use.
func (r *Recorder) RecordMicros(us int64) {
	r.mu.Lock()
	r.cur.RecordMicros(us)
	r.mu.Unlock()
}

// RecordMicrosN records several latencies in microseconds under one lock
// acquisition (a pulled batch). Safe for concurrent use.
func (r *Recorder) RecordMicrosN(us []int64) {
	r.mu.Lock()
	for _, v := range us {
		r.cur.RecordMicros(v)
	}
	r.mu.Unlock()
}

// Interval returns the digest of the values recorded since the previous
// Interval call and folds them into the cumulative histogram. Call it from
// one goroutine (the reporter).
func (r *Recorder) Interval() Percentiles {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	r.mu.Lock()
	iv := r.cur
	r.cur = r.spare
	r.mu.Unlock()
	p := iv.Percentiles()
	r.total.Merge(iv)
	iv.Reset()
	r.spare = iv
	return p
}

// Total folds in pending values and returns the cumulative digest.
func (r *Recorder) Total() Percentiles {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	r.mu.Lock()
	r.total.Merge(r.cur)
	r.cur.Reset()
	r.mu.Unlock()
	return r.total.Percentiles()
}

// Clamped is the number of values above MaxMicros folded in so far.
func (r *Recorder) Clamped() int64 {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	return r.total.Clamped()
}

// Reset drops everything recorded so far (the end of a warm-up).
func (r *Recorder) Reset() {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	r.mu.Lock()
	r.cur.Reset()
	r.mu.Unlock()
	r.total.Reset()
}
