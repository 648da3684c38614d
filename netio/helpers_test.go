package netio

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// Test codes: any request code works for the transport.
const (
	codeEcho    protocol.RequestCode = 34 // replies with the request's ext and body
	codeAsync   protocol.RequestCode = 35
	codeBlock   protocol.RequestCode = 36
	codeParts   protocol.RequestCode = 37
	codePanic   protocol.RequestCode = 38
	codeCheckTx protocol.RequestCode = protocol.CheckTransactionState
)

func testLogger() *slog.Logger {
	if os.Getenv("NETIO_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// echo answers with the request's ext fields and body.
func echo(req *Request) {
	var resp protocol.Command
	resp.ResponseTo(req.Command(), protocol.Success)
	resp.Ext.CopyFrom(&req.Command().Ext)
	resp.Body = req.Command().Body
	if err := req.Reply(&resp); err != nil && !req.Oneway() {
		panic(err)
	}
}

// startServer starts a server on a random loopback port with the echo
// handler registered, plus whatever reg adds, and stops it at cleanup.
func startServer(t testing.TB, cfg ServerConfig, reg func(s *Server)) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Register(codeEcho, echo)
	if reg != nil {
		reg(s)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

func newClient(t testing.TB, cfg ClientConfig, reg func(c *Client)) *Client {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if reg != nil {
		reg(c)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func request(code protocol.RequestCode, body string) *protocol.Command {
	var c protocol.Command
	c.NewRequest(code)
	c.Ext.AddString("k", "v")
	if body != "" {
		c.Body = []byte(body)
	}
	return &c
}

// rawConn is a plain TCP connection speaking frames, for tests that need
// control over bytes on the wire.
type rawConn struct {
	t   testing.TB
	nc  net.Conn
	br  *bufio.Reader
	dec protocol.Decoder
}

func dialRaw(t testing.TB, addr net.Addr) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawConn) write(b []byte) {
	r.t.Helper()
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawConn) send(c *protocol.Command) {
	r.t.Helper()
	b, err := protocol.AppendCommand(nil, c)
	if err != nil {
		r.t.Fatal(err)
	}
	r.write(b)
}

// readCmd reads one frame within 5 s and returns it decoded (a copy).
func (r *rawConn) readCmd() (*protocol.Command, error) {
	_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [4]byte
	if _, err := io.ReadFull(r.br, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	frame := make([]byte, 4+int(n))
	copy(frame, hdr[:])
	if _, err := io.ReadFull(r.br, frame[4:]); err != nil {
		return nil, err
	}
	var c protocol.Command
	if err := r.dec.Decode(frame, &c); err != nil {
		return nil, err
	}
	return cloneCommand(&c), nil
}

func (r *rawConn) mustRead() *protocol.Command {
	r.t.Helper()
	c, err := r.readCmd()
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	return c
}

// expectClosed waits (5 s at most) for the server to close the connection.
func (r *rawConn) expectClosed() {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [256]byte
	for {
		_, err := r.nc.Read(b[:])
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.t.Fatal("server did not close the connection within 5 s")
		}
		return
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for wait := 100 * time.Microsecond; !cond(); wait = min(2*wait, 20*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %s", timeout, fmt.Sprintf(format, args...))
		}
		time.Sleep(wait)
	}
}

// recv waits up to 5 s for a value on ch.
func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
