package commitlog

import (
	"errors"
	"fmt"
	"sort"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/message"
)

// Pin keeps a segment mapped for a reader. The zero Pin releases nothing.
type Pin struct{ s *segment.Segment }

// Release lets the segment be unmapped (after retention deleted it). Call it
// once, after the last use of the bytes the pin covers. Safe on any
// goroutine; it never blocks on I/O.
func (p Pin) Release() {
	if p.s != nil {
		p.s.Release()
	}
}

// acquire finds the segment holding phys and pins it.
func (l *Log) acquire(phys int64) (*segment.Segment, int, error) {
	w := l.wrote.Load()
	segs := *l.segs.Load()
	if phys < 0 || phys >= w || len(segs) == 0 || phys < segs[0].Base() {
		return nil, 0, fmt.Errorf("%w: %d not in [%d, %d)", ErrOffsetRange, phys, l.MinOffset(), w)
	}
	i := sort.Search(len(segs), func(i int) bool { return segs[i].Base() > phys }) - 1
	s := segs[i]
	if !s.Acquire() { // deleted meanwhile
		return nil, 0, fmt.Errorf("%w: %d deleted", ErrOffsetRange, phys)
	}
	return s, int(phys - s.Base()), nil
}

// Read returns the record at phys as a view of the mapped segment (no copy)
// and a Pin that keeps it mapped: call Release when done with the record.
// The record's layout is checked, not its body CRC; an offset inside a
// corrupt range that recovery reported fails with ErrCorrupt, even where
// the layout looks intact (a flipped body bit). Safe for concurrent use.
func (l *Log) Read(phys int64) (message.Record, Pin, error) {
	for _, r := range l.corrupt { // immutable after Open; nearly always empty
		if phys >= r.Start && phys < r.End {
			return nil, Pin{}, fmt.Errorf("commitlog: read at %d: in corrupt range [%d, %d): %w", phys, r.Start, r.End, ErrCorrupt)
		}
	}
	s, off, err := l.acquire(phys)
	if err != nil {
		return nil, Pin{}, err
	}
	l.ra.hint(phys)
	end := min(s.Wrote(), s.Size())
	n, filler, err := message.Decode(s.Bytes()[off:end], false)
	if err != nil || filler {
		s.Release()
		if err == nil {
			err = ErrNotRecord
		}
		return nil, Pin{}, fmt.Errorf("commitlog: read at %d: %w", phys, err)
	}
	return message.Record(s.Bytes()[off : off+n]), Pin{s}, nil
}

// ReadRange returns up to n contiguous bytes from phys, as a view of the
// mapped segment, and its Pin. It stops at the end of the segment (for a
// sealed segment: its filler and the zeros after it) or at Wrote, so it may
// return fewer than n bytes; read on from phys+len. Safe for concurrent use.
func (l *Log) ReadRange(phys int64, n int) ([]byte, Pin, error) {
	s, off, err := l.acquire(phys)
	if err != nil {
		return nil, Pin{}, err
	}
	// A sealed segment reads to its end (the filler and the zeros after
	// it, as RocketMQ ships them); the active one to Wrote.
	end := s.Size()
	if w := l.wrote.Load() - s.Base(); w < int64(end) {
		end = int(w)
	}
	end = min(end, off+n)
	return s.Bytes()[off:end:end], Pin{s}, nil
}

// Scan calls fn for every record from from (a record boundary, such as a
// Report's Start) to Wrote, in log order, following fillers and skipping the
// corrupt ranges recovery reported. rec is valid only during the call. It
// stops at fn's first error and returns it. Layouts are checked, body CRCs
// are not (recovery did). Safe with concurrent appends: it stops at the
// Wrote it read first.
func (l *Log) Scan(from int64, fn func(phys int64, rec message.Record) error) error {
	end := l.wrote.Load()
	pos := max(from, l.MinOffset())
	for pos < end {
		for _, c := range l.corrupt {
			if pos >= c.Start && pos < c.End {
				pos = c.End
			}
		}
		if pos >= end {
			break
		}
		s, off, err := l.acquire(pos)
		if err != nil {
			return err
		}
		b := s.Bytes()[:min(s.Wrote(), s.Size())]
		next, err := l.scanSegment(s, b, off, end, fn)
		s.Release()
		if err != nil {
			return err
		}
		pos = next
	}
	return nil
}

// scanSegment walks the records of one pinned segment from off and returns
// the log offset where the walk continues.
func (l *Log) scanSegment(s *segment.Segment, b []byte, off int, end int64, fn func(int64, message.Record) error) (int64, error) {
	base := s.Base()
	for base+int64(off) < end {
		phys := base + int64(off)
		for _, c := range l.corrupt {
			if phys >= c.Start && phys < c.End {
				return c.End, nil
			}
		}
		n, filler, err := message.Decode(b[off:], false)
		if err != nil {
			if errors.Is(err, message.ErrUnwritten) {
				return end, nil
			}
			return 0, fmt.Errorf("commitlog: scan at %d: %w", phys, err)
		}
		if filler {
			return base + int64(s.Size()), nil
		}
		if err := fn(phys, message.Record(b[off:off+n])); err != nil {
			return 0, err
		}
		off += n
	}
	return end, nil
}
