// Command report turns the results of `make bench` into BENCHMARKS.md's
// section between the `<!-- make bench: begin -->` and `<!-- make bench:
// end -->` markers and into PNG charts, and parses tool output for the
// drivers in scripts/bench.
//
//	report [render] [-results DIR] [-md BENCHMARKS.md] [-charts docs/bench] [-note TEXT]
//	report parse-nats FILE      # one `nats bench js` output -> one JSON line
//	report extract-json FILE    # the last JSON object a tool printed -> one line
//
// render reads DIR/*.jsonl (limits.jsonl, nats.jsonl, quiver.jsonl, as
// scripts/bench writes them), takes the median of every figure over the
// runs, evaluates issue 6's targets, writes DIR/summary.json, the charts,
// and the section (appending the markers at the end of the file when
// absent). Nothing outside the markers changes.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

func main() {
	args := os.Args[1:]
	cmd := "render"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "render":
		err = render(args)
	case "parse-nats":
		err = parseNATS(args)
	case "extract-json":
		err = extractJSON(args)
	default:
		err = fmt.Errorf("unknown command %q (render, parse-nats, extract-json)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func parseNATS(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: report parse-nats FILE")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	r, err := ParseNATSBench(string(b))
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

func extractJSON(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: report extract-json FILE")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	m, ok := LastJSONObject(string(b))
	if !ok {
		return fmt.Errorf("%s: no JSON object in the output", args[0])
	}
	return json.NewEncoder(os.Stdout).Encode(m)
}

func render(args []string) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	results := fs.String("results", ".bench-cache/results", "directory of the *.jsonl results")
	md := fs.String("md", "BENCHMARKS.md", "Markdown file whose marked section is rewritten")
	charts := fs.String("charts", "docs/bench", "directory of the PNG charts")
	note := fs.String("note", "", "a remark printed at the top of the section (e.g. how the machine was shared)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rs, err := Load(*results)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return fmt.Errorf("no results in %s/*.jsonl", *results)
	}
	sum := Summarize(rs)
	targets := Targets(sum)

	mdDir := filepath.Dir(*md)
	repo, _ := filepath.Abs(mdDir)
	// Before the charts: they rewrite tracked files, which would mark the
	// commit -dirty.
	machine := ThisMachine(repo)
	var links []string
	for _, c := range []struct {
		name string
		draw func(map[Key]Summary, string) error
	}{{"throughput.png", ThroughputChart}, {"latency.png", LatencyChart}} {
		path := filepath.Join(*charts, c.name)
		if err := c.draw(sum, path); err != nil {
			return fmt.Errorf("chart %s: %w", path, err)
		}
		rel, err := filepath.Rel(mdDir, path)
		if err != nil {
			rel = path
		}
		links = append(links, rel)
	}

	shown := *results
	if abs, err := filepath.Abs(shown); err == nil {
		if rel, err := filepath.Rel(repo, abs); err == nil && !strings.HasPrefix(rel, "..") {
			shown = rel
		}
	}
	section := Section(Input{
		Machine: machine, Date: time.Now(), Results: shown,
		Summary: sum, Targets: targets, Budgets: Budgets(sum, runtime.NumCPU()), Charts: links, Commands: Commands(sum), Note: *note,
	})
	doc, err := os.ReadFile(*md)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	out, err := ReplaceSection(string(doc), section)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*md, []byte(out), 0o644); err != nil {
		return err
	}
	if err := writeSummary(filepath.Join(*results, "summary.json"), sum, targets); err != nil {
		return err
	}
	for _, t := range targets {
		fmt.Printf("%-12s %s: %s (required %s)\n", t.Verdict, t.Name, orDash(t.Measured), t.Required)
	}
	fmt.Printf("report: rewrote the marked section of %s; charts in %s\n", *md, *charts)
	return nil
}

func writeSummary(path string, sum map[Key]Summary, targets []Target) error {
	type entry struct {
		Key
		Median Result
		Runs   []Result
	}
	var es []entry
	for k, s := range sum {
		es = append(es, entry{k, s.Result, s.Runs})
	}
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i].Key, es[j].Key
		if a.System != b.System {
			return a.System < b.System
		}
		if a.Config != b.Config {
			return a.Config < b.Config
		}
		return a.Workload < b.Workload
	})
	b, err := json.MarshalIndent(map[string]any{"groups": es, "targets": targets}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
