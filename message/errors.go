package message

import (
	"errors"
	"strconv"
)

// Reasons carried by a *CorruptionError. Test for them with errors.Is.
var (
	// ErrTruncated reports a record, filler or batch item that runs past the
	// end of the buffer holding it: a torn tail on disk, a short read on the
	// wire.
	ErrTruncated = errors.New("message: truncated")

	// ErrBadMagic reports a MAGICCODE that is neither a record version nor
	// the end-of-file filler.
	ErrBadMagic = errors.New("message: bad magic code")

	// ErrBadLength reports a length field that is negative, out of its
	// range, or points past TOTALSIZE.
	ErrBadLength = errors.New("message: bad field length")

	// ErrSizeMismatch reports a TOTALSIZE that differs from the sum of the
	// fields it frames.
	ErrSizeMismatch = errors.New("message: total size does not match fields")

	// ErrChecksum reports a stored BODYCRC that differs from the CRC of the
	// stored body.
	ErrChecksum = errors.New("message: body checksum mismatch")
)

// Errors returned without a *CorruptionError around them.
var (
	// ErrUnwritten is returned by Decode when the 8-byte header is all
	// zeros: nothing was ever written there (the unused tail of a
	// pre-allocated segment). It is not a corruption by itself; whether
	// zeros are legal at that position is the caller's call.
	ErrUnwritten = errors.New("message: unwritten space (zero header)")

	// ErrShortBuffer is returned by the Put* encoders when dst is smaller
	// than the encoded length.
	ErrShortBuffer = errors.New("message: destination buffer too short")

	// ErrTopicTooLong is returned when a topic does not fit the version's
	// TOPICLEN field: 127 bytes for V1, 32767 bytes for V2.
	ErrTopicTooLong = errors.New("message: topic too long")

	// ErrPropertiesTooLong is returned when a properties string exceeds
	// MaxPropertiesLen (Java's PROPERTIES_SIZE_EXCEEDED).
	ErrPropertiesTooLong = errors.New("message: properties too long")

	// ErrRecordTooLarge is returned when an encoded record or batch item
	// would not fit the int32 TOTALSIZE field.
	ErrRecordTooLarge = errors.New("message: record too large")

	// ErrInvalidProperty is returned by CheckProperty for an empty key or
	// value, or one holding a separator byte.
	ErrInvalidProperty = errors.New("message: invalid property")

	// ErrInvalidMessageID is returned by ParseOffsetID for an id that is not
	// 32 or 56 hex digits.
	ErrInvalidMessageID = errors.New("message: invalid message id")

	// ErrBadFiller is returned by PutFiller and AppendFiller for a
	// remaining size below FillerSize or above the int32 range.
	ErrBadFiller = errors.New("message: bad filler size")
)

// CorruptionError describes a record, filler or batch item that failed a
// structural or checksum check. Reason is one of ErrTruncated, ErrBadMagic,
// ErrBadLength, ErrSizeMismatch, ErrChecksum; errors.Is(err, Reason) holds.
//
// Got and Want carry the offending value and the expected one (or the bound
// it broke) where the check has them: lengths in bytes, magic and CRC as
// unsigned 32-bit values. Both are 0 otherwise.
type CorruptionError struct {
	// Field is the name of the field that failed, as the layout diagrams in
	// the package doc spell it (TOTALSIZE, MAGICCODE, BODYLEN, ...).
	Field string
	// Offset is where Field starts, relative to the start of the record or
	// batch body that was checked.
	Offset int
	// Item is the index of the batch item, or -1 for a stored record.
	Item   int
	Reason error
	Got    int64
	Want   int64
}

// Error formats the error, e.g.
// "message: corrupt record: BODYCRC at offset 8: message: body checksum
// mismatch (got 305419896, want 2271560481)".
func (e *CorruptionError) Error() string {
	b := make([]byte, 0, 128)
	if e.Item >= 0 {
		b = append(b, "message: malformed batch item "...)
		b = strconv.AppendInt(b, int64(e.Item), 10)
		b = append(b, ": "...)
	} else {
		b = append(b, "message: corrupt record: "...)
	}
	b = append(b, e.Field...)
	b = append(b, " at offset "...)
	b = strconv.AppendInt(b, int64(e.Offset), 10)
	b = append(b, ": "...)
	b = append(b, e.Reason.Error()...)
	if e.Got != 0 || e.Want != 0 {
		b = append(b, " (got "...)
		b = strconv.AppendInt(b, e.Got, 10)
		b = append(b, ", want "...)
		b = strconv.AppendInt(b, e.Want, 10)
		b = append(b, ')')
	}
	return string(b)
}

// Unwrap returns Reason.
func (e *CorruptionError) Unwrap() error { return e.Reason }

// IsCorruption reports whether err is, or wraps, a *CorruptionError.
func IsCorruption(err error) bool {
	var ce *CorruptionError
	return errors.As(err, &ce)
}

// corrupt builds the error for a stored record. It is out of line so the
// checks stay cheap on the success path.
//
//go:noinline
func corrupt(field string, off int, reason error, got, want int64) error {
	return &CorruptionError{Field: field, Offset: off, Item: -1, Reason: reason, Got: got, Want: want}
}
