package netio

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// call is one request waiting for its response: a synchronous caller
// blocked on done, or an asynchronous one with a callback and a deadline.
//
// Exactly one party completes a call: whoever removes it from the pending
// table (the response reader, the sweeper, the connection's close, or a
// caller giving up). A synchronous call is pooled; the waiter puts it back
// only after it has removed it itself or received on done, so no completer
// can still touch it.
type call struct {
	resp *protocol.Command
	err  error
	done chan struct{} // capacity 1; synchronous calls only
	cb   func(*protocol.Command, error)
	// When the sweeper fails the call with ErrTimeout (monotonic, see
	// monoNow; 0: never, a synchronous call whose context bounds it), and
	// the timeout for its message.
	deadline int64
	timeout  time.Duration
	// borrow: cb gets the response as decoded, aliasing the connection's
	// read buffer, instead of a copy (InvokeAsyncBorrowed).
	borrow bool
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

func getCall() *call { return callPool.Get().(*call) }

func putCall(c *call) {
	c.resp, c.err = nil, nil
	callPool.Put(c)
}

// complete hands the outcome to the caller. REQUIRES: c was removed from
// its pending table by the caller of complete.
func (c *call) complete(resp *protocol.Command, err error) {
	if c.cb != nil {
		c.cb(resp, err)
		return
	}
	c.resp, c.err = resp, err
	c.done <- struct{}{}
}

// pendingCalls is a connection's table of requests awaiting responses,
// keyed by opaque. Safe for concurrent use.
type pendingCalls struct {
	mu     sync.Mutex
	m      map[int32]*call
	timed  int   // calls in m with a deadline; the sweeper watches p while > 0
	closed error // set once by closeAll; later adds fail with it
}

// add registers c under opaque. With timeout > 0 the call fails with
// ErrTimeout once timeout has passed (checked by the sweeper, so up to
// sweepInterval late); with 0 it waits for its response, the connection's
// close, or its caller (a synchronous call with a context deadline).
func (p *pendingCalls) add(opaque int32, c *call, timeout time.Duration) error {
	c.timeout, c.deadline = timeout, 0
	if timeout > 0 {
		c.deadline = monoNow() + int64(timeout)
	}
	p.mu.Lock()
	if p.closed != nil {
		p.mu.Unlock()
		return p.closed
	}
	if p.m == nil {
		p.m = make(map[int32]*call)
	}
	p.m[opaque] = c
	watch := false
	if c.deadline != 0 {
		p.timed++
		watch = p.timed == 1
	}
	p.mu.Unlock()
	if watch {
		calls.watch(p)
	}
	if c.deadline != 0 {
		calls.added(c.deadline)
	}
	return nil
}

// take deletes opaque's call from the table and returns it (nil if none).
// REQUIRES: p.mu held.
func (p *pendingCalls) take(opaque int32) *call {
	c := p.m[opaque]
	if c != nil {
		delete(p.m, opaque)
		if c.deadline != 0 {
			p.timed--
		}
	}
	return c
}

// expire removes the calls whose deadline is at or before now and fails
// them with ErrTimeout. It reports whether p still has calls with a
// deadline (the sweeper keeps watching it), and the earliest of their
// deadlines (math.MaxInt64 if none).
func (p *pendingCalls) expire(now int64, scratch []int32) ([]int32, bool, int64) {
	p.mu.Lock()
	scratch = scratch[:0]
	first := int64(math.MaxInt64)
	for op, c := range p.m {
		switch {
		case c.deadline == 0:
		case c.deadline <= now:
			scratch = append(scratch, op)
		default:
			first = min(first, c.deadline)
		}
	}
	var expired []*call
	if len(scratch) > 0 {
		expired = make([]*call, 0, len(scratch))
		for _, op := range scratch {
			expired = append(expired, p.take(op))
		}
	}
	more := p.timed > 0
	p.mu.Unlock()
	for i, c := range expired {
		c.complete(nil, fmt.Errorf("%w: no response to opaque %d within %v", ErrTimeout, scratch[i], c.timeout))
	}
	return scratch, more, first
}

// remove deletes opaque if it still maps to c and reports whether it did.
func (p *pendingCalls) remove(opaque int32, c *call) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m[opaque] != c {
		return false
	}
	p.take(opaque)
	return true
}

// deliver completes the call waiting for resp with a copy of resp (which
// aliases an inbound buffer; the call itself if it borrows) and reports
// whether there was one. A response nobody waits for (timed out, or never
// asked) is dropped.
func (p *pendingCalls) deliver(resp *protocol.Command) bool {
	p.mu.Lock()
	c := p.take(resp.Opaque)
	p.mu.Unlock()
	if c == nil {
		return false
	}
	if c.borrow {
		c.complete(resp, nil)
	} else {
		c.complete(cloneCommand(resp), nil)
	}
	return true
}

// closeAll fails every pending call with err and makes later adds fail.
func (p *pendingCalls) closeAll(err error) {
	p.mu.Lock()
	if p.closed == nil {
		p.closed = err
	}
	m := p.m
	p.m = nil
	p.timed = 0
	p.mu.Unlock()
	for _, c := range m {
		c.complete(nil, err)
	}
}

// abandon takes back a call whose request could not be sent.
func (p *pendingCalls) abandon(opaque int32, c *call) {
	if !p.remove(opaque, c) {
		<-c.done // completed concurrently (closeAll): drain before reuse
	}
	putCall(c)
}

// syncTimeout is the timeout to register a synchronous call with: 0 when
// ctx has a deadline (ctx bounds the wait), else def (the sweeper does).
//
// NB: the sweeper rather than a timer per call: with 64 goroutines sending
// synchronously, time.NewTimer and Stop per call were runtime timer-heap
// work on every send.
func syncTimeout(ctx context.Context, def time.Duration) time.Duration {
	if _, ok := ctx.Deadline(); ok {
		return 0
	}
	return def
}

// wait blocks until the synchronous call c completes (with its response,
// the close error, or ErrTimeout from the sweeper) or ctx ends. A response
// arriving after that is dropped. c is returned to the pool.
func (p *pendingCalls) wait(ctx context.Context, opaque int32, c *call) (*protocol.Command, error) {
	var err error
	select {
	case <-c.done:
		resp, err := c.resp, c.err
		putCall(c)
		return resp, err
	case <-ctx.Done():
		err = ctx.Err()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: opaque %d: %w", ErrTimeout, opaque, err)
		}
	}
	if !p.remove(opaque, c) {
		// The response (or the close) won the race: it is on its way.
		<-c.done
		resp, err := c.resp, c.err
		putCall(c)
		return resp, err
	}
	putCall(c)
	return nil, err
}

// cloneCommand copies a decoded command out of the buffer it aliases.
// Remark, body and every ext key and value go into one allocation; the
// copy's Ext holds views of it.
func cloneCommand(src *protocol.Command) *protocol.Command {
	c := &protocol.Command{
		Code:      src.Code,
		Language:  src.Language,
		Version:   src.Version,
		Opaque:    src.Opaque,
		Flag:      src.Flag,
		Serialize: src.Serialize,
	}
	n := len(src.Remark) + len(src.Body)
	for i := range src.Ext.Len() {
		k, v := src.Ext.At(i)
		n += len(k) + len(v)
	}
	if n == 0 {
		return c
	}
	buf := make([]byte, 0, n)
	take := func(b []byte) []byte {
		start := len(buf)
		buf = append(buf, b...)
		return buf[start:len(buf):len(buf)]
	}
	if len(src.Remark) > 0 {
		c.Remark = take(src.Remark)
	}
	if len(src.Body) > 0 {
		c.Body = take(src.Body)
	}
	for i := range src.Ext.Len() {
		k, v := src.Ext.At(i)
		c.Ext.AddView(take(k), take(v))
	}
	return c
}

// prepareRequest stamps cmd as a request with opaque.
func prepareRequest(cmd *protocol.Command, opaque int32, oneway bool) {
	cmd.Opaque = opaque
	cmd.Flag &^= protocol.FlagResponse | protocol.FlagOneway
	if oneway {
		cmd.Flag |= protocol.FlagOneway
	}
}

// Invoke sends cmd to the peer of a server connection (a client) and waits
// for the response, ctx's end, or, without a deadline in ctx,
// DefaultInvokeTimeout. Invoke sets cmd's Opaque and clears its response
// and oneway flags; cmd is encoded before Invoke blocks and may be reused
// afterwards. The response is a copy owned by the caller. Invoke fails
// promptly with ErrConnClosed (wrapping the cause) when the connection
// closes. Safe for concurrent use; must not be called on an event loop
// (it blocks).
func (c *Conn) Invoke(ctx context.Context, cmd *protocol.Command) (*protocol.Command, error) {
	cl := getCall()
	op := c.srv.opaque.Add(1)
	prepareRequest(cmd, op, false)
	if err := c.calls.add(op, cl, syncTimeout(ctx, DefaultInvokeTimeout)); err != nil {
		putCall(cl)
		return nil, err
	}
	if err := c.send(outFrame{cmd: cmd}); err != nil {
		c.calls.abandon(op, cl)
		return nil, err
	}
	return c.calls.wait(ctx, op, cl)
}

// InvokeAsync sends cmd and calls cb once with the response (a copy owned
// by cb) or an error: ErrTimeout after timeout (DefaultInvokeTimeout if
// timeout ≤ 0), ErrConnClosed if the connection closes first. If
// InvokeAsync returns an error, cb is not called. cb runs on an event loop
// or the sweeper goroutine and must not block. cmd may be reused when
// InvokeAsync returns.
func (c *Conn) InvokeAsync(cmd *protocol.Command, timeout time.Duration, cb func(resp *protocol.Command, err error)) error {
	if timeout <= 0 {
		timeout = DefaultInvokeTimeout
	}
	cl := &call{cb: cb}
	op := c.srv.opaque.Add(1)
	prepareRequest(cmd, op, false)
	if err := c.calls.add(op, cl, timeout); err != nil {
		return err
	}
	if err := c.send(outFrame{cmd: cmd}); err != nil {
		if c.calls.remove(op, cl) {
			return err
		}
		// closeAll got there first and has called cb with the close error.
	}
	return nil
}

// InvokeOneway sends cmd with FlagOneway set (as Java brokers send
// NOTIFY_CONSUMER_IDS_CHANGED and CHECK_TRANSACTION_STATE) and expects no
// response. It returns once cmd is queued; cmd may be reused then.
func (c *Conn) InvokeOneway(cmd *protocol.Command) error {
	prepareRequest(cmd, c.srv.opaque.Add(1), true)
	return c.send(outFrame{cmd: cmd})
}
