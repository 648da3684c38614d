package consumequeue

import (
	"fmt"
	"iter"
)

// View is a run of consecutive entries of one file, read straight from its
// mapping: no copy. It holds a reference on the file, so retention
// (DeleteBelow), DeleteTopic and Close leave the mapping in place until
// Release. Entries below the MaxOffset the View was made under never
// change while it is held (only Truncate, run at recovery with no readers,
// rewrites entries). A View is used by one goroutine; copies of it share
// its single reference and must not outlive the Release.
type View struct {
	b   []byte // whole entries
	off int64  // queue offset of b[0:EntrySize]
	f   *file  // nil for an empty View
}

// Offset returns the queue offset of the first entry.
func (v *View) Offset() int64 { return v.off }

// Len returns the number of entries, blank ones included.
func (v *View) Len() int { return len(v.b) / EntrySize }

// End returns the queue offset after the last entry: where the next read
// starts.
func (v *View) End() int64 { return v.off + int64(len(v.b)/EntrySize) }

// At decodes entry i (queue offset Offset()+i), which may be blank.
func (v *View) At(i int) Entry { return DecodeEntry(v.b[i*EntrySize:]) }

// Bytes returns the raw entries, valid until Release.
func (v *View) Bytes() []byte { return v.b }

// All yields the non-blank entries with their queue offsets. It does not
// allocate.
func (v *View) All() iter.Seq2[int64, Entry] {
	b, off := v.b, v.off
	return func(yield func(int64, Entry) bool) {
		for i := 0; i+EntrySize <= len(b); i += EntrySize {
			e := DecodeEntry(b[i:])
			if e.Blank() {
				continue
			}
			if !yield(off+int64(i/EntrySize), e) {
				return
			}
		}
	}
}

// Release drops the View's reference; its bytes must not be used after.
// Releasing an empty or already released View does nothing.
func (v *View) Release() {
	if v.f != nil {
		v.f.release()
		v.f, v.b = nil, nil
	}
}

// Entries returns up to n entries from queue offset from, stopping at the
// end of the file that holds from and at MaxOffset; callers loop from
// View.End(). The View may hold blank entries (skip them: View.All does).
// from at or past MaxOffset, or n <= 0, gives an empty View; from below
// MinOffset gives ErrBelowMin. The caller must Release the View. Safe for
// concurrent use with everything but Truncate; it does not allocate.
func (q *Queue) Entries(from int64, n int) (View, error) {
	hi := q.max.Load() // NB: before min and the file list; see Queue
	if from < q.min.Load() {
		if q.closed.Load() {
			return View{}, ErrClosed
		}
		return View{}, ErrBelowMin
	}
	if from >= hi || n <= 0 {
		if q.closed.Load() {
			return View{}, ErrClosed
		}
		return View{off: from}, nil
	}
	f, err := q.acquire(from)
	if err != nil {
		return View{}, err
	}
	cnt := min(hi-from, int64(n), f.start+q.epf-from)
	i := int(from-f.start) * EntrySize
	return View{b: f.data[i : i+int(cnt)*EntrySize], off: from, f: f}, nil
}

// At returns the entry at queue offset off, which may be blank. Safe for
// concurrent use with everything but Truncate.
func (q *Queue) At(off int64) (Entry, error) {
	hi := q.max.Load()
	switch {
	case off < q.min.Load():
		return Entry{}, ErrBelowMin
	case off >= hi:
		return Entry{}, ErrBeyondMax
	}
	f, err := q.acquire(off)
	if err != nil {
		return Entry{}, err
	}
	e := f.entry(off)
	f.release()
	return e, nil
}

// acquire returns the file holding queue offset off with a reference.
// REQUIRES: off below a MaxOffset loaded before calling.
func (q *Queue) acquire(off int64) (*file, error) {
	fs := *q.files.Load()
	if len(fs) == 0 || off < fs[0].start {
		if q.closed.Load() {
			return nil, ErrClosed
		}
		return nil, ErrBelowMin // deleted since the caller loaded min
	}
	i := (off - fs[0].start) / q.epf
	if i >= int64(len(fs)) {
		// Broken invariant: only a Truncate racing with the reader can
		// shrink the list below a loaded max.
		return nil, fmt.Errorf("consumequeue: %s/%d: offset %d has no file", q.topic, q.id, off)
	}
	f := fs[i]
	if !f.tryAcquire() {
		if q.closed.Load() {
			return nil, ErrClosed
		}
		return nil, ErrBelowMin
	}
	return f, nil
}

// OffsetByTime returns the first queue offset whose record was stored at
// or after ts (ms), RocketMQ 5's getOffsetInQueueByTime with
// BoundaryType.LOWER: MinOffset when ts is before the first record,
// MaxOffset when it is after the last one (and for an empty queue), the
// first of several records stored at ts. storeTimeOf reads a record's
// store timestamp from the commit log; false means the record is gone (or
// unreadable) and counts as older than ts, as an entry deleted meanwhile
// and a blank entry do. The search is binary, so it assumes store times
// do not decrease along the queue.
//
// NB: RocketMQ 4.9.4 instead returns the entry nearest to ts by time when
// none matches exactly, the last entry (MaxOffset-1) when ts is past the
// end, and any one of the entries stored exactly at ts.
func (q *Queue) OffsetByTime(ts int64, storeTimeOf func(phyOffset int64, size int32) (int64, bool)) int64 {
	hi := q.max.Load()
	lo := min(q.min.Load(), hi)
	// Invariant: offsets below lo are older than ts; hi and above are not.
	for lo < hi {
		mid := lo + (hi-lo)/2
		if q.olderThan(mid, ts, storeTimeOf) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (q *Queue) olderThan(off, ts int64, storeTimeOf func(int64, int32) (int64, bool)) bool {
	f, err := q.acquire(off)
	if err != nil {
		return true
	}
	e := f.entry(off)
	f.release()
	if e.Blank() {
		return true
	}
	t, ok := storeTimeOf(e.PhyOffset, e.Size)
	return !ok || t < ts
}
