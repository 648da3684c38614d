package index

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/message"
)

const (
	// nameLen is the length of a file name, yyyyMMddHHmmssSSS.
	nameLen = 17
	// tmpSuffix marks a file CreateFile has not finished.
	tmpSuffix = ".tmp"
)

// Index is the key index over a directory of index files, oldest first;
// only the newest is written. See the package doc for the concurrency
// contract.
//
// Lock order: wmu, then flushMu, then mu.
type Index struct {
	fs  vfs.FS
	cfg Config

	// wmu serializes Put (the writer) and Close.
	wmu      sync.Mutex
	cur      *File            // newest file, nil before the first Put; wmu (and mu to change)
	lastName string           // greatest file name seen, for strictly increasing names; wmu
	now      func() time.Time // clock for file names; tests replace it

	// flushMu keeps Flush's syncs apart from the closing of files by
	// DeleteBelow and Close.
	flushMu sync.Mutex
	scratch []*File // Flush's copy of files; flushMu

	// mu guards the list of files and closed. Query holds it shared for
	// its whole walk, so a file is never unmapped under a reader.
	mu     sync.RWMutex
	files  []*File // oldest first
	closed bool    // set under wmu, flushMu and mu: any of them may read it

	// err is the first Flush (sync) error: sticky, returned by every later
	// Put and Flush.
	err atomic.Pointer[error]
}

// Recovery tells Open what the commit log's recovery found.
type Recovery struct {
	// MaxPhyOffset is where the valid commit log ends: the offset after
	// its last good record. A file whose endPhyOffset is at or past it
	// names records that are gone: Open deletes it, and every newer file.
	// math.MaxInt64 keeps every file.
	//
	// After a power loss, pass the smaller of that end and the durable
	// bound of the index: one past the phyOffset that LastUpdate returned
	// just before the last Flush that succeeded (the engine keeps it in its
	// checkpoint). Entries written after that Flush may be torn; a file
	// whose header reached the disk with them goes, and the dispatcher
	// indexes them again.
	MaxPhyOffset int64

	// Unclean is set when the last run did not Close the index (the abort
	// marker was present). Open then checks the slots of every file that is
	// not full, the ones that may have been written after their last sync,
	// and rebuilds from the entries any slot that names an entry past the
	// header's indexCount: the disk can hold a slot page newer than the
	// header page, and such a slot would hide its whole chain. It costs a
	// read of the slot table (20 MB at the defaults) per such file.
	Unclean bool
}

// Open opens the index in cfg.Dir, creating the directory if needed, and
// loads its files, oldest first.
//
// Recovery: see Recovery for which files are deleted. Nothing is truncated
// inside a file: deleting whole files is the simplest rule that leaves only
// entries for valid records. The dispatcher must then re-dispatch the
// commit log from LastUpdate's phyOffset (from the commit log's minimum
// offset when it is 0); Put ignores messages below the newest entry, so
// re-dispatching from earlier is harmless. A process crash loses nothing
// (the page cache survives), so only the commit log's end matters then.
//
// Even so, after a power loss a kept file may hold an entry whose page did
// not reach the disk (a sync racing a Put of the same message): a lookup
// through it misses older entries of its chain. Entries never point
// outside the file, so a torn file yields missed keys, never a crash or an
// offset of a key with another hash.
//
// Leftover ".tmp" files of an interrupted CreateFile are removed; files
// whose names are not 17 digits are left alone. A file of the wrong size
// fails Open with ErrCorrupt.
func Open(fs vfs.FS, cfg Config, rec Recovery) (*Index, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := fs.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("index: mkdir %s: %w", cfg.Dir, err)
	}
	names, err := fs.List(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("index: list %s: %w", cfg.Dir, err)
	}
	x := &Index{fs: fs, cfg: cfg, now: time.Now}
	removed := false
	remove := func(path, why string) error {
		if err := fs.Remove(path); err != nil {
			return fmt.Errorf("index: remove %s: %w", path, err)
		}
		cfg.Logger.Info("index: removed file", "file", path, "reason", why)
		removed = true
		return nil
	}
	dropping := false
	for _, name := range names { // sorted, so oldest first
		path := filepath.Join(cfg.Dir, name)
		if len(name) == nameLen+len(tmpSuffix) && isFileName(name[:nameLen]) && name[nameLen:] == tmpSuffix {
			if err = remove(path, "unfinished creation"); err != nil {
				break
			}
			continue
		}
		if !isFileName(name) {
			continue
		}
		x.lastName = name
		if dropping {
			if err = remove(path, "newer than a file past the commit log's end"); err != nil {
				break
			}
			continue
		}
		var f *File
		f, err = OpenFile(fs, path, cfg.MaxHashSlots, cfg.MaxIndexNum)
		if err != nil {
			break
		}
		if end := f.endPhyOffset.Load(); end >= rec.MaxPhyOffset {
			dropping = true
			_ = f.Close() // only mapped for reading its header
			if err = remove(path, fmt.Sprintf("endPhyOffset %d at or past the recovered end %d", end, rec.MaxPhyOffset)); err != nil {
				break
			}
			continue
		}
		x.files = append(x.files, f)
		if rec.Unclean && !f.Full() {
			if n := f.repairSlots(); n > 0 {
				cfg.Logger.Warn("index: rebuilt slots past the header's entry count", "file", path, "slots", n)
			}
		}
	}
	if err == nil && removed {
		if err = fs.SyncDir(cfg.Dir); err != nil {
			err = fmt.Errorf("index: sync dir %s: %w", cfg.Dir, err)
		}
	}
	if err != nil {
		for _, f := range x.files {
			_ = f.Close() // reporting err
		}
		return nil, err
	}
	if n := len(x.files); n > 0 {
		x.cur = x.files[n-1]
	}
	return x, nil
}

// isFileName reports whether name is 17 ASCII digits.
func isFileName(name string) bool {
	if len(name) != nameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

// fileName formats t in its location as yyyyMMddHHmmssSSS (Java's
// UtilAll.timeMillisToHumanString).
func fileName(t time.Time) string {
	b := make([]byte, 0, nameLen)
	b = t.AppendFormat(b, "20060102150405")
	ms := t.Nanosecond() / int(time.Millisecond)
	return string(append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10)))
}

// nextNameLocked returns the name of a new file: the local time now, or,
// when that is not after the newest name (two files in one millisecond,
// a clock step back, the repeated hour when daylight saving time ends),
// the newest name plus one, so names always increase. Java never parses
// the names, so one that is not a real time is harmless.
//
// REQUIRES: wmu held.
func (x *Index) nextNameLocked() string {
	name := fileName(x.now().Local())
	if name > x.lastName {
		return name
	}
	n, _ := strconv.ParseUint(x.lastName, 10, 64) // 17 digits: checked by isFileName
	return fmt.Sprintf("%0*d", nameLen, n+1)
}

// Put indexes the message at commit-log offset phyOffset stored at
// storeTimestamp (ms) under topic#uniqKey, when uniqKey is not empty, and
// under topic#key for each non-empty key of keys, the KEYS property value
// (keys separated by single spaces, message.KeySeparator). The dispatcher
// must not call it for rollback records (PutRecord skips them).
//
// A message whose phyOffset is below the newest entry's is ignored (it was
// indexed before a re-dispatch), as in RocketMQ. When the newest file is
// full, Put starts a new one; an error creating it is returned, and the
// keys not yet written are lost, but a later Put tries again.
//
// Put is safe for concurrent use but serializes; the engine has one writer.
// It does not allocate except when it starts a file. The arguments are not
// retained.
func (x *Index) Put(topic, uniqKey, keys []byte, phyOffset, storeTimestamp int64) error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if x.closed {
		return ErrClosed
	}
	if p := x.err.Load(); p != nil {
		return *p
	}
	if x.cur != nil && phyOffset < x.cur.endPhyOffset.Load() {
		return nil
	}
	if len(uniqKey) > 0 {
		if err := x.putLocked(message.IndexKeyHash(topic, uniqKey), phyOffset, storeTimestamp); err != nil {
			return err
		}
	}
	for len(keys) > 0 {
		key := keys
		if i := bytes.IndexByte(keys, message.KeySeparator[0]); i >= 0 {
			key, keys = keys[:i], keys[i+1:]
		} else {
			keys = nil
		}
		if len(key) == 0 {
			continue
		}
		if err := x.putLocked(message.IndexKeyHash(topic, key), phyOffset, storeTimestamp); err != nil {
			return err
		}
	}
	return nil
}

// PutRecord indexes a stored record, as Put with its topic, UNIQ_KEY,
// KEYS, physical offset and store time. Rollback records
// (message.SysFlagTransactionRollback) are not indexed.
func (x *Index) PutRecord(r message.Record) error {
	_, keys, uniq := message.DispatchProperties(r.Properties())
	return x.PutRecordKeys(r, uniq, keys)
}

// PutRecordKeys is PutRecord with r's UNIQ_KEY and KEYS values already
// looked up (message.DispatchProperties).
func (x *Index) PutRecordKeys(r message.Record, uniq, keys []byte) error {
	if r.SysFlag()&message.SysFlagTransactionMask == message.SysFlagTransactionRollback {
		return nil
	}
	return x.Put(r.Topic(), uniq, keys, r.PhysicalOffset(), r.StoreTimestamp())
}

// putLocked adds one entry, rolling to a new file when the newest is full.
//
// REQUIRES: wmu held.
func (x *Index) putLocked(h int32, phyOffset, storeTimestamp int64) error {
	if x.cur != nil {
		if err := x.cur.Put(h, phyOffset, storeTimestamp); err != ErrFull {
			return err
		}
	}
	if err := x.rollLocked(); err != nil {
		return err
	}
	return x.cur.Put(h, phyOffset, storeTimestamp) // a new file has room: MaxIndexNum ≥ 2
}

// rollLocked creates a new newest file. The previous one stays dirty until
// Flush syncs it (RocketMQ flushes it on a new thread at this point).
//
// REQUIRES: wmu held.
func (x *Index) rollLocked() error {
	var after Header
	if x.cur != nil {
		after = x.cur.Header()
	}
	name := x.nextNameLocked()
	f, err := CreateFile(x.fs, filepath.Join(x.cfg.Dir, name), x.cfg.MaxHashSlots, x.cfg.MaxIndexNum, after)
	if err != nil {
		return err
	}
	x.mu.Lock()
	x.files = append(x.files, f)
	x.mu.Unlock()
	x.cur = f
	x.lastName = name
	return nil
}

// Query appends to dst the commit-log offsets of up to maxNum messages
// indexed under topic#key with a store time in [beginMs, endMs], newest
// first, and returns the extended slice. It searches the files whose time
// range overlaps the query, newest first, and stops after a file that
// begins before beginMs (RocketMQ's queryOffset; the broker caps maxNum at
// maxMsgsNumBatch as Java does).
//
// Keys match by their 31-bit hash, so different keys can collide: callers
// must read each message and keep only those whose UNIQ_KEY or KEYS hold
// key. Store times match at the precision of the index, whole seconds
// after the file's first entry (rounded down).
//
// Query is safe for concurrent use with every other method. It does not
// allocate when dst has room for maxNum more offsets.
func (x *Index) Query(dst []int64, topic, key string, maxNum int, beginMs, endMs int64) []int64 {
	if maxNum <= 0 {
		return dst
	}
	h := message.IndexKeyHash(topic, key)
	start := len(dst)
	x.mu.RLock()
	defer x.mu.RUnlock()
	for i := len(x.files) - 1; i >= 0 && len(dst)-start < maxNum; i-- {
		f := x.files[i]
		fb, fe := f.beginTimestamp.Load(), f.endTimestamp.Load()
		if beginMs <= fe && endMs >= fb {
			dst = f.lookup(dst, start, h, beginMs, endMs, maxNum-(len(dst)-start))
		}
		if fb < beginMs {
			break
		}
	}
	return dst
}

// LastUpdate returns the store time (ms) and commit-log offset of the
// newest entry, the header end values of the newest file (QUERY_MESSAGE's
// indexLastUpdateTimestamp and indexLastUpdatePhyoffset); zeros when the
// index is empty.
func (x *Index) LastUpdate() (timestamp, phyOffset int64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if n := len(x.files); n > 0 {
		f := x.files[n-1]
		return f.endTimestamp.Load(), f.endPhyOffset.Load()
	}
	return 0, 0
}

// Flush syncs every file written since it was last synced: the files are
// written through writable mappings, and File.Sync makes those writes
// durable. Entries put before Flush was called are durable when it
// returns. An error is sticky: Put and Flush return it from then on (the
// kernel may have dropped the pages it could not write).
//
// Flush is safe for concurrent use with Put and Query; it does not block
// Put while it syncs.
func (x *Index) Flush() error {
	x.flushMu.Lock()
	defer x.flushMu.Unlock()
	if p := x.err.Load(); p != nil {
		return *p
	}
	x.mu.RLock()
	if x.closed {
		x.mu.RUnlock()
		return ErrClosed
	}
	x.scratch = append(x.scratch[:0], x.files...)
	x.mu.RUnlock()
	err := syncAll(x.scratch)
	clear(x.scratch)
	if err != nil {
		x.err.CompareAndSwap(nil, &err)
	}
	return err
}

// syncAll syncs the dirty files of files and returns the first error.
func syncAll(files []*File) error {
	for _, f := range files {
		if f.dirty.Load() {
			if err := f.Sync(); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteBelow deletes the oldest files whose endPhyOffset is below
// minPhyOffset, the commit log's minimum offset after retention: every
// message they name is gone. It stops at the first file that still names a
// live message and never deletes the newest file. It returns the number of
// files deleted. Queries in flight finish first; new ones no longer see the
// files. A file that cannot be removed is dropped from the index all the
// same (and reported); the next Open loads it again.
func (x *Index) DeleteBelow(minPhyOffset int64) (int, error) {
	x.flushMu.Lock()
	defer x.flushMu.Unlock()
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return 0, ErrClosed
	}
	n := 0
	for n < len(x.files)-1 && x.files[n].endPhyOffset.Load() < minPhyOffset {
		n++
	}
	doomed := x.files[:n:n]
	x.files = x.files[n:]
	x.mu.Unlock()

	var err error
	deleted := 0
	for _, f := range doomed {
		if cerr := f.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		if rerr := x.fs.Remove(f.name); rerr != nil {
			// The file stays on disk, out of the index; the next Open
			// loads it again and a later DeleteBelow retries.
			err = errors.Join(err, fmt.Errorf("index: remove %s: %w", f.name, rerr))
			continue
		}
		deleted++
		x.cfg.Logger.Info("index: deleted file below the commit log's minimum offset",
			"file", f.name, "endPhyOffset", f.endPhyOffset.Load(), "minPhyOffset", minPhyOffset)
	}
	if deleted > 0 {
		if serr := x.fs.SyncDir(x.cfg.Dir); serr != nil {
			err = errors.Join(err, fmt.Errorf("index: sync dir %s: %w", x.cfg.Dir, serr))
		}
	}
	return deleted, err
}

// Close syncs the files written since the last Flush (unless a Flush has
// failed), then unmaps and closes them. The Index must not be used
// afterwards: Put, Flush and DeleteBelow return ErrClosed, Query finds
// nothing. Close waits for Queries in flight. A second Close returns nil.
func (x *Index) Close() error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	x.flushMu.Lock()
	defer x.flushMu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	var err error
	if p := x.err.Load(); p == nil {
		err = syncAll(x.files)
	}
	for _, f := range x.files {
		if cerr := f.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	x.files, x.cur, x.closed = nil, nil, true
	return err
}
