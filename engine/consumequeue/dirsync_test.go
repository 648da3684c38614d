package consumequeue

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/quivermq/quiver/engine/vfs/errorfs"
)

// syncCounter counts the fsyncs of files and directories an errorfs sees.
type syncCounter struct {
	mu    sync.Mutex
	files int
	dirs  map[string]int
}

func (c *syncCounter) MaybeError(call errorfs.Call) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch call.Op {
	case errorfs.OpSync:
		c.files++
	case errorfs.OpSyncDir:
		c.dirs[call.Path]++
	}
	return nil
}

// TestNewQueuesDeferDirSyncs: creating queues and their files issues no
// fsync (a fresh topic with many queues used to stall the dispatcher on
// five per queue); Table.Sync then syncs every file with entries and each
// directory once, children first.
func TestNewQueuesDeferDirSyncs(t *testing.T) {
	fs := errorfs.New()
	c := &syncCounter{dirs: map[string]int{}}
	tb, err := OpenTable(fs, "/cq", cfgN(10))
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	fs.Inject(c)
	const queues = 64
	for i := 0; i < queues; i++ {
		q, err := tb.Get("Many", int32(i))
		if err != nil {
			t.Fatal(err)
		}
		putRange(t, q, 0, 3)
	}
	c.mu.Lock()
	before := c.files + len(c.dirs)
	c.mu.Unlock()
	if before != 0 {
		t.Fatalf("creating %d queues issued %d syncs, want none before Sync", queues, before)
	}
	if err := tb.Sync(); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files != queues {
		t.Fatalf("Sync synced %d files, want %d", c.files, queues)
	}
	want := map[string]int{"/cq": 1, "/cq/Many": 1}
	for i := 0; i < queues; i++ {
		want[filepath.Join("/cq/Many", fmt.Sprint(i))] = 1
	}
	if fmt.Sprint(c.dirs) != fmt.Sprint(want) {
		t.Fatalf("directory syncs %v\nwant %v", c.dirs, want)
	}
	// Nothing new: a second Sync syncs nothing.
	c.files, c.dirs = 0, map[string]int{}
	c.mu.Unlock()
	err = tb.Sync()
	c.mu.Lock()
	if err != nil || c.files != 0 || len(c.dirs) != 0 {
		t.Fatalf("idle Sync: %v, %d files, dirs %v", err, c.files, c.dirs)
	}
}

// TestLoadDropsEmptyLastFile: a crash after a new file's directory entry
// became durable but not its allocation leaves an empty last file: the
// queue opens without it. An empty file before the last one is corruption.
func TestLoadDropsEmptyLastFile(t *testing.T) {
	fsys, root := testFS(t)
	q := mustOpen(t, fsys, root, cfgN(10))
	putRange(t, q, 0, 15)
	q.Close()
	writeFile(t, filepath.Join(q.Dir(), fileName(20)), nil)
	q2, err := Open(fsys, root, "T", 0, cfgN(10))
	if err != nil {
		t.Fatalf("Open with an empty last file: %v", err)
	}
	if q2.MaxOffset() != 15 {
		t.Fatalf("max offset %d, want 15", q2.MaxOffset())
	}
	putRange(t, q2, 15, 25) // the queue grows into a fresh file 20
	q2.Close()

	writeFile(t, filepath.Join(q.Dir(), fileName(10)), nil) // empty, not last
	if _, err := Open(fsys, root, "T", 0, cfgN(10)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with an empty middle file: %v, want ErrCorrupt", err)
	}
}
