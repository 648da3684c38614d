package engine

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/engine/consumequeue"
	"github.com/quivermq/quiver/message"
)

// GetStatus is the outcome of GetMessages (spec 4.2, RocketMQ's
// GetMessageStatus).
type GetStatus int

const (
	// Found: at least one record was returned.
	Found GetStatus = iota + 1
	// NoMatchedMessage: entries were scanned but none passed the filter.
	NoMatchedMessage
	// NoMessageInQueue: the queue is empty (MaxOffset 0).
	NoMessageInQueue
	// OffsetTooSmall: the offset is below MinOffset.
	OffsetTooSmall
	// OffsetOverflowOne: the offset equals MaxOffset (nothing new yet).
	OffsetOverflowOne
	// OffsetOverflowBadly: the offset is past MaxOffset.
	OffsetOverflowBadly
	// OffsetFoundNull: entries were scanned but their records could not be
	// read (deleted by retention, blank entries, corrupt ranges).
	OffsetFoundNull
)

var statusNames = [...]string{"", "FOUND", "NO_MATCHED_MESSAGE", "NO_MESSAGE_IN_QUEUE",
	"OFFSET_TOO_SMALL", "OFFSET_OVERFLOW_ONE", "OFFSET_OVERFLOW_BADLY", "OFFSET_FOUND_NULL"}

// String returns RocketMQ's name of the status.
func (s GetStatus) String() string {
	if s > 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("GetStatus(%d)", int(s))
}

// GetResult is the answer of GetMessages. Records are views of the
// commit-log mapping (no copy), kept mapped by the result's pins until
// Release. A GetResult is pooled: after Release neither it nor its Records
// may be used. It is used by one goroutine at a time (Release may run on
// another, e.g. a write callback).
type GetResult struct {
	Status GetStatus
	// NextBeginOffset is where the consumer continues; MinOffset and
	// MaxOffset are the queue's at the time of the read.
	NextBeginOffset, MinOffset, MaxOffset int64
	// Records are the records found, in queue order; Bytes their total
	// size.
	Records []message.Record
	Bytes   int
	// QueueOffsets[i] is the queue offset of Records[i].
	QueueOffsets []int64

	pins []commitlog.Pin
}

var getPool = sync.Pool{New: func() any { return new(GetResult) }}

// Release releases the pins and returns r to the pool. Call it once, after
// the last use of the records (after the reply's write completes).
func (r *GetResult) Release() {
	for i := range r.pins {
		r.pins[i].Release()
		r.pins[i] = commitlog.Pin{}
	}
	for i := range r.Records {
		r.Records[i] = nil
	}
	r.pins, r.Records, r.QueueOffsets = r.pins[:0], r.Records[:0], r.QueueOffsets[:0]
	r.Status, r.NextBeginOffset, r.MinOffset, r.MaxOffset, r.Bytes = 0, 0, 0, 0, 0
	getPool.Put(r)
}

// scanBytes is the consume-queue bytes GetMessages scans at least (spec
// 4.2: max(16000, maxMsgNums*20)).
const scanBytes = 16000

// GetMessages reads up to maxMsgs records of (topic, queueID) from queue
// offset offset, at most maxBytes of them (the first record always goes in),
// keeping those whose tags code passes filter (nil: all). It scans at most
// max(16000 bytes, maxMsgs*20 entries) of consume queue. The status and
// NextBeginOffset follow spec 4.2's table. The caller must Release the
// result. It does not allocate once the pool is warm. Safe for concurrent
// use. An error (ErrClosed, a consume-queue I/O error before anything was
// found) comes with a nil result.
//
// NB: the consume-queue Views are released before GetMessages returns: the
// records point into the commit log, not the queue, so only commit-log pins
// are held. A record the log cannot serve (deleted, in a corrupt range) is
// skipped and counts as scanned.
func (s *Store) GetMessages(topic string, queueID int32, offset int64, maxMsgs, maxBytes int,
	filter func(tagsCode int64) bool) (*GetResult, error) {
	if s.closedFlag.Load() {
		return nil, ErrClosed
	}
	r := getPool.Get().(*GetResult)
	q := s.cq.Lookup(topic, queueID)
	if q == nil {
		r.Status = NoMessageInQueue
		return r, nil
	}
	minOff, maxOff := q.Offsets()
	r.MinOffset, r.MaxOffset = minOff, maxOff
	switch {
	case maxOff == 0:
		r.Status = NoMessageInQueue
		return r, nil
	case offset < minOff:
		r.Status, r.NextBeginOffset = OffsetTooSmall, minOff
		return r, nil
	case offset == maxOff:
		r.Status, r.NextBeginOffset = OffsetOverflowOne, offset
		return r, nil
	case offset > maxOff:
		r.Status, r.NextBeginOffset = OffsetOverflowBadly, maxOff
		return r, nil
	}
	if maxMsgs <= 0 {
		maxMsgs = 1
	}
	limit := max(scanBytes, maxMsgs*consumequeue.EntrySize) / consumequeue.EntrySize
	next, filtered := offset, 0
	full := false
	for scanned := 0; scanned < limit && !full && next < maxOff; {
		v, err := q.Entries(next, limit-scanned)
		if err != nil {
			if len(r.Records) > 0 {
				break // return what was found; the next pull sees the error
			}
			if errors.Is(err, consumequeue.ErrBelowMin) { // retention raced
				r.Status, r.NextBeginOffset = OffsetTooSmall, q.MinOffset()
				return r, nil
			}
			r.Release()
			return nil, fmt.Errorf("engine: read consume queue %s/%d at %d: %w", topic, queueID, next, err)
		}
		if v.Len() == 0 {
			v.Release()
			break
		}
		for i := 0; i < v.Len(); i++ {
			e := v.At(i)
			if !e.Blank() {
				if filter != nil && !filter(e.TagsCode) {
					filtered++
				} else {
					if len(r.Records) > 0 && r.Bytes+int(e.Size) > maxBytes {
						full = true
						break
					}
					rec, pin, err := s.read(e.PhyOffset)
					if err == nil {
						r.Records = append(r.Records, rec)
						r.pins = append(r.pins, pin)
						r.QueueOffsets = append(r.QueueOffsets, v.Offset()+int64(i))
						r.Bytes += len(rec)
					}
				}
			}
			next++
			scanned++
			if len(r.Records) >= maxMsgs {
				full = true
				break
			}
		}
		v.Release()
	}
	r.NextBeginOffset = next
	switch {
	case len(r.Records) > 0:
		r.Status = Found
	case filtered > 0:
		r.Status = NoMatchedMessage
	default:
		r.Status = OffsetFoundNull
	}
	return r, nil
}

// read is Log.Read that also refuses offsets inside the corrupt ranges
// recovery reported. NB: Log.Read checks the layout only, so a record whose
// body CRC failed at recovery would otherwise be served.
func (s *Store) read(phys int64) (message.Record, commitlog.Pin, error) {
	if s.closedFlag.Load() {
		return nil, commitlog.Pin{}, ErrClosed
	}
	for _, c := range s.report.Corrupt {
		if phys >= c.Start && phys < c.End {
			return nil, commitlog.Pin{}, fmt.Errorf("%w: offset %d in [%d, %d)", ErrCorruptRecord, phys, c.Start, c.End)
		}
	}
	return s.log.Read(phys)
}

// ReadByPhys returns the record at commit-log offset phys (a message id
// lookup) as a view of the mapping, and the Pin to Release after its last
// use.
func (s *Store) ReadByPhys(phys int64) (message.Record, commitlog.Pin, error) {
	return s.read(phys)
}

// MinOffset returns the first readable queue offset of (topic, queueID),
// 0 for a queue that does not exist.
func (s *Store) MinOffset(topic string, queueID int32) int64 {
	if q := s.cq.Lookup(topic, queueID); q != nil {
		return q.MinOffset()
	}
	return 0
}

// MaxOffset returns the next queue offset to be readable in (topic,
// queueID): every offset below it has been dispatched. 0 for a queue that
// does not exist.
func (s *Store) MaxOffset(topic string, queueID int32) int64 {
	if q := s.cq.Lookup(topic, queueID); q != nil {
		return q.MaxOffset()
	}
	return 0
}

// storeTimeOf reads the store timestamp of the record at phy.
func (s *Store) storeTimeOf(phy int64, _ int32) (int64, bool) {
	rec, pin, err := s.read(phy)
	if err != nil {
		return 0, false
	}
	ts := rec.StoreTimestamp()
	pin.Release()
	return ts, true
}

// OffsetByTime returns the first queue offset of (topic, queueID) whose
// record was stored at or after ts (ms); see consumequeue.Queue.OffsetByTime.
func (s *Store) OffsetByTime(topic string, queueID int32, ts int64) int64 {
	q := s.cq.Lookup(topic, queueID)
	if q == nil {
		return 0
	}
	return q.OffsetByTime(ts, s.storeTimeOf)
}

// EarliestStoreTime returns the store time (ms) of the first readable
// record of (topic, queueID), and false when the queue has none.
func (s *Store) EarliestStoreTime(topic string, queueID int32) (int64, bool) {
	q := s.cq.Lookup(topic, queueID)
	if q == nil {
		return 0, false
	}
	minOff, maxOff := q.Offsets()
	for off := minOff; off < maxOff && off < minOff+1024; off++ {
		e, err := q.At(off)
		if err != nil {
			return 0, false
		}
		if e.Blank() {
			continue
		}
		return s.storeTimeOf(e.PhyOffset, e.Size)
	}
	return 0, false
}

// QueryResult is the answer of QueryByKey: records (views of the
// mapping) kept mapped until Release.
type QueryResult struct {
	Records []message.Record
	// IndexLastUpdateTimestamp and IndexLastUpdatePhyOffset are the index's
	// LastUpdate (QUERY_MESSAGE's response header).
	IndexLastUpdateTimestamp, IndexLastUpdatePhyOffset int64

	pins []commitlog.Pin
}

// Release releases the records' pins.
func (r *QueryResult) Release() {
	for i := range r.pins {
		r.pins[i].Release()
	}
	r.pins, r.Records = nil, nil
}

// QueryByKey returns up to maxNum records of topic stored in [beginMs,
// endMs] whose UNIQ_KEY is key or whose KEYS hold key, newest first. Index
// hash collisions are re-checked against the records. The caller must
// Release the result.
func (s *Store) QueryByKey(topic, key string, maxNum int, beginMs, endMs int64) (*QueryResult, error) {
	if s.idx == nil {
		return nil, ErrIndexDisabled
	}
	if s.closedFlag.Load() {
		return nil, ErrClosed
	}
	r := &QueryResult{}
	r.IndexLastUpdateTimestamp, r.IndexLastUpdatePhyOffset = s.idx.LastUpdate()
	offs := s.idx.Query(make([]int64, 0, min(maxNum, 64)), topic, key, maxNum, beginMs, endMs)
	for _, phy := range offs {
		rec, pin, err := s.read(phy)
		if err != nil {
			continue // deleted or unreadable: as RocketMQ, skip it
		}
		if string(rec.Topic()) == topic && hasKey(rec, key) {
			r.Records = append(r.Records, rec)
			r.pins = append(r.pins, pin)
		} else {
			pin.Release()
		}
	}
	return r, nil
}

// hasKey reports whether rec's UNIQ_KEY is key or its KEYS hold key.
func hasKey(rec message.Record, key string) bool {
	if string(rec.UniqKey()) == key {
		return true
	}
	keys := rec.Keys()
	for len(keys) > 0 {
		k := keys
		if i := bytes.IndexByte(keys, ' '); i >= 0 {
			k, keys = keys[:i], keys[i+1:]
		} else {
			keys = nil
		}
		if string(k) == key {
			return true
		}
	}
	return false
}
