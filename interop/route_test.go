package interop_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

var goldenRoute = filepath.Join("..", "protocol", "testdata", "route.json")

const routeTopic = "QuiverRoute"

// testRoute is a route with a master and a slave on broker-a, a second
// writable broker, and a read-only one, so that client-go's publish-queue
// rules (write perm, master address present) are exercised.
func testRoute(brokerAddr string) protocol.TopicRouteData {
	return protocol.TopicRouteData{
		QueueDatas: []protocol.QueueData{
			{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4},
			{BrokerName: "broker-b", Perm: 6, ReadQueueNums: 2, WriteQueueNums: 2},
			{BrokerName: "broker-c", Perm: 4, ReadQueueNums: 8, WriteQueueNums: 8},
		},
		BrokerDatas: []protocol.BrokerData{
			{Cluster: "DefaultCluster", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: brokerAddr, 1: "127.0.0.1:20911"}},
			{Cluster: "DefaultCluster", BrokerName: "broker-b", BrokerAddrs: map[int64]string{0: "127.0.0.1:30911"}},
			{Cluster: "DefaultCluster", BrokerName: "broker-c", BrokerAddrs: map[int64]string{0: "127.0.0.1:40911"}},
		},
	}
}

// startRouteServer serves GET_ROUTEINFO_BY_TOPIC on a netio server: body for
// routeTopic, TOPIC_NOT_EXIST for anything else.
func startRouteServer(t *testing.T, body []byte) *netio.Server {
	t.Helper()
	cfg := netio.DefaultServerConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.NumEventLoops = 1
	srv, err := netio.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Register(protocol.GetRouteInfoByTopic, func(req *netio.Request) {
		var h protocol.GetRouteInfoRequestHeader
		if err := h.Decode(&req.Command().Ext); err != nil {
			_ = req.ReplyCode(protocol.SystemError, err.Error())
			return
		}
		if h.Topic != routeTopic {
			_ = req.ReplyCode(protocol.TopicNotExist, "No topic route info in name server for the topic: "+h.Topic)
			return
		}
		resp := req.Response(protocol.Success)
		resp.Body = body
		_ = req.Reply(resp)
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// TestRouteGolden pins the route body encoding: compact JSON, quoted broker
// ids, queueDatas and brokerAddrs always present.
func TestRouteGolden(t *testing.T) {
	body, err := protocol.MarshalBody(testRoute("127.0.0.1:10911"))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		writeGolden(t, goldenRoute, body)
	}
	golden, err := os.ReadFile(goldenRoute)
	if err != nil {
		t.Fatalf("golden file (run with -update to create): %v", err)
	}
	if !bytes.Equal(body, golden) {
		t.Errorf("route encoding changed:\n got  %s\n want %s", body, golden)
	}
}

// TestClientGoReadsRoute has the real client-go ask a netio server for a
// route and checks the queues it derives from our TopicRouteData.
func TestClientGoReadsRoute(t *testing.T) {
	body, err := protocol.MarshalBody(testRoute("127.0.0.1:10911"))
	if err != nil {
		t.Fatal(err)
	}
	srv := startRouteServer(t, body)

	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{srv.Addr().String()})))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	mqs, err := adm.FetchPublishMessageQueues(ctx, routeTopic)
	if err != nil {
		t.Fatalf("FetchPublishMessageQueues: %v", err)
	}
	var got []string
	for _, mq := range mqs {
		if mq.Topic != routeTopic {
			t.Errorf("queue topic %q", mq.Topic)
		}
		got = append(got, mq.BrokerName+"/"+string(rune('0'+mq.QueueId)))
	}
	sort.Strings(got)
	want := []string{"broker-a/0", "broker-a/1", "broker-a/2", "broker-a/3", "broker-b/0", "broker-b/1"}
	if len(got) != len(want) {
		t.Fatalf("publish queues %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("publish queues %v, want %v", got, want)
		}
	}

	// An unknown topic is TOPIC_NOT_EXIST, which client-go reports as an
	// error rather than an empty route.
	if _, err := adm.FetchPublishMessageQueues(ctx, "NoSuchTopic"); err == nil {
		t.Error("FetchPublishMessageQueues of an unknown topic succeeded")
	} else if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unknown topic timed out instead of failing: %v", err)
	}
}
