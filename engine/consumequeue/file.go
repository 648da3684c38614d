package consumequeue

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/quivermq/quiver/engine/vfs"
)

// nameDigits is the width of a file name: the start byte offset,
// zero-padded, as RocketMQ's UtilAll.offset2FileName. Format, never change.
const nameDigits = 20

// tmpSuffix marks a file being created; Load removes leftovers.
const tmpSuffix = ".tmp"

// fileName returns the name of the file whose first entry is queue offset
// start: its start byte offset in 20 digits.
func fileName(start int64) string {
	return fmt.Sprintf("%020d", start*EntrySize)
}

// parseFileName returns the start byte offset a file name encodes.
func parseFileName(name string) (int64, bool) {
	if len(name) != nameDigits {
		return 0, false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(name, 10, 64)
	return v, err == nil
}

// file is one mapped queue file. The Queue holds one reference from
// creation until the file is deleted or the Queue closed; every View, and
// Sync while it syncs, holds another. The last release unmaps the file
// and closes its handle, so neither races with a reader or a sync.
type file struct {
	start int64  // queue offset of the first entry; a multiple of EntriesPerFile
	path  string // full path
	f     vfs.File
	m     vfs.Mapping
	data  []byte // m.Bytes(): the whole file, writable
	refs  atomic.Int32
}

// tryAcquire takes a reference unless the file is already released.
func (f *file) tryAcquire() bool {
	for {
		r := f.refs.Load()
		if r <= 0 {
			return false
		}
		if f.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// release drops a reference. The last one unmaps and closes the file.
func (f *file) release() {
	switch r := f.refs.Add(-1); {
	case r == 0:
		// Errors surface nowhere useful: the file is deleted or the queue
		// closed, and a failed munmap or close leaks at most one mapping.
		_ = f.m.Unmap()
		_ = f.f.Close()
	case r < 0:
		panic("consumequeue: file released more often than acquired")
	}
}

// entry decodes the entry at queue offset off, which the file must hold.
func (f *file) entry(off int64) Entry {
	i := int(off-f.start) * EntrySize
	return DecodeEntry(f.data[i : i+EntrySize])
}

// createFile makes the file that starts at queue offset start, at its full
// size: it is created and preallocated under a temporary name, synced,
// renamed and the directory synced, so a file with the final name always
// has the final size. Then it is mapped writable.
func createFile(fsys vfs.FS, dir string, start int64, size int) (_ *file, err error) {
	path := filepath.Join(dir, fileName(start))
	tmp := path + tmpSuffix
	vf, err := fsys.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("consumequeue: create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			_ = vf.Close()       // the first error is the one reported
			_ = fsys.Remove(tmp) // a leftover tmp file is removed by Load
		}
	}()
	if err := vf.Preallocate(int64(size)); err != nil {
		return nil, fmt.Errorf("consumequeue: preallocate %s: %w", tmp, err)
	}
	// NB: no fsync of the file or its directory here: the queue's Sync
	// (the checkpoint) makes them durable (see Queue.makeDir).
	if err := fsys.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("consumequeue: rename %s: %w", tmp, err)
	}
	m, err := vf.Map(size, true)
	if err != nil {
		return nil, fmt.Errorf("consumequeue: map %s: %w", path, err)
	}
	// NB: no MADV_WILLNEED here. On a new file it makes the kernel read
	// the whole file ahead (6 MB of a default queue file) on the caller's
	// goroutine, the dispatcher's: a fresh topic of 1024 queues stalled
	// dispatch for tens of seconds in it. The writes fault the pages in one
	// at a time, as they are needed.
	return newFile(start, path, vf, m), nil
}

// errEmptyFile marks an empty queue file: one whose creation a crash cut
// short (its directory entry durable before its allocation). load removes
// it if it is the last file, and refuses the queue otherwise.
var errEmptyFile = errors.New("consumequeue: empty file")

// openFile maps an existing file of the given size, writable.
func openFile(fsys vfs.FS, path string, start int64, size int) (*file, error) {
	vf, err := fsys.OpenReadWrite(path)
	if err != nil {
		return nil, fmt.Errorf("consumequeue: open %s: %w", path, err)
	}
	fi, err := vf.Stat()
	if err != nil {
		_ = vf.Close() // the stat error is the one reported
		return nil, fmt.Errorf("consumequeue: stat %s: %w", path, err)
	}
	if fi.Size() == 0 {
		_ = vf.Close() // the size error is the one reported
		return nil, fmt.Errorf("%w: %s, want %d bytes", errEmptyFile, path, size)
	}
	if fi.Size() != int64(size) {
		_ = vf.Close() // the size error is the one reported
		return nil, fmt.Errorf("%w: %s is %d bytes, want %d (EntriesPerFile %d)",
			ErrCorrupt, path, fi.Size(), size, size/EntrySize)
	}
	m, err := vf.Map(size, true)
	if err != nil {
		_ = vf.Close() // the map error is the one reported
		return nil, fmt.Errorf("consumequeue: map %s: %w", path, err)
	}
	return newFile(start, path, vf, m), nil
}

func newFile(start int64, path string, vf vfs.File, m vfs.Mapping) *file {
	f := &file{start: start, path: path, f: vf, m: m, data: m.Bytes()}
	f.refs.Store(1)
	return f
}
