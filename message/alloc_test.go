package message_test

import (
	"net/netip"
	"testing"

	"github.com/quivermq/quiver/message"
)

// TestZeroAllocs pins the allocation-free claims of the package doc.
func TestZeroAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	f := recordCases()[7] // v1, IPv4, 1000-byte body, topic "T"
	n, _ := f.EncodedLen()
	buf := make([]byte, n)
	rec, _ := message.AppendRecord(nil, &f)
	r := message.Record(rec)
	batch := encodeBatch(t, batchItems)
	props := r.Properties()
	gen := message.NewUniqIDGenerator(message.UniqIDConfig{IP: netip.MustParseAddr("10.0.0.1")})
	idBuf := make([]byte, 0, 64)
	const oid = "C0A8010A00002A9F0000000000001234"
	var sink int64

	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"PutRecord", func() { _, _ = message.PutRecord(buf, &f) }},
		{"AppendRecord", func() { _, _ = message.AppendRecord(buf[:0], &f) }},
		{"EncodedLen", func() { _, _ = f.EncodedLen() }},
		{"Patch", func() { r.SetQueueOffset(1); r.SetPhysicalOffset(2); r.SetStoreTimestamp(3) }},
		{"Decode", func() { _, _, _ = message.Decode(rec, true) }},
		{"Check", func() { _ = r.Check() }},
		{"FixedPeeks", func() {
			sink += int64(r.TotalSize()) + int64(r.QueueID()) + int64(r.Flag()) + r.QueueOffset() +
				r.PhysicalOffset() + int64(r.SysFlag()) + r.BornTimestamp() + r.StoreTimestamp() +
				int64(r.ReconsumeTimes()) + r.PreparedTransactionOffset() + int64(r.Magic()) + int64(r.BodyCRC())
		}},
		{"Fields", func() { var fl message.Fields; r.Fields(&fl) }},
		{"HostPeeks", func() { _, _ = r.BornHost(), r.StoreHost() }},
		{"VariablePeeks", func() { _, _, _ = r.Body(), r.Topic(), r.Properties() }},
		{"PropertyPeeks", func() { _, _, _ = r.Tags(), r.Keys(), r.UniqKey(); sink += r.TagsCode() }},
		{"Property", func() { _, _ = message.Property(props, message.PropertyUniqKey) }},
		{"PropertyIter", func() {
			it := message.NewPropertyIter(props)
			for _, _, ok := it.Next(); ok; _, _, ok = it.Next() {
			}
		}},
		{"AllProperties", func() {
			for range message.AllProperties(props) {
			}
		}},
		{"AppendPropertiesExcept", func() {
			_ = message.AppendPropertiesExcept(idBuf[:0], props, message.PropertyWaitStoreMsgOK, message.PropertyKeys)
		}},
		{"AppendProperty", func() { _ = message.AppendProperty(idBuf[:0], message.PropertyCluster, r.Topic()) }},
		{"BatchIter", func() {
			it := message.NewBatchIter(batch)
			var item message.BatchItem
			for it.Next(&item) {
			}
		}},
		{"RecordIter", func() {
			it := message.NewRecordIter(rec, true)
			for _, ok := it.Next(); ok; _, ok = it.Next() {
			}
		}},
		{"AppendOffsetID", func() { _ = r.AppendOffsetID(idBuf[:0]) }},
		{"ParseOffsetID", func() { _, _, _ = message.ParseOffsetID(oid) }},
		{"UniqIDAppend", func() { _ = gen.Append(idBuf[:0]) }},
		{"JavaHashCode", func() { sink += int64(message.JavaHashCode("标签😀tagA")) }},
		{"IndexKeyHash", func() { sink += int64(message.IndexKeyHash(r.Topic(), r.UniqKey())) }},
	} {
		if a := testing.AllocsPerRun(100, tc.fn); a != 0 {
			t.Errorf("%s: %v allocs, want 0", tc.name, a)
		}
	}
	_ = sink
}
