package topics

import "strings"

// Topic names RocketMQ reserves (TopicValidator, MixAll).
const (
	// TopicAutoCreate is the default topic that SENDs name in
	// defaultTopic: unknown topics inherit its configuration.
	TopicAutoCreate = "TBW102"
	// TopicSchedule holds delayed messages, one queue per delay level.
	TopicSchedule = "SCHEDULE_TOPIC_XXXX"
	// TopicBenchmark is the benchmark tools' topic.
	TopicBenchmark = "BenchmarkTest"
	// TopicTransHalf holds prepared (half) transactional messages.
	TopicTransHalf = "RMQ_SYS_TRANS_HALF_TOPIC"
	// TopicTransOpHalf records commit/rollback operations on half messages.
	TopicTransOpHalf = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	// TopicTransCheckMaxTime receives half messages checked too often.
	TopicTransCheckMaxTime = "TRANS_CHECK_MAX_TIME_TOPIC"
	// TopicTrace is the default message-trace topic (msgTraceTopicName).
	TopicTrace = "RMQ_SYS_TRACE_TOPIC"
	// TopicSelfTest is the self-test topic.
	TopicSelfTest = "SELF_TEST_TOPIC"
	// TopicOffsetMoved receives offset-moved events.
	TopicOffsetMoved = "OFFSET_MOVED_EVENT"

	// SystemTopicPrefix marks system topics by name.
	SystemTopicPrefix = "rmq_sys_"
	// RetryTopicPrefix starts a consumer group's retry topic.
	RetryTopicPrefix = "%RETRY%"
	// DLQTopicPrefix starts a consumer group's dead-letter topic.
	DLQTopicPrefix = "%DLQ%"
	// ReplyTopicSuffix follows "<cluster>_" in the cluster's reply topic.
	ReplyTopicSuffix = "REPLY_TOPIC"

	// MaxTopicLength is the longest topic name accepted (4.9.x
	// TopicValidator TOPIC_MAX_LENGTH). Stored records give the topic a
	// 1-byte length, so it must stay below 128.
	MaxTopicLength = 127

	// ScheduleQueueNums is the queue count of TopicSchedule: one per
	// delay level.
	ScheduleQueueNums = 18
	// DLQQueueNums is the queue count of a %DLQ% topic
	// (DLQ_NUMS_PER_GROUP).
	DLQQueueNums = 1
)

// RetryTopic returns the retry topic of a consumer group.
func RetryTopic(group string) string { return RetryTopicPrefix + group }

// DLQTopic returns the dead-letter topic of a consumer group.
func DLQTopic(group string) string { return DLQTopicPrefix + group }

// ReplyTopic returns a cluster's reply topic.
func ReplyTopic(cluster string) string { return cluster + "_" + ReplyTopicSuffix }

// validTopicChar is the set ^[%|a-zA-Z0-9_-]$ as a bitmap over ASCII.
var validTopicChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	t['%'], t['|'], t['_'], t['-'] = true, true, true, true
	return t
}()

// ValidateTopic checks topic as TopicValidator.validateTopic does: not
// blank, only characters of ^[%|a-zA-Z0-9_-]+$, at most MaxTopicLength
// long. The regular expression admits no '/', '.', NUL or non-ASCII byte,
// so a valid name is also a safe directory name. It returns nil or an
// *Error with SYSTEM_ERROR and Java's remark, and never allocates.
func ValidateTopic(topic string) error {
	if strings.TrimSpace(topic) == "" {
		return errTopicBlank
	}
	for i := 0; i < len(topic); i++ {
		if !validTopicChar[topic[i]] {
			return errTopicChars
		}
	}
	if len(topic) > MaxTopicLength {
		return errTopicTooLong
	}
	return nil
}

// NotAllowedSend reports whether clients are forbidden to send to topic:
// SCHEDULE_TOPIC_XXXX, RMQ_SYS_TRANS_HALF_TOPIC, RMQ_SYS_TRANS_OP_HALF_TOPIC,
// TRANS_CHECK_MAX_TIME_TOPIC, SELF_TEST_TOPIC and OFFSET_MOVED_EVENT. The
// broker itself writes to these topics.
func NotAllowedSend(topic string) bool {
	_, ok := errSendForbidden[topic]
	return ok
}

// isBuiltinSystemTopic reports whether topic is in TopicValidator's static
// system topic set or has the system prefix. Manager.IsSystemTopic adds the
// topics a broker makes system topics at start.
func isBuiltinSystemTopic(topic string) bool {
	switch topic {
	case TopicAutoCreate, TopicSchedule, TopicBenchmark, TopicTransHalf, TopicTrace,
		TopicTransOpHalf, TopicTransCheckMaxTime, TopicSelfTest, TopicOffsetMoved:
		return true
	}
	return strings.HasPrefix(topic, SystemTopicPrefix)
}
