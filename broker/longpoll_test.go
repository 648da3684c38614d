package broker

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// pollBroker starts a broker with no name server on 127.0.0.1.
func pollBroker(t *testing.T) (*Broker, *netio.Client) {
	return testBroker(t, "", nil)
}

// testBroker starts a broker on 127.0.0.1 with a temporary store, extra
// broker.conf lines and an engine adjustment (both optional), and a client.
func testBroker(t *testing.T, extra string, engineOpt func(*engine.Config)) (*Broker, *netio.Client) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	text := "brokerName=broker-lp\nbrokerIP1=127.0.0.1\nstorePathRootDir=" + t.TempDir() +
		"\nmappedFileSizeCommitLog=16777216\n" + extra + "\n"
	cfg, err := conf.Loader{Env: func(string) string { return "" }, Logger: logger}.Parse("broker.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cfg, Options{ListenAddr: "127.0.0.1:0", Logger: logger, Engine: engineOpt})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	cl, err := netio.NewClient(netio.DefaultClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return b, cl
}

func invoke(t *testing.T, cl *netio.Client, addr string, cmd *protocol.Command) *protocol.Command {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := cl.Invoke(ctx, addr, cmd)
	if err != nil {
		t.Fatalf("%v: %v", protocol.RequestCode(cmd.Code), err)
	}
	return resp
}

func sendOne(t *testing.T, cl *netio.Client, addr, topic string, qid int32, body string) {
	t.Helper()
	var cmd protocol.Command
	cmd.NewRequest(protocol.SendMessage)
	h := protocol.SendMessageRequestHeader{ProducerGroup: []byte("pg"), Topic: []byte(topic), DefaultTopic: []byte("TBW102"),
		DefaultTopicQueueNums: 4, QueueID: qid, BornTimestamp: time.Now().UnixMilli(),
		Properties: message.AppendProperty(nil, message.PropertyTags, "TagA")}
	h.EncodeFor(protocol.SendMessage, &cmd.Ext)
	cmd.Body = []byte(body)
	if resp := invoke(t, cl, addr, &cmd); resp.Code != 0 {
		t.Fatalf("send: %d %s", resp.Code, resp.Remark)
	}
}

func subscribe(t *testing.T, cl *netio.Client, addr, group, topic string) {
	t.Helper()
	subscribeExpr(t, cl, addr, group, topic, "*")
}

func subscribeExpr(t *testing.T, cl *netio.Client, addr, group, topic, expr string) {
	t.Helper()
	hb := protocol.HeartbeatData{ClientID: "127.0.0.1@lp", ConsumerDataSet: []protocol.ConsumerData{{
		GroupName: group, ConsumeType: "CONSUME_PASSIVELY", MessageModel: protocol.MessageModelClustering,
		ConsumeFromWhere:    "CONSUME_FROM_FIRST_OFFSET",
		SubscriptionDataSet: []protocol.SubscriptionData{{Topic: topic, SubString: expr, ExpressionType: "TAG", SubVersion: time.Now().UnixNano()}},
	}}}
	body, err := protocol.MarshalBody(hb)
	if err != nil {
		t.Fatal(err)
	}
	var cmd protocol.Command
	cmd.NewRequest(protocol.HeartBeat)
	cmd.Body = body
	if resp := invoke(t, cl, addr, &cmd); resp.Code != 0 {
		t.Fatalf("heartbeat: %d %s", resp.Code, resp.Remark)
	}
}

func pullCmd(group, topic string, qid int32, offset int64, suspend time.Duration) *protocol.Command {
	var cmd protocol.Command
	cmd.NewRequest(protocol.PullMessage)
	h := protocol.PullMessageRequestHeader{ConsumerGroup: []byte(group), Topic: []byte(topic), QueueID: qid,
		QueueOffset: offset, MaxMsgNums: 32, SysFlag: protocol.PullFlagSuspend, CommitOffset: -1,
		SuspendTimeoutMillis: suspend.Milliseconds(), Subscription: []byte("*"), ExpressionType: []byte("TAG")}
	h.Encode(&cmd.Ext)
	return &cmd
}

// TestLongPollWakesOnArrival: a pull parked on an empty queue is answered
// within 50 ms of a message arriving on that queue (not at its 20 s
// timeout), with the message.
func TestLongPollWakesOnArrival(t *testing.T) {
	b, cl := pollBroker(t)
	const topic, group = "TopicLP", "cg_lp"
	sendOne(t, cl, b.Addr(), topic, 1, "other queue") // creates the topic
	subscribe(t, cl, b.Addr(), group, topic)
	for round := 0; round < 5; round++ {
		type answer struct {
			resp *protocol.Command
			at   time.Time
			err  error
		}
		done := make(chan answer, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			resp, err := cl.Invoke(ctx, b.Addr(), pullCmd(group, topic, 0, int64(round), 20*time.Second))
			done <- answer{resp, time.Now(), err}
		}()
		deadline := time.Now().Add(5 * time.Second)
		for b.holds.parked() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the pull was not parked")
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // parked for a while
		select {
		case a := <-done:
			t.Fatalf("answered before any message: %+v %v", a.resp, a.err)
		default:
		}
		sent := time.Now()
		sendOne(t, cl, b.Addr(), topic, 0, "wake")
		a := <-done
		if a.err != nil {
			t.Fatal(a.err)
		}
		if a.resp.Code != int32(protocol.Success) {
			t.Fatalf("round %d: code %d %s", round, a.resp.Code, a.resp.Remark)
		}
		if n, _, err := message.Decode(a.resp.Body, true); err != nil || n != len(a.resp.Body) {
			t.Fatalf("round %d: body is not one record: %d %v", round, n, err)
		}
		lat := a.at.Sub(sent)
		t.Logf("round %d: answered %v after the send started", round, lat)
		if lat > 50*time.Millisecond {
			t.Fatalf("round %d: parked pull answered %v after the message arrived, want < 50ms", round, lat)
		}
	}
}

// TestLongPollCheckAfterPark: a record that was dispatched (and notified)
// just before the pull entered the hold table is found by the check park
// does after inserting; RocketMQ's check-then-park order would hold it
// until the next check.
func TestLongPollCheckAfterPark(t *testing.T) {
	b, cl := pollBroker(t)
	const topic, group = "TopicLPR", "cg_lpr"
	sendOne(t, cl, b.Addr(), topic, 0, "already there")
	deadline := time.Now().Add(5 * time.Second)
	for b.store.MaxOffset(topic, 0) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("not dispatched")
		}
		time.Sleep(time.Millisecond)
	}
	// Park directly, as the handler would have after a read that raced
	// the dispatcher (its notify came before the insert).
	rec := &captureReplier{done: make(chan *protocol.Command, 1)}
	task := &pullTask{group: group, topic: topic, qid: 0, offset: 0, maxMsgs: 32, maxBytes: 1 << 20,
		idx: -1, deadline: time.Now().Add(20 * time.Second)}
	b.holds.parkWith(task, rec)
	select {
	case resp := <-rec.done:
		if resp.Code != int32(protocol.Success) {
			t.Fatalf("code %d %s", resp.Code, resp.Remark)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a pull parked after its record was dispatched was not answered")
	}
}

// TestLongPollIdleCPU: 100 parked pulls on an idle broker cost no CPU: the
// process's CPU time over 2 s stays within what the engine's own timers
// use (the budget: 2% of one core), and no pull is answered early.
func TestLongPollIdleCPU(t *testing.T) {
	b, cl := pollBroker(t)
	const topic, group = "TopicIdle", "cg_idle"
	sendOne(t, cl, b.Addr(), topic, 0, "x")
	subscribe(t, cl, b.Addr(), group, topic)
	answered := make(chan struct{}, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < 100; i++ {
		err := cl.InvokeAsync(b.Addr(), pullCmd(group, topic, 0, 1, 60*time.Second), 90*time.Second, func(*protocol.Command, error) {
			answered <- struct{}{}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.holds.parked() < 100 {
		if time.Now().After(deadline) {
			t.Fatalf("%d pulls parked, want 100", b.holds.parked())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let start-up work settle
	before := cpuTime()
	time.Sleep(2 * time.Second)
	used := cpuTime() - before
	t.Logf("CPU used over 2 s with 100 parked pulls: %v", used)
	if len(answered) != 0 || b.holds.parked() != 100 {
		t.Fatalf("%d pulls answered early, %d parked", len(answered), b.holds.parked())
	}
	if used > 40*time.Millisecond {
		t.Fatalf("idle broker with 100 parked pulls used %v of CPU in 2 s", used)
	}
	_ = ctx
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// captureReplier records the answer of a parked pull.
type captureReplier struct{ done chan *protocol.Command }

func (c *captureReplier) Reply(cmd *protocol.Command) error { c.done <- cmd; return nil }
func (c *captureReplier) ReplyParts(cmd *protocol.Command, _ [][]byte, done func(error)) error {
	c.done <- cmd
	if done != nil {
		done(nil)
	}
	return nil
}

// TestPullNoMatch: records the group's tag filter refuses are skipped: a
// pull that does not wait is answered PULL_RETRY_IMMEDIATELY with the next
// offset past them (RocketMQ's NO_MATCHED_MESSAGE answer), as is a parked
// pull whose wait ends with only refused records.
func TestPullNoMatch(t *testing.T) {
	b, cl := pollBroker(t)
	const topic, group = "TopicNoMatch", "cg_nomatch"
	for i := 0; i < 3; i++ {
		sendOne(t, cl, b.Addr(), topic, 0, "tagged A") // sendOne tags TagA
	}
	subscribeExpr(t, cl, b.Addr(), group, topic, "TagB")
	waitDispatchedTo(t, b, topic, 0, 3)
	for _, wait := range []time.Duration{0, 300 * time.Millisecond} {
		cmd := pullCmd(group, topic, 0, 0, wait)
		if wait == 0 {
			var h protocol.PullMessageRequestHeader
			if err := h.Decode(&cmd.Ext); err != nil {
				t.Fatal(err)
			}
			h.SysFlag = 0
			cmd.Ext = protocol.ExtFields{}
			h.Encode(&cmd.Ext)
		}
		resp := invoke(t, cl, b.Addr(), cmd)
		var rh protocol.PullMessageResponseHeader
		if err := rh.Decode(&resp.Ext); err != nil {
			t.Fatal(err)
		}
		if resp.Code != int32(protocol.PullRetryImmediately) || rh.NextBeginOffset != 3 {
			t.Fatalf("wait %v: code %d %q next %d, want PULL_RETRY_IMMEDIATELY next 3", wait, resp.Code, resp.Remark, rh.NextBeginOffset)
		}
	}
}

func waitDispatchedTo(t *testing.T, b *Broker, topic string, qid int32, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.store.MaxOffset(topic, qid) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s/%d: %d entries after 5 s, want %d", topic, qid, b.store.MaxOffset(topic, qid), n)
		}
		time.Sleep(time.Millisecond)
	}
}
