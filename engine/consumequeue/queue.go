package consumequeue

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/quivermq/quiver/engine/vfs"
)

// Queue is the ConsumeQueue of one (topic, queue id): the files under
// <root>/<topic>/<queueId>/. See the package doc for the layout and the
// concurrency contract.
type Queue struct {
	fsys  vfs.FS
	dir   string
	topic string
	id    int32
	epf   int64 // entries per file
	size  int   // bytes per file

	// Published to lock-free readers. The writer stores max last, after
	// the entry's bytes and any new file list (release); readers load max
	// first (acquire), so every offset below the max they saw is complete
	// and its file is in the list they load next.
	max    atomic.Int64 // next queue offset to write (RocketMQ's maxOffsetInQueue)
	min    atomic.Int64 // first readable queue offset; only Truncate lowers it
	maxPhy atomic.Int64 // commit-log end of the last non-blank entry; -1 if none
	synced atomic.Int64 // entries below it are durable
	// dirs marks the directory entries created and not yet synced (see
	// makeDir and rollLocked): dirQueue (a file in the queue directory),
	// dirTopic (the queue directory in the topic directory), dirRoot (the
	// topic directory in the root). Sync syncs them after the files.
	dirs   atomic.Uint32
	files  atomic.Pointer[[]*file] // ascending, contiguous; replaced, never modified
	werr   atomic.Pointer[error]   // sticky write or sync error
	closed atomic.Bool

	// mu serializes the mutators: Put, Truncate, DeleteBelow's list swap
	// and Close. The Queue's reference on each file belongs to the
	// published list: whoever removes a file from it under mu releases it.
	mu      sync.Mutex
	dirMade bool // mu; the queue directory exists
}

var noFiles = []*file{}

func newQueue(fsys vfs.FS, root, topic string, id int32, cfg Config) *Queue {
	q := &Queue{
		fsys:  fsys,
		dir:   filepath.Join(root, topic, strconv.Itoa(int(id))),
		topic: topic,
		id:    id,
		epf:   int64(cfg.EntriesPerFile),
		size:  cfg.fileBytes(),
	}
	q.maxPhy.Store(-1)
	q.files.Store(&noFiles)
	return q
}

// checkName rejects topic names and queue ids that could leave the
// consumequeue directory or are not a single path element.
func checkName(topic string, id int32) error {
	if id < 0 {
		return fmt.Errorf("%w: queue id %d", ErrInvalidName, id)
	}
	if topic == "" || topic == "." || topic == ".." || len(topic) > 255 ||
		strings.ContainsAny(topic, "/\\\x00") {
		return fmt.Errorf("%w: topic %q", ErrInvalidName, topic)
	}
	return nil
}

// Topic returns the queue's topic.
func (q *Queue) Topic() string { return q.topic }

// QueueID returns the queue's id.
func (q *Queue) QueueID() int32 { return q.id }

// Dir returns the queue's directory.
func (q *Queue) Dir() string { return q.dir }

// MaxOffset returns the next queue offset to write: the number of entries
// ever written, blank fill included. Safe for concurrent use.
func (q *Queue) MaxOffset() int64 { return q.max.Load() }

// MinOffset returns the first readable queue offset. Safe for concurrent
// use.
func (q *Queue) MinOffset() int64 { return q.min.Load() }

// Offsets returns MinOffset and MaxOffset as one consistent pair, min <=
// max. Safe for concurrent use.
func (q *Queue) Offsets() (minOffset, maxOffset int64) {
	// NB: max first. Put raises min (first entry of a queue) before max
	// and CorrectMinOffset only raises min to a max it loaded, so a min
	// loaded after max is at least the min that max was published with;
	// it may be newer, hence the clamp.
	maxOffset = q.max.Load()
	minOffset = min(q.min.Load(), maxOffset)
	return minOffset, maxOffset
}

// MaxPhyOffset returns the commit-log offset just past the record of the
// last non-blank entry (RocketMQ's maxPhysicOffset), or -1 when the queue
// holds none. Safe for concurrent use.
func (q *Queue) MaxPhyOffset() int64 { return q.maxPhy.Load() }

// Err returns the sticky write or sync error, nil if none.
func (q *Queue) Err() error {
	if p := q.werr.Load(); p != nil {
		return *p
	}
	return nil
}

// setErr records the first write or sync error; every later write and
// sync returns it.
func (q *Queue) setErr(err error) {
	q.werr.CompareAndSwap(nil, &err)
}

// writeErr is the error a mutator returns before doing anything.
func (q *Queue) writeErr() error {
	if q.closed.Load() {
		return ErrClosed
	}
	return q.Err()
}

// Put writes the entry for queueOffset: the record of size bytes at
// phyOffset in the commit log, with tagsCode. Only the dispatcher calls it
// (single writer); it is safe against concurrent readers, Sync and
// DeleteBelow, and against Put from other goroutines, which the
// contiguity rule makes pointless.
//
//   - queueOffset == MaxOffset: appended; the next file is created when
//     the current one is full.
//   - queueOffset > MaxOffset: the gap is filled with blank entries first.
//     In a queue with no files (a new queue, or one rebuilt after the
//     commit log's head was deleted) the first file starts at the file
//     boundary at or below queueOffset and MinOffset becomes queueOffset,
//     as RocketMQ's fillPreBlank. Otherwise gaps up to MaxGap entries are
//     filled, across files if need be; larger ones return ErrGap.
//   - queueOffset < MaxOffset: a re-dispatch after recovery. Nothing is
//     written: nil if the stored entry is the same (or already deleted),
//     ErrMismatch otherwise.
//
// An I/O error (creating the next file) is sticky. Put does not allocate
// except when it creates a file.
func (q *Queue) Put(queueOffset, phyOffset int64, size int32, tagsCode int64) error {
	if queueOffset < 0 || phyOffset < 0 || size <= 0 || size >= BlankSize {
		return fmt.Errorf("%w: %s/%d offset %d: phy %d size %d",
			ErrInvalidEntry, q.topic, q.id, queueOffset, phyOffset, size)
	}
	e := Entry{PhyOffset: phyOffset, Size: size, TagsCode: tagsCode}

	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.writeErr(); err != nil {
		return err
	}
	next := q.max.Load()
	if queueOffset < next {
		return q.checkLocked(queueOffset, e)
	}
	minOffset := q.min.Load()
	if queueOffset > next {
		switch {
		case len(*q.files.Load()) == 0:
			next = queueOffset - queueOffset%q.epf
			minOffset = queueOffset
		case queueOffset-next > MaxGap:
			return fmt.Errorf("%w: %s/%d offset %d, max %d", ErrGap, q.topic, q.id, queueOffset, next)
		case minOffset == next:
			minOffset = queueOffset // nothing readable before the gap: skip the blanks
		}
		for ; next < queueOffset; next++ {
			b, err := q.slotLocked(next)
			if err != nil {
				return err
			}
			PutEntry(b, blankEntry)
		}
	}
	b, err := q.slotLocked(queueOffset)
	if err != nil {
		return err
	}
	PutEntry(b, e)
	// NB: publish in this order. A reader that sees the new max sees the
	// 20 bytes written above, the new min and the file list; one that
	// sees the old max never reads the slot.
	q.maxPhy.Store(e.end())
	if minOffset != q.min.Load() {
		q.min.Store(minOffset)
	}
	q.max.Store(queueOffset + 1)
	return nil
}

// slotLocked returns the 20 bytes of queue offset off, creating the file
// that holds it when off is the first entry past the last file.
// REQUIRES: mu held; off is MaxOffset or a blank being filled up to it.
func (q *Queue) slotLocked(off int64) ([]byte, error) {
	fs := *q.files.Load()
	if n := len(fs); n > 0 {
		last := fs[n-1]
		if off >= last.start && off < last.start+q.epf {
			i := int(off-last.start) * EntrySize
			return last.data[i : i+EntrySize : i+EntrySize], nil
		}
		if off != last.start+q.epf {
			// Broken invariant: writes are contiguous.
			return nil, fmt.Errorf("consumequeue: %s/%d: write at %d outside last file at %d",
				q.topic, q.id, off, last.start)
		}
	}
	f, err := q.rollLocked(off - off%q.epf)
	if err != nil {
		return nil, err
	}
	i := int(off-f.start) * EntrySize
	return f.data[i : i+EntrySize : i+EntrySize], nil
}

// rollLocked creates the file starting at queue offset start and appends
// it to the published list. An error is sticky.
// REQUIRES: mu held.
func (q *Queue) rollLocked(start int64) (*file, error) {
	if !q.dirMade {
		if err := q.makeDir(); err != nil {
			q.setErr(err)
			return nil, err
		}
		q.dirMade = true
	}
	f, err := createFile(q.fsys, q.dir, start, q.size)
	if err != nil {
		q.setErr(err)
		return nil, err
	}
	q.dirs.Or(dirQueue)
	old := *q.files.Load()
	fs := make([]*file, len(old), len(old)+1)
	copy(fs, old)
	fs = append(fs, f)
	q.files.Store(&fs)
	return f, nil
}

// makeDir creates the queue directory. Its entry in the topic directory,
// and the topic's in the root, become durable at the next Sync.
//
// NB: the directory syncs are deferred to Sync (the engine's checkpoint)
// because a topic with many queues creates them all on the dispatcher's
// goroutine: with three fsyncs per new queue here and two per new file in
// createFile, a fresh 1024-queue topic stalled dispatch for seconds.
// Deferring is safe because the queues are derived data: the checkpoint
// snapshots the dispatched offset before Sync, so every entry it counts is
// in a file whose entries Sync makes durable; a crash loses only files
// created after the last checkpoint, and recovery re-dispatches their
// entries (load drops a file a crash left short or after a gap).
func (q *Queue) makeDir() error {
	if err := q.fsys.MkdirAll(q.dir, 0o755); err != nil {
		return fmt.Errorf("consumequeue: mkdir %s: %w", q.dir, err)
	}
	q.dirs.Or(dirTopic | dirRoot)
	return nil
}

// Directory entries a queue may have left unsynced (Queue.dirs).
const (
	dirQueue uint32 = 1 << iota
	dirTopic
	dirRoot
)

// dirPaths returns the directories of the bits set in dirs, children
// before parents.
func (q *Queue) dirPaths(dirs uint32) []string {
	var out []string
	topicDir := filepath.Dir(q.dir)
	if dirs&dirQueue != 0 {
		out = append(out, q.dir)
	}
	if dirs&dirTopic != 0 {
		out = append(out, topicDir)
	}
	if dirs&dirRoot != 0 {
		out = append(out, filepath.Dir(topicDir))
	}
	return out
}

// syncDirs syncs the directories named in dirs; on failure it marks them
// unsynced again.
func (q *Queue) syncDirs(dirs uint32, paths []string) error {
	for _, d := range paths {
		if err := q.fsys.SyncDir(d); err != nil {
			q.dirs.Or(dirs)
			return fmt.Errorf("consumequeue: sync dir %s: %w", d, err)
		}
	}
	return nil
}

// checkLocked compares a re-put entry with the stored one.
// REQUIRES: mu held; off < MaxOffset.
func (q *Queue) checkLocked(off int64, e Entry) error {
	fs := *q.files.Load()
	if len(fs) == 0 || off < fs[0].start {
		return nil // deleted by retention; RocketMQ skips such re-puts too
	}
	got := fs[(off-fs[0].start)/q.epf].entry(off)
	if got == e {
		return nil
	}
	return fmt.Errorf("%w: %s/%d offset %d: stored (phy %d, size %d, tags %d), put (phy %d, size %d, tags %d)",
		ErrMismatch, q.topic, q.id, off, got.PhyOffset, got.Size, got.TagsCode, e.PhyOffset, e.Size, e.TagsCode)
}

// Sync makes every entry below the current MaxOffset durable (fdatasync of
// each file written since the last Sync, then of the directories whose new
// entries are not durable yet). Safe for concurrent use; it does not block
// Put or readers. A file sync error is sticky.
func (q *Queue) Sync() error {
	if err := q.syncFiles(); err != nil {
		return err
	}
	dirs := q.dirs.Swap(0)
	return q.syncDirs(dirs, q.dirPaths(dirs))
}

// syncFiles makes the entries below MaxOffset durable (Sync without the
// directories).
func (q *Queue) syncFiles() error {
	if err := q.writeErr(); err != nil {
		return err
	}
	hi := q.max.Load() // NB: before the file list, as readers do
	lo := q.synced.Load()
	if lo >= hi {
		return nil
	}
	for _, f := range *q.files.Load() {
		if f.start+q.epf <= lo || f.start >= hi {
			continue
		}
		if !f.tryAcquire() {
			continue // deleted or closed meanwhile: nothing left to make durable
		}
		err := f.f.Sync()
		f.release()
		if err != nil {
			err = fmt.Errorf("consumequeue: sync %s: %w", f.path, err)
			q.setErr(err)
			return err
		}
	}
	for {
		cur := q.synced.Load()
		if cur >= hi || q.synced.CompareAndSwap(cur, hi) {
			return nil
		}
	}
}

// UnsyncedBytes returns how many bytes of entries Sync would make
// durable, for a flusher that syncs only past a threshold (RocketMQ's
// flushConsumeQueueLeastPages). Safe for concurrent use.
func (q *Queue) UnsyncedBytes() int64 {
	hi := q.max.Load()
	lo := q.synced.Load()
	if fs := *q.files.Load(); len(fs) > 0 {
		lo = max(lo, fs[0].start)
	}
	return max(hi-lo, 0) * EntrySize
}

// Close syncs the queue and releases its files; each file is unmapped
// when its last View is released. Files stay on disk. Every later call
// returns ErrClosed; Close itself returns the sync error, if any.
func (q *Queue) Close() error {
	err := q.Sync()
	if !q.shut() {
		return ErrClosed
	}
	if errors.Is(err, ErrClosed) {
		err = nil
	}
	return err
}

// shut marks the queue closed and releases the Queue's file references.
// It reports false if the queue was already closed.
func (q *Queue) shut() bool {
	q.mu.Lock()
	if q.closed.Load() {
		q.mu.Unlock()
		return false
	}
	q.closed.Store(true)
	fs := *q.files.Load()
	q.files.Store(&noFiles)
	q.mu.Unlock()
	for _, f := range fs {
		f.release()
	}
	return true
}

// destroy closes the queue without syncing and removes its directory.
func (q *Queue) destroy() error {
	q.shut()
	if err := q.fsys.RemoveAll(q.dir); err != nil {
		return fmt.Errorf("consumequeue: remove %s: %w", q.dir, err)
	}
	return nil
}
