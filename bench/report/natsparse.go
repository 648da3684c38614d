package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// NATSResult is the summary of one `nats bench js` run, parsed from the
// text it prints (natscli v0.4.0). Latencies are in microseconds; they are
// absent (zero) for consumers.
type NATSResult struct {
	Kind     string  `json:"kind"` // the benchmark's own name, e.g. "JetStream asynchronous publisher"
	Clients  int     `json:"clients"`
	Msgs     int64   `json:"msgs"`
	MsgSize  string  `json:"msg_size,omitempty"`
	TPS      float64 `json:"tps"`
	MiBps    float64 `json:"mib_per_sec"`
	Min      float64 `json:"min_us,omitempty"`
	Avg      float64 `json:"avg_us,omitempty"`
	P50      float64 `json:"p50_us,omitempty"`
	P90      float64 `json:"p90_us,omitempty"`
	P99      float64 `json:"p99_us,omitempty"`
	P999     float64 `json:"p999_us,omitempty"`
	Max      float64 `json:"max_us,omitempty"`
	ClientLo float64 `json:"client_tps_min,omitempty"` // aggregated runs: slowest client
	ClientHi float64 `json:"client_tps_max,omitempty"`
}

var (
	// "NATS JetStream asynchronous publisher stats: 130,828 msgs/sec ~ 128 MiB/sec ~ min: ..."
	// " NATS JetStream synchronous publisher aggregated stats: 3,690 msgs/sec ~ 3.6 MiB/sec"
	natsStatsRE = regexp.MustCompile(`^\s*NATS (.+?) (?:aggregated )?stats: ([\d,.]+) msgs/sec ~ ([\d,.]+) ([KMG]?i?B)/sec(.*)$`)
	// "min: 2,534.43us", "P99.9: 16,674.54us", "P50 14,902.76us", "avg 17,116.78us"
	natsLatRE = regexp.MustCompile(`(min|avg|max|stddev|P50|P90|P99|P99\.9):?\s+([\d,.]+)(ns|us|µs|ms|s)\b`)
	// " message rates min 57 | avg 57 | max 61 | stddev 1 msgs"
	natsRatesRE = regexp.MustCompile(`message rates min ([\d,.]+) \| avg [\d,.]+ \| max ([\d,.]+)`)
	// "[... clients=64, ... msg-size=1.0 KiB, msgs=6,400, ...]"
	natsParamRE = regexp.MustCompile(`\b(clients|msgs)=(\d[\d,]*\d|\d)|\b(msg-size)=([^,\]]+)`)
)

func parseNum(s string) (float64, error) {
	return strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
}

func toMicros(v float64, unit string) float64 {
	switch unit {
	case "ns":
		return v / 1e3
	case "ms":
		return v * 1e3
	case "s":
		return v * 1e6
	}
	return v
}

// parseLatencies fills r's latency fields from one line of "name: value"
// pairs.
func parseLatencies(r *NATSResult, line string) {
	for _, m := range natsLatRE.FindAllStringSubmatch(line, -1) {
		v, err := parseNum(m[2])
		if err != nil {
			continue
		}
		v = toMicros(v, m[3])
		switch m[1] {
		case "min":
			r.Min = v
		case "avg":
			r.Avg = v
		case "max":
			r.Max = v
		case "P50":
			r.P50 = v
		case "P90":
			r.P90 = v
		case "P99":
			r.P99 = v
		case "P99.9":
			r.P999 = v
		}
	}
}

// ParseNATSBench parses the output of one `nats bench js ...` run. With
// several clients it takes the aggregated stats and the "latencies per
// operation" line that follows; with one, the single stats line.
func ParseNATSBench(out string) (NATSResult, error) {
	var r NATSResult
	found, aggregated := false, false
	lines := strings.Split(strings.ReplaceAll(out, "\r", "\n"), "\n")
	for i, line := range lines {
		if r.Clients == 0 && strings.Contains(line, "Starting") && strings.Contains(line, "benchmark [") {
			for _, m := range natsParamRE.FindAllStringSubmatch(line, -1) {
				if m[3] != "" {
					m[1], m[2] = m[3], m[4]
				}
				switch m[1] {
				case "clients":
					v, _ := parseNum(m[2])
					r.Clients = int(v)
				case "msgs":
					v, _ := parseNum(m[2])
					r.Msgs = int64(v)
				case "msg-size":
					r.MsgSize = strings.TrimSpace(m[2])
				}
			}
		}
		m := natsStatsRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		agg := strings.Contains(line, "aggregated stats:")
		if found && aggregated && !agg {
			continue // a per-client line after the aggregate: keep the aggregate
		}
		tps, err := parseNum(m[2])
		if err != nil {
			return r, fmt.Errorf("msgs/sec %q: %w", m[2], err)
		}
		rate, err := parseNum(m[3])
		if err != nil {
			return r, fmt.Errorf("rate %q: %w", m[3], err)
		}
		switch m[4] {
		case "B":
			rate /= 1 << 20
		case "KiB", "KB":
			rate /= 1 << 10
		case "GiB", "GB":
			rate *= 1 << 10
		}
		r.Kind, r.TPS, r.MiBps = m[1], tps, rate
		found, aggregated = true, agg
		parseLatencies(&r, m[5])
		if agg {
			for _, next := range lines[i+1 : min(i+4, len(lines))] {
				if rm := natsRatesRE.FindStringSubmatch(next); rm != nil {
					r.ClientLo, _ = parseNum(rm[1])
					r.ClientHi, _ = parseNum(rm[2])
				}
				if strings.Contains(next, "latencies per operation") {
					parseLatencies(&r, next)
				}
			}
		}
	}
	if !found {
		return r, fmt.Errorf("no \"NATS ... stats: N msgs/sec\" line in the output")
	}
	return r, nil
}
