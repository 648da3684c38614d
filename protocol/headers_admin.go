package protocol

// Custom headers of the broker's admin request codes and of the admin
// requests a broker relays to clients (4.9.4 common/protocol/header).

// CreateTopicRequestHeader is UPDATE_AND_CREATE_TOPIC (17).
type CreateTopicRequestHeader struct {
	Topic          string // required
	DefaultTopic   string // required (tools send the literal "defaultTopic")
	ReadQueueNums  int32  // required
	WriteQueueNums int32  // required
	Perm           int32  // required: PermRead|PermWrite|...
	// TopicFilterType is required and must be TopicFilterSingleTag or
	// TopicFilterMultiTag (Java's checkFields).
	TopicFilterType string
	TopicSysFlag    int32 // optional, default 0
	Order           bool  // required
}

// Encode implements Header.
func (h *CreateTopicRequestHeader) Encode(e *ExtFields) {
	e.AddString("topic", h.Topic)
	e.AddString("defaultTopic", h.DefaultTopic)
	e.AddInt("readQueueNums", int64(h.ReadQueueNums))
	e.AddInt("writeQueueNums", int64(h.WriteQueueNums))
	e.AddInt("perm", int64(h.Perm))
	e.AddString("topicFilterType", h.TopicFilterType)
	e.AddInt("topicSysFlag", int64(h.TopicSysFlag))
	e.AddBool("order", h.Order)
}

// Decode implements Header.
func (h *CreateTopicRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Topic = r.str("topic", true)
	h.DefaultTopic = r.str("defaultTopic", true)
	h.ReadQueueNums = r.i32("readQueueNums", true, 0)
	h.WriteQueueNums = r.i32("writeQueueNums", true, 0)
	h.Perm = r.i32("perm", true, 0)
	h.TopicFilterType = r.str("topicFilterType", true)
	h.TopicSysFlag = r.i32("topicSysFlag", false, 0)
	h.Order = r.boolean("order", true, false)
	if r.err == nil && !validTopicFilterType(h.TopicFilterType) {
		r.fail(invalidField("topicFilterType = [" + h.TopicFilterType + "] value invalid"))
	}
	return r.err
}

// TopicHeader carries one required "topic": the request header of
// DELETE_TOPIC_IN_BROKER (215), GET_TOPIC_STATS_INFO (202) and
// QUERY_TOPIC_CONSUME_BY_WHO (300).
type TopicHeader struct {
	Topic string
}

// Encode implements Header.
func (h *TopicHeader) Encode(e *ExtFields) { e.AddString("topic", h.Topic) }

// Decode implements Header.
func (h *TopicHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Topic = r.str("topic", true)
	return r.err
}

// Request headers that are a TopicHeader.
type (
	DeleteTopicRequestHeader            = TopicHeader
	GetTopicStatsInfoRequestHeader      = TopicHeader
	QueryTopicConsumeByWhoRequestHeader = TopicHeader
)

// DeleteSubscriptionGroupRequestHeader is DELETE_SUBSCRIPTIONGROUP (207).
type DeleteSubscriptionGroupRequestHeader struct {
	GroupName    string // required
	RemoveOffset bool   // optional: also drop the group's consumer offsets
}

// Encode implements Header.
func (h *DeleteSubscriptionGroupRequestHeader) Encode(e *ExtFields) {
	e.AddString("groupName", h.GroupName)
	e.AddBool("removeOffset", h.RemoveOffset)
}

// Decode implements Header.
func (h *DeleteSubscriptionGroupRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.GroupName = r.str("groupName", true)
	h.RemoveOffset = r.boolean("removeOffset", false, false)
	return r.err
}

// GetConsumeStatsRequestHeader is GET_CONSUME_STATS (208); the response body
// is a ConsumeStats.
type GetConsumeStatsRequestHeader struct {
	ConsumerGroup string // required
	Topic         string // optional: "" means every subscribed topic
}

// Encode implements Header.
func (h *GetConsumeStatsRequestHeader) Encode(e *ExtFields) {
	e.AddString("consumerGroup", h.ConsumerGroup)
	addOptString(e, "topic", h.Topic)
}

// Decode implements Header.
func (h *GetConsumeStatsRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.ConsumerGroup = r.str("consumerGroup", true)
	h.Topic = r.str("topic", false)
	return r.err
}

// GetProducerConnectionListRequestHeader is GET_PRODUCER_CONNECTION_LIST
// (204).
type GetProducerConnectionListRequestHeader struct {
	ProducerGroup string // required
}

// Encode implements Header.
func (h *GetProducerConnectionListRequestHeader) Encode(e *ExtFields) {
	e.AddString("producerGroup", h.ProducerGroup)
}

// Decode implements Header.
func (h *GetProducerConnectionListRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.ProducerGroup = r.str("producerGroup", true)
	return r.err
}

// ResetOffsetRequestHeader is INVOKE_BROKER_TO_RESET_OFFSET (222, tool →
// broker) and RESET_CONSUMER_CLIENT_OFFSET (220, broker → client, with a
// ResetOffsetBody). All fields required.
type ResetOffsetRequestHeader struct {
	Topic     string
	Group     string
	Timestamp int64 // milliseconds; the offsets to reset to are those at this time
	IsForce   bool  // "isForce": also move offsets forward
}

// Encode implements Header.
func (h *ResetOffsetRequestHeader) Encode(e *ExtFields) {
	e.AddString("topic", h.Topic)
	e.AddString("group", h.Group)
	e.AddInt("timestamp", h.Timestamp)
	e.AddBool("isForce", h.IsForce)
}

// Decode implements Header.
func (h *ResetOffsetRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Topic = r.str("topic", true)
	h.Group = r.str("group", true)
	h.Timestamp = r.i64("timestamp", true, 0)
	h.IsForce = r.boolean("isForce", true, false)
	return r.err
}

// GetConsumerStatusRequestHeader is INVOKE_BROKER_TO_GET_CONSUMER_STATUS
// (223, tool → broker) and GET_CONSUMER_STATUS_FROM_CLIENT (221, broker →
// client).
type GetConsumerStatusRequestHeader struct {
	Topic      string // required
	Group      string // required
	ClientAddr string // optional
}

// Encode implements Header.
func (h *GetConsumerStatusRequestHeader) Encode(e *ExtFields) {
	e.AddString("topic", h.Topic)
	e.AddString("group", h.Group)
	addOptString(e, "clientAddr", h.ClientAddr)
}

// Decode implements Header.
func (h *GetConsumerStatusRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Topic = r.str("topic", true)
	h.Group = r.str("group", true)
	h.ClientAddr = r.str("clientAddr", false)
	return r.err
}

// GetConsumerRunningInfoRequestHeader is GET_CONSUMER_RUNNING_INFO (307),
// tool → broker and relayed broker → client; the answer's body is a
// ConsumerRunningInfo.
type GetConsumerRunningInfoRequestHeader struct {
	ConsumerGroup string // required
	ClientID      string // required ("clientId")
	JstackEnable  bool   // optional
}

// Encode implements Header.
func (h *GetConsumerRunningInfoRequestHeader) Encode(e *ExtFields) {
	e.AddString("consumerGroup", h.ConsumerGroup)
	e.AddString("clientId", h.ClientID)
	e.AddBool("jstackEnable", h.JstackEnable)
}

// Decode implements Header.
func (h *GetConsumerRunningInfoRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.ConsumerGroup = r.str("consumerGroup", true)
	h.ClientID = r.str("clientId", true)
	h.JstackEnable = r.boolean("jstackEnable", false, false)
	return r.err
}

// ConsumeMessageDirectlyResultRequestHeader is CONSUME_MESSAGE_DIRECTLY
// (309), tool → broker and relayed broker → client with the message in
// stored format as body; the answer's body is a ConsumeMessageDirectlyResult.
type ConsumeMessageDirectlyResultRequestHeader struct {
	ConsumerGroup string // required
	ClientID      string // optional ("clientId")
	MsgID         string // optional
	BrokerName    string // optional
}

// Encode implements Header.
func (h *ConsumeMessageDirectlyResultRequestHeader) Encode(e *ExtFields) {
	e.AddString("consumerGroup", h.ConsumerGroup)
	addOptString(e, "clientId", h.ClientID)
	addOptString(e, "msgId", h.MsgID)
	addOptString(e, "brokerName", h.BrokerName)
}

// Decode implements Header.
func (h *ConsumeMessageDirectlyResultRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.ConsumerGroup = r.str("consumerGroup", true)
	h.ClientID = r.str("clientId", false)
	h.MsgID = r.str("msgId", false)
	h.BrokerName = r.str("brokerName", false)
	return r.err
}

// GetBrokerConfigResponseHeader answers GET_BROKER_CONFIG (26); the body is
// the configuration in properties text (EncodeProperties).
type GetBrokerConfigResponseHeader struct {
	// Version is required: the configuration's DataVersion as JSON text.
	Version string
}

// Encode implements Header.
func (h *GetBrokerConfigResponseHeader) Encode(e *ExtFields) { e.AddString("version", h.Version) }

// Decode implements Header.
func (h *GetBrokerConfigResponseHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Version = r.str("version", true)
	return r.err
}

// QueryCorrectionOffsetRequestHeader is QUERY_CORRECTION_OFFSET (308); the
// response body is a QueryCorrectionOffsetBody.
type QueryCorrectionOffsetRequestHeader struct {
	FilterGroups string // optional: comma-separated groups to leave out
	CompareGroup string // required
	Topic        string // required
}

// Encode implements Header.
func (h *QueryCorrectionOffsetRequestHeader) Encode(e *ExtFields) {
	addOptString(e, "filterGroups", h.FilterGroups)
	e.AddString("compareGroup", h.CompareGroup)
	e.AddString("topic", h.Topic)
}

// Decode implements Header.
func (h *QueryCorrectionOffsetRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.FilterGroups = r.str("filterGroups", false)
	h.CompareGroup = r.str("compareGroup", true)
	h.Topic = r.str("topic", true)
	return r.err
}

// CloneGroupOffsetRequestHeader is CLONE_GROUP_OFFSET (314).
type CloneGroupOffsetRequestHeader struct {
	SrcGroup  string // required
	DestGroup string // required
	Topic     string // optional: "" clones every topic of SrcGroup
	Offline   bool   // optional
}

// Encode implements Header.
func (h *CloneGroupOffsetRequestHeader) Encode(e *ExtFields) {
	e.AddString("srcGroup", h.SrcGroup)
	e.AddString("destGroup", h.DestGroup)
	addOptString(e, "topic", h.Topic)
	e.AddBool("offline", h.Offline)
}

// Decode implements Header.
func (h *CloneGroupOffsetRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.SrcGroup = r.str("srcGroup", true)
	h.DestGroup = r.str("destGroup", true)
	h.Topic = r.str("topic", false)
	h.Offline = r.boolean("offline", false, false)
	return r.err
}
