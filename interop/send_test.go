package interop_test

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// TestClientGoSendThroughNetio runs the client-go producer against a netio
// server that answers as name server and broker, and checks that the send
// result client-go builds is the one our response header carried.
func TestClientGoSendThroughNetio(t *testing.T) {
	cfg := netio.DefaultServerConfig()
	cfg.Addr = "127.0.0.1:0"
	srv, err := netio.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const queueOffset, commitLogOffset = 17, 4242
	// Set once the port is known, read by the handlers on the event loops.
	var storeHostV, routeBodyV atomic.Value
	srv.Register(protocol.GetRouteInfoByTopic, func(req *netio.Request) {
		resp := req.Response(protocol.Success)
		resp.Body = routeBodyV.Load().([]byte)
		_ = req.Reply(resp)
	})
	srv.Register(protocol.HeartBeat, func(req *netio.Request) { _ = req.ReplyCode(protocol.Success, "") })
	srv.Register(protocol.SendMessage, func(req *netio.Request) {
		var h protocol.SendMessageRequestHeader
		if err := h.Decode(&req.Command().Ext); err != nil {
			_ = req.ReplyCode(protocol.SystemError, err.Error())
			return
		}
		// Answer later from another goroutine, as a sync-flush send would.
		msgID := message.AppendOffsetID(nil, storeHostV.Load().(message.Host), commitLogOffset)
		queueID := h.QueueID
		rsp := req.Responder()
		go func() {
			var resp protocol.Command
			resp.Code = int32(protocol.Success)
			rh := protocol.SendMessageResponseHeader{MsgID: msgID, QueueID: queueID, QueueOffset: queueOffset, TraceOn: true}
			rh.Encode(&resp.Ext)
			_ = rsp.Reply(&resp)
		}()
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	addr := srv.Addr().String()
	storeHost := message.HostFrom(netip.MustParseAddrPort(addr))
	storeHostV.Store(storeHost)
	route := testRoute(addr)
	route.QueueDatas = route.QueueDatas[:1]
	route.BrokerDatas = route.BrokerDatas[:1]
	routeBody, err := protocol.MarshalBody(route)
	if err != nil {
		t.Fatal(err)
	}
	routeBodyV.Store(routeBody)

	p := newProducer(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 20; i++ {
		msg := primitive.NewMessage(routeTopic, []byte("hello"))
		res, err := p.SendSync(ctx, msg)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if res.Status != primitive.SendOK || res.QueueOffset != queueOffset {
			t.Fatalf("send %d: status %v queue offset %d", i, res.Status, res.QueueOffset)
		}
		if want := string(message.AppendOffsetID(nil, storeHost, commitLogOffset)); res.OffsetMsgID != want {
			t.Fatalf("offset msg id %q, want %q", res.OffsetMsgID, want)
		}
		if res.MessageQueue == nil || res.MessageQueue.BrokerName != "broker-a" || res.MessageQueue.QueueId < 0 || res.MessageQueue.QueueId > 3 {
			t.Fatalf("message queue %v", res.MessageQueue)
		}
		if len(res.MsgID) != 32 {
			t.Fatalf("client msg id %q", res.MsgID)
		}
	}
}
