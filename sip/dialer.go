package sip

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline/hotline/media"
)

// DialOptions describe one outbound test call (`hotline dial`).
type DialOptions struct {
	// Target is the SIP URI to call, e.g. "sip:100@127.0.0.1:5060".
	Target string
	// Transport is "udp", "tcp" or "tls" ("" means the URI's transport parameter, else udp).
	Transport string
	// CAFile is a PEM file of CAs to trust for TLS ("" means the system roots).
	CAFile string
	// TLSConfig overrides CAFile when set.
	TLSConfig *tls.Config
	// From is our From URI ("" means sip:hotline-dial@LOCAL-IP).
	From string
	// Username and Password answer a digest challenge.
	Username, Password string
	// Play is audio (8 kHz mono) played from the answer on; PlayWAV is read into it when Play is nil.
	Play    []int16
	PlayWAV string
	// RecordWAV, when set, receives what we hear as mono 16-bit 8 kHz WAV when the call ends.
	RecordWAV string
	// DTMF are digits sent after DTMFDelay from the answer, by DTMFMode "rfc4733" (default) or "info"; a ','
	// pauses for a second.
	DTMF      string
	DTMFMode  string
	DTMFDelay time.Duration
	// HangupAfter hangs up this long after the answer (0: wait for the far end or ctx).
	HangupAfter time.Duration
	// Media is the RTP configuration (its bind IP is the target's loopback family when left default).
	Media *media.Config
	// Headers are extra INVITE headers, "Name: value" each (e.g. P-Asserted-Identity, Privacy).
	Headers []string
	// UserAgent is our User-Agent. Default "hotline-dial".
	UserAgent string
	// OnEvent receives the progress events in order (trying, ringing, answered, dtmf, hangup).
	OnEvent func(DialEvent)
	// Log receives debug lines (nil: discarded).
	Log *slog.Logger
}

// DialEvent is one line of `hotline dial` output.
type DialEvent struct {
	Event     string     `json:"event"` // trying, ringing, answered, dtmf, hangup
	T         float64    `json:"t"`     // seconds since the start of Dial
	Status    int        `json:"status,omitempty"`
	CallID    string     `json:"call_id,omitempty"` // answered: the SIP Call-ID
	Digit     string     `json:"digit,omitempty"`   // dtmf
	Dir       string     `json:"dir,omitempty"`     // dtmf: "sent" or "received"
	By        string     `json:"by,omitempty"`      // hangup: local or remote
	SIPStatus int        `json:"sip_status,omitempty"`
	Cause     string     `json:"cause,omitempty"`
	Stats     *DialStats `json:"stats,omitempty"`
}

// DialStats are the RTP counters reported at hang-up.
type DialStats struct {
	RTPSent     uint64  `json:"rtp_sent"`
	RTPReceived uint64  `json:"rtp_received"`
	Lost        uint64  `json:"lost"`
	JitterMs    float64 `json:"jitter_ms"`
}

// DialResult is how a Dial went.
type DialResult struct {
	Answered  bool
	SIPStatus int    // final status of the INVITE (200 when answered), 0 when none came
	CallID    string // SIP Call-ID
	By        string // who hung up: local or remote
	Cause     string
	Stats     DialStats
	Received  string // DTMF digits received from the far end
	Recorded  []int16
}

// Dial places one call and runs it to its end. It returns an error only when the call could not be attempted
// (bad options, no socket); a refused or failed call is a DialResult with Answered false.
func Dial(ctx context.Context, o DialOptions) (*DialResult, error) {
	start := time.Now()
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	emit := func(ev DialEvent) {
		ev.T = float64(time.Since(start).Microseconds()) / 1e6
		if o.OnEvent != nil {
			o.OnEvent(ev)
		}
	}
	var target sip.Uri
	if err := sip.ParseUri(o.Target, &target); err != nil || target.Host == "" {
		return nil, fmt.Errorf("dial target %q is not a SIP URI", o.Target)
	}
	tr := strings.ToLower(o.Transport)
	if tr == "" {
		tr = "udp"
		if v, ok := target.UriParams.Get("transport"); ok {
			tr = strings.ToLower(v)
		}
	}
	if tr != "udp" && tr != "tcp" && tr != "tls" {
		return nil, fmt.Errorf("dial transport %q is not udp, tcp or tls", o.Transport)
	}
	if target.Port == 0 {
		target.Port = 5060
		if tr == "tls" {
			target.Port = 5061
		}
	}
	play := o.Play
	if play == nil && o.PlayWAV != "" {
		pcm, err := media.ReadWAV8k(o.PlayWAV)
		if err != nil {
			return nil, fmt.Errorf("dial -play %s: %w", o.PlayWAV, err)
		}
		play = pcm
	}
	dtmfMode := o.DTMFMode
	if dtmfMode == "" {
		dtmfMode = "rfc4733"
	}
	if dtmfMode != "rfc4733" && dtmfMode != "info" {
		return nil, fmt.Errorf("dial -dtmf-mode %q is not rfc4733 or info", o.DTMFMode)
	}
	for _, d := range o.DTMF {
		if d != ',' && parseDTMFDigit(string(d)) == 0 {
			return nil, fmt.Errorf("dial -dtmf %q: %q is not a DTMF digit", o.DTMF, d)
		}
	}
	if o.DTMFDelay == 0 {
		o.DTMFDelay = 500 * time.Millisecond
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "hotline-dial"
	}

	// Local address: the family and loopback-ness of the target.
	localIP := "127.0.0.1"
	if ip, err := netip.ParseAddr(target.Host); err == nil && ip.Is6() && !ip.Is4In6() {
		localIP = "::1"
	} else if err != nil || !ip.IsLoopback() {
		if c, err := net.Dial("udp", net.JoinHostPort(target.Host, strconv.Itoa(target.Port))); err == nil {
			localIP = c.LocalAddr().(*net.UDPAddr).IP.String()
			c.Close()
		}
	}
	mcfg := media.DefaultConfig()
	if o.Media != nil {
		mcfg = *o.Media
	} else {
		mcfg.BindIP = localIP
		mcfg.Drain = 0
	}
	pool, err := media.NewPortPool(mcfg, nil, log)
	if err != nil {
		return nil, fmt.Errorf("dial media: %w", err)
	}
	defer pool.Close()

	var tlsConf *tls.Config
	if tr == "tls" {
		tlsConf = o.TLSConfig
		if tlsConf == nil {
			tlsConf = &tls.Config{ServerName: target.Host, MinVersion: tls.VersionTLS12}
			if o.CAFile != "" {
				pem, err := os.ReadFile(o.CAFile)
				if err != nil {
					return nil, fmt.Errorf("dial -ca %s: %w", o.CAFile, err)
				}
				roots := x509.NewCertPool()
				if !roots.AppendCertsFromPEM(pem) {
					return nil, fmt.Errorf("dial -ca %s: no PEM certificate in it", o.CAFile)
				}
				tlsConf.RootCAs = roots
			}
		}
	}
	// closing stops new messages from entering sipgo before we close it: a request arriving while it closes would
	// make it open a fresh socket to answer from, which nothing would close.
	var closing atomic.Bool
	stopReading := func(p sip.TransportReadProps, data []byte) ([]byte, error) {
		if closing.Load() {
			if p.Transport == "UDP" {
				return nil, nil
			}
			return nil, errors.New("dialer closing")
		}
		return data, nil
	}
	uaOpts := []sipgo.UserAgentOption{sipgo.WithUserAgent(ua), sipgo.WithUserAgentHostname(localIP),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quietLogger(log)),
			sip.WithTransportLayerReadFilter(stopReading)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quietLogger(log)),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {}))}
	if tlsConf != nil {
		uaOpts = append(uaOpts, sipgo.WithUserAgenTLSConfig(tlsConf))
	}
	sua, err := sipgo.NewUA(uaOpts...)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	// Close the user agent (its transactions) before the socket it listens on: a transaction still running when
	// the socket goes would make sipgo open a fresh one to answer from, which nothing closes.
	var sockets []func()
	defer func() {
		closing.Store(true)
		time.Sleep(50 * time.Millisecond) // let messages already read finish their way through sipgo
		sua.Close()
		for _, c := range sockets {
			c()
		}
		// A transaction that was still answering may have made sipgo open a socket after all; close it too.
		if p := sua.TransportLayer().Pool("udp"); p != nil {
			_ = p.Clear()
		}
	}()
	srv, err := sipgo.NewServer(sua, sipgo.WithServerLogger(quietLogger(log)))
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	cliOpts := []sipgo.ClientOption{sipgo.WithClientHostname(localIP), sipgo.WithClientLogger(quietLogger(log))}
	var laddr sip.Addr // our UDP socket, the source of every request we send
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "dial", Host: localIP,
		UriParams: sip.NewParams(), Headers: sip.NewParams()}}
	if tr == "udp" {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(localIP)})
		if err != nil {
			return nil, fmt.Errorf("dial: UDP socket on %s: %w", localIP, err)
		}
		sockets = append(sockets, func() { conn.Close() })
		go func() { _ = srv.ServeUDP(conn) }()
		bound := conn.LocalAddr().(*net.UDPAddr)
		if err := waitListening(sua, bound.String()); err != nil {
			return nil, err
		}
		cliOpts = append(cliOpts, sipgo.WithClientConnectionAddr(bound.String()), sipgo.WithClientPort(bound.Port))
		laddr = sip.Addr{IP: bound.IP, Port: bound.Port, Hostname: bound.IP.String()}
		contact.Address.Port = bound.Port
	} else {
		contact.Address.UriParams.Add("transport", tr)
		if tr == "tls" {
			contact.Address.Scheme = "sips"
		}
	}
	cli, err := sipgo.NewClient(sua, cliOpts...)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}

	callID := newCallID()
	sess, err := pool.Open(callID)
	if err != nil {
		return nil, fmt.Errorf("dial media: %w", err)
	}
	defer sess.Close()
	sdpSess := newSessID()
	offer := offerFor(sess.SDPAddr(), sdpSess, 1, []string{"PCMU", "PCMA"}, 20, ua)
	offerBody := buildSDP(offer, nil)

	res := &DialResult{}
	// In-dialog requests from the far end.
	var dmu sync.Mutex
	var dlg *sipgo.DialogClientSession
	remoteBye := make(chan struct{})
	var byeOnce sync.Once
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		dmu.Lock()
		d := dlg
		dmu.Unlock()
		if d == nil || callIDOf(req) != callID {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		byeOnce.Do(func() { close(remoteBye) })
	})
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		// A re-INVITE (hold, refresh): answer with our offer's stream, following a new address.
		if callIDOf(req) != callID {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		body := buildSDP(offer, nil)
		if rm, err := parseRemoteSDP(req.Body(), nil); err == nil {
			sess.SetRemote(toMediaRemote(rm))
			a := answerFor(rm, offer.Addr, sdpSess, offer.Version, ua)
			body = buildSDP(a, &rm)
		}
		r := sip.NewResponseFromRequest(req, 200, "OK", body)
		r.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		r.AppendHeader(&contact)
		_ = tx.Respond(r)
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnUpdate(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})

	from := o.From
	if from == "" {
		from = "sip:hotline-dial@" + hostPort(localIP, 0)
	}
	var fromURI sip.Uri
	if err := sip.ParseUri(from, &fromURI); err != nil {
		return nil, fmt.Errorf("dial from %q: %w", from, err)
	}
	fromHdr := &sip.FromHeader{Address: fromURI, Params: sip.NewParams()}
	fromHdr.Params.Add("tag", sip.GenerateTagN(16))
	cid := sip.CallIDHeader(callID)
	req := sip.NewRequest(sip.INVITE, target)
	req.AppendHeader(fromHdr)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: target.Scheme, User: target.User, Host: target.Host, Port: target.Port}, Params: sip.NewParams()})
	req.AppendHeader(&cid)
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("Allow", allowHeader))
	req.AppendHeader(sip.NewHeader("Supported", supportedHeader))
	req.AppendHeader(sip.NewHeader("User-Agent", ua))
	for _, h := range o.Headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" || strings.ContainsAny(h, "\r\n") {
			return nil, fmt.Errorf("dial header %q is not \"Name: value\"", h)
		}
		req.AppendHeader(sip.NewHeader(strings.TrimSpace(name), strings.TrimSpace(value)))
	}
	req.SetBody(offerBody)
	if tr != "udp" {
		req.SetTransport(strings.ToUpper(tr))
	}
	dua := &sipgo.DialogUA{Client: cli, ContactHDR: contact}
	d, err := dua.WriteInvite(ctx, req)
	if err != nil {
		res.Cause = "invite_failed: " + err.Error()
		emit(DialEvent{Event: "hangup", By: "local", Cause: res.Cause, Stats: &DialStats{}})
		return res, nil
	}
	dmu.Lock()
	dlg = d
	dmu.Unlock()
	defer d.Close()
	emitted := map[int]bool{}
	err = d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: o.Username, Password: o.Password,
		OnResponse: func(r *sip.Response) error {
			switch {
			case r.StatusCode == 100 && !emitted[100]:
				emit(DialEvent{Event: "trying", Status: 100})
			case (r.StatusCode == 180 || r.StatusCode == 183) && !emitted[r.StatusCode]:
				emit(DialEvent{Event: "ringing", Status: r.StatusCode})
			}
			emitted[r.StatusCode] = true
			return nil
		}})
	if err != nil {
		var derr *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &derr):
			res.SIPStatus = derr.Res.StatusCode
			res.Cause = fmt.Sprintf("refused: %d %s", derr.Res.StatusCode, derr.Res.Reason)
		case ctx.Err() != nil:
			res.Cause = "cancelled"
			if d.InviteResponse != nil && !d.InviteResponse.IsProvisional() {
				res.SIPStatus = d.InviteResponse.StatusCode
			} else {
				res.SIPStatus = 487
			}
		default:
			res.Cause = "failed: " + err.Error()
			if strings.Contains(err.Error(), "timed out") || strings.Contains(err.Error(), "timeout") {
				res.SIPStatus = 408
			}
		}
		res.By = "remote"
		if res.Cause == "cancelled" {
			res.By = "local"
		}
		emit(DialEvent{Event: "hangup", By: res.By, SIPStatus: res.SIPStatus, Cause: res.Cause, Stats: &DialStats{}})
		return res, nil
	}
	res.SIPStatus = d.InviteResponse.StatusCode
	res.CallID = callID
	if err := d.Ack(ctx); err != nil {
		log.Debug("ACK failed", "error", err)
	}
	rm, perr := parseRemoteSDP(d.InviteResponse.Body(), nil)
	if perr != nil {
		res.Cause = "bad_sdp_answer: " + perr.Error()
		res.By = "local"
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = dialBye(bctx, d, laddr)
		cancel()
		emit(DialEvent{Event: "hangup", By: "local", SIPStatus: res.SIPStatus, Cause: res.Cause, Stats: &DialStats{}})
		return res, nil
	}
	res.Answered = true
	sess.SetRemote(toMediaRemote(rm))
	callCtx, stopCall := context.WithCancel(ctx)
	defer stopCall()
	var recMu sync.Mutex
	var recorded []int16
	var workers sync.WaitGroup
	{
		frames := sess.Subscribe("dial-record")
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				select {
				case f, ok := <-frames:
					if !ok {
						return
					}
					recMu.Lock()
					if len(recorded) < maxDialRecord {
						recorded = append(recorded, f[:]...)
					}
					recMu.Unlock()
				case <-callCtx.Done():
					return
				}
			}
		}()
	}
	if err := sess.Start(callCtx); err != nil {
		return nil, fmt.Errorf("dial media start: %w", err)
	}
	emit(DialEvent{Event: "answered", Status: res.SIPStatus, CallID: callID})

	if len(play) > 0 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			if err := sess.Play(callCtx, media.NewPCMSource(play)); err != nil && callCtx.Err() == nil {
				log.Debug("play", "error", err)
			}
		}()
	}
	var recvMu sync.Mutex
	workers.Add(1)
	go func() {
		defer workers.Done()
		for {
			select {
			case ev, ok := <-sess.DTMF():
				if !ok {
					return
				}
				recvMu.Lock()
				res.Received += string(ev.Digit)
				recvMu.Unlock()
				emit(DialEvent{Event: "dtmf", Digit: string(ev.Digit), Dir: "received"})
			case <-callCtx.Done():
				return
			}
		}
	}()
	if o.DTMF != "" {
		workers.Add(1)
		go func() {
			defer workers.Done()
			t := time.NewTimer(o.DTMFDelay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-callCtx.Done():
				return
			}
			for _, digit := range o.DTMF {
				if callCtx.Err() != nil {
					return
				}
				if digit == ',' { // a pause, as on a phone's dial string
					sleepCtx(callCtx, time.Second)
					continue
				}
				var err error
				if dtmfMode == "info" {
					err = sendInfoDTMF(callCtx, d, digit, laddr)
					sleepCtx(callCtx, 150*time.Millisecond)
				} else {
					err = sess.SendDTMF(callCtx, string(digit), 100*time.Millisecond)
					sleepCtx(callCtx, 100*time.Millisecond)
				}
				if err != nil {
					log.Debug("DTMF send", "error", err)
					continue
				}
				emit(DialEvent{Event: "dtmf", Digit: string(digit), Dir: "sent"})
			}
		}()
	}

	var hangupTimer <-chan time.Time
	if o.HangupAfter > 0 {
		t := time.NewTimer(o.HangupAfter)
		defer t.Stop()
		hangupTimer = t.C
	}
	select {
	case <-remoteBye:
		res.By, res.Cause = "remote", "remote_bye"
	case <-hangupTimer:
		res.By, res.Cause = "local", "hangup_after"
	case <-ctx.Done():
		res.By, res.Cause = "local", "interrupted"
	case <-sess.Done():
		res.By, res.Cause = "local", "rtp_timeout"
		if c := sess.EndCause(); c != "" {
			res.Cause = c
		}
	}
	stopCall()
	if res.By == "local" {
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(64*sip.T1, 10*time.Second))
		if err := dialBye(bctx, d, laddr); err != nil {
			log.Debug("BYE", "error", err)
		}
		cancel()
	}
	workers.Wait()
	st := sess.Stats()
	res.Stats = dialStats(st)
	recMu.Lock()
	res.Recorded = recorded
	recMu.Unlock()
	if o.RecordWAV != "" {
		if err := media.WriteWAV(o.RecordWAV, 8000, 1, recorded); err != nil {
			log.Warn("dial -record", "file", o.RecordWAV, "error", err)
			res.Cause += "; record failed: " + err.Error()
		}
	}
	stats := res.Stats
	emit(DialEvent{Event: "hangup", By: res.By, SIPStatus: res.SIPStatus, Cause: res.Cause, Stats: &stats})
	return res, nil
}

// maxDialRecord caps what Dial keeps of the far end's audio (10 minutes).
const maxDialRecord = media.SampleRate * 600

// dialBye hangs up from our own socket.
func dialBye(ctx context.Context, d *sipgo.DialogClientSession, laddr sip.Addr) error {
	bye := sip.NewRequest(sip.BYE, remoteContact(d))
	bye.Laddr = laddr
	return d.WriteBye(ctx, bye)
}

func remoteContact(d *sipgo.DialogClientSession) sip.Uri {
	if c := d.InviteResponse.Contact(); c != nil {
		return *c.Address.Clone()
	}
	return *d.InviteRequest.Recipient.Clone()
}

func sendInfoDTMF(ctx context.Context, d *sipgo.DialogClientSession, digit rune, laddr sip.Addr) error {
	req := sip.NewRequest(sip.INFO, remoteContact(d))
	req.Laddr = laddr
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte(fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", digit)))
	rctx, cancel := context.WithTimeout(ctx, 64*sip.T1)
	defer cancel()
	res, err := d.Do(rctx, req)
	if err != nil {
		return err
	}
	if !res.IsSuccess() {
		return fmt.Errorf("INFO answered %d", res.StatusCode)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == 0 {
		return host
	}
	return host + ":" + strconv.Itoa(port)
}

// toMediaRemote turns a negotiated stream into the media session's remote.
func toMediaRemote(rm remoteMedia) media.Remote {
	codec := media.PCMU
	if strings.EqualFold(rm.Codec.Name, "PCMA") {
		codec = media.PCMA
	}
	codec.PayloadType = rm.Codec.PT
	return media.Remote{Addr: rm.Addr, Codec: codec, DTMFPayloadType: rm.DTMFPT, PtimeMs: rm.PtimeMs}
}

func dialStats(st media.Stats) DialStats {
	return DialStats{RTPSent: st.RTPSent, RTPReceived: st.RTPReceived, Lost: st.Lost, JitterMs: st.JitterMs}
}
