package callflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/quality"
	"github.com/hotline/hotline/sip"
	"github.com/hotline/hotline/store"
)

// setup changes the defaults of one test call.
type setup struct {
	call     func(*Config)
	dialog   func(*dialog.Config)
	quality  func(*quality.Config)
	noQueue  bool
	recogErr error
	// enqueue scripts the agent queue; n counts the hand-offs of the call from 1. Default: nobody answers,
	// the call overflows with nothing configured (goodbye).
	enqueue func(ctx context.Context, n int, q agentbridge.QueuedCall) (agentbridge.Outcome, error)
	// sentence is how long each synthesised sentence plays (60 ms when 0).
	sentence time.Duration
	// patience is how long the test waits for what it expects (8 s when 0); a call in virtual time may
	// take minutes of its clock.
	patience time.Duration
	// pace is the media clock's frame period (20 ms on a real line); shorter runs audio faster than real time.
	pace time.Duration
}

// testCall is one call driven in-process through a Flow with fakes of every dependency but the bot's dialogue,
// which is the real dialog.Bot over the embedded sample knowledge base (its synthesiser is the fake).
//
// Tests start calls inside synctest.Test: every timer, ticker and sleep of the flow, its fakes and the test is on
// the bubble's clock, which jumps ahead whenever every goroutine in it waits. A 20 ms media clock, an 8 s no-input
// timeout or a 2 minute voicemail take no real time, and a busy machine cannot make a timeout fire early.
type testCall struct {
	t        *testing.T
	id       string
	flow     *Flow
	cfg      Config
	phrases  dialog.Phrases
	empathy  map[string]dialog.StrategyPhrases
	synth    *fakeSynth
	leg      *fakeLeg
	media    *fakeMedia
	recog    *fakeRecognizer
	queue    *fakeQueue
	records  *fakeRecords
	dataDir  string
	hangUp   context.CancelFunc // the caller hangs up
	done     chan struct{}      // Run returned
	close    func()             // ends the call if need be and stops everything the test started (idempotent)
	patience time.Duration
}

func startCall(t *testing.T, s setup) *testCall {
	t.Helper()
	cfg := DefaultConfig()
	if s.call != nil {
		s.call(&cfg)
	}
	dcfg := dialog.DefaultConfig()
	dcfg.TurnTaking.NoInputTimeout = 20 * time.Second // out of the way unless a test is about silence
	if s.dialog != nil {
		s.dialog(&dcfg)
	}
	qcfg := quality.DefaultConfig()
	if s.quality != nil {
		s.quality(&qcfg)
	}
	kb, err := dialog.NewKBStore("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	synth := &fakeSynth{sentence: s.sentence}
	bot := dialog.New(dcfg, kb, synth, nil)
	pace := s.pace
	if pace == 0 {
		pace = 20 * time.Millisecond
	}
	c := &testCall{
		t: t, id: fmt.Sprintf("call-%d", time.Now().UnixNano()), cfg: cfg, phrases: dcfg.Phrases, empathy: dcfg.Empathy,
		synth: synth, media: &fakeMedia{synth: synth, framePeriod: pace, direction: media.SendRecv},
		recog: newFakeRecognizer(), records: &fakeRecords{saved: make(chan struct{}, 1)},
		dataDir: t.TempDir(), done: make(chan struct{}), patience: s.patience,
	}
	if c.patience == 0 {
		c.patience = 8 * time.Second
	}
	c.recog.err = s.recogErr
	deps := Deps{
		Settings: Settings{Call: cfg, TurnTaking: dcfg.TurnTaking, Prosody: prosody.DefaultConfig(), Quality: qcfg, DataDir: c.dataDir},
		Bot:      bot, Recognizer: c.recog, Records: c.records, Metrics: nil,
	}
	if !s.noQueue {
		c.queue = &fakeQueue{enqueue: s.enqueue}
		if c.queue.enqueue == nil {
			c.queue.enqueue = overflowTo(agentbridge.NextNone, agentbridge.ReasonNoAgents)
		}
		deps.Queue = c.queue
	}
	if c.flow, err = New(deps); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.hangUp = cancel
	c.leg = &fakeLeg{dtmf: make(chan media.DTMF, 32), endCall: cancel}
	lineCtx, stopLine := context.WithCancel(context.Background())
	go c.media.run(lineCtx)
	now := time.Now()
	go func() {
		defer close(c.done)
		c.flow.Run(ctx, Call{ID: c.id, SIPCallID: c.id + "@test", Caller: "sip:+15551234@127.0.0.1",
			StartedAt: now.Add(-time.Second), AnsweredAt: now, Leg: c.leg, Media: c.media})
	}()
	c.close = sync.OnceFunc(func() {
		cancel()
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return 10 s after the call ended")
		}
		stopLine()
		c.flow.Close()
	})
	t.Cleanup(c.close)
	return c
}

// overflowTo is a queue where no agent is free: the call overflows with the policy's next step and reason.
func overflowTo(next, reason string) func(context.Context, int, agentbridge.QueuedCall) (agentbridge.Outcome, error) {
	return func(ctx context.Context, n int, q agentbridge.QueuedCall) (agentbridge.Outcome, error) {
		return agentbridge.Outcome{Result: agentbridge.ResultOverflow, Next: next, Reason: reason, WaitMS: 40}, nil
	}
}

// waitFor polls cond until it holds, failing the test after a few seconds.
func (c *testCall) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(c.patience)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s; the caller heard %q", what, c.media.heardSoFar())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitHeard waits until the caller has heard the whole of text (every sentence of it).
func (c *testCall) waitHeard(text string) {
	c.t.Helper()
	want := dialog.SplitSentences(text)
	c.waitFor(fmt.Sprintf("the caller to hear %q", text), func() bool {
		return containsRun(c.media.heardSoFar(), want)
	})
}

// say is the caller saying text: the recogniser's final result for it.
func (c *testCall) say(text string) {
	c.t.Helper()
	c.waitFor("the caller's recognition stream", func() bool { return c.recog.stream(c.id) != nil })
	c.recog.stream(c.id).final(text)
}

// key is the caller pressing a key.
func (c *testCall) key(d rune) { c.leg.dtmf <- media.DTMF{Digit: d, Source: "rfc4733", At: time.Now()} }

// end waits for Run to return (hanging up first when hangUp is set, as the caller does) and gives the flow the
// SIP layer's final account; it returns the stored record.
func (c *testCall) end(callerHangsUp bool) store.Call {
	c.t.Helper()
	if callerHangsUp {
		c.hangUp()
	}
	select {
	case <-c.done:
	case <-time.After(c.patience):
		c.t.Fatalf("the call did not end; the caller heard %q", c.media.heardSoFar())
	}
	cause, by := "remote_bye", "remote"
	c.leg.mu.Lock()
	if c.leg.hungUp {
		cause, by = "local_hangup", "local"
	}
	c.leg.mu.Unlock()
	c.flow.End(sip.CallEnd{ID: c.id, SIPCallID: c.id + "@test", Caller: "sip:+15551234@127.0.0.1",
		StartedAt: time.Now().Add(-time.Minute), AnsweredAt: time.Now().Add(-time.Minute), EndedAt: time.Now(),
		SIPStatus: 200, Cause: cause, By: by})
	rec := c.records.last(c.t)
	checkTranscript(c.t, rec) // every call: in time order, each line once
	if rec.ID != c.id || rec.EndedAt.IsZero() || rec.EndCause != cause || rec.Outcome == "" {
		c.t.Errorf("record id %q ended %v cause %q outcome %q", rec.ID, rec.EndedAt, rec.EndCause, rec.Outcome)
	}
	return rec
}

// heardExactly checks that the caller heard these prompts, every sentence, in this order, and nothing else.
func (c *testCall) heardExactly(prompts ...string) {
	c.t.Helper()
	var want []string
	for _, p := range prompts {
		want = append(want, dialog.SplitSentences(p)...)
	}
	if got := c.media.heardSoFar(); !slices.Equal(got, want) {
		c.t.Errorf("the caller heard\n  %q\nwant\n  %q", got, want)
	}
}

// containsRun reports whether want appears in got as consecutive elements.
func containsRun(got, want []string) bool {
	for i := 0; i+len(want) <= len(got); i++ {
		if slices.Equal(got[i:i+len(want)], want) {
			return true
		}
	}
	return len(want) == 0
}

// checkTranscript checks the record's transcript: time-ordered, no line twice, and the given lines (who: text
// prefix) in this order among them.
func checkTranscript(t *testing.T, rec store.Call, want ...string) {
	t.Helper()
	seen := map[string]bool{}
	var lines []string
	for i, l := range rec.Transcript {
		key := fmt.Sprintf("%s|%v|%s", l.Who, l.At, l.Text) // the same line twice, not two lines alike
		if seen[key] {
			t.Errorf("transcript line %d is there twice: %+v", i, l)
		}
		seen[key] = true
		if i > 0 && l.At < rec.Transcript[i-1].At {
			t.Errorf("transcript out of order at line %d: %+v after %+v", i, l, rec.Transcript[i-1])
		}
		lines = append(lines, l.Who+": "+l.Text)
	}
	j := 0
	for _, l := range lines {
		if j < len(want) && strings.HasPrefix(l, want[j]) {
			j++
		}
	}
	if j < len(want) {
		t.Errorf("transcript lacks %q (in order); it is:\n  %s", want[j], strings.Join(lines, "\n  "))
	}
}
