package segment

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/quivermq/quiver/engine/vfs"
)

func TestCommit(t *testing.T) {
	s, err := Create(vfs.Default, t.TempDir(), 0, testConfig(WriteMapped))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	copy(s.Bytes()[0:], "hello")
	if s.Wrote() != 0 {
		t.Fatalf("Wrote = %d before Commit", s.Wrote())
	}
	if err := s.Commit(5); err != nil {
		t.Fatal(err)
	}
	if s.Wrote() != 5 || string(s.Bytes()[:s.Wrote()]) != "hello" {
		t.Fatalf("after Commit(5): Wrote %d, %q", s.Wrote(), s.Bytes()[:s.Wrote()])
	}
	if err := s.Commit(3); err != nil || s.Wrote() != 5 {
		t.Fatalf("Commit(3) = %v, Wrote %d: want nil, 5 (never lowers)", err, s.Wrote())
	}
	for _, end := range []int{-1, testSize + 1} {
		if err := s.Commit(end); !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("Commit(%d) = %v, want ErrOutOfRange", end, err)
		}
	}
	if err := s.Commit(testSize); err != nil || s.Wrote() != testSize {
		t.Fatalf("Commit(Size) = %v, Wrote %d", err, s.Wrote())
	}
	// Out of range is a caller bug, not sticky.
	if err := s.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
	if err := s.Sync(); err != nil || s.Flushed() != testSize {
		t.Fatalf("Sync = %v, Flushed %d", err, s.Flushed())
	}
}

func TestCommitPwrite(t *testing.T) {
	s, err := Create(vfs.Default, t.TempDir(), 0, testConfig(WritePwrite))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Commit(1); !errors.Is(err, ErrNotMapped) {
		t.Fatalf("Commit in pwrite mode = %v, want ErrNotMapped", err)
	}
	if s.Wrote() != 0 {
		t.Fatalf("Wrote = %d", s.Wrote())
	}
}

func TestCommitStickyAndClosed(t *testing.T) {
	fs := newFaultFS()
	s, err := Create(fs, t.TempDir(), 0, testConfig(WriteMapped))
	if err != nil {
		t.Fatal(err)
	}
	copy(s.Bytes(), "data")
	if err := s.Commit(4); err != nil {
		t.Fatal(err)
	}
	fs.failSyncs(unix.EIO)
	serr := s.Sync()
	if !errors.Is(serr, unix.EIO) {
		t.Fatalf("Sync = %v, want EIO", serr)
	}
	fs.failSyncs(nil)
	if err := s.Commit(8); err != serr {
		t.Fatalf("Commit after a failed Sync = %v, want the sticky %v", err, serr)
	}
	if s.Wrote() != 4 {
		t.Fatalf("Wrote = %d after a refused Commit", s.Wrote())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Create(vfs.Default, t.TempDir(), 0, testConfig(WriteMapped))
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s2.Commit(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit after Close = %v, want ErrClosed", err)
	}
	if err := s2.PrepareWrite(0, 4096); !errors.Is(err, ErrClosed) {
		t.Fatalf("PrepareWrite after Close = %v, want ErrClosed", err)
	}
}

// TestCommitVisibleToReaders: a reader that loads Wrote sees the bytes the
// writer stored below it before Commit (run under -race).
func TestCommitVisibleToReaders(t *testing.T) {
	s, err := Create(vfs.Default, t.TempDir(), 0, testConfig(WriteMapped))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const rec = 64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				w := s.Wrote()
				for off := 0; off+rec <= w; off += rec {
					if b := s.Bytes()[off]; b != byte(off/rec)|1 {
						t.Errorf("byte %d = %d below Wrote %d", off, b, w)
						return
					}
				}
			}
		}()
	}
	for off := 0; off+rec <= 256*rec; off += rec {
		b := s.Bytes()[off : off+rec]
		for i := range b {
			b[i] = byte(off/rec) | 1
		}
		if err := s.Commit(off + rec); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

// minorFaults returns the calling thread's minor page faults.
func minorFaults(t *testing.T) int64 {
	var r unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &r); err != nil {
		t.Fatal(err)
	}
	return r.Minflt
}

// TestPrepareWrite: after PrepareWrite the pages are resident and stores to
// them take no fault; PrepareWrite stores nothing.
func TestPrepareWrite(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s, err := Create(vfs.Default, t.TempDir(), 0, testConfig(WriteMapped))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps := os.Getpagesize()
	const from, n = 64 << 10, 256 << 10
	if err := s.PrepareWrite(from, n); errors.Is(err, syscall.EINVAL) {
		t.Skip("MADV_POPULATE_WRITE unsupported (Linux < 5.14)")
	} else if err != nil {
		t.Fatal(err)
	}
	b := s.Bytes()
	vec := make([]byte, n/ps)
	if err := mincore(b[from:from+n], vec); err != nil {
		t.Fatal(err)
	}
	for i, v := range vec {
		if v&1 == 0 {
			t.Fatalf("page %d of the prepared range not resident", i)
		}
	}
	for i := range b {
		if b[i] != 0 {
			t.Fatalf("byte %d = %d: PrepareWrite stored into the mapping", i, b[i])
		}
	}
	// NB: the loop above read every page; stores to the unprepared pages
	// would now fault (write-protect), to the prepared ones not.
	f0 := minorFaults(t)
	for off := from; off < from+n; off += ps {
		b[off] = 1
	}
	if d := minorFaults(t) - f0; d > 2 { // slack for an unrelated fault
		t.Fatalf("%d minor faults storing to %d prepared pages", d, n/ps)
	}
	f0 = minorFaults(t)
	for off := from + n; off < from+2*n; off += ps {
		b[off] = 1
	}
	if d := minorFaults(t) - f0; d < int64(n/ps)/2 {
		t.Logf("only %d faults storing to %d unprepared pages (the check above may be vacuous)", d, n/ps)
	}
	if err := s.Commit(from + 2*n); err != nil {
		t.Fatal(err)
	}
	// Clipped to the segment, no-op for n <= 0.
	if err := s.PrepareWrite(testSize-ps, 10*ps); err != nil {
		t.Fatal(err)
	}
	if err := s.PrepareWrite(testSize, ps); err != nil {
		t.Fatal(err)
	}
	if err := s.PrepareWrite(0, 0); err != nil {
		t.Fatal(err)
	}
}

func TestPrepareWritePwriteIsNoop(t *testing.T) {
	s, err := Create(vfs.Default, t.TempDir(), 0, testConfig(WritePwrite))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.PrepareWrite(0, testSize); err != nil {
		t.Fatal(err)
	}
}

// TestCreatePrepareWrite: Config.PrepareWrite makes Create prepare the
// first pages of a WriteMapped segment.
func TestCreatePrepareWrite(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cfg := testConfig(WriteMapped)
	cfg.PrepareWrite = 64 << 10
	s, err := Create(vfs.Default, t.TempDir(), 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := s.Bytes()
	f0 := minorFaults(t)
	for off := 0; off < cfg.PrepareWrite; off += os.Getpagesize() {
		b[off] = 1
	}
	if d := minorFaults(t) - f0; d > 2 {
		t.Fatalf("%d minor faults storing to %d pages prepared by Create", d, cfg.PrepareWrite/os.Getpagesize())
	}
	cfg.PrepareWrite = -1
	if err := cfg.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Validate(PrepareWrite -1) = %v", err)
	}
}
