package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	cases := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{10, math.NaN(), 30, 20}, 20},
		{[]float64{379, 1665, 1707}, 1665},
	}
	for _, c := range cases {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestSummarizeTakesMedianPerField(t *testing.T) {
	rs := []Result{
		{System: "quiver", Workload: "sync-64", Config: "SYNC_FLUSH", Run: 1, TPS: 100, P99: 900},
		{System: "quiver", Workload: "sync-64", Config: "SYNC_FLUSH", Run: 2, TPS: 300, P99: 700},
		{System: "quiver", Workload: "sync-64", Config: "SYNC_FLUSH", Run: 3, TPS: 200, P99: 800},
		{System: "nats", Workload: "sync-64", Config: "always", Run: 1, TPS: 7},
	}
	s := Summarize(rs)
	q := s[quiverSync64]
	if q.TPS != 200 || q.P99 != 800 || len(q.Runs) != 3 || q.Runs[0].Run != 1 {
		t.Fatalf("quiver sync-64 = %+v", q)
	}
	if n := s[natsAlwaysS64]; n.TPS != 7 {
		t.Fatalf("nats sync-64 = %+v", n)
	}
}

func summary(rs ...Result) map[Key]Summary { return Summarize(rs) }

func TestTargets(t *testing.T) {
	base := []Result{
		{System: "machine", Workload: "dd", MBps: 1600, Run: 1},
		{System: "machine", Workload: "loopback", MBps: 2500, Run: 1},
		{System: "machine", Workload: "fdatasync", P99: 200, Run: 1},
		{System: "nats", Workload: "async-1", Config: "default", TPS: 100000, Run: 1},
		{System: "nats", Workload: "sync-64", Config: "always", TPS: 4000, Run: 1},
		{System: "quiver", Workload: "idle", Config: "ASYNC_FLUSH", AnonMiB: 20, RSSMiB: 900, Run: 1},
		{System: "quiver", Workload: "idle", Config: "SYNC_FLUSH", AnonMiB: 25, Run: 1},
	}
	pass := append(append([]Result{}, base...),
		Result{System: "quiver", Workload: "async-1", Config: "ASYNC_FLUSH", TPS: 150000, Run: 1},
		Result{System: "quiver", Workload: "async-batch32", Config: "ASYNC_FLUSH", MBps: 800, Run: 1},
		Result{System: "quiver", Workload: "sync-64", Config: "SYNC_FLUSH", TPS: 40000, P99: 600, Run: 1},
	)
	for _, tg := range Targets(summary(pass...)) {
		if tg.Verdict != Pass {
			t.Errorf("at the thresholds: %s = %v (%s), want pass", tg.Name, tg.Verdict, tg.Measured)
		}
	}
	fail := append(append([]Result{}, base...),
		Result{System: "quiver", Workload: "async-1", Config: "ASYNC_FLUSH", TPS: 149999, Run: 1},
		Result{System: "quiver", Workload: "async-batch32", Config: "ASYNC_FLUSH", MBps: 799, Run: 1},
		Result{System: "quiver", Workload: "sync-64", Config: "SYNC_FLUSH", TPS: 39999, P99: 601, Run: 1},
		Result{System: "quiver", Workload: "idle", Config: "SYNC_FLUSH", AnonMiB: 40, Run: 2},
	)
	for _, tg := range Targets(summary(fail...)) {
		if tg.Verdict != Fail {
			t.Errorf("just past the thresholds: %s = %v (%s), want FAIL", tg.Name, tg.Verdict, tg.Measured)
		}
	}
	for _, tg := range Targets(summary(base[:3]...)) {
		if tg.Verdict != Missing {
			t.Errorf("without Quiver runs: %s = %v, want not measured", tg.Name, tg.Verdict)
		}
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# Benchmarks\n\nold text\n"
	once, err := ReplaceSection(doc, "first")
	if err != nil {
		t.Fatal(err)
	}
	want := doc + "\n" + BeginMarker + "\nfirst\n" + EndMarker + "\n"
	if once != want {
		t.Fatalf("append:\n%q\nwant\n%q", once, want)
	}
	twice, err := ReplaceSection(once, "first")
	if err != nil || twice != once {
		t.Fatalf("not idempotent: %q, %v", twice, err)
	}
	// Replacing keeps what surrounds the markers.
	mid := "# B\n\nbefore\n\n" + BeginMarker + "\nold\nlines\n" + EndMarker + "\n\nafter\n"
	got, err := ReplaceSection(mid, "new\n\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# B\n\nbefore\n\n" + BeginMarker + "\nnew\n" + EndMarker + "\n\nafter\n"; got != want {
		t.Fatalf("replace:\n%q\nwant\n%q", got, want)
	}
	if again, _ := ReplaceSection(got, "new\n\n"); again != got {
		t.Fatalf("replace not idempotent:\n%q", again)
	}
	for _, bad := range []string{
		"x " + BeginMarker + " y",
		EndMarker + " " + BeginMarker,
		BeginMarker + EndMarker + BeginMarker,
	} {
		if _, err := ReplaceSection(bad, "s"); err == nil {
			t.Errorf("ReplaceSection(%q) gave no error", bad)
		}
	}
}

func TestParseNATSBench(t *testing.T) {
	cases := []struct {
		file                     string
		kind                     string
		clients                  int
		msgs                     int64
		tps, p50, p99, p999, max float64
	}{
		// Captured from scripts/bench/nats.sh runs (nats-server v2.12.15, natscli v0.4.0).
		{"nats-async.out", "JetStream asynchronous publisher", 1, 500000, 86139, 4767.95, 23320.7, 71613.17, 71613.17},
		{"nats-sync64.out", "JetStream synchronous publisher", 64, 32000, 5247, 11686.19, 27800.38, 42302.8, 43847.91},
		{"nats-consume.out", "JetStream durable consumer (callback)", 1, 500000, 130607, 0, 0, 0, 0},
	}
	for _, c := range cases {
		b, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseNATSBench(string(b))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if r.Kind != c.kind || r.Clients != c.clients || r.Msgs != c.msgs || r.TPS != c.tps ||
			r.P50 != c.p50 || r.P99 != c.p99 || r.P999 != c.p999 || r.Max != c.max {
			t.Errorf("%s: got %+v", c.file, r)
		}
	}
	if _, err := ParseNATSBench("nats: error: nats: no servers available for connection\n"); err == nil {
		t.Error("an error output parsed")
	}
	r, err := ParseNATSBench("NATS Core NATS publisher stats: 1,234,567 msgs/sec ~ 1.2 GiB/sec ~ min: 1.5ms ~ P99: 250ns\n")
	if err != nil || r.TPS != 1234567 || r.MiBps != 1.2*1024 || r.Min != 1500 || r.P99 != 0.25 {
		t.Errorf("units: %+v, %v", r, err)
	}
}

func TestNormalizeToolSummary(t *testing.T) {
	// Field names as the tools may spell them, nested or not.
	l := Line{System: "quiver", Workload: "sync-64", Config: "SYNC_FLUSH", Run: 2,
		Server: ServerStats{CPUTicks: 150, ClkTck: 100, PeakRSSKiB: 51200, RSSKiB: 40960},
		Result: map[string]any{"Mode": "sync", "Size": 1024.0, "sent": 500000.0, "Failures": 3.0, "TPS": 50000.0,
			"latency": map[string]any{"p50_ms": 0.5, "p99_us": 900.0, "p999_us": "1,200"}, "elapsed_s": 10.0}}
	r := Normalize(l)
	if r.TPS != 50000 || r.Count != 500000 || r.Failures != 3 || r.P50 != 500 || r.P99 != 900 || r.P999 != 1200 {
		t.Fatalf("got %+v", r)
	}
	if math.Abs(r.MBps-51.2) > 1e-9 || r.CPUPerM != 3 || r.PeakRSSMiB != 50 || r.RSSMiB != 40 {
		t.Fatalf("derived fields: %+v", r)
	}
	// Count from tps × elapsed when the tool gives none.
	r = Normalize(Line{System: "quiver", Result: map[string]any{"tps": 1000.0, "elapsed_s": 2.0}})
	if r.Count != 2000 || r.Size != 1024 {
		t.Fatalf("fallbacks: %+v", r)
	}
}

// TestToolOutputs reads bench/producer's and bench/consumer's real output
// (status lines, then the --json summary) as scripts/bench/quiver.sh does.
func TestToolOutputs(t *testing.T) {
	cases := []struct {
		file                 string
		tps, count, p50, p99 float64
	}{
		{"producer-sync64.out", 38201.70989954137, 114685, 1338, 7079},
		{"consumer.out", 484929.3694030253, 1025137, 5992447, 10010623},
	}
	for _, c := range cases {
		b, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		m, ok := LastJSONObject(string(b))
		if !ok {
			t.Fatalf("%s: no summary", c.file)
		}
		r := Normalize(Line{System: "quiver", Result: m, Server: ServerStats{CPUTicks: 100, ClkTck: 100}})
		if r.TPS != c.tps || r.Count != c.count || r.P50 != c.p50 || r.P99 != c.p99 || r.Size != 1024 || r.ElapsedS == 0 {
			t.Errorf("%s: %+v", c.file, r)
		}
		if want := 1e6 / c.count; math.Abs(r.CPUPerM-want) > 1e-9 {
			t.Errorf("%s: CPU per M = %v, want %v", c.file, r.CPUPerM, want)
		}
	}
}

func TestLastJSONObject(t *testing.T) {
	out := "[1s] tps=5 p99=3\n{not json\n{\"tps\": 5, \"p99_us\": 7}\n[done]\n"
	m, ok := LastJSONObject(out)
	if !ok || m["tps"].(float64) != 5 {
		t.Fatalf("got %v %v", m, ok)
	}
	pretty := "status\n{\n  \"tps\": 9\n}\n"
	if m, ok := LastJSONObject(pretty); !ok || m["tps"].(float64) != 9 {
		t.Fatalf("pretty: %v %v", m, ok)
	}
	if _, ok := LastJSONObject("no json here\n"); ok {
		t.Fatal("found JSON in plain text")
	}
}

// loadLines writes lines as a results file in a temp dir and summarizes
// what Load reads back; it returns the summaries and the dir.
func loadLines(t *testing.T, lines ...string) (map[Key]Summary, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "all.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return Summarize(rs), dir
}

func TestLoadAndRender(t *testing.T) {
	s, dir := loadLines(t,
		`{"system":"machine","workload":"dd","run":1,"result":{"name":"dd","mbps":1600}}`,
		`{"system":"machine","workload":"fdatasync","run":1,"result":{"name":"fdatasync","p50_us":95,"p99_us":160}}`,
		`{"system":"machine","workload":"loopback","run":1,"result":{"name":"loopback","mbps":2500}}`,
		`{"system":"nats","workload":"async-1","config":"default","run":1,"command":"nats bench js pub async bench.js","server":{"cpu_ticks":300,"clk_tck":100,"peak_rss_kib":90000},"result":{"tps":90000,"msgs":500000,"p50_us":4000,"p99_us":9000}}`,
		`{"system":"quiver","workload":"async-1","config":"ASYNC_FLUSH","run":1,"command":"producer -mode async","result":{"tps":150000,"sent":1200000,"p50_us":300,"p99_us":900,"p999_us":1500}}`,
		`{"system":"quiver","workload":"idle","config":"ASYNC_FLUSH","run":1,"server":{"rss_kib":20480}}`,
	)
	if s[natsAsync1].CPUPerM != 6 {
		t.Errorf("nats CPU per M = %v, want 6", s[natsAsync1].CPUPerM)
	}
	md := Section(Input{Machine: Machine{Commit: "abc1234"}, Results: dir, Summary: s, Targets: Targets(s),
		Charts: []string{"docs/bench/throughput.png"}, Commands: Commands(s)})
	for _, want := range []string{"| **1600 MB/s** |", "150,000 | 90,000 | 1.67×", "300 / 900 / 1,500",
		"![throughput](docs/bench/throughput.png)", "| **pass** |", "not measured", "producer -mode async"} {
		if !strings.Contains(md, want) {
			t.Errorf("section lacks %q:\n%s", want, md)
		}
	}
	// A missed target points to the hand-written analysis; none, no pointer.
	const pointer = "the hand-written section after this generated one"
	if strings.Contains(md, pointer) {
		t.Error("the section points to the analysis of missed targets, but none was missed")
	}
	missed := Targets(s)
	missed[0].Verdict = Fail
	if md := Section(Input{Summary: s, Targets: missed}); !strings.Contains(md, pointer) {
		t.Errorf("a missed target without the pointer to its analysis:\n%s", md)
	}
	for _, c := range []struct {
		name string
		draw func(map[Key]Summary, string) error
	}{{"t.png", ThroughputChart}, {"l.png", LatencyChart}} {
		p := filepath.Join(dir, c.name)
		if err := c.draw(s, p); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if st, err := os.Stat(p); err != nil || st.Size() < 1000 {
			t.Fatalf("%s: %v %v", c.name, st, err)
		}
	}
}

func TestBudgets(t *testing.T) {
	s, _ := loadLines(t,
		`{"system":"machine","workload":"dd","run":1,"result":{"name":"dd","bytes":536870912,"mbps":1600,"cpu_s":0.5}}`,
		`{"system":"machine","workload":"loopback","run":1,"result":{"name":"loopback","bytes":1073741824,"mbps":2000,"cpu_s":0.5}}`,
		`{"system":"machine","workload":"fdatasync","run":1,"result":{"name":"fdatasync","p50_us":95,"p99_us":150}}`,
		`{"system":"quiver","workload":"async-batch32","config":"ASYNC_FLUSH","run":1,"server":{"cpu_ticks":300,"clk_tck":100},"client":{"cpu_ticks":120,"clk_tck":100},"result":{"tps":400000,"sent":2400000,"size":1024}}`,
		`{"system":"quiver","workload":"sync-64","config":"SYNC_FLUSH","run":1,"server":{"cpu_ticks":300,"clk_tck":100},"client":{"cpu_ticks":180,"clk_tck":100},"result":{"tps":50000,"sent":300000,"latency":{"mean_us":1275,"p99_us":2400}}}`,
	)
	if got := s[quiverBatch32].ClientCPUPerM; got != 0.5 {
		t.Errorf("producer CPU per M = %v, want 0.5", got)
	}
	if got := s[machineDD].CPUPerKiB; math.Abs(got-0.9537) > 1e-3 {
		t.Errorf("dd CPU per KiB = %v µs, want 0.9537", got)
	}
	text := strings.Join(Budgets(s, 2), "\n")
	for _, want := range []string{
		// 800 MB/s of 1024-byte bodies on 2 cores
		"781,250 msgs/s of 1024 bytes: 2.56 µs of CPU per message on 2 cores",
		"1.75 µs per message (broker 1.25, bench/producer 0.50), so the cores carry at most 1,142,857 msgs/s",
		// 0.95 + 0.48 µs of the 2.56
		"costs 1.43 µs per message: 56% of the budget",
		// 64 senders within 3 × 150 µs
		"a p99 of 450 µs needs more than 142,222 msgs/s",
		// p99 2,400 / mean 1,275 = 1.88: a mean of 239 µs, 142,222 × 1.88 msgs/s
		"Its p99 was 1.9× its mean; at that ratio the target needs a mean of 239 µs, 267,712 msgs/s, 4.3 cores",
		"16.0 µs of CPU per message (broker 10.0, bench/producer 6.0); at that cost 142,222 msgs/s takes 2.3 cores of the machine's 2",
		"mean latency 1,275 µs (64 ÷ the rate: 1,280 µs), p99 2,400 µs",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("budgets lack %q:\n%s", want, text)
		}
	}
	// Without the load tool's CPU there is no budget to show.
	delete(s, quiverSync64)
	b := s[quiverBatch32]
	b.ClientCPUPerM = 0
	s[quiverBatch32] = b
	if got := Budgets(s, 2); len(got) != 0 {
		t.Errorf("budgets without the producer's CPU: %q", got)
	}
	// The section shows them under a missed target.
	missed := Targets(s)
	missed[1].Verdict = Fail
	md := Section(Input{Summary: s, Targets: missed, Budgets: []string{"- budget line"}})
	if !strings.Contains(md, "- budget line\n") {
		t.Errorf("section without its budget lines:\n%s", md)
	}
}
