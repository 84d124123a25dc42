package callflow

import (
	"errors"
	"fmt"
	"time"
)

// Config is the `call` section of the configuration: what every answered call does around the bot and the queue.
type Config struct {
	// announcement: said first on every answered call; "" says nothing.
	Announcement string `yaml:"announcement"`
	// record: write a stereo WAV per call under DATA/recordings (caller left, hotline/agent right) (false).
	Record bool `yaml:"record"`
	// no_bot: send every call straight to the agent queue after the announcement (false).
	NoBot bool `yaml:"no_bot"`
	// fallback_refer: a SIP URI to blind-transfer (REFER) a call to when no agent can take it ("": none).
	FallbackRefer string `yaml:"fallback_refer"`
	// no_agents: said before hanging up when no agent (and no fallback_refer) can take the call.
	NoAgents string `yaml:"no_agents"`
	// back_to_bot: said when the queue's overflow policy sends the caller back to the bot.
	BackToBot string `yaml:"back_to_bot"`
	// back_to_bot_again: said instead of back_to_bot when the caller was sent back to the bot before on this call.
	BackToBotAgain string `yaml:"back_to_bot_again"`
	// back_to_bot_closed: said instead of back_to_bot outside agents.business_hours.
	BackToBotClosed string `yaml:"back_to_bot_closed"`
	// drain_timeout: on SIGTERM, how long current calls may go on before they are hung up ("60s").
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// voicemail: how a message is taken when no agent can take the call and agents.overflow is voicemail.
	Voicemail VoicemailConfig `yaml:"voicemail"`
}

// VoicemailConfig is how the caller leaves a message (agents.overflow: voicemail). Messages are mono 8 kHz WAV
// files under DATA/voicemail, named by call ID; the call record's voicemail block points at the file, and the
// message's words are in its transcript.
type VoicemailConfig struct {
	// prompt: said before the tone.
	Prompt string `yaml:"prompt"`
	// thanks: said after a message was recorded, before hanging up.
	Thanks string `yaml:"thanks"`
	// max_length: the longest message; the recording stops there ("2m").
	MaxLength time.Duration `yaml:"max_length"`
	// end_silence: this long a silence after the caller has spoken ends the message; a caller who says nothing
	// for twice as long after the tone leaves no message ("5s").
	EndSilence time.Duration `yaml:"end_silence"`
}

// DefaultConfig is the call section `hotline serve` runs with when the file has none.
func DefaultConfig() Config {
	return Config{
		Announcement: "You are speaking with an automated assistant. This call may be recorded.",
		NoAgents:     "I'm sorry, none of our colleagues can take your call right now. Please call again later. Goodbye.",
		BackToBot:    "I'm sorry, all our colleagues are busy. Let me try to help you myself in the meantime.",
		BackToBotAgain: "I'm sorry, there is still no colleague free to take your call. You can call again later, " +
			"or ask me anything else.",
		BackToBotClosed: "I'm sorry, our colleagues are not available at this time. Please call again during our " +
			"opening hours. Until then, let me try to help you myself.",
		DrainTimeout: 60 * time.Second,
		Voicemail: VoicemailConfig{
			Prompt: "I'm sorry, none of our colleagues can take your call right now. Please leave your name, " +
				"your number and your message after the tone, and press the hash key when you have finished.",
			Thanks:     "Thank you, your message has been recorded. A colleague will call you back. Goodbye.",
			MaxLength:  2 * time.Minute,
			EndSilence: 5 * time.Second,
		},
	}
}

// Validate names the key at fault (relative to the section).
func (c Config) Validate() error {
	if c.DrainTimeout < 0 {
		return errors.New("drain_timeout: must not be negative")
	}
	if v := c.Voicemail.MaxLength; v < time.Second || v > time.Hour {
		return fmt.Errorf("voicemail.max_length: %s is not between 1s and 1h", v)
	}
	if v := c.Voicemail.EndSilence; v < 500*time.Millisecond || v > time.Minute {
		return fmt.Errorf("voicemail.end_silence: %s is not between 500ms and 1m", v)
	}
	return nil
}
