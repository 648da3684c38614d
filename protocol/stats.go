package protocol

// Admin and monitoring bodies (4.9.4 common/admin, protocol/body). Several
// are maps keyed by MessageQueue, which Java's fastjson writes with object
// keys ({{"brokerName":..,"queueId":..,"topic":..}:v}); those types
// implement AppendBody (used by MarshalBody) instead of MarshalJSON, and
// decode with UnmarshalBody.

import (
	"encoding/json"
	"slices"
)

// OffsetWrapper is one queue's entry in ConsumeStats.
type OffsetWrapper struct {
	BrokerOffset   int64 `json:"brokerOffset"`
	ConsumerOffset int64 `json:"consumerOffset"`
	LastTimestamp  int64 `json:"lastTimestamp"` // store time of the last consumed message, ms
}

// ConsumeStats is the GET_CONSUME_STATS (208) response body.
type ConsumeStats struct {
	OffsetTable map[MessageQueue]OffsetWrapper
	ConsumeTPS  float64
}

// AppendBody appends c in fastjson's form:
// {"consumeTps":0,"offsetTable":{{queue}:{...},...}}.
func (c ConsumeStats) AppendBody(dst []byte) ([]byte, error) {
	dst = append(dst, `{"consumeTps":`...)
	dst, err := appendJSON(dst, c.ConsumeTPS)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"offsetTable":`...)
	dst, err = appendMQMap(dst, c.OffsetTable)
	return append(dst, '}'), err
}

// UnmarshalJSON implements json.Unmarshaler for the normalized form.
func (c *ConsumeStats) UnmarshalJSON(data []byte) error {
	var j struct {
		ConsumeTPS  float64         `json:"consumeTps"`
		OffsetTable json.RawMessage `json:"offsetTable"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	m, err := decodeMQMap[OffsetWrapper](j.OffsetTable)
	if err != nil {
		return err
	}
	*c = ConsumeStats{OffsetTable: m, ConsumeTPS: j.ConsumeTPS}
	return nil
}

// TopicOffset is one queue's entry in TopicStatsTable.
type TopicOffset struct {
	MinOffset           int64 `json:"minOffset"`
	MaxOffset           int64 `json:"maxOffset"`
	LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"` // ms
}

// TopicStatsTable is the GET_TOPIC_STATS_INFO (202) response body.
type TopicStatsTable struct {
	OffsetTable map[MessageQueue]TopicOffset
}

// AppendBody appends t in fastjson's form: {"offsetTable":{{queue}:{...}}}.
func (t TopicStatsTable) AppendBody(dst []byte) ([]byte, error) {
	dst = append(dst, `{"offsetTable":`...)
	dst, err := appendMQMap(dst, t.OffsetTable)
	return append(dst, '}'), err
}

// UnmarshalJSON implements json.Unmarshaler for the normalized form.
func (t *TopicStatsTable) UnmarshalJSON(data []byte) error {
	var j struct {
		OffsetTable json.RawMessage `json:"offsetTable"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	m, err := decodeMQMap[TopicOffset](j.OffsetTable)
	if err != nil {
		return err
	}
	t.OffsetTable = m
	return nil
}

// Connection is one client channel in ConsumerConnection and
// ProducerConnection.
type Connection struct {
	ClientID   string `json:"clientId"`
	ClientAddr string `json:"clientAddr"`
	Language   string `json:"language"` // LanguageCode name, e.g. "GO"
	Version    int32  `json:"version"`
}

// ConsumerConnection is the GET_CONSUMER_CONNECTION_LIST (203) response
// body.
type ConsumerConnection struct {
	ConnectionSet     []Connection                `json:"connectionSet"`
	SubscriptionTable map[string]SubscriptionData `json:"subscriptionTable"`
	ConsumeType       string                      `json:"consumeType,omitempty"`
	MessageModel      string                      `json:"messageModel,omitempty"`
	ConsumeFromWhere  string                      `json:"consumeFromWhere,omitempty"`
}

// MarshalJSON implements json.Marshaler; the set and table are never null.
func (c ConsumerConnection) MarshalJSON() ([]byte, error) {
	type plain ConsumerConnection
	p := plain(c)
	if p.ConnectionSet == nil {
		p.ConnectionSet = []Connection{}
	}
	if p.SubscriptionTable == nil {
		p.SubscriptionTable = map[string]SubscriptionData{}
	}
	return appendJSON(nil, p)
}

// ProducerConnection is the GET_PRODUCER_CONNECTION_LIST (204) response
// body.
type ProducerConnection struct {
	ConnectionSet []Connection `json:"connectionSet"`
}

// MarshalJSON implements json.Marshaler; the set is never null.
func (c ProducerConnection) MarshalJSON() ([]byte, error) {
	type plain ProducerConnection
	p := plain(c)
	if p.ConnectionSet == nil {
		p.ConnectionSet = []Connection{}
	}
	return appendJSON(nil, p)
}

// ProcessQueueInfo is one queue's state in ConsumerRunningInfo.
type ProcessQueueInfo struct {
	CommitOffset            int64 `json:"commitOffset"`
	CachedMsgMinOffset      int64 `json:"cachedMsgMinOffset"`
	CachedMsgMaxOffset      int64 `json:"cachedMsgMaxOffset"`
	CachedMsgCount          int32 `json:"cachedMsgCount"`
	CachedMsgSizeInMiB      int32 `json:"cachedMsgSizeInMiB"`
	TransactionMsgMinOffset int64 `json:"transactionMsgMinOffset"`
	TransactionMsgMaxOffset int64 `json:"transactionMsgMaxOffset"`
	TransactionMsgCount     int32 `json:"transactionMsgCount"`
	Locked                  bool  `json:"locked"`
	TryUnlockTimes          int64 `json:"tryUnlockTimes"`
	LastLockTimestamp       int64 `json:"lastLockTimestamp"`
	// Dropped is Java's "droped"; client-go writes "dropped", also read.
	Dropped              bool  `json:"droped"`
	LastPullTimestamp    int64 `json:"lastPullTimestamp"`
	LastConsumeTimestamp int64 `json:"lastConsumeTimestamp"`
}

// UnmarshalJSON implements json.Unmarshaler, reading either spelling of
// dropped.
func (p *ProcessQueueInfo) UnmarshalJSON(data []byte) error {
	type plain ProcessQueueInfo
	var j struct {
		plain
		Dropped2 bool `json:"dropped"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*p = ProcessQueueInfo(j.plain)
	p.Dropped = p.Dropped || j.Dropped2
	return nil
}

// ConsumeStatus is one topic's consumption rates in ConsumerRunningInfo.
type ConsumeStatus struct {
	PullRT            float64 `json:"pullRT"`
	PullTPS           float64 `json:"pullTPS"`
	ConsumeRT         float64 `json:"consumeRT"`
	ConsumeOKTPS      float64 `json:"consumeOKTPS"`
	ConsumeFailedTPS  float64 `json:"consumeFailedTPS"`
	ConsumeFailedMsgs int64   `json:"consumeFailedMsgs"`
}

// ConsumerRunningInfo is a client's answer to GET_CONSUMER_RUNNING_INFO
// (307), relayed by the broker to the tool that asked.
type ConsumerRunningInfo struct {
	Properties      map[string]string
	SubscriptionSet []SubscriptionData
	MQTable         map[MessageQueue]ProcessQueueInfo
	StatusTable     map[string]ConsumeStatus
	Jstack          string
}

// AppendBody appends i in fastjson's form (mqTable with object keys).
func (i ConsumerRunningInfo) AppendBody(dst []byte) ([]byte, error) {
	var err error
	if i.Jstack != "" {
		dst = append(dst, `{"jstack":`...)
		dst = appendJSONString(dst, []byte(i.Jstack))
		dst = append(dst, `,"mqTable":`...)
	} else {
		dst = append(dst, `{"mqTable":`...)
	}
	if dst, err = appendMQMap(dst, i.MQTable); err != nil {
		return dst, err
	}
	props, subs, status := i.Properties, i.SubscriptionSet, i.StatusTable
	if props == nil {
		props = map[string]string{}
	}
	if subs == nil {
		subs = []SubscriptionData{}
	}
	if status == nil {
		status = map[string]ConsumeStatus{}
	}
	dst = append(dst, `,"properties":`...)
	if dst, err = appendJSON(dst, props); err != nil {
		return dst, err
	}
	dst = append(dst, `,"statusTable":`...)
	if dst, err = appendJSON(dst, status); err != nil {
		return dst, err
	}
	dst = append(dst, `,"subscriptionSet":`...)
	if dst, err = appendJSON(dst, subs); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// UnmarshalJSON implements json.Unmarshaler for the normalized form.
func (i *ConsumerRunningInfo) UnmarshalJSON(data []byte) error {
	var j struct {
		Properties      map[string]string        `json:"properties"`
		SubscriptionSet []SubscriptionData       `json:"subscriptionSet"`
		MQTable         json.RawMessage          `json:"mqTable"`
		StatusTable     map[string]ConsumeStatus `json:"statusTable"`
		Jstack          string                   `json:"jstack"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	m, err := decodeMQMap[ProcessQueueInfo](j.MQTable)
	if err != nil {
		return err
	}
	*i = ConsumerRunningInfo{
		Properties:      j.Properties,
		SubscriptionSet: j.SubscriptionSet,
		MQTable:         m,
		StatusTable:     j.StatusTable,
		Jstack:          j.Jstack,
	}
	return nil
}

// ConsumerStatusBody is a client's answer to GET_CONSUMER_STATUS_FROM_CLIENT
// (221) (MessageQueueTable) and the broker's answer to
// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223) (ConsumerTable, by client id).
type ConsumerStatusBody struct {
	MessageQueueTable map[MessageQueue]int64
	ConsumerTable     map[string]map[MessageQueue]int64
}

// AppendBody appends b in fastjson's form.
func (b ConsumerStatusBody) AppendBody(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"consumerTable":{`...)
	keys := make([]string, 0, len(b.ConsumerTable))
	for k := range b.ConsumerTable {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for n, k := range keys {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, []byte(k))
		dst = append(dst, ':')
		if dst, err = appendMQMap(dst, b.ConsumerTable[k]); err != nil {
			return dst, err
		}
	}
	dst = append(dst, `},"messageQueueTable":`...)
	dst, err = appendMQMap(dst, b.MessageQueueTable)
	return append(dst, '}'), err
}

// UnmarshalJSON implements json.Unmarshaler for the normalized form.
func (b *ConsumerStatusBody) UnmarshalJSON(data []byte) error {
	var j struct {
		MessageQueueTable json.RawMessage            `json:"messageQueueTable"`
		ConsumerTable     map[string]json.RawMessage `json:"consumerTable"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	mqt, err := decodeMQMap[int64](j.MessageQueueTable)
	if err != nil {
		return err
	}
	var ct map[string]map[MessageQueue]int64
	if j.ConsumerTable != nil {
		ct = make(map[string]map[MessageQueue]int64, len(j.ConsumerTable))
		for client, raw := range j.ConsumerTable {
			if ct[client], err = decodeMQMap[int64](raw); err != nil {
				return err
			}
		}
	}
	*b = ConsumerStatusBody{MessageQueueTable: mqt, ConsumerTable: ct}
	return nil
}
