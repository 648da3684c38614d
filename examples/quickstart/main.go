// Command quickstart sends 10 messages to the topic QuickStart with the
// unmodified Apache RocketMQ Go client (rocketmq-client-go v2.1.2) and
// prints them as a push consumer receives them. It exits 0 once the
// consumer has all 10, or 1 after 30 s.
//
// Start a name server and a broker first (make run: name server
// 127.0.0.1:9876), then, in a second terminal:
//
//	go run ./examples/quickstart
//
// The topic is created by the first send (autoCreateTopicEnable). The
// consumer group keeps its offsets on the broker, so a second run
// receives only that run's messages, plus, delivery being at least once,
// any message of an earlier run whose offset was not committed yet when
// that run exited (printed as "from an earlier run").
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

const (
	runKey  = "QUICKSTART_RUN" // user property: which run sent a message
	timeout = 30 * time.Second
)

func main() {
	nameServer := flag.String("n", "127.0.0.1:9876", "name server address")
	topic := flag.String("topic", "QuickStart", "topic to send to and consume")
	count := flag.Int("count", 10, "messages to send")
	flag.Parse()
	if *count < 1 {
		fmt.Fprintln(os.Stderr, "quickstart: -count must be at least 1")
		os.Exit(2)
	}
	rlog.SetLogLevel("error") // the client logs every rebalance at info
	if err := run(*nameServer, *topic, *count); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(nameServer, topic string, count int) error {
	start := time.Now()
	runID := strconv.FormatInt(start.UnixNano(), 36)
	// Produce first: the push consumer refuses to start on a topic that
	// has no route yet, and the first send creates it.
	if err := produce(nameServer, topic, count, runID); err != nil {
		return err
	}
	return consume(nameServer, topic, count, runID, start)
}

// produce sends count messages "Hello Quiver <i>" tagged with runID.
func produce(nameServer, topic string, count int, runID string) error {
	p, err := producer.NewDefaultProducer(
		producer.WithNameServer([]string{nameServer}),
		producer.WithGroupName("QuickStartProducer"),
		producer.WithRetry(2),
	)
	if err != nil {
		return err
	}
	if err := p.Start(); err != nil {
		return fmt.Errorf("start producer: %w", err)
	}
	defer p.Shutdown()
	for i := 0; i < count; i++ {
		msg := primitive.NewMessage(topic, []byte(fmt.Sprintf("Hello Quiver %d", i)))
		msg.WithTag("TagA")
		msg.WithProperty(runKey, runID)
		res, err := p.SendSync(context.Background(), msg)
		if err != nil {
			return fmt.Errorf("send %d: %w", i, err)
		}
		if res.Status != primitive.SendOK {
			return fmt.Errorf("send %d: status %d (see primitive.SendStatus)", i, res.Status)
		}
		fmt.Printf("sent     %-16s queue=%d offset=%d id=%s\n", msg.Body, res.MessageQueue.QueueId, res.QueueOffset, res.MsgID)
	}
	return nil
}

// consume prints what a push consumer receives until it has the count
// messages of runID, or for timeout.
func consume(nameServer, topic string, count int, runID string, start time.Time) error {
	var (
		mu  sync.Mutex
		got = map[string]bool{}
	)
	all := make(chan struct{})
	handler := func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			if m.GetProperty(runKey) != runID {
				fmt.Printf("received %-16s from an earlier run\n", m.Body)
				continue
			}
			fmt.Printf("received %-16s queue=%d offset=%d id=%s\n", m.Body, m.Queue.QueueId, m.QueueOffset, m.MsgId)
			got[string(m.Body)] = true
			if len(got) == count {
				close(all)
			}
		}
		return consumer.ConsumeSuccess, nil
	}

	// A topic the first send created reaches the name server with the
	// broker's next registration, a moment later (as in RocketMQ); until
	// then Start fails with "route info not found". Try again briefly.
	deadline := time.Now().Add(timeout)
	var c rocketmq.PushConsumer
	for waited := false; ; waited = true {
		var err error
		c, err = startConsumer(nameServer, topic, handler)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("start consumer: %w", err)
		}
		if !waited {
			fmt.Printf("quickstart: no route for %s yet (%v); waiting for the broker to register the new topic\n", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	defer c.Shutdown()

	select {
	case <-all:
		fmt.Printf("quickstart: sent and received %d messages in %v\n", count, time.Since(start).Round(time.Millisecond))
		return nil
	case <-time.After(time.Until(deadline)):
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("received %d of %d messages in %v", len(got), count, timeout)
	}
}

// startConsumer starts a push consumer of topic, from the first offset
// when its group is new.
func startConsumer(nameServer, topic string, handler func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)) (rocketmq.PushConsumer, error) {
	c, err := consumer.NewPushConsumer(
		consumer.WithNameServer([]string{nameServer}),
		consumer.WithGroupName("QuickStartConsumer"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	if err != nil {
		return nil, err
	}
	if err := c.Subscribe(topic, consumer.MessageSelector{}, handler); err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err // Start shuts the consumer down when it fails
	}
	return c, nil
}
