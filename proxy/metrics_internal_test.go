package proxy

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// queriesCount reads heliosdb_proxy_queries_total{node, kind, reason}
// from reg (0 when absent).
func queriesCount(t *testing.T, reg *prometheus.Registry, node, kind, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "heliosdb_proxy_queries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["node"] == node && labels["kind"] == kind && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestQueryCacheCountsEachLabelSet: a session's cached counter follows
// the statement's node, kind and reason; a change of any of them counts
// under the new labels, not the cached ones.
func TestQueryCacheCountsEachLabelSet(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	var qc queryCache
	steps := []struct{ node, kind, reason string }{
		{"a", "read", "round-robin"},
		{"a", "read", "round-robin"},
		{"b", "read", "round-robin"},
		{"b", "write", "primary"},
		{"b", "write", "pinned"},
		{"a", "read", "round-robin"},
	}
	for _, s := range steps {
		m.query(&qc, s.node, s.kind, s.reason)
	}
	var other queryCache // another session shares the counters
	m.query(&other, "b", "write", "primary")
	for _, tc := range []struct {
		node, kind, reason string
		want               float64
	}{
		{"a", "read", "round-robin", 3},
		{"b", "read", "round-robin", 1},
		{"b", "write", "primary", 2},
		{"b", "write", "pinned", 1},
		{"a", "write", "primary", 0},
	} {
		if got := queriesCount(t, reg, tc.node, tc.kind, tc.reason); got != tc.want {
			t.Errorf("queries{%s,%s,%s} = %v, want %v", tc.node, tc.kind, tc.reason, got, tc.want)
		}
	}
}
