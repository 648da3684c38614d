package client

import "strconv"

// Message is a message to send, or the user part of a pulled MessageExt.
type Message struct {
	Topic string
	// Tags is the message's tag (TAGS property), "" for none.
	Tags string
	// Keys are business keys (KEYS property, joined by a space); the
	// broker indexes them.
	Keys []string
	Body []byte
	// Properties are user properties; optional. Keys and values must not
	// be empty nor hold 0x01 or 0x02.
	Properties map[string]string
	// QueueID is the queue to send to: -1 lets the producer choose (its
	// Selector, by default round-robin over the topic's write queues);
	// a value >= 0 without a Selector set means queue QueueID of the first
	// broker of the route (by broker name), with no retry elsewhere. NB:
	// the zero value is 0: build messages with NewMessage, or set QueueID
	// to -1, to have the producer spread them. With a Selector set,
	// QueueID is ignored on sends. On a pulled message, it is the queue
	// the message was read from.
	QueueID int32
	// DelayLevel is RocketMQ's delay level (1 = 1 s ... 18 = 2 h); 0 none.
	// Batches refuse it.
	DelayLevel int
}

// NewMessage returns a message for topic with body and QueueID -1 (the
// producer chooses the queue).
func NewMessage(topic string, body []byte) *Message {
	return &Message{Topic: topic, Body: body, QueueID: -1}
}

// MessageQueue is one queue of a topic on one broker.
type MessageQueue struct {
	Topic      string
	BrokerName string
	QueueID    int32
}

// String formats q as RocketMQ does.
func (q MessageQueue) String() string {
	return "MessageQueue [topic=" + q.Topic + ", brokerName=" + q.BrokerName + ", queueId=" + strconv.Itoa(int(q.QueueID)) + "]"
}

// SendStatus is the outcome of a send the broker accepted (RocketMQ's
// SendStatus). A status other than SendOK still means the message is
// stored, though not (yet) as durably as the broker is configured for.
type SendStatus int

// Send statuses, in RocketMQ's order.
const (
	SendOK SendStatus = iota
	FlushDiskTimeout
	FlushSlaveTimeout
	SlaveNotAvailable
)

// String returns RocketMQ's name of s.
func (s SendStatus) String() string {
	switch s {
	case SendOK:
		return "SEND_OK"
	case FlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case FlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case SlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	}
	return "SendStatus(" + strconv.Itoa(int(s)) + ")"
}

// SendResult is what a broker answered to a send.
type SendResult struct {
	// MsgID is the client message id (the UNIQ_KEY property); for a batch,
	// the ids of its messages joined by commas.
	MsgID string
	// OffsetMsgID is the broker's offset message id (store host and
	// commit-log offset); for a batch, comma-separated.
	OffsetMsgID string
	// Queue is the queue the message went to.
	Queue MessageQueue
	// QueueOffset is the message's offset in Queue (a batch's first).
	QueueOffset int64
	Status      SendStatus
}

// PullStatus is the outcome of a pull (RocketMQ's PullStatus).
type PullStatus int

// Pull statuses, in RocketMQ's order.
const (
	// PullFound: Messages holds messages.
	PullFound PullStatus = iota
	// PullNoNewMsg: nothing at the offset yet (PULL_NOT_FOUND).
	PullNoNewMsg
	// PullNoMatchedMsg: messages were scanned but none passed the
	// filter (PULL_RETRY_IMMEDIATELY); continue from NextBeginOffset.
	PullNoMatchedMsg
	// PullOffsetIllegal: the offset is outside the queue
	// (PULL_OFFSET_MOVED); NextBeginOffset is where to go on.
	PullOffsetIllegal
)

// String returns RocketMQ's name of s.
func (s PullStatus) String() string {
	switch s {
	case PullFound:
		return "FOUND"
	case PullNoNewMsg:
		return "NO_NEW_MSG"
	case PullNoMatchedMsg:
		return "NO_MATCHED_MSG"
	case PullOffsetIllegal:
		return "OFFSET_ILLEGAL"
	}
	return "PullStatus(" + strconv.Itoa(int(s)) + ")"
}

// PullResult is the answer to a pull.
type PullResult struct {
	Status PullStatus
	// Messages are the messages found, in queue order.
	Messages []*MessageExt
	// NextBeginOffset is the offset to pull from next.
	NextBeginOffset int64
	// MinOffset and MaxOffset bound the queue (MaxOffset is the offset
	// the next message will get).
	MinOffset, MaxOffset int64
}

// MessageExt is a pulled message.
//
// Message.Properties holds every property of the stored message except
// TAGS and KEYS (which are in Tags and Keys): the user's, and the system
// ones such as UNIQ_KEY and CLUSTER. DelayLevel is left 0. Body is the
// message's body, decompressed if it was stored compressed.
type MessageExt struct {
	Message
	// MsgID is the client message id (UNIQ_KEY), or OffsetMsgID when the
	// message has none.
	MsgID string
	// OffsetMsgID is the broker's id: store host and commit-log offset.
	OffsetMsgID     string
	QueueOffset     int64
	CommitLogOffset int64
	// BornTimestamp and StoreTimestamp are milliseconds since the epoch:
	// when the producer made the message and when the broker stored it.
	BornTimestamp, StoreTimestamp int64
	ReconsumeTimes                int32
	Queue                         MessageQueue
	// SysFlag and Flag are the stored sysFlag and the producer's user
	// flag.
	SysFlag, Flag int32
}

// Selector picks the queue for a message among the topic's write queues
// (sorted by broker name, then queue id). It must return one of them and
// must not modify or keep the slice. It runs on the sending goroutine.
type Selector func(m *Message, queues []MessageQueue) MessageQueue
