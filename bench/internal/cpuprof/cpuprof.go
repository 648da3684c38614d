// Package cpuprof collects a CPU profile from a broker's admin HTTP
// listener (adminListenAddr; net/http/pprof under /debug/pprof/) and
// digests it into the top functions by flat time, as `go tool pprof -top`
// lists them. bench/producer --profile uses it.
package cpuprof

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// ErrNoCPUSamples is returned by Top for a profile without a cpu sample
// type (not a CPU profile).
var ErrNoCPUSamples = errors.New("cpuprof: profile has no cpu/nanoseconds sample type")

// URL is the CPU profile endpoint of the admin listener at addr
// (host:port) for a profile of the given length.
func URL(addr string, seconds int) string {
	return "http://" + addr + "/debug/pprof/profile?seconds=" + strconv.Itoa(seconds)
}

// Fetch asks the admin listener at addr for a CPU profile of seconds
// seconds and parses it. The request returns when the profile is complete;
// ctx bounds it (allow seconds plus a margin).
func Fetch(ctx context.Context, addr string, seconds int) (*profile.Profile, error) {
	if seconds < 1 {
		seconds = 1
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, URL(addr, seconds), nil)
	if err != nil {
		return nil, fmt.Errorf("cpuprof: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cpuprof: fetch profile from %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512)) // best effort: only decorates the error
		return nil, fmt.Errorf("cpuprof: fetch profile from %s: %s: %s", addr, resp.Status, strings.TrimSpace(string(msg)))
	}
	p, err := profile.Parse(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("cpuprof: parse profile from %s: %w", addr, err)
	}
	return p, nil
}

// Entry is one function of a top list.
type Entry struct {
	Function string        `json:"function"`
	Flat     time.Duration `json:"flat_ns"`  // CPU time with the function at the top of the stack
	FlatPct  float64       `json:"flat_pct"` // of Total
	Cum      time.Duration `json:"cum_ns"`   // CPU time with the function anywhere on the stack
	CumPct   float64       `json:"cum_pct"`  // of Total
}

// Top is a profile's digest: total CPU time and the top functions.
type Top struct {
	Duration time.Duration `json:"duration_ns"` // wall time the profile covers
	Total    time.Duration `json:"total_ns"`    // CPU time sampled
	Entries  []Entry       `json:"functions"`
}

// TopN returns the n functions with the most flat CPU time (ties broken by
// cumulative time, then name). Inlined frames count as their own functions,
// as in pprof; a function appearing several times in one stack
// (recursion) counts once in its cumulative time.
func TopN(p *profile.Profile, n int) (Top, error) {
	vi := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			vi = i
		}
	}
	if vi < 0 {
		return Top{}, ErrNoCPUSamples
	}
	flat := map[string]int64{}
	cum := map[string]int64{}
	var total int64
	seen := map[string]bool{}
	for _, s := range p.Sample {
		if vi >= len(s.Value) {
			continue
		}
		v := s.Value[vi]
		total += v
		clear(seen)
		leaf := true
		for _, loc := range s.Location {
			lines := loc.Line
			if len(lines) == 0 {
				// No symbol: name the address, as pprof does.
				lines = []profile.Line{{Function: &profile.Function{Name: "0x" + strconv.FormatUint(loc.Address, 16)}}}
			}
			for _, ln := range lines { // innermost (inlined) first
				name := "?"
				if ln.Function != nil {
					name = ln.Function.Name
				}
				if leaf {
					flat[name] += v
					leaf = false
				}
				if !seen[name] {
					seen[name] = true
					cum[name] += v
				}
			}
		}
	}
	names := make([]string, 0, len(cum))
	for name := range cum {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		if flat[a] != flat[b] {
			return flat[a] > flat[b]
		}
		if cum[a] != cum[b] {
			return cum[a] > cum[b]
		}
		return a < b
	})
	if n >= 0 && len(names) > n {
		names = names[:n]
	}
	t := Top{Duration: time.Duration(p.DurationNanos), Total: time.Duration(total), Entries: make([]Entry, 0, len(names))}
	for _, name := range names {
		t.Entries = append(t.Entries, Entry{
			Function: name,
			Flat:     time.Duration(flat[name]), FlatPct: pct(flat[name], total),
			Cum: time.Duration(cum[name]), CumPct: pct(cum[name], total),
		})
	}
	return t, nil
}

func pct(v, total int64) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(v) / float64(total)
}

// Text formats t like `go tool pprof -top`:
//
//	broker CPU profile: 9.87s of samples in 10.00s (98.7% of one core)
//	      flat  flat%   sum%        cum   cum%
//	     2.10s 21.28% 21.28%      2.10s 21.28%  syscall.Syscall6
func (t Top) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "broker CPU profile: %s of samples in %s (%.1f%% of one core)\n",
		round(t.Total), round(t.Duration), pct(int64(t.Total), int64(t.Duration)))
	fmt.Fprintf(&b, "%10s %6s %6s %10s %6s\n", "flat", "flat%", "sum%", "cum", "cum%")
	var sum float64
	for _, e := range t.Entries {
		sum += e.FlatPct
		fmt.Fprintf(&b, "%10s %5.2f%% %5.2f%% %10s %5.2f%%  %s\n", round(e.Flat), e.FlatPct, sum, round(e.Cum), e.CumPct, e.Function)
	}
	return b.String()
}

func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}
