package consumequeue

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestOffsetByTime(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(4))
	defer q.Close()
	times := map[int64]int64{} // phy offset -> store time
	storeTime := func(phy int64, size int32) (int64, bool) {
		ts, ok := times[phy]
		return ts, ok
	}
	if got := q.OffsetByTime(100, storeTime); got != 0 {
		t.Fatalf("empty queue: %d, want 0", got)
	}
	// Offsets 2.. (0 and 1 blank), store times: 10 20 20 20 30 40 40 50
	stamps := []int64{10, 20, 20, 20, 30, 40, 40, 50}
	for i, ts := range stamps {
		off := int64(i + 2)
		e := ent(off)
		times[e.PhyOffset] = ts
		if err := q.Put(off, e.PhyOffset, e.Size, e.TagsCode); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		ts, want int64
		what     string
	}{
		{5, 2, "before the first: the min"},
		{10, 2, "exactly the first"},
		{15, 3, "between: the next one"},
		{20, 3, "exact, several: the first of them"},
		{25, 6, "between"},
		{40, 7, "exact, two"},
		{50, 9, "exactly the last"},
		{51, 10, "after the last: the max"},
	}
	for _, c := range cases {
		if got := q.OffsetByTime(c.ts, storeTime); got != c.want {
			t.Errorf("ts %d (%s): %d, want %d", c.ts, c.what, got, c.want)
		}
	}
	// Records gone from the commit log count as older.
	delete(times, ent(2).PhyOffset)
	delete(times, ent(3).PhyOffset)
	if got := q.OffsetByTime(5, storeTime); got != 4 {
		t.Errorf("with records 2 and 3 gone: %d, want 4", got)
	}
	// After retention the search starts at the min.
	if _, err := q.DeleteBelow(ent(4).PhyOffset); err != nil {
		t.Fatal(err)
	}
	if q.MinOffset() != 4 {
		t.Fatalf("min %d", q.MinOffset())
	}
	if got := q.OffsetByTime(0, storeTime); got != 4 {
		t.Errorf("after retention: %d, want the min 4", got)
	}
}

// TestConcurrentReaders runs a writer, readers and retention at once. The
// mappings are Go memory (heapFS), so -race checks that publishing
// MaxOffset orders the entry bytes before it; readers check every entry
// they see against what was written there.
func TestConcurrentReaders(t *testing.T) {
	base, root := testFS(t)
	fsys := heapFS{FS: base}
	const total, epf = 20_000, 500
	q, err := Open(fsys, root, "T", 1, cfgN(epf))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	var done atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	errc := make(chan error, 8)
	fail := func(err error) {
		select {
		case errc <- err:
		default:
		}
		done.Store(true)
	}
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			for !done.Load() {
				mn, mx := q.Offsets()
				if mx == 0 {
					continue
				}
				from := mn + rng.Int64N(mx-mn+1)
				v, err := q.Entries(from, 32)
				if errors.Is(err, ErrBelowMin) {
					continue // retention moved past it
				}
				if err != nil {
					fail(err)
					return
				}
				for off, e := range v.All() {
					if e != ent(off) {
						fail(errors.New("torn or misplaced entry"))
						t.Errorf("offset %d: %+v", off, e)
						break
					}
				}
				reads.Add(int64(v.Len()))
				v.Release()
				if got := q.OffsetByTime(from, func(phy int64, _ int32) (int64, bool) { return phy / 100, true }); got < mn {
					fail(errors.New("OffsetByTime below min"))
				}
			}
		}()
	}
	wg.Add(2)
	go func() { // retention, keeping about 5 files
		defer wg.Done()
		for !done.Load() {
			keep := q.MaxOffset() - 5*epf
			if _, err := q.DeleteBelow(ent(max(keep, 0)).PhyOffset); err != nil {
				fail(err)
				return
			}
		}
	}()
	go func() { // flusher
		defer wg.Done()
		for !done.Load() {
			if err := q.Sync(); err != nil {
				fail(err)
				return
			}
		}
	}()
	for off := int64(0); off < total && !done.Load(); off++ {
		e := ent(off)
		if err := q.Put(off, e.PhyOffset, e.Size, e.TagsCode); err != nil {
			fail(err)
		}
	}
	// NB: on a loaded machine the writer can finish before a reader ran
	// once (a CI failure: "max 20000, 0 entries read"); the last files
	// stay for the readers until they have read something.
	for deadline := time.Now().Add(10 * time.Second); reads.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	done.Store(true)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	if q.MaxOffset() != total || reads.Load() == 0 {
		t.Fatalf("max %d, %d entries read", q.MaxOffset(), reads.Load())
	}
}
