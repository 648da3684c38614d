package commitlog

import (
	"fmt"
	"sync"
	"time"
)

// waiter is one WaitFlushed registration, stored by value.
type waiter struct {
	end  int64
	at   time.Time
	done func(error)
}

// flusher is the flushing half of a Log.
type flusher struct {
	// kick wakes the flusher; a non-blocking send, capacity 1.
	kick chan struct{}
	quit chan struct{}
	wg   sync.WaitGroup

	// wmu guards the waiter lists. LOCKS: after Log.mu, never held across
	// a sync or a callback.
	wmu sync.Mutex
	// pending are the waiters not yet taken by a flush round; inflight
	// those of the round in progress; spare is a reused backing array.
	pending, inflight, spare []waiter // guarded by wmu
	stopped                  bool     // guarded by wmu
}

func (l *Log) startFlusher() {
	l.kick = make(chan struct{}, 1)
	l.quit = make(chan struct{})
	l.wg.Add(1)
	if l.cfg.FlushMode == FlushSync {
		go l.syncLoop()
		l.wg.Add(1)
		go l.timeoutLoop()
	} else {
		go l.asyncLoop()
	}
	if l.ahead.window != 0 {
		l.wg.Add(1)
		go l.prepareLoop()
	}
	if l.cache.window != 0 {
		l.wg.Add(1)
		go l.cacheLoop()
	}
	l.ra.init()
	l.wg.Add(1)
	go l.readaheadLoop()
}

// stopFlusher stops the goroutines, does a final flush and completes the
// remaining waiters with its result.
func (l *Log) stopFlusher() error {
	close(l.quit)
	l.wg.Wait()
	err := l.flush()
	l.wmu.Lock()
	l.stopped = true
	ws := l.pending
	l.pending = nil
	l.wmu.Unlock()
	l.complete(ws, err)
	if err == nil {
		err = l.Err()
	}
	return err
}

// leastBytes is the unflushed amount that wakes the async flusher early.
func (l *Log) leastBytes() int64 { return int64(l.cfg.FlushLeastPages) * 4096 }

// appended is called after an append published end.
func (l *Log) appended(end int64) {
	if l.cfg.FlushMode == FlushAsync && end-l.flushed.Load() >= l.leastBytes() {
		l.wake()
	}
}

func (l *Log) wake() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// WaitFlushed calls done once the log is durable up to end (an
// AppendResult.End): with nil, with the sticky flush error, with
// ErrFlushTimeout after Config.SyncFlushTimeout, or with ErrClosed if the log
// closes first. done runs on a flusher goroutine (so it must not block), or
// on the caller's goroutine before WaitFlushed returns when end is already
// durable or the log has failed. It works in both flush modes (under
// FlushAsync it waits for the next periodic flush). WaitFlushed does not
// allocate once the waiter lists have grown.
func (l *Log) WaitFlushed(end int64, done func(error)) {
	if end <= l.flushed.Load() {
		done(nil)
		return
	}
	if err := l.Err(); err != nil {
		done(err)
		return
	}
	l.wmu.Lock()
	if l.stopped {
		l.wmu.Unlock()
		done(ErrClosed)
		return
	}
	l.pending = append(l.pending, waiter{end: end, at: time.Now(), done: done})
	l.wmu.Unlock()
	if l.cfg.FlushMode == FlushSync {
		l.wake()
	}
}

// syncLoop is the group-commit flusher. It also flushes every
// FlushInterval, so that records nobody waits for (WAIT=false) do not stay
// unflushed indefinitely.
func (l *Log) syncLoop() {
	defer l.wg.Done()
	t := time.NewTicker(l.cfg.FlushInterval)
	defer t.Stop()
	g := gatherer{timer: time.NewTimer(time.Hour)}
	defer g.timer.Stop()
	for {
		select {
		case <-l.quit:
			return
		case <-l.kick:
		case <-t.C:
			// Sticky on failure; a waiter, or the next append, sees it.
			_ = l.flush()
		}
		for {
			l.gather(&g)
			if !l.syncRound(&g) {
				break
			}
		}
		// Records appended with nobody waiting (and so no round) become
		// readable now rather than at the next tick. Sticky on failure.
		_ = l.drain()
	}
}

// gatherer is the group-commit flusher's memory of the last round.
type gatherer struct {
	timer *time.Timer
	// expect is how many waiters were outstanding when the last round
	// ended: those it completed (their senders send again at once) plus
	// those already pending. end is when it ended, took how long its
	// flush took.
	expect int
	end    time.Time
	took   time.Duration
}

// gather delays the next round until the senders of the last one have
// appended again: until expect waiters are pending, or half the last
// flush's duration has passed since it ended, whichever comes first.
//
// Without it the rounds split the senders into cohorts: those completed
// by a round need a few microseconds to append again, the flusher starts
// the next fdatasync at once with whoever is pending, and the latecomers
// wait for the whole of it before theirs can start. On the dev machine an
// fdatasync costs about as much for 64 KiB as for 32 KiB (BENCHMARKS.md),
// so one round for all is nearly twice the throughput. A lone sender never
// waits (expect is 1, met by its own append), and a sender that went
// away costs at most half a flush once: the next round expects fewer.
func (l *Log) gather(g *gatherer) {
	if g.expect <= 1 {
		return
	}
	deadline := g.end.Add(g.took / 2)
	for {
		l.wmu.Lock()
		n := len(l.pending)
		l.wmu.Unlock()
		if n >= g.expect {
			return
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return
		}
		g.timer.Reset(wait)
		select {
		case <-l.kick:
			g.timer.Stop()
		case <-g.timer.C:
			return
		case <-l.quit:
			g.timer.Stop()
			return
		}
	}
}

// syncRound takes every pending waiter, does one flush and completes the
// waiters it covers. It reports whether it completed any: a round that
// completes none (only a waiter for an End not appended yet, a caller bug)
// must not spin; that waiter waits for the next kick or its timeout.
//
// NB: the waiters are taken BEFORE flush reads Wrote. The interleaving this
// prevents, were Wrote read first:
//
//	flusher: w := Wrote() = 100
//	writer:  Append -> End 200; WaitFlushed(200) joins pending
//	flusher: takes pending (with the 200 waiter); syncs to 100
//	         and would have to re-queue it.
//
// Taken first, every waiter in the round registered after its append
// published its End, so End <= the Wrote that flush reads, and one flush
// covers the round. (The check below still re-queues a waiter beyond
// Flushed, which only a caller passing a future End can cause.)
func (l *Log) syncRound(g *gatherer) bool {
	l.wmu.Lock()
	if len(l.pending) == 0 {
		l.wmu.Unlock()
		return false
	}
	l.inflight, l.pending, l.spare = l.pending, l.spare[:0], nil
	l.wmu.Unlock()

	start := time.Now()
	err := l.flush()
	g.end = time.Now()
	g.took = g.end.Sub(start)

	l.wmu.Lock()
	ws := l.inflight // the timeout loop may have removed some
	l.inflight = nil
	l.wmu.Unlock()
	flushed := l.flushed.Load()
	progress := false
	for i := range ws {
		w := &ws[i]
		switch {
		case err != nil:
			w.done(err)
			progress = true
		case w.end <= flushed:
			w.done(nil)
			progress = true
		default:
			l.wmu.Lock()
			l.pending = append(l.pending, *w)
			l.wmu.Unlock()
		}
		w.done = nil
	}
	l.wmu.Lock()
	if l.spare == nil {
		l.spare = ws[:0]
	}
	g.expect = len(ws) + len(l.pending)
	l.wmu.Unlock()
	return progress
}

// complete calls done(err) for every waiter of ws.
func (l *Log) complete(ws []waiter, err error) {
	for i := range ws {
		ws[i].done(err)
	}
}

// timeoutLoop completes waiters older than SyncFlushTimeout with
// ErrFlushTimeout, including those of a flush round stuck in fdatasync.
func (l *Log) timeoutLoop() {
	defer l.wg.Done()
	tick := l.cfg.SyncFlushTimeout / 8
	tick = max(tick, time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	var expired []waiter
	for {
		select {
		case <-l.quit:
			return
		case <-t.C:
		}
		cut := time.Now().Add(-l.cfg.SyncFlushTimeout)
		l.wmu.Lock()
		l.pending, expired = takeExpired(l.pending, expired[:0], cut)
		l.inflight, expired = takeExpired(l.inflight, expired, cut)
		l.wmu.Unlock()
		if len(expired) > 0 {
			l.metrics.timeouts.Add(int64(len(expired)))
			l.complete(expired, fmt.Errorf("%w: after %v", ErrFlushTimeout, l.cfg.SyncFlushTimeout))
			clear(expired)
		}
	}
}

// takeExpired moves the waiters registered before cut from ws to out,
// compacting ws in place.
func takeExpired(ws, out []waiter, cut time.Time) ([]waiter, []waiter) {
	k := 0
	for _, w := range ws {
		if w.at.Before(cut) {
			out = append(out, w)
		} else {
			ws[k] = w
			k++
		}
	}
	clear(ws[k:])
	return ws[:k], out
}

// asyncLoop flushes every FlushInterval, or sooner when appends wake it
// with FlushLeastPages pages unflushed.
func (l *Log) asyncLoop() {
	defer l.wg.Done()
	t := time.NewTicker(l.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-l.quit:
			return
		case <-l.kick:
			if l.wrote.Load()-l.flushed.Load() < l.leastBytes() {
				continue
			}
		case <-t.C:
		}
		err := l.flush()
		l.wmu.Lock()
		ws := l.pending
		l.pending = l.spare[:0]
		l.spare = nil
		l.wmu.Unlock()
		flushed := l.flushed.Load()
		k := 0
		for _, w := range ws {
			if err != nil || w.end <= flushed {
				w.done(err)
			} else {
				ws[k] = w
				k++
			}
		}
		clear(ws[k:])
		l.wmu.Lock()
		l.pending = append(l.pending, ws[:k]...)
		l.spare = ws[:0]
		l.wmu.Unlock()
	}
}

// flush makes the log durable up to the Wrote it reads first: one fdatasync
// of every segment holding unflushed data, then Flushed raised to that
// Wrote. A failure is sticky. Only the flusher goroutine (or Close, after
// it stopped) calls flush, so rounds never overlap.
func (l *Log) flush() error {
	if err := l.Err(); err != nil {
		return err
	}
	if err := l.drain(); err != nil {
		return err
	}
	w := l.wrote.Load()
	if w <= l.flushed.Load() {
		return nil
	}
	start := time.Now()
	var err error
	for _, s := range *l.segs.Load() {
		// NB: a segment's own Sync snapshots its Wrote before fdatasync;
		// w was read before these, so every byte below w is covered.
		if s.Flushed() >= s.Wrote() {
			continue
		}
		if e := s.Sync(); e != nil {
			err = l.fail(fmt.Errorf("commitlog: flush: %w", e))
			break
		}
	}
	l.metrics.observeFlush(time.Since(start), err)
	if err != nil {
		return err
	}
	for {
		f := l.flushed.Load()
		if w <= f || l.flushed.CompareAndSwap(f, w) {
			l.cache.flushed(w)
			return nil
		}
	}
}
