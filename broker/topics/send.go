package topics

import (
	"fmt"
	"strings"

	"github.com/quivermq/quiver/protocol"
)

// Topic sysFlag bits (TopicSysFlag.java). Values are wire format.
const (
	TopicSysFlagUnit    = int32(1 << 0)
	TopicSysFlagUnitSub = int32(1 << 1)
)

// SendCheck is what CheckSend needs from a SEND (10, 310, 320) or
// SEND_REPLY_MESSAGE header.
//
// Topic and DefaultTopic may alias the request's buffer (the send handler
// passes views to save an allocation per send): CheckSend copies them
// before it keeps them, when it creates the topic.
type SendCheck struct {
	Topic string
	// QueueID is the header's queueId. A negative id passes: the handler
	// then picks a random queue below WriteQueueNums, as Java does.
	QueueID int32
	// DefaultTopic and DefaultTopicQueueNums are the header's fields
	// (client-go: "TBW102" and 4).
	DefaultTopic          string
	DefaultTopicQueueNums int32
	// UnitMode is the header's unitMode.
	UnitMode bool
	// Producer is the client's address, for remarks and logs only.
	Producer string
}

// CheckSend runs Java's AbstractSendMessageProcessor.msgCheck against the
// table and returns the topic's configuration. created reports that the
// topic was created by this call (register with the name servers at once).
// In order:
//
//  1. broker permission without write, on an order topic: NO_PERMISSION;
//  2. ValidateTopic: SYSTEM_ERROR;
//  3. NotAllowedSend: NO_PERMISSION;
//  4. unknown topic: AutoCreateOnSend; failing that, a %RETRY% topic is
//     created with 1 queue and perm 6; failing that, TOPIC_NOT_EXIST;
//  5. topic without the write bit: NO_PERMISSION (Quiver only; Java 4.9.4
//     accepts the send);
//  6. QueueID ≥ max(writeQueueNums, readQueueNums): SYSTEM_ERROR with a
//     remark naming the queue id and the topic's configuration.
//
// Errors are *Error. On an existing topic that passes, CheckSend takes no
// lock and does not allocate. Creating a topic persists the table (an
// fsync) unless Options.DeferPersist is set.
func (m *Manager) CheckSend(r SendCheck) (cfg protocol.TopicConfig, created bool, err error) {
	cfg, ok := m.Get(r.Topic)
	if !IsWriteable(m.brokerPerm.Load()) && ok && cfg.Order {
		return cfg, false, newError(ErrSendForbidden, protocol.NoPermission,
			"the broker["+m.opts.BrokerName+"] sending message is forbidden")
	}
	if err := ValidateTopic(r.Topic); err != nil {
		return cfg, false, err
	}
	if e, forbidden := sendForbidden(r.Topic); forbidden {
		return cfg, false, e
	}
	if !ok {
		r.Topic, r.DefaultTopic = strings.Clone(r.Topic), strings.Clone(r.DefaultTopic)
		var sysFlag int32
		if r.UnitMode {
			if strings.HasPrefix(r.Topic, RetryTopicPrefix) {
				sysFlag = TopicSysFlagUnitSub
			} else {
				sysFlag = TopicSysFlagUnit
			}
		}
		m.log.Debug("send to a topic that does not exist", "topic", r.Topic, "producer", r.Producer)
		cfg, created, err = m.AutoCreateOnSend(r.Topic, r.DefaultTopic, r.DefaultTopicQueueNums, sysFlag)
		if err != nil && strings.HasPrefix(r.Topic, RetryTopicPrefix) {
			cfg, created, err = m.CreateRetryTopicIfAbsent(r.Topic, 1, PermRead|PermWrite, sysFlag)
		}
		if err != nil {
			return cfg, false, err
		}
	}
	if !IsWriteable(cfg.Perm) {
		return cfg, created, newError(ErrSendForbidden, protocol.NoPermission,
			"the topic["+r.Topic+"] sending message is forbidden")
	}
	if err := CheckQueueID(&cfg, r.QueueID, r.Producer); err != nil {
		return cfg, created, err
	}
	return cfg, created, nil
}

// sendForbidden returns the prebuilt refusal for a topic clients may not
// send to.
func sendForbidden(topic string) (*Error, bool) {
	e, ok := errSendForbidden[topic]
	return e, ok
}

// CheckQueueID refuses a queue id at or past max(WriteQueueNums,
// ReadQueueNums) with SYSTEM_ERROR and Java's remark ("request
// queueId[5] is illegal, TopicConfig [...] Producer: addr"). A negative
// id passes when the topic has a write queue (the handler picks one). It
// allocates only when it refuses.
func CheckQueueID(cfg *protocol.TopicConfig, queueID int32, producer string) error {
	if queueID < 0 {
		if cfg.WriteQueueNums > 0 {
			return nil
		}
		// Java would divide by zero picking a random queue.
		return newError(ErrQueueID, protocol.SystemError,
			fmt.Sprintf("request queueId[%d] cannot be assigned, %s has no write queue Producer: %s", queueID, configString(cfg), producer))
	}
	if queueID < max(cfg.WriteQueueNums, cfg.ReadQueueNums) {
		return nil
	}
	return newError(ErrQueueID, protocol.SystemError,
		fmt.Sprintf("request queueId[%d] is illegal, %s Producer: %s", queueID, configString(cfg), producer))
}
