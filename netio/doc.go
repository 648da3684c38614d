// Package netio is Quiver's transport for RocketMQ remoting frames: a
// server on gnet v2 event loops and a client on net.Conn. It splits frames,
// dispatches requests by code, correlates responses by opaque, writes
// replies (batched), and carries server-initiated requests. It knows no
// broker semantics.
//
// # Usage
//
//	srv, err := netio.NewServer(netio.ServerConfig{Addr: ":10911"})
//	srv.Register(protocol.SendMessage, func(req *netio.Request) {
//		resp := req.Response(protocol.Success) // reused: no allocation
//		resp.Ext.AddString("msgId", id)
//		_ = req.Reply(resp) // batched with this wake-up's other replies
//	})
//	srv.Register(protocol.PullMessage, func(req *netio.Request) {
//		r := req.Responder() // answer later, from any goroutine
//		go func() { _ = r.ReplyParts(hdr, slices, release) }()
//	})
//	err = srv.Start()
//	...
//	err = srv.Shutdown(ctx)
//
//	cl, err := netio.NewClient(netio.ClientConfig{})
//	resp, err := cl.Invoke(ctx, "127.0.0.1:10911", cmd)
//
// # Wire format
//
// Each frame is a 4-byte big-endian length, then the header-length word
// (serialize type in the top byte), the header (JSON or ROCKETMQ) and the
// body; see protocol and spec/rocketmq-wire.md section 1. netio answers in
// the serialize type of the request, never answers a request with
// FlagOneway, and answers unknown codes with REQUEST_CODE_NOT_SUPPORTED (3)
// and panicking handlers with SYSTEM_ERROR (1).
//
// # Concurrency contract
//
// Server: each connection belongs to one gnet event loop. OnTraffic on that
// loop decodes every complete frame in the inbound buffer in place (the
// Command aliases gnet's read buffer) and runs handlers inline, one frame
// after another. Hence:
//
//   - A Handler must not block: no disk waits, no Invoke (it would wait for
//     a response only this loop can read). Slow work goes to other
//     goroutines with req.Responder(); server-initiated requests from a
//     handler use InvokeAsync or InvokeOneway.
//   - A Request and its Command are valid only until the handler returns.
//     Copy what must outlive it (protocol.ExtFields.CopyFrom, append).
//   - Replies made through Request during a wake-up are encoded into the
//     loop's batch and written, together with everything queued from other
//     goroutines, with one writev at the end of the wake-up.
//   - Responder, Conn.Invoke*, Conn.Close, Server.Stats and
//     Server.Shutdown are safe from any goroutine. Answers from other
//     goroutines are encoded at once into a per-connection queue under a
//     mutex; the first one after a flush queues one flush task on the loop
//     (gnet EventLoop.Execute), and everything queued until the task runs
//     (or until the connection's next OnTraffic, which takes the queue too)
//     goes out in one writev. The task takes the queue when it runs, which
//     AsyncWritev, given its bytes when called, could not.
//   - ReplyParts parts are written without a copy and must stay unchanged
//     until done is called; they must not alias the request.
//   - Callbacks run on the event loop (OnOpen, OnClose, ReplyParts done,
//     InvokeAsync callbacks on response) or on the sweeper goroutine
//     (InvokeAsync timeouts, found every 10 ms) and must not block.
//   - Responses handed to Invoke callers are copies they own, except
//     those of InvokeAsyncBorrowed, which are valid during the callback.
//
// Client: each connection has a reader goroutine that decodes frames into a
// reused buffer and runs server-request handlers inline (same rules as
// above), and a writer goroutine that writes the whole queue with one
// writev each time it wakes: callers only queue, so pipelined requests from
// one goroutine share write calls too. All Client methods are safe for
// concurrent use, except Register.
//
// # Locks
//
// Server.mu (connection and loop registries) is taken before Conn.mu
// (a connection's outbound queue). pendingCalls.mu and clientConn.wmu are
// leaves. No callback runs with a lock held.
//
// # Limits and failure
//
// A frame that fails protocol.SplitFrame or Decode (negative or oversized
// length, header past the frame, unknown serialize type, malformed header)
// closes that connection only; no buffer is sized from a length prefix, so
// a claimed size costs nothing until the bytes arrive. When a connection
// closes, its pending calls fail at once with ErrConnClosed wrapping the
// cause, and queued ReplyParts callbacks are called with that error.
package netio
