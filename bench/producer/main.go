// Command producer is Quiver's load generator for sends, in the spirit of
// RocketMQ's benchmark Producer: -c senders send -s byte messages of random
// bytes to topic -t (created with -q queues if missing), one per request
// or -b per SEND_BATCH_MESSAGE, in mode -m (sync; async with -w requests in
// flight per sender; oneway), for -d or -N messages after an optional
// --warmup. It prints a status line every second (send rate, MB/s, send
// latency p50/p99/p999/max from an HDR histogram, failures; a progress line
// on a terminal) and a final summary, as JSON with --json. --profile
// --admin host:port also fetches a CPU profile from the broker's admin
// listener during the run and prints its top 15 functions.
//
//	go run ./bench/producer -m async -c 4 -d 10s
//	go run ./bench/producer -m sync -c 64 -N 1000000 --json
//	go run ./bench/producer -m async -b 32 -d 10s --profile --admin 127.0.0.1:9877
//
// A message counts as sent when the broker answered SEND_OK (for oneway
// sends: when the request was written); an error or another status
// (FLUSH_DISK_TIMEOUT, ...) counts as failed. Sends are not retried unless
// -retries says so. SIGINT ends the run early, with a summary.
//
// Everything but this file's adapter to package client lives in
// bench/internal/load and is tested there.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/quivermq/quiver/bench/internal/load"
	"github.com/quivermq/quiver/bench/internal/stats"
	"github.com/quivermq/quiver/client"
	"github.com/quivermq/quiver/protocol"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	o, err := load.ParseProducer(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "producer:", err)
		return 2
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "producer: -cpuprofile:", err)
			return 2
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close() // the profile is complete once StopCPUProfile returns
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg := client.Config{
		NameServers: o.NameServers,
		Group:       o.Group,
		SendTimeout: o.Timeout,
		Retries:     o.Retries,
		// Only warnings and errors: the status lines are the output.
		Logger:       slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		ConnsPerAddr: o.Conns,
	}
	if o.Retries == 0 {
		cfg.Retries = -1 // the client's "none"; its 0 means its default
	}
	if err := ensureTopic(ctx, cfg, o.Topic, o.Queues, stderr); err != nil {
		fmt.Fprintln(stderr, "producer:", err)
		return 1
	}
	p, err := client.NewProducer(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "producer:", err)
		return 1
	}
	defer func() { _ = p.Close() }() // a failed goodbye to the brokers changes nothing measured

	statusFile := os.Stdout
	if o.JSON {
		statusFile = os.Stderr
	}
	out := load.Output{Stdout: stdout, Stderr: stderr, StatusTTY: stats.IsTerminal(statusFile)}
	r, err := load.RunProducer(ctx, o, sender{p: p, topic: o.Topic}, out)
	if err != nil {
		fmt.Fprintln(stderr, "producer:", err)
		return 1
	}
	if r.Error != "" || (r.Messages == 0 && r.Failures > 0) {
		return 1
	}
	return 0
}

// ensureTopic creates topic with queues queues unless the name servers
// already route it.
func ensureTopic(ctx context.Context, cfg client.Config, topic string, queues int, stderr io.Writer) error {
	a, err := client.NewAdmin(cfg)
	if err != nil {
		return err
	}
	defer func() { _ = a.Close() }() // nothing to undo
	rt, err := a.Route(ctx, topic)
	if err == nil && len(rt.QueueDatas) > 0 {
		return nil
	}
	if err != nil && !errors.Is(err, protocol.ErrTopicNotExist) {
		return fmt.Errorf("route of %s: %w", topic, err)
	}
	fmt.Fprintf(stderr, "producer: creating topic %s with %d queues\n", topic, queues)
	return a.CreateTopic(ctx, topic, queues)
}

// sender adapts client.Producer to load.Sender.
type sender struct {
	p     *client.Producer
	topic string
}

// statusError is a send the broker stored without answering SEND_OK.
type statusError client.SendStatus

func (e statusError) Error() string { return "send status " + client.SendStatus(e).String() }

func check(r client.SendResult, err error) error {
	if err != nil {
		return err
	}
	if r.Status != client.SendOK {
		return statusError(r.Status)
	}
	return nil
}

func (s sender) batch(bodies [][]byte) []*client.Message {
	ms := make([]*client.Message, len(bodies))
	for i, b := range bodies {
		ms[i] = client.NewMessage(s.topic, b)
	}
	return ms
}

func (s sender) Send(ctx context.Context, bodies [][]byte) error {
	if len(bodies) == 1 {
		return check(s.p.SendSync(ctx, client.NewMessage(s.topic, bodies[0])))
	}
	return check(s.p.SendBatch(ctx, s.batch(bodies)))
}

// SendAsync sends one message with client.Producer.SendAsync; a batch, for
// which the client has no asynchronous call, goes out with SendBatch on a
// goroutine of its own (the sender's window bounds how many).
func (s sender) SendAsync(bodies [][]byte, done func(error)) error {
	if len(bodies) == 1 {
		return s.p.SendAsync(client.NewMessage(s.topic, bodies[0]), func(r client.SendResult, err error) {
			done(check(r, err))
		})
	}
	ms := s.batch(bodies)
	go func() { done(check(s.p.SendBatch(context.Background(), ms))) }()
	return nil
}

func (s sender) SendOneway(bodies [][]byte) error {
	if len(bodies) != 1 {
		return errors.New("oneway batches are not supported")
	}
	return s.p.SendOneway(client.NewMessage(s.topic, bodies[0]))
}
