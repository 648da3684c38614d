package netio

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/quivermq/quiver/protocol"
)

// Conn is one accepted server connection. Its exported methods are safe for
// concurrent use from any goroutine.
//
// Fields under "event loop only" are touched only by the connection's gnet
// event loop (OnOpen, OnTraffic, OnClose and tasks run with Execute), which
// serializes them.
type Conn struct {
	srv       *Server
	gc        gnet.Conn
	el        gnet.EventLoop
	lp        *loop
	id        uint64
	remote    net.Addr
	local     net.Addr
	flushTask gnet.Runnable

	// Event loop only.
	ringLen int   // bytes gnet holds in its ring buffer: a partial frame
	closed  bool  // OnClose has run: gc's fd may belong to someone else
	cause   error // why this side closed the connection

	lastRead atomic.Int64 // Server.now() at the last inbound bytes
	inflight atomic.Int32 // detached, unanswered Responders
	idle     atomic.Bool  // closed by the idle sweep
	value    atomic.Pointer[valueBox]

	calls pendingCalls

	// mu guards the queue of frames sent from other goroutines (async
	// replies, server-initiated requests). Lock order: Server.mu, then
	// Conn.mu.
	mu          sync.Mutex
	pend        *outBatch   // frames waiting for a flush; nil if none
	flushQueued atomic.Bool // a flush task is queued and has not taken pend; written under mu
	shut        error       // set by OnClose; sends fail with it
}

type valueBox struct{ v any }

// ID returns a number unique among the server's connections.
func (c *Conn) ID() uint64 { return c.id }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// LocalAddr returns the listening address the connection came in on.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// Value returns the value last given to SetValue, or nil.
func (c *Conn) Value() any {
	if b := c.value.Load(); b != nil {
		return b.v
	}
	return nil
}

// SetValue attaches v to the connection (the broker keeps its client
// channel info here).
func (c *Conn) SetValue(v any) { c.value.Store(&valueBox{v}) }

// InFlight returns the number of requests on c whose handler kept a
// Responder that has not answered yet.
func (c *Conn) InFlight() int { return int(c.inflight.Load()) }

// Close closes the connection after writing what is queued in gnet. It
// returns at once; OnClose runs later on the event loop.
func (c *Conn) Close() error { return c.gc.Close() }

func (c *Conn) remoteAddr() net.Addr { return c.remote }

// answered implements replySink: a counted Responder has answered.
func (c *Conn) answered() {
	if c.inflight.Add(-1) == 0 {
		c.srv.signalDrain()
	}
}

// send queues f for the event loop to write (replySink). Safe from any
// goroutine.
//
// All frames queued before the loop runs the flush task go out in one
// writev: the first sender after a flush schedules one task, later senders
// only append. Interleavings this guards against:
//
//   - A sender appends while OnTraffic runs on the loop: OnTraffic takes
//     pend at its end and writes it with the wake-up's replies; the task the
//     sender queued later finds pend empty and does nothing. flushQueued
//     stays set until that task runs, so no second task is queued for the
//     same frames.
//   - A sender appends after OnTraffic took pend but before the queued task
//     ran: flushQueued is still set, so it queues nothing; the task takes its
//     frame. pend is never non-empty without a queued task.
//   - The connection closes with frames queued: OnClose (on the loop, like
//     the task) takes pend and fails it; the task then finds nothing. Sends
//     after that fail at once with the close error.
func (c *Conn) send(f outFrame) error {
	c.mu.Lock()
	if c.shut != nil {
		err := c.shut
		c.mu.Unlock()
		if f.done != nil {
			f.done(err)
		}
		return err
	}
	if c.pend == nil {
		c.pend = getBatch()
	}
	if err := c.pend.add(&f); err != nil {
		c.mu.Unlock()
		c.srv.log.Error("netio: cannot encode frame", "remote", c.remote, "code", f.cmd.Code, "err", err)
		if f.done != nil {
			f.done(err)
		}
		return err
	}
	schedule := !c.flushQueued.Load()
	c.flushQueued.Store(true)
	c.mu.Unlock()
	if schedule {
		if err := c.el.Execute(context.Background(), c.flushTask); err != nil {
			// The engine has stopped and no loop will run the task.
			c.mu.Lock()
			b := c.pend
			c.pend = nil
			c.flushQueued.Store(false)
			c.mu.Unlock()
			if b != nil {
				b.finish(ErrServerClosed)
				putBatch(b)
			}
			return ErrServerClosed
		}
	}
	return nil
}

// runFlush is the flush task: it writes every queued frame with one writev.
// It runs on the event loop, between events.
func (c *Conn) runFlush(context.Context) error {
	c.mu.Lock()
	b := c.pend
	c.pend = nil
	c.flushQueued.Store(false)
	c.mu.Unlock()
	if b != nil {
		var err error
		if c.closed {
			err = closedError(c.remote, c.cause)
		} else {
			lp := c.lp
			lp.iovs = b.appendIovecs(lp.iovs[:0])
			err = c.writeIovecs(lp, b.bytes, b.replies, b.requests)
		}
		b.finish(err)
		putBatch(b)
		if err == nil && c.slowConsumer() {
			_ = c.el.Close(c.gc)
		}
	}
	c.srv.signalDrain()
	return nil
}

// slowConsumer reports (and logs, and records as the close cause) that the
// peer leaves more than MaxOutboundBytes unread. Event loop only.
func (c *Conn) slowConsumer() bool {
	max := c.srv.cfg.MaxOutboundBytes
	if max <= 0 || c.gc.OutboundBuffered() <= max {
		return false
	}
	c.srv.log.Warn("netio: peer does not read its replies, closing connection", "remote", c.remote,
		"unsent", c.gc.OutboundBuffered())
	c.cause = ErrSlowConsumer
	return true
}

// onTraffic handles a readable connection: it decodes every complete frame
// in the inbound buffer, dispatches requests and responses, and writes all
// replies made during the wake-up, plus anything queued from other
// goroutines, with one writev.
func (c *Conn) onTraffic() gnet.Action {
	s, lp := c.srv, c.lp
	c.lastRead.Store(s.now())
	err := c.readFrames(lp)
	lp.publish()

	// Take what other goroutines queued meanwhile. If flushQueued reads
	// false, a frame queued after the load queues its own task.
	var pend *outBatch
	if c.flushQueued.Load() {
		c.mu.Lock()
		pend = c.pend
		c.pend = nil // NB: flushQueued stays set: the queued task clears it.
		c.mu.Unlock()
	}
	if !lp.out.empty() || pend != nil {
		lp.iovs = lp.out.appendIovecs(lp.iovs[:0])
		bytes, replies, requests := lp.out.bytes, lp.out.replies, lp.out.requests
		if pend != nil {
			lp.iovs = pend.appendIovecs(lp.iovs)
			bytes, replies, requests = bytes+pend.bytes, replies+pend.replies, requests+pend.requests
		}
		werr := c.writeIovecs(lp, bytes, replies, requests)
		lp.out.finish(werr)
		if pend != nil {
			pend.finish(werr)
			putBatch(pend)
		}
		if werr != nil {
			return gnet.None // gnet has closed the connection
		}
	}
	if err != nil {
		lp.stats.brokenFrames.Add(1)
		s.log.Warn("netio: broken frame, closing connection", "remote", c.remote, "err", err)
		c.cause = err
		return gnet.Close
	}
	if c.slowConsumer() {
		return gnet.Close
	}
	return gnet.None
}

// readFrames decodes and dispatches every complete frame buffered on c. It
// returns a split or decode error, after which c must be closed.
//
// gnet hands OnTraffic the loop's read buffer, with the bytes a previous
// wake-up left (a partial frame) in the connection's ring buffer in front.
// Peek of everything copies when the ring is not empty, so the frame that
// straddles ring and read buffer is peeked (and copied) alone and discarded;
// from then on the ring is empty and Peek returns the read buffer itself:
// every other frame is decoded in place, and the whole run is discarded
// once.
func (c *Conn) readFrames(lp *loop) error {
	gc, maxFrame := c.gc, c.srv.cfg.Limits.MaxFrame
	for c.ringLen > 0 {
		avail := gc.InboundBuffered()
		head, _ := gc.Peek(min(avail, 8))
		if _, err := protocol.SplitFrame(head, maxFrame); err != nil {
			return err
		}
		if len(head) < 4 {
			c.ringLen = avail
			return nil
		}
		need := 4 + int(binary.BigEndian.Uint32(head))
		if avail < need {
			c.ringLen = avail
			return nil
		}
		frame, _ := gc.Peek(need)
		if err := c.handleFrame(lp, frame); err != nil {
			return err
		}
		_, _ = gc.Discard(need) // also releases a copy Peek made
		lp.bytesIn += need
		c.ringLen = max(c.ringLen-need, 0)
	}
	buf, _ := gc.Peek(-1)
	off := 0
	for off < len(buf) {
		n, err := protocol.SplitFrame(buf[off:], maxFrame)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if err := c.handleFrame(lp, buf[off:off+n]); err != nil {
			return err
		}
		off += n
	}
	if off > 0 {
		_, _ = gc.Discard(off)
		lp.bytesIn += off
	}
	c.ringLen = gc.InboundBuffered()
	return nil
}

// handleFrame decodes one frame and dispatches it: a response completes a
// pending Invoke, a request runs its handler.
func (c *Conn) handleFrame(lp *loop, frame []byte) error {
	cmd := &lp.cmd
	if err := lp.dec.Decode(frame, cmd); err != nil {
		return err
	}
	lp.frames++
	if cmd.IsResponse() {
		lp.responses++
		if !c.calls.deliver(cmd) {
			lp.late++
		}
		return nil
	}
	req := &lp.req
	req.sink, req.conn = c, c
	req.begin(cmd)
	unknown, panicked := c.srv.handlers.serve(req)
	req.end()
	if unknown {
		lp.unknown++
	}
	if panicked {
		lp.panics++
	}
	return nil
}

// writeIovecs writes lp.iovs with as few writev calls as iovMax allows.
// gnet writes what the socket takes and copies the rest into its outbound
// buffer, so the iovecs' memory is free again on return. On error gnet has
// already closed the connection (and OnClose has run).
func (c *Conn) writeIovecs(lp *loop, bytes, replies, requests int) error {
	iovs := lp.iovs
	var err error
	writevs := 0
	for len(iovs) > 0 {
		n := min(len(iovs), iovMax)
		writevs++
		if _, err = c.gc.Writev(iovs[:n]); err != nil {
			break
		}
		iovs = iovs[n:]
	}
	clear(lp.iovs) // drop references to borrowed parts
	lp.iovs = lp.iovs[:0]
	st := &lp.stats
	st.writevs.Add(int64(writevs))
	if err != nil {
		return closedError(c.remote, err)
	}
	st.bytesOut.Add(int64(bytes))
	if replies > 0 {
		st.repliesOut.Add(int64(replies))
	}
	if requests > 0 {
		st.requestsOut.Add(int64(requests))
	}
	return nil
}

// onClose runs on the event loop once gnet has closed c.
func (c *Conn) onClose(err error) {
	c.closed = true
	cause := c.cause
	switch {
	case c.idle.Load():
		cause = ErrIdleTimeout
	case cause == nil:
		cause = err
	}
	c.cause = cause
	cerr := closedError(c.remote, cause)
	c.mu.Lock()
	c.shut = cerr
	b := c.pend
	c.pend = nil
	c.mu.Unlock()
	if b != nil {
		b.finish(cerr)
		putBatch(b)
	}
	c.calls.closeAll(cerr)
}

// loop is the scratch state of one event loop, shared by its connections:
// OnTraffic calls on one loop never overlap, and each leaves nothing behind
// (its replies are written before it returns).
type loop struct {
	dec     protocol.Decoder
	cmd     protocol.Command // the request or response being handled
	scratch protocol.Command // replies netio makes itself
	req     Request
	out     outBatch // replies made during this wake-up
	iovs    [][]byte

	// Counts of this wake-up, published once at its end.
	frames, responses, late, unknown, panics, bytesIn int

	stats counters // this loop's traffic counters
}

func (lp *loop) publish() {
	st := &lp.stats
	if lp.frames > 0 {
		st.framesIn.Add(int64(lp.frames))
	}
	if lp.bytesIn > 0 {
		st.bytesIn.Add(int64(lp.bytesIn))
	}
	if lp.responses > 0 {
		st.responsesIn.Add(int64(lp.responses))
	}
	if lp.late > 0 {
		st.lateResponses.Add(int64(lp.late))
	}
	if lp.unknown > 0 {
		st.unknownCodes.Add(int64(lp.unknown))
	}
	if lp.panics > 0 {
		st.handlerPanics.Add(int64(lp.panics))
	}
	lp.frames, lp.responses, lp.late, lp.unknown, lp.panics, lp.bytesIn = 0, 0, 0, 0, 0, 0
}
