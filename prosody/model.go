package prosody

import "fmt"

// Model holds the weights that turn the prosodic deviation from the baseline (Deviation.vector order: pitch level
// in semitones, pitch range, pitch movement, loudness, loudness variability, tilt, rate, voiced share, aperiodicity, attack, crest, voiced stretch length) into
// arousal (a logistic) and anger-versus-anxiety (another logistic). The defaults were fitted on EmoDB (see the
// eval test); a configuration may replace them.
type Model struct {
	// arousal: bias then one weight per deviation feature.
	Arousal []float64 `yaml:"arousal"`
	// anger: bias then one weight per deviation feature; positive means angry rather than anxious.
	Anger []float64 `yaml:"anger"`
}

// DefaultModel returns the weights fitted on all 192 scored EmoDB clips through the phone line (class-balanced
// logistic regression, L2 0.2 on standardised features, TestEvalEmotion prints them); leave-one-speaker-out figures are in the eval output.
func DefaultModel() Model {
	return Model{
		Arousal: []float64{-1.197, 0.125, 0.001, 0.480, -0.191, 0.035, 0.603, 0.262, 0.556, -0.069, 0.322, 0.169, 0.048},
		Anger:   []float64{-2.163, 0.106, 0.044, 0.081, -0.291, -0.051, 0.786, -0.510, 1.350, -0.216, 0.472, 0.121, 0.437},
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
