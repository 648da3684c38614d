package group

import (
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/quivermq/quiver/protocol"
)

// TopicGroupSeparator joins topic and group in the keys of
// consumerOffset.json ("topic@group").
const TopicGroupSeparator = "@"

// Offsets is the broker's consumer-offset table: (topic, group) -> queue id
// -> the next offset to consume (4.9.4 ConsumerOffsetManager), persisted as
// config/consumerOffset.json:
//
//	{"offsetTable":{"TopicA@GroupA":{"0":12,"1":7}}}
//
// Quiver writes standard JSON (quoted queue ids, which fastjson also reads);
// Load also accepts RocketMQ's fastjson form with bare ids ({0:12,1:7}),
// pretty-printed or not. See persist.go for the .bak handling.
//
// It is safe for concurrent use. Commit and Query take a read-write mutex
// for a map lookup and do not allocate for a known (topic, group) pair.
type Offsets struct {
	cfg Config

	mu      sync.RWMutex
	table   map[topicGroup]map[int32]int64
	changes uint64 // bumped on every change; compared by Persist

	file filePersister
}

type topicGroup struct{ topic, group string }

// NewOffsets returns an empty table.
func NewOffsets(cfg Config) *Offsets {
	return &Offsets{cfg: cfg.withDefaults(), table: make(map[topicGroup]map[int32]int64)}
}

// Commit stores offset as group's offset of queue queueID of topic. Like
// RocketMQ it accepts any value, also one below the stored offset.
func (o *Offsets) Commit(group, topic string, queueID int32, offset int64) {
	k := topicGroup{topic, group}
	o.mu.Lock()
	m := o.table[k]
	if m == nil {
		m = make(map[int32]int64, 8)
		o.table[k] = m
	}
	if old, ok := m[queueID]; !ok || old != offset {
		m[queueID] = offset
		o.changes++
	}
	o.mu.Unlock()
}

// Query returns group's stored offset of the queue; found is false when
// there is none (the broker then answers QUERY_NOT_FOUND, 22).
func (o *Offsets) Query(group, topic string, queueID int32) (offset int64, found bool) {
	o.mu.RLock()
	offset, found = o.table[topicGroup{topic, group}][queueID]
	o.mu.RUnlock()
	return offset, found
}

// QueryTopic returns a copy of group's offsets of topic by queue id, or nil.
func (o *Offsets) QueryTopic(group, topic string) map[int32]int64 {
	o.mu.RLock()
	defer o.mu.RUnlock()
	m := o.table[topicGroup{topic, group}]
	if m == nil {
		return nil
	}
	out := make(map[int32]int64, len(m))
	for q, off := range m {
		out[q] = off
	}
	return out
}

// TopicsOfGroup returns the topics group has offsets for, sorted.
func (o *Offsets) TopicsOfGroup(group string) []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	var ts []string
	for k := range o.table {
		if k.group == group {
			ts = append(ts, k.topic)
		}
	}
	slices.Sort(ts)
	return ts
}

// GroupsOfTopic returns the groups with offsets for topic, sorted.
func (o *Offsets) GroupsOfTopic(topic string) []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	var gs []string
	for k := range o.table {
		if k.topic == topic {
			gs = append(gs, k.group)
		}
	}
	slices.Sort(gs)
	return gs
}

// Table returns a copy of the whole table keyed "topic@group", the
// GET_ALL_CONSUMER_OFFSET body's offsetTable.
func (o *Offsets) Table() map[string]map[int32]int64 {
	t, _ := o.snapshot()
	return t
}

// Remove drops group's offsets of topic and reports whether there were any.
func (o *Offsets) Remove(group, topic string) bool {
	return o.removeIf(func(k topicGroup) bool { return k.group == group && k.topic == topic })
}

// RemoveGroup drops every offset of group (DELETE_SUBSCRIPTIONGROUP with
// cleanOffset) and reports whether there were any.
func (o *Offsets) RemoveGroup(group string) bool {
	return o.removeIf(func(k topicGroup) bool { return k.group == group })
}

// RemoveTopic drops every group's offsets of topic (topic deletion) and
// reports whether there were any.
func (o *Offsets) RemoveTopic(topic string) bool {
	return o.removeIf(func(k topicGroup) bool { return k.topic == topic })
}

func (o *Offsets) removeIf(match func(topicGroup) bool) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	removed := false
	for k := range o.table {
		if match(k) {
			delete(o.table, k)
			removed = true
		}
	}
	if removed {
		o.changes++
	}
	return removed
}

// Clone copies srcGroup's offsets of topic to dstGroup, replacing
// dstGroup's (CLONE_GROUP_OFFSET).
func (o *Offsets) Clone(srcGroup, dstGroup, topic string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	src := o.table[topicGroup{topic, srcGroup}]
	if src == nil {
		return
	}
	c := make(map[int32]int64, len(src))
	for q, off := range src {
		c[q] = off
	}
	o.table[topicGroup{topic, dstGroup}] = c
	o.changes++
}

// Dirty reports whether the table changed since the last Persist or Load.
func (o *Offsets) Dirty() bool {
	o.mu.RLock()
	n := o.changes
	o.mu.RUnlock()
	o.file.mu.Lock()
	defer o.file.mu.Unlock()
	return n != o.file.persisted
}

// Encode returns the table as consumerOffset.json (standard JSON, compact).
func (o *Offsets) Encode() ([]byte, error) {
	data, _, err := o.encodeSnapshot()
	return data, err
}

// Persist writes the table to path if it changed since the last Persist or
// Load, making the previous file path.bak. Concurrent calls are serialized;
// Commit is blocked only while the table is copied, not during the write.
func (o *Offsets) Persist(path string) error {
	return o.file.persist(path, o.changeCount, o.encodeSnapshot)
}

func (o *Offsets) changeCount() uint64 {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.changes
}

// encodeSnapshot copies the table and its change count under one read
// lock and encodes the copy.
func (o *Offsets) encodeSnapshot() ([]byte, uint64, error) {
	t, n := o.snapshot()
	data, err := protocol.MarshalBody(protocol.ConsumerOffsetSerializeWrapper{OffsetTable: t})
	return data, n, err
}

// snapshot copies the table and returns it with its change count, both
// taken under one read lock.
func (o *Offsets) snapshot() (map[string]map[int32]int64, uint64) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	out := make(map[string]map[int32]int64, len(o.table))
	for k, m := range o.table {
		c := make(map[int32]int64, len(m))
		for q, off := range m {
			c[q] = off
		}
		out[k.topic+TopicGroupSeparator+k.group] = c
	}
	return out, o.changes
}

// Load replaces the table with the contents of path, or of path.bak when
// path is missing, empty or corrupt. Missing files leave the table empty.
// A corrupt file with no usable .bak is an error wrapping ErrCorruptFile
// that names the file(s); the table is then unchanged.
func (o *Offsets) Load(path string) error {
	var loaded map[topicGroup]map[int32]int64
	decode := func(data []byte) error {
		var w protocol.ConsumerOffsetSerializeWrapper
		if err := protocol.UnmarshalBody(data, &w); err != nil {
			return err
		}
		t := make(map[topicGroup]map[int32]int64, len(w.OffsetTable))
		for key, m := range w.OffsetTable {
			topic, group, ok := strings.Cut(key, TopicGroupSeparator)
			if !ok || m == nil {
				o.cfg.Logger.Warn("group: skipping offset entry with a malformed key",
					slog.String("file", path), slog.String("key", key))
				continue
			}
			t[topicGroup{topic, group}] = m
		}
		loaded = t
		return nil
	}
	r, err := loadJSON(path, decode, o.cfg.Logger)
	if err != nil {
		return err
	}
	if loaded == nil {
		loaded = make(map[topicGroup]map[int32]int64)
	}
	o.mu.Lock()
	o.table = loaded
	o.changes++
	n := o.changes
	o.mu.Unlock()
	o.file.loaded(n, r)
	return nil
}
