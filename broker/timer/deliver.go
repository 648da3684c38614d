package timer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// DeliverFunc receives the entries that fell due, in slot order. It
// returns nil once the broker has re-appended every one of them to its
// real topic; an error makes the wheel offer the same batch again later.
// batch is only valid during the call: copy what must outlive it.
type DeliverFunc func(batch []Entry) error

// Tick delivers every entry whose slot time is at or before now: it
// collects up to MaxBatch entries at a time (under the wheel's lock),
// calls deliver without the lock, and only when deliver returned nil
// marks them delivered. It returns the number of entries delivered.
//
// When deliver fails Tick returns its error at once and keeps the batch:
// the next Tick offers the same entries first, so nothing is skipped.
// Tick takes a checkpoint at the end if it delivered anything or entries
// were added since the last one, and every CheckpointInterval of wall
// time while it works through a long backlog; then it deletes log
// segments whose every entry is durably delivered.
//
// REQUIRES: one goroutine calls Tick (Run is that goroutine when used).
func (w *Wheel) Tick(now time.Time, deliver DeliverFunc) (int, error) {
	nowMs := now.UnixMilli()
	n := 0
	for {
		if len(w.batch) == 0 {
			w.mu.Lock()
			if w.closed {
				w.mu.Unlock()
				return n, ErrClosed
			}
			if w.err != nil {
				err := w.err
				w.mu.Unlock()
				return n, err
			}
			if err := w.collectLocked(nowMs); err != nil {
				w.mu.Unlock()
				return n, err
			}
			if len(w.batch) == 0 {
				w.delivered = max(w.delivered, w.batchTo)
				w.mu.Unlock()
				break
			}
			w.mu.Unlock()
		}
		if err := deliver(w.batch); err != nil {
			w.mu.Lock()
			w.stats.deliverErrors++
			w.mu.Unlock()
			err = fmt.Errorf("timer: deliver %d entries: %w", len(w.batch), err)
			if n > 0 { // record the batches accepted before this one
				if cerr := w.checkpoint(); cerr != nil {
					return n, errors.Join(err, cerr)
				}
			}
			return n, err
		}
		w.mu.Lock()
		w.pending -= int64(len(w.batch))
		w.slotsUsed -= w.batchSlots
		w.stats.deliveredTotal += int64(len(w.batch))
		w.delivered = max(w.delivered, w.batchTo)
		w.doneWalk = w.walk // collect has not run since this batch
		w.mu.Unlock()
		n += len(w.batch)
		w.batch = w.batch[:0]
		w.batchSlots = 0
		if time.Since(w.opened)-time.Duration(w.lastCkpt.Load()) >= w.cfg.CheckpointInterval {
			if err := w.checkpoint(); err != nil {
				return n, err
			}
		}
	}
	if n > 0 || w.dirty() {
		if err := w.checkpoint(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// dirty reports whether entries were added or delivered since the last
// checkpoint.
func (w *Wheel) dirty() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logEnd != w.durable.LogEnd || w.stats.deliveredTotal != w.durable.DeliveredTotal ||
		w.maxQO != w.durable.QueueOffset
}

// collectLocked fills w.batch with up to MaxBatch entries of the slots
// from w.collected up to nowMs, and sets w.batchTo to the delivery
// cursor the batch completes.
//
// A slot's chain is read from its last entry back to its first; each
// chunk read from one slot is put back in append order and sorted by
// DeliverAtMs (stable), so a slot that fits in one batch is delivered in
// time order, and a longer one in chunks, the newest chunk first.
//
// NB: once a slot is started, w.collected is already past it, so an Add
// racing with the walk files a past-due entry under the next slot, never
// behind the walk where it would be missed.
//
// REQUIRES: mu held, w.batch empty.
func (w *Wheel) collectLocked(nowMs int64) error {
	if err := w.flushBufLocked(); err != nil {
		return err
	}
	limit := w.cfg.MaxBatch
	for len(w.batch) < limit {
		if w.walk.active {
			start := len(w.batch)
			broken := false
			for len(w.batch) < limit && w.walk.left > 0 && w.walk.pos != noPos {
				e, ok := w.readEntryLocked(w.walk.pos)
				if !ok || e.slotMs != w.walk.slotMs {
					w.stats.corrupt++
					w.log.Error("timer: unreadable log entry in a slot's chain; the slot's older entries are lost",
						"slotMs", w.walk.slotMs, "pos", w.walk.pos, "left", w.walk.left)
					broken = true
					break
				}
				w.batch = append(w.batch, e.Entry)
				w.walk.pos = e.prevPos
				w.walk.left--
			}
			chunk := w.batch[start:]
			slices.Reverse(chunk)
			slices.SortStableFunc(chunk, func(a, b Entry) int {
				switch {
				case a.DeliverAtMs < b.DeliverAtMs:
					return -1
				case a.DeliverAtMs > b.DeliverAtMs:
					return 1
				}
				return 0
			})
			if broken || w.walk.left == 0 || w.walk.pos == noPos {
				if w.walk.left > 0 {
					w.stats.lost += int64(w.walk.left)
					w.pending -= int64(w.walk.left)
				}
				w.walk = walkState{}
				w.batchSlots++
			}
			continue
		}
		if w.collected > nowMs {
			break
		}
		t := w.collected
		w.collected += w.precMs
		if s := readSlot(w.slotBytes(t)); s.timeMs == t && s.count > 0 {
			w.walk = walkState{active: true, slotMs: t, pos: s.lastPos, left: s.count}
		}
	}
	if w.walk.active {
		w.batchTo = w.walk.slotMs
	} else {
		w.batchTo = w.collected
	}
	return nil
}

// Run calls Tick at every Precision boundary of the clock until ctx is
// done, with deliver. After a failed deliver it waits RetryMin, doubling
// up to RetryMax, and tries the same batch again. It returns nil when ctx
// is done, or the wheel's sticky error (a failed write or sync: the broker
// should stop and restart from the files).
//
// REQUIRES: no other goroutine calls Tick; Close only after Run returned.
func (w *Wheel) Run(ctx context.Context, deliver DeliverFunc) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var backoff time.Duration
	for {
		_, err := w.Tick(w.cfg.Clock(), deliver)
		wait := w.untilNextSlot()
		switch {
		case errors.Is(err, ErrClosed):
			return err
		case err != nil && w.stickyErr() != nil:
			w.log.Error("timer: stopping delivery", "err", err)
			return err
		case err != nil:
			backoff = min(max(2*backoff, w.cfg.RetryMin), w.cfg.RetryMax)
			w.log.Warn("timer: deliver failed; retrying the same entries", "err", err, "retryIn", backoff)
			wait = backoff
		default:
			backoff = 0
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
	}
}

// untilNextSlot returns the time from the clock's now to the next slot
// boundary, clamped to (0, Precision].
func (w *Wheel) untilNextSlot() time.Duration {
	now := w.cfg.Clock().UnixMilli()
	d := time.Duration(floorTo(now, w.precMs)+w.precMs-now) * time.Millisecond
	if d <= 0 || d > w.cfg.Precision {
		d = w.cfg.Precision
	}
	return d + time.Millisecond // land just past the boundary
}

func (w *Wheel) stickyErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Sync takes a checkpoint now: every entry added before the call becomes
// durable and counted in Durable().QueueOffset. Safe on any goroutine.
func (w *Wheel) Sync() error {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return w.checkpoint()
}

// checkpoint makes the state durable in this order (see "Durability" in
// the package doc): snapshot under mu (after writing the buffered
// entries), fdatasync every log segment holding entries below the
// snapshot's LogEnd, then write and fdatasync the checkpoint record.
// Afterwards it deletes the segments the new checkpoint shows delivered.
// A failed write or sync is sticky.
func (w *Wheel) checkpoint() error {
	w.ckptMu.Lock()
	defer w.ckptMu.Unlock()
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	if err := w.flushBufLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	c := Checkpoint{
		QueueOffset:    w.maxQO,
		LogEnd:         w.logEnd,
		DeliveredMs:    w.delivered,
		DeliveredTotal: w.stats.deliveredTotal,
	}
	if dw := w.doneWalk; dw.active && dw.slotMs == w.delivered && dw.left > 0 {
		c.PartialPos, c.PartialLeft = dw.pos, dw.left
	}
	from := w.durable.LogEnd
	var toSync []*segInfo
	for _, s := range w.segs {
		if s.base+int64(w.cfg.SegmentSize) > from && s.base < c.LogEnd {
			toSync = append(toSync, s)
		}
	}
	w.mu.Unlock()

	// NB: segments are only removed under ckptMu (reclaim below), so the
	// ones in toSync stay open across these fdatasyncs.
	for _, s := range toSync {
		if err := s.seg.Sync(); err != nil {
			return w.fail(fmt.Errorf("timer: sync log: %w", err))
		}
	}
	if err := w.writeCheckpoint(c); err != nil {
		return w.fail(err)
	}
	w.lastCkpt.Store(int64(time.Since(w.opened)))
	w.mu.Lock()
	w.durable = c
	w.mu.Unlock()
	return w.reclaim(c.DeliveredMs)
}

// fail makes err sticky unless an earlier error is, and returns the
// sticky error.
func (w *Wheel) fail(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// writeCheckpoint writes c as the next record (alternating between the
// two halves of the file, so a torn write leaves the previous one) and
// syncs it.
//
// REQUIRES: ckptMu held, or Open.
func (w *Wheel) writeCheckpoint(c Checkpoint) error {
	w.ckptSeq++
	encodeCheckpoint(w.ckptBuf, w.ckptSeq, w.geo, c)
	off := int64(w.ckptSeq%2) * ckptRecordSize
	if _, err := w.ckptFile.WriteAt(w.ckptBuf, off); err != nil {
		return fmt.Errorf("timer: write checkpoint: %w", err)
	}
	if err := w.ckptFile.Sync(); err != nil {
		return fmt.Errorf("timer: sync checkpoint: %w", err)
	}
	return nil
}

// reclaim deletes the log segments, other than the one taking appends,
// whose every entry sits in a slot below deliveredMs (durable).
//
// REQUIRES: ckptMu held.
func (w *Wheel) reclaim(deliveredMs int64) error {
	w.mu.Lock()
	var gone []*segInfo
	keep := w.segs[:0]
	for _, s := range w.segs {
		if s != w.active && s.maxSlot < deliveredMs {
			gone = append(gone, s)
			continue
		}
		keep = append(keep, s)
	}
	clear(w.segs[len(keep):])
	w.segs = keep
	w.stats.reclaimed += int64(len(gone))
	w.mu.Unlock()
	var errs []error
	for _, s := range gone {
		// The removal need not be durable: a segment that comes back after
		// a crash holds only delivered entries, which recovery skips.
		errs = append(errs, s.seg.Remove())
	}
	return errors.Join(errs...)
}
