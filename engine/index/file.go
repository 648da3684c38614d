package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"path/filepath"
	"sync/atomic"
	"unsafe"

	"github.com/quivermq/quiver/engine/vfs"
)

// Sizes of the three regions of an index file. Format, never change.
const (
	HeaderSize = 40 // bytes of the header
	SlotSize   = 4  // bytes of a hash slot
	EntrySize  = 20 // bytes of an entry
)

// Header field offsets. Format, never change.
const (
	offBeginTimestamp = 0
	offEndTimestamp   = 8
	offBeginPhyOffset = 16
	offEndPhyOffset   = 24
	offHashSlotCount  = 32
	offIndexCount     = 36
)

// Entry field offsets, relative to the entry. Format, never change.
const (
	entKeyHash   = 0
	entPhyOffset = 4
	entTimeDiff  = 12
	entPrevIndex = 16
)

var be = binary.BigEndian

// FileSize returns the size in bytes of an index file with the given slot
// and entry counts: HeaderSize + slots×SlotSize + entries×EntrySize.
func FileSize(slots, entries int) int64 {
	return HeaderSize + int64(slots)*SlotSize + int64(entries)*EntrySize
}

// Header is the 40-byte header of an index file.
type Header struct {
	BeginTimestamp int64 // store time (ms) of the first entry, or inherited (see CreateFile)
	EndTimestamp   int64 // store time (ms) of the last entry, or inherited
	BeginPhyOffset int64 // commit-log offset of the first entry's message, or inherited
	EndPhyOffset   int64 // commit-log offset of the last entry's message, or inherited
	HashSlotCount  int32 // slots that were empty when an entry went in
	IndexCount     int32 // next entry number; starts at 1, entry 0 is never used
}

// File is one index file, mapped whole: a hash table whose slots hold the
// number of the newest entry for the slot, and entries chained newest to
// oldest through prevIndex. See the package doc for the layout.
//
// Put must be called by one goroutine at a time (the dispatcher); Lookup,
// Header and Sync may run concurrently with it and with each other. Close
// must not run concurrently with anything else.
//
// The header lives twice: in atomics in the File, which readers use, and
// in the mapping, which the writer keeps equal to them and which only Sync
// (the kernel) and OpenFile read. Slots are read and written with atomic 32-bit operations
// on the mapping; entries are written before they are published and never
// change afterwards, so they are read with plain loads.
type File struct {
	name       string
	f          vfs.File
	m          vfs.Mapping
	b          []byte // m.Bytes()
	slots      int32
	maxEntries int32
	entriesOff int // HeaderSize + slots*SlotSize

	beginTimestamp atomic.Int64
	endTimestamp   atomic.Int64
	beginPhyOffset atomic.Int64
	endPhyOffset   atomic.Int64
	hashSlotCount  atomic.Int32
	indexCount     atomic.Int32

	// dirty is set by Put and cleared by Sync before it syncs, so a Put
	// during a Sync leaves it set.
	dirty atomic.Bool
}

// CreateFile creates the index file name with the given slot and entry
// counts: it creates name+".tmp", preallocates FileSize(slots, maxEntries)
// bytes, maps it writable, writes the header, syncs, renames it to name and
// syncs the directory, so that name never refers to a partial file.
//
// after is the header of the file this one follows, or the zero Header for
// the first file. As in RocketMQ, the new file's begin and end offsets
// (timestamps) start at after's end offset (timestamp) when positive, so
// that an empty file still has a time range and an offset; the first Put
// replaces the begin values.
func CreateFile(fs vfs.FS, name string, slots, maxEntries int, after Header) (*File, error) {
	if slots < 1 || slots > math.MaxInt32 || maxEntries < 2 || maxEntries > math.MaxInt32 {
		return nil, fmt.Errorf("%w: slots %d, entries %d", ErrInvalidConfig, slots, maxEntries)
	}
	size := FileSize(slots, maxEntries)
	tmp := name + tmpSuffix
	vf, err := fs.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("index: create %s: %w", tmp, err)
	}
	fail := func(err error) (*File, error) {
		_ = vf.Close()     // the error that matters is err
		_ = fs.Remove(tmp) // Open removes leftover .tmp files
		return nil, err
	}
	if err := vf.Preallocate(size); err != nil {
		return fail(fmt.Errorf("index: preallocate %s to %d bytes: %w", tmp, size, err))
	}
	f, err := mapFile(vf, name, slots, maxEntries, size)
	if err != nil {
		return fail(err)
	}
	f.indexCount.Store(1)
	if after.EndPhyOffset > 0 {
		f.beginPhyOffset.Store(after.EndPhyOffset)
		f.endPhyOffset.Store(after.EndPhyOffset)
	}
	if after.EndTimestamp > 0 {
		f.beginTimestamp.Store(after.EndTimestamp)
		f.endTimestamp.Store(after.EndTimestamp)
	}
	f.writeHeader()
	if err := vf.Sync(); err != nil {
		_ = f.m.Unmap() // fail reports err
		return fail(fmt.Errorf("index: sync %s: %w", tmp, err))
	}
	if err := fs.Rename(tmp, name); err != nil {
		_ = f.m.Unmap() // fail reports err
		return fail(fmt.Errorf("index: rename %s: %w", tmp, err))
	}
	if err := fs.SyncDir(filepath.Dir(name)); err != nil {
		// name exists now: leave it, Open will find a valid empty file.
		_ = f.Close() // the sync error is the one to report
		return nil, fmt.Errorf("index: sync dir of %s: %w", name, err)
	}
	return f, nil
}

// OpenFile opens and maps an existing index file, which must be exactly
// FileSize(slots, maxEntries) bytes long. A stored indexCount of 0 (a file
// whose header was never written) reads as 1, as in RocketMQ.
func OpenFile(fs vfs.FS, name string, slots, maxEntries int) (*File, error) {
	if slots < 1 || slots > math.MaxInt32 || maxEntries < 2 || maxEntries > math.MaxInt32 {
		return nil, fmt.Errorf("%w: slots %d, entries %d", ErrInvalidConfig, slots, maxEntries)
	}
	size := FileSize(slots, maxEntries)
	vf, err := fs.OpenReadWrite(name)
	if err != nil {
		return nil, fmt.Errorf("index: open %s: %w", name, err)
	}
	fi, err := vf.Stat()
	if err != nil {
		_ = vf.Close() // reporting the Stat error
		return nil, fmt.Errorf("index: stat %s: %w", name, err)
	}
	if fi.Size() != size {
		_ = vf.Close() // reporting the size
		return nil, fmt.Errorf("%w: %s is %d bytes, want %d for %d slots and %d entries",
			ErrCorrupt, name, fi.Size(), size, slots, maxEntries)
	}
	f, err := mapFile(vf, name, slots, maxEntries, size)
	if err != nil {
		_ = vf.Close() // reporting the Map error
		return nil, err
	}
	b := f.b
	f.beginTimestamp.Store(int64(be.Uint64(b[offBeginTimestamp:])))
	f.endTimestamp.Store(int64(be.Uint64(b[offEndTimestamp:])))
	f.beginPhyOffset.Store(int64(be.Uint64(b[offBeginPhyOffset:])))
	f.endPhyOffset.Store(int64(be.Uint64(b[offEndPhyOffset:])))
	f.hashSlotCount.Store(int32(be.Uint32(b[offHashSlotCount:])))
	n := int32(be.Uint32(b[offIndexCount:]))
	if n <= 0 {
		n = 1
	}
	if n > f.maxEntries {
		_ = f.Close() // reporting the corruption
		return nil, fmt.Errorf("%w: %s has indexCount %d, over the %d entries it holds",
			ErrCorrupt, name, n, maxEntries)
	}
	f.indexCount.Store(n)
	return f, nil
}

// mapFile maps vf, which is size bytes long, writable. On error vf is left
// open.
func mapFile(vf vfs.File, name string, slots, maxEntries int, size int64) (*File, error) {
	if size > math.MaxInt {
		return nil, fmt.Errorf("%w: %s: %d bytes do not fit in memory", ErrInvalidConfig, name, size)
	}
	m, err := vf.Map(int(size), true)
	if err != nil {
		return nil, fmt.Errorf("index: map %s: %w", name, err)
	}
	b := m.Bytes()
	if int64(len(b)) != size || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%8 != 0 {
		_ = m.Unmap() // reporting the bad mapping
		return nil, fmt.Errorf("index: map %s: got %d bytes at %p, want %d bytes 8-byte aligned",
			name, len(b), unsafe.SliceData(b), size)
	}
	return &File{
		name:       name,
		f:          vf,
		m:          m,
		b:          b,
		slots:      int32(slots),
		maxEntries: int32(maxEntries),
		entriesOff: HeaderSize + slots*SlotSize,
	}, nil
}

// Name returns the path the file was created or opened with.
func (f *File) Name() string { return f.name }

// Header returns the header. Its fields are loaded one by one: while a Put
// runs, they may mix values from before and after it.
func (f *File) Header() Header {
	return Header{
		BeginTimestamp: f.beginTimestamp.Load(),
		EndTimestamp:   f.endTimestamp.Load(),
		BeginPhyOffset: f.beginPhyOffset.Load(),
		EndPhyOffset:   f.endPhyOffset.Load(),
		HashSlotCount:  f.hashSlotCount.Load(),
		IndexCount:     f.indexCount.Load(),
	}
}

// Full reports whether Put would return ErrFull.
func (f *File) Full() bool { return f.indexCount.Load() >= f.maxEntries }

// normHash maps a key hash to the non-negative value stored in entries:
// message.IndexKeyHash values are unchanged; others get Java's
// abs(hashCode) rule, MinInt32 becoming 0.
func normHash(h int32) int32 {
	if h < 0 {
		h = -h
		if h < 0 {
			h = 0
		}
	}
	return h
}

// Put adds an entry for a message at commit-log offset phyOffset stored at
// storeTimestamp (ms), under keyHash (message.IndexKeyHash of topic#key; a
// negative value is normalized as Java does). It returns ErrFull when the
// file holds maxEntries entries.
//
// REQUIRES: no other Put runs concurrently.
//
// NB: publication order. A reader reaches an entry only through its slot
// (or through the prevIndex of a newer entry, itself reached through a
// slot), so Put writes, in order:
//  1. the header's begin values, for the file's first entry;
//  2. the entry's 20 bytes (plain stores; nothing refers to it yet);
//  3. hashSlotCount, the end values and indexCount (atomics, and their
//     copies in the mapped header);
//  4. the slot, with an atomic store.
//
// The atomic slot store is a release and a reader's atomic slot load an
// acquire, so a reader that sees the new entry number also sees the whole
// entry and a header that counts it. A reader that loads the slot before
// step 4 walks the old chain, which is intact: entries never change once
// written, and the new entry is not yet linked from anywhere. (In
// RocketMQ's order, slot before header, a reader could load a slot equal to
// the indexCount it loads next, which lookup's range check rejects: the
// whole chain would vanish for a moment.)
func (f *File) Put(keyHash int32, phyOffset, storeTimestamp int64) error {
	n := f.indexCount.Load()
	if n >= f.maxEntries {
		return ErrFull
	}
	h := normHash(keyHash)
	b := f.b
	slotOff := HeaderSize + int(h%f.slots)*SlotSize
	// The only writer reads its own slot: a plain load is enough.
	prev := int32(be.Uint32(b[slotOff:]))
	if prev <= 0 || prev >= n {
		prev = 0 // empty, or garbage from a torn write: start a new chain
	}

	if n <= 1 {
		f.beginTimestamp.Store(storeTimestamp)
		f.beginPhyOffset.Store(phyOffset)
		be.PutUint64(b[offBeginTimestamp:], uint64(storeTimestamp))
		be.PutUint64(b[offBeginPhyOffset:], uint64(phyOffset))
	}
	var diff int64
	if begin := f.beginTimestamp.Load(); begin > 0 {
		diff = (storeTimestamp - begin) / 1000
		diff = max(0, min(diff, math.MaxInt32))
	}

	e := f.entriesOff + int(n)*EntrySize
	ent := b[e : e+EntrySize : e+EntrySize]
	be.PutUint32(ent[entKeyHash:], uint32(h))
	be.PutUint64(ent[entPhyOffset:], uint64(phyOffset))
	be.PutUint32(ent[entTimeDiff:], uint32(diff))
	be.PutUint32(ent[entPrevIndex:], uint32(prev))

	if prev == 0 {
		c := f.hashSlotCount.Add(1)
		be.PutUint32(b[offHashSlotCount:], uint32(c))
	}
	f.endPhyOffset.Store(phyOffset)
	f.endTimestamp.Store(storeTimestamp)
	f.indexCount.Store(n + 1)
	be.PutUint64(b[offEndTimestamp:], uint64(storeTimestamp))
	be.PutUint64(b[offEndPhyOffset:], uint64(phyOffset))
	be.PutUint32(b[offIndexCount:], uint32(n+1))

	storeSlot(b, slotOff, n)
	f.dirty.Store(true)
	return nil
}

// writeHeader copies the header atomics into the mapping.
//
// REQUIRES: no Put runs concurrently.
func (f *File) writeHeader() {
	b := f.b
	be.PutUint64(b[offBeginTimestamp:], uint64(f.beginTimestamp.Load()))
	be.PutUint64(b[offEndTimestamp:], uint64(f.endTimestamp.Load()))
	be.PutUint64(b[offBeginPhyOffset:], uint64(f.beginPhyOffset.Load()))
	be.PutUint64(b[offEndPhyOffset:], uint64(f.endPhyOffset.Load()))
	be.PutUint32(b[offHashSlotCount:], uint32(f.hashSlotCount.Load()))
	be.PutUint32(b[offIndexCount:], uint32(f.indexCount.Load()))
}

// Lookup appends to dst the commit-log offsets of up to max entries with
// keyHash whose store time lies in [begin, end] (ms), newest first, and
// returns the extended slice. Equal offsets next to each other (one message
// indexed twice under keys of the same hash, or re-dispatched after a
// crash) are returned once.
//
// It walks the slot's chain with RocketMQ's rules: an entry matches when its
// hash equals keyHash and beginTimestamp + timeDiff×1000 lies in [begin,
// end]; the walk stops at a negative timeDiff, at a prevIndex of 0 or out of
// range, or at an entry older than begin. Out of range is stricter here
// than in Java (prevIndex must be below the current entry, not merely below
// indexCount), so a corrupt file cannot make the walk loop.
//
// Entries match on the 31-bit hash only: callers must check the key of each
// message they read back. Lookup does not allocate when dst has room.
func (f *File) Lookup(dst []int64, keyHash int32, begin, end int64, max int) []int64 {
	return f.lookup(dst, len(dst), keyHash, begin, end, max)
}

// lookup is Lookup that also drops a first hit equal to dst[len(dst)-1]
// when len(dst) > from (Index.Query chains files this way).
func (f *File) lookup(dst []int64, from int, keyHash int32, begin, end int64, max int) []int64 {
	if max <= 0 {
		return dst
	}
	h := normHash(keyHash)
	b := f.b
	i := loadSlot(b, HeaderSize+int(h%f.slots)*SlotSize)
	// Loaded after the slot, so it counts every entry the slot can name.
	n := f.indexCount.Load()
	if i <= 0 || i >= n {
		return dst
	}
	fileBegin := f.beginTimestamp.Load()
	limit := len(dst) + max
	for len(dst) < limit {
		e := f.entriesOff + int(i)*EntrySize
		ent := b[e : e+EntrySize : e+EntrySize]
		kh := int32(be.Uint32(ent[entKeyHash:]))
		phy := int64(be.Uint64(ent[entPhyOffset:]))
		diff := int32(be.Uint32(ent[entTimeDiff:]))
		prev := int32(be.Uint32(ent[entPrevIndex:]))
		if diff < 0 {
			break
		}
		t := fileBegin + int64(diff)*1000
		if kh == h && t >= begin && t <= end {
			if len(dst) == from || dst[len(dst)-1] != phy {
				dst = append(dst, phy)
			}
		}
		if prev <= 0 || prev >= i || t < begin {
			break
		}
		i = prev
	}
	return dst
}

// repairSlots resets every slot that names an entry at or past indexCount
// (or a negative one) to the newest entry below indexCount whose hash falls
// in it, or to 0, and returns how many it found. Open uses it after an
// unclean shutdown: a power loss can leave a slot page on disk that is
// newer than the header page.
//
// REQUIRES: no Put or Lookup runs concurrently.
func (f *File) repairSlots() int {
	n := f.indexCount.Load()
	b := f.b
	slots := int(f.slots)
	var bad []uint64 // bitmap of slots to rebuild, made on the first one
	nbad := 0
	for s := 0; s < slots; s++ {
		if v := int32(be.Uint32(b[HeaderSize+s*SlotSize:])); v < 0 || v >= n {
			if bad == nil {
				bad = make([]uint64, (slots+63)/64)
			}
			bad[s/64] |= 1 << (s % 64)
			nbad++
		}
	}
	if nbad == 0 {
		return 0
	}
	left := nbad
	for i := n - 1; i >= 1 && left > 0; i-- {
		e := f.entriesOff + int(i)*EntrySize
		s := int(normHash(int32(be.Uint32(b[e+entKeyHash:]))) % f.slots)
		if bad[s/64]&(1<<(s%64)) != 0 {
			be.PutUint32(b[HeaderSize+s*SlotSize:], uint32(i))
			bad[s/64] &^= 1 << (s % 64)
			left--
		}
	}
	for w, word := range bad {
		for ; word != 0; word &= word - 1 {
			s := w*64 + bits.TrailingZeros64(word)
			be.PutUint32(b[HeaderSize+s*SlotSize:], 0)
		}
	}
	f.dirty.Store(true)
	return nbad
}

// Sync makes the file's contents durable (File.Sync, which on Linux writes
// back the pages dirtied through the mapping).
func (f *File) Sync() error {
	f.dirty.Store(false)
	if err := f.f.Sync(); err != nil {
		f.dirty.Store(true)
		return fmt.Errorf("index: sync %s: %w", f.name, err)
	}
	return nil
}

// Close unmaps and closes the file without syncing it. The File must not be
// used afterwards.
func (f *File) Close() error {
	err := f.m.Unmap()
	if err != nil {
		err = fmt.Errorf("index: unmap %s: %w", f.name, err)
	}
	if cerr := f.f.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("index: close %s: %w", f.name, cerr))
	}
	f.b = nil
	return err
}

// slot32 returns the slot at off as a *uint32 for atomic access. Slots are
// 4-byte aligned: the mapping is 8-byte aligned (checked by mapFile) and
// HeaderSize is a multiple of 4.
func slot32(b []byte, off int) *uint32 {
	return (*uint32)(unsafe.Pointer(&b[off : off+SlotSize][0]))
}

// loadSlot atomically loads the big-endian int32 slot at off.
func loadSlot(b []byte, off int) int32 {
	var t [4]byte
	binary.NativeEndian.PutUint32(t[:], atomic.LoadUint32(slot32(b, off)))
	return int32(be.Uint32(t[:]))
}

// storeSlot atomically stores v as a big-endian int32 at off.
func storeSlot(b []byte, off int, v int32) {
	var t [4]byte
	be.PutUint32(t[:], uint32(v))
	atomic.StoreUint32(slot32(b, off), binary.NativeEndian.Uint32(t[:]))
}
