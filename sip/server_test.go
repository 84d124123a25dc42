package sip

import (
	"context"

	"errors"
	"fmt"
	"github.com/hotline/hotline/media"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSippCallWithAudioIsAnsweredAndHeard(t *testing.T) {
	h := &heard{}
	ts := startServer(t, nil, listeningHandler(h, 0))
	if code := (sippRun{scenario: "call_audio.xml", target: ts.Addr("udp")}).run(t); code != 0 {
		t.Fatalf("sipp exit %d", code)
	}
	end := ts.nextEnd(t)
	if end.SIPStatus != 200 || end.Cause != causeRemoteBye || end.By != "remote" || end.AnsweredAt.IsZero() {
		t.Fatalf("call end %+v, want answered, 200, remote_bye by remote", end)
	}
	frames, loud, _ := h.snapshot()
	if loud < 25 { // 2 s of tone is 100 frames; allow for start-up and jitter buffering
		t.Fatalf("handler heard %d loud frames of %d, want the caller's tone", loud, frames)
	}
	if end.Stats.RTPSent < 25 || end.Stats.RTPReceived < 25 {
		t.Fatalf("RTP stats %+v: want packets both ways", end.Stats)
	}
	if !strings.HasPrefix(h.callers[0], "sip:+15551230001@127.0.0.1") || end.Caller != h.callers[0] {
		t.Fatalf("caller %q (record %q), want the From URI", h.callers[0], end.Caller)
	}
	if got := metricValue(t, ts.m.calls); got != 1 {
		t.Fatalf("calls_total %v, want 1", got)
	}
}

func TestSippHoldAndResumeKeepTheCallUpAndFollowTheNewAddress(t *testing.T) {
	for _, scenario := range []string{"hold_resume.xml", "update_hold.xml"} {
		t.Run(scenario, func(t *testing.T) {
			var mu sync.Mutex
			var lastRemote string
			ts := startServer(t, nil, func(ctx context.Context, c *Call) {
				<-ctx.Done()
				mu.Lock()
				lastRemote = c.Media().Remote().Addr.String()
				mu.Unlock()
			})
			mp := freePort(t) &^ 1
			if code := (sippRun{scenario: scenario, target: ts.Addr("udp"), media: mp}).run(t); code != 0 {
				t.Fatalf("sipp exit %d", code)
			}
			end := ts.nextEnd(t)
			if end.Cause != causeRemoteBye {
				t.Fatalf("call ended by %q, want the caller's BYE after hold and resume", end.Cause)
			}
			mu.Lock()
			defer mu.Unlock()
			if want := fmt.Sprintf("127.0.0.1:%d", mp+2); lastRemote != want {
				t.Fatalf("media sends to %s after the resume, want the new address %s", lastRemote, want)
			}
		})
	}
}

func TestSippCancelBeforeAnswerGets487(t *testing.T) {
	called := make(chan struct{}, 1)
	ts := startServer(t, func(c *Config) { c.RingTime = 5 * time.Second }, func(ctx context.Context, c *Call) { called <- struct{}{} })
	if code := (sippRun{scenario: "cancel.xml", target: ts.Addr("udp")}).run(t); code != 0 {
		t.Fatalf("sipp exit %d", code)
	}
	end := ts.nextEnd(t)
	if end.Cause != causeCancelled || end.SIPStatus != 487 || !end.AnsweredAt.IsZero() {
		t.Fatalf("call end %+v, want cancelled with 487 and never answered", end)
	}
	select {
	case <-called:
		t.Fatal("handler ran for a cancelled call")
	default:
	}
	ts.waitNoActiveCalls(t)
}

func TestSippRefusals(t *testing.T) {
	cases := []struct {
		name     string
		scenario string
		mod      func(*Config)
		args     []string
		metric   string // refused_calls_total label that must count one
	}{
		{"no common codec gets 488", "no_common_codec.xml", nil, nil, "no_common_codec"},
		{"wrong digest password gets 403", "auth_refused.xml",
			func(c *Config) { c.Auth.Users = map[string]string{"alice": "right"} }, []string{"-au", "alice", "-ap", "wrong"}, "auth"},
		{"stray BYE gets 481", "stray_bye.xml", nil, nil, ""},
		{"OPTIONS gets 200 with Allow, Accept, Supported", "options.xml", nil, nil, ""},
		{"unknown method gets 501, SUBSCRIBE 405", "unknown_method.xml", nil, nil, ""},
		{"malformed request gets 400", "malformed.xml", nil, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.mod, func(ctx context.Context, c *Call) { t.Error("no call may be answered") })
			if code := (sippRun{scenario: tc.scenario, target: ts.Addr("udp"), args: tc.args}).run(t); code != 0 {
				t.Fatalf("sipp exit %d", code)
			}
			if tc.metric != "" {
				if got := metricValue(t, ts.m.refused.WithLabelValues(tc.metric)); got != 1 {
					t.Fatalf("refused_calls_total{reason=%q} = %v, want 1", tc.metric, got)
				}
			}
		})
	}
}

func TestSippSourceOutsideAllowListGets403(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.AllowFrom = []string{"192.0.2.0/24"} }, func(ctx context.Context, c *Call) {})
	if code := (sippRun{scenario: "forbidden.xml", target: ts.Addr("udp")}).run(t); code != 0 {
		t.Fatalf("sipp exit %d: want 403", code)
	}
	if got := metricValue(t, ts.m.refused.WithLabelValues("forbidden_source")); got < 1 {
		t.Fatalf("forbidden_source refusals %v, want at least 1", got)
	}
	if got := metricValue(t, ts.m.responses.WithLabelValues("403")); got < 1 {
		t.Fatalf("403 responses %v, want at least 1", got)
	}
}

func TestSourceOutsideAllowListIsSilentlyDroppedWhenConfigured(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.AllowFrom = []string{"192.0.2.0/24"}; c.RefuseAction = "drop" },
		func(ctx context.Context, c *Call) {})
	conn, err := net.Dial("udp", ts.Addr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	invite := "INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP " + conn.LocalAddr().String() + ";branch=z9hG4bKdrop\r\n" +
		"From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:1@127.0.0.1>\r\nCall-ID: drop-1\r\nCSeq: 1 INVITE\r\n" +
		"Contact: <sip:x@" + conn.LocalAddr().String() + ">\r\nContent-Length: 0\r\n\r\n"
	if _, err := conn.Write([]byte(invite)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
	buf := make([]byte, 2048)
	if n, err := conn.Read(buf); err == nil {
		t.Fatalf("dropped source got an answer: %q", buf[:n])
	}
	if got := metricValue(t, ts.m.refused.WithLabelValues("forbidden_source")); got != 1 {
		t.Fatalf("forbidden_source refusals %v, want 1", got)
	}
}

func TestSippDTMF(t *testing.T) {
	cases := []struct {
		name, scenario, digits, source string
	}{
		{"SIP INFO dtmf-relay and dtmf", "dtmf_info.xml", "12#", "info"},
		{"RFC 4733 telephone-events", "dtmf_rfc4733.xml", "1", "rfc4733"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &heard{}
			ts := startServer(t, nil, listeningHandler(h, 0))
			if code := (sippRun{scenario: tc.scenario, target: ts.Addr("udp")}).run(t); code != 0 {
				t.Fatalf("sipp exit %d", code)
			}
			ts.nextEnd(t)
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.digits != tc.digits {
				t.Fatalf("handler saw digits %q, want %q", h.digits, tc.digits)
			}
			for _, s := range h.sources {
				if s != tc.source {
					t.Fatalf("digit source %q, want %q", s, tc.source)
				}
			}
		})
	}
}

func TestSippDigestAuthChallengeThenAnswer(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Auth.Users = map[string]string{"alice": "s3cret"} },
		func(ctx context.Context, c *Call) { <-ctx.Done() })
	if code := (sippRun{scenario: "auth.xml", target: ts.Addr("udp"), args: []string{"-au", "alice", "-ap", "s3cret"}}).run(t); code != 0 {
		t.Fatalf("sipp exit %d", code)
	}
	if end := ts.nextEnd(t); end.SIPStatus != 200 || end.Cause != causeRemoteBye {
		t.Fatalf("call end %+v, want an answered call", end)
	}
}

func TestSippLateOfferGetsOfferIn200AndAnswerFromACK(t *testing.T) {
	var remote string
	var mu sync.Mutex
	ts := startServer(t, nil, func(ctx context.Context, c *Call) {
		mu.Lock()
		remote = c.Media().Remote().Addr.String()
		mu.Unlock()
		<-ctx.Done()
	})
	mp := freePort(t)
	if code := (sippRun{scenario: "late_offer.xml", target: ts.Addr("udp"), media: mp}).run(t); code != 0 {
		t.Fatalf("sipp exit %d", code)
	}
	if end := ts.nextEnd(t); end.SIPStatus != 200 || end.Cause != causeRemoteBye {
		t.Fatalf("call end %+v", end)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := fmt.Sprintf("127.0.0.1:%d", mp); remote != want {
		t.Fatalf("media remote %s, want the ACK's answer %s", remote, want)
	}
}

func TestSippSessionTimers(t *testing.T) {
	t.Run("caller that stops refreshing gets our BYE", func(t *testing.T) {
		ts := startServer(t, func(c *Config) { c.MinSE = 2 * time.Second },
			func(ctx context.Context, c *Call) { <-ctx.Done() })
		start := time.Now()
		if code := (sippRun{scenario: "session_expires.xml", target: ts.Addr("udp")}).run(t); code != 0 {
			t.Fatalf("sipp exit %d", code)
		}
		end := ts.nextEnd(t)
		if end.Cause != causeSessionExp || end.By != "local" {
			t.Fatalf("call end %+v, want session_expired by local", end)
		}
		if d := time.Since(start); d < 1500*time.Millisecond {
			t.Fatalf("BYE after %s, before the session interval ran out", d)
		}
	})
	t.Run("we refresh a caller without timer support", func(t *testing.T) {
		ts := startServer(t, func(c *Config) { c.MinSE = time.Second; c.SessionExpires = 2 * time.Second },
			func(ctx context.Context, c *Call) { <-ctx.Done() })
		if code := (sippRun{scenario: "session_refresh.xml", target: ts.Addr("udp")}).run(t); code != 0 {
			t.Fatalf("sipp exit %d", code)
		}
		if end := ts.nextEnd(t); end.Cause != causeRemoteBye {
			t.Fatalf("call end %+v, want the caller's BYE after our refresh", end)
		}
	})
}

func TestSippReferTransfersTheCall(t *testing.T) {
	result := make(chan error, 1)
	ts := startServer(t, nil, func(ctx context.Context, c *Call) {
		result <- c.Transfer(ctx, "200")
		<-ctx.Done()
	})
	if code := (sippRun{scenario: "refer.xml", target: ts.Addr("udp")}).run(t); code != 0 {
		t.Fatalf("sipp exit %d", code)
	}
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("Transfer: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Transfer did not return")
	}
	if end := ts.nextEnd(t); end.Cause != causeTransferred {
		t.Fatalf("call end %+v, want transferred", end)
	}
}

func TestRegisterWithDigestToSippRegistrarIsRefreshed(t *testing.T) {
	port := freePort(t)
	cmd, out, errFile := (sippRun{scenario: "registrar.xml", port: port, timeout: 20 * time.Second}).start(t)
	time.Sleep(200 * time.Millisecond) // let sipp bind
	startServer(t, func(c *Config) {
		c.Registrations = []RegistrationConfig{{Registrar: fmt.Sprintf("sip:127.0.0.1:%d", port), User: "hotline",
			Password: "secret", Expiry: 60 * time.Second}}
	}, func(ctx context.Context, c *Call) {})
	if code := waitSipp(t, cmd, out, errFile); code != 0 {
		t.Fatalf("sipp registrar exit %d: registration or its refresh failed", code)
	}
}

func TestSippAdmissionControlGives503PastMaxCalls(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxCalls = 1 }, func(ctx context.Context, c *Call) { <-ctx.Done() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan *DialResult, 1)
	go func() {
		res, err := Dial(ctx, DialOptions{Target: "sip:1@" + ts.Addr("udp"), HangupAfter: 4 * time.Second, Media: dialMedia()})
		if err != nil {
			t.Error(err)
		}
		first <- res
	}()
	ts.waitActive(t, 1)
	if code := (sippRun{scenario: "busy.xml", target: ts.Addr("udp")}).run(t); code != 0 {
		t.Fatalf("sipp exit %d: want 503 with Retry-After while one call is up", code)
	}
	if got := metricValue(t, ts.m.refused.WithLabelValues("busy")); got != 1 {
		t.Fatalf("busy refusals %v, want 1", got)
	}
	if res := <-first; res == nil || !res.Answered {
		t.Fatalf("first call %+v, want answered", res)
	}
}

func TestDrainRefusesNewCallsAndKeepsCurrentOnes(t *testing.T) {
	ts := startServer(t, nil, func(ctx context.Context, c *Call) { <-ctx.Done() })
	ctx := context.Background()
	first := make(chan *DialResult, 1)
	go func() {
		res, _ := Dial(ctx, DialOptions{Target: "sip:1@" + ts.Addr("udp"), HangupAfter: 2 * time.Second, Media: dialMedia()})
		first <- res
	}()
	ts.waitActive(t, 1)
	ts.Drain()
	res, err := Dial(ctx, DialOptions{Target: "sip:1@" + ts.Addr("udp"), HangupAfter: time.Second, Media: dialMedia()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Answered || res.SIPStatus != 503 {
		t.Fatalf("call while draining: %+v, want 503", res)
	}
	if r := <-first; r == nil || !r.Answered || r.By != "local" {
		t.Fatalf("current call %+v, want it to go on to its own hang-up", r)
	}
}

func TestReloadSwapsAllowListWithoutDroppingCalls(t *testing.T) {
	ts := startServer(t, nil, func(ctx context.Context, c *Call) { <-ctx.Done() })
	ctx := context.Background()
	first := make(chan *DialResult, 1)
	go func() {
		res, _ := Dial(ctx, DialOptions{Target: "sip:1@" + ts.Addr("udp"), HangupAfter: 2 * time.Second, Media: dialMedia()})
		first <- res
	}()
	ts.waitActive(t, 1)
	cfg := ts.cfg
	cfg.AllowFrom = []string{"192.0.2.0/24"}
	if err := ts.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	res, err := Dial(ctx, DialOptions{Target: "sip:1@" + ts.Addr("udp"), HangupAfter: time.Second, Media: dialMedia()})
	if err != nil {
		t.Fatal(err)
	}
	if res.SIPStatus != 403 {
		t.Fatalf("call after reload: %+v, want 403", res)
	}
	if r := <-first; r == nil || !r.Answered || r.By != "local" {
		t.Fatalf("current call %+v, want it untouched by the reload", r)
	}
}

func TestShutdownHangsUpCalls(t *testing.T) {
	ts := startServer(t, nil, func(ctx context.Context, c *Call) { <-ctx.Done() })
	res := make(chan *DialResult, 1)
	go func() {
		r, _ := Dial(context.Background(), DialOptions{Target: "sip:1@" + ts.Addr("udp"), Media: dialMedia()})
		res <- r
	}()
	ts.waitActive(t, 1)
	time.Sleep(100 * time.Millisecond)
	// Cleanup cancels Serve; do it now through a second server's pattern: cancel via t.Cleanup is too late, so
	// stop the server by draining and ending calls through its context.
	ts.shutdownForTest()
	select {
	case r := <-res:
		if r == nil || !r.Answered || r.By != "remote" {
			t.Fatalf("dialer result %+v, want hung up by the server", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("call not hung up on shutdown")
	}
	if end := ts.nextEnd(t); end.Cause != causeShutdown {
		t.Fatalf("call end cause %q, want shutdown", end.Cause)
	}
}

var _ = errors.New

func TestCallerIdentityFromPAIAndPrivacy(t *testing.T) {
	cases := []struct {
		name        string
		headers     []string
		wantCaller  string
		wantPrivate bool
	}{
		{"From when nothing else", nil, "sip:hotline-dial@127.0.0.1", false},
		{"P-Asserted-Identity wins over From", []string{"P-Asserted-Identity: \"Bob\" <sip:+15557654321@pbx.example>"},
			"sip:+15557654321@pbx.example", false},
		{"Privacy: id hides the number from the record", []string{"P-Asserted-Identity: <sip:+15557654321@pbx.example>", "Privacy: id"},
			"sip:+15557654321@pbx.example", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &heard{}
			ts := startServer(t, nil, listeningHandler(h, 100*time.Millisecond))
			res, err := Dial(context.Background(), DialOptions{Target: "sip:1@" + ts.Addr("udp"), Headers: tc.headers, Media: dialMedia()})
			if err != nil || !res.Answered {
				t.Fatalf("dial %+v %v", res, err)
			}
			end := ts.nextEnd(t)
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.callers[0] != tc.wantCaller || h.private[0] != tc.wantPrivate {
				t.Fatalf("Caller %q Private %v, want %q %v", h.callers[0], h.private[0], tc.wantCaller, tc.wantPrivate)
			}
			if tc.wantPrivate && end.Caller != "" {
				t.Fatalf("a private caller's number reached the call record: %q", end.Caller)
			}
		})
	}
}

func TestEarlyMediaSends183WithSDPBeforeAnswering(t *testing.T) {
	wav := t.TempDir() + "/early.wav"
	if err := media.WriteWAV(wav, 8000, 1, tone(700, 600*time.Millisecond, 0.3)); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *Config) { c.EarlyMediaWAV = wav }, func(ctx context.Context, c *Call) { <-ctx.Done() })
	var events []DialEvent
	res, err := Dial(context.Background(), DialOptions{Target: "sip:1@" + ts.Addr("udp"), HangupAfter: 300 * time.Millisecond,
		Media: dialMedia(), OnEvent: func(e DialEvent) { events = append(events, e) }})
	if err != nil || !res.Answered {
		t.Fatalf("dial %+v %v", res, err)
	}
	if got := metricValue(t, ts.m.responses.WithLabelValues("183")); got != 1 {
		t.Fatalf("183 responses %v, want 1", got)
	}
	var ringing, answered float64
	for _, e := range events {
		switch e.Event {
		case "ringing":
			ringing = e.T
		case "answered":
			answered = e.T
		}
	}
	if ringing == 0 || answered-ringing < 0.5 {
		t.Fatalf("answered %.2f s after 183 at %.2f s, want the 0.6 s prompt to play first", answered, ringing)
	}
}

func TestSippRecordRouteIsFollowedByOurBYE(t *testing.T) {
	ts := startServer(t, nil, func(ctx context.Context, c *Call) {
		time.Sleep(300 * time.Millisecond)
		if err := c.Hangup(ctx); err != nil {
			t.Errorf("Hangup: %v", err)
		}
	})
	if code := (sippRun{scenario: "record_route.xml", target: ts.Addr("udp")}).run(t); code != 0 {
		t.Fatalf("sipp exit %d", code)
	}
	if end := ts.nextEnd(t); end.Cause != causeLocalHangup || end.By != "local" {
		t.Fatalf("call end %+v, want local_hangup", end)
	}
}

func TestSippCallOverTCP(t *testing.T) {
	h := &heard{}
	ts := startServer(t, nil, listeningHandler(h, 0))
	if code := (sippRun{scenario: "call_audio.xml", target: ts.Addr("tcp"), args: []string{"-t", "t1"}}).run(t); code != 0 {
		t.Fatalf("sipp exit %d", code)
	}
	if end := ts.nextEnd(t); end.Cause != causeRemoteBye || end.SIPStatus != 200 {
		t.Fatalf("call end %+v", end)
	}
	if _, loud, _ := h.snapshot(); loud < 25 {
		t.Fatalf("heard %d loud frames over a TCP-signalled call", loud)
	}
}

func TestTrunkKeepAliveSendsOPTIONS(t *testing.T) {
	port := freePort(t)
	cmd, out, errFile := (sippRun{scenario: "options_uas.xml", port: port, calls: 2, timeout: 15 * time.Second}).start(t)
	time.Sleep(200 * time.Millisecond)
	startServer(t, func(c *Config) {
		c.Trunks = []TrunkConfig{{Name: "sipp", URI: fmt.Sprintf("sip:127.0.0.1:%d", port), KeepAlive: time.Second}}
	}, func(ctx context.Context, c *Call) {})
	if code := waitSipp(t, cmd, out, errFile); code != 0 {
		t.Fatalf("sipp trunk exit %d: want two OPTIONS keep-alives", code)
	}
}

func TestSippTransferToBusyTargetFailsAndKeepsTheCall(t *testing.T) {
	result := make(chan error, 1)
	ts := startServer(t, nil, func(ctx context.Context, c *Call) {
		result <- c.Transfer(ctx, "sip:200@127.0.0.1")
		<-ctx.Done()
	})
	if code := (sippRun{scenario: "refer_busy.xml", target: ts.Addr("udp")}).run(t); code != 0 {
		t.Fatalf("sipp exit %d", code)
	}
	err := <-result
	if !errors.Is(err, ErrTransferFailed) || !strings.Contains(err.Error(), "486") {
		t.Fatalf("Transfer: %v, want ErrTransferFailed naming 486", err)
	}
	if end := ts.nextEnd(t); end.Cause != causeRemoteBye {
		t.Fatalf("call end %+v, want it up until the caller's BYE", end)
	}
}
