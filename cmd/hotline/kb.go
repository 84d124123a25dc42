package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/hotline/hotline/dialog"
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

// kbSettings reads what `hotline kb` needs from the configuration file: data_dir and the dialog section. It
// reads only those keys, so it works whatever else the file holds.
func kbSettings(c commonFlags) (dataDir string, cfg dialog.Config, err error) {
	cfg = dialog.DefaultConfig()
	dataDir = "./data"
	if c.configPath != "" {
		data, err := os.ReadFile(c.configPath)
		if err != nil {
			return "", cfg, fmt.Errorf("config %s: %w", c.configPath, err)
		}
		var file struct {
			DataDir string    `yaml:"data_dir"`
			Dialog  yaml.Node `yaml:"dialog"`
		}
		if err := yaml.Unmarshal(data, &file); err != nil {
			return "", cfg, fmt.Errorf("config %s: %w", c.configPath, err)
		}
		if file.DataDir != "" {
			dataDir = file.DataDir
		}
		if !file.Dialog.IsZero() {
			if err := file.Dialog.Decode(&cfg); err != nil {
				return "", cfg, fmt.Errorf("config %s: dialog: %w", c.configPath, err)
			}
		}
	}
	if c.dataDir != "" {
		dataDir = c.dataDir
	}
	return dataDir, cfg, nil
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
	_, cfg, err := kbSettings(c)
	if err != nil {
		return fail("kb check", err)
	}
	path := cfg.KBFile
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
	logPath := fs.String("log", "", "unanswered-questions JSONL `FILE` (default: DATA/unanswered.jsonl, from the config's dialog.unanswered_log)")
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
	dataDir, cfg, err := kbSettings(c)
	if err != nil {
		return fail("kb suggest", err)
	}
	path := *logPath
	if path == "" {
		if cfg.UnansweredLog == "" {
			return fail("kb suggest", fmt.Errorf("dialog.unanswered_log is empty in the configuration and no -log was given"))
		}
		path = cfg.UnansweredLog
		if !filepath.IsAbs(path) {
			path = filepath.Join(dataDir, path)
		}
	}
	qs, err := dialog.ReadUnanswered(path)
	if err != nil {
		return fail("kb suggest", err)
	}
	kb, err := dialog.LoadKB(cfg.KBFile)
	if err != nil {
		kb = nil // synonyms only help; a broken knowledge base is reported by `kb check`
	}
	texts := make([]string, len(qs))
	for i, q := range qs {
		texts[i] = q.Text
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
	fmt.Printf("%d unanswered questions in %s, %d clusters\n", len(qs), path, len(clusters))
	for i, cl := range shown {
		fmt.Printf("\n#%d  %d question(s)  about: %v\n", i+1, cl.Count, cl.Terms)
		for _, ex := range cl.Examples {
			fmt.Printf("    - %s\n", ex)
		}
	}
	return 0
}
