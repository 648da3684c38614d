package segment

import (
	"errors"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/internal/testutil"
)

// waitCreated waits until the allocator has made n segments.
func waitCreated(t *testing.T, a *Allocator, n int64) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, func() bool { return a.Stats().Created >= n },
		"background creation did not finish")
}

func TestAllocatorHit(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(WriteMapped)
	a, err := NewAllocator(vfs.Default, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.Prepare(0)
	waitCreated(t, a, 1)
	var segs []*Segment
	for i := range 3 {
		base := int64(i) * testSize
		s, err := a.Next(base)
		if err != nil {
			t.Fatal(err)
		}
		if s.Base() != base {
			t.Fatalf("Next(%d) returned base %d", base, s.Base())
		}
		if err := s.WriteAt([]byte("x"), 0); err != nil { // writable, mapped
			t.Fatal(err)
		}
		segs = append(segs, s)
		waitCreated(t, a, int64(i)+2) // the following one is ready before the next roll
	}
	st := a.Stats()
	if st.Hits != 3 || st.Waits != 0 || st.Misses != 0 || st.Errors != 0 || st.Created != 4 {
		t.Fatalf("stats: %v", st)
	}
	if st.CreateMin <= 0 || st.CreateMax < st.CreateMin || st.CreateTotal < st.CreateMax || st.NextMax <= 0 {
		t.Fatalf("timings: %v", st)
	}
	t.Logf("%v", st)
	want := []string{Name(0), Name(testSize), Name(2 * testSize), Name(3 * testSize)}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Fatalf("dir holds %q, want %q", got, want)
	}
	// Close removes the pending segment nobody took.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, dir); !slices.Equal(got, want[:3]) {
		t.Fatalf("after Close the dir holds %q, want %q", got, want[:3])
	}
	if _, err := a.Next(3 * testSize); !errors.Is(err, ErrAllocatorClosed) {
		t.Fatalf("Next after Close = %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	for _, s := range segs {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAllocatorMiss(t *testing.T) {
	dir := t.TempDir()
	a, err := NewAllocator(vfs.Default, dir, testConfig(WritePwrite))
	if err != nil {
		t.Fatal(err)
	}
	// Nothing prepared: the first Next creates synchronously.
	s0, err := a.Next(0)
	if err != nil {
		t.Fatal(err)
	}
	defer s0.Close()
	// The writer asks for another base than the one pre-made (say, after
	// a truncation): the pre-made one is discarded, the asked one created.
	s5, err := a.Next(5 * testSize)
	if err != nil {
		t.Fatal(err)
	}
	defer s5.Close()
	if err := a.Close(); err != nil { // waits for the discard
		t.Fatal(err)
	}
	st := a.Stats()
	if st.Misses != 2 || st.Hits != 0 || st.Discarded != 2 {
		t.Fatalf("stats: %v", st)
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{Name(0), Name(5 * testSize)}) {
		t.Fatalf("dir holds %q", got)
	}
}

func TestAllocatorError(t *testing.T) {
	fs := newFaultFS()
	dir := t.TempDir()
	a, err := NewAllocator(fs, dir, testConfig(WritePwrite))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	fs.setPrealloc(unix.ENOSPC, Name(testSize))
	s0, err := a.Next(0) // creates 0 now, starts testSize in the background
	if err != nil {
		t.Fatal(err)
	}
	defer s0.Close()
	testutil.Eventually(t, 10*time.Second, func() bool { return a.Stats().Errors == 1 }, "no background error")
	// The background error surfaces on the Next that wanted that segment.
	if _, err := a.Next(testSize); !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("Next = %v, want ENOSPC", err)
	}
	// The failed creation left nothing behind, and started nothing.
	if got := dirNames(t, dir); !slices.Equal(got, []string{Name(0)}) {
		t.Fatalf("dir holds %q", got)
	}
	// Space is back: the next Next creates synchronously.
	fs.setPrealloc(nil)
	s1, err := a.Next(testSize)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	if st := a.Stats(); st.Misses != 2 || st.Errors != 1 {
		t.Fatalf("stats: %v", st)
	}
}

func TestAllocatorWaitsForPending(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(WritePwrite)
	cfg.Size = 16 << 20 // long enough to catch it in progress, usually
	a, err := NewAllocator(vfs.Default, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Prepare(0)
	a.Prepare(0) // no-op: one pending at a time
	s, err := a.Next(0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := a.Stats()
	if st.Hits != 1 || st.Misses != 0 || st.Created != 1 {
		t.Fatalf("stats: %v", st)
	}
	t.Logf("waited for the pending segment: %v (%v)", st.Waits == 1, st)
}
