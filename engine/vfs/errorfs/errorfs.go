// Package errorfs is an in-memory vfs.FS for tests: it keeps apart what a
// process sees (the page cache) and what survives a power loss (the disk),
// simulates the power loss, injects errors by operation and path, and runs
// out of space on demand.
//
// # Model
//
// Every file has two images. The live image is what ReadAt, WriteAt and
// every Mapping of the file share: Mapping.Bytes is the live image's
// backing array itself, so a mapping sees WriteAt at once and ReadAt sees
// writes through a writable mapping (MAP_SHARED over the page cache). The
// durable image is the live one as of the last successful File.Sync.
// Preallocate and Truncate change the live size; the new size, like the
// bytes, becomes durable with Sync (fdatasync semantics).
//
// Every directory has two entry sets. Create, Rename, Remove and RemoveAll
// change the live set, what List, Open and Stat see; SyncDir of the
// directory copies it to the durable set. A file created, synced but whose
// directory was never synced is lost by a crash; a rename not followed by
// SyncDir of both directories is undone, and a removed file comes back.
// Exception: a directory made by MkdirAll is durable at once (in a parent
// whose durable set does not already hold that name), so that tests need
// not sync every ancestor of their store directory.
//
//	live   ── File.Sync ──▶ durable   (a file's bytes and size)
//	entries ─ SyncDir ───▶ durable   (a directory's names)
//
// Crash (in place) and CrashClone (a copy) build the state after a power
// loss: each file is its durable image, each directory its durable entry
// set, walked from the root. With CrashOptions.Rand, each file also keeps
// a random prefix, in file order, of its pages that Sync would have
// written: write-back cut short, which leaves a torn tail at a PageSize
// boundary. The same seed gives the same state. Crash invalidates every
// File, Mapping and Lock of the old state (their methods return
// ErrCrashed, Mapping.Bytes returns nil) and releases the locks; a process
// crash without power loss is simply reopening the same FS.
//
// A failed File.Sync (an injected error) models Linux after an fsync
// error: the pages it was writing are marked clean without reaching the
// disk, so a later Sync that succeeds does not write them unless they are
// written again. An engine that retries fsync and trusts the retry loses
// data here, as it would on Linux.
//
// # Faults
//
// Inject adds an Injector, typically a *Rule:
//
//	fs.Inject(&errorfs.Rule{Op: errorfs.OpWriteAt, Path: "commitlog/*", Err: syscall.ENOSPC, After: 10, Times: 1})
//
// An injected error comes back as an *os.PathError (an *os.LinkError for
// Rename) around an *InjectedError, so errors.Is(err, syscall.ENOSPC) and
// errors.Is(err, ErrInjected) both hold; the operation has no effect.
// SetCapacity limits the bytes all files may hold: growth past it (WriteAt
// past the end, Preallocate, Truncate up) fails with syscall.ENOSPC, a
// WriteAt after writing what fits, and DiskUsage reports the capacity as
// Total. Writes inside a file's current size never need space, so a
// preallocated segment never runs out.
//
// # Names
//
// Names are cleaned and rooted: "a/b", "/a/b" and "/a/b/" are one file.
// The root directory always exists and is always durable; everything else
// must be made with MkdirAll. Errors carry the name as the caller gave it.
//
// # Cost
//
// Each file costs its live size in memory, plus its durable size once
// synced. Sync copies only the pages written since the last Sync (about
// 0.4 µs for a 1 KiB append), except on a file with a writable mapping,
// whose writes it cannot see: it then compares every page, about 75 µs
// per MiB of file. Keep segments small in tests that sync often.
//
// # Concurrency and limits
//
// An FS, its Files and Mappings are safe for concurrent use; ReadAt and
// WriteAt of one file are serialized. Access to Mapping.Bytes is not
// synchronized, as with real mmap: racing a write through a mapping with
// Sync, Crash or WriteAt of the same bytes is a data race that the race
// detector reports, so stop writers through mappings before Crash.
// Reading a Mapping after Unmap cannot fault: Bytes returns nil from then
// on, but slices taken before stay readable (and writes to them reach the
// file if it is still live). A read-only mapping is not write-protected. A
// mapped file cannot grow past the capacity of its backing array
// (ErrMappedGrowth): Preallocate (or Truncate) to the final size first, as
// a segment is. Truncating a mapped file down zeroes the cut bytes in the
// mapping instead of raising SIGBUS.
package errorfs

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quivermq/quiver/engine/vfs"
)

// DefaultCapacity is DiskUsage's Total when no capacity is set: 1 TiB.
const DefaultCapacity = 1 << 40

// FS is the in-memory file system. The zero value is not usable: call New.
type FS struct {
	mu sync.Mutex
	st *state // (mu); replaced by Crash

	capacity  atomic.Int64                      // bytes; 0: unlimited
	injectors atomic.Pointer[[]*injectorHandle] // copy on write
	clock     atomic.Pointer[func() time.Time]
}

type injectorHandle struct{ inj Injector }

// state is one incarnation of the file system: Crash replaces it. Handles
// keep a pointer to the state they were opened in.
type state struct {
	root    *inode
	used    atomic.Int64 // bytes held by files with a name, handle or mapping
	crashed atomic.Bool

	locks    map[string]*lockHandle // by cleaned name (FS.mu)
	files    map[*file]struct{}     // open Files (FS.mu)
	mappings map[*Mapping]struct{}  // live Mappings (FS.mu)
}

func newState() *state {
	return &state{
		locks:    map[string]*lockHandle{},
		files:    map[*file]struct{}{},
		mappings: map[*Mapping]struct{}{},
	}
}

var _ vfs.FS = (*FS)(nil)

// New returns an empty file system: the root directory, durable, with no
// capacity limit and no injector.
func New() *FS {
	fs := &FS{}
	fs.st = newState()
	fs.st.root = newDir(fs.st, 0o755, fs.now())
	return fs
}

// SetCapacity limits the bytes that all files together may hold; 0 (the
// default) means no limit. Lowering it below the bytes in use fails only
// later growth.
func (fs *FS) SetCapacity(bytes int64) { fs.capacity.Store(max(bytes, 0)) }

// SetClock sets the source of modification times (default time.Now).
func (fs *FS) SetClock(now func() time.Time) { fs.clock.Store(&now) }

func (fs *FS) now() time.Time {
	if f := fs.clock.Load(); f != nil {
		return (*f)()
	}
	return time.Now()
}

// Inject adds inj; injectors are asked in the order they were added and
// the first error wins. Calling remove takes inj out again.
func (fs *FS) Inject(inj Injector) (remove func()) {
	h := &injectorHandle{inj: inj}
	fs.updateInjectors(func(l []*injectorHandle) []*injectorHandle { return append(l, h) })
	return func() {
		fs.updateInjectors(func(l []*injectorHandle) []*injectorHandle {
			return slices.DeleteFunc(l, func(x *injectorHandle) bool { return x == h })
		})
	}
}

// ClearInjectors removes every injector.
func (fs *FS) ClearInjectors() { fs.injectors.Store(nil) }

func (fs *FS) updateInjectors(f func([]*injectorHandle) []*injectorHandle) {
	for {
		old := fs.injectors.Load()
		var l []*injectorHandle
		if old != nil {
			l = slices.Clone(*old)
		}
		l = f(l)
		if fs.injectors.CompareAndSwap(old, &l) {
			return
		}
	}
}

// fault asks the injectors about c and returns the wrapped error, or nil.
func (fs *FS) fault(c Call) error {
	l := fs.injectors.Load()
	if l == nil {
		return nil
	}
	for _, h := range *l {
		if err := h.inj.MaybeError(c); err != nil {
			return &InjectedError{Op: c.Op, Err: err}
		}
	}
	return nil
}

// cleanName returns name cleaned and rooted.
func cleanName(name string) string { return filepath.Clean("/" + name) }

// walkLocked returns the inode that k (cleaned) names.
//
// REQUIRES: fs.mu held.
func (st *state) walkLocked(k string) (*inode, error) {
	n := st.root
	if k == "/" {
		return n, nil
	}
	for _, c := range strings.Split(k[1:], "/") {
		if !n.dir {
			return nil, syscall.ENOTDIR
		}
		child, ok := n.entries[c]
		if !ok {
			return nil, syscall.ENOENT
		}
		n = child
	}
	return n, nil
}

// parentLocked returns the directory that holds k (cleaned) and k's base.
//
// REQUIRES: fs.mu held.
func (st *state) parentLocked(k string) (*inode, string, error) {
	if k == "/" {
		return nil, "", syscall.EBUSY
	}
	d, err := st.walkLocked(filepath.Dir(k))
	if err != nil {
		return nil, "", err
	}
	if !d.dir {
		return nil, "", syscall.ENOTDIR
	}
	return d, filepath.Base(k), nil
}

// Create implements vfs.FS.
func (fs *FS) Create(name string) (vfs.File, error) {
	k := cleanName(name)
	if err := fs.fault(Call{Op: OpCreate, Path: k}); err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	st := fs.st
	d, base, err := st.parentLocked(k)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	n := d.entries[base]
	switch {
	case n == nil:
		n = newFile(st, fs.now())
		n.nlink = 1
		d.entries[base] = n
	case n.dir:
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EISDIR}
	default:
		n.mu.Lock()
		_ = n.setSizeLocked(fs, 0, true) // shrinking neither fails nor needs space
		n.modTime = fs.now()
		n.mu.Unlock()
	}
	return fs.openLocked(st, n, name, k, true), nil
}

// Open implements vfs.FS. A directory can be opened; its File's Sync is
// SyncDir, and its other data methods fail with EISDIR.
func (fs *FS) Open(name string) (vfs.File, error) { return fs.open(name, false) }

// OpenReadWrite implements vfs.FS.
func (fs *FS) OpenReadWrite(name string) (vfs.File, error) { return fs.open(name, true) }

func (fs *FS) open(name string, writable bool) (vfs.File, error) {
	k := cleanName(name)
	if err := fs.fault(Call{Op: OpOpen, Path: k}); err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, err := fs.st.walkLocked(k)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	if n.dir && writable {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EISDIR}
	}
	return fs.openLocked(fs.st, n, name, k, writable), nil
}

// REQUIRES: fs.mu held.
func (fs *FS) openLocked(st *state, n *inode, name, k string, writable bool) *file {
	n.opens++
	f := &file{fs: fs, st: st, ino: n, name: name, key: k, writable: writable}
	st.files[f] = struct{}{}
	return f
}

// unlinkLocked drops one name of n; a directory losing its last name loses
// its live entries with it, as rm -r would remove them.
//
// REQUIRES: fs.mu held.
func (fs *FS) unlinkLocked(n *inode) {
	n.nlink--
	if n.dir && n.nlink == 0 {
		for name, c := range n.entries {
			delete(n.entries, name)
			fs.unlinkLocked(c)
		}
	}
	fs.releaseLocked(n)
}

// releaseLocked stops counting n's bytes as used once nothing refers to
// it: no name, no open File, no Mapping. The inode itself lives on while
// a durable entry names it, for Crash to bring back.
//
// REQUIRES: fs.mu held.
func (fs *FS) releaseLocked(n *inode) {
	if n.nlink > 0 || n.opens > 0 || n.freed {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.maps == 0 {
		n.freed = true
		n.st.used.Add(-int64(len(n.data)))
	}
}

// Remove implements vfs.FS.
func (fs *FS) Remove(name string) error {
	k := cleanName(name)
	if err := fs.fault(Call{Op: OpRemove, Path: k}); err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	d, base, err := fs.st.parentLocked(k)
	if err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	n := d.entries[base]
	switch {
	case n == nil:
		return &os.PathError{Op: "remove", Path: name, Err: syscall.ENOENT}
	case n.dir && len(n.entries) > 0:
		return &os.PathError{Op: "remove", Path: name, Err: syscall.ENOTEMPTY}
	}
	delete(d.entries, base)
	fs.unlinkLocked(n)
	return nil
}

// RemoveAll implements vfs.FS. Like os.RemoveAll it returns nil when the
// name does not exist.
func (fs *FS) RemoveAll(dir string) error {
	k := cleanName(dir)
	if err := fs.fault(Call{Op: OpRemove, Path: k}); err != nil {
		return &os.PathError{Op: "remove", Path: dir, Err: err}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if k == "/" {
		return &os.PathError{Op: "remove", Path: dir, Err: syscall.EBUSY}
	}
	d, base, err := fs.st.parentLocked(k)
	if err == syscall.ENOENT {
		return nil // no parent, no tree
	}
	if err != nil {
		return &os.PathError{Op: "remove", Path: dir, Err: err}
	}
	if n := d.entries[base]; n != nil {
		delete(d.entries, base)
		fs.unlinkLocked(n)
	}
	return nil
}

// Rename implements vfs.FS. As rename(2), it replaces a file or an empty
// directory, refuses to move a directory into itself, and does nothing
// when both names are the same file.
func (fs *FS) Rename(oldname, newname string) error {
	ko, kn := cleanName(oldname), cleanName(newname)
	fail := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	if err := fs.fault(Call{Op: OpRename, Path: ko, NewPath: kn}); err != nil {
		return fail(err)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	sd, sb, err := fs.st.parentLocked(ko)
	if err != nil {
		return fail(err)
	}
	src := sd.entries[sb]
	if src == nil {
		return fail(syscall.ENOENT)
	}
	dd, db, err := fs.st.parentLocked(kn)
	if err != nil {
		return fail(err)
	}
	if src.dir && strings.HasPrefix(kn, ko+"/") {
		return fail(syscall.EINVAL)
	}
	dst := dd.entries[db]
	switch {
	case dst == src:
		return nil
	case dst != nil && dst.dir && !src.dir:
		return fail(syscall.EISDIR)
	case dst != nil && dst.dir && len(dst.entries) > 0:
		return fail(syscall.ENOTEMPTY)
	case dst != nil && !dst.dir && src.dir:
		return fail(syscall.ENOTDIR)
	}
	delete(sd.entries, sb)
	dd.entries[db] = src
	if dst != nil {
		fs.unlinkLocked(dst)
	}
	return nil
}

// MkdirAll implements vfs.FS. The directories it makes are durable at
// once (see the package doc).
func (fs *FS) MkdirAll(dir string, perm os.FileMode) error {
	k := cleanName(dir)
	if err := fs.fault(Call{Op: OpMkdirAll, Path: k}); err != nil {
		return &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := fs.st.root
	if k == "/" {
		return nil
	}
	for _, c := range strings.Split(k[1:], "/") {
		child, ok := n.entries[c]
		if !ok {
			child = newDir(fs.st, perm, fs.now())
			child.nlink = 1
			n.entries[c] = child
			if _, ok := n.durableEntries[c]; !ok {
				n.durableEntries[c] = child
			}
		} else if !child.dir {
			return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		n = child
	}
	return nil
}

// List implements vfs.FS.
func (fs *FS) List(dir string) ([]string, error) {
	k := cleanName(dir)
	if err := fs.fault(Call{Op: OpList, Path: k}); err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, err := fs.st.walkLocked(k)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if !n.dir {
		return nil, &os.PathError{Op: "readdirent", Path: dir, Err: syscall.ENOTDIR}
	}
	return slices.Sorted(maps.Keys(n.entries)), nil
}

// Stat implements vfs.FS.
func (fs *FS) Stat(name string) (os.FileInfo, error) {
	k := cleanName(name)
	if err := fs.fault(Call{Op: OpStat, Path: k}); err != nil {
		return nil, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, err := fs.st.walkLocked(k)
	if err != nil {
		return nil, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	return n.info(filepath.Base(k)), nil
}

// SyncDir implements vfs.FS.
func (fs *FS) SyncDir(dir string) error {
	k := cleanName(dir)
	if err := fs.fault(Call{Op: OpSyncDir, Path: k}); err != nil {
		return &os.PathError{Op: "fsync", Path: dir, Err: err}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, err := fs.st.walkLocked(k)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if !n.dir {
		return &os.PathError{Op: "fsync", Path: dir, Err: syscall.ENOTDIR}
	}
	n.durableEntries = maps.Clone(n.entries)
	return nil
}

// Lock implements vfs.FS. Locks are per cleaned name and per FS, and a
// crash releases them. A second Lock fails with an error wrapping
// vfs.ErrLocked, as vfs.Default's does. The lock file is created if
// needed (a live entry, like any Create) and counts as an open file.
func (fs *FS) Lock(name string) (io.Closer, error) {
	k := cleanName(name)
	if err := fs.fault(Call{Op: OpLock, Path: k}); err != nil {
		return nil, &os.PathError{Op: "flock", Path: name, Err: err}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	st := fs.st
	if _, held := st.locks[k]; held {
		return nil, fmt.Errorf("lock %s: %w", name, vfs.ErrLocked)
	}
	d, base, err := st.parentLocked(k)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	n := d.entries[base]
	switch {
	case n == nil:
		n = newFile(st, fs.now())
		n.nlink = 1
		d.entries[base] = n
	case n.dir:
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EISDIR}
	}
	n.opens++
	l := &lockHandle{fs: fs, st: st, ino: n, name: name, key: k}
	st.locks[k] = l
	return l, nil
}

// DiskUsage implements vfs.FS: Total is the capacity (DefaultCapacity if
// none is set) and Free what the files leave of it. path must exist.
func (fs *FS) DiskUsage(path string) (vfs.DiskUsage, error) {
	k := cleanName(path)
	if err := fs.fault(Call{Op: OpDiskUsage, Path: k}); err != nil {
		return vfs.DiskUsage{}, &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if _, err := fs.st.walkLocked(k); err != nil {
		return vfs.DiskUsage{}, &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	total := fs.capacity.Load()
	if total == 0 {
		total = DefaultCapacity
	}
	free := max(total-fs.st.used.Load(), 0)
	return vfs.DiskUsage{Total: uint64(total), Free: uint64(free)}, nil
}

// OpenHandles returns the names (as opened) of the Files and locks still
// open, and of the Mappings not yet unmapped, each sorted: a leak check
// for after a component's Close.
func (fs *FS) OpenHandles() (files, mappings []string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for f := range fs.st.files {
		files = append(files, f.name)
	}
	for _, l := range fs.st.locks {
		files = append(files, l.name)
	}
	for m := range fs.st.mappings {
		mappings = append(mappings, m.name)
	}
	slices.Sort(files)
	slices.Sort(mappings)
	return files, mappings
}

// lockHandle is a held Lock.
type lockHandle struct {
	fs       *FS
	st       *state
	ino      *inode
	name     string
	key      string
	released bool // (FS.mu)
}

// Close releases the lock.
func (l *lockHandle) Close() error {
	l.fs.mu.Lock()
	defer l.fs.mu.Unlock()
	if l.released {
		return &os.PathError{Op: "close", Path: l.name, Err: os.ErrClosed}
	}
	l.released = true
	if l.st.crashed.Load() {
		return &os.PathError{Op: "close", Path: l.name, Err: ErrCrashed}
	}
	delete(l.st.locks, l.key)
	l.ino.opens--
	l.fs.releaseLocked(l.ino)
	return nil
}

// fileInfo is an os.FileInfo.
type fileInfo struct {
	name    string
	size    int64
	mode    os.FileMode
	modTime time.Time
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() os.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.modTime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return nil }

// info describes n under base. Directories have size 0.
func (n *inode) info(base string) os.FileInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	fi := &fileInfo{name: base, size: int64(len(n.data)), mode: n.perm, modTime: n.modTime}
	if n.dir {
		fi.mode |= os.ModeDir
	}
	return fi
}

// sortedNames returns m's keys in order.
func sortedNames(m map[string]*inode) []string {
	return slices.Sorted(maps.Keys(m))
}
