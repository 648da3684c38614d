package netio

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// TestServerInvoke has the server send requests to a connected Client
// (as a broker sends CHECK_TRANSACTION_STATE) and the client's handler
// answer them.
func TestServerInvoke(t *testing.T) {
	conns := make(chan *Conn, 1)
	s := startServer(t, ServerConfig{OnOpen: func(c *Conn) { conns <- c }}, nil)
	onewaySeen := make(chan bool, 1)
	cl := newClient(t, ClientConfig{}, func(cl *Client) {
		cl.Register(codeCheckTx, func(req *Request) {
			if req.Conn() != nil {
				t.Error("client request has a server Conn")
			}
			if req.Oneway() {
				onewaySeen <- true
				echo(req) // must write nothing
				return
			}
			var resp protocol.Command
			resp.ResponseTo(req.Command(), protocol.Success)
			resp.Ext.AddString("tx", req.Command().Ext.GetString("tx")+"-checked")
			_ = req.Reply(&resp)
		})
	})
	if _, err := cl.Invoke(ctxTimeout(t, 5*time.Second), s.Addr().String(), request(codeEcho, "")); err != nil {
		t.Fatal(err)
	}
	sc := recv(t, conns, "server conn")

	req := request(codeCheckTx, "")
	req.Ext.AddString("tx", "T1")
	resp, err := sc.Invoke(ctxTimeout(t, 5*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Ext.GetString("tx") != "T1-checked" || resp.Opaque != req.Opaque {
		t.Errorf("resp %+v", resp)
	}

	got := make(chan *protocol.Command, 1)
	req2 := request(codeCheckTx, "")
	req2.Ext.AddString("tx", "T2")
	if err := sc.InvokeAsync(req2, 5*time.Second, func(resp *protocol.Command, err error) {
		if err != nil {
			t.Error(err)
		}
		got <- resp
	}); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, got, "async response"); r.Ext.GetString("tx") != "T2-checked" {
		t.Errorf("async resp %+v", r)
	}

	ow := request(codeCheckTx, "")
	if err := sc.InvokeOneway(ow); err != nil {
		t.Fatal(err)
	}
	recv(t, onewaySeen, "oneway request at the client")
	// An unknown code sent to the client is answered 3.
	resp, err = sc.Invoke(ctxTimeout(t, 5*time.Second), request(777, ""))
	if err != nil || resp.Code != int32(protocol.RequestCodeNotSupported) {
		t.Errorf("unknown code at client: %v %+v", err, resp)
	}
	waitFor(t, time.Second, func() bool { return s.Stats().ResponsesIn == 3 }, "stats %v", s.Stats())
	if st := s.Stats(); st.LateResponses != 0 {
		t.Errorf("stats %v (the oneway's echo must not have been sent)", st)
	}
}

// TestServerInvokeFailsOnClose checks that a pending server-initiated call
// fails promptly when the peer goes away.
func TestServerInvokeFailsOnClose(t *testing.T) {
	conns := make(chan *Conn, 1)
	s := startServer(t, ServerConfig{OnOpen: func(c *Conn) { conns <- c }}, nil)
	rc := dialRaw(t, s.Addr())
	sc := recv(t, conns, "server conn")
	errs := make(chan error, 2)
	go func() {
		_, err := sc.Invoke(context.Background(), request(codeCheckTx, ""))
		errs <- err
	}()
	asyncErr := make(chan error, 1)
	if err := sc.InvokeAsync(request(codeCheckTx, ""), time.Minute, func(_ *protocol.Command, err error) { asyncErr <- err }); err != nil {
		t.Fatal(err)
	}
	// The raw peer sees both requests, then hangs up without answering.
	rc.mustRead()
	rc.mustRead()
	start := time.Now()
	_ = rc.nc.Close()
	if err := recv(t, errs, "Invoke error"); !errors.Is(err, ErrConnClosed) {
		t.Errorf("Invoke: %v, want ErrConnClosed", err)
	}
	if err := recv(t, asyncErr, "InvokeAsync error"); !errors.Is(err, ErrConnClosed) {
		t.Errorf("InvokeAsync: %v, want ErrConnClosed", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("pending calls failed after %v", d)
	}
	if _, err := sc.Invoke(context.Background(), request(codeCheckTx, "")); !errors.Is(err, ErrConnClosed) {
		t.Errorf("Invoke on closed conn: %v", err)
	}
}

func TestClientTimeout(t *testing.T) {
	responders := make(chan *Responder, 10)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeAsync, func(req *Request) { responders <- req.Responder() })
	})
	cl := newClient(t, ClientConfig{DefaultTimeout: 100 * time.Millisecond}, nil)
	addr := s.Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := cl.Invoke(ctx, addr, request(codeAsync, ""))
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke with deadline: %v", err)
	}
	_, err = cl.Invoke(context.Background(), addr, request(codeAsync, ""))
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("Invoke with default timeout: %v", err)
	}
	asyncErr := make(chan error, 1)
	if err := cl.InvokeAsync(addr, request(codeAsync, ""), 50*time.Millisecond, func(_ *protocol.Command, err error) {
		asyncErr <- err
	}); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, asyncErr, "async timeout"); !errors.Is(err, ErrTimeout) {
		t.Errorf("InvokeAsync: %v", err)
	}
	// Late responses are dropped, and the connection keeps working.
	for range 3 {
		r := recv(t, responders, "responder")
		var resp protocol.Command
		resp.Code = int32(protocol.Success)
		if err := r.Reply(&resp); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := cl.Invoke(ctxTimeout(t, 5*time.Second), addr, request(codeEcho, "after"))
	if err != nil || string(resp.Body) != "after" {
		t.Fatalf("after timeouts: %v %+v", err, resp)
	}
	select {
	case err := <-asyncErr:
		t.Errorf("async callback called twice (%v)", err)
	default:
	}
}

func TestClientReconnect(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	addr := s.Addr().String()
	cl := newClient(t, ClientConfig{ConnsPerAddr: 2}, nil)
	for range 4 {
		if _, err := cl.Invoke(ctxTimeout(t, 5*time.Second), addr, request(codeEcho, "")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Shutdown(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Invoke(ctxTimeout(t, 5*time.Second), addr, request(codeEcho, "")); err == nil {
		t.Fatal("Invoke succeeded with the server down")
	}
	s2 := startServer(t, ServerConfig{Addr: addr}, nil)
	waitFor(t, 5*time.Second, func() bool {
		resp, err := cl.Invoke(ctxTimeout(t, 5*time.Second), addr, request(codeEcho, "back"))
		return err == nil && string(resp.Body) == "back"
	}, "client reconnects")
	if st := s2.Stats(); st.ConnsAccepted < 1 {
		t.Errorf("new server stats %v", st)
	}
}

func TestClientConnLossFailsPending(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	cl := newClient(t, ClientConfig{}, nil)
	errs := make(chan error, 1)
	go func() {
		_, err := cl.Invoke(context.Background(), ln.Addr().String(), request(codeEcho, ""))
		errs <- err
	}()
	peer := recv(t, accepted, "accept")
	var b [64]byte
	if _, err := peer.Read(b[:]); err != nil { // the request arrived
		t.Fatal(err)
	}
	start := time.Now()
	_ = peer.Close()
	if err := recv(t, errs, "Invoke error"); !errors.Is(err, ErrConnClosed) {
		t.Errorf("Invoke: %v, want ErrConnClosed", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("failed after %v", d)
	}
	_ = cl.Close()
	if _, err := cl.Invoke(context.Background(), ln.Addr().String(), request(codeEcho, "")); !errors.Is(err, ErrClientClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestClientBrokenFrameFromServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var b [256]byte
		_, _ = c.Read(b[:])
		_, _ = c.Write([]byte{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0})
		_, _ = c.Read(b[:]) // until the client hangs up
	}()
	cl := newClient(t, ClientConfig{}, nil)
	_, err = cl.Invoke(ctxTimeout(t, 5*time.Second), ln.Addr().String(), request(codeEcho, ""))
	if !errors.Is(err, ErrConnClosed) || !errors.Is(err, protocol.ErrFrameTooLarge) {
		t.Errorf("Invoke: %v", err)
	}
}

func TestClientLargeFrames(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	cl := newClient(t, ClientConfig{ReadBufferSize: 1024}, nil)
	var big [3 << 20]byte
	for i := range big {
		big[i] = byte(i)
	}
	for _, n := range []int{0, 1000, 1 << 20, 3 << 20, 10} {
		resp, err := cl.Invoke(ctxTimeout(t, 10*time.Second), s.Addr().String(), request(codeEcho, string(big[:n])))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Body) != n || (n > 0 && resp.Body[n-1] != big[n-1]) {
			t.Fatalf("n=%d: got %d bytes", n, len(resp.Body))
		}
	}
}

func TestClientOnewayFlag(t *testing.T) {
	got := make(chan int32, 1)
	var replies atomic.Int32
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeAsync, func(req *Request) {
			got <- req.Command().Flag
			if err := req.ReplyCode(protocol.Success, ""); err == nil {
				replies.Add(1)
			}
		})
	})
	cl := newClient(t, ClientConfig{}, nil)
	if err := cl.InvokeOneway(s.Addr().String(), request(codeAsync, "")); err != nil {
		t.Fatal(err)
	}
	if f := recv(t, got, "oneway request"); f&protocol.FlagOneway == 0 {
		t.Errorf("flag %d lacks FlagOneway", f)
	}
	waitFor(t, time.Second, func() bool { return s.Stats().FramesIn == 1 }, "frame counted")
	if st := s.Stats(); st.RepliesOut != 0 {
		t.Errorf("oneway answered: %v", st)
	}
}

// TestAsyncDeadlines: asynchronous calls with different timeouts fail
// each no earlier than its own deadline, the ones answered in time are
// not failed, and the sweeper stops once nothing is pending (at its next
// wake, by the longest deadline it saw).
func TestAsyncDeadlines(t *testing.T) {
	responders := make(chan *Responder, 10)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeAsync, func(req *Request) { responders <- req.Responder() })
	})
	cl := newClient(t, ClientConfig{}, nil)
	addr := s.Addr().String()
	type outcome struct {
		i       int
		err     error
		elapsed time.Duration
	}
	out := make(chan outcome, 4)
	timeouts := []time.Duration{300 * time.Millisecond, 60 * time.Millisecond, 1500 * time.Millisecond, 150 * time.Millisecond}
	start := time.Now()
	for i, d := range timeouts {
		if err := cl.InvokeAsync(addr, request(codeAsync, ""), d, func(_ *protocol.Command, err error) {
			out <- outcome{i, err, time.Since(start)}
		}); err != nil {
			t.Fatal(err)
		}
	}
	var rs []*Responder
	for range timeouts {
		rs = append(rs, recv(t, responders, "responder"))
	}
	// The three short ones time out, shortest first.
	for _, want := range []int{1, 3, 0} {
		o := recv(t, out, "timeout")
		if o.i != want || !errors.Is(o.err, ErrTimeout) || o.elapsed < timeouts[want] {
			t.Fatalf("got call %d after %v (%v); want call %d failing with ErrTimeout after %v", o.i, o.elapsed, o.err, want, timeouts[want])
		}
	}
	// The long one is still pending: answer every request; only its
	// response is delivered.
	for _, r := range rs {
		var resp protocol.Command
		resp.Code = int32(protocol.Success)
		if err := r.Reply(&resp); err != nil {
			t.Fatal(err)
		}
	}
	if o := recv(t, out, "answered call"); o.i != 2 || o.err != nil {
		t.Fatalf("got call %d (%v), want call 2 answered", o.i, o.err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		calls.mu.Lock()
		running := calls.running
		calls.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweeper still runs with no asynchronous call pending")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestInvokeAsyncBorrowed: the callback sees the response body; the
// command it gets is the reader's, not a copy.
func TestInvokeAsyncBorrowed(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	cl := newClient(t, ClientConfig{}, nil)
	got := make(chan string, 2)
	var first *protocol.Command
	for _, body := range []string{"one", "two"} {
		if err := cl.InvokeAsyncBorrowed(s.Addr().String(), request(codeEcho, body), 5*time.Second, func(resp *protocol.Command, err error) {
			if err != nil {
				got <- err.Error()
				return
			}
			if first == nil {
				first = resp
			} else if resp != first {
				got <- "a copy"
				return
			}
			got <- string(resp.Body)
		}); err != nil {
			t.Fatal(err)
		}
		if b := recv(t, got, "response"); b != body {
			t.Fatalf("response %q, want %q", b, body)
		}
	}
}

// TestSweeperSleepsUntilDeadline: with only a long call pending the
// sweeper does not wake every sweepInterval, and a shorter call added
// later still times out on time.
func TestSweeperSleepsUntilDeadline(t *testing.T) {
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeAsync, func(req *Request) {}) // never answers
	})
	cl := newClient(t, ClientConfig{}, nil)
	addr := s.Addr().String()
	if err := cl.InvokeAsync(addr, request(codeAsync, ""), time.Minute, func(*protocol.Command, error) {}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the first sweep
	before := calls.sweeps.Load()
	time.Sleep(300 * time.Millisecond)
	if n := calls.sweeps.Load() - before; n > 2 {
		t.Errorf("%d sweeps in 300 ms with one call due in a minute; want at most 2", n)
	}
	start := time.Now()
	done := make(chan error, 1)
	if err := cl.InvokeAsync(addr, request(codeAsync, ""), 100*time.Millisecond, func(_ *protocol.Command, err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if el := time.Since(start); !errors.Is(err, ErrTimeout) || el < 100*time.Millisecond {
			t.Fatalf("short call: %v after %v, want ErrTimeout after 100 ms", err, el)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a 100 ms call added behind a one-minute call did not time out within 5 s")
	}
}
