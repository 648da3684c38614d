package stats

import (
	"context"
	"io"
	"sync"
	"time"
)

// Reporter prints a status line every interval: on a terminal it rewrites
// one progress line in place (carriage return, erase to end of line); on
// anything else it writes plain lines. It owns the rate window and the
// interval side of the Recorder.
type Reporter struct {
	w     io.Writer
	tty   bool
	label string
	c     *Counters
	rec   *Recorder
	now   func() time.Time

	mu     sync.Mutex // guards everything below; Tick, Restart and Finish take it
	prefix string     // "warmup " during a warm-up
	start  time.Time
	win    *Window
	open   bool // a progress line is on the terminal without its newline
}

// NewReporter returns a reporter for c and rec, writing to w (tty: w is a
// terminal). label is the verb of the status line ("send", "recv").
func NewReporter(w io.Writer, tty bool, label string, c *Counters, rec *Recorder) *Reporter {
	r := &Reporter{w: w, tty: tty, label: label, c: c, rec: rec, now: time.Now}
	r.start = r.now()
	r.win = NewWindow(r.start, c.Load(), 5)
	return r
}

// SetWarmup marks the lines that follow as warm-up lines (on) or not.
func (r *Reporter) SetWarmup(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if on {
		r.prefix = "warmup "
	} else {
		r.prefix = ""
	}
}

// Restart zeroes the counters and the recorder and restarts the clock: the
// end of a warm-up. It returns the new start time.
func (r *Reporter) Restart() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.c.Reset()
	r.rec.Reset()
	r.prefix = ""
	r.start = r.now()
	r.win = NewWindow(r.start, r.c.Load(), 5)
	return r.start
}

// Start is the start of the measured run.
func (r *Reporter) Start() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.start
}

// Tick samples the counters and the recorder, writes one status line and
// returns it (without line ending).
func (r *Reporter) Tick() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	tot := r.c.Load()
	_, rates := r.win.Sample(now, tot)
	st := Status{
		Label:   r.prefix + r.label,
		Elapsed: now.Sub(r.start),
		Rates:   rates,
		Latency: r.rec.Interval(),
		Total:   tot,
	}
	line := st.Line()
	if r.tty {
		_, _ = io.WriteString(r.w, "\r"+line+"\x1b[K") // a write error to the terminal has nowhere to go
		r.open = true
	} else {
		_, _ = io.WriteString(r.w, line+"\n") // as above: stdout/stderr failures are not reportable
	}
	return st
}

// Run calls Tick every interval until ctx is done, then ends an open
// progress line.
func (r *Reporter) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.Finish()
			return
		case <-t.C:
			r.Tick()
		}
	}
}

// Finish ends the progress line on a terminal, so that what follows starts
// on a fresh line. Safe to call more than once.
func (r *Reporter) Finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.open {
		_, _ = io.WriteString(r.w, "\n") // see Tick
		r.open = false
	}
}
