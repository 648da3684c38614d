// Package vfs is the file-system interface of the storage engine. Every
// file the engine touches goes through an FS, so that tests can substitute
// one that injects errors (EIO, ENOSPC) or simulates a crash that drops
// writes not yet synced.
//
// Reads of segment data go through a Mapping (mmap on the OS file system);
// writes go through File.WriteAt (pwrite) or, where a segment is opened
// writable, straight into the Mapping. Both are in the page cache on
// Linux, so a mapping sees WriteAt's bytes at once; File.Sync makes either
// durable.
//
// API CONTRACT, fixed by the lead: implementations live in this package
// (the OS file system) and in vfs/errorfs (the test file system).
package vfs

import (
	"io"
	"os"
)

// FS is a file system. Implementations are safe for concurrent use.
type FS interface {
	// Create creates the named file, or truncates it, open for reading and
	// writing.
	Create(name string) (File, error)
	// Open opens the named file read-only.
	Open(name string) (File, error)
	// OpenReadWrite opens an existing file for reading and writing.
	OpenReadWrite(name string) (File, error)
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// RemoveAll removes a directory tree.
	RemoveAll(dir string) error
	// Rename renames a file, replacing newname atomically if it exists.
	Rename(oldname, newname string) error
	// MkdirAll creates a directory and its parents.
	MkdirAll(dir string, perm os.FileMode) error
	// List returns the names of the entries of dir (not paths), sorted.
	List(dir string) ([]string, error)
	// Stat describes the named file.
	Stat(name string) (os.FileInfo, error)
	// SyncDir makes the entries of dir (creations, renames, removals)
	// durable.
	SyncDir(dir string) error
	// Lock takes an exclusive lock on the named file, creating it if
	// needed, so that a second process (or a second Lock) fails; closing
	// the returned Closer releases it.
	Lock(name string) (io.Closer, error)
	// DiskUsage reports the size and free space of the file system that
	// holds path.
	DiskUsage(path string) (DiskUsage, error)
}

// DiskUsage is the space of a file system, in bytes: Free is what an
// unprivileged writer can still use, Total that plus what is used (the
// blocks reserved for root are neither, as in df's Use%).
type DiskUsage struct {
	Total, Free uint64
}

// UsedRatio is the used fraction of the file system, 0 to 1.
func (u DiskUsage) UsedRatio() float64 {
	if u.Total == 0 {
		return 0
	}
	return float64(u.Total-u.Free) / float64(u.Total)
}

// File is an open file. Its methods are safe for concurrent use where the
// underlying calls are (ReadAt and WriteAt at distinct offsets).
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	// Name returns the name the file was opened with.
	Name() string
	// Preallocate reserves size bytes of disk for the file (fallocate,
	// real blocks, not a sparse hole), extending it to at least size, so
	// that writes within it neither fail for lack of space nor change the
	// file's metadata.
	Preallocate(size int64) error
	// Sync makes the file's data durable (fdatasync).
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Stat describes the file.
	Stat() (os.FileInfo, error)
	// Map maps the first size bytes of the file (MAP_SHARED), writable if
	// asked. The file must be at least size bytes long. The mapping stays
	// valid after the File is closed, until Unmap.
	Map(size int, writable bool) (Mapping, error)
}

// WriteBacker is implemented by files that can pace bulk writes: WriteBack
// starts the write-back of the dirty pages in [off, off+n) and, if wait,
// waits for it (sync_file_range). It makes nothing durable; Sync does.
type WriteBacker interface {
	WriteBack(off, n int64, wait bool) error
}

// CacheDropper is implemented by files whose page cache can be released:
// DropCache asks the kernel to drop the clean, unmapped cached pages of
// [off, off+n) (posix_fadvise POSIX_FADV_DONTNEED; partial pages at the
// ends stay). Dirty pages are not dropped (the kernel starts their
// write-back), and pages mapped into a process stay until unmapped or
// zapped (Mapping.Advise with AdviseDontNeed). Nothing is lost: a later
// read loads the bytes from the disk again.
type CacheDropper interface {
	DropCache(off, n int64) error
}

// Mapping is a memory mapping of a file.
type Mapping interface {
	// Bytes returns the mapped bytes. Reading them after Unmap faults.
	Bytes() []byte
	// Advise tells the kernel how the range [off, off+n) will be used.
	Advise(off, n int, advice Advice) error
	// Unmap releases the mapping. Bytes must not be used afterwards.
	Unmap() error
}

// Advice is a madvise hint.
type Advice int

const (
	// AdviseNormal is the default.
	AdviseNormal Advice = iota
	// AdviseSequential expects sequential reads (aggressive read-ahead).
	AdviseSequential
	// AdviseRandom expects random reads (no read-ahead).
	AdviseRandom
	// AdviseWillNeed asks the kernel to read the range in now.
	AdviseWillNeed
	// AdviseDontNeed lets the kernel drop the range from the page cache.
	AdviseDontNeed
	// AdvisePopulateWrite maps the range writable now (MADV_POPULATE_WRITE,
	// Linux 5.14+), as a write fault on each page would, without storing:
	// later stores take no fault. For a shared file mapping the pages
	// become dirty. A kernel without it fails with EINVAL.
	AdvisePopulateWrite
)
