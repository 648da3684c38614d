package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/broker/group"
	"github.com/quivermq/quiver/broker/topics"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/internal/fileutil"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// Transactions (spec 5.5). A prepared message (TRAN_MSG=true) is stored on
// RMQ_SYS_TRANS_HALF_TOPIC queue 0, its real topic and queue in REAL_TOPIC
// and REAL_QID, invisible to consumers. END_TRANSACTION commit appends the
// real message and an op record (RMQ_SYS_TRANS_OP_HALF_TOPIC, body = the
// half message's queue offset) in one batch; rollback appends the op
// record only. A half message with no op record after transactionTimeOut
// gets CHECK_TRANSACTION_STATE sent to a live producer of its group every
// transactionCheckInterval, at most transactionCheckMax times; then it is
// copied to TRANS_CHECK_MAX_TIME_TOPIC, marked done and logged.
//
// The checker's progress: every half offset below checkOffset is decided
// (stored as the offset of CID_RMQ_SYS_TRANS on the half queue, with the
// consumer offsets); decided offsets above it are rebuilt at start from the
// op queue; check counts are kept in config/transCheck.json.
//
// NB: RocketMQ re-appends a half message at every check (to count checks
// in a property). Quiver keeps the half message where it is and counts in
// a small file: the half queue grows by one record per transaction, not per
// check.
//
// NB: the real message and its op record go in one AppendBatch, so a
// process crash leaves both or neither. A power loss under ASYNC_FLUSH
// could keep the first of the two and lose the op record; the checker
// would then ask the producer again and a second commit would deliver the
// message twice (at least once). Under SYNC_FLUSH END_TRANSACTION is
// answered only once both are durable.

const (
	halfTopic     = topics.TopicTransHalf
	opTopic       = topics.TopicTransOpHalf
	checkMaxTopic = topics.TopicTransCheckMaxTime
	opTag         = "d"
)

// applyPrepared rewrites a prepared send (TRAN_MSG=true) for the half
// topic: REAL_TOPIC and REAL_QID added, transaction bits cleared so the
// record gets a consume-queue entry, queue 0 (spec 5.5).
func (b *Broker) applyPrepared(f *message.Fields, buf []byte) ([]byte, bool, error) {
	v, ok := message.Property(f.Properties, message.PropertyTransactionPrepared)
	if !ok || string(v) != "true" {
		return buf, false, nil
	}
	if b.cfg.RejectTransactionMessage {
		return buf, false, protocol.NewError(protocol.NoPermission, "the broker["+b.cfg.BrokerName+"] sending transaction message is forbidden")
	}
	if _, _, err := b.topics.CreateSystemIfAbsent(halfTopic, 1, topics.PermRead|topics.PermWrite); err != nil {
		return buf, false, err
	}
	buf = parkOn(f, buf, halfTopicBytes, 0, "", nil)
	f.SysFlag &^= message.SysFlagTransactionMask
	return buf, true, nil
}

var halfTopicBytes = []byte(halfTopic)

// endTransaction serves END_TRANSACTION (37).
func (b *Broker) endTransaction(req *netio.Request) {
	var h protocol.EndTransactionRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		_ = req.ReplyCode(protocol.SystemError, "bad END_TRANSACTION header: "+err.Error())
		return
	}
	if h.CommitOrRollback == protocol.TransactionNotType {
		b.log.Debug("END_TRANSACTION without a decision", "producerGroup", h.ProducerGroup, "msgId", h.MsgID, "fromCheck", h.FromTransactionCheck)
		return // RocketMQ sends no answer
	}
	res, err := b.tx.end(h.ProducerGroup, h.TranStateTableOffset, h.CommitLogOffset, h.CommitOrRollback == protocol.TransactionCommitType)
	if err != nil {
		b.log.Warn("END_TRANSACTION refused", "producerGroup", h.ProducerGroup, "msgId", h.MsgID, "err", err)
		replyErr(req, err)
		return
	}
	if res.End == 0 || b.cfg.FlushDiskType != conf.SyncFlush {
		_ = req.ReplyCode(protocol.Success, "")
		return
	}
	r := req.Responder()
	b.store.WaitFlushed(res.End, func(err error) {
		if err != nil {
			respondErr(r, err)
			return
		}
		var resp protocol.Command
		resp.Code = int32(protocol.Success)
		_ = r.Reply(&resp)
	})
}

// txChecker holds the transaction state and runs the check-back loop.
type txChecker struct {
	b         *Broker
	countPath string

	mu          sync.Mutex
	checkOffset int64          // guarded by mu: every half offset below is decided
	done        map[int64]bool // guarded by mu: decided half offsets ≥ checkOffset
	counts      map[int64]int  // guarded by mu: checks sent per pending half offset
	opNext      int64          // guarded by mu: next op-queue offset to read
	dirty       bool           // guarded by mu: counts changed since saved

	quit chan struct{}
	wg   sync.WaitGroup
}

func newTxChecker(b *Broker, countPath string) *txChecker {
	return &txChecker{b: b, countPath: countPath, done: map[int64]bool{}, counts: map[int64]int{}, quit: make(chan struct{})}
}

// load rebuilds the state from the stored offset, the op queue and the
// counts file. The store must be open.
func (t *txChecker) load() error {
	st := t.b.store
	if off, ok := t.b.offsets.Query(group.SysTransConsumerGroup, halfTopic, 0); ok {
		t.checkOffset = off
	}
	t.checkOffset = max(t.checkOffset, st.MinOffset(halfTopic, 0))
	t.opNext = st.MinOffset(opTopic, 0)
	t.readOps()
	data, err := os.ReadFile(t.countPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var c map[string]int
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("broker: %s: %w", t.countPath, err)
	}
	for k, n := range c {
		if off, err := strconv.ParseInt(k, 10, 64); err == nil && off >= t.checkOffset {
			t.counts[off] = n
		}
	}
	return nil
}

// readOps marks the half offsets named by op records not read yet.
func (t *txChecker) readOps() {
	for {
		t.mu.Lock()
		from := t.opNext
		t.mu.Unlock()
		res, err := t.b.store.GetMessages(opTopic, 0, from, 256, 1<<20, nil)
		if err != nil {
			t.b.log.Error("transaction op queue", "err", err)
			return
		}
		if res.Status != engine.Found {
			if res.Status == engine.OffsetTooSmall || res.Status == engine.OffsetFoundNull {
				t.mu.Lock()
				t.opNext = max(t.opNext, res.NextBeginOffset)
				t.mu.Unlock()
				res.Release()
				continue
			}
			res.Release()
			return
		}
		t.mu.Lock()
		for _, rec := range res.Records {
			if off, err := strconv.ParseInt(string(rec.Body()), 10, 64); err == nil && off >= t.checkOffset {
				t.done[off] = true
			}
		}
		t.opNext = res.NextBeginOffset
		t.mu.Unlock()
		res.Release()
	}
}

// end commits or rolls back the half message at (queueOffset, phys).
func (t *txChecker) end(producerGroup string, queueOffset, phys int64, commit bool) (engine.AppendResult, error) {
	b := t.b
	rec, pin, err := b.store.ReadByPhys(phys)
	if err != nil {
		return engine.AppendResult{}, protocol.NewError(protocol.SystemError, "find prepared transaction message failed: "+err.Error())
	}
	defer pin.Release()
	if rec.IsFiller() || string(rec.Topic()) != halfTopic {
		return engine.AppendResult{}, protocol.NewError(protocol.SystemError, "the message at commitLogOffset "+itoa(phys)+" is not a prepared transaction message")
	}
	if pg, _ := rec.Property(message.PropertyProducerGroup); string(pg) != producerGroup {
		return engine.AppendResult{}, protocol.NewError(protocol.SystemError, "the producer group wrong")
	}
	if rec.QueueOffset() != queueOffset || rec.PhysicalOffset() != phys {
		return engine.AppendResult{}, protocol.NewError(protocol.SystemError, "the transaction state table offset wrong")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if queueOffset < t.checkOffset || t.done[queueOffset] {
		return engine.AppendResult{}, nil // decided already: nothing is committed twice
	}
	op := t.opFields(rec, queueOffset)
	if !commit {
		res, err := b.store.Append(&op)
		if err == nil {
			t.done[queueOffset] = true
			delete(t.counts, queueOffset)
		}
		return res, err
	}
	var real message.Fields
	rec.Fields(&real)
	realTopic, _ := message.Property(real.Properties, message.PropertyRealTopic)
	qidText, _ := message.Property(real.Properties, message.PropertyRealQueueID)
	qid, err := strconv.Atoi(string(qidText))
	if len(realTopic) == 0 || err != nil {
		return engine.AppendResult{}, protocol.NewError(protocol.SystemError, "prepared message without REAL_TOPIC/REAL_QID")
	}
	real.Topic = realTopic
	real.QueueID = int32(qid)
	real.SysFlag = real.SysFlag&^message.SysFlagTransactionMask | message.SysFlagTransactionCommit
	real.PreparedTransactionOffset = phys
	real.Properties = message.AppendPropertiesExcept(nil, real.Properties,
		message.PropertyTransactionPrepared, message.PropertyRealTopic, message.PropertyRealQueueID)
	if _, _, err := b.topics.CreateSystemIfAbsent(opTopic, 1, topics.PermRead|topics.PermWrite); err != nil {
		return engine.AppendResult{}, err
	}
	res, err := b.store.AppendBatch([]message.Fields{real, op})
	if err == nil {
		t.done[queueOffset] = true
		delete(t.counts, queueOffset)
	}
	return res, err
}

// opFields is the op record marking half offset queueOffset decided.
func (t *txChecker) opFields(half message.Record, queueOffset int64) message.Fields {
	return message.Fields{
		Version: message.V1, Topic: opTopicBytes, QueueID: 0,
		Body:          []byte(strconv.FormatInt(queueOffset, 10)),
		Properties:    message.AppendProperty(nil, message.PropertyTags, opTag),
		BornTimestamp: time.Now().UnixMilli(),
		BornHost:      half.StoreHost(),
		StoreHost:     half.StoreHost(),
	}
}

var opTopicBytes = []byte(opTopic)

func (t *txChecker) start() {
	t.wg.Add(1)
	go t.loop()
}

func (t *txChecker) stop() error {
	close(t.quit)
	t.wg.Wait()
	return t.persist()
}

func (t *txChecker) loop() {
	defer t.wg.Done()
	interval := t.b.cfg.TransactionCheckInterval
	if interval <= 0 {
		interval = time.Minute
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-t.quit:
			return
		case <-tick.C:
		}
		t.round()
		if err := t.persist(); err != nil {
			t.b.log.Error("persist transaction check state", "err", err)
		}
	}
}

// round reads new op records, then sends a check for every half message
// older than transactionTimeOut that is still undecided.
func (t *txChecker) round() {
	b := t.b
	t.readOps()
	timeout := b.cfg.TransactionTimeOut
	checkMax := b.cfg.TransactionCheckMax
	now := time.Now()
	t.mu.Lock()
	from := t.checkOffset
	t.mu.Unlock()
	for {
		res, err := b.store.GetMessages(halfTopic, 0, from, 64, 4<<20, nil)
		if err != nil {
			b.log.Error("transaction half queue", "err", err)
			return
		}
		if res.Status == engine.OffsetTooSmall || res.Status == engine.OffsetFoundNull {
			from = res.NextBeginOffset
			t.advanceTo(from)
			res.Release()
			continue
		}
		if res.Status != engine.Found {
			res.Release()
			t.advance()
			return
		}
		for i, rec := range res.Records {
			off := res.QueueOffsets[i]
			t.mu.Lock()
			decided := t.done[off]
			n := t.counts[off]
			t.mu.Unlock()
			if decided {
				continue
			}
			wait := timeout
			if v, ok := rec.Property(message.PropertyCheckImmunityTimeInSeconds); ok {
				if s, err := strconv.Atoi(string(v)); err == nil && s > 0 {
					wait = time.Duration(s) * time.Second
				}
			}
			if now.Sub(time.UnixMilli(rec.StoreTimestamp())) < wait {
				res.Release()
				t.advance()
				return // later half messages are younger
			}
			if n >= checkMax {
				t.discard(rec, off, n)
				continue
			}
			if t.check(rec, off) {
				t.mu.Lock()
				t.counts[off] = n + 1
				t.dirty = true
				t.mu.Unlock()
			}
		}
		from = res.NextBeginOffset
		res.Release()
		t.advance()
	}
}

// advance moves checkOffset past decided half offsets.
func (t *txChecker) advance() {
	t.mu.Lock()
	moved := false
	for t.done[t.checkOffset] {
		delete(t.done, t.checkOffset)
		delete(t.counts, t.checkOffset)
		t.checkOffset++
		moved = true
	}
	off := t.checkOffset
	t.mu.Unlock()
	if moved {
		t.b.offsets.Commit(group.SysTransConsumerGroup, halfTopic, 0, off)
	}
}

// advanceTo moves checkOffset to at least off (records below are gone).
func (t *txChecker) advanceTo(off int64) {
	t.mu.Lock()
	if off > t.checkOffset {
		for o := range t.done {
			if o < off {
				delete(t.done, o)
			}
		}
		t.checkOffset = off
	}
	t.mu.Unlock()
	t.b.offsets.Commit(group.SysTransConsumerGroup, halfTopic, 0, off)
}

// check sends CHECK_TRANSACTION_STATE for the half message to a live
// producer of its group; it reports whether one was found.
func (t *txChecker) check(rec message.Record, off int64) bool {
	b := t.b
	pg, _ := rec.Property(message.PropertyProducerGroup)
	h, ok := b.clients.Producers.Pick(string(pg))
	if !ok {
		b.log.Debug("transaction check: no live producer", "producerGroup", string(pg), "halfOffset", off)
		return false
	}
	var f message.Fields
	rec.Fields(&f)
	if v, ok := message.Property(f.Properties, message.PropertyRealTopic); ok {
		f.Topic = v
	}
	if v, ok := message.Property(f.Properties, message.PropertyRealQueueID); ok {
		if q, err := strconv.Atoi(string(v)); err == nil {
			f.QueueID = int32(q)
		}
	}
	body, err := message.AppendRecord(nil, &f)
	if err != nil {
		b.log.Error("transaction check: encode", "err", err)
		return false
	}
	uniq, _ := rec.Property(message.PropertyUniqKey)
	var cmd protocol.Command
	cmd.NewRequest(protocol.CheckTransactionState)
	(&protocol.CheckTransactionStateRequestHeader{
		TranStateTableOffset: off, CommitLogOffset: rec.PhysicalOffset(),
		MsgID: string(uniq), TransactionID: string(uniq),
		OffsetMsgID: string(message.AppendOffsetID(nil, rec.StoreHost(), rec.PhysicalOffset())),
	}).Encode(&cmd.Ext)
	cmd.Body = body
	if err := h.(*client).conn.InvokeOneway(&cmd); err != nil {
		b.log.Debug("transaction check: send", "producerGroup", string(pg), "err", err)
		return false
	}
	return true
}

// discard gives up on a half message checked checkMax times: a copy goes
// to TRANS_CHECK_MAX_TIME_TOPIC and an op record marks it decided.
func (t *txChecker) discard(rec message.Record, off int64, n int) {
	b := t.b
	var f message.Fields
	rec.Fields(&f)
	f.Topic = []byte(checkMaxTopic)
	f.QueueID = 0
	if _, _, err := b.topics.CreateSystemIfAbsent(checkMaxTopic, 1, topics.PermRead|topics.PermWrite); err != nil {
		b.log.Error("transaction discard", "err", err)
		return
	}
	if _, _, err := b.topics.CreateSystemIfAbsent(opTopic, 1, topics.PermRead|topics.PermWrite); err != nil {
		b.log.Error("transaction discard", "err", err)
		return
	}
	op := t.opFields(rec, off)
	if _, err := b.store.AppendBatch([]message.Fields{f, op}); err != nil {
		b.log.Error("transaction discard", "err", err)
		return
	}
	t.mu.Lock()
	t.done[off] = true
	delete(t.counts, off)
	t.dirty = true
	t.mu.Unlock()
	pg, _ := rec.Property(message.PropertyProducerGroup)
	uniq, _ := rec.Property(message.PropertyUniqKey)
	b.log.Warn("transaction dropped: no decision after the maximum number of checks",
		"producerGroup", string(pg), "msgId", string(uniq), "checks", n, "halfOffset", off, "keptOn", checkMaxTopic)
}

// persist writes the check counts if they changed.
func (t *txChecker) persist() error {
	t.mu.Lock()
	if !t.dirty {
		t.mu.Unlock()
		return nil
	}
	c := make(map[string]int, len(t.counts))
	for off, n := range t.counts {
		c[strconv.FormatInt(off, 10)] = n
	}
	t.dirty = false
	t.mu.Unlock()
	data, err := json.Marshal(c)
	if err == nil {
		err = fileutil.WriteAtomic(t.countPath, data, 0o644)
	}
	if err != nil {
		t.mu.Lock()
		t.dirty = true
		t.mu.Unlock()
	}
	return err
}
