package client

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// fakeServer is one netio server acting as name server and broker
// "broker-f", for answers a real broker gives only in odd states.
func fakeServer(t *testing.T, handlers map[protocol.RequestCode]netio.Handler) string {
	t.Helper()
	srv, err := netio.NewServer(netio.ServerConfig{Addr: "127.0.0.1:0", NumEventLoops: 1, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	var addr atomic.Pointer[string] // set after Start, read by the handler
	srv.Register(protocol.GetRouteInfoByTopic, func(req *netio.Request) {
		body, _ := protocol.MarshalBody(protocol.TopicRouteData{
			QueueDatas:  []protocol.QueueData{{BrokerName: "broker-f", Perm: 6, ReadQueueNums: 1, WriteQueueNums: 1}},
			BrokerDatas: []protocol.BrokerData{{Cluster: "c", BrokerName: "broker-f", BrokerAddrs: map[int64]string{0: *addr.Load()}}},
		})
		resp := req.Response(protocol.Success)
		resp.Body = body
		_ = req.Reply(resp)
	})
	srv.Register(protocol.HeartBeat, func(req *netio.Request) { _ = req.ReplyCode(protocol.Success, "") })
	srv.Register(protocol.UnregisterClient, func(req *netio.Request) { _ = req.ReplyCode(protocol.Success, "") })
	for code, h := range handlers {
		srv.Register(code, h)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	a := srv.Addr().String()
	addr.Store(&a)
	t.Cleanup(func() { _ = srv.Close() })
	return a
}

// TestFetchOffsetNotFound: QUERY_NOT_FOUND reads as -1.
func TestFetchOffsetNotFound(t *testing.T) {
	addr := fakeServer(t, map[protocol.RequestCode]netio.Handler{
		protocol.QueryConsumerOffset: func(req *netio.Request) { _ = req.ReplyCode(protocol.QueryNotFound, "Not found") },
	})
	pc, err := NewPullConsumer(Config{NameServers: []string{addr}, Group: "g", Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	off, err := pc.FetchOffset(ctxT(t, 5*time.Second), MessageQueue{Topic: "T", BrokerName: "broker-f"})
	if err != nil || off != -1 {
		t.Fatalf("offset %d: %v", off, err)
	}
}

// TestSendStatuses: FLUSH_DISK_TIMEOUT and friends are statuses, not
// errors; SYSTEM_BUSY is an error and is not retried.
func TestSendStatuses(t *testing.T) {
	var code, calls atomic.Int32
	addr := fakeServer(t, map[protocol.RequestCode]netio.Handler{
		protocol.SendMessageV2: func(req *netio.Request) {
			calls.Add(1)
			c := protocol.ResponseCode(code.Load())
			resp := req.Response(c)
			if c != protocol.SystemBusy {
				(&protocol.SendMessageResponseHeader{MsgID: []byte("7F00000100002A9F0000000000000000"), QueueID: 0, QueueOffset: 9}).Encode(&resp.Ext)
			}
			_ = req.Reply(resp)
		},
	})
	p, err := NewProducer(Config{NameServers: []string{addr}, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := ctxT(t, 5*time.Second)
	for _, c := range []struct {
		code protocol.ResponseCode
		st   SendStatus
	}{{protocol.FlushDiskTimeout, FlushDiskTimeout}, {protocol.FlushSlaveTimeout, FlushSlaveTimeout},
		{protocol.SlaveNotAvailable, SlaveNotAvailable}, {protocol.Success, SendOK}} {
		code.Store(int32(c.code))
		res, err := p.SendSync(ctx, NewMessage("T", []byte("x")))
		if err != nil || res.Status != c.st || res.QueueOffset != 9 || res.OffsetMsgID != "7F00000100002A9F0000000000000000" {
			t.Fatalf("code %v: %+v %v", c.code, res, err)
		}
	}
	code.Store(int32(protocol.SystemBusy))
	calls.Store(0)
	_, err = p.SendSync(ctx, NewMessage("T", []byte("x")))
	if !errors.Is(err, protocol.ErrSystemBusy) || calls.Load() != 1 {
		t.Fatalf("SYSTEM_BUSY: %v after %d calls", err, calls.Load())
	}
	code.Store(int32(protocol.SystemError))
	calls.Store(0)
	_, err = p.SendSync(ctx, NewMessage("T", []byte("x")))
	if !errors.Is(err, protocol.ErrSystemError) || calls.Load() != 3 {
		t.Fatalf("SYSTEM_ERROR: %v after %d calls, want 3 (retried)", err, calls.Load())
	}
}

// TestSendPathAllocs: building and encoding a send's request allocates
// nothing (message ids come from a shared chunk).
func TestSendPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	p, err := NewProducer(Config{NameServers: []string{"127.0.0.1:1"}, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m := NewMessage("TopicAllocs", make([]byte, 1024))
	m.Tags, m.Keys = "tag", []string{"k1", "k2"}
	m.Properties = map[string]string{"a": "1", "b": "2"}
	mq := MessageQueue{Topic: m.Topic, BrokerName: "b", QueueID: 1}
	var id string
	run := func() {
		r := p.getReq()
		if err := p.prepare(r, m, true); err != nil {
			t.Fatal(err)
		}
		p.encode(r, mq)
		id = r.id
		p.putReq(r)
	}
	run()
	if n := testing.AllocsPerRun(1000, run); n != 0 {
		t.Fatalf("%v allocations per send", n)
	}
	if len(id) != 32 {
		t.Fatalf("id %q", id)
	}
}
