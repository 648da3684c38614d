package errorfs_test

import (
	"errors"
	"io/fs"
	"maps"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
)

func TestMappingSharesLiveContent(t *testing.T) {
	fsys := newFS(t)
	f, err := fsys.Create("/d/seg")
	must(t, err)
	defer f.Close()
	must(t, f.Preallocate(2*errorfs.PageSize))
	m, err := f.Map(errorfs.PageSize, true)
	must(t, err)
	b := m.Bytes()

	_, err = f.WriteAt([]byte("pwrite"), 10)
	must(t, err)
	if string(b[10:16]) != "pwrite" {
		t.Errorf("mapping reads %q after WriteAt", b[10:16])
	}
	copy(b[100:], "mmap")
	if got, _ := get(t, fsys, "/d/seg"); got[100:104] != "mmap" {
		t.Errorf("ReadAt reads %q after a write through the mapping", got[100:104])
	}
	// Growth within the backing array is fine while mapped; the array
	// stays put.
	_, err = f.WriteAt([]byte("x"), 2*errorfs.PageSize-1)
	must(t, err)
	// Growth past it is refused while mapped...
	if _, err := f.WriteAt([]byte("x"), 2*errorfs.PageSize); !errors.Is(err, errorfs.ErrMappedGrowth) {
		t.Errorf("WriteAt past the array while mapped: %v, want ErrMappedGrowth", err)
	}
	if err := f.Truncate(3 * errorfs.PageSize); !errors.Is(err, errorfs.ErrMappedGrowth) {
		t.Errorf("Truncate past the array while mapped: %v, want ErrMappedGrowth", err)
	}
	// ...and truncating down zeroes what the mapping sees.
	must(t, f.Truncate(50))
	if b[100] != 0 {
		t.Error("bytes cut by Truncate still visible in the mapping")
	}
	must(t, f.Truncate(2*errorfs.PageSize))

	mm := m.(*errorfs.Mapping)
	if mm.Unmapped() {
		t.Error("Unmapped before Unmap")
	}
	must(t, m.Unmap())
	if !mm.Unmapped() || m.Bytes() != nil {
		t.Error("mapping still live after Unmap")
	}
	// Unmapped, the file may grow again.
	_, err = f.WriteAt([]byte("x"), 3*errorfs.PageSize)
	must(t, err)

	r, err := fsys.Open("/d/seg")
	must(t, err)
	defer r.Close()
	if _, err := r.Map(errorfs.PageSize, true); !errors.Is(err, syscall.EACCES) {
		t.Errorf("writable Map of a read-only file: %v, want EACCES", err)
	}
	if _, err := r.Map(5*errorfs.PageSize, false); !errors.Is(err, vfs.ErrMapRange) {
		t.Errorf("Map past the end: %v, want ErrMapRange", err)
	}
}

func TestCapacity(t *testing.T) {
	fsys := newFS(t)
	fsys.SetCapacity(10000)
	usage := func() vfs.DiskUsage {
		t.Helper()
		u, err := fsys.DiskUsage("/d")
		must(t, err)
		return u
	}
	if u := usage(); u.Total != 10000 || u.Free != 10000 {
		t.Fatalf("empty: %+v", u)
	}
	f, err := fsys.Create("/d/a")
	must(t, err)
	if err := f.Preallocate(20000); !errors.Is(err, syscall.ENOSPC) || errors.Is(err, errorfs.ErrInjected) {
		t.Errorf("Preallocate past capacity: %v, want ENOSPC (not injected)", err)
	}
	if fi, _ := f.Stat(); fi.Size() != 0 {
		t.Errorf("failed Preallocate left size %d", fi.Size())
	}
	must(t, f.Preallocate(6000))
	if u := usage(); u.Free != 4000 || u.UsedRatio() != 0.6 {
		t.Errorf("after 6000 bytes: %+v, ratio %v", u, u.UsedRatio())
	}
	// Writes inside the preallocation never need space.
	fsys.SetCapacity(6000)
	_, err = f.WriteAt(make([]byte, 6000), 0)
	must(t, err)
	fsys.SetCapacity(10000)
	// An append past the capacity writes what fits.
	n, err := f.WriteAt(make([]byte, 6000), 6000)
	if n != 4000 || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("WriteAt past capacity = %d, %v; want 4000, ENOSPC", n, err)
	}
	if u := usage(); u.Free != 0 || u.UsedRatio() != 1 {
		t.Errorf("full: %+v", u)
	}
	if err := f.Truncate(10001); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Truncate past capacity: %v, want ENOSPC", err)
	}
	if n, err := f.WriteAt([]byte("x"), 20000); n != 0 || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("WriteAt far past the end on a full disk = %d, %v", n, err)
	}
	// Space comes back when the last reference goes: name, handle, mapping.
	m, err := f.Map(100, false)
	must(t, err)
	must(t, fsys.Remove("/d/a"))
	must(t, f.Close())
	if u := usage(); u.Free != 0 {
		t.Errorf("space freed while still mapped: %+v", u)
	}
	must(t, m.Unmap())
	if u := usage(); u.Free != 10000 {
		t.Errorf("space not freed after the last reference: %+v", u)
	}
	// Truncating down frees space at once.
	g, err := fsys.Create("/d/b")
	must(t, err)
	must(t, g.Truncate(8000))
	must(t, g.Truncate(1000))
	if u := usage(); u.Free != 9000 {
		t.Errorf("after truncating to 1000: %+v", u)
	}
	must(t, g.Close())
	// Without a capacity, Total is DefaultCapacity.
	fsys.SetCapacity(0)
	if u := usage(); u.Total != errorfs.DefaultCapacity || u.Free != errorfs.DefaultCapacity-1000 {
		t.Errorf("unlimited: %+v", u)
	}
	// A crash recounts from what survived.
	fsys.Crash(errorfs.CrashOptions{})
	if u := usage(); u.Free != u.Total {
		t.Errorf("after a crash that lost every file: %+v", u)
	}
}

func TestListAndStat(t *testing.T) {
	fsys := newFS(t)
	for _, n := range []string{"c", "a", "b"} {
		put(t, fsys, "/d/"+n, n+n, false, false)
	}
	must(t, fsys.MkdirAll("d/sub/", 0o700)) // relative and trailing slash: same tree
	names, err := fsys.List("/d")
	must(t, err)
	if !slices.Equal(names, []string{"a", "b", "c", "sub"}) {
		t.Errorf("List = %q", names)
	}
	root, err := fsys.List("/")
	must(t, err)
	if !slices.Equal(root, []string{"d"}) {
		t.Errorf("List / = %q", root)
	}
	fi, err := fsys.Stat("d/b")
	must(t, err)
	if fi.Size() != 2 || fi.Name() != "b" || fi.IsDir() || fi.Mode().Perm() != 0o644 {
		t.Errorf("Stat b = %d %q dir=%v %v", fi.Size(), fi.Name(), fi.IsDir(), fi.Mode())
	}
	fi, err = fsys.Stat("/d/sub")
	must(t, err)
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("Stat sub: dir=%v %v", fi.IsDir(), fi.Mode())
	}
	if _, err := fsys.List("/d/a"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("List of a file: %v, want ENOTDIR", err)
	}
	if _, err := fsys.Stat("/d/a/x"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("Stat under a file: %v, want ENOTDIR", err)
	}
	if _, err := fsys.Create("/d/sub"); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("Create over a directory: %v, want EISDIR", err)
	}
	if err := fsys.Rename("/d", "/d/sub/d"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Rename into itself: %v, want EINVAL", err)
	}
}

func TestClockAndModTime(t *testing.T) {
	fsys := errorfs.New()
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	now := t0
	fsys.SetClock(func() time.Time { return now })
	put(t, fsys, "/a", "x", false, false)
	now = now.Add(time.Hour)
	fi, err := fsys.Stat("/a")
	must(t, err)
	if !fi.ModTime().Equal(t0) {
		t.Errorf("ModTime = %v, want %v", fi.ModTime(), t0)
	}
	f := openRW(t, fsys, "/a")
	_, _ = f.WriteAt([]byte("y"), 0)
	must(t, f.Close())
	if fi, _ := fsys.Stat("/a"); !fi.ModTime().Equal(t0.Add(time.Hour)) {
		t.Errorf("ModTime after a write = %v", fi.ModTime())
	}
}

func TestLockExclusive(t *testing.T) {
	fsys := newFS(t)
	l, err := fsys.Lock("/d/LOCK")
	must(t, err)
	for _, name := range []string{"/d/LOCK", "d/LOCK", "/d/../d/LOCK"} {
		if _, err := fsys.Lock(name); !errors.Is(err, vfs.ErrLocked) {
			t.Errorf("Lock(%q) while held: %v, want ErrLocked", name, err)
		}
	}
	// Another FS (another machine, as far as locks go) is independent.
	other := errorfs.New()
	must(t, other.MkdirAll("/d", 0o755))
	lo, err := other.Lock("/d/LOCK")
	must(t, err)
	must(t, lo.Close())
	must(t, l.Close())
	if err := l.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
	l, err = fsys.Lock("/d/LOCK")
	must(t, err)
	must(t, l.Close())
}

func TestOpenHandles(t *testing.T) {
	fsys := newFS(t)
	f, err := fsys.Create("/d/a")
	must(t, err)
	must(t, f.Preallocate(10))
	m, err := f.Map(10, false)
	must(t, err)
	l, err := fsys.Lock("/d/LOCK")
	must(t, err)
	files, maps := fsys.OpenHandles()
	if !slices.Equal(files, []string{"/d/LOCK", "/d/a"}) || !slices.Equal(maps, []string{"/d/a"}) {
		t.Errorf("OpenHandles = %q, %q", files, maps)
	}
	must(t, f.Close())
	must(t, m.Unmap())
	must(t, l.Close())
	if files, maps := fsys.OpenHandles(); len(files)+len(maps) != 0 {
		t.Errorf("OpenHandles after closing all = %q, %q", files, maps)
	}
}

// TestDirHandleSync checks that Sync of an opened directory is SyncDir, as
// fsync of a directory descriptor is.
func TestDirHandleSync(t *testing.T) {
	fsys := newFS(t)
	d, err := fsys.Open("/d")
	must(t, err)
	defer d.Close()
	if _, err := d.ReadAt(make([]byte, 1), 0); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("ReadAt of a directory: %v, want EISDIR", err)
	}
	if _, err := d.WriteAt([]byte("x"), 0); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("WriteAt of a directory: %v, want EISDIR", err)
	}
	if _, err := fsys.OpenReadWrite("/d"); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("OpenReadWrite of a directory: %v, want EISDIR", err)
	}
	put(t, fsys, "/d/a", "a", true, false)
	must(t, d.Sync())
	if got, ok := get(t, fsys.CrashClone(errorfs.CrashOptions{}), "/d/a"); !ok || got != "a" {
		t.Errorf("after Sync of the directory handle: %q, %v", got, ok)
	}
}

func TestPartialWritebackShrink(t *testing.T) {
	fsys := newFS(t)
	put(t, fsys, "/d/a", "0123456789", true, true)
	f := openRW(t, fsys, "/d/a")
	defer f.Close()
	must(t, f.Truncate(3))
	seen := map[string]bool{}
	for seed := range uint64(40) {
		got, _ := get(t, fsys.CrashClone(errorfs.CrashOptions{Rand: rand.New(rand.NewPCG(seed, 1))}), "/d/a")
		seen[got] = true
	}
	if len(seen) != 2 || !seen["0123456789"] || !seen["012"] {
		t.Errorf("outcomes of an unsynced truncate: %q", slices.Sorted(maps.Keys(seen)))
	}
}

func TestErrorText(t *testing.T) {
	fsys := newFS(t)
	fsys.Inject(&errorfs.Rule{Op: errorfs.OpCreate, Err: syscall.ENOSPC})
	_, err := fsys.Create("/d/x")
	if want := "open /d/x: no space left on device (injected at Create)"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// BenchmarkWriteSync is the cost errorfs adds to a SYNC_FLUSH append: a
// 1 KiB WriteAt into a preallocated 64 MiB segment and a Sync, with and
// without a writable mapping (which makes Sync compare every page).
func BenchmarkWriteSync(b *testing.B) {
	for _, mapped := range []bool{false, true} {
		b.Run(map[bool]string{false: "pwrite", true: "mapped"}[mapped], func(b *testing.B) {
			const seg = 64 << 20
			fsys := errorfs.New()
			f, err := fsys.Create("/seg")
			if err != nil {
				b.Fatal(err)
			}
			if err := f.Preallocate(seg); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			if mapped {
				if _, err := f.Map(seg, true); err != nil {
					b.Fatal(err)
				}
			}
			rec := make([]byte, 1024)
			b.SetBytes(int64(len(rec)))
			b.ReportAllocs()
			var off int64
			b.ResetTimer()
			for range b.N {
				rec[0]++
				if _, err := f.WriteAt(rec, off); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				off = (off + int64(len(rec))) % seg
			}
		})
	}
}
