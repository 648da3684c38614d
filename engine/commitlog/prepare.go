package commitlog

import (
	"errors"
	"math"
	"sync/atomic"
	"syscall"

	"github.com/quivermq/quiver/engine/segment"
)

// preparer keeps the pages ahead of the append position mapped writable in
// WriteMapped mode (Config.PrepareAhead), so that appends store into the
// mapping without a write-protect fault per 4 KiB page. The appender only
// kicks it; the madvise runs on the prepareLoop goroutine.
//
// NB: no goroutine but the appender stores into the mapping: PrepareWrite is
// MADV_POPULATE_WRITE, which sets up page tables and leaves the bytes alone,
// so the race detector has nothing to see and a page the appender reaches
// first is simply written, not overwritten with zeros.
type preparer struct {
	// window is the effective PrepareAhead in bytes; 0 when disabled.
	window int64
	// kick wakes prepareLoop; a non-blocking send, capacity 1.
	kick chan struct{}
	// ahead is the log offset up to which the active segment has been
	// prepared; math.MaxInt64 once PrepareWrite turned out to be
	// unsupported, which stops the kicks.
	//
	// NB: a flush writes the prepared pages back too (zeros where the
	// appender has not reached them) and write-protects them again; the
	// preparer does not prepare them a second time. Each page is then
	// written back as zeros at most once, so a flush costs at most one
	// window of extra write-back and the disk traffic at most one extra
	// write per page; re-preparing after every flush would, under
	// FlushLeastPages=4, write the window back at every fdatasync. The
	// price: a page prepared before a flush and reached after it faults.
	ahead atomic.Int64
}

func (p *preparer) init(window int) {
	p.window = int64(window)
	if window > 0 {
		p.kick = make(chan struct{}, 1)
	}
}

// appended is called by the appender, under the append lock, after it
// published pos. It costs one atomic load unless pos is within half a
// window of the prepared end.
func (p *preparer) appended(pos int64) {
	if p.window != 0 && pos+p.window-p.window/4 > p.ahead.Load() {
		p.wake()
	}
}

func (p *preparer) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// rolled is called under the append lock when seg becomes the active
// segment: segment.Create prepared its first window already.
func (p *preparer) rolled(seg *segment.Segment) {
	if p.window != 0 && p.ahead.Load() != math.MaxInt64 {
		p.ahead.Store(seg.Base() + p.window)
	}
}

// prepareLoop prepares [pos, pos+window) of the active segment, clipped to
// what is not prepared yet and to the segment, each time it is kicked.
func (l *Log) prepareLoop() {
	defer l.wg.Done()
	p := &l.ahead
	for {
		select {
		case <-l.quit:
			return
		case <-p.kick:
		}
		l.mu.Lock()
		seg, pos := l.active, l.pos
		l.mu.Unlock()
		if seg == nil {
			continue
		}
		base := seg.Base()
		from := max(p.ahead.Load(), pos, base)
		to := min(pos+p.window, base+int64(seg.Size()))
		if from >= to {
			continue
		}
		err := seg.PrepareWrite(int(from-base), int(to-from))
		switch {
		case err == nil:
			p.ahead.Store(to)
			l.metrics.prepared.Add(to - from)
		case errors.Is(err, syscall.EINVAL):
			// A kernel before 5.14: appends take the faults.
			p.ahead.Store(math.MaxInt64)
		}
		// Any other error (the segment closed after a roll) is the next
		// kick's business.
	}
}
