package group

import (
	"slices"
	"testing"
	"time"

	"github.com/quivermq/quiver/protocol"
)

func TestProducers(t *testing.T) {
	clk := newFakeClock()
	p := NewProducers(testConfig(clk))
	pg := []protocol.ProducerData{{GroupName: "PG"}, {GroupName: ""}}
	p.Heartbeat(conn(1), "c1", protocol.LangGo, 1, pg)
	p.Heartbeat(conn(2), "c2", protocol.LangJava, 2, pg)
	p.Heartbeat(conn(2), "c2", protocol.LangJava, 2, []protocol.ProducerData{{GroupName: "Other"}})
	p.Heartbeat(conn(3), "c3", 0, 0, nil)

	if gs := p.Groups(); !slices.Equal(gs, []string{"Other", "PG"}) {
		t.Fatalf("groups %v", gs)
	}
	conns := p.Connections("PG")
	if len(conns) != 2 || conns[0].ClientID != "c1" || conns[1].Language != protocol.LangJava || conns[1].Version != 2 {
		t.Fatalf("connections %+v", conns)
	}
	// Pick rotates among live connections.
	seen := map[uint64]int{}
	for i := 0; i < 10; i++ {
		h, ok := p.Pick("PG")
		if !ok {
			t.Fatal("no pick")
		}
		seen[h.ID()]++
	}
	if seen[1] != 5 || seen[2] != 5 {
		t.Fatalf("picks %v", seen)
	}
	if _, ok := p.Pick("Nope"); ok {
		t.Fatal("picked from unknown group")
	}
	if h, ok := p.FindByClientID("c2"); !ok || h.ID() != 2 {
		t.Fatalf("FindByClientID %v %v", h, ok)
	}
	if _, ok := p.FindByClientID("c9"); ok {
		t.Fatal("found c9")
	}

	// c1 goes quiet: not picked once stale, removed by Expire.
	clk.Advance(60 * time.Second)
	p.Heartbeat(conn(2), "c2", protocol.LangJava, 2, pg)
	clk.Advance(61 * time.Second)
	for i := 0; i < 4; i++ {
		if h, _ := p.Pick("PG"); h.ID() != 2 {
			t.Fatalf("picked stale %d", h.ID())
		}
	}
	gs, gone := p.Expire(clk.Now())
	if !slices.Equal(gs, []string{"Other", "PG"}) || len(gone) != 1 || gone[0].ID() != 1 {
		t.Fatalf("expire: %v %v", gs, gone)
	}
	if gs := p.Groups(); !slices.Equal(gs, []string{"PG"}) {
		t.Fatalf("groups after expiry %v", gs)
	}
	if gs := p.ConnectionClosed(conn(2)); !slices.Equal(gs, []string{"PG"}) {
		t.Fatalf("closed: %v", gs)
	}
	if _, ok := p.Pick("PG"); ok || len(p.Groups()) != 0 {
		t.Fatal("state left after close")
	}
	p.Heartbeat(conn(4), "c4", 0, 0, pg)
	if p.Unregister("c5", "PG") || !p.Unregister("c4", "PG") || len(p.Groups()) != 0 {
		t.Fatal("unregister")
	}
}

func TestRegistry(t *testing.T) {
	clk := newFakeClock()
	r := NewRegistry(testConfig(clk))
	hb := &protocol.HeartbeatData{
		ClientID:        "c1",
		ProducerDataSet: []protocol.ProducerData{{GroupName: "PG"}},
		ConsumerDataSet: consumerData("CG", sub("T", "*", 1)),
	}
	chs := r.Heartbeat(conn(1), protocol.LangGo, 401, hb)
	if len(chs) != 1 || !chs[0].Notify() {
		t.Fatalf("changes %+v", chs)
	}
	hb2 := &protocol.HeartbeatData{ClientID: "c2", ProducerDataSet: []protocol.ProducerData{{GroupName: "PG"}}}
	r.Heartbeat(conn(2), protocol.LangGo, 401, hb2)

	if !r.Unregister("c1", "PG", "CG") {
		t.Fatal("unregister reported no consumer change")
	}
	if r.Consumers.Lookup("CG") != nil {
		t.Fatal("CG left")
	}
	if conns := r.Producers.Connections("PG"); len(conns) != 1 || conns[0].ClientID != "c2" {
		t.Fatalf("PG %+v", conns)
	}
	r.Heartbeat(conn(1), protocol.LangGo, 401, hb)
	if gs := r.ConnectionClosed(conn(1)); !slices.Equal(gs, []string{"CG"}) {
		t.Fatalf("closed %v", gs)
	}
	if conns := r.Producers.Connections("PG"); len(conns) != 1 {
		t.Fatalf("PG after close %+v", conns)
	}

	// Expiry: a connection still registered elsewhere is not gone.
	r.Heartbeat(conn(3), protocol.LangGo, 401, &protocol.HeartbeatData{ClientID: "c3",
		ProducerDataSet: []protocol.ProducerData{{GroupName: "PG"}}, ConsumerDataSet: consumerData("CG", sub("T", "*", 1))})
	clk.Advance(100 * time.Second)
	r.Heartbeat(conn(3), protocol.LangGo, 401, &protocol.HeartbeatData{ClientID: "c3",
		ProducerDataSet: []protocol.ProducerData{{GroupName: "PG"}}})
	clk.Advance(21 * time.Second)
	gs, gone := r.Expire(clk.Now())
	if !slices.Equal(gs, []string{"CG"}) {
		t.Fatalf("expired groups %v", gs)
	}
	if len(gone) != 1 || gone[0].ID() != 2 {
		t.Fatalf("gone %v", gone)
	}
}
