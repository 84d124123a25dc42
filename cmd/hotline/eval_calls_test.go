//go:build eval

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/store"
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
	type result struct {
		q       dialog.TestQuestion
		voice   string
		got     string
		heard   string // the caller's words as the recogniser gave them
		why     string // the transfer reason, when there was one
		latency []float64
		parts   [][3]float64 // speech end → ASR final, → reply chosen, → first RTP of the reply
		err     error
	}
	results := make([]result, len(questions))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var recMu sync.Mutex // calls finish concurrently; records are matched by SIP Call-ID
	for i, q := range questions {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, q dialog.TestQuestion) {
			defer wg.Done()
			defer func() { <-sem }()
			voice := voiceOf[i]
			r := result{q: q, voice: voice}
			wav := wavs[i]
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			events, code := runDial(t, ctx, "-play", wav, "-hangup-after", "24s", "sip:hotline@"+p.sipAddr)
			ans := findEvent(events, "answered")
			if code != 0 || ans == nil {
				r.err = fmt.Errorf("call failed (exit %d)", code)
				results[i] = r
				return
			}
			recMu.Lock()
			rec, err := callBySIPID(t, p, fmt.Sprint(ans["call_id"]))
			recMu.Unlock()
			if err != nil {
				r.err = err
				results[i] = r
				return
			}
			r.got = rec.Intent
			if rec.TransferReason != "" {
				r.why = " transfer: " + rec.TransferReason
			}
			for _, l := range rec.Transcript {
				if l.Who == "caller" {
					r.heard = strings.TrimSpace(r.heard + " " + l.Text)
				}
			}
			if rec.TransferReason == "asked_for_agent" {
				r.got = "asked_for_agent"
			}
			for _, turn := range rec.Turns {
				if turn.BotAudioStartMS > 0 && turn.CallerSpeechEndMS > 0 {
					r.latency = append(r.latency, float64(turn.BotAudioStartMS-turn.CallerSpeechEndMS))
					r.parts = append(r.parts, [3]float64{float64(turn.ASRFinalMS - turn.CallerSpeechEndMS),
						float64(turn.ReplyChosenMS - turn.ASRFinalMS), float64(turn.BotAudioStartMS - turn.ReplyChosenMS)})
				}
			}
			results[i] = r
		}(i, q)
	}
	wg.Wait()

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

// callBySIPID finds the stored record of the call with the given SIP Call-ID, waiting up to 3 s.
func callBySIPID(t *testing.T, p *serveProc, sipCallID string) (store.Call, error) {
	deadline := time.Now().Add(3 * time.Second)
	for {
		var calls []store.Call
		p.getJSON(t, "/api/calls?limit=20", &calls)
		for _, c := range calls {
			if c.SIPCallID == sipCallID && !c.EndedAt.IsZero() {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			return store.Call{}, fmt.Errorf("no record for %s", sipCallID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
