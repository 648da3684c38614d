package errorfs

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"

	"github.com/quivermq/quiver/engine/vfs"
)

// file is an open File. Its methods may run concurrently; Close racing
// with the others is tolerated (they fail or finish) but not ordered.
type file struct {
	fs       *FS
	st       *state
	ino      *inode
	name     string // as given to Open or Create
	key      string // cleaned, for injectors
	writable bool
	closed   atomic.Bool
}

var (
	_ vfs.File    = (*file)(nil)
	_ vfs.Mapping = (*Mapping)(nil)
)

// check fails a call on a closed or pre-crash file, then asks the
// injectors.
func (f *file) check(c Call) error {
	if err := f.live(c.Op); err != nil {
		return err
	}
	if err := f.fs.fault(c); err != nil {
		return &os.PathError{Op: c.Op.sys(), Path: f.name, Err: err}
	}
	return nil
}

func (f *file) live(op Op) error {
	if f.closed.Load() {
		return &os.PathError{Op: op.sys(), Path: f.name, Err: os.ErrClosed}
	}
	if f.st.crashed.Load() {
		return &os.PathError{Op: op.sys(), Path: f.name, Err: ErrCrashed}
	}
	return nil
}

func (f *file) Name() string { return f.name }

// ReadAt implements io.ReaderAt.
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check(Call{Op: OpReadAt, Path: f.key, Off: off, Len: int64(len(p))}); err != nil {
		return 0, err
	}
	if f.ino.dir {
		return 0, &os.PathError{Op: "read", Path: f.name, Err: syscall.EISDIR}
	}
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: f.name, Err: errors.New("negative offset")}
	}
	n := f.ino
	n.mu.Lock()
	defer n.mu.Unlock()
	if off >= int64(len(n.data)) {
		return 0, io.EOF
	}
	c := copy(p, n.data[off:])
	if c < len(p) {
		return c, io.EOF
	}
	return c, nil
}

// WriteAt implements io.WriterAt. Growth past the capacity writes what
// fits and fails with ENOSPC, as pwrite on a full disk does.
func (f *file) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check(Call{Op: OpWriteAt, Path: f.key, Off: off, Len: int64(len(p))}); err != nil {
		return 0, err
	}
	if err := f.writableCheck("write"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: errors.New("negative offset")}
	}
	n := f.ino
	n.mu.Lock()
	defer n.mu.Unlock()
	end := off + int64(len(p))
	size := int64(len(n.data))
	var werr error
	if end > size {
		if end > int64(cap(n.data)) && n.maps > 0 {
			return 0, &os.PathError{Op: "write", Path: f.name, Err: ErrMappedGrowth}
		}
		if !n.reserveLocked(f.fs, end-size) {
			// Write what fits, then report the full disk.
			avail := f.fs.capacity.Load() - n.st.used.Load()
			fit := min(end, size+max(avail, 0))
			if fit <= off || !n.reserveLocked(f.fs, fit-size) {
				return 0, &os.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
			}
			end, p = fit, p[:fit-off]
			werr = &os.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
		}
		n.data = resize(n.data, int(end), false)
		n.markDirtyLocked(size, end)
	}
	copy(n.data[off:], p)
	n.markDirtyLocked(off, end)
	n.modTime = f.fs.now()
	return len(p), werr
}

func (f *file) writableCheck(op string) error {
	if f.ino.dir {
		return &os.PathError{Op: op, Path: f.name, Err: syscall.EISDIR}
	}
	if !f.writable {
		return &os.PathError{Op: op, Path: f.name, Err: syscall.EBADF}
	}
	return nil
}

// reserveLocked counts delta more bytes as used, or returns false if that
// would pass the capacity. A freed inode (no name, handle or mapping)
// counts nothing.
//
// REQUIRES: n.mu held.
func (n *inode) reserveLocked(fs *FS, delta int64) bool {
	if n.freed {
		return true
	}
	u := n.st.used.Add(delta)
	if c := fs.capacity.Load(); c > 0 && delta > 0 && u > c {
		n.st.used.Add(-delta)
		return false
	}
	return true
}

// setSizeLocked changes the live size. Growth allocates exactly size bytes
// of backing array when it must allocate (a preallocated segment is
// mapped next, and its array must not move), needs capacity, and fails
// with ErrMappedGrowth past the array of a mapped file. Shrinking zeroes
// the cut bytes, which mappings still see.
//
// REQUIRES: n.mu held.
func (n *inode) setSizeLocked(fs *FS, size int64, exact bool) error {
	old := int64(len(n.data))
	switch {
	case size == old:
		return nil
	case size > old:
		if size > int64(cap(n.data)) && n.maps > 0 {
			return ErrMappedGrowth
		}
		if !n.reserveLocked(fs, size-old) {
			return syscall.ENOSPC
		}
		n.data = resize(n.data, int(size), exact)
		n.markDirtyLocked(old, size)
	default:
		clear(n.data[size:old])
		n.data = n.data[:size]
		n.reserveLocked(fs, size-old)
		n.markDirtyLocked(size, old)
	}
	n.modTime = fs.now()
	return nil
}

// Preallocate implements vfs.File: it extends the file with zeros to at
// least size bytes, taking the space now. The new size and zeros become
// durable with Sync.
func (f *file) Preallocate(size int64) error {
	if err := f.check(Call{Op: OpPreallocate, Path: f.key, Len: size}); err != nil {
		return err
	}
	if err := f.writableCheck("fallocate"); err != nil {
		return err
	}
	if size < 0 {
		return &os.PathError{Op: "fallocate", Path: f.name, Err: syscall.EINVAL}
	}
	n := f.ino
	n.mu.Lock()
	defer n.mu.Unlock()
	if size <= int64(len(n.data)) {
		return nil
	}
	if err := n.setSizeLocked(f.fs, size, true); err != nil {
		return &os.PathError{Op: "fallocate", Path: f.name, Err: err}
	}
	return nil
}

// Truncate implements vfs.File. Growing takes space (no sparse files
// here), so it can fail with ENOSPC.
func (f *file) Truncate(size int64) error {
	if err := f.check(Call{Op: OpTruncate, Path: f.key, Len: size}); err != nil {
		return err
	}
	if err := f.writableCheck("truncate"); err != nil {
		return err
	}
	if size < 0 {
		return &os.PathError{Op: "truncate", Path: f.name, Err: syscall.EINVAL}
	}
	n := f.ino
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.setSizeLocked(f.fs, size, true); err != nil {
		return &os.PathError{Op: "truncate", Path: f.name, Err: err}
	}
	return nil
}

// Sync implements vfs.File: the live content and size become durable. An
// injected failure marks the pending pages lost (see the package doc). On
// a directory, Sync is SyncDir.
func (f *file) Sync() error {
	if err := f.live(OpSync); err != nil {
		return err
	}
	n := f.ino
	if err := f.fs.fault(Call{Op: OpSync, Path: f.key}); err != nil {
		if !n.dir {
			n.mu.Lock()
			n.failSyncLocked()
			n.mu.Unlock()
		}
		return &os.PathError{Op: "fdatasync", Path: f.name, Err: err}
	}
	if n.dir {
		f.fs.mu.Lock()
		n.durableEntries = maps.Clone(n.entries)
		f.fs.mu.Unlock()
		return nil
	}
	n.mu.Lock()
	n.syncLocked()
	n.mu.Unlock()
	return nil
}

// Stat implements vfs.File.
func (f *file) Stat() (os.FileInfo, error) {
	if err := f.check(Call{Op: OpStat, Path: f.key}); err != nil {
		return nil, err
	}
	return f.ino.info(filepath.Base(f.name)), nil
}

// Close implements io.Closer. An injected error is returned after the
// file is closed.
func (f *file) Close() error {
	if f.closed.Swap(true) {
		return &os.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
	}
	if f.st.crashed.Load() {
		return &os.PathError{Op: "close", Path: f.name, Err: ErrCrashed}
	}
	f.fs.mu.Lock()
	delete(f.st.files, f)
	f.ino.opens--
	f.fs.releaseLocked(f.ino)
	f.fs.mu.Unlock()
	if err := f.fs.fault(Call{Op: OpClose, Path: f.key}); err != nil {
		return &os.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// Map implements vfs.File. Bytes is the live content's backing array, so
// the mapping and WriteAt see each other's writes. size must be positive
// and at most the file's size (an error wrapping vfs.ErrMapRange
// otherwise); a writable mapping needs a file opened for writing (EACCES).
func (f *file) Map(size int, writable bool) (vfs.Mapping, error) {
	if err := f.check(Call{Op: OpMap, Path: f.key, Len: int64(size)}); err != nil {
		return nil, err
	}
	if f.ino.dir {
		return nil, &os.PathError{Op: "mmap", Path: f.name, Err: syscall.ENODEV}
	}
	if writable && !f.writable {
		return nil, &os.PathError{Op: "mmap", Path: f.name, Err: syscall.EACCES}
	}
	if size <= 0 {
		return nil, fmt.Errorf("map %s: size %d: %w", f.name, size, vfs.ErrMapRange)
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.st != f.fs.st {
		return nil, &os.PathError{Op: "mmap", Path: f.name, Err: ErrCrashed}
	}
	n := f.ino
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.data) < size {
		return nil, fmt.Errorf("map %s: size %d past end of file (%d bytes): %w",
			f.name, size, len(n.data), vfs.ErrMapRange)
	}
	n.maps++
	if writable {
		n.wmaps++
		n.scanAll = true
	}
	m := &Mapping{fs: f.fs, st: f.st, ino: n, name: f.name, b: n.data[:size:size], writable: writable}
	f.st.mappings[m] = struct{}{}
	return m, nil
}

// Mapping is the vfs.Mapping that File.Map returns; tests may type-assert
// to it to check Unmapped.
type Mapping struct {
	fs       *FS
	st       *state
	ino      *inode
	name     string
	b        []byte
	writable bool
	unmapped atomic.Bool
}

// Bytes implements vfs.Mapping. It returns nil after Unmap or a crash, so
// that a use after release panics on indexing instead of reading on.
func (m *Mapping) Bytes() []byte {
	if m.unmapped.Load() || m.st.crashed.Load() {
		return nil
	}
	return m.b
}

// Unmapped reports whether Unmap has been called, or the FS crashed since
// the mapping was made.
func (m *Mapping) Unmapped() bool { return m.unmapped.Load() || m.st.crashed.Load() }

// Advise implements vfs.Mapping: it checks its arguments and does
// nothing else.
func (m *Mapping) Advise(off, n int, advice vfs.Advice) error {
	if m.unmapped.Load() {
		return vfs.ErrUnmapped
	}
	if m.st.crashed.Load() {
		return &os.PathError{Op: "madvise", Path: m.name, Err: ErrCrashed}
	}
	if off < 0 || n < 0 || off+n > len(m.b) {
		return fmt.Errorf("madvise %s: range [%d, %d) outside mapping of %d bytes: %w",
			m.name, off, off+n, len(m.b), vfs.ErrMapRange)
	}
	if advice < vfs.AdviseNormal || advice > vfs.AdvisePopulateWrite {
		return fmt.Errorf("madvise %s: unknown advice %d", m.name, advice)
	}
	return nil
}

// Unmap implements vfs.Mapping. A second Unmap returns vfs.ErrUnmapped.
func (m *Mapping) Unmap() error {
	if m.unmapped.Swap(true) {
		return vfs.ErrUnmapped
	}
	if m.st.crashed.Load() {
		return &os.PathError{Op: "munmap", Path: m.name, Err: ErrCrashed}
	}
	m.fs.mu.Lock()
	defer m.fs.mu.Unlock()
	delete(m.st.mappings, m)
	n := m.ino
	n.mu.Lock()
	n.maps--
	if m.writable {
		n.wmaps--
	}
	n.mu.Unlock()
	m.fs.releaseLocked(n)
	return nil
}
