package callflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/hotline/hotline/sip"
)

// Flow runs calls: one Run per answered call, End once per admitted call when it is over. Its methods are safe
// for concurrent use.
type Flow struct {
	deps Deps
	set  Settings
	log  *slog.Logger

	mu    sync.Mutex
	calls map[string]*session // answered calls whose record End has not written yet

	// bg owns work that may outlive a call's Run: a decoder still loading, a sentence still being synthesised,
	// the wait for the agent's wrap-up. bgCtx stops what can be stopped; Close waits for all of it.
	bg       sync.WaitGroup
	bgCtx    context.Context
	bgStop   context.CancelFunc
	bgMu     sync.Mutex
	bgClosed bool // Close has begun: no new background work may join bg
}

// New makes a Flow. deps.Bot and deps.Records must not be nil.
func New(deps Deps) (*Flow, error) {
	if deps.Bot == nil || deps.Records == nil {
		return nil, errors.New("callflow: a bot and a record sink are required")
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	f := &Flow{deps: deps, set: deps.Settings, log: deps.Log, calls: map[string]*session{}}
	f.bgCtx, f.bgStop = context.WithCancel(context.Background())
	return f, nil
}

// Handle runs one answered SIP call; it fits sip.Handler.
func (f *Flow) Handle(ctx context.Context, c *sip.Call) {
	f.Run(ctx, Call{
		ID: c.ID(), SIPCallID: c.SIPCallID(), Caller: c.Caller(), Private: c.Private(),
		StartedAt: c.StartedAt(), AnsweredAt: c.AnsweredAt(),
		Leg: c, Media: c.Media(), Log: c.Log(),
	})
}

// Close stops the work calls left behind (a wrap-up still awaited is given up) and waits for it to end.
func (f *Flow) Close() {
	f.bgMu.Lock()
	f.bgClosed = true
	f.bgMu.Unlock()
	f.bgStop()
	f.bg.Wait()
}

// background runs fn as work that may outlive a call (see Flow.bg). Once Close has begun (a call still ending
// at shutdown), fn runs on the caller's goroutine instead: bg's Wait may not see a new Add.
func (f *Flow) background(fn func()) {
	f.bgMu.Lock()
	if f.bgClosed {
		f.bgMu.Unlock()
		fn()
		return
	}
	f.bg.Add(1)
	f.bgMu.Unlock()
	go func() {
		defer f.bg.Done()
		fn()
	}()
}

// dataFile returns the path of rel (relative to the data directory), creating its directory.
func (f *Flow) dataFile(rel string) (string, error) {
	if !filepath.IsLocal(rel) {
		return "", errors.New(rel + ": not a path inside the data directory")
	}
	path := filepath.Join(f.set.DataDir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	return path, nil
}
