package callflow

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/quality"
	"github.com/hotline/hotline/store"
)

const payBillQuestion = "how can i pay my bill"

// answerOf is the knowledge base's answer to the entry id.
func answerOf(t *testing.T, id string) string {
	t.Helper()
	kb, err := dialog.NewKBStore("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := kb.KB().Entry(id)
	if e == nil {
		t.Fatalf("no entry %s in the sample knowledge base", id)
	}
	return e.Answer
}

func TestBotAnswersAQuestionAndTheCallIsResolved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startCall(t, setup{})
		c.waitHeard(c.phrases.Greeting)
		c.say(payBillQuestion)
		answer := answerOf(t, "pay_bill")
		c.waitHeard(answer)
		rec := c.end(true)

		c.heardExactly(c.cfg.Announcement, c.phrases.Greeting, answer)
		if rec.Outcome != store.OutcomeBotResolved || rec.Intent != "pay_bill" || rec.TransferReason != "" {
			t.Errorf("outcome %q intent %q reason %q, want bot_resolved pay_bill and no transfer", rec.Outcome, rec.Intent, rec.TransferReason)
		}
		if len(rec.Turns) != 1 {
			t.Fatalf("%d turns, want 1", len(rec.Turns))
		}
		tr := rec.Turns[0]
		if !(tr.CallerSpeechEndMS > 0 && tr.ASRFinalMS > 0 && tr.ReplyChosenMS >= tr.ASRFinalMS && tr.BotAudioStartMS >= tr.ReplyChosenMS) {
			t.Errorf("turn timings out of order: %+v", tr)
		}
		checkTranscript(t, rec, "bot: "+c.cfg.Announcement, "bot: "+c.phrases.Greeting, "caller: "+payBillQuestion, "bot: "+answer[:20])
		if rec.Emotion == nil || rec.EmotionStart == nil || rec.EmotionEnd == nil {
			t.Errorf("no emotion report in the record: %+v / %+v / %+v", rec.Emotion, rec.EmotionStart, rec.EmotionEnd)
		}
	})
}

// agentAnswers is a queue where alice answers after ringing, talks (her voice reaches the flow as the agent's
// audio) and hangs up; her wrap-up follows.
func agentAnswers(agent string, q *fakeQueue, talk time.Duration) func(context.Context, int, agentbridge.QueuedCall) (agentbridge.Outcome, error) {
	return func(ctx context.Context, n int, qc agentbridge.QueuedCall) (agentbridge.Outcome, error) {
		q.setAgent(agent, qc.ID)
		speech := voice(talk)
		for i := 0; i+media.FrameSamples <= len(speech); i += media.FrameSamples {
			qc.AgentAudio(speech[i : i+media.FrameSamples])
			time.Sleep(20 * time.Millisecond) // one packet per 20 ms, as from the browser
			if ctx.Err() != nil {
				return agentbridge.Outcome{Result: agentbridge.ResultCallerHangup, Agent: agent}, nil
			}
		}
		wrap := make(chan agentbridge.WrapUp, 1)
		wrap <- agentbridge.WrapUp{Disposition: "resolved", Notes: "card 4111 1111 1111 1111 noted"}
		close(wrap)
		return agentbridge.Outcome{Result: agentbridge.ResultCompleted, Agent: agent, WaitMS: 1500, RingMS: 700, TalkMS: 3000, WrapUp: wrap}, nil
	}
}

// agentAnswersLater is agentAnswers("alice") for a queue made after the setup (*q is set once the call started).
func agentAnswersLater(q **fakeQueue, talk time.Duration) func(context.Context, int, agentbridge.QueuedCall) (agentbridge.Outcome, error) {
	return func(ctx context.Context, n int, qc agentbridge.QueuedCall) (agentbridge.Outcome, error) {
		return agentAnswers("alice", *q, talk)(ctx, n, qc)
	}
}

func TestCallerAskingForAPersonIsPutThroughAndTheAgentsWrapUpIsStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var q *fakeQueue
		var c *testCall
		answers := agentAnswersLater(&q, time.Second)
		c = startCall(t, setup{enqueue: func(ctx context.Context, n int, qc agentbridge.QueuedCall) (agentbridge.Outcome, error) {
			go func() { // while she talks, the agent says a phrase quality inspection flags
				for c.recog.stream(qc.ID+"/agent") == nil && ctx.Err() == nil {
					time.Sleep(20 * time.Millisecond)
				}
				if st := c.recog.stream(qc.ID + "/agent"); st != nil {
					st.final("please calm down")
				}
			}()
			return answers(ctx, n, qc)
		}})
		q = c.queue
		c.waitHeard(c.phrases.Greeting)
		c.say("i want to speak to a person")
		rec := c.end(false) // the agent hangs up: the flow ends the caller's leg

		c.heardExactly(c.cfg.Announcement, c.phrases.Greeting, c.phrases.Transfer)
		if len(q.queued) != 1 {
			t.Fatalf("queued %d times, want once", len(q.queued))
		}
		handed := q.queued[0]
		if handed.Report.TransferReason != dialog.ReasonAskedForAgent || handed.Caller != "sip:+15551234@127.0.0.1" || handed.PayloadType != 0 {
			t.Errorf("the queue got reason %q caller %q pt %d", handed.Report.TransferReason, handed.Caller, handed.PayloadType)
		}
		if rec.Outcome != store.OutcomeTransferred || rec.TransferReason != dialog.ReasonAskedForAgent || rec.Agent != "alice" ||
			rec.WaitMS != 1500 || rec.RingMS != 700 {
			t.Errorf("record: outcome %q reason %q agent %q wait %d ring %d", rec.Outcome, rec.TransferReason, rec.Agent, rec.WaitMS, rec.RingMS)
		}
		if rec.QA.TalkShareAgent <= 0 {
			t.Errorf("the agent's voice is not in the quality inspection: %+v", rec.QA)
		}
		// The wrap-up comes after the call: the record is saved again with it, the card number masked.
		c.waitFor("the record saved again with the wrap-up", func() bool {
			c.records.mu.Lock()
			defer c.records.mu.Unlock()
			last := c.records.records[len(c.records.records)-1]
			return last.Disposition == "resolved"
		})
		final := c.records.last(t)
		if strings.Contains(final.Notes, "4111 1111 1111 1111") || final.Outcome != store.OutcomeTransferred || final.EndedAt.IsZero() {
			t.Errorf("wrap-up record: notes %q outcome %q ended %v", final.Notes, final.Outcome, final.EndedAt)
		}
		checkTranscript(t, rec, "bot: "+c.cfg.Announcement, "bot: "+c.phrases.Greeting, "caller: i want to speak", "bot: "+c.phrases.Transfer,
			"agent: please calm down")
		// The agent's words reach the inspector, which alerts supervisors under her name and hints her.
		q.mu.Lock()
		defer q.mu.Unlock()
		flagged := false
		for _, v := range q.supervisors {
			if a, ok := v.(quality.Alert); ok && a.Agent == "alice" && strings.Contains(a.Text, "calm down") {
				flagged = true
			}
		}
		if !flagged || len(q.hints) == 0 {
			t.Errorf("supervisor alerts %+v, hints %+v; want alice's \"calm down\" flagged and a hint", q.supervisors, q.hints)
		}
	})
}

func TestKeyZeroDuringTheAnnouncementGoesStraightToTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startCall(t, setup{})
		c.key('0')
		rec := c.end(false)

		// No greeting: the key is answered at once, the queue overflows, the caller is told and hung up on.
		c.heardExactly(c.cfg.Announcement, c.phrases.Transfer, c.cfg.NoAgents)
		if rec.TransferReason != dialog.ReasonAskedForAgent || rec.Outcome != store.OutcomeAbandoned || !c.leg.hungUp {
			t.Errorf("reason %q outcome %q hung up %v", rec.TransferReason, rec.Outcome, c.leg.hungUp)
		}
		hasZero := false
		for _, tr := range rec.Emotion.Triggers {
			hasZero = hasZero || tr.Kind == "dtmf_zero"
		}
		if !hasZero {
			t.Errorf("no dtmf_zero trigger in the emotion report: %+v", rec.Emotion.Triggers)
		}
	})
}

func TestTwoMisunderstandingsHandTheCallOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startCall(t, setup{})
		c.waitHeard(c.phrases.Greeting)
		c.say("purple elephant trombone")
		c.waitHeard(c.phrases.Rephrase)
		c.say("purple elephant trombone again")
		rec := c.end(false)

		c.heardExactly(c.cfg.Announcement, c.phrases.Greeting, c.phrases.Rephrase, c.phrases.NotUnderstood, c.cfg.NoAgents)
		if rec.TransferReason != dialog.ReasonNotUnderstood || len(rec.Turns) != 2 {
			t.Errorf("reason %q, %d turns; want not_understood after 2 turns", rec.TransferReason, len(rec.Turns))
		}
		checkTranscript(t, rec, "caller: purple elephant trombone", "bot: "+c.phrases.Rephrase, "caller: purple elephant trombone again",
			"bot: "+c.phrases.NotUnderstood, "bot: "+c.cfg.NoAgents)
	})
}

func TestRecognitionUnavailableHandsTheCallOver(t *testing.T) {
	t.Run("no decoder for the call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := startCall(t, setup{recogErr: asr.ErrBusy})
			rec := c.end(false)
			c.heardExactly(c.cfg.Announcement, c.phrases.RecognitionUnavailable, c.cfg.NoAgents)
			if rec.TransferReason != dialog.ReasonRecognitionUnavailable {
				t.Errorf("reason %q, want recognition_unavailable", rec.TransferReason)
			}
		})
	})
	t.Run("the stream fails mid-call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := startCall(t, setup{})
			c.waitHeard(c.phrases.Greeting)
			c.recog.stream(c.id).fail(asr.ErrUnavailable)
			rec := c.end(false)
			c.heardExactly(c.cfg.Announcement, c.phrases.Greeting, c.phrases.RecognitionUnavailable, c.cfg.NoAgents)
			if rec.TransferReason != dialog.ReasonRecognitionUnavailable {
				t.Errorf("reason %q, want recognition_unavailable", rec.TransferReason)
			}
		})
	})
}

func TestCallerHangingUpInTheQueueIsAbandoned(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ringMS     int64
		wantRingMS int64
	}{
		{"while queued", 0, 0},
		{"while ringing", 900, 900},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				queued := make(chan struct{})
				c := startCall(t, setup{enqueue: func(ctx context.Context, n int, q agentbridge.QueuedCall) (agentbridge.Outcome, error) {
					close(queued)
					<-ctx.Done() // the bridge returns when the caller hangs up
					return agentbridge.Outcome{Result: agentbridge.ResultAbandoned, WaitMS: 2000, RingMS: tc.ringMS}, nil
				}})
				c.key('0')
				<-queued
				rec := c.end(true)
				if rec.Outcome != store.OutcomeAbandoned || rec.TransferReason != dialog.ReasonAskedForAgent ||
					rec.WaitMS != 2000 || rec.RingMS != tc.wantRingMS || rec.Agent != "" || c.leg.hungUp {
					t.Errorf("outcome %q reason %q wait %d ring %d agent %q we hung up %v", rec.Outcome, rec.TransferReason,
						rec.WaitMS, rec.RingMS, rec.Agent, c.leg.hungUp)
				}
				c.heardExactly(c.cfg.Announcement, c.phrases.Transfer)
			})
		})
	}
}

func TestAgentLostMidCall(t *testing.T) {
	t.Run("on_agent_lost requeue: the caller keeps the place and a second agent answers", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			since := time.Now().Add(-30 * time.Second)
			var q *fakeQueue
			c := startCall(t, setup{enqueue: func(ctx context.Context, n int, qc agentbridge.QueuedCall) (agentbridge.Outcome, error) {
				if n == 1 {
					return agentbridge.Outcome{Result: agentbridge.ResultAgentLost, Next: agentbridge.NextRequeue, Agent: "alice",
						QueuedSince: since, WaitMS: 1000, RingMS: 500}, nil
				}
				if !qc.QueuedSince.Equal(since) {
					t.Errorf("queued again since %v, want the first place (%v)", qc.QueuedSince, since)
				}
				return agentAnswers("bob", q, 200*time.Millisecond)(ctx, n, qc)
			}})
			q = c.queue
			c.key('0')
			rec := c.end(false)
			if len(q.queued) != 2 || rec.Agent != "bob" || rec.Outcome != store.OutcomeTransferred || rec.WaitMS != 2500 || rec.RingMS != 1200 {
				t.Errorf("queued %d times; agent %q outcome %q wait %d ring %d", len(q.queued), rec.Agent, rec.Outcome, rec.WaitMS, rec.RingMS)
			}
		})
	})
	t.Run("on_agent_lost bot: the bot takes the caller back", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := startCall(t, setup{enqueue: func(ctx context.Context, n int, qc agentbridge.QueuedCall) (agentbridge.Outcome, error) {
				return agentbridge.Outcome{Result: agentbridge.ResultAgentLost, Next: agentbridge.NextBot, Agent: "alice"}, nil
			}})
			c.key('0')
			c.waitHeard(c.cfg.BackToBot)
			c.say(payBillQuestion)
			answer := answerOf(t, "pay_bill")
			c.waitHeard(answer)
			rec := c.end(true)
			c.heardExactly(c.cfg.Announcement, c.phrases.Transfer, c.cfg.BackToBot, answer)
			if rec.Outcome != store.OutcomeTransferred || rec.Agent != "alice" || rec.TransferReason != dialog.ReasonAskedForAgent {
				t.Errorf("outcome %q agent %q reason %q: an agent took the call", rec.Outcome, rec.Agent, rec.TransferReason)
			}
		})
	})
}

func TestOverflowPolicies(t *testing.T) {
	for _, tc := range []struct {
		name        string
		next        string
		reason      string
		refer       string
		referErr    error
		wantSay     func(c *testCall) string
		wantOutcome store.Outcome
		wantRefer   bool
	}{
		{"bot, within opening hours", agentbridge.NextBot, agentbridge.ReasonNoAgents, "", nil,
			func(c *testCall) string { return c.cfg.BackToBot }, store.OutcomeAbandoned, false},
		{"bot, outside opening hours", agentbridge.NextBot, agentbridge.ReasonClosed, "", nil,
			func(c *testCall) string { return c.cfg.BackToBotClosed }, store.OutcomeAbandoned, false},
		{"voicemail, within opening hours", agentbridge.NextVoicemail, agentbridge.ReasonNoAgents, "", nil,
			func(c *testCall) string { return c.cfg.Voicemail.Prompt }, store.OutcomeAbandoned, false},
		{"voicemail, outside opening hours", agentbridge.NextVoicemail, agentbridge.ReasonClosed, "", nil,
			func(c *testCall) string { return c.cfg.Voicemail.Prompt }, store.OutcomeAbandoned, false},
		{"refer, within opening hours", agentbridge.NextRefer, agentbridge.ReasonWaitLimit, "sip:voicemail@pbx.example", nil,
			nil, store.OutcomeTransferred, true},
		{"refer, outside opening hours", agentbridge.NextRefer, agentbridge.ReasonClosed, "sip:voicemail@pbx.example", nil,
			nil, store.OutcomeTransferred, true},
		{"refer refused by the PBX", agentbridge.NextRefer, agentbridge.ReasonNoAgents, "sip:voicemail@pbx.example", errors.New("603 Declined"),
			func(c *testCall) string { return c.cfg.NoAgents }, store.OutcomeAbandoned, true},
		{"hang up", agentbridge.NextNone, agentbridge.ReasonNoAgents, "", nil,
			func(c *testCall) string { return c.cfg.NoAgents }, store.OutcomeAbandoned, false},
		{"hang up, outside opening hours", agentbridge.NextNone, agentbridge.ReasonClosed, "", nil,
			func(c *testCall) string { return c.cfg.NoAgents }, store.OutcomeAbandoned, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := startCall(t, setup{
					call:    func(cfg *Config) { cfg.FallbackRefer = tc.refer },
					enqueue: overflowTo(tc.next, tc.reason),
				})
				c.leg.transferErr = tc.referErr
				c.key('0')
				if tc.wantSay != nil {
					c.waitHeard(tc.wantSay(c))
				}
				if tc.wantRefer {
					c.waitFor("the REFER", func() bool {
						c.leg.mu.Lock()
						defer c.leg.mu.Unlock()
						return len(c.leg.transfers) > 0
					})
				}
				rec := c.end(true)
				want := []string{c.cfg.Announcement, c.phrases.Transfer}
				if tc.wantSay != nil {
					want = append(want, tc.wantSay(c))
				}
				if tc.next != agentbridge.NextVoicemail { // the voicemail's tone and what follows are tested below
					c.heardExactly(want...)
				}
				if rec.Outcome != tc.wantOutcome || rec.TransferReason != dialog.ReasonAskedForAgent {
					t.Errorf("outcome %q reason %q, want %q asked_for_agent", rec.Outcome, rec.TransferReason, tc.wantOutcome)
				}
				if got := len(c.leg.transfers) > 0; got != tc.wantRefer || tc.wantRefer && c.leg.transfers[0] != tc.refer {
					t.Errorf("REFER %v, want %v to %s", c.leg.transfers, tc.wantRefer, tc.refer)
				}
			})
		})
	}
}

func TestCallerSentBackToTheBotTwiceIsToldNobodyIsFreeStill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startCall(t, setup{enqueue: overflowTo(agentbridge.NextBot, agentbridge.ReasonNoAgents)})
		c.key('0')
		c.waitHeard(c.cfg.BackToBot)
		c.key('0')
		c.waitHeard(c.cfg.BackToBotAgain)
		rec := c.end(true)
		c.heardExactly(c.cfg.Announcement, c.phrases.Transfer, c.cfg.BackToBot, c.phrases.Transfer, c.cfg.BackToBotAgain)
		if len(c.queue.queued) != 2 {
			t.Errorf("queued %d times, want 2", len(c.queue.queued))
		}
		checkTranscript(t, rec, "bot: "+c.phrases.Transfer, "bot: "+c.cfg.BackToBot, "bot: "+c.phrases.Transfer, "bot: "+c.cfg.BackToBotAgain)
	})
}

func TestSilentCallerIsPromptedThenHungUpOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startCall(t, setup{dialog: func(d *dialog.Config) { d.TurnTaking.NoInputTimeout = 300 * time.Millisecond }})
		rec := c.end(false)
		want := []string{c.cfg.Announcement, c.phrases.Greeting}
		for range dialog.DefaultConfig().MaxNoInput {
			want = append(want, c.phrases.NoInput)
		}
		c.heardExactly(append(want, c.phrases.Goodbye)...)
		if rec.Outcome != store.OutcomeAbandoned || !c.leg.hungUp {
			t.Errorf("outcome %q, we hung up %v; want abandoned and hung up", rec.Outcome, c.leg.hungUp)
		}
	})
}

func TestCardNumberKeyedDuringTheCallIsKeptOutOfTheRecording(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startCall(t, setup{
			call:    func(cfg *Config) { cfg.Record = true },
			quality: func(q *quality.Config) { q.DTMFHold = 300 * time.Millisecond },
		})
		c.waitHeard(c.phrases.Greeting)
		for _, d := range "4111111111111111" {
			c.key(d)
			time.Sleep(150 * time.Millisecond) // a caller keys about seven digits a second
		}
		c.waitFor("the recording silenced while the caller keys", func() bool {
			c.media.mu.Lock()
			defer c.media.mu.Unlock()
			return len(c.media.muted) >= 2 // silenced, then back after dtmf_hold
		})
		rec := c.end(true)
		if want := filepath.Join("recordings", c.id+".wav"); rec.Recording != want || c.media.recorded != filepath.Join(c.dataDir, want) {
			t.Errorf("recording %q at %q, want %q in the data directory", rec.Recording, c.media.recorded, want)
		}
		if c.media.muted[0] != true || c.media.muted[1] != false {
			t.Errorf("record muting went %v, want [true false]", c.media.muted)
		}
		for _, l := range rec.Transcript {
			if strings.Contains(l.Text, "4111") {
				t.Errorf("card digits in the transcript: %+v", l)
			}
		}
	})
}

func TestVoicemail(t *testing.T) {
	for _, tc := range []struct {
		name       string
		speak      time.Duration
		hash       bool
		maxLength  time.Duration
		minSeconds float64
		maxSeconds float64
	}{
		{"ended by the hash key", 1200 * time.Millisecond, true, time.Minute, 1.0, 4},
		{"ended by silence", 1200 * time.Millisecond, false, time.Minute, 1.5, 5},
		{"ended by the length limit", 4 * time.Second, false, 1500 * time.Millisecond, 1.3, 1.8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := startCall(t, setup{
					call: func(cfg *Config) {
						cfg.Voicemail.EndSilence = 600 * time.Millisecond
						cfg.Voicemail.MaxLength = tc.maxLength
					},
					// The key that reached the queue must not silence the message as a card number would.
					quality: func(q *quality.Config) { q.DTMFHold = 100 * time.Millisecond },
					enqueue: overflowTo(agentbridge.NextVoicemail, agentbridge.ReasonNoAgents),
				})
				c.key('0')
				c.waitHeard(c.cfg.Voicemail.Prompt + " " + toneHeard)
				c.waitFor("the end of the tone", func() bool {
					c.media.mu.Lock()
					defer c.media.mu.Unlock()
					return c.media.playing == nil
				})
				c.media.speak(voice(tc.speak))
				time.Sleep(min(tc.speak, tc.maxLength-300*time.Millisecond))
				c.say("please call me back about my bill")
				if tc.hash {
					time.Sleep(200 * time.Millisecond)
					c.key('#')
				}
				c.waitHeard(c.cfg.Voicemail.Thanks)
				rec := c.end(false)
				if rec.Voicemail == nil {
					t.Fatalf("no voicemail in the record; the caller heard %q", c.media.heardSoFar())
				}
				secs := float64(rec.Voicemail.DurationMS) / 1000
				if secs < tc.minSeconds || secs > tc.maxSeconds {
					t.Errorf("message of %.2f s, want %.1f–%.1f s", secs, tc.minSeconds, tc.maxSeconds)
				}
				pcm, err := media.ReadWAV8k(filepath.Join(c.dataDir, rec.Voicemail.Path))
				if err != nil {
					t.Fatal(err)
				}
				voiced := 0 // 20 ms frames of the caller's voice (RMS over 1000, about -30 dBFS)
				for i := 0; i+media.FrameSamples <= len(pcm); i += media.FrameSamples {
					var sum float64
					for _, v := range pcm[i : i+media.FrameSamples] {
						sum += float64(v) * float64(v)
					}
					if sum/media.FrameSamples > 1000*1000 {
						voiced++
					}
				}
				if voiced < 40 {
					t.Errorf("the message holds %d frames of voice, want the caller's 0.8 s or more", voiced)
				}
				if rec.Outcome != store.OutcomeTransferred || !c.leg.hungUp {
					t.Errorf("outcome %q hung up %v, want transferred and hung up", rec.Outcome, c.leg.hungUp)
				}
				c.heardExactly(c.cfg.Announcement, c.phrases.Transfer, c.cfg.Voicemail.Prompt, toneHeard, c.cfg.Voicemail.Thanks)
				checkTranscript(t, rec, "bot: "+c.cfg.Voicemail.Prompt, "caller: please call me back", "bot: "+c.cfg.Voicemail.Thanks)
			})
		})
	}
	t.Run("no message when the caller says nothing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := startCall(t, setup{
				call:    func(cfg *Config) { cfg.Voicemail.EndSilence = 500 * time.Millisecond },
				enqueue: overflowTo(agentbridge.NextVoicemail, agentbridge.ReasonNoAgents),
			})
			c.key('0')
			c.waitHeard(c.cfg.NoAgents)
			rec := c.end(false)
			if rec.Voicemail != nil {
				t.Errorf("a silent caller left a message: %+v", rec.Voicemail)
			}
			entries, _ := os.ReadDir(filepath.Join(c.dataDir, "voicemail"))
			if len(entries) != 0 {
				t.Errorf("files left in voicemail/: %v", entries)
			}
		})
	})
}
