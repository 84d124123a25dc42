//go:build eval

package prosody

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

// TestEvalPitch scores F0 and voicing on the 50 FDA recordings against their laryngograph references, through
// the simulated phone line and on the originals (resampled to 8 kHz), with one global time offset per condition
// searched within ±30 ms.
func TestEvalPitch(t *testing.T) {
	dir := testenv.SharedAudio(t, "pitch")
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	if len(files) == 0 {
		t.Skipf("no recordings in %s", dir)
	}
	cfg := DefaultConfig()
	fmt.Printf("\nPitch on %d FDA files (laryngograph reference; Praat: line GPE 2.19 %% VDE 7.85 %%, originals 0.63 %% / 5.17 %%)\n", len(files))
	fmt.Printf("%-22s %8s %8s %10s %8s %8s %8s\n", "condition", "GPE %", "VDE %", "offset ms", "frames", "missed", "false")
	for _, line := range []bool{true, false} {
		type fileData struct {
			frames []FrameResult
			ref    []float64
		}
		var data []fileData
		for _, f := range files {
			ref := readF0Ref(t, f[:len(f)-4]+".f0ref")
			data = append(data, fileData{analyseAll(cfg, lineAudio(t, f, line)), ref})
		}
		bestOff, best := 0.0, pitchScore{}
		bestErr := 1e9
		for ms := -30; ms <= 30; ms++ {
			var s pitchScore
			for _, d := range data {
				s.add(scorePitch(d.frames, d.ref, float64(ms)/1000))
			}
			if e := s.GPE() + s.VDE(); e < bestErr {
				bestErr, best, bestOff = e, s, float64(ms)
			}
		}
		name := "phone line (sox)"
		if !line {
			name = "original (8 kHz)"
		}
		fmt.Printf("%-22s %8.2f %8.2f %10.0f %8d %8d %8d\n", name, best.GPE(), best.VDE(), bestOff, best.frames, best.missed, best.falseVoiced)
		if testing.Verbose() {
			for _, ms := range []int{-20, -10, 0, 10, 20} {
				var s pitchScore
				for _, d := range data {
					s.add(scorePitch(d.frames, d.ref, float64(ms)/1000))
				}
				t.Logf("%s offset %+d ms: GPE %.2f VDE %.2f", name, ms, s.GPE(), s.VDE())
			}
		}
	}
}
