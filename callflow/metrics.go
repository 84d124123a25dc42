package callflow

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline/hotline/store"
)

// Metrics are the per-call figures only the call flow sees: how calls end, and how long the caller
// waits for the bot's answer.
type Metrics struct {
	ended        *prometheus.CounterVec
	voiceToVoice prometheus.Histogram
	transfers    *prometheus.CounterVec
	voicemails   prometheus.Counter
}

// NewMetrics registers the call metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_calls_ended_total", Help: "Calls ended, by outcome (bot_resolved, transferred, abandoned, failed).",
		}, []string{"outcome"}),
		voiceToVoice: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hotline_turn_voice_to_voice_seconds",
			Help:    "From the end of the caller's speech to the first RTP packet of the bot's reply.",
			Buckets: []float64{0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1, 1.25, 1.5, 2, 3, 5},
		}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_escalations_total", Help: "Calls the bot handed to a person, by transfer reason.",
		}, []string{"reason"}),
		voicemails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hotline_voicemails_total", Help: "Messages callers left when no agent could take the call.",
		}),
	}
	for _, o := range []store.Outcome{store.OutcomeBotResolved, store.OutcomeTransferred, store.OutcomeAbandoned, store.OutcomeFailed} {
		m.ended.WithLabelValues(string(o))
	}
	reg.MustRegister(m.ended, m.voiceToVoice, m.transfers, m.voicemails)
	return m
}

// record counts a finished call.
func (m *Metrics) record(c *store.Call) {
	if m == nil {
		return
	}
	m.ended.WithLabelValues(string(c.Outcome)).Inc()
	if c.Voicemail != nil {
		m.voicemails.Inc()
	}
	if c.TransferReason != "" {
		m.transfers.WithLabelValues(c.TransferReason).Inc()
	}
	for _, t := range c.Turns {
		if t.BotAudioStartMS > 0 && t.CallerSpeechEndMS > 0 && t.BotAudioStartMS >= t.CallerSpeechEndMS {
			m.voiceToVoice.Observe(float64(t.BotAudioStartMS-t.CallerSpeechEndMS) / 1000)
		}
	}
}
