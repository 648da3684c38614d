package errorfs

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Op names an FS, File or Mapping operation that can fail.
type Op int

// The operations an Injector sees. OpAny matches every one of them in a
// Rule.
const (
	OpAny         Op = iota
	OpCreate         // FS.Create
	OpOpen           // FS.Open and FS.OpenReadWrite
	OpReadAt         // File.ReadAt
	OpWriteAt        // File.WriteAt
	OpSync           // File.Sync
	OpPreallocate    // File.Preallocate
	OpTruncate       // File.Truncate
	OpMap            // File.Map
	OpStat           // FS.Stat and File.Stat
	OpClose          // File.Close (the file is closed anyway, as close(2) does)
	OpRemove         // FS.Remove and FS.RemoveAll
	OpRename         // FS.Rename
	OpMkdirAll       // FS.MkdirAll
	OpList           // FS.List
	OpSyncDir        // FS.SyncDir
	OpLock           // FS.Lock
	OpDiskUsage      // FS.DiskUsage
	numOps
)

var opNames = [numOps]string{
	OpAny: "Any", OpCreate: "Create", OpOpen: "Open", OpReadAt: "ReadAt",
	OpWriteAt: "WriteAt", OpSync: "Sync", OpPreallocate: "Preallocate",
	OpTruncate: "Truncate", OpMap: "Map", OpStat: "Stat", OpClose: "Close",
	OpRemove: "Remove", OpRename: "Rename", OpMkdirAll: "MkdirAll",
	OpList: "List", OpSyncDir: "SyncDir", OpLock: "Lock", OpDiskUsage: "DiskUsage",
}

// sysNames are the *os.PathError Op strings, named after the system call
// as package os and vfs.Default name them.
var sysNames = [numOps]string{
	OpAny: "any", OpCreate: "open", OpOpen: "open", OpReadAt: "read",
	OpWriteAt: "write", OpSync: "fdatasync", OpPreallocate: "fallocate",
	OpTruncate: "truncate", OpMap: "mmap", OpStat: "stat", OpClose: "close",
	OpRemove: "remove", OpRename: "rename", OpMkdirAll: "mkdir",
	OpList: "readdirent", OpSyncDir: "fsync", OpLock: "flock", OpDiskUsage: "statfs",
}

func (op Op) String() string {
	if op < 0 || op >= numOps {
		return "Op(?)"
	}
	return opNames[op]
}

func (op Op) sys() string {
	if op < 0 || op >= numOps {
		return "?"
	}
	return sysNames[op]
}

// Call describes one operation about to run, as an Injector sees it.
type Call struct {
	Op Op
	// Path is the file or directory, cleaned and rooted ("/a/b" for "a/b"
	// and "/a/b/"): for File methods, the name the file was opened with.
	Path string
	// NewPath is Rename's destination; empty for every other Op.
	NewPath string
	// Off and Len are the byte range of ReadAt and WriteAt, the size of
	// Preallocate, Truncate and Map (Off 0); zero for every other Op.
	Off, Len int64
}

// Injector decides whether an operation fails. MaybeError returns the
// error to inject, typically a syscall.Errno, or nil to let the call run.
// The FS wraps a non-nil error in an *InjectedError inside an
// *os.PathError, and the operation then has no effect, except for
// File.Sync (see FS) and File.Close (the file is closed anyway).
//
// MaybeError is called concurrently and with no FS lock held, once per
// operation.
type Injector interface {
	MaybeError(c Call) error
}

// InjectorFunc adapts a function to an Injector.
type InjectorFunc func(c Call) error

// MaybeError calls f(c).
func (f InjectorFunc) MaybeError(c Call) error { return f(c) }

// Rule is an Injector that fails matching calls: by Op, by Path pattern,
// after some calls, a number of times or with a probability. Use it by
// pointer, and do not change its fields once it is injected.
//
//	fs.Inject(&errorfs.Rule{Op: errorfs.OpSync, Path: "commitlog/*", Err: syscall.EIO, Times: 1})
type Rule struct {
	// Op is the operation to fail; OpAny fails every operation.
	Op Op
	// Path is a filepath.Match pattern, matched (see MatchPath) against the
	// call's Path and, for Rename, NewPath. Empty matches every path.
	Path string
	// Err is the error to inject; nil means syscall.EIO.
	Err error
	// After lets the first After matching calls through.
	After int
	// Times is how many matching calls fail after that; 0 means all.
	Times int
	// Probability, if in (0, 1), fails each matching call past After with
	// that probability instead of always, drawn from a generator seeded
	// with Seed so that a run can be replayed.
	Probability float64
	Seed        uint64

	mu      sync.Mutex
	matched int // calls that matched Op and Path
	fired   int // errors returned
	rnd     *rand.Rand
}

// MaybeError implements Injector.
func (r *Rule) MaybeError(c Call) error {
	if r.Op != OpAny && r.Op != c.Op {
		return nil
	}
	if r.Path != "" && !MatchPath(r.Path, c.Path) && (c.NewPath == "" || !MatchPath(r.Path, c.NewPath)) {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.matched++
	if r.matched <= r.After || (r.Times > 0 && r.fired >= r.Times) {
		return nil
	}
	if r.Probability > 0 && r.Probability < 1 {
		if r.rnd == nil {
			r.rnd = rand.New(rand.NewPCG(r.Seed, 0x9e3779b97f4a7c15))
		}
		if r.rnd.Float64() >= r.Probability {
			return nil
		}
	}
	r.fired++
	if r.Err == nil {
		return syscall.EIO
	}
	return r.Err
}

// Fired returns how many errors r has injected so far.
func (r *Rule) Fired() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fired
}

// MatchPath reports whether path (cleaned and rooted, as in Call) matches
// pattern. A pattern that starts with "/" is matched against the whole
// path with filepath.Match. Any other pattern is matched against every
// trailing run of path components, so "commitlog/*" matches
// "/tmp/x/store/commitlog/00000000000000000000" and "*.tmp" matches any
// file whose name ends in .tmp. A malformed pattern matches nothing.
func MatchPath(pattern, path string) bool {
	if strings.HasPrefix(pattern, "/") {
		ok, _ := filepath.Match(pattern, path)
		return ok
	}
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] != '/' {
			continue
		}
		if ok, _ := filepath.Match(pattern, path[i+1:]); ok {
			return true
		}
	}
	return false
}
