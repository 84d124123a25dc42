// Package config is hotline's configuration file: one YAML document whose sections are the Config types of the
// packages that do the work (sip, media, asr, dialog, agentbridge, store, …). It exists so that `hotline serve` and
// every other subcommand read the same file the same way — defaults first, then the file, strictly (an unknown
// key is an error naming the file and line), then validation that names the key at fault. It owns no behaviour.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole file. Each field's comment gives its key and default; the README lists them all.
type Config struct {
	// data_dir: where the database, recordings, the API token and logs of unanswered questions live ("./data").
	DataDir string `yaml:"data_dir"`
	// log: level (debug, info, warn, error; "info") and format (text or json; "text").
	Log LogConfig `yaml:"log"`
	// http: the web side (softphone, API, metrics).
	HTTP HTTPConfig `yaml:"http"`
	// call: what every answered call does before the bot or the queue takes it.
	Call CallConfig `yaml:"call"`

	sections `yaml:",inline"`
}

// LogConfig sets the slog handler.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug | info | warn | error ("info")
	Format string `yaml:"format"` // text | json ("text")
}

// HTTPConfig is the web listener.
type HTTPConfig struct {
	Addr string `yaml:"addr"` // listen address ("127.0.0.1:8080")
	// allowed_origins: extra Origin values accepted on WebSockets besides the page's own host ([]).
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// CallConfig is the per-call behaviour around the bot.
type CallConfig struct {
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
	DrainTimeout Duration `yaml:"drain_timeout"`
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
	MaxLength Duration `yaml:"max_length"`
	// end_silence: this long a silence after the caller has spoken ends the message; a caller who says nothing
	// for twice as long after the tone leaves no message ("5s").
	EndSilence Duration `yaml:"end_silence"`
}

// Duration is a time.Duration written as a Go duration string ("18s") in the file.
type Duration time.Duration

// UnmarshalYAML reads "1m30s"-style strings.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 18s or 1m30s", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Default returns the configuration `hotline serve` runs with when no file is given.
func Default() Config {
	c := Config{
		DataDir: "./data",
		Log:     LogConfig{Level: "info", Format: "text"},
		HTTP:    HTTPConfig{Addr: "127.0.0.1:8080"},
		Call: CallConfig{
			Announcement: "You are speaking with an automated assistant. This call may be recorded.",
			NoAgents:     "I'm sorry, none of our colleagues can take your call right now. Please call again later. Goodbye.",
			BackToBot:    "I'm sorry, all our colleagues are busy. Let me try to help you myself in the meantime.",
			BackToBotAgain: "I'm sorry, there is still no colleague free to take your call. You can call again later, " +
				"or ask me anything else.",
			BackToBotClosed: "I'm sorry, our colleagues are not available at this time. Please call again during our " +
				"opening hours. Until then, let me try to help you myself.",
			DrainTimeout: Duration(60 * time.Second),
			Voicemail: VoicemailConfig{
				Prompt: "I'm sorry, none of our colleagues can take your call right now. Please leave your name, " +
					"your number and your message after the tone, and press the hash key when you have finished.",
				Thanks:     "Thank you, your message has been recorded. A colleague will call you back. Goodbye.",
				MaxLength:  Duration(2 * time.Minute),
				EndSilence: Duration(5 * time.Second),
			},
		},
	}
	c.sections = defaultSections()
	return c
}

// Load reads path over the defaults. An empty path gives the defaults. Errors name the file and, where the YAML
// decoder knows it, the line.
func Load(path string) (Config, error) {
	c := Default()
	if path == "" {
		return c, c.Validate()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if err := Decode(bytes.NewReader(data), &c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Decode reads YAML from r into c strictly: unknown keys are errors.
func Decode(r io.Reader, c *Config) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Validate checks every section and names the key at fault.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("data_dir: must not be empty")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("log.format: %q is not text or json", c.Log.Format)
	}
	if c.HTTP.Addr == "" {
		return errors.New("http.addr: must not be empty")
	}
	if c.Call.DrainTimeout < 0 {
		return errors.New("call.drain_timeout: must not be negative")
	}
	if v := time.Duration(c.Call.Voicemail.MaxLength); v < time.Second || v > time.Hour {
		return fmt.Errorf("call.voicemail.max_length: %s is not between 1s and 1h", v)
	}
	if v := time.Duration(c.Call.Voicemail.EndSilence); v < 500*time.Millisecond || v > time.Minute {
		return fmt.Errorf("call.voicemail.end_silence: %s is not between 500ms and 1m", v)
	}
	return c.sections.validate()
}

// Path resolves p against the data directory unless it is absolute.
func (c Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.DataDir, p)
}
