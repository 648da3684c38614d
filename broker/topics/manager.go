package topics

import (
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// Manager is a broker's topic table. Its zero value is not usable; call
// New. All methods are safe for concurrent use (see the package doc).
type Manager struct {
	opts Options
	log  *slog.Logger
	// sys holds the system topics named by Options (cluster, broker,
	// reply and trace topics); immutable after New.
	sys map[string]struct{}

	// snap is the current table; readers load it without a lock. A
	// snapshot is never modified after it is stored.
	snap       atomic.Pointer[snapshot]
	brokerPerm atomic.Int32
	changed    chan struct{} // capacity 1: pending signals coalesce

	// mu serializes writers of snap (read, copy, store).
	mu sync.Mutex

	// persistMu serializes Load and Persist and guards the fields below.
	persistMu sync.Mutex
	// persisted is the snapshot the file holds; Persist does nothing
	// while snap still points to it.
	persisted *snapshot
	// lastGood is the file's content when it is known to parse: what
	// Persist copies to the .bak. Nil when no good content is known.
	lastGood []byte
}

// snapshot is one immutable version of the table.
type snapshot struct {
	table   map[string]protocol.TopicConfig
	version protocol.DataVersion
}

// New returns a Manager holding the system topics RocketMQ 4.9.4 creates at
// broker start (see the package doc). It does not read the file: call Load.
func New(opts Options) (*Manager, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	m := &Manager{
		opts:    opts,
		log:     opts.Logger.With("component", "topics"),
		sys:     make(map[string]struct{}),
		changed: make(chan struct{}, 1),
	}
	m.brokerPerm.Store(opts.BrokerPermission)
	table := make(map[string]protocol.TopicConfig)
	for _, cfg := range systemTopics(&opts) {
		table[cfg.TopicName] = cfg
	}
	m.sys[opts.ClusterName] = struct{}{}
	m.sys[opts.BrokerName] = struct{}{}
	m.sys[ReplyTopic(opts.ClusterName)] = struct{}{}
	if opts.TraceTopicEnable {
		m.sys[opts.TraceTopicName] = struct{}{}
	}
	m.snap.Store(&snapshot{
		table:   table,
		version: protocol.DataVersion{Timestamp: opts.Clock().UnixMilli()},
	})
	return m, nil
}

// systemTopics lists the topics created at start, in Java's order (a later
// entry replaces an earlier one of the same name).
func systemTopics(o *Options) []protocol.TopicConfig {
	topic := func(name string, queues, perm int32) protocol.TopicConfig {
		cfg := protocol.NewTopicConfig(name)
		cfg.ReadQueueNums, cfg.WriteQueueNums, cfg.Perm = queues, queues, perm
		return cfg
	}
	rw := PermRead | PermWrite
	out := []protocol.TopicConfig{topic(TopicSelfTest, 1, rw)}
	if o.AutoCreateTopicEnable {
		out = append(out, topic(TopicAutoCreate, o.DefaultQueueNums, rw|PermInherit))
	}
	out = append(out, topic(TopicBenchmark, 1024, rw))
	perm := PermInherit
	if o.ClusterTopicEnable {
		perm |= rw
	}
	out = append(out, topic(o.ClusterName, protocol.DefaultTopicQueueNums, perm))
	perm = PermInherit
	if o.BrokerTopicEnable {
		perm |= rw
	}
	out = append(out,
		topic(o.BrokerName, 1, perm),
		topic(TopicOffsetMoved, 1, rw),
		topic(TopicSchedule, ScheduleQueueNums, rw))
	if o.TraceTopicEnable {
		out = append(out, topic(o.TraceTopicName, 1, rw))
	}
	return append(out, topic(ReplyTopic(o.ClusterName), 1, rw))
}

// Get returns topic's configuration. It takes no lock and does not
// allocate: the send path calls it for every message.
func (m *Manager) Get(topic string) (protocol.TopicConfig, bool) {
	cfg, ok := m.snap.Load().table[topic]
	return cfg, ok
}

// IsSystemTopic reports whether topic is a system topic: TopicValidator's
// set, the rmq_sys_ prefix, or a topic this broker made a system topic at
// start (cluster, broker, reply and enabled trace topic). Admin requests
// may not create or delete system topics.
func (m *Manager) IsSystemTopic(topic string) bool {
	if isBuiltinSystemTopic(topic) {
		return true
	}
	_, ok := m.sys[topic]
	return ok
}

// All returns a copy of the table and its version: the GET_ALL_TOPIC_CONFIG
// (21) body and the table of a REGISTER_BROKER when the broker's permission
// is full (see ForRegistration). The caller owns the map.
func (m *Manager) All() protocol.TopicConfigSerializeWrapper {
	s := m.snap.Load()
	return protocol.TopicConfigSerializeWrapper{
		DataVersion:      s.version,
		TopicConfigTable: maps.Clone(s.table),
	}
}

// ForRegistration returns the table to send in REGISTER_BROKER (103). When
// the broker permission lacks read or write, every topic is reported with
// the broker permission instead of its own, as BrokerController
// registerBrokerAll does (the entries then carry Java's other defaults:
// SINGLE_TAG, sysFlag 0, not order).
func (m *Manager) ForRegistration() protocol.TopicConfigSerializeWrapper {
	w := m.All()
	bp := m.brokerPerm.Load()
	if IsReadable(bp) && IsWriteable(bp) {
		return w
	}
	for name, cfg := range w.TopicConfigTable {
		reg := protocol.NewTopicConfig(cfg.TopicName)
		reg.ReadQueueNums, reg.WriteQueueNums, reg.Perm = cfg.ReadQueueNums, cfg.WriteQueueNums, bp
		w.TopicConfigTable[name] = reg
	}
	return w
}

// DataVersion returns the table's version.
func (m *Manager) DataVersion() protocol.DataVersion {
	return m.snap.Load().version
}

// Len returns the number of topics.
func (m *Manager) Len() int { return len(m.snap.Load().table) }

// BrokerPermission returns the broker-wide permission.
func (m *Manager) BrokerPermission() int32 { return m.brokerPerm.Load() }

// SetBrokerPermission changes the broker-wide permission (updateBrokerConfig
// brokerPermission; WIPE_WRITE_PERM_OF_BROKER clears PermWrite). It
// signals Changed, since registrations report it.
func (m *Manager) SetBrokerPermission(perm int32) error {
	if perm < 0 || perm > 15 {
		return fmt.Errorf("%w: broker permission %d outside 0..15", ErrInvalidConfig, perm)
	}
	if m.brokerPerm.Swap(perm) != perm {
		m.notify()
	}
	return nil
}

// Changed returns a channel that receives a value after the table or the
// broker permission changes. Signals coalesce: one receive may stand for
// several changes, so the receiver re-reads the table (All,
// ForRegistration) each time. A broker registers with the name servers on
// it (Java re-registers at once after an auto-create or an
// UPDATE_AND_CREATE_TOPIC).
func (m *Manager) Changed() <-chan struct{} { return m.changed }

func (m *Manager) notify() {
	select {
	case m.changed <- struct{}{}:
	default: // a signal is already pending
	}
}

// commitLocked publishes table as the next version and releases m.mu; then
// it signals Changed and, unless DeferPersist, persists. A persist error is
// logged, not returned: the change stays in effect (as in Java) and the
// next Persist retries.
//
// REQUIRES: m.mu held; table is a fresh copy nobody else references.
func (m *Manager) commitLocked(table map[string]protocol.TopicConfig) {
	v := m.snap.Load().version
	v.Next(m.opts.Clock().UnixMilli())
	m.snap.Store(&snapshot{table: table, version: v})
	m.mu.Unlock()
	m.notify()
	if !m.opts.DeferPersist {
		if err := m.Persist(); err != nil {
			m.log.Error("persisting topic table failed; change kept in memory", "err", err)
		}
	}
}

// CreateOrUpdate stores cfg, replacing any configuration of the same topic:
// UPDATE_AND_CREATE_TOPIC (17). The name must pass ValidateTopic and not be
// a system topic; queue counts must not be negative, perm must be within
// 0..15 and topicFilterType SINGLE_TAG or MULTI_TAG ("" means SINGLE_TAG).
// The version advances even when cfg equals the stored configuration, as in
// Java, so a repeated request re-registers the topic. cfg is stored as
// given, Order included (Java 4.9.4's handler ignores the header's order
// and stores false; order comes from the name server's ORDER_TOPIC_CONFIG).
// Refusals are *Error with SYSTEM_ERROR.
func (m *Manager) CreateOrUpdate(cfg protocol.TopicConfig) error {
	if err := ValidateTopic(cfg.TopicName); err != nil {
		return err
	}
	if m.IsSystemTopic(cfg.TopicName) {
		return newError(ErrSystemTopic, protocol.SystemError,
			"The topic["+cfg.TopicName+"] is conflict with system topic.")
	}
	if err := checkConfig(&cfg); err != nil {
		return err
	}
	m.mu.Lock()
	table := maps.Clone(m.snap.Load().table)
	old, existed := table[cfg.TopicName]
	table[cfg.TopicName] = cfg
	if existed {
		m.log.Info("topic updated", "topic", cfg.TopicName, "old", configString(&old), "new", configString(&cfg))
	} else {
		m.log.Info("topic created", "topic", cfg.TopicName, "config", configString(&cfg))
	}
	m.commitLocked(table)
	return nil
}

// checkConfig validates the numbers of an admin-supplied configuration and
// fills in the default filter type.
func checkConfig(cfg *protocol.TopicConfig) error {
	bad := func(format string, args ...any) error {
		return newError(ErrInvalidConfig, protocol.SystemError, fmt.Sprintf(format, args...))
	}
	switch {
	case cfg.ReadQueueNums < 0 || cfg.WriteQueueNums < 0:
		return bad("topic[%s] queue nums must not be negative: read %d, write %d",
			cfg.TopicName, cfg.ReadQueueNums, cfg.WriteQueueNums)
	case cfg.Perm < 0 || cfg.Perm > 15:
		return bad("topic[%s] perm %d is not a permission (0..15)", cfg.TopicName, cfg.Perm)
	}
	switch cfg.TopicFilterType {
	case "":
		cfg.TopicFilterType = protocol.TopicFilterSingleTag
	case protocol.TopicFilterSingleTag, protocol.TopicFilterMultiTag:
	default:
		return bad("topicFilterType = [%s] value invalid", cfg.TopicFilterType)
	}
	return nil
}

// Delete removes topic: DELETE_TOPIC_IN_BROKER (215). The name must pass
// ValidateTopic and not be a system topic. Deleting an absent topic is not
// an error (Java answers SUCCESS); deleted says whether it existed. The
// caller removes the topic's queues from the store.
func (m *Manager) Delete(topic string) (deleted bool, err error) {
	if err := ValidateTopic(topic); err != nil {
		return false, err
	}
	if m.IsSystemTopic(topic) {
		return false, newError(ErrSystemTopic, protocol.SystemError,
			"The topic["+topic+"] is conflict with system topic.")
	}
	m.mu.Lock()
	cur := m.snap.Load().table
	old, ok := cur[topic]
	if !ok {
		m.mu.Unlock()
		m.log.Warn("delete of a topic that does not exist", "topic", topic)
		return false, nil
	}
	table := maps.Clone(cur)
	delete(table, topic)
	m.log.Info("topic deleted", "topic", topic, "config", configString(&old))
	m.commitLocked(table)
	return true, nil
}

// AutoCreateOnSend returns topic's configuration, creating it from
// defaultTopic when it does not exist (Java's
// createTopicInSendMessageMethod): the default topic must exist and have the
// inherit bit (TBW102 has it only while AutoCreateTopicEnable is on); the
// new topic gets min(defaultTopicQueueNums, the default topic's write queue
// count) read and write queues, the default topic's perm without inherit,
// its filter type, and topicSysFlag. created reports a new topic: the
// broker should register with the name servers at once (Changed is
// signalled too).
//
// Errors: ValidateTopic's for a bad name; TOPIC_NOT_EXIST (ErrTopicNotExist)
// when the topic cannot be created. Unlike Java, a creation that would give
// 0 queues (defaultTopicQueueNums ≤ 0) is refused rather than stored.
func (m *Manager) AutoCreateOnSend(topic, defaultTopic string, defaultTopicQueueNums, topicSysFlag int32) (cfg protocol.TopicConfig, created bool, err error) {
	if cfg, ok := m.Get(topic); ok {
		return cfg, false, nil
	}
	if err := ValidateTopic(topic); err != nil {
		return cfg, false, err
	}
	m.mu.Lock()
	cur := m.snap.Load().table
	if cfg, ok := cur[topic]; ok {
		m.mu.Unlock()
		return cfg, false, nil
	}
	def, ok := cur[defaultTopic]
	if !ok {
		m.mu.Unlock()
		m.log.Warn("cannot create topic: default topic does not exist", "topic", topic, "defaultTopic", defaultTopic)
		return cfg, false, topicNotExist(topic, "default topic["+defaultTopic+"] does not exist")
	}
	perm := def.Perm
	if defaultTopic == TopicAutoCreate && !m.opts.AutoCreateTopicEnable {
		// Java stores perm RW into TBW102 here; reading it as RW is
		// the same for this decision and leaves the table alone.
		perm = PermRead | PermWrite
	}
	if !IsInherited(perm) {
		m.mu.Unlock()
		m.log.Warn("cannot create topic: default topic has no inherit permission",
			"topic", topic, "defaultTopic", defaultTopic, "perm", PermString(perm))
		return cfg, false, topicNotExist(topic, "default topic["+defaultTopic+"] has no inherit permission")
	}
	n := min(defaultTopicQueueNums, def.WriteQueueNums)
	if n <= 0 {
		m.mu.Unlock()
		return cfg, false, topicNotExist(topic, fmt.Sprintf("cannot create it with %d queues", n))
	}
	cfg = protocol.NewTopicConfig(topic)
	cfg.ReadQueueNums, cfg.WriteQueueNums = n, n
	cfg.Perm = perm &^ PermInherit
	cfg.TopicSysFlag = topicSysFlag
	cfg.TopicFilterType = def.TopicFilterType
	table := maps.Clone(cur)
	table[topic] = cfg
	m.log.Info("topic created from default topic", "topic", topic, "defaultTopic", defaultTopic, "config", configString(&cfg))
	m.commitLocked(table)
	return cfg, true, nil
}

func topicNotExist(topic, why string) *Error {
	return newError(ErrTopicNotExist, protocol.TopicNotExist,
		"topic["+topic+"] not exist, apply first please! ("+why+")")
}

// CreateRetryTopicIfAbsent returns the %RETRY% topic's configuration,
// creating it with queueNums read and write queues, perm and topicSysFlag
// when absent (Java's createTopicInSendMessageBackMethod, called by
// CONSUMER_SEND_MSG_BACK and HEART_BEAT with the group's retryQueueNums and
// perm 6, and by SEND with 1 queue). topic must start with %RETRY% and pass
// ValidateTopic; queueNums must be positive.
func (m *Manager) CreateRetryTopicIfAbsent(topic string, queueNums, perm, topicSysFlag int32) (protocol.TopicConfig, bool, error) {
	if len(topic) <= len(RetryTopicPrefix) || topic[:len(RetryTopicPrefix)] != RetryTopicPrefix {
		return protocol.TopicConfig{}, false, newError(ErrInvalidTopic, protocol.SystemError,
			"topic["+topic+"] is not a retry topic")
	}
	return m.createIfAbsent(topic, queueNums, perm, topicSysFlag)
}

// CreateSystemIfAbsent returns topic's configuration, creating it with
// queueNums read and write queues and perm when absent: the broker's own
// topics created on first use, such as %DLQ% topics (DLQQueueNums, perm 6),
// RMQ_SYS_TRANS_HALF_TOPIC and RMQ_SYS_TRANS_OP_HALF_TOPIC (1, perm 6) and
// TRANS_CHECK_MAX_TIME_TOPIC. topic must pass ValidateTopic; queueNums must
// be positive.
func (m *Manager) CreateSystemIfAbsent(topic string, queueNums, perm int32) (protocol.TopicConfig, bool, error) {
	return m.createIfAbsent(topic, queueNums, perm, 0)
}

func (m *Manager) createIfAbsent(topic string, queueNums, perm, topicSysFlag int32) (protocol.TopicConfig, bool, error) {
	if cfg, ok := m.Get(topic); ok {
		return cfg, false, nil
	}
	if err := ValidateTopic(topic); err != nil {
		return protocol.TopicConfig{}, false, err
	}
	cfg := protocol.NewTopicConfig(topic)
	cfg.ReadQueueNums, cfg.WriteQueueNums, cfg.Perm, cfg.TopicSysFlag = queueNums, queueNums, perm, topicSysFlag
	if queueNums <= 0 {
		return protocol.TopicConfig{}, false, newError(ErrInvalidConfig, protocol.SystemError,
			fmt.Sprintf("topic[%s] needs a positive queue count, not %d", topic, queueNums))
	}
	if err := checkConfig(&cfg); err != nil {
		return protocol.TopicConfig{}, false, err
	}
	m.mu.Lock()
	cur := m.snap.Load().table
	if old, ok := cur[topic]; ok {
		m.mu.Unlock()
		return old, false, nil
	}
	table := maps.Clone(cur)
	table[topic] = cfg
	m.log.Info("topic created", "topic", topic, "config", configString(&cfg))
	m.commitLocked(table)
	return cfg, true, nil
}

// configString renders cfg as Java's TopicConfig.toString, which appears
// in remarks.
func configString(cfg *protocol.TopicConfig) string {
	return fmt.Sprintf("TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%s, topicFilterType=%s, topicSysFlag=%d, order=%t]",
		cfg.TopicName, cfg.ReadQueueNums, cfg.WriteQueueNums, PermString(cfg.Perm),
		cfg.TopicFilterType, cfg.TopicSysFlag, cfg.Order)
}
