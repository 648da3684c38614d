package protocol

// Compatibility with the JSON that Java's fastjson writes for RocketMQ
// bodies, which is not always JSON (apache/rocketmq issues #1445, #1506,
// #3369, #3389):
//
//	Map<Long,String>          {0:"10.0.0.1:10911",1:"10.0.0.2:10911"}
//	Map<MessageQueue,Long>    {{"brokerName":"b","queueId":0,"topic":"T"}:100}
//
// normalizeFastJSON rewrites both into standard JSON by turning every object
// key that is not a string into a string: a bare token is quoted as is
// ({"0":...}), and an object or array key becomes a string holding its
// (normalized) JSON text ({"{\"brokerName\":\"b\",...}":100}). Bodies with
// MessageQueue keys then decode with encoding/json into map[string]V and
// parse each key as a MessageQueue (see decodeMQMap).
//
// Encoding goes the other way only where a peer needs it: Quiver writes
// standard JSON with quoted numeric keys everywhere, and the fastjson
// object-key form only for maps keyed by MessageQueue, whose readers
// (client-go's reset-offset parser, Java's fastjson) expect it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// errFastJSON reports text that even the fastjson dialect does not allow.
var errFastJSON = errors.New("protocol: malformed JSON body")

// maxJSONDepth bounds nesting while normalizing, as encoding/json does.
const maxJSONDepth = 10000

// normalizeFastJSON returns src with every non-string object key turned into
// a JSON string. It returns src itself when nothing needed rewriting. It only
// checks what it must to find keys; encoding/json validates the result.
func normalizeFastJSON(src []byte) ([]byte, error) {
	return normalizeFastJSONKeys(src, 0)
}

// maxKeyNesting bounds object keys inside object keys; each level rescans
// its key, so the bound keeps normalizing linear. MessageQueue keys need 1.
const maxKeyNesting = 2

func normalizeFastJSONKeys(src []byte, keyDepth int) ([]byte, error) {
	n := fastJSONNormalizer{src: src, keyDepth: keyDepth}
	if err := n.run(); err != nil {
		return nil, err
	}
	if n.out == nil {
		return src, nil
	}
	return append(n.out, src[n.done:]...), nil
}

type fastJSONNormalizer struct {
	src  []byte
	pos  int
	out  []byte // nil until the first rewrite
	done int    // src[:done] has been copied to out (or needs no copy)
	// keyDepth counts the object keys that enclose src.
	keyDepth int
}

// stack entries: '{' expecting a key, ':' expecting a value in an object,
// '[' in an array.
func (n *fastJSONNormalizer) run() error {
	var stack []byte
	expectKey := false
	for n.pos < len(n.src) {
		c := n.src[n.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			n.pos++
		case c == '"':
			end, err := skipString(n.src, n.pos)
			if err != nil {
				return err
			}
			n.pos = end
			expectKey = false
		case expectKey && c == '}':
			// empty object, or a trailing comma that json will reject
			stack = stack[:len(stack)-1]
			n.pos++
			expectKey = false
		case expectKey:
			if err := n.rewriteKey(); err != nil {
				return err
			}
			expectKey = false
		case c == '{':
			if len(stack) >= maxJSONDepth {
				return errFastJSON
			}
			stack = append(stack, '{')
			n.pos++
			expectKey = true
		case c == '[':
			if len(stack) >= maxJSONDepth {
				return errFastJSON
			}
			stack = append(stack, '[')
			n.pos++
		case c == '}' || c == ']':
			if len(stack) == 0 {
				return errFastJSON
			}
			stack = stack[:len(stack)-1]
			n.pos++
		case c == ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
			n.pos++
		default:
			n.pos++
		}
	}
	return nil
}

// rewriteKey replaces the non-string key at n.pos with a JSON string.
func (n *fastJSONNormalizer) rewriteKey() error {
	start := n.pos
	var keyText []byte
	switch c := n.src[start]; c {
	case '{', '[':
		end, err := skipValue(n.src, start)
		if err != nil {
			return err
		}
		if n.keyDepth >= maxKeyNesting {
			return fmt.Errorf("%w: object keys nested too deep at offset %d", errFastJSON, start)
		}
		inner, err := normalizeFastJSONKeys(n.src[start:end], n.keyDepth+1)
		if err != nil {
			return err
		}
		keyText = compactJSON(inner)
		n.pos = end
	default:
		end := start
		for end < len(n.src) && isBareKeyByte(n.src[end]) {
			end++
		}
		if end == start {
			return fmt.Errorf("%w: unexpected %q at offset %d", errFastJSON, c, start)
		}
		keyText = n.src[start:end]
		n.pos = end
	}
	if n.out == nil {
		n.out = make([]byte, 0, len(n.src)+64)
	}
	n.out = append(n.out, n.src[n.done:start]...)
	n.out = appendJSONString(n.out, keyText)
	n.done = n.pos
	return nil
}

// compactJSON removes insignificant whitespace, so that an object key
// compares equal however the peer spaced it. Invalid input is left as is
// (the key's own decoder reports it).
func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

func isBareKeyByte(c byte) bool {
	return c == '-' || c == '+' || c == '.' || c == '_' || c == '$' ||
		'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// skipString returns the index just past the JSON string starting at
// b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("%w: unterminated string at offset %d", errFastJSON, i)
}

// skipValue returns the index just past the object or array starting at
// b[i], honouring strings.
func skipValue(b []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			end, err := skipString(b, j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		case '{', '[':
			depth++
			if depth > maxJSONDepth {
				return 0, errFastJSON
			}
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("%w: unterminated value at offset %d", errFastJSON, i)
}

// appendJSONString appends s as a JSON string literal. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// UnmarshalBody decodes a JSON body written by RocketMQ (Java fastjson,
// client-go or Quiver) into v: fastjson's non-string map keys are accepted
// (see normalizeFastJSON) and unknown keys are ignored.
func UnmarshalBody(data []byte, v any) error {
	norm, err := normalizeFastJSON(data)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(norm, v); err != nil {
		return fmt.Errorf("protocol: decoding %T: %w", v, err)
	}
	return nil
}

// bodyAppender is implemented by bodies whose RocketMQ shape is not valid
// JSON (maps keyed by MessageQueue): encoding/json refuses such output from
// MarshalJSON, so MarshalBody asks them to append themselves.
type bodyAppender interface {
	AppendBody(dst []byte) ([]byte, error)
}

// MarshalBody encodes v as a compact JSON body without HTML escaping. Bodies
// with MessageQueue-keyed maps are written in fastjson's object-key form.
func MarshalBody(v any) ([]byte, error) {
	if a, ok := v.(bodyAppender); ok {
		return a.AppendBody(nil)
	}
	return appendJSON(nil, v)
}

// appendJSON appends the compact encoding of v to dst, without HTML escaping
// (fastjson does not escape <, > and &).
func appendJSON(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, fmt.Errorf("protocol: encoding %T: %w", v, err)
	}
	out := buf.Bytes()
	return out[:len(out)-1], nil // Encode adds a newline
}
