package namesrv

import (
	"slices"
	"sort"
	"sync"

	"github.com/quivermq/quiver/protocol"
)

// Topic system flags (TopicSysFlag.java): a unit topic and a topic with
// unit subscriptions. Format, never change.
const (
	topicFlagUnit    int32 = 1 << 0
	topicFlagUnitSub int32 = 1 << 1
)

// brokerEntry is one broker name: a master and its slaves.
type brokerEntry struct {
	cluster string
	addrs   map[int64]string // broker id -> ip:port
}

// liveBroker is what the table knows of one registered broker address.
type liveBroker struct {
	lastUpdate   int64 // unix ms of the last registration
	dataVersion  protocol.DataVersion
	connID       uint64 // the connection it registered on; 0 if none
	haServerAddr string
}

// routeTable is RocketMQ's RouteInfoManager: topic → queue data per broker
// name, broker name → addresses, cluster → broker names, broker address →
// liveness. Safe for concurrent use; reads take mu shared.
type routeTable struct {
	mu sync.RWMutex
	// topics maps a topic to its queue data, one entry per broker name,
	// sorted by broker name.
	topics   map[string][]protocol.QueueData
	brokers  map[string]*brokerEntry        // broker name
	clusters map[string]map[string]struct{} // cluster -> broker names
	live     map[string]*liveBroker         // broker address
}

func newRouteTable() *routeTable {
	return &routeTable{
		topics:   make(map[string][]protocol.QueueData),
		brokers:  make(map[string]*brokerEntry),
		clusters: make(map[string]map[string]struct{}),
		live:     make(map[string]*liveBroker),
	}
}

// registration is one REGISTER_BROKER.
type registration struct {
	cluster, name, addr, haAddr string
	id                          int64
	dataVersion                 protocol.DataVersion
	topics                      map[string]protocol.TopicConfig
	connID                      uint64
	now                         int64 // unix ms
}

// registerResult is what REGISTER_BROKER answers, and what changed.
type registerResult struct {
	haServerAddr, masterAddr string
	newBroker                bool // the address was not live before
	queuesRebuilt            bool
}

// register applies a registration (RouteInfoManager.registerBroker).
func (t *routeTable) register(r *registration) registerResult {
	var res registerResult
	t.mu.Lock()
	defer t.mu.Unlock()

	names := t.clusters[r.cluster]
	if names == nil {
		names = make(map[string]struct{})
		t.clusters[r.cluster] = names
	}
	names[r.name] = struct{}{}

	first := false
	b := t.brokers[r.name]
	if b == nil {
		first = true
		b = &brokerEntry{cluster: r.cluster, addrs: make(map[int64]string)}
		t.brokers[r.name] = b
	}
	// A slave promoted to master re-registers its address under id 0:
	// drop the old id so that the address is not listed twice.
	for id, addr := range b.addrs {
		if addr == r.addr && id != r.id {
			delete(b.addrs, id)
		}
	}
	if _, ok := b.addrs[r.id]; !ok {
		first = true
	}
	b.addrs[r.id] = r.addr

	prev := t.live[r.addr]
	if r.id == protocol.MasterID && (first || prev == nil || prev.dataVersion != r.dataVersion) {
		for _, tc := range r.topics {
			t.upsertQueueLocked(tc.TopicName, protocol.QueueData{
				BrokerName:     r.name,
				Perm:           tc.Perm,
				ReadQueueNums:  tc.ReadQueueNums,
				WriteQueueNums: tc.WriteQueueNums,
				TopicSysFlag:   tc.TopicSysFlag,
			})
		}
		res.queuesRebuilt = true
	}
	res.newBroker = prev == nil
	t.live[r.addr] = &liveBroker{
		lastUpdate:   r.now,
		dataVersion:  r.dataVersion,
		connID:       r.connID,
		haServerAddr: r.haAddr,
	}
	if r.id != protocol.MasterID {
		if master := b.addrs[protocol.MasterID]; master != "" {
			if ml := t.live[master]; ml != nil {
				res.haServerAddr = ml.haServerAddr
				res.masterAddr = master
			}
		}
	}
	return res
}

// upsertQueueLocked sets topic's queue data for qd.BrokerName, keeping the
// slice sorted by broker name.
//
// REQUIRES: t.mu held for writing.
func (t *routeTable) upsertQueueLocked(topic string, qd protocol.QueueData) {
	qds := t.topics[topic]
	i, found := slices.BinarySearchFunc(qds, qd.BrokerName, func(q protocol.QueueData, name string) int {
		switch {
		case q.BrokerName < name:
			return -1
		case q.BrokerName > name:
			return 1
		}
		return 0
	})
	if found {
		qds[i] = qd
		return
	}
	t.topics[topic] = slices.Insert(qds, i, qd)
}

// unregister removes one broker id (RouteInfoManager.unregisterBroker):
// the address stops being live, and a broker name left without addresses
// leaves its cluster and every topic. It reports whether the broker name
// was removed.
func (t *routeTable) unregister(cluster, name, addr string, id int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.live, addr)
	b := t.brokers[name]
	if b == nil {
		return false
	}
	delete(b.addrs, id)
	if len(b.addrs) > 0 {
		return false
	}
	delete(t.brokers, name)
	if names := t.clusters[cluster]; names != nil {
		delete(names, name)
		if len(names) == 0 {
			delete(t.clusters, cluster)
		}
	}
	t.removeBrokerNameFromTopicsLocked(name)
	return true
}

// removeAddrLocked forgets a broker address entirely, as Java's
// onChannelDestroy does for a closed or expired broker: every id with that
// address goes, and broker names left empty go from their cluster and
// every topic. It returns the broker names removed.
//
// REQUIRES: t.mu held for writing.
func (t *routeTable) removeAddrLocked(addr string) []string {
	delete(t.live, addr)
	var gone []string
	for name, b := range t.brokers {
		for id, a := range b.addrs {
			if a == addr {
				delete(b.addrs, id)
			}
		}
		if len(b.addrs) == 0 {
			delete(t.brokers, name)
			gone = append(gone, name)
			if names := t.clusters[b.cluster]; names != nil {
				delete(names, name)
				if len(names) == 0 {
					delete(t.clusters, b.cluster)
				}
			}
		}
	}
	for _, name := range gone {
		t.removeBrokerNameFromTopicsLocked(name)
	}
	return gone
}

// removeBrokerNameFromTopicsLocked drops name's queue data from every
// topic and topics left without queue data.
//
// REQUIRES: t.mu held for writing.
func (t *routeTable) removeBrokerNameFromTopicsLocked(name string) {
	for topic, qds := range t.topics {
		qds = slices.DeleteFunc(qds, func(q protocol.QueueData) bool { return q.BrokerName == name })
		if len(qds) == 0 {
			delete(t.topics, topic)
		} else {
			t.topics[topic] = qds
		}
	}
}

// connClosed forgets the brokers that registered on connection connID. It
// returns their addresses.
func (t *routeTable) connClosed(connID uint64) []string {
	t.mu.RLock()
	var addrs []string
	for addr, lb := range t.live {
		if lb.connID == connID {
			addrs = append(addrs, addr)
		}
	}
	t.mu.RUnlock()
	if len(addrs) == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var done []string
	for _, addr := range addrs {
		// NB: the broker may have re-registered on a new connection
		// between the two locks; then it is alive and stays.
		if lb := t.live[addr]; lb != nil && lb.connID == connID {
			t.removeAddrLocked(addr)
			done = append(done, addr)
		}
	}
	return done
}

// expire removes brokers whose last registration is more than expiry ms
// before now (RouteInfoManager.scanNotActiveBroker). It returns their
// addresses.
func (t *routeTable) expire(now, expiryMillis int64) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []string
	for addr, lb := range t.live {
		if lb.lastUpdate+expiryMillis < now {
			gone = append(gone, addr)
		}
	}
	sort.Strings(gone)
	for _, addr := range gone {
		t.removeAddrLocked(addr)
	}
	return gone
}

// appendRoute appends topic's TopicRouteData JSON to dst and reports
// whether the topic has a route: queue data and at least one of its broker
// names known (RouteInfoManager.pickupTopicRouteData). orderConf, if not
// empty, is written as orderTopicConf.
func (t *routeTable) appendRoute(dst []byte, topic, orderConf string) ([]byte, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	qds := t.topics[topic]
	if len(qds) == 0 {
		return dst, false
	}
	start := len(dst)
	dst = append(dst, `{"brokerDatas":[`...)
	found := false
	for _, qd := range qds { // sorted and unique by broker name
		b := t.brokers[qd.BrokerName]
		if b == nil {
			continue
		}
		if found {
			dst = append(dst, ',')
		}
		found = true
		dst = appendBrokerData(dst, qd.BrokerName, b)
	}
	if !found {
		return dst[:start], false
	}
	dst = append(dst, `],"filterServerTable":{},`...)
	if orderConf != "" {
		dst = append(dst, `"orderTopicConf":`...)
		dst = appendJSONString(dst, orderConf)
		dst = append(dst, ',')
	}
	dst = append(dst, `"queueDatas":[`...)
	for i := range qds {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendQueueData(dst, &qds[i])
	}
	return append(dst, "]}"...), true
}

// clusterInfo returns a copy of the broker and cluster tables.
func (t *routeTable) clusterInfo() protocol.ClusterInfo {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ci := protocol.ClusterInfo{
		BrokerAddrTable:  make(map[string]protocol.BrokerData, len(t.brokers)),
		ClusterAddrTable: make(map[string][]string, len(t.clusters)),
	}
	for name, b := range t.brokers {
		ci.BrokerAddrTable[name] = protocol.BrokerData{Cluster: b.cluster, BrokerName: name, BrokerAddrs: cloneAddrs(b.addrs)}
	}
	for c, names := range t.clusters {
		ci.ClusterAddrTable[c] = sortedKeys(names)
	}
	return ci
}

func cloneAddrs(m map[int64]string) map[int64]string {
	out := make(map[int64]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// topicNames returns every topic with queue data, sorted.
func (t *routeTable) topicNames() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return sortedKeys(t.topics)
}

// topicsWhere returns, sorted, the topics for which keep(queue data list)
// holds.
func (t *routeTable) topicsWhere(keep func(qds []protocol.QueueData) bool) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	for topic, qds := range t.topics {
		if keep(qds) {
			out = append(out, topic)
		}
	}
	sort.Strings(out)
	return out
}

// topicsOfCluster returns the topics with queue data on any broker name of
// cluster, sorted.
func (t *routeTable) topicsOfCluster(cluster string) []string {
	t.mu.RLock()
	names := t.clusters[cluster]
	var in map[string]struct{}
	if names != nil {
		in = make(map[string]struct{}, len(names))
		for n := range names {
			in[n] = struct{}{}
		}
	}
	t.mu.RUnlock()
	if in == nil {
		return nil
	}
	return t.topicsWhere(func(qds []protocol.QueueData) bool {
		for _, q := range qds {
			if _, ok := in[q.BrokerName]; ok {
				return true
			}
		}
		return false
	})
}

// systemTopics returns the cluster names and broker names (each broker
// auto-creates a topic named after its cluster and one after itself) and
// one broker address to query, as Java's getSystemTopicList.
func (t *routeTable) systemTopics() (topics []string, brokerAddr string) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	seen := make(map[string]struct{})
	for _, c := range sortedKeys(t.clusters) {
		for _, n := range append([]string{c}, sortedKeys(t.clusters[c])...) {
			if _, ok := seen[n]; !ok {
				seen[n] = struct{}{}
				topics = append(topics, n)
			}
		}
	}
	for _, name := range sortedKeys(t.brokers) {
		addrs := t.brokers[name].addrs
		if len(addrs) == 0 {
			continue
		}
		if a, ok := addrs[protocol.MasterID]; ok {
			return topics, a
		}
		ids := make([]int64, 0, len(addrs))
		for id := range addrs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return topics, addrs[ids[0]]
	}
	return topics, ""
}

// deleteTopic removes topic's queue data: all of it, or with cluster set
// only that of the cluster's broker names. It reports whether anything was
// removed.
func (t *routeTable) deleteTopic(topic, cluster string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	qds, ok := t.topics[topic]
	if !ok {
		return false
	}
	if cluster == "" {
		delete(t.topics, topic)
		return true
	}
	names := t.clusters[cluster]
	n := len(qds)
	qds = slices.DeleteFunc(qds, func(q protocol.QueueData) bool {
		_, in := names[q.BrokerName]
		return in
	})
	if len(qds) == 0 {
		delete(t.topics, topic)
	} else {
		t.topics[topic] = qds
	}
	return len(qds) != n
}

// setWritePerm clears (wipe) or grants the write permission of every queue
// data of broker name and returns how many topics it touched
// (RouteInfoManager.operateWritePermOfBroker). Granting sets the perm to
// read|write, as Java does.
func (t *routeTable) setWritePerm(name string, wipe bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, qds := range t.topics {
		for i := range qds {
			if qds[i].BrokerName != name {
				continue
			}
			if wipe {
				qds[i].Perm &^= protocol.PermWrite
			} else {
				qds[i].Perm = protocol.PermRead | protocol.PermWrite
			}
			n++
		}
	}
	return n
}

// queryDataVersion answers QUERY_DATA_VERSION: whether dv differs from the
// version the broker at addr last registered (true when unknown); when it
// does not, the broker counts as alive at now. It returns the stored
// version, nil if none.
func (t *routeTable) queryDataVersion(addr string, dv protocol.DataVersion, now int64) (bool, *protocol.DataVersion) {
	t.mu.Lock()
	defer t.mu.Unlock()
	lb := t.live[addr]
	if lb == nil {
		return true, nil
	}
	changed := lb.dataVersion != dv
	if !changed {
		lb.lastUpdate = now
	}
	stored := lb.dataVersion
	return changed, &stored
}
