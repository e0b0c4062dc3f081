package health

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/proxy/route"
)

// metrics are the Checker's collectors. Per-node gauges are read from the
// Checker's state at scrape time.
type metrics struct {
	c      *Checker
	checks *prometheus.CounterVec

	healthy, enabled, primary, term, lag, latency *prometheus.Desc
}

func newMetrics(c *Checker, reg prometheus.Registerer) *metrics {
	m := &metrics{
		c: c,
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heliosdb_proxy_health_checks_total",
			Help: "Health probes by node and result (ok, error).",
		}, []string{"node", "result"}),
		healthy: desc("heliosdb_proxy_node_healthy", "1 when the node is healthy."),
		enabled: desc("heliosdb_proxy_node_enabled", "1 when the node is enabled for routing."),
		primary: desc("heliosdb_proxy_node_is_primary", "1 when the node last reported role primary."),
		term:    desc("heliosdb_proxy_node_term", "Term the node last reported."),
		lag:     desc("heliosdb_proxy_node_replication_lag_bytes", "Replication lag the node last reported, in bytes."),
		latency: desc("heliosdb_proxy_node_probe_latency_seconds", "Duration of the node's last successful probe."),
	}
	if reg != nil {
		reg.MustRegister(m.checks, m)
	}
	return m
}

func desc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, []string{"node"}, nil)
}

func (m *metrics) probed(node string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.checks.WithLabelValues(node, result).Inc()
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.healthy, m.enabled, m.primary, m.term, m.lag, m.latency} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	for _, s := range m.c.Statuses() {
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, s.Name)
		}
		gauge(m.healthy, b2f(s.Healthy))
		gauge(m.enabled, b2f(s.Enabled))
		gauge(m.primary, b2f(s.Role == route.Primary))
		gauge(m.term, float64(s.Term))
		gauge(m.lag, float64(s.LagBytes))
		gauge(m.latency, s.Latency.Seconds())
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
