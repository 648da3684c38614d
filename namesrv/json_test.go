package namesrv

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"testing"

	"github.com/quivermq/quiver/protocol"
)

// TestAppendJSONStringMatchesEncodingJSON compares the hand-written string
// escaper with encoding/json (HTML escaping off), which protocol's bodies
// use.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", "broker-a", "10.0.0.1:10911", `quote"back\slash`, "tab\tnl\ncr\r", "\b\f\x00\x1f\x7f",
		"<&>", "héllo wörld", "emoji 😀", "line\u2028sep\u2029", "bad\xffutf8\xc3", "\xe2\x28\xa1",
	} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func testTable() *routeTable {
	rt := newRouteTable()
	reg := func(cluster, name, addr string, id int64, topics ...protocol.TopicConfig) {
		m := make(map[string]protocol.TopicConfig)
		for _, tc := range topics {
			m[tc.TopicName] = tc
		}
		rt.register(&registration{cluster: cluster, name: name, addr: addr, id: id, topics: m,
			dataVersion: protocol.DataVersion{Counter: 1, Timestamp: 1}})
	}
	tc := func(name string, n, perm, flag int32) protocol.TopicConfig {
		c := protocol.NewTopicConfig(name)
		c.ReadQueueNums, c.WriteQueueNums, c.Perm, c.TopicSysFlag = n, n, perm, flag
		return c
	}
	reg("c1", "broker-b", "10.0.0.3:10911", 0, tc("T", 2, 6, 0))
	reg("c1", "broker-a", "10.0.0.1:10911", 0, tc("T", 4, 6, 0), tc("Odd \"name\"", 1, 7, 3))
	reg("c1", "broker-a", "10.0.0.2:10911", 1)
	reg("c2", "broker-c", "10.0.1.1:10911", 0, tc("T", 8, 4, 0))
	return rt
}

// TestAppendRouteMatchesMarshalBody checks that the route appended from the
// table is byte for byte protocol.MarshalBody's encoding of the same
// TopicRouteData.
func TestAppendRouteMatchesMarshalBody(t *testing.T) {
	rt := testTable()
	cases := []struct {
		topic, order string
		want         protocol.TopicRouteData
	}{
		{"T", "", protocol.TopicRouteData{
			QueueDatas: []protocol.QueueData{
				{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4},
				{BrokerName: "broker-b", Perm: 6, ReadQueueNums: 2, WriteQueueNums: 2},
				{BrokerName: "broker-c", Perm: 4, ReadQueueNums: 8, WriteQueueNums: 8},
			},
			BrokerDatas: []protocol.BrokerData{
				{Cluster: "c1", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.2:10911"}},
				{Cluster: "c1", BrokerName: "broker-b", BrokerAddrs: map[int64]string{0: "10.0.0.3:10911"}},
				{Cluster: "c2", BrokerName: "broker-c", BrokerAddrs: map[int64]string{0: "10.0.1.1:10911"}},
			},
		}},
		{"Odd \"name\"", "broker-a:1", protocol.TopicRouteData{
			OrderTopicConf: "broker-a:1",
			QueueDatas:     []protocol.QueueData{{BrokerName: "broker-a", Perm: 7, ReadQueueNums: 1, WriteQueueNums: 1, TopicSysFlag: 3}},
			BrokerDatas: []protocol.BrokerData{
				{Cluster: "c1", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.2:10911"}},
			},
		}},
	}
	for _, c := range cases {
		got, ok := rt.appendRoute([]byte("prefix"), c.topic, c.order)
		if !ok {
			t.Fatalf("no route for %q", c.topic)
		}
		want, err := protocol.MarshalBody(c.want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("route %q\n got  %s\n want prefix%s", c.topic, got, want)
		}
	}
	if got, ok := rt.appendRoute([]byte("prefix"), "missing", ""); ok || string(got) != "prefix" {
		t.Errorf("missing topic: %q %v", got, ok)
	}
}

// TestRouteWithoutBroker: queue data whose broker name is gone is no
// route (Java needs both parts).
func TestRouteWithoutBroker(t *testing.T) {
	rt := testTable()
	rt.mu.Lock()
	delete(rt.brokers, "broker-b")
	rt.topics["Orphan"] = []protocol.QueueData{{BrokerName: "broker-b", Perm: 6}}
	rt.mu.Unlock()
	if got, ok := rt.appendRoute(nil, "Orphan", ""); ok {
		t.Errorf("route without a broker: %s", got)
	}
}

func BenchmarkRouteLookup(b *testing.B) {
	rt := newRouteTable()
	for i := 0; i < 4; i++ {
		tc := protocol.NewTopicConfig("TopicBench")
		name := "broker-" + strconv.Itoa(i)
		rt.register(&registration{cluster: "c", name: name, addr: "10.0.0." + strconv.Itoa(i) + ":10911",
			topics: map[string]protocol.TopicConfig{tc.TopicName: tc}})
		rt.register(&registration{cluster: "c", name: name, addr: "10.0.1." + strconv.Itoa(i) + ":10911", id: 1})
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var ok bool
		buf, ok = rt.appendRoute(buf[:0], "TopicBench", "")
		if !ok {
			b.Fatal("no route")
		}
	}
	b.SetBytes(int64(len(buf)))
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
