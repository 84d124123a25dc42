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
		Arousal: []float64{0.296, 0.159, -0.042, 0.585, -0.329, 0.096, 0.510, 0.395, 0.903, -0.426, 0.040, 0.014, 0.207, 0.648, 0.247, 0.195, 0.924, 0.525, 0.939},
		Anger:   []float64{-0.045, 0.108, 0.117, -0.153, -0.661, -0.132, 0.487, -0.866, 1.075, -0.258, 0.825, 0.051, 0.531, 0.916, 1.052, -0.368, -1.422, 0.796, -0.327},
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
