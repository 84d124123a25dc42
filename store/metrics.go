package store

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the store's Prometheus metrics. A nil *Metrics is valid and records nothing.
type Metrics struct {
	queueDepth prometheus.Gauge
	enqueued   prometheus.Counter
	dropped    *prometheus.CounterVec
	retries    prometheus.Counter
	writes     prometheus.Counter
	writeSecs  prometheus.Histogram
	purged     prometheus.Counter
	purgeErrs  prometheus.Counter
}

// NewMetrics registers the store's metrics on reg (nil reg: unregistered, still usable).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_store_queue_depth",
			Help: "Call records waiting in the writer's queue."}),
		enqueued: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_store_enqueued_total",
			Help: "Call records handed to the writer."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_store_dropped_total",
			Help: "Call records lost: queue_full (the writer fell behind) or write_failed (retries exhausted)."},
			[]string{"reason"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_store_write_retries_total",
			Help: "Failed call-record writes that were retried."}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_store_writes_total",
			Help: "Call records written."}),
		writeSecs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hotline_store_write_seconds",
			Help:    "Time from hand-over to the writer until the record is committed.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}),
		purged: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_store_purged_total",
			Help: "Recordings the retention job found on purged call records."}),
		purgeErrs: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_store_purge_errors_total",
			Help: "Retention job runs or recording deletions that failed."}),
	}
	m.dropped.WithLabelValues("queue_full")
	m.dropped.WithLabelValues("write_failed")
	if reg != nil {
		reg.MustRegister(m.queueDepth, m.enqueued, m.dropped, m.retries, m.writes, m.writeSecs, m.purged, m.purgeErrs)
	}
	return m
}

func (m *Metrics) setDepth(n int) {
	if m != nil {
		m.queueDepth.Set(float64(n))
	}
}

func (m *Metrics) enqueue() {
	if m != nil {
		m.enqueued.Inc()
	}
}

func (m *Metrics) drop(reason string) {
	if m != nil {
		m.dropped.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) retry() {
	if m != nil {
		m.retries.Inc()
	}
}

func (m *Metrics) written(secs float64) {
	if m != nil {
		m.writes.Inc()
		m.writeSecs.Observe(secs)
	}
}

func (m *Metrics) purge(n int, errs int) {
	if m != nil {
		m.purged.Add(float64(n))
		m.purgeErrs.Add(float64(errs))
	}
}
