package callflow

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/quality"
)

// Every call test runs in a synctest bubble (see startCall), so the defaults that take minutes on a real line are
// tested as they ship.

func TestVoicemailStopsAtTheDefaultLengthLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := startCall(t, setup{
			quality:  func(q *quality.Config) { q.DTMFHold = 100 * time.Millisecond },
			patience: 5 * time.Minute,
			enqueue:  overflowTo(agentbridge.NextVoicemail, agentbridge.ReasonNoAgents),
		})
		if c.cfg.Voicemail.MaxLength != 2*time.Minute {
			t.Fatalf("default max_length %v, this test is about 2m", c.cfg.Voicemail.MaxLength)
		}
		c.key('0')
		c.waitHeard(c.cfg.Voicemail.Prompt + " " + toneHeard)
		c.media.speak(voice(3 * time.Minute)) // a caller who goes on and on
		c.waitHeard(c.cfg.Voicemail.Thanks)
		rec := c.end(false)
		if rec.Voicemail == nil {
			t.Fatal("no voicemail in the record")
		}
		if d := time.Duration(rec.Voicemail.DurationMS) * time.Millisecond; d < 119*time.Second || d > 121*time.Second {
			t.Errorf("message of %v, want the 2 m limit", d)
		}
		t.Logf("a %v message, %v on the call's clock", time.Duration(rec.Voicemail.DurationMS)*time.Millisecond, time.Since(start).Round(time.Second))
	})
}

func TestSilentCallerIsHungUpOnAfterTheDefaultNoInputTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := startCall(t, setup{patience: time.Minute, dialog: func(d *dialog.Config) { d.TurnTaking = dialog.DefaultConfig().TurnTaking }})
		rec := c.end(false)
		if !c.leg.hungUp || rec.Outcome != "abandoned" {
			t.Errorf("hung up %v, outcome %q", c.leg.hungUp, rec.Outcome)
		}
		// Two no-input prompts 8 s apart, then goodbye: over 16 s on the call's clock.
		if took := time.Since(start); took < 16*time.Second {
			t.Errorf("hung up after %v on the call's clock, want the default timeouts (2 × 8 s) to have run", took)
		}
	})
}
