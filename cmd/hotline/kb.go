package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotline/hotline/config"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/store"
)

func init() {
	register("kb", "validate the knowledge base (check); cluster unanswered questions (suggest)", runKB)
}

func runKB(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: hotline kb check [-config FILE] [-data DIR] [KB.yaml]\n       hotline kb suggest [-config FILE] [-data DIR] [-log FILE] [-threshold X] [-min N] [-json]")
		return 2
	}
	switch args[0] {
	case "check":
		return runKBCheck(args[1:])
	case "suggest":
		return runKBSuggest(args[1:])
	}
	fmt.Fprintf(os.Stderr, "hotline kb: unknown subcommand %q (check or suggest)\n", args[0])
	return 2
}

// kbSettings reads the configuration file the way every subcommand does and returns the data directory and the
// dialog section.
func kbSettings(c commonFlags) (config.Config, error) {
	return c.load()
}

func runKBCheck(args []string) int {
	fs := newFlagSet("kb check", "[-config FILE] [-data DIR] [KB.yaml]")
	var c commonFlags
	c.register(fs)
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	full, err := kbSettings(c)
	if err != nil {
		return fail("kb check", err)
	}
	path := full.Dialog.KBFile
	if fs.NArg() == 1 {
		path = fs.Arg(0)
	}
	kb, probs, err := dialog.CheckKB(path)
	for _, p := range probs {
		fmt.Println(p.String())
	}
	if err != nil {
		if _, ok := err.(*dialog.KBError); !ok {
			fmt.Fprintf(os.Stderr, "hotline kb check: %v\n", err)
		}
		return 1
	}
	examples := 0
	for _, e := range kb.Entries {
		examples += len(e.Examples)
	}
	fmt.Printf("%s: ok: %d entries, %d examples, %d synonym groups, %d warnings\n", kb.Source, len(kb.Entries),
		examples, len(kb.Synonyms), len(probs))
	return 0
}

func runKBSuggest(args []string) int {
	fs := newFlagSet("kb suggest", "[-config FILE] [-data DIR] [-log FILE] [-threshold X] [-min N] [-json]")
	var c commonFlags
	c.register(fs)
	logPath := fs.String("log", "", "read only this unanswered-questions JSONL `FILE` (default: the call-record store, and DATA/<dialog.unanswered_log> when it exists)")
	threshold := fs.Float64("threshold", 0.15, "merge groups whose average cosine similarity is above `X` (0..1)")
	minCount := fs.Int("min", 1, "print only clusters with at least `N` questions")
	asJSON := fs.Bool("json", false, "print the clusters as one JSON array")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() > 0 || *threshold <= 0 || *threshold >= 1 {
		fs.Usage()
		return 2
	}
	full, err := kbSettings(c)
	if err != nil {
		return fail("kb suggest", err)
	}
	cfg := full.Dialog
	texts, sources, err := unansweredQuestions(full, *logPath)
	if err != nil {
		return fail("kb suggest", err)
	}
	kb, err := dialog.LoadKB(cfg.KBFile)
	if err != nil {
		kb = nil // synonyms only help; a broken knowledge base is reported by `kb check`
	}
	clusters := dialog.ClusterQuestions(texts, kb, dialog.ClusterOptions{Threshold: *threshold})
	var shown []dialog.Cluster
	for _, cl := range clusters {
		if cl.Count >= *minCount {
			shown = append(shown, cl)
		}
	}
	if *asJSON {
		if shown == nil {
			shown = []dialog.Cluster{}
		}
		b, _ := json.MarshalIndent(shown, "", "  ")
		fmt.Println(string(b))
		return 0
	}
	fmt.Printf("%d unanswered questions from %s, %d clusters\n", len(texts), strings.Join(sources, " and "), len(clusters))
	for i, cl := range shown {
		fmt.Printf("\n#%d  %d question(s)  about: %v\n", i+1, cl.Count, cl.Terms)
		for _, ex := range cl.Examples {
			fmt.Printf("    - %s\n", ex)
		}
	}
	return 0
}

// unansweredQuestions gathers the questions to cluster: from logFile alone when given; otherwise from the
// call-record store (where `hotline serve` keeps them) and the JSONL log of dialog.unanswered_log when present.
func unansweredQuestions(cfg config.Config, logFile string) (texts, sources []string, err error) {
	fromFile := func(path string) error {
		qs, err := dialog.ReadUnanswered(path)
		if err != nil {
			return err
		}
		for _, q := range qs {
			texts = append(texts, q.Text)
		}
		sources = append(sources, path)
		return nil
	}
	if logFile != "" {
		if _, err := os.Stat(logFile); err != nil {
			return nil, nil, fmt.Errorf("unanswered log: %w", err)
		}
		return texts, sources, fromFile(logFile)
	}
	scfg := cfg.Store
	scfg.DataDir = cfg.DataDir
	if _, statErr := os.Stat(scfg.SQLitePath()); scfg.Driver != "sqlite" || statErr == nil {
		ctx := context.Background()
		st, err := store.Open(ctx, scfg)
		if err != nil {
			return nil, nil, err
		}
		defer st.Close()
		qs, err := st.ListUnanswered(ctx, time.Time{}, time.Time{})
		if err != nil {
			return nil, nil, err
		}
		for _, q := range qs {
			texts = append(texts, q.Text)
		}
		sources = append(sources, "the call-record store")
	}
	if p := cfg.Dialog.UnansweredLog; p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(cfg.DataDir, p)
		}
		if _, err := os.Stat(p); err == nil {
			if err := fromFile(p); err != nil {
				return nil, nil, err
			}
		}
	}
	if len(sources) == 0 {
		return nil, nil, fmt.Errorf("no unanswered questions: no call records under %s (is -data right?) and no log file", cfg.DataDir)
	}
	return texts, sources, nil
}
