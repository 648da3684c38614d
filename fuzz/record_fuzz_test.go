package fuzz

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/quivermq/quiver/message"
)

// corruptionReasons are the reasons a *message.CorruptionError documents.
var corruptionReasons = []error{message.ErrTruncated, message.ErrBadMagic, message.ErrBadLength,
	message.ErrSizeMismatch, message.ErrChecksum}

// checkDecodeError asserts that err is what Decode documents: ErrUnwritten
// or a *CorruptionError with a documented reason and an offset inside the
// first limit bytes.
func checkDecodeError(t *testing.T, what string, err error, limit int) {
	if errors.Is(err, message.ErrUnwritten) {
		return
	}
	var ce *message.CorruptionError
	if !errors.As(err, &ce) || !errorsIsAny(err, corruptionReasons...) {
		t.Fatalf("%s: undocumented error %v", what, err)
	}
	if ce.Offset < 0 || ce.Offset > limit {
		t.Fatalf("%s: error offset %d outside [0, %d]: %v", what, ce.Offset, limit, err)
	}
}

// peeks collects every Record peek, for comparison with Fields.
type peeks struct {
	TotalSize                 int32
	Magic, BodyCRC            uint32
	QueueID, Flag, SysFlag    int32
	QueueOffset, PhysOffset   int64
	BornTimestamp, StoreTS    int64
	BornHost, StoreHost       message.Host
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body, Topic, Properties   []byte
	Tags, Keys, UniqKey       []byte
	TagsCode                  int64
	IsFiller                  bool
	OffsetID                  string
}

// peekAll runs every peek on r (which may be malformed) and checks that the
// slices they return lie within r, whose backing array has spare capacity.
func peekAll(t *testing.T, r message.Record) peeks {
	p := peeks{
		TotalSize: r.TotalSize(), Magic: r.Magic(), BodyCRC: r.BodyCRC(), QueueID: r.QueueID(), Flag: r.Flag(),
		SysFlag: r.SysFlag(), QueueOffset: r.QueueOffset(), PhysOffset: r.PhysicalOffset(),
		BornTimestamp: r.BornTimestamp(), StoreTS: r.StoreTimestamp(), BornHost: r.BornHost(), StoreHost: r.StoreHost(),
		ReconsumeTimes: r.ReconsumeTimes(), PreparedTransactionOffset: r.PreparedTransactionOffset(),
		Body: r.Body(), Topic: r.Topic(), Properties: r.Properties(), Tags: r.Tags(), Keys: r.Keys(),
		UniqKey: r.UniqKey(), TagsCode: r.TagsCode(), IsFiller: r.IsFiller(), OffsetID: string(r.AppendOffsetID(nil)),
	}
	_, _ = r.Version()
	_, _ = r.Property(message.PropertyTags)
	for name, s := range map[string][]byte{"Body": p.Body, "Topic": p.Topic, "Properties": p.Properties,
		"Tags": p.Tags, "Keys": p.Keys, "UniqKey": p.UniqKey} {
		if !capped(s, r) {
			t.Fatalf("%s peek (%d bytes, cap %d) reaches outside the %d-byte record", name, len(s), cap(s), len(r))
		}
	}
	return p
}

// checkRecord asserts everything a record that passed Decode with CRC
// checking must satisfy. r has spare capacity past its end.
func checkRecord(t *testing.T, r message.Record) {
	if err := r.Check(); err != nil {
		t.Fatalf("Check fails on a record Decode accepted: %v", err)
	}
	if err := r.CheckLayout(); err != nil {
		t.Fatalf("CheckLayout fails on a record Decode accepted: %v", err)
	}
	if n, filler, err := message.Decode(r, false); err != nil || filler || n != len(r) {
		t.Fatalf("Decode without CRC: %d, %v, %v; with CRC it was %d bytes", n, filler, err, len(r))
	}
	p := peekAll(t, r)
	var f message.Fields
	r.Fields(&f)
	v, ok := r.Version()
	if !ok || v != f.Version || p.Magic != v.Magic() || p.IsFiller {
		t.Fatalf("Version() = %v, %v; Fields.Version %v; magic %#x", v, ok, f.Version, p.Magic)
	}
	want := peeks{
		TotalSize: int32(len(r)), Magic: v.Magic(), BodyCRC: message.Checksum(f.Body), QueueID: f.QueueID, Flag: f.Flag,
		SysFlag: f.SysFlag, QueueOffset: f.QueueOffset, PhysOffset: f.PhysicalOffset,
		BornTimestamp: f.BornTimestamp, StoreTS: f.StoreTimestamp, BornHost: f.BornHost, StoreHost: f.StoreHost,
		ReconsumeTimes: f.ReconsumeTimes, PreparedTransactionOffset: f.PreparedTransactionOffset,
		Body: f.Body, Topic: f.Topic, Properties: f.Properties,
		Tags:     javaValue(f.Properties, message.PropertyTags),
		Keys:     javaValue(f.Properties, message.PropertyKeys),
		UniqKey:  javaValue(f.Properties, message.PropertyUniqKey),
		TagsCode: message.TagsCode(javaValue(f.Properties, message.PropertyTags)),
		OffsetID: string(message.AppendOffsetID(nil, f.StoreHost, f.PhysicalOffset)),
	}
	if !f.HaveBodyCRC || f.BodyCRC != p.BodyCRC {
		t.Fatalf("Fields: BodyCRC %#x (have %v), stored %#x", f.BodyCRC, f.HaveBodyCRC, p.BodyCRC)
	}
	if !reflect.DeepEqual(normalizePeeks(p), normalizePeeks(want)) {
		t.Fatalf("peeks disagree with Fields:\n got %+v\nwant %+v", p, want)
	}
	if el, err := f.EncodedLen(); err != nil || el > len(r) {
		t.Fatalf("EncodedLen of the decoded fields = %d, %v; record has %d bytes", el, err, len(r))
	}
	// The offset message id round-trips.
	host, off, err := message.ParseOffsetID(p.OffsetID)
	if err != nil || off != f.PhysicalOffset || storedHost(host) != storedHost(f.StoreHost) {
		t.Fatalf("ParseOffsetID(%s) = %v, %d, %v; want %v, %d", p.OffsetID, host, off, err, f.StoreHost, f.PhysicalOffset)
	}
	if strings.ToUpper(p.OffsetID) != p.OffsetID || (len(p.OffsetID) != message.OffsetIDLen && len(p.OffsetID) != message.OffsetIDLenV6) {
		t.Fatalf("offset id %q: want 32 or 56 uppercase hex digits", p.OffsetID)
	}

	// Re-encode the fields: identical bytes, except that a 16-byte host
	// field holding an IPv4-mapped address is written back in the 4-byte
	// form (message.Host documents it, as Java's Inet4Address does).
	again, err := message.AppendRecord(nil, &f)
	if err != nil {
		t.Fatalf("re-encoding decoded fields: %v", err)
	}
	mapped := (f.SysFlag&message.SysFlagBornHostV6 != 0 && !f.BornHost.IsV6()) ||
		(f.SysFlag&message.SysFlagStoreHostV6 != 0 && !f.StoreHost.IsV6())
	if !mapped && !bytes.Equal(again, r) {
		t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, []byte(r))
	}
	if mapped {
		// The canonical form is 12 bytes shorter per mapped host and
		// decodes to the same fields with the host bits cleared.
		n, filler, err := message.Decode(again, true)
		if err != nil || filler || n != len(again) {
			t.Fatalf("re-encoded mapped-host record: %d, %v, %v", n, filler, err)
		}
		var g message.Fields
		message.Record(again).Fields(&g)
		want := f
		want.SysFlag = g.SysFlag
		want.BornHost, want.StoreHost = storedHost(f.BornHost), storedHost(f.StoreHost)
		if g.SysFlag != f.SysFlag&^(message.SysFlagBornHostV6|message.SysFlagStoreHostV6)|hostBits(g) || !reflect.DeepEqual(g, want) {
			t.Fatalf("re-encoded mapped-host record reads back as %+v, want %+v", g, want)
		}
	}
	// The encoder computes the same CRC as the one stored.
	f.HaveBodyCRC = false
	if again2, _ := message.AppendRecord(nil, &f); !bytes.Equal(again2, again) {
		t.Fatalf("re-encoding with a computed CRC differs")
	}
}

func hostBits(f message.Fields) int32 {
	var b int32
	if f.BornHost.IsV6() {
		b |= message.SysFlagBornHostV6
	}
	if f.StoreHost.IsV6() {
		b |= message.SysFlagStoreHostV6
	}
	return b
}

// javaValue looks key up with the reference parser of FuzzProperties.
func javaValue(props []byte, key string) []byte {
	pairs, _ := javaProperties(props)
	v, ok := javaLookup(pairs, key)
	if !ok {
		return nil
	}
	return []byte(v)
}

// normalizePeeks makes nil and empty slices compare equal.
func normalizePeeks(p peeks) peeks {
	for _, s := range []*[]byte{&p.Body, &p.Topic, &p.Properties, &p.Tags, &p.Keys, &p.UniqKey} {
		if len(*s) == 0 {
			*s = nil
		}
	}
	return p
}

// FuzzStoredRecord runs arbitrary bytes through message.Decode, the Record
// peeks and RecordIter, with CRC checking on, and asserts:
//   - no panic; errors are ErrUnwritten or *CorruptionError with a
//     documented reason and an offset within the input;
//   - peeks on the raw, unchecked bytes (and a truncation of them) return
//     views inside the record, never into the buffer's spare capacity;
//   - a record Decode accepts passes Check and CheckLayout; every peek
//     agrees with Fields and with the reference properties parser; its
//     offset message id round-trips through ParseOffsetID; re-encoding its
//     Fields with AppendRecord gives identical bytes (a 16-byte host field
//     with an IPv4-mapped address excepted: it comes back in the 4-byte
//     form, which must decode to the same values);
//   - every strict prefix of an accepted entry is ErrTruncated, a torn tail
//     and not damage;
//   - RecordIter yields Decode's records in order, stops with Err exactly
//     when Offset is short of the end, and its valid prefix re-iterates to
//     the same records with no error.
func FuzzStoredRecord(f *testing.F) {
	recs := sampleRecords(f)
	for _, r := range recs {
		f.Add(r)
	}
	var all []byte
	for _, r := range recs {
		all = append(all, r...)
	}
	f.Add(all)
	filler, _ := message.AppendFiller(nil, 64)
	f.Add(append(append([]byte(nil), recs[1]...), filler...))
	f.Add(append(append([]byte(nil), recs[1]...), make([]byte, 16)...)) // record then unwritten space
	f.Add(filler)
	f.Add(make([]byte, 8))
	bad := bytes.Clone(recs[1])
	bad[len(bad)-1] ^= 1 // properties byte: CRC still fine
	f.Add(bad)
	bad = bytes.Clone(recs[1])
	bad[100] ^= 1 // body byte: CRC mismatch
	f.Add(bad)
	// A record whose 16-byte BORNHOST holds an IPv4-mapped address.
	mapped := []byte(nil)
	mapped = append(mapped, recs[0][:36]...)
	mapped = append(mapped, 0, 0, 0, 0x10)
	mapped = append(mapped, recs[0][40:48]...)
	mapped = append(mapped, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1, 0, 0, 0x2a, 0x9f)
	mapped = append(mapped, recs[0][56:]...)
	mapped[3] += 12
	f.Add(mapped)
	// The captured batch body is not a record; it exercises the errors.
	f.Add(readTestdata(f, batchBodyPath))

	f.Fuzz(func(t *testing.T, data []byte) {
		buf := withSpareCap(data)
		peekAll(t, message.Record(buf))
		if len(buf) > 0 {
			peekAll(t, message.Record(buf[:len(buf)/2]))
		}

		n, filler, err := message.Decode(buf, true)
		if err != nil {
			checkDecodeError(t, "Decode", err, len(buf))
			if n != 0 || filler {
				t.Fatalf("Decode failed with %v but returned n=%d filler=%v", err, n, filler)
			}
			if n2, _, err2 := message.Decode(buf, false); err2 == nil && !errors.Is(err, message.ErrChecksum) {
				t.Fatalf("Decode fails with %v with CRC checking, accepts %d bytes without", err, n2)
			}
		} else {
			if filler && (n < message.FillerSize || !message.Record(buf).IsFiller()) {
				t.Fatalf("filler of %d bytes (IsFiller %v)", n, message.Record(buf).IsFiller())
			}
			if !filler {
				if n < message.MinRecordLen || n > len(buf) {
					t.Fatalf("Decode accepted a %d-byte record in %d bytes", n, len(buf))
				}
				checkRecord(t, message.Record(buf[:n]))
			}
			// A torn tail is ErrTruncated, whatever the cut.
			end := n
			if filler {
				end = message.FillerSize
			}
			for _, k := range []int{end - 1, end / 2, 7, 0} {
				if k < 0 || k >= end {
					continue
				}
				if _, _, err := message.Decode(buf[:k], true); !errors.Is(err, message.ErrTruncated) {
					t.Fatalf("Decode of the first %d of %d bytes: %v, want ErrTruncated", k, end, err)
				}
			}
		}

		// RecordIter.
		it := message.NewRecordIter(buf, true)
		var got []message.Record
		off := 0
		for r, ok := it.Next(); ok; r, ok = it.Next() {
			n, filler, err := message.Decode(buf[off:], true)
			if err != nil || filler || n != len(r) || !within(r, buf[off:off+n]) || !capped(r, buf[off:off+n]) {
				t.Fatalf("RecordIter record %d at %d (%d bytes) is not what Decode finds there: %d, %v, %v",
					len(got), off, len(r), n, filler, err)
			}
			got = append(got, r)
			off += len(r)
			if it.Offset() != off {
				t.Fatalf("RecordIter.Offset() = %d after %d records, want %d", it.Offset(), len(got), off)
			}
		}
		if it.Offset() != off {
			t.Fatalf("RecordIter.Offset() = %d at the end, want %d", it.Offset(), off)
		}
		if (it.Err() == nil) != (off == len(buf)) {
			t.Fatalf("RecordIter stopped at %d of %d with error %v", off, len(buf), it.Err())
		}
		if err := it.Err(); err != nil {
			checkDecodeError(t, "RecordIter", err, len(buf))
			var ce *message.CorruptionError
			if errors.As(err, &ce) && ce.Offset < off {
				t.Fatalf("RecordIter error offset %d before the bad entry at %d", ce.Offset, off)
			}
		}
		if err == nil && !filler && len(got) == 0 {
			t.Fatalf("Decode accepts a %d-byte record, RecordIter yields none: %v", n, it.Err())
		}
		if len(got) > 0 && (err != nil || filler || len(got[0]) != n) {
			t.Fatalf("RecordIter's first record has %d bytes; Decode: %d, %v, %v", len(got[0]), n, filler, err)
		}
		// The valid prefix re-iterates to the same records, cleanly.
		it2 := message.NewRecordIter(buf[:off], true)
		for i := 0; ; i++ {
			r, ok := it2.Next()
			if !ok {
				if i != len(got) || it2.Err() != nil {
					t.Fatalf("valid prefix re-iterated to %d records, error %v; want %d", i, it2.Err(), len(got))
				}
				break
			}
			if i >= len(got) || !bytes.Equal(r, got[i]) {
				t.Fatalf("valid prefix record %d differs", i)
			}
		}
	})
}

// FuzzRecordFields generates records from fuzzed field values (random bytes
// rarely form a record with a good CRC) and asserts:
//   - EncodedLen, AppendRecord and PutRecord agree on the length and on the
//     errors for a topic or properties too long for the version;
//   - the encoding decodes with CRC checking to the same fields: hosts as
//     stored (IPv4-mapped → IPv4, zone dropped, zero → 0.0.0.0), sysFlag
//     with the host bits derived from the hosts, BodyCRC = Checksum(body);
//     and every peek agrees;
//   - a caller-supplied BodyCRC is written as is, and checked by Decode;
//   - AppendRecord keeps dst's bytes; PutRecord into a short buffer fails
//     with ErrShortBuffer and writes nothing;
//   - two records back to back iterate as two; the offset id round-trips;
//   - re-encoding the decoded fields gives identical bytes.
func FuzzRecordFields(f *testing.F) {
	f.Add(uint8(0), int32(0), int32(0), int32(0), int64(0), int64(0), int64(0), int64(0), []byte{}, int32(0),
		[]byte{}, int32(0), int32(0), int64(0), []byte{}, []byte{}, []byte{}, uint32(0), false)
	f.Add(uint8(0), int32(message.SysFlagMultiTags), int32(3), int32(7), int64(42), int64(0x1234), int64(1700000000000),
		int64(1700000000001), []byte{192, 168, 1, 10}, int32(10911), []byte{10, 0, 0, 1}, int32(10911), int32(1), int64(0),
		[]byte("TopicTest"), []byte("Hello RocketMQ"), []byte("TAGS\x01TagA\x02KEYS\x01k1 k2\x02"), uint32(0), false)
	f.Add(uint8(1), int32(-1), int32(-1), int32(-1), int64(-1), int64(-1), int64(-1), int64(-1),
		[]byte{0x20, 0x01, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, int32(-1),
		[]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}, int32(65536), int32(16), int64(99),
		[]byte(strings.Repeat("t", 200)), []byte{0}, []byte("\x01\x02"), uint32(0x7fffffff), true)
	f.Add(uint8(0), int32(0x30), int32(0), int32(0), int64(0), int64(0), int64(0), int64(0),
		[]byte{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 7}, int32(1), []byte{1, 2, 3}, int32(2), int32(0), int64(0),
		[]byte(strings.Repeat("t", 128)), []byte("body"), []byte("a\x01b"), uint32(0), false)

	f.Fuzz(func(t *testing.T, version uint8, sysFlag, queueID, flag int32, queueOffset, physOffset, bornTS, storeTS int64,
		bornIP []byte, bornPort int32, storeIP []byte, storePort int32, reconsume int32, prepared int64,
		topic, body, props []byte, crc uint32, haveCRC bool) {
		in := message.Fields{
			Version: message.Version(version % 2), QueueID: queueID, Flag: flag, QueueOffset: queueOffset,
			PhysicalOffset: physOffset, SysFlag: sysFlag, BornTimestamp: bornTS, BornHost: hostFromBytes(bornIP, bornPort),
			StoreTimestamp: storeTS, StoreHost: hostFromBytes(storeIP, storePort), ReconsumeTimes: reconsume,
			PreparedTransactionOffset: prepared, Topic: topic, Body: body, Properties: props,
			BodyCRC: crc, HaveBodyCRC: haveCRC,
		}
		maxTopic := message.MaxTopicLenV1
		if in.Version == message.V2 {
			maxTopic = message.MaxTopicLenV2
		}
		n, err := in.EncodedLen()
		rec, appendErr := message.AppendRecord([]byte("dst"), &in)
		switch {
		case len(topic) > maxTopic:
			if err != message.ErrTopicTooLong || appendErr != err {
				t.Fatalf("topic of %d bytes in %v: EncodedLen %v, AppendRecord %v; want ErrTopicTooLong", len(topic), in.Version, err, appendErr)
			}
			return
		case len(props) > message.MaxPropertiesLen:
			if err != message.ErrPropertiesTooLong || appendErr != err {
				t.Fatalf("properties of %d bytes: EncodedLen %v, AppendRecord %v", len(props), err, appendErr)
			}
			return
		case err != nil || appendErr != nil:
			t.Fatalf("EncodedLen: %v, AppendRecord: %v", err, appendErr)
		}
		if string(rec[:3]) != "dst" || len(rec) != 3+n {
			t.Fatalf("AppendRecord onto dst: %d bytes, want 3 + %d, prefix %q", len(rec), n, rec[:min(3, len(rec))])
		}
		rec = rec[3:]
		wantLen := 91 + len(body) + len(topic) + len(props) + int(in.Version)
		if in.BornHost.IsV6() {
			wantLen += 12
		}
		if in.StoreHost.IsV6() {
			wantLen += 12
		}
		if n != wantLen {
			t.Fatalf("EncodedLen = %d, spec §4.1 gives %d", n, wantLen)
		}
		// PutRecord writes the same bytes, and nothing into a short buffer.
		put := make([]byte, n+5)
		if m, err := message.PutRecord(put, &in); err != nil || m != n || !bytes.Equal(put[:n], rec) {
			t.Fatalf("PutRecord = %d, %v; differs from AppendRecord", m, err)
		}
		short := bytes.Repeat([]byte{0xEE}, n-1)
		if m, err := message.PutRecord(short, &in); err != message.ErrShortBuffer || m != 0 || bytes.Count(short, []byte{0xEE}) != n-1 {
			t.Fatalf("PutRecord into %d bytes = %d, %v, or wrote into it", n-1, m, err)
		}

		wantCRC := message.Checksum(body)
		if haveCRC {
			wantCRC = crc
		}
		got, _, err := message.Decode(withSpareCap(rec), true)
		if haveCRC && crc != message.Checksum(body) {
			if !errors.Is(err, message.ErrChecksum) {
				t.Fatalf("record with a wrong caller CRC: Decode %v, want ErrChecksum", err)
			}
			if _, _, err := message.Decode(rec, false); err != nil {
				t.Fatalf("record with a wrong caller CRC fails the layout check: %v", err)
			}
			if message.Record(rec).BodyCRC() != crc {
				t.Fatalf("caller CRC %#x not written as is", crc)
			}
			return
		}
		if err != nil || got != n {
			t.Fatalf("Decode of an encoded record: %d, %v", got, err)
		}
		r := message.Record(withSpareCap(rec))
		checkRecord(t, r)

		var out message.Fields
		r.Fields(&out)
		want := in
		want.BornHost, want.StoreHost = storedHost(in.BornHost), storedHost(in.StoreHost)
		want.SysFlag = in.SysFlag&^(message.SysFlagBornHostV6|message.SysFlagStoreHostV6) | hostBits(in)
		want.BodyCRC, want.HaveBodyCRC = wantCRC, true
		for _, s := range []*[]byte{&want.Topic, &want.Body, &want.Properties, &out.Topic, &out.Body, &out.Properties} {
			if len(*s) == 0 {
				*s = nil
			}
		}
		if !reflect.DeepEqual(out, want) {
			t.Fatalf("decoded fields differ:\n got %+v\nwant %+v", out, want)
		}
		again, err := message.AppendRecord(nil, &out)
		if err != nil || !bytes.Equal(again, rec) {
			t.Fatalf("re-encoding the decoded fields differs (%v)", err)
		}

		// Two back to back.
		two := append(append([]byte(nil), rec...), rec...)
		it := message.NewRecordIter(two, true)
		r1, ok1 := it.Next()
		r2, ok2 := it.Next()
		_, ok3 := it.Next()
		if !ok1 || !ok2 || ok3 || it.Err() != nil || !bytes.Equal(r1, rec) || !bytes.Equal(r2, rec) || it.Offset() != len(two) {
			t.Fatalf("two records back to back: %v %v %v, err %v, offset %d", ok1, ok2, ok3, it.Err(), it.Offset())
		}
	})
}
