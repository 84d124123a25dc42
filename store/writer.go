package store

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Writer takes finished call records from the call path and writes them to a Store in the background. Enqueue
// never blocks: the queue is bounded (store.queue_size) and a record that finds it full is dropped and counted.
// A record handed over is committed as soon as the writer reaches it — normally within milliseconds, so well
// within the 1 s of the hang-up that the design promises even across kill -9. Failed writes are retried with
// backoff (store.write_retries) before being dropped and counted.
type Writer struct {
	s       Store
	m       *Metrics
	log     *slog.Logger
	q       chan queued
	retries int
	backoff time.Duration
	pending atomic.Int64 // enqueued, not yet written or dropped
}

type queued struct {
	c  *Call
	at time.Time
}

// NewWriter builds a writer for s. The queue size and retry count come from the store's configuration when s was
// made by Open, else from DefaultConfig. m and log may be nil.
func NewWriter(s Store, m *Metrics, log *slog.Logger) *Writer {
	cfg := DefaultConfig()
	if ss, ok := s.(*sqlStore); ok {
		cfg = ss.cfg
	}
	return NewWriterWith(s, m, log, cfg)
}

// NewWriterWith is NewWriter with the queue size (cfg.QueueSize) and retries (cfg.WriteRetries) given.
func NewWriterWith(s Store, m *Metrics, log *slog.Logger, cfg Config) *Writer {
	if cfg.QueueSize < 1 {
		cfg.QueueSize = 1
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Writer{s: s, m: m, log: log, q: make(chan queued, cfg.QueueSize), retries: cfg.WriteRetries,
		backoff: 50 * time.Millisecond}
}

// Enqueue hands a finished (or updated) record to the writer and returns at once. The writer owns c from now
// on: the caller must not change it afterwards. It reports false when the queue was full and the record dropped.
func (w *Writer) Enqueue(c *Call) bool {
	if c == nil {
		return false
	}
	w.pending.Add(1)
	select {
	case w.q <- queued{c: c, at: time.Now()}:
		w.m.enqueue()
		w.m.setDepth(len(w.q))
		return true
	default:
		w.pending.Add(-1)
		w.m.drop("queue_full")
		w.log.Error("call record dropped: the store writer's queue is full", "call_id", c.ID, "queue", cap(w.q))
		return false
	}
}

// Pending is the number of records handed over and not yet written or dropped.
func (w *Writer) Pending() int { return int(w.pending.Load()) }

// Run writes records until ctx is cancelled, then writes what is still queued (for up to 10 s) and returns.
func (w *Writer) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			w.drain()
			return
		case item := <-w.q:
			w.m.setDepth(len(w.q))
			w.write(ctx, item)
		}
	}
}

// Flush waits until every record enqueued before the call is written or dropped, or ctx ends.
func (w *Writer) Flush(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for w.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

func (w *Writer) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		select {
		case item := <-w.q:
			w.m.setDepth(len(w.q))
			w.write(ctx, item)
		default:
			return
		}
	}
}

func (w *Writer) write(ctx context.Context, item queued) {
	defer w.pending.Add(-1)
	backoff := w.backoff
	for attempt := 0; ; attempt++ {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err := w.s.SaveCall(wctx, item.c)
		cancel()
		if err == nil {
			w.m.written(time.Since(item.at).Seconds())
			return
		}
		if attempt >= w.retries {
			w.m.drop("write_failed")
			w.log.Error("call record lost after retries", "call_id", item.c.ID, "attempts", attempt+1, "err", err)
			return
		}
		w.m.retry()
		w.log.Warn("call record write failed; retrying", "call_id", item.c.ID, "attempt", attempt+1, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			// Shutting down: retry at once, the drain deadline bounds us.
		}
		if backoff < 2*time.Second {
			backoff *= 2
		}
	}
}
