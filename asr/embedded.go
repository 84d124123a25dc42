package asr

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline/hotline/asr/internal/bwe"
	"github.com/hotline/hotline/asr/internal/sphinx"
)

// searchDomain is the name of a domain decoder's search (a general decoder's is PocketSphinx's "_default").
const searchDomain = "domain"

// Embedded is the in-process PocketSphinx recogniser with a bounded pool of decoders.
type Embedded struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	paths   modelPaths
	telMap  *bwe.Map
	telCMN  []float32 // initial cepstral mean on the telephone path
	wideCMN []float32 // and on the wideband path (the model's own)
	tmpDir  string
	top     map[string]bool // the general model's most likely words (nil: the whole dictionary)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	dropCount atomic.Int64 // frames dropped by full stream queues

	mu      sync.Mutex
	freed   chan struct{} // closed (and replaced) whenever a decoder is returned, freed or loaded
	model   derivedModel  // what new decoders load
	retired derivedModel  // the generation before it (its files are removed when the next one comes)
	idle    [2][]*decoder // idle decoders by kind: [0] general model, [1] domain model
	total   int           // loaded or loading, both kinds
	closed  bool
	first   time.Duration
}

// decoder is one pooled PocketSphinx decoder and the per-stream state that goes with it.
type decoder struct {
	dec    *sphinx.Decoder
	fe     *sphinx.FrontEnd
	domain bool // the decoder's one search is the domain model interpolated with the general one
	gen    int  // the derivedModel generation it was loaded from
}

// derivedModel is one generation of the files decoders load besides Debian's model: the domain model, the
// pronunciations it adds, and the vocabulary. A new knowledge base makes a new generation; decoders of older
// ones finish their streams and are then freed.
type derivedModel struct {
	gen    int
	dict   string      // dictionary path (the vocabulary, or Debian's whole dictionary)
	domain string      // domain ARPA path ("" without a domain model)
	extra  [][2]string // pronunciations of domain words the dictionary lacks
	arpa   string      // the domain model's text, to skip rebuilding an identical one
}

// kind indexes Embedded.idle.
func kind(domain bool) int {
	if domain {
		return 1
	}
	return 0
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
	telCMN, err := parseCMN(telephoneCMN)
	if err != nil {
		return nil, fmt.Errorf("asr: embedded model/telephone.cmn: %w", err)
	}
	wideCMN, err := parseCMN(sphinx.EnUSCMNInit)
	if err != nil {
		return nil, fmt.Errorf("asr: %w", err)
	}
	sphinx.Quiet()
	e := &Embedded{cfg: cfg, log: log, metrics: m, paths: paths, telMap: tm, telCMN: telCMN, wideCMN: wideCMN,
		freed: make(chan struct{})}
	if cfg.Domain || cfg.Vocabulary > 0 {
		if e.tmpDir, err = os.MkdirTemp("", "hotline-asr-"); err != nil {
			return nil, fmt.Errorf("asr: temporary directory for the derived models: %w", err)
		}
	}
	if cfg.Vocabulary > 0 {
		if e.top, err = topWords(paths.lm, cfg.Vocabulary); err != nil {
			os.RemoveAll(e.tmpDir)
			return nil, err
		}
	}
	if err := e.install(string(domainARPA), domainWords()); err != nil {
		os.RemoveAll(e.tmpDir)
		return nil, err
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.mu.Lock()
	for i := 0; i < cfg.WarmDecoders; i++ {
		e.spawnLocked(cfg.Domain)
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
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	e.mu.Lock()
	idle := append(e.idle[0], e.idle[1]...)
	e.idle = [2][]*decoder{}
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
		n := len(e.idle[0]) + len(e.idle[1])
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
	e.mu.Lock()
	hasDomain := e.model.domain != ""
	e.mu.Unlock()
	d, err := e.acquire(opts.Domain && hasDomain)
	if err == ErrBusy && e.cfg.BusyWait > 0 {
		d, err = e.awaitFree(ctx, opts.Domain && hasDomain)
	}
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
	e.metrics.streamOpened("pocketsphinx", "ok")
	return newSphinxStream(ctx, e, d, opts), nil
}

// signalLocked wakes streams waiting for a decoder (one was returned, freed or loaded). e.mu must be held.
func (e *Embedded) signalLocked() {
	close(e.freed)
	e.freed = make(chan struct{})
}

// awaitFree retries acquire each time a stream returns its decoder, for up to cfg.BusyWait: a call that ends as
// another starts gives its decoder back a moment later, and the new call does not need one until its caller
// speaks.
func (e *Embedded) awaitFree(ctx context.Context, domain bool) (*decoder, error) {
	timer := time.NewTimer(e.cfg.BusyWait)
	defer timer.Stop()
	for {
		e.mu.Lock()
		freed := e.freed
		e.mu.Unlock()
		d, err := e.acquire(domain)
		if err != ErrBusy {
			return d, err
		}
		select {
		case <-freed:
		case <-timer.C:
			return e.acquire(domain) // a last look: the wait may have ended as a decoder came back
		case <-ctx.Done():
			return nil, ErrBusy
		}
	}
}

// acquire takes an idle decoder of the kind asked for, or loads one while the pool is below its bound (freeing
// an idle decoder of the other kind when that is what keeps it at the bound), or returns ErrBusy.
func (e *Embedded) acquire(domain bool) (*decoder, error) {
	k := kind(domain)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if n := len(e.idle[k]); n > 0 {
		d := e.idle[k][n-1]
		e.idle[k] = e.idle[k][:n-1]
		if len(e.idle[k]) < e.cfg.WarmDecoders && e.total < e.cfg.MaxStreams && domain == e.cfg.Domain {
			e.spawnLocked(domain)
		}
		e.mu.Unlock()
		return d, nil
	}
	var evict *decoder
	if e.total >= e.cfg.MaxStreams {
		other := e.idle[1-k]
		if len(other) == 0 {
			e.mu.Unlock()
			return nil, ErrBusy
		}
		evict = other[len(other)-1]
		e.idle[1-k] = other[:len(other)-1]
		e.total--
	}
	e.total++
	e.mu.Unlock()
	if evict != nil {
		e.free(evict)
	}
	d, err := e.load(domain)
	if err != nil {
		e.mu.Lock()
		e.total--
		e.signalLocked()
		e.mu.Unlock()
		return nil, err
	}
	return d, nil
}

// spawnLocked loads one decoder in the background into the idle list. e.mu must be held.
func (e *Embedded) spawnLocked(domain bool) {
	e.total++
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		d, err := e.load(domain)
		e.mu.Lock()
		if err != nil {
			e.total--
			e.signalLocked()
			e.mu.Unlock()
			e.log.Error("asr: loading a spare decoder failed", "err", err)
			return
		}
		if d.gen == e.model.gen || e.closed { // Close frees the idle ones
			e.idle[kind(domain)] = append(e.idle[kind(domain)], d)
			e.signalLocked()
			e.mu.Unlock()
			return
		}
		e.total-- // the model changed while it loaded; the change spawned a current spare
		e.signalLocked()
		e.mu.Unlock()
		e.free(d)
	}()
}

func (e *Embedded) release(d *decoder) {
	e.mu.Lock()
	e.signalLocked()
	if !e.closed && d.gen == e.model.gen {
		e.idle[kind(d.domain)] = append(e.idle[kind(d.domain)], d)
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

// load creates one decoder: the acoustic model and either the general model or the domain model interpolated
// with it (one n-gram search either way).
func (e *Embedded) load(domain bool) (*decoder, error) {
	start := time.Now()
	e.mu.Lock()
	m := e.model
	e.mu.Unlock()
	paths := e.paths
	paths.dict = m.dict
	dec, err := sphinx.NewDecoder(append(paths.decoderArgs(!domain), e.cfg.DecoderArgs...))
	if err != nil {
		return nil, fmt.Errorf("asr: loading PocketSphinx from %s: %w", e.cfg.ModelDir, err)
	}
	fe, err := sphinx.NewFrontEnd(sphinx.EnUSFeatureArgs())
	if err != nil {
		dec.Free()
		return nil, fmt.Errorf("asr: %w", err)
	}
	d := &decoder{dec: dec, fe: fe, domain: domain, gen: m.gen}
	if domain {
		if err := d.addDomain(e.paths.lm, m, e.cfg.DomainWeight); err != nil {
			d.fe.Free()
			d.dec.Free()
			return nil, fmt.Errorf("asr: domain model: %w", err)
		}
	}
	took := time.Since(start)
	e.metrics.decoderLoaded(took)
	e.mu.Lock()
	if e.first == 0 {
		e.first = took
	}
	e.mu.Unlock()
	e.log.Debug("asr: decoder loaded", "took", took, "domain", domain)
	return d, nil
}

func (d *decoder) addDomain(general string, m derivedModel, w float64) error {
	for _, wp := range m.extra {
		if d.dec.HasWord(wp[0]) {
			continue
		}
		if err := d.dec.AddWord(wp[0], wp[1], false); err != nil {
			return err
		}
	}
	if err := d.dec.AddInterpolatedLM(searchDomain, general, m.domain, w); err != nil {
		return err
	}
	return d.dec.SetSearch(searchDomain)
}
