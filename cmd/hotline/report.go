package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/report"
	"github.com/hotline/hotline/store"
)

func init() {
	register("report", "the human–bot collaboration report over stored calls (html, json or csv)", runReport)
}

func runReport(args []string) int {
	fs := newFlagSet("report", "[-config FILE] [-data DIR] [-from DATE] [-to DATE] [-format html|json|csv] [-o FILE]")
	var common commonFlags
	common.register(fs)
	from := fs.String("from", "", "first `DATE` (YYYY-MM-DD, or an RFC 3339 time); default: 7 days before -to")
	to := fs.String("to", "", "last `DATE`, inclusive (YYYY-MM-DD), or an RFC 3339 time (exclusive); default: now")
	format := fs.String("format", "html", "output `FORMAT`: html, json or csv (one row per call)")
	out := fs.String("o", "", "write to `FILE` instead of standard output")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "hotline report: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *format != "html" && *format != "json" && *format != "csv" {
		fmt.Fprintf(os.Stderr, "hotline report: -format %q: want html, json or csv\n", *format)
		return 2
	}
	fromT, toT, err := report.ParseRange(*from, *to, time.Local)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hotline report: %v\n", err)
		return 2
	}
	cfg, err := common.load()
	if err != nil {
		return fail("report", err)
	}
	scfg := cfg.Store
	scfg.DataDir = cfg.DataDir
	if scfg.Driver == "sqlite" {
		if _, err := os.Stat(scfg.SQLitePath()); err != nil {
			return fail("report", fmt.Errorf("no call records at %s (is -data right?): %w", scfg.SQLitePath(), err))
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, scfg)
	if err != nil {
		return fail("report", err)
	}
	defer st.Close()

	opts := report.Options{From: fromT, To: toT, Location: time.Local}
	// The knowledge base's synonyms help the clustering of unanswered questions; without it they cluster on
	// words alone.
	if cfg.Dialog.KBFile != "" {
		if kb, err := dialog.LoadKB(cfg.Dialog.KBFile); err == nil {
			opts.KB = kb
		} else {
			fmt.Fprintf(os.Stderr, "hotline report: clustering without the knowledge base's synonyms: %v\n", err)
		}
	} else if kb, _, err := dialog.ParseKB("embedded knowledge base", dialog.DefaultKBData()); err == nil {
		opts.KB = kb
	}
	rep, calls, err := report.Build(ctx, st, opts)
	if err != nil {
		return fail("report", err)
	}

	var w io.Writer = os.Stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return fail("report", err)
		}
		w = f
	}
	bw := bufio.NewWriter(w)
	switch *format {
	case "json":
		err = rep.WriteJSON(bw)
	case "csv":
		err = report.WriteCSV(bw, calls)
	default:
		err = rep.WriteHTML(bw)
	}
	if err == nil {
		err = bw.Flush()
	}
	if f != nil {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("%s: %w", *out, cerr)
		}
	}
	if err != nil {
		return fail("report", err)
	}
	return 0
}
