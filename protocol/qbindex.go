package protocol

import "math/bits"

// qbWords is how many 64-byte blocks of a JSON header the quote index
// covers (2 KiB: every header clients send on the hot paths). Past it, the
// scanners fall back to eight bytes at a time.
const qbWords = 32

// qbIndex marks every '"' and '\\' in the first bytes of a JSON header, one
// bit per byte, so that finding the end of a string is a table lookup rather
// than a scan. It is built once per header by a vector pass (stage one, in
// the manner of simdjson); the JSON decoder's hot loop then jumps from
// quote to quote. Without AVX2 (or under the purego tag) it stays empty and
// every lookup falls back to nextQuoteOrBackslash.
//
// A qbIndex lives in a Decoder and is valid for the header it was last
// built on.
type qbIndex struct {
	words   [qbWords]uint64
	n       int // words in use
	covered int // header bytes the words cover: b[:covered]
}

// noIndex is the empty index, for scans outside the hot loop: every lookup
// falls back to nextQuoteOrBackslash. Never written.
var noIndex qbIndex

// build indexes b. It must be called before next is used on b.
func (x *qbIndex) build(b []byte) {
	x.n, x.covered = 0, 0
	if !haveAVX2 || len(b) < 64 {
		return // short headers: the SWAR scan is as fast
	}
	n := min(len(b), qbWords*64)
	full := n / 64
	qbMask(&b[0], full, &x.words[0])
	if tail := n - full*64; tail > 0 && full < qbWords {
		// Zero bytes match neither character, so the block needs no mask.
		var blk [64]byte
		copy(blk[:], b[full*64:n])
		qbMask(&blk[0], 1, &x.words[full])
		full++
	}
	x.n, x.covered = full, n
}

// next returns the offset of the first '"' or '\\' in b at or after i, or
// len(b). b must be the slice the index was built on.
func (x *qbIndex) next(b []byte, i int) int {
	if i < x.covered {
		w := i >> 6
		if m := x.words[w&(qbWords-1)] >> (uint(i) & 63); m != 0 {
			return i + bits.TrailingZeros64(m)
		}
		for w++; w < x.n; w++ {
			if m := x.words[w&(qbWords-1)]; m != 0 {
				return w<<6 + bits.TrailingZeros64(m)
			}
		}
		i = x.covered
	}
	return nextQuoteOrBackslash(b, i)
}
