package pgwire

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics holds the server's collectors. They always exist; they are
// registered only when Config.Registerer is set.
type metrics struct {
	conns      prometheus.Gauge
	connsTotal prometheus.Counter
	stmtDur    *prometheus.HistogramVec
	simpleDur  prometheus.Observer
	extDur     prometheus.Observer
	errors     *prometheus.CounterVec
	running    prometheus.Gauge
	clientLost prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "helios_pgwire_connections",
			Help: "Open PostgreSQL protocol connections.",
		}),
		connsTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "helios_pgwire_connections_total",
			Help: "PostgreSQL protocol connections accepted.",
		}),
		stmtDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "helios_pgwire_statement_duration_seconds",
			Help:    "Time to run a simple-protocol query message or an extended-protocol Execute.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 18),
		}, []string{"kind"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helios_pgwire_errors_total",
			Help: "ErrorResponses sent, by SQLSTATE class (first two characters).",
		}, []string{"class"}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "helios_pgwire_statements_running",
			Help: "Session calls (Query, Parse, Bind, Execute) running now on PostgreSQL protocol connections.",
		}),
		clientLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "helios_pgwire_client_lost_total",
			Help: "Statements cancelled because their client disconnected while they ran.",
		}),
	}
	m.simpleDur = m.stmtDur.WithLabelValues("simple")
	m.extDur = m.stmtDur.WithLabelValues("extended")
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.conns, m.connsTotal, m.stmtDur, m.errors, m.running, m.clientLost} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("pgwire: register metrics: %w", err)
		}
	}
	return m, nil
}

// countError counts one ErrorResponse with SQLSTATE code.
func (m *metrics) countError(code string) {
	class := "XX"
	if len(code) >= 2 {
		class = code[:2]
	}
	m.errors.WithLabelValues(class).Inc()
}
