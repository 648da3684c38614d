package commitlog

import (
	"errors"
	"sync/atomic"

	"github.com/quivermq/quiver/engine/segment"
)

// dropAlign is the alignment of released ranges: the page cache holds
// folios of up to 2 MiB, naturally aligned, and the kernel keeps one that
// reaches outside the range it is asked to drop.
const dropAlign = 2 << 20

// dropper releases the page cache of the log behind the flushed end
// (Config.CacheWindow): the flusher kicks it after a flush, and the
// cacheLoop goroutine drops whole steps of at least step bytes that are
// more than window behind Flushed (Segment.DropCache).
//
// NB: why release at all. The kernel would keep every appended page until
// memory runs short, taking new pages for new data meanwhile. On a guest
// whose free memory goes back to the host (virtio-balloon free page
// reporting, as on the dev machine) a page not touched for a while costs
// about 10 µs on its first touch: appending 1 KiB records spent 26% of
// two CPUs there (BENCHMARKS.md). Pages released here are taken again
// for new data while still warm: a test program appending 4 GiB with
// pwrite and an fdatasync per 64 MiB spent 8.7 s of system time keeping
// everything and 0.76 s keeping 256 MiB behind the writer.
type dropper struct {
	// window is Config.CacheWindow; 0 disables the dropper.
	window int64
	// step is the least a pass drops, a multiple of dropAlign.
	step int64
	// kick wakes cacheLoop; a non-blocking send, capacity 1.
	kick chan struct{}
	// dropped is the log offset below which the cache was released (or
	// never needed to be: the start of the log when it opened); only
	// cacheLoop stores it after Open.
	dropped atomic.Int64
}

func (d *dropper) init(window, start int64) {
	if window <= 0 {
		return
	}
	d.window = window
	d.step = max(dropAlign, min(64<<20, window/4)&^(dropAlign-1))
	d.kick = make(chan struct{}, 1)
	d.dropped.Store(start &^ (dropAlign - 1))
}

// flushed is called by the flusher after Flushed rose to f.
func (d *dropper) flushed(f int64) {
	if d.window != 0 && f-d.window-d.dropped.Load() >= d.step {
		select {
		case d.kick <- struct{}{}:
		default:
		}
	}
}

// cacheLoop drops the cache of [dropped, Flushed-window), aligned down to
// dropAlign, each time it is kicked.
func (l *Log) cacheLoop() {
	defer l.wg.Done()
	d := &l.cache
	for {
		select {
		case <-l.quit:
			return
		case <-d.kick:
		}
		from := d.dropped.Load()
		to := (l.flushed.Load() - d.window) &^ (dropAlign - 1)
		if to-from < d.step {
			continue
		}
		for _, s := range *l.segs.Load() {
			base, end := s.Base(), s.Base()+int64(s.Size())
			lo, hi := max(from, base), min(to, end)
			if lo >= hi {
				continue
			}
			// A segment removed meanwhile (ErrClosed) has no cache
			// left to drop; any other error leaves the pages to the
			// kernel, which is where they would be without a window.
			if err := s.DropCache(int(lo-base), int(hi-lo)); err != nil {
				if !errors.Is(err, segment.ErrClosed) {
					l.metrics.dropErrors.Add(1)
				}
				continue
			}
			l.metrics.dropped.Add(hi - lo)
		}
		d.dropped.Store(to)
	}
}
