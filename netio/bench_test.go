package netio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// benchHandle is the work both benchmark servers do per request: answer a
// send-like request with a small SEND-style reply.
func benchHandle(req, resp *protocol.Command) {
	resp.ResponseTo(req, protocol.Success)
	resp.Ext.AddString("msgId", "7F00000100002A9F00000000000A1B2C")
	resp.Ext.AddString("queueId", "1")
	resp.Ext.AddInt("queueOffset", int64(len(req.Body)))
}

// benchRequest is a SEND_MESSAGE-like request with a 1 KiB body, JSON
// header (what client-go sends).
func benchRequest() []byte {
	var c protocol.Command
	c.NewRequest(protocol.SendMessage)
	c.Ext.AddString("producerGroup", "bench-producer")
	c.Ext.AddString("topic", "BenchTopic")
	c.Ext.AddString("defaultTopic", "TBW102")
	c.Ext.AddString("defaultTopicQueueNums", "4")
	c.Ext.AddString("queueId", "1")
	c.Ext.AddString("sysFlag", "0")
	c.Ext.AddString("bornTimestamp", "1700000000000")
	c.Ext.AddString("flag", "0")
	c.Ext.AddString("properties", "UNIQ_KEY\x017F0000010000\x02WAIT\x01true\x02")
	c.Ext.AddString("reconsumeTimes", "0")
	c.Ext.AddString("unitMode", "false")
	c.Body = make([]byte, 1024)
	b, err := protocol.AppendCommand(nil, &c)
	if err != nil {
		panic(err)
	}
	return b
}

// baselineServer is the goroutine-per-connection design the gnet server is
// measured against: an accept loop, one goroutine per connection reading
// frames through bufio and writing each reply with conn.Write.
type baselineServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func startBaseline(tb testing.TB) *baselineServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &baselineServer{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[nc] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go s.serve(nc)
		}
	}()
	return s
}

func (s *baselineServer) serve(nc net.Conn) {
	defer s.wg.Done()
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 64<<10)
	dec := protocol.Decoder{Limits: protocol.DefaultLimits()}
	var req, resp protocol.Command
	var frame, out []byte
	for {
		var prefix [4]byte
		if _, err := io.ReadFull(br, prefix[:]); err != nil {
			return
		}
		n := 4 + int(binary.BigEndian.Uint32(prefix[:]))
		if _, err := protocol.SplitFrame(prefix[:], 16<<20); err != nil {
			return
		}
		if cap(frame) < n {
			frame = make([]byte, n)
		}
		frame = frame[:n]
		copy(frame, prefix[:])
		if _, err := io.ReadFull(br, frame[4:]); err != nil {
			return
		}
		if err := dec.Decode(frame, &req); err != nil {
			return
		}
		benchHandle(&req, &resp)
		out, _ = protocol.AppendCommand(out[:0], &resp)
		if _, err := nc.Write(out); err != nil {
			return
		}
	}
}

func (s *baselineServer) Addr() net.Addr { return s.ln.Addr() }

func (s *baselineServer) Close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// loadConn drives one connection closed-loop: it keeps up to depth
// requests in flight, and after each read sends as many new requests as
// responses arrived, in one write. remaining is the shared budget.
func loadConn(nc net.Conn, depth int, remaining *atomic.Int64, reqs []byte, reqLen int) error {
	claim := func(k int) int {
		left := remaining.Add(-int64(k))
		switch {
		case left >= 0:
			return k
		case left > -int64(k):
			return k + int(left)
		}
		return 0
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	inflight := claim(depth)
	if _, err := nc.Write(reqs[:inflight*reqLen]); err != nil {
		return err
	}
	for inflight > 0 {
		got := 0
		for {
			if got > 0 && br.Buffered() < 4 {
				break
			}
			p, err := br.Peek(4)
			if err != nil {
				return err
			}
			n := 4 + int(binary.BigEndian.Uint32(p))
			if got > 0 && br.Buffered() < n {
				break
			}
			if _, err := br.Discard(n); err != nil {
				return err
			}
			got++
		}
		inflight -= got
		if k := claim(got); k > 0 {
			if _, err := nc.Write(reqs[:k*reqLen]); err != nil {
				return err
			}
			inflight += k
		}
	}
	return nil
}

// BenchmarkTransport compares the gnet server with a goroutine-per-
// connection server running the same handler, under closed-loop load from
// raw connections, each keeping `depth` requests (1 KiB body) in flight.
// One op is one request answered. With client=proc the load comes from a
// child process (this test binary re-executed), as real clients do, and
// srv-µs/req is the server process's CPU time per request; with
// client=inproc the load generator shares the process (and GOMAXPROCS)
// with the server.
func BenchmarkTransport(b *testing.B) {
	req := benchRequest()
	servers := []struct {
		name  string
		start func(b *testing.B) (addr net.Addr, stop func())
	}{
		{"gnet", func(b *testing.B) (net.Addr, func()) {
			s := startServer(b, ServerConfig{}, func(s *Server) {
				s.Register(protocol.SendMessage, func(r *Request) {
					resp := r.Response(protocol.Success)
					benchHandle(r.Command(), resp)
					_ = r.Reply(resp)
				})
			})
			return s.Addr(), func() { _ = s.Close() }
		}},
		{"goroutine", func(b *testing.B) (net.Addr, func()) {
			s := startBaseline(b)
			return s.Addr(), s.Close
		}},
	}
	for _, client := range []string{"proc", "inproc"} {
		for _, conns := range []int{1, 64} {
			for _, depth := range []int{1, 16} {
				for _, srv := range servers {
					name := fmt.Sprintf("client=%s/conns=%d/depth=%d/server=%s", client, conns, depth, srv.name)
					b.Run(name, func(b *testing.B) {
						addr, stop := srv.start(b)
						defer stop()
						b.SetBytes(int64(len(req)))
						b.ReportAllocs()
						if client == "proc" {
							runLoadProc(b, addr, conns, depth)
						} else {
							runLoadInProc(b, addr, conns, depth, req)
						}
					})
				}
			}
		}
	}
}

func runLoadInProc(b *testing.B, addr net.Addr, conns, depth int, req []byte) {
	ncs := make([]net.Conn, conns)
	for i := range ncs {
		nc, err := net.Dial("tcp", addr.String())
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		ncs[i] = nc
	}
	b.ResetTimer()
	elapsed, err := driveLoad(ncs, depth, int64(b.N), req)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}

// driveLoad runs loadConn on every connection until n requests are
// answered.
func driveLoad(ncs []net.Conn, depth int, n int64, req []byte) (time.Duration, error) {
	reqs := make([]byte, 0, depth*len(req))
	for range depth {
		reqs = append(reqs, req...)
	}
	var remaining atomic.Int64
	remaining.Store(n)
	errs := make(chan error, len(ncs))
	var wg sync.WaitGroup
	start := time.Now()
	for _, nc := range ncs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loadConn(nc, depth, &remaining, reqs, len(req)); err != nil && !errors.Is(err, io.EOF) {
				errs <- err
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	return elapsed, <-errs
}

// runLoadProc runs the load generator in a child process: it connects,
// says "ready", runs when told "go", and prints the elapsed nanoseconds.
func runLoadProc(b *testing.B, addr net.Addr, conns, depth int) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("NETIO_LOADGEN=%s %d %d %d", addr, conns, depth, b.N))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	out := bufio.NewScanner(stdout)
	if !out.Scan() || out.Text() != "ready" {
		b.Fatalf("load generator: %q %v", out.Text(), out.Err())
	}
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		b.Fatal(err)
	}
	if !out.Scan() {
		b.Fatalf("load generator died: %v", out.Err())
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	ns, err := strconv.ParseInt(out.Text(), 10, 64)
	if err != nil {
		b.Fatalf("load generator: %q", out.Text())
	}
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(b.N)/time.Duration(ns).Seconds(), "req/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "srv-µs/req")
}

// loadGenMain is the child side of runLoadProc.
func loadGenMain(spec string) int {
	var addr string
	var conns, depth int
	var n int64
	if _, err := fmt.Sscan(spec, &addr, &conns, &depth, &n); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen spec:", err)
		return 2
	}
	ncs := make([]net.Conn, conns)
	for i := range ncs {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			return 1
		}
		ncs[i] = nc
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return 1
	}
	elapsed, err := driveLoad(ncs, depth, n, benchRequest())
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		return 1
	}
	fmt.Println(elapsed.Nanoseconds())
	return 0
}

func TestMain(m *testing.M) {
	if spec := os.Getenv("NETIO_LOADGEN"); spec != "" {
		os.Exit(loadGenMain(spec))
	}
	os.Exit(m.Run())
}

// BenchmarkClientInvoke measures the Client's synchronous round trip
// (1 KiB request body, small reply) against the gnet server, with `par`
// goroutines sharing one connection.
func BenchmarkClientInvoke(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("goroutines=%d", par), func(b *testing.B) {
			s := startServer(b, ServerConfig{}, func(s *Server) {
				s.Register(protocol.SendMessage, func(r *Request) {
					resp := r.Response(protocol.Success)
					benchHandle(r.Command(), resp)
					_ = r.Reply(resp)
				})
			})
			cl := newClient(b, ClientConfig{}, nil)
			addr := s.Addr().String()
			ctx := ctxTimeout(b, time.Minute) // a deadline: no timer per call
			body := make([]byte, 1024)
			b.ReportAllocs()
			b.SetBytes(1024)
			b.ResetTimer()
			var remaining atomic.Int64
			remaining.Store(int64(b.N))
			var wg sync.WaitGroup
			for range par {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var c protocol.Command
					for remaining.Add(-1) >= 0 {
						c.NewRequest(protocol.SendMessage)
						c.Ext.AddString("topic", "BenchTopic")
						c.Body = body
						if _, err := cl.Invoke(ctx, addr, &c); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
