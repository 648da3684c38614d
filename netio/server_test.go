package netio

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/protocol"
)

func TestRoundTripSerializeTypes(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	for _, ser := range []protocol.SerializeType{protocol.SerializeJSON, protocol.SerializeRocketMQ} {
		t.Run(ser.String(), func(t *testing.T) {
			rc := dialRaw(t, s.Addr())
			req := request(codeEcho, "hello")
			req.Serialize = ser
			req.Opaque = 4242
			req.Ext.AddString("topic", "T\"quoted\"")
			rc.send(req)
			resp := rc.mustRead()
			if resp.Serialize != ser {
				t.Errorf("serialize type = %v, want %v (answer in the requester's encoding)", resp.Serialize, ser)
			}
			if resp.Opaque != 4242 || !resp.IsResponse() || resp.Code != int32(protocol.Success) {
				t.Errorf("resp opaque=%d flag=%d code=%d", resp.Opaque, resp.Flag, resp.Code)
			}
			if got := resp.Ext.GetString("topic"); got != `T"quoted"` {
				t.Errorf("ext topic = %q", got)
			}
			if string(resp.Body) != "hello" {
				t.Errorf("body = %q", resp.Body)
			}
		})
	}
	t.Run("client", func(t *testing.T) {
		cl := newClient(t, ClientConfig{}, nil)
		for _, ser := range []protocol.SerializeType{protocol.SerializeJSON, protocol.SerializeRocketMQ} {
			req := request(codeEcho, "via client")
			req.Serialize = ser
			resp, err := cl.Invoke(ctxTimeout(t, 5*time.Second), s.Addr().String(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Serialize != ser || string(resp.Body) != "via client" || resp.Ext.GetString("k") != "v" {
				t.Errorf("resp = %+v", resp)
			}
		}
	})
}

// TestFramesAcrossReads writes a stream of frames (small, and larger than
// the read buffer) cut at random points, so frames straddle gnet's ring
// buffer and read buffer in every way.
func TestFramesAcrossReads(t *testing.T) {
	s := startServer(t, ServerConfig{ReadBufferCap: 4096, NumEventLoops: 1}, nil)
	rc := dialRaw(t, s.Addr())
	rng := rand.New(rand.NewPCG(1, 2))
	var stream []byte
	var bodies []string
	for i := range 200 {
		size := rng.IntN(300)
		if i%25 == 0 {
			size = 20000 + rng.IntN(20000) // several read buffers long
		}
		body := strings.Repeat(string(rune('a'+i%26)), size)
		req := request(codeEcho, body)
		req.Opaque = int32(i)
		var err error
		if stream, err = protocol.AppendCommand(stream, req); err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, body)
	}
	go func() {
		for len(stream) > 0 {
			n := min(len(stream), 1+rand.IntN(5000))
			if _, err := rc.nc.Write(stream[:n]); err != nil {
				return
			}
			stream = stream[n:]
		}
	}()
	for i := range bodies {
		resp := rc.mustRead()
		if resp.Opaque != int32(i) || string(resp.Body) != bodies[i] {
			t.Fatalf("reply %d: opaque %d, body %d bytes, want %d", i, resp.Opaque, len(resp.Body), len(bodies[i]))
		}
	}
	// Counters are published after the writev, so wait for the last ones.
	waitFor(t, time.Second, func() bool { st := s.Stats(); return st.FramesIn == 200 && st.RepliesOut == 200 },
		"stats %v", s.Stats())
}

// TestSyncRepliesBatched checks that the replies of one wake-up go out in
// one writev: 100 pipelined requests sent in one write get far fewer than
// 100 writevs.
func TestSyncRepliesBatched(t *testing.T) {
	s := startServer(t, ServerConfig{NumEventLoops: 1}, nil)
	rc := dialRaw(t, s.Addr())
	var stream []byte
	for i := range 100 {
		req := request(codeEcho, "x")
		req.Opaque = int32(i)
		stream, _ = protocol.AppendCommand(stream, req)
	}
	rc.write(stream)
	for range 100 {
		rc.mustRead()
	}
	if st := s.Stats(); st.Writevs > 10 {
		t.Errorf("%d writevs for 100 pipelined replies, want a few", st.Writevs)
	}
}

func TestAsyncReplies(t *testing.T) {
	responders := make(chan *Responder, 1000)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeAsync, func(req *Request) { responders <- req.Responder() })
	})
	// Answer from other goroutines, in random order.
	go func() {
		for r := range responders {
			go func() {
				var resp protocol.Command
				resp.Code = int32(protocol.Success)
				resp.Ext.AddInt("opaque", int64(r.Opaque()))
				_ = r.Reply(&resp)
				if err := r.Reply(&resp); !errors.Is(err, ErrAlreadyAnswered) {
					t.Errorf("second reply: %v, want ErrAlreadyAnswered", err)
				}
			}()
		}
	}()
	t.Cleanup(func() { close(responders) })
	cl := newClient(t, ClientConfig{}, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				req := request(codeAsync, "")
				resp, err := cl.Invoke(ctxTimeout(t, 5*time.Second), s.Addr().String(), req)
				if err != nil {
					t.Error(err)
					return
				}
				if got := resp.Ext.GetString("opaque"); got != strconv.Itoa(int(req.Opaque)) {
					t.Errorf("reply for opaque %s, want %d", got, req.Opaque)
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, time.Second, func() bool { return s.Stats().InFlight == 0 }, "in flight %d", s.Stats().InFlight)
}

// TestAsyncRepliesCoalesced answers 64 requests from another goroutine
// while the event loop is busy in OnTraffic (a blocking handler holds it):
// the answers queue on the connection and leave with that wake-up's own
// reply in one writev, the interleaving conn.send documents.
func TestAsyncRepliesCoalesced(t *testing.T) {
	const n = 64
	responders := make(chan *Responder, n)
	blocked, release := make(chan struct{}), make(chan struct{})
	s := startServer(t, ServerConfig{NumEventLoops: 1}, func(s *Server) {
		s.Register(codeAsync, func(req *Request) { responders <- req.Responder() })
		s.Register(codeBlock, func(req *Request) {
			close(blocked)
			<-release
			echo(req)
		})
	})
	rc := dialRaw(t, s.Addr())
	for i := range n {
		req := request(codeAsync, "")
		req.Opaque = int32(i)
		rc.send(req)
	}
	var rs []*Responder
	for range n {
		rs = append(rs, recv(t, responders, "responder"))
	}
	before := s.Stats().Writevs
	blockReq := request(codeBlock, "")
	blockReq.Opaque = 1000
	rc.send(blockReq)
	recv(t, blocked, "blocking handler")
	var resp protocol.Command
	resp.Code = int32(protocol.Success)
	for _, r := range rs {
		if err := r.Reply(&resp); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	seen := map[int32]bool{}
	for range n + 1 {
		seen[rc.mustRead().Opaque] = true
	}
	if len(seen) != n+1 {
		t.Fatalf("got %d distinct replies, want %d", len(seen), n+1)
	}
	waitFor(t, time.Second, func() bool { return s.Stats().RepliesOut == n+1 }, "replies out")
	if got := s.Stats().Writevs - before; got != 1 {
		t.Errorf("%d writevs for %d coalesced replies, want 1", got, n+1)
	}
}

func TestPipelinedConcurrentRequests(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	cl := newClient(t, ClientConfig{}, nil)
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				body := fmt.Sprintf("g%d-i%d-%s", g, i, strings.Repeat("z", (g*i)%700))
				resp, err := cl.Invoke(ctxTimeout(t, 10*time.Second), s.Addr().String(), request(codeEcho, body))
				if err != nil {
					t.Error(err)
					return
				}
				if string(resp.Body) != body {
					t.Errorf("body %q, want %q", resp.Body, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, time.Second, func() bool { return s.Stats().RepliesOut == 64*50 }, "stats %v", s.Stats())
	if st := s.Stats(); st.ConnsAccepted != 1 {
		t.Errorf("stats: %v", st)
	}
}

func TestReplyPartsDone(t *testing.T) {
	type doneCall struct{ err error }
	dones := make(chan doneCall, 10)
	done := func(err error) { dones <- doneCall{err} }
	parts := [][]byte{[]byte("alpha-"), {}, []byte("beta-"), []byte("gamma")}
	responders := make(chan *Responder, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeParts, func(req *Request) {
			var hdr protocol.Command
			hdr.ResponseTo(req.Command(), protocol.Success)
			hdr.Ext.AddString("n", "3")
			hdr.Body = []byte("ignored")
			if err := req.ReplyParts(&hdr, parts, done); err != nil {
				t.Error(err)
			}
			if err := req.Reply(&hdr); !errors.Is(err, ErrAlreadyAnswered) {
				t.Errorf("second reply: %v", err)
			}
		})
		s.Register(codeAsync, func(req *Request) { responders <- req.Responder() })
	})
	cl := newClient(t, ClientConfig{}, nil)
	resp, err := cl.Invoke(ctxTimeout(t, 5*time.Second), s.Addr().String(), request(codeParts, ""))
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "alpha-beta-gamma" || resp.Ext.GetString("n") != "3" {
		t.Errorf("resp body %q ext %q", resp.Body, resp.Ext.GetString("n"))
	}
	if d := recv(t, dones, "done"); d.err != nil {
		t.Errorf("done(%v), want nil", d.err)
	}

	t.Run("conn closed first", func(t *testing.T) {
		rc := dialRaw(t, s.Addr())
		rc.send(request(codeAsync, ""))
		r := recv(t, responders, "responder")
		_ = rc.nc.Close()
		waitFor(t, 5*time.Second, func() bool { return s.Stats().ConnsOpen == 1 }, "server sees the close")
		var hdr protocol.Command
		hdr.Code = int32(protocol.Success)
		err := r.ReplyParts(&hdr, parts, done)
		if !errors.Is(err, ErrConnClosed) {
			t.Errorf("ReplyParts on closed conn: %v", err)
		}
		if d := recv(t, dones, "done"); !errors.Is(d.err, ErrConnClosed) {
			t.Errorf("done(%v), want ErrConnClosed", d.err)
		}
	})
	select {
	case d := <-dones:
		t.Errorf("extra done call (%v)", d.err)
	default:
	}
}

// TestReplyPartsQueuedThenClosed queues a ReplyParts while the event loop
// is busy and closes the peer meanwhile: the close is handled before the
// flush, and done gets the close error, once.
func TestReplyPartsQueuedThenClosed(t *testing.T) {
	responders := make(chan *Responder, 1)
	blocked, release := make(chan struct{}), make(chan struct{})
	s := startServer(t, ServerConfig{NumEventLoops: 1}, func(s *Server) {
		s.Register(codeAsync, func(req *Request) { responders <- req.Responder() })
		s.Register(codeBlock, func(req *Request) {
			close(blocked)
			<-release
		})
	})
	victim := dialRaw(t, s.Addr())
	victim.send(request(codeAsync, ""))
	r := recv(t, responders, "responder")
	other := dialRaw(t, s.Addr())
	other.send(request(codeBlock, ""))
	recv(t, blocked, "blocking handler")

	var calls atomic.Int32
	dones := make(chan error, 2)
	var hdr protocol.Command
	hdr.Code = int32(protocol.Success)
	if err := r.ReplyParts(&hdr, [][]byte{[]byte("pinned")}, func(err error) {
		calls.Add(1)
		dones <- err
	}); err != nil {
		t.Fatal(err)
	}
	// On loopback the FIN is queued at the server before close returns, so
	// the loop sees it in the same epoll round as the flush task, and runs
	// I/O callbacks (OnClose) before tasks.
	_ = victim.nc.Close()
	close(release)
	if err := recv(t, dones, "done"); !errors.Is(err, ErrConnClosed) {
		t.Errorf("done(%v), want ErrConnClosed", err)
	}
	waitFor(t, 5*time.Second, func() bool { return s.Stats().ConnsOpen == 1 }, "victim closed")
	if n := calls.Load(); n != 1 {
		t.Errorf("done called %d times", n)
	}
}

func TestUnknownCode(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	rc := dialRaw(t, s.Addr())
	for _, tc := range []struct {
		code protocol.RequestCode
		ser  protocol.SerializeType
	}{{999, protocol.SerializeJSON}, {5000, protocol.SerializeRocketMQ}, {-7, protocol.SerializeJSON}} {
		req := request(tc.code, "")
		req.Opaque = 77 + int32(tc.code)
		req.Serialize = tc.ser
		rc.send(req)
		resp := rc.mustRead()
		want := fmt.Sprintf(" request type %d not supported", tc.code)
		if resp.Code != int32(protocol.RequestCodeNotSupported) || resp.Opaque != req.Opaque ||
			string(resp.Remark) != want || resp.Serialize != tc.ser || !resp.IsResponse() {
			t.Errorf("code %d: resp code=%d opaque=%d remark=%q ser=%v", tc.code, resp.Code, resp.Opaque, resp.Remark, resp.Serialize)
		}
	}
	if st := s.Stats(); st.UnknownCodes != 3 {
		t.Errorf("UnknownCodes = %d", st.UnknownCodes)
	}
}

func TestOnewayGetsNoAnswer(t *testing.T) {
	var handled atomic.Int32
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeAsync, func(req *Request) {
			handled.Add(1)
			if !req.Oneway() {
				t.Error("oneway flag not seen")
			}
			r := req.Responder()
			var resp protocol.Command
			resp.Code = int32(protocol.Success)
			if err := r.Reply(&resp); err != nil {
				t.Error(err)
			}
			echo(req)
		})
	})
	rc := dialRaw(t, s.Addr())
	ow := request(codeAsync, "")
	ow.Flag = protocol.FlagOneway
	ow.Opaque = 1
	rc.send(ow)
	unknown := request(4321, "") // unknown and oneway: no answer either
	unknown.Flag = protocol.FlagOneway
	unknown.Opaque = 2
	rc.send(unknown)
	req := request(codeEcho, "")
	req.Opaque = 3
	rc.send(req)
	if resp := rc.mustRead(); resp.Opaque != 3 {
		t.Errorf("first reply has opaque %d, want 3 (oneway requests are not answered)", resp.Opaque)
	}
	if handled.Load() != 1 {
		t.Errorf("oneway handler ran %d times", handled.Load())
	}
	if st := s.Stats(); st.InFlight != 0 {
		t.Errorf("oneway counted in flight: %v", st)
	}
}

func TestHandlerPanic(t *testing.T) {
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codePanic, func(req *Request) { panic("boom") })
	})
	rc := dialRaw(t, s.Addr())
	req := request(codePanic, "")
	req.Opaque = 9
	rc.send(req)
	resp := rc.mustRead()
	if resp.Code != int32(protocol.SystemError) || resp.Opaque != 9 || !bytes.Contains(resp.Remark, []byte("boom")) {
		t.Errorf("resp code=%d opaque=%d remark=%q", resp.Code, resp.Opaque, resp.Remark)
	}
	rc.send(request(codeEcho, "still alive"))
	if resp := rc.mustRead(); string(resp.Body) != "still alive" {
		t.Errorf("after panic: %q", resp.Body)
	}
	if s.Stats().HandlerPanics != 1 {
		t.Error("panic not counted")
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []ServerConfig{
		{Addr: "nope"},
		{Addr: "127.0.0.1:99999"},
		{Addr: "127.0.0.1:0", ReusePort: true},
		{NumEventLoops: -1},
		{ReadBufferCap: -1},
		{Limits: protocol.Limits{MaxFrame: -1}},
	}
	for _, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Validate(%+v) = %v", c, err)
		}
	}
	d := DefaultServerConfig()
	if err := d.Validate(); err != nil || d.IdleTimeout != 120*time.Second || d.Limits.MaxFrame != 16<<20 || d.Addr != ":10911" {
		t.Errorf("defaults %+v: %v", d, err)
	}
	for _, c := range []ClientConfig{{ConnsPerAddr: -1}, {ReadBufferSize: 100}, {DialTimeout: -1}} {
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("client Validate(%+v) = %v", c, err)
		}
	}
	if s := DefaultClientConfig(); s.ConnsPerAddr != 1 || s.DefaultTimeout != 3*time.Second {
		t.Errorf("client defaults %+v", s)
	}
}
