package timer

import (
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/quivermq/quiver/engine/segment"
)

// scanChunk is the read size of the recovery scan: 1365 entries.
const scanChunk = 1365 * entrySize

// recover rebuilds the slot array from the timer log below the durable
// end, as the package doc's "Recovery" describes.
//
// REQUIRES: Open, with the checkpoint read and the wheel file zeroed.
func (w *Wheel) recover() error {
	start := time.Now()
	ck := w.durable
	segSize := int64(w.cfg.SegmentSize)
	bases, err := segment.List(w.fs, w.logDir)
	if err != nil {
		return err
	}
	removed := 0
	for _, base := range bases {
		if base >= ck.LogEnd || base%segSize != 0 {
			// Past the durable end: bytes no checkpoint counts. Their
			// entries come back from the broker's re-adds.
			if err := w.fs.Remove(filepath.Join(w.logDir, segment.Name(base))); err != nil {
				return fmt.Errorf("timer: remove segment past the durable end: %w", err)
			}
			removed++
			continue
		}
		seg, err := segment.Open(w.fs, w.logDir, base, w.segCfg)
		if err != nil {
			return err
		}
		si := &segInfo{seg: seg, base: base, maxSlot: math.MinInt64}
		w.segs = append(w.segs, si)
		end := min(base+segSize, ck.LogEnd)
		if _, err := w.scanSegment(si, end); err != nil {
			return err
		}
		// Truncate zeroes stale bytes past the durable end (entries a
		// crash left half-written, or that no checkpoint counted) so no
		// later scan reads them, and sets the written position.
		if err := seg.Truncate(int(end - base)); err != nil {
			return fmt.Errorf("timer: truncate segment %d: %w", base, err)
		}
	}
	if removed > 0 {
		if err := w.fs.SyncDir(w.logDir); err != nil {
			return fmt.Errorf("timer: sync dir %s: %w", w.logDir, err)
		}
	}
	if r := ck.LogEnd % segSize; r != 0 {
		if last := len(w.segs) - 1; last >= 0 && w.segs[last].base == ck.LogEnd-r {
			w.active = w.segs[last]
		} else {
			// The segment holding the durable end is missing (lost by
			// the disk). Its entries are gone; go on at the next
			// segment boundary.
			w.log.Error("timer: the log segment holding the durable end is missing; its entries are lost",
				"segment", segment.Name(ck.LogEnd-r), "logEnd", ck.LogEnd)
			w.logEnd = ck.LogEnd - r + segSize
		}
	}
	w.log.Info("timer: wheel recovered",
		"pending", w.pending, "slotsInUse", w.slotsUsed, "segments", len(w.segs),
		"removedPastEnd", removed, "corrupt", w.stats.corrupt,
		"queueOffset", ck.QueueOffset, "deliveredMs", ck.DeliveredMs, "took", time.Since(start))
	return nil
}

// scanSegment files the entries of si below log position end under their
// slots, skipping those of slots already delivered, and notes the
// segment's latest slot. Entries whose prev pointer disagrees with the
// rebuilt chain (after an unreadable entry) are rewritten to link to it;
// relinked reports whether any was, and the segment is then synced.
//
// It reads with pread in chunks rather than through the mapping, so that a
// recovery scan does not leave the whole log resident in the process.
func (w *Wheel) scanSegment(si *segInfo, end int64) (relinked bool, err error) {
	f, err := w.fs.Open(si.seg.Path())
	if err != nil {
		return false, fmt.Errorf("timer: open %s: %w", si.seg.Path(), err)
	}
	defer f.Close() // read-only: nothing to lose
	ck := w.durable
	var fix [entrySize]byte
	chunk := make([]byte, scanChunk)
	var chunkOff, chunkEnd int64 = 0, 0 // segment offsets held in chunk
	for pos := si.base; pos < end; pos += entrySize {
		off := pos - si.base
		if off >= chunkEnd {
			n := min(int64(len(chunk)), end-pos)
			if _, err := f.ReadAt(chunk[:n], off); err != nil {
				return false, fmt.Errorf("timer: read %s at %d: %w", si.seg.Path(), off, err)
			}
			chunkOff, chunkEnd = off, off+n
		}
		e, ok := decodeEntry(chunk[off-chunkOff : off-chunkOff+entrySize])
		if !ok {
			w.stats.corrupt++
			w.log.Error("timer: unreadable log entry below the durable end; skipped", "pos", pos)
			continue
		}
		si.maxSlot = max(si.maxSlot, e.slotMs)
		if e.slotMs < ck.DeliveredMs {
			continue
		}
		sb := w.slotBytes(e.slotMs)
		s := readSlot(sb)
		var want int64 = noPos
		switch {
		case s.count == 0:
			s = slot{timeMs: e.slotMs, firstPos: pos, lastPos: pos}
			w.slotsUsed++
		case s.timeMs == e.slotMs:
			want = s.lastPos
			s.lastPos = pos
		default:
			return false, fmt.Errorf("%w: log entry at %d is due in slot %d ms, which holds undelivered entries of %d ms",
				ErrCorrupt, pos, e.slotMs, s.timeMs)
		}
		s.count++
		writeSlot(sb, s)
		w.pending++
		if e.prevPos != want {
			e.prevPos = want
			encodeEntry(fix[:], &e)
			if err := si.seg.WriteAt(fix[:], int(off)); err != nil {
				return false, fmt.Errorf("timer: relink log entry at %d: %w", pos, err)
			}
			relinked = true
		}
	}
	if relinked {
		if err := si.seg.Sync(); err != nil {
			return true, fmt.Errorf("timer: sync relinked segment %d: %w", si.base, err)
		}
	}
	return relinked, nil
}

// resumePartial picks up the delivery of a slot that a checkpoint shows
// half delivered (ck.PartialLeft > 0): the walk goes on from PartialPos,
// the chain's newer entries count as delivered, and new entries go to the
// next slot (no entry can join a slot whose walk has started).
//
// REQUIRES: Open, after recover.
func (w *Wheel) resumePartial(ck Checkpoint) {
	if ck.PartialLeft <= 0 {
		return
	}
	s := readSlot(w.slotBytes(ck.DeliveredMs))
	if s.timeMs != ck.DeliveredMs || s.count < ck.PartialLeft {
		w.log.Error("timer: checkpoint names a half-delivered slot the log does not hold; delivering the slot whole",
			"slotMs", ck.DeliveredMs, "partialLeft", ck.PartialLeft, "slotCount", s.count)
		return
	}
	w.walk = walkState{active: true, slotMs: ck.DeliveredMs, pos: ck.PartialPos, left: ck.PartialLeft}
	w.doneWalk = w.walk
	w.collected = ck.DeliveredMs + w.precMs
	w.pending -= int64(s.count - ck.PartialLeft)
}
