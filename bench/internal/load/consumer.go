package load

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// PullOutcome is what one pull of a queue gave.
type PullOutcome struct {
	// Next is the offset to pull from next (the queue's corrected offset
	// when the one asked for was out of range).
	Next int64
	// Msgs and Bytes are the messages found and their body bytes.
	Msgs  int
	Bytes int64
}

// Source is a consumer group's view of a topic's queues, numbered
// 0..Queues()-1. Implementations must be safe for concurrent use on
// different queues.
type Source interface {
	Queues() int
	// Start returns the offset where consumption of queue q begins.
	Start(ctx context.Context, q int) (int64, error)
	// Pull reads up to max messages of queue q from offset, waiting up to
	// wait for one to arrive (0: answer at once). It appends the born
	// timestamps (Unix milliseconds) of the messages found to born.
	Pull(ctx context.Context, q int, offset int64, max int, wait time.Duration, born []int64) (PullOutcome, []int64, error)
	// Commit stores next as the group's offset of queue q.
	Commit(ctx context.Context, q int, next int64) error
}

// ConsumeConfig is how Consume reads.
type ConsumeConfig struct {
	// Loops is the number of pull loops; the queues are split among them
	// round-robin. 0: one loop per queue, up to MaxAutoLoops; more than
	// the queues: one loop per queue.
	Loops int
	// Max is the most messages a pull asks for. Default 32.
	Max int
	// Wait is the long-poll time of a pull on a loop that owns one queue,
	// and of every pull once a loop with several queues found all of them
	// empty: IdleWait. Defaults 1 s and 10 ms. A loop with several queues
	// pulls them in turn without waiting while messages flow; the short
	// IdleWait bounds how long a message on one queue waits for the loop
	// to come back from the others.
	Wait, IdleWait time.Duration
	// CommitInterval is how often each loop commits its queues' offsets
	// (and once more at the end). Default 1 s.
	CommitInterval time.Duration
	// Count stops consumption after this many messages (all loops
	// together; pulls ask for at most what is missing, but loops pulling at
	// once may overshoot by less than Loops × Max). 0: no limit.
	Count int64
	// Idle stops consumption when no message came for this long after the
	// first one. 0: never.
	Idle time.Duration
	// Backoff is the pause after a failed pull or commit. Default 100 ms.
	Backoff time.Duration
}

// Validate checks c.
func (c ConsumeConfig) Validate() error {
	switch {
	case c.Loops < 0:
		return errors.New("load: pull loops must not be negative")
	case c.Max < 0 || c.Max > 1024:
		return errors.New("load: pull batch must be in [0, 1024]")
	case c.Count < 0:
		return errors.New("load: count must not be negative")
	case c.Wait < 0 || c.IdleWait < 0 || c.CommitInterval < 0 || c.Idle < 0 || c.Backoff < 0:
		return errors.New("load: durations must not be negative")
	}
	return nil
}

func (c *ConsumeConfig) defaults() {
	if c.Max == 0 {
		c.Max = 32
	}
	if c.Wait == 0 {
		c.Wait = time.Second
	}
	if c.IdleWait == 0 {
		c.IdleWait = 10 * time.Millisecond
	}
	if c.CommitInterval == 0 {
		c.CommitInterval = time.Second
	}
	if c.Backoff == 0 {
		c.Backoff = 100 * time.Millisecond
	}
}

// MaxAutoLoops caps the loops of ConsumeConfig.Loops 0. NB: a topic like
// RocketMQ's BenchmarkTest has 1024 queues; 1024 long polls at once
// measured far slower than 64 loops sharing them.
const MaxAutoLoops = 64

// Split assigns queues 0..queues-1 to loops round-robin; loops ≤ 0 means
// one loop per queue up to MaxAutoLoops, and loops above queues one loop
// per queue.
func Split(queues, loops int) [][]int {
	if loops <= 0 {
		loops = min(queues, MaxAutoLoops)
	}
	if loops > queues {
		loops = queues
	}
	out := make([][]int, loops)
	for q := 0; q < queues; q++ {
		out[q%loops] = append(out[q%loops], q)
	}
	return out
}

// ConsumeResult is the outcome of Consume.
type ConsumeResult struct {
	// First and Last are when the first and the last message arrived
	// (zero if none did): the measured window.
	First, Last time.Time
	// PullErrors and CommitErrors count failed requests.
	PullErrors, CommitErrors int64
	// LastErr is the last pull or commit error, for the report.
	LastErr error
}

// consumer is the state Consume's loops share.
type consumer struct {
	cfg    ConsumeConfig
	src    Source
	m      Meter
	now    func() time.Time
	cancel context.CancelFunc

	received  atomic.Int64
	firstNano atomic.Int64 // Unix nanoseconds of the first message; 0 none yet
	lastNano  atomic.Int64 // Unix nanoseconds of the latest message
	pullErrs  atomic.Int64
	commErrs  atomic.Int64
	errMu     sync.Mutex
	lastErr   error
}

// Consume pulls src's queues until ctx is done, Count messages came, or
// nothing came for Idle; it commits offsets every CommitInterval and at the
// end. Messages are counted into m, and their end-to-end latency (receipt
// time minus born timestamp, millisecond resolution) recorded. A Start
// failure of any queue is returned before anything is pulled.
func Consume(ctx context.Context, src Source, cfg ConsumeConfig, m Meter) (ConsumeResult, error) {
	if err := cfg.Validate(); err != nil {
		return ConsumeResult{}, err
	}
	cfg.defaults()
	n := src.Queues()
	if n == 0 {
		return ConsumeResult{}, errors.New("load: the topic has no queues")
	}
	starts := make([]int64, n)
	for q := range starts {
		off, err := src.Start(ctx, q)
		if err != nil {
			return ConsumeResult{}, fmt.Errorf("load: start offset of queue %d: %w", q, err)
		}
		starts[q] = off
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &consumer{cfg: cfg, src: src, m: m, now: time.Now, cancel: cancel}
	var wg sync.WaitGroup
	for _, qs := range Split(n, cfg.Loops) {
		offs := make([]int64, len(qs))
		for i, q := range qs {
			offs[i] = starts[q]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.loop(ctx, qs, offs)
		}()
	}
	if cfg.Idle > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.watchIdle(ctx)
		}()
	}
	wg.Wait()
	res := ConsumeResult{PullErrors: c.pullErrs.Load(), CommitErrors: c.commErrs.Load(), LastErr: c.lastErr}
	if f := c.firstNano.Load(); f != 0 {
		res.First = time.Unix(0, f)
		res.Last = time.Unix(0, c.lastNano.Load())
	}
	return res, nil
}

func (c *consumer) fail(counter *atomic.Int64, err error) {
	counter.Add(1)
	c.errMu.Lock()
	c.lastErr = err
	c.errMu.Unlock()
}

// watchIdle cancels the run once nothing arrived for Idle after the first
// message.
func (c *consumer) watchIdle(ctx context.Context) {
	t := time.NewTicker(min(c.cfg.Idle/4+time.Millisecond, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			last := c.lastNano.Load()
			if last != 0 && c.now().Sub(time.Unix(0, last)) >= c.cfg.Idle {
				c.cancel()
				return
			}
		}
	}
}

// loop pulls queues qs (starting at offs) in turn.
func (c *consumer) loop(ctx context.Context, qs []int, offs []int64) {
	committed := make([]int64, len(qs))
	copy(committed, offs)
	lastCommit := c.now()
	born := make([]int64, 0, c.cfg.Max)
	lat := make([]int64, 0, c.cfg.Max)
	idle := false // the last full round found nothing
	for ctx.Err() == nil {
		got := false
		for i, q := range qs {
			if ctx.Err() != nil {
				break
			}
			wait := time.Duration(0)
			switch {
			case len(qs) == 1:
				wait = c.cfg.Wait
			case idle:
				wait = c.cfg.IdleWait
			}
			want := c.cfg.Max
			if c.cfg.Count > 0 {
				// Ask for no more than the count still needs (loops
				// asking at once may still overshoot it together).
				want = int(min(int64(want), max(1, c.cfg.Count-c.received.Load())))
			}
			out, b, err := c.src.Pull(ctx, q, offs[i], want, wait, born[:0])
			born = b
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				c.fail(&c.pullErrs, fmt.Errorf("pull queue %d at %d: %w", q, offs[i], err))
				pause(ctx, c.cfg.Backoff)
				continue
			}
			offs[i] = out.Next
			if out.Msgs > 0 {
				got = true
				c.account(out, born, lat[:0])
			}
		}
		idle = !got
		if now := c.now(); now.Sub(lastCommit) >= c.cfg.CommitInterval {
			c.commit(ctx, qs, offs, committed)
			lastCommit = now
		}
	}
	// The final commit outlives the run's context.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	c.commit(cctx, qs, offs, committed)
}

// account counts a pull's messages and records their latencies, and stops
// the run when the count is reached.
func (c *consumer) account(out PullOutcome, born, lat []int64) {
	now := c.now()
	nowMs := now.UnixMilli()
	for _, b := range born {
		lat = append(lat, (nowMs-b)*1000)
	}
	c.m.Latency.RecordMicrosN(lat)
	c.m.Counters.Add(int64(out.Msgs), out.Bytes)
	ns := now.UnixNano()
	c.firstNano.CompareAndSwap(0, ns)
	c.lastNano.Store(ns)
	if total := c.received.Add(int64(out.Msgs)); c.cfg.Count > 0 && total >= c.cfg.Count {
		c.cancel()
	}
}

// commit stores the offsets of qs that moved since the last commit.
func (c *consumer) commit(ctx context.Context, qs []int, offs, committed []int64) {
	for i, q := range qs {
		if offs[i] == committed[i] {
			continue
		}
		if err := c.src.Commit(ctx, q, offs[i]); err != nil {
			c.fail(&c.commErrs, fmt.Errorf("commit queue %d offset %d: %w", q, offs[i], err))
			continue
		}
		committed[i] = offs[i]
	}
}
