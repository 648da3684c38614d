package broker

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"

	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/broker/topics"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// sendScratch is the per-send scratch: the header, the record fields and
// the properties with the broker's additions. Pooled: sends run on every
// event loop at once.
type sendScratch struct {
	h     protocol.SendMessageRequestHeader
	f     message.Fields
	props []byte
	delay []byte // properties rewritten for a delay level
	items []message.Fields
	msgID []byte
}

var sendPool = sync.Pool{New: func() any { return new(sendScratch) }}

var retryPrefix = []byte(topics.RetryTopicPrefix)

// send serves SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and
// SEND_BATCH_MESSAGE (320).
func (b *Broker) send(req *netio.Request) {
	cmd := req.Command()
	code := protocol.RequestCode(cmd.Code)
	b.count.sendRequests.Add(1)
	s := sendPool.Get().(*sendScratch)
	defer sendPool.Put(s)
	h := &s.h
	*h = protocol.SendMessageRequestHeader{}
	if err := h.DecodeFor(code, &cmd.Ext); err != nil {
		_ = req.ReplyCode(protocol.SystemError, "bad SEND_MESSAGE header: "+err.Error())
		return
	}
	storeHost := b.storeHost.Load()
	if storeHost == nil {
		_ = req.ReplyCode(protocol.SystemBusy, "the broker is starting")
		return
	}
	cl := b.clientOf(req.Conn())
	if !topics.IsWriteable(b.topics.BrokerPermission()) {
		_ = req.ReplyCode(protocol.NoPermission, "the broker["+b.cfg.BrokerName+"] sending message is forbidden")
		return
	}
	tc, created, err := b.topics.CheckSend(topics.SendCheck{
		Topic: unsafeString(h.Topic), QueueID: h.QueueID, DefaultTopic: unsafeString(h.DefaultTopic),
		DefaultTopicQueueNums: h.DefaultTopicQueueNums, UnitMode: h.UnitMode, Producer: cl.remote,
	})
	if err != nil {
		replyErr(req, err)
		return
	}
	if created {
		b.log.Info("topic created on send", "topic", tc.TopicName, "queues", tc.WriteQueueNums, "producer", cl.remote)
	}
	qid := h.QueueID
	if qid < 0 {
		qid = rand.Int32N(tc.WriteQueueNums)
	}
	if len(h.Properties) > message.MaxPropertiesLen {
		_ = req.ReplyCode(protocol.MessageIllegal, fmt.Sprintf("the message properties length %d is over the maximum %d", len(h.Properties), message.MaxPropertiesLen))
		return
	}
	if len(cmd.Body) > b.cfg.MaxMessageSize {
		_ = req.ReplyCode(protocol.MessageIllegal, fmt.Sprintf("the message body size %d is over the maximum %d (maxMessageSize)", len(cmd.Body), b.cfg.MaxMessageSize))
		return
	}
	// Properties as stored: the producer's, with the broker's cluster
	// name (Java 4.9 adds CLUSTER on every send).
	s.props = message.AppendPropertiesWith(s.props[:0], h.Properties, message.PropertyCluster, b.cfg.BrokerClusterName)
	reroute, noWait := scanSendProperties(h.Properties)
	wait := b.cfg.FlushDiskType == conf.SyncFlush && !noWait
	born := bornHost(req.RemoteAddr())

	var res engine.AppendResult
	var n int
	if code == protocol.SendBatchMessage || h.Batch {
		n, res, err = b.appendBatch(s, cmd.Body, qid, born, *storeHost)
	} else {
		n = 1
		s.f = message.Fields{
			Version: message.V1, Topic: h.Topic, QueueID: qid, Flag: h.Flag,
			SysFlag: h.SysFlag, BornTimestamp: h.BornTimestamp, BornHost: born, StoreHost: *storeHost,
			ReconsumeTimes: h.ReconsumeTimes, Body: cmd.Body, Properties: s.props,
		}
		if bytes.HasPrefix(h.Topic, retryPrefix) {
			topic, q, err := b.retryToDLQ(string(h.Topic), qid, h.ReconsumeTimes, h.HasMaxReconsumeTimes, h.MaxReconsumeTimes)
			if err != nil {
				replyErr(req, err)
				return
			}
			s.f.Topic, s.f.QueueID = []byte(topic), q
		}
		if reroute {
			if err := b.reroute(s, &s.f); err != nil {
				replyErr(req, err)
				return
			}
		}
		res, err = b.store.Append(&s.f)
	}
	if err != nil {
		b.count.sendErrors.Add(1)
		replyErr(req, err)
		return
	}
	b.count.sendMessages.Add(int64(n))
	b.count.sendBytes.Add(int64(len(cmd.Body)))
	s.msgID = appendMsgIDs(s.msgID[:0], *storeHost, res, n, s.items)
	clear(s.items) // the pooled scratch must not keep the request's memory
	if !wait {
		resp := req.Response(protocol.Success)
		encodeSendResponse(resp, s.msgID, qid, res.QueueOffset, b.cfg)
		_ = req.Reply(resp)
		return
	}
	// SYNC_FLUSH: answer once the flush covers the record (group commit),
	// from the flusher's goroutine; the event loop goes on.
	r := req.Responder()
	id := string(s.msgID)
	offset := res.QueueOffset
	b.store.WaitFlushed(res.End, func(err error) {
		if err != nil {
			respondErr(r, err)
			return
		}
		var resp protocol.Command
		resp.Code = int32(protocol.Success)
		encodeSendResponse(&resp, []byte(id), qid, offset, b.cfg)
		_ = r.Reply(&resp)
	})
}

// reroute parks f on the transaction, timer or schedule topic when its
// properties ask for it (in that order of precedence), building the new
// properties in s.delay.
func (b *Broker) reroute(s *sendScratch, f *message.Fields) error {
	var prepared, timed bool
	var err error
	if s.delay, prepared, err = b.applyPrepared(f, s.delay[:0]); err != nil || prepared {
		return err
	}
	if s.delay, timed, err = b.applyTimer(f, s.delay); err != nil || timed {
		return err
	}
	s.delay, _ = b.applyDelay(f, s.delay)
	return nil
}

// scanSendProperties walks a send's properties once and reports whether
// any of them can park the message elsewhere (TRAN_MSG, a timer or a
// delay level: applyPrepared, applyTimer, applyDelay look them up) and
// whether WAIT is "false". Duplicates: the last WAIT wins, as in Property.
//
// NB: one pass instead of seven lookups per send. message.Property and
// the byte scans under it were 4.7% of the broker's perf samples under
// pipelined 1 KiB sends, the dispatcher's index-key lookups included.
func scanSendProperties(props []byte) (reroute, noWait bool) {
	it := message.NewPropertyIter(props)
	for {
		k, v, ok := it.Next()
		if !ok {
			return reroute, noWait
		}
		switch string(k) {
		case message.PropertyTransactionPrepared, message.PropertyDelayTimeLevel,
			message.PropertyTimerDeliverMS, message.PropertyTimerDelaySec,
			message.PropertyTimerDelayMS, message.PropertyStartDeliverTime:
			reroute = true
		case message.PropertyWaitStoreMsgOK:
			noWait = string(v) == "false"
		}
	}
}

// appendBatch appends the items of a SEND_BATCH_MESSAGE body, each with
// the batch's properties joined to its own (as the Java broker does).
func (b *Broker) appendBatch(s *sendScratch, body []byte, qid int32, born, storeHost message.Host) (int, engine.AppendResult, error) {
	h := &s.h
	if len(h.Topic) > len(topics.RetryTopicPrefix) && string(h.Topic[:len(topics.RetryTopicPrefix)]) == topics.RetryTopicPrefix {
		return 0, engine.AppendResult{}, protocol.NewError(protocol.MessageIllegal, "retry group is not supported for batching")
	}
	it := message.NewBatchIter(body)
	s.items = s.items[:0]
	var item message.BatchItem
	// Each item's properties are item props + batch props; they are laid
	// out one after another in one buffer, sliced after it stops growing.
	joined := s.props[len(s.props):]
	var spans []int
	for it.Next(&item) {
		start := len(joined)
		joined = message.JoinProperties(joined, item.Properties, s.props)
		spans = append(spans, start, len(joined))
		s.items = append(s.items, message.Fields{
			Version: message.V1, Topic: h.Topic, QueueID: qid, Flag: item.Flag,
			SysFlag: h.SysFlag, BornTimestamp: h.BornTimestamp, BornHost: born, StoreHost: storeHost,
			ReconsumeTimes: h.ReconsumeTimes, Body: item.Body,
		})
	}
	if err := it.Err(); err != nil {
		return 0, engine.AppendResult{}, protocol.NewError(protocol.MessageIllegal, "bad batch body: "+err.Error())
	}
	if len(s.items) == 0 {
		return 0, engine.AppendResult{}, protocol.NewError(protocol.MessageIllegal, "empty batch")
	}
	for i := range s.items {
		p := joined[spans[2*i]:spans[2*i+1]]
		if len(p) > message.MaxPropertiesLen {
			return 0, engine.AppendResult{}, protocol.NewError(protocol.MessageIllegal, fmt.Sprintf("batch item %d: properties of %d bytes over the maximum %d", i, len(p), message.MaxPropertiesLen))
		}
		if _, ok := message.Property(p, message.PropertyDelayTimeLevel); ok {
			return 0, engine.AppendResult{}, protocol.NewError(protocol.MessageIllegal, "a batch may not carry delayed messages (DELAY)")
		}
		s.items[i].Properties = p
	}
	res, err := b.store.AppendBatch(s.items)
	return len(s.items), res, err
}

// appendMsgIDs appends the offset message id of each appended record to dst,
// comma-separated for a batch (as RocketMQ answers a batch).
func appendMsgIDs(dst []byte, storeHost message.Host, res engine.AppendResult, n int, items []message.Fields) []byte {
	if n == 1 {
		return message.AppendOffsetID(dst, storeHost, res.Phys)
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = message.AppendOffsetID(dst, storeHost, items[i].PhysicalOffset)
	}
	return dst
}

func encodeSendResponse(resp *protocol.Command, msgID []byte, qid int32, queueOffset int64, cfg *conf.Config) {
	rh := protocol.SendMessageResponseHeader{MsgID: msgID, QueueID: qid, QueueOffset: queueOffset,
		MsgRegion: unsafeBytes(cfg.RegionID), TraceOn: cfg.TraceOn}
	rh.Encode(&resp.Ext)
}

// bornHost is the producer's address as a record stores it.
func bornHost(a net.Addr) message.Host {
	if ta, ok := a.(*net.TCPAddr); ok {
		return message.HostFrom(ta.AddrPort())
	}
	return message.Host{}
}
