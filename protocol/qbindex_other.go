//go:build !amd64 || purego

package protocol

const haveAVX2 = false

// qbMask is never called without AVX2.
func qbMask(b *byte, n int, out *uint64) { panic("protocol: qbMask without AVX2") }
