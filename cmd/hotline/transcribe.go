package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/media"
	"gopkg.in/yaml.v3"
)

func init() {
	register("transcribe", "offline speech recognition of a WAV file: transcribe [-json] [-domain] WAV", runTranscribe)
}

func runTranscribe(args []string) int {
	fs := flag.NewFlagSet("transcribe", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, `print {"text":…,"words":[{"w":…,"start":…,"end":…,"conf":…}]}`)
	domain := fs.Bool("domain", false, "use the call-time domain-biased model instead of the general one")
	cfgPath := fs.String("config", "", "configuration file (its asr section is used)")
	fs.String("data", "", "data directory (unused by transcribe)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: hotline transcribe [-json] [-domain] WAV")
		return 2
	}
	cfg, err := asrConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hotline transcribe:", err)
		return 2
	}
	if cfg.Engine == "pocketsphinx" {
		cfg.WarmDecoders = 0
		cfg.Domain = *domain
	}
	path := fs.Arg(0)
	pcm, rate, err := readSpeech(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hotline transcribe:", err)
		return 1
	}
	rec, err := asr.New(cfg, nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hotline transcribe:", err)
		return 1
	}
	defer rec.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := asr.Transcribe(ctx, rec, pcm, rate, *domain)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hotline transcribe: %s: %v\n", path, err)
		return 1
	}
	if *asJSON {
		words := res.Words
		if words == nil {
			words = []asr.Word{}
		}
		out, _ := json.Marshal(struct {
			Text  string     `json:"text"`
			Words []asr.Word `json:"words"`
		}{res.Text, words})
		fmt.Println(string(out))
		return 0
	}
	fmt.Println(res.Text)
	return 0
}

// readSpeech reads a WAV file for recognition: at 8 kHz when it carries only phone-band audio, else at 16 kHz.
func readSpeech(path string) ([]int16, int, error) {
	f, err := media.ReadWAV(path, 16000)
	if err != nil {
		return nil, 0, err
	}
	pcm := asr.PCM16(f)
	if !asr.Narrowband(pcm) {
		return pcm, 16000, nil
	}
	f, err = media.ReadWAV(path, 8000)
	if err != nil {
		return nil, 0, err
	}
	return asr.PCM16(f), 8000, nil
}

// asrConfig reads the asr section of the configuration file over the defaults ("" gives the defaults).
func asrConfig(path string) (asr.Config, error) {
	cfg := asr.DefaultConfig()
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	var file struct {
		ASR *yaml.Node `yaml:"asr"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	if file.ASR != nil {
		if err := file.ASR.Decode(&cfg); err != nil {
			return cfg, fmt.Errorf("config %s: asr: %w", path, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}
