package proxy

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the proxy's collectors, registered on Config.Registry.
type metrics struct {
	connections   prometheus.Counter
	active        prometheus.Gauge
	queries       *prometheus.CounterVec // node, kind, reason
	writeWaits    *prometheus.CounterVec // outcome
	backendErrors *prometheus.CounterVec // node, kind
	backendConns  *prometheus.CounterVec // node
	// readOnlyRetries: writes retried after the node taken for the primary
	// answered 25006 and no longer reported itself primary.
	readOnlyRetries prometheus.Counter
	// clientLost: statements abandoned because their client disconnected.
	clientLost prometheus.Counter

	queryCounters sync.Map // [3]string{node, kind, reason} → prometheus.Counter
}

// queryCache is the queries counter a session last counted a statement
// in: a session mostly repeats one node, kind and reason, and then spares
// the shared map's lookup (hashing three strings) per statement.
type queryCache struct {
	key [3]string
	c   prometheus.Counter
}

// query counts one routed statement, through the session's cache. The
// counters are kept, so a miss costs one sync.Map load.
func (m *metrics) query(qc *queryCache, node, kind, reason string) {
	if key := [3]string{node, kind, reason}; qc.c == nil || qc.key != key {
		c, ok := m.queryCounters.Load(key)
		if !ok {
			c, _ = m.queryCounters.LoadOrStore(key, m.queries.WithLabelValues(node, kind, reason))
		}
		qc.key, qc.c = key, c.(prometheus.Counter)
	}
	qc.c.Inc()
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connections: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "heliosdb_proxy_connections_total", Help: "Client connections accepted."}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "heliosdb_proxy_connections_active", Help: "Client connections open now."}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heliosdb_proxy_queries_total",
			Help: "Statements (simple queries, extended-protocol batches) routed, by node, kind (read, write, any) and routing reason."},
			[]string{"node", "kind", "reason"}),
		writeWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heliosdb_proxy_write_timeout_waits_total",
			Help: "Statements that had to wait for a node (no healthy primary), by outcome (ok, timeout, canceled, shutdown)."},
			[]string{"outcome"}),
		backendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heliosdb_proxy_backend_errors_total",
			Help: "Failed connects to nodes and connections lost mid-statement, by node and kind (connect, lost)."},
			[]string{"node", "kind"}),
		backendConns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heliosdb_proxy_backend_connections_total", Help: "Backend connections opened, by node."},
			[]string{"node"}),
		readOnlyRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "heliosdb_proxy_read_only_retries_total",
			Help: "Write statements retried on a new primary after the node taken for the primary refused them as read-only (25006) and no longer reported itself primary."}),
		clientLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "heliosdb_proxy_client_lost_total",
			Help: "Statements cancelled on their node (or waits ended) because the client disconnected while they ran."}),
	}
	reg.MustRegister(m.connections, m.active, m.queries, m.writeWaits, m.backendErrors, m.backendConns, m.readOnlyRetries, m.clientLost)
	return m
}
