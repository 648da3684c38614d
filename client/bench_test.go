package client

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/message"
)

// benchProducer starts a broker and a producer on a 4-queue topic.
func benchProducer(b *testing.B, topic string) *Producer {
	c := startCluster(b, 1, "mappedFileSizeCommitLog=134217728")
	c.createTopic(topic, 4)
	p := c.producer("pg_bench")
	// Warm the route and the connection.
	if _, err := p.SendSync(context.Background(), NewMessage(topic, []byte("warm"))); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkSendAsync: pipelined 1 KiB async sends, at most 256 in flight,
// against an in-process broker (ASYNC_FLUSH). allocs/op counts the client,
// netio's client and, in the same process, the broker.
func BenchmarkSendAsync(b *testing.B) {
	const topic = "BenchAsync"
	p := benchProducer(b, topic)
	m := NewMessage(topic, make([]byte, 1024))
	m.Tags = "bench"
	sem := make(chan struct{}, 256)
	var wg sync.WaitGroup
	var failed atomic.Int64
	cb := func(_ SendResult, err error) {
		if err != nil {
			failed.Add(1)
		}
		<-sem
		wg.Done()
	}
	b.SetBytes(int64(len(m.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sem <- struct{}{}
		wg.Add(1)
		if err := p.SendAsync(m, cb); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sends failed", n)
	}
}

// BenchmarkSendOneway: 1 KiB oneway sends.
func BenchmarkSendOneway(b *testing.B) {
	const topic = "BenchOneway"
	p := benchProducer(b, topic)
	m := NewMessage(topic, make([]byte, 1024))
	m.Tags = "bench"
	b.SetBytes(int64(len(m.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := p.SendOneway(m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// Let the broker drain before shutdown.
	time.Sleep(100 * time.Millisecond)
}

// BenchmarkSendSync: 1 KiB sync sends, one at a time.
func BenchmarkSendSync(b *testing.B) {
	const topic = "BenchSync"
	p := benchProducer(b, topic)
	m := NewMessage(topic, make([]byte, 1024))
	ctx := context.Background()
	b.SetBytes(int64(len(m.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := p.SendSync(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode: a pull body of 32 1 KiB messages, as Pull splits it.
func BenchmarkDecode(b *testing.B) {
	var body []byte
	for i := range 32 {
		props := message.AppendProperty(nil, message.PropertyTags, "bench")
		props = message.AppendProperty(props, message.PropertyUniqKey, "7F0000010F2C00000000A1B2C3D40001")
		props = message.AppendProperty(props, message.PropertyCluster, "DefaultCluster")
		f := message.Fields{Topic: []byte("BenchTopic"), Body: make([]byte, 1024), Properties: props, QueueOffset: int64(i)}
		var err error
		if body, err = message.AppendRecord(body, &f); err != nil {
			b.Fatal(err)
		}
	}
	var pc PullConsumer
	mq := MessageQueue{Topic: "BenchTopic", BrokerName: "b"}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for range b.N {
		msgs, err := pc.decode(body, mq)
		if err != nil || len(msgs) != 32 {
			b.Fatal(len(msgs), err)
		}
	}
}
