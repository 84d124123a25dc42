package callflow

import (
	"context"
	"strings"
	"time"

	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/quality"
)

// listen feeds every 20 ms frame of the caller's voice to the emotion estimator, the recogniser and the barge-in
// detector. It never blocks the media reader: it has its own bounded queue, and everything it calls is quick.
func (cs *session) listen(ctx context.Context) {
	defer cs.wg.Done()
	frames := cs.m.Subscribe("caller")
	defer cs.m.Unsubscribe(frames)
	var sent media.Frame
	for {
		select {
		case <-ctx.Done():
			return
		case f, ok := <-frames:
			if !ok {
				return
			}
			cs.mu.Lock()
			for _, speech := range cs.voice.Write(f[:]) {
				if speech {
					cs.lastVoice = time.Now()
				}
				if cs.agent != nil {
					cs.agent.callerHop(speech)
				}
			}
			var stop context.CancelFunc
			if p := cs.prompt; p != nil {
				p.src.LastFrame(&sent)
				if p.bargeable {
					stop = p.cancel
				}
			} else {
				sent = media.Frame{}
			}
			bargedIn := cs.bargeIn.Frame(f[:], sent[:])
			// While the caller keys what may be a card number the recording is silenced.
			cs.m.SetRecordMuted(cs.cardGuard.Silenced(time.Since(cs.c.AnsweredAt)))
			recog := cs.recog
			if recog != nil && cs.streamStart.IsZero() {
				cs.streamStart = time.Now()
			}
			cs.mu.Unlock()
			if bargedIn && stop != nil {
				cs.log.Info("barge-in: caller spoke over the prompt")
				stop()
			}
			if recog != nil {
				_ = recog.Write(f[:]) // never blocks; a failed stream reports on Results
			}
		}
	}
}

// openRecognition starts the caller's recognition stream; when no recogniser can be had the call goes on
// without one and the conversation degrades (DTMF, agent).
func (cs *session) openRecognition(ctx context.Context) {
	defer close(cs.recogReady)
	rz := cs.f.deps.Recognizer
	if rz == nil || cs.f.set.Call.NoBot {
		return
	}
	st, err := rz.NewStream(ctx, asr.StreamOptions{CallID: cs.c.ID, SampleRate: media.SampleRate, Domain: cs.f.set.ASRDomain})
	if err != nil {
		cs.log.Warn("recognition unavailable for this call", "err", err)
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.finished { // the call ended while the decoder loaded
		_ = st.Close()
		return
	}
	cs.recog, cs.results = st, st.Results()
}

// recognition waits until the recognition stream is open (or known to be unavailable) and returns it.
func (cs *session) recognition(ctx context.Context) (asr.Stream, <-chan asr.Result) {
	select {
	case <-cs.recogReady:
	case <-ctx.Done():
		return nil, nil
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.recog, cs.results
}

// recognitionLost drops the call's recognition stream after it failed (err, or nil when its results ended) and
// returns the conversation's reply to that: the hand-over to a person.
func (cs *session) recognitionLost(err error) dialog.Reply {
	cs.log.Warn("recognition failed mid-call", "err", err)
	cs.mu.Lock()
	cs.results, cs.recog = nil, nil
	cs.mu.Unlock()
	return cs.conv.OnRecognitionUnavailable()
}

// heard records a final recognition result of the caller's speech and returns its text (card numbers masked),
// confidence, and when it was said (seconds from the answer).
func (cs *session) heard(r asr.Result) (text string, conf, at float64) {
	text = quality.MaskCardNumbers(r.Text)
	for _, w := range r.Words {
		conf += w.Conf
	}
	if len(r.Words) > 0 {
		conf /= float64(len(r.Words))
	} else {
		conf = 0.5
	}
	at = cs.since(time.Now())
	if len(r.Words) > 0 {
		at = cs.streamSeconds(r.Words[0].Start)
	}
	cs.mu.Lock()
	cs.voice.Estimator().AddWords(at, text)
	if cs.inspector != nil {
		cs.inspector.CallerWords(at, text)
	}
	cs.mu.Unlock()
	return text, conf, at
}

// transcribeCaller keeps recognising the caller after the bot handed over: the agent's card and the record get
// the words, the estimator their emotion.
func (cs *session) transcribeCaller(ctx context.Context) {
	defer cs.wg.Done()
	_, results := cs.recognition(ctx)
	eachFinal(ctx, results, func(r asr.Result) {
		text, _, at := cs.heard(r)
		cs.addLine("caller", at, text)
	})
}

// eachFinal gives fn every final result with words, until ctx ends or the stream ends or fails (a nil results
// channel waits for ctx).
func eachFinal(ctx context.Context, results <-chan asr.Result, fn func(asr.Result)) {
	for {
		select {
		case <-ctx.Done():
			return
		case r, ok := <-results:
			if !ok || r.Err != nil {
				return
			}
			if r.Final && strings.TrimSpace(r.Text) != "" {
				fn(r)
			}
		}
	}
}

// watchKeys follows the caller's keys while a person has the call: the card-number guard and the emotion
// estimate (a caller hammering 0) still need them.
func (cs *session) watchKeys(ctx context.Context) {
	defer cs.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case d, ok := <-cs.c.Leg.DTMF():
			if !ok {
				return
			}
			cs.onDTMF(d)
		}
	}
}

// streamSeconds turns a recogniser time (seconds from the stream's first frame) into seconds from the answer.
func (cs *session) streamSeconds(t float64) float64 {
	cs.mu.Lock()
	start := cs.streamStart
	cs.mu.Unlock()
	if start.IsZero() {
		return t
	}
	return cs.since(start) + t
}

// speechEndMS is when the caller stopped speaking, from the recogniser's word timings.
func (cs *session) speechEndMS(r asr.Result) int64 {
	if len(r.Words) == 0 {
		return cs.ms(time.Now())
	}
	return int64(cs.streamSeconds(r.Words[len(r.Words)-1].End) * 1000)
}
