package broker

import (
	"github.com/quivermq/quiver/broker/group"
	"github.com/quivermq/quiver/broker/topics"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// heartbeat serves HEART_BEAT (34): producer and consumer groups and their
// subscriptions. Each consumer group gets its subscription-group config
// (created when allowed) and its retry topic, as RocketMQ's
// ClientManageProcessor does; a change of a group's members or topics is
// pushed to its clients with NOTIFY_CONSUMER_IDS_CHANGED.
func (b *Broker) heartbeat(req *netio.Request) {
	cmd := req.Command()
	var hb protocol.HeartbeatData
	if err := protocol.UnmarshalBody(cmd.Body, &hb); err != nil {
		_ = req.ReplyCode(protocol.SystemError, "bad HEART_BEAT body: "+err.Error())
		return
	}
	if hb.ClientID == "" {
		_ = req.ReplyCode(protocol.SystemError, "HEART_BEAT without clientID")
		return
	}
	for i := range hb.ConsumerDataSet {
		cd := &hb.ConsumerDataSet[i]
		sg, ok := b.subs.Find(cd.GroupName)
		if !ok {
			continue
		}
		var sysFlag int32
		if cd.UnitMode {
			sysFlag = topics.TopicSysFlagUnitSub
		}
		retry := topics.RetryTopic(cd.GroupName)
		if _, created, err := b.topics.CreateRetryTopicIfAbsent(retry, sg.RetryQueueNums, topics.PermRead|topics.PermWrite, sysFlag); err != nil {
			b.log.Warn("create retry topic", "topic", retry, "err", err)
		} else if created {
			b.log.Info("retry topic created", "topic", retry)
		}
	}
	changes := b.clients.Heartbeat(b.clientOf(req.Conn()), protocol.LanguageCode(cmd.Language), cmd.Version, &hb)
	_ = req.ReplyCode(protocol.Success, "")
	var notify []string
	for _, c := range changes {
		if c.Notify() {
			notify = append(notify, c.Group)
		}
	}
	b.notifyIDsChanged(notify)
}

// unregisterClient serves UNREGISTER_CLIENT (35).
func (b *Broker) unregisterClient(req *netio.Request) {
	var h protocol.UnregisterClientRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	changed := b.clients.Unregister(h.ClientID, h.ProducerGroup, h.ConsumerGroup)
	_ = req.ReplyCode(protocol.Success, "")
	if changed {
		b.notifyIDsChanged([]string{h.ConsumerGroup})
	}
}

// consumerList serves GET_CONSUMER_LIST_BY_GROUP (38).
func (b *Broker) consumerList(req *netio.Request) {
	var h protocol.GetConsumerListByGroupRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	ids := b.clients.Consumers.ConsumerIDs(h.ConsumerGroup)
	if len(ids) == 0 {
		_ = req.ReplyCode(protocol.SystemError, "no consumer for this group, "+h.ConsumerGroup)
		return
	}
	b.replyBody(req, protocol.ConsumerListByGroupResponseBody{ConsumerIDList: ids})
}

// queryConsumerOffset serves QUERY_CONSUMER_OFFSET (14). A group with no
// stored offset on a queue that still starts at 0 is told 0 (RocketMQ's
// rule: a new group reads a young queue from its start); otherwise
// QUERY_NOT_FOUND, and the client applies its consumeFromWhere.
func (b *Broker) queryConsumerOffset(req *netio.Request) {
	var h protocol.QueryConsumerOffsetRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	group, topic := unsafeString(h.ConsumerGroup), unsafeString(h.Topic)
	off, ok := b.offsets.Query(group, topic, h.QueueID)
	if !ok {
		if b.store.MinOffset(topic, h.QueueID) > 0 {
			_ = req.ReplyCode(protocol.QueryNotFound, "Not found, maybe this group consumer boot first")
			return
		}
		off = 0
	}
	resp := req.Response(protocol.Success)
	(&protocol.QueryConsumerOffsetResponseHeader{Offset: off}).Encode(&resp.Ext)
	_ = req.Reply(resp)
}

// updateConsumerOffset serves UPDATE_CONSUMER_OFFSET (15); the table is
// persisted every flushConsumerOffsetInterval and at shutdown.
func (b *Broker) updateConsumerOffset(req *netio.Request) {
	var h protocol.UpdateConsumerOffsetRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	if h.CommitOffset < 0 {
		_ = req.ReplyCode(protocol.SystemError, "commitOffset "+itoa(h.CommitOffset)+" is negative")
		return
	}
	b.offsets.Commit(string(h.ConsumerGroup), string(h.Topic), h.QueueID, h.CommitOffset)
	_ = req.ReplyCode(protocol.Success, "")
}

// offsetQuery serves GET_MAX_OFFSET (30) and GET_MIN_OFFSET (31).
func (b *Broker) offsetQuery(req *netio.Request) {
	var h protocol.TopicQueueHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	var off int64
	if req.Command().Code == int32(protocol.GetMaxOffset) {
		off = b.store.MaxOffset(h.Topic, h.QueueID)
	} else {
		off = b.store.MinOffset(h.Topic, h.QueueID)
	}
	resp := req.Response(protocol.Success)
	(&protocol.OffsetResponseHeader{Offset: off}).Encode(&resp.Ext)
	_ = req.Reply(resp)
}

// searchOffset serves SEARCH_OFFSET_BY_TIMESTAMP (29).
func (b *Broker) searchOffset(req *netio.Request) {
	var h protocol.SearchOffsetRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	resp := req.Response(protocol.Success)
	(&protocol.OffsetResponseHeader{Offset: b.store.OffsetByTime(h.Topic, h.QueueID, h.Timestamp)}).Encode(&resp.Ext)
	_ = req.Reply(resp)
}

// earliestStoreTime serves GET_EARLIEST_MSG_STORETIME (32).
func (b *Broker) earliestStoreTime(req *netio.Request) {
	var h protocol.TopicQueueHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	ts, ok := b.store.EarliestStoreTime(h.Topic, h.QueueID)
	if !ok {
		ts = -1 // RocketMQ answers -1 for an empty queue
	}
	resp := req.Response(protocol.Success)
	(&protocol.GetEarliestMsgStoreTimeResponseHeader{Timestamp: ts}).Encode(&resp.Ext)
	_ = req.Reply(resp)
}

// lockBatch serves LOCK_BATCH_MQ (41): the queues now held by the client.
func (b *Broker) lockBatch(req *netio.Request) {
	var body protocol.LockBatchRequestBody
	if err := protocol.UnmarshalBody(req.Command().Body, &body); err != nil {
		_ = req.ReplyCode(protocol.SystemError, "bad LOCK_BATCH_MQ body: "+err.Error())
		return
	}
	locked := b.locks.LockBatch(body.ConsumerGroup, body.ClientID, body.MQSet)
	b.replyBody(req, protocol.LockBatchResponseBody{LockOKMQSet: locked})
}

// unlockBatch serves UNLOCK_BATCH_MQ (42).
func (b *Broker) unlockBatch(req *netio.Request) {
	var body protocol.UnlockBatchRequestBody
	if err := protocol.UnmarshalBody(req.Command().Body, &body); err != nil {
		_ = req.ReplyCode(protocol.SystemError, "bad UNLOCK_BATCH_MQ body: "+err.Error())
		return
	}
	b.locks.UnlockBatch(body.ConsumerGroup, body.ClientID, body.MQSet)
	_ = req.ReplyCode(protocol.Success, "")
}

// replyBody answers SUCCESS with v as a JSON body.
func (b *Broker) replyBody(req *netio.Request, v any) {
	data, err := protocol.MarshalBody(v)
	if err != nil {
		replyErr(req, err)
		return
	}
	resp := req.Response(protocol.Success)
	resp.Body = data
	_ = req.Reply(resp)
}

// checkClientConfig serves CHECK_CLIENT_CONFIG (46), which the Java client
// sends at start: a SQL92 subscription is refused here, before any pull,
// when the broker does not filter by SQL92 or the expression does not
// parse.
func (b *Broker) checkClientConfig(req *netio.Request) {
	var body protocol.CheckClientRequestBody
	if err := protocol.UnmarshalBody(req.Command().Body, &body); err != nil {
		_ = req.ReplyCode(protocol.SystemError, "bad CHECK_CLIENT_CONFIG body: "+err.Error())
		return
	}
	sd := body.SubscriptionData
	sub := group.NewSubscription(sd.Topic, sd.SubString, sd.ExpressionType, sd.SubVersion)
	if _, code, remark := b.sqlFilter(sub); code != protocol.Success {
		_ = req.ReplyCode(code, remark)
		return
	}
	_ = req.ReplyCode(protocol.Success, "")
}
