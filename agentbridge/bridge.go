package agentbridge

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hotline/hotline/prosody"
)

//go:embed web
var webFS embed.FS

// CallMedia is what the bridge needs from a call's RTP session (a *media.Session satisfies it).
type CallMedia interface {
	// SetForward registers fn to be called on the RTP reader goroutine with every in-order caller packet
	// (nil stops forwarding). fn must return at once.
	SetForward(fn func(payload []byte, pt uint8, ts uint32, marker bool))
	// SendPayload sends already-encoded audio (in the call's codec) to the caller; samples is its duration.
	SendPayload(payload []byte, samples uint32) error
}

// DTMFSender is implemented by call media that can send RFC 4733 telephone events to the caller (a
// *media.Session does); the keypad on the page works only when the call's media has it.
type DTMFSender interface {
	SendDTMF(ctx context.Context, digits string, dur time.Duration) error
}

// Hooks are the services the bridge borrows from the rest of hotline. Every field may be nil.
type Hooks struct {
	// CheckToken validates an API bearer token and says who it is.
	CheckToken func(token string) (user, role string, ok bool)
	// History lists the caller's earlier calls, newest first, for the incoming-call card.
	History func(ctx context.Context, caller string) ([]PastCall, error)
	// Assist answers what the caller just said with knowledge-base suggestions for the agent.
	Assist func(ctx context.Context, callID, text string) []Suggestion
}

// PastCall is one earlier call of the same caller, as the card lists it.
type PastCall struct {
	ID          string    `json:"id"`
	StartedAt   time.Time `json:"started_at"`
	Outcome     string    `json:"outcome"`
	Intent      string    `json:"intent,omitempty"`
	Agent       string    `json:"agent,omitempty"`
	Disposition string    `json:"disposition,omitempty"`
	Notes       string    `json:"notes,omitempty"`
	State       string    `json:"state,omitempty"` // the caller's emotional state then
}

// Suggestion is one agent-assist answer.
type Suggestion struct {
	Title  string  `json:"title"`
	Answer string  `json:"answer"`
	Score  float64 `json:"score"`
}

// Hint is a quality hint for the agent during a call, e.g. a risky phrase and the standard phrase to use instead.
type Hint struct {
	Phrase  string `json:"phrase"`
	Instead string `json:"instead"`
	Note    string `json:"note,omitempty"`
}

// QueuedCall is a call handed to the queue.
type QueuedCall struct {
	// ID is hotline's call id (the one in the call record and in UpdateReport).
	ID string
	// Caller is the caller's URI or number, shown on the card and given to Hooks.History.
	Caller string
	// Skills the agent must have (language, topics); none means any agent.
	Skills []string
	// Report is the emotion report at the time of the hand-off.
	Report prosody.Report
	// Media is the call's RTP session.
	Media CallMedia
	// PayloadType is the call's codec: 0 PCMU or 8 PCMA. The agent's WebRTC leg is negotiated with the same codec,
	// so audio passes through without transcoding.
	PayloadType uint8
	// Say speaks text to the caller and returns when it was played (reassurance, apology); nil means silence.
	Say func(ctx context.Context, text string) error
	// AgentAudio receives the agent's voice, decoded to 8 kHz PCM, packet by packet, on the WebRTC reader
	// goroutine (for prosody and quality inspection). It must return at once and must not keep pcm.
	AgentAudio func(pcm []int16)
	// QueuedSince is when the caller started waiting; zero means now. Pass the first Outcome's QueuedSince when
	// queuing again after an agent was lost, so the caller keeps the place.
	QueuedSince time.Time
}

// Results of a call's stay with the bridge (Outcome.Result).
const (
	ResultCompleted    = "completed"     // the agent hung up; end the caller's leg
	ResultCallerHangup = "caller_hangup" // the caller hung up while talking to the agent
	ResultAbandoned    = "abandoned"     // the caller hung up before an agent answered
	ResultOverflow     = "overflow"      // no agent could take the call: see Next and Reason
	ResultAgentLost    = "agent_lost"    // the agent's page or network died mid-call; the caller heard the apology
)

// Overflow reasons (Outcome.Reason).
const (
	ReasonNoAgents  = "no_agents"
	ReasonClosed    = "closed"
	ReasonWaitLimit = "wait_limit"
)

// Outcome is how a call left the bridge.
type Outcome struct {
	Result string
	// Next is what the caller of Enqueue should do: NextNone (hang up), NextBot, NextVoicemail, NextRefer or
	// NextRequeue.
	Next string
	// Reason says why a call overflowed (ReasonNoAgents, ReasonClosed, ReasonWaitLimit).
	Reason string
	// Agent is who answered ("" when nobody did).
	Agent string
	// QueuedSince is when the caller started waiting (give it back in QueuedCall when re-queuing).
	QueuedSince time.Time
	// WaitMS is the time this Enqueue waited until the answer (or until the call left the queue), so the waits
	// of a re-queued call add up; RingMS the total ringing time
	// of every offer; TalkMS the time from the answer to the end.
	WaitMS, RingMS, TalkMS int64
	// WrapUp delivers the agent's disposition and notes once (then closes) when an agent answered; nil otherwise.
	WrapUp <-chan WrapUp
}

// WrapUp is what the agent recorded after the call.
type WrapUp struct {
	Disposition string `json:"disposition"`
	Notes       string `json:"notes"`
	// TimedOut is true when the agent did not submit the wrap-up within Config.WrapUpTimeout.
	TimedOut bool `json:"timed_out"`
}

// Bridge is the agent side of hotline: accounts, sessions, the queue, the WebSocket signalling and the WebRTC legs.
// Its methods are safe for concurrent use.
type Bridge struct {
	cfg      Config
	hours    hours
	accounts AccountStore
	metrics  *Metrics
	log      *slog.Logger
	hooks    Hooks
	sessions *sessions
	rtc      *rtcEngine
	upgrader websocket.Upgrader

	mu      sync.Mutex
	agents  map[string]*agent
	calls   map[string]*call
	supers  map[*wsConn]struct{}
	avgWait time.Duration // moving average of answered waits, for the expected-wait reassurance
}

// New builds a bridge. accounts must not be nil; m and log may be.
func New(cfg Config, accounts AccountStore, m *Metrics, log *slog.Logger, hooks Hooks) (*Bridge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if accounts == nil {
		return nil, fmt.Errorf("agentbridge: no account store")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h, _ := cfg.BusinessHours.compile()
	eng, err := newRTCEngine(cfg.ICE)
	if err != nil {
		return nil, err
	}
	b := &Bridge{
		cfg: cfg, hours: h, accounts: accounts, metrics: m, log: log.With("component", "agentbridge"), hooks: hooks,
		sessions: newSessions(cfg.SessionTTL), rtc: eng,
		agents: map[string]*agent{}, calls: map[string]*call{}, supers: map[*wsConn]struct{}{},
		avgWait: time.Minute,
	}
	b.upgrader = websocket.Upgrader{
		ReadBufferSize: 4096, WriteBufferSize: 4096,
		CheckOrigin: b.sameOrigin,
	}
	return b, nil
}

// Handler serves the softphone page and its API: / (the page), /static/…, /api/login, /api/logout, /api/me,
// /api/password, /ws/agent, and for supervisors /supervisor (live quality alerts and agents), /api/agents and
// /ws/supervisor. Mount it at the root of the web address.
func (b *Bridge) Handler() http.Handler {
	static, _ := fs.Sub(webFS, "web")
	files := http.FileServer(http.FS(static))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, static, "index.html")
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", files))
	mux.HandleFunc("POST /api/login", b.handleLogin)
	mux.HandleFunc("POST /api/logout", b.handleLogout)
	mux.HandleFunc("GET /api/me", b.handleMe)
	mux.Handle("POST /api/password", b.RequireAuth(http.HandlerFunc(b.handlePassword)))
	mux.HandleFunc("GET /ws/agent", b.handleAgentWS)
	mux.HandleFunc("GET /ws/supervisor", b.handleSupervisorWS)
	mux.Handle("GET /supervisor", b.supervisorPage(static))
	mux.Handle("GET /api/agents", b.RequireAuth(http.HandlerFunc(b.handleAgents), RoleSupervisor))
	return securityHeaders(mux)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// Close disconnects every page (agents and supervisors), for a server shutting down. Calls in progress go on
// until their Enqueue context ends: their agents' pages count as lost after Config.ReconnectGrace.
func (b *Bridge) Close() {
	b.mu.Lock()
	var conns []*wsConn
	for _, a := range b.agents {
		for c := range a.conns {
			conns = append(conns, c)
		}
	}
	for c := range b.supers {
		conns = append(conns, c)
	}
	b.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// PublishSupervisor sends v (as JSON) to every supervisor page connected to /ws/supervisor.
func (b *Bridge) PublishSupervisor(v any) {
	msg, err := marshalMsg("alert", v)
	if err != nil {
		b.log.Warn("supervisor message not sent", "err", err)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.supers {
		c.sendRaw(msg)
	}
}

// UpdateReport shows a newer emotion report (a whole report with a higher Seq) on the card of the call; older or
// equal Seq values are ignored.
func (b *Bridge) UpdateReport(callID string, r prosody.Report) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.calls[callID]
	if c == nil || r.Seq <= c.report.Seq {
		return
	}
	c.report = r
	if c.agent != nil {
		c.agent.send(msgReport{CallID: callID, Report: r})
	}
}

// AddTranscript shows a transcript line (caller or agent speech recognised during the call) on the agent's page;
// a caller line also asks Hooks.Assist for matching knowledge-base answers.
func (b *Bridge) AddTranscript(callID string, line prosody.TranscriptLine) {
	b.mu.Lock()
	c := b.calls[callID]
	if c == nil {
		b.mu.Unlock()
		return
	}
	if c.agent != nil {
		c.agent.send(msgTranscript{CallID: callID, Line: line})
	}
	ctx := c.ctx
	b.mu.Unlock()
	if line.Who == "caller" && b.hooks.Assist != nil && c.assistBusy.CompareAndSwap(false, true) {
		go func() { // bounded: one assist query per call at a time; ends with the call's context
			defer c.assistBusy.Store(false)
			actx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			s := b.hooks.Assist(actx, callID, line.Text)
			b.mu.Lock()
			defer b.mu.Unlock()
			if c.agent != nil && ctx.Err() == nil {
				c.agent.send(msgAssist{CallID: callID, Text: line.Text, Suggestions: s})
			}
		}()
	}
}

// SendHint shows a quality hint (e.g. a risky phrase and the standard phrase) to the agent on the call.
func (b *Bridge) SendHint(callID string, h Hint) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.calls[callID]; c != nil && c.agent != nil && c.state == stateTalking {
		c.agent.send(msgHint{CallID: callID, Hint: h})
	}
}

// AgentState is a snapshot of one logged-in agent.
type AgentState struct {
	Name     string   `json:"name"`
	Presence string   `json:"presence"`
	Skills   []string `json:"skills"`
	CallID   string   `json:"call_id,omitempty"`
}

// Agents lists the logged-in agents.
func (b *Bridge) Agents() []AgentState {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]AgentState, 0, len(b.agents))
	for _, a := range b.agents {
		s := AgentState{Name: a.name, Presence: a.presence, Skills: a.skills}
		if a.call != nil {
			s.CallID = a.call.q.ID
		}
		out = append(out, s)
	}
	return out
}
