package protocol

import (
	"testing"

	jsoniter "github.com/json-iterator/go"
)

// FuzzDecodeFrame: any input either fails to split or decode, or decodes
// to a command that survives re-encoding in its own serialize type.
func FuzzDecodeFrame(f *testing.F) {
	for _, c := range codecSamples()[:6] {
		for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
			c.Serialize = st
			if b, err := AppendCommand(nil, c); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add(codecFrame(SerializeJSON, []byte(`{"a":[{"b":null}],"extFields":{"n":1,"t":true,"x":"\ud83d\ude00"},"language":9}`), nil))
	f.Add(codecFrame(SerializeRocketMQ, specRocketMQHeader, []byte("body")))
	f.Fuzz(func(t *testing.T, in []byte) {
		n, err := SplitFrame(in, 1<<20)
		if err != nil || n == 0 {
			return
		}
		d := Decoder{Limits: Limits{MaxFrame: 1 << 20}}
		var c Command
		if err := d.Decode(in[:n], &c); err != nil {
			return
		}
		// The hot-path headers take any extFields without panicking.
		var sh SendMessageRequestHeader
		_ = sh.DecodeFor(RequestCode(c.Code), &c.Ext)
		_ = (*SendMessageRequestHeaderV2)(&sh).Decode(&c.Ext)
		var ph PullMessageRequestHeader
		_ = ph.Decode(&c.Ext)
		out, err := AppendCommand(nil, &c)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var c2 Command
		if err := d.Decode(out, &c2); err != nil {
			t.Fatalf("decode of re-encoded: %v\n%q", err, out)
		}
		if diff := codecEqual(&c2, &c); diff != "" {
			t.Fatalf("re-encoded differs: %s", diff)
		}
	})
}

// TestJsoniterMapOrder documents why the JSON decoder must accept any key
// order: client-go marshals extFields with jsoniter's default config, which
// does not sort map keys, so the order changes from one request to the next.
func TestJsoniterMapOrder(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		b, err := jsoniter.Marshal(clientGoSendExt())
		if err != nil {
			t.Fatal(err)
		}
		seen[string(b)] = true
	}
	if len(seen) < 2 {
		t.Fatal("jsoniter wrote one key order 50 times: does it sort map keys now?")
	}
}
