package storage

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics holds the package's collectors. With a nil Registerer they still
// exist (and are updated) but nobody scrapes them.
type metrics struct {
	reg           prometheus.Registerer
	appliedLSN    prometheus.Gauge
	durableLSN    prometheus.Gauge
	applyDuration prometheus.Histogram
	dbSize        prometheus.Gauge
	merges        prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		reg: reg,
		appliedLSN: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "helios_storage_applied_lsn",
			Help: "WAL LSN up to which commits are applied (visible); see helios_storage_durable_lsn.",
		}),
		durableLSN: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "helios_storage_durable_lsn",
			Help: "WAL LSN up to which the storage file itself holds the commits (the rest is replayed from the WAL after a crash).",
		}),
		applyDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "helios_storage_apply_duration_seconds",
			Help:    "Latency of storage Apply and of each flush of applied changes into the file (a bbolt read-write transaction with its fsyncs).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		dbSize: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "helios_storage_db_size_bytes",
			Help: "Size of the bbolt storage file in bytes.",
		}),
		merges: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "helios_storage_merges",
			Help: "Buckets whose published bulk load (OpMoveBucket) is still being moved into them in bounded transactions.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var registered []prometheus.Collector
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			for _, r := range registered {
				reg.Unregister(r)
			}
			return nil, fmt.Errorf("storage: register metrics: %w", err)
		}
		registered = append(registered, c)
	}
	return m, nil
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.appliedLSN, m.durableLSN, m.applyDuration, m.dbSize, m.merges}
}

// unregister removes the collectors so the registry can take a reopened DB.
func (m *metrics) unregister() {
	if m.reg == nil {
		return
	}
	for _, c := range m.collectors() {
		m.reg.Unregister(c)
	}
}
