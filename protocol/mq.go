package protocol

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// MessageQueue names one queue of a topic on one broker (Java MessageQueue).
// Its JSON is {"brokerName":..,"queueId":..,"topic":..}, fields in fastjson's
// sorted order.
type MessageQueue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
}

// AppendJSON appends q's compact JSON to dst.
func (q MessageQueue) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"brokerName":`...)
	dst = appendJSONString(dst, []byte(q.BrokerName))
	dst = append(dst, `,"queueId":`...)
	dst = strconv.AppendInt(dst, int64(q.QueueID), 10)
	dst = append(dst, `,"topic":`...)
	dst = appendJSONString(dst, []byte(q.Topic))
	return append(dst, '}')
}

// MarshalJSON implements json.Marshaler with fastjson's field order.
func (q MessageQueue) MarshalJSON() ([]byte, error) { return q.AppendJSON(nil), nil }

// Compare orders queues by topic, broker name, then queue id.
func (q MessageQueue) Compare(o MessageQueue) int {
	if c := cmp.Compare(q.Topic, o.Topic); c != 0 {
		return c
	}
	if c := cmp.Compare(q.BrokerName, o.BrokerName); c != 0 {
		return c
	}
	return cmp.Compare(q.QueueID, o.QueueID)
}

// String returns the Java toString form.
func (q MessageQueue) String() string {
	return "MessageQueue [topic=" + q.Topic + ", brokerName=" + q.BrokerName + ", queueId=" + strconv.Itoa(int(q.QueueID)) + "]"
}

// appendMQMap appends m as a JSON object keyed by MessageQueue in
// fastjson's form, the keys being the queues' JSON objects themselves
// ({{"brokerName":..,"queueId":..,"topic":..}:v,...}): what Java and
// client-go read. Entries are sorted by key; the output is compact.
func appendMQMap[V any](dst []byte, m map[MessageQueue]V) ([]byte, error) {
	keys := make([]MessageQueue, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, MessageQueue.Compare)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = k.AppendJSON(dst)
		dst = append(dst, ':')
		var err error
		if dst, err = appendJSON(dst, m[k]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// decodeMQMap decodes a MessageQueue-keyed map from its normalized form
// (string keys holding a queue's JSON, see normalizeFastJSON) or from gson's
// form, an array of [queue, value] pairs. null gives a nil map.
func decodeMQMap[V any](raw json.RawMessage) (map[MessageQueue]V, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		var pairs []json.RawMessage
		if err := json.Unmarshal(raw, &pairs); err != nil {
			return nil, err
		}
		m := make(map[MessageQueue]V, len(pairs))
		for _, p := range pairs {
			var kv []json.RawMessage
			if err := json.Unmarshal(p, &kv); err != nil {
				return nil, err
			}
			if len(kv) != 2 {
				return nil, fmt.Errorf("protocol: message queue map entry %s is not a [queue, value] pair", p)
			}
			var k MessageQueue
			var v V
			if err := json.Unmarshal(kv[0], &k); err != nil {
				return nil, err
			}
			if err := json.Unmarshal(kv[1], &v); err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	}
	var byText map[string]V
	if err := json.Unmarshal(raw, &byText); err != nil {
		return nil, err
	}
	m := make(map[MessageQueue]V, len(byText))
	for text, v := range byText {
		var k MessageQueue
		if err := json.Unmarshal([]byte(text), &k); err != nil {
			return nil, fmt.Errorf("protocol: message queue key %q: %w", text, err)
		}
		m[k] = v
	}
	return m, nil
}
