// Package vfstest holds the behavioural checks that every vfs.FS must
// pass, whatever it stores files in: the OS file system (vfs.Default) and
// the test one (errorfs) run the same suite, so that a test written
// against errorfs means the same on a disk. Crash and fault behaviour is
// errorfs's own and is tested there.
//
//	func TestConformance(t *testing.T) {
//		vfstest.Run(t, func(t *testing.T) (vfs.FS, string) { return vfs.Default, t.TempDir() })
//	}
package vfstest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/quivermq/quiver/engine/vfs"
)

// NewFunc returns a file system and an existing, empty directory in it for
// one subtest to work in.
type NewFunc func(t *testing.T) (fsys vfs.FS, dir string)

// Run runs every check as a subtest of t, each on a fresh NewFunc result.
func Run(t *testing.T, newFS NewFunc) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			fsys, dir := newFS(t)
			c.fn(t, fsys, dir)
		})
	}
}

var checks = []struct {
	name string
	fn   func(t *testing.T, fsys vfs.FS, dir string)
}{
	{"ReadWrite", testReadWrite},
	{"CreateTruncates", testCreateTruncates},
	{"OpenReadOnly", testOpenReadOnly},
	{"NotExist", testNotExist},
	{"Stat", testStat},
	{"List", testList},
	{"Rename", testRename},
	{"Remove", testRemove},
	{"MkdirAll", testMkdirAll},
	{"Preallocate", testPreallocate},
	{"Truncate", testTruncate},
	{"Sync", testSync},
	{"Map", testMap},
	{"MapErrors", testMapErrors},
	{"Lock", testLock},
	{"DiskUsage", testDiskUsage},
	{"Closed", testClosed},
	{"Concurrent", testConcurrent},
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func create(t *testing.T, fsys vfs.FS, name string, data []byte) vfs.File {
	t.Helper()
	f, err := fsys.Create(name)
	must(t, err)
	if len(data) > 0 {
		if _, err := f.WriteAt(data, 0); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func readAll(t *testing.T, fsys vfs.FS, name string) []byte {
	t.Helper()
	fi, err := fsys.Stat(name)
	must(t, err)
	f, err := fsys.Open(name)
	must(t, err)
	defer f.Close()
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil && !(err == io.EOF && len(b) == 0) {
		t.Fatalf("ReadAt %s: %v", name, err)
	}
	return b
}

func size(t *testing.T, fsys vfs.FS, name string) int64 {
	t.Helper()
	fi, err := fsys.Stat(name)
	must(t, err)
	return fi.Size()
}

func testReadWrite(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "a")
	f := create(t, fsys, name, []byte("hello"))
	defer f.Close()
	if f.Name() != name {
		t.Errorf("Name() = %q, want %q", f.Name(), name)
	}
	if _, err := f.WriteAt([]byte("world"), 10); err != nil { // leaves a hole
		t.Fatal(err)
	}
	want := []byte("hello\x00\x00\x00\x00\x00world")
	got := make([]byte, 32)
	n, err := f.ReadAt(got, 0)
	if n != len(want) || err != io.EOF || !bytes.Equal(got[:n], want) {
		t.Fatalf("ReadAt = %d, %v, %q; want %d, EOF, %q", n, err, got[:n], len(want), want)
	}
	n, err = f.ReadAt(got[:3], 6)
	if n != 3 || err != nil || string(got[:3]) != "\x00\x00\x00" {
		t.Fatalf("ReadAt inside = %d, %v, %q", n, err, got[:3])
	}
	if n, err := f.ReadAt(got, 100); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt past end = %d, %v; want 0, EOF", n, err)
	}
	if got := readAll(t, fsys, name); !bytes.Equal(got, want) {
		t.Fatalf("second handle reads %q, want %q", got, want)
	}
}

func testCreateTruncates(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "a")
	must(t, create(t, fsys, name, []byte("something")).Close())
	f := create(t, fsys, name, nil)
	defer f.Close()
	if n := size(t, fsys, name); n != 0 {
		t.Fatalf("size after Create of an existing file = %d, want 0", n)
	}
}

func testOpenReadOnly(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "a")
	must(t, create(t, fsys, name, []byte("data")).Close())
	f, err := fsys.Open(name)
	must(t, err)
	defer f.Close()
	if _, err := f.WriteAt([]byte("x"), 0); err == nil {
		t.Error("WriteAt on a read-only file succeeded")
	}
	if err := f.Truncate(0); err == nil {
		t.Error("Truncate on a read-only file succeeded")
	}
	if err := f.Preallocate(1 << 16); err == nil {
		t.Error("Preallocate on a read-only file succeeded")
	}
	if got := readAll(t, fsys, name); string(got) != "data" {
		t.Fatalf("content = %q, want data", got)
	}
	rw, err := fsys.OpenReadWrite(name)
	must(t, err)
	defer rw.Close()
	if _, err := rw.WriteAt([]byte("D"), 0); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "Data" {
		t.Fatalf("read-only handle reads %q, %v after a write through another", b, err)
	}
}

func testNotExist(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "missing")
	errs := map[string]error{}
	_, errs["Open"] = fsys.Open(name)
	_, errs["OpenReadWrite"] = fsys.OpenReadWrite(name)
	_, errs["Stat"] = fsys.Stat(name)
	_, errs["List"] = fsys.List(name)
	errs["Remove"] = fsys.Remove(name)
	errs["Rename"] = fsys.Rename(name, filepath.Join(dir, "b"))
	_, errs["Create in missing dir"] = fsys.Create(filepath.Join(name, "x"))
	for _, op := range slices.Sorted(maps.Keys(errs)) {
		if !errors.Is(errs[op], fs.ErrNotExist) {
			t.Errorf("%s of a missing name: %v, want fs.ErrNotExist", op, errs[op])
		}
	}
	if err := fsys.RemoveAll(name); err != nil {
		t.Errorf("RemoveAll of a missing name: %v, want nil", err)
	}
}

func testStat(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "a")
	f := create(t, fsys, name, make([]byte, 1000))
	defer f.Close()
	if _, err := f.WriteAt([]byte{1}, 4999); err != nil {
		t.Fatal(err)
	}
	fi, err := fsys.Stat(name)
	must(t, err)
	if fi.Name() != "a" || fi.Size() != 5000 || fi.IsDir() {
		t.Errorf("Stat = %q %d dir=%v, want a 5000 false", fi.Name(), fi.Size(), fi.IsDir())
	}
	fi, err = f.Stat()
	must(t, err)
	if fi.Name() != "a" || fi.Size() != 5000 {
		t.Errorf("File.Stat = %q %d, want a 5000", fi.Name(), fi.Size())
	}
	must(t, fsys.MkdirAll(filepath.Join(dir, "d"), 0o755))
	fi, err = fsys.Stat(filepath.Join(dir, "d"))
	must(t, err)
	if !fi.IsDir() || fi.Name() != "d" {
		t.Errorf("Stat of a directory = %q dir=%v", fi.Name(), fi.IsDir())
	}
}

func testList(t *testing.T, fsys vfs.FS, dir string) {
	for _, n := range []string{"00000000001073741824", "b", "00000000000000000000", "a.tmp"} {
		must(t, create(t, fsys, filepath.Join(dir, n), nil).Close())
	}
	must(t, fsys.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o755))
	got, err := fsys.List(dir)
	must(t, err)
	want := []string{"00000000000000000000", "00000000001073741824", "a.tmp", "b", "sub"}
	if !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
	got, err = fsys.List(filepath.Join(dir, "sub"))
	if err != nil || !slices.Equal(got, []string{"deeper"}) {
		t.Fatalf("List sub = %q, %v", got, err)
	}
	got, err = fsys.List(filepath.Join(dir, "sub", "deeper"))
	if err != nil || len(got) != 0 {
		t.Fatalf("List of an empty dir = %q, %v", got, err)
	}
	if _, err := fsys.List(filepath.Join(dir, "b")); err == nil {
		t.Error("List of a file succeeded")
	}
}

func testRename(t *testing.T, fsys vfs.FS, dir string) {
	a, b := filepath.Join(dir, "a.tmp"), filepath.Join(dir, "b")
	f := create(t, fsys, a, []byte("new"))
	defer f.Close()
	must(t, create(t, fsys, b, []byte("old content")).Close())
	must(t, fsys.Rename(a, b))
	if _, err := fsys.Stat(a); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old name after Rename: %v, want fs.ErrNotExist", err)
	}
	if got := readAll(t, fsys, b); string(got) != "new" {
		t.Errorf("new name reads %q, want new", got)
	}
	// An open handle follows the file, not the name.
	if _, err := f.WriteAt([]byte("NEW"), 0); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, fsys, b); string(got) != "NEW" {
		t.Errorf("write through a handle opened before Rename: reads %q, want NEW", got)
	}
	// Directories rename too, with their content.
	must(t, fsys.MkdirAll(filepath.Join(dir, "d1"), 0o755))
	must(t, create(t, fsys, filepath.Join(dir, "d1", "x"), []byte("x")).Close())
	must(t, fsys.Rename(filepath.Join(dir, "d1"), filepath.Join(dir, "d2")))
	if got := readAll(t, fsys, filepath.Join(dir, "d2", "x")); string(got) != "x" {
		t.Errorf("file in a renamed directory reads %q", got)
	}
}

func testRemove(t *testing.T, fsys vfs.FS, dir string) {
	d := filepath.Join(dir, "d")
	must(t, fsys.MkdirAll(filepath.Join(d, "e"), 0o755))
	must(t, create(t, fsys, filepath.Join(d, "e", "f"), []byte("f")).Close())
	must(t, create(t, fsys, filepath.Join(dir, "g"), nil).Close())
	must(t, fsys.Remove(filepath.Join(dir, "g")))
	if _, err := fsys.Stat(filepath.Join(dir, "g")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("removed file: Stat %v", err)
	}
	if err := fsys.Remove(d); err == nil {
		t.Error("Remove of a non-empty directory succeeded")
	}
	must(t, fsys.RemoveAll(d))
	if _, err := fsys.Stat(d); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RemoveAll'd directory: Stat %v", err)
	}
	must(t, fsys.MkdirAll(d, 0o755))
	must(t, fsys.Remove(d))
	if got, err := fsys.List(dir); err != nil || len(got) != 0 {
		t.Errorf("List after removing everything = %q, %v", got, err)
	}
	// A removed file stays readable through a handle opened before.
	name := filepath.Join(dir, "open")
	f := create(t, fsys, name, []byte("still here"))
	defer f.Close()
	must(t, fsys.Remove(name))
	b := make([]byte, 10)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "still here" {
		t.Errorf("ReadAt of an unlinked open file = %q, %v", b, err)
	}
}

func testMkdirAll(t *testing.T, fsys vfs.FS, dir string) {
	d := filepath.Join(dir, "a", "b", "c")
	must(t, fsys.MkdirAll(d, 0o755))
	must(t, fsys.MkdirAll(d, 0o755)) // idempotent
	must(t, create(t, fsys, filepath.Join(d, "f"), nil).Close())
	if err := fsys.MkdirAll(filepath.Join(d, "f", "g"), 0o755); err == nil {
		t.Error("MkdirAll through a file succeeded")
	}
}

func testPreallocate(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "seg")
	f := create(t, fsys, name, []byte("head"))
	defer f.Close()
	must(t, f.Preallocate(1<<16))
	if n := size(t, fsys, name); n != 1<<16 {
		t.Fatalf("size after Preallocate = %d, want %d", n, 1<<16)
	}
	must(t, f.Preallocate(100)) // never shrinks
	if n := size(t, fsys, name); n != 1<<16 {
		t.Fatalf("size after a smaller Preallocate = %d, want %d", n, 1<<16)
	}
	got := readAll(t, fsys, name)
	if string(got[:4]) != "head" || !allZero(got[4:]) {
		t.Fatal("Preallocate changed existing bytes or did not zero the rest")
	}
	if _, err := f.WriteAt([]byte("tail"), 1<<16-4); err != nil {
		t.Fatal(err)
	}
	if n := size(t, fsys, name); n != 1<<16 {
		t.Fatalf("size after writing inside the preallocation = %d", n)
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func testTruncate(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "a")
	f := create(t, fsys, name, []byte("0123456789"))
	defer f.Close()
	must(t, f.Truncate(4))
	if got := readAll(t, fsys, name); string(got) != "0123" {
		t.Fatalf("after Truncate(4): %q", got)
	}
	must(t, f.Truncate(8))
	if got := readAll(t, fsys, name); string(got) != "0123\x00\x00\x00\x00" {
		t.Fatalf("after Truncate(8): %q (cut bytes must not come back)", got)
	}
}

func testSync(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "a")
	f := create(t, fsys, name, []byte("x"))
	defer f.Close()
	must(t, f.Sync())
	must(t, fsys.SyncDir(dir))
	if err := fsys.SyncDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("SyncDir of a missing directory succeeded")
	}
	r, err := fsys.Open(name)
	must(t, err)
	defer r.Close()
	must(t, r.Sync()) // fsync of a read-only descriptor is allowed
}

func testMap(t *testing.T, fsys vfs.FS, dir string) {
	const n = 3 * 4096
	name := filepath.Join(dir, "seg")
	f := create(t, fsys, name, nil)
	must(t, f.Preallocate(n))
	m, err := f.Map(n, true)
	must(t, err)
	b := m.Bytes()
	if len(b) != n {
		t.Fatalf("len(Bytes) = %d, want %d", len(b), n)
	}
	// WriteAt is visible through the mapping...
	if _, err := f.WriteAt([]byte("pwrite"), 4090); err != nil {
		t.Fatal(err)
	}
	if string(b[4090:4096]) != "pwrite" {
		t.Fatalf("mapping reads %q after WriteAt", b[4090:4096])
	}
	// ...and a write through the mapping is visible to ReadAt.
	copy(b[8000:], "mapped")
	r, err := fsys.Open(name)
	must(t, err)
	defer r.Close()
	got := make([]byte, 6)
	if _, err := r.ReadAt(got, 8000); err != nil || string(got) != "mapped" {
		t.Fatalf("ReadAt = %q, %v after a write through the mapping", got, err)
	}
	// A read-only mapping of another handle sees the same bytes.
	ro, err := r.Map(n, false)
	must(t, err)
	if string(ro.Bytes()[8000:8006]) != "mapped" {
		t.Fatalf("read-only mapping reads %q", ro.Bytes()[8000:8006])
	}
	must(t, ro.Advise(0, n, vfs.AdviseSequential))
	must(t, ro.Advise(4096, 100, vfs.AdviseWillNeed))
	if err := ro.Advise(n-1, 2, vfs.AdviseNormal); !errors.Is(err, vfs.ErrMapRange) {
		t.Errorf("Advise past the mapping: %v, want vfs.ErrMapRange", err)
	}
	must(t, ro.Unmap())
	// The mapping outlives the File.
	must(t, f.Close())
	copy(b[100:], "after close")
	if _, err := r.ReadAt(got, 100); err != nil || string(got) != "after " {
		t.Fatalf("ReadAt = %q, %v after a write through a mapping of a closed file", got, err)
	}
	must(t, m.Unmap())
	if m.Bytes() != nil {
		t.Error("Bytes after Unmap is not nil")
	}
	if err := m.Unmap(); !errors.Is(err, vfs.ErrUnmapped) {
		t.Errorf("second Unmap: %v, want vfs.ErrUnmapped", err)
	}
	if err := m.Advise(0, 1, vfs.AdviseNormal); !errors.Is(err, vfs.ErrUnmapped) {
		t.Errorf("Advise after Unmap: %v, want vfs.ErrUnmapped", err)
	}
}

func testMapErrors(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "small")
	must(t, create(t, fsys, name, make([]byte, 4096)).Close())
	f, err := fsys.Open(name)
	must(t, err)
	defer f.Close()
	if _, err := f.Map(8192, false); !errors.Is(err, vfs.ErrMapRange) {
		t.Errorf("Map past the end: %v, want vfs.ErrMapRange", err)
	}
	if _, err := f.Map(0, false); !errors.Is(err, vfs.ErrMapRange) {
		t.Errorf("Map of 0 bytes: %v, want vfs.ErrMapRange", err)
	}
	if m, err := f.Map(4096, true); err == nil {
		_ = m.Unmap() // the test already failed
		t.Error("writable Map of a read-only file succeeded")
	}
}

func testLock(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "lock")
	l1, err := fsys.Lock(name)
	must(t, err)
	if _, err := fsys.Stat(name); err != nil {
		t.Errorf("Lock did not create its file: %v", err)
	}
	if l, err := fsys.Lock(name); !errors.Is(err, vfs.ErrLocked) {
		if err == nil {
			_ = l.Close() // the test already failed
		}
		t.Fatalf("second Lock: %v, want vfs.ErrLocked", err)
	}
	l3, err := fsys.Lock(filepath.Join(dir, "other"))
	must(t, err)
	must(t, l3.Close())
	must(t, l1.Close())
	l2, err := fsys.Lock(name)
	must(t, err)
	must(t, l2.Close())
}

func testDiskUsage(t *testing.T, fsys vfs.FS, dir string) {
	u, err := fsys.DiskUsage(dir)
	must(t, err)
	if u.Total == 0 || u.Free > u.Total {
		t.Fatalf("DiskUsage = %+v", u)
	}
	if r := u.UsedRatio(); r < 0 || r > 1 {
		t.Fatalf("UsedRatio = %v", r)
	}
	if _, err := fsys.DiskUsage(filepath.Join(dir, "missing")); err == nil {
		t.Error("DiskUsage of a missing path succeeded")
	}
}

func testClosed(t *testing.T, fsys vfs.FS, dir string) {
	f := create(t, fsys, filepath.Join(dir, "a"), []byte("x"))
	must(t, f.Close())
	if err := f.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); err == nil {
		t.Error("ReadAt after Close succeeded")
	}
	if _, err := f.WriteAt([]byte("y"), 0); err == nil {
		t.Error("WriteAt after Close succeeded")
	}
	if err := f.Sync(); err == nil {
		t.Error("Sync after Close succeeded")
	}
}

func testConcurrent(t *testing.T, fsys vfs.FS, dir string) {
	const writers, pages = 8, 16
	name := filepath.Join(dir, "a")
	f := create(t, fsys, name, nil)
	defer f.Close()
	must(t, f.Preallocate(writers*pages*4096))
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := bytes.Repeat([]byte{byte(w + 1)}, 4096)
			got := make([]byte, 4096)
			for i := range pages {
				off := int64((i*writers + w) * 4096)
				if _, err := f.WriteAt(p, off); err != nil {
					errs <- err
					return
				}
				if _, err := f.ReadAt(got, off); err != nil || !bytes.Equal(got, p) {
					errs <- errors.New("read back a different page")
					return
				}
				if i%4 == 0 {
					if err := f.Sync(); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := readAll(t, fsys, name)
	for i := range writers * pages {
		if all[i*4096] != byte(i%writers+1) {
			t.Fatalf("page %d holds %d", i, all[i*4096])
		}
	}
}
