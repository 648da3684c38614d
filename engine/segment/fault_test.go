package segment

import (
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/quivermq/quiver/engine/vfs"
)

// faultFS wraps vfs.Default and injects errors: a Preallocate error for
// chosen file names, and WriteAt or Sync errors on every file it opened.
// It counts Syncs. (engine/vfs/errorfs is the general tool; this keeps the
// package's tests independent of it.)
type faultFS struct {
	vfs.FS
	mu            sync.Mutex
	preallocErr   error           // returned by Preallocate when preallocFor matches
	preallocFor   map[string]bool // base names (no .tmp); nil means every file
	writeErr      atomic.Pointer[error]
	syncErr       atomic.Pointer[error]
	syncs         atomic.Int64
	preallocCalls atomic.Int64
}

func newFaultFS() *faultFS { return &faultFS{FS: vfs.Default} }

func (fs *faultFS) setPrealloc(err error, names ...string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.preallocErr = err
	fs.preallocFor = nil
	if len(names) > 0 {
		fs.preallocFor = map[string]bool{}
		for _, n := range names {
			fs.preallocFor[n] = true
		}
	}
}

func (fs *faultFS) failWrites(err error) { fs.writeErr.Store(&err) }
func (fs *faultFS) failSyncs(err error)  { fs.syncErr.Store(&err) }

func (fs *faultFS) Create(name string) (vfs.File, error) {
	f, err := fs.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: f, fs: fs}, nil
}

func (fs *faultFS) OpenReadWrite(name string) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: f, fs: fs}, nil
}

type faultFile struct {
	vfs.File
	fs *faultFS
}

func (f *faultFile) Preallocate(size int64) error {
	f.fs.preallocCalls.Add(1)
	f.fs.mu.Lock()
	err, only := f.fs.preallocErr, f.fs.preallocFor
	f.fs.mu.Unlock()
	base := filepath.Base(f.Name())
	base = base[:min(len(base), nameLen)]
	if err != nil && (only == nil || only[base]) {
		return err
	}
	return f.File.Preallocate(size)
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if e := f.fs.writeErr.Load(); e != nil && *e != nil {
		return 0, *e
	}
	return f.File.WriteAt(p, off)
}

func (f *faultFile) Sync() error {
	f.fs.syncs.Add(1)
	if e := f.fs.syncErr.Load(); e != nil && *e != nil {
		return *e
	}
	return f.File.Sync()
}
