package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/hotline/hotline/config"
	"github.com/hotline/hotline/quality"
)

// commonFlags are the flags every subcommand takes: -config FILE and -data DIR.
type commonFlags struct {
	configPath string
	dataDir    string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.configPath, "config", "", "configuration `FILE` (YAML; the defaults when empty)")
	fs.StringVar(&c.dataDir, "data", "", "data `DIR` (overrides data_dir of the configuration)")
}

// load reads the configuration and applies -data.
func (c *commonFlags) load() (config.Config, error) {
	cfg, err := config.Load(c.configPath)
	if err != nil {
		return cfg, err
	}
	if c.dataDir != "" {
		cfg.DataDir = c.dataDir
	}
	return cfg, nil
}

// newFlagSet makes a flag set whose errors print the usage and give exit status 2.
func newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: hotline %s %s\n\nflags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; the returned status is -1 when the command should go on, else the exit status.
func parseFlags(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	return -1
}

// newLogger builds the process logger from the log section.
func newLogger(cfg config.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	// Card numbers never reach the log, whoever logs them.
	if cfg.Format == "json" {
		return slog.New(quality.NewMaskingHandler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(quality.NewMaskingHandler(slog.NewTextHandler(w, opts)))
}

// fail prints an error for a subcommand and returns exit status 1.
func fail(cmd string, err error) int {
	fmt.Fprintf(os.Stderr, "hotline %s: %v\n", cmd, err)
	return 1
}
