package protocol

// HEART_BEAT (34) body and the subscription types it carries (4.9.4
// protocol/heartbeat). client-go's form, which Quiver must read:
//
//	{"clientID":"10.0.0.1@1234",
//	 "producerDataSet":[{"groupName":"PG"}],
//	 "consumerDataSet":[{"groupName":"CG","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",
//	   "consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","unitMode":false,
//	   "subscriptionDataSet":[{"classFilterMode":false,"topic":"TopicA","subString":"tagA || tagB",
//	     "tagsSet":["tagA","tagB"],"codeSet":["3552231","3552232"],
//	     "subVersion":1650000000000000000,"expressionType":"TAG"}]}]}
//
// client-go writes codeSet as strings and subVersion in nanoseconds; Java
// writes numbers and milliseconds. Unknown keys (5.x heartbeatFingerprint,
// isWithoutSub, ...) are ignored. Tag codes from a client are not to be
// trusted (client-go hashes UTF-8, Java UTF-16): recompute them from TagsSet.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Values of ConsumerData.ConsumeType (ConsumeType.java).
const (
	ConsumeActively  = "CONSUME_ACTIVELY"  // pull consumer
	ConsumePassively = "CONSUME_PASSIVELY" // push consumer
)

// Values of ConsumerData.MessageModel (MessageModel.java).
const (
	MessageModelClustering   = "CLUSTERING"
	MessageModelBroadcasting = "BROADCASTING"
)

// Values of ConsumerData.ConsumeFromWhere (ConsumeFromWhere.java; the
// deprecated ones included).
const (
	ConsumeFromLastOffset                   = "CONSUME_FROM_LAST_OFFSET"
	ConsumeFromFirstOffset                  = "CONSUME_FROM_FIRST_OFFSET"
	ConsumeFromTimestamp                    = "CONSUME_FROM_TIMESTAMP"
	ConsumeFromLastOffsetAndFromMinWhenBoot = "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST"
	ConsumeFromMinOffset                    = "CONSUME_FROM_MIN_OFFSET"
	ConsumeFromMaxOffset                    = "CONSUME_FROM_MAX_OFFSET"
)

// Values of SubscriptionData.ExpressionType (ExpressionType.java). Java
// treats "" like ExpressionTag.
const (
	ExpressionTag   = "TAG"
	ExpressionSQL92 = "SQL92"
)

// SubAll is the subscription expression that matches every tag.
const SubAll = "*"

// HeartbeatData is the HEART_BEAT body.
type HeartbeatData struct {
	ClientID        string         `json:"clientID"`
	ProducerDataSet []ProducerData `json:"producerDataSet"`
	ConsumerDataSet []ConsumerData `json:"consumerDataSet"`
}

// ProducerData is one producer group of a client.
type ProducerData struct {
	GroupName string `json:"groupName"`
}

// ConsumerData is one consumer group of a client and its subscriptions.
type ConsumerData struct {
	GroupName           string             `json:"groupName"`
	ConsumeType         string             `json:"consumeType"`
	MessageModel        string             `json:"messageModel"`
	ConsumeFromWhere    string             `json:"consumeFromWhere"`
	SubscriptionDataSet []SubscriptionData `json:"subscriptionDataSet"`
	UnitMode            bool               `json:"unitMode"`
}

// SubscriptionData is one topic subscription of a consumer group.
type SubscriptionData struct {
	ClassFilterMode bool     `json:"classFilterMode"`
	Topic           string   `json:"topic"`
	SubString       string   `json:"subString"`
	TagsSet         []string `json:"tagsSet"`
	CodeSet         CodeSet  `json:"codeSet"`
	// SubVersion orders subscriptions of a group: a larger one replaces a
	// smaller. Java sends milliseconds, client-go nanoseconds.
	SubVersion     int64  `json:"subVersion"`
	ExpressionType string `json:"expressionType"`
	// FilterClassSource is Java's obsolete class-filter source; "" if none.
	FilterClassSource string `json:"filterClassSource,omitempty"`
}

// MarshalJSON implements json.Marshaler: TagsSet and CodeSet are [] when
// empty, as Java writes them.
func (s SubscriptionData) MarshalJSON() ([]byte, error) {
	type plain SubscriptionData
	p := plain(s)
	if p.TagsSet == nil {
		p.TagsSet = []string{}
	}
	if p.CodeSet == nil {
		p.CodeSet = CodeSet{}
	}
	return appendJSON(nil, p)
}

// MarshalJSON implements json.Marshaler: the sets are [] when empty.
func (c ConsumerData) MarshalJSON() ([]byte, error) {
	type plain ConsumerData
	p := plain(c)
	if p.SubscriptionDataSet == nil {
		p.SubscriptionDataSet = []SubscriptionData{}
	}
	return appendJSON(nil, p)
}

// MarshalJSON implements json.Marshaler: the sets are [] when empty.
func (h HeartbeatData) MarshalJSON() ([]byte, error) {
	type plain HeartbeatData
	p := plain(h)
	if p.ProducerDataSet == nil {
		p.ProducerDataSet = []ProducerData{}
	}
	if p.ConsumerDataSet == nil {
		p.ConsumerDataSet = []ConsumerData{}
	}
	return appendJSON(nil, p)
}

// CodeSet is a subscription's tag hash codes. It decodes from JSON numbers
// (Java) or decimal strings (client-go) and encodes as numbers.
type CodeSet []int32

// UnmarshalJSON implements json.Unmarshaler.
func (c *CodeSet) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		*c = nil
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return err
	}
	out := make(CodeSet, 0, len(items))
	for _, it := range items {
		it = bytes.TrimSpace(it)
		if len(it) > 0 && it[0] == '"' {
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return err
			}
			it = []byte(s)
		}
		n, err := strconv.ParseInt(string(it), 10, 32)
		if err != nil {
			return fmt.Errorf("protocol: codeSet entry %s is not an int32", it)
		}
		out = append(out, int32(n))
	}
	*c = out
	return nil
}
