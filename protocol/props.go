package protocol

// Properties text: the body of GET_BROKER_CONFIG (26) responses,
// UPDATE_BROKER_CONFIG (25) requests and the name server's config codes.
// Java writes "key=value\n" per entry (MixAll.properties2String) and reads
// with java.util.Properties.load; DecodeProperties follows load's rules and
// EncodeProperties writes text that load reads back exactly.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// errProperties marks malformed properties text.
var errProperties = errors.New("protocol: malformed properties text")

// EncodeProperties writes kv as properties text, one "key=value\n" per
// entry in key order. Characters that Properties.load would misread are
// escaped, and non-ASCII is written as \uXXXX (Java's load reads bytes as
// ISO-8859-1).
func EncodeProperties(kv map[string]string) []byte {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var dst []byte
	for _, k := range keys {
		dst = appendPropEscaped(dst, k, true)
		dst = append(dst, '=')
		dst = appendPropEscaped(dst, kv[k], false)
		dst = append(dst, '\n')
	}
	return dst
}

func appendPropEscaped(dst []byte, s string, key bool) []byte {
	const hex = "0123456789ABCDEF"
	for i, r := range s {
		switch {
		case r == '\\':
			dst = append(dst, '\\', '\\')
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r == '\f':
			dst = append(dst, '\\', 'f')
		case r == ' ' && (key || i == 0):
			dst = append(dst, '\\', ' ')
		case key && (r == '=' || r == ':'), i == 0 && (r == '#' || r == '!'):
			dst = append(dst, '\\', byte(r))
		case r < 0x20 || r >= 0x7f:
			for _, u := range utf16.Encode([]rune{r}) {
				dst = append(dst, '\\', 'u', hex[u>>12], hex[u>>8&0xf], hex[u>>4&0xf], hex[u&0xf])
			}
		default:
			dst = append(dst, byte(r))
		}
	}
	return dst
}

// DecodeProperties parses properties text as java.util.Properties.load
// does: '#' and '!' comment lines, continuation lines ending in an odd
// number of backslashes, '=', ':' or whitespace between key and value, and
// the escapes \t \n \r \f \uXXXX. Bytes are read as UTF-8, invalid
// sequences becoming U+FFFD. A later duplicate key wins.
func DecodeProperties(data []byte) (map[string]string, error) {
	out := make(map[string]string)
	text := strings.ToValidUTF8(string(data), "\uFFFD")
	for len(text) > 0 {
		var line string
		line, text = nextLogicalLine(text)
		if line == "" {
			continue
		}
		// Split the key from the value at the first unescaped separator.
		keyEnd, valStart := len(line), len(line)
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '\\' {
				i++
				continue
			}
			if c == '=' || c == ':' {
				keyEnd, valStart = i, i+1
				break
			}
			if c == ' ' || c == '\t' || c == '\f' {
				keyEnd = i
				j := i
				for j < len(line) && isPropSpace(line[j]) {
					j++
				}
				if j < len(line) && (line[j] == '=' || line[j] == ':') {
					j++
				}
				valStart = j
				break
			}
		}
		for valStart < len(line) && isPropSpace(line[valStart]) {
			valStart++
		}
		key, err := unescapeProp(line[:keyEnd])
		if err != nil {
			return nil, err
		}
		val, err := unescapeProp(line[valStart:])
		if err != nil {
			return nil, err
		}
		out[key] = val
	}
	return out, nil
}

func isPropSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

// nextLogicalLine returns the next logical line of text with leading
// whitespace and line continuations removed ("" for blank and comment
// lines), and the rest of text.
func nextLogicalLine(text string) (line, rest string) {
	var b strings.Builder
	first := true
	for {
		i := 0
		for i < len(text) && isPropSpace(text[i]) {
			i++
		}
		text = text[i:]
		end := strings.IndexAny(text, "\r\n")
		var natural string
		if end < 0 {
			natural, rest = text, ""
		} else {
			natural = text[:end]
			rest = text[end+1:]
			if text[end] == '\r' && strings.HasPrefix(rest, "\n") {
				rest = rest[1:]
			}
		}
		if first && (natural == "" || natural[0] == '#' || natural[0] == '!') {
			return "", rest
		}
		first = false
		// An odd number of trailing backslashes continues the line.
		n := 0
		for n < len(natural) && natural[len(natural)-1-n] == '\\' {
			n++
		}
		if n%2 == 1 && rest != "" {
			b.WriteString(natural[:len(natural)-1])
			text = rest
			continue
		}
		if n%2 == 1 { // continuation at the end of input: drop the backslash
			natural = natural[:len(natural)-1]
		}
		b.WriteString(natural)
		return b.String(), rest
	}
}

// unescapeProp applies Properties.load's escapes to s.
func unescapeProp(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var units []uint16 // pending UTF-16 from \u escapes, for surrogate pairs
	var b strings.Builder
	flush := func() {
		if len(units) > 0 {
			b.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			flush()
			r, size := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += size
			continue
		}
		i++
		if i == len(s) {
			break // a lone trailing backslash is dropped, as Java does
		}
		c = s[i]
		i++
		switch c {
		case 'u':
			if i+4 > len(s) {
				return "", fmt.Errorf("%w: malformed \\uxxxx encoding in %q", errProperties, s)
			}
			var u uint16
			for _, h := range []byte(s[i : i+4]) {
				var d byte
				switch {
				case '0' <= h && h <= '9':
					d = h - '0'
				case 'a' <= h && h <= 'f':
					d = h - 'a' + 10
				case 'A' <= h && h <= 'F':
					d = h - 'A' + 10
				default:
					return "", fmt.Errorf("%w: malformed \\uxxxx encoding in %q", errProperties, s)
				}
				u = u<<4 | uint16(d)
			}
			i += 4
			units = append(units, u)
			continue
		case 't':
			c = '\t'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 'f':
			c = '\f'
		}
		flush()
		if c < utf8.RuneSelf {
			b.WriteByte(c)
		} else { // an escaped multi-byte character: keep it whole
			r, size := utf8.DecodeRuneInString(s[i-1:])
			b.WriteRune(r)
			i += size - 1
		}
	}
	flush()
	return b.String(), nil
}
