package segment

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/vfs"
)

// The write-mode benchmarks run on the real disk (b.TempDir) with 64 MiB
// segments. Each segment is used once, from offset 0 up, as the commit log
// uses it: the writes land on freshly fallocated (unwritten) extents. When
// one is full the timer stops, it is removed and a new one is created.
//
//	go test -run '^$' -bench 'Write(Sync|Async)' -benchtime 2000x -count 3 ./engine/segment/

const benchSegSize = 64 << 20

var benchRecSizes = []int{1 << 10, 4 << 10, 16 << 10, 64 << 10}

// benchLog is a run of fresh segments for one benchmark.
type benchLog struct {
	b   *testing.B
	fs  *faultFS // no faults: counts fdatasyncs
	dir string
	cfg Config
	s   *Segment
	off int
}

func newBenchLog(b *testing.B, mode WriteMode) *benchLog {
	cfg := DefaultConfig()
	cfg.Size = benchSegSize
	cfg.WriteMode = mode
	l := &benchLog{b: b, fs: newFaultFS(), dir: b.TempDir(), cfg: cfg}
	l.roll()
	b.Cleanup(func() { l.drop() })
	return l
}

func (l *benchLog) drop() {
	if l.s == nil {
		return
	}
	if err := l.s.Remove(); err != nil {
		l.b.Fatal(err)
	}
	if err := l.s.Wait(); err != nil {
		l.b.Fatal(err)
	}
	l.s = nil
}

// roll replaces the segment with a fresh one. The caller stops the timer.
func (l *benchLog) roll() {
	base := int64(0)
	if l.s != nil {
		base = l.s.Base() + int64(l.cfg.Size)
	}
	l.drop()
	s, err := Create(l.fs, l.dir, base, l.cfg)
	if err != nil {
		l.b.Fatal(err)
	}
	l.s, l.off = s, 0
}

// next returns the offset for a record of n bytes, rolling (timer
// stopped) when the segment is full.
func (l *benchLog) next(n int) int {
	if l.off+n > l.cfg.Size {
		l.b.StopTimer()
		l.roll()
		l.b.StartTimer()
	}
	off := l.off
	l.off += n
	return off
}

func record(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + 1)
	}
	return p
}

// BenchmarkWriteSync measures a SYNC_FLUSH append with no group commit:
// one WriteAt of a record at the next offset, then Sync (fdatasync). It
// reports the p50 and p99 latency of the pair.
func BenchmarkWriteSync(b *testing.B) {
	for _, mode := range modes {
		for _, n := range benchRecSizes {
			b.Run(fmt.Sprintf("mode=%s/size=%dKiB", mode, n>>10), func(b *testing.B) {
				l := newBenchLog(b, mode)
				rec := record(n)
				lat := make([]time.Duration, 0, b.N)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					off := l.next(n)
					t0 := time.Now()
					if err := l.s.WriteAt(rec, off); err != nil {
						b.Fatal(err)
					}
					if err := l.s.Sync(); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				b.StopTimer()
				reportLatency(b, lat)
			})
		}
	}
}

// BenchmarkWriteAsync measures an ASYNC_FLUSH append: WriteAt alone, into
// a warmed segment; the kernel writes the pages back later.
func BenchmarkWriteAsync(b *testing.B) {
	for _, mode := range modes {
		for _, n := range benchRecSizes {
			b.Run(fmt.Sprintf("mode=%s/size=%dKiB", mode, n>>10), func(b *testing.B) {
				l := newBenchLog(b, mode)
				rec := record(n)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := l.s.WriteAt(rec, l.next(n)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkWriteWhileSyncing measures appends with a flusher running: the
// writer does WriteAt back to back while another goroutine calls Sync in a
// loop, as the group-commit flusher does under load (and the async flusher
// does every flushIntervalCommitLog). It reports the latency of WriteAt
// alone, which is what the append lock is held for: a store that faults
// on a page under write-back, or a pwrite that waits for it, shows here.
// syncs/op is the flusher's fdatasyncs per append.
func BenchmarkWriteWhileSyncing(b *testing.B) {
	for _, mode := range modes {
		for _, n := range benchRecSizes {
			b.Run(fmt.Sprintf("mode=%s/size=%dKiB", mode, n>>10), func(b *testing.B) {
				l := newBenchLog(b, mode)
				rec := record(n)
				lat := make([]time.Duration, 0, b.N)
				var (
					mu   sync.Mutex // guards l.s against the roll
					stop = make(chan struct{})
					done = make(chan struct{})
				)
				go func() {
					defer close(done)
					for {
						select {
						case <-stop:
							return
						default:
						}
						mu.Lock()
						s := l.s
						mu.Unlock()
						if s.Flushed() == s.Wrote() {
							// Idle: do not spin on one of the two cores.
							time.Sleep(50 * time.Microsecond)
							continue
						}
						if err := s.Sync(); err != nil && !errors.Is(err, ErrClosed) {
							b.Error(err)
							return
						}
					}
				}()
				b.SetBytes(int64(n))
				b.ReportAllocs()
				syncs0 := l.fs.syncs.Load()
				b.ResetTimer()
				for range b.N {
					if l.off+n > l.cfg.Size {
						b.StopTimer()
						mu.Lock()
						l.roll()
						mu.Unlock()
						b.StartTimer()
					}
					off := l.next(n)
					t0 := time.Now()
					if err := l.s.WriteAt(rec, off); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				b.StopTimer()
				close(stop)
				<-done
				reportLatency(b, lat)
				// Includes the one fdatasync of each Create during a roll.
				b.ReportMetric(float64(l.fs.syncs.Load()-syncs0)/float64(b.N), "syncs/op")
			})
		}
	}
}

// BenchmarkCreate measures what the Allocator does off the append path for
// one 64 MiB segment: allocate, sync, rename, sync dir, map, warm.
func BenchmarkCreate(b *testing.B) {
	for _, warm := range []bool{false, true} {
		b.Run(fmt.Sprintf("warm=%v", warm), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Size = benchSegSize
			cfg.Warm = warm
			dir := b.TempDir()
			b.SetBytes(benchSegSize)
			for i := range b.N {
				s, err := Create(vfs.Default, dir, int64(i)*benchSegSize, cfg)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Remove(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// reportLatency adds p50, p99 and max of lat, in microseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e3
	}
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1])/1e3, "max-µs")
}
