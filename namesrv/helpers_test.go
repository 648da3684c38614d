package namesrv_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/namesrv"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct{ ms atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ms.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli())
	return c
}

func (c *fakeClock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testServer is a running name server on loopback with a client to it.
type testServer struct {
	t     *testing.T
	srv   *namesrv.Server
	addr  string
	clock *fakeClock
	cl    *netio.Client
	cfg   namesrv.Config
}

// startServer starts a name server on 127.0.0.1:0 with its KV file in a
// temporary directory, a fake clock and no automatic expiry scan (an hour
// apart); mutate may change the config first.
func startServer(t *testing.T, mutate func(*namesrv.Config)) *testServer {
	t.Helper()
	clock := newFakeClock()
	cfg := namesrv.DefaultConfig()
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.KVConfigPath = filepath.Join(t.TempDir(), "namesrv", "kvConfig.json")
	cfg.ScanInterval = time.Hour
	cfg.NumEventLoops = 2
	cfg.Logger = quietLogger()
	cfg.Now = clock.now
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := namesrv.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, srv: srv, addr: srv.Addr().String(), clock: clock, cfg: cfg}
	ts.cl = newClient(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return ts
}

func newClient(t *testing.T) *netio.Client {
	t.Helper()
	cl, err := netio.NewClient(netio.ClientConfig{Logger: quietLogger(), DefaultTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// call sends a request with code, header (may be nil) and body through cl
// and returns the response.
func (ts *testServer) callWith(cl *netio.Client, code protocol.RequestCode, h protocol.Header, body []byte) *protocol.Command {
	ts.t.Helper()
	var cmd protocol.Command
	cmd.NewRequest(code)
	if h != nil {
		h.Encode(&cmd.Ext)
	}
	cmd.Body = body
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cl.Invoke(ctx, ts.addr, &cmd)
	if err != nil {
		ts.t.Fatalf("%v: %v", code, err)
	}
	return resp
}

func (ts *testServer) call(code protocol.RequestCode, h protocol.Header, body []byte) *protocol.Command {
	ts.t.Helper()
	return ts.callWith(ts.cl, code, h, body)
}

// mustOK fails unless resp is a SUCCESS.
func mustOK(t *testing.T, what string, resp *protocol.Command) {
	t.Helper()
	if resp.Code != int32(protocol.Success) {
		t.Fatalf("%s: code %d remark %q", what, resp.Code, resp.Remark)
	}
}

// broker describes a REGISTER_BROKER.
type broker struct {
	cluster, name, addr, ha string
	id                      int64
	dv                      protocol.DataVersion
	topics                  []protocol.TopicConfig
	compressed              bool
}

func topic(name string, queues, perm, sysFlag int32) protocol.TopicConfig {
	tc := protocol.NewTopicConfig(name)
	tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm, tc.TopicSysFlag = queues, queues, perm, sysFlag
	return tc
}

func (b *broker) header(body []byte) *protocol.RegisterBrokerRequestHeader {
	ha := b.ha
	if ha == "" {
		ha = b.addr + "-ha"
	}
	return &protocol.RegisterBrokerRequestHeader{
		BrokerName:   b.name,
		BrokerAddr:   b.addr,
		ClusterName:  b.cluster,
		HAServerAddr: ha,
		BrokerID:     b.id,
		Compressed:   b.compressed,
		BodyCRC32:    protocol.BodyCRC32(body),
	}
}

func (b *broker) body(t *testing.T) []byte {
	t.Helper()
	table := make(map[string]protocol.TopicConfig)
	for _, tc := range b.topics {
		table[tc.TopicName] = tc
	}
	body, err := protocol.EncodeRegisterBrokerBody(&protocol.RegisterBrokerBody{
		TopicConfigSerializeWrapper: protocol.TopicConfigSerializeWrapper{DataVersion: b.dv, TopicConfigTable: table},
	}, b.compressed)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// register registers b through ts's client and returns the answer.
func (ts *testServer) register(b broker) *protocol.Command {
	ts.t.Helper()
	return ts.registerWith(ts.cl, b)
}

func (ts *testServer) registerWith(cl *netio.Client, b broker) *protocol.Command {
	ts.t.Helper()
	body := b.body(ts.t)
	resp := ts.callWith(cl, protocol.RegisterBroker, b.header(body), body)
	mustOK(ts.t, "register "+b.name+"/"+b.addr, resp)
	return resp
}

// route asks for topic's route: the decoded route, or nil and the
// response when the code is not SUCCESS.
func (ts *testServer) route(topic string) (*protocol.TopicRouteData, *protocol.Command) {
	ts.t.Helper()
	resp := ts.call(protocol.GetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: topic}, nil)
	if resp.Code != int32(protocol.Success) {
		return nil, resp
	}
	var rd protocol.TopicRouteData
	if err := protocol.UnmarshalBody(resp.Body, &rd); err != nil {
		ts.t.Fatalf("route body %s: %v", resp.Body, err)
	}
	return &rd, resp
}

func (ts *testServer) mustRoute(topic string) *protocol.TopicRouteData {
	ts.t.Helper()
	rd, resp := ts.route(topic)
	if rd == nil {
		ts.t.Fatalf("route %s: code %d remark %q", topic, resp.Code, resp.Remark)
	}
	return rd
}

func (ts *testServer) mustNoRoute(topic string) {
	ts.t.Helper()
	rd, resp := ts.route(topic)
	if rd != nil {
		ts.t.Fatalf("route %s exists: %+v", topic, rd)
	}
	if resp.Code != int32(protocol.TopicNotExist) {
		ts.t.Fatalf("route %s: code %d remark %q, want TOPIC_NOT_EXIST", topic, resp.Code, resp.Remark)
	}
}

// topicList decodes a TopicList answer.
func (ts *testServer) topicList(code protocol.RequestCode, h protocol.Header) protocol.TopicList {
	ts.t.Helper()
	resp := ts.call(code, h, nil)
	mustOK(ts.t, code.String(), resp)
	var tl protocol.TopicList
	if err := protocol.UnmarshalBody(resp.Body, &tl); err != nil {
		ts.t.Fatalf("%v body %s: %v", code, resp.Body, err)
	}
	return tl
}

func (ts *testServer) clusterInfo() protocol.ClusterInfo {
	ts.t.Helper()
	resp := ts.call(protocol.GetBrokerClusterInfo, nil, nil)
	mustOK(ts.t, "cluster info", resp)
	var ci protocol.ClusterInfo
	if err := protocol.UnmarshalBody(resp.Body, &ci); err != nil {
		ts.t.Fatalf("cluster info body %s: %v", resp.Body, err)
	}
	return ci
}
