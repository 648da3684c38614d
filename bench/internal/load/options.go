package load

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// DefaultTopic is the tools' topic. Not RocketMQ's BenchmarkTest: brokers
// (Java's and Quiver's) pre-create that one with 1024 queues, so -q would
// never apply.
const DefaultTopic = "QuiverBench"

// DefaultDuration bounds a run given neither -d nor -N: the tools always
// stop by themselves.
const DefaultDuration = 10 * time.Second

// ProducerOptions are bench/producer's settings, from its flags.
type ProducerOptions struct {
	NameServers    []string      `json:"name_servers"`
	Topic          string        `json:"topic"`
	Queues         int           `json:"queues"` // when the tool creates the topic
	Group          string        `json:"group"`
	Size           int           `json:"size"`
	Concurrency    int           `json:"concurrency"`
	Batch          int           `json:"batch"`
	Mode           string        `json:"mode"`
	Window         int           `json:"window"` // async only
	Duration       time.Duration `json:"-"`
	Count          int64         `json:"count"`
	Warmup         time.Duration `json:"-"`
	Timeout        time.Duration `json:"-"`
	Retries        int           `json:"retries"`
	Conns          int           `json:"conns"`
	JSON           bool          `json:"-"`
	Profile        bool          `json:"profile"`
	Admin          string        `json:"admin,omitempty"`
	ProfileSeconds int           `json:"profile_seconds,omitempty"`
	CPUProfile     string        `json:"-"` // the tool's own CPU profile, a file

	// String forms of the durations, for the JSON summary.
	DurationText string `json:"duration"`
	WarmupText   string `json:"warmup"`
	TimeoutText  string `json:"timeout"`
}

const producerUsage = `usage: producer [flags]

Sends messages of -s random bytes to topic -t (created with -q queues if
missing) from -c senders for -d or until -N messages, then prints a
summary. A status line every second: send rate, MB/s (10^6 bytes of
bodies), send latency p50/p99/p999/max over that second, failures.

`

// ParseProducer parses bench/producer's arguments (without the program
// name). Usage and errors go to errOut.
func ParseProducer(args []string, errOut io.Writer) (ProducerOptions, error) {
	var o ProducerOptions
	fs := flag.NewFlagSet("producer", flag.ContinueOnError)
	fs.SetOutput(errOut)
	ns := fs.String("n", "127.0.0.1:9876", "name server `addresses`, host:port separated by ';'")
	fs.StringVar(&o.Topic, "t", DefaultTopic, "`topic`; created if missing")
	fs.IntVar(&o.Queues, "q", 8, "queues of the topic when it is created")
	fs.StringVar(&o.Group, "g", "benchmark_producer", "producer `group`")
	fs.IntVar(&o.Size, "s", 1024, "message body `bytes`")
	fs.IntVar(&o.Concurrency, "c", 1, "concurrent `senders`")
	fs.IntVar(&o.Batch, "b", 1, "messages per request: 1 sends SEND_MESSAGE, more SEND_BATCH_MESSAGE")
	fs.StringVar(&o.Mode, "m", "sync", "send `mode`: sync, async (pipelined, -w in flight per sender) or oneway")
	fs.IntVar(&o.Window, "w", 64, "async: requests in flight per sender")
	fs.DurationVar(&o.Duration, "d", 0, "run for this `duration` after the warm-up (default 10s unless -N is given)")
	fs.Int64Var(&o.Count, "N", 0, "stop after this many messages after the warm-up (0: no limit)")
	fs.DurationVar(&o.Warmup, "warmup", 0, "send for this `duration` before measuring")
	fs.DurationVar(&o.Timeout, "timeout", 3*time.Second, "send timeout")
	fs.IntVar(&o.Retries, "retries", 0, "retries of a failed send on another queue (default none, so that failures show)")
	fs.IntVar(&o.Conns, "conns", 1, "connections per broker")
	fs.BoolVar(&o.JSON, "json", false, "print the final summary as one JSON object on stdout (status lines go to stderr)")
	fs.BoolVar(&o.Profile, "profile", false, "collect a CPU profile of the broker during the measured run (needs -admin) and print its top 15 functions")
	fs.StringVar(&o.Admin, "admin", "", "the broker's admin HTTP listener, `host:port` (broker.conf adminListenAddr)")
	fs.IntVar(&o.ProfileSeconds, "profile-seconds", 0, "length of the CPU profile (default: the -d duration, else 10)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write the producer's own CPU profile to `file` (go tool pprof)")
	fs.Usage = func() {
		_, _ = io.WriteString(errOut, producerUsage) // usage output: nowhere to report a failure
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var err error
	if o.NameServers, err = ParseNameServers(*ns); err != nil {
		return o, err
	}
	if o.Duration == 0 && o.Count == 0 {
		o.Duration = DefaultDuration
	}
	if o.Profile && o.ProfileSeconds == 0 {
		o.ProfileSeconds = 10
		if o.Duration >= time.Second {
			o.ProfileSeconds = int(o.Duration / time.Second)
		}
	}
	o.DurationText, o.WarmupText, o.TimeoutText = durText(o.Duration), o.Warmup.String(), o.Timeout.String()
	return o, o.validate()
}

func durText(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}

func (o ProducerOptions) validate() error {
	mode, err := ParseMode(o.Mode)
	if err != nil {
		return err
	}
	switch {
	case o.Topic == "":
		return errors.New("-t: empty topic")
	case o.Queues < 1 || o.Queues > 1024:
		return fmt.Errorf("-q %d: want 1..1024", o.Queues)
	case o.Size < 0 || o.Size > 4<<20:
		return fmt.Errorf("-s %d: want 0..4194304 (RocketMQ's 4 MiB limit)", o.Size)
	case o.Concurrency < 1 || o.Concurrency > 10_000:
		return fmt.Errorf("-c %d: want 1..10000", o.Concurrency)
	case o.Batch < 1 || o.Batch > 10_000:
		return fmt.Errorf("-b %d: want 1..10000", o.Batch)
	case o.Batch > 1 && int64(o.Batch)*int64(o.Size) > 4<<20:
		return fmt.Errorf("-b %d × -s %d exceeds a request's 4 MiB limit", o.Batch, o.Size)
	case mode == Oneway && o.Batch > 1:
		return errors.New("-m oneway sends single messages only (-b 1): batches need an answer")
	case mode == Async && (o.Window < 1 || o.Window > 100_000):
		return fmt.Errorf("-w %d: want 1..100000", o.Window)
	case o.Duration < 0 || o.Count < 0 || o.Warmup < 0:
		return errors.New("-d, -N and -warmup must not be negative")
	case o.Timeout <= 0:
		return errors.New("-timeout must be positive")
	case o.Retries < 0 || o.Retries > 16:
		return fmt.Errorf("-retries %d: want 0..16", o.Retries)
	case o.Conns < 1 || o.Conns > 1024:
		return fmt.Errorf("-conns %d: want 1..1024", o.Conns)
	case o.Profile && o.Admin == "":
		return errors.New("-profile needs -admin host:port (the broker's adminListenAddr)")
	case o.ProfileSeconds < 0:
		return errors.New("-profile-seconds must not be negative")
	}
	if o.Admin != "" {
		if _, _, err := net.SplitHostPort(o.Admin); err != nil {
			return fmt.Errorf("-admin %q: %w", o.Admin, err)
		}
	}
	return nil
}

// ProduceConfig returns the load settings of o.
func (o ProducerOptions) ProduceConfig() ProduceConfig {
	mode, _ := ParseMode(o.Mode) // validated by ParseProducer
	return ProduceConfig{Mode: mode, Concurrency: o.Concurrency, Batch: o.Batch, Window: o.Window, Count: o.Count}
}

// ConsumerOptions are bench/consumer's settings, from its flags.
type ConsumerOptions struct {
	NameServers    []string      `json:"name_servers"`
	Topic          string        `json:"topic"`
	Group          string        `json:"group"`
	Loops          int           `json:"loops"` // 0: one per queue
	Max            int           `json:"max"`
	From           string        `json:"from"`
	Duration       time.Duration `json:"-"`
	Count          int64         `json:"count"`
	Idle           time.Duration `json:"-"`
	CommitInterval time.Duration `json:"-"`
	Timeout        time.Duration `json:"-"`
	Conns          int           `json:"conns"`
	JSON           bool          `json:"-"`

	DurationText       string `json:"duration"`
	IdleText           string `json:"idle"`
	CommitIntervalText string `json:"commit_interval"`
}

const consumerUsage = `usage: consumer [flags]

Pulls topic -t as group -g with -c pull loops (the queues split among
them) for -d or until -N messages, committing offsets every
-commit-interval, then prints a summary. A status line every second:
receive rate, MB/s (10^6 bytes of bodies), end-to-end latency (receipt
time minus the producer's born timestamp, millisecond resolution)
p50/p99/p999/max over that second. Rates in the summary are over the
window from the first to the last message received.

`

// ParseConsumer parses bench/consumer's arguments (without the program
// name). Usage and errors go to errOut.
func ParseConsumer(args []string, errOut io.Writer) (ConsumerOptions, error) {
	var o ConsumerOptions
	fs := flag.NewFlagSet("consumer", flag.ContinueOnError)
	fs.SetOutput(errOut)
	ns := fs.String("n", "127.0.0.1:9876", "name server `addresses`, host:port separated by ';'")
	fs.StringVar(&o.Topic, "t", DefaultTopic, "`topic`")
	fs.StringVar(&o.Group, "g", "benchmark_consumer", "consumer `group` (offsets are committed for it)")
	fs.IntVar(&o.Loops, "c", 0, "pull `loops`; the queues are split among them (0: one per queue, at most 64)")
	fs.IntVar(&o.Max, "max", 32, "messages asked for per pull")
	fs.StringVar(&o.From, "from", "latest", "where to start: latest (new messages only), earliest, or committed (the group's offsets; latest where none)")
	fs.DurationVar(&o.Duration, "d", 0, "run for this `duration` (default 10s unless -N is given)")
	fs.Int64Var(&o.Count, "N", 0, "stop after this many messages (0: no limit)")
	fs.DurationVar(&o.Idle, "idle", 0, "stop when no message came for this `duration` after the first one (0: never)")
	fs.DurationVar(&o.CommitInterval, "commit-interval", time.Second, "how often offsets are committed")
	fs.DurationVar(&o.Timeout, "timeout", 3*time.Second, "request timeout (a long-polling pull waits up to 1s more)")
	fs.IntVar(&o.Conns, "conns", 1, "connections per broker")
	fs.BoolVar(&o.JSON, "json", false, "print the final summary as one JSON object on stdout (status lines go to stderr)")
	fs.Usage = func() {
		_, _ = io.WriteString(errOut, consumerUsage) // usage output: nowhere to report a failure
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var err error
	if o.NameServers, err = ParseNameServers(*ns); err != nil {
		return o, err
	}
	if o.Duration == 0 && o.Count == 0 {
		o.Duration = DefaultDuration
	}
	o.DurationText, o.IdleText, o.CommitIntervalText = durText(o.Duration), durText(o.Idle), o.CommitInterval.String()
	switch {
	case o.Topic == "":
		return o, errors.New("-t: empty topic")
	case o.Group == "":
		return o, errors.New("-g: empty group")
	case o.Loops < 0 || o.Loops > 10_000:
		return o, fmt.Errorf("-c %d: want 0..10000", o.Loops)
	case o.Max < 1 || o.Max > 1024:
		return o, fmt.Errorf("-max %d: want 1..1024", o.Max)
	case o.From != "latest" && o.From != "earliest" && o.From != "committed":
		return o, fmt.Errorf("-from %q: want latest, earliest or committed", o.From)
	case o.Duration < 0 || o.Count < 0 || o.Idle < 0:
		return o, errors.New("-d, -N and -idle must not be negative")
	case o.CommitInterval <= 0 || o.Timeout <= 0:
		return o, errors.New("-commit-interval and -timeout must be positive")
	case o.Conns < 1 || o.Conns > 1024:
		return o, fmt.Errorf("-conns %d: want 1..1024", o.Conns)
	}
	return o, nil
}

// ConsumeConfig returns the pull settings of o.
func (o ConsumerOptions) ConsumeConfig() ConsumeConfig {
	return ConsumeConfig{Loops: o.Loops, Max: o.Max, CommitInterval: o.CommitInterval, Count: o.Count, Idle: o.Idle}
}

// ParseNameServers splits RocketMQ's "host:port;host:port" (commas are
// accepted too) and checks every address.
func ParseNameServers(s string) ([]string, error) {
	var out []string
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("-n: name server %q: %w", a, err)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, errors.New("-n: no name server")
	}
	return out, nil
}
