package callflow

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/quality"
	"github.com/hotline/hotline/store"
)

// Run is the life of one answered call, top to bottom: the observers on the caller's voice, the announcement,
// the bot's conversation, the hand-off to a person and what follows when nobody can take the call. ctx ends when
// the call does; every goroutine started for the call stops before Run returns. The record is written by End.
func (f *Flow) Run(ctx context.Context, c Call) {
	cs, err := f.newSession(c)
	if err != nil {
		c.Log.Error("call not handled", "err", err)
		return
	}
	defer cs.finish()

	if f.set.Call.Record {
		cs.startRecording()
	}
	// Opening the recogniser may wait for a decoder to load (seconds, in C, not interruptible): neither the
	// announcement nor the end of the call waits for it, so it belongs to the flow's background work.
	f.background(func() { cs.openRecognition(ctx) })
	cs.wg.Add(1)
	go cs.listen(ctx)

	cs.addLine("bot", 0, f.set.Call.Announcement)
	if err := cs.say(ctx, f.set.Call.Announcement); err != nil {
		return
	}
	reason := dialog.ReasonNoBot
	if !f.set.Call.NoBot {
		reason = cs.converse(ctx, cs.opening(ctx))
	}
	for back := 0; reason != "" && ctx.Err() == nil; back++ {
		// When no agent takes the call the overflow policy applies; it may send the caller back to the bot,
		// who may hand over again (the second time the caller is told honestly that nobody is free still).
		next, why, ended := cs.handOff(ctx, reason)
		if ended || !cs.overflow(ctx, next) {
			return
		}
		say := f.set.Call.BackToBot
		switch {
		case why == agentbridge.ReasonClosed && f.set.Call.BackToBotClosed != "":
			say = f.set.Call.BackToBotClosed
		case back > 0 && f.set.Call.BackToBotAgain != "":
			say = f.set.Call.BackToBotAgain
		}
		reason = cs.converse(ctx, cs.conv.Resume(say))
	}
}

// session is one answered call's state, owned by Run's goroutine. Fields shared with the listener goroutine or
// with live-update readers are behind mu.
type session struct {
	f    *Flow
	c    Call
	m    Media
	log  *slog.Logger
	conv *dialog.Conversation // the bot's dialogue and the call's one transcript
	wg   sync.WaitGroup

	recogReady chan struct{} // closed once openRecognition is done (recog may still be nil)
	recog      asr.Stream    // nil when recognition is unavailable; set before recogReady closes
	results    <-chan asr.Result

	mu          sync.Mutex
	voice       *prosody.Stream // the caller's voice
	bargeIn     *dialog.BargeIn
	prompt      *prompt   // what is being said now (nil when silent)
	streamStart time.Time // when the first caller frame went to the recogniser
	lastVoice   time.Time // the caller's last frame of speech (voice activity)
	rec         *store.Call
	firstState  *store.EmotionPoint
	outcome     store.Outcome
	inspector   *quality.Inspector
	agent       *agentLeg // nil unless an agent's leg is being analysed
	finished    bool      // Run returned; a late recognition stream is closed at once
	cardGuard   *quality.DTMFGuard
}

func (f *Flow) newSession(c Call) (*session, error) {
	voice, err := prosody.NewStream(f.set.Prosody)
	if err != nil {
		return nil, fmt.Errorf("voice analysis: %w", err)
	}
	caller := recordCaller(c.Caller, c.Private)
	if c.Log == nil {
		c.Log = f.log.With("call_id", c.ID)
	}
	cs := &session{
		f: f, c: c, m: c.Media, log: c.Log,
		voice:   voice,
		bargeIn: dialog.NewBargeIn(f.set.TurnTaking.BargeIn),
		rec: &store.Call{
			ID: c.ID, SIPCallID: c.SIPCallID, Caller: caller, CallerPrivate: c.Private,
			StartedAt: c.StartedAt, AnsweredAt: c.AnsweredAt, SIPStatus: 200,
		},
		cardGuard:  quality.NewDTMFGuard(f.set.Quality.DTMFHold),
		recogReady: make(chan struct{}),
	}
	cs.conv = f.deps.Bot.NewConversation(c.ID, dialog.AnsweredAt(c.AnsweredAt))
	f.mu.Lock()
	f.calls[c.ID] = cs
	f.mu.Unlock()
	return cs, nil
}

// recordCaller is the caller as records and agents see it: "anonymous" when they asked for Privacy: id.
func recordCaller(caller string, private bool) string {
	if private {
		return "anonymous"
	}
	return caller
}

// opening is the bot's first reply: the greeting, or at once the answer to a key pressed or a question asked
// during the announcement, or the apology when there is no recogniser.
func (cs *session) opening(ctx context.Context) dialog.Reply {
	select {
	case d, ok := <-cs.c.Leg.DTMF():
		if ok {
			cs.onDTMF(d)
			return cs.conv.OnDTMF(d.Digit)
		}
	default:
	}
	// The recogniser usually opened during the announcement; if a decoder is still loading, greet anyway
	// rather than leave the caller in silence — converse picks the stream up when it comes.
	wait, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	recog, results := cs.recognition(wait)
	if recog == nil && wait.Err() == nil {
		return cs.conv.OnRecognitionUnavailable()
	}
	// A caller who asked during the announcement is answered rather than greeted ("Hello, how can I help?" after
	// the question was asked sounds as if nobody listened). Partial results are skipped; a final not yet come
	// stops the greeting when it does.
	for results != nil {
		select {
		case r, ok := <-results:
			if !ok || r.Err != nil {
				return cs.recognitionLost(r.Err)
			}
			if r.Final && strings.TrimSpace(r.Text) != "" {
				return cs.onFinal(r)
			}
		default:
			results = nil
		}
	}
	return cs.conv.Greeting()
}

// converse runs the bot, starting with reply, until it hands the call over (the transfer reason), hangs up, or
// the call ends ("" in both cases). While the bot speaks it keeps listening: the caller's words or a key stop the
// prompt and are answered at once.
func (cs *session) converse(ctx context.Context, reply dialog.Reply) string {
	noInput := cs.f.set.TurnTaking.NoInputTimeout
	for {
		turn := len(cs.rec.Turns) - 1 // the turn this reply answers (-1 for the greeting)
		spoken := make(chan error, 1)
		bargeable := !reply.Transfer && !reply.Hangup
		p := cs.startPrompt(ctx, bargeable)
		go func(r dialog.Reply) {
			stopped, err := cs.play(ctx, p, r.Say, func(at time.Time) { cs.botAudioStarted(turn, at) })
			if stopped && err == nil {
				cs.log.Info("prompt stopped: the caller spoke or pressed a key", "act", r.Act)
			}
			spoken <- err
		}(reply)
		cs.recordReply(reply)
		cs.log.Info("bot turn", "act", reply.Act, "intent", reply.Intent, "confidence", reply.Confidence,
			"transfer", reply.Transfer, "reason", reply.Reason)

		if reply.Transfer || reply.Hangup {
			if err := <-spoken; err != nil {
				return ""
			}
			if reply.Hangup {
				// The bot says goodbye after the caller's goodbye or after repeated silence: resolved only if it
				// answered something (a caller who never spoke is not a question the bot resolved).
				outcome := store.OutcomeAbandoned
				if cs.conv.AnsweredQuestions() > 0 {
					outcome = store.OutcomeBotResolved
				}
				cs.setOutcome(outcome)
				_ = cs.c.Leg.Hangup(ctx)
				return ""
			}
			return reply.Reason
		}

		var noInputC <-chan time.Time
		var timer *time.Timer
		cs.mu.Lock()
		results := cs.results
		cs.mu.Unlock()
		ready := cs.recogReady
		if results != nil {
			ready = nil
		}
	wait:
		for {
			select {
			case <-ready: // the recogniser came (or failed) after the greeting started
				ready = nil
				if _, results = cs.recognition(ctx); results == nil {
					reply = cs.conv.OnRecognitionUnavailable()
					break wait
				}
			case <-ctx.Done():
				if spoken != nil {
					cs.stopSpeech()
					<-spoken
				}
				return ""
			case err := <-spoken:
				if err != nil {
					return ""
				}
				spoken = nil
				timer = time.NewTimer(noInput)
				noInputC = timer.C
			case <-noInputC:
				// The silence no_input_timeout measures runs from the caller's last sound as well as from the
				// end of the prompt: no "Are you still there?" in the middle of a long question.
				// A caller who has put us on hold (looking for a bill, say) is not there to answer: wait for
				// the resume rather than prompt into the hold and hang up on them.
				if cs.m.Direction() != media.SendRecv {
					timer.Reset(noInput)
					continue
				}
				cs.mu.Lock()
				quiet := time.Since(cs.lastVoice)
				cs.mu.Unlock()
				if quiet < noInput {
					timer.Reset(noInput - quiet)
					continue
				}
				reply = cs.conv.OnNoInput()
				break wait
			case d, ok := <-cs.c.Leg.DTMF():
				if !ok {
					return ""
				}
				cs.onDTMF(d)
				reply = cs.conv.OnDTMF(d.Digit)
				break wait
			case r, ok := <-results:
				if !ok || r.Err != nil {
					reply = cs.recognitionLost(r.Err)
					break wait
				}
				if !r.Final || strings.TrimSpace(r.Text) == "" {
					continue
				}
				reply = cs.onFinal(r)
				break wait
			}
		}
		if timer != nil {
			timer.Stop()
		}
		if spoken != nil { // the caller cut the prompt short
			cs.stopSpeech()
			if err := <-spoken; err != nil {
				return ""
			}
		}
	}
}

// startRecording records the whole call as stereo WAV. The record keeps the file's path relative to the data
// directory (as the retention job reads it), so records stay right when the directory moves.
func (cs *session) startRecording() {
	rel := filepath.Join("recordings", cs.c.ID+".wav")
	path, err := cs.f.dataFile(rel)
	if err != nil {
		cs.log.Error("recording not started", "err", err)
		return
	}
	if err := cs.m.Record(path); err != nil {
		cs.log.Error("recording not started", "path", path, "err", err)
		return
	}
	cs.mu.Lock()
	cs.rec.Recording = rel
	cs.mu.Unlock()
}

// since is seconds from the answer of the call, the time base of transcripts and reports.
func (cs *session) since(t time.Time) float64 { return t.Sub(cs.c.AnsweredAt).Seconds() }

// ms is milliseconds from the 200 OK, the time base of turn latencies.
func (cs *session) ms(t time.Time) int64 { return t.Sub(cs.c.AnsweredAt).Milliseconds() }

// onFinal gives the caller's turn (a final recognition result with words) to the conversation and records the
// turn's timings; it returns the bot's reply.
func (cs *session) onFinal(r asr.Result) dialog.Reply {
	t := store.Turn{ASRFinalMS: cs.ms(time.Now()), CallerSpeechEndMS: cs.speechEndMS(r)}
	text, conf, _ := cs.heard(r)
	reply := cs.conv.OnUtterance(text, conf, cs.voiceReport())
	t.ReplyChosenMS = cs.ms(time.Now())
	cs.mu.Lock()
	cs.rec.Turns = append(cs.rec.Turns, t)
	cs.mu.Unlock()
	return reply
}

// botAudioStarted notes when the first packet of the reply to turn went out (turn -1: not a reply).
func (cs *session) botAudioStarted(turn int, at time.Time) {
	if turn < 0 {
		return
	}
	cs.mu.Lock()
	if turn < len(cs.rec.Turns) && cs.rec.Turns[turn].BotAudioStartMS == 0 {
		cs.rec.Turns[turn].BotAudioStartMS = cs.ms(at)
	}
	cs.mu.Unlock()
}

func (cs *session) onDTMF(d media.DTMF) {
	at := cs.since(time.Now())
	cs.mu.Lock()
	cs.voice.Estimator().AddDTMF(at, d.Digit)
	cs.cardGuard.Digit(time.Since(cs.c.AnsweredAt), d.Digit)
	cs.mu.Unlock()
}

func (cs *session) recordReply(r dialog.Reply) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if r.Intent != "" {
		cs.rec.Intent = r.Intent
	}
	if cs.firstState == nil {
		st, lvl := cs.voice.Estimator().State()
		cs.firstState = &store.EmotionPoint{State: st, Level: lvl}
	}
}

// voiceReport is the caller's emotion estimate now.
func (cs *session) voiceReport() prosody.Report {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	r := cs.voice.Snapshot()
	r.CallID, r.Caller, r.StartedAt = cs.c.ID, cs.rec.Caller, cs.c.AnsweredAt
	return r
}

// report is the whole emotion report: the voice and the dialogue's part.
func (cs *session) report() prosody.Report { return cs.conv.Report(cs.voiceReport()) }

func (cs *session) setOutcome(o store.Outcome) {
	cs.mu.Lock()
	if cs.outcome == "" || o == store.OutcomeTransferred {
		cs.outcome = o
	}
	cs.mu.Unlock()
}

// addLine keeps a line said outside the bot's turns in the call's transcript and shows it on the agent's page.
func (cs *session) addLine(who string, at float64, text string) {
	if strings.TrimSpace(text) == "" {
		return
	}
	line := prosody.TranscriptLine{Who: who, At: at, Text: text}
	cs.conv.AddLine(line)
	if q := cs.f.deps.Queue; q != nil {
		q.AddTranscript(cs.c.ID, line)
	}
}

// finish runs when Run returns: recognition closed, observers stopped. The record is completed by End with the
// signalling's final account.
func (cs *session) finish() {
	cs.mu.Lock()
	recog, results := cs.recog, cs.results
	cs.finished = true
	cs.mu.Unlock()
	if recog != nil && results != nil {
		// Close flushes the last utterance, whose final result waits for a reader: nobody else reads now.
		go func() {
			for range results {
			}
		}()
		_ = recog.Close()
	}
	cs.wg.Wait()
}
