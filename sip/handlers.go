package sip

import (
	"log/slog"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// What we announce in Allow, Accept and Supported.
const (
	allowHeader     = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, NOTIFY"
	acceptHeader    = "application/sdp, application/dtmf-relay, application/dtmf, message/sipfrag"
	supportedHeader = "timer"
)

// knownMethods are RFC methods we recognise: one we do not serve gets 405, anything else 501.
var knownMethods = map[string]bool{
	"INVITE": true, "ACK": true, "BYE": true, "CANCEL": true, "OPTIONS": true, "REGISTER": true, "PRACK": true,
	"SUBSCRIBE": true, "NOTIFY": true, "PUBLISH": true, "INFO": true, "REFER": true, "MESSAGE": true, "UPDATE": true,
}

// routes registers the request handlers with sipgo.
func (s *Server) routes() {
	s.srv.OnInvite(s.guard(s.onInvite))
	s.srv.OnAck(s.onAck)
	s.srv.OnBye(s.guard(s.onInDialog))
	s.srv.OnCancel(s.guard(s.onCancel))
	s.srv.OnOptions(s.guard(s.onOptions))
	s.srv.OnInfo(s.guard(s.onInDialog))
	s.srv.OnUpdate(s.guard(s.onInDialog))
	s.srv.OnNotify(s.guard(s.onInDialog))
	s.srv.OnNoRoute(s.guard(s.onOther))
}

// guard counts the request, applies the allow list and recovers from a panic in our code so that no input can
// bring the process down.
func (s *Server) guard(h func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("sip handler panic (request answered 500)", "method", string(req.Method), "panic", r)
				s.reply(tx, req, 500, "Server Internal Error")
			}
		}()
		s.m.request(methodLabel(string(req.Method)))
		if !s.policy().allowed(req.Source()) {
			// refuse_action "drop" never gets here: the read filter discards those datagrams.
			if req.IsInvite() {
				s.m.refusedCall("forbidden_source")
			}
			s.log.Warn("sip request refused: source not in sip.allow_from", "method", string(req.Method),
				"source", req.Source(), "sip_call_id", callIDOf(req), "status", 403)
			s.reply(tx, req, 403, "Forbidden")
			return
		}
		h(req, tx)
	}
}

func methodLabel(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}

// reply sends a response with no body and counts it.
func (s *Server) reply(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	s.send(tx, res)
}

// send sends res on tx with our Server header and counts it.
func (s *Server) send(tx sip.ServerTransaction, res *sip.Response) {
	if res.GetHeader("Server") == nil {
		res.AppendHeader(sip.NewHeader("Server", s.config().UserAgent))
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip response not sent", "status", res.StatusCode, "error", err)
		return
	}
	s.m.response(res.StatusCode)
}

func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	if c := s.callFor(req); c == nil && hasToTag(req) {
		// OPTIONS inside a dialog we do not know.
		s.reply(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	code, reason := 200, "OK"
	var extra []sip.Header
	if s.draining.Load() {
		// A drained server tells keep-alive monitors it takes no new calls.
		code, reason = 503, "Service Unavailable"
		extra = append(extra, sip.NewHeader("Retry-After", retryAfter(s.config())))
	}
	extra = append(extra,
		sip.NewHeader("Allow", allowHeader),
		sip.NewHeader("Accept", acceptHeader),
		sip.NewHeader("Supported", supportedHeader),
	)
	s.reply(tx, req, code, reason, extra...)
}

func (s *Server) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	// sipgo answers a CANCEL matching a pending INVITE itself (200, then 487 for the INVITE); one that reaches us
	// matches nothing.
	s.reply(tx, req, 481, "Call/Transaction Does Not Exist")
}

// onOther answers methods we do not serve: 405 with Allow for known ones, 501 for the rest.
func (s *Server) onOther(req *sip.Request, tx sip.ServerTransaction) {
	m := string(req.Method)
	if hasToTag(req) && s.callFor(req) == nil && knownMethods[m] {
		s.reply(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if knownMethods[m] {
		s.log.Info("sip method not allowed", "method", m, "source", req.Source(), "status", 405)
		s.reply(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", allowHeader))
		return
	}
	s.log.Info("sip method not implemented", "method", methodLabel(m), "source", req.Source(), "status", 501)
	s.reply(tx, req, 501, "Not Implemented", sip.NewHeader("Allow", allowHeader))
}

// onAck routes an ACK to its call; an ACK for nothing is dropped (ACKs are never answered).
func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("sip ACK handler panic", "panic", r)
		}
	}()
	s.m.request("ACK")
	if c := s.callFor(req); c != nil {
		c.readAck(req, tx)
	}
}

// onInDialog routes BYE, INFO, UPDATE and NOTIFY to their call, 481 when there is none.
func (s *Server) onInDialog(req *sip.Request, tx sip.ServerTransaction) {
	c := s.callFor(req)
	if c == nil {
		s.log.Info("sip request for no known dialog", "method", string(req.Method), "source", req.Source(),
			"sip_call_id", callIDOf(req), "status", 481)
		s.reply(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.handleRequest(req, tx)
}

// callFor finds the call a request belongs to by its dialog id.
func (s *Server) callFor(req *sip.Request) *Call {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

func hasToTag(req *sip.Request) bool {
	to := req.To()
	if to == nil {
		return false
	}
	_, ok := to.Params.Get("tag")
	return ok
}

func callIDOf(req *sip.Request) string {
	if h := req.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// logAttrs are the slog attributes naming a request in refusal lines.
func logAttrs(req *sip.Request) []any {
	return []any{slog.String("source", req.Source()), slog.String("sip_call_id", callIDOf(req)),
		slog.String("from", fromURI(req))}
}

func fromURI(req *sip.Request) string {
	if f := req.From(); f != nil {
		return f.Address.String()
	}
	return ""
}

// headerHas reports whether a comma-separated header (Supported, Require, Privacy, Allow) lists token.
func headerHas(req interface{ GetHeaders(string) []sip.Header }, name, token string) bool {
	for _, h := range req.GetHeaders(name) {
		for _, v := range strings.FieldsFunc(h.Value(), func(r rune) bool { return r == ',' || r == ';' }) {
			if strings.EqualFold(strings.TrimSpace(v), token) {
				return true
			}
		}
	}
	return false
}
