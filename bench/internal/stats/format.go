package stats

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Status is what one status line shows: the interval's rates and latency
// digest, plus the run's totals so far.
type Status struct {
	Label   string        // "send" or "recv"
	Elapsed time.Duration // since the start of the measured run
	Rates   Rates         // over the last interval
	Latency Percentiles   // over the last interval
	Total   Totals        // cumulative
}

// Line formats s as one status line without a trailing newline, e.g.
//
//	[   3s] send  85,123 msg/s  87.17 MB/s  p50 410us  p99 1.20ms  p999 3.10ms  max 9.80ms  fail 0  total 255,369
//
// Latency fields show "-" for an interval without samples.
func (s Status) Line() string {
	var b strings.Builder
	b.Grow(128)
	fmt.Fprintf(&b, "[%5ds] %s %9s msg/s %8.2f MB/s", int64(s.Elapsed.Round(time.Second)/time.Second), s.Label,
		Group(int64(s.Rates.MsgsPerSec+0.5)), s.Rates.MBPerSec)
	l := s.Latency
	if l.Count == 0 {
		b.WriteString("  p50 -  p99 -  p999 -  max -")
	} else {
		fmt.Fprintf(&b, "  p50 %s  p99 %s  p999 %s  max %s",
			Micros(l.P50), Micros(l.P99), Micros(l.P999), Micros(l.Max))
	}
	fmt.Fprintf(&b, "  fail %s  total %s", Group(s.Total.Fails), Group(s.Total.Msgs))
	return b.String()
}

// Micros formats a microsecond latency with a unit chosen for it: "830us",
// "1.20ms", "45.1ms", "2.35s".
func Micros(us int64) string {
	switch {
	case us < 1000:
		return strconv.FormatInt(us, 10) + "us"
	case us < 10_000:
		return strconv.FormatFloat(float64(us)/1e3, 'f', 2, 64) + "ms"
	case us < 1_000_000:
		return strconv.FormatFloat(float64(us)/1e3, 'f', 1, 64) + "ms"
	default:
		return strconv.FormatFloat(float64(us)/1e6, 'f', 2, 64) + "s"
	}
}

// Group formats n with thousands separators: 1234567 → "1,234,567".
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return sign + s
}

// Latency kinds of a Summary.
const (
	// LatencySend is a request's round trip as the producer sees it: from
	// the call to its result (sync, batch) or callback (async); for oneway
	// sends, the time to hand the request to the connection.
	LatencySend = "send"
	// LatencyEndToEnd is a message's receipt time minus its born
	// timestamp, both in milliseconds (the producer's and consumer's clocks
	// are the same machine's in the usual set-up).
	LatencyEndToEnd = "end_to_end"
)

// Summary is a run's final result; --json prints it as one JSON object.
// Tools embed it in a struct that adds their own fields.
type Summary struct {
	Tool        string      `json:"tool"`         // "producer" or "consumer"
	Params      any         `json:"params"`       // the tool's effective settings
	Messages    int64       `json:"messages"`     // messages sent (acknowledged) or received
	Failures    int64       `json:"failures"`     // messages whose send failed
	Bytes       int64       `json:"bytes"`        // body bytes of Messages
	ElapsedSec  float64     `json:"elapsed_sec"`  // measured time, warm-up excluded
	MsgsPerSec  float64     `json:"msgs_per_sec"` // Messages / ElapsedSec
	MBPerSec    float64     `json:"mb_per_sec"`   // Bytes / 10^6 / ElapsedSec
	LatencyKind string      `json:"latency_kind"` // LatencySend or LatencyEndToEnd
	Latency     Percentiles `json:"latency"`
	Clamped     int64       `json:"latency_clamped"` // latencies above 60 s, counted as 60 s
}

// NewSummary fills the counts, rates and latencies of a summary.
func NewSummary(tool, kind string, params any, t Totals, elapsed time.Duration, lat Percentiles, clamped int64) Summary {
	r := RatesOf(t, elapsed)
	return Summary{
		Tool: tool, Params: params,
		Messages: t.Msgs, Failures: t.Fails, Bytes: t.Bytes,
		ElapsedSec: elapsed.Seconds(),
		MsgsPerSec: r.MsgsPerSec, MBPerSec: r.MBPerSec,
		LatencyKind: kind, Latency: lat, Clamped: clamped,
	}
}

// Text formats s for people, several lines ending in a newline, e.g.
//
//	producer: 1,234,567 msgs (0 failed), 1,264.2 MB in 10.00s
//	  throughput  123,456 msg/s  126.42 MB/s
//	  send latency  p50 410us  p90 800us  p99 1.20ms  p999 3.10ms  max 9.80ms  mean 450us
func (s Summary) Text() string {
	var b strings.Builder
	failed := ""
	if s.LatencyKind != LatencyEndToEnd || s.Failures != 0 {
		failed = " (" + Group(s.Failures) + " failed)"
	}
	fmt.Fprintf(&b, "%s: %s msgs%s, %.1f MB in %.2fs\n", s.Tool, Group(s.Messages), failed,
		float64(s.Bytes)/1e6, s.ElapsedSec)
	fmt.Fprintf(&b, "  throughput  %s msg/s  %.2f MB/s\n", Group(int64(s.MsgsPerSec+0.5)), s.MBPerSec)
	kind := "latency"
	if s.LatencyKind == LatencyEndToEnd {
		kind = "end-to-end latency"
	} else if s.LatencyKind == LatencySend {
		kind = "send latency"
	}
	l := s.Latency
	if l.Count == 0 {
		fmt.Fprintf(&b, "  %s  no samples\n", kind)
	} else {
		fmt.Fprintf(&b, "  %s  p50 %s  p90 %s  p99 %s  p999 %s  max %s  mean %s  (%s samples)\n", kind,
			Micros(l.P50), Micros(l.P90), Micros(l.P99), Micros(l.P999), Micros(l.Max),
			Micros(int64(l.Mean+0.5)), Group(l.Count))
	}
	if s.Clamped > 0 {
		fmt.Fprintf(&b, "  %s latencies above 60s were counted as 60s\n", Group(s.Clamped))
	}
	return b.String()
}
