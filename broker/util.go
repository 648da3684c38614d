package broker

import (
	"strconv"
	"unsafe"
)

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// unsafeString views b as a string without copying, for lookups that do
// not retain it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// unsafeBytes views s as bytes without copying, for callees that only read
// them and keep them no longer than s lives (the GC keeps s alive through
// the view).
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
