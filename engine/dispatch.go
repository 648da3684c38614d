package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/quivermq/quiver/engine/consumequeue"

	"github.com/quivermq/quiver/message"
)

// dispatchLoop is the dispatcher goroutine: it tails the commit log from
// Dispatched, woken by Append (or every DispatchPoll at the latest), and on
// stop does a last pass up to Wrote (Close has stopped appends by then).
func (s *Store) dispatchLoop() {
	defer s.dispatchWG.Done()
	t := time.NewTimer(s.cfg.DispatchPoll)
	defer t.Stop()
	for {
		for s.dispatchOnce() {
		}
		if s.dispatchErr.Load() != nil {
			<-s.stop
			return
		}
		select {
		case <-s.stop:
			for s.dispatchOnce() {
			}
			return
		case <-s.wake:
		case <-t.C:
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(s.cfg.DispatchPoll)
	}
}

// dispatchPass bounds the records of one dispatch pass, so that a
// dispatcher far behind (a burst, a rebuild) publishes Dispatched and wakes
// long polls every dispatchPass records rather than at the end.
const dispatchPass = 4096

// errPass ends a Scan after dispatchPass records.
var errPass = errors.New("engine: dispatch pass full")

// dispatchOnce dispatches the records from Dispatched towards Wrote, at most
// dispatchPass of them: consume-queue entry, index keys, then Dispatched and
// the queue notifications. It reports whether it stopped early (more to
// do). Only the dispatcher goroutine (or Open, before it starts) calls it.
func (s *Store) dispatchOnce() bool {
	from := s.dispatched.Load()
	wrote := s.log.Wrote()
	if from >= wrote || s.dispatchErr.Load() != nil {
		return false
	}
	end, n := from, 0
	err := s.log.Scan(from, func(phys int64, r message.Record) error {
		if n == dispatchPass {
			return errPass
		}
		if err := s.dispatchRecord(phys, r); err != nil {
			return err
		}
		n++
		end = phys + int64(r.TotalSize())
		s.lastStoreTs.Store(r.StoreTimestamp())
		return nil
	})
	more := false
	if err == errPass {
		more = true
	} else if err != nil {
		err = fmt.Errorf("%w: %w", ErrDispatch, err)
		s.cfg.Logger.Error("engine: dispatcher stopped", "err", err)
		s.dispatchErr.Store(&err)
	} else {
		// Scan stopped at a Wrote at least as high as wrote: everything
		// below wrote (and below end) was seen, fillers included.
		end = max(end, wrote)
	}
	s.dispatched.Store(end)
	s.notifyTouched()
	return more
}

func (s *Store) dispatchRecord(phys int64, r message.Record) error {
	if noQueueOffset(r.SysFlag()) {
		return nil // spec 5.1: no entry, no index keys (PutRecord skips rollback; prepared are not indexed either)
	}
	topic, qid := r.Topic(), r.QueueID()
	d, err := s.queueFor(topic, qid)
	if errors.Is(err, consumequeue.ErrInvalidName) {
		// Append refuses such names; a record written otherwise (an older
		// log) must not stop the dispatch of every other queue.
		s.cfg.Logger.Warn("engine: record with an invalid topic or queue not dispatched",
			"phys", phys, "topic", string(topic), "queue", qid)
		return nil
	}
	if err != nil {
		return err
	}
	// One pass over the properties for the tags code and the index keys.
	tags, keys, uniq := message.DispatchProperties(r.Properties())
	var code int64
	if s.cfg.TagsCode != nil {
		code = s.cfg.TagsCode(r)
	} else {
		code = message.TagsCode(tags)
	}
	if err := d.q.Put(r.QueueOffset(), phys, r.TotalSize(), code); err != nil {
		return fmt.Errorf("consume queue %s/%d at phys %d: %w", topic, qid, phys, err)
	}
	if !d.touched {
		d.touched = true
		s.touched = append(s.touched, d)
	}
	if s.idx != nil {
		if err := s.idx.PutRecordKeys(r, uniq, keys); err != nil {
			return fmt.Errorf("index at phys %d: %w", phys, err)
		}
	}
	return nil
}

// queueFor returns the dispatcher's handle on (topic, qid); the lookup of
// an existing queue does not allocate.
func (s *Store) queueFor(topic []byte, qid int32) (*dq, error) {
	qs := s.queueCache[string(topic)]
	if int(qid) < len(qs) && qid >= 0 && qs[qid] != nil {
		return qs[qid], nil
	}
	q, err := s.cq.Get(string(topic), qid)
	if err != nil {
		return nil, fmt.Errorf("consume queue %q/%d: %w", topic, qid, err)
	}
	if int(qid) >= len(qs) {
		n := make([]*dq, int(qid)+1)
		copy(n, qs)
		qs = n
		s.queueCache[string(topic)] = qs
	}
	qs[qid] = &dq{q: q}
	return qs[qid], nil
}

// notifyTouched calls Config.Notify for every queue that grew, after its
// entries are published and with no lock held.
func (s *Store) notifyTouched() {
	for i, d := range s.touched {
		d.touched = false
		if s.cfg.Notify != nil {
			s.cfg.Notify(d.q.Topic(), d.q.QueueID(), d.q.MaxOffset())
		}
		s.touched[i] = nil
	}
	s.touched = s.touched[:0]
}

// checkpointLoop writes the checkpoint every CheckpointInterval until
// Close.
func (s *Store) checkpointLoop() {
	defer s.ckptWG.Done()
	t := time.NewTicker(s.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ckptStop:
			return
		case <-t.C:
			if err := s.Checkpoint(); err != nil && !errors.Is(err, ErrClosed) {
				// Logged here; the next round retries, and Close writes
				// the last checkpoint itself and reports its error.
				s.cfg.Logger.Error("engine: checkpoint failed", "err", err)
			}
		}
	}
}

// checkpointValues returns the checkpoint of the current state, not yet
// synced: Durable from the log, Dispatched and the timestamps from the
// dispatcher.
func (s *Store) checkpointValues() Checkpoint {
	ts := s.lastStoreTs.Load()
	return Checkpoint{
		PhysicMsgTimestamp: ts,
		LogicsMsgTimestamp: ts,
		Durable:            s.log.Flushed(),
		Dispatched:         s.dispatched.Load(),
	}
}

// Checkpoint syncs the consume queues and the index and writes the
// checkpoint file. The checkpoint writer calls it every
// CheckpointInterval; Close writes the last one. Safe for concurrent use;
// after Close it returns ErrClosed.
//
// NB: order. Durable and Dispatched are read before the syncs, so every
// entry below Dispatched was put before Table.Sync began and is durable
// when the file says so. The index's LastUpdate is read before its Flush
// for the same reason.
func (s *Store) Checkpoint() error {
	if s.closedFlag.Load() {
		return ErrClosed
	}
	c := s.checkpointValues()
	var idxPhy int64 = -1
	if s.idx != nil {
		c.IndexMsgTimestamp, idxPhy = s.idx.LastUpdate()
	}
	if err := s.cq.Sync(); err != nil {
		return fmt.Errorf("engine: sync consume queues: %w", err)
	}
	if s.idx != nil {
		if err := s.idx.Flush(); err != nil {
			return fmt.Errorf("engine: flush index: %w", err)
		}
		c.IndexSafe = idxPhy + 1
	}
	return s.saveCheckpoint(&c)
}

// saveCheckpoint writes c, holding ckptMu.
func (s *Store) saveCheckpoint(c *Checkpoint) error {
	s.ckptMu.Lock()
	defer s.ckptMu.Unlock()
	return writeCheckpoint(s.cfg.FS, s.cfg.Dir, c)
}
