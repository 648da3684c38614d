package broker

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// counters are the broker's own counts, as typed atomics (the engine keeps
// its own: appends, bytes, flushes).
type counters struct {
	sendRequests, sendMessages, sendBytes, sendErrors atomic.Int64
	pullRequests, pullFound, pullMessages, pullBytes  atomic.Int64
}

// WriteMetrics writes the broker's and the engine's counters in the
// Prometheus text exposition format (version 0.0.4).
func (b *Broker) WriteMetrics(w io.Writer) error {
	m := b.store.Metrics()
	c := &b.count
	ew := &errWriter{w: w}
	counter := func(name, help string, v int64) {
		ew.printf("# HELP quiver_%s %s\n# TYPE quiver_%s counter\nquiver_%s %d\n", name, help, name, name, v)
	}
	gauge := func(name, help string, v float64) {
		ew.printf("# HELP quiver_%s %s\n# TYPE quiver_%s gauge\nquiver_%s %g\n", name, help, name, name, v)
	}
	counter("send_requests_total", "SEND requests served (batch requests count once).", c.sendRequests.Load())
	counter("send_messages_total", "Messages stored by SEND requests.", c.sendMessages.Load())
	counter("send_bytes_total", "Message body bytes stored by SEND requests.", c.sendBytes.Load())
	counter("send_errors_total", "SEND requests answered with an error.", c.sendErrors.Load())
	counter("pull_requests_total", "PULL_MESSAGE requests served.", c.pullRequests.Load())
	counter("pull_found_total", "PULL_MESSAGE answers carrying messages.", c.pullFound.Load())
	counter("pull_messages_total", "Messages sent in PULL_MESSAGE answers.", c.pullMessages.Load())
	counter("pull_bytes_total", "Record bytes sent in PULL_MESSAGE answers.", c.pullBytes.Load())
	gauge("pulls_parked", "Long-polling pulls waiting for messages.", float64(b.holds.parked()))

	cl := m.CommitLog
	counter("commitlog_appends_total", "Records appended to the commit log.", cl.Appends)
	counter("commitlog_bytes_total", "Bytes appended to the commit log.", cl.Bytes)
	counter("commitlog_flushes_total", "Commit-log flush rounds.", cl.Flushes)
	counter("commitlog_flush_errors_total", "Failed commit-log flush rounds.", cl.FlushErrors)
	counter("commitlog_flush_timeouts_total", "SYNC_FLUSH waiters answered FLUSH_DISK_TIMEOUT.", cl.Timeouts)
	counter("commitlog_cache_dropped_bytes_total", "Flushed commit-log bytes whose page cache was released (commitLogCacheWindow).", cl.CacheDropped)
	counter("commitlog_cache_drop_errors_total", "Page-cache releases that failed (the pages stay cached).", cl.CacheDropErrors)
	counter("commitlog_prefetched_bytes_total", "Commit-log bytes read ahead of consumers, off the event loops.", cl.Prefetched)
	// The flush histogram: bucket i holds rounds of [2^(i-1), 2^i) µs.
	ew.printf("# HELP quiver_commitlog_flush_seconds Commit-log flush round duration.\n# TYPE quiver_commitlog_flush_seconds histogram\n")
	var cum int64
	for i, n := range cl.FlushHist {
		cum += n
		if i == len(cl.FlushHist)-1 {
			break
		}
		le := float64(time.Duration(1<<i)*time.Microsecond) / float64(time.Second)
		ew.printf("quiver_commitlog_flush_seconds_bucket{le=\"%g\"} %d\n", le, cum)
	}
	ew.printf("quiver_commitlog_flush_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	ew.printf("quiver_commitlog_flush_seconds_sum %g\nquiver_commitlog_flush_seconds_count %d\n", cl.FlushTotal.Seconds(), cl.Flushes)
	gauge("commitlog_wrote_offset", "End of the readable commit log.", float64(m.Wrote))
	gauge("commitlog_flushed_offset", "End of the durable commit log.", float64(m.Flushed))
	gauge("commitlog_min_offset", "First commit-log offset still present.", float64(m.MinOffset))
	gauge("dispatch_lag_bytes", "Commit-log bytes not yet in the consume queues.", float64(m.DispatchLag))
	gauge("disk_total_bytes", "Size of the file system holding the store.", float64(m.Disk.Total))
	gauge("disk_free_bytes", "Free space of the file system holding the store.", float64(m.Disk.Free))
	full := 0.0
	if m.Retention.DiskFull {
		full = 1
	}
	gauge("disk_full", "1 while appends are refused for lack of disk space.", full)
	counter("retention_segments_deleted_total", "Commit-log segments deleted for age.", m.Retention.SegmentsDeleted)
	counter("retention_segments_forced_total", "Commit-log segments deleted for disk pressure.", m.Retention.SegmentsForced)
	if t := b.timer; t != nil {
		gauge("timer_pending", "Timer messages waiting in the timing wheel.", float64(t.wheel.Pending()))
	}
	return ew.err
}

// Health reports why the broker cannot serve (nil when it can): a sticky
// commit-log error, or a full disk (reads still work then).
func (b *Broker) Health() error {
	if err := b.store.Log().Err(); err != nil {
		return fmt.Errorf("commit log: %w", err)
	}
	if err := b.store.DiskFull(); err != nil {
		return err
	}
	if b.storeHost.Load() == nil {
		return fmt.Errorf("starting")
	}
	return nil
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
