package broker

import (
	"math/rand/v2"
	"strings"

	"github.com/quivermq/quiver/broker/topics"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// Retry and dead-letter queues (spec 5.4). A message a consumer gives up on
// comes back through CONSUMER_SEND_MSG_BACK: it is stored again on
// %RETRY%<group> with delay level 3 + reconsumeTimes and reconsumeTimes+1,
// and once reconsumeTimes reaches the group's maximum (16, or the request's)
// on %DLQ%<group> instead.
//
// NB: RocketMQ 4.9 creates %DLQ% topics readable (perm 6). Quiver creates
// them write-only: a consumer that subscribes to one gets NO_PERMISSION,
// while operators read dead letters with QUERY_MESSAGE/VIEW_MESSAGE_BY_ID,
// which do not check topic permissions.

// dlqPerm is the permission of %DLQ% topics.
const dlqPerm = topics.PermWrite

// consumerSendMsgBack serves CONSUMER_SEND_MSG_BACK (36).
func (b *Broker) consumerSendMsgBack(req *netio.Request) {
	cmd := req.Command()
	var h protocol.ConsumerSendMsgBackRequestHeader
	if err := h.Decode(&cmd.Ext); err != nil {
		_ = req.ReplyCode(protocol.SystemError, "bad CONSUMER_SEND_MSG_BACK header: "+err.Error())
		return
	}
	sg, ok := b.subs.Find(h.Group)
	if !ok {
		_ = req.ReplyCode(protocol.SubscriptionGroupNotExist, "subscription group not exist, "+h.Group)
		return
	}
	if !topics.IsWriteable(b.topics.BrokerPermission()) {
		_ = req.ReplyCode(protocol.NoPermission, "the broker["+b.cfg.BrokerName+"] sending message is forbidden")
		return
	}
	if sg.RetryQueueNums <= 0 {
		_ = req.ReplyCode(protocol.Success, "") // the group wants no retries
		return
	}
	storeHost := b.storeHost.Load()
	if storeHost == nil {
		_ = req.ReplyCode(protocol.SystemBusy, "the broker is starting")
		return
	}
	rec, pin, err := b.store.ReadByPhys(h.Offset)
	if err != nil {
		_ = req.ReplyCode(protocol.SystemError, "look message by offset failed, "+itoa(h.Offset)+": "+err.Error())
		return
	}
	defer pin.Release()
	if rec.IsFiller() {
		_ = req.ReplyCode(protocol.SystemError, "look message by offset failed, "+itoa(h.Offset))
		return
	}
	var f message.Fields
	rec.Fields(&f)

	maxTimes := int32(sg.RetryMaxTimes)
	if cmd.Version >= 121 && h.HasMaxReconsumeTimes { // V3_4_9 and later send their own
		maxTimes = h.MaxReconsumeTimes
	}
	props := make([]byte, 0, len(f.Properties)+128)
	if !message.HasProperty(f.Properties, message.PropertyRetryTopic) {
		props = message.AppendPropertiesWith(props, f.Properties, message.PropertyRetryTopic, f.Topic)
	} else {
		props = append(props, f.Properties...)
	}
	origin := h.OriginMsgID
	if v, ok := message.Property(props, message.PropertyOriginMessageID); ok && len(v) > 0 {
		origin = string(v)
	}
	if origin == "" {
		origin = string(message.AppendOffsetID(nil, f.StoreHost, f.PhysicalOffset))
	}
	props = message.AppendPropertiesWith(nil, props, message.PropertyOriginMessageID, origin)

	delayLevel := int(h.DelayLevel)
	var target string
	var qid int32
	if f.ReconsumeTimes >= maxTimes || delayLevel < 0 {
		target = topics.DLQTopic(h.Group)
		if _, created, err := b.topics.CreateSystemIfAbsent(target, topics.DLQQueueNums, dlqPerm); err != nil {
			replyErr(req, err)
			return
		} else if created {
			b.log.Info("dead-letter topic created", "topic", target)
		}
		props = message.AppendPropertiesExcept(nil, props, message.PropertyDelayTimeLevel)
		b.log.Info("message moved to the dead-letter queue", "group", h.Group, "topic", target,
			"originMsgId", origin, "reconsumeTimes", f.ReconsumeTimes, "max", maxTimes)
	} else {
		target = topics.RetryTopic(h.Group)
		var sysFlag int32
		if h.UnitMode {
			sysFlag = topics.TopicSysFlagUnitSub
		}
		tc, _, err := b.topics.CreateRetryTopicIfAbsent(target, int32(sg.RetryQueueNums), topics.PermRead|topics.PermWrite, sysFlag)
		if err != nil {
			replyErr(req, err)
			return
		}
		if !topics.IsWriteable(tc.Perm) {
			_ = req.ReplyCode(protocol.NoPermission, "the topic["+target+"] sending message is forbidden")
			return
		}
		qid = rand.Int32N(max(tc.WriteQueueNums, 1))
		if delayLevel == 0 {
			delayLevel = 3 + int(f.ReconsumeTimes)
		}
		props = message.AppendPropertiesWith(nil, props, message.PropertyDelayTimeLevel, itoa(int64(delayLevel)))
	}
	props = message.AppendPropertiesExcept(nil, props, message.PropertyWaitStoreMsgOK)

	f.Topic = []byte(target)
	f.QueueID = qid
	f.Properties = props
	f.ReconsumeTimes++
	f.StoreHost = *storeHost
	f.PreparedTransactionOffset = 0
	var buf []byte
	buf, _ = b.applyDelay(&f, buf)
	if _, err := b.store.Append(&f); err != nil {
		replyErr(req, err)
		return
	}
	_ = req.ReplyCode(protocol.Success, "")
}

// retryToDLQ applies RocketMQ's handleRetryAndDLQ to a SEND: a message sent
// to a %RETRY% topic whose reconsumeTimes reached the group's maximum goes to
// the group's %DLQ% topic instead. It returns the topic and queue to store
// to (unchanged when not applicable).
func (b *Broker) retryToDLQ(topic string, qid, reconsumeTimes int32, hasMax bool, maxTimes int32) (string, int32, error) {
	group, ok := strings.CutPrefix(topic, topics.RetryTopicPrefix)
	if !ok {
		return topic, qid, nil
	}
	sg, found := b.subs.Find(group)
	if !found {
		return "", 0, protocol.NewError(protocol.SubscriptionGroupNotExist, "subscription group not exist, "+group)
	}
	if !hasMax {
		maxTimes = int32(sg.RetryMaxTimes)
	}
	if reconsumeTimes < maxTimes {
		return topic, qid, nil
	}
	dlq := topics.DLQTopic(group)
	if _, _, err := b.topics.CreateSystemIfAbsent(dlq, topics.DLQQueueNums, dlqPerm); err != nil {
		return "", 0, err
	}
	return dlq, 0, nil
}
