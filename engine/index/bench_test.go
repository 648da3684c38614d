package index

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/quivermq/quiver/message"
)

const (
	benchSlots   = 1 << 18
	benchEntries = 1 << 20 // 21 MiB files
)

// BenchmarkFilePut is one entry into a file: a slot read, 20 bytes, the
// header, the slot store.
func BenchmarkFilePut(b *testing.B) {
	fs, dir := testFS(b)
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	hashes := make([]int32, 4096)
	for i := range hashes {
		hashes[i] = message.IndexKeyHash("TopicTest", fmt.Sprintf("C0A80001%024X", i*7919))
	}
	newFile := func(i int) *File {
		f, err := CreateFile(fs, filepath.Join(dir, fmt.Sprintf("%017d", i)), benchSlots, benchEntries, Header{})
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	nf := 0
	f := newFile(nf)
	b.ReportAllocs()
	b.SetBytes(EntrySize)
	b.ResetTimer()
	for i := range b.N {
		if err := f.Put(hashes[i%len(hashes)], int64(i)*1024, 1_700_000_000_000+int64(i)); err != nil {
			b.StopTimer()
			_ = f.Close()
			_ = fs.Remove(f.Name())
			nf++
			f = newFile(nf)
			b.StartTimer()
		}
	}
	b.StopTimer()
	_ = f.Close()
}

// BenchmarkIndexPut indexes one message with a UNIQ_KEY and two KEYS (three
// entries), rolling to new files as they fill.
func BenchmarkIndexPut(b *testing.B) {
	fs, dir := testFS(b)
	x := openIndex(b, fs, Config{Dir: dir, MaxHashSlots: benchSlots, MaxIndexNum: benchEntries}, keepAll)
	topic := []byte("TopicTest")
	uniq := []byte("C0A80001000000000000000000000000")
	keys := []byte("order-00000000 user-00000000")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		// Vary the keys without allocating.
		v := uint32(i)
		for j := 0; j < 8; j++ {
			d := "0123456789ABCDEF"[v>>(4*j)&0xF]
			uniq[len(uniq)-1-j] = d
			keys[13-j] = d
			keys[len(keys)-1-j] = d
		}
		if err := x.Put(topic, uniq, keys, int64(i)*1024, 1_700_000_000_000+int64(i)); err != nil {
			b.Fatal(err)
		}
		if i%benchEntries == benchEntries-1 {
			if _, err := x.DeleteBelow(int64(i) * 1024); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkFileLookup finds a key with 4 hits in a file of 1M entries with
// chains of about 4 entries a slot.
func BenchmarkFileLookup(b *testing.B) {
	fs, dir := testFS(b)
	f := createFile(b, fs, dir, benchSlots, benchEntries)
	const keys = benchEntries / 4
	hashes := make([]int32, keys)
	for i := range hashes {
		hashes[i] = message.IndexKeyHash("TopicTest", fmt.Sprintf("key-%d", i))
	}
	for i := 0; i < benchEntries-1; i++ {
		if err := f.Put(hashes[i%keys], int64(i)*1024, 1_700_000_000_000+int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	dst := make([]int64, 0, 32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		dst = f.Lookup(dst[:0], hashes[(i*7919)%keys], 0, math.MaxInt64, 32)
		if len(dst) < 3 {
			b.Fatalf("%d hits", len(dst))
		}
	}
}

// BenchmarkIndexQuery is QUERY_MESSAGE's lookup of a UNIQ_KEY across 4
// files, newest first.
func BenchmarkIndexQuery(b *testing.B) {
	fs, dir := testFS(b)
	x := openIndex(b, fs, Config{Dir: dir, MaxHashSlots: benchSlots / 4, MaxIndexNum: benchEntries / 4}, keepAll)
	const n = benchEntries - 8 // 4 files
	for i := range n {
		if err := x.Put([]byte("TopicTest"), fmt.Appendf(nil, "U%d", i), nil, int64(i)*1024, 1_700_000_000_000+int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	if len(x.files) != 4 {
		b.Fatalf("%d files", len(x.files))
	}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("U%d", (i*7919)%n)
	}
	dst := make([]int64, 0, 32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		dst = x.Query(dst[:0], "TopicTest", keys[i%len(keys)], 32, 0, math.MaxInt64)
		if len(dst) != 1 {
			b.Fatalf("%d hits", len(dst))
		}
	}
}
