package consumequeue

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/quivermq/quiver/engine/vfs"
)

// testFS returns the file system and a fresh consumequeue root for a test.
func testFS(t testing.TB) (vfs.FS, string) {
	t.Helper()
	return vfs.Default, filepath.Join(t.TempDir(), "consumequeue")
}

func cfgN(n int) Config { return Config{EntriesPerFile: n} }

// ent is the entry the tests put at queue offset off: records of 100
// bytes laid end to end, tags = offset.
func ent(off int64) Entry { return Entry{PhyOffset: off * 100, Size: 100, TagsCode: off} }

func mustOpen(t testing.TB, fsys vfs.FS, root string, cfg Config) *Queue {
	t.Helper()
	q, err := Open(fsys, root, "T", 0, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return q
}

// putRange puts ent(off) for off in [from, to).
func putRange(t testing.TB, q *Queue, from, to int64) {
	t.Helper()
	for off := from; off < to; off++ {
		e := ent(off)
		if err := q.Put(off, e.PhyOffset, e.Size, e.TagsCode); err != nil {
			t.Fatalf("Put(%d): %v", off, err)
		}
	}
}

// readAll reads [from, MaxOffset) in Views, checking that each View stops
// at a file end or the max, and returns the non-blank entries by offset.
func readAll(t testing.TB, q *Queue, from int64) map[int64]Entry {
	t.Helper()
	got := map[int64]Entry{}
	for off := from; off < q.MaxOffset(); {
		v, err := q.Entries(off, 1<<20)
		if err != nil {
			t.Fatalf("Entries(%d): %v", off, err)
		}
		if v.Offset() != off || v.Len() == 0 {
			t.Fatalf("Entries(%d): offset %d len %d", off, v.Offset(), v.Len())
		}
		if end := v.End(); end != q.MaxOffset() && end%q.epf != 0 {
			t.Fatalf("Entries(%d) stopped at %d: neither a file end nor the max", off, end)
		}
		for o, e := range v.All() {
			got[o] = e
		}
		off = v.End()
		v.Release()
	}
	return got
}

func listDir(t testing.TB, dir string) []string {
	t.Helper()
	names, err := vfs.Default.List(dir)
	if err != nil {
		t.Fatalf("List(%s): %v", dir, err)
	}
	return names
}

// heapFS maps files into Go heap memory instead of mmap, so that the race
// detector sees every access to entries (it does not watch mmap'd
// memory). Writes through such a mapping never reach the file: use it
// only where nothing is reopened.
type heapFS struct{ vfs.FS }

type heapFile struct{ vfs.File }

type heapMapping struct{ b []byte }

func (h heapFS) Create(name string) (vfs.File, error) {
	f, err := h.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return heapFile{f}, nil
}

func (h heapFS) OpenReadWrite(name string) (vfs.File, error) {
	f, err := h.FS.OpenReadWrite(name)
	if err != nil {
		return nil, err
	}
	return heapFile{f}, nil
}

func (f heapFile) Map(size int, _ bool) (vfs.Mapping, error) {
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return &heapMapping{b: b}, nil
}

func (m *heapMapping) Bytes() []byte                     { return m.b }
func (m *heapMapping) Advise(int, int, vfs.Advice) error { return nil }
func (m *heapMapping) Unmap() error {
	if m.b == nil {
		return vfs.ErrUnmapped
	}
	m.b = nil
	return nil
}
