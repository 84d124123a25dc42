package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/hotline/hotline/media"
)

// onInvite handles a new INVITE (or a re-INVITE, which goes to its call). It runs in sipgo's goroutine for the
// transaction and returns once the call is answered and acknowledged (the call then runs in its own goroutine)
// or refused.
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if hasToTag(req) {
		if c := s.callFor(req); c != nil {
			c.handleRequest(req, tx)
			return
		}
		s.log.Info("sip re-INVITE for no known dialog", append(logAttrs(req), "status", 481)...)
		s.reply(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	// 100 Trying at once: it stops the caller's retransmissions while we decide.
	s.reply(tx, req, 100, "Trying")

	cfg := s.config()
	refuse := func(code int, reason, metric, why string, hdrs ...sip.Header) {
		s.m.refusedCall(metric)
		s.log.Warn("sip call refused: "+why, append(logAttrs(req), "status", code, "reason", metric)...)
		s.reply(tx, req, code, reason, hdrs...)
	}
	if req.Contact() == nil || req.CSeq() == nil || req.From() == nil || req.To() == nil {
		refuse(400, "Bad Request", "bad_request", "INVITE without Contact, CSeq, From or To")
		return
	}
	if unsupported := unsupportedRequire(req); unsupported != "" {
		refuse(420, "Bad Extension", "extension", "caller requires "+unsupported,
			sip.NewHeader("Unsupported", unsupported))
		return
	}
	if s.draining.Load() {
		refuse(503, "Service Unavailable", "draining", "server is draining",
			sip.NewHeader("Retry-After", retryAfter(cfg)))
		return
	}
	switch res, chal, why := s.policy().checkAuth(req, time.Now()); res {
	case authChallenge:
		// A challenge is part of normal set-up: counted, logged at info.
		s.m.refusedCall("auth_challenge")
		s.log.Info("sip INVITE challenged: "+why, append(logAttrs(req), "status", 401)...)
		s.reply(tx, req, 401, "Unauthorized", sip.NewHeader("WWW-Authenticate", chal))
		return
	case authForbidden:
		refuse(403, "Forbidden", "auth", "digest authentication failed: "+why)
		return
	}
	// Session timer (RFC 4028): an interval below our minimum gets 422.
	st, err := parseSessionExpires(req)
	if err != nil {
		refuse(400, "Bad Request", "bad_request", err.Error())
		return
	}
	if st.interval > 0 && st.interval < cfg.MinSE {
		refuse(422, "Session Interval Too Small", "interval_too_small",
			fmt.Sprintf("Session-Expires %s below min_se %s", st.interval, cfg.MinSE),
			sip.NewHeader("Min-SE", strconv.Itoa(int(cfg.MinSE/time.Second))))
		return
	}
	var offer *remoteMedia
	if len(req.Body()) > 0 {
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = strings.ToLower(h.Value())
		}
		if !strings.HasPrefix(ct, "application/sdp") {
			refuse(415, "Unsupported Media Type", "bad_request", "body is "+strconv.Quote(ct)+", not application/sdp",
				sip.NewHeader("Accept", "application/sdp"))
			return
		}
		rm, err := parseRemoteSDP(req.Body(), cfg.Codecs)
		switch {
		case errors.Is(err, ErrNoCommonCodec):
			refuse(488, "Not Acceptable Here", "no_common_codec", "no common codec in the SDP offer",
				sip.NewHeader("Warning", `304 hotline "Media type not available: we take PCMU, PCMA"`))
			return
		case err != nil:
			refuse(488, "Not Acceptable Here", "bad_sdp", "unusable SDP offer: "+err.Error())
			return
		}
		offer = &rm
	}
	// Merged requests (RFC 3261 §8.2.2.2): the same INVITE on another branch (a fork that looped back, or an
	// RFC 2543 client's retransmission) must not become a second call.
	mkey := mergeKey(req)
	s.mu.Lock()
	merged := s.inviteKeys[mkey]
	s.mu.Unlock()
	if merged {
		refuse(482, "Loop Detected", "merged_request", "same INVITE already being served on another branch")
		return
	}
	// Admission.
	s.mu.Lock()
	full := s.admitted >= cfg.MaxCalls
	if !full {
		s.admitted++
		s.inviteKeys[mkey] = true
	}
	s.mu.Unlock()
	if full {
		refuse(503, "Service Unavailable", "busy", fmt.Sprintf("max_calls %d reached", cfg.MaxCalls),
			sip.NewHeader("Retry-After", retryAfter(cfg)))
		return
	}
	admitted := true
	release := func() {
		if admitted {
			admitted = false
			s.mu.Lock()
			s.admitted--
			delete(s.inviteKeys, mkey)
			s.mu.Unlock()
		}
	}

	dtx, err := s.dialogUA(transportOf(req)).ReadInvite(req, tx)
	if err != nil {
		release()
		refuse(400, "Bad Request", "bad_request", "cannot start dialog: "+err.Error())
		return
	}
	c := newCall(s, req, dtx, st)
	sess, err := s.pool.Open(c.id)
	if err != nil {
		release()
		dtx.Close()
		refuse(503, "Service Unavailable", "media", "no media port: "+err.Error(),
			sip.NewHeader("Retry-After", retryAfter(cfg)))
		return
	}
	c.sess = sess
	s.mu.Lock()
	s.calls[dtx.ID] = c
	s.mu.Unlock()
	s.m.callStarted()
	s.wg.Add(1)
	c.releaseAdmission = release
	c.log.Info("sip call incoming", "caller", c.logCaller(), "called", c.called, "source", req.Source(),
		"transport", req.Transport(), "late_offer", offer == nil)

	if err := c.answer(cfg, offer); err != nil {
		c.finishUnanswered(err)
		return
	}
	go c.run()
}

// mergeKey identifies an INVITE across branches: Call-ID, From tag and CSeq.
func mergeKey(req *sip.Request) string {
	tag, _ := req.From().Params.Get("tag")
	return callIDOf(req) + "|" + tag + "|" + strconv.FormatUint(uint64(req.CSeq().SeqNo), 10)
}

// unsupportedRequire returns the Require options we do not support ("" when all are fine).
func unsupportedRequire(req *sip.Request) string {
	var out []string
	for _, h := range req.GetHeaders("Require") {
		for _, v := range strings.Split(h.Value(), ",") {
			v = strings.TrimSpace(v)
			if v != "" && !strings.EqualFold(v, "timer") {
				out = append(out, v)
			}
		}
	}
	return strings.Join(out, ", ")
}

func retryAfter(cfg Config) string {
	return strconv.Itoa(int(cfg.RetryAfter / time.Second))
}

// sessionTimer is what an INVITE asked for under RFC 4028.
type sessionTimer struct {
	interval  time.Duration // Session-Expires (0: none asked)
	refresher string        // "uac", "uas" or ""
	supported bool          // Supported: timer
}

func parseSessionExpires(req *sip.Request) (sessionTimer, error) {
	st := sessionTimer{supported: headerHas(req, "Supported", "timer") || headerHas(req, "Require", "timer")}
	h := req.GetHeader("Session-Expires")
	if h == nil {
		h = req.GetHeader("x")
	}
	if h == nil {
		return st, nil
	}
	val, params, _ := strings.Cut(h.Value(), ";")
	n, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil || n <= 0 || n > 86400*7 {
		return st, fmt.Errorf("Session-Expires %q is not a positive number of seconds", h.Value())
	}
	st.interval = time.Duration(n) * time.Second
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "refresher") {
			st.refresher = strings.ToLower(strings.TrimSpace(v))
		}
	}
	return st, nil
}

// answer rings, then sends the 200 OK with our SDP and waits for the ACK.
func (c *Call) answer(cfg Config, offer *remoteMedia) error {
	dtx := c.dtx
	local := c.srv.mediaHost(c.sess.SDPAddr())
	var body []byte
	if offer != nil {
		c.remote = *offer
		c.local = answerFor(*offer, local, c.sdpSessID, 1, cfg.UserAgent)
		if err := c.applyRemote(*offer, c.local.Dir); err != nil {
			return fmt.Errorf("media: %w", err)
		}
		body = buildSDP(c.local, offer)
	} else {
		c.local = offerFor(local, c.sdpSessID, 1, cfg.Codecs, int(cfg.Ptime/time.Millisecond), cfg.UserAgent)
		body = buildSDP(c.local, nil)
	}
	c.lastSDP = body

	// Ring, or early media: 183 with our SDP and the prompt playing before the answer.
	c.srv.cfgMu.RLock()
	prompt := c.srv.earlyPCM
	c.srv.cfgMu.RUnlock()
	early := len(prompt) > 0 && offer != nil
	ringFor := cfg.RingTime
	if early {
		if err := c.sess.Start(c.ctx); err != nil {
			return fmt.Errorf("media start: %w", err)
		}
		c.started = true
		res := sip.NewResponseFromRequest(dtx.InviteRequest, 183, "Session Progress", body)
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		if err := c.respond(res); err != nil {
			return err
		}
		promptDone := make(chan struct{})
		playCtx, stopPlay := context.WithCancel(c.ctx)
		defer stopPlay()
		go func() {
			defer close(promptDone)
			_ = c.sess.Play(playCtx, media.NewPCMSource(prompt))
		}()
		ringFor = max(ringFor, time.Duration(len(prompt))*time.Second/8000)
		defer func() { stopPlay(); <-promptDone }()
	} else {
		res := sip.NewResponseFromRequest(dtx.InviteRequest, 180, "Ringing", nil)
		if err := c.respond(res); err != nil {
			return err
		}
	}
	if ringFor > 0 {
		t := time.NewTimer(ringFor)
		select {
		case <-t.C:
		case <-dtx.Context().Done():
			t.Stop()
			return c.cancelledErr()
		case <-c.ctx.Done():
			t.Stop()
			c.setEnd(causeShutdown, "local")
			c.sipStatus = 480
			res := sip.NewResponseFromRequest(dtx.InviteRequest, 480, "Temporarily Unavailable", nil)
			_ = c.respond(res)
			return errShutdown
		}
	}
	if dtx.LoadState() == sip.DialogStateEnded {
		return c.cancelledErr()
	}

	if offer != nil && !c.started {
		if err := c.sess.Start(c.ctx); err != nil {
			return fmt.Errorf("media start: %w", err)
		}
		c.started = true
	}
	res := sip.NewSDPResponseFromRequest(dtx.InviteRequest, body)
	res.AppendHeader(sip.NewHeader("Allow", allowHeader))
	res.AppendHeader(sip.NewHeader("Supported", supportedHeader))
	if h := c.sessionTimerHeader(cfg); h != "" {
		res.AppendHeader(sip.NewHeader("Session-Expires", h))
		if c.st.supported {
			res.AppendHeader(sip.NewHeader("Require", "timer"))
		}
	}
	res.AppendHeader(sip.NewHeader("Server", cfg.UserAgent))
	c.sipStatus = 200
	c.srv.m.response(200)
	// WriteResponse retransmits the 200 until the ACK comes (RFC 6026) and returns then.
	if err := dtx.WriteResponse(res); err != nil {
		if dtx.LoadState() == sip.DialogStateEnded || errors.Is(err, sip.ErrTransactionCanceled) {
			return c.cancelledErr()
		}
		c.setEnd(causeNoAck, "local")
		return fmt.Errorf("no ACK for our 200: %w", err)
	}
	if offer == nil {
		// Late offer: the answer is in the ACK.
		c.mu.Lock()
		ackBody := c.ackBody
		c.mu.Unlock()
		rm, err := parseRemoteSDP(ackBody, cfg.Codecs)
		if err != nil {
			c.setEnd(causeBadAnswer, "local")
			return fmt.Errorf("late offer: SDP answer in ACK: %w", err)
		}
		c.remote = rm
		dir := answerDirection(rm)
		if err := c.applyRemote(rm, dir); err != nil {
			return fmt.Errorf("media: %w", err)
		}
		if err := c.sess.Start(c.ctx); err != nil {
			return fmt.Errorf("media start: %w", err)
		}
		c.started = true
	}
	c.answeredAt = time.Now()
	return nil
}

// respond sends a provisional or final response on the INVITE transaction of the call.
func (c *Call) respond(res *sip.Response) error {
	if res.GetHeader("Server") == nil {
		res.AppendHeader(sip.NewHeader("Server", c.srv.config().UserAgent))
	}
	if err := c.dtx.WriteResponse(res); err != nil {
		if c.dtx.LoadState() == sip.DialogStateEnded {
			return c.cancelledErr()
		}
		return err
	}
	c.srv.m.response(res.StatusCode)
	return nil
}

func (c *Call) cancelledErr() error {
	if c.endCauseSet() == "" {
		if errors.Is(context.Cause(c.dtx.Context()), sip.ErrTransactionCanceled) {
			c.setEnd(causeCancelled, "remote")
			c.sipStatus = 487
			c.srv.m.response(200) // sipgo answered the CANCEL
			c.srv.m.response(487) // and ended the INVITE
		} else {
			c.setEnd(causeRemoteBye, "remote")
			if c.sipStatus == 0 {
				c.sipStatus = 487
			}
		}
	}
	return errCancelled
}

var errCancelled = errors.New("cancelled by the caller")

// sessionTimerHeader is the Session-Expires value of our 200 ("" when timers are off), and it fixes who
// refreshes: the caller when it supports timers and did not ask us to, else us.
func (c *Call) sessionTimerHeader(cfg Config) string {
	iv := c.st.interval
	if iv == 0 {
		iv = cfg.SessionExpires
	}
	if iv == 0 {
		return ""
	}
	if cfg.SessionExpires > 0 && iv > cfg.SessionExpires && c.st.interval == 0 {
		iv = cfg.SessionExpires
	}
	refresher := "uas"
	if c.st.supported && c.st.refresher != "uas" {
		refresher = "uac"
	}
	c.mu.Lock()
	c.sessInterval = iv
	c.weRefresh = refresher == "uas"
	c.mu.Unlock()
	return fmt.Sprintf("%d;refresher=%s", int(iv/time.Second), refresher)
}

// newSessID is an SDP o= session id.
func newSessID() uint64 { return uint64(rand.Int64N(1<<52)) + 1 }

// newCallID is hotline's own id for a call.
func newCallID() string { return uuid.NewString() }
