package replication

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/hastate"
)

type serverMetrics struct {
	sentBytes    prometheus.Counter
	baseBackups  prometheus.Counter
	degraded     prometheus.Gauge
	degradations prometheus.Counter
	syncWait     prometheus.Histogram
	// sentRecords and sentHeartbeats count the stream messages sent to
	// standbys: WAL records, and heartbeats (idle, or a release with no
	// records to carry it).
	sentRecords, sentHeartbeats prometheus.Counter
}

func newServerMetrics(reg prometheus.Registerer, s *Server) *serverMetrics {
	m := &serverMetrics{
		sentBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_sent_bytes_total",
			Help: "WAL bytes sent to standbys."}),
		baseBackups: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_base_backups_sent_total",
			Help: "Base backups served to standbys."}),
		degraded: prometheus.NewGauge(prometheus.GaugeOpts{Name: "helios_replication_sync_degraded",
			Help: "1 while a sync primary runs degraded to async (no sync standby acknowledged within sync-timeout)."}),
		degradations: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_sync_degradations_total",
			Help: "Times the primary degraded from sync to async."}),
		syncWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "helios_replication_sync_wait_seconds",
			Help: "Time commits waited for a sync standby's flush acknowledgement.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		sentRecords: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_sent_records_messages_total",
			Help: "Messages of WAL records sent to standbys."}),
		sentHeartbeats: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_sent_heartbeats_total",
			Help: "Heartbeats sent to standbys (idle, or a released LSN with no records to carry it)."}),
	}
	if reg != nil {
		reg.MustRegister(m.sentBytes, m.baseBackups, m.degraded, m.degradations, m.syncWait, m.sentRecords, m.sentHeartbeats, standbyCollector{s})
	}
	return m
}

var (
	descLagBytes = prometheus.NewDesc("helios_replication_standby_lag_bytes",
		"Bytes of WAL a standby has not applied yet, as seen by the primary.", []string{"standby", "mode"}, nil)
	descLagSeconds = prometheus.NewDesc("helios_replication_standby_lag_seconds",
		"How long ago the oldest WAL a standby has not applied was sent, as seen by the primary.", []string{"standby", "mode"}, nil)
	descConnected = prometheus.NewDesc("helios_replication_standby_connected",
		"1 when the standby is streaming or catching up.", []string{"standby", "mode"}, nil)
)

// standbyCollector exports per-standby gauges at scrape time.
type standbyCollector struct{ s *Server }

func (c standbyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLagBytes
	ch <- descLagSeconds
	ch <- descConnected
}

func (c standbyCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.s.Standbys() {
		mode := modeName(st.Sync)
		connected := 0.0
		if st.State != hastate.Disconnected {
			connected = 1
		}
		ch <- prometheus.MustNewConstMetric(descLagBytes, prometheus.GaugeValue, float64(st.LagBytes), st.NodeID, mode)
		ch <- prometheus.MustNewConstMetric(descLagSeconds, prometheus.GaugeValue, st.Lag.Seconds(), st.NodeID, mode)
		ch <- prometheus.MustNewConstMetric(descConnected, prometheus.GaugeValue, connected, st.NodeID, mode)
	}
}

func modeName(sync bool) string {
	if sync {
		return "sync"
	}
	return "async"
}

type standbyMetrics struct {
	receivedBytes prometheus.Counter
	lagBytes      prometheus.GaugeFunc
	lagSeconds    prometheus.GaugeFunc
	connected     prometheus.GaugeFunc
	baseBackups   prometheus.Counter
	crcErrors     prometheus.Counter
	coalesced     prometheus.Counter
	// appliedAcksCoalesced counts applies whose ack was left to the next
	// flush ack (standby.go coalesceApplied).
	appliedAcksCoalesced prometheus.Counter
	// appliedAcksTimed counts applies acknowledged by the timer
	// (ackAppliedLater): no flush ack carried them in time.
	appliedAcksTimed prometheus.Counter
	// acks counts the acknowledgements sent to the primary.
	acks prometheus.Counter
}

func newStandbyMetrics(reg prometheus.Registerer, s *Standby) *standbyMetrics {
	m := &standbyMetrics{
		receivedBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_received_bytes_total",
			Help: "WAL bytes received from the primary."}),
		lagBytes: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "helios_replication_lag_bytes",
			Help: "Bytes of the primary's WAL this standby has not applied (as of the last heartbeat)."},
			func() float64 { return float64(s.Status().LagBytes) }),
		lagSeconds: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "helios_replication_lag_seconds",
			Help: "How long ago the oldest WAL this standby has not applied became known."},
			func() float64 { return s.Status().Lag.Seconds() }),
		connected: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "helios_replication_connected",
			Help: "1 while this standby streams from its primary."},
			func() float64 {
				if s.Status().Connected {
					return 1
				}
				return 0
			}),
		baseBackups: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_base_backups_received_total",
			Help: "Base backups this standby re-seeded itself from."}),
		crcErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_crc_errors_total",
			Help: "Received WAL records whose CRC did not match (never applied)."}),
		coalesced: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_coalesced_messages_total",
			Help: "Record messages from the primary appended and fsynced together with an earlier one (each saved an fsync)."}),
		appliedAcksCoalesced: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_applied_acks_coalesced_total",
			Help: "Applies whose acknowledgement rode on the next flush acknowledgement instead of a message of its own."}),
		appliedAcksTimed: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_applied_acks_timed_total",
			Help: "Acknowledgements sent for an apply that no flush acknowledgement carried within the applied-ack delay."}),
		acks: prometheus.NewCounter(prometheus.CounterOpts{Name: "helios_replication_acks_sent_total",
			Help: "Acknowledgements (flushed and applied LSN) sent to the primary."}),
	}
	if reg != nil {
		reg.MustRegister(m.receivedBytes, m.lagBytes, m.lagSeconds, m.connected, m.baseBackups, m.crcErrors, m.coalesced, m.appliedAcksCoalesced, m.appliedAcksTimed, m.acks)
	}
	return m
}
