package interop_test

// These tests run the real rocketmq-client-go v2.1.2 producer against a raw
// listener, record the frames it writes, and check that Quiver's codecs read
// them. With -update they also rewrite the golden files that the protocol and
// message unit tests decode, so those files are what the client produced, not
// something written by hand:
//
//	go test ./interop/ -run TestCaptureClientGo -update

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/protocol"
)

var update = flag.Bool("update", false, "rewrite golden files from a fresh client-go capture")

const (
	goldenTopic = "QuiverGolden"
	goldenGroup = "golden_pg"
)

// Golden file paths, relative to this package.
var (
	goldenSendFrame  = filepath.Join("..", "protocol", "testdata", "clientgo", "send_message.frame")
	goldenBatchFrame = filepath.Join("..", "protocol", "testdata", "clientgo", "send_batch_message.frame")
	goldenBatchBody  = filepath.Join("..", "message", "testdata", "clientgo_batch_body.bin")
)

// client-go's own log: errors only, unless RLOG names a level (RLOG=warn).
func init() {
	level := os.Getenv("RLOG")
	if level == "" {
		level = "error"
	}
	rlog.SetLogLevel(level)
}

// goldenBody is a 1 KiB body with every byte value, so that an encoding slip
// shows.
func goldenBody() []byte {
	b := make([]byte, 1024)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// fakeBroker answers as both name server and broker: a route for any topic
// pointing at itself, and success for everything else, with a send response
// header where one is due.
func fakeBroker(t *testing.T) *rawServer {
	var s *rawServer
	s = newRawServer(t, func(req, resp *protocol.Command) bool {
		switch protocol.RequestCode(req.Code) {
		case protocol.GetRouteInfoByTopic:
			route := protocol.TopicRouteData{
				QueueDatas:  []protocol.QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4}},
				BrokerDatas: []protocol.BrokerData{{Cluster: "DefaultCluster", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: s.addr()}}},
			}
			body, err := route.MarshalJSON()
			if err != nil {
				t.Errorf("route: %v", err)
				return false
			}
			resp.Body = body
		case protocol.SendMessage, protocol.SendMessageV2, protocol.SendBatchMessage:
			var h protocol.SendMessageRequestHeader
			if err := h.DecodeFor(protocol.RequestCode(req.Code), &req.Ext); err != nil {
				resp.Code = int32(protocol.SystemError)
				resp.SetRemark(err.Error())
				return true
			}
			rh := protocol.SendMessageResponseHeader{
				MsgID:   []byte("7F00000100002A9F0000000000000000"),
				QueueID: h.QueueID, QueueOffset: 0, TraceOn: true,
			}
			rh.Encode(&resp.Ext)
		}
		return true
	})
	return s
}

func newProducer(t *testing.T, ns string) interface {
	SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error)
	Shutdown() error
} {
	t.Helper()
	p, err := producer.NewDefaultProducer(
		producer.WithNameServer([]string{ns}),
		producer.WithGroupName(goldenGroup),
		producer.WithRetry(0),
		producer.WithSendMsgTimeout(5*time.Second),
		producer.WithInstanceName(fmt.Sprintf("golden-%d", time.Now().UnixNano())),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

func writeGolden(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(data))
}

// decodeSend decodes a captured send frame with Quiver's codec.
func decodeSend(t *testing.T, frame []byte) (*protocol.Command, *protocol.SendMessageRequestHeader) {
	t.Helper()
	n, err := protocol.SplitFrame(frame, 0)
	if err != nil || n != len(frame) {
		t.Fatalf("SplitFrame = %d, %v; want %d", n, err, len(frame))
	}
	var dec protocol.Decoder
	cmd := new(protocol.Command)
	if err := dec.Decode(frame, cmd); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	h := new(protocol.SendMessageRequestHeader)
	if err := h.DecodeFor(protocol.RequestCode(cmd.Code), &cmd.Ext); err != nil {
		t.Fatalf("header: %v", err)
	}
	return cmd, h
}

// extKeys lists a command's extFields keys, sorted.
func extKeys(c *protocol.Command) []string {
	keys := make([]string, c.Ext.Len())
	for i := range keys {
		k, _ := c.Ext.At(i)
		keys[i] = string(k)
	}
	sort.Strings(keys)
	return keys
}

func TestCaptureClientGoSendMessage(t *testing.T) {
	s := fakeBroker(t)
	p := newProducer(t, s.addr())

	msg := primitive.NewMessage(goldenTopic, goldenBody())
	msg.WithTag("TagA")
	msg.WithKeys([]string{"k1", "k2"})
	msg.WithProperty("color", "red")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.SendSync(ctx, msg)
	if err != nil {
		t.Fatalf("SendSync: %v", err)
	}
	if res.Status != primitive.SendOK {
		t.Fatalf("send status %v", res.Status)
	}

	frames := s.captured(t, protocol.SendMessage)
	if len(frames) != 1 {
		t.Fatalf("captured %d SEND_MESSAGE frames, want 1", len(frames))
	}
	checkSendFrame(t, frames[0])
	if *update {
		writeGolden(t, goldenSendFrame, frames[0])
	}
	golden, err := os.ReadFile(goldenSendFrame)
	if err != nil {
		t.Fatalf("golden file (run with -update to create): %v", err)
	}
	checkSendFrame(t, golden)
	// The fresh capture and the golden file carry the same ext keys. (Their
	// order differs from run to run: jsoniter writes Go map order.)
	fresh, _ := decodeSend(t, frames[0])
	old, _ := decodeSend(t, golden)
	if got, want := extKeys(fresh), extKeys(old); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ext keys drifted from golden:\n fresh  %v\n golden %v", got, want)
	}
}

func checkSendFrame(t *testing.T, frame []byte) {
	t.Helper()
	cmd, h := decodeSend(t, frame)
	if cmd.Serialize != protocol.SerializeJSON || cmd.Language != protocol.LangGo || cmd.Version != 317 {
		t.Errorf("serialize %v language %v version %d; want JSON GO 317", cmd.Serialize, cmd.Language, cmd.Version)
	}
	if protocol.RequestCode(cmd.Code) != protocol.SendMessage || cmd.IsResponse() || cmd.IsOneway() {
		t.Errorf("code %d flag %d", cmd.Code, cmd.Flag)
	}
	if string(h.Topic) != goldenTopic || string(h.ProducerGroup) != goldenGroup {
		t.Errorf("topic %q group %q", h.Topic, h.ProducerGroup)
	}
	if string(h.DefaultTopic) != "TBW102" || h.DefaultTopicQueueNums != 4 {
		t.Errorf("default topic %q nums %d", h.DefaultTopic, h.DefaultTopicQueueNums)
	}
	if h.QueueID < 0 || h.QueueID > 3 || h.Batch || h.SysFlag != 0 {
		t.Errorf("queue %d batch %v sysFlag %d", h.QueueID, h.Batch, h.SysFlag)
	}
	if time.Since(time.UnixMilli(h.BornTimestamp)) > 365*24*time.Hour {
		t.Errorf("born timestamp %d", h.BornTimestamp)
	}
	if !bytes.Equal(cmd.Body, goldenBody()) {
		t.Errorf("body differs (%d bytes)", len(cmd.Body))
	}
	want := map[string]string{message.PropertyTags: "TagA", message.PropertyKeys: "k1 k2", "color": "red"}
	for k, v := range want {
		if got, ok := message.Property(h.Properties, k); !ok || string(got) != v {
			t.Errorf("property %s = %q, %v; want %q", k, got, ok, v)
		}
	}
	uniq, ok := message.Property(h.Properties, message.PropertyUniqKey)
	if !ok || len(uniq) != 32 {
		t.Errorf("UNIQ_KEY %q", uniq)
	}
}

func TestCaptureClientGoBatch(t *testing.T) {
	s := fakeBroker(t)
	p := newProducer(t, s.addr())

	var msgs []*primitive.Message
	for i := 0; i < 3; i++ {
		m := primitive.NewMessage(goldenTopic, []byte(fmt.Sprintf("batch body %d", i)))
		m.WithTag("TagB")
		m.WithKeys([]string{fmt.Sprintf("key-%d", i)})
		msgs = append(msgs, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.SendSync(ctx, msgs...); err != nil {
		t.Fatalf("SendSync batch: %v", err)
	}
	frames := s.captured(t, protocol.SendBatchMessage)
	if len(frames) != 1 {
		t.Fatalf("captured %d SEND_BATCH_MESSAGE frames, want 1", len(frames))
	}
	checkBatchFrame(t, frames[0])
	if *update {
		writeGolden(t, goldenBatchFrame, frames[0])
		cmd, _ := decodeSend(t, frames[0])
		writeGolden(t, goldenBatchBody, cmd.Body)
	}
	golden, err := os.ReadFile(goldenBatchFrame)
	if err != nil {
		t.Fatalf("golden file (run with -update to create): %v", err)
	}
	checkBatchFrame(t, golden)
}

func checkBatchFrame(t *testing.T, frame []byte) {
	t.Helper()
	cmd, h := decodeSend(t, frame)
	if string(h.Topic) != goldenTopic || string(h.ProducerGroup) != goldenGroup || !h.Batch {
		t.Errorf("topic %q group %q batch %v", h.Topic, h.ProducerGroup, h.Batch)
	}
	// The short names a..m are what arrived.
	if _, ok := cmd.Ext.Get("b"); !ok {
		t.Errorf("batch header has no short name b: %v", extKeys(cmd))
	}
	it := message.NewBatchIter(cmd.Body)
	var item message.BatchItem
	n := 0
	for it.Next(&item) {
		if want := fmt.Sprintf("batch body %d", n); string(item.Body) != want {
			t.Errorf("item %d body %q, want %q", n, item.Body, want)
		}
		if v, ok := message.Property(item.Properties, message.PropertyKeys); !ok || string(v) != fmt.Sprintf("key-%d", n) {
			t.Errorf("item %d KEYS %q", n, v)
		}
		if v, ok := message.Property(item.Properties, message.PropertyTags); !ok || string(v) != "TagB" {
			t.Errorf("item %d TAGS %q", n, v)
		}
		n++
	}
	if err := it.Err(); err != nil {
		t.Fatalf("batch iter: %v", err)
	}
	if n != 3 {
		t.Errorf("batch has %d items, want 3", n)
	}
}
