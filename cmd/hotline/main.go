// Command hotline answers phone calls: a SIP trunk gateway, a voice-bot with emotion reading, and a WebRTC
// softphone for the human agents who take over. Each subcommand lives in its own file and registers itself in
// commands from an init function, so adding one touches no other file.
//
// Exit status: 0 success, 1 runtime failure, 2 bad usage.
package main

import (
	"fmt"
	"os"
	"sort"
)

// command is one `hotline NAME` subcommand. run gets the arguments after NAME and returns the exit status.
type command struct {
	summary string
	run     func(args []string) int
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string) int) {
	if _, dup := commands[name]; dup {
		panic("hotline: command registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	if name == "-h" || name == "-help" || name == "--help" || name == "help" {
		usage()
		os.Exit(0)
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "hotline: unknown command %q\n\n", name)
		usage()
		os.Exit(2)
	}
	os.Exit(cmd.run(os.Args[2:]))
}

func usage() {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(os.Stderr, "usage: hotline COMMAND [flags] [args]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nEvery command takes -config FILE and -data DIR; `hotline COMMAND -h` lists its flags.")
}
