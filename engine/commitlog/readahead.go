package commitlog

import "sync/atomic"

// raChunk is the unit of consumer read-ahead: a read in chunk c asks for
// chunks c+1 and c+2.
const raChunk = 4 << 20

// readahead keeps the log ahead of its readers resident, off their
// goroutines: Read hints the chunk after the one it reads, and the
// readaheadLoop goroutine prefetches (Segment.Prefetch) the flushed part
// of the next two chunks.
//
// NB: why. Readers read the mapping on an event loop; a page not in memory
// (released behind CacheWindow, or never read since the broker started)
// makes the loop wait for the disk in a page fault, and every connection
// on that loop waits with it. A consumer draining released data from the
// earliest offset spent most of the loop's time there (message.Decode
// stalled on the faults).
type readahead struct {
	// last is the chunk of the last hint sent, plus 1 (0: none yet).
	last atomic.Int64
	// kick carries hinted chunks; a hint that finds it full is dropped
	// (the reader faults as it would without read-ahead).
	kick chan int64
}

func (r *readahead) init() { r.kick = make(chan int64, 16) }

// hint is called by Read with the offset it read. It costs an atomic load
// unless the read moved to another chunk.
func (r *readahead) hint(phys int64) {
	c := phys/raChunk + 1
	if r.last.Load() == c+1 {
		return
	}
	r.last.Store(c + 1)
	select {
	case r.kick <- c:
	default:
	}
}

// readaheadLoop prefetches the flushed part of chunks [c, c+2) for each
// hinted c it has not prefetched whole recently. The unflushed tail is in
// memory already: it was just written.
func (l *Log) readaheadLoop() {
	defer l.wg.Done()
	// recent is a ring of chunks prefetched whole lately, plus 1; a chunk
	// still being flushed is not remembered, so a later hint completes it.
	var recent [32]int64
	next := 0
	for {
		var c int64
		select {
		case <-l.quit:
			return
		case c = <-l.ra.kick:
		}
	chunks:
		for k := c; k < c+2; k++ {
			for _, r := range recent {
				if r == k+1 {
					continue chunks
				}
			}
			from, to := k*raChunk, min((k+1)*raChunk, l.flushed.Load())
			for _, s := range *l.segs.Load() {
				base := s.Base()
				lo, hi := max(from, base), min(to, base+int64(s.Size()))
				if lo >= hi {
					continue
				}
				// Best effort: a segment removed meanwhile needs
				// nothing, and on any other error the reader faults.
				if s.Prefetch(int(lo-base), int(hi-lo)) == nil {
					l.metrics.prefetched.Add(hi - lo)
				}
			}
			if to == (k+1)*raChunk {
				recent[next] = k + 1
				next = (next + 1) % len(recent)
			}
		}
	}
}
