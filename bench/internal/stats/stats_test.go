package stats

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// within reports whether got is within HDR precision (3 significant
// digits: 0.1%, at least 1 unit) of want.
func within(got, want int64) bool {
	tol := float64(want) / 1000
	if tol < 1 {
		tol = 1
	}
	return math.Abs(float64(got-want)) <= tol
}

func TestPercentilesUniform(t *testing.T) {
	h := NewHistogram()
	for v := int64(1); v <= 1000; v++ {
		h.RecordMicros(v)
	}
	p := h.Percentiles()
	checks := []struct {
		name      string
		got, want int64
	}{
		{"p50", p.P50, 500}, {"p90", p.P90, 900}, {"p99", p.P99, 990},
		{"p999", p.P999, 999}, {"max", p.Max, 1000}, {"min", p.Min, 1},
	}
	for _, c := range checks {
		if !within(c.got, c.want) {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if p.Count != 1000 {
		t.Errorf("count = %d, want 1000", p.Count)
	}
	if math.Abs(p.Mean-500.5) > 0.5 {
		t.Errorf("mean = %v, want 500.5", p.Mean)
	}
}

// TestPercentilesSkewed: 99% of samples at 100 µs and 1% at 50 ms, the
// shape of a mostly fast path with rare stalls; then values spread across
// magnitudes, where HDR rounds to 3 significant digits.
func TestPercentilesSkewed(t *testing.T) {
	h := NewHistogram()
	for i := 0; i < 9900; i++ {
		h.RecordMicros(100)
	}
	for i := 0; i < 100; i++ {
		h.RecordMicros(50_000)
	}
	p := h.Percentiles()
	if p.P50 != 100 || p.P90 != 100 || p.P99 != 100 {
		t.Errorf("p50/p90/p99 = %d/%d/%d, want 100 each", p.P50, p.P90, p.P99)
	}
	if !within(p.P999, 50_000) || !within(p.Max, 50_000) {
		t.Errorf("p999/max = %d/%d, want 50000", p.P999, p.Max)
	}
	if want := (9900*100.0 + 100*50_000.0) / 10_000; math.Abs(p.Mean-want)/want > 0.001 {
		t.Errorf("mean = %v, want %v", p.Mean, want)
	}

	// Exponential-ish values checked against exact order statistics.
	rng := rand.New(rand.NewSource(1))
	h.Reset()
	vals := make([]int64, 100_000)
	for i := range vals {
		vals[i] = int64(rng.ExpFloat64()*2000) + 1
		h.RecordMicros(vals[i])
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, q := range []float64{50, 90, 99, 99.9} {
		idx := int(math.Ceil(q/100*float64(len(vals)))) - 1
		want, got := vals[idx], h.Quantile(q)
		if !within(got, want) {
			t.Errorf("q%v = %d, want %d (exact order statistic)", q, got, want)
		}
	}
	if got, want := h.Percentiles().Max, vals[len(vals)-1]; !within(got, want) {
		t.Errorf("max = %d, want %d", got, want)
	}
}

func TestHistogramClamp(t *testing.T) {
	h := NewHistogram()
	h.RecordMicros(0)
	h.RecordMicros(-5)
	h.Record(2 * time.Minute)
	p := h.Percentiles()
	if p.Min != 1 || !within(p.Max, MaxMicros) || h.Clamped() != 1 || p.Count != 3 {
		t.Errorf("min %d max %d clamped %d count %d; want 1, 60e6, 1, 3", p.Min, p.Max, h.Clamped(), p.Count)
	}
	if (NewHistogram().Percentiles() != Percentiles{}) {
		t.Error("empty histogram: want zero percentiles")
	}
}

func TestRecorderIntervalAndTotal(t *testing.T) {
	r := NewRecorder()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := int64(1); v <= 250; v++ {
				r.RecordMicros(v)
			}
		}()
	}
	wg.Wait()
	iv := r.Interval()
	if iv.Count != 1000 || iv.Max != 250 {
		t.Fatalf("interval count %d max %d, want 1000, 250", iv.Count, iv.Max)
	}
	r.Record(5 * time.Millisecond)
	iv = r.Interval()
	if iv.Count != 1 || !within(iv.Max, 5000) {
		t.Fatalf("second interval count %d max %d, want 1, 5000", iv.Count, iv.Max)
	}
	if got := r.Interval(); got.Count != 0 {
		t.Fatalf("empty interval count %d", got.Count)
	}
	r.RecordMicros(7) // pending: Total folds it in
	tot := r.Total()
	if tot.Count != 1002 || !within(tot.Max, 5000) || tot.Min != 1 {
		t.Fatalf("total %+v", tot)
	}
	r.Reset()
	if tot := r.Total(); tot.Count != 0 {
		t.Fatalf("after reset: %+v", tot)
	}
}

func TestRates(t *testing.T) {
	var c Counters
	t0 := time.Unix(1000, 0)
	w := NewWindow(t0, c.Load(), 3)
	c.Add(1000, 1_024_000)
	c.Fail(10)
	d, r := w.Sample(t0.Add(time.Second), c.Load())
	if d != (Totals{Msgs: 1000, Bytes: 1_024_000, Fails: 10}) {
		t.Errorf("delta %+v", d)
	}
	if r.MsgsPerSec != 1000 || r.MBPerSec != 1.024 || r.FailsPerSec != 10 {
		t.Errorf("rates %+v", r)
	}
	// 3000 messages in the next half second: 6000/s.
	c.Add(3000, 3000)
	_, r = w.Sample(t0.Add(1500*time.Millisecond), c.Load())
	if r.MsgsPerSec != 6000 || r.MBPerSec != 0.006 {
		t.Errorf("rates %+v", r)
	}
	// Smoothed over both intervals: 4000 in 1.5 s.
	if s := w.Smoothed(); math.Abs(s.MsgsPerSec-4000/1.5) > 1e-9 {
		t.Errorf("smoothed %+v", s)
	}
	// Two more intervals push the first one out of a window of 3.
	_, _ = w.Sample(t0.Add(2500*time.Millisecond), c.Load())
	c.Add(500, 0)
	_, _ = w.Sample(t0.Add(3500*time.Millisecond), c.Load())
	if s := w.Smoothed(); math.Abs(s.MsgsPerSec-3500/2.5) > 1e-9 {
		t.Errorf("smoothed after wrap %+v, want %v", s, 3500/2.5)
	}
	if r := RatesOf(Totals{Msgs: 5}, 0); r != (Rates{}) {
		t.Errorf("zero elapsed: %+v", r)
	}
	c.Reset()
	if c.Load() != (Totals{}) {
		t.Error("reset")
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {123456, "123,456"}, {1234567, "1,234,567"}, {-1234567, "-1,234,567"}, {-12, "-12"}} {
		if got := Group(c.n); got != c.want {
			t.Errorf("Group(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	for _, c := range []struct {
		us   int64
		want string
	}{{830, "830us"}, {1200, "1.20ms"}, {45_123, "45.1ms"}, {2_350_000, "2.35s"}} {
		if got := Micros(c.us); got != c.want {
			t.Errorf("Micros(%d) = %q, want %q", c.us, got, c.want)
		}
	}
	st := Status{
		Label: "send", Elapsed: 3*time.Second + 200*time.Millisecond,
		Rates:   Rates{MsgsPerSec: 85123.4, MBPerSec: 87.166},
		Latency: Percentiles{Count: 10, P50: 410, P99: 1200, P999: 3100, Max: 9800},
		Total:   Totals{Msgs: 255369},
	}
	want := "[    3s] send    85,123 msg/s    87.17 MB/s  p50 410us  p99 1.20ms  p999 3.10ms  max 9.80ms  fail 0  total 255,369"
	if got := st.Line(); got != want {
		t.Errorf("line\n got %q\nwant %q", got, want)
	}
	st.Latency = Percentiles{}
	if got := st.Line(); !strings.Contains(got, "p50 -  p99 -  p999 -  max -") {
		t.Errorf("empty interval line %q", got)
	}
}

func TestSummaryTextAndJSON(t *testing.T) {
	params := struct {
		Topic string `json:"topic"`
		Size  int    `json:"size"`
	}{"BenchmarkTest", 1024}
	lat := Percentiles{Count: 1000, Mean: 450.2, P50: 410, P90: 800, P99: 1200, P999: 3100, Max: 9800, Min: 90}
	s := NewSummary("producer", LatencySend, params, Totals{Msgs: 1000, Bytes: 1_024_000, Fails: 2}, 2*time.Second, lat, 0)
	if s.MsgsPerSec != 500 || s.MBPerSec != 0.512 {
		t.Fatalf("rates %v %v", s.MsgsPerSec, s.MBPerSec)
	}
	text := s.Text()
	for _, w := range []string{
		"producer: 1,000 msgs (2 failed), 1.0 MB in 2.00s\n",
		"  throughput  500 msg/s  0.51 MB/s\n",
		"  send latency  p50 410us  p90 800us  p99 1.20ms  p999 3.10ms  max 9.80ms  mean 450us  (1,000 samples)\n",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("summary text lacks %q:\n%s", w, text)
		}
	}

	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(s); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.TrimSpace(buf.String()), "\n"); n != 0 {
		t.Errorf("JSON summary spans %d lines", n+1)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	wantKeys := []string{"bytes", "elapsed_sec", "failures", "latency", "latency_clamped", "latency_kind", "mb_per_sec", "messages", "msgs_per_sec", "params", "tool"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("JSON keys %v, want %v", keys, wantKeys)
	}
	l := got["latency"].(map[string]any)
	var lkeys []string
	for k := range l {
		lkeys = append(lkeys, k)
	}
	sort.Strings(lkeys)
	wantL := []string{"count", "max_us", "mean_us", "min_us", "p50_us", "p90_us", "p999_us", "p99_us"}
	if !reflect.DeepEqual(lkeys, wantL) {
		t.Errorf("latency keys %v, want %v", lkeys, wantL)
	}
	if got["tool"] != "producer" || got["latency_kind"] != "send" || got["messages"] != 1000.0 ||
		l["p99_us"] != 1200.0 || got["params"].(map[string]any)["topic"] != "BenchmarkTest" {
		t.Errorf("JSON values %v", got)
	}

	s.LatencyKind, s.Latency, s.Clamped = LatencyEndToEnd, Percentiles{}, 3
	text = s.Text()
	if !strings.Contains(text, "end-to-end latency  no samples") || !strings.Contains(text, "3 latencies above 60s") {
		t.Errorf("text %q", text)
	}
}

func TestReporter(t *testing.T) {
	var c Counters
	rec := NewRecorder()
	var out bytes.Buffer
	clock := time.Unix(100, 0)
	r := NewReporter(&out, false, "send", &c, rec)
	r.now = func() time.Time { return clock }
	r.Restart()
	r.SetWarmup(true)
	clock = clock.Add(time.Second)
	c.Add(100, 100)
	rec.RecordMicros(500)
	st := r.Tick()
	if st.Label != "warmup send" || st.Rates.MsgsPerSec != 100 || st.Latency.P50 != 500 {
		t.Errorf("warm-up tick %+v", st)
	}
	start := r.Restart()
	if !start.Equal(clock) || c.Load() != (Totals{}) || rec.Total().Count != 0 {
		t.Error("restart did not reset")
	}
	clock = clock.Add(2 * time.Second)
	c.Add(4000, 4_000_000)
	st = r.Tick()
	if st.Label != "send" || st.Rates.MsgsPerSec != 2000 || st.Rates.MBPerSec != 2 || st.Elapsed != 2*time.Second {
		t.Errorf("tick %+v", st)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "[    1s] warmup send") || !strings.HasPrefix(lines[1], "[    2s] send") {
		t.Errorf("plain output %q", out.String())
	}
	r.Finish()
	if strings.Contains(out.String(), "\r") {
		t.Error("plain output has carriage returns")
	}

	// On a terminal: one line rewritten in place, ended by Finish.
	out.Reset()
	r = NewReporter(&out, true, "recv", &c, rec)
	r.Tick()
	r.Tick()
	r.Finish()
	r.Finish()
	s := out.String()
	if strings.Count(s, "\r") != 2 || strings.Count(s, "\x1b[K") != 2 || strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("terminal output %q", s)
	}
}
