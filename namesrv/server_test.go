package namesrv_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/internal/testutil"
	"github.com/quivermq/quiver/namesrv"
	"github.com/quivermq/quiver/protocol"
)

const cluster = "DefaultCluster"

func masterA(topics ...protocol.TopicConfig) broker {
	return broker{cluster: cluster, name: "broker-a", addr: "10.0.0.1:10911", id: 0,
		dv: protocol.DataVersion{Counter: 1, Timestamp: 1000}, topics: topics}
}

func TestRegisterAndRoute(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		name := "plain"
		if compressed {
			name = "compressed"
		}
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, nil)
			m := masterA(topic("TopicA", 4, 6, 0), topic("TBW102", 8, 7, 0))
			m.compressed = compressed
			resp := ts.register(m)
			var rh protocol.RegisterBrokerResponseHeader
			if err := rh.Decode(&resp.Ext); err != nil {
				t.Fatal(err)
			}
			if rh.MasterAddr != "" || rh.HAServerAddr != "" {
				t.Errorf("master got masterAddr %q haServerAddr %q", rh.MasterAddr, rh.HAServerAddr)
			}
			if len(resp.Body) != 0 {
				t.Errorf("register answer body %q without ORDER_TOPIC_CONFIG", resp.Body)
			}

			slave := m
			slave.id, slave.addr, slave.topics = 1, "10.0.0.2:10911", nil
			resp = ts.register(slave)
			if err := rh.Decode(&resp.Ext); err != nil {
				t.Fatal(err)
			}
			if rh.MasterAddr != m.addr || rh.HAServerAddr != m.addr+"-ha" {
				t.Errorf("slave got masterAddr %q haServerAddr %q, want %q %q", rh.MasterAddr, rh.HAServerAddr, m.addr, m.addr+"-ha")
			}

			rd := ts.mustRoute("TopicA")
			wantQ := []protocol.QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4}}
			if !reflect.DeepEqual(rd.QueueDatas, wantQ) {
				t.Errorf("queueDatas %+v, want %+v", rd.QueueDatas, wantQ)
			}
			wantB := []protocol.BrokerData{{Cluster: cluster, BrokerName: "broker-a",
				BrokerAddrs: map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.2:10911"}}}
			if !reflect.DeepEqual(rd.BrokerDatas, wantB) {
				t.Errorf("brokerDatas %+v, want %+v", rd.BrokerDatas, wantB)
			}
			if rd := ts.mustRoute("TBW102"); rd.QueueDatas[0].Perm != 7 || rd.QueueDatas[0].WriteQueueNums != 8 {
				t.Errorf("TBW102 queue data %+v", rd.QueueDatas)
			}
		})
	}
}

// TestRouteBodyShape pins the exact body client-go reads: compact, quoted
// ids, queueDatas and brokerAddrs present.
func TestRouteBodyShape(t *testing.T) {
	ts := startServer(t, nil)
	ts.register(masterA(topic("TopicA", 4, 6, 0)))
	_, resp := ts.route("TopicA")
	want := `{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],` +
		`"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`
	if string(resp.Body) != want {
		t.Errorf("route body\n got  %s\n want %s", resp.Body, want)
	}
}

func TestUnknownTopic(t *testing.T) {
	ts := startServer(t, nil)
	_, resp := ts.route("NoSuchTopic")
	if resp.Code != int32(protocol.TopicNotExist) {
		t.Fatalf("code %d, want %d", resp.Code, protocol.TopicNotExist)
	}
	if want := "No topic route info in name server for the topic: NoSuchTopic"; string(resp.Remark) != want {
		t.Errorf("remark %q, want %q", resp.Remark, want)
	}
	// A route request without a topic is a header error, not a crash.
	resp = ts.call(protocol.GetRouteInfoByTopic, nil, nil)
	if resp.Code != int32(protocol.SystemError) || !strings.Contains(string(resp.Remark), "topic") {
		t.Errorf("route without topic: code %d remark %q", resp.Code, resp.Remark)
	}
}

func TestRegisterCRCMismatch(t *testing.T) {
	ts := startServer(t, nil)
	b := masterA(topic("TopicA", 4, 6, 0))
	body := b.body(t)
	h := b.header(body)
	h.BodyCRC32 = protocol.BodyCRC32(body) ^ 1
	resp := ts.call(protocol.RegisterBroker, h, body)
	if resp.Code != int32(protocol.SystemError) || string(resp.Remark) != "crc32 not match" {
		t.Fatalf("code %d remark %q, want 1 \"crc32 not match\"", resp.Code, resp.Remark)
	}
	ts.mustNoRoute("TopicA")

	// bodyCrc32 0 means "not checked".
	h.BodyCRC32 = 0
	mustOK(t, "register without crc", ts.call(protocol.RegisterBroker, h, body))
	ts.mustRoute("TopicA")
}

// TestMalformedRequests sends bad headers and bodies: each gets a clear
// error answer, and the server keeps serving.
func TestMalformedRequests(t *testing.T) {
	ts := startServer(t, nil)
	good := masterA(topic("TopicA", 4, 6, 0))
	var zbuf bytes.Buffer
	zw := zlib.NewWriter(&zbuf)
	_, _ = zw.Write([]byte{0, 0, 0, 200, '{'}) // claims 200 bytes, has 1
	_ = zw.Close()
	huge := zbuf.Bytes()

	cases := []struct {
		name       string
		code       protocol.RequestCode
		header     func() protocol.Header
		body       []byte
		compressed bool
		wantCode   protocol.ResponseCode
		wantRemark string
	}{
		{"register plain garbage", protocol.RegisterBroker, nil, []byte("{not json"), false, protocol.SystemError, "malformed register broker body"},
		{"register wrong JSON type", protocol.RegisterBroker, nil, []byte(`{"topicConfigSerializeWrapper":[1,2]}`), false, protocol.SystemError, "malformed register broker body"},
		{"register compressed garbage", protocol.RegisterBroker, nil, []byte("not zlib at all"), true, protocol.SystemError, "malformed register broker body"},
		{"register compressed truncated", protocol.RegisterBroker, nil, huge, true, protocol.SystemError, "malformed register broker body"},
		{"register plain body flagged compressed", protocol.RegisterBroker, nil, good.body(t), true, protocol.SystemError, "malformed register broker body"},
		{"register without brokerAddr", protocol.RegisterBroker, func() protocol.Header {
			return &protocol.BrokerNameHeader{BrokerName: "broker-a"}
		}, nil, false, protocol.SystemError, "brokerAddr"},
		{"register empty brokerName", protocol.RegisterBroker, func() protocol.Header {
			b := good
			b.name = ""
			return b.header(nil)
		}, nil, false, protocol.SystemError, "brokerName"},
		{"register bad brokerId", protocol.RegisterBroker, func() protocol.Header {
			return &protocol.RegisterBrokerRequestHeader{BrokerName: "b", BrokerAddr: "a:1", ClusterName: "c", BrokerID: -1}
		}, nil, false, protocol.SystemError, "brokerId"},
		{"query data version without body", protocol.QueryDataVersion, func() protocol.Header {
			return &protocol.BrokerIdentityHeader{BrokerName: "b", BrokerAddr: "a:1", ClusterName: "c"}
		}, nil, false, protocol.SystemError, "DataVersion"},
		{"query data version bad body", protocol.QueryDataVersion, func() protocol.Header {
			return &protocol.BrokerIdentityHeader{BrokerName: "b", BrokerAddr: "a:1", ClusterName: "c"}
		}, []byte(`{"counter":"x"}`), false, protocol.SystemError, "DataVersion"},
		{"put kv without value", protocol.PutKVConfig, func() protocol.Header {
			return &protocol.KVConfigKeyHeader{Namespace: "ns", Key: "k"}
		}, nil, false, protocol.SystemError, "value"},
		{"get kv without key", protocol.GetKVConfig, func() protocol.Header {
			return &protocol.GetKVListByNamespaceRequestHeader{Namespace: "ns"}
		}, nil, false, protocol.SystemError, "key"},
		{"topics by cluster without cluster", protocol.GetTopicsByCluster, nil, nil, false, protocol.SystemError, "cluster"},
		{"wipe without brokerName", protocol.WipeWritePermOfBroker, nil, nil, false, protocol.SystemError, "brokerName"},
		{"unregister without brokerId", protocol.UnregisterBroker, func() protocol.Header {
			return &protocol.BrokerNameHeader{BrokerName: "b"}
		}, nil, false, protocol.SystemError, "brokerAddr"},
		{"unknown code", protocol.RequestCode(9999), nil, nil, false, protocol.RequestCodeNotSupported, "not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h protocol.Header
			switch {
			case c.header != nil:
				h = c.header()
			case c.code == protocol.RegisterBroker:
				b := good
				b.compressed = c.compressed
				h = b.header(c.body)
			}
			resp := ts.call(c.code, h, c.body)
			if resp.Code != int32(c.wantCode) || !strings.Contains(string(resp.Remark), c.wantRemark) {
				t.Errorf("code %d remark %q, want %d containing %q", resp.Code, resp.Remark, c.wantCode, c.wantRemark)
			}
		})
	}
	// Still serving, and nothing was registered.
	ts.mustNoRoute("TopicA")
	ts.register(good)
	ts.mustRoute("TopicA")
}

func TestDataVersionRebuild(t *testing.T) {
	ts := startServer(t, nil)
	m := masterA(topic("TopicA", 4, 6, 0))
	ts.register(m)

	// Same dataVersion: the queue data is not rebuilt.
	m.topics = []protocol.TopicConfig{topic("TopicA", 8, 6, 0), topic("TopicB", 2, 6, 0)}
	ts.register(m)
	if rd := ts.mustRoute("TopicA"); rd.QueueDatas[0].WriteQueueNums != 4 {
		t.Errorf("same dataVersion rebuilt queues: %+v", rd.QueueDatas)
	}
	ts.mustNoRoute("TopicB")

	// New dataVersion: rebuilt.
	m.dv = protocol.DataVersion{Counter: 2, Timestamp: 2000}
	ts.register(m)
	if rd := ts.mustRoute("TopicA"); rd.QueueDatas[0].WriteQueueNums != 8 {
		t.Errorf("new dataVersion did not rebuild queues: %+v", rd.QueueDatas)
	}
	ts.mustRoute("TopicB")

	// A slave's topics never touch the queue data.
	s := m
	s.id, s.addr = 1, "10.0.0.2:10911"
	s.dv = protocol.DataVersion{Counter: 9, Timestamp: 9000}
	s.topics = []protocol.TopicConfig{topic("TopicA", 1, 4, 0), topic("SlaveOnly", 1, 6, 0)}
	ts.register(s)
	if rd := ts.mustRoute("TopicA"); rd.QueueDatas[0].WriteQueueNums != 8 || rd.QueueDatas[0].Perm != 6 {
		t.Errorf("slave registration changed queues: %+v", rd.QueueDatas)
	}
	ts.mustNoRoute("SlaveOnly")
}

// TestAddressMovesToNewID: a slave promoted to master re-registers its
// address under id 0 and must not stay listed under its old id.
func TestAddressMovesToNewID(t *testing.T) {
	ts := startServer(t, nil)
	s := masterA(topic("TopicA", 4, 6, 0))
	s.id, s.addr = 1, "10.0.0.2:10911"
	ts.register(s)
	ts.mustNoRoute("TopicA") // a slave alone brings no queue data
	s.id = 0
	ts.register(s)
	rd := ts.mustRoute("TopicA")
	if want := map[int64]string{0: "10.0.0.2:10911"}; !reflect.DeepEqual(rd.BrokerDatas[0].BrokerAddrs, want) {
		t.Errorf("brokerAddrs %v, want %v", rd.BrokerDatas[0].BrokerAddrs, want)
	}
}

func TestUnregister(t *testing.T) {
	ts := startServer(t, nil)
	m := masterA(topic("TopicA", 4, 6, 0))
	s := m
	s.id, s.addr, s.topics = 1, "10.0.0.2:10911", nil
	b := broker{cluster: cluster, name: "broker-b", addr: "10.0.0.3:10911", topics: []protocol.TopicConfig{topic("TopicA", 2, 6, 0)}}
	ts.register(m)
	ts.register(s)
	ts.register(b)

	unreg := func(b broker) {
		t.Helper()
		mustOK(t, "unregister", ts.call(protocol.UnregisterBroker, &protocol.BrokerIdentityHeader{
			BrokerName: b.name, BrokerAddr: b.addr, ClusterName: b.cluster, BrokerID: b.id}, nil))
	}
	unreg(s)
	rd := ts.mustRoute("TopicA")
	if len(rd.QueueDatas) != 2 || len(rd.BrokerDatas[0].BrokerAddrs) != 1 {
		t.Errorf("after slave unregister: %+v", rd)
	}
	unreg(m)
	rd = ts.mustRoute("TopicA")
	if len(rd.QueueDatas) != 1 || rd.QueueDatas[0].BrokerName != "broker-b" || len(rd.BrokerDatas) != 1 {
		t.Errorf("after broker-a unregister: %+v", rd)
	}
	ci := ts.clusterInfo()
	if !reflect.DeepEqual(ci.ClusterAddrTable, map[string][]string{cluster: {"broker-b"}}) {
		t.Errorf("clusterAddrTable %v", ci.ClusterAddrTable)
	}
	unreg(b)
	ts.mustNoRoute("TopicA")
	ci = ts.clusterInfo()
	if len(ci.BrokerAddrTable) != 0 || len(ci.ClusterAddrTable) != 0 {
		t.Errorf("cluster info after all unregistered: %+v", ci)
	}
	if tl := ts.topicList(protocol.GetAllTopicListFromNameserver, nil); len(tl.TopicList) != 0 {
		t.Errorf("topic list after all unregistered: %v", tl.TopicList)
	}
}

func TestExpiry(t *testing.T) {
	ts := startServer(t, nil)
	a := masterA(topic("TopicA", 4, 6, 0), topic("Shared", 4, 6, 0))
	b := broker{cluster: cluster, name: "broker-b", addr: "10.0.0.3:10911", topics: []protocol.TopicConfig{topic("Shared", 2, 6, 0)}}
	ts.register(a)
	ts.clock.advance(100 * time.Second)
	ts.register(b)

	ts.clock.advance(20 * time.Second) // a: 120 s, not yet more than 120 s
	if gone := namesrv.ScanNotActiveBrokers(ts.srv); len(gone) != 0 {
		t.Fatalf("expired at exactly 120 s: %v", gone)
	}
	ts.clock.advance(time.Second)
	if gone := namesrv.ScanNotActiveBrokers(ts.srv); !reflect.DeepEqual(gone, []string{a.addr}) {
		t.Fatalf("expired %v, want [%s]", gone, a.addr)
	}
	ts.mustNoRoute("TopicA")
	if rd := ts.mustRoute("Shared"); len(rd.QueueDatas) != 1 || rd.QueueDatas[0].BrokerName != "broker-b" {
		t.Errorf("Shared after broker-a expired: %+v", rd)
	}
	// A registration refreshes liveness.
	ts.clock.advance(90 * time.Second)
	ts.register(b)
	ts.clock.advance(90 * time.Second)
	if gone := namesrv.ScanNotActiveBrokers(ts.srv); len(gone) != 0 {
		t.Fatalf("refreshed broker expired: %v", gone)
	}
	ts.mustRoute("Shared")
}

// TestExpiryScanRuns checks the scan goroutine itself with a short interval.
func TestExpiryScanRuns(t *testing.T) {
	ts := startServer(t, func(c *namesrv.Config) { c.ScanInterval = 5 * time.Millisecond })
	ts.register(masterA(topic("TopicA", 4, 6, 0)))
	ts.mustRoute("TopicA")
	ts.clock.advance(121 * time.Second)
	testutil.Eventually(t, 5*time.Second, func() bool {
		rd, _ := ts.route("TopicA")
		return rd == nil
	}, "broker not expired by the scan")
}

func TestConnCloseRemovesBroker(t *testing.T) {
	ts := startServer(t, nil)
	brokerConn := newClient(t)
	ts.registerWith(brokerConn, masterA(topic("TopicA", 4, 6, 0)))
	// Another broker on the test's own connection stays.
	ts.register(broker{cluster: cluster, name: "broker-b", addr: "10.0.0.3:10911", topics: []protocol.TopicConfig{topic("TopicB", 2, 6, 0)}})
	ts.mustRoute("TopicA")
	_ = brokerConn.Close()
	testutil.Eventually(t, 5*time.Second, func() bool {
		rd, _ := ts.route("TopicA")
		return rd == nil
	}, "broker not removed when its connection closed")
	ts.mustRoute("TopicB")
}

func TestClusterInfoAndTopicLists(t *testing.T) {
	ts := startServer(t, nil)
	ts.register(masterA(topic("TopicA", 4, 6, 0), topic("Unit", 1, 6, 1), topic("UnitSub", 1, 6, 2), topic("Both", 1, 6, 3)))
	s := masterA()
	s.id, s.addr = 1, "10.0.0.2:10911"
	ts.register(s)
	ts.register(broker{cluster: "OtherCluster", name: "broker-x", addr: "10.0.1.1:10911", topics: []protocol.TopicConfig{topic("TopicX", 2, 6, 0)}})

	ci := ts.clusterInfo()
	wantCI := protocol.ClusterInfo{
		BrokerAddrTable: map[string]protocol.BrokerData{
			"broker-a": {Cluster: cluster, BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.2:10911"}},
			"broker-x": {Cluster: "OtherCluster", BrokerName: "broker-x", BrokerAddrs: map[int64]string{0: "10.0.1.1:10911"}},
		},
		ClusterAddrTable: map[string][]string{cluster: {"broker-a"}, "OtherCluster": {"broker-x"}},
	}
	if !reflect.DeepEqual(ci, wantCI) {
		t.Errorf("cluster info\n got  %+v\n want %+v", ci, wantCI)
	}

	cases := []struct {
		name string
		code protocol.RequestCode
		h    protocol.Header
		want []string
	}{
		{"all", protocol.GetAllTopicListFromNameserver, nil, []string{"Both", "TopicA", "TopicX", "Unit", "UnitSub"}},
		{"by cluster", protocol.GetTopicsByCluster, &protocol.GetTopicsByClusterRequestHeader{Cluster: cluster}, []string{"Both", "TopicA", "Unit", "UnitSub"}},
		{"by other cluster", protocol.GetTopicsByCluster, &protocol.GetTopicsByClusterRequestHeader{Cluster: "OtherCluster"}, []string{"TopicX"}},
		{"by unknown cluster", protocol.GetTopicsByCluster, &protocol.GetTopicsByClusterRequestHeader{Cluster: "Nope"}, []string{}},
		{"system", protocol.GetSystemTopicListFromNs, nil, []string{cluster, "broker-a", "OtherCluster", "broker-x"}},
		{"unit", protocol.GetUnitTopicList, nil, []string{"Both", "Unit"}},
		{"has unit sub", protocol.GetHasUnitSubTopicList, nil, []string{"Both", "UnitSub"}},
		{"has unit sub, not unit", protocol.GetHasUnitSubUnunitTopicList, nil, []string{"UnitSub"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tl := ts.topicList(c.code, c.h)
			got := tl.TopicList
			if got == nil {
				got = []string{}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("topics %v, want %v", got, c.want)
			}
			if c.code == protocol.GetSystemTopicListFromNs && tl.BrokerAddr != "10.0.0.1:10911" {
				t.Errorf("system topic list brokerAddr %q", tl.BrokerAddr)
			}
		})
	}
}

func TestDeleteTopic(t *testing.T) {
	ts := startServer(t, nil)
	ts.register(masterA(topic("TopicA", 4, 6, 0), topic("TopicB", 4, 6, 0)))
	ts.register(broker{cluster: "OtherCluster", name: "broker-x", addr: "10.0.1.1:10911", topics: []protocol.TopicConfig{topic("TopicB", 2, 6, 0)}})

	mustOK(t, "delete", ts.call(protocol.DeleteTopicInNamesrv, &protocol.DeleteTopicFromNamesrvRequestHeader{Topic: "TopicA"}, nil))
	ts.mustNoRoute("TopicA")
	mustOK(t, "delete unknown", ts.call(protocol.DeleteTopicInNamesrv, &protocol.DeleteTopicFromNamesrvRequestHeader{Topic: "Nope"}, nil))

	// Limited to one cluster.
	mustOK(t, "delete in cluster", ts.call(protocol.DeleteTopicInNamesrv,
		&protocol.DeleteTopicFromNamesrvRequestHeader{Topic: "TopicB", ClusterName: "OtherCluster"}, nil))
	rd := ts.mustRoute("TopicB")
	if len(rd.QueueDatas) != 1 || rd.QueueDatas[0].BrokerName != "broker-a" {
		t.Errorf("TopicB after cluster delete: %+v", rd.QueueDatas)
	}
	if tl := ts.topicList(protocol.GetAllTopicListFromNameserver, nil); !reflect.DeepEqual(tl.TopicList, []string{"TopicB"}) {
		t.Errorf("topics %v", tl.TopicList)
	}
}

func TestWritePerm(t *testing.T) {
	ts := startServer(t, nil)
	ts.register(masterA(topic("TopicA", 4, 6, 0), topic("TopicB", 4, 7, 0)))
	resp := ts.call(protocol.WipeWritePermOfBroker, &protocol.BrokerNameHeader{BrokerName: "broker-a"}, nil)
	mustOK(t, "wipe", resp)
	var wh protocol.WipeWritePermOfBrokerResponseHeader
	if err := wh.Decode(&resp.Ext); err != nil || wh.WipeTopicCount != 2 {
		t.Fatalf("wipeTopicCount %d (%v), want 2", wh.WipeTopicCount, err)
	}
	if p := ts.mustRoute("TopicA").QueueDatas[0].Perm; p != 4 {
		t.Errorf("TopicA perm after wipe %d, want 4", p)
	}
	if p := ts.mustRoute("TopicB").QueueDatas[0].Perm; p != 5 {
		t.Errorf("TopicB perm after wipe %d, want 5", p)
	}
	resp = ts.call(protocol.AddWritePermOfBroker, &protocol.BrokerNameHeader{BrokerName: "broker-a"}, nil)
	mustOK(t, "add", resp)
	var ah protocol.AddWritePermOfBrokerResponseHeader
	if err := ah.Decode(&resp.Ext); err != nil || ah.AddTopicCount != 2 {
		t.Fatalf("addTopicCount %d (%v), want 2", ah.AddTopicCount, err)
	}
	if p := ts.mustRoute("TopicA").QueueDatas[0].Perm; p != 6 {
		t.Errorf("TopicA perm after add %d, want 6", p)
	}
	resp = ts.call(protocol.WipeWritePermOfBroker, &protocol.BrokerNameHeader{BrokerName: "nobody"}, nil)
	if err := wh.Decode(&resp.Ext); err != nil || wh.WipeTopicCount != 0 {
		t.Errorf("wipe of unknown broker: %d (%v)", wh.WipeTopicCount, err)
	}
}

func TestQueryDataVersion(t *testing.T) {
	ts := startServer(t, nil)
	m := masterA(topic("TopicA", 4, 6, 0))
	id := &protocol.BrokerIdentityHeader{BrokerName: m.name, BrokerAddr: m.addr, ClusterName: m.cluster}
	query := func(dv protocol.DataVersion) (bool, []byte) {
		t.Helper()
		body, _ := protocol.MarshalBody(dv)
		resp := ts.call(protocol.QueryDataVersion, id, body)
		mustOK(t, "query data version", resp)
		var h protocol.QueryDataVersionResponseHeader
		if err := h.Decode(&resp.Ext); err != nil {
			t.Fatal(err)
		}
		return h.Changed, resp.Body
	}
	if changed, body := query(m.dv); !changed || len(body) != 0 {
		t.Errorf("unregistered broker: changed %v body %q", changed, body)
	}
	ts.register(m)
	if changed, body := query(m.dv); changed || string(body) != `{"counter":1,"timestamp":1000}` {
		t.Errorf("same version: changed %v body %s", changed, body)
	}
	// An unchanged version counts as a sign of life.
	ts.clock.advance(100 * time.Second)
	query(m.dv)
	ts.clock.advance(100 * time.Second)
	if gone := namesrv.ScanNotActiveBrokers(ts.srv); len(gone) != 0 {
		t.Errorf("broker expired despite QUERY_DATA_VERSION: %v", gone)
	}
	if changed, _ := query(protocol.DataVersion{Counter: 2, Timestamp: 5}); !changed {
		t.Error("different version not reported as changed")
	}
}

func TestKVConfig(t *testing.T) {
	ts := startServer(t, nil)
	put := func(ns, k, v string) {
		t.Helper()
		mustOK(t, "put", ts.call(protocol.PutKVConfig, &protocol.PutKVConfigRequestHeader{Namespace: ns, Key: k, Value: v}, nil))
	}
	get := func(ns, k string) *protocol.Command {
		t.Helper()
		return ts.call(protocol.GetKVConfig, &protocol.KVConfigKeyHeader{Namespace: ns, Key: k}, nil)
	}
	put("ns1", "k1", "v1")
	put("ns1", "k2", "")
	put("ns2", "k1", "other")
	put("ns1", "k1", "v1b")

	resp := get("ns1", "k1")
	mustOK(t, "get", resp)
	if v := resp.Ext.GetString("value"); v != "v1b" {
		t.Errorf("value %q, want v1b", v)
	}
	resp = get("ns1", "k2")
	if _, ok := resp.Ext.Get("value"); resp.Code != 0 || !ok {
		t.Errorf("empty value: code %d ext value present %v", resp.Code, ok)
	}
	resp = get("ns1", "missing")
	if resp.Code != int32(protocol.QueryNotFound) || !strings.Contains(string(resp.Remark), "missing") {
		t.Errorf("missing key: code %d remark %q", resp.Code, resp.Remark)
	}

	resp = ts.call(protocol.GetKVListByNamespace, &protocol.GetKVListByNamespaceRequestHeader{Namespace: "ns1"}, nil)
	mustOK(t, "list", resp)
	var kt protocol.KVTable
	if err := protocol.UnmarshalBody(resp.Body, &kt); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"k1": "v1b", "k2": ""}; !reflect.DeepEqual(kt.Table, want) {
		t.Errorf("ns1 %v, want %v", kt.Table, want)
	}
	resp = ts.call(protocol.GetKVListByNamespace, &protocol.GetKVListByNamespaceRequestHeader{Namespace: "none"}, nil)
	if resp.Code != int32(protocol.QueryNotFound) {
		t.Errorf("empty namespace: code %d", resp.Code)
	}

	mustOK(t, "delete", ts.call(protocol.DeleteKVConfig, &protocol.KVConfigKeyHeader{Namespace: "ns2", Key: "k1"}, nil))
	mustOK(t, "delete absent", ts.call(protocol.DeleteKVConfig, &protocol.KVConfigKeyHeader{Namespace: "ns2", Key: "k1"}, nil))
	if resp := get("ns2", "k1"); resp.Code != int32(protocol.QueryNotFound) {
		t.Errorf("deleted key: code %d", resp.Code)
	}

	// Every acknowledged change is on disk.
	data, err := os.ReadFile(ts.cfg.KVConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		ConfigTable map[string]map[string]string `json:"configTable"`
	}
	if err := protocol.UnmarshalBody(data, &file); err != nil {
		t.Fatalf("kv file %s: %v", data, err)
	}
	if want := map[string]map[string]string{"ns1": {"k1": "v1b", "k2": ""}}; !reflect.DeepEqual(file.ConfigTable, want) {
		t.Errorf("kv file %v, want %v", file.ConfigTable, want)
	}

	// A new server on the same file starts with the table.
	ts2 := startServer(t, func(c *namesrv.Config) { c.KVConfigPath = ts.cfg.KVConfigPath })
	resp = ts2.call(protocol.GetKVConfig, &protocol.KVConfigKeyHeader{Namespace: "ns1", Key: "k1"}, nil)
	if resp.Code != 0 || resp.Ext.GetString("value") != "v1b" {
		t.Errorf("after restart: code %d value %q", resp.Code, resp.Ext.GetString("value"))
	}
}

func TestKVConfigBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kvConfig.json")
	if err := os.WriteFile(path, []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := namesrv.DefaultConfig()
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.KVConfigPath = path
	cfg.Logger = quietLogger()
	if _, err := namesrv.New(cfg); !errors.Is(err, namesrv.ErrKVConfigFile) {
		t.Fatalf("New with a corrupt KV file: %v, want ErrKVConfigFile", err)
	}
}

// TestKVPersistFailure: a KV file that cannot be written fails the PUT
// with SYSTEM_ERROR instead of acknowledging it.
func TestKVPersistFailure(t *testing.T) {
	sub := filepath.Join(t.TempDir(), "sub")
	ts := startServer(t, func(c *namesrv.Config) { c.KVConfigPath = filepath.Join(sub, "kvConfig.json") })
	// The file's directory becomes a regular file: every write fails.
	if err := os.WriteFile(sub, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	resp := ts.call(protocol.PutKVConfig, &protocol.PutKVConfigRequestHeader{Namespace: "ns", Key: "k", Value: "v"}, nil)
	if resp.Code != int32(protocol.SystemError) || !strings.Contains(string(resp.Remark), "persist") {
		t.Errorf("put with unwritable file: code %d remark %q", resp.Code, resp.Remark)
	}
}

func TestOrderTopicConfig(t *testing.T) {
	for _, enabled := range []bool{false, true} {
		t.Run(map[bool]string{false: "disabled", true: "enabled"}[enabled], func(t *testing.T) {
			ts := startServer(t, func(c *namesrv.Config) { c.OrderMessageEnable = enabled })
			mustOK(t, "put", ts.call(protocol.PutKVConfig, &protocol.PutKVConfigRequestHeader{
				Namespace: namesrv.NamespaceOrderTopicConfig, Key: "TopicA", Value: "broker-a:4"}, nil))
			resp := ts.register(masterA(topic("TopicA", 4, 6, 0)))
			var kt protocol.KVTable
			if err := protocol.UnmarshalBody(resp.Body, &kt); err != nil || kt.Table["TopicA"] != "broker-a:4" {
				t.Errorf("register answer body %q (%v)", resp.Body, err)
			}
			rd := ts.mustRoute("TopicA")
			want := ""
			if enabled {
				want = "broker-a:4"
			}
			if rd.OrderTopicConf != want {
				t.Errorf("orderTopicConf %q, want %q", rd.OrderTopicConf, want)
			}
		})
	}
}

// TestEmptyRegisterBody: Java treats a missing body as no topics with
// DataVersion {0,0}; the broker still becomes known.
func TestEmptyRegisterBody(t *testing.T) {
	ts := startServer(t, nil)
	b := masterA()
	mustOK(t, "register without body", ts.call(protocol.RegisterBroker, b.header(nil), nil))
	if ci := ts.clusterInfo(); len(ci.BrokerAddrTable) != 1 {
		t.Errorf("cluster info %+v", ci)
	}
}

func TestShutdownIdempotent(t *testing.T) {
	ts := startServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// The cleanup calls Shutdown again.
}

// panicWatch is a slog handler that records whether netio reported a
// recovered handler panic.
type panicWatch struct {
	slog.Handler
	panics *atomic.Int32
}

func (p panicWatch) Enabled(context.Context, slog.Level) bool { return true }

func (p panicWatch) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		p.panics.Add(1)
	}
	return nil
}

func (p panicWatch) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p panicWatch) WithGroup(string) slog.Handler      { return p }

// TestMutatedRegisterBodies sends corrupted plain and compressed bodies
// (with a matching bodyCrc32, so that they reach the decoder): every one is
// answered SUCCESS or SYSTEM_ERROR, and no handler panics.
func TestMutatedRegisterBodies(t *testing.T) {
	var panics atomic.Int32
	ts := startServer(t, func(c *namesrv.Config) { c.Logger = slog.New(panicWatch{panics: &panics}) })
	rng := rand.New(rand.NewPCG(1, 2))
	for _, compressed := range []bool{false, true} {
		b := masterA(topic("TopicA", 4, 6, 0), topic("TopicB", 2, 7, 1))
		b.compressed = compressed
		orig := b.body(t)
		for i := 0; i < 150; i++ {
			body := bytes.Clone(orig)
			switch rng.IntN(3) {
			case 0: // flip bytes
				for n := 1 + rng.IntN(4); n > 0; n-- {
					body[rng.IntN(len(body))] ^= byte(1 + rng.IntN(255))
				}
			case 1: // truncate
				body = body[:rng.IntN(len(body))]
			case 2: // insert garbage
				at := rng.IntN(len(body))
				body = append(body[:at], append([]byte{byte(rng.IntN(256)), '"', '{'}, body[at:]...)...)
			}
			resp := ts.call(protocol.RegisterBroker, b.header(body), body)
			if resp.Code != int32(protocol.Success) && resp.Code != int32(protocol.SystemError) {
				t.Fatalf("mutated body %q: code %d remark %q", body, resp.Code, resp.Remark)
			}
		}
	}
	if n := panics.Load(); n != 0 {
		t.Fatalf("%d handler panics", n)
	}
	// Still serving.
	fresh := masterA(topic("TopicC", 4, 6, 0))
	fresh.dv.Counter = 99
	ts.register(fresh)
	ts.mustRoute("TopicC")
}

// TestConcurrentClients registers brokers, reads routes and writes KV
// entries from several connections at once (run it with -race).
func TestConcurrentClients(t *testing.T) {
	ts := startServer(t, nil)
	const workers, rounds = 4, 30
	var wg sync.WaitGroup
	errs := make(chan string, workers*rounds)
	for w := 0; w < workers; w++ {
		cl := newClient(t)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			name := "broker-" + strconv.Itoa(w)
			b := broker{cluster: cluster, name: name, addr: "10.0.2." + strconv.Itoa(w) + ":10911",
				topics: []protocol.TopicConfig{topic("Shared", 4, 6, 0), topic("Own-"+name, 1, 6, 0)}}
			for r := 0; r < rounds; r++ {
				b.dv = protocol.DataVersion{Counter: int64(r), Timestamp: int64(r)}
				body := b.body(t)
				var cmds [3]protocol.Command
				cmds[0].NewRequest(protocol.RegisterBroker)
				b.header(body).Encode(&cmds[0].Ext)
				cmds[0].Body = body
				cmds[1].NewRequest(protocol.GetRouteInfoByTopic)
				(&protocol.GetRouteInfoRequestHeader{Topic: "Own-" + name}).Encode(&cmds[1].Ext)
				cmds[2].NewRequest(protocol.PutKVConfig)
				(&protocol.PutKVConfigRequestHeader{Namespace: "ns", Key: name, Value: strconv.Itoa(r)}).Encode(&cmds[2].Ext)
				for i := range cmds {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					resp, err := cl.Invoke(ctx, ts.addr, &cmds[i])
					cancel()
					if err != nil {
						errs <- err.Error()
						return
					}
					if resp.Code != 0 {
						errs <- fmt.Sprintf("%s request %d: code %d remark %s", name, i, resp.Code, resp.Remark)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if rd := ts.mustRoute("Shared"); len(rd.QueueDatas) != workers || len(rd.BrokerDatas) != workers {
		t.Errorf("Shared route %+v", rd)
	}
	resp := ts.call(protocol.GetKVListByNamespace, &protocol.GetKVListByNamespaceRequestHeader{Namespace: "ns"}, nil)
	var kt protocol.KVTable
	if err := protocol.UnmarshalBody(resp.Body, &kt); err != nil || len(kt.Table) != workers {
		t.Errorf("kv table %v (%v)", kt.Table, err)
	}
	for k, v := range kt.Table {
		if v != strconv.Itoa(rounds-1) {
			t.Errorf("kv %s=%s, want the last round", k, v)
		}
	}
}

func TestGetNamesrvConfig(t *testing.T) {
	ts := startServer(t, func(c *namesrv.Config) { c.OrderMessageEnable = true })
	resp := ts.call(protocol.GetNamesrvConfig, nil, nil)
	mustOK(t, "get config", resp)
	_, port, _ := net.SplitHostPort(ts.addr)
	for _, want := range []string{"\nlistenPort=" + port + "\n", "\nbindAddress=127.0.0.1\n", "\norderMessageEnable=true\n", "\nkvConfigPath=" + ts.cfg.KVConfigPath + "\n"} {
		if !strings.Contains("\n"+string(resp.Body), want) {
			t.Errorf("config body lacks %q:\n%s", want, resp.Body)
		}
	}
	resp = ts.call(protocol.UpdateNamesrvConfig, nil, []byte("configStorePath=/tmp/x\n"))
	if resp.Code != int32(protocol.RequestCodeNotSupported) {
		t.Errorf("UPDATE_NAMESRV_CONFIG: code %d", resp.Code)
	}
}

// TestKVConfigJavaFile starts on a kvConfig.json as Java's namesrv writes
// it (fastjson, one line).
func TestKVConfigJavaFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kvConfig.json")
	java := `{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicA":"broker-a:4;broker-b:4"},"ns":{"k":"v"}}}`
	if err := os.WriteFile(path, []byte(java), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *namesrv.Config) { c.KVConfigPath = path })
	resp := ts.call(protocol.GetKVConfig, &protocol.KVConfigKeyHeader{Namespace: namesrv.NamespaceOrderTopicConfig, Key: "TopicA"}, nil)
	if resp.Code != 0 || resp.Ext.GetString("value") != "broker-a:4;broker-b:4" {
		t.Errorf("code %d value %q", resp.Code, resp.Ext.GetString("value"))
	}
}
