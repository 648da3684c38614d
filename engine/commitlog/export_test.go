package commitlog

import "math/rand/v2"

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 0)) }

// flushNowForTest runs one flush on the caller's goroutine.
func (l *Log) flushNowForTest() error { return l.flush() }
