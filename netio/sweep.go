package netio

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// sweepInterval is the least time between two sweeps, and so how late
// ErrTimeout can come.
const sweepInterval = 10 * time.Millisecond

// calls is the package's sweeper: one goroutine for every client and
// server connection, running only while some pending table holds calls
// with a deadline (asynchronous calls, and synchronous ones whose context
// has no deadline). It sleeps until the earliest deadline it saw, at least
// sweepInterval; a call added with an earlier deadline wakes it.
//
// NB: it used to wake every sweepInterval while any call was pending. A
// consumer's long polls are pending all the time: 100 parked pulls cost
// the test process about 1.5% of a core (broker TestLongPollIdleCPU, whose
// 2% budget it then crossed now and then).
//
// NB: a sweeper rather than a time.AfterFunc per call: the timer was
// created and stopped for every asynchronous request; pendingCalls.add
// with its AfterFunc (3.9%) and the runtime's timer checks (3.0%) were 7%
// of bench/producer's CPU profile at 121,000 pipelined sends per second.
// Timeouts are seconds long; 10 ms of slack is nothing to them.
var calls = sweeper{poke: make(chan struct{}, 1)}

// epoch anchors monoNow.
var epoch = time.Now()

// monoNow is the monotonic clock in nanoseconds since epoch: deadlines do
// not move when the wall clock is set.
func monoNow() int64 { return int64(time.Since(epoch)) }

type sweeper struct {
	mu      sync.Mutex
	tables  map[*pendingCalls]struct{}
	running bool
	// next is when the sweeper looks next (monoNow); math.MaxInt64 while
	// it sweeps, so that a call added meanwhile pokes it. A call whose
	// deadline is before next pokes it too.
	next atomic.Int64
	// poke wakes the sweeper early; capacity 1, made with calls.
	poke chan struct{}
	// sweeps counts the sweeps, for tests.
	sweeps atomic.Int64
}

// watch adds p, which just got its first call with a deadline, to the tables
// the sweeper checks, and starts the sweeper if it sleeps.
func (s *sweeper) watch(p *pendingCalls) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables == nil {
		s.tables = make(map[*pendingCalls]struct{})
	}
	s.tables[p] = struct{}{}
	if !s.running {
		s.running = true
		s.next.Store(math.MaxInt64)
		go s.loop()
	}
}

// added is called after a call with deadline d entered a watched table:
// it wakes the sweeper if it would look too late.
func (s *sweeper) added(d int64) {
	if d < s.next.Load() {
		select {
		case s.poke <- struct{}{}:
		default:
		}
	}
}

// loop expires calls, then sleeps until the earliest deadline left (at
// least sweepInterval) or a poke, until no table has calls with a deadline
// left.
func (s *sweeper) loop() {
	t := time.NewTimer(sweepInterval)
	defer t.Stop()
	var tables []*pendingCalls
	var scratch []int32
	for {
		select {
		case <-t.C:
		case <-s.poke:
			t.Stop()
		}
		s.next.Store(math.MaxInt64)
		now := monoNow()
		s.mu.Lock()
		tables = tables[:0]
		for p := range s.tables {
			tables = append(tables, p)
		}
		s.mu.Unlock()
		first := int64(math.MaxInt64)
		for _, p := range tables {
			var more bool
			var d int64
			scratch, more, d = p.expire(now, scratch)
			if !more {
				s.unwatch(p)
			}
			first = min(first, d)
		}
		s.mu.Lock()
		if len(s.tables) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		wake := max(first, monoNow()+int64(sweepInterval))
		s.next.Store(wake)
		t.Reset(time.Duration(wake - monoNow()))
		s.sweeps.Add(1)
	}
}

// unwatch drops p unless it got calls with a deadline again meanwhile (its
// add then found timed > 0 and did not call watch, so p must stay).
func (s *sweeper) unwatch(p *pendingCalls) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.mu.Lock()
	idle := p.timed == 0
	p.mu.Unlock()
	if idle {
		delete(s.tables, p)
	}
}
