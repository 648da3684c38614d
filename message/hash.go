package message

// JavaHashCode returns Java's String.hashCode of the string that Java's
// new String(s, UTF_8) builds from s: h = 31*h + c in int32 arithmetic over
// the UTF-16 code units. Code points above U+FFFF count as a surrogate
// pair; malformed UTF-8 turns into U+FFFD the way the JDK decoder (8 and
// later) replaces it, which is not one U+FFFD per bad byte as in Go.
//
// It does not allocate. Note client-go hashes bytes instead, which differs
// for non-ASCII strings.
func JavaHashCode[T ByteString](s T) int32 {
	return javaHash(0, s)
}

// TagsCode returns the consume-queue tag code of a TAGS property value:
// JavaHashCode sign-extended to int64, or 0 for an empty value (Java's
// tagsString2tagsCode, for single and multi tags alike).
func TagsCode[T ByteString](tags T) int64 {
	if len(tags) == 0 {
		return 0
	}
	return int64(javaHash(0, tags))
}

// IndexKeyHash returns the index-file hash of the key topic + "#" + key:
// the absolute value of its JavaHashCode, with math.MinInt32 mapped to 0
// (Java's IndexFile.indexKeyHashMethod). The slot is the result modulo the
// slot count.
func IndexKeyHash[A, B ByteString](topic A, key B) int32 {
	h := javaHash(0, topic)
	h = 31*h + '#'
	h = javaHash(h, key)
	if h < 0 {
		h = -h // MinInt32 stays negative
		if h < 0 {
			h = 0
		}
	}
	return h
}

const replacementChar = 0xFFFD

func isCont(b byte) bool { return b&0xC0 == 0x80 }

// javaHash continues hash h over the UTF-16 code units of Java's decoding
// of s. The decoding follows the JDK's UTF-8 decoder with REPLACE: a
// malformed sequence yields one U+FFFD and resumes at the first byte that
// could not belong to it; an incomplete sequence at the very end yields one
// U+FFFD and ends the string.
func javaHash[T ByteString](h int32, s T) int32 {
	n := len(s)
	for i := 0; i < n; {
		b1 := s[i]
		i++
		switch {
		case b1 < 0x80:
			h = 31*h + int32(b1)

		case b1 >= 0xC2 && b1 <= 0xDF: // 2-byte
			if i >= n {
				return 31*h + replacementChar
			}
			b2 := s[i]
			if !isCont(b2) {
				h = 31*h + replacementChar
				continue
			}
			i++
			h = 31*h + (int32(b1&0x1F)<<6 | int32(b2&0x3F))

		case b1 >= 0xE0 && b1 <= 0xEF: // 3-byte
			if i+1 >= n {
				// Incomplete at the end.
				if i < n && malformed3of2(b1, s[i]) {
					h = 31*h + replacementChar
					continue
				}
				return 31*h + replacementChar
			}
			b2, b3 := s[i], s[i+1]
			if malformed3of2(b1, b2) || !isCont(b3) {
				h = 31*h + replacementChar
				if !malformed3of2(b1, b2) {
					i++ // b1 b2 form the malformed prefix; resume at b3
				}
				continue
			}
			i += 2
			c := int32(b1&0x0F)<<12 | int32(b2&0x3F)<<6 | int32(b3&0x3F)
			if c >= 0xD800 && c <= 0xDFFF {
				c = replacementChar // an encoded surrogate: one U+FFFD for all three bytes
			}
			h = 31*h + c

		case b1 >= 0xF0 && b1 <= 0xF7: // 4-byte
			if i+2 >= n {
				// Incomplete at the end.
				if b1 > 0xF4 || i < n && malformed4of2(b1, s[i]) {
					h = 31*h + replacementChar
					continue
				}
				i++
				h = 31*h + replacementChar
				if i < n && !isCont(s[i]) {
					continue
				}
				return h
			}
			b2, b3, b4 := s[i], s[i+1], s[i+2]
			cp := int32(b1&0x07)<<18 | int32(b2&0x3F)<<12 | int32(b3&0x3F)<<6 | int32(b4&0x3F)
			if !isCont(b2) || !isCont(b3) || !isCont(b4) || cp < 0x10000 || cp > 0x10FFFF {
				h = 31*h + replacementChar
				switch {
				case b1 > 0xF4 || malformed4of2(b1, b2):
				case !isCont(b3):
					i++
				default:
					i += 2
				}
				continue
			}
			i += 3
			cp -= 0x10000
			h = 31*h + (0xD800 + cp>>10)
			h = 31*h + (0xDC00 + cp&0x3FF)

		default: // 0x80..0xC1, 0xF8..0xFF
			h = 31*h + replacementChar
		}
	}
	return h
}

// malformed3of2 reports whether b1 b2 cannot start a 3-byte sequence (b2 is
// not a continuation byte, or the sequence would be overlong).
func malformed3of2(b1, b2 byte) bool {
	return (b1 == 0xE0 && b2&0xE0 == 0x80) || !isCont(b2)
}

// malformed4of2 reports whether b1 b2 cannot start a 4-byte sequence.
// REQUIRES: 0xF0 <= b1 <= 0xF4.
func malformed4of2(b1, b2 byte) bool {
	return (b1 == 0xF0 && (b2 < 0x90 || b2 > 0xBF)) ||
		(b1 == 0xF4 && b2&0xF0 != 0x80) ||
		!isCont(b2)
}
