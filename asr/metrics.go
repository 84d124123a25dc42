package asr

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the recogniser's Prometheus metrics. A nil *Metrics is valid and records nothing.
type Metrics struct {
	streams       prometheus.Gauge
	streamsTotal  *prometheus.CounterVec // by engine and outcome: ok, busy, unavailable, error
	decoders      prometheus.Gauge
	decoderLoad   prometheus.Histogram
	finalLatency  prometheus.Histogram
	droppedFrames prometheus.Counter
	reconnects    prometheus.Counter
}

// NewMetrics registers the metrics on reg (none when reg is nil, but the value still works).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		streams: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_asr_streams_active",
			Help: "Recognition streams open now."}),
		streamsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_asr_streams_total",
			Help: "Recognition streams requested, by engine and outcome (ok, busy, unavailable, error)."},
			[]string{"engine", "outcome"}),
		decoders: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_asr_decoders",
			Help: "PocketSphinx decoders loaded (busy and idle)."}),
		decoderLoad: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hotline_asr_decoder_load_seconds",
			Help: "Time to load one PocketSphinx decoder.", Buckets: []float64{.1, .25, .5, 1, 2, 4, 8}}),
		finalLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hotline_asr_final_latency_seconds",
			Help:    "From the end of the caller's speech (last voiced frame) to the final result.",
			Buckets: []float64{.1, .2, .3, .4, .5, .7, 1, 1.5, 2, 3}}),
		droppedFrames: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_asr_dropped_frames_total",
			Help: "Audio frames dropped because recognition fell behind."}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_asr_vosk_reconnects_total",
			Help: "Reconnections of vosk-engine streams to the recognition server."}),
	}
	if reg != nil {
		reg.MustRegister(m.streams, m.streamsTotal, m.decoders, m.decoderLoad, m.finalLatency, m.droppedFrames, m.reconnects)
	}
	return m
}

func (m *Metrics) streamOpened(engine, outcome string) {
	if m == nil {
		return
	}
	m.streamsTotal.WithLabelValues(engine, outcome).Inc()
	if outcome == "ok" {
		m.streams.Inc()
	}
}

func (m *Metrics) streamClosed() {
	if m != nil {
		m.streams.Dec()
	}
}

func (m *Metrics) decoderLoaded(d time.Duration) {
	if m != nil {
		m.decoders.Inc()
		m.decoderLoad.Observe(d.Seconds())
	}
}

func (m *Metrics) decoderFreed() {
	if m != nil {
		m.decoders.Dec()
	}
}

func (m *Metrics) final(d time.Duration) {
	if m != nil {
		m.finalLatency.Observe(d.Seconds())
	}
}

func (m *Metrics) dropped() {
	if m != nil {
		m.droppedFrames.Inc()
	}
}

func (m *Metrics) reconnected() {
	if m != nil {
		m.reconnects.Inc()
	}
}
