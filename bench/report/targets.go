package main

import (
	"fmt"
	"math"
)

// The workloads the drivers run, by results key. Quiver's configs are its
// flushDiskType; NATS's are its sync interval.
var (
	quiverAsync1   = Key{"quiver", "async-1", "ASYNC_FLUSH"}
	quiverBatch32  = Key{"quiver", "async-batch32", "ASYNC_FLUSH"}
	quiverAsync64  = Key{"quiver", "async-64", "ASYNC_FLUSH"}
	quiverSync1    = Key{"quiver", "sync-1", "SYNC_FLUSH"}
	quiverSync64   = Key{"quiver", "sync-64", "SYNC_FLUSH"}
	quiverConsume  = Key{"quiver", "consume", "ASYNC_FLUSH"}
	quiverIdleA    = Key{"quiver", "idle", "ASYNC_FLUSH"}
	quiverIdleS    = Key{"quiver", "idle", "SYNC_FLUSH"}
	natsAsync1     = Key{"nats", "async-1", "default"}
	natsSync1      = Key{"nats", "sync-1", "default"}
	natsSync64     = Key{"nats", "sync-64", "default"}
	natsConsume    = Key{"nats", "consume", "default"}
	natsIdle       = Key{"nats", "idle", "default"}
	natsAlwaysA1   = Key{"nats", "async-1", "always"}
	natsAlwaysS1   = Key{"nats", "sync-1", "always"}
	natsAlwaysS64  = Key{"nats", "sync-64", "always"}
	machineDD      = Key{"machine", "dd", ""}
	machineFsync   = Key{"machine", "fdatasync", ""}
	machineLoopbck = Key{"machine", "loopback", ""}
)

// Verdict of a target.
type Verdict int

const (
	Missing Verdict = iota // an input was not measured
	Pass
	Fail
)

func (v Verdict) String() string {
	switch v {
	case Pass:
		return "**pass**"
	case Fail:
		return "**FAIL**"
	}
	return "not measured"
}

// Target is one of issue 6's "must show" figures, evaluated.
type Target struct {
	Name     string
	Required string
	Measured string
	Verdict  Verdict
}

func check(ok bool) Verdict {
	if ok {
		return Pass
	}
	return Fail
}

// Targets evaluates issue 6's targets against the medians in s.
func Targets(s map[Key]Summary) []Target {
	has := func(k Key) (Summary, bool) {
		v, ok := s[k]
		return v, ok && len(v.Runs) > 0
	}
	var ts []Target

	t := Target{Name: "async flush, 1 KiB, 1 sender pipelined (1 message per request) vs NATS async publish",
		Required: "≥ 1.5 × NATS"}
	q, qok := has(quiverAsync1)
	n, nok := has(natsAsync1)
	if qok && nok && n.TPS > 0 {
		ratio := q.TPS / n.TPS
		t.Measured = fmt.Sprintf("%s / %s msgs/s = %.2f×", count(q.TPS), count(n.TPS), ratio)
		t.Verdict = check(ratio >= 1.5)
	}
	ts = append(ts, t)

	t = Target{Name: "async flush, 1 KiB, batches of 32 per request",
		Required: "≥ 50% of min(disk dd, loopback)"}
	q, qok = has(quiverBatch32)
	dd, ddok := has(machineDD)
	lb, lbok := has(machineLoopbck)
	if qok && ddok && lbok {
		bound := math.Min(dd.MBps, lb.MBps)
		t.Measured = fmt.Sprintf("%.0f MB/s = %.0f%% of %.0f MB/s", q.MBps, 100*q.MBps/bound, bound)
		t.Verdict = check(q.MBps >= bound/2)
	}
	ts = append(ts, t)

	t = Target{Name: "SYNC_FLUSH, 64 senders vs NATS `sync_interval: always`, 64 publishers",
		Required: "≥ 10 × NATS"}
	q, qok = has(quiverSync64)
	n, nok = has(natsAlwaysS64)
	if qok && nok && n.TPS > 0 {
		ratio := q.TPS / n.TPS
		t.Measured = fmt.Sprintf("%s / %s msgs/s = %.1f×", count(q.TPS), count(n.TPS), ratio)
		t.Verdict = check(ratio >= 10)
	}
	ts = append(ts, t)

	t = Target{Name: "SYNC_FLUSH, 64 senders, p99 latency", Required: "≤ 3 × fdatasync p99 (4 KiB)"}
	fs, fsok := has(machineFsync)
	if qok && fsok && fs.P99 > 0 && q.P99 > 0 {
		t.Measured = fmt.Sprintf("%s µs = %.1f × %s µs", us(q.P99), q.P99/fs.P99, us(fs.P99))
		t.Verdict = check(q.P99 <= 3*fs.P99)
	}
	ts = append(ts, t)

	t = Target{Name: "idle broker RSS (anonymous: without the mapped commit-log pages, which are page cache)", Required: "< 40 MiB"}
	var idle []float64
	var total float64
	for _, k := range []Key{quiverIdleA, quiverIdleS} {
		if v, ok := has(k); ok {
			for _, r := range v.Runs {
				mib := r.AnonMiB
				if mib == 0 {
					mib = r.RSSMiB // older results without RssAnon
				}
				idle = append(idle, mib)
				total = math.Max(total, r.RSSMiB)
			}
		}
	}
	if len(idle) > 0 {
		worst := 0.0
		for _, v := range idle {
			worst = math.Max(worst, v)
		}
		t.Measured = fmt.Sprintf("%.1f MiB, largest of %d starts (VmRSS with the mapped files: %.0f MiB)", worst, len(idle), total)
		t.Verdict = check(worst < 40)
	}
	ts = append(ts, t)
	return ts
}

// count formats a rate: 1234567 -> "1,234,567".
func count(v float64) string {
	if v >= 100 || v == 0 {
		return commas(int64(math.Round(v)))
	}
	return fmt.Sprintf("%.1f", v)
}

func commas(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// us formats microseconds.
func us(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v >= 100:
		return commas(int64(math.Round(v)))
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// MarshalText writes the verdict in words in summary.json.
func (v Verdict) MarshalText() ([]byte, error) {
	switch v {
	case Pass:
		return []byte("pass"), nil
	case Fail:
		return []byte("fail"), nil
	}
	return []byte("not measured"), nil
}

// sync64Senders is the concurrency of the sync-64 workload.
const sync64Senders = 64

// Budgets explains the two targets that CPU time bounds on a small
// machine, from the same run's figures: what rate each target needs, what
// that rate leaves of the machine's cores per message, and what a message
// cost the broker and the load tool in this run. It returns markdown
// bullet lines, one group per target whose inputs were measured.
func Budgets(s map[Key]Summary, cores int) []string {
	has := func(k Key) (Summary, bool) {
		v, ok := s[k]
		return v, ok && len(v.Runs) > 0
	}
	if cores <= 0 {
		return nil
	}
	var out []string
	q, qok := has(quiverBatch32)
	dd, ddok := has(machineDD)
	lb, lbok := has(machineLoopbck)
	if qok && ddok && lbok && q.CPUPerM > 0 && q.ClientCPUPerM > 0 {
		size := q.Size
		bound := math.Min(dd.MBps, lb.MBps)
		need := bound / 2 * 1e6 / size // msgs/s
		budget := float64(cores) * 1e6 / need
		cost := q.CPUPerM + q.ClientCPUPerM
		out = append(out,
			fmt.Sprintf("- **Batches of 32.** Half of %.0f MB/s is %s msgs/s of %.0f bytes: %.2f µs of CPU per message on %d cores, for the producer and the broker together, with the cores 100%% busy.",
				bound, count(need), size, budget, cores),
			fmt.Sprintf("  This run: %.2f µs per message (broker %.2f, bench/producer %.2f), so the cores carry at most %s msgs/s (%.0f MB/s); the run measured %s msgs/s (%.0f MB/s).",
				cost, q.CPUPerM, q.ClientCPUPerM, count(float64(cores)*1e6/cost), float64(cores)*1e6/cost*size/1e6, count(q.TPS), q.MBps))
		if dd.CPUPerKiB > 0 && lb.CPUPerKiB > 0 {
			floor := (dd.CPUPerKiB + lb.CPUPerKiB) * size / 1024
			out = append(out, fmt.Sprintf("  Moving the bytes alone, once over loopback TCP (%.2f µs per KiB, both ends) and once into the page cache (dd: %.2f µs per KiB, %s), costs %.2f µs per message: %.0f%% of the budget before any protocol, encoding, indexing or load generation.",
				lb.CPUPerKiB, dd.CPUPerKiB, "runs "+runsOf(dd, func(r Result) string { return fmt.Sprintf("%.2f", r.CPUPerKiB) }), floor, 100*floor/budget))
		}
	}
	q, qok = has(quiverSync64)
	fs, fsok := has(machineFsync)
	if qok && fsok && fs.P99 > 0 && q.TPS > 0 && q.CPUPerM > 0 && q.ClientCPUPerM > 0 {
		limit := 3 * fs.P99 // µs
		need := sync64Senders / (limit / 1e6)
		cost := q.CPUPerM + q.ClientCPUPerM
		out = append(out,
			fmt.Sprintf("- **SYNC_FLUSH p99 with %d senders.** By Little's law the mean latency is the sends in flight ÷ the rate, and each sender sends again as soon as it is answered, so nearly %d are in flight. The mean is below the p99: a p99 of %s µs needs more than %s msgs/s, the rate at which the mean alone would reach it.",
				sync64Senders, sync64Senders, us(limit), count(need)),
			fmt.Sprintf("  This run: %.1f µs of CPU per message (broker %.1f, bench/producer %.1f); at that cost %s msgs/s takes %.1f cores of the machine's %d. It measured %s msgs/s, mean latency %s µs (%d ÷ the rate: %s µs), p99 %s µs.",
				cost, q.CPUPerM, q.ClientCPUPerM, count(need), need*cost/1e6, cores, count(q.TPS), us(q.Mean), sync64Senders, us(sync64Senders/q.TPS*1e6), us(q.P99)))
		if q.Mean > 0 && q.P99 > q.Mean {
			ratio := q.P99 / q.Mean
			needR := need * ratio
			out = append(out, fmt.Sprintf("  Its p99 was %.1f× its mean; at that ratio the target needs a mean of %s µs, %s msgs/s, %.1f cores at this run's cost.",
				ratio, us(limit/ratio), count(needR), needR*cost/1e6))
		}
	}
	return out
}
