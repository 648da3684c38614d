package consumequeue

import (
	"testing"
)

func TestZeroAllocs(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(100_000))
	defer q.Close()
	putRange(t, q, 0, 1)
	off := int64(1)
	if n := testing.AllocsPerRun(1000, func() {
		e := ent(off)
		if err := q.Put(off, e.PhyOffset, e.Size, e.TagsCode); err != nil {
			t.Fatal(err)
		}
		off++
	}); n != 0 {
		t.Errorf("Put: %v allocs", n)
	}
	var sum int64
	if n := testing.AllocsPerRun(1000, func() {
		v, err := q.Entries(100, 32)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range v.All() {
			sum += e.PhyOffset
		}
		v.Release()
	}); n != 0 {
		t.Errorf("Entries + All + Release: %v allocs", n)
	}
	tb, err := OpenTable(fsys, root, cfgN(100_000))
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	if _, err := tb.Get("T", 0); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := tb.Get("T", 0); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Table.Get: %v allocs", n)
	}
}

// BenchmarkPut is the dispatcher's write of one entry, on the OS file
// system with default-sized files (file creation amortized).
func BenchmarkPut(b *testing.B) {
	fsys, root := testFS(b)
	q := mustOpen(b, fsys, root, DefaultConfig())
	defer q.Close()
	b.ReportAllocs()
	b.SetBytes(EntrySize)
	off := int64(0)
	for range b.N {
		if err := q.Put(off, off*100, 100, off); err != nil {
			b.Fatal(err)
		}
		off++
	}
}

// BenchmarkRead32 is a pull's consume-queue read: 32 entries from a View,
// decoded and summed, then released.
func BenchmarkRead32(b *testing.B) {
	fsys, root := testFS(b)
	q := mustOpen(b, fsys, root, DefaultConfig())
	defer q.Close()
	const n = 100_000
	putRange(b, q, 0, n)
	b.ReportAllocs()
	b.SetBytes(32 * EntrySize)
	var sum int64
	off := int64(0)
	for range b.N {
		v, err := q.Entries(off, 32)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range v.All() {
			sum += e.PhyOffset + e.TagsCode
		}
		v.Release()
		if off += 32; off+32 > n {
			off = 0
		}
	}
	_ = sum
}

// BenchmarkTableGet is the lookup every pull and dispatch does.
func BenchmarkTableGet(b *testing.B) {
	fsys, root := testFS(b)
	tb, err := OpenTable(fsys, root, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer tb.Close()
	for i := range 8 {
		if _, err := tb.Get("TopicTest", int32(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := int32(0)
	for range b.N {
		if _, err := tb.Get("TopicTest", i&7); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
