package quality

// QA is the quality block of the call record (`"qa"` in ../shared/design.md): the per-call metrics of the agent's
// leg in the style of contact-centre analytics. The first five fields are the design's contract; the others are
// extras that the report and the supervisor page use.
type QA struct {
	// TalkShareAgent is the agent's share of all talk time (agent talk / (agent + caller talk)), 0..1.
	TalkShareAgent float64 `json:"talk_share_agent"`
	// NonTalkMS is the total time in silences longer than the configured gap (3 s by default) where neither
	// party spoke, in milliseconds; hold time is counted separately in HoldMS.
	NonTalkMS int64 `json:"non_talk_ms"`
	// Interruptions counts the times the agent started speaking while the caller was speaking (barge-in over
	// the caller) and kept on for at least the configured minimum.
	Interruptions int `json:"interruptions"`
	// AgentWPM is the agent's talk speed in words per minute of the agent's own talk time (0 when unknown).
	AgentWPM float64 `json:"agent_wpm"`
	// RiskyPhrases are the risky phrases heard from the agent, in order.
	RiskyPhrases []RiskyPhrase `json:"risky_phrases"`

	// TalkShareCaller is the caller's share of talk time, 0..1.
	TalkShareCaller float64 `json:"talk_share_caller"`
	// CallerWPM is the caller's talk speed in words per minute (0 when the caller's words were not given).
	CallerWPM float64 `json:"caller_wpm"`
	// AgentTalkMS and CallerTalkMS are each party's voiced time.
	AgentTalkMS  int64 `json:"agent_talk_ms"`
	CallerTalkMS int64 `json:"caller_talk_ms"`
	// OvertalkMS is the time both parties spoke at once.
	OvertalkMS int64 `json:"overtalk_ms"`
	// CallerInterruptions counts the times the caller started speaking over the agent.
	CallerInterruptions int `json:"caller_interruptions"`
	// LongestSilenceMS is the longest stretch where neither party spoke (hold excluded).
	LongestSilenceMS int64 `json:"longest_silence_ms"`
	// HoldMS is the time the call was on hold.
	HoldMS int64 `json:"hold_ms"`
	// EmotionWords are the agent's emotion words heard ("frustrating", "calm down", …), in order.
	EmotionWords []string `json:"emotion_words"`
	// Score is an overall quality score 0..100 (100: no findings); see Score in inspect.go for the weights.
	Score float64 `json:"score"`
	// DurationMS is the inspected time of the agent's leg.
	DurationMS int64 `json:"duration_ms"`
}

// RiskyPhrase is one risky phrase the agent said, with the standard phrase to use instead.
type RiskyPhrase struct {
	// At is seconds from the answer of the call (as transcript times are).
	At float64 `json:"at"`
	// Kind is the list it came from: promise, prohibited or taboo (or a configured list's name).
	Kind string `json:"kind"`
	// Phrase is the configured phrase that matched.
	Phrase string `json:"phrase"`
	// Text is the agent's utterance it was heard in (card numbers masked).
	Text string `json:"text"`
	// Suggestion is the standard phrase to say instead.
	Suggestion string `json:"suggestion"`
}

// Normalize replaces nil slices with empty ones so the JSON shows [] rather than null.
func (q *QA) Normalize() {
	if q.RiskyPhrases == nil {
		q.RiskyPhrases = []RiskyPhrase{}
	}
	if q.EmotionWords == nil {
		q.EmotionWords = []string{}
	}
}
