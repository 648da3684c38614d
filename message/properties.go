package message

import (
	"bytes"
	"iter"
	"strings"
)

// Separators of the properties string. Format, never change.
const (
	NameValueSeparator byte = 0x01 // between a key and its value
	PropertySeparator  byte = 0x02 // after each value

	// KeySeparator separates the keys inside the KEYS property.
	KeySeparator = " "
)

// Well-known property keys (Java MessageConst, client-go primitive).
const (
	PropertyKeys                           = "KEYS" // business keys, KeySeparator-separated; indexed
	PropertyTags                           = "TAGS" // tag; hashed into the consume queue
	PropertyWaitStoreMsgOK                 = "WAIT" // "false": answer before flush; absent means true
	PropertyDelayTimeLevel                 = "DELAY"
	PropertyRetryTopic                     = "RETRY_TOPIC"
	PropertyRealTopic                      = "REAL_TOPIC"
	PropertyRealQueueID                    = "REAL_QID"
	PropertyTransactionPrepared            = "TRAN_MSG"
	PropertyProducerGroup                  = "PGROUP"
	PropertyMinOffset                      = "MIN_OFFSET"
	PropertyMaxOffset                      = "MAX_OFFSET"
	PropertyBuyerID                        = "BUYER_ID"
	PropertyOriginMessageID                = "ORIGIN_MESSAGE_ID"
	PropertyTransferFlag                   = "TRANSFER_FLAG"
	PropertyCorrectionFlag                 = "CORRECTION_FLAG"
	PropertyMQ2Flag                        = "MQ2_FLAG"
	PropertyReconsumeTime                  = "RECONSUME_TIME"
	PropertyMsgRegion                      = "MSG_REGION"
	PropertyTraceSwitch                    = "TRACE_ON"
	PropertyUniqKey                        = "UNIQ_KEY" // client message id
	PropertyExtendUniqInfo                 = "EXTEND_UNIQ_INFO"
	PropertyMaxReconsumeTimes              = "MAX_RECONSUME_TIMES"
	PropertyConsumeStartTime               = "CONSUME_START_TIME"
	PropertyTransactionPreparedQueueOffset = "TRAN_PREPARED_QUEUE_OFFSET"
	PropertyTransactionCheckTimes          = "TRANSACTION_CHECK_TIMES"
	PropertyCheckImmunityTimeInSeconds     = "CHECK_IMMUNITY_TIME_IN_SECONDS"
	PropertyInstanceID                     = "INSTANCE_ID"
	PropertyTransactionID                  = "__transactionId__"
	PropertyCorrelationID                  = "CORRELATION_ID"
	PropertyReplyToClient                  = "REPLY_TO_CLIENT"
	PropertyTTL                            = "TTL"
	PropertyArriveTime                     = "ARRIVE_TIME"
	PropertyPushReplyTime                  = "PUSH_REPLY_TIME"
	PropertyCluster                        = "CLUSTER"
	PropertyMsgType                        = "MSG_TYPE"
	PropertyShardingKey                    = "SHARDING_KEY" // client-go; Java 5.x uses PropertyShardingKeyV5
	PropertyInnerMultiDispatch             = "INNER_MULTI_DISPATCH"
	PropertyInnerMultiQueueOffset          = "INNER_MULTI_QUEUE_OFFSET"

	// 5.x keys.
	PropertyShardingKeyV5      = "__SHARDINGKEY"
	PropertyTimerDeliverMS     = "TIMER_DELIVER_MS"
	PropertyTimerDelaySec      = "TIMER_DELAY_SEC"
	PropertyTimerDelayMS       = "TIMER_DELAY_MS"
	PropertyTimerEnqueueMS     = "TIMER_ENQUEUE_MS"
	PropertyTimerDequeueMS     = "TIMER_DEQUEUE_MS"
	PropertyTimerRollTimes     = "TIMER_ROLL_TIMES"
	PropertyTimerOutMS         = "TIMER_OUT_MS"
	PropertyTimerDelUniqKey    = "TIMER_DEL_UNIQKEY"
	PropertyTimerDelayLevel    = "TIMER_DELAY_LEVEL"
	PropertyDLQOriginTopic     = "DLQ_ORIGIN_TOPIC"
	PropertyDLQOriginMessageID = "DLQ_ORIGIN_MESSAGE_ID"
	PropertyPopCK              = "POP_CK"
	PropertyPopCKOffset        = "POP_CK_OFFSET"
	PropertyFirstPopTime       = "1ST_POP_TIME"
	PropertyBornHost           = "__BORNHOST"
	PropertyBornTimestamp      = "BORN_TIMESTAMP"
	PropertyCRC32              = "__CRC32#"
	PropertyTraceContext       = "TRACE_CONTEXT"

	// PropertyStartDeliverTime is the Alibaba Cloud (ONS) timer property.
	// Apache RocketMQ does not schedule by it.
	PropertyStartDeliverTime = "__STARTDELIVERTIME"
)

// ByteString is satisfied by string and []byte. The property, id and hash
// helpers take it so callers pass either form without a conversion (and its
// allocation).
type ByteString interface{ ~string | ~[]byte }

// AppendProperty appends one pair, key 0x01 value 0x02, to dst.
//
// It does not validate: use CheckProperty on untrusted input. A pair with an
// empty key or value is dropped by every reader, and a key holding either
// separator, or a value holding 0x02, corrupts the string.
func AppendProperty[K, V ByteString](dst []byte, key K, value V) []byte {
	dst = append(dst, key...)
	dst = append(dst, NameValueSeparator)
	dst = append(dst, value...)
	return append(dst, PropertySeparator)
}

// CheckProperty returns ErrInvalidProperty when key or value is empty, key
// holds a separator, or value holds PropertySeparator. (A value may hold
// 0x01: Java splits a pair at its first 0x01. client-go drops such pairs.)
func CheckProperty[K, V ByteString](key K, value V) error {
	if len(key) == 0 || len(value) == 0 {
		return ErrInvalidProperty
	}
	for i := 0; i < len(key); i++ {
		if key[i] == NameValueSeparator || key[i] == PropertySeparator {
			return ErrInvalidProperty
		}
	}
	for i := 0; i < len(value); i++ {
		if value[i] == PropertySeparator {
			return ErrInvalidProperty
		}
	}
	return nil
}

// nextProperty parses the pair starting at props[off:] with Java's rules
// (MessageDecoder.string2messageProperties): the segment runs to the next
// 0x02 or the end, splits at its first 0x01, and is skipped when the key or
// the value is empty. It returns the pair, the offset after the segment,
// and ok=false for a skipped segment.
func nextProperty(props []byte, off int) (key, value []byte, next int, ok bool) {
	seg := props[off:]
	end := bytes.IndexByte(seg, PropertySeparator)
	if end < 0 {
		end = len(seg)
		next = len(props)
	} else {
		next = off + end + 1
	}
	seg = seg[:end:end]
	kv := bytes.IndexByte(seg, NameValueSeparator)
	if kv <= 0 || kv == len(seg)-1 {
		return nil, nil, next, false
	}
	return seg[:kv:kv], seg[kv+1:], next, true
}

// Property looks key up in a properties string the way the Java broker
// does: it keeps what string2messageProperties keeps and, as that fills a
// HashMap, the last of duplicate keys wins. Keys compare as raw bytes. It
// scans without building a map and does not allocate; the value aliases
// props.
func Property(props []byte, key string) (value []byte, ok bool) {
	if len(key) == 0 || strings.IndexByte(key, NameValueSeparator) >= 0 || strings.IndexByte(key, PropertySeparator) >= 0 {
		return nil, false // no pair Java keeps can have this key
	}
	// Only a segment that starts with key 0x01 can hold the pair: key holds
	// no 0x01, so that 0x01 is the segment's first.
	for i := 0; i < len(props); {
		end := bytes.IndexByte(props[i:], PropertySeparator)
		if end < 0 {
			end = len(props)
		} else {
			end += i
		}
		if v := i + len(key) + 1; v < end && props[v-1] == NameValueSeparator && string(props[i:v-1]) == key {
			value, ok = props[v:end:end], true
		}
		i = end + 1
	}
	return value, ok
}

// DispatchProperties returns the TAGS, KEYS and UNIQ_KEY values of props,
// each as Property finds it (the last pair wins, nil when absent), in one
// pass: the dispatcher needs all three for every record.
//
// NB: it splits segments as nextProperty does but tests the three keys'
// lengths instead of searching each segment for 0x01: 43 ns per record
// against 85 ns written with nextProperty (BenchmarkDispatchProperties).
func DispatchProperties(props []byte) (tags, keys, uniq []byte) {
	for i := 0; i < len(props); {
		end := bytes.IndexByte(props[i:], PropertySeparator)
		if end < 0 {
			end = len(props)
		} else {
			end += i
		}
		// A pair is key 0x01 value with neither empty; the key, holding no
		// 0x01, ends at the segment's first. TAGS and KEYS are both 4
		// bytes long, so one case tests for either.
		seg := props[i:end:end]
		switch {
		case len(seg) > len(PropertyTags)+1 && seg[len(PropertyTags)] == NameValueSeparator:
			switch string(seg[:len(PropertyTags)]) {
			case PropertyTags:
				tags = seg[len(PropertyTags)+1:]
			case PropertyKeys:
				keys = seg[len(PropertyKeys)+1:]
			}
		case len(seg) > len(PropertyUniqKey)+1 && seg[len(PropertyUniqKey)] == NameValueSeparator &&
			string(seg[:len(PropertyUniqKey)]) == PropertyUniqKey:
			uniq = seg[len(PropertyUniqKey)+1:]
		}
		i = end + 1
	}
	return tags, keys, uniq
}

// HasProperty reports whether Property(props, key) would find key.
func HasProperty(props []byte, key string) bool {
	_, ok := Property(props, key)
	return ok
}

// PropertyIter yields the pairs of a properties string in order, as Java's
// parser keeps them: segments with an empty key or value are skipped and
// duplicates are yielded as they come (a map built from them keeps the
// last). Keys and values alias the string. The zero value yields nothing.
type PropertyIter struct {
	props []byte
	off   int
}

// NewPropertyIter returns an iterator over props.
func NewPropertyIter(props []byte) PropertyIter { return PropertyIter{props: props} }

// Next returns the next pair, or ok=false at the end.
func (it *PropertyIter) Next() (key, value []byte, ok bool) {
	for it.off < len(it.props) {
		k, v, next, good := nextProperty(it.props, it.off)
		it.off = next
		if good {
			return k, v, true
		}
	}
	return nil, nil, false
}

// AllProperties returns a range-over-func view of the pairs PropertyIter
// yields.
func AllProperties(props []byte) iter.Seq2[[]byte, []byte] {
	return func(yield func(k, v []byte) bool) {
		it := NewPropertyIter(props)
		for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
			if !yield(k, v) {
				return
			}
		}
	}
}

// AppendPropertiesExcept appends to dst the pairs of props whose key is not
// in drop, each rewritten as key 0x01 value 0x02 (segments Java would skip
// are dropped too). The broker uses it to strip WAIT and the like before
// storing. props and dst must not overlap.
func AppendPropertiesExcept(dst, props []byte, drop ...string) []byte {
	it := NewPropertyIter(props)
next:
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		for _, d := range drop {
			if string(k) == d {
				continue next
			}
		}
		dst = AppendProperty(dst, k, v)
	}
	return dst
}

// AppendPropertiesWith appends props to dst with key set to value: every
// pair for key is removed and one key=value pair appended at the end. The
// result reads like a map with key replaced. props and dst must not
// overlap.
func AppendPropertiesWith[V ByteString](dst, props []byte, key string, value V) []byte {
	dst = AppendPropertiesExcept(dst, props, key)
	return AppendProperty(dst, key, value)
}

// JoinProperties appends to dst the properties a, then b, inserting a
// PropertySeparator between them when a is not empty and does not end with
// one. This is how the Java broker adds a batch's properties to each item.
func JoinProperties(dst, a, b []byte) []byte {
	dst = append(dst, a...)
	if len(a) > 0 && len(b) > 0 && a[len(a)-1] != PropertySeparator {
		dst = append(dst, PropertySeparator)
	}
	return append(dst, b...)
}
