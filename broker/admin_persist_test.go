package broker

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAdminPersistGroupCommit checks the admin persistence queue: every
// waiter is answered exactly once, by a write that started after it was
// queued, with that write's error; concurrent waiters share writes.
func TestAdminPersistGroupCommit(t *testing.T) {
	var (
		version atomic.Int64 // "the table": bumped before each enqueue
		written atomic.Int64 // the version the last write saw
		writes  atomic.Int64
		fail    atomic.Bool
	)
	p := newAdminPersist(func() error {
		writes.Add(1)
		written.Store(version.Load())
		time.Sleep(time.Millisecond) // a slow disk: waiters pile up
		if fail.Load() {
			return errors.New("disk on fire")
		}
		return nil
	}, slog.Default())

	const n = 200
	var wg sync.WaitGroup
	var answered atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			v := version.Add(1)
			var once atomic.Bool
			if !p.enqueue(func(err error) {
				if once.Swap(true) {
					t.Error("answered twice")
				}
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				if written.Load() < v {
					t.Errorf("answered by a write that did not see change %d", v)
				}
				answered.Add(1)
				wg.Done()
			}) {
				t.Error("enqueue refused")
				wg.Done()
			}
		}()
	}
	wg.Wait()
	if answered.Load() != n {
		t.Fatalf("answered %d of %d", answered.Load(), n)
	}
	if w := writes.Load(); w >= n {
		t.Errorf("%d writes for %d waiters: no grouping", w, n)
	}

	fail.Store(true)
	done := make(chan error, 1)
	p.enqueue(func(err error) { done <- err })
	if err := <-done; err == nil || err.Error() != "disk on fire" {
		t.Fatalf("error not passed on: %v", err)
	}
	// The goroutine exits when idle.
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		running := p.running
		p.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("persist goroutine still running when idle")
		}
		time.Sleep(time.Millisecond)
	}
}
