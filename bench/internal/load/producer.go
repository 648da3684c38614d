package load

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/bench/internal/stats"
)

// Mode is a send mode.
type Mode int

// Send modes.
const (
	Sync   Mode = iota // one request at a time per sender, waiting for its result
	Async              // up to Window requests in flight per sender (pipelined)
	Oneway             // fire and forget: no result
)

func (m Mode) String() string {
	switch m {
	case Sync:
		return "sync"
	case Async:
		return "async"
	case Oneway:
		return "oneway"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses "sync", "async" or "oneway".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "sync":
		return Sync, nil
	case "async":
		return Async, nil
	case "oneway":
		return Oneway, nil
	}
	return 0, fmt.Errorf("send mode %q: want sync, async or oneway", s)
}

// Sender sends one request carrying len(bodies) messages: a plain send for
// one body, a batch send for more. Implementations must be safe for
// concurrent use and must not modify or retain bodies past the call (sync,
// oneway) or the callback (async).
type Sender interface {
	Send(ctx context.Context, bodies [][]byte) error
	// SendAsync returns an error if the request could not be sent;
	// otherwise done is called exactly once with the outcome.
	SendAsync(bodies [][]byte, done func(error)) error
	SendOneway(bodies [][]byte) error
}

// Bodies is a shared, read-only pool of random message bodies of one size:
// random so that nothing on the way compresses them and the byte counts
// are honest; pooled so that generating them costs nothing per message.
type Bodies struct {
	b [][]byte
}

// maxPoolBytes bounds a body pool's memory.
const maxPoolBytes = 64 << 20

// NewBodies returns a pool of up to 16 distinct random bodies of size
// bytes (fewer for large sizes, at least one).
func NewBodies(size int) (*Bodies, error) {
	n := 16
	if size > 0 && n*size > maxPoolBytes {
		n = max(1, maxPoolBytes/size)
	}
	p := &Bodies{b: make([][]byte, n)}
	for i := range p.b {
		p.b[i] = make([]byte, size)
		if _, err := rand.Read(p.b[i]); err != nil {
			return nil, fmt.Errorf("load: random bodies: %w", err)
		}
	}
	return p, nil
}

// Fill sets dst[i] to pool bodies, starting at the i-th body.
func (p *Bodies) Fill(dst [][]byte, i int) {
	for j := range dst {
		dst[j] = p.b[(i+j)%len(p.b)]
	}
}

// ProduceConfig is the load a Produce call generates.
type ProduceConfig struct {
	Mode        Mode
	Concurrency int   // sender goroutines, ≥ 1
	Batch       int   // messages per request, ≥ 1
	Window      int   // async: requests in flight per sender, ≥ 1
	Count       int64 // messages to send after the warm-up; 0: no limit
	// Drain bounds the wait for async results after the senders stop; what
	// has not completed by then counts as failed. 0: 30 s.
	Drain time.Duration
	// Backoff is the pause after a failed send, so that a dead broker does
	// not turn the senders into a busy loop. 0: 10 ms.
	Backoff time.Duration
}

// Validate checks c.
func (c ProduceConfig) Validate() error {
	switch {
	case c.Mode < Sync || c.Mode > Oneway:
		return fmt.Errorf("load: bad mode %d", c.Mode)
	case c.Concurrency < 1:
		return errors.New("load: concurrency must be at least 1")
	case c.Batch < 1:
		return errors.New("load: batch must be at least 1")
	case c.Mode == Async && c.Window < 1:
		return errors.New("load: async window must be at least 1")
	case c.Count < 0:
		return errors.New("load: count must not be negative")
	}
	return nil
}

// Meter is where the loops account: counters and latencies.
type Meter struct {
	Counters *stats.Counters
	Latency  *stats.Recorder
}

// budget hands out messages to senders: unlimited until armed (the
// warm-up), then count messages in total.
type budget struct {
	limited bool
	left    atomic.Int64
	armed   atomic.Bool
}

// take claims up to want messages and returns how many it got (0: done)
// and whether they belong to the measured run (false: the warm-up).
func (b *budget) take(want int) (int, bool) {
	armed := b.armed.Load()
	if !b.limited || !armed {
		return want, armed
	}
	for {
		left := b.left.Load()
		if left <= 0 {
			return 0, true
		}
		n := int64(want)
		if n > left {
			n = left
		}
		if b.left.CompareAndSwap(left, left-n) {
			return int(n), true
		}
	}
}

// Producer runs the senders. Create it with NewProducer, call Run once;
// EndWarmup may be called from another goroutine while Run runs.
type Producer struct {
	cfg    ProduceConfig
	sender Sender
	bodies *Bodies
	m      Meter
	budget budget
	// phase is held shared while a result is counted and exclusively by
	// EndWarmup, so that a result counts in exactly one phase: a warm-up
	// request answered after the warm-up counts nowhere.
	phase sync.RWMutex
}

// NewProducer returns a producer of cfg's load through s, counting into m.
// Before EndWarmup is called, cfg.Count does not apply.
func NewProducer(cfg ProduceConfig, s Sender, bodies *Bodies, m Meter) (*Producer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 30 * time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 10 * time.Millisecond
	}
	p := &Producer{cfg: cfg, sender: s, bodies: bodies, m: m}
	p.budget.limited = cfg.Count > 0
	p.budget.left.Store(cfg.Count)
	return p, nil
}

// EndWarmup ends the warm-up: it calls reset (which should zero the meter)
// with no result being counted, and from then on counts only requests sent
// after it; Count messages are sent and then the senders stop. Without a
// warm-up, call it before Run.
func (p *Producer) EndWarmup(reset func()) {
	p.phase.Lock()
	defer p.phase.Unlock()
	if reset != nil {
		reset()
	}
	p.budget.armed.Store(true)
}

// result counts the outcome of a request of n messages and nbytes body
// bytes that took lat; measured says whether it was sent after the
// warm-up.
func (p *Producer) result(measured bool, n, nbytes int64, lat time.Duration, err error) {
	p.phase.RLock()
	defer p.phase.RUnlock()
	if !measured && p.budget.armed.Load() {
		return // sent during the warm-up, answered after it
	}
	if err != nil {
		p.m.Counters.Fail(n)
		return
	}
	p.m.Latency.Record(lat)
	p.m.Counters.Add(n, nbytes)
}

// Run sends until ctx is done or the count is used up, then waits (up to
// Drain) for async results, and returns the time the last result came in.
// Send failures are counted, not returned; the error is non-nil only when
// async results were still missing after Drain.
func (p *Producer) Run(ctx context.Context) (time.Time, error) {
	var wg sync.WaitGroup
	var lost atomic.Int64
	for i := 0; i < p.cfg.Concurrency; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			switch p.cfg.Mode {
			case Sync:
				p.runSync(ctx, id)
			case Async:
				lost.Add(p.runAsync(ctx, id))
			case Oneway:
				p.runOneway(ctx, id)
			}
		}(i)
	}
	wg.Wait()
	end := time.Now()
	if n := lost.Load(); n > 0 {
		return end, fmt.Errorf("load: %d async messages without a result %v after the end (counted as failed)", n, p.cfg.Drain)
	}
	return end, nil
}

// next returns the bodies of the sender's next request, or nil when the
// count is used up, and whether the request belongs to the measured run.
func (p *Producer) next(buf [][]byte, seq *int) ([][]byte, bool) {
	n, measured := p.budget.take(p.cfg.Batch)
	if n == 0 {
		return nil, true
	}
	b := buf[:n]
	p.bodies.Fill(b, *seq)
	*seq += n
	return b, measured
}

func size(b [][]byte) int64 {
	var s int64
	for _, x := range b {
		s += int64(len(x))
	}
	return s
}

// pause sleeps d or until ctx is done.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (p *Producer) runSync(ctx context.Context, id int) {
	buf := make([][]byte, p.cfg.Batch)
	seq := id * 7 // senders start on different bodies
	for ctx.Err() == nil {
		b, measured := p.next(buf, &seq)
		if b == nil {
			return
		}
		t0 := time.Now()
		err := p.sender.Send(ctx, b)
		if err != nil && ctx.Err() != nil {
			return // cut short by the end of the run: not a broker failure
		}
		p.result(measured, int64(len(b)), size(b), time.Since(t0), err)
		if err != nil {
			pause(ctx, p.cfg.Backoff)
		}
	}
}

func (p *Producer) runOneway(ctx context.Context, id int) {
	buf := make([][]byte, p.cfg.Batch)
	seq := id * 7
	for ctx.Err() == nil {
		b, measured := p.next(buf, &seq)
		if b == nil {
			return
		}
		t0 := time.Now()
		err := p.sender.SendOneway(b)
		p.result(measured, int64(len(b)), size(b), time.Since(t0), err)
		if err != nil {
			pause(ctx, p.cfg.Backoff)
		}
	}
}

// runAsync keeps up to Window requests in flight and returns the number
// of messages still without a result after Drain (counted as failed; a
// result arriving later is ignored).
func (p *Producer) runAsync(ctx context.Context, id int) int64 {
	w := p.cfg.Window
	var inflight atomic.Int64       // messages sent and not yet answered
	var abandoned atomic.Bool       // set after Drain: late callbacks count nothing
	slots := make(chan struct{}, w) // a token per request in flight
	// Request buffers: a free list of Window slices, so that a callback's
	// bodies are never reused before it has run.
	free := make(chan [][]byte, w)
	for i := 0; i < w; i++ {
		free <- make([][]byte, p.cfg.Batch)
	}
	seq := id * 7
loop:
	for ctx.Err() == nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		buf := <-free // a slot guarantees a free buffer
		b, measured := p.next(buf, &seq)
		if b == nil {
			free <- buf
			<-slots
			break
		}
		t0 := time.Now()
		n, bytes := int64(len(b)), size(b)
		inflight.Add(n)
		err := p.sender.SendAsync(b, func(err error) {
			inflight.Add(-n)
			switch {
			case abandoned.Load():
				// Already counted as failed. NB: a callback racing with
				// the drain timeout may count twice; the window is one
				// atomic load wide.
			default:
				p.result(measured, n, bytes, time.Since(t0), err)
			}
			free <- buf
			<-slots
		})
		if err != nil {
			inflight.Add(-n)
			p.result(measured, n, bytes, 0, err)
			free <- buf
			<-slots
			pause(ctx, p.cfg.Backoff)
		}
	}
	// Drain: take every slot back, i.e. wait for every callback.
	deadline := time.NewTimer(p.cfg.Drain)
	defer deadline.Stop()
	for i := 0; i < w; i++ {
		select {
		case slots <- struct{}{}:
		case <-deadline.C:
			abandoned.Store(true)
			lost := inflight.Load()
			p.m.Counters.Fail(lost)
			return lost
		}
	}
	return 0
}
