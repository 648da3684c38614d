package group

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/quivermq/quiver/protocol"
)

// TestConcurrentUse runs heartbeats, pull-path lookups, commits, persists,
// locks and closes from several goroutines; run it with -race.
func TestConcurrentUse(t *testing.T) {
	clk := newFakeClock()
	cfg := testConfig(clk)
	reg := NewRegistry(cfg)
	offsets := NewOffsets(cfg)
	groups := NewSubscriptionGroups(cfg)
	locks := NewLocks(cfg)
	path := filepath.Join(t.TempDir(), "consumerOffset.json")

	const workers, rounds = 4, 300
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		w := w
		wg.Add(4)
		go func() { // heartbeats, closes, expiry
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				id := uint64(w*1000 + i%7)
				group := fmt.Sprintf("G%d", i%3)
				hb := &protocol.HeartbeatData{
					ClientID:        fmt.Sprintf("c%d", id),
					ProducerDataSet: []protocol.ProducerData{{GroupName: "PG"}},
					ConsumerDataSet: consumerData(group, sub("T", "TagA || TagB", int64(i)), sub("%RETRY%"+group, "*", 1)),
				}
				for _, ch := range reg.Heartbeat(conn(id), protocol.LangGo, 401, hb) {
					groups.Find(ch.Group)
					if ch.Notify() {
						_ = reg.Consumers.Handles(ch.Group)
					}
				}
				if i%11 == 0 {
					reg.ConnectionClosed(conn(id))
				}
				if i%50 == 0 {
					clk.Advance(1)
					reg.Expire(clk.Now())
				}
			}
		}()
		go func() { // pulls
			defer wg.Done()
			for i := 0; i < rounds*5; i++ {
				group := fmt.Sprintf("G%d", i%3)
				if s, ok := reg.Consumers.Subscription(group, "T"); ok {
					_ = s.MatchTagsCode(2598919)
					_ = s.MatchTag("TagB")
				}
				_ = reg.Consumers.ConsumerIDs(group)
				_, _ = groups.Get(group)
				offsets.Commit(group, "T", int32(i%4), int64(i))
				_, _ = offsets.Query(group, "T", int32(i%4))
			}
		}()
		go func() { // persists and admin reads
			defer wg.Done()
			for i := 0; i < rounds/10; i++ {
				if err := offsets.Persist(path); err != nil {
					t.Error(err)
					return
				}
				_ = offsets.Table()
				_ = groups.All()
				_, _ = groups.Encode()
				_ = reg.Consumers.GroupsByTopic("T")
				_, _ = reg.Producers.Pick("PG")
			}
		}()
		go func() { // orderly locks
			defer wg.Done()
			client := fmt.Sprintf("c%d", w)
			mqs := []protocol.MessageQueue{mq(0), mq(1), mq(2), mq(3)}
			for i := 0; i < rounds; i++ {
				got := locks.LockBatch("G0", client, mqs)
				for _, q := range got {
					if h, ok := locks.Holder("G0", q); !ok || h != client {
						t.Errorf("queue %v locked for %s but held by %q", q, client, h)
						return
					}
				}
				locks.UnlockBatch("G0", client, got)
			}
		}()
	}
	wg.Wait()
	if err := offsets.Persist(path); err != nil {
		t.Fatal(err)
	}
	o2 := NewOffsets(cfg)
	if err := o2.Load(path); err != nil {
		t.Fatal(err)
	}
	if len(o2.Table()) != len(offsets.Table()) {
		t.Fatalf("loaded %d entries, want %d", len(o2.Table()), len(offsets.Table()))
	}
}
