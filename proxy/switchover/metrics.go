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

	leases    *prometheus.CounterVec // result
	failovers *prometheus.CounterVec // outcome
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
		leases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heliosdb_proxy_lease_renewals_total",
			Help: "Failover lease grants to the primary by result: ok, failed (unreachable or refused)."},
			[]string{"result"}),
		failovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heliosdb_proxy_failovers_total",
			Help: "Automatic failovers by outcome: ok (a standby was promoted), failed (the promotion failed), blocked (no standby was safe to promote)."},
			[]string{"outcome"}),
	}
	for _, o := range []string{"ok", "failed"} {
		m.leases.WithLabelValues(o)
	}
	for _, o := range []string{"ok", "failed", "blocked"} {
		m.failovers.WithLabelValues(o)
	}
	for _, o := range []string{"ok", "rejected", "failed"} {
		m.runs.WithLabelValues(o)
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.pause, m.leases, m.failovers)
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
