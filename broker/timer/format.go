package timer

import (
	"encoding/binary"
	"hash/crc32"
)

// On-disk formats: see the package doc for the diagrams. Format, never
// change; a new layout takes a new version number.
const (
	// entrySize is the size of one timer-log entry.
	entrySize = 48
	// segmentQuantum is the least common multiple of entrySize and a
	// 4 KiB page: segment sizes are multiples of it, so that no entry
	// straddles two files and every file is whole pages.
	segmentQuantum = 12288
	// defaultSegmentSize is 48 MiB, 1,048,576 entries.
	defaultSegmentSize = 4096 * segmentQuantum

	// slotSize is the size of one slot of the wheel file.
	slotSize = 32
	// wheelHeaderSize is the header page before the first slot.
	wheelHeaderSize = 4096
	// maxSlots bounds the wheel file (about 1 GiB).
	maxSlots = 32 << 20

	// ckptRecordSize is one of the two alternating checkpoint records.
	ckptRecordSize = 4096
	ckptFileSize   = 2 * ckptRecordSize
	ckptUsed       = 88

	wheelMagic  = 0x51565457 // "QVTW"
	ckptMagic   = 0x51565443 // "QVTC"
	formatVer   = 1
	noPos       = -1 // prevPos of the first entry of a slot
	logDirName  = "log"
	wheelName   = "wheel"
	ckptName    = "checkpoint"
	lockName    = "LOCK"
	segmentBase = 0 // the first segment's base offset
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var be = binary.BigEndian

// Entry is one pending timer message: a reference to a record of the
// commit log, never its bytes.
type Entry struct {
	// DeliverAtMs is when the message is due, in Unix milliseconds.
	DeliverAtMs int64
	// Phys is the commit-log offset of the stored record (on the timer
	// topic) and Size its length.
	Phys int64
	Size int32
	// QueueOffset is the record's offset in the timer topic's consume
	// queue. Add requires it to grow and skips an entry at or below the
	// highest one already added (re-adds after a restart).
	QueueOffset int64
}

// logEntry is an Entry as the timer log stores it.
type logEntry struct {
	Entry
	slotMs  int64 // the slot it was filed under (DeliverAtMs, rounded down, or later if past due)
	prevPos int64 // log position of the previous entry of the same slot, or noPos
}

// encodeEntry writes e into b[:entrySize].
func encodeEntry(b []byte, e *logEntry) {
	_ = b[entrySize-1]
	be.PutUint64(b[0:], uint64(e.DeliverAtMs))
	be.PutUint64(b[8:], uint64(e.slotMs))
	be.PutUint64(b[16:], uint64(e.Phys))
	be.PutUint64(b[24:], uint64(e.QueueOffset))
	be.PutUint64(b[32:], uint64(e.prevPos))
	be.PutUint32(b[40:], uint32(e.Size))
	be.PutUint32(b[44:], crc32.Checksum(b[:44], castagnoli))
}

// decodeEntry reads b[:entrySize]; ok is false when the CRC does not
// match (a torn, zeroed or corrupt entry).
func decodeEntry(b []byte) (e logEntry, ok bool) {
	_ = b[entrySize-1]
	if be.Uint32(b[44:]) != crc32.Checksum(b[:44], castagnoli) {
		return logEntry{}, false
	}
	e.DeliverAtMs = int64(be.Uint64(b[0:]))
	e.slotMs = int64(be.Uint64(b[8:]))
	e.Phys = int64(be.Uint64(b[16:]))
	e.QueueOffset = int64(be.Uint64(b[24:]))
	e.prevPos = int64(be.Uint64(b[32:]))
	e.Size = int32(be.Uint32(b[40:]))
	return e, true
}

// slot is one second (one Precision) of the wheel.
type slot struct {
	timeMs   int64 // the slot time the chain belongs to
	firstPos int64 // log position of its first (oldest) entry
	lastPos  int64 // log position of its last entry, the head of the prev chain
	count    int32 // entries in the chain
}

func readSlot(b []byte) slot {
	_ = b[slotSize-1]
	return slot{
		timeMs:   int64(be.Uint64(b[0:])),
		firstPos: int64(be.Uint64(b[8:])),
		lastPos:  int64(be.Uint64(b[16:])),
		count:    int32(be.Uint32(b[24:])),
	}
}

func writeSlot(b []byte, s slot) {
	_ = b[slotSize-1]
	be.PutUint64(b[0:], uint64(s.timeMs))
	be.PutUint64(b[8:], uint64(s.firstPos))
	be.PutUint64(b[16:], uint64(s.lastPos))
	be.PutUint32(b[24:], uint32(s.count))
	be.PutUint32(b[28:], 0)
}

// encodeWheelHeader writes the wheel file's header.
func encodeWheelHeader(b []byte, precisionMs, slots int64) {
	be.PutUint32(b[0:], wheelMagic)
	be.PutUint32(b[4:], formatVer)
	be.PutUint64(b[8:], uint64(precisionMs))
	be.PutUint64(b[16:], uint64(slots))
	be.PutUint32(b[24:], crc32.Checksum(b[:24], castagnoli))
}

// Checkpoint is the durable state of a wheel: what survives a crash.
type Checkpoint struct {
	// QueueOffset is the highest queue offset added and durable (-1 if
	// none). After a restart the broker adds again from QueueOffset+1.
	QueueOffset int64
	// LogEnd is the durable end of the timer log: every entry below it is
	// synced.
	LogEnd int64
	// DeliveredMs is the slot time (Unix ms) below which every slot was
	// delivered: deliver returned nil for all of its entries.
	DeliveredMs int64
	// DeliveredTotal counts the entries delivered over the wheel's life
	// (informational).
	DeliveredTotal int64
	// PartialLeft, when not zero, says that the slot at DeliveredMs was
	// being delivered in several batches: the PartialLeft entries of its
	// chain from log position PartialPos back are not delivered yet (the
	// newer ones are).
	PartialPos  int64
	PartialLeft int32
}

// checkpoint record geometry fields, for Open's mismatch check.
type geometry struct {
	precisionMs, slots, segmentSize int64
}

func encodeCheckpoint(b []byte, seq uint64, g geometry, c Checkpoint) {
	clear(b[:ckptRecordSize])
	be.PutUint32(b[0:], ckptMagic)
	be.PutUint32(b[4:], formatVer)
	be.PutUint64(b[8:], seq)
	be.PutUint64(b[16:], uint64(g.precisionMs))
	be.PutUint64(b[24:], uint64(g.slots))
	be.PutUint64(b[32:], uint64(g.segmentSize))
	be.PutUint64(b[40:], uint64(c.QueueOffset))
	be.PutUint64(b[48:], uint64(c.LogEnd))
	be.PutUint64(b[56:], uint64(c.DeliveredMs))
	be.PutUint64(b[64:], uint64(c.DeliveredTotal))
	be.PutUint64(b[72:], uint64(c.PartialPos))
	be.PutUint32(b[80:], uint32(c.PartialLeft))
	be.PutUint32(b[84:], crc32.Checksum(b[:84], castagnoli))
}

func decodeCheckpoint(b []byte) (seq uint64, g geometry, c Checkpoint, ok bool) {
	if len(b) < ckptUsed || be.Uint32(b[0:]) != ckptMagic || be.Uint32(b[4:]) != formatVer ||
		be.Uint32(b[84:]) != crc32.Checksum(b[:84], castagnoli) {
		return 0, geometry{}, Checkpoint{}, false
	}
	seq = be.Uint64(b[8:])
	g = geometry{int64(be.Uint64(b[16:])), int64(be.Uint64(b[24:])), int64(be.Uint64(b[32:]))}
	c = Checkpoint{
		QueueOffset:    int64(be.Uint64(b[40:])),
		LogEnd:         int64(be.Uint64(b[48:])),
		DeliveredMs:    int64(be.Uint64(b[56:])),
		DeliveredTotal: int64(be.Uint64(b[64:])),
		PartialPos:     int64(be.Uint64(b[72:])),
		PartialLeft:    int32(be.Uint32(b[80:])),
	}
	if c.LogEnd < 0 || c.LogEnd%entrySize != 0 || c.QueueOffset < -1 || c.PartialLeft < 0 {
		return 0, geometry{}, Checkpoint{}, false
	}
	return seq, g, c, true
}
