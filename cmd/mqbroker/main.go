// Command mqbroker is Quiver's broker. It takes RocketMQ's flags:
//
//	mqbroker [-c broker.conf] [-n "host:port;host:port"] [-p | -m] [-h]
//
// -c reads a RocketMQ broker.conf; without it the broker starts with the
// embedded default (conf.DefaultFile: broker-a of DefaultCluster,
// brokerIP1 127.0.0.1, listenPort 10911, store under ~/store). -n names the
// name servers and beats both the NAMESRV_ADDR environment variable and the
// file's namesrvAddr.
//
// Standalone: with no name server anywhere (no -n, no NAMESRV_ADDR, no
// namesrvAddr in the file) mqbroker starts a name server in the same
// process, on :9876 (its KV config under <storePathRootDir>/namesrv), and
// registers with it: one command gives clients a working broker. -p prints every key
// with its value and where the value came from (default, file:line, env,
// flag) and exits; -m does the same for the important keys only, as
// RocketMQ's -m does.
//
// A configuration error (an unknown key, which names the nearest known
// one; a value that does not parse; a missing file) is a usage error:
// exit status 2. Once the broker is serving, Java's familiar line
//
//	The broker[broker-a, 127.0.0.1:10911] boot success. serializeType=JSON and name server is 127.0.0.1:9876
//
// goes to stdout; logs (log/slog, at logLevel) go to stderr. When
// adminListenAddr is set, net/http/pprof is served there under
// /debug/pprof/. SIGINT or SIGTERM shuts the broker down gracefully
// within 10 s; a second signal exits at once. Exit status: 0 after a clean
// shutdown, 1 on a runtime error, 2 on a usage or configuration error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/quivermq/quiver/broker"
	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/namesrv"
)

// embeddedNamesrvAddr is where the standalone broker's name server listens.
const embeddedNamesrvAddr = ":9876"

// shutdownTimeout bounds the graceful shutdown.
const shutdownTimeout = 10 * time.Second

// importantKeys are the keys -m prints: RocketMQ's @ImportantField keys
// that Quiver has, and Quiver's own.
var importantKeys = []string{
	"brokerClusterName", "brokerName", "brokerId", "brokerRole", "flushDiskType",
	"namesrvAddr", "brokerIP1", "brokerIP2", "listenPort", "haListenPort",
	"storePathRootDir", "storePathCommitLog", "mappedFileSizeCommitLog",
	"autoCreateTopicEnable", "autoCreateSubscriptionGroup", "defaultTopicQueueNums",
	"deleteWhen", "fileReservedTime", "maxMessageSize",
	"adminListenAddr", "logLevel",
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: it returns the exit status. It serves until ctx is
// done or SIGINT/SIGTERM arrives.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, runOptions{})
}

// runOptions are hooks for tests.
type runOptions struct {
	// listenAddr, if set, replaces the listen address ":<listenPort>"
	// (tests bind 127.0.0.1 only).
	listenAddr string
	// ready, if set, is called with the broker's address once it serves.
	ready func(addr string)
	// env replaces os.Getenv.
	env func(string) string
	// exit replaces os.Exit for the second signal.
	exit func(int)
	// namesrvListen, if set, replaces the embedded name server's listen
	// address (":9876").
	namesrvListen string
}

func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, opts runOptions) int {
	fs := flag.NewFlagSet("mqbroker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	confFile := fs.String("c", "", "broker config file (RocketMQ broker.conf); default: the embedded one")
	nsFlag := fs.String("n", "", "name server addresses, \"host:port;host:port\" (beats $NAMESRV_ADDR and the file)")
	printAll := fs.Bool("p", false, "print every configuration key, its value and source, and exit")
	printImportant := fs.Bool("m", false, "print the important configuration keys and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: mqbroker [-c broker.conf] [-n "host:port;host:port"] [-p | -m] [-h]`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mqbroker: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}

	// The level is known only once the config is loaded; the loader's
	// warnings are logged at the default, info.
	var level slog.LevelVar
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: &level}))

	var ov []conf.Override
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "n" {
			ov = append(ov, conf.Override{Key: "namesrvAddr", Value: *nsFlag, Origin: "flag -n"})
		}
	})
	loader := conf.Loader{Env: opts.env, Logger: log}
	var (
		cfg *conf.Config
		err error
	)
	if *confFile != "" {
		cfg, err = loader.Load(*confFile, ov...)
	} else {
		cfg, err = loader.Parse("embedded broker.conf", strings.NewReader(conf.DefaultFile), ov...)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mqbroker: %v\n", err)
		return 2
	}
	switch {
	case *printAll:
		if err := conf.Print(stdout, cfg); err != nil {
			fmt.Fprintf(stderr, "mqbroker: %v\n", err)
			return 1
		}
		return 0
	case *printImportant:
		if err := printKeys(stdout, cfg, importantKeys); err != nil {
			fmt.Fprintf(stderr, "mqbroker: %v\n", err)
			return 1
		}
		return 0
	}
	level.Set(cfg.LogLevel)

	if *confFile == "" {
		log.Info("mqbroker: no -c given: using the embedded default broker.conf (mqbroker -p prints it)")
	} else {
		log.Info("mqbroker: config loaded", "file", *confFile)
	}
	var ns *namesrv.Server
	if len(cfg.NamesrvAddr) == 0 {
		if ns, err = startEmbeddedNamesrv(cfg, opts.namesrvListen, log); err != nil {
			log.Error("mqbroker: embedded name server", "err", err)
			return 1
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			if err := ns.Shutdown(sctx); err != nil {
				log.Error("mqbroker: embedded name server shutdown", "err", err)
			}
		}()
	}

	// Registered before the store opens, so that a signal during start-up
	// also shuts down cleanly.
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)

	b, err := broker.New(cfg, broker.Options{ListenAddr: opts.listenAddr, Logger: log})
	if err != nil {
		log.Error("mqbroker: open", "store", cfg.StorePathRootDir, "err", err)
		return 1
	}
	if err := b.Start(); err != nil {
		log.Error("mqbroker: start", "err", err)
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := b.Shutdown(sctx); err != nil {
			log.Error("mqbroker: shutdown", "err", err)
		}
		return 1
	}
	nsAddr := cfg.NamesrvAddrString()
	log.Info("mqbroker: serving", "broker", cfg.BrokerName, "addr", b.Addr(),
		"store", cfg.StorePathRootDir, "namesrv", nsAddr, "embeddedNamesrv", ns != nil)
	admin := startAdmin(cfg.AdminListenAddr, b, log)

	// Java's BrokerStartup prints this line; start scripts wait for it.
	tip := fmt.Sprintf("The broker[%s, %s] boot success. serializeType=JSON", cfg.BrokerName, b.Addr())
	if nsAddr != "" {
		tip += " and name server is " + nsAddr
	}
	fmt.Fprintln(stdout, tip)
	if opts.ready != nil {
		opts.ready(b.Addr())
	}

	select {
	case <-ctx.Done():
		log.Info("mqbroker: stop requested")
	case s := <-sig:
		log.Info("mqbroker: signal received", "signal", s.String())
	}
	// A second signal while shutting down exits at once.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case s := <-sig:
			log.Warn("mqbroker: second signal: exiting without finishing the shutdown", "signal", s.String())
			exit := opts.exit
			if exit == nil {
				exit = os.Exit
			}
			exit(1)
		case <-done:
		}
	}()

	log.Info("mqbroker: shutting down", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	code := 0
	if admin != nil {
		_ = admin.Close() // profiles in flight are cut; nothing to report
	}
	if err := b.Shutdown(sctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			log.Error("mqbroker: shutdown timed out; requests in flight were dropped", "err", err)
		} else {
			log.Error("mqbroker: shutdown", "err", err)
		}
		code = 1
	} else {
		log.Info("mqbroker: stopped")
	}
	return code
}

// printKeys writes keys as key=value with their sources, aligned as
// conf.Print does.
func printKeys(w io.Writer, cfg *conf.Config, keys []string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, k := range keys {
		v, ok := cfg.Value(k)
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "%s=%s\t# %s\n", k, v, cfg.Source(k))
	}
	return tw.Flush()
}

// startAdmin serves the admin HTTP endpoint on addr (adminListenAddr) when
// it is set: net/http/pprof under /debug/pprof/, the counters in
// Prometheus's text format at /metrics, and /healthz (200 "ok", or 503 and
// the reason). An address without a host ("8080", ":8080") binds the
// loopback interface only: the endpoint exposes profiles and internals, so
// reaching it from elsewhere takes an explicit host. A failure to listen is
// logged, not fatal: the broker serves without it.
func startAdmin(addr string, b *broker.Broker, log *slog.Logger) *http.Server {
	if addr == "" {
		return nil
	}
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("mqbroker: admin endpoint not started", "adminListenAddr", addr, "err", err)
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		if err := b.WriteMetrics(w); err != nil {
			log.Debug("mqbroker: /metrics", "err", err)
		}
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := b.Health(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("mqbroker: admin endpoint", "err", err)
		}
	}()
	log.Info("mqbroker: admin endpoint (pprof) serving", "addr", ln.Addr().String(), "paths", "/debug/pprof/ /metrics /healthz")
	return srv
}

// startEmbeddedNamesrv starts the standalone broker's name server and points
// cfg's namesrvAddr at it.
func startEmbeddedNamesrv(cfg *conf.Config, listen string, log *slog.Logger) (*namesrv.Server, error) {
	nc := namesrv.DefaultConfig()
	nc.ListenAddr = embeddedNamesrvAddr
	if listen != "" {
		nc.ListenAddr = listen
	}
	nc.KVConfigPath = filepath.Join(cfg.StorePathRootDir, "namesrv", "kvConfig.json")
	nc.Logger = log
	ns, err := namesrv.New(nc)
	if err != nil {
		return nil, err
	}
	if err := ns.Start(); err != nil {
		return nil, err
	}
	_, port, err := net.SplitHostPort(ns.Addr().String())
	if err != nil {
		_ = ns.Shutdown(context.Background())
		return nil, err
	}
	cfg.NamesrvAddr = []string{net.JoinHostPort("127.0.0.1", port)}
	log.Info("mqbroker: no name server configured (namesrvAddr, $NAMESRV_ADDR, -n): started one in this process",
		"listen", ns.Addr().String(), "kvConfig", nc.KVConfigPath)
	return ns, nil
}
