package consumequeue

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	if got := DefaultConfig().fileBytes(); got != 6_000_000 {
		t.Fatalf("default file size %d, want 6000000", got)
	}
	for _, n := range []int{0, -1, maxEntriesPerFile + 1} {
		if err := cfgN(n).Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("EntriesPerFile %d: err %v, want ErrInvalidConfig", n, err)
		}
	}
	fsys, root := testFS(t)
	if _, err := Open(fsys, root, "T", 0, cfgN(0)); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Open with a bad config: %v", err)
	}
}

func TestEntryCodec(t *testing.T) {
	e := Entry{PhyOffset: 0x0102030405060708, Size: 0x0a0b0c0d, TagsCode: -2}
	b := make([]byte, EntrySize)
	PutEntry(b, e)
	const want = "0102030405060708" + "0a0b0c0d" + "fffffffffffffffe"
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("PutEntry = %s, want %s", got, want)
	}
	if got := DecodeEntry(b); got != e {
		t.Fatalf("DecodeEntry = %+v, want %+v", got, e)
	}
	PutEntry(b, blankEntry)
	if got := hex.EncodeToString(b); got != "0000000000000000"+"7fffffff"+"0000000000000000" {
		t.Fatalf("blank entry = %s", got)
	}
	if !DecodeEntry(b).Blank() || e.Blank() {
		t.Fatal("Blank misreports")
	}
	if (Entry{}).written() || !blankEntry.written() || !e.written() {
		t.Fatal("written misreports")
	}
	if got := fileName(300_000); got != "00000000000006000000" {
		t.Fatalf("fileName(300000) = %s", got)
	}
	if off, ok := parseFileName("00000000000006000000"); !ok || off != 6_000_000 {
		t.Fatalf("parseFileName = %d %v", off, ok)
	}
	for _, bad := range []string{"6000000", "0000000000000600000x", "000000000000060000000"} {
		if _, ok := parseFileName(bad); ok {
			t.Errorf("parseFileName(%q) accepted", bad)
		}
	}
}

// TestLayoutGolden pins the directory, file names and entry bytes.
func TestLayoutGolden(t *testing.T) {
	fsys, root := testFS(t)
	q, err := Open(fsys, root, "TopicA", 3, cfgN(1000))
	if err != nil {
		t.Fatal(err)
	}
	puts := []struct {
		off  int64
		e    Entry
		file string
		at   int
		hex  string
	}{
		{0, Entry{0, 180, 3552231}, "00000000000000000000", 0, "0000000000000000" + "000000b4" + "00000000003633e7"},
		{1, Entry{180, 200, -1853217173}, "00000000000000000000", 20, "00000000000000b4" + "000000c8" + "ffffffff918a266b"},
	}
	for _, p := range puts {
		if err := q.Put(p.off, p.e.PhyOffset, p.e.Size, p.e.TagsCode); err != nil {
			t.Fatal(err)
		}
	}
	putRange(t, q, 2, 1004) // entry 1003 is the 4th of the second file
	e := ent(1003)
	puts = append(puts, struct {
		off  int64
		e    Entry
		file string
		at   int
		hex  string
	}{1003, e, "00000000000000020000", 60, "00000000000187cc" + "00000064" + "00000000000003eb"})
	if err := q.Sync(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "TopicA", "3")
	if got := listDir(t, dir); !slices.Equal(got, []string{"00000000000000000000", "00000000000000020000"}) {
		t.Fatalf("files %v", got)
	}
	for _, p := range puts {
		b, err := os.ReadFile(filepath.Join(dir, p.file))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 20_000 {
			t.Fatalf("%s is %d bytes, want 20000", p.file, len(b))
		}
		if got := hex.EncodeToString(b[p.at : p.at+EntrySize]); got != p.hex {
			t.Errorf("offset %d in %s at %d: %s, want %s", p.off, p.file, p.at, got, p.hex)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "00000000000000020000"))
	if !bytes.Equal(b[80:], make([]byte, len(b)-80)) {
		t.Error("bytes past the last entry are not zero")
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPutReadAcrossFiles(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	defer q.Close()
	if mn, mx := q.Offsets(); mn != 0 || mx != 0 || q.MaxPhyOffset() != -1 {
		t.Fatalf("empty queue: offsets %d %d maxPhy %d", mn, mx, q.MaxPhyOffset())
	}
	putRange(t, q, 0, 35)
	if q.MaxOffset() != 35 || q.MinOffset() != 0 || q.MaxPhyOffset() != 3500 {
		t.Fatalf("offsets %d %d maxPhy %d", q.MinOffset(), q.MaxOffset(), q.MaxPhyOffset())
	}
	if got := listDir(t, q.Dir()); len(got) != 4 {
		t.Fatalf("files %v, want 4", got)
	}

	v, err := q.Entries(5, 100)
	if err != nil || v.Offset() != 5 || v.Len() != 5 || v.End() != 10 {
		t.Fatalf("Entries(5, 100): off %d len %d err %v, want 5 entries to the file end", v.Offset(), v.Len(), err)
	}
	for i := range v.Len() {
		if got := v.At(i); got != ent(5+int64(i)) {
			t.Fatalf("At(%d) = %+v", i, got)
		}
	}
	if len(v.Bytes()) != 5*EntrySize {
		t.Fatalf("Bytes len %d", len(v.Bytes()))
	}
	v.Release()
	v.Release() // a second Release is a no-op

	v, _ = q.Entries(31, 3)
	if v.Len() != 3 {
		t.Fatalf("Entries(31, 3) len %d", v.Len())
	}
	v.Release()
	v, _ = q.Entries(32, 100)
	if v.Len() != 3 || v.End() != 35 {
		t.Fatalf("Entries(32, 100) stops at %d", v.End())
	}
	v.Release()
	for _, from := range []int64{35, 99} {
		v, err = q.Entries(from, 10)
		if err != nil || v.Len() != 0 {
			t.Fatalf("Entries(%d): len %d err %v, want empty", from, v.Len(), err)
		}
	}
	if v, err = q.Entries(0, 0); err != nil || v.Len() != 0 {
		t.Fatalf("Entries(0, 0): len %d err %v", v.Len(), err)
	}

	got := readAll(t, q, 0)
	for off := int64(0); off < 35; off++ {
		if got[off] != ent(off) {
			t.Fatalf("offset %d: %+v", off, got[off])
		}
	}
	if e, err := q.At(34); err != nil || e != ent(34) {
		t.Fatalf("At(34) = %+v, %v", e, err)
	}
	if _, err := q.At(35); !errors.Is(err, ErrBeyondMax) {
		t.Fatalf("At(35): %v", err)
	}
}

func TestPutInvalid(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	defer q.Close()
	for _, c := range []struct {
		off, phy int64
		size     int32
	}{{-1, 0, 1}, {0, -1, 1}, {0, 0, 0}, {0, 0, -5}, {0, 0, BlankSize}} {
		if err := q.Put(c.off, c.phy, c.size, 0); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("Put(%d, %d, %d): %v", c.off, c.phy, c.size, err)
		}
	}
	if q.MaxOffset() != 0 {
		t.Fatal("invalid puts moved the max")
	}
	if _, err := os.Stat(q.Dir()); !os.IsNotExist(err) {
		t.Fatalf("directory made without a Put: %v", err)
	}
}

func TestBlankFillLateFirstOffset(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(1000))
	e := ent(2500)
	if err := q.Put(2500, e.PhyOffset, e.Size, e.TagsCode); err != nil {
		t.Fatal(err)
	}
	if mn, mx := q.Offsets(); mn != 2500 || mx != 2501 {
		t.Fatalf("offsets %d %d, want 2500 2501", mn, mx)
	}
	if got := listDir(t, q.Dir()); !slices.Equal(got, []string{"00000000000000040000"}) {
		t.Fatalf("files %v, want the one starting at entry 2000", got)
	}
	b, err := os.ReadFile(filepath.Join(q.Dir(), "00000000000000040000"))
	if err != nil {
		t.Fatal(err)
	}
	blank := "0000000000000000" + "7fffffff" + "0000000000000000"
	for _, i := range []int{0, 250, 499} {
		if got := hex.EncodeToString(b[i*EntrySize : (i+1)*EntrySize]); got != blank {
			t.Fatalf("entry %d: %s, want blank", 2000+i, got)
		}
	}
	if DecodeEntry(b[500*EntrySize:]) != e {
		t.Fatal("entry 2500 not at byte 10000")
	}
	if _, err := q.Entries(2499, 10); !errors.Is(err, ErrBelowMin) {
		t.Fatalf("Entries below min: %v", err)
	}
	if _, err := q.At(2000); !errors.Is(err, ErrBelowMin) {
		t.Fatalf("At below min: %v", err)
	}
	if got := readAll(t, q, 2500); len(got) != 1 || got[2500] != e {
		t.Fatalf("read %v", got)
	}
	q.Close()

	q = mustOpen(t, fsys, root, cfgN(1000))
	defer q.Close()
	if mn, mx := q.Offsets(); mn != 2500 || mx != 2501 || q.MaxPhyOffset() != e.end() {
		t.Fatalf("reopened: offsets %d %d maxPhy %d", mn, mx, q.MaxPhyOffset())
	}
}

func TestBlankFillGap(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	defer q.Close()
	putRange(t, q, 0, 5)
	putRange(t, q, 13, 15) // gap 5..12 crosses into the second file
	if q.MaxOffset() != 15 || q.MinOffset() != 0 {
		t.Fatalf("offsets %d %d", q.MinOffset(), q.MaxOffset())
	}
	for _, off := range []int64{5, 9, 10, 12} {
		if e, err := q.At(off); err != nil || !e.Blank() {
			t.Fatalf("At(%d) = %+v %v, want blank", off, e, err)
		}
	}
	got := readAll(t, q, 0)
	if len(got) != 7 || got[13] != ent(13) || got[4] != ent(4) {
		t.Fatalf("non-blank entries %v", got)
	}
	if err := q.Put(15+MaxGap+1, 0, 1, 0); !errors.Is(err, ErrGap) {
		t.Fatalf("huge gap: %v", err)
	}
	if err := q.Put(15+MaxGap+1, 1e6, 1, 0); !errors.Is(err, ErrGap) || q.Err() != nil {
		t.Fatalf("huge gap again: %v, sticky %v", err, q.Err())
	}
}

func TestIdempotentRePut(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	defer q.Close()
	putRange(t, q, 0, 25)
	putRange(t, q, 3, 25) // re-dispatch: the same entries again
	if q.MaxOffset() != 25 {
		t.Fatalf("max %d after re-puts", q.MaxOffset())
	}
	e := ent(7)
	for _, bad := range []Entry{
		{e.PhyOffset + 1, e.Size, e.TagsCode},
		{e.PhyOffset, e.Size + 1, e.TagsCode},
		{e.PhyOffset, e.Size, e.TagsCode + 1},
	} {
		if err := q.Put(7, bad.PhyOffset, bad.Size, bad.TagsCode); !errors.Is(err, ErrMismatch) {
			t.Fatalf("re-put of a different entry: %v", err)
		}
	}
	if got, _ := q.At(7); got != e || q.Err() != nil {
		t.Fatalf("a mismatch changed the queue: %+v %v", got, q.Err())
	}
	// Re-puts below the first file (deleted by retention) are skipped.
	if n, err := q.DeleteBelow(ent(15).PhyOffset); err != nil || n != 1 {
		t.Fatalf("DeleteBelow: %d %v", n, err)
	}
	if err := q.Put(2, 1, 1, 1); err != nil {
		t.Fatalf("re-put below the files: %v", err)
	}
}

func TestReopenFindsMax(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	putRange(t, q, 0, 25)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	q = mustOpen(t, fsys, root, cfgN(10))
	if mn, mx := q.Offsets(); mn != 0 || mx != 25 || q.MaxPhyOffset() != 2500 {
		t.Fatalf("reopened: offsets %d %d maxPhy %d", mn, mx, q.MaxPhyOffset())
	}
	putRange(t, q, 25, 31) // writing resumes where it stopped
	got := readAll(t, q, 0)
	for off := int64(0); off < 31; off++ {
		if got[off] != ent(off) {
			t.Fatalf("offset %d: %+v", off, got[off])
		}
	}
	q.Close()

	// A torn tail: a crash after the commit-log offset and the tags of
	// entry 31 reached the file but before its size did. Plus a file full
	// of zeros after it, a creation cut short and a stranger.
	path := filepath.Join(q.Dir(), fileName(30))
	b, _ := os.ReadFile(path)
	PutEntry(b[EntrySize:], Entry{PhyOffset: 3100, Size: 0, TagsCode: 31})
	writeFile(t, path, b)
	writeFile(t, filepath.Join(q.Dir(), fileName(40)), make([]byte, 200))
	writeFile(t, filepath.Join(q.Dir(), fileName(50)+tmpSuffix), nil)
	writeFile(t, filepath.Join(q.Dir(), "README"), nil)
	q = mustOpen(t, fsys, root, cfgN(10))
	if q.MaxOffset() != 31 || q.MaxPhyOffset() != 3100 {
		t.Fatalf("max %d maxPhy %d with a torn entry at 31, want 31 3100", q.MaxOffset(), q.MaxPhyOffset())
	}
	if got := listDir(t, q.Dir()); !slices.Equal(got, []string{fileName(0), fileName(10), fileName(20), fileName(30), "README"}) {
		t.Fatalf("files after load %v", got)
	}
	putRange(t, q, 31, 45)
	q.Close()
	q = mustOpen(t, fsys, root, cfgN(10))
	defer q.Close()
	if q.MaxOffset() != 45 {
		t.Fatalf("max %d, want 45", q.MaxOffset())
	}
	if got := readAll(t, q, 0); len(got) != 45 || got[31] != ent(31) {
		t.Fatalf("read %d entries, 31 = %+v", len(got), got[31])
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadCorrupt(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(dir string)
	}{
		{"wrong size", func(dir string) {
			if err := os.Truncate(filepath.Join(dir, fileName(10)), 100); err != nil {
				t.Fatal(err)
			}
		}},
		{"missing file", func(dir string) {
			if err := os.Remove(filepath.Join(dir, fileName(10))); err != nil {
				t.Fatal(err)
			}
		}},
		{"misaligned name", func(dir string) {
			writeFile(t, filepath.Join(dir, "00000000000000000020"), make([]byte, 200))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys, root := testFS(t)
			q := mustOpen(t, fsys, root, cfgN(10))
			putRange(t, q, 0, 25)
			q.Close()
			c.setup(q.Dir())
			if _, err := Open(fsys, root, "T", 0, cfgN(10)); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want ErrCorrupt", err)
			}
		})
	}
	// Files of another EntriesPerFile.
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	putRange(t, q, 0, 5)
	q.Close()
	if _, err := Open(fsys, root, "T", 0, cfgN(20)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with another file size: %v", err)
	}
}

func TestTruncate(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	putRange(t, q, 0, 35) // entry i holds [i*100, i*100+100)
	if err := q.Truncate(3500); err != nil || q.MaxOffset() != 35 {
		t.Fatalf("Truncate at the end: max %d, %v", q.MaxOffset(), err)
	}
	// The commit log ends at 1550: record 15 ends at 1600 and is torn.
	if err := q.Truncate(1550); err != nil {
		t.Fatal(err)
	}
	if q.MaxOffset() != 15 || q.MaxPhyOffset() != 1500 {
		t.Fatalf("after Truncate(1550): max %d maxPhy %d, want 15 1500", q.MaxOffset(), q.MaxPhyOffset())
	}
	if got := listDir(t, q.Dir()); !slices.Equal(got, []string{fileName(0), fileName(10)}) {
		t.Fatalf("files %v, want the later ones removed", got)
	}
	b, _ := os.ReadFile(filepath.Join(q.Dir(), fileName(10)))
	if !bytes.Equal(b[5*EntrySize:], make([]byte, 5*EntrySize)) {
		t.Fatal("dropped entries 15..19 not zeroed")
	}
	putRange(t, q, 15, 22) // the dispatcher rewrites from there
	q.Close()

	q = mustOpen(t, fsys, root, cfgN(10))
	if q.MaxOffset() != 22 {
		t.Fatalf("reopened: max %d, want 22", q.MaxOffset())
	}
	// Truncate to exactly a file boundary, then to nothing.
	if err := q.Truncate(1000); err != nil || q.MaxOffset() != 10 {
		t.Fatalf("Truncate(1000): max %d %v", q.MaxOffset(), err)
	}
	if got := listDir(t, q.Dir()); !slices.Equal(got, []string{fileName(0)}) {
		t.Fatalf("files %v", got)
	}
	if err := q.Truncate(0); err != nil || q.MaxOffset() != 0 || q.MinOffset() != 0 || q.MaxPhyOffset() != -1 {
		t.Fatalf("Truncate(0): max %d min %d maxPhy %d %v", q.MaxOffset(), q.MinOffset(), q.MaxPhyOffset(), err)
	}
	if got := listDir(t, q.Dir()); !slices.Equal(got, []string{fileName(0)}) {
		t.Fatalf("the first file must stay: %v", got)
	}
	putRange(t, q, 0, 3)
	q.Close()
	q = mustOpen(t, fsys, root, cfgN(10))
	defer q.Close()
	if q.MaxOffset() != 3 {
		t.Fatalf("max %d, want 3", q.MaxOffset())
	}
}

func TestTruncateKeepsBlanks(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	defer q.Close()
	putRange(t, q, 14, 18) // blanks 10..13
	if err := q.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if mn, mx := q.Offsets(); mn != 14 || mx != 14 || q.MaxPhyOffset() != -1 {
		t.Fatalf("offsets %d %d maxPhy %d, want 14 14 -1", mn, mx, q.MaxPhyOffset())
	}
	putRange(t, q, 14, 15)
	if got := readAll(t, q, 14); len(got) != 1 {
		t.Fatalf("read %v", got)
	}
}

func TestDeleteBelow(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	defer q.Close()
	putRange(t, q, 0, 35)

	// A reader holds a View of the first file across its deletion.
	held, err := q.Entries(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	n, err := q.DeleteBelow(1500) // file 0 ends at phy 900; file 1 at 1900
	if err != nil || n != 1 {
		t.Fatalf("DeleteBelow(1500): %d %v", n, err)
	}
	if q.MinOffset() != 15 {
		t.Fatalf("min %d, want 15 (first entry at or past phy 1500)", q.MinOffset())
	}
	if got := listDir(t, q.Dir()); !slices.Equal(got, []string{fileName(10), fileName(20), fileName(30)}) {
		t.Fatalf("files %v", got)
	}
	if held.At(9) != ent(9) {
		t.Fatal("a held View changed under deletion")
	}
	held.Release()
	for _, off := range []int64{0, 9, 14} {
		if _, err := q.Entries(off, 1); !errors.Is(err, ErrBelowMin) {
			t.Fatalf("Entries(%d): %v, want ErrBelowMin", off, err)
		}
	}
	if got := readAll(t, q, 15); len(got) != 20 {
		t.Fatalf("read %d entries from 15", len(got))
	}

	// Everything expired: the file being written stays, min reaches max.
	n, err = q.DeleteBelow(1 << 40)
	if err != nil || n != 2 {
		t.Fatalf("DeleteBelow(all): %d %v", n, err)
	}
	if mn, mx := q.Offsets(); mn != 35 || mx != 35 {
		t.Fatalf("offsets %d %d, want 35 35", mn, mx)
	}
	if got := listDir(t, q.Dir()); !slices.Equal(got, []string{fileName(30)}) {
		t.Fatalf("files %v", got)
	}
	putRange(t, q, 35, 37)
	if got := readAll(t, q, 35); len(got) != 2 {
		t.Fatalf("read %v", got)
	}
}

func TestCorrectMinOffset(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	defer q.Close()
	putRange(t, q, 3, 35) // blanks 0..2, min 3
	q.CorrectMinOffset(0)
	if q.MinOffset() != 3 {
		t.Fatalf("min %d, want 3: blanks never become the min", q.MinOffset())
	}
	q.CorrectMinOffset(2450) // entry 24 holds [2400, 2500), 25 starts at 2500
	if q.MinOffset() != 25 {
		t.Fatalf("min %d, want 25", q.MinOffset())
	}
	q.CorrectMinOffset(0) // never lowered
	if q.MinOffset() != 25 {
		t.Fatalf("min lowered to %d", q.MinOffset())
	}
	q.Close()
	q = mustOpen(t, fsys, root, cfgN(10))
	if q.MinOffset() != 3 {
		t.Fatalf("reopened min %d, want 3 (first non-blank)", q.MinOffset())
	}
}

func TestSyncAndClose(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	putRange(t, q, 0, 13)
	if got := q.UnsyncedBytes(); got != 13*EntrySize {
		t.Fatalf("unsynced %d", got)
	}
	if err := q.Sync(); err != nil || q.UnsyncedBytes() != 0 {
		t.Fatalf("Sync: %v, unsynced %d", err, q.UnsyncedBytes())
	}
	v, _ := q.Entries(10, 3)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if v.At(2) != ent(12) {
		t.Fatal("a View did not survive Close")
	}
	v.Release()
	if err := q.Put(13, 1300, 100, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
	if _, err := q.Entries(0, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Entries after Close: %v", err)
	}
	if err := q.Sync(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Sync after Close: %v", err)
	}
	if _, err := q.DeleteBelow(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("DeleteBelow after Close: %v", err)
	}
}

// A gap filled with blanks up to a file's end must not make retention
// take the file's live entries for expired ones.
func TestDeleteBelowBlankTail(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	defer q.Close()
	putRange(t, q, 0, 5)
	putRange(t, q, 12, 25) // blanks 5..11
	if n, err := q.DeleteBelow(ent(3).PhyOffset); err != nil || n != 0 {
		t.Fatalf("DeleteBelow: %d %v, want no file removed", n, err)
	}
	if q.MinOffset() != 3 {
		t.Fatalf("min %d, want 3", q.MinOffset())
	}
	if n, err := q.DeleteBelow(ent(12).PhyOffset); err != nil || n != 1 || q.MinOffset() != 12 {
		t.Fatalf("DeleteBelow: %d %v min %d, want 1 file and min 12", n, err, q.MinOffset())
	}
}
