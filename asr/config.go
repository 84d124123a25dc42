package asr

import (
	"fmt"
	"net/url"
	"time"
)

// Config is the asr section of the configuration file.
type Config struct {
	// Engine is "pocketsphinx" (embedded, in-process; the default) or "vosk" (a Vosk-server-compatible service).
	Engine string `yaml:"engine"`
	// ModelDir holds Debian's PocketSphinx en-us model: en-us/ (acoustic model), en-us.lm.bin and
	// cmudict-en-us.dict. Default /usr/share/pocketsphinx/model/en-us (package pocketsphinx-en-us).
	ModelDir string `yaml:"model_dir"`
	// Domain makes call streams use the domain model generated from the knowledge base (true).
	Domain bool `yaml:"domain"`
	// DomainWeight is the domain model's share when interpolated with the general one, 0..1 (0.5).
	DomainWeight float64 `yaml:"domain_weight"`
	// Vocabulary is how many of the general model's most likely words the embedded engine searches, besides every
	// word of the domain model (10000; 0 searches all 134,000 words of Debian's dictionary, several times slower).
	Vocabulary int `yaml:"vocabulary"`
	// MaxStreams bounds concurrent streams (decoders, about 60 MB each) of the embedded engine; beyond it
	// NewStream returns ErrBusy (4: a stream takes about 0.11–0.15 CPU-seconds per second of speech here, and six
	// real-time streams are the most 2 cores keep up with; four leave room for synthesis, prosody and media).
	MaxStreams int `yaml:"max_streams"`
	// BusyWait is how long a new stream waits for a decoder when all max_streams are in use before NewStream
	// returns ErrBusy (3s): a call ending as another starts frees one a moment later.
	BusyWait time.Duration `yaml:"busy_wait"`
	// WarmDecoders are loaded at start and kept spare so a new call does not wait for a model load (1).
	WarmDecoders int `yaml:"warm_decoders"`
	// EndSilenceComplete is the trailing silence that ends a turn when the words so far read as a complete
	// request (300ms).
	EndSilenceComplete time.Duration `yaml:"end_silence_complete"`
	// EndSilence is the trailing silence that ends a turn otherwise (700ms).
	EndSilence time.Duration `yaml:"end_silence"`
	// MaxUtterance forces a final result after this much speech without a pause (15s).
	MaxUtterance time.Duration `yaml:"max_utterance"`
	// PartialInterval is how often partial results are produced while the caller speaks (200ms).
	PartialInterval time.Duration `yaml:"partial_interval"`
	// SpeechThresholdDB is how far above the tracked noise floor a frame must be to count as speech (9).
	SpeechThresholdDB float64 `yaml:"speech_threshold_db"`
	// QueueFrames is the depth of each stream's frame queue; a full queue drops frames (100, 2 s of 20 ms).
	QueueFrames int `yaml:"queue_frames"`
	// DecoderArgs are extra PocketSphinx arguments for engineers trading accuracy for speed, given after
	// hotline's own so they override them. ["-maxhmmpf", "3000", "-pl_window", "10"] took 26% less CPU here,
	// with phone-line general-model WER unchanged but wideband and domain-model WER 5–11 points worse ([]).
	DecoderArgs []string `yaml:"decoder_args"`
	// VoskURL is the WebSocket address of the Vosk-compatible server for engine "vosk" ("ws://127.0.0.1:2700").
	VoskURL string `yaml:"vosk_url"`
	// VoskTimeout bounds connecting and each wait for the server's reply (5s).
	VoskTimeout time.Duration `yaml:"vosk_timeout"`
	// VoskRetries is how many times a stream reconnects after losing the server before it gives up with
	// ErrUnavailable (2).
	VoskRetries int `yaml:"vosk_retries"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Engine:             "pocketsphinx",
		ModelDir:           "/usr/share/pocketsphinx/model/en-us",
		Domain:             true,
		DomainWeight:       0.5,
		Vocabulary:         10000,
		MaxStreams:         4,
		WarmDecoders:       1,
		BusyWait:           3 * time.Second,
		EndSilenceComplete: 300 * time.Millisecond,
		EndSilence:         700 * time.Millisecond,
		MaxUtterance:       15 * time.Second,
		PartialInterval:    200 * time.Millisecond,
		SpeechThresholdDB:  9,
		QueueFrames:        100,
		VoskURL:            "ws://127.0.0.1:2700",
		VoskTimeout:        5 * time.Second,
		VoskRetries:        2,
	}
}

// Validate reports the first invalid value, naming the key.
func (c Config) Validate() error {
	switch c.Engine {
	case "pocketsphinx", "vosk":
	default:
		return fmt.Errorf("asr.engine %q: not pocketsphinx or vosk", c.Engine)
	}
	if c.Engine == "pocketsphinx" && c.ModelDir == "" {
		return fmt.Errorf("asr.model_dir: must not be empty")
	}
	if c.DomainWeight < 0 || c.DomainWeight >= 1 {
		return fmt.Errorf("asr.domain_weight %g: must be in [0, 1)", c.DomainWeight)
	}
	if c.Vocabulary < 0 || (c.Vocabulary > 0 && c.Vocabulary < 500) {
		return fmt.Errorf("asr.vocabulary %d: must be 0 (all words) or at least 500", c.Vocabulary)
	}
	if c.MaxStreams < 1 || c.MaxStreams > 1000 {
		return fmt.Errorf("asr.max_streams %d: must be 1..1000", c.MaxStreams)
	}
	if c.WarmDecoders < 0 || c.WarmDecoders > c.MaxStreams {
		return fmt.Errorf("asr.warm_decoders %d: must be 0..max_streams (%d)", c.WarmDecoders, c.MaxStreams)
	}
	if c.BusyWait < 0 || c.BusyWait > time.Minute {
		return fmt.Errorf("asr.busy_wait %s: must be 0..1m", c.BusyWait)
	}
	if c.EndSilenceComplete < 100*time.Millisecond || c.EndSilenceComplete > c.EndSilence {
		return fmt.Errorf("asr.end_silence_complete %s: must be 100ms..end_silence (%s)", c.EndSilenceComplete, c.EndSilence)
	}
	if c.EndSilence > 10*time.Second {
		return fmt.Errorf("asr.end_silence %s: must be at most 10s", c.EndSilence)
	}
	if c.MaxUtterance < time.Second {
		return fmt.Errorf("asr.max_utterance %s: must be at least 1s", c.MaxUtterance)
	}
	if c.PartialInterval < 20*time.Millisecond {
		return fmt.Errorf("asr.partial_interval %s: must be at least 20ms", c.PartialInterval)
	}
	if c.SpeechThresholdDB < 1 || c.SpeechThresholdDB > 40 {
		return fmt.Errorf("asr.speech_threshold_db %g: must be 1..40", c.SpeechThresholdDB)
	}
	if c.QueueFrames < 1 {
		return fmt.Errorf("asr.queue_frames %d: must be at least 1", c.QueueFrames)
	}
	if c.Engine == "vosk" {
		u, err := url.Parse(c.VoskURL)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			return fmt.Errorf("asr.vosk_url %q: not a ws:// or wss:// URL", c.VoskURL)
		}
	}
	if c.VoskTimeout <= 0 {
		return fmt.Errorf("asr.vosk_timeout %s: must be positive", c.VoskTimeout)
	}
	if c.VoskRetries < 0 {
		return fmt.Errorf("asr.vosk_retries %d: must not be negative", c.VoskRetries)
	}
	return nil
}
