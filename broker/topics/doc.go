// Package topics is the broker's topic configuration table: the topics a
// broker serves, their queue counts and permissions, the system topics it
// creates at start, the validation RocketMQ applies to topic names, the
// checks of a SEND against the table, and the config/topics.json file.
// It has no sockets; request handlers call it.
//
// # Usage
//
//	m, err := topics.New(opts)           // system topics are in the table now
//	if err := m.Load(); err != nil {}    // merge config/topics.json over them
//	go func() {                          // the name-server registrar
//		for range m.Changed() {
//			_ = m.Persist()              // no-op unless the table changed
//			register(m.ForRegistration())
//		}
//	}()
//	// SEND (10, 310, 320): every message
//	cfg, created, err := m.CheckSend(topics.SendCheck{Topic: h.Topic, QueueID: h.QueueID, ...})
//	// UPDATE_AND_CREATE_TOPIC (17), DELETE_TOPIC_IN_BROKER (215)
//	err = m.CreateOrUpdate(cfg); _, err = m.Delete(topic)
//	// GET_ALL_TOPIC_CONFIG (21), REGISTER_BROKER (103)
//	w := m.All()
//
// Refusals are *Error values: Code() is the RocketMQ response code a
// handler answers with and Remark() the text, and protocol.ResponseFor
// maps them too (an *Error unwraps to a *protocol.Error).
//
// # Semantics
//
// As RocketMQ 4.9.4's TopicConfigManager, TopicValidator, PermName and
// AbstractSendMessageProcessor.msgCheck. System topics created by New,
// before Load:
//
//	topic                      queues                perm      only when
//	SELF_TEST_TOPIC            1                     6 (RW-)
//	TBW102                     DefaultQueueNums (8)  7 (RWX)   AutoCreateTopicEnable
//	BenchmarkTest              1024                  6
//	<ClusterName>              16                    7 (RWX)   (1, --X, without ClusterTopicEnable)
//	<BrokerName>               1                     7 (RWX)   (1, --X, without BrokerTopicEnable)
//	OFFSET_MOVED_EVENT         1                     6
//	SCHEDULE_TOPIC_XXXX        18                    6
//	<TraceTopicName>           1                     6         TraceTopicEnable
//	<ClusterName>_REPLY_TOPIC  1                     6
//
// RMQ_SYS_TRANS_HALF_TOPIC, RMQ_SYS_TRANS_OP_HALF_TOPIC and
// TRANS_CHECK_MAX_TIME_TOPIC are not created at start in 4.9.4; the
// transaction service creates them on first use (CreateSystemIfAbsent,
// 1 queue, perm 6), as it does %DLQ% topics. %RETRY% topics come from
// CreateRetryTopicIfAbsent.
//
// Load merges the file over the table (Java's putAll), so a stored system
// topic keeps its stored queue count and perm.
//
// Where this package is stricter than Java (each is a safe choice, not
// wire-visible for well-behaved clients): names from topics.json that fail
// ValidateTopic are skipped; every create path validates the name; a corrupt
// topics.json with no usable .bak is an error instead of an empty table;
// a .bak is only ever written from content that parsed; CheckSend refuses a
// topic without the write bit (Java 4.9.4 does not look at the topic's perm
// on SEND); an auto-create that would give 0 queues is refused; a broker
// with AutoCreateTopicEnable off treats a stored TBW102 as not inheritable
// without rewriting its perm.
//
// # File format (config/topics.json)
//
//	{"dataVersion":{"counter":7,"timestamp":1636355958169},
//	 "topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,
//	   "topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,
//	   "writeQueueNums":4}, ...}}
//
// Java's fastjson writes it tab-indented with sorted fields; Quiver writes
// tab-indented standard JSON with topics in name order. Unknown fields (5.x
// "attributes", "stateVersion") are ignored. Persist replaces the file
// atomically (temporary file, fsync, rename, directory fsync) after copying
// the previous content to topics.json.bak, as Java's MixAll.string2File
// does. Load reads topics.json; when it is missing or empty it reads
// topics.json.bak; when it does not parse it logs the error and reads
// topics.json.bak; a missing pair is an empty table.
//
// # Concurrency
//
// All methods are safe for concurrent use. The table is an immutable
// snapshot behind an atomic pointer: Get and CheckSend (on a hit) take no
// lock and allocate nothing. Writers serialize on Manager.mu and publish a
// copy of the table. Persist serializes on Manager.persistMu.
//
// Lock order: Manager.persistMu, then Manager.mu (Load merges under both).
// A writer releases mu before it persists, so mu is never held across an
// fsync; Persist holds persistMu across its writes and always writes the
// newest snapshot, so a slow persist cannot overwrite a newer file.
// Creating a topic persists before returning unless Options.DeferPersist
// is set: a SEND handler on an event loop should set it and persist from
// the goroutine that serves Changed.
package topics
