package protocol

import (
	"math/rand/v2"
	"testing"
)

// TestQBIndexNext checks every lookup of the quote index against a byte
// scan, for lengths around the 64-byte blocks and past the covered 2 KiB.
func TestQBIndexNext(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'a', '"', '\\', 0, 0xFF, 'u', '{'}
	var x qbIndex
	for _, n := range []int{0, 1, 63, 64, 65, 127, 128, 200, 1000, 2047, 2048, 2049, 3000, 5000} {
		for round := 0; round < 20; round++ {
			b := make([]byte, n)
			density := rng.IntN(60) + 1
			for i := range b {
				if rng.IntN(density) == 0 {
					b[i] = alphabet[rng.IntN(len(alphabet))]
				} else {
					b[i] = 'x'
				}
			}
			x.build(b)
			if haveAVX2 && n >= 64 && x.covered != min(n, qbWords*64) {
				t.Fatalf("n=%d: covered %d", n, x.covered)
			}
			for i := 0; i <= n; i++ {
				want := i
				for want < n && b[want] != '"' && b[want] != '\\' {
					want++
				}
				if got := x.next(b, i); got != want {
					t.Fatalf("n=%d density=%d: next(%d) = %d, want %d", n, density, i, got, want)
				}
			}
		}
	}
}
