package consumequeue

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/quivermq/quiver/engine/vfs"
)

// Open opens the consume queue of (topic, queueID) under root, the
// store's consumequeue directory, and loads it. A queue with no directory
// is empty; its directory is created by the first Put. See Load rules in
// the package doc. The store then calls Truncate with the recovered
// commit-log end and CorrectMinOffset with its minimum, as RocketMQ's
// recovery does.
func Open(fsys vfs.FS, root, topic string, queueID int32, cfg Config) (*Queue, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkName(topic, queueID); err != nil {
		return nil, err
	}
	q := newQueue(fsys, root, topic, queueID, cfg)
	if err := q.load(); err != nil {
		for _, f := range *q.files.Load() {
			f.release()
		}
		return nil, err
	}
	return q, nil
}

// load maps the queue's files and finds MaxOffset, MinOffset and
// MaxPhyOffset.
func (q *Queue) load() error {
	names, err := q.fsys.List(q.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("consumequeue: list %s: %w", q.dir, err)
	}
	q.dirMade = true
	var files []*file
	defer func() { q.files.Store(&files) }() // so that Open releases them on error
	for i, name := range names {
		if base, ok := strings.CutSuffix(name, tmpSuffix); ok {
			if _, ok := parseFileName(base); ok {
				// A file whose creation was cut short.
				if err := q.fsys.Remove(filepath.Join(q.dir, name)); err != nil {
					return fmt.Errorf("consumequeue: remove %s: %w", name, err)
				}
			}
			continue
		}
		off, ok := parseFileName(name)
		if !ok {
			continue // not a queue file
		}
		path := filepath.Join(q.dir, name)
		if off%int64(q.size) != 0 {
			return fmt.Errorf("%w: %s: start %d is not a multiple of the file size %d", ErrCorrupt, path, off, q.size)
		}
		start := off / EntrySize
		if n := len(files); n > 0 && start != files[n-1].start+q.epf {
			return fmt.Errorf("%w: %s: files %s to %s missing", ErrCorrupt, q.dir,
				fileName(files[n-1].start+q.epf), fileName(start-q.epf))
		}
		f, err := openFile(q.fsys, path, start, q.size)
		if errors.Is(err, errEmptyFile) && lastQueueFile(names[i+1:]) {
			// Created after the last checkpoint and cut short by a crash
			// (its directory entry durable, its allocation not; see
			// makeDir's NB): nothing in it was counted.
			if err := q.fsys.Remove(path); err != nil {
				return fmt.Errorf("consumequeue: remove %s: %w", path, err)
			}
			q.dirs.Or(dirQueue)
			continue
		}
		if err != nil {
			if errors.Is(err, errEmptyFile) {
				err = fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			return err
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil
	}

	// The end is the first entry that was not written, scanning from the
	// third-last file as RocketMQ does; earlier files are taken as full.
	end := files[0].start
	for _, f := range files[max(len(files)-3, 0):] {
		n := int64(0)
		for n < q.epf && f.entry(f.start+n).written() {
			n++
		}
		end = f.start + n
		if n < q.epf {
			break
		}
	}
	files, err = q.dropFilesFrom(files, end)
	if err != nil {
		return err
	}
	q.publishEnd(files, end)
	q.min.Store(q.firstReal(files, end))
	q.synced.Store(files[0].start) // the first Sync covers whatever a crash left unsynced
	return nil
}

// lastQueueFile reports whether names (the directory entries after one)
// hold no other queue file.
func lastQueueFile(names []string) bool {
	for _, n := range names {
		if _, ok := parseFileName(n); ok {
			return false
		}
	}
	return true
}

// dropFilesFrom removes the files that start past end; the first file
// always stays, so the queue keeps its position.
func (q *Queue) dropFilesFrom(files []*file, end int64) ([]*file, error) {
	keep := len(files)
	for keep > 1 && files[keep-1].start > end {
		keep--
	}
	if keep == len(files) {
		return files, nil
	}
	dropped := files[keep:]
	files = files[:keep:keep]
	var err error
	for _, f := range dropped {
		if e := q.fsys.Remove(f.path); e != nil && err == nil {
			err = fmt.Errorf("consumequeue: remove %s: %w", f.path, e)
		}
		f.release()
	}
	if e := q.fsys.SyncDir(q.dir); e != nil && err == nil {
		err = fmt.Errorf("consumequeue: sync dir %s: %w", q.dir, e)
	}
	return files, err
}

// publishEnd stores MaxOffset end and the MaxPhyOffset below it.
func (q *Queue) publishEnd(files []*file, end int64) {
	q.maxPhy.Store(-1)
	for off := end - 1; off >= files[0].start; off-- {
		e := files[(off-files[0].start)/q.epf].entry(off)
		if !e.Blank() {
			q.maxPhy.Store(e.end())
			break
		}
	}
	q.max.Store(end)
}

// firstReal returns the first non-blank offset below end, or end.
func (q *Queue) firstReal(files []*file, end int64) int64 {
	for off := files[0].start; off < end; off++ {
		if !files[(off-files[0].start)/q.epf].entry(off).Blank() {
			return off
		}
	}
	return end
}

// Truncate drops the entries whose record ends past maxPhyOffset, the
// recovered end of the commit log: the dropped entries are zeroed (so a
// later Load does not find them) and files left empty are removed, except
// the first, which keeps the queue's position. Blank entries are kept, as
// RocketMQ keeps them. MinOffset is lowered to MaxOffset if above it.
//
// REQUIRES: no concurrent Put and no reader (recovery runs it before the
// queue is served); it rewrites entries in place.
//
// NB: it sees only entries below MaxOffset. A power loss can leave written
// entries past the first unwritten one (the kernel writes dirty pages
// back in any order); Load stops at the hole and nothing zeroes what lies
// beyond, which a later crash could expose. Scanning every queue's last
// file to the end at each start would cost about 1 ms and 6 MB of page
// cache per queue; RocketMQ does not do it either.
func (q *Queue) Truncate(maxPhyOffset int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.writeErr(); err != nil {
		return err
	}
	files := *q.files.Load()
	if len(files) == 0 {
		return nil
	}
	first, old := files[0].start, q.max.Load()
	at := func(off int64) *file { return files[(off-first)/q.epf] }
	end := old
	for end > first {
		e := at(end - 1).entry(end - 1)
		if e.Blank() || e.end() <= maxPhyOffset {
			break
		}
		end--
	}
	if end == old {
		return nil
	}
	q.max.Store(end)
	if q.min.Load() > end {
		q.min.Store(end)
	}
	if q.synced.Load() > end {
		q.synced.Store(end)
	}
	for off := end; off < old; off++ {
		f := at(off)
		i := int(off-f.start) * EntrySize
		clear(f.data[i : i+EntrySize])
	}
	kept := len(files)
	for kept > 1 && files[kept-1].start >= end {
		kept--
	}
	var err error
	if f := files[kept-1]; f.start+q.epf > end {
		// It holds zeroed entries: make them durable.
		if e := f.f.Sync(); e != nil {
			err = fmt.Errorf("consumequeue: sync %s: %w", f.path, e)
			q.setErr(err)
		}
	}
	if kept < len(files) {
		dropped := files[kept:]
		nf := files[:kept:kept]
		q.files.Store(&nf)
		for _, f := range dropped {
			if e := q.fsys.Remove(f.path); e != nil && err == nil {
				err = fmt.Errorf("consumequeue: remove %s: %w", f.path, e)
			}
			f.release()
		}
		if e := q.fsys.SyncDir(q.dir); e != nil && err == nil {
			err = fmt.Errorf("consumequeue: sync dir %s: %w", q.dir, e)
		}
		files = nf
	}
	q.publishEnd(files, end)
	return err
}

// DeleteBelow removes, oldest first, the files whose last non-blank entry
// points below minPhyOffset, the commit log's new minimum (RocketMQ's
// deleteExpiredFile); the file being written is never removed. Then it
// advances MinOffset as CorrectMinOffset does. It returns how many files
// it removed. Readers holding a View of a removed file keep its mapping
// until they release it. Safe for concurrent use with Put and readers.
func (q *Queue) DeleteBelow(minPhyOffset int64) (int, error) {
	q.mu.Lock()
	if q.closed.Load() {
		q.mu.Unlock()
		return 0, ErrClosed
	}
	files := *q.files.Load()
	n := 0
	for n < len(files)-1 && q.lastPhy(files[n]) < minPhyOffset {
		n++
	}
	if n == 0 {
		q.mu.Unlock()
		q.CorrectMinOffset(minPhyOffset)
		return 0, nil
	}
	dropped := files[:n]
	kept := append([]*file(nil), files[n:]...)
	q.raiseMin(kept[0].start) // before readers can miss the files
	q.files.Store(&kept)
	q.mu.Unlock()

	var err error
	for _, f := range dropped {
		if e := q.fsys.Remove(f.path); e != nil && err == nil {
			err = fmt.Errorf("consumequeue: remove %s: %w", f.path, e)
		}
		f.release()
	}
	if e := q.fsys.SyncDir(q.dir); e != nil && err == nil {
		err = fmt.Errorf("consumequeue: sync dir %s: %w", q.dir, e)
	}
	q.CorrectMinOffset(minPhyOffset)
	return n, err
}

// lastPhy returns the commit-log offset of the last non-blank entry of a
// full file, -1 if it holds only blanks. RocketMQ reads the last entry;
// a gap filled with blanks can end a file here, and its earlier entries
// may still point at live records.
func (q *Queue) lastPhy(f *file) int64 {
	for off := f.start + q.epf - 1; off >= f.start; off-- {
		if e := f.entry(off); !e.Blank() {
			return e.PhyOffset
		}
	}
	return -1
}

// CorrectMinOffset raises MinOffset to the first non-blank entry whose
// commit-log offset is at least minPhyOffset, or to MaxOffset when there
// is none (every record is gone). It never lowers MinOffset. RocketMQ's
// correctMinOffset, which looks only at the first file and leaves the
// minimum alone when nothing there qualifies. Safe for concurrent use.
func (q *Queue) CorrectMinOffset(minPhyOffset int64) {
	hi := q.max.Load() // NB: before the file list
	lo := q.min.Load()
	found := hi
	for _, f := range *q.files.Load() {
		end := min(f.start+q.epf, hi)
		if end <= lo || end <= f.start {
			continue
		}
		if !f.tryAcquire() {
			continue
		}
		// Skip a whole file whose last entry is below; entries ascend.
		if last := f.entry(end - 1); last.Blank() || last.PhyOffset >= minPhyOffset {
			for off := max(f.start, lo); off < end; off++ {
				if e := f.entry(off); !e.Blank() && e.PhyOffset >= minPhyOffset {
					found = off
					break
				}
			}
		}
		f.release()
		if found < hi {
			break
		}
	}
	q.raiseMin(found)
}

// raiseMin sets MinOffset to off unless it is already higher.
func (q *Queue) raiseMin(off int64) {
	for {
		cur := q.min.Load()
		if off <= cur || q.min.CompareAndSwap(cur, off) {
			return
		}
	}
}

// Clear removes every file of the queue (a deleted topic): its entries are
// gone, and MinOffset and MaxOffset read 0 until the next Put, which may
// continue at any offset (its file then starts at the file boundary at or
// below it, blanks before it, as after the commit log's head was deleted).
// The directory stays. Readers holding a View keep its mapping until they
// release it; a reader that loaded the old MaxOffset gets ErrBelowMin.
// Safe for concurrent use with Put and readers.
func (q *Queue) Clear() error {
	q.mu.Lock()
	if q.closed.Load() {
		q.mu.Unlock()
		return ErrClosed
	}
	files := *q.files.Load()
	// NB: max first: a reader loads max before min and the file list.
	q.max.Store(0)
	q.min.Store(0)
	q.maxPhy.Store(-1)
	q.synced.Store(0)
	q.files.Store(&[]*file{})
	q.mu.Unlock()

	var err error
	for _, f := range files {
		if e := q.fsys.Remove(f.path); e != nil && err == nil {
			err = fmt.Errorf("consumequeue: remove %s: %w", f.path, e)
		}
		f.release()
	}
	if len(files) > 0 {
		if e := q.fsys.SyncDir(q.dir); e != nil && err == nil {
			err = fmt.Errorf("consumequeue: sync dir %s: %w", q.dir, e)
		}
	}
	return err
}
