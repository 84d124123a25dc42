package asr

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hotline/hotline/asr/internal/bwe"
	"github.com/hotline/hotline/asr/internal/sphinx"
)

// searchDomain is the name of the decoder's domain-model search; "_default" is the general model's.
const (
	searchGeneral = "_default"
	searchDomain  = "domain"
)

// Embedded is the in-process PocketSphinx recogniser with a bounded pool of decoders.
type Embedded struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	paths   modelPaths
	telMap  *bwe.Map
	tmpDir  string
	domain  string // path of the domain ARPA file

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	idle   []*decoder
	total  int // loaded or loading
	closed bool
	first  time.Duration
}

// decoder is one pooled PocketSphinx decoder and the per-stream state that goes with it.
type decoder struct {
	dec       *sphinx.Decoder
	fe        *sphinx.FrontEnd
	hasDomain bool
}

// NewEmbedded checks the model, prepares the derived files and starts loading cfg.WarmDecoders decoders in the
// background. A missing model gives an error naming the path and the Debian package.
func NewEmbedded(cfg Config, m *Metrics, log *slog.Logger) (*Embedded, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	paths, err := findModel(cfg.ModelDir)
	if err != nil {
		return nil, err
	}
	tm, err := bwe.Read(telephoneMap)
	if err != nil {
		return nil, fmt.Errorf("asr: embedded model/telephone.bwe: %w", err)
	}
	sphinx.Quiet()
	e := &Embedded{cfg: cfg, log: log, metrics: m, paths: paths, telMap: tm}
	if cfg.Domain {
		e.tmpDir, err = os.MkdirTemp("", "hotline-asr-")
		if err != nil {
			return nil, fmt.Errorf("asr: temporary directory for the domain model: %w", err)
		}
		e.domain = filepath.Join(e.tmpDir, "domain.arpa")
		if err := os.WriteFile(e.domain, domainARPA, 0o600); err != nil {
			os.RemoveAll(e.tmpDir)
			return nil, fmt.Errorf("asr: writing the domain model to %s: %w", e.domain, err)
		}
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.mu.Lock()
	for i := 0; i < cfg.WarmDecoders; i++ {
		e.spawnLocked()
	}
	e.mu.Unlock()
	return e, nil
}

// Close frees idle decoders now and busy ones as their streams end, and waits for background loads.
func (e *Embedded) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	idle := e.idle
	e.idle = nil
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	e.mu.Lock()
	idle = append(idle, e.idle...)
	e.idle = nil
	e.mu.Unlock()
	for _, d := range idle {
		e.free(d)
	}
	if e.tmpDir != "" {
		os.RemoveAll(e.tmpDir)
	}
	return nil
}

// StartupTime is how long the first decoder took to load (0 until one has).
func (e *Embedded) StartupTime() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.first
}

// Ready waits until at least one decoder is idle or ctx ends (for readiness checks and benchmarks).
func (e *Embedded) Ready(ctx context.Context) error {
	for {
		e.mu.Lock()
		n := len(e.idle)
		e.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// NewStream takes a decoder from the pool (loading one if the pool is below its bound) and starts a stream.
func (e *Embedded) NewStream(ctx context.Context, opts StreamOptions) (Stream, error) {
	d, err := e.acquire()
	if err != nil {
		outcome := "error"
		if err == ErrBusy {
			outcome = "busy"
		}
		e.metrics.streamOpened("pocketsphinx", outcome)
		if opts.CallID != "" {
			return nil, fmt.Errorf("asr: call %s: %w", opts.CallID, err)
		}
		return nil, err
	}
	search := searchGeneral
	if opts.Domain && d.hasDomain {
		search = searchDomain
	}
	if err := d.dec.SetSearch(search); err != nil {
		e.release(d)
		e.metrics.streamOpened("pocketsphinx", "error")
		return nil, fmt.Errorf("asr: %w", err)
	}
	e.metrics.streamOpened("pocketsphinx", "ok")
	return newSphinxStream(ctx, e, d, opts), nil
}

func (e *Embedded) acquire() (*decoder, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if n := len(e.idle); n > 0 {
		d := e.idle[n-1]
		e.idle = e.idle[:n-1]
		if len(e.idle) < e.cfg.WarmDecoders && e.total < e.cfg.MaxStreams {
			e.spawnLocked()
		}
		e.mu.Unlock()
		return d, nil
	}
	if e.total >= e.cfg.MaxStreams {
		e.mu.Unlock()
		return nil, ErrBusy
	}
	e.total++
	e.mu.Unlock()
	d, err := e.load()
	if err != nil {
		e.mu.Lock()
		e.total--
		e.mu.Unlock()
		return nil, err
	}
	return d, nil
}

// spawnLocked loads one decoder in the background into the idle list. e.mu must be held.
func (e *Embedded) spawnLocked() {
	e.total++
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		d, err := e.load()
		e.mu.Lock()
		defer e.mu.Unlock()
		if err != nil {
			e.total--
			e.log.Error("asr: loading a spare decoder failed", "err", err)
			return
		}
		e.idle = append(e.idle, d)
	}()
}

func (e *Embedded) release(d *decoder) {
	e.mu.Lock()
	if !e.closed {
		e.idle = append(e.idle, d)
		e.mu.Unlock()
		return
	}
	e.total--
	e.mu.Unlock()
	e.free(d)
}

func (e *Embedded) free(d *decoder) {
	d.fe.Free()
	d.dec.Free()
	e.metrics.decoderFreed()
}

// load creates one decoder: the acoustic model, the general model, and the domain search when configured.
func (e *Embedded) load() (*decoder, error) {
	start := time.Now()
	dec, err := sphinx.NewDecoder(e.paths.decoderArgs())
	if err != nil {
		return nil, fmt.Errorf("asr: loading PocketSphinx from %s: %w", e.cfg.ModelDir, err)
	}
	fe, err := sphinx.NewFrontEnd(sphinx.EnUSFeatureArgs())
	if err != nil {
		dec.Free()
		return nil, fmt.Errorf("asr: %w", err)
	}
	d := &decoder{dec: dec, fe: fe}
	if e.domain != "" {
		if err := d.addDomain(e.domain, e.cfg.DomainWeight); err != nil {
			e.log.Warn("asr: domain model unavailable, using the general model", "err", err)
		} else {
			d.hasDomain = true
		}
	}
	took := time.Since(start)
	e.metrics.decoderLoaded(took)
	e.mu.Lock()
	if e.first == 0 {
		e.first = took
	}
	e.mu.Unlock()
	e.log.Debug("asr: decoder loaded", "took", took)
	return d, nil
}

func (d *decoder) addDomain(path string, w float64) error {
	words := domainWords()
	for i, wp := range words {
		if d.dec.HasWord(wp[0]) {
			continue
		}
		if err := d.dec.AddWord(wp[0], wp[1], i == len(words)-1); err != nil {
			return err
		}
	}
	return d.dec.AddInterpolatedLM(searchDomain, path, w)
}
