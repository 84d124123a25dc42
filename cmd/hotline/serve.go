package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/callflow"
	"github.com/hotline/hotline/config"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/report"
	"github.com/hotline/hotline/sip"
	"github.com/hotline/hotline/store"
)

func init() {
	register("serve", "answer calls: SIP trunk gateway, voice-bot, agent softphone, API and metrics", runServe)
}

func runServe(args []string) int {
	fs := newFlagSet("serve", "[-config FILE] [-data DIR] [-sip-addr HOST:PORT] [-http-addr HOST:PORT]")
	var common commonFlags
	common.register(fs)
	sipAddr := fs.String("sip-addr", "", "SIP listen `HOST:PORT` for UDP and TCP (overrides the configuration)")
	httpAddr := fs.String("http-addr", "", "web listen `HOST:PORT` (overrides http.addr)")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "hotline serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, err := common.load()
	if err != nil {
		return fail("serve", err)
	}
	if *httpAddr != "" {
		cfg.HTTP.Addr = *httpAddr
	}
	applySIPAddr(&cfg, *sipAddr)
	log := newLogger(cfg.Log, os.Stderr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	srv, err := newServer(cfg, common, log)
	if err != nil {
		return fail("serve", err)
	}
	if err := srv.run(ctx, hup); err != nil {
		log.Error("serve stopped", "err", err)
		return 1
	}
	return 0
}

// server is the running `hotline serve`: everything it owns is built in newServer and stopped when run returns.
type server struct {
	cfg    config.Config
	common commonFlags
	log    *slog.Logger
	reg    *prometheus.Registry
	ready  atomic.Bool
	mux    *http.ServeMux

	store      store.Store
	writer     *store.Writer
	token      string
	pool       *media.PortPool
	sip        *sip.Server
	kb         *dialog.KBStore
	bot        *dialog.Bot
	recognizer asr.Recognizer // nil when the recogniser could not start: calls degrade to DTMF and agents
	bridge     *agentbridge.Bridge
	flow       *callflow.Flow // the life of each answered call
}

func newServer(cfg config.Config, common commonFlags, log *slog.Logger) (*server, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &server{cfg: cfg, common: common, log: log, reg: reg, mux: http.NewServeMux()}
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	ctx := context.Background()

	var err error
	storeCfg := cfg.Store
	storeCfg.DataDir = cfg.DataDir
	if s.store, err = store.Open(ctx, storeCfg); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	storeMetrics := store.NewMetrics(reg)
	s.writer = store.NewWriterWith(s.store, storeMetrics, log, storeCfg)
	if s.token, err = store.EnsureAPIToken(cfg.DataDir); err != nil {
		return nil, err
	}

	if s.pool, err = media.NewPortPool(cfg.Media, media.NewMetrics(reg), log); err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}

	dialogMetrics := dialog.NewMetrics(reg)
	if s.kb, err = dialog.NewKBStore(cfg.Dialog.KBFile, log, dialogMetrics); err != nil {
		return nil, err
	}
	synth, err := dialog.NewSynthesizer(cfg.Dialog.Speech, dialogMetrics)
	if err != nil {
		return nil, fmt.Errorf("speech synthesis: %w", err)
	}
	botOpts := []dialog.Option{dialog.WithMetrics(dialogMetrics), dialog.WithUnansweredLog(unansweredToStore{s.store})}
	s.bot = dialog.New(cfg.Dialog, s.kb, synth, log, botOpts...)

	if s.recognizer, err = asr.New(cfg.ASR, asr.NewMetrics(reg), log); err != nil {
		// The call still works without recognition: the bot offers DTMF and agents. Say so loudly.
		log.Error("speech recognition unavailable; calls will go to agents", "err", err)
		s.recognizer = nil
	}

	if s.bridge, err = agentbridge.New(cfg.Agents, s.store, agentbridge.NewMetrics(reg), log, s.bridgeHooks()); err != nil {
		return nil, fmt.Errorf("agents: %w", err)
	}
	if name, pass, created, err := s.bridge.EnsureDemoAgent(ctx); err != nil {
		return nil, fmt.Errorf("agents: %w", err)
	} else if created {
		log.Warn("no agent accounts: created a demo agent; change its password with `hotline agent passwd`",
			"user", name, "password", pass)
	}

	if s.flow, err = callflow.New(callflow.Deps{
		Settings: callflow.Settings{
			Call: cfg.Call, TurnTaking: cfg.Dialog.TurnTaking, Prosody: cfg.Prosody, Quality: cfg.Quality,
			ASRDomain: cfg.ASR.Domain, DataDir: cfg.DataDir,
		},
		Bot: s.bot, Queue: s.bridge, Records: s.writer, Metrics: callflow.NewMetrics(reg), Log: log,
		Recognizer: s.recognizer,
	}); err != nil {
		return nil, err
	}
	if s.sip, err = sip.NewServer(cfg.SIP, s.pool, s.flow.Handle, sip.NewMetrics(reg), log, sip.WithOnEnd(s.flow.End)); err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}

	s.routes()
	ok = true
	return s, nil
}

// routes mounts the web side. Everything but /healthz and the softphone's login page needs a session or the
// API token.
func (s *server) routes() {
	auth := s.authorized
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.Handle("GET /metrics", requireAuth(auth, promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})))
	api := store.APIHandler(s.store, s.cfg.DataDir, auth)
	s.mux.Handle("/api/calls", api)
	s.mux.Handle("/api/calls/", api)
	s.mux.Handle("/reports", s.bridge.RequireAuth(report.Handler(s.store), "supervisor"))
	s.mux.Handle("/reports/", s.bridge.RequireAuth(report.Handler(s.store), "supervisor"))
	s.mux.Handle("/", s.bridge.Handler())
}

// authorized accepts the API token or a logged-in softphone session.
func (s *server) authorized(r *http.Request) bool {
	if tok := store.BearerToken(r); tok != "" {
		return s.isAPIToken(tok)
	}
	_, _, ok := s.bridge.Authenticate(r)
	return ok
}

// isAPIToken checks a bearer token against DATA/api.token in constant time.
func (s *server) isAPIToken(tok string) bool {
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) == 1
}

func requireAuth(auth func(*http.Request) bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotline"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// close releases what newServer built, in reverse order.
func (s *server) close() {
	if s.flow != nil {
		s.flow.Close()
	}
	if s.recognizer != nil {
		_ = s.recognizer.Close()
	}
	if s.store != nil {
		_ = s.store.Close()
	}
}

func (s *server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "starting or draining", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// run serves until ctx is cancelled (SIGINT/SIGTERM), then drains: new calls get 503, calls in progress may go
// on for call.drain_timeout, records are flushed, and everything closes.
func (s *server) run(ctx context.Context, hup <-chan os.Signal) error {
	defer s.close()
	ln, err := net.Listen("tcp", s.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http listen %s: %w", s.cfg.HTTP.Addr, err)
	}
	httpSrv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}

	// Workers stop on workCtx, which outlives ctx by the drain.
	workCtx, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	var workers sync.WaitGroup
	start := func(f func(context.Context)) {
		workers.Add(1)
		go func() { defer workers.Done(); f(workCtx) }()
	}
	start(s.writer.Run)
	start(s.bot.Run) // synthesises the fixed phrases and answers ahead of callers (gives way to live calls)
	if u, ok := s.recognizer.(asr.DomainUpdater); ok && s.cfg.Dialog.KBFile != "" {
		// The recogniser's built-in domain model was made from the sample knowledge base: one from this file's
		// examples, and a new one on each edit, lets callers be heard using its words.
		rebuild := func(kb *dialog.KB) {
			if err := u.SetDomainPhrases(dialog.DomainPhrases(kb)); err != nil {
				s.log.Error("recogniser's domain model not rebuilt; it keeps the previous one", "err", err)
			}
		}
		s.kb.OnReload(rebuild)
		start(func(context.Context) { rebuild(s.kb.KB()) })
	}
	if s.cfg.Dialog.KBFile != "" && s.cfg.Dialog.KBReloadInterval > 0 {
		start(func(ctx context.Context) { s.kb.Watch(ctx, s.cfg.Dialog.KBReloadInterval) })
	}
	storeCfg := s.cfg.Store
	storeCfg.DataDir = s.cfg.DataDir
	start(func(ctx context.Context) { store.RunRetention(ctx, s.store, storeCfg, nil, s.log) })
	sipErr := make(chan error, 1)
	start(func(ctx context.Context) { sipErr <- s.sip.Serve(ctx) })
	httpErr := make(chan error, 1)
	go func() { httpErr <- httpSrv.Serve(ln) }()
	s.log.Info("web listening", "addr", ln.Addr().String())

	// Ready once SIP is listening.
	readyCtx, readyDone := context.WithTimeout(ctx, 10*time.Second)
	for !s.sip.Ready() && readyCtx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	readyDone()
	if !s.sip.Ready() {
		stopWork()
		workers.Wait()
		_ = httpSrv.Close()
		select {
		case err := <-sipErr:
			return fmt.Errorf("sip: %w", err)
		default:
			return errors.New("sip did not become ready within 10 s")
		}
	}
	s.ready.Store(true)
	s.log.Info("hotline ready", "sip_udp", s.sip.Addr("udp"), "sip_tcp", s.sip.Addr("tcp"), "web", ln.Addr().String(), "data", s.cfg.DataDir)

	var runErr error
loop:
	for {
		select {
		case <-hup:
			s.reload()
		case err := <-sipErr:
			runErr = fmt.Errorf("sip: %w", err)
			break loop
		case err := <-httpErr:
			if !errors.Is(err, http.ErrServerClosed) {
				runErr = fmt.Errorf("http: %w", err)
			}
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	s.drain()
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = httpSrv.Shutdown(shutCtx)
	stopWork()
	workers.Wait()
	flushCtx, cancelFlush := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelFlush()
	if err := s.writer.Flush(flushCtx); err != nil {
		s.log.Error("call records not flushed", "err", err)
	}
	return runErr
}

// drain refuses new calls and lets those in progress finish, up to call.drain_timeout.
func (s *server) drain() {
	s.ready.Store(false)
	s.sip.Drain()
	deadline := time.Now().Add(s.cfg.Call.DrainTimeout)
	s.log.Info("draining: new calls get 503", "active_calls", s.sip.ActiveCalls(), "timeout", s.cfg.Call.DrainTimeout)
	for s.sip.ActiveCalls() > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
}

// reload re-reads the configuration file on SIGHUP; calls in progress are not touched.
func (s *server) reload() {
	cfg, err := s.common.load()
	if err != nil {
		s.log.Error("config reload failed; keeping the running configuration", "err", err)
		return
	}
	if err := s.sip.Reload(cfg.SIP); err != nil {
		s.log.Error("config reload: sip section refused; keeping the running configuration", "err", err)
		return
	}
	s.cfg.SIP = cfg.SIP
	s.log.Info("config reloaded", "file", s.common.configPath)
}

// applySIPAddr points SIP over UDP and TCP at addr (the -sip-addr flag).
func applySIPAddr(cfg *config.Config, addr string) {
	if addr == "" {
		return
	}
	cfg.SIP.UDPAddr, cfg.SIP.TCPAddr = addr, addr
}
