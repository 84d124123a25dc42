package prosody

import "fmt"

// Model holds the weights that turn the prosodic deviation from the baseline (Deviation.vector order: pitch level
// in semitones, pitch range, pitch movement, loudness, loudness variability, tilt, rate, voiced share, aperiodicity) into
// arousal (a logistic) and anger-versus-anxiety (another logistic). The defaults were fitted on EmoDB (see the
// eval test); a configuration may replace them.
type Model struct {
	// arousal: bias then one weight per deviation feature.
	Arousal []float64 `yaml:"arousal"`
	// anger: bias then one weight per deviation feature; positive means angry rather than anxious.
	Anger []float64 `yaml:"anger"`
}

// DefaultModel returns the weights fitted on all 192 scored EmoDB clips through the phone line (class-balanced
// L2 logistic regression, TestEvalEmotion prints them); leave-one-speaker-out figures are in the eval output.
func DefaultModel() Model {
	return Model{
		Arousal: []float64{-1.993, 0.226, -0.017, 0.714, -0.362, 0.065, 1.109, 0.504, 0.497, -0.255},
		Anger:   []float64{-3.512, 0.142, 0.074, 0.122, -0.606, -0.083, 1.475, -0.208, 1.965, -0.595},
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
