package netio

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// Client sends remoting requests to servers (name servers, brokers) and
// serves the requests servers send back (CHECK_TRANSACTION_STATE,
// NOTIFY_CONSUMER_IDS_CHANGED...) with handlers registered on it.
//
// Connections are made on first use of an address and replaced on the next
// use after they fail. Every connection pipelines any number of calls;
// responses are matched by opaque. Safe for concurrent use, except Register,
// which must precede the first call.
type Client struct {
	cfg      ClientConfig
	log      *slog.Logger
	handlers handlerTable
	opaque   atomic.Int32
	used     atomic.Bool // a connection was made: Register is closed

	mu     sync.RWMutex
	addrs  map[string]*addrConns
	closed bool
	wg     sync.WaitGroup // read loops
}

// addrConns are the connections to one address.
type addrConns struct {
	addr   string
	next   atomic.Uint32
	slots  []atomic.Pointer[clientConn]
	dialMu sync.Mutex // serializes dials to addr
}

// NewClient returns a client for cfg, with zero fields set to their
// defaults.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.applyDefaults()
	return &Client{cfg: cfg, log: cfg.Logger, addrs: make(map[string]*addrConns)}, nil
}

// Register sets the handler for requests servers send with code. It must
// be called before the client's first call; a second registration of a
// code, a nil handler, or registering later panics. Codes without a handler
// are answered REQUEST_CODE_NOT_SUPPORTED.
func (cl *Client) Register(code protocol.RequestCode, h Handler) {
	if cl.used.Load() {
		panic("netio: Client.Register after first use")
	}
	cl.handlers.register(code, h)
}

// Invoke sends cmd to addr and waits for the response, ctx's end, or,
// without a deadline in ctx, ClientConfig.DefaultTimeout (then the error
// wraps ErrTimeout). Invoke sets cmd's Opaque and clears its response and
// oneway flags; cmd is encoded before Invoke blocks and may be reused
// afterwards. The response is a copy owned by the caller. If the
// connection fails, Invoke returns at once with ErrConnClosed wrapping the
// cause.
func (cl *Client) Invoke(ctx context.Context, addr string, cmd *protocol.Command) (*protocol.Command, error) {
	cc, err := cl.conn(ctx, addr)
	if err != nil {
		return nil, err
	}
	c := getCall()
	op := cl.opaque.Add(1)
	prepareRequest(cmd, op, false)
	if err := cc.calls.add(op, c, syncTimeout(ctx, cl.cfg.DefaultTimeout)); err != nil {
		putCall(c)
		return nil, err
	}
	if err := cc.send(outFrame{cmd: cmd}); err != nil {
		cc.calls.abandon(op, c)
		return nil, err
	}
	return cc.calls.wait(ctx, op, c)
}

// InvokeAsync sends cmd to addr and calls cb once with the response (a copy
// owned by cb) or an error: ErrTimeout after timeout (DefaultTimeout if
// timeout ≤ 0; a late response is dropped), ErrConnClosed if the
// connection fails first. If InvokeAsync returns an error, cb is not
// called. cb runs on the connection's reader goroutine or the sweeper goroutine
// and must not block. cmd may be reused when InvokeAsync returns.
func (cl *Client) InvokeAsync(addr string, cmd *protocol.Command, timeout time.Duration, cb func(resp *protocol.Command, err error)) error {
	return cl.invokeAsync(addr, cmd, timeout, cb, false)
}

// InvokeAsyncBorrowed is InvokeAsync without the copy of the response: cb
// gets the response as decoded, aliasing the connection's read buffer, and
// it is valid only until cb returns. cb must copy whatever it keeps. For
// callers that decode the response at once (the client's async sends).
func (cl *Client) InvokeAsyncBorrowed(addr string, cmd *protocol.Command, timeout time.Duration, cb func(resp *protocol.Command, err error)) error {
	return cl.invokeAsync(addr, cmd, timeout, cb, true)
}

func (cl *Client) invokeAsync(addr string, cmd *protocol.Command, timeout time.Duration, cb func(resp *protocol.Command, err error), borrow bool) error {
	if timeout <= 0 {
		timeout = cl.cfg.DefaultTimeout
	}
	cc, err := cl.conn(context.Background(), addr)
	if err != nil {
		return err
	}
	c := &call{cb: cb, borrow: borrow}
	op := cl.opaque.Add(1)
	prepareRequest(cmd, op, false)
	if err := cc.calls.add(op, c, timeout); err != nil {
		return err
	}
	if err := cc.send(outFrame{cmd: cmd}); err != nil {
		if cc.calls.remove(op, c) {
			return err
		}
		// The connection's failure has already called cb.
	}
	return nil
}

// InvokeOneway sends cmd to addr with FlagOneway set and expects no
// response. It returns once cmd is written or queued behind a write in
// progress; cmd may be reused then.
func (cl *Client) InvokeOneway(addr string, cmd *protocol.Command) error {
	cc, err := cl.conn(context.Background(), addr)
	if err != nil {
		return err
	}
	prepareRequest(cmd, cl.opaque.Add(1), true)
	return cc.send(outFrame{cmd: cmd})
}

// Close closes every connection, failing their pending calls with
// ErrClientClosed, and waits for their reader goroutines to exit. Calls
// after Close fail with ErrClientClosed.
func (cl *Client) Close() error {
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		return nil
	}
	cl.closed = true
	var conns []*clientConn
	for _, ac := range cl.addrs {
		for i := range ac.slots {
			if cc := ac.slots[i].Load(); cc != nil {
				conns = append(conns, cc)
			}
		}
	}
	cl.mu.Unlock()
	for _, cc := range conns {
		cc.fail(ErrClientClosed)
	}
	cl.wg.Wait()
	return nil
}

// conn returns a live connection to addr, dialing if the chosen slot has
// none.
func (cl *Client) conn(ctx context.Context, addr string) (*clientConn, error) {
	cl.mu.RLock()
	ac, closed := cl.addrs[addr], cl.closed
	cl.mu.RUnlock()
	if closed {
		return nil, ErrClientClosed
	}
	if ac == nil {
		cl.mu.Lock()
		if ac = cl.addrs[addr]; ac == nil {
			ac = &addrConns{addr: addr, slots: make([]atomic.Pointer[clientConn], cl.cfg.ConnsPerAddr)}
			cl.addrs[addr] = ac
		}
		cl.mu.Unlock()
	}
	i := 0
	if n := len(ac.slots); n > 1 {
		i = int(ac.next.Add(1) % uint32(n))
	}
	if cc := ac.slots[i].Load(); cc != nil && !cc.dead.Load() {
		return cc, nil
	}
	return cl.dial(ctx, ac, i)
}

func (cl *Client) dial(ctx context.Context, ac *addrConns, i int) (*clientConn, error) {
	ac.dialMu.Lock()
	defer ac.dialMu.Unlock()
	if cc := ac.slots[i].Load(); cc != nil && !cc.dead.Load() {
		return cc, nil // another caller dialed meanwhile
	}
	cl.used.Store(true)
	d := net.Dialer{Timeout: cl.cfg.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", ac.addr)
	if err != nil {
		return nil, fmt.Errorf("netio: dial %s: %w", ac.addr, err)
	}
	cc := &clientConn{cl: cl, ac: ac, slot: i, nc: nc, remote: nc.RemoteAddr(),
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		_ = nc.Close()
		return nil, ErrClientClosed
	}
	cl.wg.Add(2)
	ac.slots[i].Store(cc) // under cl.mu, so Close sees it
	cl.mu.Unlock()
	go cc.readLoop()
	go cc.writeLoop()
	return cc, nil
}

// clientConn is one client connection: a reader goroutine that decodes and
// dispatches frames, and a writer goroutine that writes everything queued
// with one writev, so that concurrent calls, and pipelined calls from one
// goroutine, share writev calls.
type clientConn struct {
	cl     *Client
	ac     *addrConns
	slot   int
	nc     net.Conn
	remote net.Addr
	calls  pendingCalls
	dead   atomic.Bool
	once   sync.Once

	wmu     sync.Mutex
	q       *outBatch     // frames waiting for the writer
	writing bool          // the writer is awake; it will take q
	wake    chan struct{} // cap 1: wakes the writer goroutine
	quit    chan struct{} // closed by fail: the writer exits
	werr    error         // set when the connection failed
	iovs    [][]byte      // the writer's scratch
	bufs    net.Buffers   // the writer's scratch, a field so it does not escape per write
}

func (cc *clientConn) remoteAddr() net.Addr { return cc.remote }
func (cc *clientConn) answered()            {}

// send queues f for the connection's writer goroutine and wakes it if it
// sleeps. A write error reaches the caller through f.done and the pending
// calls, which fail when the connection does (replySink).
//
// NB: a writer goroutine rather than writing on the caller's goroutine: a
// single goroutine sending pipelined requests (InvokeAsync, oneway) made
// one write system call per request, since it was always the writer
// itself; now it queues while the writer's writev of the previous batch is
// in progress, and each writev carries every request queued meanwhile.
func (cc *clientConn) send(f outFrame) error {
	cc.wmu.Lock()
	if cc.werr != nil {
		err := cc.werr
		cc.wmu.Unlock()
		if f.done != nil {
			f.done(err)
		}
		return err
	}
	if cc.q == nil {
		cc.q = getBatch()
	}
	if err := cc.q.add(&f); err != nil {
		cc.wmu.Unlock()
		if f.done != nil {
			f.done(err)
		}
		return err
	}
	if cc.writing {
		cc.wmu.Unlock()
		return nil
	}
	cc.writing = true
	cc.wmu.Unlock()
	select {
	case cc.wake <- struct{}{}:
	default:
	}
	return nil
}

// writeLoop is the connection's writer: woken by send, it writes the queue
// until it is empty, then sleeps; it exits when the connection fails.
//
// NB: it yields (runtime.Gosched) before each take of the queue. A batch of
// responses readies many senders at once, and the first one's send readies
// the writer, which the scheduler would run next: it wrote 1.7 requests per
// writev under 64 synchronous senders (bench/producer -m sync -c 64). After
// the yield the other ready senders queue first, about 10 requests per
// writev, and a lone sender loses nothing (the yield returns at once).
func (cc *clientConn) writeLoop() {
	defer cc.cl.wg.Done()
	for {
		select {
		case <-cc.wake:
		case <-cc.quit:
			return
		}
		for {
			// Let the goroutines that are ready to run queue their
			// requests first.
			runtime.Gosched()
			cc.wmu.Lock()
			b := cc.q
			cc.q = nil
			if b == nil || b.empty() || cc.werr != nil {
				cc.writing = false
				werr := cc.werr
				cc.wmu.Unlock()
				if b != nil {
					if werr != nil {
						b.finish(werr)
					}
					putBatch(b)
				}
				break
			}
			cc.wmu.Unlock()
			err := cc.write(b)
			if err != nil {
				cc.fail(err)
				cc.wmu.Lock()
				err = cc.werr
				cc.wmu.Unlock()
			}
			b.finish(err)
			putBatch(b)
		}
	}
}

// write writes b with writev (net.Buffers), as many calls as it takes.
// REQUIRES: the caller is the writer.
func (cc *clientConn) write(b *outBatch) error {
	cc.iovs = b.appendIovecs(cc.iovs[:0])
	cc.bufs = cc.iovs
	_, err := cc.bufs.WriteTo(cc.nc) // consumes cc.bufs, not cc.iovs
	clear(cc.iovs)
	return err
}

// fail closes the connection once: its slot is freed for a new dial,
// queued frames and pending calls fail with ErrConnClosed wrapping cause.
func (cc *clientConn) fail(cause error) {
	cc.once.Do(func() {
		cc.dead.Store(true)
		_ = cc.nc.Close()
		cc.ac.slots[cc.slot].CompareAndSwap(cc, nil)
		cerr := cause
		if cause != ErrClientClosed {
			cerr = closedError(cc.remote, cause)
		}
		cc.wmu.Lock()
		cc.werr = cerr
		b := cc.q
		cc.q = nil
		cc.wmu.Unlock()
		close(cc.quit)
		if b != nil {
			b.finish(cerr)
			putBatch(b)
		}
		cc.calls.closeAll(cerr)
		cc.cl.log.Debug("netio: client connection closed", "remote", cc.remote, "cause", cause)
	})
}

// readLoop reads frames into a reused buffer and dispatches them until the
// connection fails.
func (cc *clientConn) readLoop() {
	defer cc.cl.wg.Done()
	cfg := &cc.cl.cfg
	maxFrame := cfg.Limits.MaxFrame
	buf := make([]byte, cfg.ReadBufferSize)
	r, w := 0, 0
	dec := protocol.Decoder{Limits: cfg.Limits}
	var cmd, scratch protocol.Command
	req := Request{sink: cc, scratch: &scratch, log: cc.cl.log}
	for {
		for {
			n, err := protocol.SplitFrame(buf[r:w], maxFrame)
			if err == nil && n > 0 {
				err = cc.handleFrame(&dec, &cmd, &req, buf[r:r+n])
				r += n
			}
			if err != nil {
				cc.cl.log.Warn("netio: broken frame from server, closing connection", "remote", cc.remote, "err", err)
				cc.fail(err)
				return
			}
			if n == 0 {
				break
			}
		}
		switch {
		case r == w:
			r, w = 0, 0
			if len(buf) > cfg.ReadBufferSize {
				buf = make([]byte, cfg.ReadBufferSize) // drop the buffer a large frame grew
			}
		case w == len(buf) && r > 0:
			w = copy(buf, buf[r:w])
			r = 0
		case w == len(buf):
			// One frame fills the buffer: grow by doubling as its bytes
			// arrive, never past its (already validated) length.
			need := 4 + int(binary.BigEndian.Uint32(buf))
			nb := make([]byte, min(2*len(buf), need))
			w = copy(nb, buf[:w])
			buf = nb
		}
		m, err := cc.nc.Read(buf[w:])
		if err != nil {
			cc.fail(err)
			return
		}
		w += m
	}
}

func (cc *clientConn) handleFrame(dec *protocol.Decoder, cmd *protocol.Command, req *Request, frame []byte) error {
	if err := dec.Decode(frame, cmd); err != nil {
		return err
	}
	if cmd.IsResponse() {
		cc.calls.deliver(cmd)
		return nil
	}
	req.begin(cmd)
	cc.cl.handlers.serve(req)
	req.end()
	return nil
}
