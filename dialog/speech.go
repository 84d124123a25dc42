package dialog

import (
	"container/list"
	"context"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Synthesizer turns text into 8 kHz mono 16-bit samples. Implementations must be safe for concurrent use.
type Synthesizer interface {
	Synthesize(ctx context.Context, text string) ([]int16, error)
}

// SplitSentences cuts text at sentence ends (. ! ? and the Chinese 。！？) so the first sentence can be synthesised
// and sent while the rest is made. Numbers like "2.5" are not cut.
func SplitSentences(text string) []string {
	var out []string
	rs := []rune(strings.TrimSpace(text))
	start := 0
	for i, r := range rs {
		end := false
		switch r {
		case '。', '！', '？':
			end = true
		case '.', '!', '?':
			end = i+1 == len(rs) || unicode.IsSpace(rs[i+1])
		}
		if end {
			if s := strings.TrimSpace(string(rs[start : i+1])); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(string(rs[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

// Stream synthesises text one sentence at a time and calls emit with each sentence's audio as soon as it is
// ready; the next sentence is synthesised while emit's consumer plays the previous one only if emit returns
// quickly (it should queue the audio, not play it synchronously). It stops at the first error or when ctx ends.
func Stream(ctx context.Context, s Synthesizer, text string, emit func(pcm []int16) error) error {
	for _, sentence := range SplitSentences(text) {
		if err := ctx.Err(); err != nil {
			return err
		}
		pcm, err := s.Synthesize(ctx, sentence)
		if err != nil {
			return err
		}
		if err := emit(pcm); err != nil {
			return err
		}
	}
	return nil
}

// Cache is a Synthesizer that keeps synthesised sentences in a bounded LRU (by count and by bytes) in front of
// another one, and measures the synthesis time of misses. Concurrent requests for the same missing text wait for
// one synthesis. The returned slices are shared: callers must not modify them.
type Cache struct {
	next     Synthesizer
	maxItems int
	maxBytes int
	metrics  *Metrics

	mu       sync.Mutex
	items    map[string]*list.Element
	order    *list.List // front = most recent
	bytes    int
	inflight map[string]*call
	stats    CacheStats
}

type cacheItem struct {
	text string
	pcm  []int16
}

type call struct {
	done chan struct{}
	pcm  []int16
	err  error
}

// CacheStats counts the cache's work.
type CacheStats struct {
	Hits, Misses int
	// SynthTime is the total time spent synthesising misses, and MaxSynth the longest single sentence.
	SynthTime, MaxSynth time.Duration
}

// NewCache wraps next with an LRU of at most maxItems sentences and maxBytes of audio.
func NewCache(next Synthesizer, maxItems, maxBytes int, m *Metrics) *Cache {
	return &Cache{next: next, maxItems: maxItems, maxBytes: maxBytes, metrics: m,
		items: map[string]*list.Element{}, order: list.New(), inflight: map[string]*call{}}
}

// Synthesize returns the cached audio for text or synthesises and caches it.
func (c *Cache) Synthesize(ctx context.Context, text string) ([]int16, error) {
	key := strings.Join(strings.Fields(text), " ")
	c.mu.Lock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		c.stats.Hits++
		c.mu.Unlock()
		c.metrics.cache(true)
		return el.Value.(*cacheItem).pcm, nil
	}
	if cl, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			return cl.pcm, cl.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[key] = cl
	c.stats.Misses++
	c.mu.Unlock()
	c.metrics.cache(false)

	start := time.Now()
	cl.pcm, cl.err = c.next.Synthesize(ctx, key)
	took := time.Since(start)
	c.metrics.synthesized(took)

	c.mu.Lock()
	delete(c.inflight, key)
	c.stats.SynthTime += took
	if took > c.stats.MaxSynth {
		c.stats.MaxSynth = took
	}
	if cl.err == nil && c.maxItems > 0 && 2*len(cl.pcm) <= c.maxBytes {
		c.items[key] = c.order.PushFront(&cacheItem{text: key, pcm: cl.pcm})
		c.bytes += 2 * len(cl.pcm)
		for c.order.Len() > c.maxItems || c.bytes > c.maxBytes {
			el := c.order.Back()
			it := el.Value.(*cacheItem)
			c.order.Remove(el)
			delete(c.items, it.text)
			c.bytes -= 2 * len(it.pcm)
		}
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.pcm, cl.err
}

// Stats returns the cache's counters so far.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Len is the number of cached sentences.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// NewSynthesizer builds the configured synthesiser: a flite voice behind an LRU cache.
func NewSynthesizer(cfg SpeechConfig, m *Metrics) (*Cache, error) {
	f, err := NewFlite(cfg.Voice)
	if err != nil {
		return nil, err
	}
	f.LevelDB = cfg.LevelDB
	return NewCache(f, cfg.CacheEntries, cfg.CacheBytes, m), nil
}
