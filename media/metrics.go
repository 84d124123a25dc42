package media

import "github.com/prometheus/client_golang/prometheus"

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
		for _, c := range []prometheus.Collector{m.packetsIn, m.packetsOut, m.lost, m.late, m.duplicates, m.garbage,
			m.drained, m.droppedFrames, m.jitter, m.activeSessions, m.timeouts, m.portsExhausted} {
			reg.MustRegister(c)
		}
	}
	return m
}

func (m *Metrics) add(c func(*Metrics) prometheus.Counter, n float64) {
	if m != nil && n > 0 {
		c(m).Add(n)
	}
}

func (m *Metrics) incIn() {
	if m != nil {
		m.packetsIn.Inc()
	}
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
