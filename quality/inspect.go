package quality

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// FrameDuration is the step of Inspector.Frame: one voice-activity decision per party every 10 ms.
const FrameDuration = 10 * time.Millisecond

// Alert is one live finding on the agent's leg, for /ws/supervisor and (with a Suggestion) the agent's softphone.
type Alert struct {
	CallID string `json:"call_id"`
	Agent  string `json:"agent"`
	// At is seconds from the answer of the call.
	At float64 `json:"at"`
	// Kind: risky_phrase, emotion_word, long_silence, overtalk, interruption, fast_speech, slow_speech, long_hold.
	Kind string `json:"kind"`
	// Severity: info, warning or critical.
	Severity string `json:"severity"`
	// Text is what was said (card numbers masked) or a short description.
	Text string `json:"text"`
	// Phrase and PhraseKind name the risky phrase heard; Suggestion is the standard phrase to say instead.
	Phrase     string `json:"phrase,omitempty"`
	PhraseKind string `json:"phrase_kind,omitempty"`
	Suggestion string `json:"suggestion,omitempty"`
}

// Alert kinds.
const (
	AlertRiskyPhrase  = "risky_phrase"
	AlertEmotionWord  = "emotion_word"
	AlertLongSilence  = "long_silence"
	AlertOvertalk     = "overtalk"
	AlertInterruption = "interruption"
	AlertFastSpeech   = "fast_speech"
	AlertSlowSpeech   = "slow_speech"
	AlertLongHold     = "long_hold"
)

// Inspector watches one call's agent leg from the moment an agent takes it. Feed it one Frame per 10 ms with both
// parties' voice activity (prosody's VAD decisions), the recognised words of each party as they become final,
// and hold on/off; it raises alerts through the callback as they happen and gives the QA block at the end.
// Its methods are safe for concurrent use (the media observer, the recogniser and the call handler may each call
// it); Frame takes a mutex and allocates nothing.
type Inspector struct {
	mu      sync.Mutex
	cfg     Config
	callID  string
	agent   string
	onAlert func(Alert)
	match   *matcher
	emotion *matcher

	offset float64 // seconds from the answer at frame 0
	frames int64   // frames seen

	gapFrames, silenceAlertFrames, interFrames, overtalkAlertFrames, holdAlertFrames int64

	agentTalk, callerTalk, overtalk, hold int64
	agentLeg, callerLeg                   party
	turnGapFrames                         int64
	overRun, silenceRun, holdRun          int64
	onHold                                bool

	nonTalk, longestSilence int64
	interruptions           int
	callerInterruptions     int

	agentWords, callerWords int
	speed                   []speedMark // ring of (agent talk frames, agent words) at each utterance
	lastSpeedAlert          float64

	risky        []RiskyPhrase
	emotionWords []string

	pending []Alert // alerts raised under the lock, delivered after it
}

// party tracks one side's turn.
type party struct {
	turn    int64 // frames since the turn began (0: not in a turn)
	quiet   int64 // frames since the last voiced frame
	overlap int64 // frames of the turn voiced while the other party spoke too
	over    bool  // the turn began while the other party was speaking
	counted bool  // the turn was counted as an interruption
}

// speaking reports whether the party was voiced in the last frame.
func (p *party) speaking() bool { return p.turn > 0 && p.quiet == 0 }

// step advances the party by one frame; it reports true once per turn, when the turn becomes an interruption.
func (p *party) step(speech, otherWas, otherNow bool, gap, minOverlap int64) bool {
	if !speech {
		if p.turn > 0 {
			p.quiet++
			p.turn++
			if p.quiet >= gap {
				*p = party{}
			}
		}
		return false
	}
	if p.turn == 0 {
		p.over = otherWas
	}
	p.turn++
	p.quiet = 0
	if otherNow {
		p.overlap++
	}
	if p.over && !p.counted && p.overlap >= minOverlap {
		p.counted = true
		return true
	}
	return false
}

type speedMark struct {
	talk  int64
	words int
}

// NewInspector makes an inspector for one call. onAlert receives each alert; it is called without the
// inspector's lock held but on the caller's goroutine (Frame's, AgentWords'), so it must not block: hand the
// alert to a buffered channel or a non-blocking broadcaster. offset is the time of the first Frame in seconds
// from the answer of the call (the moment the agent took it), so alert and phrase times match the transcript's.
func NewInspector(cfg Config, callID, agent string, offset float64, onAlert func(Alert)) (*Inspector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if onAlert == nil {
		onAlert = func(Alert) {}
	}
	rules, err := cfg.rules()
	if err != nil {
		return nil, err
	}
	words := cfg.EmotionWords
	if len(words) == 0 {
		words = DefaultEmotionWords()
	}
	var ew []PhraseRule
	for _, w := range words {
		ew = append(ew, PhraseRule{Kind: "emotion", Phrase: w})
	}
	f := func(d time.Duration) int64 { return int64(d / FrameDuration) }
	return &Inspector{
		cfg: cfg, callID: callID, agent: agent, onAlert: onAlert, offset: offset,
		match: newMatcher(rules), emotion: newMatcher(ew),
		gapFrames: f(cfg.SilenceGap), turnGapFrames: max(f(cfg.TurnGap), 1), silenceAlertFrames: f(cfg.SilenceAlert), interFrames: max(f(cfg.MinInterruption), 1),
		overtalkAlertFrames: f(cfg.OvertalkAlert), holdAlertFrames: f(cfg.HoldAlert),
		speed: make([]speedMark, 0, 256), pending: make([]Alert, 0, 4), lastSpeedAlert: -math.MaxFloat64,
	}, nil
}

// Now is the inspector's clock: seconds from the answer of the call at the next frame.
func (in *Inspector) Now() float64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.now()
}

func (in *Inspector) now() float64 { return in.offset + float64(in.frames)*FrameDuration.Seconds() }

// Frame adds one 10 ms step: whether the agent and the caller are speaking in it.
func (in *Inspector) Frame(agentSpeech, callerSpeech bool) {
	in.mu.Lock()
	in.frame(agentSpeech, callerSpeech)
	in.deliver()
}

func (in *Inspector) frame(agent, caller bool) {
	defer func() { in.frames++ }()
	if in.onHold {
		in.hold++
		in.holdRun++
		if in.holdAlertFrames > 0 && in.holdRun == in.holdAlertFrames {
			in.raise(Alert{Kind: AlertLongHold, Severity: "warning",
				Text: fmt.Sprintf("caller on hold for %s", time.Duration(in.holdRun)*FrameDuration)})
		}
		return
	}
	// Turns and interruptions: a turn lasts while the party speaks with pauses shorter than turn_gap. A turn that
	// starts while the other party is speaking is an interruption once the two have overlapped for
	// min_interruption (so the VAD's hangover or an "mm-hm" is not one).
	agentWas, callerWas := in.agentLeg.speaking(), in.callerLeg.speaking()
	if in.agentLeg.step(agent, callerWas, caller, in.turnGapFrames, in.interFrames) {
		in.interruptions++
		in.raise(Alert{Kind: AlertInterruption, Severity: "info", Text: "agent spoke over the caller"})
	}
	if in.callerLeg.step(caller, agentWas, agent, in.turnGapFrames, in.interFrames) {
		in.callerInterruptions++
	}
	if agent {
		in.agentTalk++
	}
	if caller {
		in.callerTalk++
	}
	// Over-talk.
	if agent && caller {
		in.overtalk++
		in.overRun++
		if in.overtalkAlertFrames > 0 && in.overRun == in.overtalkAlertFrames {
			in.raise(Alert{Kind: AlertOvertalk, Severity: "warning",
				Text: fmt.Sprintf("agent and caller talking at once for %s", time.Duration(in.overRun)*FrameDuration)})
		}
	} else {
		in.overRun = 0
	}
	// Silence.
	if !agent && !caller {
		in.silenceRun++
		if in.silenceAlertFrames > 0 && in.silenceRun == in.silenceAlertFrames {
			in.raise(Alert{Kind: AlertLongSilence, Severity: "warning",
				Text: fmt.Sprintf("no one has spoken for %s", time.Duration(in.silenceRun)*FrameDuration)})
		}
	} else {
		in.endSilence()
	}
}

// endSilence closes the current silent stretch, counting it as non-talk time when it reached the gap.
func (in *Inspector) endSilence() {
	if in.silenceRun >= in.gapFrames {
		in.nonTalk += in.silenceRun
		in.longestSilence = max(in.longestSilence, in.silenceRun)
	}
	in.silenceRun = 0
}

// SetHold puts the call on hold (true) or takes it off (false). Hold time is not talk nor non-talk time.
func (in *Inspector) SetHold(on bool) {
	in.mu.Lock()
	if on && !in.onHold {
		in.endSilence()
		in.agentLeg, in.callerLeg, in.overRun = party{}, party{}, 0
	}
	if !on {
		in.holdRun = 0
	}
	in.onHold = on
	in.mu.Unlock()
}

// AgentWords adds a final recognition result of the agent's leg said at `at` seconds from the answer (0: now). It
// checks risky phrases and emotion words and updates the talk speed.
func (in *Inspector) AgentWords(at float64, text string) {
	in.mu.Lock()
	if at == 0 {
		at = in.now()
	}
	masked := MaskCardNumbers(text)
	for _, i := range in.match.find(text) {
		r := in.match.rules[i]
		rp := RiskyPhrase{At: round3(at), Kind: r.Kind, Phrase: r.Phrase, Text: masked, Suggestion: r.Suggestion}
		in.risky = append(in.risky, rp)
		sev := "warning"
		if r.Kind == KindTaboo || r.Kind == KindProhibited {
			sev = "critical"
		}
		in.raiseAt(at, Alert{Kind: AlertRiskyPhrase, Severity: sev, Text: masked, Phrase: r.Phrase,
			PhraseKind: r.Kind, Suggestion: r.Suggestion})
	}
	for _, i := range in.emotion.find(text) {
		w := in.emotion.rules[i].Phrase
		in.emotionWords = append(in.emotionWords, w)
		in.raiseAt(at, Alert{Kind: AlertEmotionWord, Severity: "info", Text: masked, Phrase: w})
	}
	in.agentWords += countWords(text)
	in.checkSpeed(at)
	in.deliver()
}

// CallerWords adds a final recognition result of the caller (for the caller's talk speed).
func (in *Inspector) CallerWords(at float64, text string) {
	in.mu.Lock()
	in.callerWords += countWords(text)
	in.mu.Unlock()
}

// checkSpeed measures the agent's words per minute over the last speed_window of their talk.
func (in *Inspector) checkSpeed(at float64) {
	if len(in.speed) == cap(in.speed) {
		copy(in.speed, in.speed[1:])
		in.speed = in.speed[:len(in.speed)-1]
	}
	in.speed = append(in.speed, speedMark{talk: in.agentTalk, words: in.agentWords})
	window := int64(in.cfg.SpeedWindow / FrameDuration)
	// The oldest mark still within the window of agent talk; the baseline is the mark before it.
	base := speedMark{}
	for i := len(in.speed) - 1; i >= 0; i-- {
		if in.agentTalk-in.speed[i].talk > window {
			base = in.speed[i]
			break
		}
	}
	talk := in.agentTalk - base.talk
	if talk < window/2 || at-in.lastSpeedAlert < in.cfg.SpeedWindow.Seconds() {
		return
	}
	wpm := float64(in.agentWords-base.words) / (float64(talk) * FrameDuration.Minutes())
	switch {
	case in.cfg.WPMHigh > 0 && wpm > in.cfg.WPMHigh:
		in.lastSpeedAlert = at
		in.raiseAt(at, Alert{Kind: AlertFastSpeech, Severity: "info", Text: fmt.Sprintf("agent speaking at %.0f words a minute", wpm)})
	case in.cfg.WPMLow > 0 && wpm < in.cfg.WPMLow:
		in.lastSpeedAlert = at
		in.raiseAt(at, Alert{Kind: AlertSlowSpeech, Severity: "info", Text: fmt.Sprintf("agent speaking at %.0f words a minute", wpm)})
	}
}

// Result returns the QA block for the call record so far (call it at hang-up).
func (in *Inspector) Result() QA {
	in.mu.Lock()
	defer in.mu.Unlock()
	ms := func(frames int64) int64 { return frames * FrameDuration.Milliseconds() }
	nonTalk, longest := in.nonTalk, in.longestSilence
	if in.silenceRun >= in.gapFrames { // a silence still open at the end counts
		nonTalk += in.silenceRun
		longest = max(longest, in.silenceRun)
	}
	q := QA{
		NonTalkMS: ms(nonTalk), Interruptions: in.interruptions, CallerInterruptions: in.callerInterruptions,
		AgentTalkMS: ms(in.agentTalk), CallerTalkMS: ms(in.callerTalk), OvertalkMS: ms(in.overtalk),
		LongestSilenceMS: ms(longest), HoldMS: ms(in.hold), DurationMS: ms(in.frames),
		RiskyPhrases: append([]RiskyPhrase{}, in.risky...), EmotionWords: append([]string{}, in.emotionWords...),
	}
	if total := in.agentTalk + in.callerTalk; total > 0 {
		q.TalkShareAgent = round3(float64(in.agentTalk) / float64(total))
		q.TalkShareCaller = round3(float64(in.callerTalk) / float64(total))
	}
	if in.agentTalk > 0 && in.agentWords > 0 {
		q.AgentWPM = math.Round(float64(in.agentWords) / (float64(in.agentTalk) * FrameDuration.Minutes()))
	}
	if in.callerTalk > 0 && in.callerWords > 0 {
		q.CallerWPM = math.Round(float64(in.callerWords) / (float64(in.callerTalk) * FrameDuration.Minutes()))
	}
	q.Score = Score(q, in.cfg)
	return q
}

// Score rates a call's QA block 0..100, starting from 100 and taking off: 10 per promise, 15 per prohibited
// statement, 20 per taboo expression (5 for other lists), 5 per interruption of the caller (at most 25), 2 per
// emotion word (at most 10), 1 per 10 s of non-talk time (at most 15), 10 when the agent's speed is outside
// [wpm_low, wpm_high], and 5 when the agent took more than 70% of the talk time.
func Score(q QA, cfg Config) float64 {
	s := 100.0
	for _, r := range q.RiskyPhrases {
		switch r.Kind {
		case KindPromise:
			s -= 10
		case KindProhibited:
			s -= 15
		case KindTaboo:
			s -= 20
		default:
			s -= 5
		}
	}
	s -= math.Min(25, 5*float64(q.Interruptions))
	s -= math.Min(10, 2*float64(len(q.EmotionWords)))
	s -= math.Min(15, float64(q.NonTalkMS)/10000)
	if q.AgentWPM > 0 && ((cfg.WPMHigh > 0 && q.AgentWPM > cfg.WPMHigh) || (cfg.WPMLow > 0 && q.AgentWPM < cfg.WPMLow)) {
		s -= 10
	}
	if q.TalkShareAgent > 0.7 {
		s -= 5
	}
	return math.Max(0, math.Round(s*10)/10)
}

// raise stamps an alert of the frame being processed with the frame's end.
func (in *Inspector) raise(a Alert) { in.raiseAt(in.now()+FrameDuration.Seconds(), a) }

func (in *Inspector) raiseAt(at float64, a Alert) {
	a.CallID, a.Agent, a.At = in.callID, in.agent, round3(at)
	in.pending = append(in.pending, a)
}

// deliver unlocks and hands the pending alerts to the callback.
func (in *Inspector) deliver() {
	if len(in.pending) == 0 {
		in.mu.Unlock()
		return
	}
	alerts := append([]Alert(nil), in.pending...)
	in.pending = in.pending[:0]
	in.mu.Unlock()
	for _, a := range alerts {
		in.onAlert(a)
	}
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
