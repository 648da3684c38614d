package interop_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/quivermq/quiver/protocol"
)

// rawServer is a minimal remoting server on a plain net.Listener that records
// every frame a client sends, byte for byte, and answers through a callback.
// It is deliberately independent of netio so that captured frames are exactly
// what the client wrote.
type rawServer struct {
	ln     net.Listener
	answer func(req *protocol.Command, resp *protocol.Command) bool // false: no reply

	mu     sync.Mutex
	frames [][]byte // every request frame received, prefix included
	wg     sync.WaitGroup
}

func newRawServer(t *testing.T, answer func(req, resp *protocol.Command) bool) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, answer: answer}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *rawServer) addr() string { return s.ln.Addr().String() }

func (s *rawServer) close() {
	_ = s.ln.Close()
	s.wg.Wait()
}

func (s *rawServer) accept() {
	defer s.wg.Done()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		conns = append(conns, c)
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *rawServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	r := bufio.NewReader(c)
	var dec protocol.Decoder
	var req, resp protocol.Command
	var out []byte
	for {
		frame, err := readFrame(r)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.frames = append(s.frames, frame)
		s.mu.Unlock()
		if err := dec.Decode(frame, &req); err != nil {
			return
		}
		if req.IsResponse() {
			continue
		}
		resp.ResponseTo(&req, protocol.Success)
		if !s.answer(&req, &resp) {
			continue
		}
		out, err = protocol.AppendCommand(out[:0], &resp)
		if err != nil {
			return
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// readFrame reads one whole frame, length prefix included, into a new slice.
func readFrame(r *bufio.Reader) ([]byte, error) {
	var prefix [4]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, err
	}
	total := int(int32(binary.BigEndian.Uint32(prefix[:])))
	if total < 4 || total > 16<<20 {
		return nil, errors.New("bad frame length")
	}
	frame := make([]byte, 4+total)
	copy(frame, prefix[:])
	if _, err := io.ReadFull(r, frame[4:]); err != nil {
		return nil, err
	}
	return frame, nil
}

// captured returns the frames received so far whose code is code.
func (s *rawServer) captured(t *testing.T, code protocol.RequestCode) [][]byte {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var dec protocol.Decoder
	var cmd protocol.Command
	var out [][]byte
	for _, f := range s.frames {
		if err := dec.Decode(f, &cmd); err != nil {
			t.Fatalf("decode captured frame: %v", err)
		}
		if cmd.Code == int32(code) && !cmd.IsResponse() {
			out = append(out, f)
		}
	}
	return out
}
