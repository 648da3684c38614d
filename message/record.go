package message

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"slices"
)

// Magic codes and sizes of the stored-record format. Format, never change.
const (
	// MagicV1 marks a record with a 1-byte TOPICLEN (-626843481 as int32).
	MagicV1 uint32 = 0xDAA320A7
	// MagicV2 marks a record with a 2-byte TOPICLEN (-626843477 as int32).
	MagicV2 uint32 = 0xDAA320AB
	// MagicFiller marks the end-of-file filler (-875286124 as int32).
	MagicFiller uint32 = 0xCBD43194

	// FillerSize is the number of bytes a filler occupies: TOTALSIZE and
	// MAGICCODE. Its TOTALSIZE declares the whole rest of the segment.
	FillerSize = 8

	// MaxTopicLenV1 and MaxTopicLenV2 bound the topic in bytes. Java reads
	// both TOPICLEN fields as signed.
	MaxTopicLenV1 = 127
	MaxTopicLenV2 = 32767

	// MaxPropertiesLen bounds the properties string in bytes (PROPLEN is a
	// signed int16).
	MaxPropertiesLen = 32767

	// MinRecordLen is the smallest record: V1, IPv4 hosts, empty body,
	// topic and properties.
	MinRecordLen = 91
)

// Field offsets. Fields up to BORNHOST sit at fixed offsets; the rest move
// by 12 bytes for each IPv6 host. Format, never change.
const (
	offTotalSize      = 0
	offMagic          = 4
	offBodyCRC        = 8
	offQueueID        = 12
	offFlag           = 16
	offQueueOffset    = 20
	offPhysicalOffset = 28
	offSysFlag        = 36
	offBornTimestamp  = 40
	offBornHost       = 48

	hostLenV4 = 8  // 4-byte address, int32 port
	hostLenV6 = 20 // 16-byte address, int32 port

	// fixedLen is the length of everything before BODYLEN, less the two
	// host fields: 48 + STORETIMESTAMP 8 + RECONSUMETIMES 4 +
	// PREPARED_TRANSACTION_OFFSET 8.
	fixedLen = offBornHost + 8 + 4 + 8
)

// Sysflag bits (Java MessageSysFlag). Format, never change.
const (
	SysFlagCompressed = 0x1 // body compressed; codec in SysFlagCompressionMask
	SysFlagMultiTags  = 0x2 // topic filter type MULTI_TAG

	SysFlagTransactionMask     = 0xC // transaction type bits
	SysFlagTransactionNot      = 0x0
	SysFlagTransactionPrepared = 0x4
	SysFlagTransactionCommit   = 0x8
	SysFlagTransactionRollback = 0xC
	SysFlagBornHostV6          = 0x10  // BORNHOST is 20 bytes
	SysFlagStoreHostV6         = 0x20  // STOREHOST is 20 bytes
	SysFlagNeedUnwrap          = 0x40  // 5.x inner batch
	SysFlagInnerBatch          = 0x80  // 5.x inner batch
	SysFlagCompressionMask     = 0x700 // codec; 0 means zlib
	SysFlagCompressionLZ4      = 0x100
	SysFlagCompressionZstd     = 0x200
	SysFlagCompressionZlib     = 0x300
)

// Version selects the record layout. The zero value is V1.
type Version uint8

const (
	// V1 has a 1-byte TOPICLEN. It is the only layout clients decode
	// (client-go reads TOPICLEN as one byte); Java 4.x writes only V1.
	V1 Version = iota
	// V2 has a 2-byte TOPICLEN, for topics longer than 127 bytes (Java 5.x
	// with autoMessageVersionOnTopicLen). Never send it to a client.
	V2
)

// Magic returns the MAGICCODE of v.
func (v Version) Magic() uint32 {
	if v == V2 {
		return MagicV2
	}
	return MagicV1
}

func (v Version) topicLenSize() int {
	if v == V2 {
		return 2
	}
	return 1
}

func (v Version) maxTopicLen() int {
	if v == V2 {
		return MaxTopicLenV2
	}
	return MaxTopicLenV1
}

// String returns "v1" or "v2".
func (v Version) String() string {
	if v == V2 {
		return "v2"
	}
	return "v1"
}

// Fields holds what an encoder writes into a record. TOTALSIZE and MAGICCODE
// are derived; BODYCRC is computed unless HaveBodyCRC is set; the two host
// bits of SysFlag are derived from the hosts.
//
// A Fields may be reused across encodes; the encoders only read it.
type Fields struct {
	Version        Version
	QueueID        int32
	Flag           int32 // user flag from the producer
	QueueOffset    int64 // logical offset in the consume queue
	PhysicalOffset int64 // commit-log offset of this record
	// SysFlag is written with SysFlagBornHostV6 and SysFlagStoreHostV6 set
	// or cleared to match BornHost and StoreHost.
	SysFlag        int32
	BornTimestamp  int64 // ms since the epoch, from the producer
	BornHost       Host
	StoreTimestamp int64 // ms since the epoch, at append
	StoreHost      Host
	ReconsumeTimes int32
	// PreparedTransactionOffset is the commit-log offset of the half
	// message, for a committed transactional message; else 0.
	PreparedTransactionOffset int64

	Topic      []byte
	Body       []byte // stored as is (already compressed when SysFlagCompressed)
	Properties []byte // see AppendProperty

	// BodyCRC is written as is when HaveBodyCRC is true, so a caller can
	// compute Checksum(Body) outside a lock. Otherwise the encoder computes
	// it.
	BodyCRC     uint32
	HaveBodyCRC bool
}

// Checksum returns the BODYCRC of body: CRC-32 (IEEE) masked to 31 bits, as
// Java's UtilAll.crc32 computes it.
func Checksum(body []byte) uint32 {
	return crc32.ChecksumIEEE(body) & 0x7FFFFFFF
}

// EncodedLen returns the length of the record f encodes to, or
// ErrTopicTooLong, ErrPropertiesTooLong or ErrRecordTooLarge.
func (f *Fields) EncodedLen() (int, error) {
	if len(f.Topic) > f.Version.maxTopicLen() {
		return 0, ErrTopicTooLong
	}
	if len(f.Properties) > MaxPropertiesLen {
		return 0, ErrPropertiesTooLong
	}
	n := fixedLen + f.BornHost.EncodedLen() + f.StoreHost.EncodedLen() +
		4 + f.Version.topicLenSize() + len(f.Topic) + 2 + len(f.Properties)
	if len(f.Body) > math.MaxInt32-n {
		return 0, ErrRecordTooLarge
	}
	return n + len(f.Body), nil
}

// PutRecord encodes f into the start of dst and returns the number of bytes
// written. dst must hold at least f.EncodedLen() bytes, else PutRecord
// returns ErrShortBuffer and writes nothing. It does not allocate, so the
// engine can encode straight into a mapped segment.
func PutRecord(dst []byte, f *Fields) (int, error) {
	n, err := f.EncodedLen()
	if err != nil {
		return 0, err
	}
	if len(dst) < n {
		return 0, ErrShortBuffer
	}
	putRecord(dst[:n:n], f)
	return n, nil
}

// AppendRecord appends the record f encodes to dst. It allocates only when
// dst lacks the capacity.
func AppendRecord(dst []byte, f *Fields) ([]byte, error) {
	n, err := f.EncodedLen()
	if err != nil {
		return dst, err
	}
	dst = slices.Grow(dst, n)
	l := len(dst)
	dst = dst[:l+n]
	putRecord(dst[l:], f)
	return dst, nil
}

// putRecord writes f into b, which is exactly f.EncodedLen() bytes.
func putRecord(b []byte, f *Fields) {
	be := binary.BigEndian
	crc := f.BodyCRC
	if !f.HaveBodyCRC {
		crc = Checksum(f.Body)
	}
	sys := f.SysFlag &^ (SysFlagBornHostV6 | SysFlagStoreHostV6)
	if f.BornHost.IsV6() {
		sys |= SysFlagBornHostV6
	}
	if f.StoreHost.IsV6() {
		sys |= SysFlagStoreHostV6
	}

	be.PutUint32(b[offTotalSize:], uint32(len(b)))
	be.PutUint32(b[offMagic:], f.Version.Magic())
	be.PutUint32(b[offBodyCRC:], crc)
	be.PutUint32(b[offQueueID:], uint32(f.QueueID))
	be.PutUint32(b[offFlag:], uint32(f.Flag))
	be.PutUint64(b[offQueueOffset:], uint64(f.QueueOffset))
	be.PutUint64(b[offPhysicalOffset:], uint64(f.PhysicalOffset))
	be.PutUint32(b[offSysFlag:], uint32(sys))
	be.PutUint64(b[offBornTimestamp:], uint64(f.BornTimestamp))
	p := offBornHost
	p += putHost(b[p:], f.BornHost)
	be.PutUint64(b[p:], uint64(f.StoreTimestamp))
	p += 8
	p += putHost(b[p:], f.StoreHost)
	be.PutUint32(b[p:], uint32(f.ReconsumeTimes))
	p += 4
	be.PutUint64(b[p:], uint64(f.PreparedTransactionOffset))
	p += 8
	be.PutUint32(b[p:], uint32(len(f.Body)))
	p += 4
	p += copy(b[p:], f.Body)
	if f.Version == V2 {
		be.PutUint16(b[p:], uint16(len(f.Topic)))
		p += 2
	} else {
		b[p] = byte(len(f.Topic))
		p++
	}
	p += copy(b[p:], f.Topic)
	be.PutUint16(b[p:], uint16(len(f.Properties)))
	p += 2
	copy(b[p:], f.Properties)
}

// SetQueueOffset overwrites QUEUEOFFSET in place.
// REQUIRES: r holds the record's fixed fields (r came from an encoder or
// passed a check).
func (r Record) SetQueueOffset(v int64) {
	binary.BigEndian.PutUint64(r[offQueueOffset:offQueueOffset+8], uint64(v))
}

// SetPhysicalOffset overwrites PHYSICALOFFSET in place.
// REQUIRES: as SetQueueOffset.
func (r Record) SetPhysicalOffset(v int64) {
	binary.BigEndian.PutUint64(r[offPhysicalOffset:offPhysicalOffset+8], uint64(v))
}

// SetStoreTimestamp overwrites STORETIMESTAMP in place. Its offset depends
// on the BORNHOST length, read from SYSFLAG.
// REQUIRES: as SetQueueOffset.
func (r Record) SetStoreTimestamp(ms int64) {
	p := r.storeTimestampOff()
	binary.BigEndian.PutUint64(r[p:p+8], uint64(ms))
}

// PutFiller writes the end-of-file filler into the start of dst: TOTALSIZE
// = remaining (the bytes left in the segment, FillerSize included) and
// MagicFiller. Bytes past the first FillerSize are left alone.
func PutFiller(dst []byte, remaining int) error {
	if remaining < FillerSize || remaining > math.MaxInt32 {
		return ErrBadFiller
	}
	if len(dst) < FillerSize {
		return ErrShortBuffer
	}
	binary.BigEndian.PutUint32(dst[0:4], uint32(remaining))
	binary.BigEndian.PutUint32(dst[4:8], MagicFiller)
	return nil
}

// AppendFiller appends the 8-byte filler that PutFiller writes.
func AppendFiller(dst []byte, remaining int) ([]byte, error) {
	if remaining < FillerSize || remaining > math.MaxInt32 {
		return dst, ErrBadFiller
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(remaining))
	return binary.BigEndian.AppendUint32(dst, MagicFiller), nil
}
