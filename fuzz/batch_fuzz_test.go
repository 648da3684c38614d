package fuzz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/quivermq/quiver/message"
)

// batchItems iterates body, asserting the iterator's bookkeeping, and
// returns the items, the offset where it stopped and its error.
func batchItems(t *testing.T, body []byte) ([]message.BatchItem, int, error) {
	it := message.NewBatchIter(body)
	var items []message.BatchItem
	off := 0
	for {
		var item message.BatchItem
		if !it.Next(&item) {
			break
		}
		size := message.BatchItemLen(len(item.Body), len(item.Properties))
		if off+size > len(body) || it.Offset() != off+size || it.Count() != len(items)+1 {
			t.Fatalf("item %d at %d: %d bytes, Offset() %d, Count() %d", len(items), off, size, it.Offset(), it.Count())
		}
		extent := body[off : off+size]
		if !capped(item.Body, extent) || !capped(item.Properties, extent) {
			t.Fatalf("item %d: body or properties is not a capped view inside the item", len(items))
		}
		items = append(items, item)
		off += size
	}
	var dummy message.BatchItem
	if it.Next(&dummy) {
		t.Fatalf("BatchIter yields after reporting the end")
	}
	if it.Offset() != off || it.Count() != len(items) {
		t.Fatalf("BatchIter at the end: Offset() %d, Count() %d; want %d, %d", it.Offset(), it.Count(), off, len(items))
	}
	return items, off, it.Err()
}

// FuzzBatchBody runs arbitrary bytes through message.NewBatchIter and
// asserts:
//   - no panic; the iterator's Offset and Count track the items; item
//     bodies and properties are capped views inside their item;
//   - it stops with an error exactly when it stops short of the end, and
//     the error is a *CorruptionError with a documented reason, Item the
//     index of the bad item and Offset within it; CheckBatch agrees;
//   - re-encoding every item with AppendBatchItem reproduces the bytes
//     iterated, exactly, once MAGICCODE and BODYCRC are patched back
//     (AppendBatchItem writes 0 for both, as client-go does; the iterator
//     ignores them, as Java does); with both 0 in every item, as client-go
//     sends them, no patch is needed, so a whole valid body is reproduced
//     as is;
//   - the valid prefix re-iterates to the same items with no error.
func FuzzBatchBody(f *testing.F) {
	captured := readTestdata(f, batchBodyPath)
	f.Add(captured)
	_, _, frameBody := splitFrameParts(f, readTestdata(f, sendBatchFramePath))
	f.Add(frameBody)
	f.Add(captured[:len(captured)-1])                // torn last item
	f.Add(append(bytes.Clone(captured), 0, 0, 0, 1)) // trailing junk
	f.Add([]byte{})
	one, _ := message.AppendBatchItem(nil, -1, nil, nil)
	f.Add(one)
	two, _ := message.AppendBatchItem(bytes.Clone(one), 7, []byte("body"), []byte("a\x01b\x02"))
	f.Add(two)
	nonzero := bytes.Clone(two)
	copy(nonzero[4:12], "\xda\xa3\x20\xa7\x12\x34\x56\x78") // magic and CRC set by some other sender
	f.Add(nonzero)
	neg := bytes.Clone(one)
	binary.BigEndian.PutUint32(neg[16:], 0xFFFFFFFF) // negative BODYLEN
	f.Add(neg)
	negProp := bytes.Clone(one)
	negProp[20] = 0x80 // negative PROPLEN
	f.Add(negProp)
	short := bytes.Clone(one)
	short[3] = 21 // TOTALSIZE below the fixed part
	f.Add(short)

	f.Fuzz(func(t *testing.T, data []byte) {
		body := withSpareCap(data)
		items, off, err := batchItems(t, body)
		if (err == nil) != (off == len(body)) {
			t.Fatalf("BatchIter stopped at %d of %d with error %v", off, len(body), err)
		}
		if err != nil {
			var ce *message.CorruptionError
			if !errors.As(err, &ce) || !errorsIsAny(err, corruptionReasons...) {
				t.Fatalf("BatchIter: undocumented error %v", err)
			}
			if ce.Item != len(items) || ce.Offset < off || ce.Offset > len(body) {
				t.Fatalf("BatchIter error at item %d offset %d; the bad item is %d at %d: %v", ce.Item, ce.Offset, len(items), off, err)
			}
		}
		if n, cerr := message.CheckBatch(body); n != len(items) || !sameError(cerr, err) {
			t.Fatalf("CheckBatch = %d, %v; iteration found %d, %v", n, cerr, len(items), err)
		}

		// Re-encode.
		var re []byte
		allZero := true
		for i, item := range items {
			start := len(re)
			var aerr error
			if re, aerr = message.AppendBatchItem(re, item.Flag, item.Body, item.Properties); aerr != nil {
				t.Fatalf("re-encoding item %d: %v", i, aerr)
			}
			if item.Magic != 0 || item.BodyCRC != 0 {
				allZero = false
				binary.BigEndian.PutUint32(re[start+4:], item.Magic)
				binary.BigEndian.PutUint32(re[start+8:], item.BodyCRC)
			}
		}
		if !bytes.Equal(re, body[:off]) {
			t.Fatalf("re-encoded items differ from the %d bytes iterated:\n got %x\nwant %x", off, re, body[:off])
		}
		if allZero && err == nil && !bytes.Equal(re, data) {
			t.Fatalf("a valid body with zero magic and CRC is not reproduced as is")
		}

		// The valid prefix re-iterates cleanly to the same items.
		again, off2, err2 := batchItems(t, body[:off])
		if err2 != nil || off2 != off || len(again) != len(items) {
			t.Fatalf("valid prefix re-iterated to %d items, offset %d, error %v; want %d items", len(again), off2, err2, len(items))
		}
		for i := range items {
			a, b := again[i], items[i]
			if a.Magic != b.Magic || a.BodyCRC != b.BodyCRC || a.Flag != b.Flag ||
				!bytes.Equal(a.Body, b.Body) || !bytes.Equal(a.Properties, b.Properties) {
				t.Fatalf("valid prefix item %d differs", i)
			}
		}
	})
}

// sameError reports whether two errors from walking the same body describe
// the same failure.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Error() == b.Error()
}
