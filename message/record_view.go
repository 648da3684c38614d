package message

import (
	"encoding/binary"
)

// Record is a view of one encoded stored-message record: bytes in a commit
// log segment or a PULL_MESSAGE body. Its methods peek at single fields
// without decoding the rest and without copying or allocating; slices they
// return alias r (with capacity capped at their length) and live as long as
// the buffer behind r.
//
// Peeks trust the lengths inside r: call Check, or obtain r from Decode or a
// RecordIter, before trusting their results. On a record that is short or
// malformed a peek returns a zero value or nil instead of panicking.
//
// A Record is read-only except through the Set* patch methods; concurrent
// peeks are safe while nobody patches.
type Record []byte

func (r Record) u32(off int) uint32 {
	if len(r) < off+4 {
		return 0
	}
	return binary.BigEndian.Uint32(r[off:])
}

func (r Record) u64(off int) uint64 {
	if len(r) < off+8 {
		return 0
	}
	return binary.BigEndian.Uint64(r[off:])
}

// TotalSize returns TOTALSIZE.
func (r Record) TotalSize() int32 { return int32(r.u32(offTotalSize)) }

// Magic returns MAGICCODE.
func (r Record) Magic() uint32 { return r.u32(offMagic) }

// Version returns the layout r's magic names; ok is false for a filler or a
// bad magic.
func (r Record) Version() (v Version, ok bool) {
	switch r.Magic() {
	case MagicV1:
		return V1, true
	case MagicV2:
		return V2, true
	}
	return V1, false
}

// IsFiller reports whether r starts with the end-of-file filler magic.
func (r Record) IsFiller() bool { return r.Magic() == MagicFiller }

// BodyCRC returns the stored BODYCRC.
func (r Record) BodyCRC() uint32 { return r.u32(offBodyCRC) }

// QueueID returns QUEUEID.
func (r Record) QueueID() int32 { return int32(r.u32(offQueueID)) }

// Flag returns FLAG, the producer's user flag.
func (r Record) Flag() int32 { return int32(r.u32(offFlag)) }

// QueueOffset returns QUEUEOFFSET.
func (r Record) QueueOffset() int64 { return int64(r.u64(offQueueOffset)) }

// PhysicalOffset returns PHYSICALOFFSET.
func (r Record) PhysicalOffset() int64 { return int64(r.u64(offPhysicalOffset)) }

// SysFlag returns SYSFLAG.
func (r Record) SysFlag() int32 { return int32(r.u32(offSysFlag)) }

// BornTimestamp returns BORNTIMESTAMP (ms).
func (r Record) BornTimestamp() int64 { return int64(r.u64(offBornTimestamp)) }

func (r Record) bornHostLen() int {
	if r.SysFlag()&SysFlagBornHostV6 != 0 {
		return hostLenV6
	}
	return hostLenV4
}

func (r Record) storeHostLen() int {
	if r.SysFlag()&SysFlagStoreHostV6 != 0 {
		return hostLenV6
	}
	return hostLenV4
}

func (r Record) storeTimestampOff() int { return offBornHost + r.bornHostLen() }

// bodyLenOff returns the offset of BODYLEN.
func (r Record) bodyLenOff() int { return fixedLen + r.bornHostLen() + r.storeHostLen() }

// BornHost returns BORNHOST.
func (r Record) BornHost() Host {
	n := r.bornHostLen()
	if len(r) < offBornHost+n {
		return Host{}
	}
	return readHost(r[offBornHost:], n)
}

// StoreTimestamp returns STORETIMESTAMP (ms).
func (r Record) StoreTimestamp() int64 { return int64(r.u64(r.storeTimestampOff())) }

// StoreHost returns STOREHOST.
func (r Record) StoreHost() Host {
	p := r.storeTimestampOff() + 8
	n := r.storeHostLen()
	if len(r) < p+n {
		return Host{}
	}
	return readHost(r[p:], n)
}

// ReconsumeTimes returns RECONSUMETIMES.
func (r Record) ReconsumeTimes() int32 {
	return int32(r.u32(r.bodyLenOff() - 12))
}

// PreparedTransactionOffset returns PREPARED_TRANSACTION_OFFSET.
func (r Record) PreparedTransactionOffset() int64 {
	return int64(r.u64(r.bodyLenOff() - 8))
}

// parts locates BODY, TOPIC and PROPERTIES. ok is false when a length field
// is negative, out of its range, or runs past the end of r.
func (r Record) parts() (body, topic, props []byte, ok bool) {
	var topicLenSize int
	switch r.Magic() {
	case MagicV1:
		topicLenSize = 1
	case MagicV2:
		topicLenSize = 2
	default:
		return nil, nil, nil, false
	}
	p := r.bodyLenOff()
	if len(r)-p < 4 {
		return nil, nil, nil, false
	}
	n := int(int32(binary.BigEndian.Uint32(r[p:])))
	p += 4
	if n < 0 || n > len(r)-p {
		return nil, nil, nil, false
	}
	body = r[p : p+n : p+n]
	p += n
	if len(r)-p < topicLenSize {
		return nil, nil, nil, false
	}
	if topicLenSize == 1 {
		n = int(r[p])
		if n > MaxTopicLenV1 {
			return nil, nil, nil, false
		}
	} else {
		n = int(int16(binary.BigEndian.Uint16(r[p:])))
		if n < 0 {
			return nil, nil, nil, false
		}
	}
	p += topicLenSize
	if n > len(r)-p {
		return nil, nil, nil, false
	}
	topic = r[p : p+n : p+n]
	p += n
	if len(r)-p < 2 {
		return nil, nil, nil, false
	}
	n = int(int16(binary.BigEndian.Uint16(r[p:])))
	p += 2
	if n < 0 || n > len(r)-p {
		return nil, nil, nil, false
	}
	return body, topic, r[p : p+n : p+n], true
}

// Body returns BODY as stored (compressed when SysFlagCompressed is set).
func (r Record) Body() []byte {
	b, _, _, _ := r.parts()
	return b
}

// Topic returns TOPIC.
func (r Record) Topic() []byte {
	_, t, _, _ := r.parts()
	return t
}

// Properties returns the PROPERTIES string.
func (r Record) Properties() []byte {
	_, _, p, _ := r.parts()
	return p
}

// Property looks key up in r's properties with Java's rules (see Property).
func (r Record) Property(key string) ([]byte, bool) {
	return Property(r.Properties(), key)
}

// Tags returns the TAGS property, or nil.
func (r Record) Tags() []byte {
	v, _ := Property(r.Properties(), PropertyTags)
	return v
}

// Keys returns the KEYS property (keys separated by KeySeparator), or nil.
func (r Record) Keys() []byte {
	v, _ := Property(r.Properties(), PropertyKeys)
	return v
}

// UniqKey returns the UNIQ_KEY property (the client's message id), or nil.
func (r Record) UniqKey() []byte {
	v, _ := Property(r.Properties(), PropertyUniqKey)
	return v
}

// TagsCode returns TagsCode(r.Tags()), the consume-queue tag hash.
func (r Record) TagsCode() int64 { return TagsCode(r.Tags()) }

// AppendOffsetID appends r's offset message id (STOREHOST and
// PHYSICALOFFSET) to dst.
func (r Record) AppendOffsetID(dst []byte) []byte {
	return AppendOffsetID(dst, r.StoreHost(), r.PhysicalOffset())
}

// Fields decodes every field of r into f, for re-encoding a stored message
// (retry, schedule, transaction commit). Topic, Body and Properties alias r.
// f.BodyCRC takes the stored CRC with HaveBodyCRC set: clear HaveBodyCRC
// before encoding a changed body. It does not allocate.
// REQUIRES: r passed a check.
func (r Record) Fields(f *Fields) {
	v, _ := r.Version()
	body, topic, props, _ := r.parts()
	*f = Fields{
		Version:                   v,
		QueueID:                   r.QueueID(),
		Flag:                      r.Flag(),
		QueueOffset:               r.QueueOffset(),
		PhysicalOffset:            r.PhysicalOffset(),
		SysFlag:                   r.SysFlag(),
		BornTimestamp:             r.BornTimestamp(),
		BornHost:                  r.BornHost(),
		StoreTimestamp:            r.StoreTimestamp(),
		StoreHost:                 r.StoreHost(),
		ReconsumeTimes:            r.ReconsumeTimes(),
		PreparedTransactionOffset: r.PreparedTransactionOffset(),
		Topic:                     topic,
		Body:                      body,
		Properties:                props,
		BodyCRC:                   r.BodyCRC(),
		HaveBodyCRC:               true,
	}
}

// Check verifies that r is exactly one well-formed record: a record magic,
// every length field within TOTALSIZE, TOTALSIZE equal to the sum of the
// fields and to len(r), and BODYCRC equal to Checksum(Body()). It returns
// nil, ErrUnwritten, or a *CorruptionError. It does not allocate on
// success.
func (r Record) Check() error { return r.check(true) }

// CheckLayout is Check without the body CRC, for readers that trust the
// medium (Java's dispatcher reads with checkCRC=false).
func (r Record) CheckLayout() error { return r.check(false) }

func (r Record) check(verifyCRC bool) error {
	n, filler, err := Decode(r, verifyCRC)
	if err != nil {
		return err
	}
	if filler {
		return corrupt("MAGICCODE", offMagic, ErrBadMagic, int64(MagicFiller), int64(MagicV1))
	}
	if n != len(r) {
		return corrupt("TOTALSIZE", offTotalSize, ErrSizeMismatch, int64(len(r)), int64(n))
	}
	return nil
}

// Decode checks the entry at the start of buf, a record or an end-of-file
// filler, and returns the number of bytes it declares.
//
// For a record, n is its TOTALSIZE and buf[:n] (a Record) passed every check
// of Record.Check; the body CRC is verified only when verifyCRC is set.
// For a filler, filler is true and n is the declared rest of the segment
// (at least FillerSize); only the first FillerSize bytes need be in buf.
//
// Errors: ErrUnwritten when the 8-byte header is all zeros; otherwise a
// *CorruptionError whose Reason is ErrTruncated when buf ends before the
// entry does, ErrBadMagic, ErrBadLength, ErrSizeMismatch or ErrChecksum.
// Decode does not allocate unless it fails.
func Decode(buf []byte, verifyCRC bool) (n int, filler bool, err error) {
	if len(buf) < FillerSize {
		return 0, false, corrupt("TOTALSIZE", offTotalSize, ErrTruncated, int64(len(buf)), FillerSize)
	}
	be := binary.BigEndian
	total := int(int32(be.Uint32(buf[offTotalSize:])))
	magic := be.Uint32(buf[offMagic:])
	topicLenSize := 1
	switch magic {
	case MagicV1:
	case MagicV2:
		topicLenSize = 2
	case MagicFiller:
		if total < FillerSize {
			return 0, false, corrupt("TOTALSIZE", offTotalSize, ErrBadLength, int64(total), FillerSize)
		}
		return total, true, nil
	default:
		if total == 0 && magic == 0 {
			return 0, false, ErrUnwritten
		}
		return 0, false, corrupt("MAGICCODE", offMagic, ErrBadMagic, int64(magic), int64(MagicV1))
	}
	if total < MinRecordLen {
		return 0, false, corrupt("TOTALSIZE", offTotalSize, ErrBadLength, int64(total), MinRecordLen)
	}
	if total > len(buf) {
		return 0, false, corrupt("TOTALSIZE", offTotalSize, ErrTruncated, int64(len(buf)), int64(total))
	}
	r := buf[:total:total]

	sys := be.Uint32(r[offSysFlag:])
	p := fixedLen + hostLenV4 + hostLenV4
	if sys&SysFlagBornHostV6 != 0 {
		p += hostLenV6 - hostLenV4
	}
	if sys&SysFlagStoreHostV6 != 0 {
		p += hostLenV6 - hostLenV4
	}
	// Room for BODYLEN, TOPICLEN and PROPLEN with empty contents.
	if need := p + 4 + topicLenSize + 2; total < need {
		return 0, false, corrupt("TOTALSIZE", offTotalSize, ErrBadLength, int64(total), int64(need))
	}

	bodyLen := int(int32(be.Uint32(r[p:])))
	if bodyLen < 0 || bodyLen > total-p-4-topicLenSize-2 {
		return 0, false, corrupt("BODYLEN", p, ErrBadLength, int64(bodyLen), int64(total-p-4-topicLenSize-2))
	}
	bodyOff := p + 4
	p = bodyOff + bodyLen

	var topicLen int
	if topicLenSize == 1 {
		topicLen = int(r[p])
		if topicLen > MaxTopicLenV1 {
			return 0, false, corrupt("TOPICLEN", p, ErrBadLength, int64(topicLen), MaxTopicLenV1)
		}
	} else {
		topicLen = int(int16(be.Uint16(r[p:])))
	}
	if topicLen < 0 || topicLen > total-p-topicLenSize-2 {
		return 0, false, corrupt("TOPICLEN", p, ErrBadLength, int64(topicLen), int64(total-p-topicLenSize-2))
	}
	p += topicLenSize + topicLen

	propLen := int(int16(be.Uint16(r[p:])))
	if propLen < 0 || propLen > total-p-2 {
		return 0, false, corrupt("PROPLEN", p, ErrBadLength, int64(propLen), int64(total-p-2))
	}
	if end := p + 2 + propLen; end != total {
		return 0, false, corrupt("TOTALSIZE", offTotalSize, ErrSizeMismatch, int64(total), int64(end))
	}

	if verifyCRC {
		stored := be.Uint32(r[offBodyCRC:])
		if sum := Checksum(r[bodyOff : bodyOff+bodyLen]); sum != stored {
			return 0, false, corrupt("BODYCRC", offBodyCRC, ErrChecksum, int64(stored), int64(sum))
		}
	}
	return total, false, nil
}

// RecordIter walks records laid end to end, as in a PULL_MESSAGE body. It
// stops at the end of the buffer or at the first entry that is not a good
// record (a filler included), and then reports that in Err.
//
//	it := message.NewRecordIter(body, true)
//	for r, ok := it.Next(); ok; r, ok = it.Next() {
//		...
//	}
//	if err := it.Err(); err != nil { ... }
//
// Records returned alias the buffer. A RecordIter is not safe for
// concurrent use.
type RecordIter struct {
	buf       []byte
	off       int
	verifyCRC bool
	err       error
}

// NewRecordIter returns an iterator over the records in buf.
func NewRecordIter(buf []byte, verifyCRC bool) RecordIter {
	return RecordIter{buf: buf, verifyCRC: verifyCRC}
}

// Next returns the next record, or false at the end or on error.
func (it *RecordIter) Next() (Record, bool) {
	if it.err != nil || it.off >= len(it.buf) {
		return nil, false
	}
	n, filler, err := Decode(it.buf[it.off:], it.verifyCRC)
	if err == nil && filler {
		err = corrupt("MAGICCODE", offMagic, ErrBadMagic, int64(MagicFiller), int64(MagicV1))
	}
	if err != nil {
		if ce, ok := err.(*CorruptionError); ok {
			ce.Offset += it.off
		}
		it.err = err
		return nil, false
	}
	r := Record(it.buf[it.off : it.off+n : it.off+n])
	it.off += n
	return r, true
}

// Offset returns the offset in the buffer of the next record: after a
// clean end, the buffer length; after an error, where the bad entry starts.
func (it *RecordIter) Offset() int { return it.off }

// Err returns the error that stopped the iteration, or nil. The Offset of a
// *CorruptionError is relative to the start of the iterated buffer.
func (it *RecordIter) Err() error { return it.err }
