package fuzz

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/protocol"
)

// Captured from rocketmq-client-go v2.1.2 by the protocol and message
// packages' interop tests.
const (
	sendMessageFramePath = "../protocol/testdata/clientgo/send_message.frame"
	sendBatchFramePath   = "../protocol/testdata/clientgo/send_batch_message.frame"
	batchBodyPath        = "../message/testdata/clientgo_batch_body.bin"
)

func readTestdata(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("seed corpus: %v", err)
	}
	return b
}

// clientGoFrames returns the two captured client-go frames (SEND_MESSAGE
// and SEND_BATCH_MESSAGE, JSON headers).
func clientGoFrames(tb testing.TB) [][]byte {
	return [][]byte{readTestdata(tb, sendMessageFramePath), readTestdata(tb, sendBatchFramePath)}
}

// splitFrameParts cuts a whole, well-formed frame into its serialize type,
// header and body, checking only what it needs to slice.
func splitFrameParts(tb testing.TB, frame []byte) (st byte, hdr, body []byte) {
	tb.Helper()
	if len(frame) < 8 || int(binary.BigEndian.Uint32(frame)) != len(frame)-4 {
		tb.Fatalf("seed frame: bad length prefix")
	}
	word := binary.BigEndian.Uint32(frame[4:])
	hl := int(word & 0xFFFFFF)
	if 8+hl > len(frame) {
		tb.Fatalf("seed frame: bad header length")
	}
	return byte(word >> 24), frame[8 : 8+hl], frame[8+hl:]
}

// buildFrame wraps hdr and body in a frame with a correct length prefix and
// header-length word. REQUIRES: len(hdr) < 1<<24.
func buildFrame(st byte, hdr, body []byte) []byte {
	b := make([]byte, 8, 8+len(hdr)+len(body))
	binary.BigEndian.PutUint32(b, uint32(4+len(hdr)+len(body)))
	binary.BigEndian.PutUint32(b[4:], uint32(st)<<24|uint32(len(hdr)))
	b = append(b, hdr...)
	return append(b, body...)
}

// within reports whether the len(s) bytes of s lie inside outer[:len(outer)]
// (an empty s always does). Views that claim to alias a record or frame must
// pass it: a view reaching into outer's spare capacity reads bytes that are
// not part of the record.
func within(s, outer []byte) bool {
	if len(s) == 0 {
		return true
	}
	if len(outer) == 0 {
		return false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(outer)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return p >= base && p+uintptr(len(s)) <= base+uintptr(len(outer))
}

// capped reports whether s is within outer and its capacity ends within
// outer too, so that appending to s cannot overwrite bytes after outer.
func capped(s, outer []byte) bool {
	return within(s, outer) && (len(s) == 0 || within(s[:cap(s)], outer))
}

// withSpareCap returns a copy of b whose backing array continues past
// len(b) with junk bytes, so that a decoder slicing up to the capacity
// instead of the length is caught by within and by content checks.
func withSpareCap(b []byte) []byte {
	c := make([]byte, len(b), len(b)+64)
	copy(c, b)
	junk := c[len(b):cap(c)]
	for i := range junk {
		junk[i] = 0xA5
	}
	return c
}

// allocTick throttles the allocation checks: runtime.ReadMemStats stops the
// world, so it runs on the first and then every 64th call.
var allocTick atomic.Uint64

func allocCheckDue() bool { return allocTick.Add(1)%64 == 1 }

// allocSink keeps measured allocations from being optimised away.
var allocSink any

// bytesAllocated returns the bytes the heap handed out while fn ran. Other
// goroutines of the fuzzing worker add noise, so callers use generous
// bounds and retry before failing.
func bytesAllocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// allocBound is the most a decoder may allocate for an input of n bytes:
// a fixed 64 KiB for its tables and buffers plus 8 bytes per input byte.
// A decoder that trusts a claimed length (up to 16 MiB in a frame) blows it.
func allocBound(n int) uint64 { return 64<<10 + 8*uint64(n) }

// checkAllocBound fails t when fn allocates more than allocBound(n) on
// three attempts in a row.
func checkAllocBound(t *testing.T, what string, n int, fn func()) {
	var got uint64
	for try := 0; try < 3; try++ {
		if got = bytesAllocated(fn); got <= allocBound(n) {
			return
		}
	}
	t.Fatalf("%s of a %d-byte input allocated %d bytes, bound %d", what, n, got, allocBound(n))
}

// hostFromBytes turns fuzz bytes into a Host: 4 bytes make an IPv4 address,
// 16 an IPv6 one (possibly IPv4-mapped), 17 an IPv6 one with a zone, any
// other length the zero Addr.
func hostFromBytes(ip []byte, port int32) message.Host {
	var a netip.Addr
	switch len(ip) {
	case 4:
		a = netip.AddrFrom4([4]byte(ip))
	case 16:
		a = netip.AddrFrom16([16]byte(ip))
	case 17:
		a = netip.AddrFrom16([16]byte(ip[:16]))
		if !a.Is4In6() {
			a = a.WithZone(fmt.Sprintf("z%d", ip[16]))
		}
	}
	return message.Host{Addr: a, Port: port}
}

// storedHost is what a record stores for h and reads back: IPv4 and
// IPv4-mapped addresses as 4-byte IPv4, the zero Addr as 0.0.0.0, other
// addresses as 16 bytes without a zone.
func storedHost(h message.Host) message.Host {
	a := h.Addr
	switch {
	case !a.IsValid():
		a = netip.AddrFrom4([4]byte{})
	case a.Is4() || a.Is4In6():
		a = netip.AddrFrom4(a.Unmap().As4())
	default:
		a = netip.AddrFrom16(a.As16())
	}
	return message.Host{Addr: a, Port: h.Port}
}

// sampleRecords encodes a few records covering both versions, both host
// forms, empty and non-empty parts, for seed corpora.
func sampleRecords(tb testing.TB) [][]byte {
	tb.Helper()
	props := message.AppendProperty(nil, message.PropertyTags, "TagA")
	props = message.AppendProperty(props, message.PropertyKeys, "k1 k2")
	props = message.AppendProperty(props, message.PropertyUniqKey, "C0A8010A00002A9F0000000000001234")
	v4 := message.Host{Addr: netip.MustParseAddr("192.168.1.10"), Port: 10911}
	v6 := message.Host{Addr: netip.MustParseAddr("2001:db8::1"), Port: 10911}
	fields := []message.Fields{
		{},
		{
			QueueID: 3, Flag: 7, QueueOffset: 42, PhysicalOffset: 0x1234, SysFlag: message.SysFlagMultiTags,
			BornTimestamp: 1700000000000, BornHost: v4, StoreTimestamp: 1700000000001, StoreHost: v4,
			ReconsumeTimes: 1, Topic: []byte("TopicTest"), Body: []byte("Hello RocketMQ"), Properties: props,
		},
		{
			Version: message.V2, QueueID: -1, QueueOffset: -1, SysFlag: message.SysFlagTransactionCommit,
			BornHost: v6, StoreHost: v4, PreparedTransactionOffset: 99, Topic: []byte("t"), Body: []byte{0},
			Properties: []byte("a\x01b\x02"),
		},
		{BornHost: v4, StoreHost: v6, Topic: []byte("%RETRY%group"), Properties: []byte("\x01\x02x\x01\x01y\x02")},
	}
	var out [][]byte
	for i := range fields {
		rec, err := message.AppendRecord(nil, &fields[i])
		if err != nil {
			tb.Fatalf("seed record %d: %v", i, err)
		}
		out = append(out, rec)
	}
	return out
}

// errorsIsAny reports whether err wraps one of targets.
func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// decodeErrors are the errors protocol.Decoder.Decode documents.
var decodeErrors = []error{
	protocol.ErrFrameNegative, protocol.ErrFrameTooLarge, protocol.ErrFrameTooShort,
	protocol.ErrFrameLength, protocol.ErrHeaderLength, protocol.ErrSerializeType,
	protocol.ErrHeaderTruncated, protocol.ErrHeaderTrailing, protocol.ErrNegativeLength,
	protocol.ErrRemarkTooLarge, protocol.ErrTooManyExtFields, protocol.ErrExtKeyTooLarge,
	protocol.ErrExtValueTooLarge, protocol.ErrJSONSyntax, protocol.ErrJSONType,
	protocol.ErrJSONEscape, protocol.ErrJSONDepth, protocol.ErrNumberRange,
}

// TestAllocBoundCatchesClaimedSize checks that the allocation measurement
// the header targets rely on sees a decoder that trusts a 16 MiB claim.
func TestAllocBoundCatchesClaimedSize(t *testing.T) {
	got := bytesAllocated(func() { allocSink = make([]byte, 16<<20) })
	allocSink = nil
	if got <= allocBound(1<<10) {
		t.Fatalf("a 16 MiB allocation measured %d bytes, within the bound %d", got, allocBound(1<<10))
	}
}
