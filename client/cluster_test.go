package client

// An in-process Quiver name server and brokers on 127.0.0.1 for the
// client's tests. (internal/lint checks the non-test import graph only, so
// tests may import broker and namesrv.)

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quivermq/quiver/broker"
	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/namesrv"
)

func testLogger() *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("QUIVER_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// testCluster is a name server and brokers broker-a, broker-b, ...
type testCluster struct {
	t       testing.TB
	ns      *namesrv.Server
	nsAddr  string
	brokers []*broker.Broker
}

// startCluster starts a name server and n brokers; extra is appended to
// every broker's config.
func startCluster(t testing.TB, n int, extra string) *testCluster {
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
	t.Cleanup(func() { _ = ns.Shutdown(context.Background()) })
	c := &testCluster{t: t, ns: ns, nsAddr: ns.Addr().String()}
	for i := range n {
		c.startBroker(fmt.Sprintf("broker-%c", 'a'+i), extra)
	}
	return c
}

func (c *testCluster) startBroker(name, extra string) {
	t := c.t
	t.Helper()
	seg := ""
	if !strings.Contains(extra, "mappedFileSizeCommitLog") {
		seg = fmt.Sprintf("mappedFileSizeCommitLog=%d", 8<<20)
	}
	text := fmt.Sprintf(`brokerClusterName=ClientTestCluster
brokerName=%s
brokerId=0
brokerIP1=127.0.0.1
namesrvAddr=%s
storePathRootDir=%s
%s
maxMessageSize=65536
%s
`, name, c.nsAddr, t.TempDir(), seg, extra)
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
	i := len(c.brokers)
	c.brokers = append(c.brokers, b)
	t.Cleanup(func() { c.stopBroker(i) })
}

func (c *testCluster) stopBroker(i int) {
	b := c.brokers[i]
	if b == nil {
		return
	}
	c.brokers[i] = nil
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		c.t.Errorf("broker shutdown: %v", err)
	}
}

func (c *testCluster) config(group string) Config {
	return Config{NameServers: []string{c.nsAddr}, Group: group, Logger: testLogger(), InstanceName: group}
}

func (c *testCluster) admin() *Admin {
	a, err := NewAdmin(c.config(""))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = a.Close() })
	return a
}

func (c *testCluster) producer(group string) *Producer {
	p, err := NewProducer(c.config(group))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = p.Close() })
	return p
}

func (c *testCluster) consumer(group string) *PullConsumer {
	pc, err := NewPullConsumer(c.config(group))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// createTopic creates topic with queues queues on every broker.
func (c *testCluster) createTopic(topic string, queues int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.admin().CreateTopic(ctx, topic, queues); err != nil {
		c.t.Fatal(err)
	}
}
