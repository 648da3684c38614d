package protocol

// Custom headers of the broker's consumer-side request codes: offsets,
// message queries, client registration and send-back (4.9.4
// common/protocol/header). QUERY_CONSUMER_OFFSET and UPDATE_CONSUMER_OFFSET
// run every few seconds per queue per consumer, so their request headers hold
// []byte views and decode without allocating; the rest hold strings.

// QueryConsumerOffsetRequestHeader is QUERY_CONSUMER_OFFSET (14). All fields
// required.
//
// ConsumerGroup and Topic alias the ExtFields they were decoded from and are
// valid only while it is (for a request, until the handler returns).
type QueryConsumerOffsetRequestHeader struct {
	ConsumerGroup []byte
	Topic         []byte
	QueueID       int32
}

// Encode implements Header. The byte fields are copied into e.
func (h *QueryConsumerOffsetRequestHeader) Encode(e *ExtFields) {
	e.Add("consumerGroup", h.ConsumerGroup)
	e.Add("topic", h.Topic)
	e.AddInt("queueId", int64(h.QueueID))
}

// Decode implements Header. It does not allocate unless it fails.
func (h *QueryConsumerOffsetRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.ConsumerGroup = r.view("consumerGroup", true)
	h.Topic = r.view("topic", true)
	h.QueueID = r.i32("queueId", true, 0)
	return r.err
}

// UpdateConsumerOffsetRequestHeader is UPDATE_CONSUMER_OFFSET (15). All
// fields required. Byte fields alias e as for QueryConsumerOffsetRequestHeader.
type UpdateConsumerOffsetRequestHeader struct {
	ConsumerGroup []byte
	Topic         []byte
	QueueID       int32
	CommitOffset  int64
}

// Encode implements Header. The byte fields are copied into e.
func (h *UpdateConsumerOffsetRequestHeader) Encode(e *ExtFields) {
	e.Add("consumerGroup", h.ConsumerGroup)
	e.Add("topic", h.Topic)
	e.AddInt("queueId", int64(h.QueueID))
	e.AddInt("commitOffset", h.CommitOffset)
}

// Decode implements Header. It does not allocate unless it fails.
func (h *UpdateConsumerOffsetRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.ConsumerGroup = r.view("consumerGroup", true)
	h.Topic = r.view("topic", true)
	h.QueueID = r.i32("queueId", true, 0)
	h.CommitOffset = r.i64("commitOffset", true, 0)
	return r.err
}

// OffsetResponseHeader carries one required "offset": the answer to
// QUERY_CONSUMER_OFFSET, GET_MAX_OFFSET, GET_MIN_OFFSET and
// SEARCH_OFFSET_BY_TIMESTAMP.
type OffsetResponseHeader struct {
	Offset int64
}

// Encode implements Header.
func (h *OffsetResponseHeader) Encode(e *ExtFields) { e.AddInt("offset", h.Offset) }

// Decode implements Header.
func (h *OffsetResponseHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Offset = r.i64("offset", true, 0)
	return r.err
}

// Response headers that are an OffsetResponseHeader.
type (
	QueryConsumerOffsetResponseHeader = OffsetResponseHeader
	GetMaxOffsetResponseHeader        = OffsetResponseHeader
	GetMinOffsetResponseHeader        = OffsetResponseHeader
	SearchOffsetResponseHeader        = OffsetResponseHeader
)

// TopicQueueHeader names one queue: the request header of GET_MAX_OFFSET
// (30), GET_MIN_OFFSET (31) and GET_EARLIEST_MSG_STORETIME (32). Both fields
// required.
type TopicQueueHeader struct {
	Topic   string
	QueueID int32
}

// Encode implements Header.
func (h *TopicQueueHeader) Encode(e *ExtFields) {
	e.AddString("topic", h.Topic)
	e.AddInt("queueId", int64(h.QueueID))
}

// Decode implements Header.
func (h *TopicQueueHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Topic = r.str("topic", true)
	h.QueueID = r.i32("queueId", true, 0)
	return r.err
}

// Request headers that are a TopicQueueHeader.
type (
	GetMaxOffsetRequestHeader            = TopicQueueHeader
	GetMinOffsetRequestHeader            = TopicQueueHeader
	GetEarliestMsgStoreTimeRequestHeader = TopicQueueHeader
)

// GetEarliestMsgStoreTimeResponseHeader answers GET_EARLIEST_MSG_STORETIME.
type GetEarliestMsgStoreTimeResponseHeader struct {
	Timestamp int64 // required, milliseconds
}

// Encode implements Header.
func (h *GetEarliestMsgStoreTimeResponseHeader) Encode(e *ExtFields) {
	e.AddInt("timestamp", h.Timestamp)
}

// Decode implements Header.
func (h *GetEarliestMsgStoreTimeResponseHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Timestamp = r.i64("timestamp", true, 0)
	return r.err
}

// SearchOffsetRequestHeader is SEARCH_OFFSET_BY_TIMESTAMP (29). All fields
// required.
type SearchOffsetRequestHeader struct {
	Topic     string
	QueueID   int32
	Timestamp int64 // milliseconds
}

// Encode implements Header.
func (h *SearchOffsetRequestHeader) Encode(e *ExtFields) {
	e.AddString("topic", h.Topic)
	e.AddInt("queueId", int64(h.QueueID))
	e.AddInt("timestamp", h.Timestamp)
}

// Decode implements Header.
func (h *SearchOffsetRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Topic = r.str("topic", true)
	h.QueueID = r.i32("queueId", true, 0)
	h.Timestamp = r.i64("timestamp", true, 0)
	return r.err
}

// QueryMessageRequestHeader is QUERY_MESSAGE (12): messages of a topic by
// key (or by unique key) in a time range.
type QueryMessageRequestHeader struct {
	Topic          string // required
	Key            string // required
	MaxNum         int32  // required
	BeginTimestamp int64  // required, milliseconds
	EndTimestamp   int64  // required, milliseconds
	// UniqueKeyQuery is the optional "_UNIQUE_KEY_QUERY": Key is a message's
	// UNIQ_KEY and the broker replaces MaxNum with its defaultQueryMaxNum.
	UniqueKeyQuery bool
}

// Encode implements Header.
func (h *QueryMessageRequestHeader) Encode(e *ExtFields) {
	e.AddString("topic", h.Topic)
	e.AddString("key", h.Key)
	e.AddInt("maxNum", int64(h.MaxNum))
	e.AddInt("beginTimestamp", h.BeginTimestamp)
	e.AddInt("endTimestamp", h.EndTimestamp)
	if h.UniqueKeyQuery {
		e.AddBool("_UNIQUE_KEY_QUERY", true)
	}
}

// Decode implements Header.
func (h *QueryMessageRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Topic = r.str("topic", true)
	h.Key = r.str("key", true)
	h.MaxNum = r.i32("maxNum", true, 0)
	h.BeginTimestamp = r.i64("beginTimestamp", true, 0)
	h.EndTimestamp = r.i64("endTimestamp", true, 0)
	h.UniqueKeyQuery = r.boolean("_UNIQUE_KEY_QUERY", false, false)
	return r.err
}

// QueryMessageResponseHeader answers QUERY_MESSAGE; the body is the
// concatenated stored messages.
type QueryMessageResponseHeader struct {
	IndexLastUpdateTimestamp int64 // required
	IndexLastUpdatePhyoffset int64 // required
}

// Encode implements Header.
func (h *QueryMessageResponseHeader) Encode(e *ExtFields) {
	e.AddInt("indexLastUpdateTimestamp", h.IndexLastUpdateTimestamp)
	e.AddInt("indexLastUpdatePhyoffset", h.IndexLastUpdatePhyoffset)
}

// Decode implements Header.
func (h *QueryMessageResponseHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.IndexLastUpdateTimestamp = r.i64("indexLastUpdateTimestamp", true, 0)
	h.IndexLastUpdatePhyoffset = r.i64("indexLastUpdatePhyoffset", true, 0)
	return r.err
}

// ViewMessageRequestHeader is VIEW_MESSAGE_BY_ID (33).
type ViewMessageRequestHeader struct {
	Offset int64 // required: commit-log offset of the message
}

// Encode implements Header.
func (h *ViewMessageRequestHeader) Encode(e *ExtFields) { e.AddInt("offset", h.Offset) }

// Decode implements Header.
func (h *ViewMessageRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Offset = r.i64("offset", true, 0)
	return r.err
}

// UnregisterClientRequestHeader is UNREGISTER_CLIENT (35).
type UnregisterClientRequestHeader struct {
	ClientID      string // required ("clientID")
	ProducerGroup string // optional
	ConsumerGroup string // optional
}

// Encode implements Header.
func (h *UnregisterClientRequestHeader) Encode(e *ExtFields) {
	e.AddString("clientID", h.ClientID)
	addOptString(e, "producerGroup", h.ProducerGroup)
	addOptString(e, "consumerGroup", h.ConsumerGroup)
}

// Decode implements Header.
func (h *UnregisterClientRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.ClientID = r.str("clientID", true)
	h.ProducerGroup = r.str("producerGroup", false)
	h.ConsumerGroup = r.str("consumerGroup", false)
	return r.err
}

// ConsumerSendMsgBackRequestHeader is CONSUMER_SEND_MSG_BACK (36).
type ConsumerSendMsgBackRequestHeader struct {
	Offset int64  // required: commit-log offset of the message
	Group  string // required
	// DelayLevel is required: 0 lets the broker choose, < 0 goes straight to
	// the DLQ.
	DelayLevel  int32
	OriginMsgID string // optional
	OriginTopic string // optional
	UnitMode    bool
	// MaxReconsumeTimes is valid only when HasMaxReconsumeTimes; otherwise
	// the group's retryMaxTimes applies.
	MaxReconsumeTimes    int32
	HasMaxReconsumeTimes bool
}

// Encode implements Header.
func (h *ConsumerSendMsgBackRequestHeader) Encode(e *ExtFields) {
	e.AddInt("offset", h.Offset)
	e.AddString("group", h.Group)
	e.AddInt("delayLevel", int64(h.DelayLevel))
	addOptString(e, "originMsgId", h.OriginMsgID)
	addOptString(e, "originTopic", h.OriginTopic)
	e.AddBool("unitMode", h.UnitMode)
	if h.HasMaxReconsumeTimes {
		e.AddInt("maxReconsumeTimes", int64(h.MaxReconsumeTimes))
	}
}

// Decode implements Header.
func (h *ConsumerSendMsgBackRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Offset = r.i64("offset", true, 0)
	h.Group = r.str("group", true)
	h.DelayLevel = r.i32("delayLevel", true, 0)
	h.OriginMsgID = r.str("originMsgId", false)
	h.OriginTopic = r.str("originTopic", false)
	h.UnitMode = r.boolean("unitMode", false, false)
	h.HasMaxReconsumeTimes = r.hasKey("maxReconsumeTimes")
	h.MaxReconsumeTimes = r.i32("maxReconsumeTimes", false, 0)
	return r.err
}

// ConsumerGroupHeader carries one required "consumerGroup": the request
// header of GET_CONSUMER_LIST_BY_GROUP (38), NOTIFY_CONSUMER_IDS_CHANGED
// (40, broker → client) and GET_CONSUMER_CONNECTION_LIST (203).
type ConsumerGroupHeader struct {
	ConsumerGroup string
}

// Encode implements Header.
func (h *ConsumerGroupHeader) Encode(e *ExtFields) { e.AddString("consumerGroup", h.ConsumerGroup) }

// Decode implements Header.
func (h *ConsumerGroupHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.ConsumerGroup = r.str("consumerGroup", true)
	return r.err
}

// Request headers that are a ConsumerGroupHeader.
type (
	GetConsumerListByGroupRequestHeader    = ConsumerGroupHeader
	NotifyConsumerIDsChangedRequestHeader  = ConsumerGroupHeader
	GetConsumerConnectionListRequestHeader = ConsumerGroupHeader
)
