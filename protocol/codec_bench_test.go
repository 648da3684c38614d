package protocol

import (
	"fmt"
	"os"
	"testing"
)

// Hot-path benchmarks for the DESIGN.md §7 budget: frame split + header
// decode of a send (≤ 300 ns, ≤ 1 allocation), reply encode (≤ 150 ns, 0
// allocations), pull reply header (0 allocations).

// clientGoSendFrame is a SEND_MESSAGE frame exactly as client-go v2.1.2
// writes it (jsoniter, default config, map keys in map order).
func clientGoSendFrame(tb testing.TB, bodyLen int) []byte {
	body := make([]byte, bodyLen)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	return goEncode(tb, &goRemotingCommand{Code: 10, Language: 9, Version: 317, Opaque: 123457,
		ExtFields: clientGoSendExt(), Body: body})
}

// rocketMQSendFrame is the same request with a ROCKETMQ header.
func rocketMQSendFrame(tb testing.TB, bodyLen int) []byte {
	var d Decoder
	var c Command
	if err := d.Decode(clientGoSendFrame(tb, bodyLen), &c); err != nil {
		tb.Fatal(err)
	}
	c.Serialize = SerializeRocketMQ
	f, err := AppendCommand(nil, &c)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// decodeSend is the broker's work on one inbound send frame.
func decodeSend(buf []byte, d *Decoder, c *Command, h *SendMessageRequestHeader) error {
	n, err := SplitFrame(buf, 0)
	if err != nil || n == 0 {
		return fmt.Errorf("split: %d, %v", n, err)
	}
	if err := d.Decode(buf[:n], c); err != nil {
		return err
	}
	return h.DecodeFor(RequestCode(c.Code), &c.Ext)
}

func benchDecodeSend(b *testing.B, frame []byte) {
	var d Decoder
	var c Command
	var h SendMessageRequestHeader
	if err := decodeSend(frame, &d, &c, &h); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := decodeSend(frame, &d, &c, &h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSendJSON(b *testing.B) {
	for _, size := range []int{128, 1 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			benchDecodeSend(b, clientGoSendFrame(b, size))
		})
	}
}

func BenchmarkDecodeSendRocketMQ(b *testing.B) {
	for _, size := range []int{128, 1 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			benchDecodeSend(b, rocketMQSendFrame(b, size))
		})
	}
}

// sendReply is the sample send response header.
func sendReply() SendMessageResponseHeader {
	return SendMessageResponseHeader{MsgID: []byte("0A00000100002A9F0000000000012345"), QueueID: 3,
		QueueOffset: 1234567, MsgRegion: []byte("DefaultRegion"), TraceOn: true}
}

// encodeSendReply is the broker's work on one send reply.
func encodeSendReply(buf []byte, req, resp *Command, h *SendMessageResponseHeader) ([]byte, error) {
	resp.ResponseTo(req, Success)
	h.Encode(&resp.Ext)
	return AppendCommand(buf[:0], resp)
}

func BenchmarkEncodeSendReply(b *testing.B) {
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		b.Run(st.String(), func(b *testing.B) {
			req := Command{Code: 10, Opaque: 123457, Serialize: st}
			var resp Command
			h := sendReply()
			buf, err := encodeSendReply(nil, &req, &resp, &h)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf, _ = encodeSendReply(buf, &req, &resp, &h)
			}
		})
	}
}

// encodePullReplyHeader is the broker's header work on a pull reply whose
// bodyLen bytes of messages go out by writev after it.
func encodePullReplyHeader(buf []byte, req, resp *Command, h *PullMessageResponseHeader, bodyLen int) ([]byte, error) {
	resp.ResponseTo(req, Success)
	h.Encode(&resp.Ext)
	return AppendHeader(buf[:0], resp, bodyLen)
}

func BenchmarkEncodePullReplyHeader(b *testing.B) {
	const msgs, msgLen = 32, 1024 + 150 // 32 stored 1 KiB messages
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		b.Run(st.String(), func(b *testing.B) {
			req := Command{Code: 11, Opaque: 99, Serialize: st}
			var resp Command
			h := PullMessageResponseHeader{SuggestWhichBrokerID: 0, NextBeginOffset: 1032, MinOffset: 0, MaxOffset: 4096}
			buf, err := encodePullReplyHeader(nil, &req, &resp, &h, msgs*msgLen)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf, _ = encodePullReplyHeader(buf, &req, &resp, &h, msgs*msgLen)
			}
		})
	}
}

// TestHotPathAllocs asserts the allocation claims of the benchmarks above:
// steady state, with warm buffers, none of them allocates.
func TestHotPathAllocs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"decode send JSON", clientGoSendFrame(t, 1024)},
		{"decode send ROCKETMQ", rocketMQSendFrame(t, 1024)},
	} {
		var d Decoder
		var c Command
		var h SendMessageRequestHeader
		if err := decodeSend(tc.frame, &d, &c, &h); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(200, func() {
			if err := decodeSend(tc.frame, &d, &c, &h); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: %v allocations", tc.name, a)
		}
	}
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		req := Command{Code: 10, Opaque: 1, Serialize: st}
		var resp Command
		sh := sendReply()
		buf, _ := encodeSendReply(nil, &req, &resp, &sh)
		if a := testing.AllocsPerRun(200, func() { buf, _ = encodeSendReply(buf, &req, &resp, &sh) }); a != 0 {
			t.Errorf("send reply %v: %v allocations", st, a)
		}
		ph := PullMessageResponseHeader{NextBeginOffset: 32, MaxOffset: 1 << 40}
		buf, _ = encodePullReplyHeader(buf, &req, &resp, &ph, 32*1174)
		if a := testing.AllocsPerRun(200, func() { buf, _ = encodePullReplyHeader(buf, &req, &resp, &ph, 32*1174) }); a != 0 {
			t.Errorf("pull reply header %v: %v allocations", st, a)
		}
	}
}

// TestSendReplyReadByClientGo: the benchmarked reply is what client-go's
// ProcessSendResponse reads.
func TestSendReplyReadByClientGo(t *testing.T) {
	req := Command{Code: 10, Opaque: 77, Serialize: SerializeJSON}
	var resp Command
	h := sendReply()
	buf, err := encodeSendReply(nil, &req, &resp, &h)
	if err != nil {
		t.Fatal(err)
	}
	g, err := goDecode(buf)
	if err != nil {
		t.Fatal(err)
	}
	if g.Code != 0 || g.Opaque != 77 || g.Flag != 1 || g.ExtFields["msgId"] != string(h.MsgID) ||
		g.ExtFields["queueId"] != "3" || g.ExtFields["queueOffset"] != "1234567" ||
		g.ExtFields["MSG_REGION"] != "DefaultRegion" || g.ExtFields["TRACE_ON"] != "true" {
		t.Fatalf("client-go read %+v", g)
	}
}

// BenchmarkSplitDecodeHeader is DESIGN.md §3 step 1 for a send, the §7
// budget row "frame split + header decode" (≤ 300 ns, ≤ 1 allocation): find
// the frame and decode its remoting header into a reused Command. The
// frame is the SEND_MESSAGE that client-go v2.1.2 wrote in
// interop/capture_test.go (1 KiB body), and the same request re-encoded
// with a ROCKETMQ header. The handler's typed decode of the send header is
// step 2, measured with it in BenchmarkDecodeSendJSON.
func BenchmarkSplitDecodeHeader(b *testing.B) {
	golden, err := os.ReadFile("testdata/clientgo/send_message.frame")
	if err != nil {
		b.Fatal(err)
	}
	var d Decoder
	var c Command
	if err := d.Decode(golden, &c); err != nil {
		b.Fatal(err)
	}
	c.Serialize = SerializeRocketMQ
	rocketmq, err := AppendCommand(nil, &c)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		frame []byte
	}{{"JSON", golden}, {"ROCKETMQ", rocketmq}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.frame)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				n, err := SplitFrame(tc.frame, 0)
				if err != nil || n != len(tc.frame) {
					b.Fatal(n, err)
				}
				if err := d.Decode(tc.frame[:n], &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
