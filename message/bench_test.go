package message_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"

	"github.com/quivermq/quiver/message"
)

var benchSizes = []int{128, 1024, 16 << 10}

// benchProps is a typical stored properties string: what client-go sends
// plus what the broker adds.
func benchProps() []byte {
	var p []byte
	p = message.AppendProperty(p, message.PropertyKeys, "order-20240305-000123 user-42")
	p = message.AppendProperty(p, message.PropertyTags, "TagA")
	p = message.AppendProperty(p, message.PropertyWaitStoreMsgOK, "true")
	p = message.AppendProperty(p, message.PropertyUniqKey, "C0A8010A1F2E0000000069EA36480001")
	p = message.AppendProperty(p, message.PropertyCluster, "DefaultCluster")
	p = message.AppendProperty(p, message.PropertyMinOffset, "0")
	return p
}

func benchFields(size int) message.Fields {
	return message.Fields{
		QueueID:        2,
		QueueOffset:    123456,
		PhysicalOffset: 1 << 32,
		BornTimestamp:  1700000000000,
		BornHost:       host("10.0.0.1:50000"),
		StoreTimestamp: 1700000000001,
		StoreHost:      host("192.168.1.10:10911"),
		Topic:          []byte("BenchmarkTopic"),
		Body:           bytes.Repeat([]byte("x"), size),
		Properties:     benchProps(),
	}
}

func BenchmarkPutRecord(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			f := benchFields(size)
			n, _ := f.EncodedLen()
			buf := make([]byte, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := message.PutRecord(buf, &f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPutRecordPrecomputedCRC is the encode left under the engine's
// lock when the CRC is computed before it.
func BenchmarkPutRecordPrecomputedCRC(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			f := benchFields(size)
			f.BodyCRC, f.HaveBodyCRC = message.Checksum(f.Body), true
			n, _ := f.EncodedLen()
			buf := make([]byte, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := message.PutRecord(buf, &f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var sinkInt int64

func BenchmarkPeek(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			f := benchFields(size)
			rec, _ := message.AppendRecord(nil, &f)
			r := message.Record(rec)
			b.SetBytes(int64(len(rec)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sinkInt += int64(len(r.Topic())+len(r.Tags())+len(r.Keys())) + r.StoreTimestamp()
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			f := benchFields(size)
			rec, _ := message.AppendRecord(nil, &f)
			r := message.Record(rec)
			b.SetBytes(int64(len(rec)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := r.Check(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkProperty(b *testing.B) {
	props := benchProps()
	for _, key := range []string{message.PropertyTags, message.PropertyUniqKey, "ABSENT"} {
		b.Run(key, func(b *testing.B) {
			b.SetBytes(int64(len(props)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, _ := message.Property(props, key)
				sinkInt += int64(len(v))
			}
		})
	}
}

// BenchmarkDispatchProperties is the dispatcher's lookup of TAGS, KEYS
// and UNIQ_KEY for one record: one pass, against the three Property calls
// it replaced.
func BenchmarkDispatchProperties(b *testing.B) {
	props := benchProps()
	b.Run("one-pass", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			t, k, u := message.DispatchProperties(props)
			sinkInt += int64(len(t) + len(k) + len(u))
		}
	})
	b.Run("three-Property", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			t, _ := message.Property(props, message.PropertyTags)
			k, _ := message.Property(props, message.PropertyKeys)
			u, _ := message.Property(props, message.PropertyUniqKey)
			sinkInt += int64(len(t) + len(k) + len(u))
		}
	})
}

func BenchmarkBatchIter32(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			body := bytes.Repeat([]byte("x"), size)
			props := message.AppendProperty(nil, message.PropertyTags, "TagA")
			var batch []byte
			for i := 0; i < 32; i++ {
				batch, _ = message.AppendBatchItem(batch, 0, body, props)
			}
			b.SetBytes(int64(len(batch)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				it := message.NewBatchIter(batch)
				var item message.BatchItem
				for it.Next(&item) {
					sinkInt += int64(len(item.Body))
				}
				if it.Err() != nil || it.Count() != 32 {
					b.Fatal(it.Err())
				}
			}
		})
	}
}

func BenchmarkJavaHashCode(b *testing.B) {
	for _, s := range []string{"TagA", "标签", "order-20240305-000123"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sinkInt += message.TagsCode(s)
			}
		})
	}
}

func BenchmarkUniqID(b *testing.B) {
	g := message.NewUniqIDGenerator(message.UniqIDConfig{IP: netip.MustParseAddr("10.0.0.1")})
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 64)
		for pb.Next() {
			buf = g.Append(buf[:0])
		}
	})
	_ = buf
}

func BenchmarkAppendOffsetID(b *testing.B) {
	h := host("192.168.1.10:10911")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = message.AppendOffsetID(buf[:0], h, int64(i))
	}
}
