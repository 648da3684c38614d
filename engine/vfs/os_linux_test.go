package vfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/quivermq/quiver/internal/testutil"
)

// allocated returns the bytes of disk the file at path holds.
func allocated(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

func TestOSReadWriteList(t *testing.T) {
	dir := t.TempDir()
	fs := Default
	for _, n := range []string{"b", "a", "c"} {
		f, err := fs.Create(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("hello "+n), 3); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := names; len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("List = %q, want [a b c]", got)
	}
	f, err := fs.Open(filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 7)
	if _, err := f.ReadAt(buf, 3); err != nil || string(buf) != "hello b" {
		t.Fatalf("ReadAt = %q, %v", buf, err)
	}
	if _, err := f.WriteAt([]byte("x"), 0); err == nil {
		t.Fatal("WriteAt on a read-only file succeeded")
	}
	if err := fs.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(filepath.Join(dir, "a")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Stat after rename: %v, want ErrNotExist", err)
	}
	if _, err := fs.OpenReadWrite(filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenReadWrite missing: %v", err)
	}
	if err := fs.MkdirAll(filepath.Join(dir, "x", "y"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fs.RemoveAll(filepath.Join(dir, "x")); err != nil {
		t.Fatal(err)
	}
	if err := fs.Remove(filepath.Join(dir, "c")); err != nil {
		t.Fatal(err)
	}
}

func TestOSPreallocate(t *testing.T) {
	const size = 4 << 20
	path := filepath.Join(t.TempDir(), "p")
	f, err := Default.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Preallocate(size); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != size {
		t.Fatalf("size after Preallocate = %d, want %d", fi.Size(), size)
	}
	if got := allocated(t, path); got < size {
		t.Fatalf("allocated %d bytes, want >= %d (sparse?)", got, size)
	}
}

// TestOSPreallocateFallback forces the zero-fill path that file systems
// without fallocate take, and checks it allocates real blocks, keeps the
// bytes already there, and is not a sparse truncate.
func TestOSPreallocateFallback(t *testing.T) {
	const size = 3<<20 + 4096 // not a multiple of the chunk
	path := filepath.Join(t.TempDir(), "p")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("keep"), 0); err != nil {
		t.Fatal(err)
	}
	calls := 0
	noFallocate := func(int, uint32, int64, int64) error { calls++; return unix.EOPNOTSUPP }
	if err := preallocate(f, int(f.Fd()), size, noFallocate); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("fallocate called %d times", calls)
	}
	fi, _ := f.Stat()
	if fi.Size() != size {
		t.Fatalf("size = %d, want %d", fi.Size(), size)
	}
	if got := allocated(t, path); got < size {
		t.Fatalf("allocated %d bytes, want >= %d", got, size)
	}
	buf := make([]byte, 4)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != "keep" {
		t.Fatalf("head = %q, %v", buf, err)
	}

	// Any other fallocate error is returned, with the path.
	enospc := func(int, uint32, int64, int64) error { return unix.ENOSPC }
	err = preallocate(f, int(f.Fd()), size*2, enospc)
	if !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
}

func TestOSMap(t *testing.T) {
	const size = 1 << 20
	path := filepath.Join(t.TempDir(), "m")
	f, err := Default.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Preallocate(size); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Map(size+1, false); !errors.Is(err, ErrMapRange) {
		t.Fatalf("Map past EOF: %v, want ErrMapRange", err)
	}
	if _, err := f.Map(0, false); !errors.Is(err, ErrMapRange) {
		t.Fatalf("Map(0): %v, want ErrMapRange", err)
	}
	w, err := f.Map(size, true)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Map(size, false)
	if err != nil {
		t.Fatal(err)
	}
	// The mappings outlive the File.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	copy(w.Bytes()[4096:], "via mapping")
	if got := string(r.Bytes()[4096 : 4096+11]); got != "via mapping" {
		t.Fatalf("read mapping sees %q", got)
	}
	// pwrite through another descriptor is visible in both mappings.
	g, err := Default.OpenReadWrite(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteAt([]byte("via pwrite"), size-10); err != nil {
		t.Fatal(err)
	}
	if got := string(r.Bytes()[size-10:]); got != "via pwrite" {
		t.Fatalf("mapping sees %q after pwrite", got)
	}
	buf := make([]byte, 11)
	if _, err := g.ReadAt(buf, 4096); err != nil || string(buf) != "via mapping" {
		t.Fatalf("pread sees %q, %v", buf, err)
	}
	g.Close()

	for _, a := range []Advice{AdviseNormal, AdviseSequential, AdviseRandom, AdviseWillNeed, AdviseDontNeed} {
		// An unaligned start is rounded down to its page.
		if err := r.Advise(100, 8192, a); err != nil {
			t.Fatalf("Advise(%d): %v", a, err)
		}
	}
	// MADV_DONTNEED on a shared file mapping drops only our page tables:
	// the bytes are still in the file.
	if got := string(r.Bytes()[4096 : 4096+11]); got != "via mapping" {
		t.Fatalf("after DONTNEED: %q", got)
	}
	if err := r.Advise(size-1, 2, AdviseNormal); !errors.Is(err, ErrMapRange) {
		t.Fatalf("Advise out of range: %v", err)
	}
	if err := r.Advise(0, 1, Advice(99)); err == nil {
		t.Fatal("unknown advice accepted")
	}
	for _, m := range []Mapping{w, r} {
		if err := m.Unmap(); err != nil {
			t.Fatal(err)
		}
		if err := m.Unmap(); !errors.Is(err, ErrUnmapped) {
			t.Fatalf("second Unmap: %v", err)
		}
		if err := m.Advise(0, 1, AdviseNormal); !errors.Is(err, ErrUnmapped) {
			t.Fatalf("Advise after Unmap: %v", err)
		}
	}
}

func TestOSLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "LOCK")
	l1, err := Default.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Default.Lock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock: %v, want ErrLocked", err)
	}
	if err := l1.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := Default.Lock(path)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	l2.Close()
}

func TestOSDiskUsage(t *testing.T) {
	u, err := Default.DiskUsage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if u.Total == 0 || u.Free > u.Total {
		t.Fatalf("DiskUsage = %+v", u)
	}
	if r := u.UsedRatio(); r < 0 || r > 1 {
		t.Fatalf("UsedRatio = %v", r)
	}
	// df's Use%: used / (used + available); blocks reserved for root are
	// neither.
	var st unix.Statfs_t
	if err := unix.Statfs(t.TempDir(), &st); err != nil {
		t.Fatal(err)
	}
	used := float64(st.Blocks - st.Bfree)
	if df := used / (used + float64(st.Bavail)); math.Abs(u.UsedRatio()-df) > 0.01 {
		t.Fatalf("UsedRatio %.3f, df's %.3f (statfs %+v)", u.UsedRatio(), df, st)
	}
	if _, err := Default.DiskUsage(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("DiskUsage of a missing path: %v", err)
	}
}

// pageFlags returns the kernel's flags (/proc/kpageflags) for the page that
// backs p[0] in this process, or ok=false when the kernel will not tell us
// (not root, no /proc, page not present).
func pageFlags(t *testing.T, p []byte) (flags uint64, ok bool) {
	t.Helper()
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return 0, false
	}
	defer pm.Close()
	kf, err := os.Open("/proc/kpageflags")
	if err != nil {
		return 0, false
	}
	defer kf.Close()
	var b [8]byte
	addr := uintptr(unsafe.Pointer(&p[0]))
	if _, err := pm.ReadAt(b[:], int64(addr/uintptr(os.Getpagesize()))*8); err != nil {
		return 0, false
	}
	e := binary.LittleEndian.Uint64(b[:])
	pfn := e & (1<<55 - 1)
	if e&(1<<63) == 0 || pfn == 0 { // not present, or PFN hidden
		return 0, false
	}
	if _, err := kf.ReadAt(b[:], int64(pfn)*8); err != nil {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[:]), true
}

// TestOSSyncWritesBackMappedPages checks the contract the segment's mapped
// write mode rests on: fdatasync of the file writes back pages dirtied
// through a MAP_SHARED mapping, so no msync is needed. (On Linux msync
// MS_SYNC is vfs_fsync_range(file, start, end, datasync=1) of the mapped
// range, mm/msync.c: the same write-back as fdatasync.) It reads the
// page's PG_dirty bit from /proc/kpageflags: set by the write fault, clear
// after Sync, set again by the next write (the kernel write-protects the
// page on write-back, so the next store faults and re-dirties it).
func TestOSSyncWritesBackMappedPages(t *testing.T) {
	const kpfDirty, kpfWriteback = 1 << 4, 1 << 8
	const size = 1 << 20
	f, err := Default.Create(filepath.Join(t.TempDir(), "d"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Preallocate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	m, err := f.Map(size, true)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Unmap()
	page := m.Bytes()[8192 : 8192+4096]
	for round := range 3 {
		copy(page, bytes.Repeat([]byte{byte(round + 1)}, 64))
		flags, ok := pageFlags(t, page)
		if !ok {
			t.Skip("page flags not readable (needs CAP_SYS_ADMIN and /proc/kpageflags)")
		}
		if flags&kpfDirty == 0 {
			t.Fatalf("round %d: page not dirty after a store through the mapping (flags %#x)", round, flags)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		flags, _ = pageFlags(t, page)
		if flags&(kpfDirty|kpfWriteback) != 0 {
			t.Fatalf("round %d: page still dirty or under write-back after fdatasync (flags %#x)", round, flags)
		}
	}
}

// TestOSWriteBack: OS files pace write-back (segment zero-fill relies on
// it), reporting sync_file_range's errors with the file's name.
func TestOSWriteBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wb")
	f, err := Default.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	wb, ok := f.(WriteBacker)
	if !ok {
		t.Fatal("OS files do not implement WriteBacker")
	}
	data := bytes.Repeat([]byte{7}, 1<<20)
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if err := wb.WriteBack(0, 1<<20, false); err != nil {
		t.Fatalf("start write-back: %v", err)
	}
	if err := wb.WriteBack(0, 1<<20, true); err != nil {
		t.Fatalf("wait for write-back: %v", err)
	}
	var pe *os.PathError
	if err := wb.WriteBack(-1, 10, true); !errors.As(err, &pe) || pe.Path != path || !errors.Is(err, unix.EINVAL) {
		t.Errorf("negative offset: %v, want a PathError naming %s wrapping EINVAL", err, path)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOSDropCache: after a sync, DropCache releases the file's pages once
// the mapping's own references are zapped (AdviseDontNeed), keeps the
// pages outside its range, and the data reads back unchanged.
func TestOSDropCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drop")
	f, err := Default.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cd, ok := f.(CacheDropper)
	if !ok {
		t.Fatal("OS files do not implement CacheDropper")
	}
	const size = 8 << 20
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	m, err := f.Map(size, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Unmap()
	b := m.Bytes()
	if !bytes.Equal(b, data) {
		t.Fatal("mapping differs from the data written")
	}
	pages := size / os.Getpagesize()
	if n := testutil.Resident(t, b); n != pages {
		t.Fatalf("%d of %d pages resident after writing them; want all", n, pages)
	}
	// NB: the kept tail starts on a 2 MiB boundary: the page cache holds
	// large folios (up to 2 MiB, naturally aligned), and fadvise keeps a
	// folio that reaches outside the range.
	const keep = 4 << 20
	if err := m.Advise(0, size-keep, AdviseDontNeed); err != nil {
		t.Fatal(err)
	}
	if err := cd.DropCache(0, size-keep); err != nil {
		t.Fatal(err)
	}
	if n, want := testutil.Resident(t, b), keep/os.Getpagesize(); n != want {
		t.Fatalf("%d pages resident after dropping all but the last %d KiB; want %d", n, keep>>10, want)
	}
	if !bytes.Equal(b, data) {
		t.Fatal("data changed after its cache was dropped")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var pe *os.PathError
	if err := cd.DropCache(0, size); !errors.As(err, &pe) || pe.Path != path {
		t.Errorf("closed file: %v, want a PathError naming %s", err, path)
	}
}
