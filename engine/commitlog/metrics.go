package commitlog

import (
	"fmt"
	"math/bits"
	"sync/atomic"
	"time"
)

// FlushBuckets is the number of buckets of the flush-latency histogram:
// bucket i counts flushes that took [2^(i-1), 2^i) µs (bucket 0: < 1 µs),
// the last one everything longer.
const FlushBuckets = 24

// Metrics counts what a Log did. The hot path only bumps atomics.
type Metrics struct {
	appends, batches, bytes, rolls atomic.Int64
	flushes, flushErrors, timeouts atomic.Int64
	flushNanos, flushMin, flushMax atomic.Int64
	flushHist                      [FlushBuckets]atomic.Int64
	prepared                       atomic.Int64
	dropped, dropErrors            atomic.Int64
	prefetched                     atomic.Int64
}

// MetricsSnapshot is a copy of a Log's counters.
type MetricsSnapshot struct {
	// Appends counts records appended (batch items included), Batches the
	// AppendBatch calls, Bytes the record bytes, Rolls the segment rolls.
	Appends, Batches, Bytes, Rolls int64
	// Flushes counts flush rounds that synced at least one segment,
	// FlushErrors failed ones, Timeouts waiters completed with
	// ErrFlushTimeout.
	Flushes, FlushErrors, Timeouts int64
	// FlushTotal, FlushMin and FlushMax time the flush rounds.
	FlushTotal, FlushMin, FlushMax time.Duration
	// FlushHist[i] counts flush rounds of [2^(i-1), 2^i) µs; FlushHist[0]
	// below 1 µs, the last bucket everything longer.
	FlushHist [FlushBuckets]int64
	// Prepared counts the bytes the PrepareAhead helper mapped writable
	// ahead of the appender (each of them written back by a flush, zeros
	// if the appender had not reached it yet).
	Prepared int64
	// CacheDropped counts the bytes whose page cache was released behind
	// the CacheWindow, CacheDropErrors the releases that failed (the pages
	// then stay with the kernel).
	CacheDropped, CacheDropErrors int64
	// Prefetched counts the bytes the read-ahead helper made resident
	// ahead of readers (resident already or not).
	Prefetched int64
}

func (m *Metrics) observeFlush(d time.Duration, err error) {
	if err != nil {
		m.flushErrors.Add(1)
	}
	n := int64(d)
	m.flushes.Add(1)
	m.flushNanos.Add(n)
	for {
		v := m.flushMax.Load()
		if n <= v || m.flushMax.CompareAndSwap(v, n) {
			break
		}
	}
	for {
		v := m.flushMin.Load()
		if (v != 0 && n >= v) || m.flushMin.CompareAndSwap(v, n) {
			break
		}
	}
	b := bits.Len64(uint64(n / 1000))
	if b >= FlushBuckets {
		b = FlushBuckets - 1
	}
	m.flushHist[b].Add(1)
}

// Snapshot copies the counters (each atomically, not all at one instant).
func (m *Metrics) Snapshot() MetricsSnapshot {
	s := MetricsSnapshot{
		Appends: m.appends.Load(), Batches: m.batches.Load(), Bytes: m.bytes.Load(), Rolls: m.rolls.Load(),
		Flushes: m.flushes.Load(), FlushErrors: m.flushErrors.Load(), Timeouts: m.timeouts.Load(),
		FlushTotal: time.Duration(m.flushNanos.Load()), FlushMin: time.Duration(m.flushMin.Load()),
		FlushMax: time.Duration(m.flushMax.Load()), Prepared: m.prepared.Load(),
		CacheDropped: m.dropped.Load(), CacheDropErrors: m.dropErrors.Load(), Prefetched: m.prefetched.Load(),
	}
	for i := range s.FlushHist {
		s.FlushHist[i] = m.flushHist[i].Load()
	}
	return s
}

// String formats the snapshot on one line.
func (s MetricsSnapshot) String() string {
	var mean time.Duration
	if s.Flushes > 0 {
		mean = s.FlushTotal / time.Duration(s.Flushes)
	}
	return fmt.Sprintf("appends=%d batches=%d bytes=%d rolls=%d flushes=%d flush_errors=%d timeouts=%d flush_min=%v flush_mean=%v flush_max=%v",
		s.Appends, s.Batches, s.Bytes, s.Rolls, s.Flushes, s.FlushErrors, s.Timeouts, s.FlushMin, mean, s.FlushMax)
}
