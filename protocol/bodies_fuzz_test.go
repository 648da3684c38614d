package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzNormalizeFastJSON(f *testing.F) {
	for _, s := range []string{heartbeatSample, registerSample, `{0:"a:1",1:"b:2"}`,
		`{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:100}}`, `[{1:{2:[3]}}]`, `{"s":"{0:1}"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := normalizeFastJSON(in)
		if err != nil {
			return
		}
		if json.Valid(in) && !bytes.Equal(out, in) {
			t.Fatalf("valid JSON rewritten:\n in %s\nout %s", in, out)
		}
		if json.Valid(out) {
			again, err := normalizeFastJSON(out)
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("normalizing twice changed %s to %s (%v)", out, again, err)
			}
		}
	})
}

func FuzzUnmarshalBodies(f *testing.F) {
	for _, s := range []string{heartbeatSample, registerSample,
		`{"brokerDatas":[{"brokerAddrs":{0:"a:1"},"brokerName":"b","cluster":"c"}],"queueDatas":[]}`,
		`{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:100}}`,
		`{"offsetTable":[[{"topic":"T","brokerName":"b","queueId":0},100]]}`,
		`{"consumeTps":1,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":1}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		targets := []any{new(TopicRouteData), new(HeartbeatData), new(RegisterBrokerBody), new(ResetOffsetBody),
			new(ConsumeStats), new(TopicStatsTable), new(ConsumerRunningInfo), new(ConsumerStatusBody),
			new(SubscriptionGroupWrapper), new(ConsumerOffsetSerializeWrapper), new(ClusterInfo)}
		for _, v := range targets {
			if UnmarshalBody(in, v) != nil {
				continue
			}
			// What decodes re-encodes, and decodes to the same value.
			enc, err := MarshalBody(v)
			if err != nil {
				t.Fatalf("%T: re-encode: %v", v, err)
			}
			again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := UnmarshalBody(enc, again); err != nil {
				t.Fatalf("%T: re-decode of %s: %v", v, enc, err)
			}
			enc2, _ := MarshalBody(again)
			if !bytes.Equal(enc, enc2) {
				t.Fatalf("%T: unstable encoding\n %s\n %s", v, enc, enc2)
			}
		}
	})
}

func FuzzDecodeRegisterBrokerBody(f *testing.F) {
	f.Add([]byte(registerSample), false)
	enc, _ := EncodeRegisterBrokerBody(&registerWant, true)
	f.Add(enc, true)
	f.Fuzz(func(t *testing.T, in []byte, compressed bool) {
		b, err := DecodeRegisterBrokerBody(in, compressed)
		if err != nil {
			return
		}
		if _, err := EncodeRegisterBrokerBody(b, false); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzHeaders(f *testing.F) {
	// Input: key\x00value\x00key\x00value...
	f.Add([]byte("topic\x00T\x00queueId\x001\x00consumerGroup\x00G\x00commitOffset\x00-5"))
	f.Add([]byte("producerGroup\x00P\x00tranStateTableOffset\x001\x00commitLogOffset\x002\x00commitOrRollback\x008\x00msgId\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var e ExtFields
		parts := bytes.Split(in, []byte{0})
		for i := 0; i+1 < len(parts); i += 2 {
			e.AddView(parts[i], parts[i+1])
		}
		for _, tc := range headerCases() {
			h := newLike(tc.full)
			if h.Decode(&e) != nil {
				continue
			}
			var out ExtFields
			h.Encode(&out)
			h2 := newLike(tc.full)
			if err := h2.Decode(&out); err != nil {
				t.Fatalf("%s: re-decode: %v", tc.name, err)
			}
			if !reflect.DeepEqual(h, h2) {
				t.Fatalf("%s: round trip\n %+v\n %+v", tc.name, h, h2)
			}
		}
	})
}

func FuzzDecodeProperties(f *testing.F) {
	f.Add([]byte("a=b\n# c\nd : e\\\n  f\nk\\u00e9=\\t"))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := DecodeProperties(in)
		if err != nil {
			return
		}
		back, err := DecodeProperties(EncodeProperties(m))
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip of %q: %v\n %q\n %q", in, err, m, back)
		}
	})
}
