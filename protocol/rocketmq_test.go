package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// specRocketMQHeader is the spec's §1.3 vector: code=0, language GO,
// version=401, opaque=7, flag=1, remark="ok", {a:b}.
var specRocketMQHeader = []byte{
	0x00, 0x00, 0x09, 0x01, 0x91, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x02, 0x6f, 0x6b, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x61,
	0x00, 0x00, 0x00, 0x01, 0x62,
}

func specRocketMQCommand() *Command {
	c := &Command{Code: 0, Language: LangGo, Version: 401, Opaque: 7, Flag: 1, Serialize: SerializeRocketMQ}
	c.SetRemark("ok")
	c.Ext.AddString("a", "b")
	return c
}

func TestRocketMQGolden(t *testing.T) {
	f, err := AppendCommand(nil, specRocketMQCommand())
	if err != nil {
		t.Fatal(err)
	}
	wantPrefix := []byte{0, 0, 0, byte(4 + len(specRocketMQHeader)), 1, 0, 0, byte(len(specRocketMQHeader))}
	if !bytes.Equal(f[:8], wantPrefix) || !bytes.Equal(f[8:], specRocketMQHeader) {
		t.Fatalf("encoded % x\nwant    % x % x", f, wantPrefix, specRocketMQHeader)
	}
	var d Decoder
	var c Command
	if err := d.Decode(codecFrame(SerializeRocketMQ, specRocketMQHeader, nil), &c); err != nil {
		t.Fatal(err)
	}
	if diff := codecEqual(&c, specRocketMQCommand()); diff != "" {
		t.Fatal(diff)
	}
	// The ext key and value are views of the frame.
	k, v := c.Ext.At(0)
	if cap(k) != 1 || cap(v) != 1 {
		t.Fatalf("views not capped: cap %d, %d", cap(k), cap(v))
	}
}

func TestRocketMQDecodeRejects(t *testing.T) {
	fixed := func(remarkLen, extLen int32, rest ...byte) []byte {
		h := []byte{0, 10, 0, 1, 0x91, 0, 0, 0, 1, 0, 0, 0, 0}
		h = binary.BigEndian.AppendUint32(h, uint32(remarkLen))
		h = append(h, bytes.Repeat([]byte{'r'}, max(int(remarkLen), 0))...)
		h = binary.BigEndian.AppendUint32(h, uint32(extLen))
		return append(h, rest...)
	}
	for _, tc := range []struct {
		name string
		hdr  []byte
		err  error
	}{
		{"trailing byte", append(append([]byte(nil), specRocketMQHeader...), 0), ErrHeaderTrailing},
		{"remark negative", fixed(-1, 0), ErrNegativeLength},
		{"remark past header", fixed(2, 0)[:19], ErrHeaderTruncated},
		{"ext negative", fixed(0, -5), ErrNegativeLength},
		{"ext past header", fixed(0, 9, 0, 1, 'k', 0, 0, 0, 1, 'v'), ErrHeaderTruncated},
		{"ext entry short of key length", fixed(0, 1, 0), ErrHeaderTruncated},
		{"ext key past block", fixed(0, 3, 0, 5, 'k'), ErrHeaderTruncated},
		{"ext value length cut", fixed(0, 5, 0, 1, 'k', 0, 0), ErrHeaderTruncated},
		{"ext value past block", fixed(0, 8, 0, 1, 'k', 0, 0, 0, 2, 'v'), ErrHeaderTruncated},
		{"ext key negative", fixed(0, 8, 0x80, 0, 'k', 0, 0, 0, 1, 'v'), ErrNegativeLength},
		{"ext value negative", fixed(0, 8, 0, 1, 'k', 0x80, 0, 0, 1, 'v'), ErrNegativeLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			var c Command
			if err := d.Decode(codecFrame(SerializeRocketMQ, tc.hdr, nil), &c); !errors.Is(err, tc.err) {
				t.Fatalf("Decode = %v, want %v", err, tc.err)
			}
		})
	}
	// Every prefix of the golden header is an error.
	for n := 0; n < len(specRocketMQHeader); n++ {
		var d Decoder
		var c Command
		if err := d.Decode(codecFrame(SerializeRocketMQ, specRocketMQHeader[:n], nil), &c); err == nil {
			t.Fatalf("prefix %d decoded", n)
		}
	}
}

func TestRocketMQEmptyFieldsAndLimits(t *testing.T) {
	// Empty keys and values, and an empty ext block, decode.
	c := &Command{Code: 5, Serialize: SerializeRocketMQ}
	c.Ext.AddString("", "")
	c.Ext.AddString("k", "")
	f, _ := AppendCommand(nil, c)
	var d Decoder
	var got Command
	if err := d.Decode(f, &got); err != nil {
		t.Fatal(err)
	}
	if diff := codecEqual(&got, c); diff != "" {
		t.Fatal(diff)
	}
	// 257 fields are over the default count limit.
	c.Ext.Reset()
	for i := 0; i < 257; i++ {
		c.Ext.AddString("k", "v")
	}
	f, _ = AppendCommand(nil, c)
	if err := d.Decode(f, &got); !errors.Is(err, ErrTooManyExtFields) {
		t.Fatalf("257 fields: %v", err)
	}
}
