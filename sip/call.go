package sip

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline/hotline/media"
)

// End causes (CallEnd.Cause, Call.EndCause).
const (
	causeRemoteBye   = "remote_bye"
	causeLocalHangup = "local_hangup"
	causeHandlerDone = "handler_done"
	causeCancelled   = "cancelled"
	causeRTPTimeout  = "rtp_timeout"
	causeSessionExp  = "session_expired"
	causeRefreshFail = "session_refresh_failed"
	causeTransferred = "transferred"
	causeShutdown    = "shutdown"
	causeNoAck       = "no_ack"
	causeBadAnswer   = "bad_sdp_answer"
	causeMediaError  = "media_error"
)

// Call is one inbound call. Its methods are safe for concurrent use by the handler's goroutines.
type Call struct {
	id        string
	srv       *Server
	dtx       *sipgo.DialogServerSession
	sess      *media.Session
	log       *slog.Logger
	sipCallID string
	caller    string
	called    string
	private   bool
	st        sessionTimer

	startedAt  time.Time
	answeredAt time.Time
	sipStatus  int
	started    bool // media started

	ctx    context.Context // the call's life; cancelled with the end cause
	cancel context.CancelCauseFunc

	releaseAdmission func()

	// Negotiation state, guarded by mu after the answer.
	mu           sync.Mutex
	local        localSDP
	remote       remoteMedia
	lastSDP      []byte
	sdpSessID    uint64
	ackBody      []byte
	reinviteAck  chan []byte // set while a re-INVITE's 200 waits for its ACK
	sessInterval time.Duration
	weRefresh    bool
	refreshed    chan struct{} // a session refresh came from the peer
	notify       chan int      // sipfrag status codes of NOTIFYs for our REFER
	endCause     string
	endBy        string
	byeOnce      sync.Once
	byeErr       error
}

func newCall(s *Server, req *sip.Request, dtx *sipgo.DialogServerSession, st sessionTimer) *Call {
	c := &Call{
		id: newCallID(), srv: s, dtx: dtx, st: st,
		sipCallID: callIDOf(req),
		startedAt: time.Now(),
		sdpSessID: newSessID(),
		refreshed: make(chan struct{}, 1),
		notify:    make(chan int, 8),
	}
	c.caller = callerOf(req)
	c.private = headerHas(req, "Privacy", "id") || headerHas(req, "Privacy", "user")
	c.called = req.Recipient.User
	if c.called == "" {
		c.called = req.Recipient.Addr()
	}
	c.ctx, c.cancel = context.WithCancelCause(s.baseCtx)
	c.log = s.log.With("call_id", c.id, "sip_call_id", c.sipCallID)
	return c
}

// callerOf is the caller's identity: the first P-Asserted-Identity URI when present, else the From URI.
func callerOf(req *sip.Request) string {
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		v := h.Value()
		if i := strings.IndexByte(v, '<'); i >= 0 {
			if j := strings.IndexByte(v[i:], '>'); j > 0 {
				return v[i+1 : i+j]
			}
		}
		v, _, _ = strings.Cut(v, ",")
		return strings.TrimSpace(v)
	}
	if f := req.From(); f != nil {
		u := f.Address
		return (&sip.Uri{Scheme: u.Scheme, User: u.User, Host: u.Host, Port: u.Port}).String()
	}
	return ""
}

// ID is hotline's own id of the call (a UUID), used in logs and the call record.
func (c *Call) ID() string { return c.id }

// SIPCallID is the Call-ID of the dialog.
func (c *Call) SIPCallID() string { return c.sipCallID }

// Caller is the caller's URI: P-Asserted-Identity when present, else From. Check Private before showing it.
func (c *Call) Caller() string { return c.caller }

// Private reports that the caller asked for privacy (Privacy: id): logs and records must not show the number.
func (c *Call) Private() bool { return c.private }

// Called is the user part of the Request-URI (the number dialled), or the whole URI when it has none.
func (c *Call) Called() string { return c.called }

// StartedAt is when the INVITE arrived.
func (c *Call) StartedAt() time.Time { return c.startedAt }

// AnsweredAt is when our 200 OK was acknowledged.
func (c *Call) AnsweredAt() time.Time { return c.answeredAt }

// Media is the call's RTP session: frames in (Subscribe), playback (Play), DTMF, recording, stats.
func (c *Call) Media() *media.Session { return c.sess }

// DTMF delivers the caller's digits, RFC 4733 events and SIP INFO (application/dtmf-relay, application/dtmf)
// merged into one stream by the media session.
func (c *Call) DTMF() <-chan media.DTMF { return c.sess.DTMF() }

// Log is a logger carrying call_id and sip_call_id.
func (c *Call) Log() *slog.Logger { return c.log }

// Context is the call's context, cancelled when the call ends.
func (c *Call) Context() context.Context { return c.ctx }

// EndCause says why the call ended ("" while it is up).
func (c *Call) EndCause() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endCause
}

func (c *Call) endCauseSet() string { return c.EndCause() }

// logCaller is the caller as logs may show it.
func (c *Call) logCaller() string {
	if c.private {
		return "anonymous"
	}
	return c.caller
}

// setEnd records the first end cause and cancels the call's context.
func (c *Call) setEnd(cause, by string) {
	c.mu.Lock()
	if c.endCause == "" {
		c.endCause, c.endBy = cause, by
	}
	c.mu.Unlock()
	c.cancel(errors.New(cause))
}

// Hangup ends the call with a BYE (following the route set) and waits for its answer.
func (c *Call) Hangup(ctx context.Context) error {
	c.setEnd(causeLocalHangup, "local")
	return c.bye(ctx)
}

// bye sends our BYE once; later calls return the first result.
func (c *Call) bye(ctx context.Context) error {
	c.byeOnce.Do(func() {
		if c.dtx.LoadState() == sip.DialogStateEnded {
			return
		}
		wait := min(64*sip.T1, 32*time.Second)
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
		defer cancel()
		bye := sip.NewRequest(sip.BYE, c.remoteTarget())
		c.prep(bye)
		c.byeErr = c.dtx.WriteBye(bctx, bye)
		if c.byeErr != nil {
			c.log.Info("sip BYE not confirmed", "error", c.byeErr)
		}
	})
	return c.byeErr
}

// prep makes an in-dialog request leave from our listening UDP socket (sipgo's dialog layer would otherwise let
// the transport pick, and it may open a new socket for it).
func (c *Call) prep(req *sip.Request) {
	req.SetTransport(c.dtx.InviteRequest.Transport())
	if transportOf(c.dtx.InviteRequest) == "udp" {
		c.srv.mu.Lock()
		req.Laddr = c.srv.udpLaddr
		c.srv.mu.Unlock()
	}
}

// run is the call's goroutine after the answer: it runs the handler and watches every reason to end.
func (c *Call) run() {
	defer c.finish()
	c.mu.Lock()
	rm, iv := c.remote, c.sessInterval
	c.mu.Unlock()
	c.log.Info("sip call answered", "codec", rm.Codec.Name, "remote_rtp", rm.Addr.String(),
		"ptime_ms", rm.PtimeMs, "session_expires", iv, "we_refresh", c.weRefresh)

	handlerDone := make(chan struct{})
	hctx, hcancel := context.WithCancel(c.ctx)
	defer hcancel()
	go func() {
		defer close(handlerDone)
		defer func() {
			if r := recover(); r != nil {
				c.log.Error("call handler panic; hanging up", "panic", r)
			}
		}()
		c.srv.handler(hctx, c)
	}()

	var refresh, expire <-chan time.Time
	var refreshTimer, expireTimer *time.Timer
	if iv > 0 {
		if c.weRefresh {
			refreshTimer = time.NewTimer(iv / 2)
			refresh = refreshTimer.C
		} else {
			expireTimer = time.NewTimer(expiryWait(iv))
			expire = expireTimer.C
		}
	}
	defer func() {
		if refreshTimer != nil {
			refreshTimer.Stop()
		}
		if expireTimer != nil {
			expireTimer.Stop()
		}
	}()
	var mediaDone <-chan struct{} = c.sess.Done()
	for loop := true; loop; {
		select {
		case <-handlerDone:
			handlerDone = nil
			c.setEnd(causeHandlerDone, "local")
			loop = false
		case <-c.dtx.Context().Done():
			c.setEnd(causeRemoteBye, "remote")
			loop = false
		case <-mediaDone:
			cause := c.sess.EndCause()
			if cause == "" {
				cause = causeRTPTimeout
			}
			c.log.Info("media ended the call", "cause", cause)
			c.setEnd(cause, "local")
			loop = false
		case <-c.ctx.Done():
			if c.EndCause() == "" {
				c.setEnd(causeShutdown, "local")
			}
			loop = false
		case <-refresh:
			if err := c.refreshSession(); err != nil {
				c.log.Warn("session refresh failed; ending the call", "error", err)
				c.setEnd(causeRefreshFail, "local")
				loop = false
				break
			}
			refreshTimer.Reset(c.interval() / 2)
		case <-c.refreshed:
			if expireTimer != nil {
				expireTimer.Reset(expiryWait(c.interval()))
			}
		case <-expire:
			c.log.Warn("peer stopped refreshing the session; ending the call", "session_expires", c.interval())
			c.setEnd(causeSessionExp, "local")
			loop = false
		}
	}
	c.mu.Lock()
	by := c.endBy
	c.mu.Unlock()
	if by == "local" {
		_ = c.bye(context.Background())
	}
	hcancel()
	if handlerDone != nil {
		<-handlerDone
	}
}

// interval is the current session-timer interval (0: none).
func (c *Call) interval() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessInterval
}

// expiryWait is how long we wait for the peer's refresh (RFC 4028 §10: interval minus min(32 s, interval/3)).
func expiryWait(iv time.Duration) time.Duration {
	return iv - min(32*time.Second, iv/3)
}

// finish closes the media, forgets the dialog and reports the end of an answered call.
func (c *Call) finish() {
	c.cancel(errors.New("call over"))
	var stats media.Stats
	if c.sess != nil {
		stats = c.sess.Stats()
		if err := c.sess.Close(); err != nil {
			c.log.Debug("media close", "error", err)
		}
	}
	c.dtx.Close()
	c.srv.mu.Lock()
	delete(c.srv.calls, c.dtx.ID)
	c.srv.mu.Unlock()
	if c.releaseAdmission != nil {
		c.releaseAdmission()
	}
	c.srv.m.callEnded()
	c.mu.Lock()
	end := CallEnd{
		ID: c.id, SIPCallID: c.sipCallID, Called: c.called, Private: c.private,
		StartedAt: c.startedAt, AnsweredAt: c.answeredAt, EndedAt: time.Now(),
		SIPStatus: c.sipStatus, Cause: c.endCause, By: c.endBy, Stats: stats,
	}
	c.mu.Unlock()
	if !c.private {
		end.Caller = c.caller
	}
	c.log.Info("sip call ended", "cause", end.Cause, "by", end.By, "sip_status", end.SIPStatus,
		"duration", end.EndedAt.Sub(end.StartedAt).Round(time.Millisecond))
	if c.srv.onEnd != nil {
		func() {
			defer func() {
				if r := recover(); r != nil {
					c.log.Error("OnEnd hook panic", "panic", r)
				}
			}()
			c.srv.onEnd(end)
		}()
	}
	c.srv.wg.Done()
}

// finishUnanswered ends a call that never reached the handler.
func (c *Call) finishUnanswered(err error) {
	if c.EndCause() == "" {
		c.setEnd(causeMediaError, "local")
		c.log.Warn("sip call failed before answer", "error", err)
		if c.sipStatus == 0 {
			c.sipStatus = 500
			res := sip.NewResponseFromRequest(c.dtx.InviteRequest, 500, "Server Internal Error", nil)
			_ = c.respond(res)
		}
	} else if c.sipStatus == 200 {
		// Answered but the ACK never came or the late answer was unusable: hang up.
		_ = c.bye(context.Background())
	}
	c.finish()
}

// handleRequest serves an in-dialog request.
func (c *Call) handleRequest(req *sip.Request, tx sip.ServerTransaction) {
	switch req.Method {
	case sip.BYE:
		if err := c.dtx.ReadBye(req, tx); err != nil {
			c.srv.reply(tx, req, 481, "Call/Transaction Does Not Exist")
			return
		}
		c.srv.m.response(200)
		c.setEnd(causeRemoteBye, "remote")
		c.log.Info("sip BYE from peer")
	case sip.INVITE, sip.UPDATE:
		c.handleOffer(req, tx)
	case sip.INFO:
		c.handleInfo(req, tx)
	case sip.NOTIFY:
		c.handleNotify(req, tx)
	case sip.OPTIONS:
		c.srv.onOptions(req, tx)
	default:
		c.srv.reply(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", allowHeader))
	}
}

// readAck takes the ACK of our 200 (its SDP when we made a late offer) or of a re-INVITE's 200.
func (c *Call) readAck(req *sip.Request, tx sip.ServerTransaction) {
	c.mu.Lock()
	if ch := c.reinviteAck; ch != nil && req.CSeq() != nil && req.CSeq().SeqNo != c.dtx.InviteRequest.CSeq().SeqNo {
		c.reinviteAck = nil
		c.mu.Unlock()
		ch <- req.Body()
		return
	}
	if len(req.Body()) > 0 {
		c.ackBody = req.Body()
	}
	c.mu.Unlock()
	if err := c.dtx.ReadAck(req, tx); err != nil {
		c.log.Debug("ACK ignored", "error", err)
	}
}

// applyRemote hands the negotiated stream to the media session.
func (c *Call) applyRemote(rm remoteMedia, ours Direction) error {
	c.sess.SetRemote(toMediaRemote(rm))
	c.sess.SetDirection(mediaDirection(ours))
	return nil
}

func mediaDirection(d Direction) media.Direction {
	switch d {
	case SendOnly:
		return media.SendOnly
	case RecvOnly:
		return media.RecvOnly
	case Inactive:
		return media.Inactive
	}
	return media.SendRecv
}
