package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Line is one JSON line of a results file (limits.jsonl, nats.jsonl,
// quiver.jsonl), as the scripts in scripts/bench write them.
type Line struct {
	System   string         `json:"system"`   // machine, nats, quiver
	Workload string         `json:"workload"` // dd, fdatasync, loopback, async-1, sync-64, consume, idle, ...
	Config   string         `json:"config"`   // nats: default | always; quiver: ASYNC_FLUSH | SYNC_FLUSH
	Run      int            `json:"run"`
	Command  string         `json:"command"`
	Raw      string         `json:"raw"`    // raw output, relative to the results directory
	Server   ServerStats    `json:"server"` // the broker's or nats-server's process
	Client   ClientStats    `json:"client"` // the load tool's process (Quiver runs)
	Result   map[string]any `json:"result"` // the tool's own summary, field names as it chose them
}

// ServerStats is what the drivers read from /proc for the server process
// around one run.
type ServerStats struct {
	CPUTicks   float64 `json:"cpu_ticks"` // utime+stime during the run
	ClkTck     float64 `json:"clk_tck"`
	PeakRSSKiB float64 `json:"peak_rss_kib"` // VmHWM, reset before the run when possible
	RSSKiB     float64 `json:"rss_kib"`      // VmRSS after the run (idle lines: before any load)
	// RssAnon at the same moment: VmRSS without the file pages a broker
	// maps (Quiver's commit-log segments count in VmRSS while mapped).
	RSSAnonKiB float64 `json:"rss_anon_kib"`
}

// ClientStats is the CPU time of the load tool during one run.
type ClientStats struct {
	CPUTicks float64 `json:"cpu_ticks"` // utime+stime, the tool's children included
	ClkTck   float64 `json:"clk_tck"`
}

// Result is one run, normalized.
type Result struct {
	System, Workload, Config string
	Run                      int
	Command                  string

	TPS      float64 // messages per second
	MBps     float64 // payload MB/s (10^6 bytes), or the tool's own figure
	Size     float64 // message size in bytes (1024 when not reported)
	Count    float64 // messages sent or received
	Failures float64
	ElapsedS float64
	Mean     float64 // latencies, µs
	P50      float64
	P90      float64
	P99      float64
	P999     float64
	Max      float64

	CPUPerM float64 // server CPU seconds per million messages
	// ClientCPUPerM is the load tool's CPU seconds per million messages
	// (0 when not recorded).
	ClientCPUPerM float64
	// CPUPerKiB is, for the machine's dd and loopback lines, the CPU
	// microseconds spent per KiB written or carried (0 when not recorded).
	CPUPerKiB  float64
	PeakRSSMiB float64 // VmHWM, file-backed mappings included
	RSSMiB     float64 // VmRSS after the run
	AnonMiB    float64 // RssAnon after the run
}

// fieldNames maps each normalized field to the names a tool's JSON summary
// may use for it, tried in order, case-insensitively. Nested objects are
// flattened first ("latency": {"p99_us": ...} is also "latency_p99_us" and
// "p99_us"). This is the one place to adapt when bench/producer,
// bench/consumer or the other tools rename a field.
var fieldNames = map[string][]string{
	"tps":       {"tps", "msgs_per_sec", "msgs_per_s", "msg_per_sec", "rate", "throughput"},
	"mbps":      {"mbps", "mb_per_sec", "mb_s", "mbytes_per_sec"},
	"mibps":     {"mib_per_sec", "mibps", "mib_s"},
	"size":      {"size", "msg_size", "message_size", "body_size"},
	"count":     {"sent", "received", "msgs", "messages", "count", "total", "n", "ok", "succeeded"},
	"failures":  {"failures", "failed", "errors", "fail"},
	"elapsed_s": {"elapsed_s", "elapsed_sec", "elapsed", "duration_s", "seconds"},
	"mean_us":   {"mean_us", "mean", "latency_mean_us", "avg_us"},
	"p50_us":    {"p50_us", "p50", "latency_p50_us", "median_us"},
	"p90_us":    {"p90_us", "p90"},
	"p99_us":    {"p99_us", "p99", "latency_p99_us"},
	"p999_us":   {"p999_us", "p99_9_us", "p999", "p99.9", "p99_9"},
	"max_us":    {"max_us", "max", "latency_max_us"},
	"cpu_s":     {"cpu_s"},
	"bytes":     {"bytes"},
}

// msFields are alternative names holding milliseconds, converted to µs.
var msFields = map[string][]string{
	"mean_us": {"mean_ms", "avg_ms"},
	"p50_us":  {"p50_ms"},
	"p90_us":  {"p90_ms"},
	"p99_us":  {"p99_ms"},
	"p999_us": {"p999_ms", "p99_9_ms"},
	"max_us":  {"max_ms"},
}

func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		k = strings.ToLower(k)
		if sub, ok := v.(map[string]any); ok {
			flatten(prefix+k+"_", sub, out)
			inner := map[string]any{}
			flatten("", sub, inner)
			for ik, iv := range inner {
				if _, taken := out[ik]; !taken {
					out[ik] = iv
				}
			}
			continue
		}
		out[prefix+k] = v
	}
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := parseNum(strings.TrimSpace(x))
		return f, err == nil
	}
	return 0, false
}

// field returns the normalized field key of the flattened summary m.
func field(m map[string]any, key string) (float64, bool) {
	for _, name := range fieldNames[key] {
		if v, ok := m[name]; ok {
			if f, ok := number(v); ok {
				return f, true
			}
		}
	}
	for _, name := range msFields[key] {
		if v, ok := m[name]; ok {
			if f, ok := number(v); ok {
				return f * 1e3, true
			}
		}
	}
	return 0, false
}

// Normalize turns a results line into a Result.
func Normalize(l Line) Result {
	r := Result{System: l.System, Workload: l.Workload, Config: l.Config, Run: l.Run, Command: l.Command}
	m := map[string]any{}
	flatten("", l.Result, m)
	get := func(key string) float64 { v, _ := field(m, key); return v }
	r.TPS = get("tps")
	r.Size = get("size")
	r.Count = get("count")
	r.Failures = get("failures")
	r.ElapsedS = get("elapsed_s")
	r.Mean = get("mean_us")
	r.P50, r.P90, r.P99, r.P999, r.Max = get("p50_us"), get("p90_us"), get("p99_us"), get("p999_us"), get("max_us")
	if r.Size == 0 && l.System != "machine" {
		r.Size = 1024
	}
	switch {
	case l.System == "machine":
		r.MBps = get("mbps")
	case r.TPS > 0:
		r.MBps = r.TPS * r.Size / 1e6
	default:
		if v, ok := field(m, "mbps"); ok {
			r.MBps = v
		} else if v, ok := field(m, "mibps"); ok {
			r.MBps = v * (1 << 20) / 1e6
		}
	}
	if r.Count == 0 && r.TPS > 0 && r.ElapsedS > 0 {
		r.Count = r.TPS * r.ElapsedS
	}
	if l.Server.ClkTck > 0 && r.Count > 0 {
		r.CPUPerM = l.Server.CPUTicks / l.Server.ClkTck / r.Count * 1e6
	}
	if l.Client.ClkTck > 0 && r.Count > 0 {
		r.ClientCPUPerM = l.Client.CPUTicks / l.Client.ClkTck / r.Count * 1e6
	}
	if l.System == "machine" {
		if cpu, bytes := get("cpu_s"), get("bytes"); cpu > 0 && bytes > 0 {
			r.CPUPerKiB = cpu / bytes * 1024 * 1e6
		}
	}
	r.PeakRSSMiB = l.Server.PeakRSSKiB / 1024
	r.RSSMiB = l.Server.RSSKiB / 1024
	r.AnonMiB = l.Server.RSSAnonKiB / 1024
	return r
}

// Load reads every *.jsonl file of dir.
func Load(dir string) ([]Result, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Result
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		n := 0
		for sc.Scan() {
			n++
			text := strings.TrimSpace(sc.Text())
			if text == "" {
				continue
			}
			var l Line
			if err := json.Unmarshal([]byte(text), &l); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s:%d: %w", name, n, err)
			}
			out = append(out, Normalize(l))
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return out, nil
}

// LastJSONObject returns the last line of out that parses as a JSON
// object: the --json summary a tool prints after its status lines.
func LastJSONObject(out string) (map[string]any, bool) {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		s := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(s, "{") {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) == nil {
			return m, true
		}
	}
	// The summary may also be pretty-printed over several lines.
	if i := strings.LastIndex(out, "\n{"); i >= 0 || strings.HasPrefix(out, "{") {
		var m map[string]any
		if json.Unmarshal([]byte(strings.TrimSpace(out[i+1:])), &m) == nil {
			return m, true
		}
	}
	return nil, false
}

// Median returns the median of vs (the mean of the middle two for an even
// count), ignoring NaNs; 0 for none.
func Median(vs []float64) float64 {
	s := make([]float64, 0, len(vs))
	for _, v := range vs {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return 0
	}
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Key names a group of runs.
type Key struct{ System, Workload, Config string }

// Summary is the median over the runs of a group, field by field, and the
// runs themselves.
type Summary struct {
	Result
	Runs []Result
}

// Summarize groups results by system, workload and config and takes the
// median of each field over the runs.
func Summarize(rs []Result) map[Key]Summary {
	groups := map[Key][]Result{}
	for _, r := range rs {
		k := Key{r.System, r.Workload, r.Config}
		groups[k] = append(groups[k], r)
	}
	out := map[Key]Summary{}
	for k, runs := range groups {
		sort.Slice(runs, func(i, j int) bool { return runs[i].Run < runs[j].Run })
		med := func(f func(Result) float64) float64 {
			vs := make([]float64, len(runs))
			for i, r := range runs {
				vs[i] = f(r)
			}
			return Median(vs)
		}
		s := Summary{Runs: runs}
		s.Result = Result{
			System: k.System, Workload: k.Workload, Config: k.Config, Run: len(runs), Command: runs[0].Command,
			TPS:           med(func(r Result) float64 { return r.TPS }),
			MBps:          med(func(r Result) float64 { return r.MBps }),
			Size:          med(func(r Result) float64 { return r.Size }),
			Count:         med(func(r Result) float64 { return r.Count }),
			Failures:      med(func(r Result) float64 { return r.Failures }),
			ElapsedS:      med(func(r Result) float64 { return r.ElapsedS }),
			Mean:          med(func(r Result) float64 { return r.Mean }),
			P50:           med(func(r Result) float64 { return r.P50 }),
			P90:           med(func(r Result) float64 { return r.P90 }),
			P99:           med(func(r Result) float64 { return r.P99 }),
			P999:          med(func(r Result) float64 { return r.P999 }),
			Max:           med(func(r Result) float64 { return r.Max }),
			CPUPerM:       med(func(r Result) float64 { return r.CPUPerM }),
			ClientCPUPerM: med(func(r Result) float64 { return r.ClientCPUPerM }),
			CPUPerKiB:     med(func(r Result) float64 { return r.CPUPerKiB }),
			PeakRSSMiB:    med(func(r Result) float64 { return r.PeakRSSMiB }),
			RSSMiB:        med(func(r Result) float64 { return r.RSSMiB }),
			AnonMiB:       med(func(r Result) float64 { return r.AnonMiB }),
		}
		out[k] = s
	}
	return out
}
