package client

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/protocol"
)

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// pullQueue pulls mq from offset until it has want messages or the
// deadline passes.
func pullQueue(t *testing.T, pc *PullConsumer, mq MessageQueue, from int64, want int) []*MessageExt {
	t.Helper()
	var got []*MessageExt
	off := from
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		res, err := pc.Pull(ctxT(t, 5*time.Second), mq, off, 16, 500*time.Millisecond)
		if err != nil {
			t.Fatalf("pull %v at %d: %v", mq, off, err)
		}
		switch res.Status {
		case PullFound:
			for i, m := range res.Messages {
				if m.QueueOffset != off+int64(i) {
					t.Fatalf("%v: message %d has queue offset %d, want %d", mq, i, m.QueueOffset, off+int64(i))
				}
			}
			got = append(got, res.Messages...)
			if res.NextBeginOffset != off+int64(len(res.Messages)) {
				t.Fatalf("%v: next offset %d after %d messages from %d", mq, res.NextBeginOffset, len(res.Messages), off)
			}
		case PullNoNewMsg, PullNoMatchedMsg:
		default:
			t.Fatalf("pull %v at %d: status %v", mq, off, res.Status)
		}
		off = res.NextBeginOffset
	}
	if len(got) != want {
		t.Fatalf("%v: pulled %d messages, want %d", mq, len(got), want)
	}
	return got
}

// TestSendAndPull: every send mode, then everything pulled back in order
// with its offsets, ids, tags, keys and properties.
func TestSendAndPull(t *testing.T) {
	c := startCluster(t, 1, "")
	const topic = "ClientSendPull"
	c.createTopic(topic, 4)
	p := c.producer("pg_sendpull")
	pc := c.consumer("cg_sendpull")
	ctx := ctxT(t, 30*time.Second)

	type sent struct {
		body string
		res  SendResult
		m    *Message
	}
	var mu sync.Mutex
	byBody := map[string]*sent{}
	mk := func(kind string, i int) *Message {
		m := NewMessage(topic, []byte(fmt.Sprintf("%s-%03d", kind, i)))
		m.Tags = "tag" + kind
		m.Keys = []string{fmt.Sprintf("k%d", i), "kind-" + kind}
		m.Properties = map[string]string{"seq": fmt.Sprint(i), "kind": kind}
		return m
	}
	record := func(m *Message, res SendResult) {
		mu.Lock()
		byBody[string(m.Body)] = &sent{body: string(m.Body), res: res, m: m}
		mu.Unlock()
	}

	const n = 20
	for i := range n {
		m := mk("sync", i)
		res, err := p.SendSync(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != SendOK || len(res.MsgID) != message.UniqIDLen || len(res.OffsetMsgID) != message.OffsetIDLen ||
			res.Queue.Topic != topic || res.Queue.BrokerName != "broker-a" {
			t.Fatalf("sync result %+v", res)
		}
		record(m, res)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		m := mk("async", i)
		wg.Add(1)
		if err := p.SendAsync(m, func(res SendResult, err error) {
			defer wg.Done()
			if err != nil {
				errs <- err
				return
			}
			record(m, res)
		}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range n {
		if err := p.SendOneway(mk("oneway", i)); err != nil {
			t.Fatal(err)
		}
	}
	var batch []*Message
	for i := range 10 {
		batch = append(batch, mk("batch", i))
	}
	bres, err := p.SendBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	ids, offIDs := strings.Split(bres.MsgID, ","), strings.Split(bres.OffsetMsgID, ",")
	if len(ids) != 10 || len(offIDs) != 10 || bres.Status != SendOK {
		t.Fatalf("batch result %+v", bres)
	}
	for i, m := range batch {
		record(m, SendResult{MsgID: ids[i], OffsetMsgID: offIDs[i], Queue: bres.Queue, QueueOffset: bres.QueueOffset + int64(i)})
	}

	qs, err := pc.Queues(ctx, topic)
	if err != nil || len(qs) != 4 {
		t.Fatalf("queues %v: %v", qs, err)
	}
	// The oneway sends' queues are unknown: wait until the total shows.
	total := 0
	var maxOffsets []int64
	deadline := time.Now().Add(10 * time.Second)
	for {
		total, maxOffsets = 0, maxOffsets[:0]
		for _, q := range qs {
			res, err := pc.Pull(ctx, q, 0, 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			total += int(res.MaxOffset)
			maxOffsets = append(maxOffsets, res.MaxOffset)
		}
		if total == 3*n+10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if total != 3*n+10 {
		t.Fatalf("queues hold %d messages, want %d", total, 3*n+10)
	}
	seen := 0
	for qi, q := range qs {
		msgs := pullQueue(t, pc, q, 0, int(maxOffsets[qi]))
		lastSeq := map[string]int{}
		for _, m := range msgs {
			seen++
			kind := m.Properties["kind"]
			var seq int
			fmt.Sscan(m.Properties["seq"], &seq)
			if want := fmt.Sprintf("%s-%03d", kind, seq); string(m.Body) != want {
				t.Fatalf("body %q, properties say %q", m.Body, want)
			}
			if last, ok := lastSeq[kind]; ok && seq <= last && kind != "async" {
				t.Fatalf("%v: %s %d after %d: out of order", q, kind, seq, last)
			}
			lastSeq[kind] = seq
			if m.Tags != "tag"+kind || !slices.Equal(m.Keys, []string{"k" + m.Properties["seq"], "kind-" + kind}) {
				t.Fatalf("tags %q keys %q", m.Tags, m.Keys)
			}
			if m.Topic != topic || m.Queue != q || m.QueueID != q.QueueID || m.BornTimestamp == 0 || m.StoreTimestamp < m.BornTimestamp-1000 {
				t.Fatalf("message fields %+v", m)
			}
			if m.Properties[message.PropertyUniqKey] != m.MsgID {
				t.Fatalf("MsgID %s, UNIQ_KEY %s", m.MsgID, m.Properties[message.PropertyUniqKey])
			}
			mu.Lock()
			s := byBody[string(m.Body)]
			mu.Unlock()
			if s == nil {
				if kind != "oneway" {
					t.Fatalf("pulled %q, never sent", m.Body)
				}
				continue
			}
			if s.res.MsgID != m.MsgID || s.res.OffsetMsgID != m.OffsetMsgID || s.res.Queue != m.Queue || s.res.QueueOffset != m.QueueOffset {
				t.Fatalf("%q: sent %+v, pulled id %s offset id %s queue %v offset %d", m.Body, s.res, m.MsgID, m.OffsetMsgID, m.Queue, m.QueueOffset)
			}
		}
	}
	if seen != 3*n+10 {
		t.Fatalf("pulled %d", seen)
	}
}

// TestLongPoll: a pull waiting on an empty queue answers when a message
// arrives, long before its hold ends.
func TestLongPoll(t *testing.T) {
	c := startCluster(t, 1, "")
	const topic = "ClientLongPoll"
	c.createTopic(topic, 1)
	p := c.producer("pg_lp")
	pc := c.consumer("cg_lp")
	mq := MessageQueue{Topic: topic, BrokerName: "broker-a", QueueID: 0}
	type out struct {
		res PullResult
		err error
		at  time.Time
	}
	done := make(chan out, 1)
	start := time.Now()
	go func() {
		res, err := pc.Pull(context.Background(), mq, 0, 32, 10*time.Second)
		done <- out{res, err, time.Now()}
	}()
	time.Sleep(300 * time.Millisecond)
	m := &Message{Topic: topic, Body: []byte("wake up"), QueueID: 0}
	if _, err := p.SendSync(ctxT(t, 5*time.Second), m); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-done:
		if o.err != nil || o.res.Status != PullFound || len(o.res.Messages) != 1 || string(o.res.Messages[0].Body) != "wake up" {
			t.Fatalf("long poll: %+v %v", o.res, o.err)
		}
		if d := o.at.Sub(start); d > 5*time.Second {
			t.Fatalf("long poll answered after %v", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("long poll never answered")
	}
	// And one that times out: nothing new.
	res, err := pc.Pull(context.Background(), mq, 1, 32, 200*time.Millisecond)
	if err != nil || res.Status != PullNoNewMsg || res.NextBeginOffset != 1 {
		t.Fatalf("empty long poll: %+v %v", res, err)
	}
}

// TestOffsets: commit and fetch a group's offset.
func TestOffsets(t *testing.T) {
	c := startCluster(t, 1, "")
	const topic = "ClientOffsets"
	c.createTopic(topic, 2)
	pc := c.consumer("cg_offsets")
	ctx := ctxT(t, 10*time.Second)
	mq := MessageQueue{Topic: topic, BrokerName: "broker-a", QueueID: 1}
	off, err := pc.FetchOffset(ctx, mq)
	// Quiver, like Java's broker, says 0 (not "none") for a queue that
	// still starts at 0; TestFetchOffsetNotFound covers QUERY_NOT_FOUND.
	if err != nil || (off != 0 && off != -1) {
		t.Fatalf("fresh offset %d: %v", off, err)
	}
	if err := pc.CommitOffset(ctx, mq, 42); err != nil {
		t.Fatal(err)
	}
	if off, err = pc.FetchOffset(ctx, mq); err != nil || off != 42 {
		t.Fatalf("offset %d after commit of 42: %v", off, err)
	}
	// Another group, through a dead name server first and 3 connections
	// per address.
	cfg := c.config("cg_offsets_other")
	cfg.NameServers = []string{"127.0.0.1:1", c.nsAddr}
	cfg.ConnsPerAddr = 3
	other, err := NewPullConsumer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if off, err = other.FetchOffset(ctx, mq); err != nil || off == 42 {
		t.Fatalf("another group's offset %d: %v", off, err)
	}
	for i := range 6 {
		if err := other.CommitOffset(ctx, mq, int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if off, err = other.FetchOffset(ctx, mq); err != nil || off != 5 {
		t.Fatalf("offset %d after commits up to 5: %v", off, err)
	}
	if off, err = pc.FetchOffset(ctx, mq); err != nil || off != 42 {
		t.Fatalf("first group's offset %d: %v", off, err)
	}
}

// TestSendRetryBrokerDown: with two brokers, sends go on when one stops.
func TestSendRetryBrokerDown(t *testing.T) {
	c := startCluster(t, 2, "")
	const topic = "ClientRetry"
	c.createTopic(topic, 2)
	p := c.producer("pg_retry")
	ctx := ctxT(t, 60*time.Second)
	used := map[string]int{}
	for i := range 8 {
		res, err := p.SendSync(ctx, NewMessage(topic, []byte(fmt.Sprint("before ", i))))
		if err != nil {
			t.Fatal(err)
		}
		used[res.Queue.BrokerName]++
	}
	if used["broker-a"] == 0 || used["broker-b"] == 0 {
		t.Fatalf("round-robin used %v", used)
	}
	adm := c.admin()
	if addrs, err := adm.BrokerAddrs(ctx); err != nil || len(addrs) != 2 || addrs["broker-b"] != c.brokers[1].Addr() {
		t.Fatalf("broker addresses %v: %v", addrs, err)
	}
	if rt, err := adm.Route(ctx, topic); err != nil || len(rt.QueueDatas) != 2 || len(rt.BrokerDatas) != 2 {
		t.Fatalf("route %+v: %v", rt, err)
	}
	// Producers that know the route with broker-b in it, each to be used
	// for one send mode only after broker-b stopped.
	pAsync, pOneway := c.producer("pg_retry_async"), c.producer("pg_retry_oneway")
	for _, q := range []*Producer{pAsync, pOneway} {
		if _, err := q.SendSync(ctx, NewMessage(topic, []byte("warm"))); err != nil {
			t.Fatal(err)
		}
	}
	c.stopBroker(1) // broker-b
	clear(used)
	for i := range 10 {
		res, err := p.SendSync(ctx, NewMessage(topic, []byte(fmt.Sprint("after ", i))))
		if err != nil {
			t.Fatalf("send %d with broker-b down: %v", i, err)
		}
		used[res.Queue.BrokerName]++
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var asyncErr error
	for i := range 10 {
		wg.Add(1)
		err := pAsync.SendAsync(NewMessage(topic, []byte(fmt.Sprint("async ", i))), func(res SendResult, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				asyncErr = err
				return
			}
			used[res.Queue.BrokerName]++
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if asyncErr != nil {
		t.Fatal(asyncErr)
	}
	for i := range 5 {
		if err := pOneway.SendOneway(NewMessage(topic, []byte(fmt.Sprint("oneway ", i)))); err != nil {
			t.Fatal(err)
		}
	}
	if used["broker-b"] != 0 || used["broker-a"] != 20 {
		t.Fatalf("after broker-b stopped, sends went to %v", used)
	}
}

// TestErrorMapping: response codes come back as *protocol.Error.
func TestErrorMapping(t *testing.T) {
	c := startCluster(t, 1, "")
	const topic = "ClientErrors"
	c.createTopic(topic, 1)
	p := c.producer("pg_err")
	ctx := ctxT(t, 10*time.Second)
	_, err := p.SendSync(ctx, NewMessage(topic, make([]byte, 70000))) // maxMessageSize=65536
	var pe *protocol.Error
	if !errors.Is(err, protocol.ErrMessageIllegal) || !errors.As(err, &pe) || pe.Code != protocol.MessageIllegal {
		t.Fatalf("oversize send: %v", err)
	}
	done := make(chan error, 1)
	if err := p.SendAsync(NewMessage(topic, make([]byte, 70000)), func(_ SendResult, err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, protocol.ErrMessageIllegal) {
		t.Fatalf("oversize async send: %v", err)
	}
	if _, err := p.SendSync(ctx, &Message{Topic: topic, Body: []byte("x"), QueueID: 5}); !errors.Is(err, ErrNoQueue) {
		t.Fatalf("send to a queue that does not exist: %v", err)
	}
	if _, err := p.SendSync(ctx, &Message{Topic: topic, Body: []byte("x"), QueueID: -1,
		Properties: map[string]string{"bad\x01key": "v"}}); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("bad property: %v", err)
	}
	if _, err := p.SendSync(ctx, NewMessage("NoSuchTopicAnywhere", []byte("x"))); !errors.Is(err, protocol.ErrTopicNotExist) {
		t.Fatalf("unknown topic: %v", err)
	}
	if _, err := p.SendBatch(ctx, []*Message{NewMessage(topic, []byte("a")), NewMessage("other", []byte("b"))}); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("mixed batch: %v", err)
	}
	pc := c.consumer("cg_err")
	if _, err := p.SendSync(ctx, &Message{Topic: topic, Body: []byte("one")}); err != nil {
		t.Fatal(err)
	}
	mq := MessageQueue{Topic: topic, BrokerName: "broker-a", QueueID: 0}
	pullQueue(t, pc, mq, 0, 1) // dispatched
	res, err := pc.Pull(ctx, mq, 1000, 1, 0)
	if err != nil || res.Status != PullOffsetIllegal {
		t.Fatalf("pull past the end: %+v %v", res, err)
	}
}

// TestSelector: a selector picks the queue; QueueID >= 0 picks it without
// one.
func TestSelector(t *testing.T) {
	c := startCluster(t, 1, "")
	const topic = "ClientSelector"
	c.createTopic(topic, 4)
	p := c.producer("pg_sel")
	ctx := ctxT(t, 10*time.Second)
	res, err := p.SendSync(ctx, &Message{Topic: topic, Body: []byte("q2"), QueueID: 2})
	if err != nil || res.Queue.QueueID != 2 {
		t.Fatalf("QueueID 2: %+v %v", res, err)
	}
	p.SetSelector(func(m *Message, qs []MessageQueue) MessageQueue { return qs[len(m.Body)%len(qs)] })
	for _, body := range []string{"a", "bb", "ccc", "dddd"} {
		res, err := p.SendSync(ctx, &Message{Topic: topic, Body: []byte(body)})
		if err != nil || res.Queue.QueueID != int32(len(body)%4) {
			t.Fatalf("selector: %+v %v", res, err)
		}
	}
	p.SetSelector(nil)
	seen := map[int32]bool{}
	for range 8 {
		res, err := p.SendSync(ctx, NewMessage(topic, []byte("rr")))
		if err != nil {
			t.Fatal(err)
		}
		seen[res.Queue.QueueID] = true
	}
	if len(seen) != 4 {
		t.Fatalf("round-robin reached queues %v", seen)
	}
}

// TestDecodeCompressed: a zlib body is inflated; properties decode.
func TestDecodeCompressed(t *testing.T) {
	var z bytes.Buffer
	zw := zlibWriter(&z)
	_, _ = zw.Write([]byte("hello compressed world"))
	_ = zw.Close()
	props := message.AppendProperty(nil, message.PropertyTags, "T")
	props = message.AppendProperty(props, message.PropertyKeys, "a b")
	props = message.AppendProperty(props, "user", "v")
	f := message.Fields{Topic: []byte("TopicZ"), Body: z.Bytes(), Properties: props, SysFlag: message.SysFlagCompressed,
		QueueID: 3, QueueOffset: 7, BornTimestamp: 1, StoreTimestamp: 2}
	rec, err := message.AppendRecord(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	var pc PullConsumer
	msgs, err := pc.decode(rec, MessageQueue{Topic: "TopicZ", BrokerName: "b", QueueID: 3})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("decode: %v %v", msgs, err)
	}
	m := msgs[0]
	if string(m.Body) != "hello compressed world" || m.Tags != "T" || !slices.Equal(m.Keys, []string{"a", "b"}) ||
		m.Properties["user"] != "v" || m.QueueOffset != 7 || m.MsgID != m.OffsetMsgID {
		t.Fatalf("decoded %+v", m)
	}
	f.SysFlag = message.SysFlagCompressed | message.SysFlagCompressionLZ4
	rec, _ = message.AppendRecord(nil, &f)
	if _, err := pc.decode(rec, MessageQueue{Topic: "TopicZ"}); !errors.Is(err, ErrUnsupportedCompression) {
		t.Fatalf("lz4: %v", err)
	}
}

func zlibWriter(w *bytes.Buffer) *zlib.Writer { return zlib.NewWriter(w) }

// TestFirstSendAsync: an asynchronous send to a topic whose route is not
// cached yet; a delayed message; Close.
func TestFirstSendAsyncDelayClose(t *testing.T) {
	c := startCluster(t, 1, "")
	const topic = "ClientFirstAsync"
	c.createTopic(topic, 1)
	p := c.producer("pg_first")
	done := make(chan error, 1)
	var res SendResult
	if err := p.SendAsync(NewMessage(topic, []byte("first")), func(r SendResult, err error) { res = r; done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil || res.QueueOffset != 0 || res.MsgID == "" {
		t.Fatalf("first async send: %+v %v", res, err)
	}
	if err := p.SendAsync(NewMessage("NoSuchTopicAsync", []byte("x")), func(_ SendResult, err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, protocol.ErrTopicNotExist) {
		t.Fatalf("async send to an unknown topic: %v", err)
	}

	pc := c.consumer("cg_first")
	mq := MessageQueue{Topic: topic, BrokerName: "broker-a", QueueID: 0}
	pullQueue(t, pc, mq, 0, 1)
	m := NewMessage(topic, []byte("delayed"))
	m.DelayLevel = 1 // 1 s
	sentAt := time.Now()
	if _, err := p.SendSync(ctxT(t, 5*time.Second), m); err != nil {
		t.Fatal(err)
	}
	got := pullQueue(t, pc, mq, 1, 1)
	if d := time.Since(sentAt); d < 800*time.Millisecond || string(got[0].Body) != "delayed" {
		t.Fatalf("delayed message %q after %v", got[0].Body, d)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendSync(ctxT(t, time.Second), NewMessage(topic, []byte("late"))); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after Close: %v", err)
	}
	if err := p.SendAsync(NewMessage(topic, []byte("late")), func(SendResult, error) {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("async send after Close: %v", err)
	}
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.Pull(ctxT(t, time.Second), mq, 0, 1, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("pull after Close: %v", err)
	}
}
