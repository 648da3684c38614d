package broker

// Consumer- and producer-group admin codes (4.9.4 AdminBrokerProcessor
// updateAndCreateSubscriptionGroup, getAllSubscriptionGroup,
// deleteSubscriptionGroup, getConsumerConnectionList,
// getProducerConnectionList, getConsumeStats, getAllConsumerOffset,
// cloneGroupOffset).

import (
	"github.com/quivermq/quiver/broker/group"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// updateAndCreateSubscriptionGroup serves UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
// (200): the body is a SubscriptionGroupConfig (absent fields take Java's
// defaults); it replaces the group's configuration and is written to
// subscriptionGroup.json before the answer. Java answers SUCCESS to an
// empty or unreadable body without changing anything; Quiver says what is
// wrong (SYSTEM_ERROR).
func (a *admin) updateAndCreateSubscriptionGroup(req *netio.Request) {
	if a.refuseOnSlave(req) {
		return
	}
	body := req.Command().Body
	if len(body) == 0 {
		_ = req.ReplyCode(protocol.SystemError, "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP without a body: send the SubscriptionGroupConfig as JSON")
		return
	}
	var sg protocol.SubscriptionGroupConfig
	if err := protocol.UnmarshalBody(body, &sg); err != nil {
		_ = req.ReplyCode(protocol.SystemError, "bad UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body: "+err.Error())
		return
	}
	switch {
	case sg.GroupName == "":
		_ = req.ReplyCode(protocol.SystemError, "the subscription group config has no groupName")
		return
	case sg.RetryQueueNums < 0:
		_ = req.ReplyCode(protocol.SystemError, "the subscription group ["+sg.GroupName+"] retryQueueNums "+itoa(int64(sg.RetryQueueNums))+" is negative")
		return
	}
	if err := a.subs.Put(sg); err != nil {
		replyErr(req, err)
		return
	}
	a.log.Info("subscription group created or updated by admin", "group", sg.GroupName, "from", req.RemoteAddr().String())
	a.answerPersisted(req, "subscription group "+sg.GroupName, nil)
}

// allSubscriptionGroups serves GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): the
// group table as subscriptionGroup.json holds it.
func (a *admin) allSubscriptionGroups(req *netio.Request) {
	a.replyBody(req, a.subs.All())
}

// deleteSubscriptionGroup serves DELETE_SUBSCRIPTIONGROUP (207): the
// group's configuration is removed (and its consumer offsets, with
// removeOffset=true) and the change written before the answer. Deleting
// an unknown group succeeds, as in Java. A group that is still consuming
// is auto-created again at its next heartbeat when
// autoCreateSubscriptionGroup is on.
func (a *admin) deleteSubscriptionGroup(req *netio.Request) {
	if a.refuseOnSlave(req) {
		return
	}
	var h protocol.DeleteSubscriptionGroupRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	existed := a.subs.Delete(h.GroupName)
	if h.RemoveOffset {
		a.offsets.RemoveGroup(h.GroupName)
	}
	a.log.Info("subscription group deleted by admin", "group", h.GroupName, "existed", existed,
		"removeOffset", h.RemoveOffset, "from", req.RemoteAddr().String())
	a.answerPersisted(req, "delete of subscription group "+h.GroupName, nil)
}

// consumerConnections serves GET_CONSUMER_CONNECTION_LIST (203): the
// group's live connections, its consume type, model and start point and
// its subscriptions (ConsumerConnection); CONSUMER_NOT_ONLINE when no
// client of the group is connected.
func (a *admin) consumerConnections(req *netio.Request) {
	var h protocol.GetConsumerConnectionListRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	g := a.clients.Consumers.Lookup(h.ConsumerGroup)
	conns := a.clients.Consumers.Connections(h.ConsumerGroup)
	if g == nil || len(conns) == 0 {
		_ = req.ReplyCode(protocol.ConsumerNotOnline, "the consumer group["+h.ConsumerGroup+"] not online")
		return
	}
	body := protocol.ConsumerConnection{
		ConnectionSet:     connectionSet(conns),
		SubscriptionTable: make(map[string]protocol.SubscriptionData),
		ConsumeType:       g.ConsumeType,
		MessageModel:      g.MessageModel,
		ConsumeFromWhere:  g.ConsumeFromWhere,
	}
	for _, t := range g.Topics() {
		if s, ok := g.Subscription(t); ok {
			body.SubscriptionTable[t] = subscriptionData(s)
		}
	}
	a.replyBody(req, body)
}

// producerConnections serves GET_PRODUCER_CONNECTION_LIST (204): the
// group's live connections (ProducerConnection); SYSTEM_ERROR when none,
// as Java answers.
func (a *admin) producerConnections(req *netio.Request) {
	var h protocol.GetProducerConnectionListRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	conns := a.clients.Producers.Connections(h.ProducerGroup)
	if len(conns) == 0 {
		_ = req.ReplyCode(protocol.SystemError, "the producer group["+h.ProducerGroup+"] not exist")
		return
	}
	a.replyBody(req, protocol.ProducerConnection{ConnectionSet: connectionSet(conns)})
}

// connectionSet converts the registry's connections to the wire form.
func connectionSet(conns []group.Connection) []protocol.Connection {
	out := make([]protocol.Connection, 0, len(conns))
	for _, c := range conns {
		pc := protocol.Connection{ClientID: c.ClientID, Language: c.Language.String(), Version: int32(c.Version)}
		if cl, ok := c.Handle.(*client); ok {
			pc.ClientAddr = cl.remote
		}
		out = append(out, pc)
	}
	return out
}

// subscriptionData converts a stored subscription to the wire form, tag
// codes as Java computes them.
func subscriptionData(s *group.Subscription) protocol.SubscriptionData {
	return protocol.SubscriptionData{
		ClassFilterMode: s.ClassFilterMode, Topic: s.Topic, SubString: s.Expression,
		TagsSet: append([]string{}, s.Tags()...), CodeSet: append(protocol.CodeSet{}, s.Codes()...),
		SubVersion: s.SubVersion, ExpressionType: s.Type,
	}
}

// consumeStats serves GET_CONSUME_STATS (208): for each read queue of the
// topic (or of every topic the group has offsets for, when topic is
// empty), the broker's max offset, the group's offset (0 when none) and the
// store time of the last consumed message (ConsumeStats). Topics that do
// not exist, and topics an online group does not subscribe to, are left
// out, as in Java. consumeTps is 0: Quiver keeps no per-group rates.
func (a *admin) consumeStats(req *netio.Request) {
	var h protocol.GetConsumeStatsRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	var ts []string
	if h.Topic == "" {
		ts = a.offsets.TopicsOfGroup(h.ConsumerGroup)
	} else {
		ts = []string{h.Topic}
	}
	online := a.clients.Consumers.Lookup(h.ConsumerGroup)
	st := protocol.ConsumeStats{OffsetTable: make(map[protocol.MessageQueue]protocol.OffsetWrapper)}
	for _, topic := range ts {
		tc, ok := a.topics.Get(topic)
		if !ok {
			continue
		}
		if online != nil && len(online.Topics()) > 0 {
			if _, ok := online.Subscription(topic); !ok {
				continue
			}
		}
		for q := int32(0); q < min(tc.ReadQueueNums, engine.MaxQueueID); q++ {
			off, found := a.offsets.Query(h.ConsumerGroup, topic, q)
			if !found || off < 0 {
				off = 0
			}
			w := protocol.OffsetWrapper{BrokerOffset: max(a.store.MaxOffset(topic, q), 0), ConsumerOffset: off}
			if off > 0 {
				w.LastTimestamp = a.storeTimeAt(topic, q, off-1)
			}
			st.OffsetTable[protocol.MessageQueue{Topic: topic, BrokerName: a.cfg.BrokerName, QueueID: q}] = w
		}
	}
	a.replyBody(req, st)
}

// allConsumerOffsets serves GET_ALL_CONSUMER_OFFSET (43): the offset table
// as consumerOffset.json holds it. Slaves copy their master's offsets with
// it.
func (a *admin) allConsumerOffsets(req *netio.Request) {
	a.replyBody(req, protocol.ConsumerOffsetSerializeWrapper{OffsetTable: a.offsets.Table()})
}

// cloneGroupOffset serves CLONE_GROUP_OFFSET (314): srcGroup's offsets of
// topic (of every topic it has offsets for, when topic is empty) are copied
// to destGroup. Unknown topics are skipped; unless offline, so are topics
// an online srcGroup does not subscribe to, as in Java. The table is
// written by the periodic offset persist, as RocketMQ does.
func (a *admin) cloneGroupOffset(req *netio.Request) {
	var h protocol.CloneGroupOffsetRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	var ts []string
	if h.Topic == "" {
		ts = a.offsets.TopicsOfGroup(h.SrcGroup)
	} else {
		ts = []string{h.Topic}
	}
	src := a.clients.Consumers.Lookup(h.SrcGroup)
	for _, topic := range ts {
		if _, ok := a.topics.Get(topic); !ok {
			a.log.Warn("CLONE_GROUP_OFFSET: topic does not exist", "topic", topic)
			continue
		}
		if !h.Offline && src != nil && len(src.Topics()) > 0 {
			if _, ok := src.Subscription(topic); !ok {
				a.log.Warn("CLONE_GROUP_OFFSET: the online source group does not subscribe to the topic", "group", h.SrcGroup, "topic", topic)
				continue
			}
		}
		a.offsets.Clone(h.SrcGroup, h.DestGroup, topic)
	}
	a.log.Info("group offsets cloned by admin", "src", h.SrcGroup, "dest", h.DestGroup, "topic", h.Topic, "from", req.RemoteAddr().String())
	_ = req.ReplyCode(protocol.Success, "")
}
