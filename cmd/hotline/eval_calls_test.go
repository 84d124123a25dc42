//go:build eval

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/internal/testenv"
)

// TestEvalSpokenQuestionsEndToEnd asks the test questions (testdata/questions.yaml, written before tuning) as
// real calls: each is synthesised by one of four flite voices, passed through the simulated G.711 line, and played
// by `hotline dial` into `hotline serve` 8 s after the answer, four calls at a time. It reports the intent the call
// record shows against the expected one, and the voice-to-voice latency of each answered turn: from the end of
// the caller's speech to the first RTP packet of the bot's reply, end-of-turn silence included.
func TestEvalSpokenQuestionsEndToEnd(t *testing.T) {
	questions, err := dialog.ReadQuestions(filepath.Join(testenv.ModuleRoot(t), "testdata", "questions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := strconv.Atoi(os.Getenv("HOTLINE_EVAL_QUESTIONS")); err == nil && n > 0 && n < len(questions) {
		questions = questions[:n] // a quick look; the README's figures use all of them
	}
	voices := []string{"slt", "kal", "rms", "awb"}
	// Which voice reads which question moves the accuracy by several points; HOTLINE_EVAL_ALL_VOICES=1 asks every
	// question in every voice (four times the calls, about 30 minutes) for a steadier figure.
	voiceOf := make([]string, len(questions))
	for i := range questions {
		voiceOf[i] = voices[i%len(voices)]
	}
	if os.Getenv("HOTLINE_EVAL_ALL_VOICES") != "" {
		var qs []dialog.TestQuestion
		voiceOf = voiceOf[:0]
		for _, q := range questions {
			for _, v := range voices {
				qs = append(qs, q)
				voiceOf = append(voiceOf, v)
			}
		}
		questions = qs
	}
	wavs := make([]string, len(questions)) // synthesised up front: t.Fatal belongs to this goroutine
	for i, q := range questions {
		wavs[i] = phoneSpeech(t, voiceOf[i], q.Text, 8)
	}
	p := startServe(t, "")
	results := askQuestions(t, p, questions, voiceOf, wavs, "24s")

	correct, failed := 0, 0
	byVoice := map[string][2]int{}
	var lat []float64
	var parts [3][]float64
	for _, r := range results {
		if r.err != nil {
			failed++
			t.Logf("FAILED %q (%s): %v", r.q.Text, r.voice, r.err)
			continue
		}
		v := byVoice[r.voice]
		v[1]++
		if r.got == r.q.Intent {
			correct++
			v[0]++
		} else {
			t.Logf("miss: %-60q want %-22s got %-22s (%s) heard %q%s", r.q.Text, r.q.Intent, r.got, r.voice, r.heard, r.why)
		}
		byVoice[r.voice] = v
		if len(r.latency) > 0 {
			lat = append(lat, r.latency[0])
			for k := range parts {
				parts[k] = append(parts[k], r.parts[0][k])
			}
		}
	}
	sort.Float64s(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(p*float64(len(lat)-1)+0.5)]
	}
	med := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		v = append([]float64(nil), v...)
		sort.Float64s(v)
		return v[len(v)/2]
	}
	fmt.Printf("\nEND-TO-END SPOKEN QUESTIONS (%d calls, 4 at a time, flite voices through the G.711 line)\n", len(results))
	fmt.Printf("  intent accuracy: %d/%d = %.1f %%  (failed calls: %d)\n", correct, len(results)-failed, 100*float64(correct)/float64(max(1, len(results)-failed)), failed)
	for _, v := range voices {
		fmt.Printf("    %-4s %d/%d\n", v, byVoice[v][0], byVoice[v][1])
	}
	fmt.Printf("  voice-to-voice latency (caller speech end -> first RTP of the reply), %d turns: median %.0f ms, p95 %.0f ms, max %.0f ms\n",
		len(lat), pct(0.5), pct(0.95), pct(1))
	fmt.Printf("    medians: speech end -> recogniser final %.0f ms (end-of-turn silence included), -> reply chosen %.0f ms, -> first RTP %.0f ms\n",
		med(parts[0]), med(parts[1]), med(parts[2]))
}
