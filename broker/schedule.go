package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/quivermq/quiver/broker/topics"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/internal/fileutil"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/protocol"
)

// Delay levels (spec 5.3): a message stored with DELAY=L goes to
// SCHEDULE_TOPIC_XXXX queue L-1 with its real topic and queue in REAL_TOPIC
// and REAL_QID; the scheduler re-appends it to the real queue once its
// store time plus the level's delay has passed. Progress per level (the
// next queue offset to deliver) is persisted in config/delayOffset.json:
// after a crash the messages delivered since the last save are delivered
// again (at least once), none is lost.

// applyDelay rewrites f for the schedule topic if its properties ask for a
// delay level, appending the new properties to buf; it returns buf and
// whether it did. Prepared and rolled-back transaction records are never
// delayed (spec 5.3).
func (b *Broker) applyDelay(f *message.Fields, buf []byte) ([]byte, bool) {
	v, ok := message.Property(f.Properties, message.PropertyDelayTimeLevel)
	if !ok {
		return buf, false
	}
	level, err := strconv.Atoi(unsafeString(v))
	if err != nil || level <= 0 {
		return buf, false
	}
	switch f.SysFlag & message.SysFlagTransactionMask {
	case message.SysFlagTransactionPrepared, message.SysFlagTransactionRollback:
		return buf, false
	}
	level = min(level, b.sched.maxLevel())
	var num [20]byte
	return parkOn(f, buf, scheduleTopic, int32(level-1),
		message.PropertyDelayTimeLevel, strconv.AppendInt(num[:0], int64(level), 10)), true
}

// parkOn rewrites f to wait on a system topic and queue (delay level, timer,
// transaction half): its real topic and queue go into REAL_TOPIC and
// REAL_QID, which restoreReal and END_TRANSACTION read back, and key=value
// replaces any earlier key (none if key is ""). The new properties are
// appended to buf, which parkOn returns.
func parkOn(f *message.Fields, buf, topic []byte, qid int32, key string, value []byte) []byte {
	start := len(buf)
	buf = message.AppendPropertiesExcept(buf, f.Properties, message.PropertyRealTopic, message.PropertyRealQueueID, key)
	buf = message.AppendProperty(buf, message.PropertyRealTopic, f.Topic)
	var num [11]byte
	buf = message.AppendProperty(buf, message.PropertyRealQueueID, strconv.AppendInt(num[:0], int64(f.QueueID), 10))
	if key != "" {
		buf = message.AppendProperty(buf, key, value)
	}
	f.Properties = buf[start:]
	f.Topic = topic
	f.QueueID = qid
	return buf
}

var scheduleTopic = []byte(topics.TopicSchedule)

// scheduler delivers delayed messages when they fall due: one goroutine for
// every level, sleeping until the earliest due time it knows of, woken when
// the dispatcher adds to SCHEDULE_TOPIC_XXXX.
type scheduler struct {
	b      *Broker
	levels []time.Duration // levels[i] is the delay of level i+1
	path   string

	mu      sync.Mutex
	offsets []int64 // guarded by mu: next queue offset per level
	dirty   bool    // guarded by mu

	wake chan struct{}
	quit chan struct{}
	wg   sync.WaitGroup
}

func newScheduler(b *Broker, levels []time.Duration, path string) *scheduler {
	if len(levels) > topics.ScheduleQueueNums {
		b.log.Warn("messageDelayLevel has more levels than SCHEDULE_TOPIC_XXXX has queues; the extra levels act as the last one",
			"levels", len(levels), "queues", topics.ScheduleQueueNums)
		levels = levels[:topics.ScheduleQueueNums]
	}
	return &scheduler{b: b, levels: levels, path: path, offsets: make([]int64, len(levels)),
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
}

func (s *scheduler) maxLevel() int { return len(s.levels) }

// delayOffsets is config/delayOffset.json: level (1-based) to the next
// queue offset to deliver. RocketMQ writes the keys unquoted; both load.
type delayOffsets struct {
	OffsetTable map[int]int64 `json:"offsetTable"`
}

func (s *scheduler) load() error {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var d delayOffsets
	if err := protocol.UnmarshalBody(data, &d); err != nil {
		return fmt.Errorf("broker: %s: %w", s.path, err)
	}
	for level, off := range d.OffsetTable {
		if level >= 1 && level <= len(s.offsets) && off >= 0 {
			s.offsets[level-1] = off
		}
	}
	return nil
}

// persist writes the offsets if they changed since the last write.
func (s *scheduler) persist() error {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	d := delayOffsets{OffsetTable: make(map[int]int64, len(s.offsets))}
	for i, off := range s.offsets {
		d.OffsetTable[i+1] = off
	}
	s.dirty = false
	s.mu.Unlock()
	data, err := json.Marshal(d)
	if err == nil {
		err = fileutil.WriteAtomic(s.path, data, 0o644)
	}
	if err != nil {
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
	}
	return err
}

func (s *scheduler) start() {
	s.wg.Add(1)
	go s.loop()
}

func (s *scheduler) stop() error {
	close(s.quit)
	s.wg.Wait()
	return s.persist()
}

// kick wakes the scheduler (new records on the schedule topic).
func (s *scheduler) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// idlePoll bounds how long the scheduler sleeps without a wake-up (a safety
// net: the dispatcher's notification wakes it).
const idlePoll = time.Second

func (s *scheduler) loop() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Second) // first pass 1 s after start, as RocketMQ
	defer timer.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-s.wake:
		case <-timer.C:
		}
		next := time.Now().Add(idlePoll)
		for level := 1; level <= len(s.levels); level++ {
			due, err := s.deliver(level)
			if err != nil {
				s.b.log.Error("delay level delivery failed; retrying in 10 s", "level", level, "err", err)
				due = time.Now().Add(10 * time.Second)
			}
			if !due.IsZero() && due.Before(next) {
				next = due
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(max(time.Until(next), time.Millisecond))
	}
}

// deliver re-appends the due messages of level and returns when the next
// one falls due (zero if the queue is drained).
func (s *scheduler) deliver(level int) (time.Time, error) {
	delay := s.levels[level-1]
	qid := int32(level - 1)
	for {
		select {
		case <-s.quit:
			return time.Time{}, nil
		default:
		}
		s.mu.Lock()
		off := s.offsets[level-1]
		s.mu.Unlock()
		res, err := s.b.store.GetMessages(topics.TopicSchedule, qid, off, 32, 1<<20, nil)
		if err != nil {
			return time.Time{}, err
		}
		switch res.Status {
		case engine.Found:
		case engine.OffsetTooSmall, engine.OffsetFoundNull:
			// Retention removed them, or they cannot be read: skip, loudly.
			s.b.log.Warn("delayed messages skipped: not readable", "level", level, "from", off, "to", res.NextBeginOffset, "status", res.Status.String())
			s.advance(level, res.NextBeginOffset)
			res.Release()
			continue
		default:
			res.Release()
			return time.Time{}, nil
		}
		now := time.Now()
		for i, rec := range res.Records {
			due := time.UnixMilli(rec.StoreTimestamp()).Add(delay)
			if due.After(now.Add(delay)) {
				due = now // clock skew: a store time in the future
			}
			if due.After(now) {
				res.Release()
				return due, nil
			}
			if err := s.redeliver(rec); err != nil {
				res.Release()
				return time.Time{}, err
			}
			s.advance(level, res.QueueOffsets[i]+1)
		}
		res.Release()
	}
}

func (s *scheduler) advance(level int, next int64) {
	s.mu.Lock()
	if next > s.offsets[level-1] {
		s.offsets[level-1] = next
		s.dirty = true
	}
	s.mu.Unlock()
}

// redeliver appends the delayed record to its real topic and queue: DELAY
// removed, WAIT=false, everything else kept (spec 5.3).
func (s *scheduler) redeliver(rec message.Record) error {
	return s.b.restoreReal(rec, message.PropertyDelayTimeLevel)
}

// restoreReal appends a record parked on a system topic (delay levels,
// timer) to the topic and queue in its REAL_TOPIC and REAL_QID properties,
// with the drop properties removed and WAIT=false; the rest (body, flag,
// sysFlag, born time and host, store host, reconsume count, the other
// properties) is kept. A record without them is logged and dropped; one
// whose real topic is the transaction half topic is dropped (spec 5.3).
func (b *Broker) restoreReal(rec message.Record, drop ...string) error {
	var f message.Fields
	rec.Fields(&f)
	realTopic, ok := message.Property(f.Properties, message.PropertyRealTopic)
	qidText, ok2 := message.Property(f.Properties, message.PropertyRealQueueID)
	qid, err := strconv.Atoi(unsafeString(qidText))
	if !ok || !ok2 || err != nil || len(realTopic) == 0 {
		b.log.Error("parked message without REAL_TOPIC/REAL_QID dropped", "topic", string(f.Topic), "phys", rec.PhysicalOffset())
		return nil
	}
	if string(realTopic) == topics.TopicTransHalf {
		return nil
	}
	props := message.AppendPropertiesExcept(nil, f.Properties, append(drop, message.PropertyWaitStoreMsgOK)...)
	props = message.AppendProperty(props, message.PropertyWaitStoreMsgOK, "false")
	f.Topic = realTopic
	f.QueueID = int32(qid)
	f.Properties = props
	_, err = b.store.Append(&f)
	return err
}
