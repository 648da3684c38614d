package protocol

import "math/bits"

// Pull headers: the read hot path. Same decoding rules as the send
// headers: one pass, last duplicate wins, views for strings, no allocation
// on success.

// Pull request sysFlag bits (PullSysFlag.java, format, never change).
const (
	// PullFlagCommitOffset asks the broker to store CommitOffset.
	PullFlagCommitOffset int32 = 1 << 0
	// PullFlagSuspend asks for a long poll of SuspendTimeoutMillis.
	PullFlagSuspend int32 = 1 << 1
	// PullFlagSubscription asks the broker to filter with the header's
	// Subscription and ExpressionType instead of the heartbeat's.
	PullFlagSubscription int32 = 1 << 2
	// PullFlagClassFilter is obsolete.
	PullFlagClassFilter int32 = 1 << 3
	// PullFlagLitePull marks Java's lite pull consumer.
	PullFlagLitePull int32 = 1 << 4
)

// PullMessageRequestHeader is the custom header of PULL_MESSAGE (11).
//
// The []byte fields of a decoded header are views of the ExtFields it was
// decoded from, valid as long as those are.
type PullMessageRequestHeader struct {
	ConsumerGroup        []byte // required
	Topic                []byte // required
	QueueID              int32  // required
	QueueOffset          int64  // required
	MaxMsgNums           int32  // required
	SysFlag              int32  // required; PullFlag* bits
	CommitOffset         int64  // required
	SuspendTimeoutMillis int64  // required
	// Subscription is the filter expression; nil when absent.
	Subscription []byte
	SubVersion   int64 // required
	// ExpressionType is "TAG" or "SQL92"; nil when absent (Java reads
	// absent and "" as TAG).
	ExpressionType []byte
	// MaxMsgBytes is the 5.x byte bound on the reply; 0 when absent.
	MaxMsgBytes int32
	// BrokerName is the 5.x "bname" field; nil when absent.
	BrokerName []byte
}

// Field indexes of PullMessageRequestHeader.
const (
	pullConsumerGroup = iota
	pullTopic
	pullQueueID
	pullQueueOffset
	pullMaxMsgNums
	pullSysFlag
	pullCommitOffset
	pullSuspendTimeoutMillis
	pullSubscription
	pullSubVersion
	pullExpressionType
	pullMaxMsgBytes
	pullBrokerName
	pullFieldCount
)

// pullRequired are the @CFNotNull fields of PullMessageRequestHeader.java.
const pullRequired = 1<<pullConsumerGroup | 1<<pullTopic | 1<<pullQueueID |
	1<<pullQueueOffset | 1<<pullMaxMsgNums | 1<<pullSysFlag | 1<<pullCommitOffset |
	1<<pullSuspendTimeoutMillis | 1<<pullSubVersion

var pullNames = [pullFieldCount]string{
	"consumerGroup", "topic", "queueId", "queueOffset", "maxMsgNums", "sysFlag",
	"commitOffset", "suspendTimeoutMillis", "subscription", "subVersion",
	"expressionType", "maxMsgBytes", "bname",
}

func pullField(k []byte) int {
	switch string(k) {
	case "consumerGroup":
		return pullConsumerGroup
	case "topic":
		return pullTopic
	case "queueId":
		return pullQueueID
	case "queueOffset":
		return pullQueueOffset
	case "maxMsgNums":
		return pullMaxMsgNums
	case "sysFlag":
		return pullSysFlag
	case "commitOffset":
		return pullCommitOffset
	case "suspendTimeoutMillis":
		return pullSuspendTimeoutMillis
	case "subscription":
		return pullSubscription
	case "subVersion":
		return pullSubVersion
	case "expressionType":
		return pullExpressionType
	case "maxMsgBytes":
		return pullMaxMsgBytes
	case "bname":
		return pullBrokerName
	}
	return -1
}

// Encode adds h's fields; the optional ones only when set.
func (h *PullMessageRequestHeader) Encode(e *ExtFields) {
	e.Add("consumerGroup", h.ConsumerGroup)
	e.Add("topic", h.Topic)
	e.AddInt("queueId", int64(h.QueueID))
	e.AddInt("queueOffset", h.QueueOffset)
	e.AddInt("maxMsgNums", int64(h.MaxMsgNums))
	e.AddInt("sysFlag", int64(h.SysFlag))
	e.AddInt("commitOffset", h.CommitOffset)
	e.AddInt("suspendTimeoutMillis", h.SuspendTimeoutMillis)
	if len(h.Subscription) > 0 {
		e.Add("subscription", h.Subscription)
	}
	e.AddInt("subVersion", h.SubVersion)
	if len(h.ExpressionType) > 0 {
		e.Add("expressionType", h.ExpressionType)
	}
	if h.MaxMsgBytes != 0 {
		e.AddInt("maxMsgBytes", int64(h.MaxMsgBytes))
	}
	if len(h.BrokerName) > 0 {
		e.Add("bname", h.BrokerName)
	}
}

// Decode reads h, overwriting every field.
func (h *PullMessageRequestHeader) Decode(e *ExtFields) error {
	var v [pullFieldCount][]byte
	var seen uint32
	for i := range e.kv {
		if f := pullField(e.kv[i].key); f >= 0 {
			v[f] = e.kv[i].val
			seen |= 1 << f
		}
	}
	if missing := pullRequired &^ seen; missing != 0 {
		return missingField(pullNames[bits.TrailingZeros32(missing)])
	}
	var err error
	h.ConsumerGroup = v[pullConsumerGroup]
	h.Topic = v[pullTopic]
	h.QueueID = int32Field(v[pullQueueID], "queueId", &err)
	h.QueueOffset = int64Field(v[pullQueueOffset], "queueOffset", &err)
	h.MaxMsgNums = int32Field(v[pullMaxMsgNums], "maxMsgNums", &err)
	h.SysFlag = int32Field(v[pullSysFlag], "sysFlag", &err)
	h.CommitOffset = int64Field(v[pullCommitOffset], "commitOffset", &err)
	h.SuspendTimeoutMillis = int64Field(v[pullSuspendTimeoutMillis], "suspendTimeoutMillis", &err)
	h.Subscription = v[pullSubscription]
	h.SubVersion = int64Field(v[pullSubVersion], "subVersion", &err)
	h.ExpressionType = v[pullExpressionType]
	h.MaxMsgBytes = 0
	if seen&(1<<pullMaxMsgBytes) != 0 {
		h.MaxMsgBytes = int32Field(v[pullMaxMsgBytes], "maxMsgBytes", &err)
	}
	h.BrokerName = v[pullBrokerName]
	return err
}

// PullMessageResponseHeader is the custom header of a pull's response.
// All fields are required.
type PullMessageResponseHeader struct {
	// SuggestWhichBrokerID is the broker id (0 master) to pull from next.
	SuggestWhichBrokerID int64
	// NextBeginOffset is the queue offset of the next pull.
	NextBeginOffset int64
	// MinOffset and MaxOffset bound the queue.
	MinOffset int64
	MaxOffset int64
}

// Encode adds h's fields.
func (h *PullMessageResponseHeader) Encode(e *ExtFields) {
	e.addPlainInt("suggestWhichBrokerId", h.SuggestWhichBrokerID)
	e.addPlainInt("nextBeginOffset", h.NextBeginOffset)
	e.addPlainInt("minOffset", h.MinOffset)
	e.addPlainInt("maxOffset", h.MaxOffset)
}

// Decode reads h, overwriting every field.
func (h *PullMessageResponseHeader) Decode(e *ExtFields) error {
	var v [4][]byte
	var seen int
	for i := range e.kv {
		f := -1
		switch string(e.kv[i].key) {
		case "suggestWhichBrokerId":
			f = 0
		case "nextBeginOffset":
			f = 1
		case "minOffset":
			f = 2
		case "maxOffset":
			f = 3
		}
		if f >= 0 {
			v[f] = e.kv[i].val
			seen |= 1 << f
		}
	}
	names := [4]string{"suggestWhichBrokerId", "nextBeginOffset", "minOffset", "maxOffset"}
	for f := range names {
		if seen&(1<<f) == 0 {
			return missingField(names[f])
		}
	}
	var err error
	h.SuggestWhichBrokerID = int64Field(v[0], names[0], &err)
	h.NextBeginOffset = int64Field(v[1], names[1], &err)
	h.MinOffset = int64Field(v[2], names[2], &err)
	h.MaxOffset = int64Field(v[3], names[3], &err)
	return err
}
