package asr

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidateNamesTheKeyAtFault(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	for _, tc := range []struct {
		key    string
		modify func(*Config)
	}{
		{"asr.engine", func(c *Config) { c.Engine = "whisper" }},
		{"asr.max_streams", func(c *Config) { c.MaxStreams = 0 }},
		{"asr.domain_weight", func(c *Config) { c.DomainWeight = 1.5 }},
		{"asr.end_silence_complete", func(c *Config) { c.EndSilenceComplete = time.Second }},
		{"asr.vosk_url", func(c *Config) { c.Engine = "vosk"; c.VoskURL = "http://x" }},
		{"asr.warm_decoders", func(c *Config) { c.WarmDecoders = 99 }},
	} {
		c := DefaultConfig()
		tc.modify(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: error %v does not name the key", tc.key, err)
		}
	}
}

func TestPhoneBandAudioIsDetectedWhateverItsRate(t *testing.T) {
	wide := make([]int16, 16000)
	narrow := make([]int16, 16000)
	for i := range wide {
		x := float64(i) / 16000
		wide[i] = int16(5000*sin(2*3.14159*1000*x) + 3000*sin(2*3.14159*6000*x))
		narrow[i] = int16(5000*sin(2*3.14159*1000*x) + 3000*sin(2*3.14159*3000*x))
	}
	if Narrowband(wide) {
		t.Error("audio with a 6 kHz tone taken for phone band")
	}
	if !Narrowband(narrow) {
		t.Error("audio under 3.4 kHz not taken for phone band")
	}
}
