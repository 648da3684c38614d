package message

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// Host is a socket address as records and offset message ids store it: an
// IPv4 address in 4 bytes or an IPv6 address in 16, then the port as int32.
//
// IPv4 and IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) use the 4-byte form,
// as Java does (Inet4Address); every other valid address uses the 16-byte
// form and sets the record's BORNHOST_V6/STOREHOST_V6 sysFlag bit. The zero
// Addr encodes as 0.0.0.0. A zone is dropped. The port is an int32 because
// the field is: records written by others may hold any value there.
//
// Host is a small value; passing and comparing it does not allocate.
type Host struct {
	Addr netip.Addr
	Port int32
}

// HostFrom converts ap to a Host.
func HostFrom(ap netip.AddrPort) Host {
	return Host{Addr: ap.Addr(), Port: int32(ap.Port())}
}

// AddrPort returns h as a netip.AddrPort. Ports outside 0..65535 are
// truncated to 16 bits; use Port for the stored value.
func (h Host) AddrPort() netip.AddrPort {
	return netip.AddrPortFrom(h.Addr, uint16(h.Port))
}

// IsV6 reports whether h is encoded in the 16-byte form.
func (h Host) IsV6() bool {
	return h.Addr.Is6() && !h.Addr.Is4In6()
}

// EncodedLen returns the stored length of h: 8 or 20 bytes.
func (h Host) EncodedLen() int {
	if h.IsV6() {
		return hostLenV6
	}
	return hostLenV4
}

// String returns "ip:port" ("[ip]:port" for IPv6), allocating.
func (h Host) String() string {
	a := h.Addr
	if a.Is4In6() {
		a = a.Unmap()
	}
	b := make([]byte, 0, 48)
	if a.Is6() {
		b = append(b, '[')
		b = a.WithZone("").AppendTo(b)
		b = append(b, ']')
	} else if a.IsValid() {
		b = a.AppendTo(b)
	} else {
		b = append(b, "0.0.0.0"...)
	}
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(h.Port), 10)
	return string(b)
}

// putHost writes h at the start of b, which must hold h.EncodedLen() bytes,
// and returns the number of bytes written.
func putHost(b []byte, h Host) int {
	if h.IsV6() {
		ip := h.Addr.As16()
		copy(b, ip[:])
		binary.BigEndian.PutUint32(b[16:], uint32(h.Port))
		return hostLenV6
	}
	var ip [4]byte
	if h.Addr.Is4() || h.Addr.Is4In6() {
		ip = h.Addr.Unmap().As4()
	}
	copy(b, ip[:])
	binary.BigEndian.PutUint32(b[4:], uint32(h.Port))
	return hostLenV4
}

// readHost decodes a host of the given stored length (8 or 20) from b.
// REQUIRES: len(b) >= n.
func readHost(b []byte, n int) Host {
	if n == hostLenV6 {
		return Host{
			Addr: netip.AddrFrom16([16]byte(b[:16])),
			Port: int32(binary.BigEndian.Uint32(b[16:])),
		}
	}
	return Host{
		Addr: netip.AddrFrom4([4]byte(b[:4])),
		Port: int32(binary.BigEndian.Uint32(b[4:])),
	}
}
