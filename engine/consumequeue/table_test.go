package consumequeue

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestTableNamesRejected(t *testing.T) {
	fsys, root := testFS(t)
	tb, err := OpenTable(fsys, root, cfgN(10))
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	bad := []string{"", ".", "..", "a/b", "../x", "/abs", "x/..", "a\x00b", `a\b`, string(make([]byte, 256))}
	for _, topic := range bad {
		if _, err := tb.Get(topic, 0); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Get(%q): %v, want ErrInvalidName", topic, err)
		}
		if err := tb.DeleteTopic(topic); !errors.Is(err, ErrInvalidName) {
			t.Errorf("DeleteTopic(%q): %v, want ErrInvalidName", topic, err)
		}
		if _, err := Open(fsys, root, topic, 0, cfgN(10)); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Open(%q): %v, want ErrInvalidName", topic, err)
		}
	}
	if _, err := tb.Get("T", -1); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Get with queue id -1: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(root)); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, filepath.Dir(root)); len(got) != 0 {
		t.Fatalf("something was created: %v", got)
	}
	// Odd but legal names stay inside root.
	for _, topic := range []string{"...", "%RETRY%g", "a.b", "-x"} {
		q, err := tb.Get(topic, 2)
		if err != nil {
			t.Fatalf("Get(%q): %v", topic, err)
		}
		putRange(t, q, 0, 1)
		if q.Dir() != filepath.Join(root, topic, "2") {
			t.Fatalf("dir %s", q.Dir())
		}
	}
}

func TestTable(t *testing.T) {
	fsys, root := testFS(t)
	tb, err := OpenTable(fsys, root, cfgN(10))
	if err != nil {
		t.Fatal(err)
	}
	if tb.Lookup("t1", 0) != nil {
		t.Fatal("Lookup created a queue")
	}
	if tb.MaxPhyOffset() != -1 {
		t.Fatal("empty table maxPhy")
	}
	want := map[[2]any]int64{{"t1", int32(0)}: 12, {"t1", int32(1)}: 3, {"t2", int32(7)}: 25}
	for k, n := range want {
		q, err := tb.Get(k[0].(string), k[1].(int32))
		if err != nil {
			t.Fatal(err)
		}
		putRange(t, q, 0, n)
		if again, _ := tb.Get(k[0].(string), k[1].(int32)); again != q {
			t.Fatal("Get returned another queue")
		}
	}
	if _, err := tb.Get("empty", 0); err != nil { // never written: no directory
		t.Fatal(err)
	}
	if tb.MaxPhyOffset() != 2500 {
		t.Fatalf("maxPhy %d", tb.MaxPhyOffset())
	}
	if err := tb.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Get("t1", 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	// Strangers in the tree are ignored.
	writeFile(t, filepath.Join(root, "stray-file"), nil)
	for _, d := range []string{"t1/abc", "t1/01", "t1/-1"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	tb, err = OpenTable(fsys, root, cfgN(10))
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	var seen []string
	tb.Range(func(q *Queue) bool {
		seen = append(seen, q.Topic())
		if n := want[[2]any{q.Topic(), q.QueueID()}]; q.MaxOffset() != n {
			t.Errorf("%s/%d: max %d, want %d", q.Topic(), q.QueueID(), q.MaxOffset(), n)
		}
		return true
	})
	if slices.Sort(seen); !slices.Equal(seen, []string{"t1", "t1", "t2"}) {
		t.Fatalf("loaded %v", seen)
	}
	n := 0
	tb.Range(func(*Queue) bool { n++; return false })
	if n != 1 {
		t.Fatal("Range did not stop")
	}

	// Recovery and retention over the table.
	if err := tb.Truncate(1000); err != nil {
		t.Fatal(err)
	}
	if q := tb.Lookup("t2", 7); q.MaxOffset() != 10 {
		t.Fatalf("t2/7 max %d after Truncate(1000)", q.MaxOffset())
	}
	tb.CorrectMinOffset(200)
	if q := tb.Lookup("t1", 1); q.MinOffset() != 2 {
		t.Fatalf("t1/1 min %d", q.MinOffset())
	}
	if _, err := tb.DeleteBelow(900); err != nil {
		t.Fatal(err)
	}

	// DeleteTopic.
	old := tb.Lookup("t1", 0)
	v, err := old.Entries(9, 5) // min 9 after retention, max 10 after Truncate
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.DeleteTopic("t1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "t1")); !os.IsNotExist(err) {
		t.Fatalf("topic directory left: %v", err)
	}
	if v.Len() != 1 || v.At(0) != ent(9) {
		t.Fatal("a held View changed under DeleteTopic")
	}
	v.Release()
	if err := old.Put(10, 1000, 100, 10); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put on a deleted queue: %v", err)
	}
	if tb.Lookup("t1", 0) != nil {
		t.Fatal("deleted queue still in the table")
	}
	q, err := tb.Get("t1", 0)
	if err != nil || q.MaxOffset() != 0 {
		t.Fatalf("Get after DeleteTopic: max %d %v", q.MaxOffset(), err)
	}
	putRange(t, q, 0, 1)
	if err := tb.DeleteTopic("never-existed"); err != nil {
		t.Fatal(err)
	}
}

func TestOpenTableCorrupt(t *testing.T) {
	fsys, root := testFS(t)
	tb, err := OpenTable(fsys, root, cfgN(10))
	if err != nil {
		t.Fatal(err)
	}
	q, _ := tb.Get("t", 0)
	putRange(t, q, 0, 15)
	tb.Close()
	if err := os.Truncate(filepath.Join(q.Dir(), fileName(0)), 7); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenTable(fsys, root, cfgN(10)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("OpenTable: %v, want ErrCorrupt", err)
	}
}
