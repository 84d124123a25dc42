//go:build eval

package media

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/hotline/hotline/internal/testenv"
)

// TestEvalJitterBufferOnSpeech sends real speech through a simulated network (G.711 μ-law, 20 ms packets, random
// delay and loss) into the jitter buffer, and prints what comes out: playout delay, late packets, frames played
// exactly, and how well concealment keeps the level of lost frames (energy of the concealed frame over that of
// the original; silence insertion would give 0).
func TestEvalJitterBufferOnSpeech(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	var speech []int16
	for _, f := range []string{"osr_us_000_0034_8k.wav", "jfk.wav", "arctic_aew_a0001.wav"} {
		pcm, err := ReadWAV8k(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		speech = append(speech, pcm...)
	}
	n := len(speech) / FrameSamples
	conditions := []struct {
		name      string
		jitter    time.Duration // uniform extra delay 0..jitter
		spikeProb float64       // probability of a 150 ms delay spike
		loss      float64
		burst     int // lost packets per loss event
	}{
		{"clean", 0, 0, 0, 1},
		{"jitter 0-40ms", 40 * time.Millisecond, 0, 0, 1},
		{"jitter 0-40ms, 3% loss", 40 * time.Millisecond, 0, 0.03, 1},
		{"jitter 0-80ms, 1% spikes of 150ms", 80 * time.Millisecond, 0.01, 0, 1},
		{"jitter 0-20ms, 5% loss in bursts of 2", 20 * time.Millisecond, 0, 0.025, 2},
	}
	for _, c := range conditions {
		rng := rand.New(rand.NewPCG(7, 11))
		type pkt struct {
			i      int
			arrive time.Duration
		}
		var pkts []pkt
		lost := map[int]bool{}
		for i := 0; i < n; i++ {
			if lost[i] {
				continue
			}
			if rng.Float64() < c.loss {
				for k := 0; k < c.burst; k++ {
					lost[i+k] = true
				}
				continue
			}
			d := time.Duration(i) * FrameDuration
			if c.jitter > 0 {
				d += time.Duration(rng.Int64N(int64(c.jitter)))
			}
			if rng.Float64() < c.spikeProb {
				d += 150 * time.Millisecond
			}
			pkts = append(pkts, pkt{i, d})
		}
		sort.Slice(pkts, func(a, b int) bool { return pkts[a].arrive < pkts[b].arrive })
		payloads := make([][]byte, n)
		orig := make([]Frame, n)
		for i := 0; i < n; i++ {
			payloads[i] = EncodeSamples(PCMU, speech[i*FrameSamples:(i+1)*FrameSamples], nil)
			DecodePayload(PCMU, payloads[i], &orig[i])
		}
		jb := newJitterBuffer(20*time.Millisecond, 200*time.Millisecond)
		epoch := int64(time.Hour)
		next := 0
		var f Frame
		var delaySum float64
		var played, exact, concealed int
		var concE, origE float64
		end := time.Duration(n)*FrameDuration + 500*time.Millisecond
		for now := time.Duration(0); now < end; now += time.Millisecond {
			for next < len(pkts) && pkts[next].arrive <= now {
				p := pkts[next]
				jb.push(uint16(p.i), uint32(p.i*FrameSamples), 1, true, payloads[p.i], PCMU, epoch+int64(now))
				next++
			}
			for {
				i := int(jb.head / FrameSamples)
				if !jb.pull(epoch+int64(now), &f) {
					break
				}
				if i >= n {
					continue
				}
				played++
				delaySum += float64(now - time.Duration(i)*FrameDuration)
				if f == orig[i] {
					exact++
				} else if lost[i] {
					concealed++
					for k := range f {
						concE += float64(f[k]) * float64(f[k])
						origE += float64(orig[i][k]) * float64(orig[i][k])
					}
				}
			}
		}
		ratio := math.NaN()
		if origE > 0 {
			ratio = concE / origE
		}
		t.Logf("%-40s frames %d played %d exact %.1f%% late %d (%.2f%%) lost %d mean delay %.1f ms final delay %.1f ms concealed-frame energy ratio %.2f",
			c.name, n, played, 100*float64(exact)/float64(n), jb.late, 100*float64(jb.late)/float64(n), len(lost),
			delaySum/float64(played)/1e6, float64(jb.delay)/1e6, ratio)
	}
}
