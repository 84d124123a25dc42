package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/store"
)

// questionResult is what one call that asked one spoken question left in its record.
type questionResult struct {
	q       dialog.TestQuestion
	voice   string
	got     string // the record's intent (asked_for_agent when the caller asked for a person)
	heard   string // the caller's words as the recogniser gave them
	why     string // the transfer reason, when there was one
	answer  string // what the bot said first after the caller spoke
	latency []float64
	parts   [][3]float64 // speech end → ASR final, → reply chosen, → first RTP of the reply
	err     error
}

// askQuestions calls p once per question, four calls at a time, each playing wavs[i] with `hotline dial` and
// hanging up after hangupAfter, and reads back each call's record.
func askQuestions(t *testing.T, p *serveProc, questions []dialog.TestQuestion, voiceOf, wavs []string, hangupAfter string) []questionResult {
	results := make([]questionResult, len(questions))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var recMu sync.Mutex // calls finish concurrently; records are matched by SIP Call-ID
	for i, q := range questions {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, q dialog.TestQuestion) {
			defer wg.Done()
			defer func() { <-sem }()
			r := questionResult{q: q, voice: voiceOf[i]}
			defer func() { results[i] = r }()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			events, code := runDial(t, ctx, "-play", wavs[i], "-hangup-after", hangupAfter, "sip:hotline@"+p.sipAddr)
			ans := findEvent(events, "answered")
			if code != 0 || ans == nil {
				r.err = fmt.Errorf("call failed (exit %d)", code)
				return
			}
			recMu.Lock()
			rec, err := callBySIPID(t, p, fmt.Sprint(ans["call_id"]))
			recMu.Unlock()
			if err != nil {
				r.err = err
				return
			}
			r.got = rec.Intent
			if rec.TransferReason != "" {
				r.why = " transfer: " + rec.TransferReason
			}
			if rec.TransferReason == "asked_for_agent" {
				r.got = "asked_for_agent"
			}
			for _, l := range rec.Transcript {
				switch {
				case l.Who == "caller":
					r.heard = strings.TrimSpace(r.heard + " " + l.Text)
				case r.heard != "" && r.answer == "":
					r.answer = l.Text
				}
			}
			for _, turn := range rec.Turns {
				if turn.BotAudioStartMS > 0 && turn.CallerSpeechEndMS > 0 {
					r.latency = append(r.latency, float64(turn.BotAudioStartMS-turn.CallerSpeechEndMS))
					r.parts = append(r.parts, [3]float64{float64(turn.ASRFinalMS - turn.CallerSpeechEndMS),
						float64(turn.ReplyChosenMS - turn.ASRFinalMS), float64(turn.BotAudioStartMS - turn.ReplyChosenMS)})
				}
			}
		}(i, q)
	}
	wg.Wait()
	return results
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

// Spoken questions on real calls: every 75th development question (eight, on eight subjects), in the voice the
// recogniser's evaluation gives it (flite kal/awb/rms/slt by position) through the G.711 line, four calls at a
// time. The record holds the right intent, and the bot said that entry's answer or asked "Is this about …?" about
// it. The bound is generous (these eight score 5 on calls here, 6 offline; about 80 % is expected on development
// questions, and `make eval` prints the held-out figure); a broken recogniser, matcher or call path gets almost none.
func TestSpokenQuestionsGetTheRightIntentAndAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end calls")
	}
	all, err := dialog.ReadQuestions(filepath.Join(testenv.ModuleRoot(t), "testdata", "questions-dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	kb, _, err := dialog.ParseKB("embedded", dialog.DefaultKBData())
	if err != nil {
		t.Fatal(err)
	}
	voices := []string{"kal", "awb", "rms", "slt"}
	var questions []dialog.TestQuestion
	var voiceOf, wavs []string
	for i := 0; i < len(all) && len(questions) < 8; i += 75 {
		questions = append(questions, all[i])
		voiceOf = append(voiceOf, voices[i%len(voices)])
		wavs = append(wavs, phoneSpeech(t, voices[i%len(voices)], all[i].Text, 8))
	}
	p := startServe(t, "")
	ok := 0
	for _, r := range askQuestions(t, p, questions, voiceOf, wavs, "16s") {
		if r.err != nil {
			t.Errorf("%q (%s): %v", r.q.Text, r.voice, r.err)
			continue
		}
		e := kb.Entry(r.q.Intent)
		said := strings.Join(strings.Fields(r.answer), " ")
		answered := e != nil && strings.HasPrefix(strings.Join(strings.Fields(e.Answer), " "), firstSentence(said))
		confirmed := e != nil && e.Topic != "" && strings.Contains(said, e.Topic+"?")
		if r.got == r.q.Intent && (answered || confirmed) {
			ok++
			continue
		}
		t.Logf("miss (%s): %q heard %q: intent %q%s, bot said %q", r.voice, r.q.Text, r.heard, r.got, r.why, r.answer)
	}
	t.Logf("%d of %d spoken questions got the right intent and answer", ok, len(questions))
	if ok < 3 {
		t.Fatalf("only %d of %d spoken questions got the right intent and answer", ok, len(questions))
	}
}

// firstSentence is s up to and including its first full stop (the bot may prefix or follow an answer).
func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
