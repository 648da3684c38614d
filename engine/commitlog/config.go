package commitlog

import (
	"fmt"
	"time"

	"github.com/quivermq/quiver/engine/segment"
)

// FlushMode selects when appended data is made durable.
type FlushMode int

const (
	// FlushAsync syncs on a background goroutine every FlushInterval, or
	// sooner once FlushLeastPages pages are unflushed (RocketMQ's
	// ASYNC_FLUSH). An append is acknowledged before it is durable.
	FlushAsync FlushMode = iota + 1
	// FlushSync is group commit (RocketMQ's SYNC_FLUSH): the caller of an
	// append registers with WaitFlushed and is told once one fdatasync
	// covering it completes.
	FlushSync
)

// String returns "async" or "sync".
func (m FlushMode) String() string {
	switch m {
	case FlushAsync:
		return "async"
	case FlushSync:
		return "sync"
	}
	return fmt.Sprintf("FlushMode(%d)", int(m))
}

// Config configures a Log. It is immutable once passed to Open.
type Config struct {
	// SegmentSize is the length of every segment file in bytes, a positive
	// multiple of 4096. Default 1 GiB (mapedFileSizeCommitLog); tests use
	// 1-4 MiB.
	SegmentSize int
	// WriteMode is how records reach the segment: segment.WritePwrite
	// (default; measured best under FlushSync) or segment.WriteMapped
	// (cheaper for ~1 KiB records under FlushAsync). See BENCHMARKS.md.
	WriteMode segment.WriteMode
	// FlushMode is FlushAsync (default) or FlushSync.
	FlushMode FlushMode
	// FlushInterval is the longest FlushAsync leaves data unflushed.
	// Default 500 ms (flushIntervalCommitLog).
	FlushInterval time.Duration
	// FlushLeastPages makes FlushAsync sync early once this many 4 KiB
	// pages are unflushed. Default 4 (flushCommitLogLeastPages).
	FlushLeastPages int
	// SyncFlushTimeout is how long a WaitFlushed waiter may wait before it
	// completes with ErrFlushTimeout. Default 5 s (syncFlushTimeout).
	SyncFlushTimeout time.Duration
	// Published, if set, is called after records held in the stage (see
	// StageSize) became readable: Wrote moved. It runs with the append lock
	// held, on an appender's or the flusher's goroutine: it must not block
	// or call into the Log. The engine wakes its dispatcher with it.
	Published func()
	// Clock gives the store timestamp of appends. Default time.Now.
	Clock func() time.Time
	// NoWarm skips segment.Warm where the log would otherwise call it: on
	// new and recovered active segments in WriteMapped mode under
	// FlushSync, whose pages the zero-fill has just cached, so that Warm
	// only maps them. Other segments are never read in ahead (see warm).
	NoWarm bool
	// NoZeroFill, under FlushSync, skips writing zeros over new segments
	// before use (segment.Config.ZeroFill). Default false: under FlushSync
	// segments are zero-filled, which makes every group-commit fdatasync
	// cheaper (no extent conversion). Under FlushAsync segments are never
	// zero-filled: the periodic flush does not wait on anyone, and the
	// zeros would double the disk traffic for nothing.
	NoZeroFill bool
	// StageSize is, under FlushSync in WritePwrite mode, the size of the
	// buffer that appends encode into instead of writing each record with
	// its own pwrite: the group-commit flusher writes the whole stage with
	// one pwrite before its fdatasync. An append then costs a copy, not a
	// syscall, and the pwrite no longer runs during another round's
	// fdatasync (on the dev machine writes concurrent with fdatasync made
	// it slower; BENCHMARKS.md). Staged records become readable (Wrote)
	// when the stage is written, at the latest when the flusher next wakes.
	// A record larger than the stage is written directly. 0 disables it.
	// Default 4 MiB.
	StageSize int
	// PrepareAhead is, in WriteMapped mode under FlushAsync, how many bytes
	// ahead of the append position a helper goroutine keeps the active
	// segment mapped writable (Segment.PrepareWrite, MADV_POPULATE_WRITE),
	// so that appends take no write-protect fault (segment.Create prepares
	// the first window of each new segment on the allocator's goroutine).
	// The prepared pages are dirty: a flush writes back at most this many
	// bytes of zeros besides the data, and each page at most once. 0
	// disables it. Default 4 MiB (BENCHMARKS.md, "Engine segments: write
	// mode").
	PrepareAhead int
	// CacheWindow, if positive, is how many bytes of the log behind
	// Flushed stay in the page cache: older flushed bytes are released
	// (Segment.DropCache) in steps of up to 64 MiB, and readers of them
	// load them from the disk again. 0 (default) leaves the cache to the
	// kernel. See dropper for why.
	CacheWindow int64
}

// DefaultConfig returns the defaults documented on Config's fields.
func DefaultConfig() Config {
	return Config{
		SegmentSize:      1 << 30,
		WriteMode:        segment.WritePwrite,
		FlushMode:        FlushAsync,
		FlushInterval:    500 * time.Millisecond,
		FlushLeastPages:  4,
		SyncFlushTimeout: 5 * time.Second,
		Clock:            time.Now,
		PrepareAhead:     4 << 20,
		StageSize:        4 << 20,
	}
}

// Validate reports the first field out of range, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	switch {
	case c.SegmentSize <= 0 || c.SegmentSize%4096 != 0:
		return fmt.Errorf("%w: SegmentSize %d is not a positive multiple of 4096", ErrInvalidConfig, c.SegmentSize)
	case c.WriteMode != segment.WritePwrite && c.WriteMode != segment.WriteMapped:
		return fmt.Errorf("%w: WriteMode %d", ErrInvalidConfig, int(c.WriteMode))
	case c.FlushMode != FlushAsync && c.FlushMode != FlushSync:
		return fmt.Errorf("%w: FlushMode %d", ErrInvalidConfig, int(c.FlushMode))
	case c.FlushInterval <= 0:
		return fmt.Errorf("%w: FlushInterval %v", ErrInvalidConfig, c.FlushInterval)
	case c.FlushLeastPages < 0:
		return fmt.Errorf("%w: FlushLeastPages %d", ErrInvalidConfig, c.FlushLeastPages)
	case c.SyncFlushTimeout <= 0:
		return fmt.Errorf("%w: SyncFlushTimeout %v", ErrInvalidConfig, c.SyncFlushTimeout)
	case c.StageSize < 0:
		return fmt.Errorf("%w: StageSize %d", ErrInvalidConfig, c.StageSize)
	case c.CacheWindow < 0:
		return fmt.Errorf("%w: CacheWindow %d", ErrInvalidConfig, c.CacheWindow)
	case c.PrepareAhead < 0:
		return fmt.Errorf("%w: PrepareAhead %d", ErrInvalidConfig, c.PrepareAhead)
	case c.Clock == nil:
		return fmt.Errorf("%w: nil Clock", ErrInvalidConfig)
	}
	return nil
}

func (c Config) segmentConfig() segment.Config {
	sc := segment.DefaultConfig()
	sc.Size = c.SegmentSize
	sc.WriteMode = c.WriteMode
	sc.Warm = c.warm()
	sc.ZeroFill = c.FlushMode == FlushSync && !c.NoZeroFill
	sc.PrepareWrite = c.prepareAhead()
	return sc
}

// warm reports whether new and recovered active segments are read in
// (segment.Warm): only in WriteMapped mode under FlushSync with the
// zero-fill on, where the pages are already cached and Warm maps them.
//
// NB: elsewhere a read-through warm-up costs more than it saves. Reading
// a fallocated, unwritten 1 GiB segment through the mapping took 1.45 s
// of CPU (read-ahead zeroes every folio it brings in) against 0.13 s for
// MADV_POPULATE_WRITE and 0.12 s for pwrites of 1 MiB; and the broker's
// 1 KiB pwrite appends into the large folios it leaves behind cost twice
// the CPU (13.2 against 7.6 µs of broker CPU per message, bench/producer
// async, BENCHMARKS.md). In WritePwrite mode the appends' own pwrites
// cache the pages; in WriteMapped mode under FlushAsync the preparer maps
// a window ahead of the appender (PrepareAhead).
func (c Config) warm() bool {
	return !c.NoWarm && c.WriteMode == segment.WriteMapped && c.FlushMode == FlushSync && !c.NoZeroFill
}

// prepareAhead is the effective PrepareAhead: 0 unless WriteMapped and
// FlushAsync (under FlushSync every group commit would write the prepared
// pages back), rounded up to whole pages, at most the segment.
func (c Config) prepareAhead() int {
	if c.WriteMode != segment.WriteMapped || c.FlushMode != FlushAsync || c.PrepareAhead <= 0 {
		return 0
	}
	return min((c.PrepareAhead+4095)&^4095, c.SegmentSize)
}

// stageSize is the effective StageSize: 0 unless WritePwrite and FlushSync.
func (c Config) stageSize() int {
	if c.WriteMode != segment.WritePwrite || c.FlushMode != FlushSync {
		return 0
	}
	return c.StageSize
}
