package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
)

func writeTone(t *testing.T, path string, seconds, f0, amp float64) {
	t.Helper()
	n := int(seconds * 8000)
	s := make([]int16, n)
	for i := range s {
		ph := 2 * math.Pi * f0 * float64(i) / 8000
		s[i] = int16(amp * 32767 * (0.6*math.Sin(ph) + 0.3*math.Sin(2*ph) + 0.1*math.Sin(3*ph)))
	}
	if err := media.WriteWAV(path, 8000, 1, s); err != nil {
		t.Fatal(err)
	}
}

func TestAnalyzeJSONHasOneLinePerFrameAndASummary(t *testing.T) {
	bin := testenv.Hotline(t)
	dir := t.TempDir()
	wav := filepath.Join(dir, "tone.wav")
	writeTone(t, wav, 2, 150, 0.3)
	zero := filepath.Join(dir, "zero.wav")
	writeTone(t, zero, 1, 150, 0)
	for _, c := range []struct {
		file   string
		frames int
		voiced bool
	}{{wav, 200, true}, {zero, 100, false}} {
		out, err := exec.Command(bin, "analyze", "-json", c.file).Output()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if bytes.Contains(out, []byte("NaN")) {
			t.Fatalf("%s: NaN in output", c.file)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		var lines []map[string]any
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("%s: line %q: %v", c.file, sc.Text(), err)
			}
			lines = append(lines, m)
		}
		if len(lines) != c.frames+1 {
			t.Fatalf("%s: %d lines, want %d frames and a summary", c.file, len(lines), c.frames)
		}
		if lines[0]["t"].(float64) != 0.01 {
			t.Errorf("%s: first frame at t=%v, want 0.010", c.file, lines[0]["t"])
		}
		mid := lines[c.frames/2]
		if mid["voiced"] != c.voiced || (c.voiced && math.Abs(mid["f0"].(float64)-150) > 5) || mid["db"].(float64) < -100 {
			t.Errorf("%s: middle frame %v", c.file, mid)
		}
		sum := lines[len(lines)-1]
		if sum["summary"] != true || sum["state"] != "calm" {
			t.Errorf("%s: summary %v", c.file, sum)
		}
		for _, k := range []string{"level", "arousal", "valence", "baseline", "triggers"} {
			if _, ok := sum[k]; !ok {
				t.Errorf("%s: summary lacks %q", c.file, k)
			}
		}
	}
}

func TestAnalyzeErrorsNameTheFile(t *testing.T) {
	bin := testenv.Hotline(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "notawav.wav")
	os.WriteFile(bad, []byte("this is not a RIFF file at all"), 0o644)
	empty := filepath.Join(dir, "empty.wav")
	os.WriteFile(empty, nil, 0o644)
	for _, f := range []string{bad, empty, filepath.Join(dir, "missing.wav")} {
		cmd := exec.Command(bin, "analyze", f)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), f) {
			t.Errorf("%s: err %v, stderr %q; want exit 1 naming the file", f, err, stderr.String())
		}
	}
	if err := exec.Command(bin, "analyze").Run(); err == nil || err.(*exec.ExitError).ExitCode() != 2 {
		t.Errorf("no file: %v, want exit 2", err)
	}
}

func TestAnalyzeDrawsAPlot(t *testing.T) {
	bin := testenv.Hotline(t)
	dir := t.TempDir()
	wav := filepath.Join(dir, "tone.wav")
	writeTone(t, wav, 1, 200, 0.3)
	png := filepath.Join(dir, "out.png")
	if out, err := exec.Command(bin, "analyze", "-plot", png, wav).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	b, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("no PNG written: %v", err)
	}
}
