package commitlog

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
	"github.com/quivermq/quiver/message"
)

const testSeg = 1 << 20

var modes = []segment.WriteMode{segment.WritePwrite, segment.WriteMapped}

func testConfig(mode segment.WriteMode, flush FlushMode) Config {
	c := DefaultConfig()
	c.SegmentSize = testSeg
	c.WriteMode = mode
	c.FlushMode = flush
	c.FlushInterval = 20 * time.Millisecond
	c.SyncFlushTimeout = 5 * time.Second
	return c
}

var testTopic = []byte("TopicTest")

// body returns a deterministic body for record i.
func body(i, n int) []byte {
	b := make([]byte, n)
	for k := range b {
		b[k] = byte(i*31 + k)
	}
	return b
}

func fieldsFor(i, n int) *message.Fields {
	return &message.Fields{
		Version: message.V1, QueueID: int32(i % 4), Topic: testTopic, Body: body(i, n),
		Properties:    message.AppendProperty(nil, message.PropertyKeys, fmt.Sprintf("k%d", i)),
		BornTimestamp: 1700000000000, BornHost: message.Host{Port: 1}, StoreHost: message.Host{Port: 10911},
	}
}

func mustOpen(t testing.TB, fs vfs.FS, dir string, cfg Config, start int64) (*Log, *Report) {
	t.Helper()
	l, rep, err := Open(fs, dir, cfg, start)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l, rep
}

// fakeQueues is a QueueAssigner over a map, as the engine's topic-queue
// table will be.
type fakeQueues struct {
	next map[string]map[int32]int64
}

func newFakeQueues() *fakeQueues { return &fakeQueues{next: map[string]map[int32]int64{}} }

func (q *fakeQueues) AssignQueueOffset(topic []byte, queueID int32, n int) int64 {
	m := q.next[string(topic)]
	if m == nil {
		m = map[int32]int64{}
		q.next[string(topic)] = m
	}
	k := queueID
	o := m[k]
	m[k] = o + int64(n)
	return o
}

// checkRecord reads phys and compares it with what fieldsFor(i, n) encoded.
func checkRecord(t testing.TB, l *Log, phys int64, i, n int) {
	t.Helper()
	rec, pin, err := l.Read(phys)
	if err != nil {
		t.Fatalf("Read(%d) record %d: %v", phys, i, err)
	}
	defer pin.Release()
	if err := rec.Check(); err != nil {
		t.Fatalf("record %d at %d: %v", i, phys, err)
	}
	if rec.PhysicalOffset() != phys || !bytes.Equal(rec.Body(), body(i, n)) {
		t.Fatalf("record %d at %d: phys %d, body mismatch %v", i, phys, rec.PhysicalOffset(), !bytes.Equal(rec.Body(), body(i, n)))
	}
}

// syncCounter counts fdatasyncs of commit-log segments and makes each take
// delay, as a disk's would (errorfs syncs in microseconds, faster than 64
// writers can queue up behind it).
type syncCounter struct {
	n     atomic.Int64
	delay time.Duration
}

func (c *syncCounter) MaybeError(call errorfs.Call) error {
	// NB: a segment's File keeps the .tmp name it was created under, so
	// this also counts the one creation sync of each segment.
	if call.Op == errorfs.OpSync && errorfs.MatchPath("commitlog/*", call.Path) {
		c.n.Add(1)
		time.Sleep(c.delay)
	}
	return nil
}

// syncGate blocks the fdatasyncs of files matching pattern while blocked.
type syncGate struct {
	pattern string
	mu      sync.Mutex
	blocked chan struct{}
}

func (g *syncGate) block()   { g.mu.Lock(); g.blocked = make(chan struct{}); g.mu.Unlock() }
func (g *syncGate) release() { g.mu.Lock(); close(g.blocked); g.blocked = nil; g.mu.Unlock() }

func (g *syncGate) MaybeError(call errorfs.Call) error {
	if call.Op != errorfs.OpSync || !errorfs.MatchPath(g.pattern, call.Path) {
		return nil
	}
	g.mu.Lock()
	ch := g.blocked
	g.mu.Unlock()
	if ch != nil {
		<-ch
	}
	return nil
}

// waitDone waits for done with a deadline.
func waitDone(t testing.TB, ch <-chan error, d time.Duration) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(d):
		t.Fatalf("no completion within %v", d)
		return nil
	}
}

// segment0 matches the files of the first segment, created by Open itself:
// every Sync of it after Open is a data sync (creation syncs of later
// segments run on the allocator's goroutine at any time).
var segment0 = "commitlog/" + segment.Name(0) + "*"

// testFS returns the file system and directory for a test of mode. NB:
// errorfs does not synchronize Mapping.Bytes with Sync (as documented), so a
// WriteMapped append racing the flusher's Sync is a data race under -race
// there; WriteMapped tests with a concurrent flusher run on real files.
func testFS(t testing.TB, mode segment.WriteMode) (vfs.FS, string) {
	if mode == segment.WriteMapped {
		return vfs.Default, filepath.Join(t.TempDir(), "commitlog")
	}
	return errorfs.New(), "/s/commitlog"
}
