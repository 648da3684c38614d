package message_test

import (
	"bytes"
	"testing"

	"github.com/quivermq/quiver/message"
)

// FuzzDecode: Decode never panics, peeks never panic, and a record that
// passes re-encodes byte for byte from its peeks.
func FuzzDecode(f *testing.F) {
	f.Add(goldenBytes(f, goldenV1Hex), true)
	f.Add(goldenBytes(f, goldenV2Hex), false)
	f.Add([]byte{0, 0, 0, 8, 0xCB, 0xD4, 0x31, 0x94}, true)
	f.Fuzz(func(t *testing.T, buf []byte, verifyCRC bool) {
		n, filler, err := message.Decode(buf, verifyCRC)
		peekAll(message.Record(buf))
		if err != nil || filler {
			return
		}
		r := message.Record(buf[:n])
		var fl message.Fields
		r.Fields(&fl)
		// A v6 field holding an IPv4-mapped address re-encodes in the 4-byte
		// form, by design.
		if (fl.SysFlag&message.SysFlagBornHostV6 != 0) != fl.BornHost.IsV6() ||
			(fl.SysFlag&message.SysFlagStoreHostV6 != 0) != fl.StoreHost.IsV6() {
			return
		}
		again, err := message.AppendRecord(nil, &fl)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, r) {
			t.Fatalf("re-encoding differs\n got %X\nwant %X", again, []byte(r))
		}
	})
}
