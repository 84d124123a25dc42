package dialog

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidationNamesTheKey(t *testing.T) {
	cases := []struct {
		key    string
		modify func(*Config)
	}{
		{"dialog.min_confidence", func(c *Config) { c.MinConfidence = 1.5 }},
		{"dialog.confirm_confidence", func(c *Config) { c.ConfirmConfidence = 0.9 }},
		{"dialog.max_misunderstandings", func(c *Config) { c.MaxMisunderstandings = 0 }},
		{"dialog.angry_level", func(c *Config) { c.AngryLevel = 4 }},
		{"dialog.rising_turns", func(c *Config) { c.RisingTurns = 1 }},
		{"dialog.phrases.confirm", func(c *Config) { c.Phrases.Confirm = "Is that right?" }},
		{"dialog.empathy.apologise_first.bot", func(c *Config) { c.Empathy = map[string]StrategyPhrases{} }},
		{"dialog.speech.voice", func(c *Config) { c.Speech.Voice = "hal9000" }},
		{"dialog.turn_taking.barge_in.min_speech", func(c *Config) { c.TurnTaking.BargeIn.MinSpeech = 0 }},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.modify(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: got %v", tc.key, err)
		}
	}
}

func TestConfigReadsFromYAMLOverDefaults(t *testing.T) {
	c := DefaultConfig()
	src := "min_confidence: 0.5\nspeech:\n  voice: kal16\nturn_taking:\n  barge_in:\n    min_speech: 300ms\nsensitive_topics:\n  illness: [sick]\n"
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if c.MinConfidence != 0.5 || c.Speech.Voice != "kal16" || c.TurnTaking.BargeIn.MinSpeech.Milliseconds() != 300 ||
		c.Phrases.Greeting == "" || c.Speech.CacheEntries != 512 {
		t.Fatalf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
