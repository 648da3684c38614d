//go:build !race

package interop_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/quivermq/quiver/protocol"
)

// TestQuiverDelayLevel: a message sent with delay level 2 (5 s with the
// default messageDelayLevel) reaches the consumer 5 s (± 1 s) after it was
// sent; a message without delay sent at the same time arrives at once.
func TestQuiverDelayLevel(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_delay")
	const topic = "TopicDelay"
	sendN(t, p, topic, "warm", 1)
	type arrival struct {
		body string
		at   time.Time
	}
	var (
		mu  sync.Mutex
		got []arrival
	)
	got2 := &received{}
	pc := c.pushConsumer("cg_delay", topic, consumer.MessageSelector{}, got2)
	_ = pc
	waitFor(t, 20*time.Second, "the warm-up message", func() bool { return got2.count() >= 1 })
	watch := func() {
		got2.mu.Lock()
		defer got2.mu.Unlock()
		mu.Lock()
		defer mu.Unlock()
		for _, m := range got2.msgs[1+len(got):] {
			got = append(got, arrival{string(m.Body), time.Now()})
		}
	}
	delayed := primitive.NewMessage(topic, []byte("delayed"))
	delayed.WithDelayTimeLevel(2)
	sent := time.Now()
	if _, err := p.SendSync(context.Background(), delayed); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("plain"))); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		watch()
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("got %v", got)
	}
	for _, a := range got {
		d := a.at.Sub(sent)
		t.Logf("%s arrived after %v", a.body, d)
		switch a.body {
		case "plain":
			if d > time.Second {
				t.Errorf("the plain message took %v", d)
			}
		case "delayed":
			if d < 4*time.Second || d > 6*time.Second {
				t.Errorf("delay level 2 arrived after %v, want 5 s ± 1 s", d)
			}
		}
	}
}

// fastLevels makes every delay level 1 s, so that retries come back
// quickly (the test broker's config, as the issue allows).
const fastLevels = "messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"

// TestQuiverRetryAndDLQ: a message the consumer answers ConsumeRetryLater
// comes back with reconsumeTimes 1, 2, ...; after maxReconsumeTimes it is
// stored on %DLQ%<group> and no longer reaches the group.
func TestQuiverRetryAndDLQ(t *testing.T) {
	c := startCluster(t, fastLevels)
	p := c.producer("pg_retry")
	const topic, group, maxTimes = "TopicRetry", "cg_retry", 3
	sendN(t, p, topic, "warm", 1)
	var (
		mu       sync.Mutex
		attempts []int32 // reconsumeTimes of each delivery of "doomed"
		okBodies = map[string]int{}
	)
	pc, err := consumer.NewPushConsumer(
		consumer.WithNameServer([]string{c.nsAddr}),
		consumer.WithGroupName(group),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithMaxReconsumeTimes(maxTimes),
		consumer.WithInstance(instanceName("r")),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = pc.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		result := consumer.ConsumeSuccess
		for _, m := range msgs {
			if string(m.Body) == "doomed" {
				attempts = append(attempts, m.ReconsumeTimes)
				if m.Topic != topic {
					t.Errorf("retried message reported on topic %q", m.Topic)
				}
				result = consumer.ConsumeRetryLater
			} else {
				okBodies[string(m.Body)]++
			}
		}
		return result, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c.waitRoute(topic)
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Shutdown() })
	if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("doomed"))); err != nil {
		t.Fatal(err)
	}
	sendN(t, p, topic, "fine", 3)
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(attempts) }
	waitFor(t, 60*time.Second, "every retry of the doomed message", func() bool { return count() >= maxTimes+1 })
	// The DLQ holds it.
	dlq := "%DLQ%" + group
	waitFor(t, 10*time.Second, "the message on "+dlq, func() bool {
		var cmd protocol.Command
		cmd.NewRequest(protocol.GetMaxOffset)
		(&protocol.TopicQueueHeader{Topic: dlq, QueueID: 0}).Encode(&cmd.Ext)
		resp, err := invokeBroker(c.b.Addr(), &cmd)
		if err != nil || resp.Code != 0 {
			return false
		}
		var h protocol.OffsetResponseHeader
		return h.Decode(&resp.Ext) == nil && h.Offset == 1
	})
	time.Sleep(3 * time.Second) // nothing more reaches the group
	mu.Lock()
	defer mu.Unlock()
	want := fmt.Sprint([]int32{0, 1, 2, 3})
	if fmt.Sprint(attempts) != want {
		t.Fatalf("doomed delivered with reconsumeTimes %v, want %s", attempts, want)
	}
	if okBodies["fine-0"] != 1 || okBodies["fine-1"] != 1 || okBodies["fine-2"] != 1 {
		t.Fatalf("the other messages: %v", okBodies)
	}
}

// TestQuiverDelaySurvivesRestart: delayed messages pending when the broker
// stops are delivered after it restarts, once each, not early.
func TestQuiverDelaySurvivesRestart(t *testing.T) {
	c := startCluster(t, "messageDelayLevel=1s 4s")
	p := c.producer("pg_delay_restart")
	const topic = "TopicDelayRestart"
	sendN(t, p, topic, "warm", 1)
	sent := time.Now()
	want := map[string]int{}
	for i := 0; i < 5; i++ {
		m := primitive.NewMessage(topic, []byte(fmt.Sprintf("later-%d", i)))
		m.WithDelayTimeLevel(2)
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		want[fmt.Sprintf("later-%d", i)] = 1
	}
	c.restartBroker()
	got := &received{}
	c.pushConsumer("cg_delay_restart", topic, consumer.MessageSelector{}, got)
	waitFor(t, 20*time.Second, "the delayed messages after the restart", func() bool { return got.count() >= 6 })
	if d := time.Since(sent); d < 4*time.Second {
		t.Fatalf("delivered after %v, before their 4 s delay", d)
	}
	time.Sleep(2 * time.Second) // no duplicates follow
	b := got.bodies()
	delete(b, "warm-0")
	if fmt.Sprint(b) != fmt.Sprint(want) {
		t.Fatalf("after the restart: %v, want %v", b, want)
	}
}
