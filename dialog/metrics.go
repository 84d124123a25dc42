package dialog

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the dialogue's Prometheus metrics. A nil *Metrics is valid and records nothing.
type Metrics struct {
	kbEntries  prometheus.Gauge
	kbReloads  *prometheus.CounterVec
	turns      *prometheus.CounterVec
	transfers  *prometheus.CounterVec
	synthSecs  prometheus.Histogram
	synthCache *prometheus.CounterVec
	matchSecs  prometheus.Histogram
}

// NewMetrics registers the dialogue's metrics with reg (nil: a private registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		kbEntries: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_kb_entries",
			Help: "Entries in the live knowledge base."}),
		kbReloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_kb_reloads_total",
			Help: "Knowledge-base reloads by result (ok, error)."}, []string{"result"}),
		turns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_bot_turns_total",
			Help: "Bot turns by act (answer, confirm, rephrase, transfer, …)."}, []string{"act"}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_bot_transfers_total",
			Help: "Calls the bot handed to an agent, by transfer reason."}, []string{"reason"}),
		synthSecs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hotline_synthesis_seconds",
			Help:    "Speech synthesis time per sentence (cache misses).",
			Buckets: []float64{.01, .025, .05, .1, .2, .4, .8, 1.6}}),
		synthCache: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_synthesis_cache_total",
			Help: "Synthesised-sentence cache lookups by result (hit, miss)."}, []string{"result"}),
		matchSecs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hotline_intent_match_seconds",
			Help:    "Time to understand one caller turn.",
			Buckets: []float64{.0001, .0005, .001, .005, .02}}),
	}
	reg.MustRegister(m.kbEntries, m.kbReloads, m.turns, m.transfers, m.synthSecs, m.synthCache, m.matchSecs)
	return m
}

func (m *Metrics) kbLoaded(n int) {
	if m != nil {
		m.kbEntries.Set(float64(n))
	}
}

func (m *Metrics) kbReloaded(ok bool, n int) {
	if m == nil {
		return
	}
	if ok {
		m.kbReloads.WithLabelValues("ok").Inc()
		m.kbEntries.Set(float64(n))
	} else {
		m.kbReloads.WithLabelValues("error").Inc()
	}
}

func (m *Metrics) turn(act, reason string) {
	if m == nil {
		return
	}
	m.turns.WithLabelValues(act).Inc()
	if reason != "" {
		m.transfers.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) synthesized(d time.Duration) {
	if m != nil {
		m.synthSecs.Observe(d.Seconds())
	}
}

func (m *Metrics) cache(hit bool) {
	if m == nil {
		return
	}
	if hit {
		m.synthCache.WithLabelValues("hit").Inc()
	} else {
		m.synthCache.WithLabelValues("miss").Inc()
	}
}

func (m *Metrics) matched(d time.Duration) {
	if m != nil {
		m.matchSecs.Observe(d.Seconds())
	}
}
