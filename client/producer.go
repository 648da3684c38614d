package client

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/protocol"
)

// Producer sends messages: SendSync, SendAsync, SendOneway and SendBatch.
// Safe for concurrent use.
//
// Requests go out pipelined on ConnsPerAddr connections per broker, as
// SEND_MESSAGE_V2 (SEND_BATCH_MESSAGE for batches) with the properties TAGS,
// KEYS, UNIQ_KEY (the MsgID of the result), WAIT=true and DELAY. A message
// must not be modified until its send returns (SendSync, SendBatch,
// SendOneway) or its callback runs (SendAsync).
//
// Routes are fetched from the name servers on a topic's first send,
// refreshed every 30 s and after a failed send. The producer heartbeats its
// group to the brokers of its routes every 30 s.
type Producer struct {
	c     *core
	group []byte
	sel   atomic.Pointer[Selector]
	uniq  *message.UniqIDGenerator
	reqs  sync.Pool // *sendReq
	hb    []byte    // heartbeat body
}

// defaultTopic and defaultTopicQueueNums are what RocketMQ's clients put in
// every send header (the auto-creation template).
const (
	defaultTopic          = "TBW102"
	defaultTopicQueueNums = 4
)

// NewProducer returns a producer for cfg.
func NewProducer(cfg Config) (*Producer, error) {
	if cfg.Group == "" {
		cfg.Group = DefaultProducerGroup
	}
	c, err := newCore(cfg)
	if err != nil {
		return nil, err
	}
	p := &Producer{c: c, group: []byte(c.cfg.Group)}
	var uc message.UniqIDConfig
	if a, ok := netipAddr(c.ip); ok {
		uc.IP = a
	}
	p.uniq = message.NewUniqIDGenerator(uc)
	p.reqs.New = func() any {
		r := &sendReq{p: p}
		r.cmd.Serialize = headerEncoding
		r.onResp = r.complete
		return r
	}
	hb, err := protocol.MarshalBody(protocol.HeartbeatData{ClientID: c.clientID,
		ProducerDataSet: []protocol.ProducerData{{GroupName: c.cfg.Group}}})
	if err != nil {
		_ = c.close()
		return nil, err
	}
	p.hb = hb
	c.startLoop(func(ctx context.Context) { c.heartbeat(ctx, c.masterAddrs(nil), p.hb) })
	return p, nil
}

// SetSelector sets the queue selector; nil restores the default
// (round-robin over the topic's write queues, passing over brokers that
// failed a send in the last 10 s). With a selector, Message.QueueID is
// ignored; a retry asks the selector again, without the queues of the
// broker that failed.
func (p *Producer) SetSelector(s Selector) {
	if s == nil {
		p.sel.Store(nil)
		return
	}
	p.sel.Store(&s)
}

// Close stops the producer's background work, tells the brokers it leaves
// and closes its connections. Sends in flight fail with netio's
// ErrClientClosed.
func (p *Producer) Close() error {
	if p.c.closed.Load() {
		return nil
	}
	p.c.unregister(p.c.masterAddrs(nil), p.c.cfg.Group, "")
	return p.c.close()
}

// sendReq is one send in progress: the request command (reused with its
// buffers), the properties built once for all attempts, and what the
// response callback needs. Pooled per producer.
type sendReq struct {
	p      *Producer
	cmd    protocol.Command
	hdr    protocol.SendMessageRequestHeader
	code   protocol.RequestCode
	props  []byte // the header's properties
	batch  []byte // a batch body
	body   []byte // what is sent: the message's body or batch
	id     string // MsgID of the result
	ids    []byte // arena the ids are carved from (see newID)
	m      *Message
	ts     *topicState
	mq     MessageQueue
	tries  int    // attempts left
	avoid  string // broker to pass over (the one that failed last)
	cb     func(SendResult, error)
	onResp func(*protocol.Command, error) // r.complete, bound once
}

func (p *Producer) getReq() *sendReq { return p.reqs.Get().(*sendReq) }

// idArenaSize is the size of the chunks message ids are carved from.
const idArenaSize = 4 << 10

// newID returns a copy of id as a string carved from r's arena, so that a
// send costs an allocation for its id only once every 100-odd sends. NB:
// bytes of the arena, once handed out, are never written again (append
// writes only past len); a full chunk is dropped, not reused, and lives
// as long as one of its ids does.
func (r *sendReq) newID(id []byte) string {
	if cap(r.ids)-len(r.ids) < len(id) {
		r.ids = make([]byte, 0, max(idArenaSize, len(id)))
	}
	start := len(r.ids)
	r.ids = append(r.ids, id...)
	return unsafeString(r.ids[start:len(r.ids):len(r.ids)])
}

func (p *Producer) putReq(r *sendReq) {
	r.m, r.ts, r.cb, r.body, r.id, r.avoid = nil, nil, nil, nil, "", ""
	r.cmd.Body = nil
	r.hdr = protocol.SendMessageRequestHeader{}
	if cap(r.batch) > 4<<20 {
		r.batch = nil
	}
	if cap(r.props) > 64<<10 {
		r.props = nil
	}
	p.reqs.Put(r)
}

// checkMessage refuses what no broker would take.
func checkMessage(m *Message) error {
	switch {
	case m == nil:
		return fmt.Errorf("%w: nil message", ErrInvalidMessage)
	case m.Topic == "":
		return fmt.Errorf("%w: no topic", ErrInvalidMessage)
	case m.DelayLevel < 0:
		return fmt.Errorf("%w: negative DelayLevel %d", ErrInvalidMessage, m.DelayLevel)
	}
	return nil
}

// check refuses m, or any send once the producer is closed.
func (p *Producer) check(m *Message) error {
	if p.c.closed.Load() {
		return ErrClosed
	}
	return checkMessage(m)
}

// appendProps appends m's properties to dst: the user's, TAGS, KEYS,
// DELAY, WAIT (when wait) and last UNIQ_KEY, made at now, whose value
// starts at idAt.
func (p *Producer) appendProps(dst []byte, m *Message, wait bool, now time.Time) (out []byte, idAt int, err error) {
	for k, v := range m.Properties {
		if err := message.CheckProperty(k, v); err != nil {
			return dst, 0, fmt.Errorf("%w: property %q: %w", ErrInvalidMessage, k, err)
		}
		dst = message.AppendProperty(dst, k, v)
	}
	if m.Tags != "" {
		if err := message.CheckProperty(message.PropertyTags, m.Tags); err != nil {
			return dst, 0, fmt.Errorf("%w: tags %q: %w", ErrInvalidMessage, m.Tags, err)
		}
		dst = message.AppendProperty(dst, message.PropertyTags, m.Tags)
	}
	if len(m.Keys) > 0 {
		dst = append(dst, message.PropertyKeys...)
		dst = append(dst, message.NameValueSeparator)
		for i, k := range m.Keys {
			if err := message.CheckProperty(message.PropertyKeys, k); err != nil {
				return dst, 0, fmt.Errorf("%w: key %q: %w", ErrInvalidMessage, k, err)
			}
			if i > 0 {
				dst = append(dst, message.KeySeparator...)
			}
			dst = append(dst, k...)
		}
		dst = append(dst, message.PropertySeparator)
	}
	if m.DelayLevel > 0 {
		dst = append(dst, message.PropertyDelayTimeLevel...)
		dst = append(dst, message.NameValueSeparator)
		dst = strconv.AppendInt(dst, int64(m.DelayLevel), 10)
		dst = append(dst, message.PropertySeparator)
	}
	if wait {
		dst = message.AppendProperty(dst, message.PropertyWaitStoreMsgOK, "true")
	}
	dst = append(dst, message.PropertyUniqKey...)
	dst = append(dst, message.NameValueSeparator)
	idAt = len(dst)
	dst = p.uniq.AppendAt(dst, now)
	dst = append(dst, message.PropertySeparator)
	if len(dst) > protocol.MaxPropertiesLen {
		return dst, 0, fmt.Errorf("%w: %w", ErrInvalidMessage,
			protocol.NewError(protocol.MessageIllegal, "the message properties length exceeds 32767 bytes"))
	}
	return dst, idAt, nil
}

// prepare builds r for a single message: properties and body.
func (p *Producer) prepare(r *sendReq, m *Message, wantID bool) error {
	props, idAt, err := p.appendProps(r.props[:0], m, true, p.uniq.Now())
	r.props = props
	if err != nil {
		return err
	}
	if wantID {
		r.id = r.newID(props[idAt : len(props)-1])
	}
	r.code = protocol.SendMessageV2
	r.m = m
	r.body = m.Body
	r.tries = p.attempts(m)
	return nil
}

// attempts is how many queues a send of m may try.
func (p *Producer) attempts(m *Message) int {
	if p.sel.Load() == nil && m.QueueID >= 0 {
		return 1 // a queue of the caller's choosing: nowhere else to go
	}
	return 1 + p.c.cfg.Retries
}

// encode writes r's request for queue mq into r.cmd.
func (p *Producer) encode(r *sendReq, mq MessageQueue) {
	r.cmd.NewRequest(r.code)
	r.cmd.Serialize = headerEncoding
	r.hdr = protocol.SendMessageRequestHeader{
		ProducerGroup:         p.group,
		Topic:                 view(mq.Topic),
		DefaultTopic:          view(defaultTopic),
		DefaultTopicQueueNums: defaultTopicQueueNums,
		QueueID:               mq.QueueID,
		BornTimestamp:         time.Now().UnixMilli(),
		Properties:            r.props,
		Batch:                 r.code == protocol.SendBatchMessage,
	}
	r.hdr.EncodeFor(r.code, &r.cmd.Ext)
	r.cmd.Body = r.body
}

// pick chooses the queue for the next attempt of a send of m and its
// broker's address.
func (p *Producer) pick(ts *topicState, rt *topicRoute, m *Message, avoid string) (MessageQueue, string, error) {
	if len(rt.write) == 0 {
		return MessageQueue{}, "", fmt.Errorf("%w: topic %s has no writable queue", ErrNoQueue, ts.name)
	}
	if sp := p.sel.Load(); sp != nil {
		qs := rt.write
		if avoid != "" {
			qs = make([]MessageQueue, 0, len(rt.write))
			for _, q := range rt.write {
				if q.BrokerName != avoid {
					qs = append(qs, q)
				}
			}
			if len(qs) == 0 {
				qs = rt.write
			}
		}
		mq := (*sp)(m, qs)
		addr := rt.masters[mq.BrokerName]
		if addr == "" || mq.Topic != ts.name {
			return MessageQueue{}, "", fmt.Errorf("%w: selector chose %v, not a write queue of %s", ErrNoQueue, mq, ts.name)
		}
		return mq, addr, nil
	}
	if m.QueueID >= 0 {
		first := rt.write[0].BrokerName
		for _, q := range rt.write {
			if q.BrokerName == first && q.QueueID == m.QueueID {
				return q, rt.masters[first], nil
			}
		}
		return MessageQueue{}, "", fmt.Errorf("%w: topic %s has no write queue %d on %s", ErrNoQueue, ts.name, m.QueueID, first)
	}
	n := uint32(len(rt.write))
	start := ts.rr.Add(1)
	var fallback *MessageQueue
	for i := uint32(0); i < n; i++ {
		q := &rt.write[(start+i)%n]
		if q.BrokerName == avoid {
			continue
		}
		if p.c.isolated(q.BrokerName) {
			if fallback == nil {
				fallback = q
			}
			continue
		}
		return *q, rt.masters[q.BrokerName], nil
	}
	if fallback == nil {
		fallback = &rt.write[start%n]
	}
	return *fallback, rt.masters[fallback.BrokerName], nil
}

// failed records a failed attempt: a broker that could not be reached is
// passed over for a while, and the route is refreshed. It returns err
// with the queue's broker and address.
func (p *Producer) failed(ts *topicState, mq MessageQueue, addr string, err error) error {
	if isTransport(err) {
		p.c.isolate(mq.BrokerName)
	}
	if retriable(err) {
		p.c.refreshAsync(ts)
	}
	p.c.log.Debug("client: send failed", "broker", mq.BrokerName, "addr", addr, "queue", mq.QueueID, "err", err)
	return fmt.Errorf("client: send to %s (%s) queue %d: %w", mq.BrokerName, addr, mq.QueueID, err)
}

// sendResult reads a send's response.
//
// borrowed says resp aliases a read buffer (InvokeAsyncBorrowed): the
// result then copies what it keeps.
func sendResult(resp *protocol.Command, mq MessageQueue, id string, borrowed bool) (SendResult, error) {
	var st SendStatus
	switch protocol.ResponseCode(resp.Code) {
	case protocol.Success:
		st = SendOK
	case protocol.FlushDiskTimeout:
		st = FlushDiskTimeout
	case protocol.FlushSlaveTimeout:
		st = FlushSlaveTimeout
	case protocol.SlaveNotAvailable:
		st = SlaveNotAvailable
	default:
		return SendResult{}, protocol.ErrorFromResponse(resp)
	}
	var h protocol.SendMessageResponseHeader
	if err := h.Decode(&resp.Ext); err != nil {
		return SendResult{}, fmt.Errorf("client: send response: %w", err)
	}
	mq.QueueID = h.QueueID
	// An owned resp is a copy that nothing modifies: the id can alias it.
	off := unsafeString(h.MsgID)
	if borrowed {
		off = string(h.MsgID)
	}
	return SendResult{MsgID: id, OffsetMsgID: off, Queue: mq, QueueOffset: h.QueueOffset, Status: st}, nil
}

// SendSync sends m and waits for the broker's answer. A failed attempt
// is retried on another queue (Config.Retries); ctx bounds all attempts
// (without a deadline in ctx, each attempt is bounded by
// Config.SendTimeout and none starts once SendTimeout has passed since the
// call). A response code other
// than success and the three "stored, but" statuses comes back as an
// error wrapping a *protocol.Error.
func (p *Producer) SendSync(ctx context.Context, m *Message) (SendResult, error) {
	if err := p.check(m); err != nil {
		return SendResult{}, err
	}
	end := p.deadline(ctx)
	ts, _, err := p.c.route(ctx, m.Topic)
	if err != nil {
		return SendResult{}, err
	}
	r := p.getReq()
	defer p.putReq(r)
	if err := p.prepare(r, m, true); err != nil {
		return SendResult{}, err
	}
	return p.sendSync(ctx, end, r, ts, m)
}

// deadline is ctx's deadline, or SendTimeout from now. (A context with a
// timeout would cost allocations per send; without a deadline in ctx,
// netio bounds each attempt by SendTimeout and sendSync starts none after
// the deadline, as RocketMQ's producers do.)
func (p *Producer) deadline(ctx context.Context) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return time.Now().Add(p.c.cfg.SendTimeout)
}

func (p *Producer) sendSync(ctx context.Context, end time.Time, r *sendReq, ts *topicState, m *Message) (SendResult, error) {
	var last error
	avoid := ""
	for ; r.tries > 0; r.tries-- {
		mq, addr, err := p.pick(ts, ts.route.Load(), m, avoid)
		if err != nil {
			if last != nil {
				return SendResult{}, last
			}
			return SendResult{}, err
		}
		p.encode(r, mq)
		resp, err := p.c.nc.Invoke(ctx, addr, &r.cmd)
		if err == nil {
			var res SendResult
			if res, err = sendResult(resp, mq, r.id, false); err == nil {
				return res, nil
			}
		}
		last = p.failed(ts, mq, addr, err)
		if !retriable(err) || ctx.Err() != nil || !time.Now().Before(end) {
			break
		}
		avoid = mq.BrokerName
	}
	return SendResult{}, last
}

// SendAsync sends m and returns at once; cb gets the result (as SendSync
// would) on a netio goroutine and must not block. A failed attempt is
// retried on another queue (Config.Retries), each bounded by
// Config.SendTimeout. If SendAsync returns an error, cb is not called. m
// must not be modified until cb runs. The first send to a topic fetches
// its route on a new goroutine.
func (p *Producer) SendAsync(m *Message, cb func(SendResult, error)) error {
	if err := p.check(m); err != nil {
		return err
	}
	ts, rt := p.c.cached(m.Topic)
	if rt == nil {
		go func() {
			ctx, cancel := context.WithTimeout(p.c.ctx, p.c.cfg.SendTimeout)
			_, _, err := p.c.route(ctx, m.Topic)
			cancel()
			if err == nil {
				err = p.SendAsync(m, cb)
			}
			if err != nil && cb != nil {
				cb(SendResult{}, err)
			}
		}()
		return nil
	}
	r := p.getReq()
	if err := p.prepare(r, m, true); err != nil {
		p.putReq(r)
		return err
	}
	r.ts, r.cb = ts, cb
	return p.dispatchAsync(r)
}

// dispatchAsync sends r to the next queue, trying others at once while
// sending fails. On success r belongs to its callback; on error it is
// back in the pool.
func (p *Producer) dispatchAsync(r *sendReq) error {
	for {
		mq, addr, err := p.pick(r.ts, r.ts.route.Load(), r.m, r.avoid)
		if err != nil {
			p.putReq(r)
			return err
		}
		r.tries--
		r.mq = mq
		p.encode(r, mq)
		err = p.c.nc.InvokeAsyncBorrowed(addr, &r.cmd, p.c.cfg.SendTimeout, r.onResp)
		if err == nil {
			return nil // NB: r may be completed and reused already
		}
		err = p.failed(r.ts, mq, addr, err)
		if r.tries <= 0 || !retriable(err) {
			p.putReq(r)
			return err
		}
		r.avoid = mq.BrokerName
	}
}

// complete is the netio callback of an asynchronous send.
func (r *sendReq) complete(resp *protocol.Command, err error) {
	p := r.p
	var res SendResult
	if err == nil {
		res, err = sendResult(resp, r.mq, r.id, true)
	}
	if err != nil {
		addr := r.ts.route.Load().masters[r.mq.BrokerName]
		err = p.failed(r.ts, r.mq, addr, err)
		if r.tries > 0 && retriable(err) && !p.c.closed.Load() {
			r.avoid = r.mq.BrokerName
			cb := r.cb
			go func() { // a callback must not block: dialing may
				if err := p.dispatchAsync(r); err != nil && cb != nil {
					cb(SendResult{}, err)
				}
			}()
			return
		}
	}
	cb := r.cb
	p.putReq(r)
	if cb != nil {
		cb(res, err)
	}
}

// SendOneway sends m without waiting for an answer. It returns once the
// request is written or queued; a queue whose broker cannot be reached is
// replaced by another at once. The first send to a topic waits for its
// route.
func (p *Producer) SendOneway(m *Message) error {
	if err := p.check(m); err != nil {
		return err
	}
	ts, rt := p.c.cached(m.Topic)
	if rt == nil {
		ctx, cancel := context.WithTimeout(p.c.ctx, p.c.cfg.SendTimeout)
		var err error
		ts, _, err = p.c.route(ctx, m.Topic)
		cancel()
		if err != nil {
			return err
		}
	}
	r := p.getReq()
	defer p.putReq(r)
	if err := p.prepare(r, m, false); err != nil {
		return err
	}
	var last error
	avoid := ""
	for ; r.tries > 0; r.tries-- {
		mq, addr, err := p.pick(ts, ts.route.Load(), m, avoid)
		if err != nil {
			if last != nil {
				return last
			}
			return err
		}
		p.encode(r, mq)
		if err = p.c.nc.InvokeOneway(addr, &r.cmd); err == nil {
			return nil
		}
		last = p.failed(ts, mq, addr, err)
		if !retriable(err) {
			break
		}
		avoid = mq.BrokerName
	}
	return last
}

// SendBatch sends ms, which must share one topic, as one
// SEND_BATCH_MESSAGE and waits for the answer, retrying as SendSync. The
// queue is chosen for ms[0]. The result's MsgID and OffsetMsgID list every
// message's id, comma-separated; QueueOffset is the first message's.
// DelayLevel is refused in a batch, as RocketMQ does.
func (p *Producer) SendBatch(ctx context.Context, ms []*Message) (SendResult, error) {
	if len(ms) == 0 {
		return SendResult{}, fmt.Errorf("%w: empty batch", ErrInvalidMessage)
	}
	for _, m := range ms {
		if err := p.check(m); err != nil {
			return SendResult{}, err
		}
		if m.Topic != ms[0].Topic {
			return SendResult{}, fmt.Errorf("%w: batch mixes topics %s and %s", ErrInvalidMessage, ms[0].Topic, m.Topic)
		}
		if m.DelayLevel > 0 {
			return SendResult{}, fmt.Errorf("%w: DelayLevel is not supported in a batch", ErrInvalidMessage)
		}
	}
	end := p.deadline(ctx)
	ts, _, err := p.c.route(ctx, ms[0].Topic)
	if err != nil {
		return SendResult{}, err
	}
	r := p.getReq()
	defer p.putReq(r)
	var ids strings.Builder
	ids.Grow(len(ms) * (p.uniq.Len() + 1))
	r.batch = r.batch[:0]
	now := p.uniq.Now() // one clock read for the batch's ids
	for i, m := range ms {
		props, idAt, err := p.appendProps(r.props[:0], m, false, now)
		r.props = props
		if err != nil {
			return SendResult{}, err
		}
		if i > 0 {
			ids.WriteByte(',')
		}
		ids.Write(props[idAt : len(props)-1])
		if r.batch, err = message.AppendBatchItem(r.batch, 0, m.Body, props); err != nil {
			return SendResult{}, fmt.Errorf("%w: batch item %d: %w", ErrInvalidMessage, i, err)
		}
	}
	r.props = message.AppendProperty(r.props[:0], message.PropertyWaitStoreMsgOK, "true")
	r.code = protocol.SendBatchMessage
	r.body = r.batch
	r.id = ids.String()
	r.m = ms[0]
	r.tries = p.attempts(ms[0])
	return p.sendSync(ctx, end, r, ts, ms[0])
}
