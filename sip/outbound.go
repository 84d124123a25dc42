package sip

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// runOutbound keeps the configured registrations and trunk keep-alives going until ctx is done, restarting them
// when Reload brings a new configuration.
func (s *Server) runOutbound(ctx context.Context, cfg Config) {
	for {
		runCtx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, r := range cfg.Registrations {
			wg.Add(1)
			go func() { defer wg.Done(); s.keepRegistered(runCtx, r) }()
		}
		for _, t := range cfg.Trunks {
			wg.Add(1)
			go func() { defer wg.Done(); s.keepAlive(runCtx, t) }()
		}
		select {
		case <-ctx.Done():
			stop()
			wg.Wait()
			return
		case cfg = <-s.reloadCh:
			stop()
			wg.Wait()
		}
	}
}

// clientFor picks our client for a peer URI (its transport parameter, UDP by default).
func (s *Server) clientFor(u sip.Uri) (*sipgo.Client, sip.ContactHeader, string, error) {
	tr := "udp"
	if v, ok := u.UriParams.Get("transport"); ok {
		tr = strings.ToLower(v)
	}
	if u.Scheme == "sips" {
		tr = "tls"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cli, ok := s.clients[tr]
	if !ok {
		return nil, sip.ContactHeader{}, tr, fmt.Errorf("no %s listener to send from (set sip.%s_addr)", tr, tr)
	}
	return cli, s.contact[tr], tr, nil
}

// keepRegistered registers one binding with digest auth and refreshes it at half the granted time; it removes the
// binding (Expires: 0) when ctx ends.
func (s *Server) keepRegistered(ctx context.Context, r RegistrationConfig) {
	var reg sip.Uri
	if err := sip.ParseUri(r.Registrar, &reg); err != nil {
		s.log.Error("sip registration: bad registrar URI", "registrar", r.Registrar, "error", err)
		return
	}
	log := s.log.With("registrar", r.Registrar, "user", r.User)
	expiry := r.Expiry
	if expiry == 0 {
		expiry = time.Hour
	}
	domain := r.Domain
	if domain == "" {
		domain = reg.Host
	}
	callID := sip.CallIDHeader(newCallID())
	fromTag := sip.GenerateTagN(16)
	var cseq uint32 = 1
	registered := false

	send := func(ctx context.Context, exp time.Duration) (time.Duration, error) {
		cli, contact, tr, err := s.clientFor(reg)
		if err != nil {
			return 0, err
		}
		req := sip.NewRequest(sip.REGISTER, *reg.Clone())
		if tr != "udp" {
			req.SetTransport(strings.ToUpper(tr))
		}
		aor := sip.Uri{Scheme: "sip", User: r.User, Host: domain}
		from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
		from.Params.Add("tag", fromTag)
		req.AppendHeader(from)
		req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
		req.AppendHeader(&callID)
		req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
		ct := contact
		ct.Address.User = r.User
		req.AppendHeader(&ct)
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(exp/time.Second))))
		req.AppendHeader(sip.NewHeader("User-Agent", s.config().UserAgent))
		req.SetBody(nil)
		rctx, cancel := context.WithTimeout(ctx, 64*sip.T1)
		defer cancel()
		res, err := cli.Do(rctx, req)
		cseq++
		if err != nil {
			return 0, err
		}
		if res.StatusCode == 401 || res.StatusCode == 407 {
			user := r.AuthUser
			if user == "" {
				user = r.User
			}
			res, err = cli.DoDigestAuth(rctx, req, res, sipgo.DigestAuth{Username: user, Password: r.Password})
			if c := req.CSeq(); c != nil {
				cseq = c.SeqNo + 1
			}
			if err != nil {
				return 0, err
			}
		}
		if !res.IsSuccess() {
			return 0, fmt.Errorf("registrar answered %d %s", res.StatusCode, res.Reason)
		}
		return grantedExpiry(res, exp), nil
	}

	retry := min(30*time.Second, expiry/2)
	for {
		granted, err := send(ctx, expiry)
		wait := retry
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			log.Warn("sip registration failed; retrying", "error", err, "retry_in", retry)
			registered = false
		} else {
			if !registered {
				log.Info("sip registered", "expires", granted)
			}
			registered = true
			wait = max(granted/2, time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
			continue
		}
		break
	}
	if registered {
		uctx, cancel := context.WithTimeout(context.Background(), min(2*time.Second, 64*sip.T1))
		if _, err := send(uctx, 0); err != nil {
			log.Info("sip unregister failed", "error", err)
		} else {
			log.Info("sip unregistered")
		}
		cancel()
	}
}

// grantedExpiry reads the expiry the registrar granted (Contact expires, else Expires), else asked.
func grantedExpiry(res *sip.Response, asked time.Duration) time.Duration {
	if c := res.Contact(); c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}

// keepAlive sends OPTIONS to a trunk at its interval and logs when it goes up or down.
func (s *Server) keepAlive(ctx context.Context, t TrunkConfig) {
	var u sip.Uri
	if err := sip.ParseUri(t.URI, &u); err != nil {
		s.log.Error("sip trunk: bad URI", "uri", t.URI, "error", err)
		return
	}
	name := t.Name
	if name == "" {
		name = t.URI
	}
	every := t.KeepAlive
	if every == 0 {
		every = 30 * time.Second
	}
	log := s.log.With("trunk", name)
	up := -1
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		ok, status := s.ping(ctx, u)
		switch {
		case ok && up != 1:
			log.Info("sip trunk up", "status", status)
			up = 1
		case !ok && up != 0 && ctx.Err() == nil:
			log.Warn("sip trunk down", "status", status)
			up = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// ping sends one OPTIONS; any final answer but 408/503 means the peer is alive.
func (s *Server) ping(ctx context.Context, u sip.Uri) (bool, string) {
	cli, _, tr, err := s.clientFor(u)
	if err != nil {
		return false, err.Error()
	}
	req := sip.NewRequest(sip.OPTIONS, *u.Clone())
	if tr != "udp" {
		req.SetTransport(strings.ToUpper(tr))
	}
	req.AppendHeader(sip.NewHeader("User-Agent", s.config().UserAgent))
	rctx, cancel := context.WithTimeout(ctx, min(64*sip.T1, 10*time.Second))
	defer cancel()
	res, err := cli.Do(rctx, req)
	if err != nil {
		return false, err.Error()
	}
	return res.StatusCode != 408 && res.StatusCode != 503, strconv.Itoa(res.StatusCode)
}
