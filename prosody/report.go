package prosody

import "time"

// Report is the emotion report of ../shared/design.md: what the agent sees when a call rings, and each live update
// (a whole report with a higher Seq). prosody fills the voice part (state, level, arousal, valence, baseline,
// triggers, timeline); the dialogue fills transcript, intent, transfer reason, sensitive topics and strategy.
// Times At and T are seconds from the answer of the call.
type Report struct {
	Seq             int              `json:"seq"`
	CallID          string           `json:"call_id"`
	Caller          string           `json:"caller"`
	StartedAt       time.Time        `json:"started_at"`
	State           State            `json:"state"`
	Level           int              `json:"level"`
	Arousal         float64          `json:"arousal"`
	Valence         float64          `json:"valence"`
	Baseline        Baseline         `json:"baseline"`
	Triggers        []Trigger        `json:"triggers"`
	Timeline        []TimelinePoint  `json:"timeline"`
	Transcript      []TranscriptLine `json:"transcript"`
	Intent          string           `json:"intent"`
	TransferReason  string           `json:"transfer_reason"`
	SensitiveTopics []string         `json:"sensitive_topics"`
	Strategy        Strategy         `json:"strategy"`
}

// State is the caller's (or agent's) emotional state as the estimator names it.
type State string

const (
	Calm    State = "calm"
	Anxious State = "anxious"
	Angry   State = "angry"
	Sad     State = "sad"
)

// Baseline is the speaker's calm reference: what counts is the deviation from it.
type Baseline struct {
	F0Hz    float64 `json:"f0_hz"`
	DB      float64 `json:"db"`
	RateSPS float64 `json:"rate_sps"`
	Ready   bool    `json:"ready"`
}

// Trigger kinds.
const (
	TriggerPitchRise  = "pitch_rise"
	TriggerLoudness   = "loudness"
	TriggerFastSpeech = "fast_speech"
	TriggerKeyword    = "keyword"
	TriggerRepeat     = "repeat"
	TriggerDTMFZero   = "dtmf_zero"
)

// Trigger is a moment that moved the estimate: what jumped, when, and what was being said then.
type Trigger struct {
	At     float64 `json:"at"`
	Kind   string  `json:"kind"`
	Text   string  `json:"text"`
	Detail string  `json:"detail"`
}

// TimelinePoint is one sample of the pitch/loudness/arousal curve, four a second.
type TimelinePoint struct {
	T       float64 `json:"t"`
	F0      float64 `json:"f0"`
	DB      float64 `json:"db"`
	Arousal float64 `json:"arousal"`
}

// TranscriptLine is one utterance: Who is "caller", "bot" or "agent".
type TranscriptLine struct {
	Who  string  `json:"who"`
	At   float64 `json:"at"`
	Text string  `json:"text"`
}

// Strategy is the suggested approach for the agent: an id (apologise_first, step_by_step, reassure, …) and a
// suggested first sentence.
type Strategy struct {
	ID  string `json:"id"`
	Say string `json:"say"`
}
