package netio

import (
	"net"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/quivermq/quiver/protocol"
)

// fakeConn is the part of gnet.Conn that OnTraffic uses, over a byte slice
// (no ring buffer: Peek never copies). Other methods panic.
type fakeConn struct {
	gnet.Conn
	in       []byte
	written  int
	writevs  int
	lastIovs int
}

func (f *fakeConn) InboundBuffered() int  { return len(f.in) }
func (f *fakeConn) OutboundBuffered() int { return 0 }

func (f *fakeConn) Peek(n int) ([]byte, error) {
	if n <= 0 || n > len(f.in) {
		n = len(f.in)
	}
	return f.in[:n], nil
}

func (f *fakeConn) Discard(n int) (int, error) {
	n = min(n, len(f.in))
	f.in = f.in[n:]
	return n, nil
}

func (f *fakeConn) Writev(bs [][]byte) (int, error) {
	n := 0
	for _, b := range bs {
		n += len(b)
	}
	f.written += n
	f.writevs++
	f.lastIovs = len(bs)
	return n, nil
}

// TestOnTrafficAllocs asserts that a warm event loop decodes, dispatches
// and answers a wake-up's worth of pipelined send requests without
// allocating, and writes all replies with one writev of one iovec.
func TestOnTrafficAllocs(t *testing.T) {
	s, err := NewServer(ServerConfig{Addr: "127.0.0.1:0", Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	s.Register(protocol.SendMessage, func(r *Request) {
		resp := r.Response(protocol.Success)
		benchHandle(r.Command(), resp)
		_ = r.Reply(resp)
	})
	req := benchRequest()
	var stream []byte
	for range 16 {
		stream = append(stream, req...)
	}
	fc := &fakeConn{}
	c := &Conn{srv: s, gc: fc, lp: s.loopFor(nil), remote: &net.TCPAddr{}}
	run := func() {
		fc.in = stream
		if act := c.onTraffic(); act != gnet.None {
			t.Fatalf("action %v", act)
		}
	}
	run() // warm the loop's buffers
	if fc.writevs != 1 || fc.lastIovs != 1 || len(fc.in) != 0 {
		t.Fatalf("writevs=%d iovecs=%d left=%d", fc.writevs, fc.lastIovs, len(fc.in))
	}
	if allocs := testing.AllocsPerRun(100, run); allocs != 0 {
		t.Errorf("%v allocations per wake-up of 16 requests, want 0", allocs)
	}
	if st := s.Stats(); st.RepliesOut != 16*102 || st.FramesIn != 16*102 {
		t.Errorf("stats %v", st)
	}
}

// BenchmarkOnTraffic measures the server's per-request CPU cost without
// the network: split, decode, dispatch, reply encode, and the writev
// bookkeeping, for a wake-up of 16 pipelined 1 KiB sends.
func BenchmarkOnTraffic(b *testing.B) {
	s, err := NewServer(ServerConfig{Addr: "127.0.0.1:0", Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	s.Register(protocol.SendMessage, func(r *Request) {
		resp := r.Response(protocol.Success)
		benchHandle(r.Command(), resp)
		_ = r.Reply(resp)
	})
	req := benchRequest()
	var stream []byte
	for range 16 {
		stream = append(stream, req...)
	}
	fc := &fakeConn{}
	c := &Conn{srv: s, gc: fc, lp: s.loopFor(nil), remote: &net.TCPAddr{}}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		fc.in = stream
		c.onTraffic()
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*16), "ns/request")
}
