package engine

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/engine/consumequeue"
	"github.com/quivermq/quiver/engine/index"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/message"
)

// AppendResult says where an append went (commitlog.AppendResult).
type AppendResult = commitlog.AppendResult

// Store is the storage engine: commit log, consume queues, key index,
// dispatcher and checkpoint. See the package doc.
//
// Every method is safe for concurrent use; Close waits for appends in
// flight and fails the ones that start after it.
type Store struct {
	cfg    Config
	log    *commitlog.Log
	cq     *consumequeue.Table
	idx    *index.Index // nil when MessageIndexEnable is false
	tq     *topicQueues
	report *commitlog.Report
	lock   io.Closer

	unclean   bool
	powerLoss bool // unclean, and not known to be the same boot
	startTime time.Duration

	// closeMu: Append holds it shared, Close exclusively, so that the
	// commit log never sees an append racing its Close.
	closeMu    sync.RWMutex
	closed     bool
	closedFlag atomic.Bool // closed, for readers, which do not take closeMu

	// dispatcher state
	dispatched  atomic.Int64 // every record below is in the CQs and index
	lastStoreTs atomic.Int64 // store time of the last dispatched record
	dispatchErr atomic.Pointer[error]
	wake        chan struct{} // cap 1: a non-blocking nudge from Append
	stop        chan struct{}
	dispatchWG  sync.WaitGroup
	ckptMu      sync.Mutex // serializes checkpoint writes
	ckptStop    chan struct{}
	ckptWG      sync.WaitGroup
	queueCache  map[string][]*dq // dispatcher-owned
	touched     []*dq            // dispatcher-owned
	redispatchN int64

	ret retention // the cleaner (retention.go)
}

// dq is the dispatcher's handle on one consume queue.
type dq struct {
	q       *consumequeue.Queue
	touched bool
}

// Open opens (creating if needed) the store in cfg.Dir and recovers it:
// lock, checkpoint, abort marker, commit log from the checkpoint's durable
// offset, consume queues truncated to the recovered end, index, topic-queue
// table, and a synchronous re-dispatch of whatever the consume queues or the
// index may miss. Then it starts the dispatcher and the checkpoint writer.
//
// Corrupt ranges in the commit log do not fail Open: see Report.
func Open(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	began := time.Now()
	fsys := cfg.FS
	if err := fsys.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("engine: mkdir %s: %w", cfg.Dir, err)
	}
	lock, err := fsys.Lock(filepath.Join(cfg.Dir, "lock"))
	if err != nil {
		return nil, fmt.Errorf("engine: lock %s: %w", cfg.Dir, err)
	}
	s := &Store{cfg: cfg, lock: lock, tq: newTopicQueues(),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), ckptStop: make(chan struct{}),
		queueCache: make(map[string][]*dq)}
	if err := s.recover(); err != nil {
		s.closeParts()
		_ = lock.Close() // the recovery error is the one reported
		return nil, err
	}
	s.startTime = time.Since(began)
	s.dispatchWG.Add(1)
	go s.dispatchLoop()
	s.ckptWG.Add(1)
	go s.checkpointLoop()
	s.startCleaner()
	return s, nil
}

func (s *Store) recover() error {
	cfg, fsys := s.cfg, s.cfg.FS
	ckpt, _, err := readCheckpoint(fsys, cfg.Dir)
	if err != nil {
		if !errors.Is(err, ErrCheckpoint) {
			return err
		}
		s.cfg.Logger.Warn("engine: ignoring checkpoint, recovering from the first segment", "err", err)
		ckpt = Checkpoint{}
		s.unclean = true // trust nothing the last run wrote
	}
	abort := filepath.Join(cfg.Dir, "abort")
	boot := cfg.BootID()
	sameBoot := false
	if f, err := fsys.Open(abort); err == nil {
		s.unclean = true
		var b [64]byte
		n, _ := f.ReadAt(b[:], 0) // short read or error: boot unknown
		sameBoot = boot != "" && string(b[:n]) == boot
		_ = f.Close() // read-only
	} else if !errorsIsNotExist(err) {
		return fmt.Errorf("engine: open %s: %w", abort, err)
	}
	s.powerLoss = s.unclean && !sameBoot
	// NB: the boot id in the marker is not synced: lost by a power loss, it
	// reads as unknown, which is the conservative answer.
	f, err := fsys.Create(abort)
	if err != nil {
		return fmt.Errorf("engine: create %s: %w", abort, err)
	}
	if _, err := f.WriteAt([]byte(boot), 0); err != nil {
		_ = f.Close() // the write error is the one reported
		return fmt.Errorf("engine: write %s: %w", abort, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("engine: close %s: %w", abort, err)
	}
	if err := fsys.SyncDir(cfg.Dir); err != nil {
		return fmt.Errorf("engine: sync dir %s: %w", cfg.Dir, err)
	}

	// Commit log: clean or not, start at the durable offset; the log
	// validates every record from there.
	lcfg := cfg.CommitLog
	lcfg.Published = s.nudge
	l, rep, err := commitlog.Open(fsys, filepath.Join(cfg.Dir, "commitlog"), lcfg, ckpt.Durable)
	if err != nil {
		return fmt.Errorf("engine: open commit log: %w", err)
	}
	s.log, s.report = l, rep
	if err := rep.Err(); err != nil {
		s.cfg.Logger.Error("engine: commit log recovery found corrupt ranges", "report", rep.String())
	}
	end := rep.End

	s.cq, err = consumequeue.OpenTable(fsys, filepath.Join(cfg.Dir, "consumequeue"), cfg.ConsumeQueue)
	if err != nil {
		return fmt.Errorf("engine: open consume queues: %w", err)
	}
	if err := s.cq.Truncate(end); err != nil {
		return fmt.Errorf("engine: truncate consume queues: %w", err)
	}
	s.cq.CorrectMinOffset(l.MinOffset())

	if cfg.MessageIndexEnable {
		ic := cfg.Index
		ic.Dir = filepath.Join(cfg.Dir, "index")
		max := end
		if s.powerLoss && ckpt.IndexSafe < max {
			// NB: entries put after the last successful Flush may be
			// torn by a power loss; files reaching past the safe bound
			// go and are re-dispatched.
			max = ckpt.IndexSafe
		}
		s.idx, err = index.Open(fsys, ic, index.Recovery{MaxPhyOffset: max, Unclean: s.unclean})
		if err != nil {
			return fmt.Errorf("engine: open index: %w", err)
		}
	}

	// Re-dispatch from the lowest point the derived data may miss.
	from := min(ckpt.Dispatched, end)
	if m := s.cq.MaxPhyOffset(); m < from {
		from = m // -1 (no entries) goes to MinOffset below
	}
	if s.idx != nil {
		// The index lost entries it held at the last checkpoint (files
		// deleted by recovery or by hand): re-index from its newest entry
		// (0, the whole log, when it is empty). An index that is merely
		// behind because recent records have no keys is not re-scanned.
		if _, phy := s.idx.LastUpdate(); phy+1 < ckpt.IndexSafe && phy < from {
			from = phy
		}
	}
	if mo := l.MinOffset(); from < mo {
		from = mo
	}
	if from < end {
		before := end - from
		if err := s.dispatchRange(from); err != nil {
			return err
		}
		s.redispatchN = before
	} else {
		s.dispatched.Store(end)
	}

	// Topic-queue table from the consume queues.
	s.cq.Range(func(q *consumequeue.Queue) bool {
		s.tq.set(q.Topic(), q.QueueID(), q.MaxOffset())
		return true
	})
	return nil
}

// dispatchRange dispatches the log from from to Wrote, synchronously.
func (s *Store) dispatchRange(from int64) error {
	s.dispatched.Store(from)
	for s.dispatchOnce() {
	}
	if p := s.dispatchErr.Load(); p != nil {
		return *p
	}
	return nil
}

// closeParts closes whatever recovery opened (Open failed).
func (s *Store) closeParts() {
	if s.idx != nil {
		_ = s.idx.Close() // Open reports its own error
	}
	if s.cq != nil {
		_ = s.cq.Close() // idem
	}
	if s.log != nil {
		_ = s.log.Close() // idem
	}
}

// Report returns what the commit log's recovery found (corrupt ranges,
// torn tail). The Report is read-only.
func (s *Store) Report() *commitlog.Report { return s.report }

// Unclean reports whether Open found the abort marker (the last run did
// not Close) or a bad checkpoint.
func (s *Store) Unclean() bool { return s.unclean }

// PowerLoss reports whether Open treated an unclean start as a possible
// power loss (the abort marker was written under another boot, or the boot
// is unknown) rather than a process crash.
func (s *Store) PowerLoss() bool { return s.powerLoss }

// StartTime is how long Open took, recovery included.
func (s *Store) StartTime() time.Duration { return s.startTime }

// Redispatched is the number of commit-log bytes Open dispatched again.
func (s *Store) Redispatched() int64 { return s.redispatchN }

// Log returns the commit log (metrics, retention). Do not Close it.
func (s *Store) Log() *commitlog.Log { return s.log }

// Append appends the record f describes and assigns its queue offset
// (0, not advancing the queue, for PREPARED and ROLLBACK transaction
// records). Under commitlog.FlushSync the record is not durable yet: pass
// the result's End to WaitFlushed before acknowledging. Append never waits
// for the dispatcher. It does not allocate once the queue exists. While
// disk usage is past Config.DiskHighWatermark it fails at once with a
// *DiskFullError (errors.Is ErrDiskFull).
func (s *Store) Append(f *message.Fields) (AppendResult, error) {
	if f.QueueID < 0 || f.QueueID >= MaxQueueID {
		return AppendResult{}, ErrInvalidQueue
	}
	if !validTopic(f.Topic) {
		return AppendResult{}, ErrInvalidTopic
	}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return AppendResult{}, ErrClosed
	}
	if e := s.ret.full.Load(); e != nil {
		s.closeMu.RUnlock()
		return AppendResult{}, e
	}
	var res AppendResult
	var err error
	if noQueueOffset(f.SysFlag) {
		res, err = s.log.Append(f, zeroAssigner{})
	} else {
		res, err = s.log.Append(f, s.tq)
	}
	s.closeMu.RUnlock()
	if err == nil {
		s.nudge()
	}
	return res, err
}

// AppendBatch appends items consecutively (commitlog.Log.AppendBatch).
// A batch may not hold PREPARED or ROLLBACK records (ErrTransactionBatch).
// Like Append, it fails with ErrDiskFull past the high watermark.
func (s *Store) AppendBatch(items []message.Fields) (AppendResult, error) {
	for i := range items {
		if items[i].QueueID < 0 || items[i].QueueID >= MaxQueueID {
			return AppendResult{}, ErrInvalidQueue
		}
		if !validTopic(items[i].Topic) {
			return AppendResult{}, ErrInvalidTopic
		}
		if noQueueOffset(items[i].SysFlag) {
			return AppendResult{}, ErrTransactionBatch
		}
	}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return AppendResult{}, ErrClosed
	}
	if e := s.ret.full.Load(); e != nil {
		s.closeMu.RUnlock()
		return AppendResult{}, e
	}
	res, err := s.log.AppendBatch(items, s.tq)
	s.closeMu.RUnlock()
	if err == nil {
		s.nudge()
	}
	return res, err
}

// WaitFlushed calls done once the commit log is durable up to end (an
// AppendResult.End); see commitlog.Log.WaitFlushed. done runs on a flusher
// goroutine and must not block.
func (s *Store) WaitFlushed(end int64, done func(error)) { s.log.WaitFlushed(end, done) }

// nudge wakes the dispatcher without blocking.
func (s *Store) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Dispatched returns the commit-log offset below which every record is in
// the consume queues and the index.
func (s *Store) Dispatched() int64 { return s.dispatched.Load() }

// DispatchLag returns the commit log's Appended minus Dispatched, in bytes:
// what was appended and is not yet in the consume queues.
func (s *Store) DispatchLag() int64 { return s.log.Appended() - s.dispatched.Load() }

// DispatchErr returns the error that stopped the dispatcher, or nil.
func (s *Store) DispatchErr() error {
	if p := s.dispatchErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Close stops appends, lets the dispatcher catch up with the commit log,
// flushes and closes everything, writes the final checkpoint, removes the
// abort marker (only if all of that succeeded) and releases the lock.
// A second Close returns ErrClosed.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.closedFlag.Store(true)
	s.closeMu.Unlock()

	s.stopCleaner()
	close(s.ckptStop)
	s.ckptWG.Wait()
	// Staged records (commitlog.Config.StageSize) become readable, so that
	// the dispatcher's last pass covers every append. A failure is sticky:
	// log.Close reports it.
	_ = s.log.Drain()
	close(s.stop) // the dispatcher does a last pass to Wrote, then exits
	s.dispatchWG.Wait()

	errs := []error{s.DispatchErr()}
	logErr := s.log.Close()
	errs = append(errs, logErr)
	c := s.checkpointValues()
	if logErr == nil {
		c.Durable = s.log.Wrote()
	}
	if s.idx != nil {
		ts, phy := s.idx.LastUpdate()
		c.IndexMsgTimestamp = ts
		err := s.idx.Close()
		errs = append(errs, err)
		if err == nil {
			c.IndexSafe = phy + 1
		}
	}
	errs = append(errs, s.cq.Close())
	if err := errors.Join(errs...); err != nil {
		// Leave the abort marker and the last periodic checkpoint (this
		// one's Dispatched or IndexSafe may not be durable): the next Open
		// recovers as after a crash.
		_ = s.lock.Close() // err is the one reported
		return err
	}
	if err := s.saveCheckpoint(&c); err != nil {
		_ = s.lock.Close() // the checkpoint error is the one reported
		return err
	}
	abort := filepath.Join(s.cfg.Dir, "abort")
	if err := s.cfg.FS.Remove(abort); err != nil {
		_ = s.lock.Close() // the remove error is the one reported
		return fmt.Errorf("engine: remove %s: %w", abort, err)
	}
	if err := s.cfg.FS.SyncDir(s.cfg.Dir); err != nil {
		_ = s.lock.Close() // the sync error is the one reported
		return fmt.Errorf("engine: sync dir %s: %w", s.cfg.Dir, err)
	}
	return s.lock.Close()
}

// Metrics is a snapshot of the store's counters for the broker to export.
type Metrics struct {
	// CommitLog holds appends, bytes and the flush-latency histogram.
	CommitLog commitlog.MetricsSnapshot
	// Wrote, Flushed and Dispatched are commit-log offsets; DispatchLag is
	// Wrote - Dispatched in bytes.
	Wrote, Flushed, Dispatched, DispatchLag int64
	// MinOffset is the commit log's first offset still present.
	MinOffset int64
	// Disk is the usage of the file system holding Dir (zero if it could
	// not be read).
	Disk vfs.DiskUsage
	// Retention holds the cleaner's counters and the disk-full state.
	Retention RetentionMetrics
}

// Metrics returns a snapshot of the counters (each read atomically, not
// all at one instant).
func (s *Store) Metrics() Metrics {
	d := s.dispatched.Load()
	w := s.log.Wrote()
	m := Metrics{CommitLog: s.log.Metrics(), Wrote: w, Flushed: s.log.Flushed(),
		Dispatched: d, DispatchLag: w - d, MinOffset: s.log.MinOffset()}
	if u, err := s.cfg.FS.DiskUsage(s.cfg.Dir); err == nil {
		m.Disk = u
	}
	m.Retention = s.retentionMetrics()
	return m
}

// DeleteBefore is retention's cascade: it removes the commit-log segments
// wholly below offset (and below Flushed and Dispatched, never the active
// one; see commitlog.Log.DeleteSegmentsBefore), then the consume-queue and
// index files wholly below the log's new minimum, and raises the queues'
// MinOffset. Readers holding pins keep their mappings until Release. It
// returns the number of commit-log segments removed. Choosing offset (file
// age, disk pressure) is the caller's policy.
func (s *Store) DeleteBefore(offset int64) (int, error) {
	offset = min(offset, s.dispatched.Load())
	n, err := s.log.DeleteSegmentsBefore(offset)
	if err != nil {
		return n, fmt.Errorf("engine: delete commit-log segments: %w", err)
	}
	minPhy := s.log.MinOffset()
	if _, err := s.cq.DeleteBelow(minPhy); err != nil {
		return n, fmt.Errorf("engine: delete consume-queue files: %w", err)
	}
	if s.idx != nil {
		if _, err := s.idx.DeleteBelow(minPhy); err != nil {
			return n, fmt.Errorf("engine: delete index files: %w", err)
		}
	}
	return n, nil
}

// DeleteTopic forgets a deleted topic's messages (broker
// DELETE_TOPIC_IN_BROKER, RocketMQ's cleanUnusedTopic): the topic's consume
// queues lose every entry, so no pull, offset query or statistic serves
// them, and a topic created again under the name starts empty. The records
// stay in the commit log until retention removes them (and the key index
// still finds them, as RocketMQ's does). A checkpoint follows, so that a
// restart does not dispatch the forgotten records again. Appends to the
// topic racing DeleteTopic may land on either side of it. It returns how
// many queues it cleared.
//
// NB: recovery after a crash re-dispatches from the newest consume-queue
// entry when that is below the checkpoint (derived files lost). If the
// deleted topic held the newest entries of all queues and the process
// crashes before any queue gets a newer one, its forgotten records come
// back. A broker's other queues (its retry and system topics among them)
// make that unlikely; a durable per-queue floor would close it.
func (s *Store) DeleteTopic(topic string) (int, error) {
	if s.closedFlag.Load() {
		return 0, ErrClosed
	}
	n, err := s.cq.ClearTopic(topic)
	if err != nil {
		return n, fmt.Errorf("engine: delete topic %s: %w", topic, err)
	}
	return n, s.Checkpoint()
}
