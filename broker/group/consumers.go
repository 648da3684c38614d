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

// Client is the caller's handle on a client connection (the broker passes
// its netio connection wrapper). ID must be unique among the connections
// alive at the same time and stable for the connection's life; the state
// here is keyed by it.
type Client interface {
	ID() uint64
}

// Connection is one client connection registered in a group.
type Connection struct {
	Handle     Client
	ClientID   string
	Language   protocol.LanguageCode
	Version    int16
	LastUpdate time.Time
}

// ConsumerGroup is an immutable snapshot of a consumer group, published
// after every change. Readers hold it without a lock; it is never
// modified, so do not modify what its methods return.
type ConsumerGroup struct {
	Name             string
	ConsumeType      string // protocol.ConsumeActively or ConsumePassively
	MessageModel     string // protocol.MessageModelClustering or Broadcasting
	ConsumeFromWhere string

	clientIDs []string // sorted, unique
	subs      map[string]*Subscription
}

// Subscription returns the group's subscription to topic. It takes no lock
// and does not allocate.
func (g *ConsumerGroup) Subscription(topic string) (*Subscription, bool) {
	s, ok := g.subs[topic]
	return s, ok
}

// ClientIDs returns the client ids of the group's live consumers, sorted and
// unique. Read-only.
func (g *ConsumerGroup) ClientIDs() []string { return g.clientIDs }

// Topics returns the subscribed topics, sorted.
func (g *ConsumerGroup) Topics() []string {
	ts := make([]string, 0, len(g.subs))
	for t := range g.subs {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

// GroupChange reports what a heartbeat changed in one consumer group.
type GroupChange struct {
	Group string
	// Created: the group did not exist before this heartbeat.
	Created bool
	// ClientsChanged: a client id joined (or, for a handle that changed
	// its client id, left) the group.
	ClientsChanged bool
	// TopicsChanged: a subscribed topic was added or removed.
	TopicsChanged bool
	// FiltersChanged: a topic's subscription was replaced by a newer
	// subVersion with a different expression, type or mode. RocketMQ does
	// not notify clients for this.
	FiltersChanged bool
}

// Notify reports whether RocketMQ would send NOTIFY_CONSUMER_IDS_CHANGED
// to the group's clients (when the group's notifyConsumerIdsChangedEnable
// is on): the client set or the topic set changed.
func (c GroupChange) Notify() bool { return c.ClientsChanged || c.TopicsChanged }

// Consumers is the broker's table of consumer groups: their clients and
// subscriptions, from HEART_BEAT (4.9.4 ConsumerManager,
// ConsumerGroupInfo).
//
// It is safe for concurrent use. Writers (heartbeats, closes, expiry)
// serialize on one mutex and publish immutable ConsumerGroup snapshots;
// readers (Lookup, Subscription, ConsumerIDs) take no lock: two atomic
// loads and two map reads, no allocation.
type Consumers struct {
	cfg Config

	// top is the published group table: group name -> cell. Replaced (a
	// new map) when a group is created or removed; cells publish their
	// own snapshots.
	top atomic.Pointer[map[string]*consumerCell]

	mu       sync.Mutex                     // guards what follows and every cell's clients/ids
	groups   map[string]*consumerCell       // the same cells as *top
	byHandle map[uint64]map[string]struct{} // handle id -> groups it is registered in
}

// consumerCell holds one group: its published snapshot and, under
// Consumers.mu, its clients.
type consumerCell struct {
	snap    atomic.Pointer[ConsumerGroup]
	clients map[uint64]*Connection // by handle id
	ids     map[string]int         // client id -> number of handles with it
}

// NewConsumers returns an empty table.
func NewConsumers(cfg Config) *Consumers {
	c := &Consumers{
		cfg:      cfg.withDefaults(),
		groups:   make(map[string]*consumerCell),
		byHandle: make(map[uint64]map[string]struct{}),
	}
	empty := map[string]*consumerCell{}
	c.top.Store(&empty)
	return c
}

// Lookup returns the current snapshot of group, or nil. It takes no lock
// and does not allocate.
func (c *Consumers) Lookup(group string) *ConsumerGroup {
	cell := (*c.top.Load())[group]
	if cell == nil {
		return nil
	}
	return cell.snap.Load()
}

// Subscription returns group's subscription to topic, as stored from the
// heartbeats (the pull path's filter). It takes no lock and does not
// allocate.
func (c *Consumers) Subscription(group, topic string) (*Subscription, bool) {
	g := c.Lookup(group)
	if g == nil {
		return nil, false
	}
	return g.Subscription(topic)
}

// ConsumerIDs returns the client ids of group's consumers, sorted and
// unique (GET_CONSUMER_LIST_BY_GROUP), or nil for an unknown group.
// Read-only; no lock.
func (c *Consumers) ConsumerIDs(group string) []string {
	g := c.Lookup(group)
	if g == nil {
		return nil
	}
	return g.clientIDs
}

// Groups returns the names of all consumer groups, sorted.
func (c *Consumers) Groups() []string {
	top := *c.top.Load()
	gs := make([]string, 0, len(top))
	for g := range top {
		gs = append(gs, g)
	}
	slices.Sort(gs)
	return gs
}

// GroupsByTopic returns the groups subscribed to topic, sorted
// (QUERY_TOPIC_CONSUME_BY_WHO).
func (c *Consumers) GroupsByTopic(topic string) []string {
	var gs []string
	for name, cell := range *c.top.Load() {
		if _, ok := cell.snap.Load().subs[topic]; ok {
			gs = append(gs, name)
		}
	}
	slices.Sort(gs)
	return gs
}

// Handles returns the handles of group's connections, ordered by id: the
// receivers of NOTIFY_CONSUMER_IDS_CHANGED.
func (c *Consumers) Handles(group string) []Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	cell := c.groups[group]
	if cell == nil {
		return nil
	}
	ids := make([]uint64, 0, len(cell.clients))
	for id := range cell.clients {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	hs := make([]Client, len(ids))
	for i, id := range ids {
		hs[i] = cell.clients[id].Handle
	}
	return hs
}

// Connections returns copies of group's connections, ordered by client id
// then handle id (GET_CONSUMER_CONNECTION_LIST).
func (c *Consumers) Connections(group string) []Connection {
	c.mu.Lock()
	defer c.mu.Unlock()
	cell := c.groups[group]
	if cell == nil {
		return nil
	}
	return sortedConnections(cell.clients)
}

// FindClient returns a handle of group's consumer with clientID (for the
// requests the broker forwards to one client).
func (c *Consumers) FindClient(group, clientID string) (Client, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cell := c.groups[group]
	if cell == nil {
		return nil, false
	}
	var best *Connection
	for _, e := range cell.clients {
		if e.ClientID == clientID && (best == nil || e.LastUpdate.After(best.LastUpdate)) {
			best = e
		}
	}
	if best == nil {
		return nil, false
	}
	return best.Handle, true
}

// Heartbeat registers or refreshes connection h (client clientID) in each
// consumer group of consumers, and stores their subscriptions (4.9.4
// ConsumerManager.registerConsumer):
//
//   - the group's consume type, message model and consume-from-where become
//     the heartbeat's;
//   - a subscription to a new topic is added; one to a known topic replaces
//     the stored one only if its SubVersion is larger; stored topics the
//     heartbeat does not list are removed.
//
// Entries with an empty group name are skipped. It returns one GroupChange
// per group, in the order of consumers. A nil h registers nothing.
func (c *Consumers) Heartbeat(h Client, clientID string, language protocol.LanguageCode, version int16, consumers []protocol.ConsumerData) []GroupChange {
	if h == nil || len(consumers) == 0 {
		return nil
	}
	now := c.cfg.Now()
	changes := make([]GroupChange, 0, len(consumers))

	c.mu.Lock()
	defer c.mu.Unlock()
	topChanged := false
	for i := range consumers {
		cd := &consumers[i]
		if cd.GroupName == "" {
			continue
		}
		ch := GroupChange{Group: cd.GroupName}
		cell := c.groups[cd.GroupName]
		if cell == nil {
			cell = &consumerCell{clients: make(map[uint64]*Connection), ids: make(map[string]int)}
			c.groups[cd.GroupName] = cell
			ch.Created, topChanged = true, true
		}
		ch.ClientsChanged = c.registerLocked(cell, cd.GroupName, h, clientID, language, version, now)
		old := cell.snap.Load()
		subs, modified, topics, filters := c.updateSubsLocked(old, cd.SubscriptionDataSet)
		ch.TopicsChanged, ch.FiltersChanged = topics, filters
		if old == nil || ch.ClientsChanged || modified ||
			old.ConsumeType != cd.ConsumeType || old.MessageModel != cd.MessageModel ||
			old.ConsumeFromWhere != cd.ConsumeFromWhere {
			g := &ConsumerGroup{
				Name:             cd.GroupName,
				ConsumeType:      cd.ConsumeType,
				MessageModel:     cd.MessageModel,
				ConsumeFromWhere: cd.ConsumeFromWhere,
				subs:             subs,
			}
			if old != nil && !ch.ClientsChanged {
				g.clientIDs = old.clientIDs
			} else {
				g.clientIDs = sortedIDs(cell.ids)
			}
			cell.snap.Store(g)
		}
		if ch.Created || ch.ClientsChanged || ch.TopicsChanged {
			c.cfg.Logger.Info("group: consumer group changed", slog.String("group", cd.GroupName),
				slog.String("clientID", clientID), slog.Bool("created", ch.Created),
				slog.Bool("clientsChanged", ch.ClientsChanged), slog.Bool("topicsChanged", ch.TopicsChanged))
		}
		changes = append(changes, ch)
	}
	if topChanged {
		c.publishTopLocked()
	}
	return changes
}

// registerLocked adds or refreshes h in cell and reports whether the
// group's set of client ids changed.
//
// Lock should be held.
func (c *Consumers) registerLocked(cell *consumerCell, group string, h Client, clientID string, language protocol.LanguageCode, version int16, now time.Time) bool {
	hid := h.ID()
	changed := false
	e := cell.clients[hid]
	if e == nil {
		e = &Connection{ClientID: clientID}
		cell.clients[hid] = e
		changed = addID(cell.ids, clientID)
		hg := c.byHandle[hid]
		if hg == nil {
			hg = make(map[string]struct{}, 1)
			c.byHandle[hid] = hg
		}
		hg[group] = struct{}{}
	} else if e.ClientID != clientID {
		// RocketMQ logs this as a bug and takes the new id.
		c.cfg.Logger.Warn("group: connection changed its client id", slog.String("group", group),
			slog.String("old", e.ClientID), slog.String("new", clientID))
		changed = removeID(cell.ids, e.ClientID)
		changed = addID(cell.ids, clientID) || changed
		e.ClientID = clientID
	}
	e.Handle, e.Language, e.Version, e.LastUpdate = h, language, version, now
	return changed
}

// updateSubsLocked merges a heartbeat's subscriptions into old's and
// returns the new table (old's own map when nothing changed), whether it is
// a new one, whether topics were added or removed, and whether a filter was
// replaced by a different one.
//
// Lock should be held.
func (c *Consumers) updateSubsLocked(old *ConsumerGroup, in []protocol.SubscriptionData) (subs map[string]*Subscription, modified, topics, filters bool) {
	var cur map[string]*Subscription
	if old != nil {
		cur = old.subs
	}
	var next map[string]*Subscription // nil until the first change
	mutable := func() map[string]*Subscription {
		if next == nil {
			next = make(map[string]*Subscription, len(in))
			for k, v := range cur {
				next[k] = v
			}
		}
		return next
	}
	get := func(topic string) *Subscription {
		if next != nil {
			return next[topic]
		}
		return cur[topic]
	}
	for i := range in {
		sd := &in[i]
		prev := get(sd.Topic)
		switch {
		case prev == nil:
			mutable()[sd.Topic] = c.newSub(sd)
			topics = true
		case sd.SubVersion > prev.SubVersion:
			s := c.newSub(sd)
			if !sameFilter(prev, s) {
				filters = true
			}
			mutable()[sd.Topic] = s
		}
	}
	// Remove topics the heartbeat does not list.
	var listed map[string]struct{}
	if len(in) > 8 {
		listed = make(map[string]struct{}, len(in))
		for i := range in {
			listed[in[i].Topic] = struct{}{}
		}
	}
	isListed := func(topic string) bool {
		if listed != nil {
			_, ok := listed[topic]
			return ok
		}
		for i := range in {
			if in[i].Topic == topic {
				return true
			}
		}
		return false
	}
	for topic := range cur {
		if !isListed(topic) {
			delete(mutable(), topic)
			topics = true
		}
	}
	if next == nil {
		if cur == nil {
			cur = map[string]*Subscription{}
		}
		return cur, false, false, false
	}
	return next, true, topics, filters
}

// newSub builds a subscription and compiles it if it is SQL92.
func (c *Consumers) newSub(sd *protocol.SubscriptionData) *Subscription {
	s := subscriptionFromData(sd)
	if s.Type == protocol.ExpressionSQL92 && c.cfg.CompileSQL92 != nil {
		s.Compiled, s.CompileErr = c.cfg.CompileSQL92(s.Expression)
	}
	return s
}

// Unregister removes clientID's connections from group (UNREGISTER_CLIENT)
// and reports whether the group's client set changed. A group left with no
// client is removed.
func (c *Consumers) Unregister(clientID, group string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cell := c.groups[group]
	if cell == nil {
		return false
	}
	changed := false
	for hid, e := range cell.clients {
		if e.ClientID == clientID {
			changed = c.removeLocked(cell, group, hid) || changed
		}
	}
	c.finishLocked([]string{group})
	return changed
}

// ConnectionClosed removes connection h from every group and returns the
// groups whose client set changed (a group whose last client left is
// removed and is listed too), sorted.
func (c *Consumers) ConnectionClosed(h Client) []string {
	if h == nil {
		return nil
	}
	hid := h.ID()
	c.mu.Lock()
	defer c.mu.Unlock()
	var affected []string
	for group := range c.byHandle[hid] {
		cell := c.groups[group]
		if cell != nil && c.removeLocked(cell, group, hid) {
			affected = append(affected, group)
		}
	}
	c.finishLocked(affected)
	slices.Sort(affected)
	return affected
}

// Expire removes every registration not refreshed for longer than
// Config.ClientExpiry before now. It returns the groups whose client set
// changed, sorted, and the handles removed from at least one group that
// are now in no consumer group at all.
func (c *Consumers) Expire(now time.Time) (groups []string, gone []Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	removed := map[uint64]Client{}
	for group, cell := range c.groups {
		changed := false
		for hid, e := range cell.clients {
			if now.Sub(e.LastUpdate) > c.cfg.ClientExpiry {
				c.cfg.Logger.Warn("group: consumer expired", slog.String("group", group),
					slog.String("clientID", e.ClientID), slog.Time("lastUpdate", e.LastUpdate))
				removed[hid] = e.Handle
				changed = c.removeLocked(cell, group, hid) || changed
			}
		}
		if changed {
			groups = append(groups, group)
		}
	}
	c.finishLocked(groups)
	slices.Sort(groups)
	for hid, h := range removed {
		if _, ok := c.byHandle[hid]; !ok {
			gone = append(gone, h)
		}
	}
	slices.SortFunc(gone, func(a, b Client) int { return cmp.Compare(a.ID(), b.ID()) })
	return groups, gone
}

// registered reports whether handle id hid is in any consumer group.
func (c *Consumers) registered(hid uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.byHandle[hid]
	return ok
}

// removeLocked removes handle hid from cell and reports whether the
// group's client-id set changed. The snapshot is republished by
// finishLocked.
//
// Lock should be held.
func (c *Consumers) removeLocked(cell *consumerCell, group string, hid uint64) bool {
	e := cell.clients[hid]
	if e == nil {
		return false
	}
	delete(cell.clients, hid)
	if hg := c.byHandle[hid]; hg != nil {
		delete(hg, group)
		if len(hg) == 0 {
			delete(c.byHandle, hid)
		}
	}
	return removeID(cell.ids, e.ClientID)
}

// finishLocked republishes the snapshots of groups after removals and
// drops those left with no client.
//
// Lock should be held.
func (c *Consumers) finishLocked(groups []string) {
	topChanged := false
	for _, group := range groups {
		cell := c.groups[group]
		if cell == nil {
			continue
		}
		if len(cell.clients) == 0 {
			delete(c.groups, group)
			topChanged = true
			c.cfg.Logger.Info("group: consumer group removed, no client left", slog.String("group", group))
			continue
		}
		old := cell.snap.Load()
		g := *old
		g.clientIDs = sortedIDs(cell.ids)
		cell.snap.Store(&g)
	}
	// A group may also have lost its last handle without a client-id
	// change being reported (a handle whose id another handle shares);
	// that cannot leave it empty, so the loop above sees every empty one.
	if topChanged {
		c.publishTopLocked()
	}
}

// publishTopLocked publishes a copy of c.groups.
//
// Lock should be held.
func (c *Consumers) publishTopLocked() {
	m := make(map[string]*consumerCell, len(c.groups))
	for k, v := range c.groups {
		m[k] = v
	}
	c.top.Store(&m)
}

func addID(ids map[string]int, id string) bool {
	ids[id]++
	return ids[id] == 1
}

func removeID(ids map[string]int, id string) bool {
	ids[id]--
	if ids[id] <= 0 {
		delete(ids, id)
		return true
	}
	return false
}

func sortedIDs(ids map[string]int) []string {
	s := make([]string, 0, len(ids))
	for id := range ids {
		s = append(s, id)
	}
	slices.Sort(s)
	return s
}

func sortedConnections(m map[uint64]*Connection) []Connection {
	out := make([]Connection, 0, len(m))
	for _, e := range m {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b Connection) int {
		if c := cmp.Compare(a.ClientID, b.ClientID); c != 0 {
			return c
		}
		return cmp.Compare(a.Handle.ID(), b.Handle.ID())
	})
	return out
}
