package dialog

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config is the dialogue's configuration (the `dialog:` section of the hotline configuration file). Durations
// are Go durations in the file ("300ms").
type Config struct {
	// kb_file: the knowledge-base YAML to use; "" uses the embedded sample (a telecom operator's hotline). A relative
	// path is resolved by the caller against the working directory.
	KBFile string `yaml:"kb_file"`
	// kb_reload_interval: how often the knowledge-base file is checked for changes ("1s"); 0 turns reloading off.
	KBReloadInterval time.Duration `yaml:"kb_reload_interval"`

	// min_confidence: below this match confidence the bot does not answer but asks the caller to rephrase (0.40).
	MinConfidence float64 `yaml:"min_confidence"`
	// confirm_confidence: between this and min_confidence the bot asks "Is this about …?" before answering (0.25).
	// Set it equal to min_confidence to never confirm.
	ConfirmConfidence float64 `yaml:"confirm_confidence"`
	// asr_confidence_weight: how much the recogniser's own confidence (0..1) lowers the match confidence:
	// confidence × (1 − w + w × asr_conf) (0.3). Utterances with a negative asr confidence are taken as typed text.
	ASRConfidenceWeight float64 `yaml:"asr_confidence_weight"`
	// max_misunderstandings: misunderstood caller turns in a row before the call goes to an agent with reason
	// not_understood (2). The first asks the caller to rephrase.
	MaxMisunderstandings int `yaml:"max_misunderstandings"`
	// max_no_input: silent timeouts in a row before the bot says goodbye and hangs up (2).
	MaxNoInput int `yaml:"max_no_input"`

	// Emotion escalation (from the prosody emotion report of each caller turn).
	// angry_level: anger at or above this level on one turn escalates after an empathy turn (2).
	AngryLevel int `yaml:"angry_level"`
	// anxious_level: anxiety at or above this level on anxious_turns caller turns in a row escalates (2).
	AnxiousLevel int `yaml:"anxious_level"`
	// anxious_turns: see anxious_level (2).
	AnxiousTurns int `yaml:"anxious_turns"`
	// rising_turns: a non-calm level that rises on this many caller turns in a row escalates (3); 0 turns it off.
	RisingTurns int `yaml:"rising_turns"`

	// Phrases. Every phrase is spoken on the phone: keep them short and polite.
	Phrases Phrases `yaml:"phrases"`
	// empathy: what the bot says to acknowledge a feeling before handing over, by strategy id (apologise_first,
	// step_by_step, reassure); also the suggested first sentence for the agent.
	Empathy map[string]StrategyPhrases `yaml:"empathy"`
	// sensitive_topics: topic name → words or phrases that mark it (illness, job_loss, bereavement, …). A caller
	// turn containing one lists the topic in the emotion report's sensitive_topics.
	SensitiveTopics map[string][]string `yaml:"sensitive_topics"`

	// Turn-taking: the knobs the call loop applies (documented here so they live in one place).
	TurnTaking TurnTaking `yaml:"turn_taking"`
	// Speech: the synthesiser.
	Speech SpeechConfig `yaml:"speech"`
	// unanswered_log: JSONL file of questions the knowledge base could not answer, relative to the data directory
	// ("unanswered.jsonl"); "" turns logging off.
	UnansweredLog string `yaml:"unanswered_log"`
}

// Phrases are the bot's fixed lines.
type Phrases struct {
	// greeting: the opening line after the gateway's announcement ("Hello, how can I help you today?").
	Greeting string `yaml:"greeting"`
	// rephrase: first misunderstanding ("Sorry, I didn't quite catch that. Could you say it in a different way?").
	Rephrase string `yaml:"rephrase"`
	// not_understood: last misunderstanding, before the transfer ("I'm sorry, I still couldn't understand. I'll put
	// you through to a colleague.").
	NotUnderstood string `yaml:"not_understood"`
	// confirm: asked for a medium-confidence match; %s is the entry's topic ("Just to check, is this about %s?").
	Confirm string `yaml:"confirm"`
	// wrong_guess: after "no" to confirm ("Sorry, I got that wrong. Could you tell me in other words what you
	// need?"); it counts as a misunderstanding.
	WrongGuess string `yaml:"wrong_guess"`
	// anything_else: after an answer without follow-up ("Is there anything else I can help you with?").
	AnythingElse string `yaml:"anything_else"`
	// go_ahead: after "yes" to anything_else ("Sure, go ahead.").
	GoAhead string `yaml:"go_ahead"`
	// goodbye: before the bot hangs up ("Thank you for calling Northwind. Goodbye!").
	Goodbye string `yaml:"goodbye"`
	// transfer: when the caller asks for a person or presses 0 ("Of course. I'll put you through to a colleague
	// now. Please hold.").
	Transfer string `yaml:"transfer"`
	// recognition_unavailable: when speech recognition fails ("I'm sorry, I'm having trouble hearing you. I'll put
	// you through to a colleague.").
	RecognitionUnavailable string `yaml:"recognition_unavailable"`
	// no_input: when the caller says nothing ("Are you still there? How can I help?").
	NoInput string `yaml:"no_input"`
	// dtmf_help: a key other than 0 ("Please tell me your question, or press 0 to speak to a colleague.").
	DTMFHelp string `yaml:"dtmf_help"`
	// declined_follow_up: after "no" to a follow-up ("No problem.").
	DeclinedFollowUp string `yaml:"declined_follow_up"`
	// hold_apology: said periodically while the caller waits for an agent ("Thank you for waiting. All our
	// colleagues are busy, and we will be with you as soon as we can.").
	HoldApology string `yaml:"hold_apology"`
}

// StrategyPhrases are what the bot and the agent say for one strategy.
type StrategyPhrases struct {
	// bot: the bot's empathy line before it hands over.
	Bot string `yaml:"bot"`
	// agent: the suggested first sentence for the agent (the report's strategy.say).
	Agent string `yaml:"agent"`
	// prefix: a short acknowledgement the bot puts before an answer when the feeling is mild.
	Prefix string `yaml:"prefix"`
}

// Strategy ids.
const (
	StrategyApologiseFirst = "apologise_first"
	StrategyStepByStep     = "step_by_step"
	StrategyReassure       = "reassure"
	StrategyStandard       = "standard"
)

// TurnTaking holds the dialogue's turn-taking knobs: silence, barge-in and hold. The end of a caller's turn is
// the recogniser's endpointer (asr: end_silence_complete, end_silence, max_utterance), not repeated here.
type TurnTaking struct {
	// no_input_timeout: silence after the bot finishes, and after the caller last made a sound, before it prompts
	// the caller ("8s").
	NoInputTimeout time.Duration `yaml:"no_input_timeout"`
	// barge_in: the detector that stops a prompt when the caller talks over it.
	BargeIn BargeInConfig `yaml:"barge_in"`
	// hold_apology_interval: how often hold_apology is said to a caller waiting for an agent ("30s").
	HoldApologyInterval time.Duration `yaml:"hold_apology_interval"`
}

// SpeechConfig selects and tunes the synthesiser.
type SpeechConfig struct {
	// voice: flite voice: kal (8 kHz diphone, fastest), slt, rms, awb or kal16 (16 kHz, resampled) ("slt").
	Voice string `yaml:"voice"`
	// level_db: the RMS level of the bot's active speech in dBFS (-20); 0 keeps each voice's own level.
	LevelDB float64 `yaml:"level_db"`
	// cache_entries: synthesised sentences kept in memory (LRU) (512).
	CacheEntries int `yaml:"cache_entries"`
	// cache_bytes: the most memory the cache may hold ("16777216", 16 MiB ≈ 17 min of 8 kHz audio).
	CacheBytes int `yaml:"cache_bytes"`
	// prewarm: synthesise the greeting, fixed phrases and every knowledge-base answer into the cache at start and
	// after each reload, in the background (true).
	Prewarm bool `yaml:"prewarm"`
}

// DefaultConfig returns the defaults documented on each field.
func DefaultConfig() Config {
	return Config{
		KBReloadInterval:     time.Second,
		MinConfidence:        0.40,
		ConfirmConfidence:    0.25,
		ASRConfidenceWeight:  0.3,
		MaxMisunderstandings: 2,
		MaxNoInput:           2,
		AngryLevel:           2,
		AnxiousLevel:         2,
		AnxiousTurns:         2,
		RisingTurns:          3,
		Phrases: Phrases{
			Greeting:               "Hello, how can I help you today?",
			Rephrase:               "Sorry, I didn't quite catch that. Could you say it in a different way?",
			NotUnderstood:          "I'm sorry, I still couldn't understand. I'll put you through to a colleague who can help.",
			Confirm:                "Just to check, is this about %s?",
			AnythingElse:           "Is there anything else I can help you with?",
			GoAhead:                "Sure, go ahead.",
			Goodbye:                "Thank you for calling Northwind. Goodbye!",
			Transfer:               "Of course. I'll put you through to a colleague now. Please hold.",
			RecognitionUnavailable: "I'm sorry, I'm having trouble hearing you. I'll put you through to a colleague.",
			NoInput:                "Are you still there? How can I help?",
			DTMFHelp:               "Please tell me your question, or press 0 to speak to a colleague.",
			DeclinedFollowUp:       "No problem.",
			WrongGuess:             "Sorry, I got that wrong. Could you tell me in other words what you need?",
			HoldApology:            "Thank you for waiting. All our colleagues are busy, and we will be with you as soon as we can.",
		},
		Empathy: map[string]StrategyPhrases{
			StrategyApologiseFirst: {
				Bot:    "I'm really sorry about this, and I can hear how frustrating it is. Let me get a colleague to sort it out for you right away.",
				Agent:  "I'm really sorry for the trouble you've had. Let's get this put right for you now.",
				Prefix: "I'm sorry for the trouble.",
			},
			StrategyStepByStep: {
				Bot:    "I understand this is worrying. I'll put you through to a colleague who will go through it with you step by step.",
				Agent:  "Don't worry, we'll sort this out together. First, let me check a few details, then I'll explain each step.",
				Prefix: "Don't worry, we can sort this out.",
			},
			StrategyReassure: {
				Bot:    "I'm sorry you're going through this. I'll put you through to a colleague who can help you personally.",
				Agent:  "I'm sorry to hear that. Take your time; I'm here to help you with whatever you need.",
				Prefix: "I'm sorry to hear that.",
			},
			StrategyStandard: {
				Bot:   "",
				Agent: "Thanks for waiting. How can I help you today?",
			},
		},
		SensitiveTopics: map[string][]string{
			"illness":            {"ill", "illness", "sick", "hospital", "cancer", "disease", "surgery", "operation", "chemo", "disabled", "disability"},
			"job_loss":           {"lost my job", "lost his job", "lost her job", "laid off", "made redundant", "redundancy", "unemployed", "out of work", "fired", "no job"},
			"bereavement":        {"died", "passed away", "death", "funeral", "deceased", "bereavement", "widow", "widowed", "lost my husband", "lost my wife", "lost my mother", "lost my father"},
			"financial_hardship": {"can't afford", "can not afford", "cannot afford", "struggling to pay", "no money", "debt", "broke", "benefits"},
			"abuse":              {"abuse", "abusive", "harass", "harassment", "stalking", "threatened", "domestic violence"},
			"vulnerable":         {"elderly", "dementia", "carer", "blind", "deaf"},
		},
		TurnTaking: TurnTaking{
			NoInputTimeout:      8 * time.Second,
			BargeIn:             DefaultBargeInConfig(),
			HoldApologyInterval: 30 * time.Second,
		},
		Speech: SpeechConfig{
			Voice:        "slt",
			LevelDB:      -20,
			CacheEntries: 512,
			CacheBytes:   16 << 20,
			Prewarm:      true,
		},
		UnansweredLog: "unanswered.jsonl",
	}
}

// Validate checks every field and names the key at fault.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("dialog."+format, a...)) }
	if c.KBReloadInterval < 0 {
		bad("kb_reload_interval: must not be negative")
	}
	if c.MinConfidence < 0 || c.MinConfidence > 1 {
		bad("min_confidence: %v is not within 0..1", c.MinConfidence)
	}
	if c.ConfirmConfidence < 0 || c.ConfirmConfidence > c.MinConfidence {
		bad("confirm_confidence: %v must be within 0..min_confidence (%v)", c.ConfirmConfidence, c.MinConfidence)
	}
	if c.ASRConfidenceWeight < 0 || c.ASRConfidenceWeight > 1 {
		bad("asr_confidence_weight: %v is not within 0..1", c.ASRConfidenceWeight)
	}
	if c.MaxMisunderstandings < 1 {
		bad("max_misunderstandings: %d must be at least 1", c.MaxMisunderstandings)
	}
	if c.MaxNoInput < 1 {
		bad("max_no_input: %d must be at least 1", c.MaxNoInput)
	}
	for _, l := range []struct {
		key string
		v   int
	}{{"angry_level", c.AngryLevel}, {"anxious_level", c.AnxiousLevel}} {
		if l.v < 1 || l.v > 3 {
			bad("%s: %d is not within 1..3", l.key, l.v)
		}
	}
	if c.AnxiousTurns < 1 {
		bad("anxious_turns: %d must be at least 1", c.AnxiousTurns)
	}
	if c.RisingTurns < 0 || c.RisingTurns == 1 {
		bad("rising_turns: %d must be 0 (off) or at least 2", c.RisingTurns)
	}
	if !strings.Contains(c.Phrases.Confirm, "%s") {
		bad("phrases.confirm: %q needs a %%s for the topic", c.Phrases.Confirm)
	}
	for k, v := range map[string]string{"greeting": c.Phrases.Greeting, "rephrase": c.Phrases.Rephrase,
		"not_understood": c.Phrases.NotUnderstood, "transfer": c.Phrases.Transfer, "goodbye": c.Phrases.Goodbye,
		"wrong_guess": c.Phrases.WrongGuess} {
		if strings.TrimSpace(v) == "" {
			bad("phrases.%s: must not be empty", k)
		}
	}
	for _, id := range []string{StrategyApologiseFirst, StrategyStepByStep, StrategyReassure} {
		if strings.TrimSpace(c.Empathy[id].Bot) == "" {
			bad("empathy.%s.bot: must not be empty", id)
		}
	}
	for topic, ws := range c.SensitiveTopics {
		if len(ws) == 0 {
			bad("sensitive_topics.%s: needs at least one word", topic)
		}
	}
	if err := c.TurnTaking.BargeIn.Validate(); err != nil {
		bad("turn_taking.barge_in.%v", err)
	}
	if c.TurnTaking.NoInputTimeout <= 0 {
		bad("turn_taking.no_input_timeout: must be positive")
	}
	if c.TurnTaking.HoldApologyInterval <= 0 {
		bad("turn_taking.hold_apology_interval: must be positive")
	}
	if !contains(Voices, c.Speech.Voice) {
		bad("speech.voice: %q is not one of %s", c.Speech.Voice, strings.Join(Voices, ", "))
	}
	if c.Speech.LevelDB < -40 || c.Speech.LevelDB > -6 && c.Speech.LevelDB != 0 {
		bad("speech.level_db: %v is not within -40..-6 (or 0 for the voice's own level)", c.Speech.LevelDB)
	}
	if c.Speech.CacheEntries < 0 || c.Speech.CacheBytes < 0 {
		bad("speech.cache_entries and cache_bytes must not be negative")
	}
	return errors.Join(errs...)
}

// Voices are the flite voices the synthesiser knows.
var Voices = []string{"kal", "kal16", "slt", "rms", "awb"}
