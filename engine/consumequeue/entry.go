package consumequeue

import (
	"encoding/binary"
	"math"
)

// Entry layout. Format, never change.
const (
	// EntrySize is the size of one consume-queue entry.
	EntrySize = 20
	// BlankSize is the size field of a blank fill entry (Java's
	// Integer.MAX_VALUE). Blank entries are (0, BlankSize, 0).
	BlankSize = math.MaxInt32

	offPhy  = 0  // commit-log offset, int64
	offSize = 8  // record size, int32
	offTags = 12 // tags code, int64
)

// Entry is one decoded consume-queue entry.
type Entry struct {
	// PhyOffset is the commit-log offset of the record.
	PhyOffset int64
	// Size is the record's TOTALSIZE; BlankSize for a blank entry.
	Size int32
	// TagsCode is the Java String.hashCode of the TAGS property,
	// sign-extended (0 without tags); in SCHEDULE_TOPIC_XXXX, the
	// delivery time in ms.
	TagsCode int64
}

// blankEntry is the fill entry, as RocketMQ's fillPreBlank writes it.
var blankEntry = Entry{PhyOffset: 0, Size: BlankSize, TagsCode: 0}

// Blank reports whether e is a blank fill entry: a queue offset with no
// message. Readers skip it.
func (e Entry) Blank() bool { return e.Size == BlankSize }

// written is the validity rule of Load, RocketMQ's: an entry was written
// when its size is positive and its offset is not negative. A blank entry
// is written. Put stores the size field last, so an entry torn by a
// process crash has size 0 and is not written.
func (e Entry) written() bool { return e.Size > 0 && e.PhyOffset >= 0 }

// end is the commit-log offset just past the record.
func (e Entry) end() int64 { return e.PhyOffset + int64(e.Size) }

// DecodeEntry decodes the entry at the start of b. It does not allocate.
// REQUIRES: len(b) >= EntrySize.
func DecodeEntry(b []byte) Entry {
	_ = b[EntrySize-1] // one bounds check
	return Entry{
		PhyOffset: int64(binary.BigEndian.Uint64(b[offPhy:])),
		Size:      int32(binary.BigEndian.Uint32(b[offSize:])),
		TagsCode:  int64(binary.BigEndian.Uint64(b[offTags:])),
	}
}

// PutEntry encodes e into the first EntrySize bytes of b, big-endian. It
// stores the size field last (NB: Load relies on it to tell a torn entry
// from a written one after a process crash; a program's stores reach the
// page cache in program order when it is killed).
// REQUIRES: len(b) >= EntrySize.
func PutEntry(b []byte, e Entry) {
	_ = b[EntrySize-1]
	binary.BigEndian.PutUint64(b[offPhy:], uint64(e.PhyOffset))
	binary.BigEndian.PutUint64(b[offTags:], uint64(e.TagsCode))
	binary.BigEndian.PutUint32(b[offSize:], uint32(e.Size))
}
