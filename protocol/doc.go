// Package protocol is RocketMQ's remoting protocol: the frame, the two
// header encodings (JSON and ROCKETMQ), request and response codes, the
// typed custom headers, and the one table from response code to Go error.
// It does no I/O and has no goroutines; netio moves the bytes.
//
// # Frame
//
// Every command, request or response, is one frame. All integers are
// big-endian (format, never change):
//
//	 0               4               8                        8+headerLen
//	+---------------+---+-----------+------------------------+----------------+
//	|   totalLen    | s | headerLen |  header (headerLen B)  |      body      |
//	|    int32      | 1 |  uint24   |   JSON or ROCKETMQ     | (the rest, may |
//	|               | B |           |                        |    be empty)   |
//	+---------------+---+-----------+------------------------+----------------+
//	 totalLen = 4 + headerLen + len(body): the bytes after the first word
//	 s        = serialize type: 0 JSON, 1 ROCKETMQ
//
// SplitFrame finds whole frames in an inbound buffer without copying and
// rejects negative, oversized and malformed length words before anything
// is allocated. A Decoder decodes a frame into a reused Command; a response
// is encoded in the serialize type of its request (Command.ResponseTo).
//
// # JSON header (serialize type 0)
//
// fastjson's form of RemotingCommand, keys in alphabetical order, null
// fields left out, the language by enum name:
//
//	{"code":10,
//	 "extFields":{"topic":"T","queueId":"3",...},   <- string -> string
//	 "flag":0,                                      <- bit 0 response, bit 1 oneway
//	 "language":"JAVA",
//	 "opaque":42,                                   <- request id, echoed
//	 "remark":"...",                                <- optional
//	 "serializeTypeCurrentRPC":"JSON",              <- ignored when read
//	 "version":401}
//
// Quiver writes exactly that, compact, every extFields value as a string
// (client-go fails on anything else). It reads any key order, skips unknown
// keys, and takes the language as a name or a number. The decoder is
// hand-written: no encoding/json, no reflection, no map; a value without
// escapes is a view of the frame, one with escapes is unescaped into the
// Command's ExtFields arena. On amd64 with AVX2 the Decoder first marks
// every quote and backslash of the header in a bitmap (qbindex.go), so the
// extFields loop jumps from string end to string end; elsewhere, or with
// -tags purego, the same scanners look at eight bytes at a time.
//
// # ROCKETMQ header (serialize type 1)
//
// RocketMQSerializable's binary form (format, never change):
//
//	+------+----+---------+--------+-------+-----------+--------+--------+-----------+
//	| code |lang| version | opaque | flag  | remarkLen | remark | extLen | ext block |
//	| i16  | u8 |   i16   |  i32   |  i32  |    i32    |        |  i32   |  extLen B |
//	+------+----+---------+--------+-------+-----------+--------+--------+-----------+
//	 21 fixed bytes; remarkLen 0 means no remark; the ext block repeats
//
//	+--------+-----+--------+-------+
//	| keyLen | key | valLen | value |
//	|  i16   |     |  i32   |       |
//	+--------+-----+--------+-------+
//
// Codes travel in 16 bits here: a Command with a larger code can only be
// sent as JSON. Every claimed length is checked against Limits and against
// the bytes present before it is used.
//
// # Typed headers
//
// A Header moves between a struct and a Command's ExtFields. The hot-path
// headers (SendMessageRequestHeader with its short-named V2 form,
// SendMessageResponseHeader, PullMessageRequestHeader,
// PullMessageResponseHeader) decode in one pass without allocating and
// hold []byte views into the ExtFields.
//
// # Errors
//
// Frame and header errors (ErrFrameTooLarge, ErrJSONSyntax, ...) mean the
// peer is not speaking the protocol: close the connection. An *Error is a
// response code with a remark; ErrorForCode, ErrorFromResponse and
// ResponseFor convert between codes and errors, errors.Is compares codes,
// and IsRetriable says whether client-go would retry a send on it.
//
// # Lifetimes and concurrency
//
// A decoded Command, and any hot-path header decoded from it, alias the
// frame and the Command's arena: they are valid until the frame's buffer
// is reused (for netio, when the handler returns) or the Command is Reset.
// Copy what must outlive that (ExtFields.CopyFrom). Commands, ExtFields and
// Decoders are not safe for concurrent use; the package's functions and
// tables are.
//
// A sketch of a broker's send path:
//
//	n, err := protocol.SplitFrame(in, lim.MaxFrame) // in: netio's buffer
//	if err != nil { close the connection }
//	if n == 0 { wait for more bytes }
//	if err := dec.Decode(in[:n], &req); err != nil { close the connection }
//	var h protocol.SendMessageRequestHeader
//	if err := h.DecodeFor(protocol.RequestCode(req.Code), &req.Ext); err != nil {
//		code, remark := protocol.ResponseFor(err) // answer with it
//	}
//	... append h and req.Body to the store ...
//	resp.ResponseTo(&req, protocol.Success)
//	(&protocol.SendMessageResponseHeader{MsgID: id, ...}).Encode(&resp.Ext)
//	out, err = protocol.AppendCommand(out[:0], &resp)
package protocol
