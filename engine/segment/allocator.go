package segment

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/quivermq/quiver/engine/vfs"
)

// Allocator keeps the next segment of a directory ready: created,
// allocated, mapped and warmed on a background goroutine before the
// writer needs it, so that rolling to a new segment costs a hand-over,
// not a fallocate, a directory fsync and a page-cache fill.
//
// At most one segment is pending at a time. Next hands it over and starts
// making the following one (base + Size) at once. All methods are safe for
// concurrent use, but Next is meant for the one writer.
type Allocator struct {
	fs  vfs.FS
	dir string
	cfg Config

	mu      sync.Mutex
	pending *pending // being made or made and not yet handed over; nil if none
	closed  bool
	stats   AllocatorStats
	bg      sync.WaitGroup // background creations and discards
}

// pending is one background creation. seg, err and took are written
// before done is closed and read after.
type pending struct {
	base int64
	done chan struct{}
	seg  *Segment
	err  error
	took time.Duration
}

// AllocatorStats counts what an Allocator did. Durations are wall time.
type AllocatorStats struct {
	// Hits counts Next calls served by a pre-made segment, Waits those of
	// them that had to wait for it to finish, and Misses the Next calls
	// that created their segment synchronously (no segment pending, or
	// one with another base).
	Hits, Waits, Misses int64
	// Discarded counts pre-made segments removed unused (base mismatch
	// or Close).
	Discarded int64
	// Errors counts failed creations (background or synchronous).
	Errors int64
	// Created counts successful creations; CreateMin, CreateMax and
	// CreateTotal time them (CreateTotal/Created is the mean).
	Created                           int64
	CreateMin, CreateMax, CreateTotal time.Duration
	// NextMax is the longest a Next call took, NextTotal their sum over
	// Hits+Misses calls: what an append that rolls the log waits for.
	NextMax, NextTotal time.Duration
}

// String formats the stats on one line.
func (s AllocatorStats) String() string {
	var avg, navg time.Duration
	if s.Created > 0 {
		avg = s.CreateTotal / time.Duration(s.Created)
	}
	if n := s.Hits + s.Misses; n > 0 {
		navg = s.NextTotal / time.Duration(n)
	}
	return fmt.Sprintf("hits %d (waited %d) misses %d discarded %d errors %d; create n=%d min %v avg %v max %v; next avg %v max %v",
		s.Hits, s.Waits, s.Misses, s.Discarded, s.Errors, s.Created, s.CreateMin, avg, s.CreateMax, navg, s.NextMax)
}

// NewAllocator returns an Allocator that creates segments of cfg in dir.
// It starts nothing: call Prepare with the first base the writer will
// need, or let the first Next create it.
func NewAllocator(fs vfs.FS, dir string, cfg Config) (*Allocator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Allocator{fs: fs, dir: dir, cfg: cfg}, nil
}

// Prepare starts making the segment at base in the background unless a
// segment is already pending. Call it at start-up with the base after the
// active segment's.
func (a *Allocator) Prepare(base int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed || a.pending != nil {
		return
	}
	a.startLocked(base)
}

// startLocked starts the background creation of the segment at base.
//
// Lock should be held.
func (a *Allocator) startLocked(base int64) {
	p := &pending{base: base, done: make(chan struct{})}
	a.pending = p
	a.bg.Add(1)
	go pprof.Do(context.Background(), pprof.Labels("quiver", "segment-allocator"), func(context.Context) {
		defer a.bg.Done()
		start := time.Now()
		p.seg, p.err = Create(a.fs, a.dir, base, a.cfg)
		p.took = time.Since(start)
		a.mu.Lock()
		defer a.mu.Unlock()
		a.countCreateLocked(p.took, p.err)
		// NB: done closes under the lock with the count, so a Stats that
		// shows this creation implies a Next that follows will not wait.
		close(p.done)
	})
}

// countCreateLocked records one creation.
//
// Lock should be held.
func (a *Allocator) countCreateLocked(took time.Duration, err error) {
	st := &a.stats
	if err != nil {
		st.Errors++
		return
	}
	st.Created++
	st.CreateTotal += took
	if st.CreateMin == 0 || took < st.CreateMin {
		st.CreateMin = took
	}
	st.CreateMax = max(st.CreateMax, took)
}

// Next returns the segment starting at base, the pre-made one if it has
// that base (waiting for it if it is still being made), else one created
// now, which counts as a miss. It then starts making base+Size in the
// background. An error of the background creation of base is returned
// here, and the following Next tries again synchronously. The caller owns
// the segment returned.
func (a *Allocator) Next(base int64) (*Segment, error) {
	start := time.Now()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, ErrAllocatorClosed
	}
	p := a.pending
	a.pending = nil
	a.mu.Unlock()

	var (
		seg    *Segment
		err    error
		waited bool
	)
	if p != nil {
		select {
		case <-p.done:
		default:
			waited = true
			<-p.done
		}
		switch {
		case p.base != base:
			a.discard(p)
		case p.err != nil:
			err = fmt.Errorf("segment: background creation of %s: %w", Name(base), p.err)
		default:
			seg = p.seg
		}
	}
	hit := seg != nil
	if seg == nil && err == nil {
		t := time.Now()
		seg, err = Create(a.fs, a.dir, base, a.cfg)
		a.mu.Lock()
		a.countCreateLocked(time.Since(t), err)
		a.mu.Unlock()
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	took := time.Since(start)
	st := &a.stats
	switch {
	case hit:
		st.Hits++
		if waited {
			st.Waits++
		}
	case err == nil:
		st.Misses++
	}
	st.NextTotal += took
	st.NextMax = max(st.NextMax, took)
	if err != nil {
		return nil, err
	}
	if a.closed { // Close ran while we created: do not start another
		return seg, nil
	}
	if a.pending == nil {
		a.startLocked(base + int64(a.cfg.Size))
	}
	return seg, nil
}

// discard removes a pre-made segment nobody will use, in the background.
func (a *Allocator) discard(p *pending) {
	if p.seg == nil {
		return
	}
	a.mu.Lock()
	a.stats.Discarded++
	a.bg.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.bg.Done()
		// An unused segment left behind is harmless: it is empty, and
		// recovery treats it as a segment with no records.
		_ = p.seg.Remove()
	}()
}

// Stats returns a snapshot of the counters.
func (a *Allocator) Stats() AllocatorStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// Close stops the Allocator: it waits for a creation in progress and
// removes the pending segment, which no one owns. Next fails with
// ErrAllocatorClosed afterwards. A second Close returns nil.
func (a *Allocator) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	p := a.pending
	a.pending = nil
	a.mu.Unlock()

	var err error
	if p != nil {
		<-p.done
		if p.seg != nil {
			a.mu.Lock()
			a.stats.Discarded++
			a.mu.Unlock()
			err = p.seg.Remove()
		}
	}
	a.bg.Wait()
	if err != nil && !errors.Is(err, ErrClosed) {
		return err
	}
	return nil
}
