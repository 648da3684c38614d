package timer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs"
)

// writeBufEntries is how many entries Add gathers before one pwrite.
const writeBufEntries = 128

// Wheel is a file-backed timing wheel of timer-message references. See
// the package doc for the layout, the durability rules and the
// concurrency contract.
type Wheel struct {
	cfg    Config
	fs     vfs.FS
	log    *slog.Logger
	logDir string
	precMs int64
	nslots int64
	geo    geometry
	segCfg segment.Config

	lock      io.Closer
	wheelFile vfs.File
	wheelMap  vfs.Mapping
	ckptFile  vfs.File
	alloc     *segment.Allocator

	// mu guards every field below it, the slot bytes of the wheel
	// mapping and the timer log's segment list. It is never held across
	// an fdatasync or the deliver callback.
	mu     sync.Mutex
	closed bool
	err    error  // sticky write or sync error
	slots  []byte // the wheel mapping past the header: nslots * slotSize bytes
	segs   []*segInfo
	active *segInfo // the segment taking appends; nil until the next Add rolls
	// buf holds entries appended since the last pwrite; they occupy log
	// positions [bufPos, logEnd), all inside active.
	buf       []byte
	bufPos    int64
	logEnd    int64 // log position of the next entry
	maxQO     int64 // highest queue offset added (-1 if none)
	collected int64 // slot time: the next slot delivery starts on
	delivered int64 // slot time: every slot below it was delivered
	walk      walkState
	// doneWalk is walk as of the last batch deliver accepted: where a
	// checkpoint says delivery stands inside a slot split into batches.
	doneWalk  walkState
	pending   int64
	slotsUsed int64
	stats     counters
	durable   Checkpoint // the last checkpoint written

	// Delivery state, owned by the goroutine calling Tick (REQUIRES: one).
	batch      []Entry // collected, not yet confirmed by deliver
	batchSlots int64   // slots whose last entries are in batch
	batchTo    int64   // delivered becomes this once batch is confirmed

	// ckptMu serializes checkpoints and segment reclaim. Taken before mu.
	ckptMu  sync.Mutex
	ckptSeq uint64
	ckptBuf []byte
	// lastCkpt is when the last checkpoint finished, as time since
	// opened (monotonic); atomic: Tick reads it without ckptMu.
	opened   time.Time
	lastCkpt atomic.Int64
}

// segInfo is one timer-log segment and the latest slot time among its
// entries: once delivery is durably past it, the file can go.
type segInfo struct {
	seg     *segment.Segment
	base    int64
	maxSlot int64
}

// walkState is delivery's position inside a slot whose chain is longer
// than one batch: the next entry to read and how many remain.
type walkState struct {
	active bool
	slotMs int64
	pos    int64
	left   int32
}

type counters struct {
	added, skipped, deliveredTotal, deliverErrors, corrupt, lost, reclaimed int64
}

// Stats is a snapshot of a wheel's counters.
type Stats struct {
	// Pending is the number of entries added and not yet delivered.
	Pending int64
	// Added counts entries Add stored since Open; Skipped those it
	// ignored as already added (queue offset at or below the highest).
	Added, Skipped int64
	// DeliveredTotal counts entries deliver accepted over the wheel's
	// life (kept in the checkpoint).
	DeliveredTotal int64
	// DeliverErrors counts failed deliver calls (each retried).
	DeliverErrors int64
	// SlotsInUse is the number of slots holding undelivered entries.
	SlotsInUse int64
	// LogSegments and LogBytes describe the timer log on disk;
	// ReclaimedSegments counts the segment files deleted since Open.
	LogSegments, LogBytes, ReclaimedSegments int64
	// WheelBytes is the size of the wheel file.
	WheelBytes int64
	// Corrupt counts unreadable log entries met by recovery or delivery,
	// Lost the pending entries they made unreachable.
	Corrupt, Lost int64
	// Durable is the last checkpoint written.
	Durable Checkpoint
}

// Open opens the wheel in cfg.Dir, creating it if empty, and rebuilds the
// slot array from the timer log (see "Recovery" in the package doc).
func Open(cfg Config) (*Wheel, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Wheel{
		cfg:    cfg,
		fs:     cfg.FS,
		log:    cfg.Logger.With("component", "timer"),
		logDir: filepath.Join(cfg.Dir, logDirName),
		precMs: cfg.Precision.Milliseconds(),
		nslots: cfg.slotCount(),
		segCfg: segment.Config{
			Size:      cfg.SegmentSize,
			WriteMode: segment.WritePwrite,
			Warm:      false,
			Advice:    vfs.AdviseNormal,
		},
		buf:     make([]byte, 0, writeBufEntries*entrySize),
		batch:   make([]Entry, 0, cfg.MaxBatch),
		ckptBuf: make([]byte, ckptRecordSize),
		maxQO:   -1,
	}
	w.geo = geometry{precisionMs: w.precMs, slots: w.nslots, segmentSize: int64(cfg.SegmentSize)}
	if err := w.open(); err != nil {
		_ = w.release() // the open error is the one returned
		return nil, err
	}
	return w, nil
}

// open does Open's work; on error the caller releases what it made.
func (w *Wheel) open() error {
	fs := w.fs
	if err := fs.MkdirAll(w.logDir, 0o755); err != nil {
		return fmt.Errorf("timer: mkdir %s: %w", w.logDir, err)
	}
	lk, err := fs.Lock(filepath.Join(w.cfg.Dir, lockName))
	if err != nil {
		return fmt.Errorf("timer: lock %s: %w", w.cfg.Dir, err)
	}
	w.lock = lk
	if _, err := segment.RemoveTemps(fs, w.logDir); err != nil {
		return err
	}
	ck, found, err := w.readCheckpoint()
	if err != nil {
		return err
	}
	if !found {
		if err := w.create(); err != nil {
			return err
		}
	} else {
		w.durable = ck
		w.maxQO = ck.QueueOffset
		w.logEnd = ck.LogEnd
		w.collected, w.delivered = ck.DeliveredMs, ck.DeliveredMs
		w.stats.deliveredTotal = ck.DeliveredTotal
		if err := w.openWheelFile(); err != nil {
			return err
		}
		if err := w.recover(); err != nil {
			return err
		}
		w.resumePartial(ck)
	}
	w.bufPos = w.logEnd
	alloc, err := segment.NewAllocator(fs, w.logDir, w.segCfg)
	if err != nil {
		return err
	}
	w.alloc = alloc
	w.opened = time.Now()
	return nil
}

// create initializes an empty directory: no log, a zeroed wheel, and a
// first checkpoint made durable before Open returns.
func (w *Wheel) create() error {
	bases, err := segment.List(w.fs, w.logDir)
	if err != nil {
		return err
	}
	for _, b := range bases { // files of a wheel whose first checkpoint never became durable
		if err := w.fs.Remove(filepath.Join(w.logDir, segment.Name(b))); err != nil {
			return fmt.Errorf("timer: remove stale segment: %w", err)
		}
	}
	now := w.cfg.Clock().UnixMilli()
	w.collected = floorTo(now, w.precMs)
	w.delivered = w.collected
	w.durable = Checkpoint{QueueOffset: -1, DeliveredMs: w.delivered}
	if err := w.openWheelFile(); err != nil {
		return err
	}
	f, err := w.fs.Create(filepath.Join(w.cfg.Dir, ckptName))
	if err != nil {
		return fmt.Errorf("timer: create checkpoint: %w", err)
	}
	w.ckptFile = f
	if err := f.Preallocate(ckptFileSize); err != nil {
		return fmt.Errorf("timer: preallocate checkpoint: %w", err)
	}
	if err := w.writeCheckpoint(w.durable); err != nil {
		return err
	}
	if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
		return fmt.Errorf("timer: sync dir %s: %w", w.cfg.Dir, err)
	}
	return nil
}

// readCheckpoint opens the checkpoint file and returns its newest valid
// record. found is false for a directory without one (a new wheel, or one
// whose first checkpoint never reached the disk and which holds no log).
func (w *Wheel) readCheckpoint() (ck Checkpoint, found bool, err error) {
	name := filepath.Join(w.cfg.Dir, ckptName)
	f, err := w.fs.OpenReadWrite(name)
	if errors.Is(err, os.ErrNotExist) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("timer: open %s: %w", name, err)
	}
	b := make([]byte, ckptFileSize)
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		_ = f.Close() // the read error is the one returned
		return Checkpoint{}, false, fmt.Errorf("timer: read %s: %w", name, err)
	}
	best, ok := -1, false
	var seqs [2]uint64
	var cks [2]Checkpoint
	for i := 0; i < 2; i++ {
		if (i+1)*ckptRecordSize > n {
			break
		}
		seq, g, c, valid := decodeCheckpoint(b[i*ckptRecordSize:])
		if !valid {
			continue
		}
		if g != w.geo {
			_ = f.Close() // the mismatch is the error returned
			return Checkpoint{}, false, fmt.Errorf("%w: %s has precision %d ms, %d slots, segments of %d bytes; config wants %d ms, %d, %d",
				ErrMismatch, name, g.precisionMs, g.slots, g.segmentSize, w.geo.precisionMs, w.geo.slots, w.geo.segmentSize)
		}
		seqs[i], cks[i] = seq, c
		if !ok || seq > seqs[best] {
			best, ok = i, true
		}
	}
	if !ok {
		bases, lerr := segment.List(w.fs, w.logDir)
		if lerr == nil && len(bases) == 0 {
			_ = f.Close() // nothing was ever counted: start afresh (create recreates it)
			return Checkpoint{}, false, nil
		}
		_ = f.Close() // the corruption is the error returned
		return Checkpoint{}, false, fmt.Errorf("%w: %s has no valid record", ErrCorrupt, name)
	}
	w.ckptFile = f
	w.ckptSeq = seqs[best]
	return cks[best], true, nil
}

// openWheelFile makes a zeroed wheel file of the right size and maps it.
// The wheel is derived data: Open rebuilds it from the log every time.
func (w *Wheel) openWheelFile() error {
	name := filepath.Join(w.cfg.Dir, wheelName)
	f, err := w.fs.Create(name) // truncates: every slot reads as empty
	if err != nil {
		return fmt.Errorf("timer: create %s: %w", name, err)
	}
	w.wheelFile = f
	size := wheelHeaderSize + w.nslots*slotSize
	if ps := int64(os.Getpagesize()); size%ps != 0 {
		size += ps - size%ps
	}
	if err := f.Preallocate(size); err != nil {
		return fmt.Errorf("timer: preallocate %s: %w", name, err)
	}
	m, err := f.Map(int(size), true)
	if err != nil {
		return fmt.Errorf("timer: map %s: %w", name, err)
	}
	w.wheelMap = m
	b := m.Bytes()
	encodeWheelHeader(b, w.precMs, w.nslots)
	w.slots = b[wheelHeaderSize : wheelHeaderSize+w.nslots*slotSize]
	return nil
}

// release closes whatever Open made, for an Open that failed half-way
// and for Close.
func (w *Wheel) release() error {
	var errs []error
	if w.alloc != nil {
		errs = append(errs, w.alloc.Close())
	}
	for _, s := range w.segs {
		errs = append(errs, s.seg.Close())
	}
	w.segs, w.active = nil, nil
	if w.wheelMap != nil {
		errs = append(errs, w.wheelMap.Unmap())
		w.slots = nil
	}
	if w.wheelFile != nil {
		errs = append(errs, w.wheelFile.Close())
	}
	if w.ckptFile != nil {
		errs = append(errs, w.ckptFile.Close())
	}
	if w.lock != nil {
		errs = append(errs, w.lock.Close())
	}
	return errors.Join(errs...)
}

// floorTo rounds t down to a multiple of p.
func floorTo(t, p int64) int64 {
	r := t % p
	if r < 0 {
		r += p
	}
	return t - r
}

// ceilTo rounds t up to a multiple of p.
func ceilTo(t, p int64) int64 {
	f := floorTo(t, p)
	if f == t {
		return t
	}
	return f + p
}

// slotBytes returns the 32 bytes of the slot for slot time t.
//
// REQUIRES: mu held.
func (w *Wheel) slotBytes(t int64) []byte {
	i := (t / w.precMs) % w.nslots
	if i < 0 {
		i += w.nslots
	}
	return w.slots[i*slotSize : (i+1)*slotSize]
}

// Add files e under its slot. It is meant for one goroutine, the broker's
// timer dispatcher, adding entries in queue-offset order:
//
//   - an entry whose QueueOffset is at or below the highest added (the
//     re-adds after a restart) is skipped and Add returns nil;
//   - an entry due more than MaxDelay after now is refused with
//     ErrBeyondMaxDelay;
//   - an entry already due, or due in a slot delivery has already
//     started, goes to the first slot not yet started: it is delivered
//     at the next tick;
//   - ErrBusy means its slot still holds undelivered entries one span
//     earlier (delivery is more than Slack behind): retry later.
//
// Add returns once the entry is visible to delivery; it is durable after
// the next checkpoint (Sync, or the delivery loop's own).
func (w *Wheel) Add(e Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if e.QueueOffset <= w.maxQO {
		w.stats.skipped++
		return nil
	}
	now := w.cfg.Clock().UnixMilli()
	if e.DeliverAtMs-now > w.cfg.MaxDelay.Milliseconds() {
		return fmt.Errorf("%w: due at %d ms, %v after now (%d ms); the maximum is %v",
			ErrBeyondMaxDelay, e.DeliverAtMs, time.Duration(e.DeliverAtMs-now)*time.Millisecond, now, w.cfg.MaxDelay)
	}
	if w.active == nil || w.logEnd == w.active.base+int64(w.cfg.SegmentSize) {
		if err := w.rollUnlocked(); err != nil {
			return err
		}
	}
	t := ceilTo(e.DeliverAtMs, w.precMs) // never early
	if t < w.collected {
		t = w.collected
	}
	sb := w.slotBytes(t)
	s := readSlot(sb)
	fresh := s.count == 0 || s.timeMs != t
	// NB: the old chain may be overwritten only once a durable checkpoint
	// has passed its slot. With the in-memory cursor instead, a crash
	// between deliver and the checkpoint would leave two undelivered
	// chains of one slot in the log, which recovery cannot tell apart.
	if s.count > 0 && s.timeMs != t && s.timeMs >= w.durable.DeliveredMs {
		return fmt.Errorf("%w: slot of %d ms holds %d entries of %d ms, durably delivered up to %d ms",
			ErrBusy, t, s.count, s.timeMs, w.durable.DeliveredMs)
	}
	pos := w.logEnd
	le := logEntry{Entry: e, slotMs: t, prevPos: noPos}
	if !fresh {
		le.prevPos = s.lastPos
	}
	n := len(w.buf)
	w.buf = w.buf[:n+entrySize]
	encodeEntry(w.buf[n:], &le)
	w.logEnd += entrySize
	if fresh {
		s = slot{timeMs: t, firstPos: pos, lastPos: pos, count: 1}
		w.slotsUsed++
	} else {
		s.lastPos = pos
		s.count++
	}
	writeSlot(sb, s)
	w.active.maxSlot = max(w.active.maxSlot, t)
	w.pending++
	w.maxQO = e.QueueOffset
	w.stats.added++
	if len(w.buf) == cap(w.buf) || w.logEnd == w.active.base+int64(w.cfg.SegmentSize) {
		return w.flushBufLocked()
	}
	return nil
}

// rollUnlocked makes the segment starting at logEnd the active one. It
// releases mu while the Allocator hands the segment over (which creates
// and fdatasyncs it if none is ready), so delivery never waits on that.
//
// REQUIRES: mu held (it is held again on return), called by Add: only
// Add's goroutine changes logEnd, active and the write buffer, which is
// empty at a segment end (Add flushes there).
func (w *Wheel) rollUnlocked() error {
	base := w.logEnd
	w.mu.Unlock()
	seg, err := w.alloc.Next(base)
	w.mu.Lock()
	if err != nil {
		return fmt.Errorf("timer: new log segment at %d: %w", base, err)
	}
	si := &segInfo{seg: seg, base: base, maxSlot: math.MinInt64}
	w.segs = append(w.segs, si)
	w.active = si
	w.bufPos = base
	return nil
}

// flushBufLocked writes the buffered entries to the active segment.
// A failure is sticky.
//
// REQUIRES: mu held.
func (w *Wheel) flushBufLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	if err := w.active.seg.WriteAt(w.buf, int(w.bufPos-w.active.base)); err != nil {
		w.err = fmt.Errorf("timer: write log at %d: %w", w.bufPos, err)
		return w.err
	}
	w.buf = w.buf[:0]
	w.bufPos = w.logEnd
	return nil
}

// segFor returns the segment holding log position pos, or nil.
//
// REQUIRES: mu held.
func (w *Wheel) segFor(pos int64) *segInfo {
	i := sort.Search(len(w.segs), func(i int) bool { return w.segs[i].base > pos }) - 1
	if i < 0 || pos >= w.segs[i].base+int64(w.cfg.SegmentSize) {
		return nil
	}
	return w.segs[i]
}

// readEntryLocked reads the entry at pos.
//
// REQUIRES: mu held, the write buffer flushed.
func (w *Wheel) readEntryLocked(pos int64) (logEntry, bool) {
	si := w.segFor(pos)
	if si == nil || pos < 0 || pos%entrySize != 0 {
		return logEntry{}, false
	}
	off := pos - si.base
	return decodeEntry(si.seg.Bytes()[off : off+entrySize])
}

// Pending returns the number of entries added and not yet delivered. Safe
// on any goroutine.
func (w *Wheel) Pending() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pending
}

// Durable returns the last checkpoint written: after a restart the broker
// adds entries again from Durable().QueueOffset+1. Safe on any goroutine.
func (w *Wheel) Durable() Checkpoint {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.durable
}

// Stats returns a snapshot of the counters. Safe on any goroutine.
func (w *Wheel) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Stats{
		Pending:           w.pending,
		Added:             w.stats.added,
		Skipped:           w.stats.skipped,
		DeliveredTotal:    w.stats.deliveredTotal,
		DeliverErrors:     w.stats.deliverErrors,
		SlotsInUse:        w.slotsUsed,
		LogSegments:       int64(len(w.segs)),
		LogBytes:          int64(len(w.segs)) * int64(w.cfg.SegmentSize),
		ReclaimedSegments: w.stats.reclaimed,
		WheelBytes:        int64(len(w.slots)) + wheelHeaderSize,
		Corrupt:           w.stats.corrupt,
		Lost:              w.stats.lost,
		Durable:           w.durable,
	}
}

// Close takes a last checkpoint and releases the files. REQUIRES: Run
// has returned and no Add or Tick is in progress; entries collected but
// not confirmed by deliver are delivered again after the next Open.
func (w *Wheel) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.mu.Unlock()
	err := w.checkpoint()
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.ckptMu.Lock()
	defer w.ckptMu.Unlock()
	return errors.Join(err, w.release())
}
