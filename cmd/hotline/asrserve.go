package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hotline/hotline/asr"
)

func init() {
	register("asr-serve", "serve the embedded recogniser over the Vosk WebSocket protocol: asr-serve [-addr HOST:PORT]", runASRServe)
}

func runASRServe(args []string) int {
	fs := flag.NewFlagSet("asr-serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:2700", "listen address (Vosk's usual port is 2700)")
	domain := fs.Bool("domain", false, "use the domain model for connections that do not choose (config key \"domain\")")
	cfgPath := fs.String("config", "", "configuration file (its asr section is used)")
	fs.String("data", "", "data directory (unused by asr-serve)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: hotline asr-serve [-addr HOST:PORT] [-domain]")
		return 2
	}
	cfg, err := asrConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hotline asr-serve:", err)
		return 2
	}
	cfg.Engine = "pocketsphinx" // it serves the embedded engine, whatever the file says calls use
	cfg.Domain = true
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rec, err := asr.NewEmbedded(cfg, nil, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hotline asr-serve:", err)
		return 1
	}
	defer rec.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hotline asr-serve: listen on %s: %v\n", *addr, err)
		return 1
	}
	srv := &http.Server{Handler: asr.VoskHandler(ctx, rec, *domain, log), ReadHeaderTimeout: 10 * time.Second}
	log.Info("asr-serve: listening", "addr", ln.Addr().String(), "protocol", "vosk-websocket")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "hotline asr-serve:", err)
			return 1
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	return 0
}
