package segment

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/internal/testutil"
)

const testSize = 1 << 20

func testConfig(mode WriteMode) Config {
	cfg := DefaultConfig()
	cfg.Size = testSize
	cfg.WriteMode = mode
	return cfg
}

var modes = []WriteMode{WritePwrite, WriteMapped}

// forModes runs f once per write mode.
func forModes(t *testing.T, f func(t *testing.T, cfg Config)) {
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) { f(t, testConfig(m)) })
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	names, err := vfs.Default.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// mincore fills vec with one byte per page of b, bit 0 set if resident.
func mincore(b, vec []byte) error {
	_, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0])))
	if e != 0 {
		return e
	}
	return nil
}

func TestNameRoundTrip(t *testing.T) {
	bases := []int64{0, 1, 4095, 1 << 30, 3 << 30, 1<<40 + 7, math.MaxInt64}
	var names []string
	for _, b := range bases {
		n := Name(b)
		if len(n) != nameLen {
			t.Fatalf("Name(%d) = %q, length %d", b, n, len(n))
		}
		got, err := ParseName(n)
		if err != nil || got != b {
			t.Fatalf("ParseName(%q) = %d, %v; want %d", n, got, err, b)
		}
		names = append(names, n)
	}
	if Name(1<<30) != "00000000001073741824" {
		t.Fatalf("Name(1 GiB) = %q", Name(1<<30))
	}
	// Lexical order is numeric order.
	shuffled := slices.Clone(names)
	slices.Reverse(shuffled)
	sort.Strings(shuffled)
	if !slices.Equal(shuffled, names) {
		t.Fatalf("sorted names %q, want %q", shuffled, names)
	}
	for _, bad := range []string{
		"", "0", "0000000000000000000", "000000000000000000000",
		"-0000000000000000001", "0000000000000000000a", "00000000000000000000.tmp",
		"99999999999999999999", "9223372036854775808",
	} {
		if _, err := ParseName(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("ParseName(%q) = %v, want ErrBadName", bad, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	for name, mut := range map[string]func(*Config){
		"zero size":      func(c *Config) { c.Size = 0 },
		"negative size":  func(c *Config) { c.Size = -4096 },
		"unaligned size": func(c *Config) { c.Size = 4096 + 1 },
		"no write mode":  func(c *Config) { c.WriteMode = 0 },
		"bad advice":     func(c *Config) { c.Advice = 42 },
	} {
		c := DefaultConfig()
		mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate = %v, want ErrInvalidConfig", name, err)
		}
	}
}

func TestCreate(t *testing.T) {
	forModes(t, func(t *testing.T, cfg Config) {
		dir := t.TempDir()
		s, err := Create(vfs.Default, dir, 3*testSize, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got := dirNames(t, dir); !slices.Equal(got, []string{Name(3 * testSize)}) {
			t.Fatalf("dir holds %q, want only the segment (no .tmp)", got)
		}
		var st syscall.Stat_t
		if err := syscall.Stat(s.Path(), &st); err != nil {
			t.Fatal(err)
		}
		if st.Size != testSize || st.Blocks*512 < testSize {
			t.Fatalf("size %d, allocated %d bytes; want %d of each (not sparse)", st.Size, st.Blocks*512, testSize)
		}
		if s.Base() != 3*testSize || s.Size() != testSize || len(s.Bytes()) != testSize {
			t.Fatalf("Base %d Size %d len(Bytes) %d", s.Base(), s.Size(), len(s.Bytes()))
		}
		if s.Wrote() != 0 || s.Flushed() != 0 {
			t.Fatalf("fresh segment at wrote %d flushed %d", s.Wrote(), s.Flushed())
		}
		// Warm left every page resident.
		vec := make([]byte, testSize/os.Getpagesize())
		if err := mincore(s.Bytes(), vec); err != nil {
			t.Fatal(err)
		}
		for i, v := range vec {
			if v&1 == 0 {
				t.Fatalf("page %d not resident after warm-up", i)
			}
		}
		if _, err := Create(vfs.Default, dir, 3*testSize, cfg); !errors.Is(err, ErrExists) {
			t.Fatalf("second Create: %v, want ErrExists", err)
		}
		if _, err := Create(vfs.Default, dir, -1, cfg); err == nil {
			t.Fatal("Create with a negative base succeeded")
		}
		if _, err := Create(vfs.Default, dir, 0, Config{}); !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("Create with a zero Config: %v", err)
		}
	})
}

func TestCreatePreallocateFailure(t *testing.T) {
	fs := newFaultFS()
	fs.setPrealloc(unix.ENOSPC)
	dir := t.TempDir()
	_, err := Create(fs, dir, 0, testConfig(WritePwrite))
	if !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("Create = %v, want ENOSPC", err)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Fatalf("failed Create left %q", got)
	}
}

func TestWriteAtVisible(t *testing.T) {
	forModes(t, func(t *testing.T, cfg Config) {
		dir := t.TempDir()
		s, err := Create(vfs.Default, dir, 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.WriteAt([]byte("hello"), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteAt([]byte("world"), 4096-2); err != nil { // straddles a page
			t.Fatal(err)
		}
		if s.Wrote() != 4096+3 {
			t.Fatalf("Wrote = %d", s.Wrote())
		}
		// A write below Wrote does not lower it.
		if err := s.WriteAt([]byte("J"), 0); err != nil || s.Wrote() != 4096+3 {
			t.Fatalf("Wrote after rewrite = %d, %v", s.Wrote(), err)
		}
		b := s.Bytes()
		if string(b[:5]) != "Jello" || string(b[4094:4099]) != "world" {
			t.Fatalf("mapping holds %q %q", b[:5], b[4094:4099])
		}
		// The file (through another descriptor) holds the same bytes.
		f, err := vfs.Default.Open(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 5)
		if _, err := f.ReadAt(buf, 4094); err != nil || string(buf) != "world" {
			t.Fatalf("pread = %q, %v", buf, err)
		}
		// The last byte is writable; one past is not, and that is not sticky.
		if err := s.WriteAt([]byte("z"), testSize-1); err != nil {
			t.Fatal(err)
		}
		for _, off := range []int{testSize - 1, -1} {
			if err := s.WriteAt([]byte("zz"), off); !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("WriteAt(%d) = %v, want ErrOutOfRange", off, err)
			}
		}
		if err := s.WriteAt([]byte("ok"), 10); err != nil || s.Err() != nil {
			t.Fatalf("write after a range error: %v, sticky %v", err, s.Err())
		}
	})
}

func TestSyncAdvancesFlushed(t *testing.T) {
	forModes(t, func(t *testing.T, cfg Config) {
		fs := newFaultFS()
		s, err := Create(fs, t.TempDir(), 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		base := fs.syncs.Load() // Create's own sync
		if err := s.Sync(); err != nil || fs.syncs.Load() != base {
			t.Fatalf("Sync with nothing written: %v, %d fdatasyncs", err, fs.syncs.Load()-base)
		}
		if err := s.WriteAt(make([]byte, 1000), 0); err != nil {
			t.Fatal(err)
		}
		if s.Flushed() != 0 {
			t.Fatalf("Flushed = %d before Sync", s.Flushed())
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		if s.Flushed() != 1000 || fs.syncs.Load() != base+1 {
			t.Fatalf("Flushed = %d after Sync, %d fdatasyncs", s.Flushed(), fs.syncs.Load()-base)
		}
		if err := s.Sync(); err != nil || fs.syncs.Load() != base+1 {
			t.Fatalf("idle Sync: %v, %d fdatasyncs", err, fs.syncs.Load()-base)
		}
	})
}

func TestStickyWriteError(t *testing.T) {
	fs := newFaultFS()
	s, err := Create(fs, t.TempDir(), 0, testConfig(WritePwrite))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WriteAt([]byte("ok"), 0); err != nil {
		t.Fatal(err)
	}
	fs.failWrites(unix.EIO)
	werr := s.WriteAt([]byte("fails"), 2)
	if !errors.Is(werr, unix.EIO) {
		t.Fatalf("WriteAt = %v, want EIO", werr)
	}
	fs.failWrites(nil) // the device recovers; the segment does not
	if err := s.WriteAt([]byte("later"), 2); err != werr {
		t.Fatalf("WriteAt after failure = %v, want the sticky %v", err, werr)
	}
	if err := s.Sync(); err != werr {
		t.Fatalf("Sync after failure = %v, want the sticky %v", err, werr)
	}
	if err := s.Truncate(0); err != werr {
		t.Fatalf("Truncate after failure = %v, want the sticky %v", err, werr)
	}
	if s.Err() != werr || s.Wrote() != 2 || s.Flushed() != 0 {
		t.Fatalf("Err %v Wrote %d Flushed %d", s.Err(), s.Wrote(), s.Flushed())
	}
}

func TestStickySyncError(t *testing.T) {
	forModes(t, func(t *testing.T, cfg Config) {
		fs := newFaultFS()
		s, err := Create(fs, t.TempDir(), 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.WriteAt([]byte("data"), 0); err != nil {
			t.Fatal(err)
		}
		fs.failSyncs(unix.EIO)
		serr := s.Sync()
		if !errors.Is(serr, unix.EIO) {
			t.Fatalf("Sync = %v, want EIO", serr)
		}
		fs.failSyncs(nil)
		if err := s.Sync(); err != serr {
			t.Fatalf("second Sync = %v, want the sticky %v", err, serr)
		}
		if err := s.WriteAt([]byte("more"), 4); err != serr {
			t.Fatalf("WriteAt after a failed Sync = %v, want the sticky %v", err, serr)
		}
		if s.Flushed() != 0 {
			t.Fatalf("Flushed = %d after a failed Sync", s.Flushed())
		}
	})
}

func TestRemoveWhileAcquired(t *testing.T) {
	forModes(t, func(t *testing.T, cfg Config) {
		dir := t.TempDir()
		s, err := Create(vfs.Default, dir, 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WriteAt([]byte("pinned"), 100); err != nil {
			t.Fatal(err)
		}
		if !s.Acquire() {
			t.Fatal("Acquire failed on a live segment")
		}
		b := s.Bytes()[100:106]
		if err := s.Remove(); err != nil {
			t.Fatal(err)
		}
		if s.Acquire() {
			t.Fatal("Acquire succeeded after Remove")
		}
		if err := s.Remove(); !errors.Is(err, ErrClosed) {
			t.Fatalf("second Remove = %v", err)
		}
		if err := s.Close(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Close after Remove = %v", err)
		}
		if err := s.WriteAt([]byte("x"), 0); !errors.Is(err, ErrClosed) {
			t.Fatalf("WriteAt after Remove = %v", err)
		}
		if err := s.Sync(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Sync after Remove = %v", err)
		}
		// Still mapped, still on disk, until the reader lets go.
		if string(b) != "pinned" {
			t.Fatalf("pinned bytes = %q", b)
		}
		if got := dirNames(t, dir); len(got) != 1 {
			t.Fatalf("file removed while pinned: dir holds %q", got)
		}
		s.Release()
		if err := s.Wait(); err != nil {
			t.Fatal(err)
		}
		if got := dirNames(t, dir); len(got) != 0 {
			t.Fatalf("after the last Release the dir holds %q", got)
		}
	})
}

func TestCloseAndOpen(t *testing.T) {
	forModes(t, func(t *testing.T, cfg Config) {
		dir := t.TempDir()
		s, err := Create(vfs.Default, dir, testSize, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WriteAt([]byte("persisted"), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Wait(); err != nil { // no readers: already released
			t.Fatal(err)
		}
		if err := s.Close(); !errors.Is(err, ErrClosed) {
			t.Fatalf("second Close = %v", err)
		}

		o, err := Open(vfs.Default, dir, testSize, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if string(o.Bytes()[:9]) != "persisted" || o.Wrote() != 0 || o.Flushed() != 0 {
			t.Fatalf("reopened: %q wrote %d flushed %d", o.Bytes()[:9], o.Wrote(), o.Flushed())
		}
		if err := o.Truncate(9); err != nil {
			t.Fatal(err)
		}
		if o.Wrote() != 9 || o.Flushed() != 9 {
			t.Fatalf("after Truncate(9): wrote %d flushed %d", o.Wrote(), o.Flushed())
		}
		if err := o.WriteAt([]byte("!"), o.Wrote()); err != nil {
			t.Fatal(err)
		}
		if string(o.Bytes()[:10]) != "persisted!" {
			t.Fatalf("after append: %q", o.Bytes()[:10])
		}
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}

		small := cfg
		small.Size = testSize / 2
		if _, err := Open(vfs.Default, dir, testSize, small); !errors.Is(err, ErrSize) {
			t.Fatalf("Open with another size = %v, want ErrSize", err)
		}
		if _, err := Open(vfs.Default, dir, 0, cfg); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Open of a missing segment = %v", err)
		}
	})
}

func TestTruncate(t *testing.T) {
	forModes(t, func(t *testing.T, cfg Config) {
		fs := newFaultFS()
		dir := t.TempDir()
		s, err := Create(fs, dir, 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		junk := bytes.Repeat([]byte{0xA5}, 3*4096+100)
		if err := s.WriteAt(junk, 0); err != nil {
			t.Fatal(err)
		}
		// A torn write far past the end, as write-back in any order can leave.
		if err := s.WriteAt([]byte{1}, testSize-1); err != nil {
			t.Fatal(err)
		}
		if err := s.Truncate(100); err != nil {
			t.Fatal(err)
		}
		b := s.Bytes()
		if !bytes.Equal(b[:100], junk[:100]) {
			t.Fatal("Truncate changed bytes below its offset")
		}
		if i := slices.IndexFunc(b[100:], func(c byte) bool { return c != 0 }); i >= 0 {
			t.Fatalf("non-zero byte at %d after Truncate(100)", 100+i)
		}
		if s.Wrote() != 100 || s.Flushed() != 100 {
			t.Fatalf("wrote %d flushed %d", s.Wrote(), s.Flushed())
		}
		syncs := fs.syncs.Load()
		if err := s.Truncate(100); err != nil || fs.syncs.Load() != syncs {
			t.Fatalf("Truncate of a clean tail: %v, %d syncs", err, fs.syncs.Load()-syncs)
		}
		if err := s.Truncate(testSize + 1); !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("Truncate past the end = %v", err)
		}
	})
}

func TestReleaseWithoutAcquirePanics(t *testing.T) {
	s, err := Create(vfs.Default, t.TempDir(), 0, testConfig(WritePwrite))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Acquire() {
		t.Fatal("Acquire failed")
	}
	s.Release()
	defer func() {
		if recover() == nil {
			t.Fatal("unbalanced Release did not panic")
		}
		s.state.Add(1) // restore the owner's reference for Close
	}()
	s.Release()
}

func TestListAndRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	if bases, err := List(vfs.Default, filepath.Join(dir, "missing")); err != nil || bases != nil {
		t.Fatalf("List of a missing dir = %v, %v", bases, err)
	}
	for _, n := range []string{Name(2 << 20), Name(0), Name(1<<20) + tmpSuffix, "checkpoint", "x.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bases, err := List(vfs.Default, dir)
	if err != nil || !slices.Equal(bases, []int64{0, 2 << 20}) {
		t.Fatalf("List = %v, %v", bases, err)
	}
	n, err := RemoveTemps(vfs.Default, dir)
	if err != nil || n != 1 {
		t.Fatalf("RemoveTemps = %d, %v", n, err)
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{Name(0), Name(2 << 20), "checkpoint", "x.tmp"}) {
		t.Fatalf("after RemoveTemps: %q", got)
	}
}

// TestConcurrentReaders runs one writer, a syncer and several readers on a
// segment, then removes it under the readers. Run it with -race.
func TestConcurrentReaders(t *testing.T) {
	forModes(t, func(t *testing.T, cfg Config) {
		s, err := Create(vfs.Default, t.TempDir(), 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		const rec = 256
		const n = testSize / rec
		// Record i is rec bytes of byte(i%251+1): a reader can check any
		// prefix it is allowed to see.
		want := func(i int) byte { return byte(i%251 + 1) }

		var wg sync.WaitGroup
		errs := make(chan error, 16)
		stop := make(chan struct{})
		for r := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if !s.Acquire() {
						return // removed
					}
					w := s.Wrote()
					b := s.Bytes()
					for i := r * rec; i+rec <= w; i += 16 * rec {
						if c := b[i]; c != want(i/rec) || b[i+rec-1] != c {
							errs <- fmt.Errorf("reader %d: record %d holds %d, want %d (wrote %d)", r, i/rec, c, want(i/rec), w)
						}
					}
					s.Release()
				}
			}()
		}
		wg.Add(1)
		go func() { // the flusher
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.Sync(); err != nil && !errors.Is(err, ErrClosed) {
					errs <- err
					return
				}
				if s.Flushed() > s.Wrote() {
					errs <- fmt.Errorf("flushed %d past wrote %d", s.Flushed(), s.Wrote())
				}
			}
		}()
		buf := make([]byte, rec)
		for i := range n {
			for j := range buf {
				buf[j] = want(i)
			}
			if err := s.WriteAt(buf, i*rec); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		if err := s.Remove(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if err := s.Wait(); err != nil {
			t.Fatal(err)
		}
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// TestWriteAllocs pins the zero-allocation append: WriteAt, and Sync when
// there is nothing to flush, allocate nothing in either mode.
func TestWriteAllocs(t *testing.T) {
	forModes(t, func(t *testing.T, cfg Config) {
		s, err := Create(vfs.Default, t.TempDir(), 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rec := make([]byte, 1024)
		off := 0
		if n := testing.AllocsPerRun(100, func() {
			if err := s.WriteAt(rec, off); err != nil {
				t.Fatal(err)
			}
			off += len(rec)
		}); n != 0 {
			t.Fatalf("WriteAt: %v allocations", n)
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = s.Sync() }); n != 0 {
			t.Fatalf("idle Sync: %v allocations", n)
		}
	})
}

// TestDropCache: DropCache releases a flushed range's pages (mincore sees
// them gone from the page cache), keeps the rest, loses no byte (not even
// of unflushed data: its pages stay dirty), and refuses a range outside
// the segment.
func TestDropCache(t *testing.T) {
	forModes(t, func(t *testing.T, cfg Config) {
		cfg.Size = 4 << 20
		s, err := Create(vfs.Default, t.TempDir(), 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		data := make([]byte, cfg.Size)
		for i := range data {
			data[i] = byte(i*31 + 1)
		}
		if err := s.WriteAt(data, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.DropCache(2<<20, cfg.Size); !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("DropCache past the end: %v, want ErrOutOfRange", err)
		}
		if err := s.DropCache(0, cfg.Size); err != nil { // all of it dirty
			t.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.Bytes(), data) { // maps every page
			t.Fatal("segment differs from the data written")
		}
		if err := s.DropCache(0, 2<<20); err != nil {
			t.Fatal(err)
		}
		ps := os.Getpagesize()
		vec := make([]byte, cfg.Size/ps)
		if err := mincore(s.Bytes(), vec); err != nil {
			t.Fatal(err)
		}
		var dropped, kept int
		for i, v := range vec {
			switch {
			case i*ps < 2<<20 && v&1 == 0:
				dropped++
			case i*ps >= 2<<20 && v&1 == 1:
				kept++
			}
		}
		if want := (2 << 20) / ps; dropped != want || kept != want {
			t.Fatalf("after DropCache of the first 2 MiB: %d of its %d pages gone, %d of the other %d still cached", dropped, want, kept, want)
		}
		if !bytes.Equal(s.Bytes(), data) {
			t.Fatal("data changed after its cache was dropped")
		}
	})
}

// TestPrefetch: Prefetch brings a released range back into the page cache,
// clips its range to the segment, and refuses a closed segment.
func TestPrefetch(t *testing.T) {
	cfg := testConfig(WritePwrite)
	s, err := Create(vfs.Default, t.TempDir(), 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte{9}, cfg.Size)
	if err := s.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.DropCache(0, cfg.Size); err != nil {
		t.Fatal(err)
	}
	if n := testutil.Resident(t, s.Bytes()); n != 0 {
		t.Fatalf("%d pages cached after DropCache", n)
	}
	if err := s.Prefetch(-4096, 2*cfg.Size); err != nil {
		t.Fatal(err)
	}
	if n, pages := testutil.Resident(t, s.Bytes()), cfg.Size/os.Getpagesize(); n != pages {
		t.Fatalf("%d of %d pages cached after Prefetch of the whole segment", n, pages)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Prefetch(0, 4096); !errors.Is(err, ErrClosed) {
		t.Fatalf("Prefetch after Close: %v, want ErrClosed", err)
	}
}
