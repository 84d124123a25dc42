package store

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// RunRetention is the retention job: every cfg.PurgeInterval (and once at start) it removes the transcripts and
// recordings of calls older than cfg.RetentionDays days, until ctx ends. With retention_days 0 it returns at once.
func RunRetention(ctx context.Context, s Store, cfg Config, m *Metrics, log *slog.Logger) {
	if cfg.RetentionDays <= 0 {
		return
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(cfg.PurgeInterval)
	defer t.Stop()
	for {
		cutoff := time.Now().Add(-time.Duration(cfg.RetentionDays) * 24 * time.Hour)
		if _, err := Purge(ctx, s, cfg.DataDir, cutoff, m, log); err != nil && ctx.Err() == nil {
			log.Error("retention purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Purge removes the transcripts of calls that started before cutoff and deletes their recording files (relative
// paths are under dataDir). It returns how many recordings were deleted.
func Purge(ctx context.Context, s Store, dataDir string, cutoff time.Time, m *Metrics, log *slog.Logger) (int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	recs, err := s.PurgeContent(ctx, cutoff)
	deleted, failed := 0, 0
	for _, p := range recs {
		p = audioFile(dataDir, p)
		if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			failed++
			log.Error("retention: deleting a recording failed", "path", p, "err", rerr)
			continue
		}
		deleted++
	}
	if err != nil {
		failed++
	}
	m.purge(len(recs), failed)
	if len(recs) > 0 {
		log.Info("retention: recordings and transcripts purged", "before", cutoff.Format(time.RFC3339),
			"recordings", deleted)
	}
	return deleted, err
}

// audioFile is where a record's audio path (Recording, Voicemail.Path) is on disk: the path itself when absolute,
// else under dataDir, where hotline writes them.
func audioFile(dataDir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dataDir, p)
}
