package store

import (
	"time"

	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/quality"
)

// Outcome is how a call ended (../shared/design.md).
type Outcome string

// Outcomes.
const (
	// OutcomeBotResolved: the caller hung up after the bot answered at least one question and no transfer was asked.
	OutcomeBotResolved Outcome = "bot_resolved"
	// OutcomeTransferred: an agent (or a REFER target) took the call.
	OutcomeTransferred Outcome = "transferred"
	// OutcomeAbandoned: the caller hung up waiting for an agent or before any answer.
	OutcomeAbandoned Outcome = "abandoned"
	// OutcomeFailed: a media or signalling failure.
	OutcomeFailed Outcome = "failed"
)

// Valid reports whether o is one of the four outcomes.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeBotResolved, OutcomeTransferred, OutcomeAbandoned, OutcomeFailed:
		return true
	}
	return false
}

// Transfer reasons (the transfer_reason enum of the emotion report).
const (
	ReasonAskedForAgent          = "asked_for_agent"
	ReasonEmotion                = "emotion"
	ReasonNotUnderstood          = "not_understood"
	ReasonAgentOnlyTopic         = "agent_only_topic"
	ReasonRecognitionUnavailable = "recognition_unavailable"
	ReasonNoBot                  = "no_bot"
)

// Call is one call's record: the JSON of ../shared/design.md (those names stay) plus extras. Times in Transcript
// are seconds from the answer; Turns are milliseconds from the 200 OK.
type Call struct {
	ID             string                   `json:"id"`
	SIPCallID      string                   `json:"sip_call_id"`
	Caller         string                   `json:"caller"`
	StartedAt      time.Time                `json:"started_at"`
	EndedAt        time.Time                `json:"ended_at"`
	Outcome        Outcome                  `json:"outcome"`
	SIPStatus      int                      `json:"sip_status"`
	Intent         string                   `json:"intent"`
	TransferReason string                   `json:"transfer_reason"`
	Agent          string                   `json:"agent"`
	WaitMS         int64                    `json:"wait_ms"`
	RingMS         int64                    `json:"ring_ms"`
	Disposition    string                   `json:"disposition"`
	Notes          string                   `json:"notes"`
	Transcript     []prosody.TranscriptLine `json:"transcript"`
	Turns          []Turn                   `json:"turns"`
	Emotion        *prosody.Report          `json:"emotion"`
	QA             QA                       `json:"qa"`

	// Extras.

	// AnsweredAt is when hotline sent the 200 OK (zero when never answered).
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	// EndCause says how the call ended: "caller_bye", "local_bye", "cancel", "rtp_timeout", "session_timer",
	// "drain", … (free text, for engineers).
	EndCause string `json:"end_cause,omitempty"`
	// CallerPrivate is true when the caller asked for privacy (Privacy: id); Caller then holds "anonymous".
	CallerPrivate bool `json:"caller_private,omitempty"`
	// Recording is the path of the call's WAV recording ("" when not recorded or purged).
	Recording string `json:"recording,omitempty"`
	// Voicemail is the message the caller left when no agent could take the call (nil when none); its words are
	// in Transcript.
	Voicemail *Voicemail `json:"voicemail,omitempty"`
	// EmotionStart and EmotionEnd are the caller's state at the start and at the end of the call; the report's
	// de-escalation rate compares them.
	EmotionStart *EmotionPoint `json:"emotion_start,omitempty"`
	EmotionEnd   *EmotionPoint `json:"emotion_end,omitempty"`
	// RecognitionFailures counts the caller's utterances the recogniser could not make out (no text or too low
	// a confidence).
	RecognitionFailures int `json:"recognition_failures,omitempty"`
	// Unanswered are the caller's questions the knowledge base had no answer for.
	Unanswered []string `json:"unanswered,omitempty"`
	// ContentPurged is true once the retention job removed the transcript and recording.
	ContentPurged bool `json:"content_purged,omitempty"`
}

// Voicemail is a message left by the caller.
type Voicemail struct {
	// Path is the message's mono 8 kHz WAV file ("" once purged).
	Path string `json:"path,omitempty"`
	// At is when the message started, in seconds from the answer; DurationMS how long it is.
	At         float64 `json:"at"`
	DurationMS int64   `json:"duration_ms"`
}

// Turn is one bot turn's latency trail, in milliseconds from the 200 OK, measured on the server.
type Turn struct {
	CallerSpeechEndMS int64 `json:"caller_speech_end_ms"`
	ASRFinalMS        int64 `json:"asr_final_ms"`
	ReplyChosenMS     int64 `json:"reply_chosen_ms"`
	// BotAudioStartMS is when the first RTP packet of the reply was sent.
	BotAudioStartMS int64 `json:"bot_audio_start_ms"`
}

// EmotionPoint is the caller's emotional state at one moment.
type EmotionPoint struct {
	State prosody.State `json:"state"`
	Level int           `json:"level"`
	// At is seconds from the answer.
	At float64 `json:"at"`
}

// QA is the "qa" block: the quality inspection of the agent's leg (owned by package quality).
type QA = quality.QA

// RiskyPhrase is one risky phrase the agent said (owned by package quality).
type RiskyPhrase = quality.RiskyPhrase

// Duration is EndedAt − StartedAt (0 when either is missing).
func (c *Call) Duration() time.Duration {
	if c.StartedAt.IsZero() || c.EndedAt.IsZero() {
		return 0
	}
	return c.EndedAt.Sub(c.StartedAt)
}

// normalize makes the JSON show [] instead of null for the list fields and UTC times.
func (c *Call) normalize() {
	if c.Transcript == nil {
		c.Transcript = []prosody.TranscriptLine{}
	}
	if c.Turns == nil {
		c.Turns = []Turn{}
	}
	c.QA.Normalize()
	c.StartedAt = c.StartedAt.UTC()
	c.EndedAt = c.EndedAt.UTC()
	if !c.AnsweredAt.IsZero() {
		c.AnsweredAt = c.AnsweredAt.UTC()
	}
}

// mask masks card numbers in every free-text field of the record.
func (c *Call) mask() {
	c.Notes = quality.MaskCardNumbers(c.Notes)
	c.Disposition = quality.MaskCardNumbers(c.Disposition)
	for i := range c.Transcript {
		c.Transcript[i].Text = quality.MaskCardNumbers(c.Transcript[i].Text)
	}
	for i := range c.Unanswered {
		c.Unanswered[i] = quality.MaskCardNumbers(c.Unanswered[i])
	}
	for i := range c.QA.RiskyPhrases {
		c.QA.RiskyPhrases[i].Text = quality.MaskCardNumbers(c.QA.RiskyPhrases[i].Text)
	}
	if e := c.Emotion; e != nil {
		for i := range e.Transcript {
			e.Transcript[i].Text = quality.MaskCardNumbers(e.Transcript[i].Text)
		}
		for i := range e.Triggers {
			e.Triggers[i].Text = quality.MaskCardNumbers(e.Triggers[i].Text)
		}
	}
}

// stripContent removes what retention or record_transcripts=false forbids keeping: transcripts (also inside the
// emotion report and its triggers' text) and the recording path.
func (c *Call) stripContent() {
	c.Transcript = []prosody.TranscriptLine{}
	c.Unanswered = nil
	for i := range c.QA.RiskyPhrases {
		c.QA.RiskyPhrases[i].Text = ""
	}
	if e := c.Emotion; e != nil {
		e.Transcript = []prosody.TranscriptLine{}
		for i := range e.Triggers {
			e.Triggers[i].Text = ""
		}
	}
}
