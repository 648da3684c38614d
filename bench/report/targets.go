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
