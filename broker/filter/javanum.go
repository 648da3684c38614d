package filter

import (
	"math"
	"strconv"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// This file converts property values the way the Java evaluator does when
// it compares a String with a number or a boolean (ComparisonExpression
// with convertStringExpressions on): Integer.valueOf, Long.valueOf,
// Double.valueOf and Boolean.valueOf. They work on the value's bytes,
// allocate nothing, and report ok=false where Java throws
// NumberFormatException. Java sees the value as the UTF-16 string its
// UTF-8 decoder produced; the rules below are stated for that string.

// parseJavaInt is Integer.parseInt (bits 32) or Long.parseLong (bits 64)
// in radix 10: an optional '+' or '-', then at least one digit, where a
// digit is any BMP character of Unicode category Nd (Character.digit), no
// spaces, and the value must fit.
func parseJavaInt(b []byte, bits uint) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	limit := -int64(math.MaxInt64) // -(max); becomes min for a negative value
	if bits == 32 {
		limit = -math.MaxInt32
	}
	neg := false
	i := 0
	if b[0] < '0' {
		switch b[0] {
		case '-':
			neg = true
			limit-- // math.MinInt64 or math.MinInt32
		case '+':
		default:
			return 0, false
		}
		if len(b) == 1 {
			return 0, false
		}
		i = 1
	}
	// Accumulate negatively, as Java does, so the minimum fits.
	multmin := limit / 10
	var result int64
	for i < len(b) {
		var d int64
		if c := b[i]; c < utf8.RuneSelf {
			if c < '0' || c > '9' {
				return 0, false
			}
			d = int64(c - '0')
			i++
		} else {
			r, n := utf8.DecodeRune(b[i:])
			dv := digitValue(r)
			if dv < 0 {
				return 0, false
			}
			d = int64(dv)
			i += n
		}
		if result < multmin {
			return 0, false
		}
		result *= 10
		if result < limit+d {
			return 0, false
		}
		result -= d
	}
	if neg {
		return result, true
	}
	return -result, true
}

// digitValue returns the decimal value of r as Java's Character.digit(char,
// 10) does for a char, or -1. Supplementary characters are not digits to
// Java's parseInt, which looks at UTF-16 code units one by one.
func digitValue(r rune) int {
	if r > 0xffff || r == utf8.RuneError {
		return -1
	}
	for _, rg := range unicode.Digit.R16 {
		if uint16(r) < rg.Lo {
			return -1
		}
		// Every BMP range of Nd is one run of ten digits, 0 to 9 (checked
		// by TestDigitRanges).
		if uint16(r) <= rg.Hi {
			return int(uint16(r)-rg.Lo) % 10
		}
	}
	return -1
}

// parseJavaBool is Boolean.valueOf(String): true when the value is "true"
// in any letter case, false otherwise. It never fails.
func parseJavaBool(b []byte) bool {
	return len(b) == 4 && b[0]|0x20 == 't' && b[1]|0x20 == 'r' && b[2]|0x20 == 'u' && b[3]|0x20 == 'e'
}

// parseJavaDouble is Double.valueOf(String) (FloatingDecimal's
// readJavaFormatString): leading and trailing characters up to U+0020 are
// trimmed; then an optional sign and one of "NaN", "Infinity", a hex float
// 0x<hex>[.<hex>]p[+-]<digits>, or a decimal <digits>[.<digits>] (at least
// one digit) with an optional exponent [eE][+-]<digits>; a number may end
// with one of fFdD. Values round to nearest; out-of-range ones become
// infinity or zero, never an error.
func parseJavaDouble(b []byte) (float64, bool) {
	for len(b) > 0 && b[0] <= ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] <= ' ' {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	i := 0
	switch b[0] {
	case '-':
		neg = true
		i++
	case '+':
		i++
	}
	rest := b[i:]
	switch {
	case len(rest) == 0:
		return 0, false
	case rest[0] == 'N':
		return math.NaN(), string(rest) == "NaN"
	case rest[0] == 'I':
		if string(rest) != "Infinity" {
			return 0, false
		}
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case len(rest) > 1 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X'):
		return parseJavaHexDouble(b, neg, rest[2:])
	}

	// Decimal: digits with at most one point, at least one digit.
	j := 0
	nDigits, point := 0, -1
	firstNZ, lastDigit := -1, -1 // indices in rest
	for ; j < len(rest); j++ {
		c := rest[j]
		if isDigit(c) {
			nDigits++
			lastDigit = j
			if c != '0' && firstNZ < 0 {
				firstNZ = j
			}
			continue
		}
		if c == '.' {
			if point >= 0 {
				return 0, false // multiple points
			}
			point = j
			continue
		}
		break
	}
	if nDigits == 0 {
		return 0, false
	}
	mantEnd := j
	exp := int64(0)
	if j < len(rest) && (rest[j] == 'e' || rest[j] == 'E') {
		j++
		expNeg := false
		if j < len(rest) && (rest[j] == '+' || rest[j] == '-') {
			expNeg = rest[j] == '-'
			j++
		}
		start := j
		for ; j < len(rest) && isDigit(rest[j]); j++ {
			if exp < 1e9 { // saturate: any larger exponent over- or underflows
				exp = exp*10 + int64(rest[j]-'0')
			}
		}
		if j == start {
			return 0, false
		}
		if expNeg {
			exp = -exp
		}
	}
	numEnd := j
	if j < len(rest) {
		if j != len(rest)-1 {
			return 0, false
		}
		switch rest[j] {
		case 'f', 'F', 'd', 'D':
		default:
			return 0, false
		}
	}
	if firstNZ < 0 {
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	}
	// The value is 0.d1d2... x 10^e10 with d1 the first non-zero digit.
	if point < 0 {
		point = mantEnd
	}
	e10 := int64(point - firstNZ)
	if point < firstNZ {
		e10++
	}
	e10 += exp
	switch {
	case e10 >= 310: // at least 10^309: beyond float64
		return inf(neg), true
	case e10 <= -400: // below half the smallest subnormal
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	case e10 == 309 && !decimalBelowOverflow(rest[firstNZ:lastDigit+1]):
		return inf(neg), true
	}
	// The syntax is valid for strconv and the value cannot overflow, so
	// ParseFloat neither fails nor allocates. The string view is not
	// retained.
	f, err := strconv.ParseFloat(bytesView(b[:i+numEnd]), 64)
	if err != nil {
		return f, !math.IsNaN(f) // unreachable: ErrRange would still give ±Inf
	}
	return f, true
}

func inf(neg bool) float64 {
	if neg {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

// overflowDigits are the significant digits of 2^1024 - 2^970, the least
// value that rounds to +Inf in float64 (to nearest, ties to even). It has
// 309 integer digits.
const overflowDigits = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792"

// decimalBelowOverflow reports whether the significant digits d (first
// non-zero digit to last digit, possibly holding one '.') of a value with
// 309 integer digits stay below overflowDigits.
func decimalBelowOverflow(d []byte) bool {
	k := 0
	for _, c := range d {
		if c == '.' {
			continue
		}
		if k >= len(overflowDigits) {
			if c != '0' {
				return false // longer and equal so far: above
			}
			continue
		}
		if c != overflowDigits[k] {
			return c < overflowDigits[k]
		}
		k++
	}
	return k < len(overflowDigits) // a shorter prefix is below; equal is not
}

// parseJavaHexDouble parses the hex form: whole is the trimmed value (with
// its sign), hex what follows "0x". Java's pattern is
// [+-]?0[xX](<hex>+\.?|<hex>*\.<hex>+)[pP][+-]?<digits>+[fFdD]?.
func parseJavaHexDouble(whole []byte, neg bool, hex []byte) (float64, bool) {
	j := 0
	nHex, point := 0, -1
	firstNZ := -1 // index in hex of the first non-zero digit
	for ; j < len(hex); j++ {
		c := hex[j]
		if c == '.' {
			if point >= 0 {
				return 0, false
			}
			point = j
			continue
		}
		if !isHexDigit(c) {
			break
		}
		if c != '0' && firstNZ < 0 {
			firstNZ = j
		}
		nHex++
	}
	if nHex == 0 || j >= len(hex) || hex[j] != 'p' && hex[j] != 'P' {
		return 0, false
	}
	mantEnd := j
	j++
	expNeg := false
	if j < len(hex) && (hex[j] == '+' || hex[j] == '-') {
		expNeg = hex[j] == '-'
		j++
	}
	start := j
	exp := int64(0)
	for ; j < len(hex) && isDigit(hex[j]); j++ {
		if exp < 1e9 {
			exp = exp*10 + int64(hex[j]-'0')
		}
	}
	if j == start {
		return 0, false
	}
	if expNeg {
		exp = -exp
	}
	numEnd := j
	if j < len(hex) {
		if j != len(hex)-1 {
			return 0, false
		}
		switch hex[j] {
		case 'f', 'F', 'd', 'D':
		default:
			return 0, false
		}
	}
	if firstNZ < 0 {
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	}
	// The leading 1 bit has weight 2^b2.
	if point < 0 {
		point = mantEnd
	}
	digitsBefore := int64(point - firstNZ) // hex digits from firstNZ to the point
	if point < firstNZ {
		digitsBefore++
	}
	lead := hexVal(hex[firstNZ])
	top := int64(bitsLen(lead)) - 1 // bit of the leading 1 within its digit
	b2 := (digitsBefore-1)*4 + top + exp
	switch {
	case b2 >= 1024:
		return inf(neg), true
	case b2 < -1100:
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	}
	// b2 == 1023 may still round up to +Inf; then ParseFloat reports
	// ErrRange with a small allocation, which only such a value pays.
	off := len(whole) - len(hex) // start of hex in whole
	f, err := strconv.ParseFloat(bytesView(whole[:off+numEnd]), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func isHexDigit(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	default:
		return int(c-'A') + 10
	}
}

func bitsLen(v int) int {
	n := 0
	for v > 0 {
		n++
		v >>= 1
	}
	return n
}

// bytesView returns b as a string without copying. The caller must not
// retain the string or let b change while it is in use.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
