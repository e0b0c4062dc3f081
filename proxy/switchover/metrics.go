package switchover

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Coordinator's collectors.
type metrics struct {
	runs  *prometheus.CounterVec // outcome
	pause prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heliosdb_proxy_switchovers_total",
			Help: "Planned switchovers by outcome: ok, rejected (nothing changed), failed (after the demotion)."},
			[]string{"outcome"}),
		pause: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "heliosdb_proxy_switchover_write_pause_seconds",
			Help:    "How long completed switchovers held writes.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
	}
	for _, o := range []string{"ok", "rejected", "failed"} {
		m.runs.WithLabelValues(o)
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.pause)
	}
	return m
}

// done counts one Run.
func (m *metrics) done(err error, pause time.Duration) {
	switch {
	case err == nil:
		m.runs.WithLabelValues("ok").Inc()
		m.pause.Observe(pause.Seconds())
	case errors.Is(err, ErrFailed):
		m.runs.WithLabelValues("failed").Inc()
	default:
		m.runs.WithLabelValues("rejected").Inc()
	}
}
