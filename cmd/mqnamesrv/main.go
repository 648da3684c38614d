// Command mqnamesrv is Quiver's name server. It takes RocketMQ's flags:
//
//	mqnamesrv [-c namesrv.properties] [-p] [-h]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
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
	if *conf != "" {
		if _, err := os.Stat(*conf); err != nil {
			fmt.Fprintf(stderr, "mqnamesrv: config file: %v\n", err)
			return 1
		}
	}
	if *printConf {
		fmt.Fprintln(stdout, "listenPort=9876")
		return 0
	}
	fmt.Fprintln(stderr, "mqnamesrv: the name server is not built yet (issue 4); flags parsed")
	return 1
}
