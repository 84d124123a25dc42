package quality

import (
	"fmt"
	"time"
)

// Config is the `quality:` section of the configuration file.
type Config struct {
	// SilenceGap: a stretch where neither party speaks counts as non-talk time when it lasts at least this ("3s").
	SilenceGap time.Duration `yaml:"silence_gap"`
	// SilenceAlert: a silence this long raises a long_silence alert while it lasts ("10s"; 0: never).
	SilenceAlert time.Duration `yaml:"silence_alert"`
	// MinInterruption: speaking over the other party counts as an interruption once the newcomer has kept on
	// this long ("300ms"); shorter overlaps ("mm-hm") are back-channel, not interruptions.
	MinInterruption time.Duration `yaml:"min_interruption"`
	// TurnGap: a pause shorter than this does not end a party's turn, on top of the VAD's own hangover ("0s":
	// the VAD's hangover decides). Raise it when a VAD without hangover feeds Frame.
	TurnGap time.Duration `yaml:"turn_gap"`
	// OvertalkAlert: both parties speaking at once this long raises an overtalk alert ("2s"; 0: never).
	OvertalkAlert time.Duration `yaml:"overtalk_alert"`
	// HoldAlert: a hold this long raises a long_hold alert ("60s"; 0: never).
	HoldAlert time.Duration `yaml:"hold_alert"`
	// WPMHigh and WPMLow: the agent's talk speed over the last SpeedWindow of their talk outside this range
	// raises a fast_speech or slow_speech alert (190 and 90 words per minute; 0: never).
	WPMHigh float64 `yaml:"wpm_high"`
	WPMLow  float64 `yaml:"wpm_low"`
	// SpeedWindow: how much of the agent's recent talk time the live speed is measured over ("20s").
	SpeedWindow time.Duration `yaml:"speed_window"`
	// PhrasesFile: a YAML list of risky phrases [{kind, phrase, suggestion}] replacing the built-in lists
	// ("": built-in promise, prohibited and taboo lists, see DefaultPhrases).
	PhrasesFile string `yaml:"phrases_file"`
	// Phrases: extra risky phrases added to the built-in (or file's) lists ([]).
	Phrases []PhraseRule `yaml:"phrases"`
	// EmotionWords: the agent's words that show irritation ("frustrating", "calm down", …; the built-in list
	// when empty).
	EmotionWords []string `yaml:"emotion_words"`
	// DTMFHold: the recording stays silenced this long after the last keyed digit ("3s").
	DTMFHold time.Duration `yaml:"dtmf_hold"`
}

// DefaultConfig returns the defaults listed on Config's fields.
func DefaultConfig() Config {
	return Config{
		SilenceGap:      3 * time.Second,
		SilenceAlert:    10 * time.Second,
		MinInterruption: 300 * time.Millisecond,
		OvertalkAlert:   2 * time.Second,
		HoldAlert:       60 * time.Second,
		WPMHigh:         190,
		WPMLow:          90,
		SpeedWindow:     20 * time.Second,
		DTMFHold:        3 * time.Second,
	}
}

// Validate names the key at fault.
func (c Config) Validate() error {
	if c.SilenceGap < 10*time.Millisecond {
		return fmt.Errorf("quality.silence_gap: %s must be at least 10ms", c.SilenceGap)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"silence_alert", c.SilenceAlert}, {"min_interruption", c.MinInterruption}, {"turn_gap", c.TurnGap},
		{"overtalk_alert", c.OvertalkAlert}, {"hold_alert", c.HoldAlert}, {"dtmf_hold", c.DTMFHold}} {
		if d.v < 0 {
			return fmt.Errorf("quality.%s: %s must not be negative", d.key, d.v)
		}
	}
	if c.WPMHigh < 0 || c.WPMLow < 0 || (c.WPMHigh > 0 && c.WPMLow >= c.WPMHigh) {
		return fmt.Errorf("quality.wpm_low/wpm_high: %v/%v must be 0 or 0 < low < high", c.WPMLow, c.WPMHigh)
	}
	if c.SpeedWindow < time.Second {
		return fmt.Errorf("quality.speed_window: %s must be at least 1s", c.SpeedWindow)
	}
	for i, p := range c.Phrases {
		if normalize(p.Phrase) == "" || p.Kind == "" {
			return fmt.Errorf("quality.phrases[%d]: kind and phrase must not be empty", i)
		}
	}
	return nil
}

// rules returns the phrase rules the configuration asks for.
func (c Config) rules() ([]PhraseRule, error) {
	base := DefaultPhrases()
	if c.PhrasesFile != "" {
		var err error
		if base, err = LoadPhrases(c.PhrasesFile); err != nil {
			return nil, err
		}
	}
	return append(base, c.Phrases...), nil
}
