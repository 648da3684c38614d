package broker

// Topic admin codes (4.9.4 AdminBrokerProcessor updateAndCreateTopic,
// deleteTopic, getAllTopicConfig, getTopicStatsInfo,
// queryTopicConsumeByWho).

import (
	"fmt"
	"slices"

	"github.com/quivermq/quiver/broker/topics"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// updateAndCreateTopic serves UPDATE_AND_CREATE_TOPIC (17): the topic's
// configuration is replaced by the header's, written to topics.json, and
// the broker re-registers with the name servers. The answer goes out once
// the file is written. Refusals (SYSTEM_ERROR with TopicValidator's
// remarks): an invalid name, a system topic (TBW102, SCHEDULE_TOPIC_XXXX,
// the cluster and broker names, rmq_sys_*...), a negative queue count or
// one over engine.MaxQueueID (Java has no upper bound), a perm outside
// 0..15, a topicFilterType other than SINGLE_TAG/MULTI_TAG.
//
// NB: the header's order flag is stored, as 5.x does; 4.9.4 ignored it
// and took order from the name server's ORDER_TOPIC_CONFIG.
func (a *admin) updateAndCreateTopic(req *netio.Request) {
	if a.refuseOnSlave(req) {
		return
	}
	var h protocol.CreateTopicRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	if h.ReadQueueNums > engine.MaxQueueID || h.WriteQueueNums > engine.MaxQueueID {
		_ = req.ReplyCode(protocol.SystemError, fmt.Sprintf("topic[%s] queue nums read %d, write %d: the most a topic may have is %d",
			h.Topic, h.ReadQueueNums, h.WriteQueueNums, engine.MaxQueueID))
		return
	}
	cfg := protocol.TopicConfig{
		TopicName: h.Topic, ReadQueueNums: h.ReadQueueNums, WriteQueueNums: h.WriteQueueNums,
		Perm: h.Perm, TopicFilterType: h.TopicFilterType, TopicSysFlag: h.TopicSysFlag, Order: h.Order,
	}
	if err := a.topics.CreateOrUpdate(cfg); err != nil {
		a.log.Warn("UPDATE_AND_CREATE_TOPIC refused", "topic", h.Topic, "from", req.RemoteAddr().String(), "err", err)
		replyErr(req, err)
		return
	}
	a.log.Info("topic created or updated by admin", "topic", h.Topic, "read", h.ReadQueueNums,
		"write", h.WriteQueueNums, "perm", topics.PermString(h.Perm), "from", req.RemoteAddr().String())
	a.answerPersisted(req, "topic "+h.Topic, a.kickRegistration)
}

// deleteTopic serves DELETE_TOPIC_IN_BROKER (215): the topic's
// configuration and every group's consumer offsets of it are removed and
// written, and the broker re-registers. Deleting a topic that does not
// exist succeeds, as in Java; system topics are refused.
//
// NB: the topic's consume queues and index entries stay on disk (the
// engine cannot drop one topic's queues yet); its records go with the
// commit-log segments they are in, by retention. A topic created again
// with the same name sees its old queue offsets.
func (a *admin) deleteTopic(req *netio.Request) {
	if a.refuseOnSlave(req) {
		return
	}
	var h protocol.DeleteTopicRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	deleted, err := a.topics.Delete(h.Topic)
	if err != nil {
		a.log.Warn("DELETE_TOPIC_IN_BROKER refused", "topic", h.Topic, "from", req.RemoteAddr().String(), "err", err)
		replyErr(req, err)
		return
	}
	a.offsets.RemoveTopic(h.Topic)
	a.log.Info("topic deleted by admin", "topic", h.Topic, "existed", deleted, "from", req.RemoteAddr().String())
	topic := h.Topic
	// The topic's consume queues go too (RocketMQ's cleanUnusedTopic): a
	// topic created again under the name starts empty.
	a.answerPersistedWith(req, "delete of topic "+topic, func() error {
		_, err := a.store.DeleteTopic(topic)
		return err
	}, a.kickRegistration)
}

// allTopicConfig serves GET_ALL_TOPIC_CONFIG (21): the topic table as
// topics.json holds it ({"topicConfigTable":{...},"dataVersion":{...}}).
// Slaves copy their master's table with it.
func (a *admin) allTopicConfig(req *netio.Request) {
	a.replyBody(req, a.topics.All())
}

// topicStats serves GET_TOPIC_STATS_INFO (202): for each write queue, the
// min and max offsets and the store time of the last message
// (TopicStatsTable); TOPIC_NOT_EXIST for an unknown topic.
func (a *admin) topicStats(req *netio.Request) {
	var h protocol.GetTopicStatsInfoRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	tc, ok := a.topics.Get(h.Topic)
	if !ok {
		_ = req.ReplyCode(protocol.TopicNotExist, "topic["+h.Topic+"] not exist")
		return
	}
	st := protocol.TopicStatsTable{OffsetTable: make(map[protocol.MessageQueue]protocol.TopicOffset, tc.WriteQueueNums)}
	for q := int32(0); q < min(tc.WriteQueueNums, engine.MaxQueueID); q++ {
		minOff, maxOff := a.store.MinOffset(h.Topic, q), a.store.MaxOffset(h.Topic, q)
		var last int64
		if maxOff > 0 {
			last = a.storeTimeAt(h.Topic, q, maxOff-1)
		}
		mq := protocol.MessageQueue{Topic: h.Topic, BrokerName: a.cfg.BrokerName, QueueID: q}
		st.OffsetTable[mq] = protocol.TopicOffset{MinOffset: max(minOff, 0), MaxOffset: max(maxOff, 0), LastUpdateTimestamp: last}
	}
	a.replyBody(req, st)
}

// storeTimeAt returns the store time (ms) of the message at queue offset
// off of (topic, queueID), or 0 when it cannot be read.
func (a *admin) storeTimeAt(topic string, queueID int32, off int64) int64 {
	if off < 0 {
		return 0
	}
	res, err := a.store.GetMessages(topic, queueID, off, 1, 1, nil)
	if err != nil {
		return 0
	}
	defer res.Release()
	if len(res.Records) == 0 || res.QueueOffsets[0] != off {
		return 0
	}
	return res.Records[0].StoreTimestamp()
}

// topicConsumedByWho serves QUERY_TOPIC_CONSUME_BY_WHO (300): the groups
// online with a subscription to the topic, and the groups that have
// consumer offsets of it (GroupList, sorted).
func (a *admin) topicConsumedByWho(req *netio.Request) {
	var h protocol.QueryTopicConsumeByWhoRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	groups := append(a.clients.Consumers.GroupsByTopic(h.Topic), a.offsets.GroupsOfTopic(h.Topic)...)
	slices.Sort(groups)
	a.replyBody(req, protocol.GroupList{GroupList: slices.Compact(groups)})
}
