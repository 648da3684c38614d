package commitlog

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/message"
)

// QueueAssigner hands out consume-queue offsets. The engine's topic-queue
// table implements it.
type QueueAssigner interface {
	// AssignQueueOffset reserves n consecutive offsets of the queue and
	// returns the first. It is called with the log's append lock held, so
	// offsets are in commit-log order: it must be quick and must not call
	// back into the Log.
	AssignQueueOffset(topic []byte, queueID int32, n int) int64
}

// AppendResult says where an append went.
type AppendResult struct {
	// Phys is the commit-log offset of the (first) record, Size the bytes
	// appended (all records of a batch), End = Phys+Size: pass it to
	// WaitFlushed.
	Phys, End int64
	Size      int
	// QueueOffset is the queue offset of the (first) record.
	QueueOffset int64
	// StoreTimestamp is the store time written into the record(s), ms.
	StoreTimestamp int64
}

// Log is the commit log: a sequence of segments in one directory, appended
// under one short lock, flushed by a background goroutine, read by offset
// through the segments' mappings.
//
// Append, AppendBatch, WaitFlushed, Read, ReadRange, Scan, Wrote, Flushed,
// MinOffset, MaxOffset, DeleteSegmentsBefore and Metrics are safe for
// concurrent use. Close must not race with appends.
type Log struct {
	fs    vfs.FS
	dir   string
	cfg   Config
	scfg  segment.Config
	alloc *segment.Allocator

	// segs is the copy-on-write list of open segments, ascending by base.
	// Writers replace it under mu; readers load it without a lock.
	segs atomic.Pointer[[]*segment.Segment]

	// mu is the append lock. LOCKS: mu before wmu; never held across a
	// sync or a callback.
	mu sync.Mutex
	// active is the segment taking appends, nil when the next append must
	// take a new one from the allocator (after a filler, or at start).
	active *segment.Segment // guarded by mu
	// pos is the log offset of the next append.
	pos int64 // guarded by mu
	// scratch is the encode buffer, reused under mu.
	scratch []byte // guarded by mu
	// direct says appends encode straight into the active segment's
	// mapping and publish with Segment.Commit: WriteMapped under
	// FlushAsync. Immutable.
	//
	// NB: not under FlushSync: there, with 64 appenders, encoding into the
	// mapping measured 10-15 % fewer appends/s and twice the p99 of
	// encoding into scratch and copying with WriteAt (BENCHMARKS.md).
	direct bool
	// stage, under FlushSync in WritePwrite mode (Config.StageSize), holds
	// encoded records of the active segment not yet written to it: the
	// bytes of [stageOff, stageOff+len(stage)) of the active segment. They
	// are not readable (Wrote stops below them) until drainLocked writes
	// them with one pwrite: the flusher does at the start of every round,
	// an append does when the stage is full or before a record that does
	// not fit in it, and the roll does before the filler. inStage says the
	// buffer bufferLocked returned is the stage's; stageWake that an
	// append filled an empty stage (the flusher must drain it even if
	// nobody waits).
	stage     []byte // guarded by mu
	stageOff  int    // guarded by mu
	inStage   bool   // guarded by mu
	stageWake bool   // guarded by mu
	closed    bool   // guarded by mu
	// corrupt are recovery's corrupt ranges; Scan skips them. Immutable.
	corrupt []CorruptRange

	// wrote is the end of the last appended record, stored under mu after
	// its bytes are in the segment; flushed the end of the durable prefix.
	wrote, flushed atomic.Int64
	// appendEnd is the End of the last append: Wrote, or beyond it by the
	// stage.
	appendEnd atomic.Int64
	// werr is the sticky write or flush error.
	werr atomic.Pointer[error]

	flusher
	ahead   preparer
	cache   dropper
	ra      readahead
	metrics Metrics
}

// Open opens the commit log in dir (creating dir if needed), removes the
// temporary files of an interrupted segment creation, and recovers the tail
// by scanning from the offset start (the engine's checkpoint; 0 or anything
// below the first segment means from the first segment). See Report for what
// recovery found. Corrupt ranges between valid records do not fail Open: the
// log opens, Report.Err returns a *CorruptError and the engine decides.
//
// REQUIRES: start is a record boundary at or below the durable end of the
// log (the engine checkpoints only flushed offsets). Recovery trusts the
// bytes below start and cannot tell zeros at start from the end of the log.
//
// Open starts the flusher goroutine(s) and the segment allocator.
func Open(fs vfs.FS, dir string, cfg Config, start int64) (*Log, *Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("commitlog: mkdir %s: %w", dir, err)
	}
	temps, err := segment.RemoveTemps(fs, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("commitlog: %w", err)
	}
	l := &Log{fs: fs, dir: dir, cfg: cfg, scfg: cfg.segmentConfig()}
	l.direct = cfg.WriteMode == segment.WriteMapped && cfg.FlushMode == FlushAsync
	if n := cfg.stageSize(); n > 0 {
		l.stage = make([]byte, 0, n)
	}
	l.ahead.init(cfg.prepareAhead())
	rep, err := l.recover(start)
	if err != nil {
		l.closeSegments()
		return nil, nil, err
	}
	rep.TempsRemoved = temps
	if l.alloc, err = segment.NewAllocator(fs, dir, l.scfg); err != nil {
		l.closeSegments()
		return nil, nil, fmt.Errorf("commitlog: %w", err)
	}
	if l.active == nil && len(*l.segs.Load()) == 0 {
		// An empty log: make the first segment now, not on the first append.
		if err := l.rollLocked(); err != nil {
			_ = l.alloc.Close() // nothing pending yet to lose
			l.closeSegments()
			return nil, nil, err
		}
	} else if l.active != nil {
		l.alloc.Prepare(l.active.Base() + int64(cfg.SegmentSize))
	} else {
		l.alloc.Prepare(l.pos)
	}
	// The cache of what an earlier process wrote is the kernel's.
	l.cache.init(cfg.CacheWindow, max(l.MinOffset(), l.flushed.Load()-cfg.CacheWindow))
	l.startFlusher()
	return l, rep, nil
}

// Config returns the configuration the log was opened with.
func (l *Log) Config() Config { return l.cfg }

// Metrics returns a snapshot of the log's counters.
func (l *Log) Metrics() MetricsSnapshot { return l.metrics.Snapshot() }

// Err returns the sticky write or flush error, or nil.
func (l *Log) Err() error {
	if e := l.werr.Load(); e != nil {
		return *e
	}
	return nil
}

// fail records err as the sticky error (the first one wins) and returns the
// sticky error.
func (l *Log) fail(err error) error {
	l.werr.CompareAndSwap(nil, &err)
	return *l.werr.Load()
}

// Wrote returns the end offset of the last appended record: every byte below
// it is readable.
func (l *Log) Wrote() int64 { return l.wrote.Load() }

// Appended returns the End of the last append. It is above Wrote while
// records wait in the stage (Config.StageSize) to become readable.
func (l *Log) Appended() int64 { return l.appendEnd.Load() }

// Flushed returns the end of the durable prefix of the log.
func (l *Log) Flushed() int64 { return l.flushed.Load() }

// MinOffset returns the base of the first segment still present.
func (l *Log) MinOffset() int64 {
	if s := *l.segs.Load(); len(s) > 0 {
		return s[0].Base()
	}
	return l.wrote.Load()
}

// MaxOffset returns Wrote: the offset the next record will be at, or past
// which it will be after a roll.
func (l *Log) MaxOffset() int64 { return l.wrote.Load() }

// prepare fills the fields the log can compute outside the lock and returns
// the encoded length.
func (l *Log) prepare(f *message.Fields) (int, error) {
	if !f.HaveBodyCRC {
		f.BodyCRC = message.Checksum(f.Body)
		f.HaveBodyCRC = true
	}
	n, err := f.EncodedLen()
	if err != nil {
		return 0, fmt.Errorf("commitlog: %w", err)
	}
	return n, nil
}

// Append appends the record f describes. The caller fills every field; the
// log assigns PhysicalOffset and StoreTimestamp and, if q is not nil,
// QueueOffset (q == nil leaves f.QueueOffset as given), writing them back
// into f. It also sets f.BodyCRC/HaveBodyCRC if HaveBodyCRC was false,
// outside the lock. f is not retained.
//
// Under FlushSync the record is not durable yet: pass the result's End to
// WaitFlushed before acknowledging it. After a write or flush error every
// append fails with that error (the queue offsets q handed to the failed
// append are then lost, with the log). A failure to get the next segment
// (disk full) fails only that append. Append does not allocate.
func (l *Log) Append(f *message.Fields, q QueueAssigner) (AppendResult, error) {
	n, err := l.prepare(f)
	if err != nil {
		return AppendResult{}, err
	}
	if n+message.FillerSize > l.cfg.SegmentSize {
		return AppendResult{}, fmt.Errorf("%w: record of %d bytes, segment %d", ErrRecordTooLarge, n, l.cfg.SegmentSize)
	}
	l.mu.Lock()
	seg, off, err := l.reserveLocked(n)
	if err != nil {
		l.mu.Unlock()
		return AppendResult{}, err
	}
	phys := seg.Base() + int64(off)
	ts := l.cfg.Clock().UnixMilli()
	if q != nil {
		f.QueueOffset = q.AssignQueueOffset(f.Topic, f.QueueID, 1)
	}
	f.PhysicalOffset, f.StoreTimestamp = phys, ts
	buf, err := l.bufferLocked(seg, off, n)
	if err != nil {
		l.mu.Unlock()
		return AppendResult{}, err
	}
	if _, err := message.PutRecord(buf, f); err != nil {
		l.discardLocked(seg, buf)
		l.mu.Unlock()
		return AppendResult{}, fmt.Errorf("commitlog: encode: %w", err)
	}
	if err := l.writeLocked(seg, buf, off); err != nil {
		l.mu.Unlock()
		return AppendResult{}, err
	}
	res := AppendResult{Phys: phys, Size: n, End: phys + int64(n), QueueOffset: f.QueueOffset, StoreTimestamp: ts}
	wake := l.stageWake
	l.stageWake = false
	l.mu.Unlock()
	if wake {
		l.wake()
	}
	l.metrics.appends.Add(1)
	l.metrics.bytes.Add(int64(n))
	l.appended(res.End)
	return res, nil
}

// AppendBatch appends the records items describe, consecutively in one
// segment, under one acquisition of the lock (the log rolls first if the
// batch does not fit in what is left of the current segment). Fields are
// filled in as by Append; a run of consecutive items with the same topic and
// queue takes its queue offsets from q in one call. The result covers the
// whole batch: Phys and QueueOffset of the first item, Size of all.
// A batch that does not fit in an empty segment fails with ErrRecordTooLarge.
func (l *Log) AppendBatch(items []message.Fields, q QueueAssigner) (AppendResult, error) {
	if len(items) == 0 {
		return AppendResult{}, ErrEmptyBatch
	}
	total := 0
	for i := range items {
		n, err := l.prepare(&items[i])
		if err != nil {
			return AppendResult{}, fmt.Errorf("item %d: %w", i, err)
		}
		total += n
	}
	if total+message.FillerSize > l.cfg.SegmentSize {
		return AppendResult{}, fmt.Errorf("%w: batch of %d bytes, segment %d", ErrRecordTooLarge, total, l.cfg.SegmentSize)
	}
	l.mu.Lock()
	seg, off, err := l.reserveLocked(total)
	if err != nil {
		l.mu.Unlock()
		return AppendResult{}, err
	}
	phys := seg.Base() + int64(off)
	ts := l.cfg.Clock().UnixMilli()
	buf, err := l.bufferLocked(seg, off, total)
	if err != nil {
		l.mu.Unlock()
		return AppendResult{}, err
	}
	at := 0
	for i := 0; i < len(items); {
		// A run of items of one queue takes its offsets in one call.
		j := i + 1
		if q != nil {
			for j < len(items) && items[j].QueueID == items[i].QueueID && string(items[j].Topic) == string(items[i].Topic) {
				j++
			}
			qo := q.AssignQueueOffset(items[i].Topic, items[i].QueueID, j-i)
			for k := i; k < j; k++ {
				items[k].QueueOffset = qo + int64(k-i)
			}
		}
		for k := i; k < j; k++ {
			f := &items[k]
			f.PhysicalOffset, f.StoreTimestamp = phys+int64(at), ts
			n, err := message.PutRecord(buf[at:], f)
			if err != nil {
				l.discardLocked(seg, buf)
				l.mu.Unlock()
				return AppendResult{}, fmt.Errorf("commitlog: encode item %d: %w", k, err)
			}
			at += n
		}
		i = j
	}
	if err := l.writeLocked(seg, buf, off); err != nil {
		l.mu.Unlock()
		return AppendResult{}, err
	}
	res := AppendResult{Phys: phys, Size: total, End: phys + int64(total), QueueOffset: items[0].QueueOffset, StoreTimestamp: ts}
	wake := l.stageWake
	l.stageWake = false
	l.mu.Unlock()
	if wake {
		l.wake()
	}
	l.metrics.appends.Add(int64(len(items)))
	l.metrics.batches.Add(1)
	l.metrics.bytes.Add(int64(total))
	l.appended(res.End)
	return res, nil
}

// scratchLocked returns the encode buffer with length n.
//
// Lock should be held.
func (l *Log) scratchLocked(n int) []byte {
	if cap(l.scratch) < n {
		l.scratch = make([]byte, n, max(n, 64<<10))
	}
	return l.scratch[:n]
}

// bufferLocked returns where to encode n bytes that go at off of seg: if
// l.direct the segment's mapping itself (the writer owns the bytes at and
// above its Wrote, and writeLocked publishes them with Commit); if staging
// and they fit, the free end of the stage; else the scratch buffer that
// writeLocked writes with WriteAt (after draining the stage, so that the
// segment is written in order).
//
// Lock should be held.
func (l *Log) bufferLocked(seg *segment.Segment, off, n int) ([]byte, error) {
	l.inStage = false
	switch {
	case l.direct:
		return seg.Bytes()[off : off+n : off+n], nil
	case n <= cap(l.stage):
		if len(l.stage)+n > cap(l.stage) {
			if err := l.drainLocked(); err != nil {
				return nil, err
			}
		}
		if len(l.stage) == 0 {
			l.stageOff = off
		}
		l.inStage = true
		k := len(l.stage)
		return l.stage[k : k+n : k+n], nil
	}
	if err := l.drainLocked(); err != nil {
		return nil, err
	}
	return l.scratchLocked(n), nil
}

// drainLocked writes the stage into the active segment and publishes its
// end as Wrote. A failed write is sticky for the log.
//
// Lock should be held.
func (l *Log) drainLocked() error {
	if len(l.stage) == 0 {
		return nil
	}
	seg := l.active
	if err := seg.WriteAt(l.stage, l.stageOff); err != nil {
		return l.fail(fmt.Errorf("commitlog: append at %d: %w", seg.Base()+int64(l.stageOff), err))
	}
	l.wrote.Store(seg.Base() + int64(l.stageOff+len(l.stage)))
	l.stage = l.stage[:0]
	if l.cfg.Published != nil {
		l.cfg.Published()
	}
	return nil
}

// Drain makes every appended record readable now: it writes the stage (see
// Config.StageSize), if any, into the segment. Appends and the flusher drain
// by themselves; Drain is for a caller about to read up to the last
// AppendResult.End without waiting for its flush (the engine before its
// dispatcher's last pass at Close). A write failure is sticky.
func (l *Log) Drain() error { return l.drain() }

// drain is drainLocked for the flusher.
func (l *Log) drain() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.drainLocked()
}

// discardLocked undoes a failed encode into buf. If l.direct the partial
// record is in the mapping above Wrote: zero it, so that neither a
// later flush nor recovery after a crash finds half a record there.
//
// Lock should be held.
func (l *Log) discardLocked(seg *segment.Segment, buf []byte) {
	if l.direct {
		clear(buf)
	}
}

// writeLocked publishes the encoded bytes buf (from bufferLocked) at off of
// seg: Commit if l.direct (the bytes are already in the mapping), else
// WriteAt, and then the log's new end. A failed write
// is sticky for the log.
//
// Lock should be held.
func (l *Log) writeLocked(seg *segment.Segment, buf []byte, off int) error {
	if l.inStage {
		if len(l.stage) == 0 {
			l.stageWake = true
		}
		l.stage = l.stage[:len(l.stage)+len(buf)]
		l.pos = seg.Base() + int64(off+len(buf))
		l.appendEnd.Store(l.pos)
		return nil
	}
	var err error
	if l.direct {
		err = seg.Commit(off + len(buf))
	} else {
		err = seg.WriteAt(buf, off)
	}
	if err != nil {
		return l.fail(fmt.Errorf("commitlog: append at %d: %w", seg.Base()+int64(off), err))
	}
	l.pos = seg.Base() + int64(off+len(buf))
	l.wrote.Store(l.pos)
	l.appendEnd.Store(l.pos)
	l.ahead.appended(l.pos)
	return nil
}

// reserveLocked returns the segment and the offset in it where n bytes go,
// rolling to a new segment (after writing a filler over the rest of the
// current one) when n plus a filler do not fit.
//
// Lock should be held.
func (l *Log) reserveLocked(n int) (*segment.Segment, int, error) {
	if l.closed {
		return nil, 0, ErrClosed
	}
	if e := l.werr.Load(); e != nil {
		return nil, 0, *e
	}
	if l.active != nil {
		off := int(l.pos - l.active.Base())
		if off+n+message.FillerSize <= l.cfg.SegmentSize {
			return l.active, off, nil
		}
		// NB: off+FillerSize <= SegmentSize always holds here: every record
		// was placed so that a filler still fits after it.
		if err := l.drainLocked(); err != nil {
			return nil, 0, err
		}
		var fill [message.FillerSize]byte
		rest := l.cfg.SegmentSize - off
		if err := message.PutFiller(fill[:], rest); err != nil {
			return nil, 0, fmt.Errorf("commitlog: filler: %w", err)
		}
		if err := l.active.WriteAt(fill[:], off); err != nil {
			return nil, 0, l.fail(fmt.Errorf("commitlog: filler at %d: %w", l.pos, err))
		}
		l.pos = l.active.Base() + int64(l.cfg.SegmentSize)
		l.active = nil
	}
	// An allocation failure (disk full, say) is not sticky: nothing was
	// written, and the next append tries again.
	if err := l.rollLocked(); err != nil {
		return nil, 0, err
	}
	return l.active, 0, nil
}

// rollLocked takes the segment at pos from the allocator and makes it the
// active one.
//
// Lock should be held (or the Log not yet shared).
func (l *Log) rollLocked() error {
	seg, err := l.alloc.Next(l.pos)
	if err != nil {
		return fmt.Errorf("commitlog: new segment at %d: %w", l.pos, err)
	}
	old := *l.segs.Load()
	segs := make([]*segment.Segment, len(old), len(old)+1)
	copy(segs, old)
	l.segs.Store(ptr(append(segs, seg)))
	l.active = seg
	l.ahead.rolled(seg)
	l.metrics.rolls.Add(1)
	return nil
}

func ptr[T any](v T) *T { return &v }

// DeleteSegmentsBefore removes the segments that lie wholly below offset and
// wholly below Flushed, never the active one, and returns how many it
// removed. A segment pinned by a reader stays mapped until its last Release.
//
// The segments leave the list under the append lock; the unmap, unlink and
// directory sync run after it is released, so appends never wait for them.
func (l *Log) DeleteSegmentsBefore(offset int64) (int, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, ErrClosed
	}
	segs := *l.segs.Load()
	flushed := l.flushed.Load()
	size := int64(l.cfg.SegmentSize)
	n := 0
	for n < len(segs) && segs[n] != l.active && segs[n].Base()+size <= offset && segs[n].Base()+size <= flushed {
		n++
	}
	if n == 0 {
		l.mu.Unlock()
		return 0, nil
	}
	rest := make([]*segment.Segment, len(segs)-n)
	copy(rest, segs[n:])
	l.segs.Store(&rest)
	l.mu.Unlock()
	// NB: a reader that loaded the old list may still Acquire one of these
	// until Remove marks it dead; it then holds a valid pin, and Remove
	// defers the unmap to its Release.
	var errs []error
	for _, s := range segs[:n] {
		if err := s.Remove(); err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// Close flushes what was appended, stops the flusher, completes every
// waiter, stops the allocator and closes the segments. It returns the first
// error of these (or the sticky error of the log). A second Close returns
// ErrClosed.
//
// REQUIRES: no append in flight or started after it.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closed = true
	l.mu.Unlock()
	errs := []error{l.stopFlusher()}
	errs = append(errs, l.alloc.Close())
	errs = append(errs, l.closeSegments())
	return errors.Join(errs...)
}

func (l *Log) closeSegments() error {
	p := l.segs.Load()
	if p == nil {
		return nil
	}
	var errs []error
	for _, s := range *p {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
