package prosody

import (
	"fmt"
	"time"
)

// Config tunes the frame analysis and the emotion estimator. The zero value is not useful: start from
// DefaultConfig. Every field is a key of the `prosody:` section of the configuration file.
type Config struct {
	// f0_min_hz: lowest pitch searched, in Hz (60). At least 40.
	F0MinHz float64 `yaml:"f0_min_hz"`
	// f0_max_hz: highest pitch searched, in Hz (500). At most 1000.
	F0MaxHz float64 `yaml:"f0_max_hz"`
	// voicing_threshold: a frame is voiced when its aperiodicity (YIN's normalised difference at the chosen
	// period, 0 = perfectly periodic, 1 = noise) is below this (0.3); a frame following a voiced one gets
	// voicing_hysteresis more.
	VoicingThreshold float64 `yaml:"voicing_threshold"`
	// voicing_hysteresis: added to voicing_threshold while voicing continues (0.1).
	VoicingHysteresis float64 `yaml:"voicing_hysteresis"`
	// min_speech_db: frames quieter than this RMS dBFS are never speech nor voiced (-55); it keeps comfort noise out.
	MinSpeechDB float64 `yaml:"min_speech_db"`
	// vad_margin_db: speech must be this many dB above the tracked noise floor (9).
	VADMarginDB float64 `yaml:"vad_margin_db"`
	// vad_hangover: voice activity stays on this long after the last speech frame ("200ms").
	VADHangover time.Duration `yaml:"vad_hangover"`

	// baseline_speech: when no baseline is set, this much of the caller's first speech becomes it ("3s").
	BaselineSpeech time.Duration `yaml:"baseline_speech"`
	// window: the stretch of recent audio the estimator looks at ("2s").
	Window time.Duration `yaml:"window"`
	// update_interval: how often the estimate and the timeline are updated ("250ms"; the timeline has one point
	// per update).
	UpdateInterval time.Duration `yaml:"update_interval"`
	// min_voiced: the least voiced audio in the window for a prosodic estimate ("300ms"); with less, the estimate
	// relaxes towards calm.
	MinVoiced time.Duration `yaml:"min_voiced"`
	// switch_updates: a new state must win this many consecutive updates before it is reported (2): hysteresis.
	SwitchUpdates int `yaml:"switch_updates"`
	// agitated_enter / agitated_leave: arousal above enter makes the state agitated (angry or anxious); it stays
	// so until arousal falls below leave (0.55 / 0.45).
	AgitatedEnter float64 `yaml:"agitated_enter"`
	AgitatedLeave float64 `yaml:"agitated_leave"`
	// lexicon_file: a weighted emotion lexicon (TSV: word, category, weight; see lexicon.tsv) replacing the
	// embedded English and Chinese one ("": embedded).
	LexiconFile string `yaml:"lexicon_file"`
	// word_half_life: how fast the weight of emotional words fades ("15s").
	WordHalfLife time.Duration `yaml:"word_half_life"`
	// max_triggers: the report keeps at most this many trigger moments, the latest (50).
	MaxTriggers int `yaml:"max_triggers"`
	// model: the weights turning prosodic deviations into arousal and anger-versus-anxiety (fitted on EmoDB;
	// the defaults are in model.go). Leave unset to use them.
	Model Model `yaml:"model"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		F0MinHz:           60,
		F0MaxHz:           500,
		VoicingThreshold:  0.3,
		VoicingHysteresis: 0.1,
		MinSpeechDB:       -55,
		VADMarginDB:       9,
		VADHangover:       200 * time.Millisecond,
		BaselineSpeech:    3 * time.Second,
		Window:            2 * time.Second,
		UpdateInterval:    250 * time.Millisecond,
		MinVoiced:         300 * time.Millisecond,
		SwitchUpdates:     2,
		AgitatedEnter:     0.55,
		AgitatedLeave:     0.45,
		WordHalfLife:      15 * time.Second,
		MaxTriggers:       50,
		Model:             DefaultModel(),
	}
}

// Validate reports the first key with an unusable value.
func (c Config) Validate() error {
	switch {
	case !(c.F0MinHz >= 40):
		return fmt.Errorf("prosody: f0_min_hz %g: must be at least 40", c.F0MinHz)
	case !(c.F0MaxHz <= 1000) || !(c.F0MaxHz >= 2*c.F0MinHz):
		return fmt.Errorf("prosody: f0_max_hz %g: must be at most 1000 and at least twice f0_min_hz (%g)", c.F0MaxHz, c.F0MinHz)
	case !(c.VoicingThreshold > 0 && c.VoicingThreshold < 1):
		return fmt.Errorf("prosody: voicing_threshold %g: must be between 0 and 1", c.VoicingThreshold)
	case !(c.VoicingHysteresis >= 0 && c.VoicingHysteresis < 1):
		return fmt.Errorf("prosody: voicing_hysteresis %g: must be in [0, 1)", c.VoicingHysteresis)
	case !(c.MinSpeechDB > -100 && c.MinSpeechDB < 0):
		return fmt.Errorf("prosody: min_speech_db %g: must be between -100 and 0", c.MinSpeechDB)
	case !(c.VADMarginDB >= 0 && c.VADMarginDB <= 40):
		return fmt.Errorf("prosody: vad_margin_db %g: must be in [0, 40]", c.VADMarginDB)
	case c.VADHangover < 0 || c.VADHangover > 5*time.Second:
		return fmt.Errorf("prosody: vad_hangover %s: must be in [0, 5s]", c.VADHangover)
	case c.BaselineSpeech < 500*time.Millisecond:
		return fmt.Errorf("prosody: baseline_speech %s: must be at least 500ms", c.BaselineSpeech)
	case c.Window < 500*time.Millisecond || c.Window > time.Minute:
		return fmt.Errorf("prosody: window %s: must be in [500ms, 1m]", c.Window)
	case c.UpdateInterval < 10*time.Millisecond || c.UpdateInterval > 10*time.Second:
		return fmt.Errorf("prosody: update_interval %s: must be in [10ms, 10s]", c.UpdateInterval)
	case c.MinVoiced < 50*time.Millisecond || c.MinVoiced > c.Window:
		return fmt.Errorf("prosody: min_voiced %s: must be at least 50ms and at most window (%s)", c.MinVoiced, c.Window)
	case c.SwitchUpdates < 1 || c.SwitchUpdates > 100:
		return fmt.Errorf("prosody: switch_updates %d: must be in [1, 100]", c.SwitchUpdates)
	case !(c.AgitatedLeave > 0 && c.AgitatedLeave <= c.AgitatedEnter && c.AgitatedEnter < 1):
		return fmt.Errorf("prosody: agitated_enter %g / agitated_leave %g: need 0 < leave <= enter < 1", c.AgitatedEnter, c.AgitatedLeave)
	case c.WordHalfLife <= 0:
		return fmt.Errorf("prosody: word_half_life %s: must be positive", c.WordHalfLife)
	case c.MaxTriggers < 1:
		return fmt.Errorf("prosody: max_triggers %d: must be at least 1", c.MaxTriggers)
	}
	return c.Model.validate()
}
