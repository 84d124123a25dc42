package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline/hotline/media"
)

// handleOffer serves a re-INVITE or UPDATE: hold/resume, a new media address or codec, or a session refresh.
// The call stays up whatever the outcome; an unusable offer gets 488 and the old media goes on.
func (c *Call) handleOffer(req *sip.Request, tx sip.ServerTransaction) {
	if err := c.dtx.ReadRequest(req, tx); err != nil {
		c.srv.reply(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", strconv.Itoa(rand.IntN(10))))
		return
	}
	c.mu.Lock()
	pending := c.reinviteAck != nil
	c.mu.Unlock()
	if pending && req.IsInvite() {
		c.srv.reply(tx, req, 491, "Request Pending")
		return
	}
	// Any re-INVITE or UPDATE refreshes the session (RFC 4028 §10).
	select {
	case c.refreshed <- struct{}{}:
	default:
	}
	cfg := c.srv.config()

	var answerBody []byte
	lateOffer := false
	if len(req.Body()) > 0 {
		rm, err := parseRemoteSDP(req.Body(), cfg.Codecs)
		if err != nil {
			c.log.Warn("sip "+string(req.Method)+" offer refused; call goes on", "error", err, "status", 488)
			c.srv.reply(tx, req, 488, "Not Acceptable Here")
			return
		}
		c.mu.Lock()
		prev := c.local
		next := answerFor(rm, prev.Addr, prev.SessID, prev.Version, cfg.UserAgent)
		if !sameMedia(prev, next) {
			next.Version = prev.Version + 1
		}
		c.local, c.remote = next, rm
		answerBody = buildSDP(next, &rm)
		c.lastSDP = answerBody
		c.mu.Unlock()
		if err := c.applyRemote(rm, next.Dir); err != nil {
			c.log.Error("media update failed", "error", err)
		}
		c.log.Info("sip "+string(req.Method)+" offer", "remote_dir", string(rm.Dir), "our_dir", string(next.Dir),
			"remote_rtp", rm.Addr.String(), "codec", rm.Codec.Name, "hold", rm.OnHold())
	} else if req.IsInvite() {
		// Offerless re-INVITE: we offer in the 200, the answer comes in the ACK.
		lateOffer = true
		c.mu.Lock()
		next := offerFor(c.local.Addr, c.local.SessID, c.local.Version+1, cfg.Codecs, int(cfg.Ptime/time.Millisecond), cfg.UserAgent)
		c.local = next
		answerBody = buildSDP(next, nil)
		c.lastSDP = answerBody
		c.mu.Unlock()
	}

	res := sip.NewResponseFromRequest(req, 200, "OK", answerBody)
	if answerBody != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res.AppendHeader(sip.HeaderClone(&c.srv.dialogUA(transportOf(req)).ContactHDR))
	res.AppendHeader(sip.NewHeader("Allow", allowHeader))
	res.AppendHeader(sip.NewHeader("Supported", supportedHeader))
	if iv := c.interval(); iv > 0 {
		refresher := "uac"
		if c.weRefresh {
			refresher = "uas"
		}
		// Whoever sent this refresh is the UAC of this transaction; keep the refresher role as agreed.
		if req.GetHeader("Session-Expires") != nil || headerHas(req, "Supported", "timer") {
			if st, err := parseSessionExpires(req); err == nil && st.interval >= cfg.MinSE {
				c.mu.Lock()
				c.sessInterval = st.interval
				c.mu.Unlock()
				iv = st.interval
			}
			if !c.weRefresh {
				refresher = "uac"
			} else {
				refresher = "uas"
			}
			res.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", int(iv/time.Second), refresher)))
			res.AppendHeader(sip.NewHeader("Require", "timer"))
		}
	}
	res.AppendHeader(sip.NewHeader("Server", cfg.UserAgent))
	if !req.IsInvite() {
		c.srv.send(tx, res)
		return
	}

	ackCh := make(chan []byte, 1)
	c.mu.Lock()
	c.reinviteAck = ackCh
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.reinviteAck == ackCh {
			c.reinviteAck = nil
		}
		c.mu.Unlock()
	}()
	c.srv.send(tx, res)
	// Retransmit the 2xx until the ACK comes (RFC 3261 §13.3.1.4); reliable transports need no retransmission.
	reliable := sip.IsReliable(req.Transport())
	interval := sip.T1
	timer := time.NewTimer(interval)
	defer timer.Stop()
	deadline := time.NewTimer(64 * sip.T1)
	defer deadline.Stop()
	for {
		select {
		case body := <-ackCh:
			if lateOffer {
				rm, err := parseRemoteSDP(body, cfg.Codecs)
				if err != nil {
					c.log.Warn("answer in ACK of offerless re-INVITE unusable; keeping old media", "error", err)
					return
				}
				c.mu.Lock()
				c.remote = rm
				c.mu.Unlock()
				if err := c.applyRemote(rm, answerDirection(rm)); err != nil {
					c.log.Error("media update failed", "error", err)
				}
			}
			return
		case <-timer.C:
			if !reliable {
				if err := tx.Respond(res); err != nil {
					return
				}
			}
			interval = min(2*interval, sip.T2)
			timer.Reset(interval)
		case <-deadline.C:
			c.log.Warn("no ACK for our 200 to a re-INVITE; ending the call")
			c.setEnd(causeNoAck, "local")
			return
		case <-c.ctx.Done():
			return
		}
	}
}

// sameMedia reports whether two local descriptions would write the same stream (then the o= version stays).
func sameMedia(a, b localSDP) bool {
	if a.Addr != b.Addr || a.DTMFPT != b.DTMFPT || a.PtimeMs != b.PtimeMs || a.Dir != b.Dir || len(a.Codecs) != len(b.Codecs) {
		return false
	}
	for i := range a.Codecs {
		if a.Codecs[i] != b.Codecs[i] {
			return false
		}
	}
	return true
}

// handleInfo takes DTMF sent as SIP INFO (application/dtmf-relay or application/dtmf) into the media session's
// DTMF stream, so the handler sees one kind of event whichever way the digits came.
func (c *Call) handleInfo(req *sip.Request, tx sip.ServerTransaction) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(h.Value()))
	}
	body := req.Body()
	if len(body) == 0 {
		c.srv.reply(tx, req, 200, "OK") // an empty INFO is a keep-alive
		return
	}
	var digit rune
	var dur time.Duration
	switch {
	case strings.HasPrefix(ct, "application/dtmf-relay"):
		digit, dur = parseDTMFRelay(body)
	case strings.HasPrefix(ct, "application/dtmf"):
		digit = parseDTMFDigit(string(bytes.TrimSpace(body)))
	default:
		c.srv.reply(tx, req, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		return
	}
	if digit == 0 {
		c.srv.reply(tx, req, 400, "Bad Request")
		return
	}
	if dur <= 0 {
		dur = 100 * time.Millisecond
	}
	// Inject before answering: the peer sends the next INFO only after our 200, so digits keep their order even
	// though sipgo runs each request on its own goroutine.
	c.sess.InjectDTMF(media.DTMF{Digit: digit, Duration: dur, Source: media.DTMFSourceInfo, At: time.Now()})
	c.srv.reply(tx, req, 200, "OK")
	c.log.Debug("DTMF by SIP INFO", "digit", string(digit))
}

// parseDTMFRelay reads "Signal=5\r\nDuration=160" (duration in ms).
func parseDTMFRelay(body []byte) (rune, time.Duration) {
	var digit rune
	var dur time.Duration
	for _, line := range strings.Split(string(body), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch k {
		case "signal":
			digit = parseDTMFDigit(v)
		case "duration":
			if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 10000 {
				dur = time.Duration(n) * time.Millisecond
			}
		}
	}
	return digit, dur
}

// parseDTMFDigit maps a signal ("5", "*", "#", "A".."D", or RFC 4733 event numbers 10 and 11) to its digit.
func parseDTMFDigit(v string) rune {
	switch v {
	case "10":
		return '*'
	case "11":
		return '#'
	}
	if len(v) != 1 {
		if n, err := strconv.Atoi(v); err == nil && n >= 12 && n <= 15 {
			return rune('A' + n - 12)
		}
		return 0
	}
	r := rune(strings.ToUpper(v)[0])
	if (r >= '0' && r <= '9') || r == '*' || r == '#' || (r >= 'A' && r <= 'D') {
		return r
	}
	return 0
}

// handleNotify takes the sipfrag progress of our REFER (RFC 3515 §2.4.4).
func (c *Call) handleNotify(req *sip.Request, tx sip.ServerTransaction) {
	ev := ""
	if h := req.GetHeader("Event"); h != nil {
		ev = strings.ToLower(strings.TrimSpace(h.Value()))
	}
	if !strings.HasPrefix(ev, "refer") {
		c.srv.reply(tx, req, 489, "Bad Event")
		return
	}
	c.srv.reply(tx, req, 200, "OK")
	code := sipfragStatus(req.Body())
	if code == 0 {
		return
	}
	select {
	case c.notify <- code:
	default:
	}
}

// sipfragStatus reads the status code of a message/sipfrag body ("SIP/2.0 200 OK"), 0 when there is none.
func sipfragStatus(body []byte) int {
	line, _, _ := strings.Cut(string(body), "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(strings.ToUpper(f[0]), "SIP/") {
		return 0
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 100 || n > 699 {
		return 0
	}
	return n
}

// ErrTransferFailed is returned (wrapped, with the status) when the peer refuses a REFER or reports the transfer
// target's failure.
var ErrTransferFailed = errors.New("transfer failed")

// Transfer blind-transfers the caller with REFER (RFC 3515) to target: a SIP URI, or a number that is sent to the
// caller's side (the peer's host) as sip:NUMBER@host. It follows the NOTIFY sipfrag progress and returns nil when
// the target answered (2xx); the call then ends (we send BYE) with cause "transferred". On failure the call stays
// up and the error says why.
func (c *Call) Transfer(ctx context.Context, target string) error {
	uri, err := c.referTarget(target)
	if err != nil {
		return err
	}
	if c.dtx.LoadState() == sip.DialogStateEnded {
		return fmt.Errorf("%w: call already ended", ErrTransferFailed)
	}
	for len(c.notify) > 0 {
		<-c.notify
	}
	req := sip.NewRequest(sip.REFER, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Refer-To", "<"+uri.String()+">"))
	ua := c.srv.dialogUA(transportOf(c.dtx.InviteRequest))
	req.AppendHeader(sip.NewHeader("Referred-By", "<"+ua.ContactHDR.Address.String()+">"))
	c.prep(req)
	rctx, cancel := context.WithTimeout(ctx, 64*sip.T1)
	res, err := c.dtx.Do(rctx, req)
	cancel()
	if err != nil {
		return fmt.Errorf("%w: REFER to %s: %v", ErrTransferFailed, uri.String(), err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("%w: REFER to %s answered %d %s", ErrTransferFailed, uri.String(), res.StatusCode, res.Reason)
	}
	c.log.Info("sip REFER accepted; waiting for NOTIFY", "target", uri.String(), "status", res.StatusCode)
	limit := time.NewTimer(2 * time.Minute)
	defer limit.Stop()
	for {
		select {
		case code := <-c.notify:
			switch {
			case code < 200:
				continue
			case code < 300:
				c.log.Info("sip transfer succeeded", "target", uri.String(), "sipfrag", code)
				c.setEnd(causeTransferred, "local")
				_ = c.bye(ctx)
				return nil
			default:
				return fmt.Errorf("%w: target %s answered %d", ErrTransferFailed, uri.String(), code)
			}
		case <-c.dtx.Context().Done():
			// The transferee hung up after accepting the REFER: it went to the target.
			c.setEnd(causeTransferred, "remote")
			return nil
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for NOTIFY: %v", ErrTransferFailed, ctx.Err())
		case <-limit.C:
			return fmt.Errorf("%w: no final NOTIFY within 2m", ErrTransferFailed)
		}
	}
}

// remoteTarget is the peer's Contact URI (the dialog's remote target).
func (c *Call) remoteTarget() sip.Uri {
	if h := c.dtx.InviteRequest.Contact(); h != nil {
		return *h.Address.Clone()
	}
	return *c.dtx.InviteRequest.From().Address.Clone()
}

func (c *Call) referTarget(target string) (sip.Uri, error) {
	var u sip.Uri
	target = strings.TrimSpace(strings.Trim(target, "<>"))
	if target == "" {
		return u, fmt.Errorf("%w: empty target", ErrTransferFailed)
	}
	lower := strings.ToLower(target)
	if strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:") {
		if err := sip.ParseUri(target, &u); err != nil {
			return u, fmt.Errorf("%w: target %q: %v", ErrTransferFailed, target, err)
		}
		return u, nil
	}
	if strings.ContainsAny(target, " <>@;\"\r\n") {
		return u, fmt.Errorf("%w: target %q is neither a SIP URI nor a number", ErrTransferFailed, target)
	}
	rt := c.remoteTarget()
	return sip.Uri{Scheme: "sip", User: target, Host: rt.Host, Port: rt.Port}, nil
}

// refreshSession sends our session refresh: UPDATE when the peer allows it, else a re-INVITE with our SDP.
func (c *Call) refreshSession() error {
	c.mu.Lock()
	iv := c.sessInterval
	body := c.lastSDP
	c.mu.Unlock()
	allowsUpdate := headerHas(c.dtx.InviteRequest, "Allow", "UPDATE")
	method := sip.INVITE
	if allowsUpdate {
		method = sip.UPDATE
	}
	req := sip.NewRequest(method, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=uas", int(iv/time.Second))))
	req.AppendHeader(sip.NewHeader("Supported", supportedHeader))
	if method == sip.INVITE {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(body)
	}
	c.prep(req)
	ctx, cancel := context.WithTimeout(c.ctx, 64*sip.T1)
	defer cancel()
	res, err := c.dtx.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("%s refresh: %w", method, err)
	}
	if method == sip.INVITE && res.IsSuccess() {
		ack := sip.NewRequest(sip.ACK, c.remoteTarget())
		c.prep(ack)
		if err := c.dtx.WriteRequest(ack); err != nil {
			return fmt.Errorf("ACK of refresh: %w", err)
		}
	}
	switch {
	case res.IsSuccess():
		return nil
	case res.StatusCode == 481 || res.StatusCode == 408:
		return fmt.Errorf("%s refresh answered %d", method, res.StatusCode)
	case res.StatusCode == 491 || res.StatusCode == 500:
		return nil // glare or busy: try at the next interval
	}
	// RFC 4028 §10: other failures leave the session as it was.
	return nil
}

var _ = sipgo.ErrDialogResponse{}
