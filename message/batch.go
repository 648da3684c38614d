package message

import (
	"encoding/binary"
	"math"
	"slices"
)

// batchFixedLen is the length of a batch item less its body and
// properties: TOTALSIZE, MAGICCODE, BODYCRC, FLAG, BODYLEN, PROPLEN.
// Format, never change.
const batchFixedLen = 4 + 4 + 4 + 4 + 4 + 2

// BatchItem is one message of a SEND_BATCH_MESSAGE body. Body and
// Properties alias the batch body.
type BatchItem struct {
	// Magic and BodyCRC are what the sender wrote; senders write 0 and the
	// Java broker ignores both (it computes the CRC itself).
	Magic   uint32
	BodyCRC uint32
	Flag    int32
	Body    []byte
	// Properties are the item's own; the broker appends the batch-level
	// ones (see JoinProperties).
	Properties []byte
}

// BatchItemLen returns the encoded length of an item with the given body and
// properties lengths.
func BatchItemLen(bodyLen, propsLen int) int {
	return batchFixedLen + bodyLen + propsLen
}

// AppendBatchItem appends one batch item (the layout client-go's
// Message.Marshal and Java's MessageDecoder.encodeMessage write: MAGICCODE
// and BODYCRC 0) to dst. It fails with ErrPropertiesTooLong or
// ErrRecordTooLarge.
func AppendBatchItem(dst []byte, flag int32, body, props []byte) ([]byte, error) {
	if len(props) > MaxPropertiesLen {
		return dst, ErrPropertiesTooLong
	}
	if len(body) > math.MaxInt32-batchFixedLen-len(props) {
		return dst, ErrRecordTooLarge
	}
	n := BatchItemLen(len(body), len(props))
	dst = slices.Grow(dst, n)
	be := binary.BigEndian
	dst = be.AppendUint32(dst, uint32(n))
	dst = be.AppendUint32(dst, 0)
	dst = be.AppendUint32(dst, 0)
	dst = be.AppendUint32(dst, uint32(flag))
	dst = be.AppendUint32(dst, uint32(len(body)))
	dst = append(dst, body...)
	dst = be.AppendUint16(dst, uint16(len(props)))
	return append(dst, props...), nil
}

// BatchIter walks the items of a SEND_BATCH_MESSAGE body without copying.
// Every length is bounds-checked: the item's TOTALSIZE must equal the sum
// of its fields and lie within the body, BODYLEN and PROPLEN must be
// non-negative. MAGICCODE and BODYCRC are not checked (Java ignores them).
//
//	it := message.NewBatchIter(body)
//	var item message.BatchItem
//	for it.Next(&item) {
//		...
//	}
//	if err := it.Err(); err != nil { ... }
//
// The first malformed item stops the iteration; Err then returns a
// *CorruptionError with Item set to its index and Offset relative to the
// start of the body. A BatchIter is not safe for concurrent use.
type BatchIter struct {
	buf []byte
	off int
	n   int
	err error
}

// NewBatchIter returns an iterator over the items of body.
func NewBatchIter(body []byte) BatchIter { return BatchIter{buf: body} }

// Next decodes the next item into item and reports whether there was one.
func (it *BatchIter) Next(item *BatchItem) bool {
	if it.err != nil || it.off >= len(it.buf) {
		return false
	}
	b := it.buf[it.off:]
	if len(b) < batchFixedLen {
		return it.fail("TOTALSIZE", 0, ErrTruncated, int64(len(b)), batchFixedLen)
	}
	be := binary.BigEndian
	total := int(int32(be.Uint32(b)))
	if total < batchFixedLen {
		return it.fail("TOTALSIZE", 0, ErrBadLength, int64(total), batchFixedLen)
	}
	if total > len(b) {
		return it.fail("TOTALSIZE", 0, ErrTruncated, int64(len(b)), int64(total))
	}
	b = b[:total:total]
	bodyLen := int(int32(be.Uint32(b[16:])))
	if bodyLen < 0 || bodyLen > total-batchFixedLen {
		return it.fail("BODYLEN", 16, ErrBadLength, int64(bodyLen), int64(total-batchFixedLen))
	}
	p := 20 + bodyLen
	propLen := int(int16(be.Uint16(b[p:])))
	if propLen < 0 || propLen > total-p-2 {
		return it.fail("PROPLEN", p, ErrBadLength, int64(propLen), int64(total-p-2))
	}
	if end := p + 2 + propLen; end != total {
		return it.fail("TOTALSIZE", 0, ErrSizeMismatch, int64(total), int64(end))
	}
	*item = BatchItem{
		Magic:      be.Uint32(b[4:]),
		BodyCRC:    be.Uint32(b[8:]),
		Flag:       int32(be.Uint32(b[12:])),
		Body:       b[20 : 20+bodyLen : 20+bodyLen],
		Properties: b[p+2 : total : total],
	}
	it.off += total
	it.n++
	return true
}

//go:noinline
func (it *BatchIter) fail(field string, off int, reason error, got, want int64) bool {
	it.err = &CorruptionError{Field: field, Offset: it.off + off, Item: it.n, Reason: reason, Got: got, Want: want}
	return false
}

// Err returns the error that stopped the iteration, or nil.
func (it *BatchIter) Err() error { return it.err }

// Count returns the number of items decoded so far.
func (it *BatchIter) Count() int { return it.n }

// Offset returns the offset of the next item in the body.
func (it *BatchIter) Offset() int { return it.off }

// CheckBatch walks the whole body and returns the number of items, or the
// first error. An empty body has no items and no error.
func CheckBatch(body []byte) (int, error) {
	it := NewBatchIter(body)
	var item BatchItem
	for it.Next(&item) {
	}
	return it.n, it.err
}
