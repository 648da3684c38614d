package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Default is the operating system's file system. It keeps no state: every
// method goes straight to the kernel. Files it returns cache their
// descriptor, so a File's Close must not race with its other methods.
var Default FS = osFS{}

// zeroChunk is the size of the writes that emulate fallocate on file
// systems that do not support it.
const zeroChunk = 1 << 20

type osFS struct{}

var (
	_ FS      = osFS{}
	_ File    = (*osFile)(nil)
	_ Mapping = (*osMapping)(nil)
)

func (osFS) Create(name string) (File, error) {
	return openFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC|unix.O_CLOEXEC, 0o644)
}

func (osFS) Open(name string) (File, error) {
	return openFile(name, os.O_RDONLY|unix.O_CLOEXEC, 0)
}

func (osFS) OpenReadWrite(name string) (File, error) {
	return openFile(name, os.O_RDWR|unix.O_CLOEXEC, 0)
}

func (osFS) Remove(name string) error { return os.Remove(name) }

func (osFS) RemoveAll(dir string) error { return os.RemoveAll(dir) }

func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

func (osFS) MkdirAll(dir string, perm os.FileMode) error { return os.MkdirAll(dir, perm) }

func (osFS) List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

func (osFS) Stat(name string) (os.FileInfo, error) { return os.Stat(name) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	// *os.File.Sync is fsync(2): a directory has no "data" for fdatasync
	// to skip, and its entries are what we need durable.
	if err := d.Sync(); err != nil {
		_ = d.Close() // the sync error is the one that matters
		return err
	}
	return d.Close()
}

func (osFS) Lock(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, err
	}
	// flock locks belong to the open file description, so a second Lock
	// in this process (a second open) conflicts as well as another
	// process does. The lock dies with the descriptor: Close releases it.
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		_ = f.Close() // the lock error is the one that matters
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", name, ErrLocked)
		}
		return nil, &os.PathError{Op: "flock", Path: name, Err: err}
	}
	return f, nil
}

func (osFS) DiskUsage(path string) (DiskUsage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return DiskUsage{}, &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	bs := uint64(st.Bsize)
	// Free is what an unprivileged writer can still use (f_bavail); Total
	// is that plus what is used (f_blocks - f_bfree), as df computes its
	// Use%: the blocks reserved for root are neither. Counting them as used
	// made a file system with a large reservation (this VM's: 160 of
	// 252 GB, 14% used by df) look 77% full, past diskMaxUsedSpaceRatio,
	// and the cleaner deleted segments for disk pressure.
	used := (st.Blocks - st.Bfree) * bs
	return DiskUsage{Total: used + st.Bavail*bs, Free: st.Bavail * bs}, nil
}

// osFile is a File over an *os.File. fd is cached at open so that Sync,
// Preallocate and Map cost one syscall and no allocation.
type osFile struct {
	*os.File
	fd int
}

func openFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &osFile{File: f, fd: int(f.Fd())}, nil
}

// WriteBack starts the write-back of the file's dirty pages in
// [off, off+n) (sync_file_range SYNC_FILE_RANGE_WRITE) and, if wait, waits
// until they are on the device. It does not write metadata or flush the
// device's cache: it paces a bulk writer, it makes nothing durable.
func (f *osFile) WriteBack(off, n int64, wait bool) error {
	flags := unix.SYNC_FILE_RANGE_WRITE
	if wait {
		flags |= unix.SYNC_FILE_RANGE_WAIT_BEFORE | unix.SYNC_FILE_RANGE_WAIT_AFTER
	}
	for {
		err := unix.SyncFileRange(f.fd, off, n, flags)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "sync_file_range", Path: f.Name(), Err: err}
		}
		return nil
	}
}

// DropCache releases the clean page cache of [off, off+n)
// (POSIX_FADV_DONTNEED). See CacheDropper.
func (f *osFile) DropCache(off, n int64) error {
	if err := unix.Fadvise(f.fd, off, n, unix.FADV_DONTNEED); err != nil {
		return &os.PathError{Op: "fadvise", Path: f.Name(), Err: err}
	}
	return nil
}

func (f *osFile) Sync() error {
	for {
		err := unix.Fdatasync(f.fd)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
		}
		return nil
	}
}

func (f *osFile) Preallocate(size int64) error {
	return preallocate(f.File, f.fd, size, unix.Fallocate)
}

// preallocate reserves real blocks for [0, size) with fallocate (mode 0,
// which also extends the file). Where the file system has no fallocate it
// writes zeros from the current end of the file to size, in zeroChunk
// writes; it never makes a sparse file with ftruncate, whose holes would
// need allocation (and could fail with ENOSPC) at write-back time.
//
// fallocate is a parameter so that tests can force the fallback.
func preallocate(f *os.File, fd int, size int64, fallocate func(fd int, mode uint32, off, n int64) error) error {
	if size <= 0 {
		return nil
	}
	var err error
	for {
		err = fallocate(fd, 0, 0, size)
		if err != unix.EINTR {
			break
		}
	}
	switch {
	case err == nil:
		return nil
	case err != unix.EOPNOTSUPP && err != unix.ENOSYS:
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: err}
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	zeros := make([]byte, zeroChunk)
	for off := fi.Size(); off < size; {
		n := min(int64(len(zeros)), size-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return fmt.Errorf("preallocate %s: zero fill at %d: %w", f.Name(), off, err)
		}
		off += n
	}
	return nil
}

func (f *osFile) Map(size int, writable bool) (Mapping, error) {
	if size <= 0 {
		return nil, fmt.Errorf("map %s: size %d: %w", f.Name(), size, ErrMapRange)
	}
	fi, err := f.File.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() < int64(size) {
		return nil, fmt.Errorf("map %s: size %d past end of file (%d bytes): %w",
			f.Name(), size, fi.Size(), ErrMapRange)
	}
	prot := unix.PROT_READ
	if writable {
		prot |= unix.PROT_WRITE
	}
	b, err := unix.Mmap(f.fd, 0, size, prot, unix.MAP_SHARED)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: f.Name(), Err: err}
	}
	return &osMapping{data: b, name: f.Name()}, nil
}

// osMapping is a Mapping made by mmap. data is the slice mmap returned,
// kept whole for munmap. Unmap must not race with Advise or Unmap.
type osMapping struct {
	data []byte
	name string
}

func (m *osMapping) Bytes() []byte { return m.data }

func (m *osMapping) Advise(off, n int, advice Advice) error {
	if m.data == nil {
		return ErrUnmapped
	}
	if off < 0 || n < 0 || off+n > len(m.data) {
		return fmt.Errorf("madvise %s: range [%d, %d) outside mapping of %d bytes: %w",
			m.name, off, off+n, len(m.data), ErrMapRange)
	}
	if n == 0 {
		return nil
	}
	var adv int
	switch advice {
	case AdviseNormal:
		adv = unix.MADV_NORMAL
	case AdviseSequential:
		adv = unix.MADV_SEQUENTIAL
	case AdviseRandom:
		adv = unix.MADV_RANDOM
	case AdviseWillNeed:
		adv = unix.MADV_WILLNEED
	case AdviseDontNeed:
		adv = unix.MADV_DONTNEED
	case AdvisePopulateWrite:
		adv = unix.MADV_POPULATE_WRITE
	default:
		return fmt.Errorf("madvise %s: unknown advice %d", m.name, advice)
	}
	// madvise wants a page-aligned start; the mapping itself is aligned.
	start := off &^ (os.Getpagesize() - 1)
	if err := unix.Madvise(m.data[start:off+n], adv); err != nil {
		return &os.PathError{Op: "madvise", Path: m.name, Err: err}
	}
	return nil
}

func (m *osMapping) Unmap() error {
	if m.data == nil {
		return ErrUnmapped
	}
	b := m.data
	m.data = nil
	if err := unix.Munmap(b); err != nil {
		return &os.PathError{Op: "munmap", Path: m.name, Err: err}
	}
	return nil
}
