package commitlog

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/message"
)

// benchSeg keeps segment creation (fallocate + warm) out of most iterations
// while fitting /tmp.
const benchSeg = 64 << 20

// BenchmarkAppendAsync: 1 KiB records under FlushAsync, real files.
//
//	go test -run '^$' -bench AppendAsync -benchtime 200000x ./engine/commitlog/
//
// least=4 is RocketMQ's default (an fdatasync every 16 KiB, concurrent with
// the appends); least=interval flushes only every 500 ms, which isolates the
// append path from fdatasync interference.
func BenchmarkAppendAsync(b *testing.B) {
	for _, mode := range modes {
		for _, least := range []int{4, 1 << 30} {
			name := fmt.Sprintf("%s/least=%d", mode, least)
			if least == 1<<30 {
				name = mode.String() + "/least=interval"
			}
			b.Run(name, func(b *testing.B) { benchAppendAsync(b, mode, least, DefaultConfig().PrepareAhead) })
		}
	}
}

// BenchmarkAppendAsyncPrepare: BenchmarkAppendAsync in WriteMapped mode by
// PrepareAhead window. flush-µs is the mean flush round (the prepared pages
// beyond the appender are written back with the data); prepared-B/op the
// bytes the helper mapped writable per append.
//
//	go test -run '^$' -bench AppendAsyncPrepare -benchtime 20000x -count 3 ./engine/commitlog/
func BenchmarkAppendAsyncPrepare(b *testing.B) {
	for _, least := range []int{4, 1 << 30} {
		for _, window := range []int{0, 64 << 10, 1 << 20, 4 << 20} {
			name := fmt.Sprintf("least=%d/prepare=%dK", least, window>>10)
			if least == 1<<30 {
				name = fmt.Sprintf("least=interval/prepare=%dK", window>>10)
			}
			b.Run(name, func(b *testing.B) { benchAppendAsync(b, segment.WriteMapped, least, window) })
		}
	}
}

func benchAppendAsync(b *testing.B, mode segment.WriteMode, least, window int) {
	{
		{
			cfg := testConfig(mode, FlushAsync)
			cfg.SegmentSize = benchSeg
			cfg.FlushInterval = 500 * time.Millisecond
			cfg.FlushLeastPages = least
			cfg.PrepareAhead = window
			l, _ := mustOpen(b, vfs.Default, b.TempDir(), cfg, 0)
			defer l.Close()
			// Let the allocator finish pre-making segment 1 (fallocate and
			// warm-up on the other core), as it would have long before in
			// a running broker.
			for l.alloc.Stats().Created < 2 {
				time.Sleep(time.Millisecond)
			}
			f := fieldsFor(1, 1024)
			n, _ := f.EncodedLen()
			b.SetBytes(int64(n))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f.HaveBodyCRC = false // the CRC is part of the cost
				if _, err := l.Append(f, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := l.flush(); err != nil { // the flush of the tail counts too
				b.Fatal(err)
			}
			if m := l.Metrics(); m.Flushes > 0 {
				b.ReportMetric(float64(m.FlushTotal.Microseconds())/float64(m.Flushes), "flush-µs")
				b.ReportMetric(float64(m.Prepared)/float64(b.N), "prepared-B/op")
			}
		}
	}
}

// BenchmarkAppendSync: G appenders of 1 KiB records under FlushSync, each
// waiting for its record to be durable before the next; real files. Reports
// the append-to-durable latency p50/p99 and fdatasyncs per append.
//
//	go test -run '^$' -bench AppendSync -benchtime 3s ./engine/commitlog/
func BenchmarkAppendSync(b *testing.B) {
	for _, mode := range modes {
		for _, zero := range []bool{true, false} {
			for _, g := range []int{1, 16, 64} {
				b.Run(fmt.Sprintf("%s/zerofill=%v/appenders=%d", mode, zero, g), func(b *testing.B) {
					cfg := testConfig(mode, FlushSync)
					cfg.SegmentSize = benchSeg
					cfg.NoZeroFill = !zero
					l, _ := mustOpen(b, vfs.Default, b.TempDir(), cfg, 0)
					defer l.Close()
					lat := make([][]time.Duration, g)
					var wg sync.WaitGroup
					b.ReportAllocs()
					b.ResetTimer()
					start := time.Now()
					for w := 0; w < g; w++ {
						ops := b.N / g
						if w < b.N%g {
							ops++
						}
						wg.Add(1)
						go func() {
							defer wg.Done()
							f := fieldsFor(w, 1024)
							done := make(chan error, 1)
							cb := func(err error) { done <- err }
							lat[w] = make([]time.Duration, 0, ops)
							for i := 0; i < ops; i++ {
								t0 := time.Now()
								res, err := l.Append(f, nil)
								if err != nil {
									b.Error(err)
									return
								}
								l.WaitFlushed(res.End, cb)
								if err := <-done; err != nil {
									b.Error(err)
									return
								}
								lat[w] = append(lat[w], time.Since(t0))
							}
						}()
					}
					wg.Wait()
					el := time.Since(start)
					b.StopTimer()
					all := slices.Concat(lat...)
					slices.Sort(all)
					if len(all) > 0 {
						b.ReportMetric(float64(len(all))/el.Seconds(), "ops/s")
						b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
						b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
						b.ReportMetric(float64(l.Metrics().Flushes)/float64(len(all)), "syncs/op")
					}
				})
			}
		}
	}
}

// BenchmarkRead: Read of a 1 KiB record by offset (page cache).
func BenchmarkRead(b *testing.B) {
	cfg := testConfig(segment.WritePwrite, FlushAsync)
	cfg.SegmentSize = 4 << 20
	l, _ := mustOpen(b, vfs.Default, b.TempDir(), cfg, 0)
	defer l.Close()
	var phys []int64
	for i := 0; i < 1000; i++ {
		res, err := l.Append(fieldsFor(i, 1024), nil)
		if err != nil {
			b.Fatal(err)
		}
		phys = append(phys, res.Phys)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var rec message.Record
	for i := 0; i < b.N; i++ {
		r, pin, err := l.Read(phys[i%len(phys)])
		if err != nil {
			b.Fatal(err)
		}
		rec = r
		pin.Release()
	}
	_ = rec
}

// BenchmarkRecover: Open with a full scan (CRC of every record) of 128 MiB
// of 1 KiB records in two segments, from the page cache. MB/s is scan speed;
// sec/GiB = 1024 / (MB/s).
//
//	go test -run '^$' -bench Recover -benchtime 5x ./engine/commitlog/
func BenchmarkRecover(b *testing.B) {
	cfg := testConfig(segment.WritePwrite, FlushAsync)
	cfg.SegmentSize = benchSeg
	dir := b.TempDir()
	l, _ := mustOpen(b, vfs.Default, dir, cfg, 0)
	f := fieldsFor(1, 1024)
	for l.Wrote() < 2*benchSeg-4096 {
		if _, err := l.Append(f, nil); err != nil {
			b.Fatal(err)
		}
	}
	end := l.Wrote()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(end)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, rep, err := Open(vfs.Default, dir, cfg, 0)
		if err != nil || rep.End != end {
			b.Fatalf("%v %v", rep, err)
		}
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
}

// BenchmarkAppendSyncLoops is BenchmarkAppendSync shaped like the broker:
// the senders are not goroutines but requests multiplexed over two "event
// loop" goroutines (netio runs one per core). A loop appends for each sender
// in its inbox and registers a waiter whose callback, on the flusher's
// goroutine, timestamps the acknowledgement and puts the sender back in the
// loop's inbox (as a reply written with AsyncWrite brings the client's next
// request). Latency runs from the sender entering the inbox to its
// acknowledgement. With goroutine senders (BenchmarkAppendSync) the
// flusher, back from fdatasync, queues for a P behind up to 64 runnable
// appenders; here it competes with two.
//
//	go test -run '^$' -bench AppendSyncLoops -benchtime 3s ./engine/commitlog/
func BenchmarkAppendSyncLoops(b *testing.B) {
	const loops = 2
	for _, mode := range modes {
		for _, g := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/senders=%d", mode, g), func(b *testing.B) {
				cfg := testConfig(mode, FlushSync)
				cfg.SegmentSize = benchSeg
				l, _ := mustOpen(b, vfs.Default, b.TempDir(), cfg, 0)
				defer l.Close()

				var (
					inbox   [loops]chan int
					issued  atomic.Int64
					acked   sync.WaitGroup
					mu      sync.Mutex
					lat     = make([]time.Duration, 0, b.N)
					failed  atomic.Pointer[error]
					fields  = make([]*message.Fields, g)
					started = make([]time.Time, g)
					cbs     = make([]func(error), g)
				)
				for i := range inbox {
					inbox[i] = make(chan int, g)
				}
				// issue puts sender id in its loop's inbox if the run still
				// wants operations; false when it is over.
				issue := func(id int) bool {
					if issued.Add(1) > int64(b.N) {
						return false
					}
					acked.Add(1)
					started[id] = time.Now()
					inbox[id%loops] <- id
					return true
				}
				for id := 0; id < g; id++ {
					fields[id] = fieldsFor(id, 1024)
					cbs[id] = func(err error) {
						d := time.Since(started[id])
						if err != nil {
							failed.CompareAndSwap(nil, &err)
						}
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
						issue(id)
						acked.Done()
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for i := range inbox {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for id := range inbox[i] {
							res, err := l.Append(fields[id], nil)
							if err != nil {
								cbs[id](err)
								continue
							}
							l.WaitFlushed(res.End, cbs[id])
						}
					}()
				}
				for id := 0; id < g; id++ {
					issue(id)
				}
				acked.Wait()
				el := time.Since(start)
				b.StopTimer()
				for i := range inbox {
					close(inbox[i])
				}
				wg.Wait()
				if e := failed.Load(); e != nil {
					b.Fatal(*e)
				}
				slices.Sort(lat)
				if len(lat) > 0 {
					b.ReportMetric(float64(len(lat))/el.Seconds(), "ops/s")
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
					m := l.Metrics()
					b.ReportMetric(float64(m.Flushes)/float64(len(lat)), "syncs/op")
					b.ReportMetric(float64(m.FlushTotal.Microseconds())/float64(m.Flushes), "flush-µs")
					b.ReportMetric(float64(histQuantile(m.FlushHist[:], 0.99).Microseconds()), "flush-p99-µs")
				}
			})
		}
	}
}

// histQuantile returns the upper bound of the FlushHist bucket holding the
// q-quantile: bucket i counts [2^(i-1), 2^i) µs.
func histQuantile(h []int64, q float64) time.Duration {
	var total int64
	for _, n := range h {
		total += n
	}
	want := int64(q * float64(total))
	var seen int64
	for i, n := range h {
		seen += n
		if seen > want {
			return time.Duration(1<<i) * time.Microsecond
		}
	}
	return 0
}
