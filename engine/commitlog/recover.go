package commitlog

import (
	"errors"
	"fmt"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/message"
)

// Report is what Open's recovery found.
type Report struct {
	// Start is where the scan began (the checkpoint given to Open, raised
	// to the first segment's base); End the recovered end of the log, where
	// the next append goes.
	Start, End int64
	// Segments is the number of segments opened; TempsRemoved the
	// temporary files of interrupted creations deleted; EmptyRemoved the
	// never-written segments past End deleted (pre-made by the allocator).
	Segments, TempsRemoved, EmptyRemoved int
	// Records is the number of valid records scanned in [Start, End).
	Records int64
	// TornAt is the offset of a torn tail that was cut off (-1: none), and
	// Truncated the non-zero bytes zeroed from there on.
	TornAt    int64
	Truncated int64
	// Corrupt lists the ranges that hold no readable record, with valid
	// records after them. They stay in the log; Scan skips them and Read
	// in them fails.
	Corrupt []CorruptRange
	// FillersRepaired counts segments whose end-of-segment filler had not
	// reached the disk (all zeros after the last record) although the next
	// segment's data had: the filler is written again. No record is lost.
	FillersRepaired int
}

// Err returns a *CorruptError if recovery found corrupt ranges, else nil.
func (r *Report) Err() error {
	if len(r.Corrupt) == 0 {
		return nil
	}
	return &CorruptError{Ranges: r.Corrupt}
}

// String formats the report on one line.
func (r *Report) String() string {
	return fmt.Sprintf("commitlog recovery: start=%d end=%d segments=%d records=%d torn_at=%d truncated=%d corrupt=%d temps=%d empty_removed=%d",
		r.Start, r.End, r.Segments, r.Records, r.TornAt, r.Truncated, len(r.Corrupt), r.TempsRemoved, r.EmptyRemoved)
}

// checkEntry decodes the entry at off of a segment's bytes b (at log offset
// base+off) with every check: CRC, PHYSICALOFFSET equal to the position, a
// filler declaring exactly the rest of the segment.
func checkEntry(b []byte, base int64, off int) (n int, filler bool, err error) {
	if off+message.FillerSize > len(b) {
		return 0, false, fmt.Errorf("commitlog: %d bytes left at the end of segment %d: %w", len(b)-off, base, message.ErrTruncated)
	}
	n, filler, err = message.Decode(b[off:], true)
	if err != nil {
		return 0, false, err
	}
	if filler {
		if n != len(b)-off {
			return 0, false, &message.CorruptionError{Field: "TOTALSIZE", Item: -1, Reason: message.ErrBadLength, Got: int64(n), Want: int64(len(b) - off)}
		}
		return n, true, nil
	}
	if p := message.Record(b[off : off+n]).PhysicalOffset(); p != base+int64(off) {
		return 0, false, fmt.Errorf("%w: at %d, stored %d", ErrPhysicalOffset, base+int64(off), p)
	}
	return n, false, nil
}

// resync looks for the first valid entry after the bad one at off of
// segs[i]: byte by byte in the rest of that segment (records are not
// aligned), then in the following segments. It returns its segment index
// and offset, or ok=false if nothing valid follows (a torn tail).
func resync(segs []*segment.Segment, i, off int) (int, int, bool) {
	for from := off + 1; i < len(segs); i, from = i+1, 0 {
		b, base := segs[i].Bytes(), segs[i].Base()
		for p := from; p+message.FillerSize <= len(b); p++ {
			// Cheap filter: the first byte of MAGICCODE of a record
			// (0xDA) or of a filler (0xCB).
			if c := b[p+4]; c != 0xDA && c != 0xCB {
				continue
			}
			if _, _, err := checkEntry(b, base, p); err == nil {
				return i, p, true
			}
		}
	}
	return 0, 0, false
}

// recover opens the segments and finds the end of the log. See Open.
func (l *Log) recover(start int64) (*Report, error) {
	size := int64(l.cfg.SegmentSize)
	rep := &Report{TornAt: -1}
	bases, err := segment.List(l.fs, l.dir)
	if err != nil {
		return nil, fmt.Errorf("commitlog: %w", err)
	}
	segs := make([]*segment.Segment, 0, len(bases))
	l.segs.Store(&segs)
	for k, b := range bases {
		if k > 0 && b != bases[k-1]+size {
			return nil, fmt.Errorf("%w: segment %d follows %d (size %d): a segment is missing", ErrCorrupt, b, bases[k-1], size)
		}
		s, err := segment.Open(l.fs, l.dir, b, l.scfg)
		if err != nil {
			return nil, fmt.Errorf("commitlog: %w", err)
		}
		segs = append(segs, s)
		l.segs.Store(&segs)
	}
	rep.Segments = len(segs)
	if len(segs) == 0 {
		rep.Start, rep.End = 0, 0
		return rep, nil
	}
	first, last := segs[0].Base(), segs[len(segs)-1].Base()+size
	start = max(start, first)
	if start > last {
		return nil, fmt.Errorf("%w: start %d past the last segment's end %d", ErrOffsetRange, start, last)
	}
	rep.Start = start
	i := int((start - first) / size)
	for k := 0; k < i; k++ { // before the checkpoint: trusted, sealed
		if err := segs[k].Truncate(l.cfg.SegmentSize); err != nil {
			return nil, fmt.Errorf("commitlog: %w", err)
		}
	}
	off := int(start - first - int64(i)*size)
	scanned := i
scan:
	for i < len(segs) {
		s := segs[i]
		b, base := s.Bytes(), s.Base()
		for {
			n, filler, err := checkEntry(b, base, off)
			switch {
			case err == nil && filler:
				if err := s.Truncate(l.cfg.SegmentSize); err != nil {
					return nil, fmt.Errorf("commitlog: %w", err)
				}
				i, off = i+1, 0
				continue scan
			case err == nil:
				rep.Records++
				off += n
				continue
			case errors.Is(err, message.ErrUnwritten):
				if !lostFiller(segs, i, off) {
					break scan
				}
				// The filler's page did not reach the disk before a power
				// loss while the next segment's pages did (write-back order
				// between files is the kernel's). Only zeros follow the last
				// record, so nothing is lost: put the filler back.
				if off+message.FillerSize <= l.cfg.SegmentSize {
					var fill [message.FillerSize]byte
					if err := message.PutFiller(fill[:], l.cfg.SegmentSize-off); err != nil {
						return nil, fmt.Errorf("commitlog: filler: %w", err)
					}
					if err := s.WriteAt(fill[:], off); err != nil {
						return nil, fmt.Errorf("commitlog: repair filler at %d: %w", base+int64(off), err)
					}
				}
				if err := s.Truncate(l.cfg.SegmentSize); err != nil {
					return nil, fmt.Errorf("commitlog: %w", err)
				}
				rep.FillersRepaired++
				i, off = i+1, 0
				continue scan
			}
			j, p, ok := resync(segs, i, off)
			if !ok { // torn tail: nothing valid after it
				rep.TornAt = base + int64(off)
				rep.Truncated = int64(lastNonZero(b[off:]))
				break scan
			}
			rep.Corrupt = append(rep.Corrupt, CorruptRange{Start: base + int64(off), End: segs[j].Base() + int64(p), Err: err})
			for ; i < j; i++ { // segments skipped by the corrupt range
				if err := segs[i].Truncate(l.cfg.SegmentSize); err != nil {
					return nil, fmt.Errorf("commitlog: %w", err)
				}
			}
			off = p
			continue scan
		}
	}
	if i == len(segs) { // ended on a filler of the last segment
		l.pos = last
	} else {
		s := segs[i]
		if err := s.Truncate(off); err != nil {
			return nil, fmt.Errorf("commitlog: truncate %d: %w", s.Base()+int64(off), err)
		}
		l.pos = s.Base() + int64(off)
		// Segments past the end: never-written ones (pre-made by the
		// allocator) are deleted; one with data is left for the operator.
		for k := len(segs) - 1; k > i; k-- {
			if _, _, err := message.Decode(segs[k].Bytes(), false); !errors.Is(err, message.ErrUnwritten) {
				return nil, fmt.Errorf("%w: segment %d, log ends at %d", ErrDataPastEnd, segs[k].Base(), l.pos)
			}
		}
		for k := len(segs) - 1; k > i; k-- {
			if err := segs[k].Remove(); err != nil {
				return nil, fmt.Errorf("commitlog: remove empty segment: %w", err)
			}
			rep.EmptyRemoved++
		}
		segs = segs[:i+1]
		l.segs.Store(&segs)
		l.active = s
		if l.cfg.warm() {
			if err := s.Warm(); err != nil {
				return nil, fmt.Errorf("commitlog: %w", err)
			}
		}
	}
	// NB: Truncate sets Flushed without an fdatasync when it zeroes
	// nothing, but after a process crash the scanned bytes may still be
	// only in the page cache. Sync the scanned files before calling them
	// flushed.
	for k := scanned; k < len(segs); k++ {
		if err := l.syncFile(segs[k]); err != nil {
			return nil, err
		}
	}
	l.corrupt = rep.Corrupt
	rep.End = l.pos
	l.wrote.Store(l.pos)
	l.appendEnd.Store(l.pos)
	l.flushed.Store(l.pos)
	return rep, nil
}

// syncFile fdatasyncs a segment's file through a handle of its own (Segment
// offers no Sync of bytes it already counts as flushed).
func (l *Log) syncFile(s *segment.Segment) error {
	f, err := l.fs.OpenReadWrite(s.Path())
	if err != nil {
		return fmt.Errorf("commitlog: recovery sync: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("commitlog: recovery sync %s: %w", s.Path(), err)
	}
	return nil
}

// lastNonZero returns the length of b up to and including its last non-zero
// byte.
// lostFiller reports whether segment i ends at off with nothing but zeros
// and segment i+1 begins with a valid entry at its base: the signature of a
// filler lost in a power loss while the next segment's data survived.
func lostFiller(segs []*segment.Segment, i, off int) bool {
	if i+1 >= len(segs) || lastNonZero(segs[i].Bytes()[off:]) != 0 {
		return false
	}
	next := segs[i+1]
	_, _, err := checkEntry(next.Bytes(), next.Base(), 0)
	return err == nil
}

func lastNonZero(b []byte) int {
	for n := len(b); n > 0; n-- {
		if b[n-1] != 0 {
			return n
		}
	}
	return 0
}
