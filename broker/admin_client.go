package broker

// Requests the broker relays to one consumer client (4.9.4
// AdminBrokerProcessor getConsumerRunningInfo, consumeMessageDirectly and
// callConsumer): mqadmin consumerStatus, consumerProgress -s and
// queryMsgById -g -d, and the dashboard's consumer client view, ask the
// broker; the broker asks the client over the client's own connection and
// answers with the client's answer.
//
// The handler returns at once: the client's answer (or the timeout) is
// delivered by netio's InvokeAsync callback, which replies through the
// tool's request's Responder. No event loop waits for the client.

import (
	"errors"
	"strconv"
	"time"

	"github.com/quivermq/quiver/broker/group"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// relayTimeout is how long the broker waits for the client (Java's
// Broker2Client.callClient: 10 s).
const relayTimeout = 10 * time.Second

// minRelayVersion is the MQVersion ordinal of V3_1_8_SNAPSHOT: older
// clients do not serve the relayed codes.
const minRelayVersion = 77

// consumerRunningInfo serves GET_CONSUMER_RUNNING_INFO (307): the request
// (consumerGroup, clientId, jstackEnable) goes to that client, whose answer
// (a ConsumerRunningInfo body) is the answer.
func (a *admin) consumerRunningInfo(req *netio.Request) {
	var h protocol.GetConsumerRunningInfoRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	a.relayToConsumer(req, protocol.GetConsumerRunningInfo, h.ConsumerGroup, h.ClientID, req.Command().Body, "")
}

// consumeMessageDirectly serves CONSUME_MESSAGE_DIRECTLY (309): the message
// the offset msgId names is read from the commit log and sent, in stored
// form, with the request's fields plus brokerName, to the client, whose
// answer (a ConsumeMessageDirectlyResult body) is the answer. SYSTEM_ERROR
// when msgId is not an offset id of a stored message (Java fails the same
// way, with a NullPointerException for its remark).
func (a *admin) consumeMessageDirectly(req *netio.Request) {
	var h protocol.ConsumeMessageDirectlyResultRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	_, off, err := message.ParseOffsetID(h.MsgID)
	if err != nil {
		_ = req.ReplyCode(protocol.SystemError, "CONSUME_MESSAGE_DIRECTLY: msgId "+strconv.Quote(h.MsgID)+" is not an offset message id: "+err.Error())
		return
	}
	rec, pin, err := a.store.ReadByPhys(off)
	if err != nil || rec.IsFiller() {
		if err == nil {
			pin.Release()
		}
		_ = req.ReplyCode(protocol.SystemError, "CONSUME_MESSAGE_DIRECTLY: can not find message by the offset, "+strconv.FormatInt(off, 10))
		return
	}
	// NB: InvokeAsync encodes the request (copying rec) before it returns.
	a.relayToConsumer(req, protocol.ConsumeMessageDirectly, h.ConsumerGroup, h.ClientID, rec, a.cfg.BrokerName)
	pin.Release()
}

// relayToConsumer sends code with req's header fields (brokerName set to
// brokerName when not empty) and body to group's consumer clientID, and
// answers req with the client's answer: code, remark, header fields and
// body as the client sent them (Java returns the client's command).
// SYSTEM_ERROR when the client is not connected or too old, or the send
// fails; CONSUME_MSG_TIMEOUT when it does not answer in relayTimeout.
//
// REQUIRES: body stays valid until relayToConsumer returns.
func (a *admin) relayToConsumer(req *netio.Request, code protocol.RequestCode, groupName, clientID string, body []byte, brokerName string) {
	var target *group.Connection
	for _, c := range a.clients.Consumers.Connections(groupName) {
		if c.ClientID == clientID && (target == nil || c.LastUpdate.After(target.LastUpdate)) {
			target = &c
		}
	}
	var cl *client
	if target != nil {
		cl, _ = target.Handle.(*client)
	}
	if cl == nil {
		_ = req.ReplyCode(protocol.SystemError, "The Consumer <"+groupName+"> <"+clientID+"> not online")
		return
	}
	if target.Version < minRelayVersion {
		_ = req.ReplyCode(protocol.SystemError, "The Consumer <"+clientID+"> Version <"+strconv.Itoa(int(target.Version))+
			"> too low to finish, please upgrade it to V3_1_8_SNAPSHOT")
		return
	}
	var cmd protocol.Command
	cmd.NewRequest(code)
	src := &req.Command().Ext
	for i := 0; i < src.Len(); i++ {
		k, v := src.At(i)
		if brokerName != "" && string(k) == "brokerName" {
			continue
		}
		cmd.Ext.AddView(k, v) // encoded by InvokeAsync before the handler returns
	}
	if brokerName != "" {
		cmd.Ext.AddString("brokerName", brokerName)
	}
	cmd.Body = body
	r := req.Responder()
	fail := func(code protocol.ResponseCode, remark string) {
		resp := &protocol.Command{Code: int32(code), Language: protocol.LangJava, Version: protocol.CurrentVersion}
		resp.SetRemark(remark)
		_ = r.Reply(resp)
	}
	err := cl.conn.InvokeAsync(&cmd, relayTimeout, func(resp *protocol.Command, err error) {
		switch {
		case errors.Is(err, netio.ErrTimeout):
			fail(protocol.ConsumeMsgTimeout, "consumer <"+groupName+"> <"+clientID+"> Timeout: "+err.Error())
		case err != nil:
			fail(protocol.SystemError, "invoke consumer <"+groupName+"> <"+clientID+"> Exception: "+err.Error())
		default:
			_ = r.Reply(resp) // the response is ours (a copy); Reply restamps opaque and flags
		}
	})
	if err != nil {
		fail(protocol.SystemError, "invoke consumer <"+groupName+"> <"+clientID+"> Exception: "+err.Error())
	}
}
