// Command mqadmin is Quiver's administration tool, after RocketMQ's:
//
//	mqadmin <command> [-n namesrvAddr] [options]
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// commands lists the subcommands with a one-line summary. They are built by
// later issues on package tools.
var commands = map[string]string{
	"updateTopic":      "create or update a topic",
	"deleteTopic":      "delete a topic from brokers and name servers",
	"topicList":        "list all topics",
	"topicRoute":       "show a topic's route",
	"topicStatus":      "show a topic's queue offsets",
	"clusterList":      "list clusters and brokers",
	"queryMsgById":     "look a message up by its offset id",
	"consumerProgress": "show a consumer group's offsets and lag",
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mqadmin <command> [-n namesrvAddr] [options]")
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-18s %s\n", n, commands[n])
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	if _, ok := commands[args[0]]; !ok {
		fmt.Fprintf(stderr, "mqadmin: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	fmt.Fprintf(stderr, "mqadmin: %s is not built yet (issues 4 and 6)\n", args[0])
	return 1
}
