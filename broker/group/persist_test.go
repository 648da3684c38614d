package group

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/internal/testutil"
)

func TestPersister(t *testing.T) {
	var calls atomic.Int32
	boom := errors.New("boom")
	p := StartPersister(5*time.Millisecond, func() error {
		if calls.Add(1) == 1 {
			return boom // logged, the loop goes on
		}
		return nil
	}, testConfig(newFakeClock()).Logger)
	testutil.Eventually(t, 5*time.Second, func() bool { return calls.Load() >= 3 }, "persister did not tick")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	n := calls.Load()
	if err := p.Close(); err != nil || calls.Load() != n {
		t.Fatal("second Close ran fn again")
	}

	// Close flushes once more and returns its error.
	var last atomic.Bool
	p = StartPersister(time.Hour, func() error { last.Store(true); return boom }, nil)
	if err := p.Close(); !errors.Is(err, boom) || !last.Load() {
		t.Fatalf("close: %v", err)
	}
}
