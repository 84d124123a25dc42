package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
)

func TestTranscribeJSONGivesWordsWithTimingsAndNoDigits(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	bin := testenv.Hotline(t)
	out, err := exec.Command(bin, "transcribe", "-json", filepath.Join(dir, "digits.wav")).Output()
	if err != nil {
		t.Fatalf("hotline transcribe: %v", err)
	}
	var res struct {
		Text  *string `json:"text"`
		Words []struct {
			W     *string  `json:"w"`
			Start *float64 `json:"start"`
			End   *float64 `json:"end"`
			Conf  *float64 `json:"conf"`
		} `json:"words"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Text == nil {
		t.Fatalf("output %s is not {\"text\":…,\"words\":[…]}: %v", out, err)
	}
	if len(res.Words) == 0 {
		t.Fatalf("no words for a digit string: %s", out)
	}
	for _, w := range res.Words {
		if w.W == nil || w.Start == nil || w.End == nil || w.Conf == nil || *w.End <= *w.Start {
			t.Fatalf("word without w/start/end/conf or with end before start: %s", out)
		}
	}
	if strings.IndexFunc(*res.Text, unicode.IsDigit) >= 0 {
		t.Errorf("text %q has digits; numbers must come out as words", *res.Text)
	}
	if !strings.Contains(*res.Text, "zero") && !strings.Contains(*res.Text, "one") {
		t.Errorf("text %q has none of the spoken digits", *res.Text)
	}
}

func TestTranscribeOfAMissingFileNamesItAndFails(t *testing.T) {
	bin := testenv.Hotline(t)
	missing := filepath.Join(t.TempDir(), "nothing.wav")
	out, err := exec.Command(bin, "transcribe", missing).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), missing) {
		t.Fatalf("exit %v, output %q: want status 1 naming %s", err, out, missing)
	}
}

func TestVoskEngineTalksToTheAsrServeBinary(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	bin := testenv.Hotline(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "asr-serve", "-addr", addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cancel()
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("asr-serve not listening on %s after 20 s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cfg := asr.DefaultConfig()
	cfg.Engine, cfg.VoskURL, cfg.VoskTimeout = "vosk", fmt.Sprintf("ws://%s", addr), 20*time.Second
	rec, err := asr.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	f, err := media.ReadWAV(filepath.Join(dir, "arctic_aew_a0003.wav"), 8000)
	if err != nil {
		t.Fatal(err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer tcancel()
	res, err := asr.Transcribe(tctx, rec, asr.PCM16(f), 8000, false)
	if err != nil {
		t.Fatalf("transcribe through asr-serve: %v", err)
	}
	if !strings.Contains(res.Text, "hands") && !strings.Contains(res.Text, "twentieth") {
		t.Errorf("through asr-serve: %q misses the recording's words", res.Text)
	}
}
