package main

import (
	"context"
	"errors"
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
	"github.com/hotline/hotline/sip"
	"github.com/hotline/hotline/store"
)

// handleCall is the life of one answered call, top to bottom: the observers on the caller's voice, the
// announcement, the bot's conversation, the hand-off to a person, and the call record. ctx ends when the call
// does; every goroutine started here stops with it.
func (s *server) handleCall(ctx context.Context, c *sip.Call) {
	cs, err := s.newCallSession(c)
	if err != nil {
		c.Log().Error("call not handled", "err", err)
		return
	}
	defer cs.finish()

	if s.cfg.Call.Record {
		cs.startRecording()
	}
	// Opening the recogniser may wait for a decoder to load (seconds, in C, not interruptible): neither the
	// announcement nor the end of the call waits for it, so it belongs to the server's background work.
	s.bg.Add(1)
	go cs.openRecognition(ctx)
	cs.wg.Add(1)
	go cs.listen(ctx)

	cs.addLine("bot", 0, s.cfg.Call.Announcement)
	if err := cs.say(ctx, s.cfg.Call.Announcement); err != nil {
		return
	}
	reason := dialog.ReasonNoBot
	if !s.cfg.Call.NoBot {
		reason = cs.converse(ctx, cs.opening())
	}
	for back := 0; reason != "" && ctx.Err() == nil; back++ {
		// When no agent takes the call the overflow policy applies; it may send the caller back to the bot,
		// who may hand over again (the second time the caller is told honestly that nobody is free still).
		next, why, ended := cs.handOff(ctx, reason)
		if ended || !cs.overflow(ctx, next) {
			return
		}
		say := s.cfg.Call.BackToBot
		switch {
		case why == agentbridge.ReasonClosed && s.cfg.Call.BackToBotClosed != "":
			say = s.cfg.Call.BackToBotClosed
		case back > 0 && s.cfg.Call.BackToBotAgain != "":
			say = s.cfg.Call.BackToBotAgain
		}
		reason = cs.converse(ctx, cs.conv.Resume(say))
	}
}

// callSession is one answered call's state, owned by handleCall's goroutine. Fields shared with the listener
// goroutine or with live-update readers are behind mu.
type callSession struct {
	s    *server
	c    *sip.Call
	m    *media.Session
	log  *slog.Logger
	conv *dialog.Conversation
	wg   sync.WaitGroup

	recogReady chan struct{} // closed once openRecognition is done (recog may still be nil)
	recog      asr.Stream    // nil when recognition is unavailable; set before recogReady closes
	results    <-chan asr.Result

	mu           sync.Mutex
	voice        *voiceTrack // the caller's voice
	bargeIn      *dialog.BargeIn
	speaking     *speechSource      // what is being said now (nil when silent)
	bargeable    bool               // caller speech may stop what is being said
	stopSpeaking context.CancelFunc // stops the current prompt
	streamStart  time.Time          // when the first caller frame went to the recogniser
	lastVoice    time.Time          // the caller's last frame of speech (voice activity)
	rec          *store.Call
	extraLines   []prosody.TranscriptLine // said outside the bot's conversation: announcement, caller and agent after hand-off
	firstState   *store.EmotionPoint
	outcome      store.Outcome
	inspector    *quality.Inspector
	agent        *agentLeg // nil until an agent takes the call
	finished     bool      // the handler returned; a late recognition stream is closed at once
	cardGuard    *quality.DTMFGuard
}

func (s *server) newCallSession(c *sip.Call) (*callSession, error) {
	voice, err := newVoiceTrack(s.cfg.Prosody)
	if err != nil {
		return nil, fmt.Errorf("voice analysis: %w", err)
	}
	caller := c.Caller()
	if c.Private() {
		caller = "anonymous"
	}
	cs := &callSession{
		s: s, c: c, m: c.Media(), log: c.Log(),
		voice:   voice,
		bargeIn: dialog.NewBargeIn(s.cfg.Dialog.TurnTaking.BargeIn),
		rec: &store.Call{
			ID: c.ID(), SIPCallID: c.SIPCallID(), Caller: caller, CallerPrivate: c.Private(),
			StartedAt: c.StartedAt(), AnsweredAt: c.AnsweredAt(), SIPStatus: 200,
		},
		cardGuard:  quality.NewDTMFGuard(s.cfg.Quality.DTMFHold),
		recogReady: make(chan struct{}),
	}
	cs.conv = s.bot.NewConversation(c.ID(), dialog.AnsweredAt(c.AnsweredAt()))
	s.callsMu.Lock()
	s.calls[c.ID()] = cs
	s.callsMu.Unlock()
	return cs, nil
}

// opening is the bot's first reply: the greeting, or at once the answer to a key pressed or a question asked
// during the announcement, or the apology when there is no recogniser.
func (cs *callSession) opening() dialog.Reply {
	select {
	case d, ok := <-cs.c.DTMF():
		if ok {
			cs.onDTMF(d)
			return cs.conv.OnDTMF(d.Digit)
		}
	default:
	}
	// The recogniser usually opened during the announcement; if a decoder is still loading, greet anyway
	// rather than leave the caller in silence — converse picks the stream up when it comes.
	wait, cancel := context.WithTimeout(cs.c.Context(), 500*time.Millisecond)
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

// since is seconds from the answer of the call, the time base of transcripts and reports.
func (cs *callSession) since(t time.Time) float64 { return t.Sub(cs.c.AnsweredAt()).Seconds() }

// ms is milliseconds from the 200 OK, the time base of turn latencies.
func (cs *callSession) ms(t time.Time) int64 { return t.Sub(cs.c.AnsweredAt()).Milliseconds() }

// startRecording records the whole call as stereo WAV. The record keeps the file's path relative to the data
// directory (as the retention job reads it), so records stay right when the directory moves.
func (cs *callSession) startRecording() {
	rel := filepath.Join("recordings", cs.c.ID()+".wav")
	path, err := cs.s.dataFile(rel)
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

// openRecognition starts the caller's recognition stream; when no recogniser can be had the call goes on
// without one and the conversation degrades (DTMF, agent).
func (cs *callSession) openRecognition(ctx context.Context) {
	defer cs.s.bg.Done()
	defer close(cs.recogReady)
	if cs.s.recognizer == nil || cs.s.cfg.Call.NoBot {
		return
	}
	st, err := cs.s.recognizer.NewStream(ctx, asr.StreamOptions{CallID: cs.c.ID(), SampleRate: media.SampleRate, Domain: cs.s.cfg.ASR.Domain})
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

// recognizer waits until the recognition stream is open (or known to be unavailable) and returns it.
func (cs *callSession) recognition(ctx context.Context) (asr.Stream, <-chan asr.Result) {
	select {
	case <-cs.recogReady:
	case <-ctx.Done():
		return nil, nil
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.recog, cs.results
}

// listen feeds every 20 ms frame of the caller's voice to the emotion estimator, the recogniser and the barge-in
// detector. It never blocks the media reader: it has its own bounded queue, and everything it calls is quick.
func (cs *callSession) listen(ctx context.Context) {
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
			hops := cs.voice.Write(f[:])
			for _, speech := range hops {
				if speech {
					cs.lastVoice = time.Now()
				}
				if cs.agent != nil {
					cs.agent.callerHop(speech)
				}
			}
			speaking, stop := cs.bargeable && cs.speaking != nil, cs.stopSpeaking
			cs.speaking.lastFrame(&sent)
			bargedIn := cs.bargeIn.Frame(f[:], sent[:])
			// While the caller keys what may be a card number the recording is silenced.
			cs.m.SetRecordMuted(cs.cardGuard.Silenced(time.Since(cs.c.AnsweredAt())))
			recog := cs.recog
			if recog != nil && cs.streamStart.IsZero() {
				cs.streamStart = time.Now()
			}
			cs.mu.Unlock()
			if bargedIn && speaking && stop != nil {
				cs.log.Info("barge-in: caller spoke over the prompt")
				stop()
			}
			if recog != nil {
				_ = recog.Write(f[:]) // never blocks; a failed stream reports on Results
			}
		}
	}
}

// say speaks text to the caller and returns when it was played, or when ctx ends.
func (cs *callSession) say(ctx context.Context, text string) error {
	_, err := cs.speak(ctx, text, false, nil)
	return err
}

// speak synthesises and plays text, streaming sentence by sentence; onStart gets the time of the first RTP
// packet. With bargeable, caller speech over it stops it (barge-in); stopSpeech stops it in any case. It reports
// whether it was stopped early.
func (cs *callSession) speak(ctx context.Context, text string, bargeable bool, onStart func(time.Time)) (stopped bool, err error) {
	return cs.play(ctx, cs.startPrompt(ctx, bargeable), text, onStart)
}

// prompt is one thing the bot says, registered as what is being said (so stopSpeech and barge-in can stop it)
// before any of it plays.
type prompt struct {
	ctx    context.Context
	cancel context.CancelFunc
	src    *speechSource
}

// startPrompt registers a new prompt as what is being said. Whoever starts a prompt in another goroutine calls it
// first, so a stopSpeech that comes at once (a caller who spoke during the announcement) still stops it.
func (cs *callSession) startPrompt(ctx context.Context, bargeable bool) *prompt {
	p := &prompt{src: &speechSource{}}
	p.ctx, p.cancel = context.WithCancel(ctx)
	cs.mu.Lock()
	cs.bargeIn.Reset()
	cs.speaking, cs.bargeable, cs.stopSpeaking = p.src, bargeable, p.cancel
	cs.mu.Unlock()
	return p
}

// play says text as prompt p (see speak).
func (cs *callSession) play(ctx context.Context, p *prompt, text string, onStart func(time.Time)) (stopped bool, err error) {
	playCtx, cancel, src := p.ctx, p.cancel, p.src
	defer cancel()
	defer func() {
		cs.mu.Lock()
		cs.speaking, cs.bargeable, cs.stopSpeaking = nil, false, nil
		cs.mu.Unlock()
	}()
	if strings.TrimSpace(text) == "" {
		return false, ctx.Err()
	}

	synthDone := make(chan error, 1)
	go func() {
		err := cs.s.bot.Speak(playCtx, text, src.push)
		src.close()
		synthDone <- err
	}()
	var opts []media.PlayOption
	if onStart != nil {
		opts = append(opts, media.OnPlayStart(onStart))
	}
	playErr := cs.m.Play(playCtx, src, opts...)
	cancel()
	if ctx.Err() != nil {
		// The call is over: a sentence still being synthesised (in C, not interruptible) finishes in the
		// background rather than hold up the end of the call.
		cs.s.bg.Add(1)
		go func() { defer cs.s.bg.Done(); <-synthDone }()
		return false, ctx.Err()
	}
	if err := <-synthDone; err != nil && !errors.Is(err, context.Canceled) {
		cs.log.Error("speech synthesis failed", "err", err)
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if errors.Is(playErr, context.Canceled) {
		return true, nil
	}
	if playErr != nil && !errors.Is(playErr, media.ErrPlaybackReplaced) {
		return false, playErr
	}
	return false, nil
}

// stopSpeech stops whatever the bot is saying now.
func (cs *callSession) stopSpeech() {
	cs.mu.Lock()
	stop := cs.stopSpeaking
	cs.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// converse runs the bot, starting with reply, until it hands the call over (the transfer reason), hangs up, or
// the call ends ("" in both cases). While the bot speaks it keeps listening: the caller's words or a key stop the
// prompt and are answered at once.
func (cs *callSession) converse(ctx context.Context, reply dialog.Reply) string {
	noInput := cs.s.cfg.Dialog.TurnTaking.NoInputTimeout
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
				_ = cs.c.Hangup(ctx)
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
			case d, ok := <-cs.c.DTMF():
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

// recognitionLost drops the call's recognition stream after it failed (err, or nil when its results ended) and
// returns the conversation's reply to that: the hand-over to a person.
func (cs *callSession) recognitionLost(err error) dialog.Reply {
	cs.log.Warn("recognition failed mid-call", "err", err)
	cs.mu.Lock()
	cs.results, cs.recog = nil, nil
	cs.mu.Unlock()
	return cs.conv.OnRecognitionUnavailable()
}

// onFinal gives the caller's turn (a final recognition result with words) to the conversation and records the
// turn's timings; it returns the bot's reply.
func (cs *callSession) onFinal(r asr.Result) dialog.Reply {
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
func (cs *callSession) botAudioStarted(turn int, at time.Time) {
	if turn < 0 {
		return
	}
	cs.mu.Lock()
	if turn < len(cs.rec.Turns) && cs.rec.Turns[turn].BotAudioStartMS == 0 {
		cs.rec.Turns[turn].BotAudioStartMS = cs.ms(at)
	}
	cs.mu.Unlock()
}

// watchKeys follows the caller's keys while a person has the call: the card-number guard and the emotion
// estimate (a caller hammering 0) still need them.
func (cs *callSession) watchKeys(ctx context.Context) {
	defer cs.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case d, ok := <-cs.c.DTMF():
			if !ok {
				return
			}
			cs.onDTMF(d)
		}
	}
}

// heard records a final recognition result of the caller's speech and returns its text (card numbers masked),
// confidence, and when it was said (seconds from the answer).
func (cs *callSession) heard(r asr.Result) (text string, conf, at float64) {
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

// addLine keeps a transcript line the bot's conversation does not see.
func (cs *callSession) addLine(who string, at float64, text string) {
	if strings.TrimSpace(text) == "" {
		return
	}
	line := prosody.TranscriptLine{Who: who, At: at, Text: text}
	cs.mu.Lock()
	cs.extraLines = append(cs.extraLines, line)
	cs.mu.Unlock()
	if cs.s.bridge != nil {
		cs.s.bridge.AddTranscript(cs.c.ID(), line)
	}
}

// transcribeCaller keeps recognising the caller after the bot handed over: the agent's card and the record get
// the words, the estimator their emotion.
func (cs *callSession) transcribeCaller(ctx context.Context) {
	defer cs.wg.Done()
	_, results := cs.recognition(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case r, ok := <-results:
			if !ok || r.Err != nil {
				return
			}
			if !r.Final || strings.TrimSpace(r.Text) == "" {
				continue
			}
			text, _, at := cs.heard(r)
			cs.addLine("caller", at, text)
		}
	}
}

// streamSeconds turns a recogniser time (seconds from the stream's first frame) into seconds from the answer.
func (cs *callSession) streamSeconds(t float64) float64 {
	cs.mu.Lock()
	start := cs.streamStart
	cs.mu.Unlock()
	if start.IsZero() {
		return t
	}
	return cs.since(start) + t
}

// speechEndMS is when the caller stopped speaking, from the recogniser's word timings.
func (cs *callSession) speechEndMS(r asr.Result) int64 {
	if len(r.Words) == 0 {
		return cs.ms(time.Now())
	}
	return int64(cs.streamSeconds(r.Words[len(r.Words)-1].End) * 1000)
}

func (cs *callSession) onDTMF(d media.DTMF) {
	at := cs.since(time.Now())
	cs.mu.Lock()
	cs.voice.Estimator().AddDTMF(at, d.Digit)
	cs.cardGuard.Digit(time.Since(cs.c.AnsweredAt()), d.Digit)
	cs.mu.Unlock()
}

func (cs *callSession) recordReply(r dialog.Reply) {
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
func (cs *callSession) voiceReport() prosody.Report {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	r := cs.voice.Snapshot()
	r.CallID, r.Caller, r.StartedAt = cs.c.ID(), cs.rec.Caller, cs.c.AnsweredAt()
	return r
}

// report is the whole emotion report: the voice and the dialogue's part.
func (cs *callSession) report() prosody.Report {
	r := cs.conv.Report(cs.voiceReport())
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.extraLines) > 0 {
		r.Transcript = mergeTranscript(r.Transcript, cs.extraLines)
	}
	return r
}

func (cs *callSession) setOutcome(o store.Outcome) {
	cs.mu.Lock()
	if cs.outcome == "" || o == store.OutcomeTransferred {
		cs.outcome = o
	}
	cs.mu.Unlock()
}

// handOff puts the call through to a person. It returns ended when the call is over (the agent or the caller
// finished it), else what the overflow policy says to do next (agentbridge.NextBot, NextVoicemail, …) and why
// (agentbridge.ReasonClosed, …; "" when the agent's page was lost).
func (cs *callSession) handOff(ctx context.Context, reason string) (next, why string, ended bool) {
	cs.mu.Lock()
	cs.rec.TransferReason = reason
	cs.mu.Unlock()
	cs.log.Info("handing the call over", "reason", reason)
	if cs.s.bridge == nil {
		return agentbridge.NextRefer, "", false
	}

	updCtx, stopUpdates := context.WithCancel(ctx)
	defer stopUpdates()
	agentAudio, stopAgentLeg := cs.agentAudioSink(updCtx)
	defer stopAgentLeg()
	cs.wg.Add(1)
	go cs.liveUpdates(updCtx)
	cs.wg.Add(2)
	go cs.transcribeCaller(updCtx)
	go cs.watchKeys(updCtx)

	var since time.Time
	for {
		out, err := cs.s.bridge.Enqueue(ctx, agentbridge.QueuedCall{
			ID: cs.c.ID(), Caller: cs.rec.Caller, Report: cs.report(), Media: cs.m,
			PayloadType: cs.m.Remote().Codec.PayloadType,
			Say:         cs.tell,
			AgentAudio:  agentAudio,
			QueuedSince: since,
		})
		if err != nil {
			cs.log.Error("agent queue", "err", err)
			return agentbridge.NextRefer, "", false
		}
		cs.mu.Lock()
		cs.rec.WaitMS += out.WaitMS
		cs.rec.RingMS += out.RingMS
		if out.Agent != "" {
			cs.rec.Agent = out.Agent
		}
		cs.mu.Unlock()
		switch out.Result {
		case agentbridge.ResultCompleted, agentbridge.ResultCallerHangup:
			cs.setOutcome(store.OutcomeTransferred)
			cs.awaitWrapUp(out.WrapUp)
			if out.Result == agentbridge.ResultCompleted {
				_ = cs.c.Hangup(ctx)
			}
			return "", "", true
		case agentbridge.ResultAbandoned:
			cs.setOutcome(store.OutcomeAbandoned)
			return "", "", true
		case agentbridge.ResultAgentLost:
			// An agent took the call, whatever happens next; agents.on_agent_lost says what that is.
			cs.setOutcome(store.OutcomeTransferred)
			if out.Next == agentbridge.NextBot {
				cs.log.Warn("agent lost mid-call; the bot takes the caller back", "agent", out.Agent)
				return out.Next, "", false
			}
			cs.log.Warn("agent lost mid-call; queuing the caller again", "agent", out.Agent)
			since = out.QueuedSince
			continue
		default:
			return out.Next, out.Reason, false
		}
	}
}

// overflow applies the overflow policy when no agent can take the call: back to the bot, a message, a transfer
// to call.fallback_refer, or goodbye.
func (cs *callSession) overflow(ctx context.Context, next string) (backToBot bool) {
	switch {
	case next == agentbridge.NextBot && !cs.s.cfg.Call.NoBot:
		return true
	case next == agentbridge.NextVoicemail:
		cs.voicemail(ctx)
		return false
	case cs.s.cfg.Call.FallbackRefer != "":
		if err := cs.c.Transfer(ctx, cs.s.cfg.Call.FallbackRefer); err != nil {
			cs.log.Warn("fallback transfer failed", "target", cs.s.cfg.Call.FallbackRefer, "err", err)
			break
		}
		cs.setOutcome(store.OutcomeTransferred)
		return false
	}
	cs.goodbye(ctx, cs.s.cfg.Call.NoAgents)
	return false
}

// tell says text outside the bot's conversation and keeps it in the transcript.
func (cs *callSession) tell(ctx context.Context, text string) error {
	cs.addLine("bot", cs.since(time.Now()), text)
	return cs.say(ctx, text)
}

// goodbye tells the caller text and hangs up.
func (cs *callSession) goodbye(ctx context.Context, text string) {
	_ = cs.tell(ctx, text)
	_ = cs.c.Hangup(ctx)
}

// liveUpdates sends the agent's page a whole new emotion report every second while the call is with the queue.
func (cs *callSession) liveUpdates(ctx context.Context) {
	defer cs.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cs.s.bridge.UpdateReport(cs.c.ID(), cs.report())
		}
	}
}

// awaitWrapUp stores the agent's disposition and notes when they come, after the call; the record is saved
// again then. The wait is bounded by the bridge's wrap-up timeout.
func (cs *callSession) awaitWrapUp(ch <-chan agentbridge.WrapUp) {
	if ch == nil {
		return
	}
	cs.s.bg.Add(1)
	go func() {
		defer cs.s.bg.Done()
		select {
		case w, ok := <-ch:
			if !ok {
				return
			}
			cs.mu.Lock()
			cs.rec.Disposition, cs.rec.Notes = w.Disposition, quality.MaskCardNumbers(w.Notes)
			rec := *cs.rec
			ended := !rec.EndedAt.IsZero()
			cs.mu.Unlock()
			if ended {
				cs.s.writer.Enqueue(&rec)
			}
		case <-cs.s.bgCtx.Done():
		}
	}()
}

// finish runs when the handler returns: recognition closed, observers stopped. The record is completed by
// onCallEnd with the signalling's final account.
func (cs *callSession) finish() {
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

// onCallEnd completes and stores the record of every admitted call, answered or not.
func (s *server) onCallEnd(end sip.CallEnd) {
	s.callsMu.Lock()
	cs := s.calls[end.ID]
	delete(s.calls, end.ID)
	s.callsMu.Unlock()

	var rec store.Call
	if cs == nil {
		caller := end.Caller
		if end.Private {
			caller = "anonymous"
		}
		rec = store.Call{ID: end.ID, SIPCallID: end.SIPCallID, Caller: caller, CallerPrivate: end.Private,
			StartedAt: end.StartedAt, Outcome: store.OutcomeAbandoned}
		if end.Cause != "cancelled" {
			rec.Outcome = store.OutcomeFailed
		}
	} else {
		report := cs.report()
		cs.mu.Lock()
		cs.rec.Transcript = mergeTranscript(cs.conv.Transcript(), cs.extraLines)
		cs.rec.Emotion = &report
		cs.rec.Intent = firstNonEmpty(cs.conv.Intent(), cs.rec.Intent)
		if r := cs.conv.TransferReason(); r != "" && cs.rec.TransferReason == "" {
			cs.rec.TransferReason = r
		}
		cs.rec.EmotionStart = cs.firstState
		cs.rec.EmotionEnd = &store.EmotionPoint{State: report.State, Level: report.Level}
		if cs.inspector != nil {
			cs.rec.QA = cs.inspector.Result()
		}
		rec = *cs.rec
		rec.Outcome = cs.outcome
		if rec.Outcome == "" {
			switch {
			case end.Cause == "rtp_timeout" || end.Cause == "session_expired":
				rec.Outcome = store.OutcomeFailed
			case cs.conv.AnsweredQuestions() > 0 && rec.TransferReason == "":
				rec.Outcome = store.OutcomeBotResolved
			default:
				rec.Outcome = store.OutcomeAbandoned
			}
		}
		cs.mu.Unlock()
	}
	rec.SIPStatus = end.SIPStatus
	rec.EndedAt = end.EndedAt
	rec.EndCause = end.Cause
	if cs != nil {
		// The agent's wrap-up may save the record again later, from cs.rec: it must carry the final account.
		cs.mu.Lock()
		cs.rec.EndedAt, cs.rec.Outcome, cs.rec.SIPStatus, cs.rec.EndCause = end.EndedAt, rec.Outcome, rec.SIPStatus, rec.EndCause
		cs.mu.Unlock()
	}
	s.metrics.record(&rec)
	if !s.writer.Enqueue(&rec) {
		s.log.Error("call record dropped: store queue full", "call_id", rec.ID)
	}
	s.log.Info("call ended", "call_id", end.ID, "outcome", rec.Outcome, "cause", end.Cause, "by", end.By,
		"sip_status", end.SIPStatus, "rtp_received", end.Stats.RTPReceived, "rtp_sent", end.Stats.RTPSent)
}

// mergeTranscript merges two time-ordered transcripts.
func mergeTranscript(a, b []prosody.TranscriptLine) []prosody.TranscriptLine {
	if len(b) == 0 {
		return a
	}
	out := make([]prosody.TranscriptLine, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j >= len(b) || (i < len(a) && a[i].At <= b[j].At) {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
