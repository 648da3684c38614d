package group

import (
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/quivermq/quiver/protocol"
)

// System consumer groups that RocketMQ's SubscriptionGroupManager creates
// at start (4.9.4 MixAll), and the prefix of groups it auto-creates even
// when autoCreateSubscriptionGroup is off.
const (
	ToolsConsumerGroup     = "TOOLS_CONSUMER"
	FiltersrvConsumerGroup = "FILTERSRV_CONSUMER"
	SelfTestConsumerGroup  = "SELF_TEST_C_GROUP"
	OnsHTTPProxyGroup      = "CID_ONS-HTTP-PROXY"
	OnsAPIPullGroup        = "CID_ONSAPI_PULL"
	OnsAPIPermissionGroup  = "CID_ONSAPI_PERMISSION"
	OnsAPIOwnerGroup       = "CID_ONSAPI_OWNER"
	SysTransConsumerGroup  = "CID_RMQ_SYS_TRANS"
	SysConsumerGroupPrefix = "CID_RMQ_SYS_"
	RetryGroupTopicPrefix  = "%RETRY%"
	DLQGroupTopicPrefix    = "%DLQ%"
)

var systemGroups = []string{
	ToolsConsumerGroup, FiltersrvConsumerGroup, SelfTestConsumerGroup, OnsHTTPProxyGroup,
	OnsAPIPullGroup, OnsAPIPermissionGroup, OnsAPIOwnerGroup, SysTransConsumerGroup,
}

// RetryTopic returns the retry topic of group, %RETRY%<group>.
func RetryTopic(group string) string { return RetryGroupTopicPrefix + group }

// DLQTopic returns the dead-letter topic of group, %DLQ%<group>.
func DLQTopic(group string) string { return DLQGroupTopicPrefix + group }

// IsSysConsumerGroup reports whether group is one RocketMQ creates even
// with auto-creation off (CID_RMQ_SYS_*).
func IsSysConsumerGroup(group string) bool { return strings.HasPrefix(group, SysConsumerGroupPrefix) }

// SubscriptionGroups is the broker's table of consumer-group configurations
// (4.9.4 SubscriptionGroupManager), persisted as
// config/subscriptionGroup.json:
//
//	{"subscriptionGroupTable":{"G":{"groupName":"G","consumeEnable":true,
//	  "consumeFromMinEnable":true,"consumeBroadcastEnable":true,
//	  "retryQueueNums":1,"retryMaxTimes":16,"brokerId":0,
//	  "whichBrokerWhenConsumeSlowly":1,"notifyConsumerIdsChangedEnable":true}},
//	 "dataVersion":{"counter":3,"timestamp":1700000000000}}
//
// the GET_ALL_SUBSCRIPTIONGROUP_CONFIG body too. Field names are those of
// Java's SubscriptionGroupConfig and DataVersion.
//
// Unlike RocketMQ, changes are not written at once (that would put an
// fsync on the request path): Persist writes when something changed; run
// it from a Persister, or call it after an admin change off the event
// loop.
//
// It is safe for concurrent use. Get and Find of an existing group take no
// lock and do not allocate (the pull path calls them per request).
type SubscriptionGroups struct {
	cfg Config

	view atomic.Pointer[map[string]*protocol.SubscriptionGroupConfig] // immutable map and values

	mu      sync.Mutex // serializes writers
	version protocol.DataVersion
	changes uint64

	file filePersister
}

// NewSubscriptionGroups returns a table holding RocketMQ's system groups.
func NewSubscriptionGroups(cfg Config) *SubscriptionGroups {
	s := &SubscriptionGroups{cfg: cfg.withDefaults()}
	m := make(map[string]*protocol.SubscriptionGroupConfig, len(systemGroups))
	for _, g := range systemGroups {
		c := protocol.NewSubscriptionGroupConfig(g)
		m[g] = &c
	}
	s.view.Store(&m)
	return s
}

// Get returns group's configuration.
func (s *SubscriptionGroups) Get(group string) (protocol.SubscriptionGroupConfig, bool) {
	c := (*s.view.Load())[group]
	if c == nil {
		return protocol.SubscriptionGroupConfig{}, false
	}
	return *c, true
}

// Find returns group's configuration, creating it with the defaults when
// it is missing and Config.AutoCreateSubscriptionGroup is on or the group
// is a system group (findSubscriptionGroupConfig). ok is false when the
// group neither exists nor may be created. An empty name is never created.
func (s *SubscriptionGroups) Find(group string) (cfg protocol.SubscriptionGroupConfig, ok bool) {
	if c, ok := s.Get(group); ok {
		return c, true
	}
	if group == "" || !(s.cfg.AutoCreateSubscriptionGroup || IsSysConsumerGroup(group)) {
		return protocol.SubscriptionGroupConfig{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := (*s.view.Load())[group]; c != nil {
		return *c, true // created meanwhile
	}
	c := protocol.NewSubscriptionGroupConfig(group)
	s.storeLocked(group, &c)
	s.cfg.Logger.Info("group: auto-created subscription group", slog.String("group", group))
	return c, true
}

// Put creates or replaces the configuration of cfg.GroupName
// (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
func (s *SubscriptionGroups) Put(cfg protocol.SubscriptionGroupConfig) error {
	if cfg.GroupName == "" {
		return ErrInvalidGroup
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := cfg
	s.storeLocked(cfg.GroupName, &c)
	s.cfg.Logger.Info("group: subscription group updated", slog.String("group", cfg.GroupName))
	return nil
}

// Delete removes group's configuration (DELETE_SUBSCRIPTIONGROUP) and
// reports whether it existed.
func (s *SubscriptionGroups) Delete(group string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if (*s.view.Load())[group] == nil {
		return false
	}
	s.storeLocked(group, nil)
	s.cfg.Logger.Info("group: subscription group deleted", slog.String("group", group))
	return true
}

// storeLocked publishes a copy of the table with group set to c (removed
// if c is nil) and advances the data version.
//
// Lock should be held.
func (s *SubscriptionGroups) storeLocked(group string, c *protocol.SubscriptionGroupConfig) {
	old := *s.view.Load()
	m := make(map[string]*protocol.SubscriptionGroupConfig, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	if c == nil {
		delete(m, group)
	} else {
		m[group] = c
	}
	s.view.Store(&m)
	s.version.Next(s.cfg.Now().UnixMilli())
	s.changes++
}

// Groups returns the configured group names, sorted.
func (s *SubscriptionGroups) Groups() []string {
	m := *s.view.Load()
	gs := make([]string, 0, len(m))
	for g := range m {
		gs = append(gs, g)
	}
	slices.Sort(gs)
	return gs
}

// All returns a copy of the table with its data version
// (GET_ALL_SUBSCRIPTIONGROUP_CONFIG); encode it with protocol.MarshalBody.
func (s *SubscriptionGroups) All() protocol.SubscriptionGroupWrapper {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allLocked()
}

// DataVersion returns the table's data version.
func (s *SubscriptionGroups) DataVersion() protocol.DataVersion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Lock should be held.
func (s *SubscriptionGroups) allLocked() protocol.SubscriptionGroupWrapper {
	m := *s.view.Load()
	t := make(map[string]protocol.SubscriptionGroupConfig, len(m))
	for k, v := range m {
		t[k] = *v
	}
	return protocol.SubscriptionGroupWrapper{SubscriptionGroupTable: t, DataVersion: s.version}
}

// Dirty reports whether the table changed since the last Persist or Load.
func (s *SubscriptionGroups) Dirty() bool {
	n := s.changeCount()
	s.file.mu.Lock()
	defer s.file.mu.Unlock()
	return n != s.file.persisted
}

func (s *SubscriptionGroups) changeCount() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes
}

// Encode returns the table as subscriptionGroup.json (compact).
func (s *SubscriptionGroups) Encode() ([]byte, error) {
	data, _, err := s.encodeSnapshot()
	return data, err
}

func (s *SubscriptionGroups) encodeSnapshot() ([]byte, uint64, error) {
	s.mu.Lock()
	w, n := s.allLocked(), s.changes
	s.mu.Unlock()
	data, err := protocol.MarshalBody(w)
	return data, n, err
}

// Persist writes the table to path if it changed since the last Persist or
// Load, making the previous file path.bak.
func (s *SubscriptionGroups) Persist(path string) error {
	return s.file.persist(path, s.changeCount, s.encodeSnapshot)
}

// Load adds the groups of path (or of path.bak when path is missing, empty
// or corrupt) to the table, over the system groups, and takes its data
// version, as RocketMQ's decode does. Missing files change nothing. A
// corrupt file with no usable .bak is an error wrapping ErrCorruptFile that
// names the file(s); the table is then unchanged. Entries whose groupName
// is missing take their key as name.
func (s *SubscriptionGroups) Load(path string) error {
	var w protocol.SubscriptionGroupWrapper
	decode := func(data []byte) error {
		var x protocol.SubscriptionGroupWrapper
		if err := protocol.UnmarshalBody(data, &x); err != nil {
			return err
		}
		w = x
		return nil
	}
	r, err := loadJSON(path, decode, s.cfg.Logger)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if r != loadedNothing {
		old := *s.view.Load()
		m := make(map[string]*protocol.SubscriptionGroupConfig, len(old)+len(w.SubscriptionGroupTable))
		for k, v := range old {
			m[k] = v
		}
		for k, v := range w.SubscriptionGroupTable {
			if k == "" {
				continue
			}
			c := v
			if c.GroupName == "" {
				c.GroupName = k
			}
			m[k] = &c
		}
		s.view.Store(&m)
		s.version = w.DataVersion
	}
	s.changes++
	n := s.changes
	s.mu.Unlock()
	s.file.loaded(n, r)
	return nil
}
