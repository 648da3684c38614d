package message_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/quivermq/quiver/message"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func host(s string) message.Host {
	return message.HostFrom(netip.MustParseAddrPort(s))
}

// goldenV1Fields encodes to goldenV1Hex, derived by hand from the layout
// table of spec §4.1.
var goldenV1Fields = message.Fields{
	QueueID:        3,
	Flag:           0x0102,
	QueueOffset:    0x10,
	PhysicalOffset: 0x1234,
	BornTimestamp:  1700000000000,
	BornHost:       host("10.0.0.1:50000"),
	StoreTimestamp: 1700000000123,
	StoreHost:      host("192.168.1.10:10911"),
	Topic:          []byte("TopicTest"),
	Body:           []byte("hello"),
	Properties:     []byte("TAGS\x01tagA\x02"),
}

const goldenV1Hex = `
00000073          TOTALSIZE 115 = 91 + 5 + 9 + 10
DAA320A7          MAGICCODE v1
3610A686          BODYCRC crc32("hello") & 0x7FFFFFFF
00000003          QUEUEID
00000102          FLAG
0000000000000010  QUEUEOFFSET
0000000000001234  PHYSICALOFFSET
00000000          SYSFLAG
0000018BCFE56800  BORNTIMESTAMP 1700000000000
0A000001 0000C350 BORNHOST 10.0.0.1:50000
0000018BCFE5687B  STORETIMESTAMP 1700000000123
C0A8010A 00002A9F STOREHOST 192.168.1.10:10911
00000000          RECONSUMETIMES
0000000000000000  PREPARED_TRANSACTION_OFFSET
00000005 68656C6C6F            BODYLEN BODY
09 546F70696354657374          TOPICLEN TOPIC
000A 54414753 01 74616741 02   PROPLEN PROPERTIES
`

// goldenV2Fields uses the v2 layout and IPv6 hosts.
var goldenV2Fields = message.Fields{
	Version:   message.V2,
	QueueID:   1,
	BornHost:  host("[::1]:1"),
	StoreHost: host("[2001:db8::1]:10911"),
	Topic:     []byte("T"),
}

const goldenV2Hex = `
00000075          TOTALSIZE 117 = 91 + 1 (v2) + 2*12 (IPv6) + 1
DAA320AB          MAGICCODE v2
00000000          BODYCRC of the empty body
00000001          QUEUEID
00000000          FLAG
0000000000000000  QUEUEOFFSET
0000000000000000  PHYSICALOFFSET
00000030          SYSFLAG BORNHOST_V6 | STOREHOST_V6
0000000000000000  BORNTIMESTAMP
00000000000000000000000000000001 00000001  BORNHOST [::1]:1
0000000000000000  STORETIMESTAMP
20010DB8000000000000000000000001 00002A9F  STOREHOST [2001:db8::1]:10911
00000000          RECONSUMETIMES
0000000000000000  PREPARED_TRANSACTION_OFFSET
00000000          BODYLEN
0001 54           TOPICLEN (int16) TOPIC
0000              PROPLEN
`

// stripComments keeps the first whitespace-separated hex words of each line.
func goldenBytes(t testing.TB, text string) []byte {
	t.Helper()
	var sb strings.Builder
	for _, line := range strings.Split(text, "\n") {
		for _, w := range strings.Fields(line) {
			if _, err := hex.DecodeString(w); err != nil || w == "hello" {
				break
			}
			sb.WriteString(w)
		}
	}
	return unhex(t, sb.String())
}

func TestGoldenRecords(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    message.Fields
		hex  string
	}{
		{"v1-ipv4", goldenV1Fields, goldenV1Hex},
		{"v2-ipv6", goldenV2Fields, goldenV2Hex},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := goldenBytes(t, tc.hex)
			got, err := message.AppendRecord(nil, &tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encoding differs\n got %X\nwant %X", got, want)
			}
			n, err := tc.f.EncodedLen()
			if err != nil || n != len(want) {
				t.Fatalf("EncodedLen = %d, %v; want %d", n, err, len(want))
			}
			buf := make([]byte, n+10)
			if m, err := message.PutRecord(buf, &tc.f); err != nil || m != n || !bytes.Equal(buf[:n], want) {
				t.Fatalf("PutRecord = %d, %v, %X", m, err, buf[:n])
			}
			if err := message.Record(want).Check(); err != nil {
				t.Fatal(err)
			}
			checkPeeks(t, message.Record(want), &tc.f)
		})
	}
}

func TestGoldenOffsetID(t *testing.T) {
	r := message.Record(goldenBytes(t, goldenV1Hex))
	if got := string(r.AppendOffsetID(nil)); got != "C0A8010A00002A9F0000000000001234" {
		t.Fatalf("offset id %s", got)
	}
}

// checkPeeks asserts every peek of r against the fields it was encoded from.
func checkPeeks(t *testing.T, r message.Record, f *message.Fields) {
	t.Helper()
	n, _ := f.EncodedLen()
	wantSys := f.SysFlag &^ (message.SysFlagBornHostV6 | message.SysFlagStoreHostV6)
	if f.BornHost.IsV6() {
		wantSys |= message.SysFlagBornHostV6
	}
	if f.StoreHost.IsV6() {
		wantSys |= message.SysFlagStoreHostV6
	}
	v, ok := r.Version()
	crc := message.Checksum(f.Body)
	if f.HaveBodyCRC {
		crc = f.BodyCRC
	}
	eqHost := func(a, b message.Host) bool {
		return a.Port == b.Port && a.Addr.Unmap() == b.Addr.Unmap()
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"TotalSize", r.TotalSize(), int32(n)},
		{"Magic", r.Magic(), f.Version.Magic()},
		{"Version", v, f.Version},
		{"VersionOK", ok, true},
		{"IsFiller", r.IsFiller(), false},
		{"BodyCRC", r.BodyCRC(), crc},
		{"QueueID", r.QueueID(), f.QueueID},
		{"Flag", r.Flag(), f.Flag},
		{"QueueOffset", r.QueueOffset(), f.QueueOffset},
		{"PhysicalOffset", r.PhysicalOffset(), f.PhysicalOffset},
		{"SysFlag", r.SysFlag(), wantSys},
		{"BornTimestamp", r.BornTimestamp(), f.BornTimestamp},
		{"BornHost", eqHost(r.BornHost(), f.BornHost), true},
		{"StoreTimestamp", r.StoreTimestamp(), f.StoreTimestamp},
		{"StoreHost", eqHost(r.StoreHost(), f.StoreHost), true},
		{"ReconsumeTimes", r.ReconsumeTimes(), f.ReconsumeTimes},
		{"PreparedTransactionOffset", r.PreparedTransactionOffset(), f.PreparedTransactionOffset},
		{"Body", string(r.Body()), string(f.Body)},
		{"Topic", string(r.Topic()), string(f.Topic)},
		{"Properties", string(r.Properties()), string(f.Properties)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	tags, _ := message.Property(f.Properties, message.PropertyTags)
	keys, _ := message.Property(f.Properties, message.PropertyKeys)
	uniq, _ := message.Property(f.Properties, message.PropertyUniqKey)
	if !bytes.Equal(r.Tags(), tags) || !bytes.Equal(r.Keys(), keys) || !bytes.Equal(r.UniqKey(), uniq) {
		t.Errorf("Tags/Keys/UniqKey = %q %q %q, want %q %q %q", r.Tags(), r.Keys(), r.UniqKey(), tags, keys, uniq)
	}
	if r.TagsCode() != message.TagsCode(tags) {
		t.Errorf("TagsCode = %d", r.TagsCode())
	}
	// Views are capped: appending to one must not clobber the record.
	if b := r.Body(); cap(b) != len(b) {
		t.Errorf("Body cap %d > len %d", cap(b), len(b))
	}
}

func recordCases() []message.Fields {
	long := strings.Repeat("t", 127)
	longer := strings.Repeat("L", 300)
	props := message.AppendProperty(nil, message.PropertyTags, "tagA")
	props = message.AppendProperty(props, message.PropertyKeys, "k1 k2")
	props = message.AppendProperty(props, message.PropertyUniqKey, "C0A8010A1F2E00000000000000010001")
	var out []message.Fields
	for _, v := range []message.Version{message.V1, message.V2} {
		for _, hosts := range [][2]string{
			{"10.0.0.1:50000", "192.168.1.10:10911"},
			{"[fe80::1]:50000", "192.168.1.10:10911"},
			{"10.0.0.1:50000", "[2001:db8::2]:10911"},
			{"[::ffff:10.0.0.1]:1", "[2001:db8::2]:65535"},
		} {
			for _, body := range [][]byte{nil, {0}, bytes.Repeat([]byte("x"), 1000), bytes.Repeat([]byte{0xAB}, 70000)} {
				for _, topic := range []string{"", "T", long, longer} {
					if v == message.V1 && len(topic) > message.MaxTopicLenV1 {
						continue
					}
					out = append(out, message.Fields{
						Version:                   v,
						QueueID:                   -1,
						Flag:                      -7,
						QueueOffset:               1 << 40,
						PhysicalOffset:            -2,
						SysFlag:                   message.SysFlagTransactionCommit | message.SysFlagMultiTags | message.SysFlagBornHostV6,
						BornTimestamp:             -1,
						BornHost:                  host(hosts[0]),
						StoreTimestamp:            1 << 62,
						StoreHost:                 host(hosts[1]),
						ReconsumeTimes:            16,
						PreparedTransactionOffset: 99,
						Topic:                     []byte(topic),
						Body:                      body,
						Properties:                props,
					})
				}
			}
		}
	}
	return out
}

func TestRecordRoundTrip(t *testing.T) {
	for i, f := range recordCases() {
		rec, err := message.AppendRecord([]byte("prefix"), &f)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if string(rec[:6]) != "prefix" {
			t.Fatalf("case %d: prefix clobbered", i)
		}
		r := message.Record(rec[6:])
		if err := r.Check(); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		n, filler, err := message.Decode(rec[6:], true)
		if err != nil || filler || n != len(r) {
			t.Fatalf("case %d: Decode = %d, %v, %v", i, n, filler, err)
		}
		checkPeeks(t, r, &f)
		var back message.Fields
		r.Fields(&back)
		again, _ := message.AppendRecord(nil, &back)
		if !bytes.Equal(again, r) {
			t.Errorf("Fields round trip differs")
		}
		if t.Failed() {
			t.Fatalf("case %d (%v, born %v, store %v, body %d, topic %d)", i, f.Version, f.BornHost, f.StoreHost, len(f.Body), len(f.Topic))
		}
	}
}

func TestPrecomputedCRC(t *testing.T) {
	f := goldenV1Fields
	f.BodyCRC, f.HaveBodyCRC = message.Checksum(f.Body), true
	a, _ := message.AppendRecord(nil, &f)
	if !bytes.Equal(a, goldenBytes(t, goldenV1Hex)) {
		t.Fatal("precomputed CRC changed the encoding")
	}
	f.BodyCRC = 1
	a, _ = message.AppendRecord(nil, &f)
	if err := message.Record(a).Check(); !errors.Is(err, message.ErrChecksum) {
		t.Fatalf("Check = %v, want ErrChecksum", err)
	}
}

func TestEncodeLimits(t *testing.T) {
	f := goldenV1Fields
	f.Topic = bytes.Repeat([]byte("a"), 128)
	if _, err := message.AppendRecord(nil, &f); !errors.Is(err, message.ErrTopicTooLong) {
		t.Fatalf("v1 topic 128: %v", err)
	}
	f.Version = message.V2
	if _, err := message.AppendRecord(nil, &f); err != nil {
		t.Fatalf("v2 topic 128: %v", err)
	}
	f.Topic = bytes.Repeat([]byte("a"), 32768)
	if _, err := f.EncodedLen(); !errors.Is(err, message.ErrTopicTooLong) {
		t.Fatalf("v2 topic 32768: %v", err)
	}
	f = goldenV1Fields
	f.Properties = bytes.Repeat([]byte("a"), message.MaxPropertiesLen)
	if _, err := f.EncodedLen(); err != nil {
		t.Fatalf("props at limit: %v", err)
	}
	f.Properties = append(f.Properties, 'a')
	if _, err := message.PutRecord(make([]byte, 1<<16), &f); !errors.Is(err, message.ErrPropertiesTooLong) {
		t.Fatalf("props over limit: %v", err)
	}
	f = goldenV1Fields
	n, _ := f.EncodedLen()
	if _, err := message.PutRecord(make([]byte, n-1), &f); !errors.Is(err, message.ErrShortBuffer) {
		t.Fatalf("short dst: %v", err)
	}
}

func TestPatch(t *testing.T) {
	for _, f := range []message.Fields{goldenV1Fields, goldenV2Fields} {
		rec, _ := message.AppendRecord(nil, &f)
		r := message.Record(rec)
		r.SetQueueOffset(77)
		r.SetPhysicalOffset(1 << 33)
		r.SetStoreTimestamp(1234567)
		f.QueueOffset, f.PhysicalOffset, f.StoreTimestamp = 77, 1<<33, 1234567
		if err := r.Check(); err != nil {
			t.Fatal(err)
		}
		checkPeeks(t, r, &f)
		want, _ := message.AppendRecord(nil, &f)
		if !bytes.Equal(rec, want) {
			t.Fatal("patched record differs from a fresh encoding")
		}
	}
}

func TestFiller(t *testing.T) {
	b, err := message.AppendFiller(nil, 4096)
	if err != nil || !bytes.Equal(b, unhex(t, "00001000 CBD43194")) {
		t.Fatalf("AppendFiller = %X, %v", b, err)
	}
	n, filler, err := message.Decode(b, true)
	if err != nil || !filler || n != 4096 {
		t.Fatalf("Decode(filler) = %d %v %v", n, filler, err)
	}
	if !message.Record(b).IsFiller() {
		t.Fatal("IsFiller")
	}
	if err := message.Record(b).Check(); !errors.Is(err, message.ErrBadMagic) {
		t.Fatalf("Check(filler) = %v", err)
	}
	buf := make([]byte, 8)
	if err := message.PutFiller(buf, 8); err != nil || !bytes.Equal(buf, unhex(t, "00000008 CBD43194")) {
		t.Fatalf("PutFiller = %X, %v", buf, err)
	}
	for _, bad := range []int{-1, 0, 7, 1 << 31} {
		if _, err := message.AppendFiller(nil, bad); !errors.Is(err, message.ErrBadFiller) {
			t.Errorf("AppendFiller(%d) = %v", bad, err)
		}
	}
	if err := message.PutFiller(make([]byte, 7), 8); !errors.Is(err, message.ErrShortBuffer) {
		t.Fatalf("PutFiller short = %v", err)
	}
	if _, _, err := message.Decode(unhex(t, "00000007 CBD43194"), true); !errors.Is(err, message.ErrBadLength) {
		t.Fatalf("filler of 7: %v", err)
	}
}

func TestDecodeUnwritten(t *testing.T) {
	_, _, err := message.Decode(make([]byte, 64), true)
	if err != message.ErrUnwritten || message.IsCorruption(err) {
		t.Fatalf("zeros: %v", err)
	}
}

// TestTruncation cuts valid records at every byte: every prefix must fail
// with ErrTruncated, and no peek may panic.
func TestTruncation(t *testing.T) {
	cases := []message.Fields{goldenV1Fields, goldenV2Fields}
	for _, f := range recordCases() {
		if len(f.Body) <= 1000 {
			cases = append(cases, f)
		}
	}
	for ci, f := range cases {
		rec, _ := message.AppendRecord(nil, &f)
		for i := 0; i < len(rec); i++ {
			_, _, err := message.Decode(rec[:i], true)
			if !errors.Is(err, message.ErrTruncated) || !message.IsCorruption(err) {
				t.Fatalf("case %d cut at %d: %v", ci, i, err)
			}
			if err := message.Record(rec[:i]).Check(); err == nil {
				t.Fatalf("case %d cut at %d: Check passed", ci, i)
			}
			peekAll(message.Record(rec[:i]))
		}
	}
}

// peekAll calls every peek; used to prove they do not panic.
func peekAll(r message.Record) {
	_, _ = r.Version()
	_ = r.TotalSize() + r.QueueID() + r.Flag() + r.SysFlag() + r.ReconsumeTimes()
	_ = r.QueueOffset() + r.PhysicalOffset() + r.BornTimestamp() + r.StoreTimestamp() + r.PreparedTransactionOffset()
	_, _, _ = r.Magic(), r.BodyCRC(), r.IsFiller()
	_, _ = r.BornHost(), r.StoreHost()
	_, _, _ = r.Body(), r.Topic(), r.Properties()
	_, _, _, _ = r.Tags(), r.Keys(), r.UniqKey(), r.TagsCode()
	_ = r.AppendOffsetID(nil)
}

func TestCorruption(t *testing.T) {
	golden := goldenBytes(t, goldenV1Hex)
	be := func(b []byte, off int, v uint32) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	bodyLenOff, topicLenOff := 84, 93
	propLenOff := topicLenOff + 1 + 9
	for _, tc := range []struct {
		name   string
		mutate func(b []byte) []byte
		reason error
		field  string
	}{
		{"crc", func(b []byte) []byte { b[8] ^= 1; return b }, message.ErrChecksum, "BODYCRC"},
		{"body", func(b []byte) []byte { b[88] ^= 0x80; return b }, message.ErrChecksum, "BODYCRC"},
		{"magic", func(b []byte) []byte { b[7] ^= 0xFF; return b }, message.ErrBadMagic, "MAGICCODE"},
		{"total+1", func(b []byte) []byte { be(b, 0, uint32(len(b)+1)); return append(b, 0) }, message.ErrSizeMismatch, "TOTALSIZE"},
		{"total-1", func(b []byte) []byte { be(b, 0, uint32(len(b)-1)); return b[:len(b)-1] }, message.ErrBadLength, "PROPLEN"},
		{"total-past-buffer", func(b []byte) []byte { be(b, 0, uint32(len(b)+1)); return b }, message.ErrTruncated, "TOTALSIZE"},
		{"total-tiny", func(b []byte) []byte { be(b, 0, 90); return b }, message.ErrBadLength, "TOTALSIZE"},
		{"total-negative", func(b []byte) []byte { be(b, 0, 0xFFFFFFFF); return b }, message.ErrBadLength, "TOTALSIZE"},
		{"bodylen-negative", func(b []byte) []byte { be(b, bodyLenOff, 0xFFFFFFFF); return b }, message.ErrBadLength, "BODYLEN"},
		{"bodylen-huge", func(b []byte) []byte { be(b, bodyLenOff, 0x7FFFFFFF); return b }, message.ErrBadLength, "BODYLEN"},
		{"bodylen+1", func(b []byte) []byte { be(b, bodyLenOff, 6); return b }, message.ErrBadLength, "TOPICLEN"},
		{"topiclen-128", func(b []byte) []byte { b[topicLenOff] = 128; return b }, message.ErrBadLength, "TOPICLEN"},
		{"topiclen-long", func(b []byte) []byte { b[topicLenOff] = 30; return b }, message.ErrBadLength, "TOPICLEN"},
		{"proplen-negative", func(b []byte) []byte { b[propLenOff] = 0x80; return b }, message.ErrBadLength, "PROPLEN"},
		{"proplen-short", func(b []byte) []byte { b[propLenOff+1]--; return b }, message.ErrSizeMismatch, "TOTALSIZE"},
		{"v6-flag-flipped", func(b []byte) []byte { b[39] |= message.SysFlagStoreHostV6; return b }, message.ErrBadLength, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mutate(append([]byte(nil), golden...))
			_, _, err := message.Decode(b, true)
			var ce *message.CorruptionError
			if !errors.Is(err, tc.reason) || !errors.As(err, &ce) || !message.IsCorruption(err) {
				t.Fatalf("Decode = %v, want %v", err, tc.reason)
			}
			if tc.field != "" && ce.Field != tc.field {
				t.Fatalf("field %q, want %q (%v)", ce.Field, tc.field, err)
			}
			if err := message.Record(b).Check(); err == nil {
				t.Fatal("Check passed")
			}
			peekAll(message.Record(b))
		})
	}
	// Without CRC verification, only the checksum cases pass.
	b := append([]byte(nil), golden...)
	b[88] ^= 1
	if _, _, err := message.Decode(b, false); err != nil {
		t.Fatalf("Decode(verifyCRC=false) = %v", err)
	}
	if err := message.Record(b).CheckLayout(); err != nil {
		t.Fatalf("CheckLayout = %v", err)
	}
	// A record view longer than TOTALSIZE fails Check but not Decode.
	b = append(append([]byte(nil), golden...), 0)
	if err := message.Record(b).Check(); !errors.Is(err, message.ErrSizeMismatch) {
		t.Fatalf("Check(longer view) = %v", err)
	}
}

func TestCorruptionErrorString(t *testing.T) {
	b := goldenBytes(t, goldenV1Hex)
	b[11] ^= 1
	_, _, err := message.Decode(b, true)
	want := "message: corrupt record: BODYCRC at offset 8: message: body checksum mismatch (got 907060871, want 907060870)"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

// TestBitFlips flips every bit of a record: Decode must never panic, and
// flips in the fields the record can check must be caught.
func TestBitFlips(t *testing.T) {
	golden := goldenBytes(t, goldenV1Hex)
	for i := range golden {
		for bit := 0; bit < 8; bit++ {
			b := append([]byte(nil), golden...)
			b[i] ^= 1 << bit
			_, _, err := message.Decode(b, true)
			peekAll(message.Record(b))
			// Checked: TOTALSIZE, MAGICCODE, BODYCRC, the two host bits of
			// SYSFLAG, BODYLEN, BODY, TOPICLEN and PROPLEN.
			checked := i < 12 || (i == 39 && (bit == 4 || bit == 5)) ||
				(i >= 84 && i <= 93) || i == 103 || i == 104
			if checked && err == nil {
				t.Errorf("flip of byte %d bit %d undetected", i, bit)
			}
		}
	}
}

func TestRecordIter(t *testing.T) {
	var buf []byte
	var want []message.Fields
	for i, f := range recordCases() {
		if i%7 != 0 {
			continue
		}
		f.QueueOffset = int64(i)
		buf, _ = message.AppendRecord(buf, &f)
		want = append(want, f)
	}
	it := message.NewRecordIter(buf, true)
	i := 0
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		checkPeeks(t, r, &want[i])
		i++
	}
	if it.Err() != nil || i != len(want) || it.Offset() != len(buf) {
		t.Fatalf("iter: %d of %d records, offset %d of %d, err %v", i, len(want), it.Offset(), len(buf), it.Err())
	}

	// A torn tail stops the walk with ErrTruncated at its offset.
	first, _ := message.AppendRecord(nil, &goldenV1Fields)
	torn := append(append([]byte(nil), first...), first[:50]...)
	it = message.NewRecordIter(torn, true)
	n := 0
	for _, ok := it.Next(); ok; _, ok = it.Next() {
		n++
	}
	var ce *message.CorruptionError
	if n != 1 || !errors.Is(it.Err(), message.ErrTruncated) || !errors.As(it.Err(), &ce) || ce.Offset != len(first) || it.Offset() != len(first) {
		t.Fatalf("torn: n=%d err=%v offset=%d", n, it.Err(), it.Offset())
	}
	// A filler is not a record.
	withFiller, _ := message.AppendFiller(append([]byte(nil), first...), 64)
	it = message.NewRecordIter(withFiller, true)
	for _, ok := it.Next(); ok; _, ok = it.Next() {
	}
	if !errors.Is(it.Err(), message.ErrBadMagic) {
		t.Fatalf("filler: %v", it.Err())
	}
	// Empty buffer: no records, no error.
	it = message.NewRecordIter(nil, true)
	if _, ok := it.Next(); ok || it.Err() != nil {
		t.Fatal("empty iter")
	}
}

func TestHost(t *testing.T) {
	for _, tc := range []struct {
		in   string
		v6   bool
		str  string
		size int
	}{
		{"1.2.3.4:80", false, "1.2.3.4:80", 8},
		{"[::ffff:1.2.3.4]:80", false, "1.2.3.4:80", 8},
		{"[::1]:10911", true, "[::1]:10911", 20},
		{"[fe80::1%eth0]:1", true, "[fe80::1]:1", 20},
	} {
		h := host(tc.in)
		if h.IsV6() != tc.v6 || h.String() != tc.str || h.EncodedLen() != tc.size {
			t.Errorf("%s: v6=%v str=%s len=%d", tc.in, h.IsV6(), h.String(), h.EncodedLen())
		}
		if h.AddrPort() != netip.MustParseAddrPort(tc.in) {
			t.Errorf("%s: AddrPort %v", tc.in, h.AddrPort())
		}
	}
	var zero message.Host
	if zero.String() != "0.0.0.0:0" || zero.EncodedLen() != 8 {
		t.Errorf("zero host %s", zero.String())
	}
	f := goldenV1Fields
	f.BornHost = message.Host{}
	rec, _ := message.AppendRecord(nil, &f)
	if h := message.Record(rec).BornHost(); h.Addr != netip.IPv4Unspecified() || h.Port != 0 {
		t.Errorf("zero host encodes as %v", h)
	}
}
