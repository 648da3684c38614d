package broker

import (
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/broker/filter"
	"github.com/quivermq/quiver/broker/group"
	"github.com/quivermq/quiver/broker/topics"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// pullTask is a PULL_MESSAGE being served: the request's fields, copied so
// that a parked pull outlives its handler.
type pullTask struct {
	resp     replier // set once parked: the request's Responder
	group    string
	topic    string
	qid      int32
	offset   int64 // where the next read starts; a parked pull advances it past records its filter refused
	skipped  bool  // offset was advanced past refused records
	maxMsgs  int
	maxBytes int
	sub      *group.Subscription // nil: every record
	sql      *filter.Expr        // a SQL92 subscription's expression
	deadline time.Time
	answered atomic.Bool
	idx      int // in the deadline heap; -1 when not in it
}

// replier is what answers a pull: the request on its event loop, or the
// parked pull's Responder on any goroutine.
type replier interface {
	Reply(*protocol.Command) error
	ReplyParts(*protocol.Command, [][]byte, func(error)) error
}

// pull serves PULL_MESSAGE (11), RocketMQ's PullMessageProcessor: checks,
// the read, and the long poll when there is nothing to return.
func (b *Broker) pull(req *netio.Request) {
	cmd := req.Command()
	b.count.pullRequests.Add(1)
	var h protocol.PullMessageRequestHeader
	if err := h.Decode(&cmd.Ext); err != nil {
		_ = req.ReplyCode(protocol.SystemError, "bad PULL_MESSAGE header: "+err.Error())
		return
	}
	if !topics.IsReadable(b.topics.BrokerPermission()) {
		_ = req.ReplyCode(protocol.NoPermission, "the broker["+b.cfg.BrokerName+"] pulling message is forbidden")
		return
	}
	groupName, topic := string(h.ConsumerGroup), string(h.Topic)
	sg, ok := b.subs.Find(groupName)
	if !ok {
		_ = req.ReplyCode(protocol.SubscriptionGroupNotExist, "subscription group ["+groupName+"] does not exist")
		return
	}
	if !sg.ConsumeEnable {
		_ = req.ReplyCode(protocol.NoPermission, "subscription group no permission, "+groupName)
		return
	}
	tc, ok := b.topics.Get(topic)
	if !ok {
		_ = req.ReplyCode(protocol.TopicNotExist, "topic["+topic+"] not exist, apply first please!")
		return
	}
	if !topics.IsReadable(tc.Perm) {
		_ = req.ReplyCode(protocol.NoPermission, "the topic["+topic+"] pulling message is forbidden")
		return
	}
	if h.QueueID < 0 || h.QueueID >= tc.ReadQueueNums {
		_ = req.ReplyCode(protocol.SystemError, "queueId["+itoa(int64(h.QueueID))+"] is illegal, topic:["+topic+"] topicConfig.readQueueNums:["+itoa(int64(tc.ReadQueueNums))+"] consumer:["+req.RemoteAddr().String()+"]")
		return
	}

	var sub *group.Subscription
	if h.SysFlag&protocol.PullFlagSubscription != 0 {
		// The Java client may send its subscription with the pull.
		sub = group.NewSubscription(topic, string(h.Subscription), string(h.ExpressionType), h.SubVersion)
	} else {
		cg := b.clients.Consumers.Lookup(groupName)
		if cg == nil {
			_ = req.ReplyCode(protocol.SubscriptionNotExist, "the consumer's group info not exist: "+groupName)
			return
		}
		if cg.MessageModel == protocol.MessageModelBroadcasting && !sg.ConsumeBroadcastEnable {
			_ = req.ReplyCode(protocol.NoPermission, "the consumer group["+groupName+"] can not consume by broadcast way")
			return
		}
		if sub, ok = cg.Subscription(topic); !ok {
			_ = req.ReplyCode(protocol.SubscriptionNotExist, "the consumer's subscription not exist: group "+groupName+", topic "+topic)
			return
		}
		if sub.SubVersion < h.SubVersion {
			_ = req.ReplyCode(protocol.SubscriptionNotLatest, "the consumer's subscription not latest")
			return
		}
	}
	sql, code, remark := b.sqlFilter(sub)
	if code != protocol.Success {
		_ = req.ReplyCode(code, remark)
		return
	}
	if sql != nil || sub.All() {
		sub = nil // no tag filter
	}

	t := &pullTask{group: groupName, topic: topic, qid: h.QueueID, offset: h.QueueOffset, sub: sub, sql: sql, idx: -1}
	t.maxMsgs = min(int(h.MaxMsgNums), b.cfg.MaxTransferCountOnMessageInMemory)
	t.maxBytes = b.cfg.MaxTransferBytesOnMessageInMemory
	if h.MaxMsgBytes > 0 {
		t.maxBytes = min(t.maxBytes, int(h.MaxMsgBytes))
	}
	var hold time.Duration
	if h.SysFlag&protocol.PullFlagSuspend != 0 {
		hold = time.Duration(h.SuspendTimeoutMillis) * time.Millisecond
		if !b.cfg.LongPollingEnable {
			hold = b.cfg.ShortPollingTime
		}
	}
	if h.SysFlag&protocol.PullFlagCommitOffset != 0 && h.CommitOffset >= 0 {
		b.offsets.Commit(groupName, topic, h.QueueID, h.CommitOffset)
	}
	if b.serve(t, req, req.Response(protocol.Success)) {
		return
	}
	if hold <= 0 {
		b.answerEmpty(t, req, req.Response(protocol.Success))
		return
	}
	t.deadline = time.Now().Add(hold)
	b.holds.parkWith(t, req.Responder())
}

// serve reads for t and answers if there is something to return or the
// request cannot be served; it reports false (nothing sent) when the pull
// should wait for new records. resp is the command to fill.
func (b *Broker) serve(t *pullTask, r replier, resp *protocol.Command) bool {
	var filter func(int64) bool
	if t.sub != nil {
		filter = t.sub.MatchTagsCode
	}
	res, err := b.store.GetMessages(t.topic, t.qid, t.offset, t.maxMsgs, t.maxBytes, filter)
	if err != nil {
		code, remark := responseFor(err)
		resp.Code = int32(code)
		resp.SetRemark(remark)
		_ = r.Reply(resp)
		return true
	}
	status := res.Status
	switch {
	case status != engine.Found:
	case t.sub != nil:
		status = b.recheckTags(t.sub, res)
	case t.sql != nil:
		status = keepRecords(res, func(rec message.Record) bool { return t.sql.Match(rec.Properties()) })
	}
	rh := protocol.PullMessageResponseHeader{NextBeginOffset: res.NextBeginOffset, MinOffset: res.MinOffset, MaxOffset: res.MaxOffset}
	switch status {
	case engine.Found:
		resp.Code = int32(protocol.Success)
		resp.SetRemark("FOUND")
		rh.Encode(&resp.Ext)
		parts := recordParts(res.Records)
		b.count.pullFound.Add(1)
		b.count.pullMessages.Add(int64(len(res.Records)))
		for _, p := range parts {
			b.count.pullBytes.Add(int64(len(p)))
		}
		if err := r.ReplyParts(resp, parts, func(error) { res.Release() }); err != nil {
			// ReplyParts calls done on its failures too.
			b.log.Debug("pull reply", "err", err)
		}
		return true
	case engine.OffsetTooSmall, engine.OffsetOverflowBadly:
		res.Release()
		b.log.Warn("pull offset moved", "group", t.group, "topic", t.topic, "queue", t.qid,
			"from", t.offset, "to", rh.NextBeginOffset, "status", status.String())
		resp.Code = int32(protocol.PullOffsetMoved)
		resp.SetRemark(status.String())
		rh.Encode(&resp.Ext)
		_ = r.Reply(resp)
		return true
	case engine.NoMatchedMessage:
		// Records were scanned and refused: the pull waits from past them.
		t.offset = res.NextBeginOffset
		t.skipped = true
	}
	// NO_MESSAGE_IN_QUEUE, OFFSET_OVERFLOW_ONE, OFFSET_FOUND_NULL,
	// NO_MATCHED_MESSAGE: nothing to send yet.
	//
	// NB: Java answers NO_MESSAGE_IN_QUEUE at a nonzero offset with
	// PULL_OFFSET_MOVED to 0. An empty queue below the consumer's offset
	// is what a consume queue not yet rebuilt looks like, and moving the
	// group to 0 would redeliver everything once it is. Quiver treats it
	// as "nothing new" and keeps the consumer's offset.
	res.Release()
	return false
}

// answerEmpty answers t with nothing at its current offset (the end of a
// long poll, or a pull that did not ask to wait): PULL_RETRY_IMMEDIATELY
// if the offset moved past records the filter refused (RocketMQ's answer
// to NO_MATCHED_MESSAGE: the client moves on at once), else
// PULL_NOT_FOUND.
func (b *Broker) answerEmpty(t *pullTask, r replier, resp *protocol.Command) {
	minOff, maxOff := b.store.MinOffset(t.topic, t.qid), b.store.MaxOffset(t.topic, t.qid)
	rh := protocol.PullMessageResponseHeader{NextBeginOffset: t.offset, MinOffset: minOff, MaxOffset: maxOff}
	if t.skipped {
		resp.Code = int32(protocol.PullRetryImmediately)
		resp.SetRemark("NO_MATCHED_MESSAGE")
	} else {
		resp.Code = int32(protocol.PullNotFound)
		resp.SetRemark("OFFSET_OVERFLOW_ONE")
	}
	rh.Encode(&resp.Ext)
	_ = r.Reply(resp)
}

// recheckTags drops the records whose tag hash matched but whose tag does
// not (hash collisions), so a tag filter is exact. It returns
// NoMatchedMessage if none is left.
func (b *Broker) recheckTags(sub *group.Subscription, res *engine.GetResult) engine.GetStatus {
	return keepRecords(res, func(rec message.Record) bool { return sub.MatchTag(unsafeString(rec.Tags())) })
}

// keepRecords drops the records of res that keep refuses and returns
// NoMatchedMessage if none is left. The dropped records stay pinned until
// res is released, which is harmless.
func keepRecords(res *engine.GetResult, keep func(message.Record) bool) engine.GetStatus {
	k := 0
	for _, rec := range res.Records {
		if keep(rec) {
			res.Records[k] = rec
			k++
		}
	}
	if k == len(res.Records) {
		return engine.Found
	}
	clear(res.Records[k:])
	res.Records = res.Records[:k]
	if k == 0 {
		return engine.NoMatchedMessage
	}
	return engine.Found
}

// recordParts returns the records as writev parts, joining records that lie
// next to each other in the mapping (the usual case) into one part.
func recordParts(recs []message.Record) [][]byte {
	parts := make([][]byte, 0, len(recs))
	for _, r := range recs {
		if n := len(parts); n > 0 {
			p := parts[n-1]
			if len(p) < cap(p) && &p[:len(p)+1][len(p)] == &r[0] && cap(p)-len(p) >= len(r) {
				parts[n-1] = p[:len(p)+len(r)]
				continue
			}
		}
		parts = append(parts, r)
	}
	return parts
}

// sqlFilter returns the compiled expression of a SQL92 subscription (nil
// for a TAG one), or the response code and remark that refuse the pull:
// SQL92 with enablePropertyFilter off, an expression that does not parse
// (SUBSCRIPTION_PARSE_FAILED, with where and why), an unknown type.
func (b *Broker) sqlFilter(sub *group.Subscription) (*filter.Expr, protocol.ResponseCode, string) {
	switch {
	case sub.IsTag() || sub.Type == "":
		return nil, protocol.Success, ""
	case sub.Type != protocol.ExpressionSQL92:
		return nil, protocol.SystemError, "the broker does not support consumer to filter message by " + sub.Type
	case !b.cfg.EnablePropertyFilter:
		return nil, protocol.SystemError, "the broker does not support consumer to filter message by SQL92: enablePropertyFilter=false"
	}
	if sub.Compiled == nil && sub.CompileErr == nil {
		// A subscription sent with the pull: compiled here, once per pull.
		sub.Compiled, sub.CompileErr = filter.Compile(sub.Expression)
	}
	if sub.CompileErr != nil {
		return nil, protocol.SubscriptionParseFailed, "parse the consumer's subscription[" + sub.Expression + "] failed: " + sub.CompileErr.Error()
	}
	expr, ok := sub.Compiled.(*filter.Expr)
	if !ok {
		return nil, protocol.SystemError, "SQL92 subscription not compiled"
	}
	return expr, protocol.Success, ""
}
