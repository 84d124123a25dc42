package prosody

import "fmt"

// Model holds the weights that turn the prosodic deviation from the baseline (Deviation order: pitch level in
// semitones, pitch range, pitch movement, loudness, loudness variability, tilt, rate, voiced share, aperiodicity,
// attack, crest, voiced stretch length, the window's own tilt, tilt of its louder half, F0 perturbation, level
// perturbation, level decay, the window's own HF) into arousal (a logistic) and anger-versus-anxiety (another logistic). The defaults
// were fitted on EmoDB (see the eval test); a configuration may replace them.
type Model struct {
	// arousal: bias then one weight per deviation feature.
	Arousal []float64 `yaml:"arousal"`
	// anger: bias then one weight per deviation feature; positive means angry rather than anxious.
	Anger []float64 `yaml:"anger"`
}

// DefaultModel returns the weights fitted on all 192 scored EmoDB clips through the phone line (class-balanced
// logistic regression on whole-clip deviations, L2 0.05 on standardised features, Newton's method;
// TestEvalEmotion prints them). Leave-one-speaker-out figures are in the eval output.
func DefaultModel() Model {
	return Model{
		Arousal: []float64{0.290, 0.159, -0.041, 0.587, -0.330, 0.096, 0.509, 0.401, 0.934, -0.426, 0.042, 0.011, 0.198, 0.648, 0.246, 0.196, 0.917, 0.525, 0.940},
		Anger:   []float64{-0.018, 0.105, 0.117, -0.161, -0.658, -0.132, 0.493, -0.867, 1.077, -0.275, 0.823, 0.047, 0.523, 0.921, 1.054, -0.382, -1.368, 0.790, -0.323},
	}
}

func (m Model) validate() error {
	if len(m.Arousal) != nFeatures+1 {
		return fmt.Errorf("prosody: model.arousal has %d weights, want %d (bias and %d features)", len(m.Arousal), nFeatures+1, nFeatures)
	}
	if len(m.Anger) != nFeatures+1 {
		return fmt.Errorf("prosody: model.anger has %d weights, want %d (bias and %d features)", len(m.Anger), nFeatures+1, nFeatures)
	}
	for _, w := range append(append([]float64(nil), m.Arousal...), m.Anger...) {
		if w != w || w > 1e6 || w < -1e6 {
			return fmt.Errorf("prosody: model weight %g is not a usable number", w)
		}
	}
	return nil
}
