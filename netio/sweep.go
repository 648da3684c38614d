package netio

import (
	"sync"
	"time"
)

// sweepInterval is how often the sweeper looks for calls past
// their deadline, and so how late ErrTimeout can come.
const sweepInterval = 10 * time.Millisecond

// calls is the package's sweeper: one goroutine for every client and
// server connection, running only while some pending table holds calls
// with a deadline (asynchronous calls, and synchronous ones whose context
// has no deadline).
//
// NB: a sweeper rather than a time.AfterFunc per call: the timer was
// created and stopped for every asynchronous request; pendingCalls.add
// with its AfterFunc (3.9%) and the runtime's timer checks (3.0%) were 7%
// of bench/producer's CPU profile at 121,000 pipelined sends per second.
// Timeouts are seconds long; 10 ms of slack is nothing to them.
var calls sweeper

// epoch anchors monoNow.
var epoch = time.Now()

// monoNow is the monotonic clock in nanoseconds since epoch: deadlines do
// not move when the wall clock is set.
func monoNow() int64 { return int64(time.Since(epoch)) }

type sweeper struct {
	mu      sync.Mutex
	tables  map[*pendingCalls]struct{}
	running bool
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
		go s.loop()
	}
}

// loop expires calls every sweepInterval until no table has calls with a
// deadline left.
func (s *sweeper) loop() {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	var tables []*pendingCalls
	var scratch []int32
	for range t.C {
		now := monoNow()
		s.mu.Lock()
		tables = tables[:0]
		for p := range s.tables {
			tables = append(tables, p)
		}
		s.mu.Unlock()
		for _, p := range tables {
			var more bool
			scratch, more = p.expire(now, scratch)
			if !more {
				s.unwatch(p)
			}
		}
		s.mu.Lock()
		if len(s.tables) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
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
