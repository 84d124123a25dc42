package prosody

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

// The simulated phone line of ../shared/audio/README.md, run with sox: band-limit to 300–3400 Hz at 8 kHz, μ-law,
// back to 16-bit PCM (dither off, so results repeat exactly). Converted files are cached for the test process.

var (
	lineDirOnce sync.Once
	lineDir     string
	lineDirErr  error
	lineMu      sync.Mutex
	lineCache   = map[string][]float32{}
)

// lineAudio returns src as heard through the phone line (line=true) or only resampled to 8 kHz (line=false), as
// samples in [-1, 1].
func lineAudio(t testing.TB, src string, line bool) []float32 {
	t.Helper()
	testenv.Need(t, "sox", "sox")
	key := fmt.Sprintf("%v|%s", line, src)
	lineMu.Lock()
	defer lineMu.Unlock()
	if s, ok := lineCache[key]; ok {
		return s
	}
	lineDirOnce.Do(func() { lineDir, lineDirErr = os.MkdirTemp("", "prosody-line-") })
	if lineDirErr != nil {
		t.Fatalf("temp dir: %v", lineDirErr)
	}
	base := filepath.Join(lineDir, fmt.Sprintf("%d-%s", len(lineCache), strings.TrimSuffix(filepath.Base(src), ".wav")))
	out := base + ".raw"
	var steps [][]string
	if line {
		steps = [][]string{
			{"-D", src, "-r", "8000", "-c", "1", "-b", "16", base + "-band.wav", "sinc", "300-3400"},
			{"-D", base + "-band.wav", "-e", "u-law", base + "-line.wav"},
			{"-D", base + "-line.wav", "-t", "raw", "-e", "signed", "-b", "16", out},
		}
	} else {
		steps = [][]string{{"-D", src, "-r", "8000", "-c", "1", "-t", "raw", "-e", "signed", "-b", "16", out}}
	}
	for _, args := range steps {
		if b, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
			t.Fatalf("sox %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	s := make([]float32, len(raw)/2)
	for i := range s {
		s[i] = float32(int16(binary.LittleEndian.Uint16(raw[2*i:]))) / 32768
	}
	lineCache[key] = s
	return s
}

// analyseAll returns every frame of samples.
func analyseAll(cfg Config, samples []float32) []FrameResult {
	an := NewAnalyzer(cfg)
	var frames []FrameResult
	for i := 0; i < len(samples); i += FrameSamples {
		frames = append(frames, an.ProcessFloat(samples[i:min(i+FrameSamples, len(samples))])...)
	}
	return append(frames, an.Flush()...)
}

// pitchScore counts, for one file, the reference frames (15 ms apart) against our frames nearest in time after
// shifting the reference by offset seconds.
type pitchScore struct {
	frames, bothVoiced, gross, voicingErr int
	missed, falseVoiced                   int // voicing errors: reference voiced but we said unvoiced, and the reverse
}

func (s *pitchScore) add(o pitchScore) {
	s.frames += o.frames
	s.bothVoiced += o.bothVoiced
	s.gross += o.gross
	s.voicingErr += o.voicingErr
	s.missed += o.missed
	s.falseVoiced += o.falseVoiced
}

func (s pitchScore) GPE() float64 { return 100 * float64(s.gross) / float64(max(1, s.bothVoiced)) }
func (s pitchScore) VDE() float64 { return 100 * float64(s.voicingErr) / float64(max(1, s.frames)) }

func scorePitch(frames []FrameResult, ref []float64, offset float64) pitchScore {
	var s pitchScore
	for i, r := range ref {
		tr := float64(i)*0.015 + offset
		k := int(tr/HopSeconds+0.5) - 1 // frames[k] is centred at (k+1)*10 ms
		if k < 0 || k >= len(frames) {
			continue
		}
		f := frames[k]
		s.frames++
		rv := r > 0
		if rv != f.Voiced {
			s.voicingErr++
			if rv {
				s.missed++
			} else {
				s.falseVoiced++
			}
		}
		if rv && f.Voiced {
			s.bothVoiced++
			if d := f.F0/r - 1; d > 0.2 || d < -0.2 {
				s.gross++
			}
		}
	}
	return s
}

func readF0Ref(t testing.TB, path string) []float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	var ref []float64
	for _, l := range strings.Fields(string(b)) {
		var v float64
		if _, err := fmt.Sscan(l, &v); err != nil {
			t.Fatalf("%s: %q: %v", path, l, err)
		}
		ref = append(ref, v)
	}
	return ref
}
