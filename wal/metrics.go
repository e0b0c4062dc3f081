package wal

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the collectors of a Log. With a nil Registerer they are
// created but not registered, so the code never checks for nil.
type metrics struct {
	bytes    prometheus.Counter
	fsync    prometheus.Histogram
	segments prometheus.Gauge
	flushed  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "helios_wal_bytes_written_total",
			Help: "Bytes of framed WAL records written to segment files.",
		}),
		fsync: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "helios_wal_fsync_duration_seconds",
			Help:    "Latency of WAL segment fdatasync calls.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 18), // 50µs .. ~6.5s
		}),
		segments: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "helios_wal_segments",
			Help: "Number of WAL segments retained (including the active one).",
		}),
		flushed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "helios_wal_flushed_lsn",
			Help: "End of the durable WAL, as a byte position.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.bytes, err = register(reg, m.bytes)
	if err == nil {
		m.fsync, err = register(reg, m.fsync)
	}
	if err == nil {
		m.segments, err = register(reg, m.segments)
	}
	if err == nil {
		m.flushed, err = register(reg, m.flushed)
	}
	return m, err
}

// register registers c, reusing an identical collector already registered
// (a Log reopened on the same registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	if err != nil {
		return c, fmt.Errorf("wal: register metrics: %w", err)
	}
	return c, nil
}
