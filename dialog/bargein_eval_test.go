//go:build eval

package dialog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/hotline/hotline/internal/testenv"
)

// TestEvalBargeIn prints the barge-in detector's delay from the start of real speech (phone line, white noise,
// with and without our prompt and its echo) and its false fires on short bursts and on noise.
func TestEvalBargeIn(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	f, err := NewFlite("slt")
	if err != nil {
		t.Fatal(err)
	}
	f.LevelDB = DefaultConfig().Speech.LevelDB
	prompt, _ := f.Synthesize(context.Background(), "Our travel pass costs five dollars a day in over one hundred countries and lets you use your normal allowance while you are away.")
	var delays []int
	missed, cases := 0, 0
	for _, name := range speechFiles {
		speech := phoneLine(t, filepath.Join(dir, name))
		if len(speech) > 4*Rate {
			speech = speech[:4*Rate]
		}
		onset := speechOnset(speech)
		for _, noiseDB := range []float64{-60, -50, -45, -40} {
			for _, echoDB := range []float64{0, -15, -25} { // 0: no prompt playing
				start := Rate * 3 / 2
				caller := noise(start+len(speech), noiseDB, 7)
				var sent []int16
				if echoDB != 0 {
					sent = prompt
					mix(caller, prompt, 60*Rate/1000, echoDB)
				}
				mix(caller, speech, start, 0)
				fr := run(NewBargeIn(evalBargeInConfig()), caller, sent)
				cases++
				if fr < 0 || fr < start/FrameSamples+onset {
					missed++
					continue
				}
				delays = append(delays, (fr-start/FrameSamples-onset)*20)
				if os.Getenv("BARGEIN_VERBOSE") != "" {
					fmt.Printf("  %s noise %g echo %g: %d ms\n", name, noiseDB, echoDB, (fr-start/FrameSamples-onset)*20)
				}
			}
		}
	}
	sort.Ints(delays)
	within := 0
	for _, d := range delays {
		if d <= 300 {
			within++
		}
	}
	q := func(p int) int { return delays[(len(delays)-1)*p/100] }
	fmt.Printf("barge-in on real speech (%d cases: 5 recordings × 4 noise levels × no prompt / echo -15 dB / -25 dB): median %d ms, p90 %d ms, max %d ms; %d/%d within 300 ms; missed or early %d\n",
		cases, q(50), q(90), q(100), within, len(delays), missed)

	falseFires, bursts := 0, 0
	firesBy := map[int]int{}
	for _, name := range speechFiles {
		speech := phoneLine(t, filepath.Join(dir, name))
		for _, ms := range []int{150, 200, 250} {
			n := ms * Rate / 1000
			best, bestDB := 0, -100.0
			for i := 0; i+n <= len(speech); i += FrameSamples {
				if db := levelDB(speech[i : i+n]); db > bestDB {
					best, bestDB = i, db
				}
			}
			for _, withPrompt := range []bool{false, true} {
				caller := noise(len(prompt), -50, 8)
				var sent []int16
				if withPrompt {
					sent = prompt
					mix(caller, prompt, 60*Rate/1000, -15)
				}
				mix(caller, speech[best:best+n], 2*Rate, 0)
				bursts++
				if run(NewBargeIn(evalBargeInConfig()), caller, sent) >= 0 {
					falseFires++
					firesBy[ms]++
				}
			}
		}
	}
	noiseFires := 0
	for i, db := range []float64{-60, -50, -40, -30, -25} {
		if run(NewBargeIn(evalBargeInConfig()), noise(10*Rate, db, int64(20+i)), nil) >= 0 {
			noiseFires++
		}
		c := noise(len(prompt), db, int64(30+i))
		mix(c, prompt, 60*Rate/1000, -12)
		if run(NewBargeIn(evalBargeInConfig()), c, prompt) >= 0 {
			noiseFires++
		}
	}
	fmt.Printf("barge-in false fires: %d of %d short bursts of real speech (10 each of 150/200/250 ms: %d/%d/%d, with and without a prompt); %d of 10 noise-only / echo-only runs\n",
		falseFires, bursts, firesBy[150], firesBy[200], firesBy[250], noiseFires)
}

// evalBargeInConfig is the default detector, with BARGEIN_MIN_SPEECH (e.g. "280ms") to try another min_speech.
func evalBargeInConfig() BargeInConfig {
	c := DefaultBargeInConfig()
	if d, err := time.ParseDuration(os.Getenv("BARGEIN_MIN_SPEECH")); err == nil {
		c.MinSpeech = d
	}
	return c
}
