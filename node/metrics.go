package node

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type nodeMetrics struct {
	commits    prometheus.Counter
	conflicts  prometheus.Counter
	groupSize  prometheus.Histogram
	commitTime prometheus.Histogram
	role       *prometheus.GaugeVec
	// forwardApplyWait: on a standby, how long a forwarded commit waited
	// until it was applied here (write forwarding, forward.go).
	forwardApplyWait prometheus.Histogram
}

func newNodeMetrics(reg prometheus.Registerer) *nodeMetrics {
	m := &nodeMetrics{
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "helios_commits_total", Help: "Transactions committed (WAL-durable and applied)."}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "helios_commit_conflicts_total", Help: "Commits refused by first-committer-wins conflict detection (40001)."}),
		groupSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "helios_commit_group_size", Help: "Commits sharing one WAL fsync (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9)}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "helios_commit_group_duration_seconds", Help: "Time from WAL append to applied, per commit group.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		role: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "helios_node_role", Help: "1 for the role this node currently has."}, []string{"role"}),
		forwardApplyWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "helios_write_forwarding_apply_wait_seconds", Help: "On a standby, time from a forwarded commit's answer to its local apply.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16)}),
	}
	if reg != nil {
		reg.MustRegister(m.commits, m.conflicts, m.groupSize, m.commitTime, m.role, m.forwardApplyWait)
	}
	return m
}

func (m *nodeMetrics) observeGroup(n int, took time.Duration) {
	m.commits.Add(float64(n))
	m.groupSize.Observe(float64(n))
	m.commitTime.Observe(took.Seconds())
}
