package callflow

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/store"
)

// voicemail takes a message when no agent can take the call (agents.overflow: voicemail): the prompt, a tone, then
// the caller's voice into DATA/voicemail/ID.wav until they press '#', hang up, fall silent for
// call.voicemail.end_silence after speaking, or reach call.voicemail.max_length. The recogniser keeps listening,
// so the message's words are in the transcript for whoever calls back. A message with no speech in it is not
// kept. Like a REFER to a PBX's voicemail, a message left counts as a transfer.
func (cs *session) voicemail(ctx context.Context) {
	vc := cs.f.set.Call.Voicemail
	if err := cs.tell(ctx, vc.Prompt); err != nil {
		return
	}
	if err := cs.m.Play(ctx, media.NewPCMSource(voicemailTone())); err != nil {
		return
	}
	rel := filepath.Join("voicemail", cs.c.ID+".wav")
	path, err := cs.f.dataFile(rel)
	var w *media.WAVWriter
	if err == nil {
		w, err = media.CreateWAV(path, media.SampleRate, 1)
	}
	if err != nil {
		cs.log.Error("voicemail not recorded", "err", err)
		cs.goodbye(ctx, cs.f.set.Call.NoAgents)
		return
	}

	start := time.Now()
	msg, err := cs.recordMessage(ctx, w, start)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	cs.mu.Lock()
	msg.spoke = msg.spoke || cs.lastVoice.After(start) // a caller who hangs up right after speaking
	cs.mu.Unlock()
	if !msg.spoke {
		cs.log.Info("voicemail: the caller left no message", "ended_by", msg.endedBy)
		_ = os.Remove(path)
		cs.goodbye(ctx, cs.f.set.Call.NoAgents)
		return
	}
	// A disk that fails mid-message leaves what was written: part of a message beats none.
	durationMS := msg.samples * 1000 / media.SampleRate
	cs.mu.Lock()
	cs.rec.Voicemail = &store.Voicemail{Path: rel, At: cs.since(start), DurationMS: durationMS}
	cs.mu.Unlock()
	cs.setOutcome(store.OutcomeTransferred)
	if err != nil {
		cs.log.Error("voicemail cut short: writing it failed", "path", path, "err", err)
		cs.goodbye(ctx, cs.f.set.Call.NoAgents)
		return
	}
	cs.log.Info("voicemail recorded", "path", path, "duration_ms", durationMS, "ended_by", msg.endedBy)
	cs.goodbye(ctx, vc.Thanks)
}

// message is how a voicemail recording went.
type message struct {
	samples int64  // written to the file
	spoke   bool   // the caller's voice was heard after the tone
	endedBy string // hash, silence, no_speech, max_length, hangup
}

// recordMessage writes the caller's voice to w until the message ends (see voicemail). Frames come from the
// session's bounded subscription, so a slow disk loses audio here rather than holding up the media reader.
func (cs *session) recordMessage(ctx context.Context, w *media.WAVWriter, start time.Time) (message, error) {
	vc := cs.f.set.Call.Voicemail
	endSilence := vc.EndSilence
	frames := cs.m.Subscribe("voicemail")
	defer cs.m.Unsubscribe(frames)
	// The message's words, for the transcript.
	txCtx, stopTranscript := context.WithCancel(ctx)
	defer stopTranscript()
	cs.wg.Add(1)
	go cs.transcribeCaller(txCtx)

	limit := time.NewTimer(vc.MaxLength)
	defer limit.Stop()
	check := time.NewTicker(100 * time.Millisecond)
	defer check.Stop()
	var msg message
	var silent media.Frame
	for {
		select {
		case <-ctx.Done():
			msg.endedBy = "hangup"
			return msg, nil
		case <-limit.C:
			msg.endedBy = "max_length"
			return msg, nil
		case d, ok := <-cs.c.Leg.DTMF():
			if !ok {
				msg.endedBy = "hangup"
				return msg, nil
			}
			cs.onDTMF(d)
			if d.Digit == '#' {
				msg.endedBy = "hash"
				return msg, nil
			}
		case f, ok := <-frames:
			if !ok {
				msg.endedBy = "hangup"
				return msg, nil
			}
			cs.mu.Lock()
			// Keys that may be a card number are not kept (as in the call's recording).
			muted := cs.cardGuard.Silenced(time.Since(cs.c.AnsweredAt))
			cs.mu.Unlock()
			if muted {
				f = silent
			}
			if err := w.Write(f[:]); err != nil {
				return msg, err
			}
			msg.samples += int64(len(f))
		case now := <-check.C:
			cs.mu.Lock()
			last := cs.lastVoice
			cs.mu.Unlock()
			if last.After(start) {
				msg.spoke = true
			}
			switch {
			case msg.spoke && now.Sub(last) >= endSilence:
				msg.endedBy = "silence"
				return msg, nil
			case !msg.spoke && now.Sub(start) >= 2*endSilence:
				msg.endedBy = "no_speech"
				return msg, nil
			}
		}
	}
}

// voicemailTone is the beep before the message: 1 kHz for 400 ms at -12 dBFS, with 10 ms ramps so it does not
// click, then 100 ms of silence.
func voicemailTone() []int16 {
	const n, ramp = media.SampleRate * 4 / 10, media.SampleRate / 100
	pcm := make([]int16, n+media.SampleRate/10)
	amp := 32767 * math.Pow(10, -12.0/20)
	for i := range n {
		g := 1.0
		if i < ramp {
			g = float64(i) / ramp
		} else if n-i < ramp {
			g = float64(n-i) / ramp
		}
		pcm[i] = int16(amp * g * math.Sin(2*math.Pi*1000*float64(i)/media.SampleRate))
	}
	return pcm
}
