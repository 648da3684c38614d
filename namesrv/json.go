package namesrv

// The route body, appended by hand from the table under its read lock: no
// intermediate TopicRouteData, no reflection. The output is byte for byte
// what protocol.MarshalBody writes for the same TopicRouteData when broker
// ids are single digits (encoding/json sorts map keys as strings; here ids
// are in numeric order, master first): compact standard JSON, quoted ids,
// fields in fastjson's sorted order, queueDatas and brokerAddrs always
// present. See protocol/route.go for why client-go needs exactly that.

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/quivermq/quiver/protocol"
)

// appendBrokerData appends {"brokerAddrs":{...},"brokerName":..,"cluster":..}.
func appendBrokerData(dst []byte, name string, b *brokerEntry) []byte {
	var idBuf [8]int64
	ids := idBuf[:0]
	for id := range b.addrs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	dst = append(dst, `{"brokerAddrs":{`...)
	for i, id := range ids {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = strconv.AppendInt(dst, id, 10)
		dst = append(dst, `":`...)
		dst = appendJSONString(dst, b.addrs[id])
	}
	dst = append(dst, `},"brokerName":`...)
	dst = appendJSONString(dst, name)
	dst = append(dst, `,"cluster":`...)
	dst = appendJSONString(dst, b.cluster)
	return append(dst, '}')
}

// appendQueueData appends one queue data object.
func appendQueueData(dst []byte, q *protocol.QueueData) []byte {
	dst = append(dst, `{"brokerName":`...)
	dst = appendJSONString(dst, q.BrokerName)
	dst = append(dst, `,"perm":`...)
	dst = strconv.AppendInt(dst, int64(q.Perm), 10)
	dst = append(dst, `,"readQueueNums":`...)
	dst = strconv.AppendInt(dst, int64(q.ReadQueueNums), 10)
	dst = append(dst, `,"topicSysFlag":`...)
	dst = strconv.AppendInt(dst, int64(q.TopicSysFlag), 10)
	dst = append(dst, `,"writeQueueNums":`...)
	dst = strconv.AppendInt(dst, int64(q.WriteQueueNums), 10)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json does
// without HTML escaping: short escapes for " \ \b \f \n \r \t, \u00XX for
// other control bytes, \u2028 and \u2029 escaped, invalid UTF-8 as U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
