package callflow

import (
	"context"
	"log/slog"
	"time"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/quality"
	"github.com/hotline/hotline/store"
)

// Call is one answered call as the flow sees it: who called and when, and the SIP leg and media to act on.
type Call struct {
	ID         string // hotline's call id (the record's id)
	SIPCallID  string
	Caller     string // the caller's URI, as the SIP leg gives it
	Private    bool   // the caller asked for Privacy: id; the record says "anonymous"
	StartedAt  time.Time
	AnsweredAt time.Time // the origin of transcript and turn times
	Leg        Leg
	Media      Media
	Log        *slog.Logger // carries the call id
}

// Leg is the call's signalling: the caller's keys, hanging up, and a blind transfer (*sip.Call).
type Leg interface {
	// DTMF delivers the caller's keys (RFC 4733 and SIP INFO as one stream); closed when the call ends.
	DTMF() <-chan media.DTMF
	Hangup(ctx context.Context) error
	// Transfer sends a REFER to target and waits for its outcome.
	Transfer(ctx context.Context, target string) error
}

// Media is the call's RTP session (*media.Session): the caller's decoded frames, prompts to the caller, the
// recording, and the pass-through the agent's leg needs.
type Media interface {
	agentbridge.CallMedia
	// Subscribe gives a bounded queue of the caller's 20 ms frames; a slow reader loses frames, never the call.
	Subscribe(name string) <-chan media.Frame
	Unsubscribe(ch <-chan media.Frame)
	// Play sends src to the caller until it ends, ctx ends (barge-in), or a newer Play replaces it.
	Play(ctx context.Context, src media.FrameSource, opts ...media.PlayOption) error
	Record(path string) error
	SetRecordMuted(on bool)
	// Direction is sendrecv unless the caller put us on hold.
	Direction() media.Direction
	Remote() media.Remote
}

// Bot is the voice-bot: one conversation per call, and speech out.
type Bot interface {
	NewConversation(callID string, opts ...dialog.ConversationOption) *dialog.Conversation
	NewSpeechSource(ctx context.Context, text string) *dialog.SpeechSource
}

// Queue is the agent side (*agentbridge.Bridge): the queue, the live report and transcript on the agent's page,
// hints to the agent and alerts to supervisors.
type Queue interface {
	// Enqueue waits for an agent and returns when the call left the queue or the agent's leg ended.
	Enqueue(ctx context.Context, q agentbridge.QueuedCall) (agentbridge.Outcome, error)
	UpdateReport(callID string, r prosody.Report)
	AddTranscript(callID string, line prosody.TranscriptLine)
	SendHint(callID string, h agentbridge.Hint)
	PublishSupervisor(v any)
	// Agents lists the logged-in agents (the flow reads who has its call).
	Agents() []agentbridge.AgentState
}

// RecordSink stores call records without blocking (*store.Writer); false means the record was dropped.
type RecordSink interface {
	Enqueue(c *store.Call) bool
}

// Settings are the configuration sections a call reads.
type Settings struct {
	Call       Config
	TurnTaking dialog.TurnTaking
	Prosody    prosody.Config
	Quality    quality.Config
	// ASRDomain makes the caller's recognition use the knowledge base's domain model (asr.domain).
	ASRDomain bool
	// DataDir is where recordings and voicemail go (under recordings/ and voicemail/).
	DataDir string
}

// Deps is everything a Flow needs from the rest of hotline.
type Deps struct {
	Settings Settings
	Bot      Bot
	// Recognizer may be nil: calls then degrade (DTMF, agents).
	Recognizer asr.Recognizer
	// Queue may be nil: no agents; a hand-off goes to call.fallback_refer or says goodbye.
	Queue   Queue
	Records RecordSink
	Metrics *Metrics // nil: not counted
	Log     *slog.Logger
}
