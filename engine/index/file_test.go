package index

import (
	"encoding/hex"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
	"github.com/quivermq/quiver/message"
)

// testFS returns the OS file system and a fresh directory for a test.
func testFS(t testing.TB) (vfs.FS, string) {
	t.Helper()
	return vfs.Default, filepath.Join(t.TempDir(), "index")
}

// memFS returns an in-memory file system for fault injection and a
// directory in it. Its mappings live in the Go heap, so the race detector
// sees every access to them, which it does not for real mmap memory.
func memFS(t testing.TB) (*errorfs.FS, string) {
	t.Helper()
	fs := errorfs.New()
	t.Cleanup(func() {
		if files, maps := fs.OpenHandles(); len(files)+len(maps) > 0 {
			t.Errorf("handles left open: files %v, mappings %v", files, maps)
		}
	})
	return fs, "/store/index"
}

// fileBytes reads a whole file through the FS (not through our mapping).
func fileBytes(t testing.TB, fs vfs.FS, name string) []byte {
	t.Helper()
	fi, err := fs.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fs.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile overwrites bytes of a file through the FS.
func writeFile(t testing.TB, fs vfs.FS, name string, off int64, p []byte) {
	t.Helper()
	f, err := fs.OpenReadWrite(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(p, off); err != nil {
		t.Fatal(err)
	}
}

func listNames(t testing.TB, fs vfs.FS, dir string) []string {
	t.Helper()
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func createFile(t testing.TB, fs vfs.FS, dir string, slots, entries int) *File {
	t.Helper()
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := CreateFile(fs, filepath.Join(dir, "20240101000000000"), slots, entries, Header{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func mustPut(t testing.TB, f *File, h int32, phy, ts int64) {
	t.Helper()
	if err := f.Put(h, phy, ts); err != nil {
		t.Fatalf("Put(%d, %d, %d): %v", h, phy, ts, err)
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var clean strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFileGoldenLayout pins the bytes of a small file: 4 slots, 4 entries
// (136 bytes), three entries of which two share slot 0. The expected bytes
// were computed from spec §6.1 by hand (Python struct.pack), not by this
// package.
func TestFileGoldenLayout(t *testing.T) {
	fs, dir := testFS(t)
	f := createFile(t, fs, dir, 4, 4)
	const T = 1_700_000_000_000
	h1 := message.IndexKeyHash("TopicTest", "key1") // 1655984460, slot 0
	h2 := message.IndexKeyHash("TopicTest", "key2") // 1655984459, slot 3
	h5 := message.IndexKeyHash("TopicTest", "key5") // 1655984456, slot 0
	mustPut(t, f, h1, 100, T)
	mustPut(t, f, h2, 200, T+2500) // timeDiff 2 (seconds, rounded down)
	mustPut(t, f, h5, 300, T+5999) // timeDiff 5, prevIndex 1
	if err := f.Put(h1, 400, T+6000); !errors.Is(err, ErrFull) {
		t.Fatalf("4th Put into a 4-entry file: %v, want ErrFull (entry 0 is never used)", err)
	}

	want := unhex(t, `
		0000018bcfe56800 # @0  beginTimestamp = T
		0000018bcfe57f6f # @8  endTimestamp = T+5999
		0000000000000064 # @16 beginPhyOffset = 100
		000000000000012c # @24 endPhyOffset = 300
		00000002         # @32 hashSlotCount: slots 0 and 3
		00000004         # @36 indexCount: 3 entries + 1
		00000003 00000000 00000000 00000002 # @40 slots 0..3: newest entry numbers
		00000000 0000000000000000 00000000 00000000 # @56 entry 0, never used
		62b4514c 0000000000000064 00000000 00000000 # @76 entry 1: key1, 100, 0 s, end of chain
		62b4514b 00000000000000c8 00000002 00000000 # @96 entry 2: key2, 200, 2 s
		62b45148 000000000000012c 00000005 00000001 # @116 entry 3: key5, 300, 5 s, prev 1
	`)
	got := fileBytes(t, fs, f.Name())
	if len(got) != int(FileSize(4, 4)) || FileSize(4, 4) != 136 {
		t.Fatalf("file is %d bytes, FileSize %d, want 136", len(got), FileSize(4, 4))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("layout:\n got %x\nwant %x", got, want)
	}
	// Entry i lives at 40 + slots*4 + i*20.
	for i, h := range []int32{h1, h2, h5} {
		off := 40 + 4*4 + (i+1)*20
		if g := int32(be.Uint32(got[off:])); g != h {
			t.Errorf("entry %d at %d: keyHash %d, want %d", i+1, off, g, h)
		}
	}
	wantHdr := Header{T, T + 5999, 100, 300, 2, 4}
	if h := f.Header(); h != wantHdr {
		t.Errorf("Header() = %+v, want %+v", h, wantHdr)
	}
}

// TestDefaultFileSize checks RocketMQ's default file size.
func TestDefaultFileSize(t *testing.T) {
	if got := FileSize(DefaultMaxHashSlots, DefaultMaxIndexNum); got != 420_000_040 {
		t.Fatalf("FileSize(defaults) = %d, want 420,000,040", got)
	}
}

// TestKeyHashJavaVector checks the key hash against a value computed by
// hand with Java's String.hashCode rules, and that entries store it.
func TestKeyHashJavaVector(t *testing.T) {
	// "TopicTest#key1".hashCode() == -1655984460 in Java.
	if got := message.JavaHashCode("TopicTest#key1"); got != -1655984460 {
		t.Fatalf("JavaHashCode = %d, want -1655984460", got)
	}
	h := message.IndexKeyHash("TopicTest", "key1")
	if h != 1655984460 || h != -message.JavaHashCode("TopicTest#key1") {
		t.Fatalf("IndexKeyHash = %d, want 1655984460", h)
	}
	if got := message.IndexKeyHash([]byte("TopicTest"), []byte("key1")); got != h {
		t.Fatalf("IndexKeyHash of bytes = %d, want %d", got, h)
	}

	fs, dir := testFS(t)
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 100, MaxIndexNum: 10}, keepAll)
	if err := x.Put([]byte("TopicTest"), nil, []byte("key1"), 7, 1000); err != nil {
		t.Fatal(err)
	}
	b := fileBytes(t, fs, x.files[0].Name())
	e := HeaderSize + 100*SlotSize + 1*EntrySize
	if got := int32(be.Uint32(b[e:])); got != 1655984460 {
		t.Fatalf("stored keyHash %d, want 1655984460", got)
	}
	if got := int32(be.Uint32(b[HeaderSize+(1655984460%100)*SlotSize:])); got != 1 {
		t.Fatalf("slot %d holds %d, want entry 1", 1655984460%100, got)
	}
}

// TestFileNegativeHash: a negative hash is stored as Java's abs, with
// MinInt32 as 0, and found under either form.
func TestFileNegativeHash(t *testing.T) {
	fs, dir := testFS(t)
	f := createFile(t, fs, dir, 7, 8)
	mustPut(t, f, -5, 10, 1000)
	mustPut(t, f, math.MinInt32, 20, 1000)
	if got := f.Lookup(nil, 5, 0, math.MaxInt64, 10); !slices.Equal(got, []int64{10}) {
		t.Errorf("Lookup(5) = %v, want [10]", got)
	}
	if got := f.Lookup(nil, -5, 0, math.MaxInt64, 10); !slices.Equal(got, []int64{10}) {
		t.Errorf("Lookup(-5) = %v, want [10]", got)
	}
	if got := f.Lookup(nil, 0, 0, math.MaxInt64, 10); !slices.Equal(got, []int64{20}) {
		t.Errorf("Lookup(0) = %v, want [20]", got)
	}
}

// TestFileChains puts keys that share slots (and some that share a hash)
// and finds each key's offsets, newest first, without the others.
func TestFileChains(t *testing.T) {
	fs, dir := testFS(t)
	const slots = 3
	f := createFile(t, fs, dir, slots, 64)
	// Hashes 1, 4, 7, 10 share slot 1; 2 and 5 share slot 2.
	puts := []struct {
		h   int32
		phy int64
	}{{1, 10}, {4, 20}, {2, 30}, {1, 40}, {7, 50}, {5, 60}, {4, 70}, {1, 80}, {10, 90}}
	for _, p := range puts {
		mustPut(t, f, p.h, p.phy, 1_000_000)
	}
	for _, tc := range []struct {
		h    int32
		want []int64
	}{
		{1, []int64{80, 40, 10}},
		{4, []int64{70, 20}},
		{7, []int64{50}},
		{10, []int64{90}},
		{2, []int64{30}},
		{5, []int64{60}},
		{3, nil}, // empty slot 0
		{13, nil},
	} {
		if got := f.Lookup(nil, tc.h, 0, math.MaxInt64, 100); !slices.Equal(got, tc.want) {
			t.Errorf("Lookup(%d) = %v, want %v", tc.h, got, tc.want)
		}
	}
	// hashSlotCount counts entries that went into an empty slot: 1 then 2.
	if got := f.Header().HashSlotCount; got != 2 {
		t.Errorf("HashSlotCount = %d, want 2", got)
	}
	// Lookup appends to dst.
	dst := []int64{-1}
	if got := f.Lookup(dst, 4, 0, math.MaxInt64, 100); !slices.Equal(got, []int64{-1, 70, 20}) {
		t.Errorf("Lookup appending = %v", got)
	}
}

// TestFileMaxNum stops after max hits.
func TestFileMaxNum(t *testing.T) {
	fs, dir := testFS(t)
	f := createFile(t, fs, dir, 16, 64)
	for i := range 20 {
		mustPut(t, f, 42, int64(i*10), 1_000_000)
	}
	for _, max := range []int{0, 1, 5, 20, 50} {
		got := f.Lookup(nil, 42, 0, math.MaxInt64, max)
		n := min(max, 20)
		if len(got) != n {
			t.Fatalf("max %d: %d hits, want %d", max, len(got), n)
		}
		for i, phy := range got {
			if want := int64((19 - i) * 10); phy != want {
				t.Fatalf("max %d: hit %d = %d, want %d", max, i, phy, want)
			}
		}
	}
}

// TestFileTimeRange filters by store time at one-second precision and
// stops walking at an entry older than the range.
func TestFileTimeRange(t *testing.T) {
	fs, dir := testFS(t)
	f := createFile(t, fs, dir, 16, 64)
	const T = 1_700_000_000_000
	// Store times T, T+1.5s, T+3s, T+4.999s, T+10s, stored as 0, 1, 3, 4, 10 s.
	times := []int64{T, T + 1500, T + 3000, T + 4999, T + 10000}
	for i, ts := range times {
		mustPut(t, f, 9, int64(100*(i+1)), ts)
	}
	for _, tc := range []struct {
		begin, end int64
		want       []int64
	}{
		{0, math.MaxInt64, []int64{500, 400, 300, 200, 100}},
		{T, T, []int64{100}},
		{T + 1000, T + 1000, []int64{200}}, // T+1500 reads as T+1000
		{T + 1001, T + 2999, nil},
		{T + 1000, T + 4000, []int64{400, 300, 200}},
		{T + 4000, math.MaxInt64, []int64{500, 400}},
		{T + 10001, math.MaxInt64, nil},
		{0, T - 1, nil},
	} {
		if got := f.Lookup(nil, 9, tc.begin, tc.end, 100); !slices.Equal(got, tc.want) {
			t.Errorf("[%d, %d]: %v, want %v", tc.begin-T, tc.end-T, got, tc.want)
		}
	}

	// The walk stops at the first entry older than begin, as RocketMQ's
	// does, even if an older one would match: store times normally grow
	// along a chain, and here one does not (the clock stepped back).
	g := createFile(t, fs, dir+"2", 16, 64)
	mustPut(t, g, 9, 1, T+5000) // beginTimestamp T+5s
	mustPut(t, g, 9, 2, T+9000) // 4 s
	mustPut(t, g, 9, 3, T+1000) // the clock stepped back: clamped to 0 s
	mustPut(t, g, 9, 4, T+9000) // 4 s
	if got := g.Lookup(nil, 9, T+9000, math.MaxInt64, 100); !slices.Equal(got, []int64{4}) {
		t.Errorf("walk past an older entry: %v, want [4]", got)
	}
}

// TestFileFirstEntryOfRolledFile: a file created after another starts with
// its end values and takes the first entry's as begin.
func TestFileFirstEntryOfRolledFile(t *testing.T) {
	fs, dir := testFS(t)
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	prev := Header{BeginTimestamp: 1000, EndTimestamp: 5000, BeginPhyOffset: 10, EndPhyOffset: 900, IndexCount: 4}
	f, err := CreateFile(fs, filepath.Join(dir, "20240101000000001"), 4, 4, prev)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := Header{BeginTimestamp: 5000, EndTimestamp: 5000, BeginPhyOffset: 900, EndPhyOffset: 900, IndexCount: 1}
	if h := f.Header(); h != want {
		t.Fatalf("new file header %+v, want %+v", h, want)
	}
	b := f.b
	if got := unhex(t, "0000000000001388 0000000000001388 0000000000000384 0000000000000384 00000000 00000001"); !slices.Equal(b[:40], got) {
		t.Fatalf("stored header %x, want %x", b[:40], got)
	}
	mustPut(t, f, 3, 1000, 65000)
	want = Header{BeginTimestamp: 65000, EndTimestamp: 65000, BeginPhyOffset: 1000, EndPhyOffset: 1000, HashSlotCount: 1, IndexCount: 2}
	if h := f.Header(); h != want {
		t.Fatalf("after the first Put %+v, want %+v", h, want)
	}
	if td := int32(be.Uint32(b[HeaderSize+4*SlotSize+EntrySize+entTimeDiff:])); td != 0 {
		t.Fatalf("first entry timeDiff %d, want 0", td)
	}
}

// TestOpenFile reopens a file and finds the same header and entries; a
// file of the wrong size or with an impossible indexCount is refused.
func TestOpenFile(t *testing.T) {
	fs, dir := testFS(t)
	f := createFile(t, fs, dir, 8, 16)
	for i := range 10 {
		mustPut(t, f, int32(i%3), int64(i), 1000+int64(i)*1000)
	}
	hdr := f.Header()
	name := f.Name()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}

	g, err := OpenFile(fs, name, 8, 16)
	if err != nil {
		t.Fatal(err)
	}
	if g.Header() != hdr {
		t.Fatalf("reopened header %+v, want %+v", g.Header(), hdr)
	}
	if got := g.Lookup(nil, 1, 0, math.MaxInt64, 100); !slices.Equal(got, []int64{7, 4, 1}) {
		t.Fatalf("reopened Lookup = %v", got)
	}
	// It is writable and continues the chains.
	mustPut(t, g, 1, 10, 11000)
	if got := g.Lookup(nil, 1, 0, math.MaxInt64, 100); !slices.Equal(got, []int64{10, 7, 4, 1}) {
		t.Fatalf("Lookup after Put = %v", got)
	}
	_ = g.Close()

	if _, err := OpenFile(fs, name, 16, 16); !errors.Is(err, ErrCorrupt) {
		t.Errorf("open with other slot count: %v, want ErrCorrupt", err)
	}
	if _, err := OpenFile(fs, filepath.Join(dir, "nope"), 8, 16); err == nil {
		t.Error("open of a missing file succeeded")
	}
	writeFile(t, fs, name, offIndexCount, []byte{0, 0, 0, 17})
	if _, err := OpenFile(fs, name, 8, 16); !errors.Is(err, ErrCorrupt) {
		t.Errorf("indexCount 17 of 16: %v, want ErrCorrupt", err)
	}
	writeFile(t, fs, name, offIndexCount, []byte{0, 0, 0, 0}) // a header never written: count 1
	g, err = OpenFile(fs, name, 8, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if n := g.Header().IndexCount; n != 1 {
		t.Errorf("indexCount 0 loads as %d, want 1", n)
	}
	if got := g.Lookup(nil, 1, 0, math.MaxInt64, 100); got != nil {
		t.Errorf("Lookup in an empty-header file = %v, want none", got)
	}
}

// TestFileCorruptChain: a chain that points forward or at itself ends
// instead of looping.
func TestFileCorruptChain(t *testing.T) {
	fs, dir := testFS(t)
	f := createFile(t, fs, dir, 1, 8)
	for i := range 4 {
		mustPut(t, f, 5, int64(i), 1000)
	}
	b := f.b
	e := func(i int) int { return HeaderSize + SlotSize + i*EntrySize }
	// Entries 1..4 hold offsets 0..3; entry 4 is the newest.
	be.PutUint32(b[e(4)+entPrevIndex:], 4) // self loop
	if got := f.Lookup(nil, 5, 0, math.MaxInt64, 100); !slices.Equal(got, []int64{3}) {
		t.Errorf("self loop: %v", got)
	}
	be.PutUint32(b[e(4)+entPrevIndex:], 3)
	be.PutUint32(b[e(3)+entPrevIndex:], 4) // forward
	if got := f.Lookup(nil, 5, 0, math.MaxInt64, 100); !slices.Equal(got, []int64{3, 2}) {
		t.Errorf("forward link: %v", got)
	}
	be.PutUint32(b[e(4)+entTimeDiff:], 0xFFFFFFFF) // negative timeDiff
	if got := f.Lookup(nil, 5, 0, math.MaxInt64, 100); got != nil {
		t.Errorf("negative timeDiff: %v", got)
	}
}

func TestCreateFileErrors(t *testing.T) {
	fs, dir := memFS(t)
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, op := range []errorfs.Op{errorfs.OpPreallocate, errorfs.OpMap, errorfs.OpSync, errorfs.OpRename} {
		remove := fs.Inject(&errorfs.Rule{Op: op, Err: syscall.ENOSPC})
		if _, err := CreateFile(fs, filepath.Join(dir, "20240101000000000"), 4, 4, Header{}); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("CreateFile with failing %v: %v", op, err)
		}
		remove()
		if names := listNames(t, fs, dir); len(names) != 0 {
			t.Fatalf("failing %v: files left behind: %v", op, names)
		}
	}
	if _, err := CreateFile(fs, filepath.Join(dir, "x"), 0, 4, Header{}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("0 slots: %v", err)
	}
	if _, err := CreateFile(fs, filepath.Join(dir, "x"), 4, 1, Header{}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("1 entry: %v", err)
	}
}
