package protocol

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON header decoder is written for the send hot path: helpers take
// the header and an offset and return the new offset and a jsonErr code,
// all in registers, and decodeJSONHeader makes one error value at the end.
// Strings without escapes become views of the header; strings with escapes
// are unescaped in the same pass that finds their end.

// headerMaxDepth bounds the nesting of a JSON header, counting the header
// object itself as 1. Only values under unknown keys can nest; the
// decoder skips them recursively, so this also bounds its stack.
const headerMaxDepth = 32

// jsonErr classifies a JSON header decoding failure.
type jsonErr uint8

const (
	jsonOK jsonErr = iota
	jsonSyntax
	jsonType
	jsonEscape
	jsonDepth
	jsonRange
	jsonTrailing
	jsonTooLong // a string over the caller's limit; the caller names it
	jsonRemarkSize
	jsonExtCount
	jsonExtKeySize
	jsonExtValueSize
)

var jsonErrors = [...]error{
	jsonSyntax:       ErrJSONSyntax,
	jsonType:         ErrJSONType,
	jsonEscape:       ErrJSONEscape,
	jsonDepth:        ErrJSONDepth,
	jsonRange:        ErrNumberRange,
	jsonTrailing:     ErrHeaderTrailing,
	jsonTooLong:      ErrExtValueTooLarge,
	jsonRemarkSize:   ErrRemarkTooLarge,
	jsonExtCount:     ErrTooManyExtFields,
	jsonExtKeySize:   ErrExtKeyTooLarge,
	jsonExtValueSize: ErrExtValueTooLarge,
}

// decodeJSONHeader decodes a JSON header (RemotingSerializable/fastjson)
// into c, accepting any key order and skipping unknown keys.
func decodeJSONHeader(h []byte, c *Command, lim *Limits, x *qbIndex) error {
	x.build(h)
	if i, e := jsonHeader(h, c, lim, x); e != jsonOK {
		return fmt.Errorf("%w at offset %d", jsonErrors[e], i)
	}
	return nil
}

func jsonHeader(b []byte, c *Command, lim *Limits, x *qbIndex) (int, jsonErr) {
	i := jsonWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return i, jsonSyntax
	}
	i = jsonWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return i, jsonSyntax
			}
			field, next := jsonKnownKey(b, i)
			if field == topOther {
				var e jsonErr
				if field, next, e = jsonTopKey(b, i); e != jsonOK {
					return next, e
				}
			}
			// Whitespace may follow the colon (a fuzz finding: the fast
			// key path returned the offset right after it).
			i = jsonWS(b, next)
			var e jsonErr
			var v int64
			switch field {
			case topCode:
				v, i, e = jsonInt(b, i, math.MinInt32, math.MaxInt32)
				c.Code = int32(v)
			case topOpaque:
				v, i, e = jsonInt(b, i, math.MinInt32, math.MaxInt32)
				c.Opaque = int32(v)
			case topFlag:
				v, i, e = jsonInt(b, i, math.MinInt32, math.MaxInt32)
				c.Flag = int32(v)
			case topVersion:
				v, i, e = jsonInt(b, i, math.MinInt16, math.MaxInt16)
				c.Version = int16(v)
			case topLanguage:
				i, e = jsonLanguage(b, i, c)
			case topRemark:
				i, e = jsonRemark(b, i, c, lim)
			case topExtFields:
				i, e = jsonExtFields(b, i, c, lim, x)
			default:
				i, e = jsonSkip(b, i, 2)
			}
			if e != jsonOK {
				return i, e
			}
			i = jsonWS(b, i)
			if i < len(b) && b[i] == ',' {
				i = jsonWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				i++
				break
			}
			return i, jsonSyntax
		}
	}
	if i = jsonWS(b, i); i != len(b) {
		return i, jsonTrailing
	}
	return i, jsonOK
}

// The header's own keys.
const (
	topOther = iota
	topCode
	topLanguage
	topVersion
	topOpaque
	topFlag
	topRemark
	topExtFields
)

// jsonKnownKey recognizes a header key written compactly with its colon
// ("code": and so on) at b[i], a quote, by comparing constants. It returns
// the key and the offset after the colon, or topOther.
func jsonKnownKey(b []byte, i int) (int, int) {
	r := b[i:]
	if len(r) < 12 {
		return topOther, i
	}
	switch r[1] {
	case 'c':
		if string(r[:7]) == `"code":` {
			return topCode, i + 7
		}
	case 'l':
		if string(r[:11]) == `"language":` {
			return topLanguage, i + 11
		}
	case 'v':
		if string(r[:10]) == `"version":` {
			return topVersion, i + 10
		}
	case 'o':
		if string(r[:9]) == `"opaque":` {
			return topOpaque, i + 9
		}
	case 'f':
		if string(r[:7]) == `"flag":` {
			return topFlag, i + 7
		}
	case 'r':
		if string(r[:9]) == `"remark":` {
			return topRemark, i + 9
		}
	case 'e':
		if string(r[:12]) == `"extFields":` {
			return topExtFields, i + 12
		}
	}
	return topOther, i
}

// jsonTopKey reads any header key at b[i], a quote, with escapes and
// whitespace, and its colon. It returns the key (topOther for unknown
// keys) and the offset after the colon.
func jsonTopKey(b []byte, i int) (int, int, jsonErr) {
	s := i + 1
	j := nextQuoteOrBackslash(b, s)
	if j >= len(b) {
		return topOther, j, jsonSyntax
	}
	key := b[s:j]
	if b[j] == '\\' {
		var buf [32]byte
		var e jsonErr
		if key, j, e = jsonUnescape(append(buf[:0], key...), b, j, len(b), &noIndex); e != jsonOK {
			return topOther, j, e
		}
	}
	i = jsonWS(b, j+1)
	if i >= len(b) || b[i] != ':' {
		return topOther, i, jsonSyntax
	}
	i = jsonWS(b, i+1)
	switch string(key) {
	case "code":
		return topCode, i, jsonOK
	case "language":
		return topLanguage, i, jsonOK
	case "version":
		return topVersion, i, jsonOK
	case "opaque":
		return topOpaque, i, jsonOK
	case "flag":
		return topFlag, i, jsonOK
	case "remark":
		return topRemark, i, jsonOK
	case "extFields":
		return topExtFields, i, jsonOK
	}
	return topOther, i, jsonOK
}

// jsonWS returns the offset of the first non-whitespace byte at or after i.
func jsonWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// nextQuoteOrBackslash returns the offset of the first '"' or '\\' at or
// after i, or len(b). It looks at eight bytes at a time.
func nextQuoteOrBackslash(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := swarQuoteOrBackslash(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

// jsonScanStr finds the closing quote of the string whose body starts at i,
// validating its escapes. Raw control characters are accepted, as fastjson
// and jsoniter accept them. The cost is linear whatever the escapes.
func jsonScanStr(b []byte, i int) (int, jsonErr) {
	for {
		i = nextQuoteOrBackslash(b, i)
		if i >= len(b) {
			return i, jsonSyntax
		}
		if b[i] == '"' {
			return i, jsonOK
		}
		n := jsonEscapeLen(b[i:])
		if n == 0 {
			return i, jsonEscape
		}
		i += n
	}
}

// jsonEscapeLen returns the length of the valid escape sequence at the start
// of b (which starts with a backslash), or 0 if it is invalid.
func jsonEscapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if _, ok := jsonHex4(b, 2); ok {
			return 6
		}
	}
	return 0
}

// jsonHexVal maps a byte to its hex digit value, or -1. Read-only.
var jsonHexVal = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < 10; i++ {
		t['0'+i] = int8(i)
	}
	for i := 0; i < 6; i++ {
		t['a'+i], t['A'+i] = int8(10+i), int8(10+i)
	}
	return t
}()

// jsonHex4 decodes the four hex digits at b[i:].
func jsonHex4(b []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(b) {
		return 0, false
	}
	h := b[i : i+4 : i+4]
	w, x, y, z := jsonHexVal[h[0]], jsonHexVal[h[1]], jsonHexVal[h[2]], jsonHexVal[h[3]]
	if w|x|y|z < 0 {
		return 0, false
	}
	return rune(w)<<12 | rune(x)<<8 | rune(y)<<4 | rune(z), true
}

// jsonUnescape appends to dst the decoded rest of a string from the escape
// at b[i] to the closing quote, and returns dst and the quote's offset. It
// fails with jsonTooLong as soon as dst would exceed max bytes, before
// growing it.
func jsonUnescape(dst, b []byte, i, max int, x *qbIndex) ([]byte, int, jsonErr) {
	for {
		// b[i] is a backslash.
		if i+1 >= len(b) {
			return dst, i, jsonEscape
		}
		if c := b[i+1]; c == 'u' {
			// Fast path: \u00XX, how jsoniter and fastjson write control
			// bytes (client-go's property separators are \u0001, \u0002).
			if i+6 <= len(b) && b[i+2] == '0' && b[i+3] == '0' {
				// Only ASCII: U+0080 and up need their UTF-8 form.
				if h, l := unhex(b[i+4]), unhex(b[i+5]); h < 8 && l < 16 {
					dst = append(dst, h<<4|l)
					i += 6
					goto run
				}
			}
			r, n := jsonEscapeU(b, i)
			if n == 0 {
				return dst, i, jsonEscape
			}
			if r < utf8.RuneSelf {
				dst = append(dst, byte(r))
			} else {
				dst = utf8.AppendRune(dst, r)
			}
			i += n
		} else {
			switch c {
			case '"', '\\', '/':
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			default:
				return dst, i, jsonEscape
			}
			dst = append(dst, c)
			i += 2
		}
	run:
		j := x.next(b, i)
		if j >= len(b) {
			return dst, j, jsonSyntax
		}
		if len(dst)+j-i > max {
			return dst, i, jsonTooLong
		}
		dst = append(dst, b[i:j]...)
		if b[j] == '"' {
			return dst, j, jsonOK
		}
		i = j
	}
}

// unhex returns the value of a hex digit, or 0xFF.
func unhex(c byte) byte {
	switch {
	case c-'0' < 10:
		return c - '0'
	case c|0x20-'a' < 6:
		return c | 0x20 - 'a' + 10
	}
	return 0xFF
}

// jsonEscapeU decodes the \u escape at b[i:] and, for a high surrogate, the
// low one after it. It returns the rune and the bytes consumed (6 or 12),
// or 0 bytes if the escape is invalid. A lone surrogate becomes U+FFFD, as
// in encoding/json.
func jsonEscapeU(b []byte, i int) (rune, int) {
	if i+6 <= len(b) && b[i+2] == '0' && b[i+3] == '0' { // \u00XX: the usual case
		hi, lo := jsonHexVal[b[i+4]], jsonHexVal[b[i+5]]
		if hi|lo < 0 {
			return 0, 0
		}
		return rune(hi)<<4 | rune(lo), 6
	}
	r, ok := jsonHex4(b, i+2)
	if !ok {
		return 0, 0
	}
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if r < 0xDC00 && i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
		if r2, ok := jsonHex4(b, i+8); ok && 0xDC00 <= r2 && r2 < 0xE000 {
			return utf16.DecodeRune(r, r2), 12
		}
	}
	return utf8.RuneError, 6
}

// jsonNumberEnd returns the end of the JSON number at b[i:].
func jsonNumberEnd(b []byte, i int) (int, jsonErr) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i]-'1' < 9:
		for i++; i < len(b) && b[i]-'0' < 10; i++ {
		}
	default:
		return i, jsonSyntax
	}
	if i < len(b) && b[i] == '.' {
		i++
		s := i
		for ; i < len(b) && b[i]-'0' < 10; i++ {
		}
		if i == s {
			return i, jsonSyntax
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for ; i < len(b) && b[i]-'0' < 10; i++ {
		}
		if i == s {
			return i, jsonSyntax
		}
	}
	return i, jsonOK
}

// jsonIntAt parses the JSON number at b[i:] as an integer and returns it
// and its end. A fraction or exponent is jsonType. Values of more than 18
// digits saturate to ±2^62: callers range-check far below.
func jsonIntAt(b []byte, i int) (int64, int, jsonErr) {
	start := i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	s := i
	var u uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		u = u*10 + uint64(d)
	}
	switch n := i - s; {
	case n == 0 || (n > 1 && b[s] == '0'):
		return 0, s, jsonSyntax
	case i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, start, jsonType
	case n > 18:
		u = 1 << 62
	}
	v := int64(u)
	if neg {
		v = -v
	}
	return v, i, jsonOK
}

// jsonLit reports whether the literal word is at b[i:].
func jsonLit(b []byte, i int, word string) bool {
	return len(b)-i >= len(word) && string(b[i:i+len(word)]) == word
}

// jsonInt reads an integer header field in [lo, hi]; null reads as 0, as
// fastjson reads it into an int.
func jsonInt(b []byte, i int, lo, hi int64) (int64, int, jsonErr) {
	if i >= len(b) {
		return 0, i, jsonSyntax
	}
	if c := b[i]; c != '-' && c-'0' >= 10 {
		if jsonLit(b, i, "null") {
			return 0, i + 4, jsonOK
		}
		return 0, i, jsonType
	}
	// Fast path: a small non-negative integer ended by ',' or '}'.
	if j := i; b[i] != '0' || (i+1 < len(b) && b[i+1]-'0' >= 10) {
		var u int64
		for ; j < len(b) && j-i < 10 && b[j]-'0' < 10; j++ {
			u = u*10 + int64(b[j]-'0')
		}
		if j < len(b) && (b[j] == ',' || b[j] == '}') && u >= lo && u <= hi && j > i {
			return u, j, jsonOK
		}
	}
	v, end, e := jsonIntAt(b, i)
	if e == jsonOK && (v < lo || v > hi) {
		return 0, i, jsonRange
	}
	return v, end, e
}

// jsonLanguage reads the language as a Java enum name or a number. Names
// and numbers Quiver does not know, and values of other types, read as
// LangUnknown, as client-go reads them; null leaves JAVA, Java's default.
func jsonLanguage(b []byte, i int, c *Command) (int, jsonErr) {
	if i >= len(b) {
		return i, jsonSyntax
	}
	switch ch := b[i]; {
	case ch == '"':
		s := i + 1
		j := nextQuoteOrBackslash(b, s)
		if j >= len(b) {
			return j, jsonSyntax
		}
		name := b[s:j]
		if b[j] == '\\' {
			var buf [16]byte
			var e jsonErr
			if name, j, e = jsonUnescape(append(buf[:0], name...), b, j, len(b), &noIndex); e != jsonOK {
				return j, e
			}
		}
		switch string(name) {
		case "GO":
			c.Language = LangGo
		case "JAVA":
			c.Language = LangJava
		default:
			c.Language, _ = ParseLanguage(name)
		}
		return j + 1, jsonOK
	case ch == '-' || ch-'0' < 10:
		end, e := jsonNumberEnd(b, i)
		if e != jsonOK {
			return end, e
		}
		c.Language = LangUnknown
		if v, _, e := jsonIntAt(b[:end], i); e == jsonOK && v >= 0 && v <= math.MaxUint8 {
			c.Language = LanguageCode(v)
		}
		return end, jsonOK
	case ch == 'n' && jsonLit(b, i, "null"):
		return i + 4, jsonOK
	}
	c.Language = LangUnknown
	return jsonSkip(b, i, 2)
}

// jsonRemark reads the remark (a string or null) into c.Remark's own
// buffer.
func jsonRemark(b []byte, i int, c *Command, lim *Limits) (int, jsonErr) {
	if i < len(b) && b[i] == 'n' && jsonLit(b, i, "null") {
		c.Remark = c.Remark[:0]
		return i + 4, jsonOK
	}
	if i >= len(b) || b[i] != '"' {
		return i, jsonType
	}
	s := i + 1
	j := nextQuoteOrBackslash(b, s)
	if j >= len(b) {
		return j, jsonSyntax
	}
	if j-s > lim.MaxRemark {
		return s, jsonRemarkSize
	}
	c.Remark = append(c.Remark[:0], b[s:j]...)
	if b[j] == '"' {
		return j + 1, jsonOK
	}
	var e jsonErr
	if c.Remark, j, e = jsonUnescape(c.Remark, b, j, lim.MaxRemark, &noIndex); e != jsonOK {
		if e == jsonTooLong {
			e = jsonRemarkSize
		}
		return j, e
	}
	return j + 1, jsonOK
}

// swarQuoteOrBackslash flags the bytes of x (eight bytes, little endian)
// that are '"' or '\\': the lowest flagged byte is exact, later ones may be
// false positives.
func swarQuoteOrBackslash(x uint64) uint64 {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	q, s := x^(ones*'"'), x^(ones*'\\')
	return ((q-ones)&^q | (s-ones)&^s) & highs
}

// jsonExtStr returns the string whose body starts at s as a view of the
// header or, if it has escapes, unescaped into e's arena; and the offset
// after its closing quote. Its decoded length must not exceed limit.
func jsonExtStr(b []byte, s int, e *ExtFields, limit int) ([]byte, int, jsonErr) {
	j := nextQuoteOrBackslash(b, s)
	if j < len(b) && b[j] == '"' {
		if j-s > limit {
			return nil, s, jsonTooLong
		}
		return b[s:j:j], j + 1, jsonOK
	}
	return jsonExtStrEscaped(b, s, j, e, limit, &noIndex)
}

// jsonExtStrEscaped finishes jsonExtStr for a string whose body starts at
// s and that has no quote before j, where it has a backslash (or ends).
func jsonExtStrEscaped(b []byte, s, j int, e *ExtFields, limit int, x *qbIndex) ([]byte, int, jsonErr) {
	switch {
	case j >= len(b):
		return nil, j, jsonSyntax
	case j-s > limit:
		return nil, s, jsonTooLong
	}
	a := e.Arena()
	start := len(a)
	a = append(a, b[s:j]...)
	a, j, err := jsonUnescape(a, b, j, start+limit, x)
	if err != jsonOK {
		return nil, j, err
	}
	return e.CommitArena(a, start), j + 1, jsonOK
}

// jsonExtFields reads the extFields object (or null) into c.Ext. A second
// extFields key replaces the first, as in Java.
//
// NB: this loop is the hot path of every request. A field in compact form
// with a plain key and a string value ("k":"v", what clients send) takes
// the fast path: the closing quotes are found eight bytes at a time
// without a call, and only a value with escapes (the properties) calls
// out. Any other field goes through jsonExtField.
func jsonExtFields(b []byte, i int, c *Command, lim *Limits, x *qbIndex) (int, jsonErr) {
	if i < len(b) && b[i] == 'n' && jsonLit(b, i, "null") {
		c.Ext.Reset()
		return i + 4, jsonOK
	}
	if i >= len(b) || b[i] != '{' {
		return i, jsonType
	}
	e := &c.Ext
	e.Reset()
	i = jsonWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, jsonOK
	}
	for n := 0; ; n++ {
		if i >= len(b) || b[i] != '"' {
			return i, jsonSyntax
		}
		if n == lim.MaxExtFields {
			return i, jsonExtCount
		}
		if ks, ke, vs, ve := jsonExtPlainField(b, i+1, x); ve > 0 && ke-ks <= lim.MaxExtKey {
			if b[ve] == '"' {
				if ve-vs > lim.MaxExtValue {
					return vs, jsonExtValueSize
				}
				e.push(b[ks:ke:ke], b[vs:ve:ve])
				i = ve + 1
			} else {
				val, end, err := jsonExtStrEscaped(b, vs, ve, e, lim.MaxExtValue, x)
				if err != jsonOK {
					if err == jsonTooLong {
						err = jsonExtValueSize
					}
					return end, err
				}
				e.push(b[ks:ke:ke], val)
				i = end
			}
		} else {
			var err jsonErr
			if i, err = jsonExtField(b, i, e, lim); err != jsonOK {
				return i, err
			}
		}
		if i+2 <= len(b) && binary.LittleEndian.Uint16(b[i:]) == ','|'"'<<8 {
			i++
			continue
		}
		i = jsonWS(b, i)
		if i < len(b) && b[i] == ',' {
			i = jsonWS(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return i + 1, jsonOK
		}
		return i, jsonSyntax
	}
}

// jsonExtPlainField scans the compact form "key":"value with a key
// without escapes, starting after the key's opening quote. It returns the
// bounds of the key and of the value up to its closing quote or first
// backslash (ve indexes that byte), or ve == 0 for any other form.
func jsonExtPlainField(b []byte, ks int, x *qbIndex) (_, ke, vs, ve int) {
	ke = x.next(b, ks)
	// The key's closing quote, the colon and the value's opening quote.
	if ke+4 > len(b) || binary.LittleEndian.Uint32(b[ke:])&0xFFFFFF != '"'|':'<<8|'"'<<16 {
		return ks, ke, 0, 0
	}
	vs = ke + 3
	if ve = x.next(b, vs); ve >= len(b) {
		return ks, ke, 0, 0
	}
	return ks, ke, vs, ve
}

// jsonExtField reads one extFields entry of any form, starting at its
// key's opening quote, and returns the offset after its value.
func jsonExtField(b []byte, i int, e *ExtFields, lim *Limits) (int, jsonErr) {
	key, i, err := jsonExtStr(b, i+1, e, lim.MaxExtKey)
	if err != jsonOK {
		if err == jsonTooLong {
			err = jsonExtKeySize
		}
		return i, err
	}
	i = jsonWS(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, jsonSyntax
	}
	i = jsonWS(b, i+1)
	if i < len(b) && b[i] == '"' {
		var val []byte
		if val, i, err = jsonExtStr(b, i+1, e, lim.MaxExtValue); err != jsonOK {
			if err == jsonTooLong {
				err = jsonExtValueSize
			}
			return i, err
		}
		e.push(key, val)
		return i, jsonOK
	}
	return jsonExtOther(b, i, e, key, lim)
}

// jsonExtOther reads an extFields value that is not a string: numbers and
// booleans become their literal text (Java peers never send them), null
// drops the field as Java's map does, objects and arrays are errors.
func jsonExtOther(b []byte, i int, e *ExtFields, key []byte, lim *Limits) (int, jsonErr) {
	if i >= len(b) {
		return i, jsonSyntax
	}
	var end int
	switch c := b[i]; {
	case c == '-' || c-'0' < 10:
		var err jsonErr
		if end, err = jsonNumberEnd(b, i); err != jsonOK {
			return end, err
		}
		if end-i > lim.MaxExtValue {
			return i, jsonExtValueSize
		}
	case c == 't' && jsonLit(b, i, "true"):
		end = i + 4
	case c == 'f' && jsonLit(b, i, "false"):
		end = i + 5
	case c == 'n' && jsonLit(b, i, "null"):
		return i + 4, jsonOK
	default:
		return i, jsonType
	}
	e.push(key, b[i:end:end])
	return end, jsonOK
}

// jsonSkip skips one JSON value of any type, validating it. depth is the
// nesting level the value would open.
func jsonSkip(b []byte, i, depth int) (int, jsonErr) {
	if i >= len(b) {
		return i, jsonSyntax
	}
	switch c := b[i]; {
	case c == '"':
		end, err := jsonScanStr(b, i+1)
		return end + 1, err
	case c == '{' || c == '[':
		if depth > headerMaxDepth {
			return i, jsonDepth
		}
		close := byte('}')
		if c == '[' {
			close = ']'
		}
		i = jsonWS(b, i+1)
		if i < len(b) && b[i] == close {
			return i + 1, jsonOK
		}
		for {
			var err jsonErr
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return i, jsonSyntax
				}
				if i, err = jsonScanStr(b, i+1); err != jsonOK {
					return i, err
				}
				i = jsonWS(b, i+1)
				if i >= len(b) || b[i] != ':' {
					return i, jsonSyntax
				}
				i = jsonWS(b, i+1)
			}
			if i, err = jsonSkip(b, i, depth+1); err != jsonOK {
				return i, err
			}
			i = jsonWS(b, i)
			switch {
			case i < len(b) && b[i] == ',':
				i = jsonWS(b, i+1)
			case i < len(b) && b[i] == close:
				return i + 1, jsonOK
			default:
				return i, jsonSyntax
			}
		}
	case c == '-' || c-'0' < 10:
		return jsonNumberEnd(b, i)
	case c == 't' && jsonLit(b, i, "true"):
		return i + 4, jsonOK
	case c == 'f' && jsonLit(b, i, "false"):
		return i + 5, jsonOK
	case c == 'n' && jsonLit(b, i, "null"):
		return i + 4, jsonOK
	}
	return i, jsonSyntax
}

// appendJSONHeader appends c's header as fastjson writes it: compact, keys
// in alphabetical order, remark and extFields left out when empty (Java
// leaves out nulls; client-go and Java both accept their absence), every
// extFields value a JSON string, the language by name.
func appendJSONHeader(dst []byte, c *Command) []byte {
	dst = append(dst, `{"code":`...)
	dst = appendSmallInt(dst, int64(c.Code))
	if len(c.Ext.kv) > 0 {
		dst = append(dst, `,"extFields":{`...)
		for i := range c.Ext.kv {
			f := &c.Ext.kv[i]
			k, v := f.key, f.val
			if f.plain || jsonEscapeIndex(k) == len(k) && jsonEscapeIndex(v) == len(v) {
				dst = append(dst, '"')
				dst = append(dst, k...)
				dst = append(dst, '"', ':', '"')
				dst = append(dst, v...)
				dst = append(dst, '"', ',')
			} else {
				dst = appendHeaderString(dst, k)
				dst = append(dst, ':')
				dst = appendHeaderString(dst, v)
				dst = append(dst, ',')
			}
		}
		dst[len(dst)-1] = '}' // the last comma
	}
	dst = append(dst, `,"flag":`...)
	dst = appendSmallInt(dst, int64(c.Flag))
	dst = append(dst, `,"language":`...)
	if int(c.Language) < len(languageNames) {
		dst = append(dst, '"')
		dst = append(dst, languageNames[c.Language]...)
		dst = append(dst, '"')
	} else {
		dst = appendSmallInt(dst, int64(c.Language))
	}
	dst = append(dst, `,"opaque":`...)
	dst = appendSmallInt(dst, int64(c.Opaque))
	if len(c.Remark) > 0 {
		dst = append(dst, `,"remark":`...)
		dst = appendHeaderString(dst, c.Remark)
	}
	dst = append(dst, `,"serializeTypeCurrentRPC":"JSON","version":`...)
	dst = appendSmallInt(dst, int64(c.Version))
	return append(dst, '}')
}

// appendSmallInt appends v in decimal, one-digit values (codes, flags)
// without a call.
func appendSmallInt(dst []byte, v int64) []byte {
	if uint64(v) < 10 {
		return append(dst, byte('0'+v))
	}
	return strconv.AppendInt(dst, v, 10)
}

const hexDigits = "0123456789abcdef"

// appendHeaderString appends s as a JSON string: quote and backslash are
// escaped with a backslash, control characters as \u00XX; other bytes,
// including non-ASCII UTF-8 (and invalid UTF-8, which both client-go and
// Java tolerate), are copied. Runs without anything to escape are found
// eight bytes at a time and copied whole.
func appendHeaderString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for {
		i := jsonEscapeIndex(s)
		dst = append(dst, s[:i]...)
		if i == len(s) {
			return append(dst, '"')
		}
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(dst, '\\', c)
		} else {
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		s = s[i+1:]
	}
}

// jsonEscapeIndex returns the index of the first byte of s that a JSON
// string must escape (a control character, '"' or '\\'), or len(s).
func jsonEscapeIndex(s []byte) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	if len(s) < 8 {
		for i, c := range s {
			if jsonMustEscape[c] {
				return i
			}
		}
		return len(s)
	}
	// Whole words, then the last eight bytes, overlapping the words
	// already found clean (a clean byte never flags a later one).
	for i := 0; ; i += 8 {
		if i+8 > len(s) {
			i = len(s) - 8
		}
		x := binary.LittleEndian.Uint64(s[i:])
		// Bytes below 0x20 (the lowest flag is exact, as in
		// swarQuoteOrBackslash; bytes >= 0x80 are never flagged).
		ctl := (x - ones*0x20) &^ x & highs
		if m := ctl | swarQuoteOrBackslash(x); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		if i+8 == len(s) {
			return len(s)
		}
	}
}

// jsonMustEscape marks the bytes a JSON string must escape. Read-only.
var jsonMustEscape = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()
