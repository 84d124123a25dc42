package agentbridge

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the queue and softphone counters. A nil *Metrics is valid and records nothing.
type Metrics struct {
	waiting     prometheus.Gauge
	agents      *prometheus.GaugeVec
	waitSeconds *prometheus.HistogramVec
	ringSeconds prometheus.Histogram
	offers      *prometheus.CounterVec
	outcomes    *prometheus.CounterVec
	logins      *prometheus.CounterVec
	rtcSessions prometheus.Gauge
	forwarded   *prometheus.CounterVec
}

// NewMetrics registers the agent bridge metrics on reg (nil: a private registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_queue_waiting_calls",
			Help: "Calls waiting for an agent (including ringing)."}),
		agents: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hotline_agents",
			Help: "Logged-in agents by presence."}, []string{"presence"}),
		waitSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hotline_queue_wait_seconds",
			Help:    "Time from Enqueue to an agent answering or the call leaving the queue, by result.",
			Buckets: []float64{1, 5, 10, 20, 30, 60, 120, 300, 600}}, []string{"result"}),
		ringSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hotline_queue_ring_seconds",
			Help: "Ringing time of answered offers.", Buckets: []float64{0.5, 1, 2, 4, 8, 15, 30}}),
		offers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_offers_total",
			Help: "Calls offered to an agent, by result (answered, declined, timeout, cancelled, lost)."}, []string{"result"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_queue_outcomes_total",
			Help: "Calls leaving the queue, by result and next step."}, []string{"result", "next"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_agent_logins_total",
			Help: "Login attempts by result (ok, bad_password, throttled)."}, []string{"result"}),
		rtcSessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_agent_webrtc_sessions",
			Help: "Open WebRTC peer connections to agents."}),
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_agent_rtp_packets_total",
			Help: "RTP packets bridged, by direction (to_agent, to_caller)."}, []string{"direction"}),
	}
	reg.MustRegister(m.waiting, m.agents, m.waitSeconds, m.ringSeconds, m.offers, m.outcomes, m.logins,
		m.rtcSessions, m.forwarded)
	return m
}

func (m *Metrics) setWaiting(n int) {
	if m != nil {
		m.waiting.Set(float64(n))
	}
}

func (m *Metrics) setAgents(byPresence map[string]int) {
	if m == nil {
		return
	}
	for _, p := range []string{PresenceAvailable, PresenceBusy, PresenceWrapUp, PresenceAway} {
		m.agents.WithLabelValues(p).Set(float64(byPresence[p]))
	}
}

func (m *Metrics) wait(result string, seconds float64) {
	if m != nil {
		m.waitSeconds.WithLabelValues(result).Observe(seconds)
	}
}

func (m *Metrics) ring(seconds float64) {
	if m != nil {
		m.ringSeconds.Observe(seconds)
	}
}

func (m *Metrics) offer(result string) {
	if m != nil {
		m.offers.WithLabelValues(result).Inc()
	}
}

func (m *Metrics) outcome(result, next string) {
	if m != nil {
		if next == "" {
			next = "none"
		}
		m.outcomes.WithLabelValues(result, next).Inc()
	}
}

func (m *Metrics) login(result string) {
	if m != nil {
		m.logins.WithLabelValues(result).Inc()
	}
}

func (m *Metrics) rtc(delta float64) {
	if m != nil {
		m.rtcSessions.Add(delta)
	}
}

// counters returns the per-packet counters, resolved once per call so the packet path does no label lookup.
func (m *Metrics) counters() (toAgent, toCaller prometheus.Counter) {
	if m == nil {
		return nil, nil
	}
	return m.forwarded.WithLabelValues("to_agent"), m.forwarded.WithLabelValues("to_caller")
}
