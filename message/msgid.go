package message

import (
	"encoding/binary"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Lengths of message ids in hex digits. Format, never change.
const (
	// OffsetIDLen is the length of an offset message id with an IPv4 store
	// host: 4-byte address, int32 port, int64 commit-log offset.
	OffsetIDLen = 32
	// OffsetIDLenV6 is the same with an IPv6 store host (16-byte address).
	OffsetIDLenV6 = 56

	// UniqIDLen is the length of a Java client id (UNIQ_KEY) with an IPv4
	// address: ip 4 | pid int16 | class-loader hash int32 | ms since the
	// start of the month int32 | counter int16.
	UniqIDLen = 32
	// UniqIDLenV6 is the same with an IPv6 address.
	UniqIDLenV6 = 56
)

const hexUpper = "0123456789ABCDEF"

func appendHex(dst []byte, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexUpper[c>>4], hexUpper[c&0xF])
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// decodeHex decodes len(dst)*2 hex digits of src into dst.
func decodeHex[T ByteString](dst []byte, src T) bool {
	for i := range dst {
		hi, ok1 := unhex(src[2*i])
		lo, ok2 := unhex(src[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

// AppendOffsetID appends the offset message id of the record at commit-log
// offset offset on storeHost: the store host as stored (4- or 16-byte
// address, int32 port) and the int64 offset, in uppercase hex; 32 or 56
// digits. This is the msgId of a SEND response.
func AppendOffsetID(dst []byte, storeHost Host, offset int64) []byte {
	var b [28]byte
	n := putHost(b[:], storeHost)
	binary.BigEndian.PutUint64(b[n:], uint64(offset))
	return appendHex(dst, b[:n+8])
}

// ParseOffsetID decodes an offset message id of 32 (IPv4) or 56 (IPv6) hex
// digits in either case. Other lengths or non-hex digits give
// ErrInvalidMessageID.
func ParseOffsetID[T ByteString](id T) (storeHost Host, offset int64, err error) {
	var b [28]byte
	var ipLen int
	switch len(id) {
	case OffsetIDLen:
		ipLen = 4
	case OffsetIDLenV6:
		ipLen = 16
	default:
		return Host{}, 0, ErrInvalidMessageID
	}
	raw := b[:len(id)/2]
	if !decodeHex(raw, id) {
		return Host{}, 0, ErrInvalidMessageID
	}
	h := readHost(raw, ipLen+4)
	return h, int64(binary.BigEndian.Uint64(raw[ipLen+4:])), nil
}

// UniqIDConfig configures a UniqIDGenerator. The zero value is usable.
type UniqIDConfig struct {
	// IP is the client address written into each id. IPv4 and IPv4-mapped
	// addresses take 4 bytes, others 16. The zero Addr stands for Java's
	// fallback: bytes 4..7 of the current time in ms.
	IP netip.Addr
	// PID is truncated to int16. 0 means os.Getpid().
	PID int
	// ClassLoaderHash fills the Java class-loader hash field. Default 0,
	// as client-go writes.
	ClassLoaderHash int32
	// Now is the clock; nil means time.Now. The month boundary is taken in
	// the location of the time it returns (time.Now: local time, as Java's
	// Calendar).
	Now func() time.Time
}

// UniqIDGenerator makes client message ids (UNIQ_KEY) in the layout of
// Java's MessageClientIDSetter: a fixed prefix (ip | pid | class-loader
// hash), the milliseconds since the start of the current month (int32) and
// a wrapping 16-bit counter, all in uppercase hex. It is safe for
// concurrent use and allocates only when a month rolls over.
//
// Ids are unique per generator as long as fewer than 65536 are made in one
// millisecond. Everyone else treats them as opaque strings.
type UniqIDGenerator struct {
	prefix    [44]byte // hex of ip | pid | class-loader hash
	prefixLen int
	now       func() time.Time
	counter   atomic.Uint32

	mu  sync.Mutex // serializes month roll-over
	win atomic.Pointer[monthWindow]
}

// monthWindow is one month in ms since the epoch: [start, next).
type monthWindow struct{ start, next int64 }

// NewUniqIDGenerator returns a generator configured by c.
func NewUniqIDGenerator(c UniqIDConfig) *UniqIDGenerator {
	g := &UniqIDGenerator{now: c.Now}
	if g.now == nil {
		g.now = time.Now
	}
	pid := c.PID
	if pid == 0 {
		pid = os.Getpid()
	}
	var b [22]byte
	n := 0
	switch a := c.IP; {
	case a.Is4() || a.Is4In6():
		ip := a.Unmap().As4()
		n = copy(b[:], ip[:])
	case a.Is6():
		ip := a.As16()
		n = copy(b[:], ip[:])
	default:
		var t [8]byte
		binary.BigEndian.PutUint64(t[:], uint64(g.now().UnixMilli()))
		n = copy(b[:], t[4:8])
	}
	binary.BigEndian.PutUint16(b[n:], uint16(pid))
	binary.BigEndian.PutUint32(b[n+2:], uint32(c.ClassLoaderHash))
	g.prefixLen = len(appendHex(g.prefix[:0], b[:n+6]))
	g.roll(g.now())
	return g
}

// roll moves the month window to the month holding t, unless another
// goroutine already did.
func (g *UniqIDGenerator) roll(t time.Time) *monthWindow {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := t.UnixMilli()
	if w := g.win.Load(); w != nil && ms < w.next {
		return w
	}
	y, m, _ := t.Date()
	start := time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
	w := &monthWindow{start: start.UnixMilli(), next: start.AddDate(0, 1, 0).UnixMilli()}
	g.win.Store(w)
	return w
}

// Len returns the length of the ids g makes: UniqIDLen or UniqIDLenV6.
func (g *UniqIDGenerator) Len() int { return g.prefixLen + 12 }

// Append appends a new id to dst.
func (g *UniqIDGenerator) Append(dst []byte) []byte { return g.AppendAt(dst, g.now()) }

// Now reads g's clock (UniqIDConfig.Now).
func (g *UniqIDGenerator) Now() time.Time { return g.now() }

// AppendAt appends a new id made at t, a time read from g.Now, to dst. A
// caller making several ids at once (a batch) reads the clock once: ids
// stay unique through the counter, whatever their times.
func (g *UniqIDGenerator) AppendAt(dst []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	w := g.win.Load()
	if ms >= w.next {
		w = g.roll(t)
	}
	// As Java: a small negative difference (a clock step back) becomes 0.
	diff := int32(ms - w.start)
	if diff < 0 && diff > -1_000_000 {
		diff = 0
	}
	seq := uint16(g.counter.Add(1) - 1)
	var b [6]byte
	binary.BigEndian.PutUint32(b[:], uint32(diff))
	binary.BigEndian.PutUint16(b[4:], seq)
	dst = append(dst, g.prefix[:g.prefixLen]...)
	return appendHex(dst, b[:])
}

// New returns a new id as a string.
func (g *UniqIDGenerator) New() string {
	var b [UniqIDLenV6]byte
	return string(g.Append(b[:0]))
}

// UniqIDTime estimates when a 32- or 56-digit client id (Java's or
// client-go's layout) was made, as Java's getNearlyTimeFromID does: the
// id's offset into a month is applied to the month of now, or to the
// previous month when that would be after now. (Java also takes the
// previous month when the two are equal, misplacing an id made in the same
// millisecond.) ok is false for other lengths or non-hex digits; such ids
// are simply opaque.
func UniqIDTime[T ByteString](id T, now time.Time) (t time.Time, ok bool) {
	var ipLen int
	switch len(id) {
	case UniqIDLen:
		ipLen = 4
	case UniqIDLenV6:
		ipLen = 16
	default:
		return time.Time{}, false
	}
	var b [28]byte
	raw := b[:len(id)/2]
	if !decodeHex(raw, id) {
		return time.Time{}, false
	}
	span := int64(binary.BigEndian.Uint32(raw[ipLen+6:]))
	y, m, _ := now.Date()
	start := time.Date(y, m, 1, 0, 0, 0, 0, now.Location())
	if start.UnixMilli()+span > now.UnixMilli() {
		start = start.AddDate(0, -1, 0)
	}
	return start.Add(time.Duration(span) * time.Millisecond), true
}
