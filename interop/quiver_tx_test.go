//go:build !race

package interop_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/quivermq/quiver/protocol"
)

// txListener decides by the message body: "commit-*" and "rollback-*" at
// once; "check-commit-*" and "check-rollback-*" answer unknown first and
// decide when the broker checks back; "hold-*" stays unknown until
// release is set.
type txListener struct {
	release atomic.Bool
	mu      sync.Mutex
	checks  map[string]int
}

func (l *txListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	switch body := string(m.Body); {
	case strings.HasPrefix(body, "commit-"):
		return primitive.CommitMessageState
	case strings.HasPrefix(body, "rollback-"):
		return primitive.RollbackMessageState
	}
	return primitive.UnknowState
}

func (l *txListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	body := string(m.Body)
	l.mu.Lock()
	l.checks[body]++
	l.mu.Unlock()
	switch {
	case strings.HasPrefix(body, "check-commit-"):
		return primitive.CommitMessageState
	case strings.HasPrefix(body, "check-rollback-"):
		return primitive.RollbackMessageState
	case strings.HasPrefix(body, "hold-") && l.release.Load():
		return primitive.CommitMessageState
	}
	return primitive.UnknowState
}

func (l *txListener) checked(body string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.checks[body]
}

// txConf shortens the check-back: a half message is checked 1 s after it
// was stored, every 500 ms.
const txConf = "transactionTimeOut=1000\ntransactionCheckInterval=500"

func (c *cluster) txProducer(group string, l *txListener) interface {
	SendMessageInTransaction(context.Context, *primitive.Message) (*primitive.TransactionSendResult, error)
	Shutdown() error
} {
	c.t.Helper()
	p, err := producer.NewTransactionProducer(l,
		producer.WithNameServer([]string{c.nsAddr}),
		producer.WithGroupName(group),
		producer.WithRetry(1),
		producer.WithInstanceName(instanceName("tx")),
	)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// TestQuiverTransactions: commit and rollback at once, and an unknown
// state resolved by the broker's check-back to commit and to rollback; the
// consumer gets exactly the committed messages, none of the rolled back.
func TestQuiverTransactions(t *testing.T) {
	c := startCluster(t, txConf)
	plain := c.producer("pg_tx_warm")
	const topic = "TopicTx"
	sendN(t, plain, topic, "warm", 1)
	l := &txListener{checks: map[string]int{}}
	p := c.txProducer("pg_tx", l)
	got := &received{}
	c.pushConsumer("cg_tx", topic, consumer.MessageSelector{}, got)
	want := map[string]int{"warm-0": 1}
	for i := 0; i < 3; i++ {
		for _, kind := range []string{"commit", "rollback", "check-commit", "check-rollback"} {
			body := fmt.Sprintf("%s-%d", kind, i)
			res, err := p.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte(body)))
			if err != nil || res.Status != primitive.SendOK {
				t.Fatalf("%s: %v %+v", body, err, res)
			}
			if kind == "commit" || kind == "check-commit" {
				want[body] = 1
			}
		}
	}
	waitFor(t, 30*time.Second, "the committed messages", func() bool { return got.count() >= len(want) })
	for i := 0; i < 3; i++ {
		for _, kind := range []string{"check-commit", "check-rollback"} {
			body := fmt.Sprintf("%s-%d", kind, i)
			waitFor(t, 10*time.Second, "a check-back of "+body, func() bool { return l.checked(body) >= 1 })
		}
	}
	time.Sleep(2 * time.Second) // rollbacks stay out; commits come once
	if b := got.bodies(); fmt.Sprint(b) != fmt.Sprint(want) {
		t.Fatalf("consumed %v\nwant %v", b, want)
	}
	for i := 0; i < 3; i++ {
		if n := l.checked(fmt.Sprintf("commit-%d", i)); n != 0 {
			t.Errorf("a committed transaction was checked %d times", n)
		}
	}
}

// TestQuiverTransactionSurvivesRestart: a transaction left undecided when
// the broker stops is checked again after the restart and committed once.
func TestQuiverTransactionSurvivesRestart(t *testing.T) {
	c := startCluster(t, txConf)
	plain := c.producer("pg_txr_warm")
	const topic = "TopicTxRestart"
	sendN(t, plain, topic, "warm", 1)
	l := &txListener{checks: map[string]int{}}
	p := c.txProducer("pg_txr", l)
	for i := 0; i < 3; i++ {
		if _, err := p.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte(fmt.Sprintf("hold-%d", i)))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "a first check-back", func() bool { return l.checked("hold-0") >= 1 })
	c.restartBroker()
	l.release.Store(true)
	// The restarted broker knows a producer of the group once it
	// heartbeats: client-go does every 30 s, to the brokers it knows of. A
	// producer that starts and sends (as an application restarted with the
	// broker would) heartbeats 1 s after its start.
	p2 := c.txProducer("pg_txr", l)
	if _, err := p2.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte("commit-after"))); err != nil {
		t.Fatal(err)
	}
	got := &received{}
	c.pushConsumer("cg_txr", topic, consumer.MessageSelector{}, got)
	waitFor(t, 30*time.Second, "the held transactions, committed after the restart", func() bool { return got.count() >= 5 })
	time.Sleep(2 * time.Second)
	want := map[string]int{"warm-0": 1, "hold-0": 1, "hold-1": 1, "hold-2": 1, "commit-after": 1}
	if b := got.bodies(); fmt.Sprint(b) != fmt.Sprint(want) {
		t.Fatalf("consumed %v, want %v", b, want)
	}
}

// TestQuiverTransactionCheckMax: a transaction the producer never decides
// is checked transactionCheckMax times, then dropped: kept on
// TRANS_CHECK_MAX_TIME_TOPIC for operators, never delivered, never checked
// again.
func TestQuiverTransactionCheckMax(t *testing.T) {
	c := startCluster(t, txConf+"\ntransactionCheckMax=2")
	plain := c.producer("pg_txm_warm")
	const topic = "TopicTxMax"
	sendN(t, plain, topic, "warm", 1)
	l := &txListener{checks: map[string]int{}}
	p := c.txProducer("pg_txm", l)
	if _, err := p.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte("hold-forever"))); err != nil {
		t.Fatal(err)
	}
	got := &received{}
	c.pushConsumer("cg_txm", topic, consumer.MessageSelector{}, got)
	waitFor(t, 15*time.Second, "two check-backs", func() bool { return l.checked("hold-forever") >= 2 })
	waitFor(t, 10*time.Second, "the half message on TRANS_CHECK_MAX_TIME_TOPIC", func() bool {
		var cmd protocol.Command
		cmd.NewRequest(protocol.GetMaxOffset)
		(&protocol.TopicQueueHeader{Topic: "TRANS_CHECK_MAX_TIME_TOPIC", QueueID: 0}).Encode(&cmd.Ext)
		resp, err := invokeBroker(c.b.Addr(), &cmd)
		var h protocol.OffsetResponseHeader
		return err == nil && resp.Code == 0 && h.Decode(&resp.Ext) == nil && h.Offset == 1
	})
	time.Sleep(2 * time.Second) // several more check intervals
	if n := l.checked("hold-forever"); n != 2 {
		t.Fatalf("checked %d times, want transactionCheckMax=2", n)
	}
	if b := got.bodies(); fmt.Sprint(b) != fmt.Sprint(map[string]int{"warm-0": 1}) {
		t.Fatalf("consumed %v", b)
	}
}
