package cpuprof

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// synthetic builds a CPU profile: main -> a -> b (b inlined into a at one
// location), main -> c, and a recursive c -> c.
func synthetic() *profile.Profile {
	fn := map[string]*profile.Function{}
	var fns []*profile.Function
	f := func(name string) *profile.Function {
		if fn[name] == nil {
			fn[name] = &profile.Function{ID: uint64(len(fn) + 1), Name: name}
			fns = append(fns, fn[name])
		}
		return fn[name]
	}
	var locs []*profile.Location
	loc := func(names ...string) *profile.Location {
		l := &profile.Location{ID: uint64(len(locs) + 1), Address: uint64(0x1000 + len(locs))}
		for _, n := range names {
			l.Line = append(l.Line, profile.Line{Function: f(n)})
		}
		locs = append(locs, l)
		return l
	}
	main, ab, c, c2 := loc("main"), loc("b", "a"), loc("c"), loc("c")
	unknown := &profile.Location{ID: 99, Address: 0xdead}
	locs = append(locs, unknown)
	ms := int64(time.Millisecond)
	p := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		DurationNanos: int64(2 * time.Second),
		PeriodType:    &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:        10 * ms,
		Sample: []*profile.Sample{
			{Location: []*profile.Location{ab, main}, Value: []int64{60, 600 * ms}},
			{Location: []*profile.Location{c, main}, Value: []int64{20, 200 * ms}},
			{Location: []*profile.Location{c2, c, main}, Value: []int64{10, 100 * ms}},
			{Location: []*profile.Location{unknown, main}, Value: []int64{10, 100 * ms}},
		},
		Location: locs,
		Function: fns,
	}
	return p
}

func TestTopN(t *testing.T) {
	top, err := TopN(synthetic(), 15)
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	if top.Total != 1000*ms || top.Duration != 2*time.Second {
		t.Fatalf("total %v duration %v", top.Total, top.Duration)
	}
	want := []Entry{
		{"b", 600 * ms, 60, 600 * ms, 60},
		{"c", 300 * ms, 30, 300 * ms, 30}, // recursion counted once in cum
		{"0xdead", 100 * ms, 10, 100 * ms, 10},
		{"main", 0, 0, 1000 * ms, 100}, // main and a tie on flat (0): cum decides
		{"a", 0, 0, 600 * ms, 60},
	}
	if len(top.Entries) != len(want) {
		t.Fatalf("entries %+v", top.Entries)
	}
	for i, e := range top.Entries {
		if e != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, e, want[i])
		}
	}
	top2, _ := TopN(synthetic(), 2)
	if len(top2.Entries) != 2 {
		t.Errorf("TopN(2) gave %d entries", len(top2.Entries))
	}
	text := top.Text()
	for _, w := range []string{
		"broker CPU profile: 1s of samples in 2s (50.0% of one core)",
		"     600ms 60.00% 60.00%      600ms 60.00%  b\n",
		"     300ms 30.00% 90.00%      300ms 30.00%  c\n",
		"        0s  0.00% 100.00%         1s 100.00%  main\n",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
	if _, err := json.Marshal(top); err != nil {
		t.Error(err)
	}
	heap := synthetic()
	heap.SampleType = []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}}
	if _, err := TopN(heap, 5); err != ErrNoCPUSamples {
		t.Errorf("heap profile: err %v", err)
	}
}

func TestFetch(t *testing.T) {
	var buf bytes.Buffer
	if err := synthetic().Write(&buf); err != nil {
		t.Fatal(err)
	}
	var gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/debug/pprof/profile" {
			http.NotFound(w, r)
			return
		}
		gotQuery = r.URL.RawQuery
		_, _ = w.Write(buf.Bytes())
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	p, err := Fetch(context.Background(), addr, 3)
	if err != nil {
		t.Fatal(err)
	}
	if gotQuery != "seconds=3" || len(p.Sample) != 4 {
		t.Errorf("query %q samples %d", gotQuery, len(p.Sample))
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "profiling disabled", http.StatusServiceUnavailable)
	}))
	defer bad.Close()
	if _, err := Fetch(context.Background(), strings.TrimPrefix(bad.URL, "http://"), 1); err == nil ||
		!strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "profiling disabled") {
		t.Errorf("error %v", err)
	}
}
