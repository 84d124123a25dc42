package prosody

import "fmt"

// Model holds the weights that turn the prosodic deviation from the baseline (Deviation order: pitch level in
// semitones, pitch range, pitch movement, loudness, loudness variability, tilt, rate, voiced share, aperiodicity,
// attack, crest, voiced stretch length, the window's own tilt, tilt of its louder half, F0 perturbation, level
// perturbation, level decay) into arousal (a logistic) and anger-versus-anxiety (another logistic). The defaults
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
		Arousal: []float64{0.673, 0.173, -0.035, 0.594, -0.362, 0.092, 0.619, 0.321, 0.662, -0.417, 0.064, 0.041, 0.319, 0.812, 0.239, 0.283, 0.904, 0.525},
		Anger:   []float64{-0.292, 0.107, 0.114, -0.142, -0.653, -0.132, 0.453, -0.839, 1.209, -0.279, 0.791, 0.035, 0.472, 0.862, 1.053, -0.409, -1.318, 0.782},
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
