package message_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/quivermq/quiver/message"
)

func TestBatchGolden(t *testing.T) {
	got, err := message.AppendBatchItem(nil, 5, []byte("hi"), []byte("K\x01v\x02"))
	if err != nil {
		t.Fatal(err)
	}
	// TOTALSIZE 28 = 22 + 2 + 4 | MAGICCODE 0 | BODYCRC 0 | FLAG | BODYLEN | BODY | PROPLEN | PROPERTIES
	want := unhex(t, "0000001C 00000000 00000000 00000005 00000002 6869 0004 4B017602")
	if !bytes.Equal(got, want) {
		t.Fatalf("got %X\nwant %X", got, want)
	}
	if message.BatchItemLen(2, 4) != len(want) {
		t.Fatal("BatchItemLen")
	}
}

type batchItem struct {
	flag        int32
	body, props string
}

func encodeBatch(t testing.TB, items []batchItem) []byte {
	var b []byte
	for _, it := range items {
		var err error
		b, err = message.AppendBatchItem(b, it.flag, []byte(it.body), []byte(it.props))
		if err != nil {
			t.Fatal(err)
		}
	}
	return b
}

var batchItems = []batchItem{
	{0, "", ""},
	{1, "a", "TAGS\x01x\x02"},
	{-1, string(bytes.Repeat([]byte{0xFF}, 300)), "KEYS\x01a b\x02TAGS\x01y\x02"},
	{7, "body", ""},
}

func TestBatchIter(t *testing.T) {
	body := encodeBatch(t, batchItems)
	it := message.NewBatchIter(body)
	var item message.BatchItem
	i := 0
	for it.Next(&item) {
		w := batchItems[i]
		if item.Flag != w.flag || string(item.Body) != w.body || string(item.Properties) != w.props || item.Magic != 0 || item.BodyCRC != 0 {
			t.Fatalf("item %d = %+v, want %+v", i, item, w)
		}
		if cap(item.Body) != len(item.Body) || cap(item.Properties) != len(item.Properties) {
			t.Fatalf("item %d: uncapped views", i)
		}
		i++
	}
	if it.Err() != nil || i != len(batchItems) || it.Count() != i || it.Offset() != len(body) {
		t.Fatalf("got %d items, err %v", i, it.Err())
	}
	if n, err := message.CheckBatch(body); n != len(batchItems) || err != nil {
		t.Fatalf("CheckBatch = %d, %v", n, err)
	}
	if n, err := message.CheckBatch(nil); n != 0 || err != nil {
		t.Fatalf("CheckBatch(nil) = %d, %v", n, err)
	}
}

// TestBatchTruncation cuts a batch at every byte: a cut on an item boundary
// is a shorter valid batch, any other cut is ErrTruncated for the item cut.
func TestBatchTruncation(t *testing.T) {
	body := encodeBatch(t, batchItems)
	bounds := map[int]int{0: 0}
	off := 0
	for i, it := range batchItems {
		off += message.BatchItemLen(len(it.body), len(it.props))
		bounds[off] = i + 1
	}
	for cut := 0; cut < len(body); cut++ {
		n, err := message.CheckBatch(body[:cut])
		if items, ok := bounds[cut]; ok {
			if err != nil || n != items {
				t.Fatalf("cut %d at boundary: %d, %v", cut, n, err)
			}
			continue
		}
		var ce *message.CorruptionError
		if !errors.Is(err, message.ErrTruncated) || !errors.As(err, &ce) || ce.Item != n {
			t.Fatalf("cut %d: %d items, %v", cut, n, err)
		}
	}
}

func TestBatchMalformed(t *testing.T) {
	good := encodeBatch(t, batchItems[1:2]) // 22 + 1 + 7 = 30 bytes
	put32 := func(b []byte, off int, v uint32) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	for _, tc := range []struct {
		name   string
		mutate func([]byte) []byte
		reason error
		field  string
	}{
		{"total-small", func(b []byte) []byte { put32(b, 0, 21); return b }, message.ErrBadLength, "TOTALSIZE"},
		{"total-negative", func(b []byte) []byte { put32(b, 0, 0x80000000); return b }, message.ErrBadLength, "TOTALSIZE"},
		{"total-past-end", func(b []byte) []byte { put32(b, 0, 31); return b }, message.ErrTruncated, "TOTALSIZE"},
		{"total-mismatch", func(b []byte) []byte { put32(b, 0, 31); return append(b, 0) }, message.ErrSizeMismatch, "TOTALSIZE"},
		{"bodylen-negative", func(b []byte) []byte { put32(b, 16, 0xFFFFFFFF); return b }, message.ErrBadLength, "BODYLEN"},
		{"bodylen-huge", func(b []byte) []byte { put32(b, 16, 9); return b }, message.ErrBadLength, "BODYLEN"},
		{"proplen-negative", func(b []byte) []byte { b[21] = 0xFF; return b }, message.ErrBadLength, "PROPLEN"},
		{"proplen-long", func(b []byte) []byte { b[22] = 8; return b }, message.ErrBadLength, "PROPLEN"},
		{"proplen-short", func(b []byte) []byte { b[22] = 6; return b }, message.ErrSizeMismatch, "TOTALSIZE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Put a good item first so the error names item 1 at offset 30.
			b := append(append([]byte(nil), good...), tc.mutate(append([]byte(nil), good...))...)
			n, err := message.CheckBatch(b)
			var ce *message.CorruptionError
			if n != 1 || !errors.Is(err, tc.reason) || !errors.As(err, &ce) || ce.Field != tc.field || ce.Item != 1 || ce.Offset < len(good) {
				t.Fatalf("CheckBatch = %d, %v (%+v)", n, err, ce)
			}
			want := fmt.Sprintf("message: malformed batch item 1: %s at offset %d", tc.field, ce.Offset)
			if !bytes.HasPrefix([]byte(err.Error()), []byte(want)) {
				t.Fatalf("error %q, want prefix %q", err, want)
			}
		})
	}
	// Magic and CRC are not checked.
	b := append([]byte(nil), good...)
	put32(b, 4, 0xDEADBEEF)
	put32(b, 8, 1)
	if n, err := message.CheckBatch(b); n != 1 || err != nil {
		t.Fatalf("magic/crc ignored: %d, %v", n, err)
	}
}

func TestAppendBatchItemLimits(t *testing.T) {
	if _, err := message.AppendBatchItem(nil, 0, nil, make([]byte, message.MaxPropertiesLen+1)); !errors.Is(err, message.ErrPropertiesTooLong) {
		t.Fatalf("props: %v", err)
	}
}

func FuzzBatchIter(f *testing.F) {
	f.Add(encodeBatch(f, batchItems))
	f.Add([]byte{0, 0, 0, 22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		it := message.NewBatchIter(body)
		var item message.BatchItem
		var again []byte
		for it.Next(&item) {
			again, _ = message.AppendBatchItem(again, item.Flag, item.Body, item.Properties)
		}
		// The valid prefix re-encodes identically, less MAGICCODE and BODYCRC.
		prefix := body[:it.Offset()]
		if len(again) != len(prefix) {
			t.Fatalf("re-encoded %d bytes of %d", len(again), len(prefix))
		}
		if (it.Err() == nil) != (it.Offset() == len(body)) {
			t.Fatalf("err %v at offset %d of %d", it.Err(), it.Offset(), len(body))
		}
	})
}

// TestBatchClientGoCapture walks the batch body client-go v2.1.2 put on the
// wire for SendSync of three messages, captured by the interop suite
// (interop/capture_test.go, -update rewrites it).
func TestBatchClientGoCapture(t *testing.T) {
	body, err := os.ReadFile("testdata/clientgo_batch_body.bin")
	if err != nil {
		t.Fatal(err)
	}
	it := message.NewBatchIter(body)
	var item message.BatchItem
	for it.Next(&item) {
		i := it.Count() - 1
		tags, _ := message.Property(item.Properties, message.PropertyTags)
		keys, _ := message.Property(item.Properties, message.PropertyKeys)
		if string(item.Body) != fmt.Sprintf("batch body %d", i) || string(tags) != "TagB" || string(keys) != fmt.Sprintf("key-%d", i) {
			t.Errorf("item %d: body %q tags %q keys %q", i, item.Body, tags, keys)
		}
	}
	if it.Err() != nil || it.Count() == 0 {
		t.Fatalf("%d items, %v", it.Count(), it.Err())
	}
}
