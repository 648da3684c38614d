package protocol

import (
	"errors"
	"strings"
	"testing"
)

// kvExt builds an ExtFields from alternating keys and values.
func kvExt(kv ...string) *ExtFields {
	e := new(ExtFields)
	for i := 0; i < len(kv); i += 2 {
		e.AddString(kv[i], kv[i+1])
	}
	return e
}

// sendLongKV is a SEND_MESSAGE header as client-go sends it.
var sendLongKV = []string{
	"producerGroup", "PG", "topic", "TopicTest", "queueId", "3", "sysFlag", "1",
	"bornTimestamp", "1700000000123", "flag", "-7", "reconsumeTimes", "2", "unitMode", "false",
	"maxReconsumeTimes", "16", "defaultTopic", "TBW102", "defaultTopicQueueNums", "4",
	"batch", "false", "properties", "UNIQ_KEY\x01ABC\x02",
}

// sendShortKV is the same as a SEND_MESSAGE_V2 (5.x, with n).
var sendShortKV = []string{
	"a", "PG", "b", "TopicTest", "c", "TBW102", "d", "4", "e", "3", "f", "1", "g", "1700000000123",
	"h", "-7", "i", "UNIQ_KEY\x01ABC\x02", "j", "2", "k", "false", "l", "16", "m", "false", "n", "broker-a",
}

func wantSend() SendMessageRequestHeader {
	return SendMessageRequestHeader{
		ProducerGroup: []byte("PG"), Topic: []byte("TopicTest"), DefaultTopic: []byte("TBW102"),
		DefaultTopicQueueNums: 4, QueueID: 3, SysFlag: 1, BornTimestamp: 1700000000123, Flag: -7,
		Properties: []byte("UNIQ_KEY\x01ABC\x02"), ReconsumeTimes: 2, MaxReconsumeTimes: 16,
		HasMaxReconsumeTimes: true,
	}
}

func sendEqual(a, b *SendMessageRequestHeader) bool {
	return string(a.ProducerGroup) == string(b.ProducerGroup) && string(a.Topic) == string(b.Topic) &&
		string(a.DefaultTopic) == string(b.DefaultTopic) && a.DefaultTopicQueueNums == b.DefaultTopicQueueNums &&
		a.QueueID == b.QueueID && a.SysFlag == b.SysFlag && a.BornTimestamp == b.BornTimestamp &&
		a.Flag == b.Flag && string(a.Properties) == string(b.Properties) && a.ReconsumeTimes == b.ReconsumeTimes &&
		a.UnitMode == b.UnitMode && a.MaxReconsumeTimes == b.MaxReconsumeTimes &&
		a.HasMaxReconsumeTimes == b.HasMaxReconsumeTimes && a.Batch == b.Batch &&
		string(a.BrokerName) == string(b.BrokerName)
}

func TestSendRequestDecode(t *testing.T) {
	var h SendMessageRequestHeader
	if err := h.Decode(kvExt(sendLongKV...)); err != nil {
		t.Fatal(err)
	}
	want := wantSend()
	if !sendEqual(&h, &want) {
		t.Fatalf("long: %+v", h)
	}
	var h2 SendMessageRequestHeader
	if err := (*SendMessageRequestHeaderV2)(&h2).Decode(kvExt(sendShortKV...)); err != nil {
		t.Fatal(err)
	}
	want.BrokerName = []byte("broker-a")
	if !sendEqual(&h2, &want) {
		t.Fatalf("short: %+v", h2)
	}
	// DecodeFor picks by code.
	for code, kv := range map[RequestCode][]string{
		SendMessage: sendLongKV, SendReplyMessage: sendLongKV,
		SendMessageV2: sendShortKV, SendBatchMessage: sendShortKV, SendReplyMessageV2: sendShortKV,
	} {
		var h SendMessageRequestHeader
		if err := h.DecodeFor(code, kvExt(kv...)); err != nil || h.QueueID != 3 {
			t.Fatalf("%v: %v, %+v", code, err, h)
		}
	}
}

func TestSendRequestRoundTrip(t *testing.T) {
	hs := []SendMessageRequestHeader{wantSend(), {}, {
		ProducerGroup: []byte("g"), Topic: []byte("t"), DefaultTopic: []byte("d"),
		QueueID: -1, SysFlag: 1 << 30, BornTimestamp: -1 << 63, Flag: 1<<31 - 1,
		UnitMode: true, Batch: true, BrokerName: []byte("b"),
	}}
	for i := range hs {
		for _, code := range []RequestCode{SendMessage, SendBatchMessage} {
			var e ExtFields
			hs[i].EncodeFor(code, &e)
			got := wantSend() // stale values must all be overwritten
			got.BrokerName = []byte("stale")
			if err := got.DecodeFor(code, &e); err != nil {
				t.Fatalf("%d/%v: %v", i, code, err)
			}
			if !sendEqual(&got, &hs[i]) {
				t.Fatalf("%d/%v: got %+v\nwant %+v", i, code, got, hs[i])
			}
		}
	}
}

func TestSendRequestOptionalDefaults(t *testing.T) {
	h := wantSend()
	h.UnitMode, h.Batch, h.BrokerName = true, true, []byte("x")
	err := h.Decode(kvExt("producerGroup", "PG", "topic", "T", "defaultTopic", "TBW102",
		"defaultTopicQueueNums", "4", "queueId", "0", "sysFlag", "0", "bornTimestamp", "1", "flag", "0"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Properties != nil || h.ReconsumeTimes != 0 || h.UnitMode || h.HasMaxReconsumeTimes ||
		h.MaxReconsumeTimes != 0 || h.Batch || h.BrokerName != nil {
		t.Fatalf("optional fields not reset: %+v", h)
	}
	// Java's Boolean.parseBoolean: "TRUE" is true, garbage is false.
	if err := h.Decode(kvExt(append(sendLongKV, "unitMode", "TRUE", "batch", "yes")...)); err != nil {
		t.Fatal(err)
	}
	if !h.UnitMode || h.Batch {
		t.Fatalf("booleans: %+v", h)
	}
}

func TestSendRequestLastDuplicateWins(t *testing.T) {
	var h SendMessageRequestHeader
	if err := h.Decode(kvExt(append(sendLongKV, "queueId", "9", "topic", "T2")...)); err != nil {
		t.Fatal(err)
	}
	if h.QueueID != 9 || string(h.Topic) != "T2" {
		t.Fatalf("%+v", h)
	}
}

// kvWithout returns kv less the pair whose key is key.
func kvWithout(kv []string, key string) []string {
	var out []string
	for i := 0; i < len(kv); i += 2 {
		if kv[i] != key {
			out = append(out, kv[i], kv[i+1])
		}
	}
	return out
}

// kvWith returns kv with key's value replaced.
func kvWith(kv []string, key, val string) []string {
	out := append([]string(nil), kv...)
	for i := 0; i < len(out); i += 2 {
		if out[i] == key {
			out[i+1] = val
		}
	}
	return out
}

// checkFieldErr checks err is a SYSTEM_ERROR naming field.
func checkFieldErr(t *testing.T, err error, field, remarkPart string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != SystemError || !strings.Contains(e.Remark, "<"+field+">") ||
		!strings.Contains(e.Remark, remarkPart) {
		t.Fatalf("%s: got %v", field, err)
	}
}

func TestSendRequestMissingAndMalformed(t *testing.T) {
	for _, f := range []string{"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId",
		"sysFlag", "bornTimestamp", "flag"} {
		var h SendMessageRequestHeader
		err := h.Decode(kvExt(kvWithout(sendLongKV, f)...))
		checkFieldErr(t, err, f, "is null")
		if err.Error() != "CODE: 1, DESC: the custom field <"+f+"> is null" {
			t.Fatalf("remark: %v", err)
		}
	}
	for _, f := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		var h SendMessageRequestHeaderV2
		checkFieldErr(t, h.Decode(kvExt(kvWithout(sendShortKV, f)...)), f, "is null")
	}
	for _, f := range []string{"properties", "reconsumeTimes", "unitMode", "maxReconsumeTimes", "batch"} {
		var h SendMessageRequestHeader
		if err := h.Decode(kvExt(kvWithout(sendLongKV, f)...)); err != nil {
			t.Fatalf("optional %s: %v", f, err)
		}
	}
	for f, bad := range map[string]string{
		"queueId": "x", "sysFlag": "", "flag": "2147483648", "defaultTopicQueueNums": "1.0",
		"bornTimestamp": "9223372036854775808", "reconsumeTimes": " 1", "maxReconsumeTimes": "0x10",
	} {
		var h SendMessageRequestHeader
		checkFieldErr(t, h.Decode(kvExt(kvWith(sendLongKV, f, bad)...)), f, "not a valid")
	}
	var h SendMessageRequestHeader
	if err := h.Decode(kvExt(kvWith(sendLongKV, "bornTimestamp", "-9223372036854775808")...)); err != nil ||
		h.BornTimestamp != -1<<63 {
		t.Fatalf("min long: %v", err)
	}
	if err := h.Decode(kvExt(kvWith(sendLongKV, "queueId", "+5")...)); err != nil || h.QueueID != 5 {
		t.Fatalf("+5: %v", err)
	}
}

func TestSendRequestPropertiesLimit(t *testing.T) {
	var h SendMessageRequestHeader
	if err := h.Decode(kvExt(kvWith(sendLongKV, "properties", strings.Repeat("p", MaxPropertiesLen))...)); err != nil {
		t.Fatalf("32767: %v", err)
	}
	err := h.Decode(kvExt(kvWith(sendLongKV, "properties", strings.Repeat("p", MaxPropertiesLen+1))...))
	if !errors.Is(err, ErrMessageIllegal) {
		t.Fatalf("32768: %v", err)
	}
	code, _ := ResponseFor(err)
	if code != MessageIllegal {
		t.Fatalf("code %d", code)
	}
	err = (*SendMessageRequestHeaderV2)(&h).Decode(kvExt(kvWith(sendShortKV, "i", strings.Repeat("p", MaxPropertiesLen+1))...))
	if !errors.Is(err, ErrMessageIllegal) {
		t.Fatalf("V2 32768: %v", err)
	}
}

func TestSendRequestDecodeNoAllocs(t *testing.T) {
	long, short := kvExt(sendLongKV...), kvExt(sendShortKV...)
	var h SendMessageRequestHeader
	if a := testing.AllocsPerRun(100, func() {
		if h.Decode(long) != nil || (*SendMessageRequestHeaderV2)(&h).Decode(short) != nil {
			t.Fatal("decode failed")
		}
	}); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}

func TestSendResponseHeader(t *testing.T) {
	in := SendMessageResponseHeader{MsgID: []byte("0A0000010000270F0000000000001234"), QueueID: 2,
		QueueOffset: 1 << 40, TransactionID: []byte("tx"), MsgRegion: []byte("DefaultRegion"), TraceOn: true}
	var e ExtFields
	in.Encode(&e)
	for k, v := range map[string]string{"msgId": "0A0000010000270F0000000000001234", "queueId": "2",
		"queueOffset": "1099511627776", "transactionId": "tx", "MSG_REGION": "DefaultRegion", "TRACE_ON": "true"} {
		if got := e.GetString(k); got != v {
			t.Fatalf("%s = %q, want %q", k, got, v)
		}
	}
	out := SendMessageResponseHeader{TraceOn: false}
	if err := out.Decode(&e); err != nil {
		t.Fatal(err)
	}
	if string(out.MsgID) != string(in.MsgID) || out.QueueID != 2 || out.QueueOffset != 1<<40 ||
		string(out.TransactionID) != "tx" || string(out.MsgRegion) != "DefaultRegion" || !out.TraceOn {
		t.Fatalf("%+v", out)
	}
	// Optional fields: left out when empty; TRACE_ON always written.
	e.Reset()
	(&SendMessageResponseHeader{MsgID: []byte("m")}).Encode(&e)
	if e.Len() != 4 || e.GetString("TRACE_ON") != "false" {
		t.Fatalf("minimal encode: %d fields", e.Len())
	}
	if err := out.Decode(&e); err != nil || out.TransactionID != nil || out.MsgRegion != nil || out.TraceOn {
		t.Fatalf("minimal decode: %v %+v", err, out)
	}
	// Absent TRACE_ON reads as on, as Java's client reads it.
	if err := out.Decode(kvExt("msgId", "m", "queueId", "1", "queueOffset", "2")); err != nil || !out.TraceOn {
		t.Fatalf("no TRACE_ON: %v %+v", err, out)
	}
	for _, f := range []string{"msgId", "queueId", "queueOffset"} {
		checkFieldErr(t, out.Decode(kvExt(kvWithout([]string{"msgId", "m", "queueId", "1", "queueOffset", "2"}, f)...)), f, "is null")
	}
	checkFieldErr(t, out.Decode(kvExt("msgId", "m", "queueId", "1", "queueOffset", "z")), "queueOffset", "not a valid")
}

func TestJavaInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		bits uint
		v    int64
		ok   bool
	}{
		{"0", 32, 0, true}, {"7", 32, 7, true}, {"-0", 32, 0, true}, {"+5", 32, 5, true},
		{"2147483647", 32, 1<<31 - 1, true}, {"-2147483648", 32, -1 << 31, true},
		{"2147483648", 32, 0, false}, {"-2147483649", 32, 0, false},
		{"9223372036854775807", 64, 1<<63 - 1, true}, {"-9223372036854775808", 64, -1 << 63, true},
		{"9223372036854775808", 64, 0, false}, {"-9223372036854775809", 64, 0, false},
		{"99999999999999999999", 64, 0, false}, {"00000000000000000000000042", 32, 42, true},
		{"-0000000000000000000000000000000000001", 64, -1, true},
		{"", 32, 0, false}, {"-", 32, 0, false}, {"+", 64, 0, false}, {"1a", 32, 0, false},
		{" 1", 32, 0, false}, {"1 ", 32, 0, false}, {"0x1", 32, 0, false}, {"1.0", 64, 0, false},
		{"١", 32, 0, false}, // Java accepts Unicode digits; Quiver only ASCII
	} {
		v, ok := javaInt([]byte(tc.in), tc.bits)
		if v != tc.v || ok != tc.ok {
			t.Errorf("javaInt(%q, %d) = %d, %v; want %d, %v", tc.in, tc.bits, v, ok, tc.v, tc.ok)
		}
	}
}

func TestSendUsesShortNames(t *testing.T) {
	for code, short := range map[RequestCode]bool{
		SendMessage: false, SendReplyMessage: false, SendMessageV2: true, SendBatchMessage: true,
		SendReplyMessageV2: true,
	} {
		if SendUsesShortNames(code) != short {
			t.Errorf("%v: %v", code, !short)
		}
	}
	// Every long name has a distinct index, and unknown names give -1.
	for f, name := range sendLongNames {
		if got := sendLongField([]byte(name)); got != f {
			t.Errorf("%s: %d, want %d", name, got, f)
		}
	}
	for _, name := range []string{"", "a", "topi", "topics", "Topic", "brokerName", "maxReconsumeTime"} {
		if got := sendLongField([]byte(name)); got != -1 {
			t.Errorf("%q: %d", name, got)
		}
	}
}
