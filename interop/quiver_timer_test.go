//go:build !race

package interop_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// arrivals records when each body first arrived.
type arrivals struct {
	received
	at map[string]time.Time
}

func (a *arrivals) note() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range a.msgs {
		if _, ok := a.at[string(m.Body)]; !ok {
			a.at[string(m.Body)] = time.Now()
		}
	}
}

// TestQuiverTimerMessages: RocketMQ 5 timer messages through client-go
// properties: TIMER_DELIVER_MS (absolute), TIMER_DELAY_SEC and
// TIMER_DELAY_MS (relative) arrive at their time (± 1 s); a past-due one at
// once.
func TestQuiverTimerMessages(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_timer")
	const topic = "TopicTimer"
	sendN(t, p, topic, "warm", 1)
	a := &arrivals{at: map[string]time.Time{}}
	c.pushConsumer("cg_timer", topic, consumer.MessageSelector{}, &a.received)
	waitFor(t, 20*time.Second, "the warm-up", func() bool { return a.count() >= 1 })

	start := time.Now()
	want := map[string]time.Duration{
		"deliver-ms-3s": 3 * time.Second,
		"delay-sec-2":   2 * time.Second,
		"delay-ms-1500": 1500 * time.Millisecond,
		"past-due":      0,
	}
	props := map[string][2]string{
		"deliver-ms-3s": {"TIMER_DELIVER_MS", strconv.FormatInt(start.Add(3*time.Second).UnixMilli(), 10)},
		"delay-sec-2":   {"TIMER_DELAY_SEC", "2"},
		"delay-ms-1500": {"TIMER_DELAY_MS", "1500"},
		"past-due":      {"TIMER_DELIVER_MS", strconv.FormatInt(start.Add(-time.Minute).UnixMilli(), 10)},
	}
	for body, kv := range props {
		m := primitive.NewMessage(topic, []byte(body))
		m.WithProperty(kv[0], kv[1])
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
	}
	waitFor(t, 15*time.Second, "every timer message", func() bool { a.note(); return len(a.at) >= 5 })
	for body, d := range want {
		got := a.at[body].Sub(start)
		t.Logf("%s arrived after %v (asked %v)", body, got, d)
		if got < d-time.Second || got > d+time.Second+500*time.Millisecond {
			t.Errorf("%s arrived after %v, want %v ± 1 s", body, got, d)
		}
	}
	time.Sleep(time.Second)
	if n := a.count(); n != 5 {
		t.Fatalf("%d deliveries, want 5 (no duplicates)", n)
	}
}

// TestQuiverTimerSurvivesRestart: timer messages pending when the broker
// stops arrive after the restart, once each, not early.
func TestQuiverTimerSurvivesRestart(t *testing.T) {
	c := startCluster(t, "")
	p := c.producer("pg_timer_restart")
	const topic = "TopicTimerRestart"
	sendN(t, p, topic, "warm", 1)
	sent := time.Now()
	want := map[string]int{"warm-0": 1}
	for i := 0; i < 5; i++ {
		body := fmt.Sprintf("timer-%d", i)
		m := primitive.NewMessage(topic, []byte(body))
		m.WithProperty("TIMER_DELAY_SEC", "4")
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		want[body] = 1
	}
	time.Sleep(500 * time.Millisecond) // the wheel has them
	c.restartBroker()
	got := &received{}
	c.pushConsumer("cg_timer_restart", topic, consumer.MessageSelector{}, got)
	waitFor(t, 20*time.Second, "the timer messages after the restart", func() bool { return got.count() >= 6 })
	if d := time.Since(sent); d < 3*time.Second {
		t.Fatalf("delivered after %v, before their 4 s", d)
	}
	time.Sleep(2 * time.Second)
	if b := got.bodies(); fmt.Sprint(b) != fmt.Sprint(want) {
		t.Fatalf("after the restart: %v, want %v", b, want)
	}
}
