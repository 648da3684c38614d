package protocol

import (
	"encoding/binary"
	"math"
)

// rmqFixedLen is the fixed part of a ROCKETMQ header: code 2, language 1,
// version 2, opaque 4, flag 4, remarkLen 4, extLen 4 (format, never change).
const rmqFixedLen = 21

// binReader reads big-endian fields from a header with a sticky error:
// after the first failure every read returns zero and err keeps the first
// cause, so the caller checks once at the end (or at a loop boundary).
type binReader struct {
	b   []byte
	err error
}

func (r *binReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *binReader) u8() byte {
	if len(r.b) < 1 {
		r.fail(ErrHeaderTruncated)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *binReader) i16() int16 {
	if len(r.b) < 2 {
		r.fail(ErrHeaderTruncated)
		return 0
	}
	v := int16(binary.BigEndian.Uint16(r.b))
	r.b = r.b[2:]
	return v
}

func (r *binReader) i32() int32 {
	if len(r.b) < 4 {
		r.fail(ErrHeaderTruncated)
		return 0
	}
	v := int32(binary.BigEndian.Uint32(r.b))
	r.b = r.b[4:]
	return v
}

// span returns the next n bytes as a view capped at its length. n is
// checked against limit (tooLarge) and the bytes left before it is used.
func (r *binReader) span(n, limit int, tooLarge error) []byte {
	switch {
	case r.err != nil:
		return nil
	case n < 0:
		r.fail(ErrNegativeLength)
		return nil
	case n > limit:
		r.fail(tooLarge)
		return nil
	case n > len(r.b):
		r.fail(ErrHeaderTruncated)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// decodeRocketMQHeader decodes a ROCKETMQ (RocketMQSerializable) header.
// Keys and values are views of h; the remark is copied into c.Remark.
func decodeRocketMQHeader(h []byte, c *Command, lim *Limits) error {
	if len(h) < rmqFixedLen {
		return ErrHeaderTruncated
	}
	r := binReader{b: h}
	c.Code = int32(r.i16())
	c.Language = LanguageCode(r.u8())
	c.Version = r.i16()
	c.Opaque = r.i32()
	c.Flag = r.i32()
	remark := r.span(int(r.i32()), lim.MaxRemark, ErrRemarkTooLarge)
	ext := r.span(int(r.i32()), len(h), ErrHeaderTruncated)
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return ErrHeaderTrailing
	}
	c.Remark = append(c.Remark[:0], remark...)
	return decodeRocketMQExt(ext, &c.Ext, lim)
}

// decodeRocketMQExt decodes the ext block's entries (keyLen int16, key,
// valLen int32, value) into e as views. Hot path: plain offsets, no
// reader.
func decodeRocketMQExt(b []byte, e *ExtFields, lim *Limits) error {
	for n, p := 0, 0; p < len(b); n++ {
		if n == lim.MaxExtFields {
			return ErrTooManyExtFields
		}
		if len(b)-p < 2 {
			return ErrHeaderTruncated
		}
		kl := int(int16(binary.BigEndian.Uint16(b[p:])))
		p += 2
		switch {
		case kl < 0:
			return ErrNegativeLength
		case kl > lim.MaxExtKey:
			return ErrExtKeyTooLarge
		case kl+4 > len(b)-p:
			return ErrHeaderTruncated
		}
		k := b[p : p+kl : p+kl]
		p += kl
		vl := int(int32(binary.BigEndian.Uint32(b[p:])))
		p += 4
		switch {
		case vl < 0:
			return ErrNegativeLength
		case vl > lim.MaxExtValue:
			return ErrExtValueTooLarge
		case vl > len(b)-p:
			return ErrHeaderTruncated
		}
		e.push(k, b[p:p+vl:p+vl])
		p += vl
	}
	return nil
}

// appendRocketMQHeader appends c's header in the ROCKETMQ encoding.
func appendRocketMQHeader(dst []byte, c *Command) ([]byte, error) {
	if c.Code < math.MinInt16 || c.Code > math.MaxInt16 {
		return dst, ErrCodeRange
	}
	if len(c.Remark) > math.MaxInt32 {
		return dst, ErrHeaderTooLarge
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Code))
	dst = append(dst, byte(c.Language))
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Version))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Opaque))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Flag))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Remark)))
	dst = append(dst, c.Remark...)
	lenAt := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	for i := range c.Ext.kv {
		k, v := c.Ext.kv[i].key, c.Ext.kv[i].val
		if len(k) > math.MaxInt16 {
			return dst, ErrExtKeyEncode
		}
		if len(v) > maxHeaderLen {
			return dst, ErrHeaderTooLarge
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(k)))
		dst = append(dst, k...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
		dst = append(dst, v...)
		if len(dst)-lenAt > maxHeaderLen {
			return dst, ErrHeaderTooLarge
		}
	}
	binary.BigEndian.PutUint32(dst[lenAt:], uint32(len(dst)-lenAt-4))
	return dst, nil
}
