package callflow

import (
	"context"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/store"
)

// TestRisingAngerGetsAnEmpathyTurnThenATransfer plays a real speaker's calm speech, then the same speaker's angry
// speech (EmoDB, through the caller's media), with a question after each: the calm one is answered, the angry one
// gets the empathy line for anger and the hand-off with reason emotion, and the queue's report says angry.
func TestRisingAngerGetsAnEmpathyTurnThenATransfer(t *testing.T) {
	dir := testenv.SharedAudio(t, "emotion")
	for _, speaker := range []string{"03", "10"} {
		t.Run("speaker "+speaker, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calm := readClips(t, dir, speaker, 'N', 4)
				angry := readClips(t, dir, speaker, 'W', 5)
				queued := make(chan agentbridge.QueuedCall, 1)
				c := startCall(t, setup{
					pace: 5 * time.Millisecond, // four times real time: the analysis runs on the media clock
					enqueue: func(ctx context.Context, n int, q agentbridge.QueuedCall) (agentbridge.Outcome, error) {
						queued <- q
						<-ctx.Done()
						return agentbridge.Outcome{Result: agentbridge.ResultAbandoned}, nil
					},
				})
				c.waitHeard(c.phrases.Greeting)
				c.media.speak(calm)
				c.waitLineIdle()
				c.say(payBillQuestion)
				c.waitHeard(answerOf(t, "pay_bill"))
				c.media.speak(angry)
				c.waitLineIdle()
				c.say("my bill is wrong again and nobody fixes it")
				empathy := c.empathy[dialog.StrategyApologiseFirst].Bot
				c.waitHeard(empathy)
				var q agentbridge.QueuedCall
				select {
				case q = <-queued:
				case <-time.After(5 * time.Second):
					t.Fatal("not handed to the queue after the empathy line")
				}
				rec := c.end(true)
				if rec.TransferReason != dialog.ReasonEmotion || q.Report.TransferReason != dialog.ReasonEmotion {
					t.Errorf("transfer reason %q (queue %q), want emotion", rec.TransferReason, q.Report.TransferReason)
				}
				if q.Report.State != prosody.Angry || q.Report.Level < 2 || q.Report.Strategy.ID != dialog.StrategyApologiseFirst {
					t.Errorf("the agent's card says %s %d, strategy %q; want angry ≥ 2, apologise_first", q.Report.State, q.Report.Level, q.Report.Strategy.ID)
				}
				if rec.EmotionStart == nil || rec.EmotionStart.State != prosody.Calm {
					t.Errorf("emotion at the start %+v, want calm", rec.EmotionStart)
				}
				if rec.Outcome != store.OutcomeAbandoned || len(rec.Turns) != 2 {
					t.Errorf("outcome %q with %d turns, want abandoned (hung up in the queue) after 2", rec.Outcome, len(rec.Turns))
				}
				checkTranscript(t, rec, "caller: "+payBillQuestion, "caller: my bill is wrong", "bot: "+empathy)
			})
		})
	}
}

// waitLineIdle waits until the caller's queued audio has been played onto the line.
func (c *testCall) waitLineIdle() {
	c.t.Helper()
	c.waitFor("the caller's audio to be played", func() bool {
		c.media.mu.Lock()
		defer c.media.mu.Unlock()
		return len(c.media.callerPCM) == 0
	})
	time.Sleep(10 * c.media.framePeriod) // the listener's queue drains
}

// readClips reads up to n EmoDB clips of speaker with the emotion label (the file name's sixth character) at
// 8 kHz and joins them.
func readClips(t *testing.T, dir, speaker string, label byte, n int) []int16 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, speaker+"*.wav"))
	var pcm []int16
	for _, f := range files {
		name := filepath.Base(f)
		if len(name) < 6 || name[5] != label {
			continue
		}
		clip, err := media.ReadWAV8k(f)
		if err != nil {
			t.Fatal(err)
		}
		pcm = append(pcm, clip...)
		if n--; n == 0 {
			break
		}
	}
	if len(pcm) == 0 {
		t.Skipf("no clips of speaker %s labelled %c in %s", speaker, label, dir)
	}
	return pcm
}
