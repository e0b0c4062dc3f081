package pgwire_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, addr, _ := startServer(t, pgwire.Config{Registerer: reg})
	conn := mustConnect(t, addr)
	ctx := testCtx(t)
	if _, err := conn.Exec(ctx, pgwiretest.SelectOne, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, pgwiretest.SelectItemByID, int64(1)); err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Exec(ctx, pgwiretest.SelectDivZero, pgx.QueryExecModeSimpleProtocol)

	got := gather(t, reg)
	checks := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"helios_pgwire_connections", nil, 1},
		{"helios_pgwire_connections_total", nil, 1},
		{"helios_pgwire_statement_duration_seconds", map[string]string{"kind": "simple"}, 2},
		{"helios_pgwire_statement_duration_seconds", map[string]string{"kind": "extended"}, 1},
		{"helios_pgwire_errors_total", map[string]string{"class": "22"}, 1},
	}
	for _, c := range checks {
		if v := value(got[c.name], c.labels); v < c.min {
			t.Errorf("%s%v = %v, want >= %v", c.name, c.labels, v, c.min)
		}
	}
	if _, err := pgwire.NewServer(pgwire.Config{Registerer: reg, AuthMethod: pgwire.AuthTrust}, pgwiretest.NewFactory()); err == nil {
		t.Errorf("registering the metrics twice on one registry should fail")
	}
}

func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]*dto.MetricFamily)
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value returns the gauge/counter value or histogram count of the metric
// with labels.
func value(mf *dto.MetricFamily, labels map[string]string) float64 {
	if mf == nil {
		return -1
	}
	for _, m := range mf.GetMetric() {
		match := true
		for _, lp := range m.GetLabel() {
			if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}
