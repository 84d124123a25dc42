package callflow

import (
	"runtime"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/store"
)

func TestCallerTalkingOverTheAnswerStopsItAndIsAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startCall(t, setup{sentence: 700 * time.Millisecond})
		c.waitHeard(c.phrases.Greeting)
		c.say(payBillQuestion)
		answer := dialog.SplitSentences(answerOf(t, "pay_bill"))
		if len(answer) < 2 {
			t.Fatalf("the pay_bill answer has %d sentence(s); this test needs two", len(answer))
		}
		c.waitHeard(answer[0])
		c.media.speak(voice(time.Second))
		c.waitLineIdle()
		c.say("i want to speak to a person")
		c.waitHeard(c.phrases.Transfer)
		rec := c.end(true)
		heard := c.media.heardSoFar()
		if slices.Contains(heard, answer[len(answer)-1]) {
			t.Errorf("the answer played to its end over the caller: %q", heard)
		}
		if rec.TransferReason != dialog.ReasonAskedForAgent || len(rec.Turns) != 2 {
			t.Errorf("reason %q after %d turns; want asked_for_agent after 2", rec.TransferReason, len(rec.Turns))
		}
	})
}

func TestCallerOnHoldIsNotPromptedUntilTheResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startCall(t, setup{dialog: func(d *dialog.Config) { d.TurnTaking.NoInputTimeout = 300 * time.Millisecond }})
		c.media.mu.Lock()
		c.media.direction = media.RecvOnly // the caller put us on hold during the announcement
		c.media.mu.Unlock()
		c.waitHeard(c.phrases.Greeting)
		time.Sleep(1500 * time.Millisecond) // five no-input timeouts
		if slices.Contains(c.media.heardSoFar(), dialog.SplitSentences(c.phrases.NoInput)[0]) {
			t.Fatalf("prompted a caller on hold: %q", c.media.heardSoFar())
		}
		c.media.mu.Lock()
		c.media.direction = media.SendRecv
		c.media.mu.Unlock()
		c.waitHeard(c.phrases.NoInput)
		rec := c.end(true)
		if rec.Outcome != store.OutcomeAbandoned || c.leg.hungUp {
			t.Errorf("outcome %q, we hung up %v", rec.Outcome, c.leg.hungUp)
		}
	})
}

func TestLongQuestionIsNotInterruptedByTheNoInputPrompt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startCall(t, setup{dialog: func(d *dialog.Config) { d.TurnTaking.NoInputTimeout = 500 * time.Millisecond }})
		c.waitHeard(c.phrases.Greeting)
		c.media.speak(voice(1500 * time.Millisecond)) // three timeouts' worth of speech
		c.waitLineIdle()
		c.say(payBillQuestion)
		c.waitHeard(answerOf(t, "pay_bill"))
		c.end(true)
		if slices.Contains(c.media.heardSoFar(), dialog.SplitSentences(c.phrases.NoInput)[0]) {
			t.Errorf("asked 'are you still there' while the caller spoke: %q", c.media.heardSoFar())
		}
	})
}

func TestAFinishedCallLeavesNoGoroutineBehind(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 3 {
		var q *fakeQueue
		c := startCall(t, setup{enqueue: agentAnswersLater(&q, 300*time.Millisecond)})
		q = c.queue
		c.waitHeard(c.phrases.Greeting)
		c.say("i want to speak to a person")
		c.end(false)
		c.close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after 3 calls, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestQuestionAskedDuringTheAnnouncementIsAnsweredRightAfterIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := startCall(t, setup{sentence: 500 * time.Millisecond})
		c.waitHeard(dialog.SplitSentences(c.cfg.Announcement)[0])
		c.say(payBillQuestion)
		answer := answerOf(t, "pay_bill")
		c.waitHeard(answer)
		rec := c.end(true)
		// Answered, not greeted: "Hello, how can I help?" after the question sounds as if nobody listened.
		c.heardExactly(c.cfg.Announcement, answer)
		if len(rec.Turns) != 1 || rec.Turns[0].BotAudioStartMS == 0 {
			t.Errorf("turns %+v, want one answered turn", rec.Turns)
		}
	})
}
