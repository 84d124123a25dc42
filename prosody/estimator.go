package prosody

import (
	"fmt"
	"math"
	"strings"
	"unicode"
)

// Estimator turns FrameResults, words and DTMF into the caller's emotional state, a few times a second. It keeps
// the baseline (set explicitly or taken from the first seconds of speech), the window of recent frames, the
// trigger moments and the timeline. It is not safe for concurrent use: one goroutine feeds it and takes
// Snapshots. Add allocates nothing except when the timeline outgrows its preallocated ten minutes.
type Estimator struct {
	cfg Config
	lex *Lexicon

	ring    []FrameResult // the window, a ring
	head, n int
	lin     []FrameResult // the window in order, scratch
	scratch []float64

	base        Profile
	baseReady   bool
	baseFixed   bool
	baseFrames  []FrameResult // speech collected for the automatic baseline
	baseNeed    int           // speech frames wanted for it
	minVoiced   int
	updateEvery int
	since       int
	t           float64

	// estimate
	state            State
	level            int
	arousal, valence float64
	pAngry, sadness  float64
	gSum             float64 // anger-versus-anxiety logits summed over the current agitated stretch
	gN               float64 // the weights summed (each window weighs by how much voice it holds)
	rel              float64 // that weight for the current window
	dev              Deviation
	haveDev          bool
	cand             State
	candN            int
	candStart        float64 // when the candidate state's run of updates began
	seq              int

	// words
	lexA, lexV, lexT float64
	lexCat           map[string]float64
	recent           [8]said
	nrecent          int

	triggers []Trigger
	armed    [3]bool // pitch, loudness, rate

	// timeline accumulators since the last point
	timeline     []TimelinePoint
	tlPow, tlF0  float64
	tlN, tlVoice int

	// held states, for Summary
	hold, best heldState
}

type said struct {
	at   float64
	text string
}

// heldState is a stretch during which the reported state did not change.
type heldState struct {
	state      State
	start, end float64
	maxLevel   int
	aroSum     float64
	valSum     float64
	n          int
}

// NewEstimator makes an estimator for one stream. It fails when cfg is invalid or its lexicon file cannot be read.
func NewEstimator(cfg Config) (*Estimator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lex := DefaultLexicon()
	if cfg.LexiconFile != "" {
		var err error
		if lex, err = LoadLexicon(cfg.LexiconFile); err != nil {
			return nil, err
		}
	}
	win := int(cfg.Window.Seconds()/HopSeconds + 0.5)
	e := &Estimator{
		cfg:         cfg,
		lex:         lex,
		ring:        make([]FrameResult, win),
		lin:         make([]FrameResult, 0, win),
		baseNeed:    int(cfg.BaselineSpeech.Seconds()/HopSeconds + 0.5),
		minVoiced:   int(cfg.MinVoiced.Seconds()/HopSeconds + 0.5),
		updateEvery: max(1, int(cfg.UpdateInterval.Seconds()/HopSeconds+0.5)),
		lexCat:      map[string]float64{"angry": 0, "anxious": 0, "sad": 0},
		triggers:    make([]Trigger, 0, cfg.MaxTriggers),
		state:       Calm,
		arousal:     0.1,
		cand:        Calm,
		armed:       [3]bool{true, true, true},
	}
	e.baseFrames = make([]FrameResult, 0, e.baseNeed+1)
	e.scratch = make([]float64, 2*max(win, e.baseNeed+1))
	e.timeline = make([]TimelinePoint, 0, int(600/cfg.UpdateInterval.Seconds())+1)
	e.hold = heldState{state: Calm}
	return e, nil
}

// SetBaseline fixes the caller's calm profile (for example ProfileOf a calm recording); the automatic baseline is
// then not taken. A profile with no voiced frames is ignored.
func (e *Estimator) SetBaseline(p Profile) {
	if p.Voiced == 0 {
		return
	}
	e.base, e.baseReady, e.baseFixed = p, true, true
}

// BaselineProfile returns the baseline and whether it is ready.
func (e *Estimator) BaselineProfile() (Profile, bool) { return e.base, e.baseReady }

// Add takes the next frame. It returns true when the estimate (and the timeline) was updated by it, which
// happens every update_interval; take a Snapshot then if a live report is wanted.
func (e *Estimator) Add(fr FrameResult) bool {
	e.t = fr.T
	e.ring[e.head] = fr
	e.head = (e.head + 1) % len(e.ring)
	e.n = min(e.n+1, len(e.ring))
	if !e.baseReady && fr.Speech {
		e.baseFrames = append(e.baseFrames, fr)
		if len(e.baseFrames) >= e.baseNeed {
			p := profileInto(e.baseFrames, e.scratch)
			if p.Voiced >= e.minVoiced {
				e.base, e.baseReady = p, true
			} else { // mostly unvoiced: start again
				e.baseFrames = e.baseFrames[:0]
			}
		}
	}
	e.tlPow += math.Pow(10, fr.DB/10)
	e.tlN++
	if fr.Voiced {
		e.tlF0 += fr.F0
		e.tlVoice++
	}
	e.since++
	if e.since < e.updateEvery {
		return false
	}
	e.since = 0
	e.update()
	return true
}

// update recomputes the estimate from the window, the words and the baseline.
func (e *Estimator) update() {
	t := e.t
	e.decayWords(t)
	e.lin = e.lin[:0]
	start := (e.head - e.n + len(e.ring)) % len(e.ring)
	for i := 0; i < e.n; i++ {
		e.lin = append(e.lin, e.ring[(start+i)%len(e.ring)])
	}
	p := profileInto(e.lin, e.scratch)

	// Prosody: the deviation from the baseline, through the model.
	pa := 0.1 + (e.arousal-0.1)*0.7 // with nothing to go on, relax towards calm
	pAngry := e.pAngry
	e.haveDev = false
	if e.baseReady && p.Voiced >= e.minVoiced {
		e.dev = Deviate(p, e.base)
		e.haveDev = true
		za, zg := dot(e.cfg.Model.Arousal, e.dev), dot(e.cfg.Model.Anger, e.dev)
		// A short stretch of voice gives noisy features: arousal is pulled towards the calm prior in proportion
		// to how much voiced audio the window lacks.
		r := math.Min(1, float64(p.Voiced)*HopSeconds/reliableVoiced)
		e.rel = r
		za = calmLogit + (za-calmLogit)*r
		pa = 1 / (1 + math.Exp(-za))
		pAngry = 1 / (1 + math.Exp(-zg))
		d := e.dev
		// Sadness (hand-set, conservative: EmoDB scores sad with calm, so nothing was fitted): lower, quieter,
		// slower and flatter than the baseline, all at once.
		e.sadness = 1 / (1 + math.Exp(-(-5 - 0.8*d[devPitch] - 0.4*d[devLoudness] - 3*d[devRate] - 0.5*d[devRange])))
	} else {
		e.sadness *= 0.7
	}
	e.pAngry = pAngry
	// Words: decayed lexicon evidence moves arousal, valence and the anger/anxiety balance.
	a := clamp(pa+0.35*e.lexA, 0, 1)
	v := -0.8*math.Max(0, a-0.4) + e.lexV
	if e.sadness > 0.5 {
		v -= 0.6 * (e.sadness - 0.5)
	}
	v = clamp(v, -1, 1)
	// Anger against anxiety: within one agitated stretch, judged on the mean of the model's logits over all of
	// it so far (a single window flips easily between the two), then the words.
	angerLogit := logit(pAngry)
	if e.haveDev {
		if e.state == Angry || e.state == Anxious || e.cand == Angry || e.cand == Anxious {
			e.gSum += wRel(e.rel) * angerLogit
			e.gN += wRel(e.rel)
		} else {
			e.gSum, e.gN = wRel(e.rel)*angerLogit, wRel(e.rel)
		}
		angerLogit = e.gSum / e.gN
	}
	angerLogit += 2 * (e.lexCat["angry"] - e.lexCat["anxious"])

	agitated := a >= e.cfg.AgitatedEnter || ((e.state == Angry || e.state == Anxious) && a >= e.cfg.AgitatedLeave)
	raw, level := Calm, 0
	switch {
	case agitated:
		raw = Anxious
		if angerLogit >= 0 {
			raw = Angry
		}
		level = 1
		if a >= 0.7 {
			level = 2
		}
		if a >= 0.85 {
			level = 3
		}
	case e.sadness > 0.6 || (e.lexCat["sad"] > 0.6 && v < -0.3):
		raw, level = Sad, 1
		if e.sadness > 0.8 || e.lexCat["sad"] > 1.2 {
			level = 2
		}
	}
	// Hysteresis: a new state must win switch_updates updates in a row; the level moves one step per update.
	if raw == e.state {
		e.cand, e.candN = raw, 0
		switch {
		case level > e.level:
			e.level++
		case level < e.level:
			e.level--
		}
	} else {
		if raw == e.cand {
			e.candN++
		} else {
			e.cand, e.candN, e.candStart = raw, 1, e.hold.end
		}
		need := e.cfg.SwitchUpdates
		if raw == Sad { // sadness is a slow state: it must persist twice as long before it is reported
			need *= 2
		}
		if e.candN >= need {
			e.state, e.level, e.candN = raw, level, 0
		}
	}
	if e.state == Calm {
		e.level = 0
	} else {
		e.level = max(1, e.level)
	}
	e.arousal, e.valence = a, v
	e.seq++
	e.checkTriggers(t)
	e.addTimelinePoint(t)
	e.trackHold(t)
}

// trackHold follows how long each reported state is held, for Summary.
func (e *Estimator) trackHold(t float64) {
	end := t + HopSeconds/2
	if isAgitated(e.hold.state) && isAgitated(e.state) {
		// Anger against anxiety is judged on the whole agitated stretch, so a revised judgement applies to all of
		// it: the stretch is held once, under its latest label.
		e.hold.state = e.state
	}
	if e.hold.state != e.state {
		// The new state is held from the first update that called for it, not from the switch.
		from := math.Max(e.hold.start, math.Min(e.candStart, e.hold.end))
		e.hold.end = from
		e.closeHold()
		e.hold = heldState{state: e.state, start: from}
	}
	e.hold.end = end
	e.hold.maxLevel = max(e.hold.maxLevel, e.level)
	e.hold.aroSum += e.arousal
	e.hold.valSum += e.valence
	e.hold.n++
}

func (e *Estimator) closeHold() {
	if e.hold.end-e.hold.start >= 0.5-1e-9 && stronger(e.hold, e.best) {
		e.best = e.hold
	}
}

// stronger orders held states: any state over calm, then higher level, then held longer, then angry > anxious >
// sad.
func stronger(h, than heldState) bool {
	if than.state == "" {
		return true
	}
	if (h.state == Calm) != (than.state == Calm) {
		return than.state == Calm
	}
	if h.maxLevel != than.maxLevel {
		return h.maxLevel > than.maxLevel
	}
	if dh, dt := h.end-h.start, than.end-than.start; math.Abs(dh-dt) > 1e-6 {
		return dh > dt
	}
	return stateRank(h.state) > stateRank(than.state)
}

func stateRank(s State) int {
	switch s {
	case Angry:
		return 3
	case Anxious:
		return 2
	case Sad:
		return 1
	}
	return 0
}

func (e *Estimator) addTimelinePoint(t float64) {
	pt := TimelinePoint{T: round(t, 3), DB: -100}
	if e.tlN > 0 {
		pt.DB = round(math.Max(-100, 10*math.Log10(e.tlPow/float64(e.tlN)+1e-10)), 1)
	}
	if e.tlVoice > 0 {
		pt.F0 = round(e.tlF0/float64(e.tlVoice), 1)
	}
	pt.Arousal = round(e.arousal, 3)
	if len(e.timeline) == cap(e.timeline) && cap(e.timeline) >= 4*3600*4 {
		// more than four hours at 4 points a second: keep every other point
		j := 0
		for i := 0; i < len(e.timeline); i += 2 {
			e.timeline[j] = e.timeline[i]
			j++
		}
		e.timeline = e.timeline[:j]
	}
	e.timeline = append(e.timeline, pt)
	e.tlPow, e.tlF0, e.tlN, e.tlVoice = 0, 0, 0, 0
}

// checkTriggers records the moments a deviation first crosses its threshold (re-armed when it falls back).
func (e *Estimator) checkTriggers(t float64) {
	if !e.haveDev {
		return
	}
	d := e.dev
	pitchPct := (math.Exp2(d[devPitch]/12) - 1) * 100
	loudDB := d[devLoudness] * 3
	rateRatio := math.Exp2(d[devRate])
	type check struct {
		on, off bool
		kind    string
		detail  func() string
	}
	checks := [3]check{
		{d[devPitch] >= 3, d[devPitch] < 1.5, TriggerPitchRise, func() string { return fmt.Sprintf("F0 %+.0f%% over baseline", pitchPct) }},
		{loudDB >= 6, loudDB < 3, TriggerLoudness, func() string { return fmt.Sprintf("level %+.1f dB over baseline", loudDB) }},
		{rateRatio >= 1.4, rateRatio < 1.2, TriggerFastSpeech, func() string {
			return fmt.Sprintf("speech rate %.0f%% of baseline", rateRatio*100)
		}},
	}
	for i, c := range checks {
		switch {
		case e.armed[i] && c.on:
			e.armed[i] = false
			e.addTrigger(Trigger{At: round(t, 2), Kind: c.kind, Text: e.saidAround(t), Detail: c.detail()})
		case !e.armed[i] && c.off:
			e.armed[i] = true
		}
	}
}

func (e *Estimator) addTrigger(tr Trigger) {
	if len(e.triggers) == e.cfg.MaxTriggers {
		copy(e.triggers, e.triggers[1:])
		e.triggers = e.triggers[:len(e.triggers)-1]
	}
	e.triggers = append(e.triggers, tr)
}

// saidAround returns what was said in the five seconds up to t.
func (e *Estimator) saidAround(t float64) string {
	var parts []string
	for i := 0; i < min(e.nrecent, len(e.recent)); i++ {
		s := e.recent[(e.nrecent-1-i)%len(e.recent)]
		if s.at <= t+0.5 && s.at >= t-5 {
			parts = append([]string{s.text}, parts...)
		}
	}
	return strings.Join(parts, " ")
}

// AddWords takes what the caller said at time at (seconds, same clock as the frames): emotional words from the
// lexicon move the estimate, and a repeated utterance counts as a sign of frustration.
func (e *Estimator) AddWords(at float64, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	e.decayWords(at)
	for _, h := range e.lex.Scan(text) {
		e.lexA += h.Arousal()
		e.lexV += h.Valence()
		if _, ok := e.lexCat[h.Category]; ok {
			w := h.Weight
			if h.Negated {
				w *= -0.3
			}
			e.lexCat[h.Category] += w
		}
		if !h.Negated && h.Weight >= 0.6 && h.Category != "happy" && h.Category != "calm" {
			e.addTrigger(Trigger{At: round(at, 2), Kind: TriggerKeyword, Text: text,
				Detail: fmt.Sprintf("%s word %q", h.Category, h.Word)})
		}
	}
	norm := normalise(text)
	for i := 0; i < min(e.nrecent, 3); i++ {
		prev := e.recent[(e.nrecent-1-i)%len(e.recent)]
		if at-prev.at < 60 && len(strings.Fields(norm)) >= 2 && similar(norm, normalise(prev.text)) {
			e.lexA += 0.2
			e.lexCat["angry"] += 0.1
			e.addTrigger(Trigger{At: round(at, 2), Kind: TriggerRepeat, Text: text, Detail: "said again"})
			break
		}
	}
	e.recent[e.nrecent%len(e.recent)] = said{at, text}
	e.nrecent++
	e.lexA = clamp(e.lexA, -1, 1.5)
	e.lexV = clamp(e.lexV, -1.5, 1.5)
}

// AddDTMF takes a key the caller pressed at time at; '0' (asking for an operator) is recorded as impatience.
func (e *Estimator) AddDTMF(at float64, digit rune) {
	if digit != '0' {
		return
	}
	e.decayWords(at)
	e.lexA = clamp(e.lexA+0.2, -1, 1.5)
	e.addTrigger(Trigger{At: round(at, 2), Kind: TriggerDTMFZero, Text: e.saidAround(at), Detail: "pressed 0"})
}

func (e *Estimator) decayWords(t float64) {
	if t <= e.lexT {
		return
	}
	f := math.Exp2(-(t - e.lexT) / e.cfg.WordHalfLife.Seconds())
	e.lexA *= f
	e.lexV *= f
	for k, v := range e.lexCat {
		e.lexCat[k] = v * f
	}
	e.lexT = t
}

// Snapshot returns the current report: state, level, arousal, valence, baseline, triggers and timeline, with a
// Seq that grows with every update. The caller owns the copy; transcript, intent and the rest are left empty for
// the dialogue to fill.
func (e *Estimator) Snapshot() Report {
	return Report{
		Seq:             e.seq,
		State:           e.state,
		Level:           e.level,
		Arousal:         round(e.arousal, 3),
		Valence:         round(e.valence, 3),
		Baseline:        e.base.Baseline(e.baseReady),
		Triggers:        append([]Trigger{}, e.triggers...),
		Timeline:        append([]TimelinePoint{}, e.timeline...),
		Transcript:      []TranscriptLine{},
		SensitiveTopics: []string{},
	}
}

// State returns the current state and level without building a report.
func (e *Estimator) State() (State, int) { return e.state, e.level }

// Summary is the verdict over the whole stream: the strongest state held for at least half a second (calm when
// none), with its highest level and its mean arousal and valence.
type Summary struct {
	State    State
	Level    int
	Arousal  float64
	Valence  float64
	Baseline Baseline
	Triggers []Trigger
	// Timeline is the whole timeline (four points a second by default).
	Timeline []TimelinePoint
}

// Summary returns the verdict so far.
func (e *Estimator) Summary() Summary {
	best := e.best
	if e.hold.end-e.hold.start >= 0.5-1e-9 && stronger(e.hold, best) {
		best = e.hold
	}
	s := Summary{State: Calm, Baseline: e.base.Baseline(e.baseReady), Triggers: append([]Trigger{}, e.triggers...),
		Timeline: append([]TimelinePoint{}, e.timeline...)}
	if best.state != "" && best.n > 0 {
		s.State, s.Level = best.state, best.maxLevel
		s.Arousal = round(best.aroSum/float64(best.n), 3)
		s.Valence = round(best.valSum/float64(best.n), 3)
	}
	if s.State == Calm {
		s.Level = 0
	}
	return s
}

func normalise(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// similar: token Jaccard similarity of at least 0.8.
func similar(a, b string) bool {
	if a == b {
		return true
	}
	ta, tb := map[string]bool{}, map[string]bool{}
	for _, w := range strings.Fields(a) {
		ta[w] = true
	}
	for _, w := range strings.Fields(b) {
		tb[w] = true
	}
	inter := 0
	for w := range ta {
		if tb[w] {
			inter++
		}
	}
	union := len(ta) + len(tb) - inter
	return union > 0 && float64(inter)/float64(union) >= 0.8
}

// reliableVoiced is how much voiced audio (seconds) in the window the arousal model is trusted fully on; with
// less, its logit is shrunk towards the calm prior in proportion. Chosen by leave-one-speaker-out on the five
// EmoDB speakers (two-way / three-way UAR: off 92.6 / 80.4 %, 0.5 s 92.5 / 79.6 %, 0.65 s 94.5 / 81.5 %, 0.8 s
// 94.4 / 81.2 %, 1 s 92.1 / 76.6 %), so that figure is slightly optimistic for other speakers.
const reliableVoiced = 0.65

// wRel is how much a window's anger-versus-anxiety logit counts in the stretch's mean: windows with little voice
// count less (the square of the arousal reliability).
func wRel(r float64) float64 { return r * r }

func isAgitated(s State) bool { return s == Angry || s == Anxious }

// calmLogit is the arousal logit of the calm prior.
var calmLogit = logit(0.1)

func dot(w []float64, d Deviation) float64 {
	z := w[0]
	for i, v := range d {
		z += w[i+1] * v
	}
	return z
}

func logit(p float64) float64 {
	p = clamp(p, 1e-6, 1-1e-6)
	return math.Log(p / (1 - p))
}

func clamp(x, lo, hi float64) float64 {
	if x != x {
		return lo
	}
	return math.Max(lo, math.Min(hi, x))
}
