package netio

import (
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"sync/atomic"

	"github.com/quivermq/quiver/protocol"
)

// Handler serves one request. It runs on the goroutine that read the
// request (a server event loop, or a Client connection's reader) and must
// not block: it answers with req.Reply or req.ReplyParts before returning,
// or keeps req.Responder() and answers later from any goroutine. A handler
// that returns without doing either sends no answer (like a Java processor
// returning null). A panic is recovered and answered with SYSTEM_ERROR.
type Handler func(req *Request)

// smallCodes is the size of the array part of a dispatch table; request
// codes at or above it (and negative ones) go to a map.
const smallCodes = 1024

// handlerTable maps request codes to handlers. It is written only before
// traffic starts and read without locks afterwards.
type handlerTable struct {
	small [smallCodes]Handler
	big   map[protocol.RequestCode]Handler
}

func (t *handlerTable) register(code protocol.RequestCode, h Handler) {
	if h == nil {
		panic("netio: Register with a nil handler")
	}
	if t.lookup(int32(code)) != nil {
		panic(fmt.Sprintf("netio: handler for request code %d registered twice", code))
	}
	if code >= 0 && code < smallCodes {
		t.small[code] = h
		return
	}
	if t.big == nil {
		t.big = make(map[protocol.RequestCode]Handler)
	}
	t.big[code] = h
}

func (t *handlerTable) lookup(code int32) Handler {
	if uint32(code) < smallCodes {
		return t.small[code]
	}
	return t.big[protocol.RequestCode(code)]
}

// replySink is where answers that are not written in the current event-loop
// wake-up go: a server Conn's queue or a client connection's writer.
type replySink interface {
	// send encodes f and queues it for writing. It may be called from any
	// goroutine. It owns f.done: on success done is called once the bytes
	// are written (or with an error if the connection closes first); on
	// error send has called done with the error.
	send(f outFrame) error
	// answered is called once when a Responder that counted as in flight
	// has answered (or failed to).
	answered()
	remoteAddr() net.Addr
}

// Request is one inbound request handed to a Handler. It and its Command
// are valid only until the handler returns: the Command aliases the
// connection's inbound buffer, and the Request is reused for the next
// frame. Copy what must outlive the handler; use Responder to answer later.
//
// A Request's methods must be called only from the handler's goroutine.
type Request struct {
	cmd  *protocol.Command
	sink replySink
	conn *Conn // nil for requests received by a Client

	// batch collects synchronous replies written at the end of this
	// event-loop wake-up; nil on a Client (replies go to sink).
	batch *outBatch
	// scratch is a reusable command for the replies netio makes itself.
	scratch *protocol.Command

	answered bool
	resp     *Responder
	log      *slog.Logger
}

// Command returns the decoded request. It aliases the inbound buffer until
// the handler returns.
func (r *Request) Command() *protocol.Command { return r.cmd }

// Conn returns the server connection the request came in on, or nil for a
// request a Client received from a server.
func (r *Request) Conn() *Conn { return r.conn }

// RemoteAddr returns the peer's address.
func (r *Request) RemoteAddr() net.Addr { return r.sink.remoteAddr() }

// Oneway reports whether the request carries FlagOneway; answers to it are
// discarded without writing anything.
func (r *Request) Oneway() bool { return r.cmd != nil && r.cmd.IsOneway() }

// Reply answers the request with resp, encoded at once (resp may be reused
// when Reply returns). Reply sets resp's Opaque, response flag and
// Serialize from the request, so the peer gets the answer in the encoding
// it used. On a server the reply goes out with every other reply of this
// event-loop wake-up in one writev.
//
// Reply on a oneway request writes nothing and returns nil. A second answer
// returns ErrAlreadyAnswered and writes nothing.
func (r *Request) Reply(resp *protocol.Command) error {
	f := outFrame{cmd: resp, reply: true}
	return r.answer(&f)
}

// ReplyParts answers with header's header (header.Body is ignored) followed
// by parts, written with one writev and no copy of the parts: the parts
// must stay unchanged until done is called, so they must not alias the
// request (its memory is reused once the handler returns). done (if not nil) is called
// exactly once: with nil once the bytes have been handed to the kernel or
// copied into gnet's outbound buffer (release pinned buffers then), with
// nil at once for a oneway request, or with an error if the connection
// closed first or the request was already answered. done runs on an event
// loop or the caller's goroutine and must not block.
func (r *Request) ReplyParts(header *protocol.Command, parts [][]byte, done func(error)) error {
	f := outFrame{cmd: header, parts: parts, done: done, parted: true, reply: true}
	return r.answer(&f)
}

// Response returns a reusable command prepared with ResponseTo(req, code),
// for handlers that answer without allocating: fill it and pass it to
// Reply or ReplyParts. It is valid until the handler returns and is shared
// with ReplyCode.
func (r *Request) Response(code protocol.ResponseCode) *protocol.Command {
	r.scratch.ResponseTo(r.cmd, code)
	return r.scratch
}

// ReplyCode answers with a bare response carrying code and remark.
func (r *Request) ReplyCode(code protocol.ResponseCode, remark string) error {
	if r.cmd == nil {
		return ErrRequestDone
	}
	resp := r.scratch
	resp.ResponseTo(r.cmd, code)
	resp.SetRemark(remark)
	return r.Reply(resp)
}

// Responder returns a handle that answers the request later, from any
// goroutine; it stays valid after the handler returns. Until it answers,
// the request counts as in flight (Server.Shutdown waits for it), unless
// it is oneway. Calling Responder again returns the same handle; answering
// through the Request afterwards answers through it.
func (r *Request) Responder() *Responder {
	if r.cmd == nil {
		return nil
	}
	if r.resp == nil {
		r.resp = &Responder{
			sink:    r.sink,
			opaque:  r.cmd.Opaque,
			ser:     r.cmd.Serialize,
			oneway:  r.cmd.IsOneway(),
			counted: !r.cmd.IsOneway() && !r.answered && r.conn != nil,
		}
		if r.answered {
			r.resp.state.Store(1)
		}
		if r.resp.counted {
			r.conn.inflight.Add(1)
		}
	}
	return r.resp
}

// answer claims the request and writes f: into the wake-up batch on a
// server loop, through the sink otherwise.
func (r *Request) answer(f *outFrame) error {
	if r.cmd == nil {
		return r.reject(f, ErrRequestDone)
	}
	if r.cmd.IsOneway() {
		return r.reject(f, nil)
	}
	if r.resp != nil {
		// Detached: the Responder decides who answers first. We are on the
		// handler's goroutine, so the wake-up batch is still ours to use.
		if !r.resp.state.CompareAndSwap(0, 1) {
			return r.reject(f, ErrAlreadyAnswered)
		}
		if r.resp.counted {
			defer r.sink.answered()
		}
	} else if r.answered {
		return r.reject(f, ErrAlreadyAnswered)
	}
	r.answered = true
	stamp(f.cmd, r.cmd.Opaque, r.cmd.Serialize)
	if r.batch == nil {
		return r.sink.send(*f)
	}
	if err := r.batch.add(f); err != nil {
		r.log.Error("netio: cannot encode reply", "remote", r.sink.remoteAddr(), "code", f.cmd.Code, "err", err)
		return r.reject(f, err)
	}
	return nil
}

func (r *Request) reject(f *outFrame, err error) error {
	if f.done != nil {
		f.done(err)
	}
	return err
}

// stamp makes c the response to the request with opaque and serialize type
// ser.
func stamp(c *protocol.Command, opaque int32, ser protocol.SerializeType) {
	c.Opaque = opaque
	c.Flag = (c.Flag | protocol.FlagResponse) &^ protocol.FlagOneway
	c.Serialize = ser
}

// Responder answers one request from any goroutine, after its handler has
// returned. It holds the connection, opaque and serialize type of the
// request, not the request itself. The first answer wins; later ones return
// ErrAlreadyAnswered and write nothing. Safe for concurrent use.
type Responder struct {
	sink    replySink
	opaque  int32
	ser     protocol.SerializeType
	oneway  bool
	counted bool          // counted in the connection's in-flight requests
	state   atomic.Uint32 // 0 unanswered, 1 answered
}

// Oneway reports whether the request was oneway (answers are discarded).
func (p *Responder) Oneway() bool { return p.oneway }

// Opaque returns the request's opaque.
func (p *Responder) Opaque() int32 { return p.opaque }

// RemoteAddr returns the peer's address.
func (p *Responder) RemoteAddr() net.Addr { return p.sink.remoteAddr() }

// Reply answers with resp as Request.Reply does. resp is encoded before
// Reply returns. Replies from many goroutines to one connection are
// coalesced: all that arrive before the event loop runs the flush go out
// in one writev.
func (p *Responder) Reply(resp *protocol.Command) error {
	f := outFrame{cmd: resp, reply: true}
	return p.answer(&f)
}

// ReplyParts answers as Request.ReplyParts does, with the same contract for
// parts and done.
func (p *Responder) ReplyParts(header *protocol.Command, parts [][]byte, done func(error)) error {
	f := outFrame{cmd: header, parts: parts, done: done, parted: true, reply: true}
	return p.answer(&f)
}

func (p *Responder) answer(f *outFrame) error {
	if p.oneway {
		if f.done != nil {
			f.done(nil)
		}
		return nil
	}
	if !p.state.CompareAndSwap(0, 1) {
		if f.done != nil {
			f.done(ErrAlreadyAnswered)
		}
		return ErrAlreadyAnswered
	}
	if p.counted {
		// NB: answered runs after send has queued the bytes, so a Shutdown
		// that sees the in-flight count drop also sees the queued flush.
		defer p.sink.answered()
	}
	stamp(f.cmd, p.opaque, p.ser)
	return p.sink.send(*f)
}

// serve runs the handler for req's code, answering unknown codes with
// REQUEST_CODE_NOT_SUPPORTED and panics with SYSTEM_ERROR. It reports
// whether the code was unknown and whether the handler panicked.
func (t *handlerTable) serve(req *Request) (unknown, panicked bool) {
	h := t.lookup(req.cmd.Code)
	if h == nil {
		// Java: " request type " + code + " not supported".
		resp := req.scratch
		resp.ResponseTo(req.cmd, protocol.RequestCodeNotSupported)
		resp.Remark = append(resp.Remark[:0], " request type "...)
		resp.Remark = strconv.AppendInt(resp.Remark, int64(req.cmd.Code), 10)
		resp.Remark = append(resp.Remark, " not supported"...)
		_ = req.Reply(resp) // an encode error is logged by answer
		return true, false
	}
	defer func() {
		if p := recover(); p != nil {
			panicked = true
			req.log.Error("netio: handler panicked", "code", req.cmd.Code, "remote", req.sink.remoteAddr(),
				"panic", p, "stack", string(debug.Stack()))
			_ = req.ReplyCode(protocol.SystemError, fmt.Sprint(p))
		}
	}()
	h(req)
	return false, false
}

// begin prepares req for the next request.
func (r *Request) begin(cmd *protocol.Command) {
	r.cmd = cmd
	r.answered = false
	r.resp = nil
}

// end invalidates req once its handler has returned.
func (r *Request) end() {
	r.cmd = nil
	r.resp = nil
}
