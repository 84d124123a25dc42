package dialog

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// KBStore holds the live knowledge base and swaps in a new one when its file changes. Calls read it per turn, so
// a reload takes effect on the next caller turn of every call and never interrupts one; a broken file keeps the
// previous knowledge base live.
type KBStore struct {
	path    string
	log     *slog.Logger
	metrics *Metrics
	cur     atomic.Pointer[KB]

	mu       sync.Mutex
	sum      [32]byte
	modTime  time.Time
	size     int64
	lastErr  error
	onReload []func(*KB)
}

// NewKBStore loads the knowledge base at path ("" for the embedded sample). The first load must succeed.
func NewKBStore(path string, log *slog.Logger, metrics *Metrics) (*KBStore, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &KBStore{path: path, log: log, metrics: metrics}
	var data []byte
	if path == "" {
		data = defaultKB
	} else {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("knowledge base %s: %w", path, err)
		}
		s.modTime, s.size = fi.ModTime(), fi.Size()
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("knowledge base %s: %w", path, err)
		}
	}
	kb, probs, err := ParseKB(s.name(), data)
	if err != nil {
		return nil, err
	}
	for _, p := range probs {
		log.Warn("knowledge base", "problem", p.String())
	}
	s.sum = sha256.Sum256(data)
	s.cur.Store(kb)
	metrics.kbLoaded(len(kb.Entries))
	return s, nil
}

// NewKBStoreFrom wraps an already loaded knowledge base (no file, no reloading).
func NewKBStoreFrom(kb *KB) *KBStore {
	s := &KBStore{log: slog.New(slog.DiscardHandler)}
	s.cur.Store(kb)
	return s
}

func (s *KBStore) name() string {
	if s.path == "" {
		return DefaultKBName
	}
	return s.path
}

// KB returns the live knowledge base.
func (s *KBStore) KB() *KB { return s.cur.Load() }

// Path is the file being watched ("" for the embedded sample).
func (s *KBStore) Path() string { return s.path }

// OnReload registers f to run (on the watcher's goroutine) with each newly loaded knowledge base.
func (s *KBStore) OnReload(f func(*KB)) {
	s.mu.Lock()
	s.onReload = append(s.onReload, f)
	s.mu.Unlock()
}

// LastError is the problem with the file as it is now on disk (nil when the live knowledge base matches it).
func (s *KBStore) LastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// ErrUnchanged is returned by Reload when the file's content is the same as the live knowledge base's.
var ErrUnchanged = errors.New("knowledge base unchanged")

// Reload reads the file again. On success the new knowledge base is live and the reload callbacks have run; on
// failure the old one stays live and the error names file and line.
func (s *KBStore) Reload() error {
	if s.path == "" {
		return ErrUnchanged
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return s.failed(fmt.Errorf("knowledge base %s: %w", s.path, err))
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return s.failed(fmt.Errorf("knowledge base %s: %w", s.path, err))
	}
	sum := sha256.Sum256(data)
	s.mu.Lock()
	s.modTime, s.size = fi.ModTime(), fi.Size()
	same := sum == s.sum
	s.mu.Unlock()
	if same {
		s.mu.Lock()
		s.lastErr = nil
		s.mu.Unlock()
		return ErrUnchanged
	}
	kb, probs, err := ParseKB(s.path, data)
	if err != nil {
		return s.failed(err)
	}
	for _, p := range probs {
		s.log.Warn("knowledge base", "problem", p.String())
	}
	s.mu.Lock()
	s.sum, s.lastErr = sum, nil
	hooks := append([]func(*KB){}, s.onReload...)
	s.mu.Unlock()
	s.cur.Store(kb)
	s.metrics.kbReloaded(true, len(kb.Entries))
	s.log.Info("knowledge base reloaded", "file", s.path, "entries", len(kb.Entries))
	for _, f := range hooks {
		f(kb)
	}
	return nil
}

// failed records a failed reload. The error is logged before LastError reports it, so whoever sees the error
// (a test, `hotline kb check` in the same process) finds the log line already written.
func (s *KBStore) failed(err error) error {
	s.mu.Lock()
	repeated := s.lastErr != nil && s.lastErr.Error() == err.Error()
	s.mu.Unlock()
	s.metrics.kbReloaded(false, 0)
	if !repeated {
		s.log.Error("knowledge base not reloaded; the previous version stays live", "file", s.path, "err", err)
	}
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
	return err
}

// changed reports whether the file's size or modification time differs from the last look.
func (s *KBStore) changed() bool {
	fi, err := os.Stat(s.path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		return s.lastErr == nil // report a vanished file once
	}
	return !fi.ModTime().Equal(s.modTime) || fi.Size() != s.size
}

// Watch checks the file every interval until ctx is done and reloads it when it changed. It polls rather than
// using inotify so it also follows editors that replace the file and files on network mounts.
func (s *KBStore) Watch(ctx context.Context, interval time.Duration) {
	if s.path == "" || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s.changed() {
				_ = s.Reload()
			}
		}
	}
}
