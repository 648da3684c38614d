//go:build !race

package interop_test

// TestClientGoPushConsumerPulls runs rocketmq-client-go v2.1.2's push
// consumer against a netio server that answers as name server and broker,
// and checks that the consumer accepts PULL_MESSAGE bodies made of records
// encoded by message.AppendRecord and sent zero-copy with ReplyParts.
//
// The file is left out of -race builds: client-go v2.1.2's push consumer has
// data races of its own. At start its rebalance
// (pushConsumer.messageQueueChanged) writes SubscriptionData.SubVersion while
// the route refresh that runs 10 ms after start clones it
// (apache/rocketmq-client-go#961, fixed after v2.1.2; see also #790, #1115).
// The race detector reports that in nearly every run, with both stacks inside
// client-go. netio's own race coverage is in its package tests.

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/quivermq/quiver/internal/testutil"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

const (
	pullTopic    = "QuiverPull"
	pullGroup    = "quiver_pull_cg"
	pullRetry    = "%RETRY%" + pullGroup
	pullBroker   = "broker-a"
	pullQueues   = 2 // queue 0 stays empty; queue 1 holds the records
	pullDataQ    = 1
	pullRecords  = 9 // queue offsets 0..8; tags cycle TagA, TagB, TagC
	pullBigIndex = 4 // the record whose body is zlib-compressed (a TagB)
	pullHold     = 100 * time.Millisecond
	pullUserProp = "idx"
)

// pullTags is the tag of record i: every third one is TagC, which the
// subscription "TagA || TagB" does not take, so client-go must drop it.
func pullTags(i int) string { return [...]string{"TagA", "TagB", "TagC"}[i%3] }

// pullRecord is one stored record the fake broker serves, with what the
// consumer should report for it.
type pullRecord struct {
	fields message.Fields
	raw    []byte // the encoded record, a slice of the pull body
	plain  []byte // body as the consumer must see it (decompressed)
	uniq   string
}

// buildPullRecords encodes the records of queue pullDataQ: v1, IPv4 born and
// store hosts, distinct physical offsets above 4 GiB, queue offsets
// 0..pullRecords-1, UNIQ_KEY, TAGS, KEYS and a user property, and one body
// over client-go's 4 KiB compression threshold stored zlib-compressed.
func buildPullRecords(t *testing.T, storeHost message.Host) []pullRecord {
	t.Helper()
	var body []byte
	var recs []pullRecord
	gen := message.NewUniqIDGenerator(message.UniqIDConfig{IP: netip.MustParseAddr("10.0.0.7"), PID: 7007})
	born := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC).UnixMilli()
	phys := int64(1)<<32 + 0x100
	var starts []int
	for i := range pullRecords {
		plain := []byte(fmt.Sprintf("pull body %d via Quiver", i))
		stored, sys := plain, int32(0)
		if i == pullBigIndex {
			plain = bytes.Repeat([]byte("quiver pulls zlib "), 300) // 5400 bytes
			var z bytes.Buffer
			zw, err := zlib.NewWriterLevel(&z, 5) // client-go's level
			if err != nil {
				t.Fatal(err)
			}
			_, _ = zw.Write(plain)
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			stored, sys = z.Bytes(), message.SysFlagCompressed
		}
		uniq := gen.New()
		var props []byte
		props = message.AppendProperty(props, message.PropertyUniqKey, uniq)
		props = message.AppendProperty(props, message.PropertyTags, pullTags(i))
		props = message.AppendProperty(props, message.PropertyKeys, fmt.Sprintf("order-%d user-%d", i, i%4))
		props = message.AppendProperty(props, pullUserProp, strconv.Itoa(i))
		f := message.Fields{
			QueueID:        pullDataQ,
			Flag:           int32(100 + i),
			QueueOffset:    int64(i),
			PhysicalOffset: phys,
			SysFlag:        sys,
			BornTimestamp:  born + int64(i)*1000,
			BornHost:       mustHost(fmt.Sprintf("10.0.0.7:%d", 40000+i)),
			StoreTimestamp: born + int64(i)*1000 + 3,
			StoreHost:      storeHost,
			Topic:          []byte(pullTopic),
			Body:           stored,
			Properties:     props,
		}
		n := len(body)
		var err error
		if body, err = message.AppendRecord(body, &f); err != nil {
			t.Fatal(err)
		}
		starts = append(starts, n)
		phys += int64(len(body) - n)
		recs = append(recs, pullRecord{fields: f, plain: plain, uniq: uniq})
	}
	starts = append(starts, len(body))
	for i := range recs {
		recs[i].raw = body[starts[i]:starts[i+1]:starts[i+1]]
	}
	return recs
}

// pullSeen is a PULL_MESSAGE request header, copied out of the frame.
type pullSeen struct {
	group, topic, subscription, expressionType string
	queueID                                    int32
	offset, commitOffset, suspendMillis        int64
	sysFlag, maxMsgNums                        int32
}

// offsetUpdate is an UPDATE_CONSUMER_OFFSET request.
type offsetUpdate struct {
	group, topic string
	queueID      int32
	offset       int64
}

// consumed is what the consumer callback saw of one message, copied there so
// the test never reads client-go's objects concurrently with client-go.
type consumed struct {
	topic                     string
	queue                     primitive.MessageQueue
	queueOffset, commitLogOff int64
	sysFlag, flag, reconsume  int32
	bornTS, storeTS           int64
	bornHost, storeHost       string
	msgID, offsetMsgID        string
	body                      []byte
	props                     map[string]string
}

// pullSetup is what the handlers serve. It depends on the listen address
// (route, store host), known only after Start, so it is published through an
// atomic pointer before the consumer connects.
type pullSetup struct {
	routeBody []byte   // topic route
	retryBody []byte   // %RETRY%group route
	n         int64    // records in the data queue: its max offset
	parts     [][]byte // the records, handed to ReplyParts without a copy
}

// pullFake is the fake name server and broker. Handlers run on netio event
// loops and only record; the test goroutine asserts.
type pullFake struct {
	setup atomic.Pointer[pullSetup]
	stop  chan struct{} // closed at cleanup: held pulls answer at once
	wg    sync.WaitGroup

	mu         sync.Mutex
	order      []protocol.RequestCode // codes in order of first arrival
	counts     map[protocol.RequestCode]int
	unexpected []string
	problems   []string
	heartbeats []protocol.HeartbeatData
	clientID   string
	pulls      []pullSeen
	served     int // SUCCESS pulls whose ReplyParts completed
	queries    []string
	updates    []offsetUpdate
}

func (f *pullFake) note(code protocol.RequestCode) {
	f.mu.Lock()
	if f.counts[code] == 0 {
		f.order = append(f.order, code)
	}
	f.counts[code]++
	f.mu.Unlock()
}

func (f *pullFake) problem(format string, args ...any) {
	f.mu.Lock()
	f.problems = append(f.problems, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *pullFake) locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// register installs the handlers; every request is counted by code, and a
// code without a handler of its own is recorded as unexpected and answered
// REQUEST_CODE_NOT_SUPPORTED, as netio would.
func (f *pullFake) register(srv *netio.Server) {
	handlers := map[protocol.RequestCode]netio.Handler{
		protocol.GetRouteInfoByTopic:    f.route,
		protocol.HeartBeat:              f.heartbeat,
		protocol.GetConsumerListByGroup: f.consumerList,
		protocol.QueryConsumerOffset:    f.queryOffset,
		protocol.GetMaxOffset:           f.minMaxOffset,
		protocol.GetMinOffset:           f.minMaxOffset,
		protocol.PullMessage:            f.pull,
		protocol.UpdateConsumerOffset:   f.updateOffset,
	}
	for code := protocol.RequestCode(0); code < 1024; code++ {
		h, ok := handlers[code]
		if !ok {
			h = func(req *netio.Request) {
				f.locked(func() {
					f.unexpected = append(f.unexpected, fmt.Sprintf("%v ext=%v", protocol.RequestCode(req.Command().Code), extKeys(req.Command())))
				})
				_ = req.ReplyCode(protocol.RequestCodeNotSupported, "not served by this test")
			}
		}
		srv.Register(code, func(req *netio.Request) {
			f.note(protocol.RequestCode(req.Command().Code))
			h(req)
		})
	}
}

func (f *pullFake) route(req *netio.Request) {
	var h protocol.GetRouteInfoRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		f.problem("route header: %v", err)
		_ = req.ReplyCode(protocol.SystemError, err.Error())
		return
	}
	resp := req.Response(protocol.Success)
	switch h.Topic {
	case pullTopic:
		resp.Body = f.setup.Load().routeBody
	case pullRetry:
		resp.Body = f.setup.Load().retryBody
	default:
		_ = req.ReplyCode(protocol.TopicNotExist, "No topic route info in name server for the topic: "+h.Topic)
		return
	}
	_ = req.Reply(resp)
}

func (f *pullFake) heartbeat(req *netio.Request) {
	var hb protocol.HeartbeatData
	if err := protocol.UnmarshalBody(req.Command().Body, &hb); err != nil {
		f.problem("heartbeat body %q: %v", req.Command().Body, err)
		_ = req.ReplyCode(protocol.SystemError, err.Error())
		return
	}
	f.locked(func() {
		f.heartbeats = append(f.heartbeats, hb)
		if len(hb.ConsumerDataSet) > 0 {
			f.clientID = hb.ClientID
		}
	})
	_ = req.ReplyCode(protocol.Success, "")
}

func (f *pullFake) consumerList(req *netio.Request) {
	var h protocol.GetConsumerListByGroupRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil || h.ConsumerGroup != pullGroup {
		f.problem("GET_CONSUMER_LIST_BY_GROUP group %q: %v", h.ConsumerGroup, err)
	}
	var ids []string
	f.locked(func() {
		if f.clientID != "" {
			ids = append(ids, f.clientID)
		}
	})
	body, err := protocol.MarshalBody(protocol.ConsumerListByGroupResponseBody{ConsumerIDList: ids})
	if err != nil {
		f.problem("consumer list body: %v", err)
	}
	resp := req.Response(protocol.Success)
	resp.Body = body
	_ = req.Reply(resp)
}

// queryOffset answers QUERY_NOT_FOUND: the group has no stored offset, so
// CONSUME_FROM_FIRST_OFFSET starts at 0.
func (f *pullFake) queryOffset(req *netio.Request) {
	var h protocol.QueryConsumerOffsetRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		f.problem("QUERY_CONSUMER_OFFSET header: %v", err)
	} else {
		q := fmt.Sprintf("%s/%s/%d", h.ConsumerGroup, h.Topic, h.QueueID)
		f.locked(func() { f.queries = append(f.queries, q) })
	}
	_ = req.ReplyCode(protocol.QueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
}

// maxOffset is the consume-queue max offset (next offset to write).
func (f *pullFake) maxOffset(topic string, queueID int32) int64 {
	if topic == pullTopic && queueID == pullDataQ {
		return f.setup.Load().n
	}
	return 0
}

// minMaxOffset serves GET_MAX_OFFSET and GET_MIN_OFFSET. client-go sends
// neither for CONSUME_FROM_FIRST_OFFSET, but answers are cheap.
func (f *pullFake) minMaxOffset(req *netio.Request) {
	var h protocol.TopicQueueHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		_ = req.ReplyCode(protocol.SystemError, err.Error())
		return
	}
	resp := req.Response(protocol.Success)
	off := int64(0)
	if protocol.RequestCode(req.Command().Code) == protocol.GetMaxOffset {
		off = f.maxOffset(h.Topic, h.QueueID)
	}
	(&protocol.OffsetResponseHeader{Offset: off}).Encode(&resp.Ext)
	_ = req.Reply(resp)
}

func (f *pullFake) pull(req *netio.Request) {
	var h protocol.PullMessageRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		f.problem("PULL_MESSAGE header: %v", err)
		_ = req.ReplyCode(protocol.SystemError, err.Error())
		return
	}
	p := pullSeen{
		group: string(h.ConsumerGroup), topic: string(h.Topic), subscription: string(h.Subscription),
		expressionType: string(h.ExpressionType), queueID: h.QueueID, offset: h.QueueOffset,
		commitOffset: h.CommitOffset, suspendMillis: h.SuspendTimeoutMillis, sysFlag: h.SysFlag, maxMsgNums: h.MaxMsgNums,
	}
	f.locked(func() { f.pulls = append(f.pulls, p) })

	maxOff := f.maxOffset(p.topic, p.queueID)
	if (p.topic != pullTopic && p.topic != pullRetry) || p.queueID < 0 || p.queueID >= pullQueues ||
		(p.topic == pullRetry && p.queueID != 0) || p.offset < 0 || p.offset > maxOff ||
		(p.offset != 0 && p.offset != maxOff) {
		f.problem("pull of unexpected queue or offset: %+v", p)
	}

	if p.topic == pullTopic && p.queueID == pullDataQ && p.offset == 0 {
		// FOUND: all records in one answer, written with writev straight
		// from the record buffer.
		resp := req.Response(protocol.Success)
		rh := protocol.PullMessageResponseHeader{NextBeginOffset: maxOff, MinOffset: 0, MaxOffset: maxOff, SuggestWhichBrokerID: 0}
		rh.Encode(&resp.Ext)
		// A fresh outer slice per reply: the writer may advance it.
		err := req.ReplyParts(resp, slices.Clone(f.setup.Load().parts), func(err error) {
			if err != nil {
				f.problem("ReplyParts done: %v", err)
				return
			}
			f.locked(func() { f.served++ })
		})
		if err != nil {
			f.problem("ReplyParts: %v", err)
		}
		return
	}

	// Nothing new: hold the pull briefly, as a broker's long polling would,
	// so the consumer's pull loop does not spin, then answer PULL_NOT_FOUND
	// (OFFSET_OVERFLOW_ONE, or NO_MESSAGE_IN_QUEUE at offset 0).
	rsp := req.Responder()
	next := p.offset
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		timer := time.NewTimer(pullHold)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-f.stop:
		}
		var resp protocol.Command
		resp.Code = int32(protocol.PullNotFound)
		resp.SetRemark("OFFSET_OVERFLOW_ONE")
		(&protocol.PullMessageResponseHeader{NextBeginOffset: next, MinOffset: 0, MaxOffset: maxOff}).Encode(&resp.Ext)
		_ = rsp.Reply(&resp) // fails harmlessly once the consumer is gone
	}()
}

func (f *pullFake) updateOffset(req *netio.Request) {
	var h protocol.UpdateConsumerOffsetRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		f.problem("UPDATE_CONSUMER_OFFSET header: %v", err)
		_ = req.ReplyCode(protocol.SystemError, err.Error())
		return
	}
	u := offsetUpdate{group: string(h.ConsumerGroup), topic: string(h.Topic), queueID: h.QueueID, offset: h.CommitOffset}
	f.locked(func() { f.updates = append(f.updates, u) })
	// client-go sends this "oneway" without the oneway flag and drops the
	// answer; answer anyway, as a Java broker does.
	_ = req.ReplyCode(protocol.Success, "")
}

func TestClientGoPushConsumerPulls(t *testing.T) {
	f := &pullFake{stop: make(chan struct{}), counts: map[protocol.RequestCode]int{}}
	cfg := netio.DefaultServerConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.NumEventLoops = 2
	srv, err := netio.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.register(srv)

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	t.Cleanup(func() { close(f.stop); f.wg.Wait() }) // runs before srv.Close

	addr := srv.Addr().String()
	storeHost := message.HostFrom(netip.MustParseAddrPort(addr))
	recs := buildPullRecords(t, storeHost)
	setup := &pullSetup{n: int64(len(recs))}
	for _, r := range recs {
		setup.parts = append(setup.parts, r.raw)
	}
	if len(recs[pullBigIndex].plain) < 4096 || recs[pullBigIndex].fields.SysFlag&message.SysFlagCompressed == 0 {
		t.Fatal("the compressed record is not set up")
	}
	route := protocol.TopicRouteData{
		QueueDatas:  []protocol.QueueData{{BrokerName: pullBroker, Perm: 6, ReadQueueNums: pullQueues, WriteQueueNums: pullQueues}},
		BrokerDatas: []protocol.BrokerData{{Cluster: "DefaultCluster", BrokerName: pullBroker, BrokerAddrs: map[int64]string{0: addr}}},
	}
	if setup.routeBody, err = protocol.MarshalBody(route); err != nil {
		t.Fatal(err)
	}
	route.QueueDatas[0].ReadQueueNums, route.QueueDatas[0].WriteQueueNums = 1, 1
	if setup.retryBody, err = protocol.MarshalBody(route); err != nil {
		t.Fatal(err)
	}
	f.setup.Store(setup)

	var (
		gotMu sync.Mutex
		got   []consumed
	)
	c, err := consumer.NewPushConsumer(
		consumer.WithNameServer([]string{addr}),
		consumer.WithGroupName(pullGroup),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithInstance(fmt.Sprintf("pull-%d", time.Now().UnixNano())),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Subscribe(pullTopic, consumer.MessageSelector{Type: consumer.TAG, Expression: "TagA || TagB"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			gotMu.Lock()
			defer gotMu.Unlock()
			for _, m := range msgs {
				var q primitive.MessageQueue
				if m.Queue != nil {
					q = *m.Queue
				}
				got = append(got, consumed{
					topic: m.Topic, queue: q, queueOffset: m.QueueOffset, commitLogOff: m.CommitLogOffset,
					sysFlag: m.SysFlag, flag: m.Flag, reconsume: m.ReconsumeTimes,
					bornTS: m.BornTimestamp, storeTS: m.StoreTimestamp, bornHost: m.BornHost, storeHost: m.StoreHost,
					msgID: m.MsgId, offsetMsgID: m.OffsetMsgId, body: bytes.Clone(m.Body), props: m.GetProperties(),
				})
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("consumer Start: %v", err)
	}
	var shutdownOnce sync.Once
	shutdown := func() { shutdownOnce.Do(func() { _ = c.Shutdown() }) }
	t.Cleanup(shutdown) // registered last, so it runs before the server stops

	// 1. The consumer gets exactly the TagA and TagB records.
	var want []pullRecord
	for _, r := range recs {
		if pullTags(int(r.fields.QueueOffset)) != "TagC" {
			want = append(want, r)
		}
	}
	countGot := func() int { gotMu.Lock(); defer gotMu.Unlock(); return len(got) }
	testutil.Eventually(t, 10*time.Second, func() bool { return countGot() >= len(want) },
		fmt.Sprintf("consumer callback got %d of %d messages", countGot(), len(want)))

	// 2. client-go reports its progress: the pull after consumption carries
	// the commitOffset flag and offset N. It consumes up to offset 8 (the last
	// delivered record +1) and moves to 9 = nextBeginOffset only when a
	// PULL_NOT_FOUND answer finds its cache empty (correctTagsOffset), since
	// the last record is a TagC it filtered out.
	n := int64(len(recs))
	commitPulled := func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, p := range f.pulls {
			if p.topic == pullTopic && p.queueID == pullDataQ && p.sysFlag&protocol.PullFlagCommitOffset != 0 && p.commitOffset == n {
				return true
			}
		}
		return false
	}
	testutil.Eventually(t, 5*time.Second, commitPulled, fmt.Sprintf("no PULL_MESSAGE with commitOffset %d on queue %d", n, pullDataQ))

	// 3. Shutdown persists the offsets with UPDATE_CONSUMER_OFFSET. (The
	// periodic persist runs every 5 s, first after 10 s, which this test does
	// not wait for; the one at shutdown is synchronous and comes at once.)
	shutdown()
	updated := func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, u := range f.updates {
			if u.group == pullGroup && u.topic == pullTopic && u.queueID == pullDataQ && u.offset == n {
				return true
			}
		}
		return false
	}
	testutil.Eventually(t, 5*time.Second, updated, fmt.Sprintf("no UPDATE_CONSUMER_OFFSET with commitOffset %d", n))

	// Now nothing more can arrive: check what was consumed.
	gotMu.Lock()
	msgs := slices.Clone(got)
	gotMu.Unlock()
	slices.SortFunc(msgs, func(a, b consumed) int { return int(a.queueOffset - b.queueOffset) })
	if len(msgs) != len(want) {
		var offs []int64
		for _, m := range msgs {
			offs = append(offs, m.queueOffset)
		}
		t.Fatalf("consumed queue offsets %v, want the %d TagA/TagB records", offs, len(want))
	}
	for i, m := range msgs {
		r := want[i]
		fl := r.fields
		wantOffsetID := string(message.AppendOffsetID(nil, storeHost, fl.PhysicalOffset))
		for _, c := range []struct {
			name      string
			got, want any
		}{
			{"Topic", m.topic, pullTopic},
			{"Queue", m.queue, primitive.MessageQueue{Topic: pullTopic, BrokerName: pullBroker, QueueId: pullDataQ}},
			{"QueueOffset", m.queueOffset, fl.QueueOffset},
			{"CommitLogOffset", m.commitLogOff, fl.PhysicalOffset},
			{"SysFlag", m.sysFlag, fl.SysFlag},
			{"Flag", m.flag, fl.Flag},
			{"ReconsumeTimes", m.reconsume, int32(0)},
			{"BornTimestamp", m.bornTS, fl.BornTimestamp},
			{"StoreTimestamp", m.storeTS, fl.StoreTimestamp},
			{"BornHost", m.bornHost, fl.BornHost.String()},
			{"StoreHost", m.storeHost, addr},
			{"Body", string(m.body), string(r.plain)},
			{"MsgId", m.msgID, r.uniq},
			{"OffsetMsgId", m.offsetMsgID, wantOffsetID},
			{"TAGS", m.props[message.PropertyTags], pullTags(int(fl.QueueOffset))},
			{"KEYS", m.props[message.PropertyKeys], fmt.Sprintf("order-%d user-%d", fl.QueueOffset, fl.QueueOffset%4)},
			{"UNIQ_KEY", m.props[message.PropertyUniqKey], r.uniq},
			{pullUserProp, m.props[pullUserProp], strconv.FormatInt(fl.QueueOffset, 10)},
			// client-go copies these from our pull response header.
			{"MIN_OFFSET", m.props[message.PropertyMinOffset], "0"},
			{"MAX_OFFSET", m.props[message.PropertyMaxOffset], strconv.FormatInt(n, 10)},
		} {
			if c.got != c.want {
				t.Errorf("queue offset %d: %s = %v, want %v", fl.QueueOffset, c.name, c.got, c.want)
			}
		}
		// Every stored property arrives; client-go adds only its own.
		for k, v := range propsMap(fl.Properties) {
			if m.props[k] != v {
				t.Errorf("queue offset %d: property %s = %q, want %q", fl.QueueOffset, k, m.props[k], v)
			}
		}
		for k := range m.props {
			if _, ok := propsMap(fl.Properties)[k]; !ok && k != message.PropertyMinOffset && k != message.PropertyMaxOffset &&
				k != message.PropertyConsumeStartTime {
				t.Errorf("queue offset %d: unexpected property %s=%q", fl.QueueOffset, k, m.props[k])
			}
		}
	}

	// The server side: what client-go asked for, and how.
	f.mu.Lock()
	defer f.mu.Unlock()
	var seen []string
	for _, code := range f.order {
		seen = append(seen, fmt.Sprintf("%v×%d", code, f.counts[code]))
	}
	t.Logf("client-go sent, in order of first use: %s", strings.Join(seen, ", "))
	for _, p := range f.pulls {
		t.Logf("pull %+v", p)
	}
	for _, u := range f.updates {
		t.Logf("update %+v", u)
	}
	t.Logf("%d heartbeats; QUERY_CONSUMER_OFFSET for %v", len(f.heartbeats), f.queries)
	for _, p := range f.problems {
		t.Errorf("server: %s", p)
	}
	for _, u := range f.unexpected {
		t.Errorf("client-go sent a request this test does not serve: %s", u)
	}
	for _, code := range []protocol.RequestCode{protocol.GetRouteInfoByTopic, protocol.HeartBeat, protocol.GetConsumerListByGroup,
		protocol.QueryConsumerOffset, protocol.PullMessage, protocol.UpdateConsumerOffset} {
		if f.counts[code] == 0 {
			t.Errorf("client-go sent no %v", code)
		}
	}
	if f.served != 1 {
		t.Errorf("%d pulls answered with records (ReplyParts done), want 1", f.served)
	}
	if !slices.Contains(f.queries, pullGroup+"/"+pullTopic+"/"+strconv.Itoa(pullDataQ)) {
		t.Errorf("QUERY_CONSUMER_OFFSET requests %v lack queue %d of %s", f.queries, pullDataQ, pullTopic)
	}
	checkConsumerHeartbeat(t, f.heartbeats)
	checkFirstPull(t, f.pulls)
}

// checkConsumerHeartbeat asserts that the first heartbeat registers the push
// consumer with its tag subscription and the implicit retry subscription.
func checkConsumerHeartbeat(t *testing.T, hbs []protocol.HeartbeatData) {
	t.Helper()
	if len(hbs) == 0 {
		t.Fatal("no heartbeat")
	}
	hb := hbs[0]
	if hb.ClientID == "" || !strings.Contains(hb.ClientID, "@pull-") {
		t.Errorf("heartbeat clientID %q", hb.ClientID)
	}
	if len(hb.ConsumerDataSet) != 1 {
		t.Fatalf("heartbeat consumerDataSet %+v", hb.ConsumerDataSet)
	}
	cd := hb.ConsumerDataSet[0]
	if cd.GroupName != pullGroup || cd.ConsumeType != protocol.ConsumePassively || cd.MessageModel != protocol.MessageModelClustering ||
		cd.ConsumeFromWhere != protocol.ConsumeFromFirstOffset || cd.UnitMode {
		t.Errorf("heartbeat consumer data %+v", cd)
	}
	subs := map[string]protocol.SubscriptionData{}
	for _, s := range cd.SubscriptionDataSet {
		subs[s.Topic] = s
	}
	if len(subs) != 2 {
		t.Errorf("heartbeat subscriptions %+v, want %s and %s", cd.SubscriptionDataSet, pullTopic, pullRetry)
	}
	s, ok := subs[pullTopic]
	if !ok {
		t.Fatalf("heartbeat has no subscription for %s: %+v", pullTopic, cd.SubscriptionDataSet)
	}
	tags := slices.Sorted(slices.Values(s.TagsSet))
	codes := slices.Sorted(slices.Values([]int32(s.CodeSet)))
	wantCodes := slices.Sorted(slices.Values([]int32{message.JavaHashCode("TagA"), message.JavaHashCode("TagB")}))
	if s.SubString != "TagA || TagB" || !slices.Equal(tags, []string{"TagA", "TagB"}) || !slices.Equal(codes, wantCodes) ||
		s.ExpressionType != protocol.ExpressionTag || s.ClassFilterMode {
		t.Errorf("subscription %+v; want tags [TagA TagB] codes %v", s, wantCodes)
	}
	// client-go's subVersion is time.Now().UnixNano(), not Java's ms.
	if d := time.Since(time.Unix(0, s.SubVersion)); d < 0 || d > time.Minute {
		t.Errorf("subVersion %d is not a recent UnixNano", s.SubVersion)
	}
	if r, ok := subs[pullRetry]; !ok || r.SubString != protocol.SubAll || len(r.TagsSet) != 0 || len(r.CodeSet) != 0 {
		t.Errorf("retry subscription %+v (present %v)", r, ok)
	}
}

// checkFirstPull asserts the header of the consumer's first pull of the data
// queue: push-consumer defaults, and the subscription not posted (the broker
// filters with the heartbeat's). commitOffset is -1, not 0: after
// QUERY_NOT_FOUND client-go caches -1 as the queue's offset and sends it,
// with the commitOffset flag clear, until it has consumed something.
func checkFirstPull(t *testing.T, pulls []pullSeen) {
	t.Helper()
	i := slices.IndexFunc(pulls, func(p pullSeen) bool { return p.topic == pullTopic && p.queueID == pullDataQ })
	if i < 0 {
		t.Fatal("no pull of the data queue")
	}
	p := pulls[i]
	if p.group != pullGroup || p.offset != 0 || p.maxMsgNums != 32 || p.suspendMillis != 20000 ||
		p.sysFlag != protocol.PullFlagSuspend || p.commitOffset != -1 || p.subscription != "" || p.expressionType != protocol.ExpressionTag {
		t.Errorf("first pull header %+v", p)
	}
}
