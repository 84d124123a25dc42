package prosody

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestLexiconFindsWordsAndNegation(t *testing.T) {
	lex := DefaultLexicon()
	cases := []struct {
		text     string
		word     string
		category string
		negated  bool
	}{
		{"I am furious about this bill", "furious", "angry", false},
		{"I'm not happy with the service", "happy", "happy", true},
		{"I'm not really worried", "worried", "anxious", true},
		{"I don't like this, I'm worried", "worried", "anxious", false},
		{"this is a rip off", "rip off", "angry", false},
		{"我非常生气", "生气", "angry", false},
		{"我不开心", "开心", "happy", true},
		{"我没有生气", "生气", "angry", true},
		{"太不像话了", "不像话", "angry", false},
	}
	for _, c := range cases {
		hits := lex.Scan(c.text)
		found := false
		for _, h := range hits {
			if h.Word == c.word {
				found = true
				if h.Category != c.category || h.Negated != c.negated {
					t.Errorf("%q: %q is %s negated=%v, want %s negated=%v", c.text, h.Word, h.Category, h.Negated, c.category, c.negated)
				}
			}
		}
		if !found {
			t.Errorf("%q: %q not found in %+v", c.text, c.word, hits)
		}
	}
	if h := lex.Scan("not happy"); len(h) != 1 || h[0].Valence() >= 0 {
		t.Errorf("\"not happy\" should have negative valence: %+v", h)
	}
}

func TestLexiconFileErrorsNameTheLine(t *testing.T) {
	_, err := ParseLexicon(strings.NewReader("ok\tcalm\t0.5\nbad\tjoyful\t0.5\n"), "x.tsv")
	if err == nil || !strings.Contains(err.Error(), "x.tsv:2") {
		t.Errorf("want an error naming x.tsv:2, got %v", err)
	}
}

// feed runs samples through an analyser into the estimator.
func feed(t *testing.T, e *Estimator, samples []float32) {
	t.Helper()
	an := NewAnalyzer(DefaultConfig())
	for i := 0; i < len(samples); i += FrameSamples {
		for _, fr := range an.ProcessFloat(samples[i:min(i+FrameSamples, len(samples))]) {
			e.Add(fr)
		}
	}
}

// voice is a glide from f0a to f0b with every harmonic up to 3.4 kHz, the k-th at 1/k^slope: slope 2 is a soft,
// dull voice, slope 1 a bright, effortful one.
func voice(f0a, f0b, dur, amp, slope float64) []float32 {
	n := int(dur * SampleRate)
	out := make([]float32, n)
	phase := 0.0
	for i := range out {
		f := f0a + (f0b-f0a)*float64(i)/float64(n)
		phase += 2 * math.Pi * f / SampleRate
		v := 0.0
		for k := 1; float64(k)*f < 3400; k++ {
			v += math.Sin(float64(k)*phase) / math.Pow(float64(k), slope)
		}
		out[i] = float32(amp * v / 2)
	}
	return out
}

// speechLike is a tone with syllable-like bursts around f0, loud amp.
func speechLike(f0, dur, amp float64) []float32 {
	var s []float32
	for float64(len(s)) < dur*SampleRate {
		s = append(s, synth(f0, f0*1.1, 0.18, amp, 0)...)
		s = append(s, make([]float32, SampleRate/12)...)
	}
	return s
}

func TestBaselineComesFromFirstSpeechAndCalmStaysCalm(t *testing.T) {
	e, err := NewEstimator(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	feed(t, e, speechLike(120, 8, 0.1))
	r := e.Snapshot()
	if !r.Baseline.Ready || math.Abs(r.Baseline.F0Hz/125-1) > 0.1 {
		t.Errorf("baseline %+v, want ready near 125 Hz", r.Baseline)
	}
	if r.State != Calm || r.Level != 0 {
		t.Errorf("steady voice: state %s level %d, want calm 0", r.State, r.Level)
	}
	if n := len(r.Timeline); n < 28 || n > 33 {
		t.Errorf("%d timeline points for 8 s, want about 32", n)
	}
}

func TestRaisedPitchAndLoudnessAgitateAndTrigger(t *testing.T) {
	e, _ := NewEstimator(DefaultConfig())
	var s []float32
	for len(s) < 4*SampleRate { // a calm voice: harmonics falling 12 dB an octave
		s = append(s, voice(120, 132, 0.18, 0.05, 2)...)
		s = append(s, make([]float32, SampleRate/12)...)
	}
	feed(t, e, s)
	// An octave up, louder, faster, and brighter (harmonics falling 6 dB an octave: vocal effort).
	s = s[:0]
	for len(s) < 4*SampleRate {
		s = append(s, voice(240, 300, 0.1, 0.4, 1)...)
		s = append(s, make([]float32, SampleRate/20)...)
	}
	feed(t, e, s)
	r := e.Snapshot()
	if r.State != Angry && r.State != Anxious {
		t.Errorf("state %s (arousal %.2f), want angry or anxious", r.State, r.Arousal)
	}
	if r.Arousal < 0.55 || r.Level < 1 {
		t.Errorf("arousal %.2f level %d, want high", r.Arousal, r.Level)
	}
	kinds := map[string]bool{}
	for _, tr := range r.Triggers {
		kinds[tr.Kind] = true
	}
	if !kinds[TriggerPitchRise] {
		t.Errorf("no pitch_rise trigger in %+v", r.Triggers)
	}
}

func TestWordsMoveTheEstimateAndTriggersCarryTheText(t *testing.T) {
	e, _ := NewEstimator(DefaultConfig())
	feed(t, e, speechLike(120, 4, 0.1))
	e.AddWords(4.0, "this is absolutely ridiculous, I am furious")
	e.AddWords(5.0, "I want to speak to a person")
	e.AddWords(6.0, "I want to speak to a person")
	e.AddDTMF(6.5, '0')
	feed(t, e, speechLike(120, 3, 0.1))
	r := e.Snapshot()
	if r.Valence >= 0 {
		t.Errorf("valence %.2f after angry words, want negative", r.Valence)
	}
	kinds := map[string]string{}
	for _, tr := range r.Triggers {
		kinds[tr.Kind] = tr.Text
	}
	if !strings.Contains(kinds[TriggerKeyword], "furious") {
		t.Errorf("keyword trigger should carry the text: %+v", r.Triggers)
	}
	if _, ok := kinds[TriggerRepeat]; !ok {
		t.Errorf("no repeat trigger: %+v", r.Triggers)
	}
	if _, ok := kinds[TriggerDTMFZero]; !ok {
		t.Errorf("no dtmf_zero trigger: %+v", r.Triggers)
	}
}

func TestReportHasNoNaNOnSilence(t *testing.T) {
	e, _ := NewEstimator(DefaultConfig())
	feed(t, e, make([]float32, 3*SampleRate))
	b, err := json.Marshal(e.Snapshot())
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if strings.Contains(string(b), "NaN") || e.Summary().State != Calm {
		t.Errorf("silence: %s", b)
	}
}

func TestConfigValidateNamesTheKey(t *testing.T) {
	c := DefaultConfig()
	c.F0MinHz = 10
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "f0_min_hz") {
		t.Errorf("want an f0_min_hz error, got %v", err)
	}
	c = DefaultConfig()
	c.Model.Anger = c.Model.Anger[:3]
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "model.anger") {
		t.Errorf("want a model.anger error, got %v", err)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestLowQuietSlowSpeechBecomesSadNotAgitated(t *testing.T) {
	e, _ := NewEstimator(DefaultConfig())
	feed(t, e, speechLike(160, 4, 0.2))
	var s []float32 // four semitones lower, 12 dB quieter, half the syllable rate, flat
	for len(s) < 6*SampleRate {
		s = append(s, synth(127, 127, 0.3, 0.05, 0)...)
		s = append(s, make([]float32, SampleRate/4)...)
	}
	feed(t, e, s)
	if st, _ := e.State(); st != Sad {
		t.Errorf("state %s (sadness %.2f, deviation %.1f), want sad", st, e.sadness, e.dev[:])
	}
	if e.Summary().State != Sad {
		t.Errorf("summary %s, want sad", e.Summary().State)
	}
}

// A window holding little voice gives noisy features: with under min_voiced of it there is no estimate (and up to
// about 0.65 s arousal is shrunk towards calm). A brief outburst after a pause does not make the call agitated;
// the same voice kept up does.
func TestABriefBurstOfVoiceIsNotEnoughToAgitate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		burst    float64 // seconds of high, loud, bright voice after the calm baseline and a pause
		agitated bool
	}{
		{"a 0.1 s burst stays calm", 0.1, false},
		{"3 s of it agitates", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := NewEstimator(DefaultConfig())
			var s []float32
			for len(s) < 4*SampleRate { // calm: the automatic baseline
				s = append(s, voice(120, 132, 0.18, 0.05, 2)...)
				s = append(s, make([]float32, SampleRate/12)...)
			}
			s = append(s, make([]float32, 5*SampleRate/2)...) // a pause: the window empties
			end := float64(len(s))/SampleRate + tc.burst
			for float64(len(s)) < end*SampleRate {
				s = append(s, voice(240, 300, 0.1, 0.4, 1)...)
				s = append(s, make([]float32, SampleRate/50)...)
			}
			s = append(s, make([]float32, 2*SampleRate)...)
			feed(t, e, s)
			got := e.Summary().State
			if ag := got == Angry || got == Anxious; ag != tc.agitated {
				t.Errorf("summary state %s, want agitated %v", got, tc.agitated)
			}
		})
	}
}

// Anger against anxiety is judged on the whole agitated stretch, so when the judgement is revised the summary
// holds the stretch once under its latest label (not a long "anxious" beside a short "angry").
func TestARevisedAgitatedStretchIsHeldUnderItsLatestLabel(t *testing.T) {
	e, _ := NewEstimator(DefaultConfig())
	step := func(s State, from, to float64) {
		e.candStart = e.hold.end // as update does: the new state is held from the first update calling for it
		for at := from; at <= to+1e-9; at += 0.25 {
			e.state, e.level = s, 1
			e.trackHold(at)
		}
	}
	step(Calm, 0.25, 0.5)
	step(Anxious, 0.75, 1.5)
	step(Angry, 1.75, 2.0)
	if got := e.Summary().State; got != Angry {
		t.Errorf("summary %s, want angry (the stretch's latest label)", got)
	}
	step(Calm, 2.25, 4)
	step(Anxious, 4.25, 5)
	if got := e.Summary().State; got != Angry {
		t.Errorf("after a calm gap and a shorter anxious stretch: summary %s, want angry still", got)
	}
}
