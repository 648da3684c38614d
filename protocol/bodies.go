package protocol

// JSON bodies of name server and broker requests and responses (4.9.4
// protocol/body, subscription). Encode with MarshalBody, decode with
// UnmarshalBody (which accepts fastjson's bare numeric keys). Lists and maps
// that Java always writes are written as [] or {} when empty, never null.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// ClusterInfo is the GET_BROKER_CLUSTER_INFO (106) response body.
type ClusterInfo struct {
	// BrokerAddrTable maps a broker name to its addresses.
	BrokerAddrTable map[string]BrokerData `json:"brokerAddrTable"`
	// ClusterAddrTable maps a cluster name to its broker names.
	ClusterAddrTable map[string][]string `json:"clusterAddrTable"`
}

// MarshalJSON implements json.Marshaler; the tables are {} when empty.
func (c ClusterInfo) MarshalJSON() ([]byte, error) {
	type plain ClusterInfo
	p := plain(c)
	if p.BrokerAddrTable == nil {
		p.BrokerAddrTable = map[string]BrokerData{}
	}
	if p.ClusterAddrTable == nil {
		p.ClusterAddrTable = map[string][]string{}
	}
	return appendJSON(nil, p)
}

// TopicList is the body of GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206),
// GET_TOPICS_BY_CLUSTER (224) and the system/unit topic lists.
type TopicList struct {
	TopicList  []string `json:"topicList"`
	BrokerAddr string   `json:"brokerAddr,omitempty"`
}

// MarshalJSON implements json.Marshaler; topicList is [] when empty.
func (t TopicList) MarshalJSON() ([]byte, error) {
	type plain TopicList
	p := plain(t)
	if p.TopicList == nil {
		p.TopicList = []string{}
	}
	return appendJSON(nil, p)
}

// KVTable is a string table: the GET_KVLIST_BY_NAMESPACE (219) and
// GET_BROKER_RUNTIME_INFO (28) bodies, and the REGISTER_BROKER response's
// optional ORDER_TOPIC_CONFIG body.
type KVTable struct {
	Table map[string]string `json:"table"`
}

// MarshalJSON implements json.Marshaler; table is {} when empty.
func (t KVTable) MarshalJSON() ([]byte, error) {
	type plain KVTable
	p := plain(t)
	if p.Table == nil {
		p.Table = map[string]string{}
	}
	return appendJSON(nil, p)
}

// ConsumerListByGroupResponseBody is the GET_CONSUMER_LIST_BY_GROUP (38)
// response body: the client ids of the group's live consumers.
type ConsumerListByGroupResponseBody struct {
	ConsumerIDList []string `json:"consumerIdList"`
}

// MarshalJSON implements json.Marshaler; the list is [] when empty.
func (c ConsumerListByGroupResponseBody) MarshalJSON() ([]byte, error) {
	type plain ConsumerListByGroupResponseBody
	p := plain(c)
	if p.ConsumerIDList == nil {
		p.ConsumerIDList = []string{}
	}
	return appendJSON(nil, p)
}

// LockBatchRequestBody is the LOCK_BATCH_MQ (41) request body.
type LockBatchRequestBody struct {
	ConsumerGroup string         `json:"consumerGroup"`
	ClientID      string         `json:"clientId"`
	MQSet         []MessageQueue `json:"mqSet"`
}

// UnlockBatchRequestBody is the UNLOCK_BATCH_MQ (42) request body.
type UnlockBatchRequestBody = LockBatchRequestBody

// MarshalJSON implements json.Marshaler; mqSet is [] when empty.
func (l LockBatchRequestBody) MarshalJSON() ([]byte, error) {
	type plain LockBatchRequestBody
	p := plain(l)
	if p.MQSet == nil {
		p.MQSet = []MessageQueue{}
	}
	return appendJSON(nil, p)
}

// LockBatchResponseBody is the LOCK_BATCH_MQ response body: the queues the
// client now holds.
type LockBatchResponseBody struct {
	LockOKMQSet []MessageQueue `json:"lockOKMQSet"`
}

// MarshalJSON implements json.Marshaler; the set is [] when empty.
func (l LockBatchResponseBody) MarshalJSON() ([]byte, error) {
	type plain LockBatchResponseBody
	p := plain(l)
	if p.LockOKMQSet == nil {
		p.LockOKMQSet = []MessageQueue{}
	}
	return appendJSON(nil, p)
}

// GroupList is the QUERY_TOPIC_CONSUME_BY_WHO (300) response body.
type GroupList struct {
	GroupList []string `json:"groupList"`
}

// MarshalJSON implements json.Marshaler; the list is [] when empty.
func (g GroupList) MarshalJSON() ([]byte, error) {
	type plain GroupList
	p := plain(g)
	if p.GroupList == nil {
		p.GroupList = []string{}
	}
	return appendJSON(nil, p)
}

// Defaults of a SubscriptionGroupConfig (SubscriptionGroupConfig.java).
const (
	DefaultRetryQueueNums               int32 = 1
	DefaultRetryMaxTimes                int32 = 16
	DefaultWhichBrokerWhenConsumeSlowly int64 = 1
)

// SubscriptionGroupConfig is a consumer group's configuration: the
// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200) request body and an entry of
// SubscriptionGroupWrapper.
type SubscriptionGroupConfig struct {
	GroupName                      string `json:"groupName"`
	ConsumeEnable                  bool   `json:"consumeEnable"`
	ConsumeFromMinEnable           bool   `json:"consumeFromMinEnable"`
	ConsumeBroadcastEnable         bool   `json:"consumeBroadcastEnable"`
	RetryQueueNums                 int32  `json:"retryQueueNums"`
	RetryMaxTimes                  int32  `json:"retryMaxTimes"`
	BrokerID                       int64  `json:"brokerId"`
	WhichBrokerWhenConsumeSlowly   int64  `json:"whichBrokerWhenConsumeSlowly"`
	NotifyConsumerIDsChangedEnable bool   `json:"notifyConsumerIdsChangedEnable"`
}

// NewSubscriptionGroupConfig returns the configuration Java auto-creates for
// group: everything enabled, 1 retry queue, 16 retries, read from the master,
// slave 1 when consumption is slow.
func NewSubscriptionGroupConfig(group string) SubscriptionGroupConfig {
	return SubscriptionGroupConfig{
		GroupName:                      group,
		ConsumeEnable:                  true,
		ConsumeFromMinEnable:           true,
		ConsumeBroadcastEnable:         true,
		RetryQueueNums:                 DefaultRetryQueueNums,
		RetryMaxTimes:                  DefaultRetryMaxTimes,
		BrokerID:                       MasterID,
		WhichBrokerWhenConsumeSlowly:   DefaultWhichBrokerWhenConsumeSlowly,
		NotifyConsumerIDsChangedEnable: true,
	}
}

// UnmarshalJSON implements json.Unmarshaler; absent fields keep the
// defaults of NewSubscriptionGroupConfig.
func (s *SubscriptionGroupConfig) UnmarshalJSON(data []byte) error {
	type plain SubscriptionGroupConfig
	p := plain(NewSubscriptionGroupConfig(""))
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*s = SubscriptionGroupConfig(p)
	return nil
}

// SubscriptionGroupWrapper is a broker's group table: the
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) body and subscriptionGroup.json.
type SubscriptionGroupWrapper struct {
	SubscriptionGroupTable map[string]SubscriptionGroupConfig `json:"subscriptionGroupTable"`
	DataVersion            DataVersion                        `json:"dataVersion"`
}

// MarshalJSON implements json.Marshaler; the table is {} when empty.
func (w SubscriptionGroupWrapper) MarshalJSON() ([]byte, error) {
	type plain SubscriptionGroupWrapper
	p := plain(w)
	if p.SubscriptionGroupTable == nil {
		p.SubscriptionGroupTable = map[string]SubscriptionGroupConfig{}
	}
	return appendJSON(nil, p)
}

// ConsumerOffsetSerializeWrapper is a broker's consumer offsets: the
// GET_ALL_CONSUMER_OFFSET (43) body and consumerOffset.json. Java writes
// the inner keys bare ({"T@G":{0:12}}); Quiver writes them quoted, which
// fastjson also reads.
type ConsumerOffsetSerializeWrapper struct {
	// OffsetTable maps "topic@group" to queue id → next offset to consume.
	OffsetTable map[string]map[int32]int64 `json:"offsetTable"`
}

// MarshalJSON implements json.Marshaler; the table is {} when empty.
func (w ConsumerOffsetSerializeWrapper) MarshalJSON() ([]byte, error) {
	type plain ConsumerOffsetSerializeWrapper
	p := plain(w)
	if p.OffsetTable == nil {
		p.OffsetTable = map[string]map[int32]int64{}
	}
	return appendJSON(nil, p)
}

// ResetOffsetBody is the RESET_CONSUMER_CLIENT_OFFSET (220) body, broker →
// client, and the INVOKE_BROKER_TO_RESET_OFFSET (222) response body.
//
// MarshalBody writes fastjson's object-key form, compact with queues in
// sorted order and each offset right after "}:", the only form client-go's
// fallback parser reads:
//
//	{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:100,{"brokerName":"b","queueId":1,"topic":"T"}:7}}
//
// UnmarshalBody also reads gson's [[queue, offset], ...] form.
type ResetOffsetBody struct {
	OffsetTable map[MessageQueue]int64
}

// AppendBody appends the fastjson form described above. (ResetOffsetBody
// has no MarshalJSON on purpose: encoding/json cannot write this form, and a
// standard-JSON form would be misread by client-go.)
func (b ResetOffsetBody) AppendBody(dst []byte) ([]byte, error) {
	dst = append(dst, `{"offsetTable":`...)
	dst, err := appendMQMap(dst, b.OffsetTable)
	return append(dst, '}'), err
}

// UnmarshalJSON implements json.Unmarshaler for the normalized form.
func (b *ResetOffsetBody) UnmarshalJSON(data []byte) error {
	var j struct {
		OffsetTable json.RawMessage `json:"offsetTable"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	m, err := decodeMQMap[int64](j.OffsetTable)
	if err != nil {
		return err
	}
	b.OffsetTable = m
	return nil
}

// QueryCorrectionOffsetBody is the QUERY_CORRECTION_OFFSET (308) response
// body: queue id → corrected offset (Java writes bare int keys).
type QueryCorrectionOffsetBody struct {
	CorrectionOffsets map[int32]int64 `json:"correctionOffsets"`
}

// MarshalJSON implements json.Marshaler; the table is {} when empty.
func (q QueryCorrectionOffsetBody) MarshalJSON() ([]byte, error) {
	type plain QueryCorrectionOffsetBody
	p := plain(q)
	if p.CorrectionOffsets == nil {
		p.CorrectionOffsets = map[int32]int64{}
	}
	return appendJSON(nil, p)
}

// CheckClientRequestBody is the CHECK_CLIENT_CONFIG (46) request body.
type CheckClientRequestBody struct {
	ClientID         string           `json:"clientId"`
	Group            string           `json:"group"`
	SubscriptionData SubscriptionData `json:"subscriptionData"`
}

// CMResult is a consume result in CONSUME_MESSAGE_DIRECTLY's answer
// (CMResult.java). Java writes the enum name; client-go writes its ordinal,
// which UnmarshalJSON maps to the name.
type CMResult string

// CMResult values, in Java's ordinal order.
const (
	CRSuccess        CMResult = "CR_SUCCESS"
	CRLater          CMResult = "CR_LATER"
	CRRollback       CMResult = "CR_ROLLBACK"
	CRCommit         CMResult = "CR_COMMIT"
	CRThrowException CMResult = "CR_THROW_EXCEPTION"
	CRReturnNull     CMResult = "CR_RETURN_NULL"
)

var cmResults = [...]CMResult{CRSuccess, CRLater, CRRollback, CRCommit, CRThrowException, CRReturnNull}

// UnmarshalJSON implements json.Unmarshaler for a name or an ordinal.
func (r *CMResult) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*r = CMResult(s)
		return nil
	}
	if string(data) == "null" {
		*r = ""
		return nil
	}
	n, err := strconv.Atoi(string(data))
	if err != nil || n < 0 || n >= len(cmResults) {
		return fmt.Errorf("protocol: bad consumeResult %s", data)
	}
	*r = cmResults[n]
	return nil
}

// ConsumeMessageDirectlyResult is the CONSUME_MESSAGE_DIRECTLY (309) answer
// body.
type ConsumeMessageDirectlyResult struct {
	Order          bool     `json:"order"`
	AutoCommit     bool     `json:"autoCommit"`
	ConsumeResult  CMResult `json:"consumeResult,omitempty"`
	Remark         string   `json:"remark,omitempty"`
	SpentTimeMills int64    `json:"spentTimeMills"`
}
