package sip

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the SIP counters exported on /metrics. A nil *Metrics counts nothing.
type Metrics struct {
	responses *prometheus.CounterVec // by status code
	requests  *prometheus.CounterVec // by method
	refused   *prometheus.CounterVec // refused calls by reason
	active    prometheus.Gauge
	calls     prometheus.Counter
}

// NewMetrics registers the SIP metrics with reg (nil: a private registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hotline", Subsystem: "sip", Name: "responses_sent_total",
			Help: "SIP responses sent, by status code."}, []string{"code"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hotline", Subsystem: "sip", Name: "requests_received_total",
			Help: "SIP requests received, by method."}, []string{"method"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hotline", Subsystem: "sip", Name: "refused_calls_total",
			Help: "INVITEs refused, by reason (forbidden_source, auth, busy, draining, no_common_codec, bad_request, media, extension, interval_too_small)."},
			[]string{"reason"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "hotline", Subsystem: "sip", Name: "active_calls",
			Help: "Calls admitted and not yet ended (ringing or answered)."}),
		calls: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "hotline", Subsystem: "sip", Name: "calls_total",
			Help: "Calls admitted (past access control and admission)."}),
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(m.responses, m.requests, m.refused, m.active, m.calls)
	return m
}

func (m *Metrics) response(code int) {
	if m != nil {
		m.responses.WithLabelValues(strconv.Itoa(code)).Inc()
	}
}

func (m *Metrics) request(method string) {
	if m != nil {
		m.requests.WithLabelValues(method).Inc()
	}
}

func (m *Metrics) refusedCall(reason string) {
	if m != nil {
		m.refused.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) callStarted() {
	if m != nil {
		m.calls.Inc()
		m.active.Inc()
	}
}

func (m *Metrics) callEnded() {
	if m != nil {
		m.active.Dec()
	}
}
