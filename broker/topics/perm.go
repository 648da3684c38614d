package topics

import "github.com/quivermq/quiver/protocol"

// Permission bits of a topic or a broker (PermName.java). Values are wire
// and file format, never change.
const (
	PermPriority = int32(1 << 3)
	PermRead     = protocol.PermRead    // 4
	PermWrite    = protocol.PermWrite   // 2
	PermInherit  = protocol.PermInherit // 1
)

// IsReadable reports whether perm has the read bit.
func IsReadable(perm int32) bool { return perm&PermRead == PermRead }

// IsWriteable reports whether perm has the write bit.
func IsWriteable(perm int32) bool { return perm&PermWrite == PermWrite }

// IsInherited reports whether perm has the inherit bit: new topics may be
// created from a topic with it (TBW102).
func IsInherited(perm int32) bool { return perm&PermInherit == PermInherit }

// PermString renders perm as Java's PermName.perm2String: "RWX" with '-'
// for a missing bit.
func PermString(perm int32) string {
	b := []byte("---")
	if IsReadable(perm) {
		b[0] = 'R'
	}
	if IsWriteable(perm) {
		b[1] = 'W'
	}
	if IsInherited(perm) {
		b[2] = 'X'
	}
	return string(b)
}
