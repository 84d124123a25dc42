package media

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the media counters exported on /metrics. A nil *Metrics is valid and counts nothing.
type Metrics struct {
	packetsIn      prometheus.Counter
	packetsOut     prometheus.Counter
	lost           prometheus.Counter
	late           prometheus.Counter
	duplicates     prometheus.Counter
	garbage        prometheus.Counter
	drained        prometheus.Counter
	droppedFrames  prometheus.Counter
	jitter         prometheus.Histogram
	activeSessions prometheus.Gauge
	timeouts       prometheus.Counter
	portsExhausted prometheus.Counter
}

// NewMetrics registers the media metrics on reg (nil: unregistered, still usable).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		packetsIn:      prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_rtp_packets_received_total", Help: "RTP packets received (all calls)."}),
		packetsOut:     prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_rtp_packets_sent_total", Help: "RTP packets sent (all calls)."}),
		lost:           prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_rtp_packets_lost_total", Help: "RTP packets never received (sequence gaps), counted at the end of each call."}),
		late:           prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_rtp_packets_late_total", Help: "RTP packets that arrived after their playout time."}),
		duplicates:     prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_rtp_packets_duplicate_total", Help: "Duplicate RTP packets discarded."}),
		garbage:        prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_rtp_garbage_datagrams_total", Help: "Datagrams on RTP ports that were not valid RTP, or came from an unexpected source."}),
		drained:        prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_rtp_drained_datagrams_total", Help: "Stale datagrams discarded on released ports while draining."}),
		droppedFrames:  prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_media_dropped_frames_total", Help: "20 ms frames dropped because a consumer (subscriber, recorder) was slow."}),
		jitter:         prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hotline_rtp_jitter_seconds", Help: "RFC 3550 interarrival jitter, sampled at each RTCP report and at the end of each call.", Buckets: []float64{.001, .002, .005, .01, .02, .03, .05, .1, .2, .5}}),
		activeSessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_media_sessions_active", Help: "RTP sessions open now."}),
		timeouts:       prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_rtp_timeouts_total", Help: "Sessions ended because no RTP arrived in time."}),
		portsExhausted: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_rtp_ports_exhausted_total", Help: "Sessions refused because no RTP port was free."}),
	}
	if reg != nil {
		m.packetsIn = register(reg, m.packetsIn)
		m.packetsOut = register(reg, m.packetsOut)
		m.lost = register(reg, m.lost)
		m.late = register(reg, m.late)
		m.duplicates = register(reg, m.duplicates)
		m.garbage = register(reg, m.garbage)
		m.drained = register(reg, m.drained)
		m.droppedFrames = register(reg, m.droppedFrames)
		m.jitter = register(reg, m.jitter)
		m.activeSessions = register(reg, m.activeSessions)
		m.timeouts = register(reg, m.timeouts)
		m.portsExhausted = register(reg, m.portsExhausted)
	}
	return m
}

// register adds c to reg; when an identical collector is already registered (a second NewMetrics on the same
// registry, e.g. after a reload) it shares that one instead of failing.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

func (m *Metrics) incOut() {
	if m != nil {
		m.packetsOut.Inc()
	}
}

func (m *Metrics) observeJitter(sec float64) {
	if m != nil {
		m.jitter.Observe(sec)
	}
}

func (m *Metrics) sessionDelta(d float64) {
	if m != nil {
		m.activeSessions.Add(d)
	}
}
