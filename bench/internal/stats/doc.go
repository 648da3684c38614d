// Package stats is the measuring side of bench/producer and bench/consumer:
// an HDR latency histogram (microseconds, 1 µs to 60 s, 3 significant
// digits), message/byte/failure counters with a per-second rate window, the
// one-line status report printed every second, the final summary, and the
// JSON summary that --json prints for scripts.
//
// # Usage
//
//	var c stats.Counters             // bumped by senders, atomics only
//	h := stats.NewRecorder()         // latency, safe for concurrent Record
//	r := stats.NewReporter(os.Stdout, stats.IsTerminal(os.Stdout), "send", &c, h)
//	go r.Run(ctx, time.Second)       // status line every second
//	...
//	c.Add(1, 1024); h.Record(time.Since(t0))
//	...
//	sum := stats.NewSummary("producer", stats.LatencySend, params,
//		c.Load(), time.Since(r.Start()), h.Total(), h.Clamped())
//	fmt.Print(sum.Text())            // or json.Marshal(sum)
//
// # Units
//
// Latencies are recorded and reported in microseconds (JSON fields *_us);
// the consumer's end-to-end latencies come from millisecond timestamps, so
// they have millisecond resolution. MB is 10^6 bytes, as dd reports it;
// byte counts are message bodies only (no headers, properties or framing).
//
// # Concurrency
//
// Counters and Recorder are safe for concurrent use. Recorder takes a
// mutex per Record (tens of nanoseconds, uncontended on the machines this
// runs on); Interval swaps the interval histogram out under that mutex and
// merges it into the cumulative one outside it.
package stats
