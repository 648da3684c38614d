// Command consumer is Quiver's load tool for pulls, in the spirit of
// RocketMQ's benchmark Consumer: it pulls topic -t as group -g with -c pull
// loops (the topic's queues split among them; by default one loop per
// queue, long-polling), starting --from the latest offsets (new messages
// only), the earliest, or the group's committed ones, and commits offsets
// every second. It stops after -d, -N messages, --idle time without a
// message, or SIGINT. Every second it prints the receive rate, MB/s and
// the end-to-end latency (receipt time minus the message's born timestamp,
// millisecond resolution) p50/p99/p999/max, and at the end a summary, as
// JSON with --json.
//
//	go run ./bench/consumer -d 20s
//	go run ./bench/consumer --from earliest -N 1000000 --idle 5s --json
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
	"syscall"
	"time"

	"github.com/quivermq/quiver/bench/internal/load"
	"github.com/quivermq/quiver/bench/internal/stats"
	"github.com/quivermq/quiver/client"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	o, err := load.ParseConsumer(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "consumer:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The run's bound also bounds the wait for the topic.
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
		o.Duration = 0 // applied here, so that waiting for the route counts
	}

	c, err := client.NewPullConsumer(client.Config{
		NameServers:  o.NameServers,
		Group:        o.Group,
		SendTimeout:  o.Timeout,
		ConnsPerAddr: o.Conns,
		Logger:       slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintln(stderr, "consumer:", err)
		return 1
	}
	defer func() { _ = c.Close() }() // a failed goodbye to the brokers changes nothing measured

	qs, err := queues(ctx, c, o.Topic, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "consumer:", err)
		return 1
	}
	statusFile := os.Stdout
	if o.JSON {
		statusFile = os.Stderr
	}
	out := load.Output{Stdout: stdout, Stderr: stderr, StatusTTY: stats.IsTerminal(statusFile)}
	if _, err := load.RunConsumer(ctx, o, &source{c: c, qs: qs, from: o.From}, out); err != nil {
		fmt.Fprintln(stderr, "consumer:", err)
		return 1
	}
	return 0
}

// queues returns topic's queues, waiting (until ctx ends) for the topic to
// appear: the consumer may start before the producer creates it.
func queues(ctx context.Context, c *client.PullConsumer, topic string, stderr io.Writer) ([]client.MessageQueue, error) {
	said := false
	for {
		qs, err := c.Queues(ctx, topic)
		if err == nil && len(qs) > 0 {
			return qs, nil
		}
		if !said {
			fmt.Fprintf(stderr, "consumer: waiting for topic %s (%v)\n", topic, err)
			said = true
		}
		t := time.NewTimer(500 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			if err == nil {
				err = errors.New("no queues")
			}
			return nil, fmt.Errorf("topic %s: %w (gave up: %w)", topic, err, ctx.Err())
		case <-t.C:
		}
	}
}

// source adapts client.PullConsumer to load.Source.
type source struct {
	c    *client.PullConsumer
	qs   []client.MessageQueue
	from string
}

func (s *source) Queues() int { return len(s.qs) }

// Start: earliest is offset 0 (the broker moves a pull below the queue's
// minimum up to it); latest is the queue's max offset, learnt from a pull
// far past the end; committed is the group's stored offset, or latest where
// there is none.
func (s *source) Start(ctx context.Context, q int) (int64, error) {
	mq := s.qs[q]
	switch s.from {
	case "earliest":
		return 0, nil
	case "committed":
		off, err := s.c.FetchOffset(ctx, mq)
		if err != nil {
			return 0, err
		}
		if off >= 0 {
			return off, nil
		}
	}
	r, err := s.c.Pull(ctx, mq, 1<<62, 1, 0)
	if err != nil {
		return 0, err
	}
	return r.MaxOffset, nil
}

func (s *source) Pull(ctx context.Context, q int, offset int64, max int, wait time.Duration, born []int64) (load.PullOutcome, []int64, error) {
	r, err := s.c.Pull(ctx, s.qs[q], offset, max, wait)
	if err != nil {
		return load.PullOutcome{}, born, err
	}
	out := load.PullOutcome{Next: r.NextBeginOffset}
	if r.Status == client.PullFound {
		for _, m := range r.Messages {
			born = append(born, m.BornTimestamp)
			out.Bytes += int64(len(m.Body))
		}
		out.Msgs = len(r.Messages)
	}
	return out, born, nil
}

func (s *source) Commit(ctx context.Context, q int, next int64) error {
	return s.c.CommitOffset(ctx, s.qs[q], next)
}
