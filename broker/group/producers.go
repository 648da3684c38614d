package group

import (
	"cmp"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// Producers is the broker's table of producer groups and their connections,
// from HEART_BEAT (4.9.4 ProducerManager). The broker uses it to find a
// connection of a group for transaction check-backs, and a connection by
// client id for request-reply.
//
// It is safe for concurrent use; all methods take one mutex briefly.
type Producers struct {
	cfg  Config
	next atomic.Uint64 // round-robin cursor of Pick

	mu       sync.Mutex
	groups   map[string]map[uint64]*Connection // group -> handle id -> connection
	byHandle map[uint64]map[string]struct{}    // handle id -> groups
}

// NewProducers returns an empty table.
func NewProducers(cfg Config) *Producers {
	return &Producers{
		cfg:      cfg.withDefaults(),
		groups:   make(map[string]map[uint64]*Connection),
		byHandle: make(map[uint64]map[string]struct{}),
	}
}

// Heartbeat registers or refreshes connection h (client clientID) in each
// producer group of producers. Entries with an empty group name are
// skipped. A nil h registers nothing.
func (p *Producers) Heartbeat(h Client, clientID string, language protocol.LanguageCode, version int16, producers []protocol.ProducerData) {
	if h == nil || len(producers) == 0 {
		return
	}
	now := p.cfg.Now()
	hid := h.ID()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range producers {
		group := producers[i].GroupName
		if group == "" {
			continue
		}
		m := p.groups[group]
		if m == nil {
			m = make(map[uint64]*Connection)
			p.groups[group] = m
		}
		e := m[hid]
		if e == nil {
			e = &Connection{}
			m[hid] = e
			hg := p.byHandle[hid]
			if hg == nil {
				hg = make(map[string]struct{}, 1)
				p.byHandle[hid] = hg
			}
			hg[group] = struct{}{}
			p.cfg.Logger.Info("group: new producer", slog.String("group", group), slog.String("clientID", clientID))
		}
		e.Handle, e.ClientID, e.Language, e.Version, e.LastUpdate = h, clientID, language, version, now
	}
}

// Unregister removes clientID's connections from group (UNREGISTER_CLIENT)
// and reports whether any was there.
func (p *Producers) Unregister(clientID, group string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	removed := false
	for hid, e := range p.groups[group] {
		if e.ClientID == clientID {
			p.removeLocked(group, hid)
			removed = true
		}
	}
	return removed
}

// ConnectionClosed removes connection h from every producer group and
// returns those groups, sorted.
func (p *Producers) ConnectionClosed(h Client) []string {
	if h == nil {
		return nil
	}
	hid := h.ID()
	p.mu.Lock()
	defer p.mu.Unlock()
	var groups []string
	for group := range p.byHandle[hid] {
		groups = append(groups, group)
	}
	for _, group := range groups {
		p.removeLocked(group, hid)
	}
	slices.Sort(groups)
	return groups
}

// Expire removes every registration not refreshed for longer than
// Config.ClientExpiry before now. It returns the groups that lost a
// connection, sorted, and the handles removed from at least one group that
// are now in no producer group.
func (p *Producers) Expire(now time.Time) (groups []string, gone []Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	removed := map[uint64]Client{}
	for group, m := range p.groups {
		changed := false
		for hid, e := range m {
			if now.Sub(e.LastUpdate) > p.cfg.ClientExpiry {
				p.cfg.Logger.Warn("group: producer expired", slog.String("group", group),
					slog.String("clientID", e.ClientID), slog.Time("lastUpdate", e.LastUpdate))
				removed[hid] = e.Handle
				p.removeLocked(group, hid)
				changed = true
			}
		}
		if changed {
			groups = append(groups, group)
		}
	}
	slices.Sort(groups)
	for hid, h := range removed {
		if _, ok := p.byHandle[hid]; !ok {
			gone = append(gone, h)
		}
	}
	slices.SortFunc(gone, func(a, b Client) int { return cmp.Compare(a.ID(), b.ID()) })
	return groups, gone
}

// Pick returns a live connection of group (refreshed within
// Config.ClientExpiry), rotating among them on successive calls: the
// receiver of a transaction check-back.
func (p *Producers) Pick(group string) (Client, bool) {
	now := p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.groups[group]
	if len(m) == 0 {
		return nil, false
	}
	ids := make([]uint64, 0, len(m))
	for hid, e := range m {
		if now.Sub(e.LastUpdate) <= p.cfg.ClientExpiry {
			ids = append(ids, hid)
		}
	}
	if len(ids) == 0 {
		return nil, false
	}
	slices.Sort(ids)
	i := p.next.Add(1) % uint64(len(ids))
	return m[ids[i]].Handle, true
}

// FindByClientID returns the most recently refreshed producer connection
// of client clientID in any group (the receiver of a reply message).
func (p *Producers) FindByClientID(clientID string) (Client, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var best *Connection
	for _, m := range p.groups {
		for _, e := range m {
			if e.ClientID == clientID && (best == nil || e.LastUpdate.After(best.LastUpdate)) {
				best = e
			}
		}
	}
	if best == nil {
		return nil, false
	}
	return best.Handle, true
}

// Connections returns copies of group's connections, ordered by client id
// then handle id (GET_PRODUCER_CONNECTION_LIST).
func (p *Producers) Connections(group string) []Connection {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sortedConnections(p.groups[group])
}

// Groups returns the names of all producer groups, sorted.
func (p *Producers) Groups() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	gs := make([]string, 0, len(p.groups))
	for g := range p.groups {
		gs = append(gs, g)
	}
	slices.Sort(gs)
	return gs
}

// registered reports whether handle id hid is in any producer group.
func (p *Producers) registered(hid uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byHandle[hid]
	return ok
}

// removeLocked removes handle hid from group, and the group if it is left
// empty.
//
// Lock should be held.
func (p *Producers) removeLocked(group string, hid uint64) {
	m := p.groups[group]
	delete(m, hid)
	if len(m) == 0 {
		delete(p.groups, group)
	}
	if hg := p.byHandle[hid]; hg != nil {
		delete(hg, group)
		if len(hg) == 0 {
			delete(p.byHandle, hid)
		}
	}
}
