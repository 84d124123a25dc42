package agentbridge

import (
	"encoding/json"

	"github.com/pion/webrtc/v4"

	"github.com/hotline/hotline/prosody"
)

// The WebSocket protocol of /ws/agent. Every message is a JSON object {"type": T, "data": {...}} from the server
// and a flat {"type": T, ...} object from the page. Server → page:
//
//	hello       {user, role, presence, skills, call?}        on connect; call restores a call in progress
//	presence    {value}                                      available | busy | wrap-up | away
//	ring        {call_id, offer_id, caller, report, history, ring_timeout_ms, waited_ms}
//	ring_cancel {call_id, reason}                            caller_hangup | timeout | declined | taken | overflow
//	call        {call_id, state, by, held}                   state talking | ended; by agent | caller | lost
//	rtc_offer   {call_id, pc, sdp}                           a new PeerConnection (pc numbers it)
//	ice         {call_id, pc, candidate}                     a trickled server candidate
//	report      {call_id, report}                            a whole emotion report with a higher seq
//	transcript  {call_id, line}
//	assist      {call_id, text, suggestions}
//	hint        {call_id, hint}
//	history     {call_id, calls}                             the caller's earlier calls
//	wrapup      {call_id}                                    ask for disposition and notes
//	error       {message}
//
// Page → server: presence {value}; prepare {call_id, offer_id} (negotiate the WebRTC leg while ringing; no audio
// flows before the answer); answer {call_id, offer_id}; decline {call_id, offer_id}; rtc_answer {call_id,
// pc, sdp}; ice {call_id, pc, candidate}; hangup {call_id}; hold {call_id, on}; mute {call_id, on};
// dtmf {call_id, digit}; wrapup {call_id, disposition, notes}. Heartbeats are WebSocket ping/pong control frames.

type envelope struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

func marshalMsg(typ string, v any) ([]byte, error) {
	return json.Marshal(envelope{Type: typ, Data: v})
}

// message is implemented by every server → page message.
type message interface{ kind() string }

type msgHello struct {
	User     string    `json:"user"`
	Role     string    `json:"role"`
	Presence string    `json:"presence"`
	Skills   []string  `json:"skills"`
	Call     *callView `json:"call,omitempty"`
	// ICEServers are the STUN/TURN servers the page's RTCPeerConnection uses (the same as the server's).
	ICEServers []webrtc.ICEServer `json:"ice_servers"`
}

// callView restores a page's view of a call after it reconnects.
type callView struct {
	CallID  string         `json:"call_id"`
	State   string         `json:"state"` // ringing | talking | ended
	OfferID string         `json:"offer_id,omitempty"`
	Caller  string         `json:"caller"`
	Report  prosody.Report `json:"report"`
	History []PastCall     `json:"history"`
	Held    bool           `json:"held"`
	Since   int64          `json:"since_ms"` // Unix ms of the answer
}

type msgPresence struct {
	Value string `json:"value"`
}

type msgRing struct {
	CallID      string         `json:"call_id"`
	OfferID     string         `json:"offer_id"`
	Caller      string         `json:"caller"`
	Report      prosody.Report `json:"report"`
	History     []PastCall     `json:"history"`
	RingTimeout int64          `json:"ring_timeout_ms"`
	Waited      int64          `json:"waited_ms"`
}

type msgRingCancel struct {
	CallID string `json:"call_id"`
	Reason string `json:"reason"`
}

type msgCall struct {
	CallID string `json:"call_id"`
	State  string `json:"state"`
	By     string `json:"by,omitempty"`
	Held   bool   `json:"held"`
}

type msgRTCOffer struct {
	CallID string `json:"call_id"`
	PC     int    `json:"pc"`
	SDP    string `json:"sdp"`
}

type msgICE struct {
	CallID    string                  `json:"call_id"`
	PC        int                     `json:"pc"`
	Candidate webrtc.ICECandidateInit `json:"candidate"`
}

type msgReport struct {
	CallID string         `json:"call_id"`
	Report prosody.Report `json:"report"`
}

type msgTranscript struct {
	CallID string                 `json:"call_id"`
	Line   prosody.TranscriptLine `json:"line"`
}

type msgAssist struct {
	CallID      string       `json:"call_id"`
	Text        string       `json:"text"`
	Suggestions []Suggestion `json:"suggestions"`
}

type msgHint struct {
	CallID string `json:"call_id"`
	Hint   Hint   `json:"hint"`
}

type msgHistory struct {
	CallID string     `json:"call_id"`
	Calls  []PastCall `json:"calls"`
}

type msgWrapUp struct {
	CallID string `json:"call_id"`
}

type msgError struct {
	Message string `json:"message"`
}

func (msgHello) kind() string      { return "hello" }
func (msgPresence) kind() string   { return "presence" }
func (msgRing) kind() string       { return "ring" }
func (msgRingCancel) kind() string { return "ring_cancel" }
func (msgCall) kind() string       { return "call" }
func (msgRTCOffer) kind() string   { return "rtc_offer" }
func (msgICE) kind() string        { return "ice" }
func (msgReport) kind() string     { return "report" }
func (msgTranscript) kind() string { return "transcript" }
func (msgAssist) kind() string     { return "assist" }
func (msgHint) kind() string       { return "hint" }
func (msgHistory) kind() string    { return "history" }
func (msgWrapUp) kind() string     { return "wrapup" }
func (msgError) kind() string      { return "error" }

// inbound is any page → server message.
type inbound struct {
	Type        string                   `json:"type"`
	CallID      string                   `json:"call_id"`
	OfferID     string                   `json:"offer_id"`
	PC          int                      `json:"pc"`
	SDP         string                   `json:"sdp"`
	Candidate   *webrtc.ICECandidateInit `json:"candidate"`
	Value       string                   `json:"value"`
	On          bool                     `json:"on"`
	Digit       string                   `json:"digit"`
	Disposition string                   `json:"disposition"`
	Notes       string                   `json:"notes"`
}
