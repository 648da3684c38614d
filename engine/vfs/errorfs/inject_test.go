package errorfs_test

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
)

// TestInjectEachOp injects each error kind at each operation and checks
// that the call fails with it, classifiable with errors.Is and carrying
// the path, and that the operation had no effect.
func TestInjectEachOp(t *testing.T) {
	// Each case prepares /d/t (a file holding "data", durable) or the
	// directory /d/t, arms the injector, runs the operation once and
	// returns its error; check, if set, asserts that nothing happened.
	type tcase struct {
		op    errorfs.Op
		dir   bool   // /d/t is a directory
		path  string // the path the call names, if not /d/t
		run   func(t *testing.T, fsys *errorfs.FS, arm func()) error
		check func(t *testing.T, fsys *errorfs.FS)
	}
	withFile := func(writable bool, fn func(f vfs.File) error) func(*testing.T, *errorfs.FS, func()) error {
		return func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			open := fsys.Open
			if writable {
				open = fsys.OpenReadWrite
			}
			f, err := open("/d/t")
			must(t, err)
			defer f.Close()
			arm()
			return fn(f)
		}
	}
	unchanged := func(t *testing.T, fsys *errorfs.FS) {
		t.Helper()
		if got, ok := get(t, fsys, "/d/t"); !ok || got != "data" {
			t.Errorf("/d/t = %q, %v after the failed call; want data", got, ok)
		}
	}
	cases := []tcase{
		{op: errorfs.OpCreate, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			_, err := fsys.Create("/d/t")
			return err
		}, check: unchanged},
		{op: errorfs.OpOpen, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			_, err := fsys.Open("/d/t")
			return err
		}},
		{op: errorfs.OpOpen, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			_, err := fsys.OpenReadWrite("/d/t")
			return err
		}},
		{op: errorfs.OpReadAt, run: withFile(false, func(f vfs.File) error {
			_, err := f.ReadAt(make([]byte, 4), 0)
			return err
		})},
		{op: errorfs.OpWriteAt, run: withFile(true, func(f vfs.File) error {
			_, err := f.WriteAt([]byte("DATA+more"), 0)
			return err
		}), check: unchanged},
		{op: errorfs.OpSync, run: withFile(true, func(f vfs.File) error { return f.Sync() })},
		{op: errorfs.OpPreallocate, run: withFile(true, func(f vfs.File) error { return f.Preallocate(1 << 20) }), check: unchanged},
		{op: errorfs.OpTruncate, run: withFile(true, func(f vfs.File) error { return f.Truncate(1) }), check: unchanged},
		{op: errorfs.OpMap, run: withFile(false, func(f vfs.File) error {
			_, err := f.Map(4, false)
			return err
		})},
		{op: errorfs.OpStat, run: withFile(false, func(f vfs.File) error {
			_, err := f.Stat()
			return err
		})},
		{op: errorfs.OpStat, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			_, err := fsys.Stat("/d/t")
			return err
		}},
		{op: errorfs.OpClose, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			f, err := fsys.Open("/d/t")
			must(t, err)
			arm()
			err = f.Close()
			if files, _ := fsys.OpenHandles(); len(files) != 0 {
				t.Errorf("a failed Close left the file open: %q", files)
			}
			return err
		}},
		{op: errorfs.OpRemove, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			return fsys.Remove("/d/t")
		}, check: unchanged},
		{op: errorfs.OpRemove, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			return fsys.RemoveAll("/d/t")
		}, check: unchanged},
		{op: errorfs.OpRename, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			return fsys.Rename("/d/t", "/d/u")
		}, check: unchanged},
		{op: errorfs.OpMkdirAll, dir: true, path: "/d/t/sub", run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			return fsys.MkdirAll("/d/t/sub", 0o755)
		}, check: func(t *testing.T, fsys *errorfs.FS) {
			if _, err := fsys.Stat("/d/t/sub"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("failed MkdirAll made the directory: %v", err)
			}
		}},
		{op: errorfs.OpList, dir: true, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			_, err := fsys.List("/d/t")
			return err
		}},
		{op: errorfs.OpSyncDir, dir: true, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			put(t, fsys, "/d/t/new", "x", true, false)
			arm()
			return fsys.SyncDir("/d/t")
		}, check: func(t *testing.T, fsys *errorfs.FS) {
			if _, ok := get(t, fsys.CrashClone(errorfs.CrashOptions{}), "/d/t/new"); ok {
				t.Error("failed SyncDir made the entry durable")
			}
		}},
		{op: errorfs.OpLock, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			_, err := fsys.Lock("/d/t")
			return err
		}, check: func(t *testing.T, fsys *errorfs.FS) {
			l, err := fsys.Lock("/d/t")
			must(t, err)
			must(t, l.Close())
		}},
		{op: errorfs.OpDiskUsage, dir: true, run: func(t *testing.T, fsys *errorfs.FS, arm func()) error {
			arm()
			_, err := fsys.DiskUsage("/d/t")
			return err
		}},
	}
	for _, tc := range cases {
		for _, errno := range []syscall.Errno{syscall.EIO, syscall.ENOSPC} {
			t.Run(tc.op.String()+"/"+errno.Error(), func(t *testing.T) {
				fsys := newFS(t)
				if tc.dir {
					must(t, fsys.MkdirAll("/d/t", 0o755))
				} else {
					put(t, fsys, "/d/t", "data", true, true)
				}
				path := "/d/t"
				if tc.path != "" {
					path = tc.path
				}
				rule := &errorfs.Rule{Op: tc.op, Path: path, Err: errno}
				err := tc.run(t, fsys, func() { fsys.Inject(rule) })
				if !errors.Is(err, errno) || !errors.Is(err, errorfs.ErrInjected) {
					t.Fatalf("err = %v, want %v, injected", err, errno)
				}
				var pe *os.PathError
				var le *os.LinkError
				switch {
				case errors.As(err, &pe):
					if pe.Path != path {
						t.Errorf("PathError.Path = %q, want %s", pe.Path, path)
					}
				case errors.As(err, &le):
					if le.Old != "/d/t" {
						t.Errorf("LinkError.Old = %q, want /d/t", le.Old)
					}
				default:
					t.Errorf("err %T is neither *os.PathError nor *os.LinkError", err)
				}
				if rule.Fired() != 1 {
					t.Errorf("Fired = %d, want 1", rule.Fired())
				}
				fsys.ClearInjectors()
				if tc.check != nil {
					tc.check(t, fsys)
				}
			})
		}
	}
}

func TestRuleCounting(t *testing.T) {
	fsys := newFS(t)
	f, err := fsys.Create("/d/a")
	must(t, err)
	defer f.Close()
	write := func() error { _, err := f.WriteAt([]byte("x"), 0); return err }

	r := &errorfs.Rule{Op: errorfs.OpWriteAt, After: 2, Times: 2} // Err nil: EIO
	remove := fsys.Inject(r)
	var got []bool
	for range 6 {
		err := write()
		if err != nil && !errors.Is(err, syscall.EIO) {
			t.Fatalf("err = %v, want EIO", err)
		}
		got = append(got, err != nil)
	}
	if want := []bool{false, false, true, true, false, false}; !equalBools(got, want) {
		t.Errorf("failures %v, want %v", got, want)
	}
	remove()
	if r.Fired() != 2 {
		t.Errorf("Fired = %d, want 2", r.Fired())
	}

	// Other ops and other paths are not touched.
	fsys.Inject(&errorfs.Rule{Op: errorfs.OpSync, Path: "other"})
	must(t, f.Sync())
	fsys.ClearInjectors()

	// A probability with a seed is reproducible and roughly right.
	pattern := func() []bool {
		fsys.ClearInjectors()
		fsys.Inject(&errorfs.Rule{Op: errorfs.OpWriteAt, Probability: 0.3, Seed: 42})
		var p []bool
		for range 400 {
			p = append(p, write() != nil)
		}
		return p
	}
	p1, p2 := pattern(), pattern()
	if !equalBools(p1, p2) {
		t.Error("same seed, different failures")
	}
	n := 0
	for _, b := range p1 {
		if b {
			n++
		}
	}
	if n < 80 || n > 160 {
		t.Errorf("%d of 400 failed at p=0.3", n)
	}
	fsys.ClearInjectors()
	must(t, write())
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestInjectorFunc fails the one write that crosses an offset: ENOSPC in
// the middle of an append stream.
func TestInjectorFunc(t *testing.T) {
	fsys := newFS(t)
	f, err := fsys.Create("/d/commitlog")
	must(t, err)
	defer f.Close()
	const limit = 1000
	fsys.Inject(errorfs.InjectorFunc(func(c errorfs.Call) error {
		if c.Op == errorfs.OpWriteAt && c.Off < limit && c.Off+c.Len > limit {
			return syscall.ENOSPC
		}
		return nil
	}))
	rec := make([]byte, 300)
	var off int64
	for i := range 5 {
		_, err := f.WriteAt(rec, off)
		if i == 3 {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("write %d: %v, want ENOSPC", i, err)
			}
			break
		}
		must(t, err)
		off += int64(len(rec))
	}
	if fi, _ := f.Stat(); fi.Size() != 900 {
		t.Errorf("size %d after the failed append, want 900", fi.Size())
	}
}

func TestRenameMatchesEitherName(t *testing.T) {
	for _, pat := range []string{"*.tmp", "00000000000000000000", "/d/*.tmp", "d/0*"} {
		fsys := newFS(t)
		put(t, fsys, "/d/seg.tmp", "", true, true)
		fsys.Inject(&errorfs.Rule{Op: errorfs.OpRename, Path: pat})
		if err := fsys.Rename("/d/seg.tmp", "/d/00000000000000000000"); !errors.Is(err, errorfs.ErrInjected) {
			t.Errorf("pattern %q: Rename err = %v, want injected", pat, err)
		}
	}
}

func TestMatchPath(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"commitlog/*", "/tmp/x/store/commitlog/00000000000000000000", true},
		{"commitlog/*", "/tmp/x/store/commitlog", false},
		{"store/commitlog/*", "/tmp/x/store/commitlog/0", true},
		{"*.tmp", "/a/b/c.tmp", true},
		{"*.tmp", "/a/b.tmp/c", false},
		{"0*", "/store/consumequeue/T/0/00000000000000000000", true},
		{"consumequeue/*/*/*", "/store/consumequeue/T/0/00000000000000000000", true},
		{"/store/*", "/store/checkpoint", true},
		{"/store/*", "/x/store/checkpoint", false},
		{"checkpoint", "/store/checkpoint", true},
		{"checkpoint", "/store/checkpoint.bak", false},
		{"[", "/a", false},
	}
	for _, tc := range tests {
		if got := errorfs.MatchPath(tc.pattern, tc.path); got != tc.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}
