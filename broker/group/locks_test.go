package group

import (
	"slices"
	"testing"
	"time"

	"github.com/quivermq/quiver/protocol"
)

func mq(q int32) protocol.MessageQueue {
	return protocol.MessageQueue{Topic: "T", BrokerName: "b", QueueID: q}
}

func TestLocksContention(t *testing.T) {
	clk := newFakeClock()
	l := NewLocks(testConfig(clk))
	all := []protocol.MessageQueue{mq(0), mq(1), mq(2), mq(3)}

	got := l.LockBatch("G", "A", all[:2])
	if !slices.Equal(got, all[:2]) {
		t.Fatalf("A locked %v", got)
	}
	got = l.LockBatch("G", "B", all)
	if !slices.Equal(got, all[2:]) {
		t.Fatalf("B locked %v", got)
	}
	// Already held: renewed and returned.
	if got := l.LockBatch("G", "A", all); !slices.Equal(got, all[:2]) {
		t.Fatalf("A again %v", got)
	}
	// Another group is independent.
	if got := l.LockBatch("H", "B", all[:1]); !slices.Equal(got, all[:1]) {
		t.Fatalf("B in H %v", got)
	}
	if !l.IsLocked("G", mq(0), "A") || l.IsLocked("G", mq(0), "B") || !l.IsLocked("G", mq(3), "B") {
		t.Fatal("IsLocked")
	}
	if h, ok := l.Holder("G", mq(1)); !ok || h != "A" {
		t.Fatalf("holder %q %v", h, ok)
	}
	if _, ok := l.Holder("G", mq(9)); ok {
		t.Fatal("holder of a free queue")
	}
	// Duplicates in the request are returned once.
	if got := l.LockBatch("G", "A", []protocol.MessageQueue{mq(0), mq(0)}); len(got) != 1 {
		t.Fatalf("duplicates %v", got)
	}
	if got := l.LockBatch("G", "A", nil); len(got) != 0 {
		t.Fatalf("empty request %v", got)
	}

	// Unlock by a non-owner is ignored.
	l.UnlockBatch("G", "B", all[:2])
	if !l.IsLocked("G", mq(0), "A") || !l.IsLocked("G", mq(1), "A") {
		t.Fatal("non-owner unlocked")
	}
	// The owner unlocks; the queue is free for B.
	l.UnlockBatch("G", "A", all[:1])
	if l.IsLocked("G", mq(0), "A") {
		t.Fatal("owner's unlock ignored")
	}
	if got := l.LockBatch("G", "B", all[:2]); !slices.Equal(got, all[:1]) {
		t.Fatalf("B after unlock %v", got)
	}
	l.UnlockBatch("Nope", "A", all)
}

func TestLocksExpiry(t *testing.T) {
	clk := newFakeClock()
	l := NewLocks(testConfig(clk))
	l.LockBatch("G", "A", []protocol.MessageQueue{mq(0), mq(1)})

	clk.Advance(30 * time.Second)
	l.LockBatch("G", "A", []protocol.MessageQueue{mq(1)}) // renews mq 1 only

	// Exactly 60 s after the lock: still held (RocketMQ: strictly more).
	clk.Advance(30 * time.Second)
	if got := l.LockBatch("G", "B", []protocol.MessageQueue{mq(0)}); len(got) != 0 {
		t.Fatalf("taken at 60 s: %v", got)
	}
	if l.AllExpired("G") {
		t.Fatal("AllExpired")
	}
	clk.Advance(time.Millisecond)
	if l.IsLocked("G", mq(0), "A") {
		t.Fatal("expired lock reported held")
	}
	if got := l.LockBatch("G", "B", []protocol.MessageQueue{mq(0), mq(1)}); !slices.Equal(got, []protocol.MessageQueue{mq(0)}) {
		t.Fatalf("B took %v", got)
	}
	if !l.IsLocked("G", mq(0), "B") || !l.IsLocked("G", mq(1), "A") {
		t.Fatal("holders after takeover")
	}
	// The holder of an expired lock takes it again.
	clk.Advance(61 * time.Second)
	if !l.AllExpired("G") || !l.AllExpired("Nope") {
		t.Fatal("not all expired")
	}
	if got := l.LockBatch("G", "A", []protocol.MessageQueue{mq(1)}); len(got) != 1 {
		t.Fatalf("A relock %v", got)
	}
	// An expired lock is still released by its holder's unlock.
	l.UnlockBatch("G", "B", []protocol.MessageQueue{mq(0)})
	if _, ok := l.Holder("G", mq(0)); ok {
		t.Fatal("mq 0 still held")
	}
	// Expire drops expired entries only.
	l.LockBatch("G", "C", []protocol.MessageQueue{mq(2)})
	clk.Advance(40 * time.Second)
	l.LockBatch("G", "C", []protocol.MessageQueue{mq(3)})
	clk.Advance(30 * time.Second)
	if n := l.Expire(clk.Now()); n != 2 { // mq 1 (A) and mq 2 (C)
		t.Fatalf("expired %d", n)
	}
	if !l.IsLocked("G", mq(3), "C") {
		t.Fatal("live lock dropped")
	}
}

func TestLocksConfigurableExpiry(t *testing.T) {
	clk := newFakeClock()
	cfg := testConfig(clk)
	cfg.LockExpiry = time.Second
	l := NewLocks(cfg)
	l.LockBatch("G", "A", []protocol.MessageQueue{mq(0)})
	clk.Advance(1001 * time.Millisecond)
	if got := l.LockBatch("G", "B", []protocol.MessageQueue{mq(0)}); len(got) != 1 {
		t.Fatal("not expired after 1 s")
	}
}
