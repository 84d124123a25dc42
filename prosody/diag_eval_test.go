//go:build eval

package prosody

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

func TestEvalDiagPitch(t *testing.T) {
	dir := testenv.SharedAudio(t, "pitch")
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	cfg := DefaultConfig()
	fmt.Sscan(os.Getenv("P"), &maxDip, &octaveBias, &centreCost, &centreDeadZone, &centreRate, &stickiness, &octaveDown, &octaveUp, &cfg.VoicingThreshold, &cfg.VoicingHysteresis)
	hist := map[string]int{}
	per := map[string][2]int{}
	for _, f := range files {
		ref := readF0Ref(t, f[:len(f)-4]+".f0ref")
		frames := analyseAll(cfg, lineAudio(t, f, true))
		spk := filepath.Base(f)[:2]
		for i, r := range ref {
			k := int((float64(i)*0.015+0.006)/HopSeconds+0.5) - 1
			if k < 0 || k >= len(frames) || r == 0 || !frames[k].Voiced {
				continue
			}
			q := frames[k].F0 / r
			if (q < 0.8 || q > 1.2) && os.Getenv("V") != "" {
				pv := func(j int) string {
					if j < 0 || j >= len(frames) {
						return "-"
					}
					return fmt.Sprintf("%.0f/%.2f/%.0f", frames[j].F0, frames[j].Aperiodicity, frames[j].DB)
				}
				prevr, nextr := 0.0, 0.0
				if i > 0 {
					prevr = ref[i-1]
				}
				if i+1 < len(ref) {
					nextr = ref[i+1]
				}
				fmt.Printf("%s t=%.3f ref %.0f (%.0f,%.0f) ours %s %s %s\n", filepath.Base(f), float64(i)*0.015, r, prevr, nextr, pv(k-1), pv(k), pv(k+1))
			}
			p := per[spk]
			p[0]++
			switch {
			case q < 0.4:
				hist["<0.4"]++
			case q < 0.6:
				hist["~0.5"]++
			case q < 0.8:
				hist["0.6-0.8"]++
			case q <= 1.2:
				hist["ok"]++
				p[1]++
			case q < 1.7:
				hist["1.2-1.7"]++
			case q < 2.4:
				hist["~2"]++
			default:
				hist[">2.4"]++
			}
			per[spk] = p
		}
	}
	fmt.Println(hist, per)
}
