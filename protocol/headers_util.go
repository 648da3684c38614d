package protocol

// Helpers shared by the typed headers: a sticky-error field reader over
// ExtFields and Java-compatible number and boolean parsing on byte slices.
// Nothing here allocates on success.

import "strconv"

// missingField is the error for an absent required field, worded as Java's
// RemotingCommand.decodeCommandCustomHeader words it.
func missingField(name string) error {
	return &Error{Code: SystemError, Remark: "the custom field <" + name + "> is null"}
}

// badField is the error for a field whose value does not parse as its type.
func badField(name, typ string, val []byte) error {
	const maxShown = 64
	shown := val
	if len(shown) > maxShown {
		shown = shown[:maxShown]
	}
	return &Error{Code: SystemError, Remark: "the custom field <" + name + "> is not a valid " + typ + ": " + strconv.Quote(string(shown))}
}

// invalidField is the error of a header's own consistency check (Java's
// checkFields), with Java's remark.
func invalidField(remark string) error {
	return &Error{Code: SystemError, Remark: remark}
}

// parseInt parses a decimal integer that must fit in bits bits, as Java's
// Integer.parseInt and Long.parseLong do: an optional sign, then ASCII digits,
// nothing else (no spaces, no underscores, no hex).
func parseInt(b []byte, bits uint) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	switch b[0] {
	case '-':
		neg = true
		b = b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	limit := uint64(1) << (bits - 1) // |min|; max is limit-1
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' || u > limit/10 {
			return 0, false
		}
		if u = u*10 + uint64(c-'0'); u > limit {
			return 0, false
		}
	}
	if neg {
		if u > limit {
			return 0, false
		}
		return -int64(u-1) - 1, true // avoids overflow at the minimum
	}
	if u >= limit {
		return 0, false
	}
	return int64(u), true
}

// parseBool is Java's Boolean.parseBoolean: true only for "true" in any
// case, false for everything else (including garbage).
func parseBool(b []byte) bool {
	if len(b) != 4 {
		return false
	}
	return b[0]|0x20 == 't' && b[1]|0x20 == 'r' && b[2]|0x20 == 'u' && b[3]|0x20 == 'e'
}

// fieldReader reads typed fields from an ExtFields. Its error is sticky: the
// first missing required field or malformed number is kept, and later reads
// still return zero values so that the caller can assign unconditionally
// (Decode overwrites every field) and check err once at the end.
type fieldReader struct {
	e   *ExtFields
	err error
}

func (r *fieldReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// raw returns the value of key. A missing required key records the error.
func (r *fieldReader) raw(key string, required bool) ([]byte, bool) {
	v, ok := r.e.Get(key)
	if !ok && required {
		r.fail(missingField(key))
	}
	return v, ok
}

// view returns the value of key as a view into r.e.
func (r *fieldReader) view(key string, required bool) []byte {
	v, _ := r.raw(key, required)
	return v
}

// str returns the value of key as a string (a copy); "" when absent.
func (r *fieldReader) str(key string, required bool) string {
	v, ok := r.raw(key, required)
	if !ok {
		return ""
	}
	return string(v)
}

func (r *fieldReader) number(key string, required bool, bits uint, def int64) int64 {
	v, ok := r.raw(key, required)
	if !ok {
		return def
	}
	n, ok := parseInt(v, bits)
	if !ok {
		typ := "int"
		if bits == 64 {
			typ = "long"
		}
		r.fail(badField(key, typ, v))
		return def
	}
	return n
}

// i32 returns the value of key as an int32; def when absent or malformed.
func (r *fieldReader) i32(key string, required bool, def int32) int32 {
	return int32(r.number(key, required, 32, int64(def)))
}

// i64 returns the value of key as an int64; def when absent or malformed.
func (r *fieldReader) i64(key string, required bool, def int64) int64 {
	return r.number(key, required, 64, def)
}

// boolean returns the value of key as Java's Boolean.parseBoolean reads it;
// def when absent.
func (r *fieldReader) boolean(key string, required bool, def bool) bool {
	v, ok := r.raw(key, required)
	if !ok {
		return def
	}
	return parseBool(v)
}

// hasKey reports whether key is present.
func (r *fieldReader) hasKey(key string) bool {
	_, ok := r.e.Get(key)
	return ok
}

// addOptString adds key only when val is not empty: Java leaves out null
// fields, and Quiver's headers use "" for null.
func addOptString(e *ExtFields, key, val string) {
	if val != "" {
		e.AddString(key, val)
	}
}

// EmptyHeader is the header of requests and responses that carry no custom
// fields (HEART_BEAT, LOCK_BATCH_MQ, GET_ALL_TOPIC_CONFIG, ...). Decode
// accepts and ignores any fields present.
type EmptyHeader struct{}

// Encode adds nothing.
func (EmptyHeader) Encode(*ExtFields) {}

// Decode ignores e.
func (EmptyHeader) Decode(*ExtFields) error { return nil }
