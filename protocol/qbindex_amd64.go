//go:build !purego

package protocol

import "golang.org/x/sys/cpu"

var haveAVX2 = cpu.X86.HasAVX2

// qbMask writes, for each of the n 64-byte blocks at b, a word whose bit k
// is set when byte k of the block is '"' or '\\'. Requires AVX2.
//
//go:noescape
func qbMask(b *byte, n int, out *uint64)
