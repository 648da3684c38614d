package namesrv_test

// Interop: the real rocketmq-client-go v2.1.2 reads routes and topic lists
// from Quiver's name server, into which a fake broker registered over a
// netio client.

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

func init() { rlog.SetLogLevel("error") }

// startFakeBroker is a netio server that answers DELETE_TOPIC_IN_BROKER
// (client-go's admin.DeleteTopic sends it before the name server's
// delete) and counts those requests.
func startFakeBroker(t *testing.T, deletes *atomic.Int32) string {
	t.Helper()
	srv, err := netio.NewServer(netio.ServerConfig{Addr: "127.0.0.1:0", NumEventLoops: 1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Register(protocol.DeleteTopicInBroker, func(req *netio.Request) {
		deletes.Add(1)
		_ = req.ReplyCode(protocol.Success, "")
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv.Addr().String()
}

func TestClientGoReadsRegisteredRoute(t *testing.T) {
	ts := startServer(t, nil)
	var deletes atomic.Int32
	brokerAddr := startFakeBroker(t, &deletes)

	// broker-a (master and slave) serves QuiverTopic with 4 queues;
	// broker-b serves it with 2; broker-c only for reading.
	a := broker{cluster: cluster, name: "broker-a", addr: brokerAddr, dv: protocol.DataVersion{Counter: 1, Timestamp: 1},
		topics: []protocol.TopicConfig{topic("QuiverTopic", 4, 6, 0), topic("TBW102", 8, 7, 0)}}
	ts.register(a)
	as := a
	as.id, as.addr, as.topics = 1, "127.0.0.1:1", nil
	ts.register(as)
	ts.register(broker{cluster: cluster, name: "broker-b", addr: "127.0.0.1:2", compressed: true,
		topics: []protocol.TopicConfig{topic("QuiverTopic", 2, 6, 0)}})
	ts.register(broker{cluster: cluster, name: "broker-c", addr: "127.0.0.1:3",
		topics: []protocol.TopicConfig{topic("QuiverTopic", 8, 4, 0)}})

	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{ts.addr})))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	mqs, err := adm.FetchPublishMessageQueues(ctx, "QuiverTopic")
	if err != nil {
		t.Fatalf("FetchPublishMessageQueues: %v", err)
	}
	var got []string
	for _, mq := range mqs {
		if mq.Topic != "QuiverTopic" {
			t.Errorf("queue of topic %q", mq.Topic)
		}
		got = append(got, mq.BrokerName+"/"+strconv.Itoa(mq.QueueId))
	}
	sort.Strings(got)
	want := []string{"broker-a/0", "broker-a/1", "broker-a/2", "broker-a/3", "broker-b/0", "broker-b/1"}
	if !slices.Equal(got, want) {
		t.Fatalf("publish queues %v, want %v", got, want)
	}

	// An unknown topic is an error, not a timeout or an empty route.
	if _, err := adm.FetchPublishMessageQueues(ctx, "NoSuchTopic"); err == nil {
		t.Error("FetchPublishMessageQueues of an unknown topic succeeded")
	} else if ctx.Err() != nil {
		t.Fatalf("unknown topic: %v (context ended)", err)
	}

	tl, err := adm.FetchAllTopicList(ctx)
	if err != nil {
		t.Fatalf("FetchAllTopicList: %v", err)
	}
	sort.Strings(tl.TopicList)
	if !slices.Equal(tl.TopicList, []string{"QuiverTopic", "TBW102"}) {
		t.Errorf("FetchAllTopicList %v", tl.TopicList)
	}

	// admin.DeleteTopic: the broker's delete, then the name server's.
	err = adm.DeleteTopic(ctx, admin.WithTopicDelete("QuiverTopic"), admin.WithBrokerAddrDelete(brokerAddr),
		admin.WithNameSrvAddr([]string{ts.addr}))
	if err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	if deletes.Load() != 1 {
		t.Errorf("fake broker saw %d DELETE_TOPIC_IN_BROKER", deletes.Load())
	}
	ts.mustNoRoute("QuiverTopic")
	ts.mustRoute("TBW102")
}

// TestClientGoProducerUsesRoute: a client-go producer looks the topic up
// in the name server and sends to the registered broker's queues.
func TestClientGoProducerUsesRoute(t *testing.T) {
	ts := startServer(t, nil)

	var mu sync.Mutex
	queues := make(map[int32]int)
	var offset atomic.Int64
	srv, err := netio.NewServer(netio.ServerConfig{Addr: "127.0.0.1:0", NumEventLoops: 1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Register(protocol.SendMessage, func(req *netio.Request) {
		var h protocol.SendMessageRequestHeader
		if err := h.DecodeFor(protocol.SendMessage, &req.Command().Ext); err != nil {
			_ = req.ReplyCode(protocol.SystemError, err.Error())
			return
		}
		if string(h.Topic) != "ProducerTopic" {
			_ = req.ReplyCode(protocol.TopicNotExist, "unexpected topic "+string(h.Topic))
			return
		}
		mu.Lock()
		queues[h.QueueID]++
		mu.Unlock()
		resp := req.Response(protocol.Success)
		(&protocol.SendMessageResponseHeader{
			MsgID:       []byte("7F00000100002A9F0000000000000000"),
			QueueID:     h.QueueID,
			QueueOffset: offset.Add(1) - 1,
			TraceOn:     true,
		}).Encode(&resp.Ext)
		_ = req.Reply(resp)
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })

	ts.register(broker{cluster: cluster, name: "broker-p", addr: srv.Addr().String(), dv: protocol.DataVersion{Counter: 1, Timestamp: 1},
		topics: []protocol.TopicConfig{topic("ProducerTopic", 3, 6, 0)}})

	p, err := producer.NewDefaultProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{ts.addr})),
		producer.WithGroupName("quiver_namesrv_test"),
		producer.WithRetry(0),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Shutdown() }()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for i := 0; i < 6; i++ {
		res, err := p.SendSync(ctx, primitive.NewMessage("ProducerTopic", []byte("hello "+strconv.Itoa(i))))
		if err != nil {
			t.Fatalf("SendSync %d: %v", i, err)
		}
		if res.Status != primitive.SendOK || res.MessageQueue.BrokerName != "broker-p" {
			t.Fatalf("SendSync %d: %+v", i, res)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(queues) != 3 || queues[0] != 2 || queues[1] != 2 || queues[2] != 2 {
		t.Errorf("sends per queue %v, want 2 on each of queues 0..2", queues)
	}
}
