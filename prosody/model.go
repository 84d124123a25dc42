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
// logistic regression, L2 0.2 on standardised features; TestEvalEmotion prints them). Leave-one-speaker-out
// figures are in the eval output.
func DefaultModel() Model {
	return Model{
		Arousal: []float64{-1.185, 0.126, -0.009, 0.472, -0.185, 0.034, 0.607, 0.291, 0.591, -0.073, 0.319, 0.168, 0.037},
		Anger:   []float64{-2.023, 0.100, 0.013, 0.021, -0.286, -0.055, 0.796, -0.524, 1.425, -0.200, 0.466, 0.120, 0.448},
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
