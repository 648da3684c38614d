package protocol

import "math/bits"

// Send headers: the write hot path. Decoding makes one pass over the
// extFields (a later duplicate key wins, as in Java's HashMap), keeps
// strings as views and parses numbers in place: it never allocates on
// success.

// MaxPropertiesLen is the longest properties string a message may carry:
// the stored record gives it a 16-bit length (4.9.4 checks it in
// AbstractSendMessageProcessor and CommitLog).
const MaxPropertiesLen = 32767

// SendMessageRequestHeader is the custom header of a send: SEND_MESSAGE (10)
// and SEND_REPLY_MESSAGE (324) carry it with long names (Encode, Decode);
// SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and SEND_REPLY_MESSAGE_V2
// (325) with the short names a..n (SendMessageRequestHeaderV2). DecodeFor
// picks by request code.
//
// The []byte fields of a decoded header are views of the ExtFields it was
// decoded from, valid as long as those are.
type SendMessageRequestHeader struct {
	ProducerGroup []byte // required
	Topic         []byte // required
	// DefaultTopic is the template topic for auto-creation ("TBW102").
	DefaultTopic []byte // required
	// DefaultTopicQueueNums is the queue count for auto-creation.
	DefaultTopicQueueNums int32 // required
	QueueID               int32 // required
	SysFlag               int32 // required; message sysFlag bits
	BornTimestamp         int64 // required; ms since the epoch
	Flag                  int32 // required; the message's user flag
	// Properties is the message's properties string (name \x01 value \x02
	// ...); empty when absent. Decode refuses more than MaxPropertiesLen.
	Properties []byte
	// ReconsumeTimes is 0 when absent.
	ReconsumeTimes int32
	UnitMode       bool
	// MaxReconsumeTimes is valid when HasMaxReconsumeTimes: the broker
	// uses the group's retry limit otherwise.
	MaxReconsumeTimes    int32
	HasMaxReconsumeTimes bool
	Batch                bool
	// BrokerName is the target broker name of 5.x clients (long name
	// "bname", short name "n"); nil when absent.
	BrokerName []byte
}

// SendMessageRequestHeaderV2 is SendMessageRequestHeader with the short
// field names of SendMessageRequestHeaderV2.java. Convert a pointer to use
// it: (*SendMessageRequestHeaderV2)(h).
type SendMessageRequestHeaderV2 SendMessageRequestHeader

// Field indexes, in the order of the short names a..n.
const (
	sendProducerGroup = iota
	sendTopic
	sendDefaultTopic
	sendDefaultTopicQueueNums
	sendQueueID
	sendSysFlag
	sendBornTimestamp
	sendFlag
	sendProperties
	sendReconsumeTimes
	sendUnitMode
	sendMaxReconsumeTimes
	sendBatch
	sendBrokerName
	sendFieldCount
)

// sendRequired are the @CFNotNull fields of SendMessageRequestHeader.java.
const sendRequired = 1<<sendProducerGroup | 1<<sendTopic | 1<<sendDefaultTopic |
	1<<sendDefaultTopicQueueNums | 1<<sendQueueID | 1<<sendSysFlag |
	1<<sendBornTimestamp | 1<<sendFlag

var sendLongNames = [sendFieldCount]string{
	"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId",
	"sysFlag", "bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode",
	"maxReconsumeTimes", "batch", "bname",
}

var sendShortNames = [sendFieldCount]string{
	"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
}

// sendLongField returns the index of a long field name, or -1. It
// switches on the length first (most lengths have one candidate) so that
// each name costs one comparison with a constant.
func sendLongField(k []byte) int {
	switch len(k) {
	case 4:
		if string(k) == "flag" {
			return sendFlag
		}
	case 5:
		switch string(k) {
		case "topic":
			return sendTopic
		case "batch":
			return sendBatch
		case "bname":
			return sendBrokerName
		}
	case 7:
		switch string(k) {
		case "queueId":
			return sendQueueID
		case "sysFlag":
			return sendSysFlag
		}
	case 8:
		if string(k) == "unitMode" {
			return sendUnitMode
		}
	case 10:
		if string(k) == "properties" {
			return sendProperties
		}
	case 12:
		if string(k) == "defaultTopic" {
			return sendDefaultTopic
		}
	case 13:
		switch string(k) {
		case "producerGroup":
			return sendProducerGroup
		case "bornTimestamp":
			return sendBornTimestamp
		}
	case 14:
		if string(k) == "reconsumeTimes" {
			return sendReconsumeTimes
		}
	case 17:
		if string(k) == "maxReconsumeTimes" {
			return sendMaxReconsumeTimes
		}
	case 21:
		if string(k) == "defaultTopicQueueNums" {
			return sendDefaultTopicQueueNums
		}
	}
	return -1
}

// Encode adds h's fields under their long names.
func (h *SendMessageRequestHeader) Encode(e *ExtFields) { h.encode(e, &sendLongNames) }

// Decode reads h from its long names.
func (h *SendMessageRequestHeader) Decode(e *ExtFields) error {
	var vals [sendFieldCount][]byte
	var seen uint32
	for i := range e.kv {
		if f := sendLongField(e.kv[i].key); f >= 0 {
			vals[f] = e.kv[i].val
			seen |= 1 << f
		}
	}
	return h.set(&vals, seen, &sendLongNames)
}

// Encode adds h's fields under their short names.
func (h *SendMessageRequestHeaderV2) Encode(e *ExtFields) {
	(*SendMessageRequestHeader)(h).encode(e, &sendShortNames)
}

// Decode reads h from its short names.
func (h *SendMessageRequestHeaderV2) Decode(e *ExtFields) error {
	var vals [sendFieldCount][]byte
	var seen uint32
	for i := range e.kv {
		if k := e.kv[i].key; len(k) == 1 && k[0]-'a' < sendFieldCount {
			f := k[0] - 'a'
			vals[f] = e.kv[i].val
			seen |= 1 << f
		}
	}
	return (*SendMessageRequestHeader)(h).set(&vals, seen, &sendShortNames)
}

// SendUsesShortNames reports whether the send request code carries
// SendMessageRequestHeaderV2 (short names).
func SendUsesShortNames(code RequestCode) bool {
	return code == SendMessageV2 || code == SendBatchMessage || code == SendReplyMessageV2
}

// DecodeFor decodes h from the names the request code uses: short for
// SEND_MESSAGE_V2, SEND_BATCH_MESSAGE and SEND_REPLY_MESSAGE_V2, long for
// the rest (SEND_MESSAGE, SEND_REPLY_MESSAGE).
func (h *SendMessageRequestHeader) DecodeFor(code RequestCode, e *ExtFields) error {
	if SendUsesShortNames(code) {
		return (*SendMessageRequestHeaderV2)(h).Decode(e)
	}
	return h.Decode(e)
}

// EncodeFor encodes h with the names the request code uses (see
// DecodeFor).
func (h *SendMessageRequestHeader) EncodeFor(code RequestCode, e *ExtFields) {
	if SendUsesShortNames(code) {
		(*SendMessageRequestHeaderV2)(h).Encode(e)
		return
	}
	h.Encode(e)
}

// encode adds the fields as client-go and Java do: the nullable ones
// properties, reconsumeTimes, unitMode and batch always, maxReconsumeTimes
// when set, the broker name when not empty.
func (h *SendMessageRequestHeader) encode(e *ExtFields, names *[sendFieldCount]string) {
	e.Add(names[sendProducerGroup], h.ProducerGroup)
	e.Add(names[sendTopic], h.Topic)
	e.Add(names[sendDefaultTopic], h.DefaultTopic)
	e.AddInt(names[sendDefaultTopicQueueNums], int64(h.DefaultTopicQueueNums))
	e.AddInt(names[sendQueueID], int64(h.QueueID))
	e.AddInt(names[sendSysFlag], int64(h.SysFlag))
	e.AddInt(names[sendBornTimestamp], h.BornTimestamp)
	e.AddInt(names[sendFlag], int64(h.Flag))
	e.Add(names[sendProperties], h.Properties)
	e.AddInt(names[sendReconsumeTimes], int64(h.ReconsumeTimes))
	e.AddBool(names[sendUnitMode], h.UnitMode)
	if h.HasMaxReconsumeTimes {
		e.AddInt(names[sendMaxReconsumeTimes], int64(h.MaxReconsumeTimes))
	}
	e.AddBool(names[sendBatch], h.Batch)
	if len(h.BrokerName) > 0 {
		e.Add(names[sendBrokerName], h.BrokerName)
	}
}

// set assigns every field of h from the values one pass over the
// ExtFields collected; seen has bit f set when field f was present.
func (h *SendMessageRequestHeader) set(v *[sendFieldCount][]byte, seen uint32, names *[sendFieldCount]string) error {
	if missing := sendRequired &^ seen; missing != 0 {
		return missingField(names[bits.TrailingZeros32(missing)])
	}
	var err error
	h.ProducerGroup = v[sendProducerGroup]
	h.Topic = v[sendTopic]
	h.DefaultTopic = v[sendDefaultTopic]
	h.DefaultTopicQueueNums = int32Field(v[sendDefaultTopicQueueNums], names[sendDefaultTopicQueueNums], &err)
	h.QueueID = int32Field(v[sendQueueID], names[sendQueueID], &err)
	h.SysFlag = int32Field(v[sendSysFlag], names[sendSysFlag], &err)
	h.BornTimestamp = int64Field(v[sendBornTimestamp], names[sendBornTimestamp], &err)
	h.Flag = int32Field(v[sendFlag], names[sendFlag], &err)
	h.Properties = v[sendProperties]
	h.ReconsumeTimes = 0
	if seen&(1<<sendReconsumeTimes) != 0 {
		h.ReconsumeTimes = int32Field(v[sendReconsumeTimes], names[sendReconsumeTimes], &err)
	}
	h.UnitMode = parseBool(v[sendUnitMode])
	h.HasMaxReconsumeTimes = seen&(1<<sendMaxReconsumeTimes) != 0
	h.MaxReconsumeTimes = 0
	if h.HasMaxReconsumeTimes {
		h.MaxReconsumeTimes = int32Field(v[sendMaxReconsumeTimes], names[sendMaxReconsumeTimes], &err)
	}
	h.Batch = parseBool(v[sendBatch])
	h.BrokerName = v[sendBrokerName]
	if err != nil {
		return err
	}
	if len(h.Properties) > MaxPropertiesLen {
		return &Error{Code: MessageIllegal, Remark: "the message properties length exceeds 32767 bytes"}
	}
	return nil
}

// int32Field parses an int field as Java's Integer.parseInt does; a
// malformed value records the first error in *err and reads as 0. Small
// enough to inline, with a fast path for the one-digit values most header
// fields carry.
func int32Field(v []byte, name string, err *error) int32 {
	if len(v) == 1 && v[0]-'0' < 10 {
		return int32(v[0] - '0')
	}
	return int32FieldSlow(v, name, err)
}

// int64Field is int32Field for long fields (Long.parseLong).
func int64Field(v []byte, name string, err *error) int64 {
	if len(v) == 1 && v[0]-'0' < 10 {
		return int64(v[0] - '0')
	}
	return int64FieldSlow(v, name, err)
}

func int32FieldSlow(v []byte, name string, err *error) int32 {
	n, ok := javaInt(v, 32)
	if !ok && *err == nil {
		*err = badField(name, "int", v)
	}
	return int32(n)
}

func int64FieldSlow(v []byte, name string, err *error) int64 {
	n, ok := javaInt(v, 64)
	if !ok && *err == nil {
		*err = badField(name, "long", v)
	}
	return n
}

// javaInt parses a decimal integer of the given bit size (32 or 64) as
// Java's Integer.parseInt and Long.parseLong do over ASCII: an optional
// sign, then digits, nothing else. Values of up to 19 digits (all but
// those with leading zeros) take a loop without overflow checks.
func javaInt(b []byte, bits uint) (int64, bool) {
	d := b
	neg := false
	if len(d) > 0 && (d[0] == '-' || d[0] == '+') {
		neg = d[0] == '-'
		d = d[1:]
	}
	if len(d) == 0 {
		return 0, false
	}
	for len(d) > 19 && d[0] == '0' {
		d = d[1:]
	}
	if len(d) > 19 {
		return 0, false
	}
	var u uint64 // < 10^19: cannot overflow
	for _, c := range d {
		c -= '0'
		if c > 9 {
			return 0, false
		}
		u = u*10 + uint64(c)
	}
	limit := uint64(1) << (bits - 1) // |min|; max is limit-1
	if neg {
		if u > limit {
			return 0, false
		}
		return int64(-u), true // -2^63 wraps to itself
	}
	if u >= limit {
		return 0, false
	}
	return int64(u), true
}

// Keys of the send response's extra fields (MessageConst.java).
const (
	// PropertyMsgRegion is the broker's region id in a send response.
	PropertyMsgRegion = "MSG_REGION"
	// PropertyTraceSwitch is the broker's trace switch in a send response.
	PropertyTraceSwitch = "TRACE_ON"
)

// SendMessageResponseHeader is the custom header of a send's response,
// with the two fields Java's send processors add beside it.
type SendMessageResponseHeader struct {
	// MsgID is the offset message id (store host and commit-log offset as
	// hex); a batch joins its ids with commas. Required.
	MsgID []byte
	// QueueID and QueueOffset place the (first) message. Required.
	QueueID     int32
	QueueOffset int64
	// TransactionID is optional; nil when absent.
	TransactionID []byte
	// MsgRegion is the broker's region (MSG_REGION, Java's default
	// "DefaultRegion"); nil when absent, and not sent when empty.
	MsgRegion []byte
	// TraceOn is the broker's trace switch (TRACE_ON), always sent. A
	// response without it decodes as true, as Java's client reads it.
	TraceOn bool
}

// Encode adds h's fields. NB: on this hot path the byte fields (MsgID,
// TransactionID, MsgRegion) are referenced, not copied: keep them unchanged
// until the command has been encoded (netio's Reply encodes at once).
func (h *SendMessageResponseHeader) Encode(e *ExtFields) {
	e.AddView(keyView("msgId"), h.MsgID)
	e.addPlainInt("queueId", int64(h.QueueID))
	e.addPlainInt("queueOffset", h.QueueOffset)
	if len(h.TransactionID) > 0 {
		e.AddView(keyView("transactionId"), h.TransactionID)
	}
	if len(h.MsgRegion) > 0 {
		e.AddView(keyView(PropertyMsgRegion), h.MsgRegion)
	}
	e.addPlainBool(PropertyTraceSwitch, h.TraceOn)
}

// Decode reads h.
func (h *SendMessageResponseHeader) Decode(e *ExtFields) error {
	const (
		fMsgID = 1 << iota
		fQueueID
		fQueueOffset
	)
	var qid, qoff, trace []byte
	var seen int
	h.MsgID, h.TransactionID, h.MsgRegion = nil, nil, nil
	for i := range e.kv {
		v := e.kv[i].val
		switch string(e.kv[i].key) {
		case "msgId":
			h.MsgID = v
			seen |= fMsgID
		case "queueId":
			qid = v
			seen |= fQueueID
		case "queueOffset":
			qoff = v
			seen |= fQueueOffset
		case "transactionId":
			h.TransactionID = v
		case PropertyMsgRegion:
			h.MsgRegion = v
		case PropertyTraceSwitch:
			trace = v
		}
	}
	switch {
	case seen&fMsgID == 0:
		return missingField("msgId")
	case seen&fQueueID == 0:
		return missingField("queueId")
	case seen&fQueueOffset == 0:
		return missingField("queueOffset")
	}
	var err error
	h.QueueID = int32Field(qid, "queueId", &err)
	h.QueueOffset = int64Field(qoff, "queueOffset", &err)
	h.TraceOn = string(trace) != "false"
	return err
}
