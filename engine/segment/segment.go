package segment

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/quivermq/quiver/engine/vfs"
)

// Reference-count word layout (Segment.state). The low 32 bits count
// references: the owner's (taken by Create or Open, dropped by Close or
// Remove) plus one per successful Acquire. stateDead is set once by Close
// or Remove; stateRemove says that the file is deleted after the mapping
// is released.
const (
	stateRefs   int64 = 1<<32 - 1
	stateDead   int64 = 1 << 40
	stateRemove int64 = 1 << 41
)

// Segment is one pre-allocated, fixed-size, memory-mapped file. It knows
// no record format: the owner writes bytes at offsets and readers read the
// mapping. See the package documentation for who may call what.
type Segment struct {
	base int64
	size int
	mode WriteMode
	fs   vfs.FS
	dir  string
	path string
	file vfs.File
	m    vfs.Mapping
	data []byte // m.Bytes(), len size

	// wrote is the end of the bytes written so far; only the writer
	// stores it. flushed is the end of the bytes known durable; Sync
	// raises it (never lowers it) and Truncate resets both.
	wrote   atomic.Int64
	flushed atomic.Int64
	// werr holds the first write or sync error; once set, WriteAt, Sync
	// and Truncate return it.
	werr atomic.Pointer[error]
	// state is the reference count and the dead/remove flags (see the
	// state* constants).
	state atomic.Int64

	// done is closed when the mapping is released (and the file deleted,
	// for Remove); closeErr is the error of that, set before done closes.
	done     chan struct{}
	closeErr error

	// touched sinks Warm's page loads so the compiler keeps them.
	touched byte
}

// Create makes the segment starting at base in dir: it allocates Size
// bytes of real disk under a temporary name (and writes zeros over them if
// cfg.ZeroFill), syncs it, renames it to Name(base), syncs dir, maps it (writable in WriteMapped mode), applies
// cfg.Advice and, if cfg.Warm, reads every page in. On any error it
// removes what it made. It fails with ErrExists if the segment is already
// there: Create never replaces a file.
//
// Create takes tens of milliseconds for a large segment (the warm-up
// reads it all into the page cache); the Allocator calls it off the
// append path.
func Create(fs vfs.FS, dir string, base int64, cfg Config) (s *Segment, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if base < 0 {
		return nil, fmt.Errorf("segment: create: negative base %d", base)
	}
	path := filepath.Join(dir, Name(base))
	if _, err := fs.Stat(path); err == nil {
		return nil, fmt.Errorf("segment: create %s: %w", path, ErrExists)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("segment: create %s: %w", path, err)
	}

	tmp := path + tmpSuffix
	f, err := fs.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("segment: create %s: %w", tmp, err)
	}
	renamed := false
	defer func() {
		if err == nil {
			return
		}
		// Undo in reverse order; the first error is the one returned.
		_ = f.Close()
		if renamed {
			_ = fs.Remove(path)
			_ = fs.SyncDir(dir)
		} else {
			_ = fs.Remove(tmp)
		}
	}()
	if err := f.Preallocate(int64(cfg.Size)); err != nil {
		return nil, fmt.Errorf("segment: preallocate %s: %w", tmp, err)
	}
	if cfg.ZeroFill {
		if err := zeroFill(f, cfg.Size); err != nil {
			return nil, fmt.Errorf("segment: zero-fill %s: %w", tmp, err)
		}
	}
	// fallocate changed the file's size and extents (and ZeroFill wrote
	// them): make them durable before the name says the file is complete.
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("segment: sync %s: %w", tmp, err)
	}
	if err := fs.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("segment: rename %s: %w", tmp, err)
	}
	renamed = true
	if err := fs.SyncDir(dir); err != nil {
		return nil, fmt.Errorf("segment: sync dir %s: %w", dir, err)
	}
	s, err = newSegment(fs, dir, path, base, f, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Warm {
		if err := s.Warm(); err != nil {
			_ = s.m.Unmap() // the warm error is the one returned
			return nil, err
		}
	}
	if cfg.WriteMode == WriteMapped && cfg.PrepareWrite > 0 {
		// Best effort: a kernel without MADV_POPULATE_WRITE only costs
		// the writer its write-protect faults.
		_ = s.PrepareWrite(0, cfg.PrepareWrite)
	}
	return s, nil
}

// zeroFill writes size bytes of zeros at the start of f, 256 KiB at a
// time. On a file that can pace its write-back (vfs.WriteBacker) it starts
// the write-back of each chunk as soon as it is written and waits for the
// one before, so that at most two chunks of zeros are dirty or queued at
// the device at any time.
//
// NB: paced because the group commit of the active segment shares the
// device. Written unpaced, the gigabyte of zeros went to the device at
// once when Create synced it, and the fdatasync of the group-commit round
// queued behind it took half a second (a 512 ms stall in bench/producer
// -m sync -c 64 at every new segment). Paced in 1 MiB chunks the stall was
// gone but rounds waited behind up to 2 MiB (p99 7 ms while filling); in
// 256 KiB chunks p99 stays about 5 ms for the 3 s the fill takes, while
// the fill (1 GiB of new page cache) also competes for the CPUs.
func zeroFill(f vfs.File, size int) error {
	const chunk = 256 << 10
	zeros := make([]byte, min(size, chunk))
	wb, _ := f.(vfs.WriteBacker)
	for off := 0; off < size; off += len(zeros) {
		n := min(len(zeros), size-off)
		if _, err := f.WriteAt(zeros[:n], int64(off)); err != nil {
			return err
		}
		if wb == nil {
			continue
		}
		if err := wb.WriteBack(int64(off), int64(n), false); err != nil {
			return err
		}
		if off >= chunk {
			if err := wb.WriteBack(int64(off-chunk), chunk, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open maps the existing segment starting at base in dir, for recovery.
// Its positions are zero until the owner has checked the contents and
// called Truncate with the end of the valid data. Open does not warm the
// segment (call Warm for the one that will take appends).
func Open(fs vfs.FS, dir string, base int64, cfg Config) (*Segment, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, Name(base))
	f, err := fs.OpenReadWrite(path)
	if err != nil {
		return nil, fmt.Errorf("segment: open %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close() // the stat error is the one returned
		return nil, fmt.Errorf("segment: stat %s: %w", path, err)
	}
	if fi.Size() != int64(cfg.Size) {
		_ = f.Close()
		return nil, fmt.Errorf("segment: open %s: %d bytes, want %d: %w", path, fi.Size(), cfg.Size, ErrSize)
	}
	s, err := newSegment(fs, dir, path, base, f, cfg)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return s, nil
}

// newSegment maps f and applies the advice. On error it leaves f open and
// nothing mapped.
func newSegment(fs vfs.FS, dir, path string, base int64, f vfs.File, cfg Config) (*Segment, error) {
	m, err := f.Map(cfg.Size, cfg.WriteMode == WriteMapped)
	if err != nil {
		return nil, fmt.Errorf("segment: map %s: %w", path, err)
	}
	if err := m.Advise(0, cfg.Size, cfg.Advice); err != nil {
		_ = m.Unmap() // the advise error is the one returned
		return nil, fmt.Errorf("segment: advise %s: %w", path, err)
	}
	s := &Segment{
		base: base,
		size: cfg.Size,
		mode: cfg.WriteMode,
		fs:   fs,
		dir:  dir,
		path: path,
		file: f,
		m:    m,
		data: m.Bytes()[:cfg.Size:cfg.Size],
		done: make(chan struct{}),
	}
	s.state.Store(1) // the owner's reference
	return s, nil
}

// Base returns the offset of the segment's first byte in the log.
func (s *Segment) Base() int64 { return s.base }

// Size returns the segment's length in bytes.
func (s *Segment) Size() int { return s.size }

// Path returns the segment file's path.
func (s *Segment) Path() string { return s.path }

// Bytes returns the whole mapping, Size() bytes. Only [0, Wrote()) holds
// written data. The slice is valid while the caller holds a reference
// (the owner's, or one from Acquire); touching it after the last Release
// faults. Readers must not write to it; in WriteMapped mode the writer may
// store into [Wrote(), Size()) and publish the bytes with Commit.
func (s *Segment) Bytes() []byte { return s.data }

// Wrote returns the end of the bytes written so far. Bytes below it are
// visible in Bytes(); a load of Wrote that returns n happens after the
// writes of every byte below n.
func (s *Segment) Wrote() int { return int(s.wrote.Load()) }

// Flushed returns the end of the bytes known durable: Sync has completed
// an fdatasync that started after they were written.
func (s *Segment) Flushed() int { return int(s.flushed.Load()) }

// Err returns the sticky write or sync error, or nil.
func (s *Segment) Err() error {
	if e := s.werr.Load(); e != nil {
		return *e
	}
	return nil
}

// fail makes err sticky unless an earlier error already is, and returns
// the sticky error.
func (s *Segment) fail(err error) error {
	s.werr.CompareAndSwap(nil, &err)
	return *s.werr.Load()
}

// WriteAt writes p at off, through the mapping or with pwrite according to
// the WriteMode, and raises Wrote to off+len(p) if that is higher. After a
// failed write (or Sync) it returns that error, forever.
//
// REQUIRES: one writer; not after Close or Remove. p is not retained.
func (s *Segment) WriteAt(p []byte, off int) error {
	if e := s.werr.Load(); e != nil {
		return *e
	}
	if s.state.Load()&stateDead != 0 {
		return ErrClosed
	}
	if off < 0 || off > s.size-len(p) {
		return fmt.Errorf("segment %s: write [%d, %d): %w", s.path, off, off+len(p), ErrOutOfRange)
	}
	if s.mode == WriteMapped {
		copy(s.data[off:], p)
	} else if _, err := s.file.WriteAt(p, int64(off)); err != nil {
		return s.fail(fmt.Errorf("segment %s: write at %d: %w", s.path, off, err))
	}
	// NB: the store publishes the bytes: a reader that loads Wrote() >= end
	// sees them (sync/atomic is sequentially consistent).
	if end := int64(off + len(p)); end > s.wrote.Load() {
		s.wrote.Store(end)
	}
	return nil
}

// Commit publishes bytes the writer stored directly into Bytes() in
// WriteMapped mode: it raises Wrote to end if that is higher, and does
// nothing otherwise. Like WriteAt's, the store of Wrote publishes the
// bytes: a reader that loads Wrote() >= end sees every store the writer
// made below end before calling Commit. It fails with ErrNotMapped in
// WritePwrite mode (the mapping is read-only), wraps ErrOutOfRange for an
// end outside [0, Size()], returns ErrClosed after Close or Remove and,
// like WriteAt, the sticky error after a failed write or Sync.
//
// The writer may store into [Wrote(), Size()) only (readers may be reading
// below Wrote), and only while it holds the owner's reference.
//
// REQUIRES: the one writer; WriteMapped mode.
func (s *Segment) Commit(end int) error {
	if e := s.werr.Load(); e != nil {
		return *e
	}
	if s.state.Load()&stateDead != 0 {
		return ErrClosed
	}
	if s.mode != WriteMapped {
		return ErrNotMapped
	}
	if end < 0 || end > s.size {
		return fmt.Errorf("segment %s: commit to %d: %w", s.path, end, ErrOutOfRange)
	}
	if e := int64(end); e > s.wrote.Load() {
		s.wrote.Store(e)
	}
	return nil
}

// PrepareWrite maps the pages covering [off, off+n) writable ahead of the
// writer (MADV_POPULATE_WRITE), so that its stores there take no
// write-protect fault. It stores nothing into the mapping (the kernel only
// sets up the page tables), so it is safe on any goroutine concurrently
// with the writer and readers. It does nothing in WritePwrite mode or for
// n <= 0, and the range is clipped to the segment.
//
// NB: the kernel marks the pages dirty, as it does for any write fault on
// a shared mapping: the next Sync writes them back (zeros, if the writer
// has not reached them yet) and write-protects them again. Prepare a
// window of the size the writer fills between two Syncs, not the whole
// segment (see Warm). A kernel older than 5.14 fails with EINVAL; the
// caller should then stop asking.
func (s *Segment) PrepareWrite(off, n int) error {
	if s.mode != WriteMapped || n <= 0 {
		return nil
	}
	off = max(off, 0)
	end := min(off+n, s.size)
	if off >= end {
		return nil
	}
	if !s.Acquire() { // keeps the mapping valid across the madvise
		return ErrClosed
	}
	defer s.Release()
	if err := s.m.Advise(off, end-off, vfs.AdvisePopulateWrite); err != nil {
		return fmt.Errorf("segment %s: prepare write [%d, %d): %w", s.path, off, end, err)
	}
	return nil
}

// DropCache releases the page cache of [off, off+n): it zaps the range
// from the segment's mapping (MADV_DONTNEED; on a shared file mapping that
// drops page-table entries, never data) and drops the file's clean pages
// there (vfs.CacheDropper; a file system without it only zaps). Nothing is
// lost: dirty pages stay cached until written back, and a reader of the
// range afterwards faults its bytes back in from the file. The owner
// releases flushed ranges it does not expect to be read soon; it may call
// DropCache on any goroutine, concurrently with the writer and readers.
//
// NB: ranges should start and end on 2 MiB boundaries: the kernel keeps a
// large folio that reaches outside the range (vfs.TestOSDropCache).
func (s *Segment) DropCache(off, n int) error {
	if n <= 0 {
		return nil
	}
	if off < 0 || off+n > s.size {
		return fmt.Errorf("segment %s: drop cache [%d, %d) of %d bytes: %w", s.path, off, off+n, s.size, ErrOutOfRange)
	}
	if !s.Acquire() { // keeps the mapping valid across the madvise
		return ErrClosed
	}
	defer s.Release()
	if err := s.m.Advise(off, n, vfs.AdviseDontNeed); err != nil {
		return fmt.Errorf("segment %s: drop cache: %w", s.path, err)
	}
	if cd, ok := s.file.(vfs.CacheDropper); ok {
		if err := cd.DropCache(int64(off), int64(n)); err != nil {
			return fmt.Errorf("segment %s: drop cache: %w", s.path, err)
		}
	}
	return nil
}

// Sync makes every byte written before the call durable (fdatasync) and
// raises Flushed to cover them. It does nothing if nothing was written
// since the last Sync. It may run on any goroutine, concurrently with
// WriteAt.
//
// NB: Sync reads Wrote before the fdatasync and publishes that value, not
// Wrote after it. The interleaving this prevents:
//
//	writer: WriteAt [0,100)          wrote=100
//	flusher:   fdatasync starts; writes back the page holding [0,100)
//	writer: WriteAt [100,200)        wrote=200, page dirtied again
//	flusher:   fdatasync returns; reading wrote now gives 200,
//	           but [100,200) may not have reached the disk.
//
// Snapshotting first, flushed=100 is exact; [100,200) waits for the next
// Sync. In WriteMapped mode the fdatasync also writes back pages dirtied
// through the mapping: Linux tracks them in the page cache (msync MS_SYNC
// is itself vfs_fsync_range with datasync=1, mm/msync.c), which
// vfs.TestOSSyncWritesBackMappedPages checks through /proc/kpageflags.
func (s *Segment) Sync() error {
	if e := s.werr.Load(); e != nil {
		return *e
	}
	if !s.Acquire() { // keeps the file open across the fdatasync
		return ErrClosed
	}
	defer s.Release()
	w := s.wrote.Load()
	if w <= s.flushed.Load() {
		return nil
	}
	if err := s.file.Sync(); err != nil {
		// NB: after a failed fdatasync the kernel may have marked the
		// pages clean; a retry could succeed without the data on disk.
		// Never retry: the error is sticky.
		return s.fail(fmt.Errorf("segment %s: sync: %w", s.path, err))
	}
	for { // raise, never lower: a concurrent Sync may have published more
		f := s.flushed.Load()
		if w <= f || s.flushed.CompareAndSwap(f, w) {
			return nil
		}
	}
}

// Truncate makes to the end of the segment's data, for recovery: it zeroes
// every non-zero byte in [to, Size()) (a torn record, or stale bytes past
// a bad one, must not be read as data by a later scan), syncs if it
// zeroed anything, and sets Wrote and Flushed to to. It reads the whole
// tail to find non-zero pages, so it costs a pass over Size()-to bytes of
// page cache; Truncate(Size()) costs nothing.
//
// REQUIRES: the writer's goroutine, no appends in flight.
func (s *Segment) Truncate(to int) error {
	if e := s.werr.Load(); e != nil {
		return *e
	}
	if s.state.Load()&stateDead != 0 {
		return ErrClosed
	}
	if to < 0 || to > s.size {
		return fmt.Errorf("segment %s: truncate to %d: %w", s.path, to, ErrOutOfRange)
	}
	ps := os.Getpagesize()
	zero := make([]byte, ps)
	dirty := false
	for off := to; off < s.size; {
		end := min((off/ps+1)*ps, s.size) // to the next page boundary
		chunk := s.data[off:end]
		if !bytes.Equal(chunk, zero[:len(chunk)]) {
			if s.mode == WriteMapped {
				clear(chunk)
			} else if _, err := s.file.WriteAt(zero[:len(chunk)], int64(off)); err != nil {
				return s.fail(fmt.Errorf("segment %s: truncate: zero at %d: %w", s.path, off, err))
			}
			dirty = true
		}
		off = end
	}
	if dirty {
		if err := s.file.Sync(); err != nil {
			return s.fail(fmt.Errorf("segment %s: truncate: sync: %w", s.path, err))
		}
	}
	s.wrote.Store(int64(to))
	s.flushed.Store(int64(to))
	return nil
}

// Warm brings every page of the segment into the page cache and maps it:
// MADV_WILLNEED over the whole mapping, then one load per page, so that the
// first append to a page neither allocates page cache nor takes a major
// fault. In WritePwrite mode the writer never touches the mapping, so Warm
// then drops the pages from the process's page tables (MADV_DONTNEED on a
// shared file mapping keeps the page cache): the process's resident set
// does not grow by the segment (an idle broker with a 1 GiB active segment
// and the next one prepared showed 2 GiB of RSS), and readers fault pages
// back in, minor faults, as they read them.
//
// NB: on a fallocated segment that has not been zero-filled, Warm is
// expensive: the read-ahead behind its faults zeroes every folio it brings
// in (1.45 s of CPU per GiB on the dev machine, against 0.13 s for
// MADV_POPULATE_WRITE), and pwrites of small records into the large folios
// it leaves cost about twice as much as into pages the pwrites allocate
// themselves. commitlog therefore warms only zero-filled WriteMapped
// segments, whose pages the zero-fill has just cached.
//
// NB: Warm loads, it does not store. Storing a zero per page would map
// each page writable at once, but it would also dirty the whole segment:
// the kernel would write Size() bytes of zeros back (doubling the disk
// traffic of the log), and the first fdatasync of a WriteMapped segment
// would wait for all of them. With loads, the first store to a page in
// WriteMapped mode takes a minor write-protect fault (no I/O); in
// WritePwrite mode pwrite finds the page cached and takes no fault.
//
// REQUIRES: before the segment is published to other goroutines, or on
// the writer's goroutine.
func (s *Segment) Warm() error {
	if err := s.m.Advise(0, s.size, vfs.AdviseWillNeed); err != nil {
		return fmt.Errorf("segment: warm %s: %w", s.path, err)
	}
	ps := os.Getpagesize()
	var sum byte
	for off := 0; off < s.size; off += ps {
		sum += s.data[off]
	}
	s.touched = sum
	if s.mode != WriteMapped {
		if err := s.m.Advise(0, s.size, vfs.AdviseDontNeed); err != nil {
			return fmt.Errorf("segment: warm %s: %w", s.path, err)
		}
	}
	return nil
}

// Prefetch makes [off, off+n) resident and mapped, for a reader about to
// read it: MADV_WILLNEED starts the read-ahead of the whole range, then a
// load per page waits for it. A reader on an event loop then finds the
// bytes in memory instead of waiting for the disk in a page fault. The
// range is clipped to the segment. Safe on any goroutine.
func (s *Segment) Prefetch(off, n int) error {
	off = max(off, 0)
	end := min(off+n, s.size)
	if off >= end {
		return nil
	}
	if !s.Acquire() { // keeps the mapping valid across the loads
		return ErrClosed
	}
	defer s.Release()
	if err := s.m.Advise(off, end-off, vfs.AdviseWillNeed); err != nil {
		return fmt.Errorf("segment %s: prefetch: %w", s.path, err)
	}
	ps := os.Getpagesize()
	var sum byte
	for p := off &^ (ps - 1); p < end; p += ps {
		sum += s.data[p]
	}
	prefetchSink.Add(uint32(sum))
	return nil
}

// prefetchSink keeps Prefetch's loads from being optimized away.
// NB: loads, not MADV_POPULATE_READ: draining released data from the
// earliest offset, the loads made 382,149-394,182 msgs/s and
// MADV_POPULATE_READ 301,487-306,026 with more broker CPU.
var prefetchSink atomic.Uint32

// Acquire takes a reference that keeps the mapping valid until the
// matching Release. It returns false once Close or Remove has been called:
// the caller must then not use Bytes. Safe on any goroutine.
func (s *Segment) Acquire() bool {
	for {
		v := s.state.Load()
		if v&stateDead != 0 {
			return false
		}
		if s.state.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

// Release drops a reference taken by Acquire. If it is the last one after
// Close or Remove, it unmaps the segment (and deletes the file, for
// Remove) on a new goroutine, so that a reader releasing on an event loop
// never waits for munmap, unlink or a directory fsync; Wait returns that
// work's error.
func (s *Segment) Release() {
	v := s.state.Add(-1)
	switch {
	case v&stateRefs == stateRefs, v&stateRefs == 0 && v&stateDead == 0:
		// Unmapping under a reader would fault in its goroutine, far from
		// the bug; fail here instead.
		panic("segment: Release without Acquire")
	case v&stateRefs == 0:
		go func() { _ = s.finish(v&stateRemove != 0) }() // error kept for Wait
	}
}

// Close marks the segment dead (Acquire fails from now on) and drops the
// owner's reference. The mapping is released and the file closed when the
// last reader releases; if none holds a reference, before Close returns,
// with its error. Close does not sync: call Sync first if the data must be
// durable. A second Close or Remove returns ErrClosed.
//
// REQUIRES: the owner; the writer has stopped writing to this segment.
func (s *Segment) Close() error { return s.shut(0) }

// Remove is Close that also deletes the file, once the last reference is
// released, and syncs the directory. Data pinned by readers stays readable
// until they release it.
func (s *Segment) Remove() error { return s.shut(stateRemove) }

func (s *Segment) shut(flags int64) error {
	for {
		v := s.state.Load()
		if v&stateDead != 0 {
			return ErrClosed
		}
		if s.state.CompareAndSwap(v, v|stateDead|flags) {
			break
		}
	}
	v := s.state.Add(-1) // the owner's reference
	if v&stateRefs == 0 {
		return s.finish(flags != 0)
	}
	return nil
}

// Wait blocks until the segment has been released after Close or Remove
// (the last reference dropped, the mapping gone and, for Remove, the file
// deleted) and returns the error of that work.
//
// REQUIRES: Close or Remove has been called, or will be.
func (s *Segment) Wait() error {
	<-s.done
	return s.closeErr
}

// finish releases the mapping and the file, deletes the file if remove,
// and closes done. It runs once, when the reference count reaches zero.
func (s *Segment) finish(remove bool) error {
	err := s.m.Unmap()
	if cerr := s.file.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		err = fmt.Errorf("segment %s: release: %w", s.path, err)
	}
	if remove {
		if rerr := s.fs.Remove(s.path); rerr != nil {
			err = errors.Join(err, fmt.Errorf("segment: remove %s: %w", s.path, rerr))
		} else if serr := s.fs.SyncDir(s.dir); serr != nil {
			err = errors.Join(err, fmt.Errorf("segment: sync dir %s: %w", s.dir, serr))
		}
	}
	s.closeErr = err
	close(s.done)
	return err
}
