package load

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/quivermq/quiver/bench/internal/cpuprof"
	"github.com/quivermq/quiver/bench/internal/stats"
)

// Output is where a tool reports: status lines go to Stdout, or to Stderr
// with --json (stdout then carries only the JSON summary). StatusTTY says
// whether the status lines' stream is a terminal (a progress line
// rewritten in place) or not (plain lines).
type Output struct {
	Stdout, Stderr io.Writer
	StatusTTY      bool
	// Interval is the status line period; default 1 s.
	Interval time.Duration
}

func (o Output) status(json bool) io.Writer {
	if json {
		return o.Stderr
	}
	return o.Stdout
}

// ProducerReport is bench/producer's final summary; --json prints it as
// one JSON object.
type ProducerReport struct {
	stats.Summary
	// Error is the run's error, if it had one besides counted failures.
	Error string `json:"error,omitempty"`
	// BrokerProfile is the top of the broker's CPU profile (--profile).
	BrokerProfile *cpuprof.Top `json:"broker_profile,omitempty"`
	// ProfileError says why there is no BrokerProfile when one was asked for.
	ProfileError string `json:"broker_profile_error,omitempty"`
}

// profileTop is how many functions --profile lists.
const profileTop = 15

// RunProducer generates o's load through s: the warm-up, the measured run
// (until o.Duration, o.Count or ctx), status lines every second, the
// broker profile if asked for, and the final summary, which it prints (as
// text, or JSON with o.JSON) and returns.
func RunProducer(ctx context.Context, o ProducerOptions, s Sender, out Output) (ProducerReport, error) {
	bodies, err := NewBodies(o.Size)
	if err != nil {
		return ProducerReport{}, err
	}
	var c stats.Counters
	rec := stats.NewRecorder()
	p, err := NewProducer(o.ProduceConfig(), s, bodies, Meter{Counters: &c, Latency: rec})
	if err != nil {
		return ProducerReport{}, err
	}
	rep := stats.NewReporter(out.status(o.JSON), out.StatusTTY, "send", &c, rec)
	interval := out.Interval
	if interval <= 0 {
		interval = time.Second
	}

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	repCtx, stopRep := context.WithCancel(context.Background())
	var repWG sync.WaitGroup
	repWG.Add(1)
	go func() {
		defer repWG.Done()
		rep.Run(repCtx, interval)
	}()

	type runEnd struct {
		at  time.Time
		err error
	}
	done := make(chan runEnd, 1)
	start := func() {
		go func() {
			at, err := p.Run(runCtx)
			done <- runEnd{at, err}
		}()
	}
	if o.Warmup > 0 {
		rep.SetWarmup(true)
		start()
		t := time.NewTimer(o.Warmup)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		p.EndWarmup(func() { rep.Restart() })
	} else {
		p.EndWarmup(func() { rep.Restart() })
		start()
	}
	measured := rep.Start()
	if o.Duration > 0 {
		t := time.AfterFunc(o.Duration, stopRun)
		defer t.Stop()
	}

	var profWG sync.WaitGroup
	var prof *cpuprof.Top
	var profErr error
	if o.Profile {
		profWG.Add(1)
		go func() {
			defer profWG.Done()
			pctx, cancel := context.WithTimeout(ctx, time.Duration(o.ProfileSeconds)*time.Second+30*time.Second)
			defer cancel()
			pp, err := cpuprof.Fetch(pctx, o.Admin, o.ProfileSeconds)
			if err != nil {
				profErr = err
				return
			}
			top, err := cpuprof.TopN(pp, profileTop)
			if err != nil {
				profErr = err
				return
			}
			prof = &top
		}()
	}

	end := <-done
	stopRep()
	repWG.Wait()
	if o.Profile && ctx.Err() == nil && time.Since(measured) < time.Duration(o.ProfileSeconds)*time.Second {
		_, _ = fmt.Fprintf(out.Stderr, "producer: waiting for the broker's %ds CPU profile\n", o.ProfileSeconds) // progress note only
	}
	profWG.Wait()

	r := ProducerReport{Summary: stats.NewSummary("producer", stats.LatencySend, o, c.Load(), end.at.Sub(measured), rec.Total(), rec.Clamped())}
	if end.err != nil {
		r.Error = end.err.Error()
	}
	if o.Profile {
		r.BrokerProfile = prof
		if profErr != nil {
			r.ProfileError = profErr.Error()
		}
	}
	return r, r.print(o.JSON, out.Stdout)
}

func (r ProducerReport) print(asJSON bool, w io.Writer) error {
	if asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	text := r.Summary.Text()
	if r.Error != "" {
		text += "  error: " + r.Error + "\n"
	}
	if r.BrokerProfile != nil {
		text += r.BrokerProfile.Text()
	}
	if r.ProfileError != "" {
		text += "  broker profile: " + r.ProfileError + "\n"
	}
	_, err := io.WriteString(w, text)
	return err
}

// ConsumerReport is bench/consumer's final summary; --json prints it as
// one JSON object. Its rates are over the window from the first message
// received to the last (ElapsedSec); WallSec is the whole run.
type ConsumerReport struct {
	stats.Summary
	WallSec      float64 `json:"wall_sec"`
	PullErrors   int64   `json:"pull_errors"`
	CommitErrors int64   `json:"commit_errors"`
	LastError    string  `json:"last_error,omitempty"`
}

// RunConsumer consumes src as o says (until o.Duration, o.Count, o.Idle or
// ctx), with status lines every second, and prints (as text, or JSON with
// o.JSON) and returns the final summary.
func RunConsumer(ctx context.Context, o ConsumerOptions, src Source, out Output) (ConsumerReport, error) {
	var c stats.Counters
	rec := stats.NewRecorder()
	rep := stats.NewReporter(out.status(o.JSON), out.StatusTTY, "recv", &c, rec)
	interval := out.Interval
	if interval <= 0 {
		interval = time.Second
	}
	wallStart := time.Now()
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	repCtx, stopRep := context.WithCancel(context.Background())
	var repWG sync.WaitGroup
	repWG.Add(1)
	go func() {
		defer repWG.Done()
		rep.Run(repCtx, interval)
	}()
	res, err := Consume(ctx, src, o.ConsumeConfig(), Meter{Counters: &c, Latency: rec})
	stopRep()
	repWG.Wait()
	if err != nil {
		return ConsumerReport{}, err
	}
	var window time.Duration
	if !res.First.IsZero() {
		window = res.Last.Sub(res.First)
	}
	r := ConsumerReport{
		Summary:      stats.NewSummary("consumer", stats.LatencyEndToEnd, o, c.Load(), window, rec.Total(), rec.Clamped()),
		WallSec:      time.Since(wallStart).Seconds(),
		PullErrors:   res.PullErrors,
		CommitErrors: res.CommitErrors,
	}
	if res.LastErr != nil {
		r.LastError = res.LastErr.Error()
	}
	return r, r.print(o.JSON, out.Stdout)
}

func (r ConsumerReport) print(asJSON bool, w io.Writer) error {
	if asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	text := r.Summary.Text()
	text += fmt.Sprintf("  wall time %.2fs; %d pull errors, %d commit errors\n", r.WallSec, r.PullErrors, r.CommitErrors)
	if r.LastError != "" {
		text += "  last error: " + r.LastError + "\n"
	}
	_, err := io.WriteString(w, text)
	return err
}
