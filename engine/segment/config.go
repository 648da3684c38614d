package segment

import (
	"fmt"
	"os"

	"github.com/quivermq/quiver/engine/vfs"
)

// WriteMode says how WriteAt puts bytes into a segment. Either way they
// land in the page cache, the mapping serves every read, and Sync
// (fdatasync) makes them durable.
type WriteMode int

const (
	// WritePwrite writes with pwrite(2) into the pre-allocated file; the
	// mapping is read-only. The default: on the dev machine it has the
	// better fdatasync tail at every record size and the cheaper append
	// from 4 KiB records up (BENCHMARKS.md in this directory).
	WritePwrite WriteMode = iota + 1
	// WriteMapped copies into a writable mapping (RocketMQ's way), or
	// lets the writer store into Bytes() and Commit. No syscall per
	// append, but the first store to each page takes a write-protect fault
	// (about 2 µs here) unless PrepareWrite mapped it writable first, and
	// every write-back write-protects the pages again. Cheapest for records
	// of 1-2 KiB under ASYNC_FLUSH (0.65 against 1.18 µs per 1 KiB append
	// here).
	WriteMapped
)

// String returns "pwrite" or "mapped".
func (m WriteMode) String() string {
	switch m {
	case WritePwrite:
		return "pwrite"
	case WriteMapped:
		return "mapped"
	}
	return fmt.Sprintf("WriteMode(%d)", int(m))
}

// Config is a segment's configuration, shared by every segment of one
// file family (the commit log's, say). It is immutable once passed to
// Create, Open or NewAllocator.
type Config struct {
	// Size is the length of every segment file, in bytes: a positive
	// multiple of the page size. Default 1 GiB (RocketMQ's
	// mapedFileSizeCommitLog).
	Size int
	// WriteMode selects pwrite or stores into the mapping. Default
	// WritePwrite.
	WriteMode WriteMode
	// Warm makes Create read every page of a new segment in (MADV_WILLNEED
	// and one load per page), so that the first append to a page neither
	// allocates page cache nor takes a major fault. Default true.
	Warm bool
	// Advice is the madvise hint applied to the whole mapping for readers.
	// Default vfs.AdviseNormal (the kernel's read-ahead, which suits both
	// tail reads and catch-up scans).
	Advice vfs.Advice
	// ZeroFill makes Create write zeros over the whole file (after the
	// fallocate, before the sync and rename), so that its extents are
	// written rather than unwritten. Writing into an unwritten extent
	// makes the next fdatasync convert it: a journal commit on every
	// sync, and a slower one the more pages the sync covers. On the dev
	// machine a 32 KiB group-commit write plus fdatasync took 111 µs at
	// p50 into a zero-filled file against 188 µs into a fallocated one
	// (BENCHMARKS.md). The price is writing Size bytes once, on the
	// allocator's goroutine. Default false.
	ZeroFill bool
	// PrepareWrite makes Create map the first PrepareWrite bytes of a new
	// WriteMapped segment writable (Segment.PrepareWrite), so that the
	// writer's first stores take no write-protect fault. Default 0 (none);
	// ignored in WritePwrite mode.
	PrepareWrite int
}

// DefaultConfig returns the defaults documented on Config's fields.
func DefaultConfig() Config {
	return Config{
		Size:      1 << 30,
		WriteMode: WritePwrite,
		Warm:      true,
		Advice:    vfs.AdviseNormal,
	}
}

// Validate reports the first field out of range, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	ps := os.Getpagesize()
	switch {
	case c.Size <= 0 || c.Size%ps != 0:
		return fmt.Errorf("%w: Size %d is not a positive multiple of the page size %d", ErrInvalidConfig, c.Size, ps)
	case c.WriteMode != WritePwrite && c.WriteMode != WriteMapped:
		return fmt.Errorf("%w: unknown WriteMode %d", ErrInvalidConfig, int(c.WriteMode))
	case c.Advice < vfs.AdviseNormal || c.Advice > vfs.AdviseDontNeed:
		return fmt.Errorf("%w: unknown Advice %d", ErrInvalidConfig, int(c.Advice))
	case c.PrepareWrite < 0:
		return fmt.Errorf("%w: negative PrepareWrite %d", ErrInvalidConfig, c.PrepareWrite)
	}
	return nil
}
