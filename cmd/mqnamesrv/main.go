// Command mqnamesrv is Quiver's name server. It takes RocketMQ's flags:
//
//	mqnamesrv [-c namesrv.properties] [-p] [-h]
//
// -c reads a RocketMQ namesrv properties file (NamesrvConfig and
// NettyServerConfig keys; an unknown key is an error that names the
// nearest known one). -p prints the effective configuration, each key with
// its source (default, env or file:line), and exits. SIGINT or SIGTERM
// shuts the server down gracefully; a second one kills it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/quivermq/quiver/namesrv"
)

// shutdownTimeout bounds the graceful shutdown.
const shutdownTimeout = 10 * time.Second

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return runWith(args, stdout, stderr, runOptions{})
}

// runOptions are hooks for tests.
type runOptions struct {
	// ctx, if set, stops the server when done instead of SIGINT/SIGTERM.
	ctx context.Context
	// ready, if set, is called with the listen address once serving.
	ready func(net.Addr)
}

func runWith(args []string, stdout, stderr io.Writer, opts runOptions) int {
	fs := flag.NewFlagSet("mqnamesrv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conf := fs.String("c", "", "name server config file (RocketMQ namesrv properties)")
	printConf := fs.Bool("p", false, "print the effective configuration and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mqnamesrv [-c namesrv.properties] [-p] [-h]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mqnamesrv: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, settings, err := namesrv.LoadConfigFile(*conf, log)
	if err != nil {
		fmt.Fprintf(stderr, "mqnamesrv: %v\n", err)
		return 1
	}
	if *printConf {
		tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
		for _, s := range settings {
			fmt.Fprintf(tw, "%s=%s\t# %s\n", s.Key, s.Value, s.Source)
		}
		if err := tw.Flush(); err != nil {
			fmt.Fprintf(stderr, "mqnamesrv: %v\n", err)
			return 1
		}
		return 0
	}
	cfg.Logger = log

	srv, err := namesrv.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mqnamesrv: %v\n", err)
		return 1
	}
	ctx := opts.ctx
	if ctx == nil {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		go func() {
			<-ctx.Done()
			stop() // a second signal kills the process
		}()
	}
	if err := srv.Start(); err != nil {
		fmt.Fprintf(stderr, "mqnamesrv: %v\n", err)
		return 1
	}
	log.Info("mqnamesrv: name server started", "addr", srv.Addr().String(), "config", *conf)
	// Java's NamesrvStartup prints this line; start scripts wait for it.
	fmt.Fprintln(stdout, "The Name Server boot success. serializeType=JSON")
	if opts.ready != nil {
		opts.ready(srv.Addr())
	}

	<-ctx.Done()
	log.Info("mqnamesrv: shutting down", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			log.Warn("mqnamesrv: shutdown timed out; requests in flight were dropped")
		} else {
			log.Error("mqnamesrv: shutdown", "err", err)
		}
		return 1
	}
	return 0
}
