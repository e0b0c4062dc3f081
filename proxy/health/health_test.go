package health_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/proxy/backend"
	"github.com/heliosdb/nano/proxy/health"
	"github.com/heliosdb/nano/proxy/route"
)

// fakeProbe answers probes from a table that tests change.
type fakeProbe struct {
	mu      sync.Mutex
	answers map[string]backend.Status // by address; missing → error
}

func (f *fakeProbe) set(addr string, st *backend.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st == nil {
		delete(f.answers, addr)
		return
	}
	f.answers[addr] = *st
}

func (f *fakeProbe) probe(_ context.Context, addr string) (backend.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.answers[addr]
	if !ok {
		return backend.Status{}, errors.New("connection refused")
	}
	return st, nil
}

func newChecker(t *testing.T, reg prometheus.Registerer) (*health.Checker, *fakeProbe, *bytes.Buffer) {
	t.Helper()
	f := &fakeProbe{answers: map[string]backend.Status{
		"a:1": {Role: "primary", Term: 1, Params: map[string]string{"server_version": "15.0"}},
		"b:1": {Role: "standby", Term: 1, LagBytes: 10},
	}}
	var logs bytes.Buffer
	c := health.New(health.Config{
		Nodes: []health.Spec{{Name: "a", Addr: "a:1", ConfiguredRole: "primary", Enabled: true},
			{Name: "b", Addr: "b:1", ConfiguredRole: "standby", Enabled: true}},
		Threshold: 3, Probe: f.probe, Registerer: reg,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	return c, f, &logs
}

func TestThresholdAndRecovery(t *testing.T) {
	c, f, logs := newChecker(t, nil)
	if v := c.View(); v[0].Healthy || v[0].Role != route.Unknown {
		t.Fatalf("before any probe: %+v", v[0])
	}
	c.CheckAll(t.Context())
	want := []route.Node{{Name: "a", Role: route.Primary, Term: 1, Healthy: true, Enabled: true},
		{Name: "b", Role: route.Standby, Term: 1, Healthy: true, Enabled: true, LagBytes: 10}}
	if v := c.View(); v[0] != want[0] || v[1] != want[1] {
		t.Fatalf("view = %+v", v)
	}
	f.set("a:1", nil)
	for i := 1; i <= 3; i++ {
		c.CheckAll(t.Context())
		if healthy := c.View()[0].Healthy; healthy != (i < 3) {
			t.Fatalf("after %d failures healthy = %v", i, healthy)
		}
	}
	st := c.Statuses()[0]
	if st.FailureCount != 3 || st.LastError != "connection refused" || st.LastCheck.IsZero() {
		t.Errorf("status = %+v", st)
	}
	f.set("a:1", &backend.Status{Role: "standby", Term: 2})
	c.CheckAll(t.Context())
	if v := c.View()[0]; !v.Healthy || v.Role != route.Standby || v.Term != 2 {
		t.Errorf("after recovery: %+v", v)
	}
	for _, line := range []string{"node is unhealthy", "node is healthy", "node role changed", "node term changed"} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("no %q log in:\n%s", line, logs)
		}
	}
}

func TestReportFailureAndEnable(t *testing.T) {
	c, _, _ := newChecker(t, nil)
	c.CheckAll(t.Context())
	c.ReportFailure("b", errors.New("dial: refused"))
	if v := c.View()[1]; v.Healthy {
		t.Error("data-path failure did not mark the node unhealthy at once")
	}
	c.CheckAll(t.Context())
	if !c.View()[1].Healthy {
		t.Error("a good probe did not restore the node")
	}
	c.ReportFailure("nosuch", errors.New("x")) // ignored
	if err := c.SetEnabled("a", false); err != nil || c.View()[0].Enabled {
		t.Errorf("disable: %v %+v", err, c.View()[0])
	}
	if err := c.SetEnabled("zz", true); !errors.Is(err, health.ErrUnknownNode) {
		t.Errorf("unknown node: %v", err)
	}
	if p := c.Params(); p["server_version"] != "15.0" {
		t.Errorf("params = %v", p)
	}
	if addr, ok := c.Addr("b"); !ok || addr != "b:1" {
		t.Errorf("Addr = %q %v", addr, ok)
	}
}

func TestLoopAndMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := &fakeProbe{answers: map[string]backend.Status{"a:1": {Role: "primary", Term: 3}}}
	c := health.New(health.Config{Nodes: []health.Spec{{Name: "a", Addr: "a:1", Enabled: true}},
		Interval: 10 * time.Millisecond, Threshold: 1, Probe: f.probe, Registerer: reg})
	c.Start()
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !c.View()[0].Healthy {
		if time.Now().After(deadline) {
			t.Fatal("probe loop never marked the node healthy")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.GetGauge() != nil {
				got[mf.GetName()] = m.GetGauge().GetValue()
			}
		}
	}
	if got["heliosdb_proxy_node_term"] != 3 || got["heliosdb_proxy_node_healthy"] != 1 || got["heliosdb_proxy_node_is_primary"] != 1 {
		t.Errorf("metrics = %v", got)
	}
	c.Close()
}

// TestRefreshSeesNewRole: Refresh returns with the view as the nodes are
// after the call, and a slow probe that started earlier cannot bring an
// old role back.
func TestRefreshSeesNewRole(t *testing.T) {
	answers := map[string]backend.Status{"a:1": {Role: "primary", Term: 1}, "b:1": {Role: "standby", Term: 1}}
	var mu sync.Mutex
	slow := make(chan struct{})
	slowStarted := make(chan struct{})
	calls := 0
	probe := func(_ context.Context, addr string) (backend.Status, error) {
		mu.Lock()
		st := answers[addr]
		calls++
		first := addr == "a:1" && calls > 2 && slowStarted != nil
		if first {
			close(slowStarted)
			slowStarted = nil
		}
		mu.Unlock()
		if first { // answers "primary" only after the node has changed
			<-slow
		}
		return st, nil
	}
	c := health.New(health.Config{Nodes: []health.Spec{{Name: "a", Addr: "a:1", Enabled: true}, {Name: "b", Addr: "b:1", Enabled: true}},
		Probe: probe})
	c.CheckAll(t.Context())
	if p, _ := route.CurrentPrimary(c.View()); p != "a" {
		t.Fatalf("primary %q", p)
	}
	started := slowStarted
	done := make(chan struct{})
	go func() { c.CheckAll(t.Context()); close(done) }() // its probe of a is slow and stale
	<-started
	mu.Lock()
	answers["a:1"], answers["b:1"] = backend.Status{Role: "standby", Term: 1}, backend.Status{Role: "primary", Term: 2}
	mu.Unlock()
	c.Refresh(t.Context())
	if p, _ := route.CurrentPrimary(c.View()); p != "b" {
		t.Fatalf("after Refresh primary %q, want b", p)
	}
	close(slow)
	<-done
	if v := c.View(); v[0].Role != route.Standby || v[1].Role != route.Primary {
		t.Errorf("a stale probe was applied: %+v", v)
	}
}

// TestExpedite: while Expedite is held, a node that is not a healthy
// primary is re-probed every FastInterval, not every Interval; one good
// probe makes it healthy at once and Changed fires.
func TestExpedite(t *testing.T) {
	f := &fakeProbe{answers: map[string]backend.Status{"a:1": {Role: "primary", Term: 1}}}
	c := health.New(health.Config{
		Nodes:    []health.Spec{{Name: "a", Addr: "a:1", Enabled: true}},
		Interval: time.Hour, FastInterval: 20 * time.Millisecond, Threshold: 3, Probe: f.probe,
	})
	c.CheckAll(t.Context())
	c.Start()
	defer c.Close()
	f.set("a:1", nil)
	c.ReportFailure("a", errors.New("connection refused"))
	if c.View()[0].Healthy {
		t.Fatal("healthy after a data-path failure")
	}
	changed := c.Changed()
	release := c.Expedite()
	defer release()
	time.Sleep(100 * time.Millisecond)
	f.set("a:1", &backend.Status{Role: "primary", Term: 1})
	select {
	case <-changed:
	case <-time.After(2 * time.Second):
		t.Fatal("no fast probe saw the node come back")
	}
	if v := c.View()[0]; !v.Healthy || v.Role != route.Primary {
		t.Fatalf("after recovery: %+v", v)
	}
	release()
	release() // idempotent
}
