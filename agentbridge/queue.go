package agentbridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/hotline/hotline/prosody"
)

// Presence values of an agent (the page's presence hook shows them in data-value).
const (
	PresenceAvailable = "available"
	PresenceBusy      = "busy"
	PresenceWrapUp    = "wrap-up"
	PresenceAway      = "away"
)

// ErrDuplicateCall is returned by Enqueue for a call id that is already queued.
var ErrDuplicateCall = errors.New("agentbridge: call already queued")

// agent is one logged-in person. All fields are guarded by Bridge.mu.
type agent struct {
	name, role string
	skills     []string
	presence   string
	idleSince  time.Time
	conns      map[*wsConn]struct{}
	call       *call      // ringing at or talking with this agent
	wrap       *wrapState // wrap-up in progress
	goneTimer  *time.Timer
	lostTimer  *time.Timer
}

func (a *agent) send(m message) {
	for c := range a.conns {
		c.send(m)
	}
}

// loggedIn: has a page open, or lost it moments ago and may come back.
func (a *agent) loggedIn() bool { return len(a.conns) > 0 || a.goneTimer != nil || a.lostTimer != nil }

func (a *agent) setPresence(p string) {
	if a.presence == p {
		return
	}
	a.presence = p
	if p == PresenceAvailable {
		a.idleSince = time.Now()
	}
	a.send(msgPresence{Value: p})
}

type wrapState struct {
	callID string
	ch     chan WrapUp
	timer  *time.Timer
}

type callState int

const (
	stateWaiting callState = iota
	stateRinging
	stateTalking
	stateDone
)

func (s callState) String() string {
	return [...]string{"waiting", "ringing", "talking", "ended"}[s]
}

type evKind int

const (
	evAnswered evKind = iota
	evOverflow
	evRTCAnswer
	evICE
	evHangup
	evHold
	evDTMF
	evAgentDisconnected
	evAgentBack
	evAgentLost
	evMediaFailed
	evPrepare   // the ringing page asks for the WebRTC leg now, so answering starts the audio at once
	evRingEnded // an offer was withdrawn or answered elsewhere: a prepared leg may have to go
)

type event struct {
	kind   evKind
	conn   *wsConn
	pc     int
	sdp    string
	cand   webrtc.ICECandidateInit
	on     bool
	digit  rune
	reason string
	offer  string
}

// call is a call in the bridge. Fields are guarded by Bridge.mu unless noted.
type call struct {
	q          QueuedCall
	ctx        context.Context // the Enqueue context (immutable)
	log        *slog.Logger    // immutable
	since      time.Time       // immutable: when the caller started waiting (the place in the queue)
	entered    time.Time       // immutable: when this Enqueue began
	state      callState
	agent      *agent
	conn       *wsConn // the page that answered (or came back)
	offerID    string
	ringStart  time.Time
	ringTotal  time.Duration
	ringTimer  *time.Timer
	tried      map[string]time.Time
	overflow   bool
	report     prosody.Report
	history    []PastCall
	held       bool
	answeredAt time.Time
	events     chan event // to the Enqueue goroutine (owner)
	assistBusy atomic.Bool
	toCaller   atomic.Bool          // the agent's voice goes to the caller (talking, not held, page present)
	fwd        atomic.Pointer[peer] // where caller audio goes (nil: nowhere)
	pcN        int                  // PeerConnections made so far (owned by the Enqueue goroutine)
}

func (c *call) post(ev event) {
	select {
	case c.events <- ev:
	default:
		c.log.Warn("call event dropped: queue full", "event", ev.kind)
	}
}

// forward is the media's per-packet callback: caller RTP payload to the agent's WebRTC track.
func (c *call) forward(payload []byte, pt uint8, ts uint32, marker bool) {
	if p := c.fwd.Load(); p != nil {
		p.forward(payload, pt, ts, marker)
	}
}

// triedWindow is how long an agent who declined or missed a call is skipped for it while others are tried.
const triedWindow = 30 * time.Second

// Enqueue hands a call to the queue and blocks while it waits, rings and talks. It returns when the agent leg
// ends; Outcome.Next says what to do with the caller (never is the caller dropped here). Cancel ctx when the
// caller hangs up: the card disappears and Enqueue returns ResultAbandoned or ResultCallerHangup.
func (b *Bridge) Enqueue(ctx context.Context, q QueuedCall) (Outcome, error) {
	if q.ID == "" || q.Media == nil {
		return Outcome{}, fmt.Errorf("agentbridge: enqueue needs a call id and media (id %q)", q.ID)
	}
	if q.PayloadType != 0 && q.PayloadType != 8 {
		return Outcome{}, fmt.Errorf("agentbridge: call %s: payload type %d is not PCMU (0) or PCMA (8)", q.ID, q.PayloadType)
	}
	now := time.Now()
	since := q.QueuedSince
	if since.IsZero() {
		since = now
	}
	out := Outcome{QueuedSince: since}
	log := b.log.With("call_id", q.ID)
	overflow := func(reason string) (Outcome, error) {
		out.Result, out.Next, out.Reason = ResultOverflow, b.cfg.Overflow, reason
		out.WaitMS = time.Since(now).Milliseconds()
		b.metrics.outcome(out.Result, out.Next)
		b.metrics.wait(ResultOverflow, time.Since(since).Seconds())
		log.Info("queue overflow", "reason", reason, "next", out.Next, "wait_ms", out.WaitMS)
		return out, nil
	}
	if !b.hours.isOpen(now) {
		return overflow(ReasonClosed)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &call{q: q, ctx: ctx, log: log, since: since, entered: now, tried: map[string]time.Time{}, report: q.Report,
		events: make(chan event, 64)}
	if c.report.CallID == "" {
		c.report.CallID = q.ID
	}
	if c.report.Caller == "" {
		c.report.Caller = q.Caller
	}
	b.mu.Lock()
	if _, dup := b.calls[q.ID]; dup {
		b.mu.Unlock()
		return Outcome{}, fmt.Errorf("call %s: %w", q.ID, ErrDuplicateCall)
	}
	if !b.anyAgentForLocked(q.Skills) {
		b.mu.Unlock()
		return overflow(ReasonNoAgents)
	}
	b.calls[q.ID] = c
	log.Info("call queued", "caller", q.Caller, "skills", strings.Join(q.Skills, ","))
	b.dispatchLocked()
	b.mu.Unlock()

	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	player := newHoldPlayer(q.Media, q.PayloadType, b.cfg.HoldMusic)
	wg.Add(1)
	go func() { defer wg.Done(); player.run(ctx) }()
	player.on.Store(true)

	if b.hooks.History != nil && q.Caller != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hctx, hcancel := context.WithTimeout(ctx, 2*time.Second)
			defer hcancel()
			h, err := b.hooks.History(hctx, q.Caller)
			if err != nil {
				log.Warn("caller history unavailable", "err", err)
				return
			}
			b.setHistory(c, h)
		}()
	}

	maxWait := time.NewTimer(max(b.cfg.MaxWait-time.Since(since), 0))
	defer maxWait.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var reassure <-chan time.Time
	if b.cfg.ReassureEvery > 0 && q.Say != nil {
		t := time.NewTicker(b.cfg.ReassureEvery)
		defer t.Stop()
		reassure = t.C
	}
	sayCtx, sayCancel := context.WithCancel(ctx)
	defer sayCancel()
	var saying atomic.Bool
	var prepared *peer // a WebRTC leg negotiated while ringing
	defer func() {
		if prepared != nil {
			prepared.close()
		}
	}()

	for {
		select {
		case <-ctx.Done():
			if b.leaveQueue(c, "caller_hangup") {
				out.Result = ResultAbandoned
				out.WaitMS, out.RingMS = time.Since(now).Milliseconds(), c.ringTotal.Milliseconds()
				b.metrics.outcome(out.Result, out.Next)
				b.metrics.wait(ResultAbandoned, time.Since(since).Seconds())
				log.Info("caller hung up while waiting", "wait_ms", out.WaitMS)
				return out, nil
			}
			// Answered at the same moment: the talk phase sees the cancelled context and ends at once.
			sayCancel()
			return b.talk(ctx, c, player, out, nil)
		case <-maxWait.C:
			if b.leaveQueue(c, "overflow") {
				return overflow(ReasonWaitLimit)
			}
		case <-tick.C:
			b.mu.Lock()
			b.dispatchLocked()
			b.mu.Unlock()
		case <-reassure:
			if saying.CompareAndSwap(false, true) {
				mins := b.expectedWaitMinutes(c)
				unit := " minutes"
				if mins == 1 {
					unit = " minute"
				}
				text := strings.ReplaceAll(b.cfg.ReassureText, "{minutes}", strconv.Itoa(mins)+unit)
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer saying.Store(false)
					player.saying.Store(true)
					defer player.saying.Store(false)
					if err := q.Say(sayCtx, text); err != nil && sayCtx.Err() == nil {
						log.Warn("reassurance not played", "err", err)
					}
				}()
			}
		case ev := <-c.events:
			switch ev.kind {
			case evOverflow:
				if b.leaveQueue(c, "overflow") {
					return overflow(ev.reason)
				}
			case evPrepare:
				b.mu.Lock()
				ok := c.state == stateRinging && c.offerID == ev.offer && c.agent == ev.conn.agent
				b.mu.Unlock()
				if ok && prepared == nil {
					c.pcN++
					p, err := b.newPeer(c, ev.conn, c.pcN)
					if err != nil {
						log.Warn("webrtc leg not prepared", "err", err)
						break
					}
					p.offer = ev.offer
					prepared = p
				}
			case evRTCAnswer:
				if prepared != nil && ev.pc == prepared.id {
					if err := prepared.setAnswer(ev.sdp); err != nil {
						log.Warn("webrtc answer refused", "err", err)
					}
				}
			case evICE:
				if prepared != nil && ev.pc == prepared.id {
					prepared.addCandidate(ev.cand)
				}
			case evRingEnded:
				b.mu.Lock()
				stale := prepared != nil && (c.state != stateTalking && c.offerID != prepared.offer)
				b.mu.Unlock()
				if stale {
					prepared.close()
					prepared = nil
				}
			case evAnswered:
				sayCancel()
				p := prepared
				prepared = nil
				return b.talk(ctx, c, player, out, p)
			}
		}
	}
}

// leaveQueue takes a waiting or ringing call out of the queue. It returns false when an agent has answered it
// meanwhile (the caller must go on to the talk phase).
func (b *Bridge) leaveQueue(c *call, reason string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.state == stateTalking {
		return false
	}
	if c.state == stateRinging {
		b.endRingLocked(c, reason, false)
	}
	c.state = stateDone
	delete(b.calls, c.q.ID)
	b.dispatchLocked()
	return true
}

func (b *Bridge) setHistory(c *call, h []PastCall) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c.history = h
	if c.agent != nil {
		c.agent.send(msgHistory{CallID: c.q.ID, Calls: h})
	}
}

// expectedWaitMinutes estimates the wait from the moving average of answered waits and the place in the queue.
func (b *Bridge) expectedWaitMinutes(c *call) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	ahead := 0
	for _, o := range b.calls {
		if o.state != stateTalking && o.state != stateDone && o.since.Before(c.since) {
			ahead++
		}
	}
	est := b.avgWait*time.Duration(ahead+1) - time.Since(c.since)
	return max(1, int((est+time.Minute-1)/time.Minute))
}

// anyAgentForLocked reports whether some logged-in agent (whatever the presence) could take a call with skills.
func (b *Bridge) anyAgentForLocked(skills []string) bool {
	for _, a := range b.agents {
		if a.loggedIn() && skillsMatch(a.skills, skills) {
			return true
		}
	}
	return false
}

// dispatchLocked offers every waiting call, oldest first, to the longest-idle available agent with the skills it
// needs, and overflows calls that no logged-in agent could ever take.
func (b *Bridge) dispatchLocked() {
	waiting := make([]*call, 0, len(b.calls))
	for _, c := range b.calls {
		if c.state == stateWaiting && !c.overflow {
			waiting = append(waiting, c)
		}
	}
	sort.Slice(waiting, func(i, j int) bool { return waiting[i].since.Before(waiting[j].since) })
	for _, c := range waiting {
		if !b.anyAgentForLocked(c.q.Skills) {
			c.overflow = true
			c.post(event{kind: evOverflow, reason: ReasonNoAgents})
			continue
		}
		if a := b.pickAgentLocked(c); a != nil {
			b.offerLocked(c, a)
		}
	}
	b.gaugesLocked()
}

// pickAgentLocked returns the longest-idle free agent with matching skills that has not just declined or missed
// this call, or nil.
func (b *Bridge) pickAgentLocked(c *call) *agent {
	var best *agent
	now := time.Now()
	for _, a := range b.agents {
		if a.presence != PresenceAvailable || a.call != nil || a.wrap != nil || len(a.conns) == 0 {
			continue
		}
		if !skillsMatch(a.skills, c.q.Skills) {
			continue
		}
		if t, ok := c.tried[a.name]; ok && now.Sub(t) < triedWindow {
			continue
		}
		if best == nil || a.idleSince.Before(best.idleSince) || (a.idleSince.Equal(best.idleSince) && a.name < best.name) {
			best = a
		}
	}
	return best
}

func (b *Bridge) offerLocked(c *call, a *agent) {
	c.state, c.agent, a.call = stateRinging, a, c
	c.offerID = randomToken()[:16]
	c.ringStart = time.Now()
	offerID := c.offerID
	c.ringTimer = time.AfterFunc(b.cfg.RingTimeout, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if c.state == stateRinging && c.offerID == offerID {
			b.endRingLocked(c, "timeout", true)
			b.dispatchLocked()
		}
	})
	c.log.Info("ringing", "agent", a.name, "offer_id", offerID)
	a.send(msgRing{CallID: c.q.ID, OfferID: offerID, Caller: c.q.Caller, Report: c.report, History: c.history,
		RingTimeout: b.cfg.RingTimeout.Milliseconds(), Waited: time.Since(c.since).Milliseconds()})
}

// endRingLocked withdraws the current offer of c (reason: timeout, declined, lost, caller_hangup, overflow) and
// puts the call back to waiting. The caller must dispatch afterwards when it wants the call offered again.
func (b *Bridge) endRingLocked(c *call, reason string, retry bool) {
	a := c.agent
	c.ringTimer.Stop()
	c.ringTotal += time.Since(c.ringStart)
	c.state, c.agent, c.offerID = stateWaiting, nil, ""
	a.call = nil
	if retry {
		c.tried[a.name] = time.Now()
	}
	c.log.Info("offer withdrawn", "agent", a.name, "reason", reason)
	a.send(msgRingCancel{CallID: c.q.ID, Reason: reason})
	c.post(event{kind: evRingEnded})
	switch reason {
	case "timeout":
		b.metrics.offer("timeout")
		if b.cfg.AwayOnMissedRing {
			a.setPresence(PresenceAway)
		}
	case "declined", "lost":
		b.metrics.offer(reason)
	default:
		b.metrics.offer("cancelled")
	}
}

// answer is an agent's page taking the offer offerID of callID: at most one answer ever wins.
func (b *Bridge) answer(conn *wsConn, callID, offerID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := conn.agent
	c := b.calls[callID]
	if c == nil || c.state != stateRinging || c.agent != a || c.offerID != offerID || offerID == "" {
		conn.send(msgRingCancel{CallID: callID, Reason: "taken"})
		conn.send(msgError{Message: "this call is no longer available"})
		return
	}
	c.ringTimer.Stop()
	c.ringTotal += time.Since(c.ringStart)
	c.state, c.conn, c.answeredAt = stateTalking, conn, time.Now()
	b.metrics.offer("answered")
	b.metrics.ring(time.Since(c.ringStart).Seconds())
	a.setPresence(PresenceBusy)
	a.send(msgCall{CallID: callID, State: "talking"})
	c.log.Info("answered", "agent", a.name, "wait_ms", time.Since(c.since).Milliseconds())
	c.post(event{kind: evAnswered})
	b.gaugesLocked()
}

// talk runs the call from the answer until the agent leg ends.
func (b *Bridge) talk(ctx context.Context, c *call, player *holdPlayer, out Outcome, prepared *peer) (Outcome, error) {
	player.on.Store(false)
	b.mu.Lock()
	a, conn := c.agent, c.conn
	out.Agent = a.name
	out.WaitMS, out.RingMS = c.answeredAt.Sub(c.entered).Milliseconds(), c.ringTotal.Milliseconds()
	b.avgWait = (b.avgWait*4 + c.answeredAt.Sub(c.since)) / 5
	b.mu.Unlock()
	b.metrics.wait("answered", float64(out.WaitMS)/1000)
	log := c.log.With("agent", a.name)

	c.q.Media.SetForward(c.forward)
	defer c.q.Media.SetForward(nil)
	var p *peer
	closePeer := func() {
		if p != nil {
			c.fwd.Store(nil)
			p.close()
			p = nil
		}
	}
	defer closePeer()
	restarts, disconnected, held := 0, false, false
	startPeer := func(to *wsConn) {
		closePeer()
		c.pcN++
		var err error
		p, err = b.newPeer(c, to, c.pcN)
		if err != nil {
			log.Error("webrtc leg not started", "err", err)
			to.send(msgError{Message: "audio could not be set up: " + err.Error()})
			return
		}
		c.fwd.Store(p)
	}
	setAudio := func(held bool) {
		c.toCaller.Store(!held && !disconnected)
		if p != nil {
			p.active.Store(!held && !disconnected)
		}
		player.on.Store(held || disconnected)
	}
	if prepared != nil && prepared.conn == conn {
		p = prepared // negotiated while ringing: the audio starts now
		c.fwd.Store(p)
	} else {
		if prepared != nil {
			prepared.close()
		}
		startPeer(conn)
	}
	setAudio(false)

	finish := func(result, by string) (Outcome, error) {
		closePeer()
		player.on.Store(false)
		out.Result = result
		out.TalkMS = time.Since(c.answeredAt).Milliseconds()
		b.mu.Lock()
		a := c.agent
		c.state = stateDone
		a.call = nil
		if a.lostTimer != nil {
			a.lostTimer.Stop()
			a.lostTimer = nil
		}
		delete(b.calls, c.q.ID)
		a.send(msgCall{CallID: c.q.ID, State: "ended", By: by})
		if result == ResultAgentLost {
			out.Next = b.cfg.OnAgentLost
			if len(a.conns) == 0 && b.agents[a.name] == a {
				delete(b.agents, a.name)
			}
		} else {
			ch := make(chan WrapUp, 1)
			out.WrapUp = ch
			w := &wrapState{callID: c.q.ID, ch: ch}
			w.timer = time.AfterFunc(b.cfg.WrapUpTimeout, func() {
				b.mu.Lock()
				defer b.mu.Unlock()
				if a.wrap == w {
					b.finishWrapLocked(a, WrapUp{TimedOut: true})
				}
			})
			a.wrap = w
			a.setPresence(PresenceWrapUp)
			a.send(msgWrapUp{CallID: c.q.ID})
			if len(a.conns) == 0 && a.goneTimer == nil {
				b.startGoneTimerLocked(a)
			}
		}
		b.dispatchLocked()
		b.mu.Unlock()
		b.metrics.outcome(out.Result, out.Next)
		log.Info("agent leg ended", "result", result, "by", by, "talk_ms", out.TalkMS, "next", out.Next)
		return out, nil
	}

	for {
		select {
		case <-ctx.Done():
			return finish(ResultCallerHangup, "caller")
		case ev := <-c.events:
			switch ev.kind {
			case evRTCAnswer:
				if p != nil && ev.pc == p.id {
					if err := p.setAnswer(ev.sdp); err != nil {
						log.Warn("webrtc answer refused", "err", err)
						ev.conn.send(msgError{Message: "audio answer refused: " + err.Error()})
					}
				}
			case evICE:
				if p != nil && ev.pc == p.id {
					p.addCandidate(ev.cand)
				}
			case evHangup:
				return finish(ResultCompleted, "agent")
			case evHold:
				b.mu.Lock()
				c.held = ev.on
				c.agent.send(msgCall{CallID: c.q.ID, State: "talking", Held: ev.on})
				b.mu.Unlock()
				held = ev.on
				setAudio(held)
				log.Info("hold", "on", ev.on)
			case evDTMF:
				if d, ok := c.q.Media.(DTMFSender); ok {
					// The events replace the agent's voice while they play (the media sends either, not both).
					c.toCaller.Store(false)
					dctx, dcancel := context.WithTimeout(ctx, 2*time.Second)
					err := d.SendDTMF(dctx, string(ev.digit), 120*time.Millisecond)
					dcancel()
					setAudio(held)
					if err != nil {
						log.Warn("dtmf not sent", "digit", string(ev.digit), "err", err)
					}
				} else {
					log.Warn("dtmf not sent: the call's media cannot send telephone events", "digit", string(ev.digit))
				}
			case evAgentDisconnected:
				disconnected = true
				setAudio(held)
				log.Warn("agent page disconnected mid-call; waiting for it to come back")
			case evAgentBack:
				disconnected = false
				b.mu.Lock()
				c.conn = ev.conn
				b.mu.Unlock()
				startPeer(ev.conn)
				setAudio(held)
				log.Info("agent page back; audio restarted")
			case evMediaFailed:
				if p != nil && ev.pc == p.id && !disconnected && restarts < 3 {
					restarts++
					log.Warn("webrtc leg failed; renegotiating", "attempt", restarts)
					b.mu.Lock()
					to := c.conn
					b.mu.Unlock()
					startPeer(to)
				}
			case evAgentLost:
				closePeer()
				player.on.Store(false)
				if c.q.Say != nil {
					sctx, scancel := context.WithTimeout(ctx, 15*time.Second)
					if err := c.q.Say(sctx, b.cfg.ApologyText); err != nil && ctx.Err() == nil {
						log.Warn("apology not played", "err", err)
					}
					scancel()
				}
				if ctx.Err() != nil {
					return finish(ResultCallerHangup, "caller")
				}
				return finish(ResultAgentLost, "lost")
			}
		}
	}
}

// finishWrapLocked delivers the wrap-up and makes the agent available again.
func (b *Bridge) finishWrapLocked(a *agent, w WrapUp) {
	st := a.wrap
	a.wrap = nil
	st.timer.Stop()
	st.ch <- w
	close(st.ch)
	if len(a.conns) > 0 {
		a.setPresence(PresenceAvailable)
	} else {
		a.presence = PresenceAvailable
		a.idleSince = time.Now()
	}
	b.dispatchLocked()
}

func (b *Bridge) startGoneTimerLocked(a *agent) {
	a.goneTimer = time.AfterFunc(b.cfg.ReconnectGrace, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		a.goneTimer = nil
		if len(a.conns) == 0 && a.call == nil && b.agents[a.name] == a {
			if a.wrap != nil {
				b.finishWrapLocked(a, WrapUp{TimedOut: true})
			}
			delete(b.agents, a.name)
			b.log.Info("agent logged out (page closed)", "agent", a.name)
		}
		b.dispatchLocked()
	})
}

func (b *Bridge) gaugesLocked() {
	if b.metrics == nil {
		return
	}
	n := 0
	for _, c := range b.calls {
		if c.state == stateWaiting || c.state == stateRinging {
			n++
		}
	}
	b.metrics.setWaiting(n)
	by := map[string]int{}
	for _, a := range b.agents {
		by[a.presence]++
	}
	b.metrics.setAgents(by)
}
