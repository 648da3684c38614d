package consumequeue

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/quivermq/quiver/engine/vfs"
)

// Table holds every consume queue of a store, by topic and queue id. Its
// methods are safe for concurrent use.
type Table struct {
	fsys vfs.FS
	root string
	cfg  Config

	mu     sync.RWMutex
	topics map[string]map[int32]*Queue // mu
	closed bool                        // mu
}

// OpenTable opens the consume queues under root, the store's consumequeue
// directory (created with the first queue file if missing): every
// <topic>/<queueId> directory whose names are valid is loaded with Open.
// Other entries are ignored. Any queue that fails to load fails OpenTable,
// naming its directory.
func OpenTable(fsys vfs.FS, root string, cfg Config) (*Table, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Table{fsys: fsys, root: root, cfg: cfg, topics: make(map[string]map[int32]*Queue)}
	topics, err := fsys.List(root)
	if errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("consumequeue: list %s: %w", root, err)
	}
	for _, topic := range topics {
		if checkName(topic, 0) != nil || !t.isDir(filepath.Join(root, topic)) {
			continue
		}
		ids, err := fsys.List(filepath.Join(root, topic))
		if err != nil {
			_ = t.Close() // the list error is the one reported
			return nil, fmt.Errorf("consumequeue: list %s: %w", filepath.Join(root, topic), err)
		}
		for _, name := range ids {
			id, ok := parseQueueID(name)
			if !ok || !t.isDir(filepath.Join(root, topic, name)) {
				continue
			}
			q, err := Open(fsys, root, topic, id, cfg)
			if err != nil {
				_ = t.Close() // the open error is the one reported
				return nil, err
			}
			t.insertLocked(q)
		}
	}
	return t, nil
}

func (t *Table) isDir(path string) bool {
	fi, err := t.fsys.Stat(path)
	return err == nil && fi.IsDir()
}

// parseQueueID accepts a queue directory name in canonical decimal.
func parseQueueID(name string) (int32, bool) {
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil || id < 0 || strconv.FormatInt(id, 10) != name {
		return 0, false
	}
	return int32(id), true
}

// insertLocked adds q. REQUIRES: mu held for writing, or t not yet shared.
func (t *Table) insertLocked(q *Queue) {
	qs := t.topics[q.topic]
	if qs == nil {
		qs = make(map[int32]*Queue)
		t.topics[q.topic] = qs
	}
	qs[q.id] = q
}

// Get returns the queue of (topic, queueID), creating an empty one if
// there is none (its directory is made by its first Put), as RocketMQ's
// findConsumeQueue. A bad topic name or a negative id returns
// ErrInvalidName. It does not allocate when the queue exists.
func (t *Table) Get(topic string, queueID int32) (*Queue, error) {
	t.mu.RLock()
	q, closed := t.topics[topic][queueID], t.closed
	t.mu.RUnlock()
	if q != nil {
		return q, nil
	}
	if closed {
		return nil, ErrClosed
	}
	if err := checkName(topic, queueID); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	if q := t.topics[topic][queueID]; q != nil {
		return q, nil
	}
	q = newQueue(t.fsys, t.root, topic, queueID, t.cfg)
	t.insertLocked(q)
	return q, nil
}

// Lookup returns the queue of (topic, queueID), or nil if there is none.
// It never creates one.
func (t *Table) Lookup(topic string, queueID int32) *Queue {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.topics[topic][queueID]
}

// Range calls fn for every queue until fn returns false, in no particular
// order, on a snapshot taken at the call: fn may call any Table method.
func (t *Table) Range(fn func(q *Queue) bool) {
	for _, q := range t.snapshot() {
		if !fn(q) {
			return
		}
	}
}

func (t *Table) snapshot() []*Queue {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var qs []*Queue
	for _, m := range t.topics {
		for _, q := range m {
			qs = append(qs, q)
		}
	}
	return qs
}

// DeleteTopic closes every queue of topic and removes its directory. A
// Put on one of its queues after that returns ErrClosed; readers holding
// Views keep their mappings until they release them. A later Get creates
// a fresh, empty queue.
func (t *Table) DeleteTopic(topic string) error {
	if err := checkName(topic, 0); err != nil {
		return err
	}
	// NB: mu is held across the removal, so that a Get for the topic
	// cannot create a queue whose files the RemoveAll would then delete.
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	var err error
	for _, q := range t.topics[topic] {
		if e := q.destroy(); e != nil && err == nil {
			err = e
		}
	}
	delete(t.topics, topic)
	dir := filepath.Join(t.root, topic)
	if e := t.fsys.RemoveAll(dir); e != nil && err == nil {
		err = fmt.Errorf("consumequeue: remove %s: %w", dir, e)
	}
	if e := t.fsys.SyncDir(t.root); e != nil && err == nil && !errors.Is(e, fs.ErrNotExist) {
		err = fmt.Errorf("consumequeue: sync dir %s: %w", t.root, e)
	}
	return err
}

// ClearTopic calls Clear on every open queue of topic and returns how
// many it cleared. Unlike DeleteTopic it keeps the Queue handles valid, so
// a writer (the engine's dispatcher) holding one goes on putting to it.
func (t *Table) ClearTopic(topic string) (int, error) {
	t.mu.Lock()
	qs := make([]*Queue, 0, len(t.topics[topic]))
	for _, q := range t.topics[topic] {
		qs = append(qs, q)
	}
	t.mu.Unlock()
	var err error
	for _, q := range qs {
		if e := q.Clear(); e != nil && err == nil {
			err = e
		}
	}
	return len(qs), err
}

// Truncate calls Truncate(maxPhyOffset) on every queue (recovery), and
// returns the first error.
func (t *Table) Truncate(maxPhyOffset int64) error {
	var err error
	for _, q := range t.snapshot() {
		if e := q.Truncate(maxPhyOffset); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// DeleteBelow calls DeleteBelow(minPhyOffset) on every queue (retention)
// and returns the number of files removed and the first error.
func (t *Table) DeleteBelow(minPhyOffset int64) (int, error) {
	var n int
	var err error
	for _, q := range t.snapshot() {
		d, e := q.DeleteBelow(minPhyOffset)
		n += d
		if e != nil && err == nil && !errors.Is(e, ErrClosed) {
			err = e
		}
	}
	return n, err
}

// CorrectMinOffset calls CorrectMinOffset(minPhyOffset) on every queue.
func (t *Table) CorrectMinOffset(minPhyOffset int64) {
	for _, q := range t.snapshot() {
		q.CorrectMinOffset(minPhyOffset)
	}
}

// Sync syncs every queue and returns the first error.
func (t *Table) Sync() error {
	var err error
	type pending struct {
		q    *Queue
		dirs uint32
	}
	var ps []pending
	seen := map[string]bool{}
	var paths []string
	for _, q := range t.snapshot() {
		if e := q.syncFiles(); e != nil {
			if err == nil && !errors.Is(e, ErrClosed) {
				err = e
			}
			continue
		}
		if d := q.dirs.Swap(0); d != 0 {
			ps = append(ps, pending{q, d})
			for _, p := range q.dirPaths(d) {
				if !seen[p] {
					seen[p] = true
					paths = append(paths, p)
				}
			}
		}
	}
	// Each directory once, children before parents (queue directories,
	// then topic directories, then the root), however many queues are new.
	slices.SortStableFunc(paths, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, p := range paths {
		if e := t.fsys.SyncDir(p); e != nil {
			for _, x := range ps {
				x.q.dirs.Or(x.dirs)
			}
			if err == nil {
				err = fmt.Errorf("consumequeue: sync dir %s: %w", p, e)
			}
			break
		}
	}
	return err
}

// MaxPhyOffset returns the largest MaxPhyOffset of all queues, -1 if no
// queue holds an entry: how far the queues cover the commit log.
func (t *Table) MaxPhyOffset() int64 {
	m := int64(-1)
	for _, q := range t.snapshot() {
		m = max(m, q.MaxPhyOffset())
	}
	return m
}

// Close syncs and closes every queue; later calls return ErrClosed.
func (t *Table) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return ErrClosed
	}
	t.closed = true
	topics := t.topics
	t.topics = nil
	t.mu.Unlock()
	var err error
	for _, m := range topics {
		for _, q := range m {
			if e := q.Close(); e != nil && err == nil && !errors.Is(e, ErrClosed) {
				err = e
			}
		}
	}
	return err
}
