package protocol

import (
	"testing"
)

// pullKV is a PULL_MESSAGE header as client-go's push consumer sends it.
var pullKV = []string{
	"consumerGroup", "CG", "topic", "TopicTest", "queueId", "1", "queueOffset", "100",
	"maxMsgNums", "32", "sysFlag", "3", "commitOffset", "99", "suspendTimeoutMillis", "20000",
	"subscription", "", "subVersion", "0", "expressionType", "TAG",
}

func pullEqual(a, b *PullMessageRequestHeader) bool {
	return string(a.ConsumerGroup) == string(b.ConsumerGroup) && string(a.Topic) == string(b.Topic) &&
		a.QueueID == b.QueueID && a.QueueOffset == b.QueueOffset && a.MaxMsgNums == b.MaxMsgNums &&
		a.SysFlag == b.SysFlag && a.CommitOffset == b.CommitOffset &&
		a.SuspendTimeoutMillis == b.SuspendTimeoutMillis && string(a.Subscription) == string(b.Subscription) &&
		a.SubVersion == b.SubVersion && string(a.ExpressionType) == string(b.ExpressionType) &&
		a.MaxMsgBytes == b.MaxMsgBytes && string(a.BrokerName) == string(b.BrokerName)
}

func TestPullRequestDecode(t *testing.T) {
	var h PullMessageRequestHeader
	if err := h.Decode(kvExt(pullKV...)); err != nil {
		t.Fatal(err)
	}
	want := PullMessageRequestHeader{ConsumerGroup: []byte("CG"), Topic: []byte("TopicTest"), QueueID: 1,
		QueueOffset: 100, MaxMsgNums: 32, SysFlag: PullFlagCommitOffset | PullFlagSuspend, CommitOffset: 99,
		SuspendTimeoutMillis: 20000, SubVersion: 0, ExpressionType: []byte("TAG")}
	if !pullEqual(&h, &want) {
		t.Fatalf("%+v", h)
	}
	// 5.x fields.
	if err := h.Decode(kvExt(append(pullKV, "maxMsgBytes", "1048576", "bname", "broker-a")...)); err != nil {
		t.Fatal(err)
	}
	if h.MaxMsgBytes != 1<<20 || string(h.BrokerName) != "broker-a" {
		t.Fatalf("%+v", h)
	}
	// Optional fields are reset by a decode without them.
	if err := h.Decode(kvExt(kvWithout(kvWithout(pullKV, "subscription"), "expressionType")...)); err != nil {
		t.Fatal(err)
	}
	if h.Subscription != nil || h.ExpressionType != nil || h.MaxMsgBytes != 0 || h.BrokerName != nil {
		t.Fatalf("not reset: %+v", h)
	}
}

func TestPullRequestRoundTrip(t *testing.T) {
	for _, in := range []PullMessageRequestHeader{
		{ConsumerGroup: []byte("CG"), Topic: []byte("T"), QueueID: 7, QueueOffset: 1 << 50, MaxMsgNums: 32,
			SysFlag: 6, CommitOffset: -1, SuspendTimeoutMillis: 15000, Subscription: []byte("a || b"),
			SubVersion: 1650000000000000000, ExpressionType: []byte("SQL92"), MaxMsgBytes: 4096,
			BrokerName: []byte("b")},
		{},
	} {
		var e ExtFields
		in.Encode(&e)
		out := PullMessageRequestHeader{Subscription: []byte("stale"), MaxMsgBytes: 9}
		if err := out.Decode(&e); err != nil {
			t.Fatal(err)
		}
		if !pullEqual(&in, &out) {
			t.Fatalf("got %+v\nwant %+v", out, in)
		}
	}
}

func TestPullRequestMissingAndMalformed(t *testing.T) {
	for _, f := range []string{"consumerGroup", "topic", "queueId", "queueOffset", "maxMsgNums", "sysFlag",
		"commitOffset", "suspendTimeoutMillis", "subVersion"} {
		var h PullMessageRequestHeader
		checkFieldErr(t, h.Decode(kvExt(kvWithout(pullKV, f)...)), f, "is null")
		if f != "consumerGroup" && f != "topic" {
			checkFieldErr(t, h.Decode(kvExt(kvWith(pullKV, f, "1x")...)), f, "not a valid")
		}
	}
	var h PullMessageRequestHeader
	checkFieldErr(t, h.Decode(kvExt(append(pullKV, "maxMsgBytes", "big")...)), "maxMsgBytes", "not a valid")
}

func TestPullResponseHeader(t *testing.T) {
	in := PullMessageResponseHeader{SuggestWhichBrokerID: 1, NextBeginOffset: 132, MinOffset: 0, MaxOffset: 1 << 33}
	var e ExtFields
	in.Encode(&e)
	if e.GetString("suggestWhichBrokerId") != "1" || e.GetString("maxOffset") != "8589934592" {
		t.Fatal("encode")
	}
	out := PullMessageResponseHeader{MinOffset: 5}
	if err := out.Decode(&e); err != nil || out != in {
		t.Fatalf("%v %+v", err, out)
	}
	kv := []string{"suggestWhichBrokerId", "0", "nextBeginOffset", "1", "minOffset", "0", "maxOffset", "2"}
	for i := 0; i < len(kv); i += 2 {
		checkFieldErr(t, out.Decode(kvExt(kvWithout(kv, kv[i])...)), kv[i], "is null")
		checkFieldErr(t, out.Decode(kvExt(kvWith(kv, kv[i], "-")...)), kv[i], "not a valid")
	}
}

func TestPullDecodeNoAllocs(t *testing.T) {
	e := kvExt(pullKV...)
	var h PullMessageRequestHeader
	var r PullMessageResponseHeader
	re := kvExt("suggestWhichBrokerId", "0", "nextBeginOffset", "1", "minOffset", "0", "maxOffset", "2")
	if a := testing.AllocsPerRun(100, func() {
		if h.Decode(e) != nil || r.Decode(re) != nil {
			t.Fatal("decode failed")
		}
	}); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}
