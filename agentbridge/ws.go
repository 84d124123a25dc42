package agentbridge

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/hotline/hotline/store"
)

// wsConn is one open page. Writes go through out, drained by the writer goroutine; a page that cannot keep up
// is disconnected rather than allowed to stall the bridge.
type wsConn struct {
	ws        *websocket.Conn
	user      string
	role      string
	agent     *agent // set for /ws/agent connections (guarded by Bridge.mu)
	out       chan []byte
	closed    chan struct{}
	closeOnce sync.Once
}

const maxInbound = 64 << 10

func newWSConn(ws *websocket.Conn, user, role string) *wsConn {
	return &wsConn{ws: ws, user: user, role: role, out: make(chan []byte, 128), closed: make(chan struct{})}
}

func (c *wsConn) send(m message) {
	b, err := marshalMsg(m.kind(), m)
	if err != nil {
		return
	}
	c.sendRaw(b)
}

func (c *wsConn) sendRaw(b []byte) {
	select {
	case <-c.closed:
	case c.out <- b:
	default:
		c.close() // too slow: drop the page, it reconnects and gets the state again
	}
}

func (c *wsConn) close() {
	c.closeOnce.Do(func() {
		close(c.closed)
		_ = c.ws.Close()
	})
}

// writeLoop sends queued messages and heartbeat pings until the connection closes.
func (c *wsConn) writeLoop(heartbeat time.Duration) {
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case b := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.close()
				return
			}
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
				c.close()
				return
			}
		}
	}
}

// readLoop reads page messages until the connection fails or stays silent for three heartbeats.
func (c *wsConn) readLoop(heartbeat time.Duration, handle func(inbound)) {
	c.ws.SetReadLimit(maxInbound)
	deadline := func() { _ = c.ws.SetReadDeadline(time.Now().Add(3 * heartbeat)) }
	deadline()
	c.ws.SetPongHandler(func(string) error { deadline(); return nil })
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		deadline()
		var in inbound
		if err := json.Unmarshal(data, &in); err != nil {
			c.send(msgError{Message: "bad message: " + err.Error()})
			continue
		}
		handle(in)
	}
}

func (b *Bridge) upgrade(w http.ResponseWriter, r *http.Request, roles ...string) *wsConn {
	user, role, ok := b.Authenticate(r)
	if !ok {
		httpError(w, http.StatusUnauthorized, "not logged in")
		return nil
	}
	if len(roles) > 0 && !contains(roles, role) {
		httpError(w, http.StatusForbidden, "role "+role+" may not open this")
		return nil
	}
	ws, err := b.upgrader.Upgrade(w, r, nil) // the upgrader checks Origin and answers 403 itself
	if err != nil {
		b.log.Info("websocket refused", "path", r.URL.Path, "user", user, "err", err)
		return nil
	}
	return newWSConn(ws, user, role)
}

func (b *Bridge) handleAgentWS(w http.ResponseWriter, r *http.Request) {
	conn := b.upgrade(w, r, RoleAgent, RoleSupervisor)
	if conn == nil {
		return
	}
	var skills []string
	acct, err := b.accounts.GetAccount(r.Context(), conn.user)
	switch {
	case err == nil && acct != nil:
		skills = acct.Skills
	case errors.Is(err, store.ErrNotFound) && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "):
		// The account was removed (`hotline agent remove`) while its session lived on.
		b.sessions.dropUser(conn.user, "")
		if msg, err := marshalMsg("error", msgError{Message: "this account no longer exists"}); err == nil {
			_ = conn.ws.SetWriteDeadline(time.Now().Add(time.Second))
			_ = conn.ws.WriteMessage(websocket.TextMessage, msg)
		}
		conn.close()
		return
	}
	done := make(chan struct{})
	go func() { defer close(done); conn.writeLoop(b.cfg.Heartbeat) }()
	b.agentConnected(conn, skills)
	conn.readLoop(b.cfg.Heartbeat, func(in inbound) { b.agentMessage(conn, in) })
	conn.close()
	<-done
	b.agentDisconnected(conn)
}

func (b *Bridge) handleSupervisorWS(w http.ResponseWriter, r *http.Request) {
	conn := b.upgrade(w, r, RoleSupervisor)
	if conn == nil {
		return
	}
	done := make(chan struct{})
	go func() { defer close(done); conn.writeLoop(b.cfg.Heartbeat) }()
	b.mu.Lock()
	b.supers[conn] = struct{}{}
	b.mu.Unlock()
	conn.send(msgHello{User: conn.user, Role: conn.role})
	conn.readLoop(b.cfg.Heartbeat, func(inbound) {})
	conn.close()
	<-done
	b.mu.Lock()
	delete(b.supers, conn)
	b.mu.Unlock()
}

// agentConnected registers a page of an agent and restores whatever the agent was doing.
func (b *Bridge) agentConnected(conn *wsConn, skills []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.agents[conn.user]
	if a == nil {
		a = &agent{name: conn.user, role: conn.role, skills: skills, presence: PresenceAvailable,
			idleSince: time.Now(), conns: map[*wsConn]struct{}{}}
		b.agents[a.name] = a
		b.log.Info("agent logged in", "agent", a.name, "skills", strings.Join(skills, ","))
	}
	a.skills = skills
	a.conns[conn] = struct{}{}
	conn.agent = a
	if a.goneTimer != nil {
		a.goneTimer.Stop()
		a.goneTimer = nil
	}
	hello := msgHello{User: a.name, Role: a.role, Presence: a.presence, Skills: a.skills, ICEServers: b.rtc.conf.ICEServers}
	if c := a.call; c != nil {
		hello.Call = &callView{CallID: c.q.ID, State: c.state.String(), OfferID: c.offerID, Caller: c.q.Caller,
			Report: c.report, History: c.history, Held: c.held}
		if c.state == stateTalking {
			hello.Call.Since = c.answeredAt.UnixMilli()
			if a.lostTimer != nil {
				a.lostTimer.Stop()
				a.lostTimer = nil
			}
			c.post(event{kind: evAgentBack, conn: conn})
		}
	}
	conn.send(hello)
	if c := a.call; c != nil && c.state == stateRinging {
		conn.send(msgRing{CallID: c.q.ID, OfferID: c.offerID, Caller: c.q.Caller, Report: c.report,
			History: c.history, RingTimeout: b.cfg.RingTimeout.Milliseconds(), Waited: time.Since(c.since).Milliseconds()})
	}
	if a.wrap != nil {
		conn.send(msgWrapUp{CallID: a.wrap.callID})
	}
	b.dispatchLocked()
}

// agentDisconnected handles a page going away: a ringing offer moves on, a call in progress waits
// ReconnectGrace for the agent to come back, an idle agent is logged out after the same grace.
func (b *Bridge) agentDisconnected(conn *wsConn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := conn.agent
	delete(a.conns, conn)
	if len(a.conns) > 0 {
		return
	}
	switch c := a.call; {
	case c != nil && c.state == stateRinging:
		b.endRingLocked(c, "lost", true)
		b.startGoneTimerLocked(a)
	case c != nil && c.state == stateTalking:
		if a.lostTimer == nil {
			a.lostTimer = time.AfterFunc(b.cfg.ReconnectGrace, func() {
				b.mu.Lock()
				defer b.mu.Unlock()
				if len(a.conns) == 0 && a.call == c && a.lostTimer != nil {
					a.lostTimer = nil
					c.log.Warn("agent lost mid-call", "agent", a.name)
					b.metrics.offer("lost")
					c.post(event{kind: evAgentLost})
				}
			})
		}
		c.post(event{kind: evAgentDisconnected})
	default:
		if a.goneTimer == nil {
			b.startGoneTimerLocked(a)
		}
	}
	b.dispatchLocked()
}

// agentMessage handles one message from an agent's page.
func (b *Bridge) agentMessage(conn *wsConn, in inbound) {
	switch in.Type {
	case "answer":
		b.answer(conn, in.CallID, in.OfferID)
		return
	case "ping":
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	a := conn.agent
	switch in.Type {
	case "presence":
		switch in.Value {
		case PresenceAvailable:
			if a.call == nil && a.wrap == nil {
				a.setPresence(PresenceAvailable)
			}
		case PresenceAway:
			if c := a.call; c != nil && c.state == stateRinging {
				b.endRingLocked(c, "declined", true)
			}
			if a.call == nil && a.wrap == nil {
				a.setPresence(PresenceAway)
			}
		default:
			conn.send(msgError{Message: "presence must be available or away"})
		}
		conn.send(msgPresence{Value: a.presence})
		b.dispatchLocked()
	case "decline":
		if c := a.call; c != nil && c.q.ID == in.CallID && c.state == stateRinging && c.offerID == in.OfferID {
			b.endRingLocked(c, "declined", true)
			b.dispatchLocked()
		}
	case "wrapup":
		if a.wrap != nil && a.wrap.callID == in.CallID {
			b.finishWrapLocked(a, WrapUp{Disposition: clip(in.Disposition, 64), Notes: clip(in.Notes, 4000)})
		}
	case "prepare":
		if c := a.call; c != nil && c.q.ID == in.CallID && c.state == stateRinging && c.offerID == in.OfferID {
			c.post(event{kind: evPrepare, conn: conn, offer: in.OfferID})
		}
	case "rtc_answer", "ice", "hangup", "hold", "mute", "dtmf":
		c := a.call
		if c == nil || c.q.ID != in.CallID {
			return
		}
		if c.state != stateTalking && !(c.state == stateRinging && (in.Type == "rtc_answer" || in.Type == "ice")) {
			return
		}
		ev := event{conn: conn, pc: in.PC, sdp: in.SDP, on: in.On}
		switch in.Type {
		case "rtc_answer":
			ev.kind = evRTCAnswer
		case "ice":
			if in.Candidate == nil {
				return
			}
			ev.kind, ev.cand = evICE, *in.Candidate
		case "hangup":
			ev.kind = evHangup
		case "hold":
			ev.kind = evHold
		case "mute":
			return // muting happens in the page (the microphone track is disabled); nothing to do here
		case "dtmf":
			r, _ := utf8.DecodeRuneInString(in.Digit)
			if len(in.Digit) != 1 || !strings.ContainsRune("0123456789*#ABCD", r) {
				conn.send(msgError{Message: "dtmf digit must be one of 0-9 * # A-D"})
				return
			}
			ev.kind, ev.digit = evDTMF, r
		}
		c.post(ev)
	default:
		conn.send(msgError{Message: "unknown message type " + in.Type})
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
