package protocol

import (
	"encoding/binary"
	"math"
)

// Frame layout constants (format, never change).
const (
	// lenPrefixSize is the size of totalLen.
	lenPrefixSize = 4
	// headerWordSize is the size of the serialize-type/header-length word.
	headerWordSize = 4
	// frameOverhead is the bytes before the header.
	frameOverhead = lenPrefixSize + headerWordSize
	// maxHeaderLen is the largest header the 24-bit length can state.
	maxHeaderLen = 1<<24 - 1
)

// Limits bounds what a Decoder accepts. Every limit is checked before any
// allocation that depends on the claimed size. A zero or negative field
// means its default.
type Limits struct {
	// MaxFrame is the largest totalLen accepted (bytes after the 4-byte length
	// prefix). Default 16 MiB, as Java's frameMaxLength.
	MaxFrame int
	// MaxRemark is the largest remark in bytes. Default 64 KiB.
	MaxRemark int
	// MaxExtFields is the largest number of extFields entries. Default 256.
	MaxExtFields int
	// MaxExtKey and MaxExtValue bound one key and one value in bytes.
	// Defaults 256 and 64 KiB.
	MaxExtKey, MaxExtValue int
}

// DefaultLimits returns the defaults above.
func DefaultLimits() Limits {
	return Limits{MaxFrame: 16 << 20, MaxRemark: 64 << 10, MaxExtFields: 256, MaxExtKey: 256, MaxExtValue: 64 << 10}
}

// withDefaults returns l with every unset field at its default.
func (l Limits) withDefaults() Limits {
	if l.MaxFrame <= 0 {
		l.MaxFrame = 16 << 20
	}
	if l.MaxRemark <= 0 {
		l.MaxRemark = 64 << 10
	}
	if l.MaxExtFields <= 0 {
		l.MaxExtFields = 256
	}
	if l.MaxExtKey <= 0 {
		l.MaxExtKey = 256
	}
	if l.MaxExtValue <= 0 {
		l.MaxExtValue = 64 << 10
	}
	return l
}

// SplitFrame reports the length of the first complete frame at the start of
// buf, including its 4-byte length prefix; 0 with a nil error when more bytes
// are needed; or an error (the connection must be closed) when the prefix is
// negative, larger than maxFrame, or too small to hold the header-length word.
// Once the header-length word has arrived it is checked too: an unknown
// serialize type or a header length past the frame is an error before the
// rest of the frame is waited for. maxFrame ≤ 0 means the default 16 MiB.
//
// SplitFrame neither copies nor allocates; the frame is buf[:n].
func SplitFrame(buf []byte, maxFrame int) (int, error) {
	if len(buf) < lenPrefixSize {
		return 0, nil
	}
	if maxFrame <= 0 {
		maxFrame = 16 << 20
	}
	total := int32(binary.BigEndian.Uint32(buf))
	switch {
	case total < 0:
		return 0, ErrFrameNegative
	case int64(total) > int64(maxFrame):
		return 0, ErrFrameTooLarge
	case total < headerWordSize:
		return 0, ErrFrameTooShort
	}
	if len(buf) >= frameOverhead {
		if err := checkHeaderWord(binary.BigEndian.Uint32(buf[lenPrefixSize:]), int(total)); err != nil {
			return 0, err
		}
	}
	n := lenPrefixSize + int(total)
	if len(buf) < n {
		return 0, nil
	}
	return n, nil
}

// checkHeaderWord validates the serialize type and header length of a frame
// whose totalLen is total.
func checkHeaderWord(word uint32, total int) error {
	if st := SerializeType(word >> 24); st != SerializeJSON && st != SerializeRocketMQ {
		return ErrSerializeType
	}
	if int(word&maxHeaderLen) > total-headerWordSize {
		return ErrHeaderLength
	}
	return nil
}

// Decoder decodes frames into Commands. The zero value uses DefaultLimits.
// It is not safe for concurrent use: keep one per connection or event loop.
type Decoder struct {
	Limits Limits

	idx qbIndex // quote index of the JSON header being decoded
}

// Decode decodes one whole frame (as delimited by SplitFrame, prefix
// included) into cmd, which is Reset first. cmd aliases frame afterwards:
// its extFields keys and values without JSON escapes and its Body are
// views of frame. The remark is copied into cmd's own remark buffer (see
// Command.SetRemark, which reuses it), and unescaped JSON strings go to
// cmd.Ext's arena. Once cmd's buffers have grown to fit, Decode does not
// allocate.
//
// On error cmd holds a partial decode and must not be used.
func (d *Decoder) Decode(frame []byte, cmd *Command) error {
	cmd.Reset()
	lim := d.Limits.withDefaults()
	if len(frame) < frameOverhead {
		return ErrFrameTooShort
	}
	total := int32(binary.BigEndian.Uint32(frame))
	switch {
	case total < 0:
		return ErrFrameNegative
	case int64(total) > int64(lim.MaxFrame):
		return ErrFrameTooLarge
	case int(total) != len(frame)-lenPrefixSize:
		return ErrFrameLength
	}
	word := binary.BigEndian.Uint32(frame[lenPrefixSize:])
	if err := checkHeaderWord(word, int(total)); err != nil {
		return err
	}
	hl := int(word & maxHeaderLen)
	hdr := frame[frameOverhead : frameOverhead+hl : frameOverhead+hl]
	st := SerializeType(word >> 24)
	var err error
	if st == SerializeJSON {
		err = decodeJSONHeader(hdr, cmd, &lim, &d.idx)
	} else {
		err = decodeRocketMQHeader(hdr, cmd, &lim)
	}
	if err != nil {
		return err
	}
	cmd.Serialize = st
	// NB: the body's capacity ends with the frame, so that an append by a
	// handler cannot overwrite the next frame in the read buffer.
	if body := frame[frameOverhead+hl : len(frame) : len(frame)]; len(body) > 0 {
		cmd.Body = body
	}
	return nil
}

// AppendCommand appends the whole frame of c (length prefix, header in
// c.Serialize, body) to dst. On error dst is returned unchanged.
func AppendCommand(dst []byte, c *Command) ([]byte, error) {
	dst, err := AppendHeader(dst, c, len(c.Body))
	if err != nil {
		return dst, err
	}
	return append(dst, c.Body...), nil
}

// AppendHeader appends the length prefix and header of c to dst, with the
// length prefix counting bodyLen more bytes that the caller writes after it
// (for writev of body parts). c.Body is ignored. On error dst is returned
// unchanged. It allocates only to grow dst.
//
// The frame size is not checked against a Limits.MaxFrame: the sender
// bounds what it puts in a frame (Java's peers refuse frames over 16 MiB).
func AppendHeader(dst []byte, c *Command, bodyLen int) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, byte(c.Serialize), 0, 0, 0)
	var err error
	switch c.Serialize {
	case SerializeJSON:
		dst = appendJSONHeader(dst, c)
	case SerializeRocketMQ:
		dst, err = appendRocketMQHeader(dst, c)
	default:
		err = ErrSerializeType
	}
	if err != nil {
		return dst[:start], err
	}
	hl := len(dst) - start - frameOverhead
	if hl > maxHeaderLen {
		return dst[:start], ErrHeaderTooLarge
	}
	total := int64(headerWordSize) + int64(hl) + int64(bodyLen)
	if bodyLen < 0 || total > math.MaxInt32 {
		return dst[:start], ErrEncodeFrameTooLarge
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(total))
	binary.BigEndian.PutUint32(dst[start+lenPrefixSize:], uint32(c.Serialize)<<24|uint32(hl))
	return dst, nil
}

// push appends a field aliasing key and val, as AddView does, writing the
// slot in place (a temporary extField costs a store-forwarding stall per
// field on amd64).
func (e *ExtFields) push(key, val []byte) {
	n := len(e.kv)
	if n < cap(e.kv) {
		e.kv = e.kv[:n+1]
	} else {
		e.kv = append(e.kv, extField{})
	}
	f := &e.kv[n]
	f.key = key
	f.val = val
}
