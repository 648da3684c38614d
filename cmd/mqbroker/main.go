// Command mqbroker is Quiver's broker. It takes RocketMQ's flags:
//
//	mqbroker [-c broker.conf] [-n namesrvAddr] [-p] [-h]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mqbroker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conf := fs.String("c", "", "broker config file (RocketMQ broker.conf)")
	namesrv := fs.String("n", os.Getenv("NAMESRV_ADDR"), "name server addresses, host:port;host:port (default $NAMESRV_ADDR)")
	printConf := fs.Bool("p", false, "print the effective configuration and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mqbroker [-c broker.conf] [-n namesrvAddr] [-p] [-h]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mqbroker: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *conf != "" {
		if _, err := os.Stat(*conf); err != nil {
			fmt.Fprintf(stderr, "mqbroker: config file: %v\n", err)
			return 1
		}
	}
	if *printConf {
		fmt.Fprintf(stdout, "listenPort=10911\nnamesrvAddr=%s\n", *namesrv)
		return 0
	}
	fmt.Fprintln(stderr, "mqbroker: the broker is not built yet (issue 4); flags parsed")
	return 1
}
