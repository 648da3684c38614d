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
	b, err := broker.New(cfg, broker.Options{ListenAddr: "127.0.0.1:0", Logger: testLogger(),
		Engine: func(ec *engine.Config) { ec.CheckpointInterval = 200 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	c.b = b
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
