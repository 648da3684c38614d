package client

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/protocol"
)

// PullConsumer pulls messages from queues the caller chooses and keeps
// the group's offsets on the brokers. It does no rebalancing: the caller
// owns its queues. Safe for concurrent use.
//
// Every pull carries the subscription "*" (all tags), and the consumer
// heartbeats its group, with a "*" subscription of every topic it has
// pulled, to those topics' brokers: on the first pull of a topic and every
// 30 s.
type PullConsumer struct {
	c     *core
	group []byte

	mu     sync.Mutex
	topics map[string]bool // topics pulled so far
}

// NewPullConsumer returns a pull consumer for cfg; cfg.Group is required.
func NewPullConsumer(cfg Config) (*PullConsumer, error) {
	if cfg.Group == "" {
		return nil, fmt.Errorf("%w: a PullConsumer needs a Group", ErrInvalidConfig)
	}
	c, err := newCore(cfg)
	if err != nil {
		return nil, err
	}
	pc := &PullConsumer{c: c, group: []byte(c.cfg.Group), topics: map[string]bool{}}
	c.startLoop(pc.heartbeat)
	return pc, nil
}

// Close stops the consumer's background work, tells the brokers it leaves
// and closes its connections. It does not commit offsets.
func (pc *PullConsumer) Close() error {
	if pc.c.closed.Load() {
		return nil
	}
	pc.c.unregister(pc.addrs(), "", pc.c.cfg.Group)
	return pc.c.close()
}

func (pc *PullConsumer) addrs() []string {
	pc.mu.Lock()
	topics := make(map[string]bool, len(pc.topics))
	for t := range pc.topics {
		topics[t] = true
	}
	pc.mu.Unlock()
	return pc.c.masterAddrs(topics)
}

// heartbeatBody is the group with a "*" subscription of every topic
// pulled so far.
func (pc *PullConsumer) heartbeatBody() ([]byte, error) {
	pc.mu.Lock()
	subs := make([]protocol.SubscriptionData, 0, len(pc.topics))
	for t := range pc.topics {
		subs = append(subs, protocol.SubscriptionData{Topic: t, SubString: protocol.SubAll,
			SubVersion: time.Now().UnixMilli(), ExpressionType: protocol.ExpressionTag})
	}
	pc.mu.Unlock()
	return protocol.MarshalBody(protocol.HeartbeatData{ClientID: pc.c.clientID,
		ConsumerDataSet: []protocol.ConsumerData{{
			GroupName:           pc.c.cfg.Group,
			ConsumeType:         protocol.ConsumeActively,
			MessageModel:        protocol.MessageModelClustering,
			ConsumeFromWhere:    protocol.ConsumeFromFirstOffset,
			SubscriptionDataSet: subs,
		}}})
}

func (pc *PullConsumer) heartbeat(ctx context.Context) {
	body, err := pc.heartbeatBody()
	if err != nil {
		pc.c.log.Warn("client: heartbeat body", "err", err)
		return
	}
	pc.c.heartbeat(ctx, pc.addrs(), body)
}

// subscribe adds topic to the heartbeat's subscriptions and, the first
// time, heartbeats its brokers before returning.
func (pc *PullConsumer) subscribe(ctx context.Context, topic string) {
	pc.mu.Lock()
	known := pc.topics[topic]
	pc.topics[topic] = true
	pc.mu.Unlock()
	if !known {
		pc.heartbeat(ctx)
	}
}

// Queues returns topic's readable queues, sorted by broker name and queue
// id, from the cached route (fetched on first use).
func (pc *PullConsumer) Queues(ctx context.Context, topic string) ([]MessageQueue, error) {
	_, rt, err := pc.c.route(ctx, topic)
	if err != nil {
		return nil, err
	}
	return append([]MessageQueue(nil), rt.read...), nil
}

// brokerAddr returns the address to reach mq's broker at: the master
// (required when master), else the lowest broker id. A broker missing
// from the cached route makes one synchronous refresh.
func (pc *PullConsumer) brokerAddr(ctx context.Context, mq MessageQueue, master bool) (*topicState, string, error) {
	ts, rt, err := pc.c.route(ctx, mq.Topic)
	if err != nil {
		return nil, "", err
	}
	pick := func(rt *topicRoute) string {
		if master {
			return rt.masters[mq.BrokerName]
		}
		return rt.readers[mq.BrokerName]
	}
	if a := pick(rt); a != "" {
		return ts, a, nil
	}
	if rt, err = pc.c.load(ctx, ts); err != nil {
		return nil, "", err
	}
	if a := pick(rt); a != "" {
		return ts, a, nil
	}
	return nil, "", fmt.Errorf("%w: no address for broker %s of topic %s", ErrNoQueue, mq.BrokerName, mq.Topic)
}

// Pull reads up to maxMsgs messages (32 if maxMsgs <= 0) of mq from offset. With
// wait > 0 the broker holds the request up to wait when there is nothing
// yet (a long poll), answering as soon as a message arrives; without a
// deadline in ctx the call is bounded by wait plus Config.SendTimeout, and
// with one, the hold is shortened to fit it. Statuses other than PullFound
// are not errors: continue from NextBeginOffset.
func (pc *PullConsumer) Pull(ctx context.Context, mq MessageQueue, offset int64, maxMsgs int, wait time.Duration) (PullResult, error) {
	if maxMsgs <= 0 {
		maxMsgs = 32
	}
	if pc.c.closed.Load() {
		return PullResult{}, ErrClosed
	}
	var cancel context.CancelFunc
	if _, ok := ctx.Deadline(); !ok {
		ctx, cancel = context.WithTimeout(ctx, max(wait, 0)+pc.c.cfg.SendTimeout)
		defer cancel()
	} else if dl, _ := ctx.Deadline(); wait > 0 {
		// Leave the broker's answer time to come back before ctx ends.
		if left := time.Until(dl) - 200*time.Millisecond; left < wait {
			wait = max(left, time.Millisecond)
		}
	}
	ts, addr, err := pc.brokerAddr(ctx, mq, false)
	if err != nil {
		return PullResult{}, err
	}
	pc.subscribe(ctx, mq.Topic)

	var cmd protocol.Command
	cmd.NewRequest(protocol.PullMessage)
	cmd.Serialize = headerEncoding
	h := protocol.PullMessageRequestHeader{
		ConsumerGroup:  pc.group,
		Topic:          view(mq.Topic),
		QueueID:        mq.QueueID,
		QueueOffset:    offset,
		MaxMsgNums:     int32(min(maxMsgs, 1<<20)),
		SysFlag:        protocol.PullFlagSubscription,
		Subscription:   view(protocol.SubAll),
		ExpressionType: view(protocol.ExpressionTag),
	}
	if wait > 0 {
		h.SysFlag |= protocol.PullFlagSuspend
		h.SuspendTimeoutMillis = wait.Milliseconds()
	}
	h.Encode(&cmd.Ext)
	resp, err := pc.c.nc.Invoke(ctx, addr, &cmd)
	if err != nil {
		if isTransport(err) {
			pc.c.refreshAsync(ts)
		}
		return PullResult{}, fmt.Errorf("client: pull %v from %s: %w", mq, addr, err)
	}
	var res PullResult
	switch protocol.ResponseCode(resp.Code) {
	case protocol.Success:
		res.Status = PullFound
	case protocol.PullNotFound:
		res.Status = PullNoNewMsg
	case protocol.PullRetryImmediately:
		res.Status = PullNoMatchedMsg
	case protocol.PullOffsetMoved:
		res.Status = PullOffsetIllegal
	default:
		return PullResult{}, fmt.Errorf("client: pull %v from %s: %w", mq, addr, protocol.ErrorFromResponse(resp))
	}
	var rh protocol.PullMessageResponseHeader
	if err := rh.Decode(&resp.Ext); err != nil {
		return PullResult{}, fmt.Errorf("client: pull response from %s: %w", addr, err)
	}
	res.NextBeginOffset, res.MinOffset, res.MaxOffset = rh.NextBeginOffset, rh.MinOffset, rh.MaxOffset
	if res.Status == PullFound {
		res.Messages, err = pc.decode(resp.Body, mq)
		if err != nil {
			return res, fmt.Errorf("client: pull %v from %s: %w", mq, addr, err)
		}
	}
	return res, nil
}

// decode splits a pull body into messages. buf is a response the caller
// owns and nobody writes: bodies alias it (capped, so an append to one
// cannot reach its neighbours) unless decompressed, and the property
// strings (Tags, Keys, Properties, MsgID) alias its properties bytes, so a
// message costs its MessageExt (one slab per pull), its Keys slice and its
// Properties map, and the offset ids one chunk per pull.
func (pc *PullConsumer) decode(buf []byte, mq MessageQueue) ([]*MessageExt, error) {
	n := 0
	it := message.NewRecordIter(buf, false)
	for _, ok := it.Next(); ok; _, ok = it.Next() {
		n++
	}
	slab := make([]MessageExt, n)
	out := make([]*MessageExt, 0, n)
	ids := make([]byte, 0, n*message.OffsetIDLen+message.OffsetIDLenV6-message.OffsetIDLen)
	it = message.NewRecordIter(buf, false)
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		e := &slab[len(out)]
		if t := r.Topic(); string(t) == mq.Topic {
			e.Topic = mq.Topic
		} else {
			e.Topic = unsafeString(t)
		}
		e.QueueID = r.QueueID()
		e.Queue = MessageQueue{Topic: e.Topic, BrokerName: mq.BrokerName, QueueID: e.QueueID}
		e.QueueOffset = r.QueueOffset()
		e.CommitLogOffset = r.PhysicalOffset()
		e.BornTimestamp = r.BornTimestamp()
		e.StoreTimestamp = r.StoreTimestamp()
		e.ReconsumeTimes = r.ReconsumeTimes()
		e.SysFlag = r.SysFlag()
		e.Flag = r.Flag()
		e.Body = r.Body()
		if e.SysFlag&message.SysFlagCompressed != 0 {
			body, err := pc.decompress(e.Body, e.SysFlag)
			if err != nil {
				return out, fmt.Errorf("message at queue offset %d: %w", e.QueueOffset, err)
			}
			e.Body = body
		}
		if len(ids)+message.OffsetIDLenV6 > cap(ids) {
			ids = make([]byte, 0, max(n-len(out), 1)*message.OffsetIDLenV6)
		}
		at := len(ids)
		ids = r.AppendOffsetID(ids)
		e.OffsetMsgID = unsafeString(ids[at:len(ids):len(ids)])
		pit := message.NewPropertyIter(r.Properties())
		for k, v, ok := pit.Next(); ok; k, v, ok = pit.Next() {
			vs := unsafeString(v)
			switch string(k) {
			case message.PropertyTags:
				e.Tags = vs
				continue
			case message.PropertyKeys:
				e.Keys = strings.Fields(vs)
				continue
			case message.PropertyUniqKey:
				e.MsgID = vs
			}
			if e.Properties == nil {
				e.Properties = make(map[string]string, 4)
			}
			e.Properties[unsafeString(k)] = vs
		}
		if e.MsgID == "" {
			e.MsgID = e.OffsetMsgID
		}
		out = append(out, e)
	}
	if err := it.Err(); err != nil {
		return out, err
	}
	return out, nil
}

// decompress inflates a compressed body by the codec in sysFlag: zlib
// (RocketMQ 4.x's only codec, and 5.x's default). 5.x's LZ4 and zstd are
// refused with ErrUnsupportedCompression.
func (pc *PullConsumer) decompress(body []byte, sysFlag int32) ([]byte, error) {
	switch sysFlag & message.SysFlagCompressionMask {
	case 0, message.SysFlagCompressionZlib:
		zr, err := zlib.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("zlib body: %w", err)
		}
		defer zr.Close()
		out, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("zlib body: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: sysFlag %#x", ErrUnsupportedCompression, sysFlag)
}

// FetchOffset returns the group's stored offset of mq
// (QUERY_CONSUMER_OFFSET), or -1 when the broker has none
// (QUERY_NOT_FOUND). NB: Quiver, like Java brokers, answers 0 rather than
// "none" while the queue still starts at offset 0.
func (pc *PullConsumer) FetchOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	_, addr, err := pc.brokerAddr(ctx, mq, true)
	if err != nil {
		return 0, err
	}
	var cmd protocol.Command
	cmd.NewRequest(protocol.QueryConsumerOffset)
	cmd.Serialize = headerEncoding
	(&protocol.QueryConsumerOffsetRequestHeader{ConsumerGroup: pc.group, Topic: view(mq.Topic), QueueID: mq.QueueID}).Encode(&cmd.Ext)
	resp, err := pc.c.nc.Invoke(ctx, addr, &cmd)
	if err != nil {
		return 0, fmt.Errorf("client: query offset of %v at %s: %w", mq, addr, err)
	}
	switch protocol.ResponseCode(resp.Code) {
	case protocol.QueryNotFound:
		return -1, nil
	case protocol.Success:
		var h protocol.QueryConsumerOffsetResponseHeader
		if err := h.Decode(&resp.Ext); err != nil {
			return 0, fmt.Errorf("client: query offset response from %s: %w", addr, err)
		}
		return h.Offset, nil
	}
	return 0, fmt.Errorf("client: query offset of %v at %s: %w", mq, addr, protocol.ErrorFromResponse(resp))
}

// CommitOffset stores offset (the next offset to consume) as the group's
// offset of mq (UPDATE_CONSUMER_OFFSET, waiting for the answer).
func (pc *PullConsumer) CommitOffset(ctx context.Context, mq MessageQueue, offset int64) error {
	_, addr, err := pc.brokerAddr(ctx, mq, true)
	if err != nil {
		return err
	}
	var cmd protocol.Command
	cmd.NewRequest(protocol.UpdateConsumerOffset)
	cmd.Serialize = headerEncoding
	(&protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: pc.group, Topic: view(mq.Topic), QueueID: mq.QueueID, CommitOffset: offset}).Encode(&cmd.Ext)
	resp, err := pc.c.nc.Invoke(ctx, addr, &cmd)
	if err != nil {
		return fmt.Errorf("client: commit offset of %v at %s: %w", mq, addr, err)
	}
	if err := protocol.ErrorFromResponse(resp); err != nil {
		return fmt.Errorf("client: commit offset of %v at %s: %w", mq, addr, err)
	}
	return nil
}
