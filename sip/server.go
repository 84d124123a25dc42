package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline/hotline/media"
)

// Handler runs one answered call. It is called once per call, after the 200 OK was acknowledged, in its own
// goroutine. ctx is cancelled when the call ends for any reason (BYE from the peer, RTP inactivity, session-timer
// expiry, transfer, shutdown). When the handler returns, the call is hung up if it is still up.
type Handler func(ctx context.Context, c *Call)

// CallEnd is the final account of one admitted call (every INVITE past access control and admission, answered
// or not), given to the OnEnd hook once the call is over and its media closed.
type CallEnd struct {
	ID         string      // hotline's call id
	SIPCallID  string      // the dialog's Call-ID
	Caller     string      // P-Asserted-Identity or From URI ("" when Private)
	Called     string      // Request-URI user (or URI)
	Private    bool        // the caller asked for Privacy: id
	StartedAt  time.Time   // INVITE received
	AnsweredAt time.Time   // ACK of our 200 received (zero when never answered)
	EndedAt    time.Time   // call over
	SIPStatus  int         // final status of the INVITE: 200 when answered, 487 when cancelled, …
	Cause      string      // why it ended: remote_bye, local_hangup, cancelled, rtp_timeout, session_expired, transferred, shutdown, no_ack, …
	By         string      // who ended it: "local" or "remote"
	Stats      media.Stats // RTP counters of the call
}

// Option changes a Server at construction.
type Option func(*Server)

// WithOnEnd sets a hook called once for every admitted call when it is over (after the handler returned and the
// media closed). Refused INVITEs never reach it; they are only counted in Metrics.
func WithOnEnd(f func(CallEnd)) Option { return func(s *Server) { s.onEnd = f } }

// Server is hotline's SIP user agent: it answers INVITEs, runs one Handler per call, keeps registrations and
// keep-alives to configured peers, and hangs calls up on shutdown.
type Server struct {
	log     *slog.Logger
	m       *Metrics
	pool    *media.PortPool
	handler Handler
	onEnd   func(CallEnd)

	cfgMu  sync.RWMutex
	cfg    Config
	access *accessPolicy

	earlyPCM []int16 // early-media prompt, read once

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	clients map[string]*sipgo.Client // by transport: udp, tcp, tls
	contact map[string]sip.ContactHeader
	udpConn []*net.UDPConn

	mu       sync.Mutex
	calls    map[string]*Call // by sipgo dialog id
	admitted int
	// inviteKeys are the INVITEs (Call-ID, From tag, CSeq) of admitted calls, to refuse merged requests.
	inviteKeys map[string]bool
	addrs      map[string]string // bound address by transport
	udpLaddr   sip.Addr          // the UDP listener, the source of our UDP requests

	draining atomic.Bool
	closing  atomic.Bool
	ready    atomic.Bool
	served   atomic.Bool
	baseCtx  context.Context
	wg       sync.WaitGroup // call goroutines
	reloadCh chan Config
	dropLog  dropLimiter
}

// NewServer checks cfg and builds a Server; nothing listens before Serve.
func NewServer(cfg Config, pool *media.PortPool, handler Handler, m *Metrics, log *slog.Logger, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if pool == nil {
		return nil, errors.New("sip: NewServer needs a media port pool")
	}
	if handler == nil {
		return nil, errors.New("sip: NewServer needs a call handler")
	}
	if log == nil {
		log = slog.Default()
	}
	access, err := newAccessPolicy(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		log: log.With("component", "sip"), m: m, pool: pool, handler: handler,
		cfg: cfg, access: access,
		calls:      map[string]*Call{},
		inviteKeys: map[string]bool{},
		addrs:      map[string]string{},
		clients:    map[string]*sipgo.Client{},
		contact:    map[string]sip.ContactHeader{},
		reloadCh:   make(chan Config, 1),
	}
	for _, o := range opts {
		o(s)
	}
	if cfg.EarlyMediaWAV != "" {
		pcm, err := media.ReadWAV8k(cfg.EarlyMediaWAV)
		if err != nil {
			return nil, fmt.Errorf("sip.early_media_wav %s: %w", cfg.EarlyMediaWAV, err)
		}
		s.earlyPCM = pcm
	}
	return s, nil
}

// config returns the current configuration (it changes on Reload).
func (s *Server) config() Config {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg
}

func (s *Server) policy() *accessPolicy {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.access
}

// Reload swaps in the parts of cfg that may change while calls go on: the allow list, refuse action, digest
// users, admission limit, session timer, ring settings, registrations and trunks. Listen addresses, TLS files
// and the public address need a restart; Reload logs when they differ and keeps the old ones.
func (s *Server) Reload(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	access, err := newAccessPolicy(cfg)
	if err != nil {
		return err
	}
	var early []int16
	if cfg.EarlyMediaWAV != "" {
		if early, err = media.ReadWAV8k(cfg.EarlyMediaWAV); err != nil {
			return fmt.Errorf("sip.early_media_wav %s: %w", cfg.EarlyMediaWAV, err)
		}
	}
	s.cfgMu.Lock()
	old := s.cfg
	if old.UDPAddr != cfg.UDPAddr || old.TCPAddr != cfg.TCPAddr || old.TLSAddr != cfg.TLSAddr ||
		old.PublicAddr != cfg.PublicAddr || old.TLSCert != cfg.TLSCert || old.TLSKey != cfg.TLSKey {
		s.log.Warn("sip listen, TLS and public addresses change only on restart; keeping the running ones")
		cfg.UDPAddr, cfg.TCPAddr, cfg.TLSAddr, cfg.PublicAddr = old.UDPAddr, old.TCPAddr, old.TLSAddr, old.PublicAddr
		cfg.TLSCert, cfg.TLSKey = old.TLSCert, old.TLSKey
	}
	cfg.Timers = old.Timers
	s.cfg = cfg
	s.access = access
	s.earlyPCM = early
	s.cfgMu.Unlock()
	select {
	case <-s.reloadCh:
	default:
	}
	s.reloadCh <- cfg
	s.log.Info("sip configuration reloaded", "allow_from", strings.Join(cfg.AllowFrom, ","),
		"auth_users", len(cfg.Auth.Users), "max_calls", cfg.MaxCalls, "trunks", len(cfg.Trunks),
		"registrations", len(cfg.Registrations))
	return nil
}

// Drain makes new INVITEs get 503 (with Retry-After) while current calls go on.
func (s *Server) Drain() {
	if !s.draining.Swap(true) {
		s.log.Info("sip draining: new calls get 503", "active_calls", s.ActiveCalls())
	}
}

// Ready reports whether the server listens and is not draining.
func (s *Server) Ready() bool { return s.ready.Load() && !s.draining.Load() }

// ActiveCalls is the number of admitted calls not yet over (ringing or answered).
func (s *Server) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admitted
}

// Addr returns the bound address of a transport ("udp", "tcp", "tls") once Serve listens, "" otherwise. It gives
// the real port when the configuration asked for port 0.
func (s *Server) Addr(transport string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs[transport]
}

// Serve listens on the configured transports, keeps registrations and keep-alives, and serves calls until ctx is
// done; it then hangs up every call, waits (up to 64*T1, at most 10 s) for them to finish, and returns.
func (s *Server) Serve(ctx context.Context) error {
	if s.served.Swap(true) {
		return errors.New("sip: Serve called twice")
	}
	cfg := s.config()
	applyTimers(cfg.Timers)

	baseCtx, cancelCalls := context.WithCancelCause(context.Background())
	defer cancelCalls(nil)
	s.baseCtx = baseCtx

	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentHostname(s.hostForContact(cfg, "")),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(quietLogger(s.log)),
			sip.WithTransportLayerReadFilter(s.readFilter),
		),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(quietLogger(s.log)),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {}),
		),
	)
	if err != nil {
		return fmt.Errorf("sip: user agent: %w", err)
	}
	s.ua = ua
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quietLogger(s.log)))
	if err != nil {
		ua.Close()
		return fmt.Errorf("sip: server: %w", err)
	}
	s.srv = srv
	s.routes()

	// Listen.
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	serveErr := make(chan error, 3)
	var serving sync.WaitGroup
	start := func(name string, f func() error) {
		serving.Add(1)
		go func() {
			defer serving.Done()
			if err := f(); err != nil && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
				serveErr <- fmt.Errorf("sip %s: %w", name, err)
			}
		}()
	}
	fail := func(err error) error {
		closeAll()
		ua.Close()
		serving.Wait()
		return err
	}
	if cfg.UDPAddr != "" {
		laddr, err := net.ResolveUDPAddr("udp", cfg.UDPAddr)
		if err != nil {
			return fail(fmt.Errorf("sip.udp_addr %q: %w", cfg.UDPAddr, err))
		}
		conn, err := net.ListenUDP("udp", laddr)
		if err != nil {
			return fail(fmt.Errorf("sip.udp_addr %q: %w", cfg.UDPAddr, err))
		}
		closers = append(closers, func() { conn.Close() })
		s.udpConn = append(s.udpConn, conn)
		s.setAddr("udp", conn.LocalAddr().String())
		start("udp", func() error { return srv.ServeUDP(conn) })
	}
	if cfg.TCPAddr != "" {
		l, err := net.Listen("tcp", cfg.TCPAddr)
		if err != nil {
			return fail(fmt.Errorf("sip.tcp_addr %q: %w", cfg.TCPAddr, err))
		}
		closers = append(closers, func() { l.Close() })
		s.setAddr("tcp", l.Addr().String())
		start("tcp", func() error { return srv.ServeTCP(l) })
	}
	if cfg.TLSAddr != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fail(fmt.Errorf("sip.tls_cert %s / sip.tls_key %s: %w", cfg.TLSCert, cfg.TLSKey, err))
		}
		l, err := tls.Listen("tcp", cfg.TLSAddr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		if err != nil {
			return fail(fmt.Errorf("sip.tls_addr %q: %w", cfg.TLSAddr, err))
		}
		closers = append(closers, func() { l.Close() })
		s.setAddr("tls", l.Addr().String())
		start("tls", func() error { return srv.ServeTLS(l) })
	}
	if a := s.Addr("udp"); a != "" {
		if err := waitListening(ua, a); err != nil {
			return fail(err)
		}
	}
	for _, tr := range []string{"udp", "tcp", "tls"} {
		if a := s.Addr(tr); a != "" {
			if err := s.makeClient(ua, cfg, tr, a); err != nil {
				return fail(err)
			}
		}
	}

	outCtx, stopOut := context.WithCancel(ctx)
	var outWG sync.WaitGroup
	outWG.Add(1)
	go func() { defer outWG.Done(); s.runOutbound(outCtx, cfg) }()

	s.ready.Store(true)
	s.log.Info("sip listening", "udp", s.Addr("udp"), "tcp", s.Addr("tcp"), "tls", s.Addr("tls"),
		"public_addr", cfg.PublicAddr)

	var result error
	select {
	case <-ctx.Done():
	case result = <-serveErr:
		s.log.Error("sip transport failed", "error", result)
	}
	s.ready.Store(false)
	s.draining.Store(true)
	stopOut()
	outWG.Wait()

	// Hang up every call and wait for the handlers to return.
	cancelCalls(errShutdown)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	wait := min(64*sip.T1, 10*time.Second)
	select {
	case <-done:
	case <-time.After(wait):
		s.log.Warn("sip shutdown: calls still ending after wait", "active_calls", s.ActiveCalls(), "waited", wait)
	}
	s.closing.Store(true) // the read filter now drops everything, so sipgo opens no socket while closing
	time.Sleep(20 * time.Millisecond)
	ua.Close()
	closeAll()
	serving.Wait()
	s.log.Info("sip stopped")
	return result
}

func (s *Server) setAddr(tr, a string) {
	s.mu.Lock()
	s.addrs[tr] = a
	s.mu.Unlock()
}

// makeClient builds the client that sends our requests on transport tr from the listening socket, so that peers
// and NATs see requests come from where they send theirs (diago does the same).
func (s *Server) makeClient(ua *sipgo.UserAgent, cfg Config, tr, bound string) error {
	host, portStr, _ := net.SplitHostPort(bound)
	port, _ := strconv.Atoi(portStr)
	opts := []sipgo.ClientOption{sipgo.WithClientNAT(), sipgo.WithClientLogger(quietLogger(s.log))}
	if tr == "udp" {
		if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
			opts = append(opts, sipgo.WithClientConnectionAddr(bound))
			s.mu.Lock()
			s.udpLaddr = sip.Addr{IP: ip, Port: port, Hostname: host}
			s.mu.Unlock()
		}
	}
	chost := s.hostForContact(cfg, host)
	opts = append(opts, sipgo.WithClientHostname(chost))
	if tr == "udp" {
		opts = append(opts, sipgo.WithClientPort(port))
	}
	cli, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		return fmt.Errorf("sip client for %s: %w", tr, err)
	}
	scheme := "sip"
	if tr == "tls" {
		scheme = "sips"
	}
	ch := sip.ContactHeader{Address: sip.Uri{Scheme: scheme, User: "hotline", Host: chost, Port: port,
		UriParams: sip.NewParams(), Headers: sip.NewParams()}}
	if tr != "udp" {
		ch.Address.UriParams.Add("transport", tr)
	}
	s.mu.Lock()
	s.clients[tr] = cli
	s.contact[tr] = ch
	s.mu.Unlock()
	return nil
}

// hostForContact is the host we put in Contact and Via: the public address, else the bound host, else loopback.
func (s *Server) hostForContact(cfg Config, bound string) string {
	if cfg.PublicAddr != "" {
		return cfg.PublicAddr
	}
	if bound != "" {
		if ip := net.ParseIP(bound); ip != nil && !ip.IsUnspecified() {
			return bound
		}
	}
	for _, a := range []string{cfg.UDPAddr, cfg.TCPAddr, cfg.TLSAddr} {
		if h, _, err := net.SplitHostPort(a); err == nil {
			if ip := net.ParseIP(h); ip != nil && !ip.IsUnspecified() {
				return h
			}
		}
	}
	return "127.0.0.1"
}

// transportOf names the transport a request came on in our client/contact maps.
func transportOf(req *sip.Request) string {
	t := strings.ToLower(req.Transport())
	switch t {
	case "tcp", "tls":
		return t
	}
	return "udp"
}

func (s *Server) dialogUA(tr string) *sipgo.DialogUA {
	s.mu.Lock()
	defer s.mu.Unlock()
	cli := s.clients[tr]
	if cli == nil {
		for _, c := range s.clients {
			cli = c
			break
		}
	}
	return &sipgo.DialogUA{Client: cli, ContactHDR: s.contact[tr]}
}

// mediaHost is the address written in SDP for a media session bound to local.
func (s *Server) mediaHost(local netip.AddrPort) netip.AddrPort {
	cfg := s.config()
	if cfg.PublicAddr != "" {
		if ip, err := netip.ParseAddr(cfg.PublicAddr); err == nil {
			return netip.AddrPortFrom(ip, local.Port())
		}
		if ips, err := net.LookupIP(cfg.PublicAddr); err == nil && len(ips) > 0 {
			if ip, ok := netip.AddrFromSlice(ips[0]); ok {
				return netip.AddrPortFrom(ip.Unmap(), local.Port())
			}
		}
	}
	if local.Addr().IsUnspecified() || !local.Addr().IsValid() {
		h := s.hostForContact(cfg, "")
		if ip, err := netip.ParseAddr(h); err == nil {
			return netip.AddrPortFrom(ip, local.Port())
		}
	}
	return local
}

var timersMu sync.Mutex

// applyTimers sets sipgo's process-wide transaction timers when they differ from the running ones.
func applyTimers(t TimersConfig) {
	timersMu.Lock()
	defer timersMu.Unlock()
	if sip.T1 == t.T1 && sip.T2 == t.T2 && sip.T4 == t.T4 {
		return
	}
	sip.SetTimers(t.T1, t.T2, t.T4)
	sip.Timer_D = min(32*time.Second, 64*t.T1)
}

// quietLogger is the logger handed to sipgo: its chatter goes to debug, its errors stay warnings.
func quietLogger(l *slog.Logger) *slog.Logger {
	return slog.New(&levelShift{h: l.Handler()}).With("lib", "sipgo")
}

type levelShift struct{ h slog.Handler }

func (q *levelShift) Enabled(ctx context.Context, l slog.Level) bool {
	return q.h.Enabled(ctx, shift(l))
}
func (q *levelShift) Handle(ctx context.Context, r slog.Record) error {
	r.Level = shift(r.Level)
	return q.h.Handle(ctx, r)
}
func (q *levelShift) WithAttrs(a []slog.Attr) slog.Handler { return &levelShift{h: q.h.WithAttrs(a)} }
func (q *levelShift) WithGroup(n string) slog.Handler      { return &levelShift{h: q.h.WithGroup(n)} }

func shift(l slog.Level) slog.Level {
	if l >= slog.LevelError {
		return slog.LevelWarn
	}
	return slog.LevelDebug
}

var errShutdown = errors.New("shutdown")

// waitListening waits until sipgo's UDP transport has taken the listening socket into its pool, so that our
// client sends from it instead of trying to bind the same address again.
func waitListening(ua *sipgo.UserAgent, addr string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if c, err := ua.TransportLayer().GetConnection("udp", addr); err == nil && c != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sip: UDP listener %s not serving after 5s", addr)
		}
		time.Sleep(time.Millisecond)
	}
}
