//go:build !race

// client-go v2.1.2 has data races of its own (consumer rebalance against
// route refresh, in internal/ and consumer/), so these tests do not run
// under -race; the broker's handlers are race-tested in package broker,
// driven by netio clients.

package interop_test

// The interop suite: Quiver's name server and broker, in-process on
// 127.0.0.1, driven by the real rocketmq-client-go v2.1.2.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/quivermq/quiver/broker"
	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/namesrv"
)

// cluster is one name server and one broker.
type cluster struct {
	t      *testing.T
	ns     *namesrv.Server
	nsAddr string
	dir    string
	extra  string // more broker.conf lines
	b      *broker.Broker
	listen string // the broker's listen address; kept across restarts
}

func testLogger() *slog.Logger {
	if os.Getenv("QUIVER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// startCluster starts a name server and a broker with a small store in a
// temporary directory; extra is appended to the broker's config file.
func startCluster(t *testing.T, extra string) *cluster {
	t.Helper()
	nc := namesrv.DefaultConfig()
	nc.ListenAddr = "127.0.0.1:0"
	nc.KVConfigPath = filepath.Join(t.TempDir(), "kvConfig.json")
	nc.Logger = testLogger()
	ns, err := namesrv.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Start(); err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, ns: ns, nsAddr: ns.Addr().String(), dir: t.TempDir(), extra: extra}
	t.Cleanup(func() { _ = ns.Shutdown(context.Background()) })
	c.startBroker()
	return c
}

func (c *cluster) startBroker() {
	t := c.t
	t.Helper()
	text := fmt.Sprintf(`brokerClusterName=QuiverCluster
brokerName=broker-a
brokerId=0
brokerIP1=127.0.0.1
namesrvAddr=%s
storePathRootDir=%s
mappedFileSizeCommitLog=%d
registerNameServerPeriod=10000
%s
`, c.nsAddr, c.dir, 16<<20, c.extra)
	cfg, err := conf.Loader{Env: func(string) string { return "" }, Logger: testLogger()}.Parse("broker.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if c.listen == "" {
		c.listen = "127.0.0.1:0"
	}
	b, err := broker.New(cfg, broker.Options{ListenAddr: c.listen, Logger: testLogger(),
		Engine: func(ec *engine.Config) { ec.CheckpointInterval = 200 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	c.b = b
	c.listen = b.Addr() // a restart comes back at the same address
	t.Cleanup(c.stopBroker)
}

func (c *cluster) stopBroker() {
	if c.b == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.b.Shutdown(ctx); err != nil {
		c.t.Errorf("broker shutdown: %v", err)
	}
	c.b = nil
}

func (c *cluster) restartBroker() {
	c.stopBroker()
	c.startBroker()
}

var instanceSeq struct {
	sync.Mutex
	n int
}

func instanceName(prefix string) string {
	instanceSeq.Lock()
	defer instanceSeq.Unlock()
	instanceSeq.n++
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), instanceSeq.n)
}

func (c *cluster) producer(group string, opts ...producer.Option) interface {
	SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error)
	SendAsync(context.Context, func(context.Context, *primitive.SendResult, error), ...*primitive.Message) error
	SendOneWay(context.Context, ...*primitive.Message) error
	Shutdown() error
} {
	c.t.Helper()
	all := append([]producer.Option{
		producer.WithNameServer([]string{c.nsAddr}),
		producer.WithGroupName(group),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5 * time.Second),
		producer.WithInstanceName(instanceName("p")),
	}, opts...)
	p, err := producer.NewDefaultProducer(all...)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// received collects what a push consumer got.
type received struct {
	mu   sync.Mutex
	msgs []*primitive.MessageExt
}

func (r *received) add(msgs ...*primitive.MessageExt) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msgs...)
	r.mu.Unlock()
}

func (r *received) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

func (r *received) bodies() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]int{}
	for _, x := range r.msgs {
		m[string(x.Body)]++
	}
	return m
}

func (c *cluster) pushConsumer(group, topic string, sel consumer.MessageSelector, got *received, opts ...consumer.Option) interface {
	Shutdown() error
} {
	c.t.Helper()
	all := append([]consumer.Option{
		consumer.WithNameServer([]string{c.nsAddr}),
		consumer.WithGroupName(group),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithInstance(instanceName("c")),
	}, opts...)
	pc, err := consumer.NewPushConsumer(all...)
	if err != nil {
		c.t.Fatal(err)
	}
	err = pc.Subscribe(topic, sel, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		got.add(msgs...)
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
	c.waitRoute(topic)
	if err := pc.Start(); err != nil {
		c.t.Fatal(err)
	}
	var once sync.Once
	c.t.Cleanup(func() { once.Do(func() { _ = pc.Shutdown() }) })
	return pc
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestQuiverSendAndPushConsume(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_basic")
	const n = 20
	want := map[string]int{}
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("basic-%d", i)
		want[body] = 1
		res, err := p.SendSync(context.Background(), primitive.NewMessage("TopicBasic", []byte(body)))
		if err != nil {
			t.Fatalf("SendSync %d: %v", i, err)
		}
		if res.Status != primitive.SendOK || res.MsgID == "" || res.OffsetMsgID == "" {
			t.Fatalf("SendSync %d: %+v", i, res)
		}
	}
	got := &received{}
	c.pushConsumer("cg_basic", "TopicBasic", consumer.MessageSelector{}, got)
	waitFor(t, 30*time.Second, "all messages consumed", func() bool { return got.count() >= n })
	if b := got.bodies(); fmt.Sprint(b) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", b, want)
	}
}

func TestQuiverSendModesAndTagFilter(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_modes")
	ctx := context.Background()
	const topic = "TopicModes"
	tags := []string{"TagA", "TagB", "TagC"}
	want := map[string]int{}   // every message
	wantAC := map[string]int{} // TagA || TagC
	note := func(body, tag string) {
		want[body]++
		if tag != "TagB" {
			wantAC[body]++
		}
	}
	msg := func(body, tag string) *primitive.Message {
		m := primitive.NewMessage(topic, []byte(body))
		m.WithTag(tag)
		m.WithKeys([]string{"key-" + body})
		return m
	}
	// sync
	for i := 0; i < 9; i++ {
		body, tag := fmt.Sprintf("sync-%d", i), tags[i%3]
		if _, err := p.SendSync(ctx, msg(body, tag)); err != nil {
			t.Fatalf("SendSync: %v", err)
		}
		note(body, tag)
	}
	// async
	var wg sync.WaitGroup
	errs := make(chan error, 9)
	for i := 0; i < 9; i++ {
		body, tag := fmt.Sprintf("async-%d", i), tags[i%3]
		wg.Add(1)
		err := p.SendAsync(ctx, func(_ context.Context, res *primitive.SendResult, err error) {
			defer wg.Done()
			if err == nil && res.Status != primitive.SendOK {
				err = fmt.Errorf("status %v", res.Status)
			}
			errs <- err
		}, msg(body, tag))
		if err != nil {
			t.Fatalf("SendAsync: %v", err)
		}
		note(body, tag)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("async send: %v", err)
		}
	}
	// oneway
	for i := 0; i < 9; i++ {
		body, tag := fmt.Sprintf("oneway-%d", i), tags[i%3]
		if err := p.SendOneWay(ctx, msg(body, tag)); err != nil {
			t.Fatalf("SendOneWay: %v", err)
		}
		note(body, tag)
	}
	// batch: one SEND_BATCH_MESSAGE (same topic, no delay)
	var batch []*primitive.Message
	for i := 0; i < 9; i++ {
		body, tag := fmt.Sprintf("batch-%d", i), tags[i%3]
		batch = append(batch, msg(body, tag))
		note(body, tag)
	}
	res, err := p.SendSync(ctx, batch...)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("batch SendSync: %v %+v", err, res)
	}
	ids := strings.Split(res.OffsetMsgID, ",")
	if len(ids) != len(batch) {
		t.Fatalf("batch answer carries %d offset ids, want %d: %q", len(ids), len(batch), res.OffsetMsgID)
	}
	prev := int64(-1)
	for _, id := range ids {
		_, off, err := message.ParseOffsetID(id)
		if err != nil || off <= prev {
			t.Fatalf("batch offset ids %q: %q gives %d after %d (%v)", res.OffsetMsgID, id, off, prev, err)
		}
		prev = off
	}

	all := &received{}
	c.pushConsumer("cg_modes_all", topic, consumer.MessageSelector{}, all)
	ac := &received{}
	c.pushConsumer("cg_modes_ac", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "TagA || TagC"}, ac)
	waitFor(t, 30*time.Second, "every message", func() bool { return all.count() >= len(want) })
	waitFor(t, 30*time.Second, "the TagA||TagC messages", func() bool { return ac.count() >= len(wantAC) })
	time.Sleep(300 * time.Millisecond) // nothing more may arrive
	if b := all.bodies(); fmt.Sprint(b) != fmt.Sprint(want) {
		t.Fatalf("all: got %v\nwant %v", b, want)
	}
	if b := ac.bodies(); fmt.Sprint(b) != fmt.Sprint(wantAC) {
		t.Fatalf("TagA||TagC: got %v\nwant %v", b, wantAC)
	}
	ac.mu.Lock()
	for _, m := range ac.msgs {
		if m.GetTags() == "TagB" {
			t.Errorf("TagB message %s delivered to a TagA||TagC consumer", m.Body)
		}
	}
	ac.mu.Unlock()
}

func TestQuiverOversizeRefused(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_big", producer.WithRetry(0))
	ctx := context.Background()
	if _, err := p.SendSync(ctx, primitive.NewMessage("TopicBig", []byte("small"))); err != nil {
		t.Fatal(err)
	}
	// client-go compresses bodies over 4 KiB: random bytes stay 5 MiB.
	big := make([]byte, 5<<20)
	for i := range big {
		big[i] = byte(i*7919 + i>>8)
	}
	rnd := newRand(42)
	rnd.fill(big)
	_, err := p.SendSync(ctx, primitive.NewMessage("TopicBig", big))
	if err == nil {
		t.Fatal("a 5 MiB message was accepted")
	}
	t.Logf("5 MiB send refused: %v", err)
	// The broker goes on serving.
	for i := 0; i < 3; i++ {
		if res, err := p.SendSync(ctx, primitive.NewMessage("TopicBig", []byte("after"))); err != nil || res.Status != primitive.SendOK {
			t.Fatalf("send after the refusal: %v %+v", err, res)
		}
	}
}

// xorshift fills bodies that do not compress.
type xorshift uint64

func newRand(seed uint64) *xorshift { x := xorshift(seed | 1); return &x }

func (x *xorshift) fill(b []byte) {
	for i := range b {
		*x ^= *x << 13
		*x ^= *x >> 7
		*x ^= *x << 17
		b[i] = byte(*x)
	}
}

// sendN sends n messages with bodies prefix-i and returns the set.
func sendN(t *testing.T, p interface {
	SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error)
}, topic, prefix string, n int) map[string]int {
	t.Helper()
	want := map[string]int{}
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("%s-%d", prefix, i)
		if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(body))); err != nil {
			t.Fatalf("send %s: %v", body, err)
		}
		want[body] = 1
	}
	return want
}

// consumerIDs asks the broker for a group's members.
func (c *cluster) consumerIDs(group string) int {
	var n int
	cmdOK := func() bool {
		resp, err := invokeBroker(c.b.Addr(), protocolConsumerList(group))
		if err != nil || resp.Code != 0 {
			return false
		}
		n = strings.Count(string(resp.Body), "@")
		return true
	}
	cmdOK()
	return n
}

func TestQuiverClusteringSplitsQueues(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_cluster")
	const topic = "TopicCluster"
	sendN(t, p, topic, "warm", 4) // creates the topic with 4 queues
	a, b := &received{}, &received{}
	c.pushConsumer("cg_cluster", topic, consumer.MessageSelector{}, a)
	c.pushConsumer("cg_cluster", topic, consumer.MessageSelector{}, b)
	waitFor(t, 20*time.Second, "two members in the group", func() bool { return c.consumerIDs("cg_cluster") == 2 })
	waitFor(t, 20*time.Second, "the warm-up messages", func() bool { return a.count()+b.count() >= 4 })
	time.Sleep(time.Second) // both have rebalanced to 2 queues each
	a.reset()
	b.reset()
	want := sendN(t, p, topic, "split", 40)
	waitFor(t, 30*time.Second, "all 40", func() bool { return a.count()+b.count() >= 40 })
	union := a.bodies()
	for k, v := range b.bodies() {
		union[k] += v
	}
	if fmt.Sprint(union) != fmt.Sprint(want) {
		t.Fatalf("union of the two members: %v\nwant %v", union, want)
	}
	qa, qb := a.queues(), b.queues()
	if len(qa) == 0 || len(qb) == 0 {
		t.Fatalf("one member got nothing: %v / %v", qa, qb)
	}
	for q := range qa {
		if qb[q] {
			t.Fatalf("queue %d consumed by both members (%v, %v)", q, qa, qb)
		}
	}
	t.Logf("queues: %v / %v", qa, qb)
}

func TestQuiverBroadcasting(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_bcast")
	const topic = "TopicBroadcast"
	sendN(t, p, topic, "warm", 1)
	a, b := &received{}, &received{}
	opt := consumer.WithConsumerModel(consumer.BroadCasting)
	c.pushConsumer("cg_bcast", topic, consumer.MessageSelector{}, a, opt, consumer.WithConsumeFromWhere(consumer.ConsumeFromLastOffset))
	c.pushConsumer("cg_bcast", topic, consumer.MessageSelector{}, b, opt, consumer.WithConsumeFromWhere(consumer.ConsumeFromLastOffset))
	waitFor(t, 20*time.Second, "two members", func() bool { return c.consumerIDs("cg_bcast") == 2 })
	time.Sleep(time.Second)
	want := sendN(t, p, topic, "b", 20)
	waitFor(t, 30*time.Second, "both members got all", func() bool { return a.count() >= 20 && b.count() >= 20 })
	for name, r := range map[string]*received{"a": a, "b": b} {
		got := r.bodies()
		for body := range want {
			if got[body] == 0 {
				t.Fatalf("member %s missed %s (got %v)", name, body, got)
			}
		}
	}
}

func TestQuiverOrderlyPerKey(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_order", producer.WithQueueSelector(producer.NewHashQueueSelector()))
	const topic, keys, per = "TopicOrder", 6, 25
	sendN(t, p, topic, "warm", 1)
	type item struct {
		key string
		seq int
	}
	var (
		mu  sync.Mutex
		got []item
	)
	pc, err := consumer.NewPushConsumer(
		consumer.WithNameServer([]string{c.nsAddr}),
		consumer.WithGroupName("cg_order"),
		consumer.WithConsumerOrder(true),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithInstance(instanceName("o")),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = pc.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			var it item
			if _, err := fmt.Sscanf(string(m.Body), "order %s %d", &it.key, &it.seq); err == nil {
				got = append(got, it)
			}
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c.waitRoute(topic)
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Shutdown() })
	// Interleave the keys; each key's messages go to one queue by hash.
	for s := 0; s < per; s++ {
		for k := 0; k < keys; k++ {
			m := primitive.NewMessage(topic, []byte(fmt.Sprintf("order k%d %d", k, s)))
			m.WithShardingKey(fmt.Sprintf("k%d", k))
			if _, err := p.SendSync(context.Background(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, 30*time.Second, "all ordered messages", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= keys*per
	})
	mu.Lock()
	defer mu.Unlock()
	last := map[string]int{}
	for _, it := range got {
		if prev, ok := last[it.key]; ok && it.seq != prev+1 {
			t.Fatalf("key %s: %d after %d", it.key, it.seq, prev)
		}
		if _, ok := last[it.key]; !ok && it.seq != 0 {
			t.Fatalf("key %s starts at %d", it.key, it.seq)
		}
		last[it.key] = it.seq
	}
}

func TestQuiverPullConsumerPullFrom(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_pull", producer.WithQueueSelector(producer.NewManualQueueSelector()))
	const topic = "TopicPull"
	for i := 0; i < 30; i++ {
		m := primitive.NewMessage(topic, []byte(fmt.Sprintf("q1-%d", i)))
		m.Queue = &primitive.MessageQueue{Topic: topic, BrokerName: "broker-a", QueueId: 1}
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	pc, err := consumer.NewPullConsumer(
		consumer.WithNameServer([]string{c.nsAddr}),
		consumer.WithGroupName("cg_pull"),
		consumer.WithInstance(instanceName("pull")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, consumer.MessageSelector{}); err != nil {
		t.Fatal(err)
	}
	c.waitRoute(topic)
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Shutdown() })
	mq := &primitive.MessageQueue{Topic: topic, BrokerName: "broker-a", QueueId: 1}
	next, seen := int64(0), 0
	for seen < 30 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := pc.PullFrom(ctx, mq, next, 8)
		cancel()
		if err != nil {
			t.Fatalf("PullFrom %d: %v", next, err)
		}
		if res.Status != primitive.PullFound {
			t.Fatalf("PullFrom %d: status %v", next, res.Status)
		}
		for _, m := range res.GetMessageExts() {
			if want := fmt.Sprintf("q1-%d", seen); string(m.Body) != want || m.QueueOffset != int64(seen) {
				t.Fatalf("message %d: body %q offset %d", seen, m.Body, m.QueueOffset)
			}
			seen++
		}
		next = res.NextBeginOffset
	}
	if next != 30 {
		t.Fatalf("next offset %d, want 30", next)
	}
	// client-go's pull consumer also pulls its queues in the background
	// and panics (send on closed channel) if one of those pulls returns
	// messages after Shutdown: stop the broker first, which answers the
	// parked background pulls with PULL_NOT_FOUND.
	c.stopBroker()
}

func (r *received) reset() {
	r.mu.Lock()
	r.msgs = nil
	r.mu.Unlock()
}

func (r *received) queues() map[int]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[int]bool{}
	for _, x := range r.msgs {
		if x.Queue != nil {
			m[x.Queue.QueueId] = true
		}
	}
	return m
}

func TestQuiverOffsetsAfterConsumerRestart(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_offsets")
	const topic, group = "TopicOffsets", "cg_offsets"
	first := sendN(t, p, topic, "first", 20)
	got := &received{}
	pc := c.pushConsumer(group, topic, consumer.MessageSelector{}, got)
	waitFor(t, 30*time.Second, "the first 20", func() bool { return got.count() >= 20 })
	if b := got.bodies(); fmt.Sprint(b) != fmt.Sprint(first) {
		t.Fatalf("first run got %v", b)
	}
	// Shutdown commits the consumed offsets (UPDATE_CONSUMER_OFFSET).
	if err := pc.Shutdown(); err != nil {
		t.Fatal(err)
	}
	second := sendN(t, p, topic, "second", 10)
	again := &received{}
	c.pushConsumer(group, topic, consumer.MessageSelector{}, again)
	waitFor(t, 30*time.Second, "the next 10", func() bool { return again.count() >= 10 })
	time.Sleep(500 * time.Millisecond)
	if b := again.bodies(); fmt.Sprint(b) != fmt.Sprint(second) {
		t.Fatalf("after the restart the group got %v, want only %v", b, second)
	}
}

func TestQuiverBrokerRestart(t *testing.T) {
	for _, flush := range []string{"ASYNC_FLUSH", "SYNC_FLUSH"} {
		t.Run(flush, func(t *testing.T) {
			c := startCluster(t, "flushDiskType="+flush)
			p := c.producer("pg_restart")
			const topic, group = "TopicRestart", "cg_restart"
			want := sendN(t, p, topic, "before", 40)
			half := &received{}
			pc := c.pushConsumer(group, topic, consumer.MessageSelector{}, half)
			waitFor(t, 30*time.Second, "the first 40", func() bool { return half.count() >= 40 })
			if err := pc.Shutdown(); err != nil {
				t.Fatal(err)
			}
			c.restartBroker()
			// Everything stored is still there: a new group reads all 40.
			all := &received{}
			c.pushConsumer("cg_restart_all", topic, consumer.MessageSelector{}, all)
			waitFor(t, 30*time.Second, "all 40 after the restart", func() bool { return all.count() >= 40 })
			if b := all.bodies(); fmt.Sprint(b) != fmt.Sprint(want) {
				t.Fatalf("after restart: %v", b)
			}
			// The old group's offsets survived the restart: it gets only
			// what was sent after it.
			more := sendN(t, p, topic, "after", 10)
			rest := &received{}
			c.pushConsumer(group, topic, consumer.MessageSelector{}, rest)
			waitFor(t, 30*time.Second, "the 10 sent after the restart", func() bool { return rest.count() >= 10 })
			time.Sleep(500 * time.Millisecond)
			if b := rest.bodies(); fmt.Sprint(b) != fmt.Sprint(more) {
				t.Fatalf("the group resumed with %v, want %v", b, more)
			}
		})
	}
}
