package group

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/quivermq/quiver/protocol"
)

func sub(topic, expr string, ver int64) protocol.SubscriptionData {
	return protocol.SubscriptionData{Topic: topic, SubString: expr, SubVersion: ver, ExpressionType: "TAG"}
}

func consumerData(group string, subs ...protocol.SubscriptionData) []protocol.ConsumerData {
	return []protocol.ConsumerData{{
		GroupName:           group,
		ConsumeType:         protocol.ConsumePassively,
		MessageModel:        protocol.MessageModelClustering,
		ConsumeFromWhere:    protocol.ConsumeFromLastOffset,
		SubscriptionDataSet: subs,
	}}
}

func one(t *testing.T, chs []GroupChange) GroupChange {
	t.Helper()
	if len(chs) != 1 {
		t.Fatalf("%d changes, want 1: %+v", len(chs), chs)
	}
	return chs[0]
}

func TestHeartbeatRegisters(t *testing.T) {
	clk := newFakeClock()
	c := NewConsumers(testConfig(clk))
	data := consumerData("G", sub("T", "TagA || TagC", 10), sub("%RETRY%G", "*", 10))

	ch := one(t, c.Heartbeat(conn(1), "10.0.0.1@1", protocol.LangGo, 401, data))
	if !ch.Created || !ch.ClientsChanged || !ch.TopicsChanged || ch.FiltersChanged || !ch.Notify() || ch.Group != "G" {
		t.Fatalf("first heartbeat: %+v", ch)
	}
	g := c.Lookup("G")
	if g == nil || g.ConsumeType != protocol.ConsumePassively || g.MessageModel != protocol.MessageModelClustering ||
		g.ConsumeFromWhere != protocol.ConsumeFromLastOffset {
		t.Fatalf("group %+v", g)
	}
	if !slices.Equal(g.Topics(), []string{"%RETRY%G", "T"}) {
		t.Fatalf("topics %v", g.Topics())
	}
	s, ok := c.Subscription("G", "T")
	if !ok || s.Expression != "TagA || TagC" || !slices.Equal(s.Tags(), []string{"TagA", "TagC"}) || s.SubVersion != 10 {
		t.Fatalf("subscription %+v", s)
	}
	if _, ok := c.Subscription("G", "Other"); ok {
		t.Fatal("unknown topic found")
	}
	if _, ok := c.Subscription("Nope", "T"); ok {
		t.Fatal("unknown group found")
	}

	// The same heartbeat again changes nothing and keeps the snapshot.
	clk.Advance(30 * time.Second)
	ch = one(t, c.Heartbeat(conn(1), "10.0.0.1@1", protocol.LangGo, 401, data))
	if ch.Created || ch.ClientsChanged || ch.TopicsChanged || ch.FiltersChanged || ch.Notify() {
		t.Fatalf("repeat heartbeat: %+v", ch)
	}
	if c.Lookup("G") != g {
		t.Fatal("snapshot replaced without a change")
	}

	// A second client joins.
	ch = one(t, c.Heartbeat(conn(2), "10.0.0.2@2", protocol.LangJava, 401, data))
	if ch.Created || !ch.ClientsChanged || ch.TopicsChanged || !ch.Notify() {
		t.Fatalf("second client: %+v", ch)
	}
	if ids := c.ConsumerIDs("G"); !slices.Equal(ids, []string{"10.0.0.1@1", "10.0.0.2@2"}) {
		t.Fatalf("ids %v", ids)
	}
	hs := c.Handles("G")
	if len(hs) != 2 || hs[0].ID() != 1 || hs[1].ID() != 2 {
		t.Fatalf("handles %v", hs)
	}
	conns := c.Connections("G")
	if len(conns) != 2 || conns[1].Language != protocol.LangJava || conns[0].ClientID != "10.0.0.1@1" || !conns[0].LastUpdate.Equal(clk.Now()) {
		t.Fatalf("connections %+v", conns)
	}
	if h, ok := c.FindClient("G", "10.0.0.2@2"); !ok || h.ID() != 2 {
		t.Fatalf("FindClient %v %v", h, ok)
	}
	if _, ok := c.FindClient("G", "nobody"); ok {
		t.Fatal("FindClient found nobody")
	}
	if gs := c.Groups(); !slices.Equal(gs, []string{"G"}) {
		t.Fatalf("groups %v", gs)
	}
	if gs := c.GroupsByTopic("T"); !slices.Equal(gs, []string{"G"}) {
		t.Fatalf("groups by topic %v", gs)
	}
	if gs := c.GroupsByTopic("X"); len(gs) != 0 {
		t.Fatalf("groups by X %v", gs)
	}
	if c.ConsumerIDs("Nope") != nil || c.Handles("Nope") != nil || c.Lookup("Nope") != nil {
		t.Fatal("unknown group has state")
	}
}

func TestHeartbeatSubVersionOrdering(t *testing.T) {
	clk := newFakeClock()
	c := NewConsumers(testConfig(clk))
	c.Heartbeat(conn(1), "c1", protocol.LangGo, 0, consumerData("G", sub("T", "TagA", 100)))

	// Older subVersion: ignored.
	ch := one(t, c.Heartbeat(conn(1), "c1", protocol.LangGo, 0, consumerData("G", sub("T", "TagB", 99))))
	if ch.TopicsChanged || ch.FiltersChanged {
		t.Fatalf("older version: %+v", ch)
	}
	if s, _ := c.Subscription("G", "T"); s.Expression != "TagA" {
		t.Fatalf("older version replaced: %q", s.Expression)
	}
	// Equal subVersion: ignored too.
	c.Heartbeat(conn(1), "c1", protocol.LangGo, 0, consumerData("G", sub("T", "TagB", 100)))
	if s, _ := c.Subscription("G", "T"); s.Expression != "TagA" {
		t.Fatalf("equal version replaced: %q", s.Expression)
	}
	// Newer: replaces.
	ch = one(t, c.Heartbeat(conn(1), "c1", protocol.LangGo, 0, consumerData("G", sub("T", "TagB", 101))))
	if ch.TopicsChanged || !ch.FiltersChanged || ch.Notify() {
		t.Fatalf("newer version: %+v", ch)
	}
	s, _ := c.Subscription("G", "T")
	if s.Expression != "TagB" || s.SubVersion != 101 || !s.MatchTag("TagB") || s.MatchTag("TagA") {
		t.Fatalf("newer version not applied: %+v", s)
	}
	// Newer with the same expression: stored, but no filter change.
	ch = one(t, c.Heartbeat(conn(1), "c1", protocol.LangGo, 0, consumerData("G", sub("T", "TagB", 102))))
	if ch.FiltersChanged {
		t.Fatalf("same filter reported changed: %+v", ch)
	}
	if s, _ := c.Subscription("G", "T"); s.SubVersion != 102 {
		t.Fatalf("version %d", s.SubVersion)
	}
	// A topic missing from the heartbeat is removed; a new one added.
	ch = one(t, c.Heartbeat(conn(1), "c1", protocol.LangGo, 0, consumerData("G", sub("U", "*", 1))))
	if !ch.TopicsChanged || !ch.Notify() {
		t.Fatalf("topic swap: %+v", ch)
	}
	if _, ok := c.Subscription("G", "T"); ok {
		t.Fatal("T still subscribed")
	}
	if s, ok := c.Subscription("G", "U"); !ok || !s.All() {
		t.Fatalf("U: %+v %v", s, ok)
	}
	// The message model is the latest heartbeat's.
	data := consumerData("G", sub("U", "*", 1))
	data[0].MessageModel = protocol.MessageModelBroadcasting
	c.Heartbeat(conn(1), "c1", protocol.LangGo, 0, data)
	if g := c.Lookup("G"); g.MessageModel != protocol.MessageModelBroadcasting {
		t.Fatalf("model %q", g.MessageModel)
	}
}

func TestHeartbeatSkipsEmptyGroupAndManyTopics(t *testing.T) {
	c := NewConsumers(testConfig(newFakeClock()))
	if chs := c.Heartbeat(conn(1), "c1", 0, 0, nil); chs != nil {
		t.Fatalf("nil data: %v", chs)
	}
	if chs := c.Heartbeat(conn(1), "c1", 0, 0, []protocol.ConsumerData{{}}); len(chs) != 0 {
		t.Fatalf("empty group: %v", chs)
	}
	var subs []protocol.SubscriptionData
	for i := 0; i < 20; i++ {
		subs = append(subs, sub("T"+string(rune('a'+i)), "*", 1))
	}
	c.Heartbeat(conn(1), "c1", 0, 0, consumerData("G", subs...))
	ch := one(t, c.Heartbeat(conn(1), "c1", 0, 0, consumerData("G", subs[:19]...)))
	if !ch.TopicsChanged || len(c.Lookup("G").Topics()) != 19 {
		t.Fatalf("%+v %v", ch, c.Lookup("G").Topics())
	}
}

func TestHeartbeatCompilesSQL92(t *testing.T) {
	cfg := testConfig(newFakeClock())
	bad := errors.New("bad expression")
	cfg.CompileSQL92 = func(expr string) (any, error) {
		if expr == "bad" {
			return nil, bad
		}
		return "compiled:" + expr, nil
	}
	c := NewConsumers(cfg)
	good := protocol.SubscriptionData{Topic: "T", SubString: "a > 1", SubVersion: 1, ExpressionType: protocol.ExpressionSQL92}
	wrong := protocol.SubscriptionData{Topic: "U", SubString: "bad", SubVersion: 1, ExpressionType: protocol.ExpressionSQL92}
	c.Heartbeat(conn(1), "c1", 0, 0, consumerData("G", good, wrong))
	s, _ := c.Subscription("G", "T")
	if s.Compiled != "compiled:a > 1" || s.CompileErr != nil || s.IsTag() {
		t.Fatalf("T: %+v", s)
	}
	s, _ = c.Subscription("G", "U")
	if s.Compiled != nil || !errors.Is(s.CompileErr, bad) {
		t.Fatalf("U: %+v", s)
	}
}

func TestConsumerExpiry(t *testing.T) {
	clk := newFakeClock()
	c := NewConsumers(testConfig(clk))
	data := consumerData("G", sub("T", "*", 1))
	c.Heartbeat(conn(1), "c1", 0, 0, data)
	c.Heartbeat(conn(2), "c2", 0, 0, data)
	c.Heartbeat(conn(2), "c2", 0, 0, consumerData("H", sub("T", "*", 1)))

	clk.Advance(100 * time.Second)
	c.Heartbeat(conn(2), "c2", 0, 0, data) // c2 refreshes G only

	// Exactly 120 s: not yet expired (RocketMQ: strictly more).
	clk.Advance(20 * time.Second)
	if gs, gone := c.Expire(clk.Now()); len(gs) != 0 || len(gone) != 0 {
		t.Fatalf("expired at 120 s: %v %v", gs, gone)
	}
	clk.Advance(time.Millisecond)
	gs, gone := c.Expire(clk.Now())
	if !slices.Equal(gs, []string{"G", "H"}) {
		t.Fatalf("groups %v", gs)
	}
	// c1 is in no group any more; c2 still is in G.
	if len(gone) != 1 || gone[0].ID() != 1 {
		t.Fatalf("gone %v", gone)
	}
	if ids := c.ConsumerIDs("G"); !slices.Equal(ids, []string{"c2"}) {
		t.Fatalf("ids %v", ids)
	}
	if c.Lookup("H") != nil {
		t.Fatal("empty group H kept")
	}
	// The subscription survives for the remaining client.
	if _, ok := c.Subscription("G", "T"); !ok {
		t.Fatal("subscription lost")
	}
	clk.Advance(121 * time.Second)
	gs, gone = c.Expire(clk.Now())
	if !slices.Equal(gs, []string{"G"}) || len(gone) != 1 || gone[0].ID() != 2 || c.Lookup("G") != nil || len(c.Groups()) != 0 {
		t.Fatalf("second expiry: %v %v", gs, gone)
	}
}

func TestConsumerExpiryConfigurable(t *testing.T) {
	clk := newFakeClock()
	cfg := testConfig(clk)
	cfg.ClientExpiry = 10 * time.Second
	c := NewConsumers(cfg)
	c.Heartbeat(conn(1), "c1", 0, 0, consumerData("G", sub("T", "*", 1)))
	clk.Advance(11 * time.Second)
	if gs, _ := c.Expire(clk.Now()); !slices.Equal(gs, []string{"G"}) {
		t.Fatalf("groups %v", gs)
	}
}

func TestConsumerConnectionClosed(t *testing.T) {
	clk := newFakeClock()
	c := NewConsumers(testConfig(clk))
	c.Heartbeat(conn(1), "c1", 0, 0, consumerData("G", sub("T", "*", 1)))
	c.Heartbeat(conn(1), "c1", 0, 0, consumerData("H", sub("T", "*", 1)))
	c.Heartbeat(conn(2), "c2", 0, 0, consumerData("G", sub("T", "*", 1)))
	// c2 reconnects before its old connection is seen closed: same id,
	// no membership change.
	ch := one(t, c.Heartbeat(conn(3), "c2", 0, 0, consumerData("G", sub("T", "*", 1))))
	if ch.ClientsChanged {
		t.Fatalf("reconnect: %+v", ch)
	}
	if gs := c.ConnectionClosed(conn(2)); len(gs) != 0 {
		t.Fatalf("closing c2's old connection: %v", gs)
	}
	if ids := c.ConsumerIDs("G"); !slices.Equal(ids, []string{"c1", "c2"}) {
		t.Fatalf("ids %v", ids)
	}
	gs := c.ConnectionClosed(conn(1))
	if !slices.Equal(gs, []string{"G", "H"}) {
		t.Fatalf("closed c1: %v", gs)
	}
	if c.Lookup("H") != nil || !slices.Equal(c.ConsumerIDs("G"), []string{"c2"}) {
		t.Fatal("c1 not removed")
	}
	if gs := c.ConnectionClosed(conn(99)); len(gs) != 0 {
		t.Fatalf("unknown connection: %v", gs)
	}
	// Unregister by client id.
	if c.Unregister("nobody", "G") || c.Unregister("c2", "Nope") {
		t.Fatal("unregister of unknown reported a change")
	}
	if !c.Unregister("c2", "G") || c.Lookup("G") != nil {
		t.Fatal("unregister c2")
	}
}

func TestConsumerClientIDChange(t *testing.T) {
	c := NewConsumers(testConfig(newFakeClock()))
	c.Heartbeat(conn(1), "a", 0, 0, consumerData("G", sub("T", "*", 1)))
	ch := one(t, c.Heartbeat(conn(1), "b", 0, 0, consumerData("G", sub("T", "*", 1))))
	if !ch.ClientsChanged || !slices.Equal(c.ConsumerIDs("G"), []string{"b"}) {
		t.Fatalf("%+v %v", ch, c.ConsumerIDs("G"))
	}
}

func TestSubscriptionLookupDoesNotAllocate(t *testing.T) {
	c := NewConsumers(testConfig(newFakeClock()))
	c.Heartbeat(conn(1), "c1", 0, 0, consumerData("GroupName", sub("TopicName", "TagA", 1)))
	group, topic := "GroupName", "TopicName"
	n := testing.AllocsPerRun(1000, func() {
		s, ok := c.Subscription(group, topic)
		if !ok || !s.MatchTagsCode(2598919) {
			panic("lookup failed")
		}
		_ = c.ConsumerIDs(group)
	})
	if n != 0 {
		t.Fatalf("%v allocations per lookup", n)
	}
}

func BenchmarkSubscriptionLookup(b *testing.B) {
	c := NewConsumers(testConfig(newFakeClock()))
	for i := 0; i < 100; i++ {
		g := "Group" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		c.Heartbeat(conn(i), "c", 0, 0, consumerData(g, sub("TopicName", "TagA || TagB", 1)))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s, _ := c.Subscription("GroupBa", "TopicName")
			_ = s.MatchTagsCode(2598919)
		}
	})
}
