package switchover_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proxy/route"
	"github.com/heliosdb/nano/proxy/switchover"
)

// fakeNode is one node of fakeCluster.
type fakeNode struct {
	role    hastate.Role
	term    uint64
	lsn     lsn.LSN // current (primary) or applied (standby) position
	follows string  // native address followed, for a standby
	native  string  // advertised native address
	healthy bool
	mode    string // replication mode: "sync" or "" (async)
}

// fakeCluster is the nodes, their HTTP API, the proxy's view and its
// gate, in memory; every call is logged.
type fakeCluster struct {
	mu    sync.Mutex
	nodes map[string]*fakeNode
	order []string
	calls []string
	// hooks change behaviour per test; nil means the normal behaviour.
	demoteErr  func(node string) error
	promoteErr func(node string) error
	catchUp    bool              // standbys apply the primary's LSN when asked for status
	drained    bool              // the gate reports drained at once
	alias      map[string]string // Status(name) answers for another node
	view       func(n route.Node) route.Node
	syncState  hastate.SyncState // a primary's sync state in lease answers ("" = sync)
	leases     []string          // "node@term" per granted lease
	grantedAt  time.Time         // last granted lease
	statuses   int               // Status calls answered
}

func newFake() *fakeCluster {
	return &fakeCluster{
		nodes: map[string]*fakeNode{
			"a": {role: "primary", term: 1, lsn: 100, native: "10.0.0.1:5433", healthy: true},
			"b": {role: "standby", term: 1, lsn: 90, follows: "10.0.0.1:5433", native: "10.0.0.2:6433", healthy: true},
			"c": {role: "standby", term: 1, lsn: 80, follows: "10.0.0.1:5433", native: "0.0.0.0:7433", healthy: true},
		},
		order: []string{"a", "b", "c"}, catchUp: true, drained: true,
	}
}

func (f *fakeCluster) log(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeCluster) Status(_ context.Context, name string) (switchover.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses++
	if a, ok := f.alias[name]; ok {
		name = a
	}
	n, ok := f.nodes[name]
	if !ok || !n.healthy {
		return switchover.Status{}, errors.New("connection refused")
	}
	st := switchover.Status{NodeID: name, Role: n.role, Term: n.term, CurrentLSN: n.lsn,
		Topology: []switchover.TopologyNode{{NodeID: name, NativeAddress: n.native}}}
	if n.role == "standby" {
		p := f.followed(n)
		st.Replication.Connected = p != nil
		if p != nil && f.catchUp {
			n.lsn = p.lsn
		}
		st.Replication.AppliedLSN, st.Replication.FlushedLSN = n.lsn, n.lsn
		st.Replication.ReplicationMode = n.mode
		return st, nil
	}
	st.Replication.Connected = true
	for _, o := range f.order {
		if f.followed(f.nodes[o]) == n {
			st.Standbys = append(st.Standbys, switchover.Standby{NodeID: o, State: "streaming", ReplicationMode: f.nodes[o].mode})
		}
	}
	return st, nil
}

// WaitApplied answers at once when the standby catches up (catchUp),
// else its applied LSN after timeout, as the node's
// helios_wait_for_applied_lsn does.
func (f *fakeCluster) WaitApplied(ctx context.Context, name string, at lsn.LSN, timeout time.Duration) (lsn.LSN, error) {
	st, err := f.Status(ctx, name)
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	f.log("wait %s for %s", name, at)
	f.mu.Unlock()
	if st.Replication.AppliedLSN >= at {
		return st.Replication.AppliedLSN, nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return st.Replication.AppliedLSN, nil
}

// followed is the primary n streams from, nil when none. Called with mu.
func (f *fakeCluster) followed(n *fakeNode) *fakeNode {
	for _, p := range f.nodes {
		if p.role == "primary" && p.native == n.follows && p.healthy && n.role == "standby" {
			return p
		}
	}
	return nil
}

func (f *fakeCluster) Demote(_ context.Context, name, host string, port int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("demote %s → %s:%d", name, host, port)
	if f.demoteErr != nil {
		if err := f.demoteErr(name); err != nil {
			return err
		}
	}
	n := f.nodes[name]
	n.role, n.follows = "standby", fmt.Sprintf("%s:%d", host, port)
	if strings.HasPrefix(n.follows, "h") { // configured hosts stand for the advertised ones
		n.follows = f.nodes[strings.TrimPrefix(host, "h")].native
	}
	for _, p := range f.nodes { // the handshake gives it the primary's term
		if p.role == "primary" && p.native == n.follows {
			n.term = max(n.term, p.term)
		}
	}
	return nil
}

func (f *fakeCluster) Promote(_ context.Context, name string, req switchover.PromoteRequest) (switchover.Promoted, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("promote %s", name)
	if f.promoteErr != nil {
		if err := f.promoteErr(name); err != nil {
			return switchover.Promoted{}, err
		}
	}
	n := f.nodes[name]
	// As a node does (cluster.State.Promote): its own term + 1, or the
	// request's minimum.
	n.role, n.term, n.follows = "primary", max(n.term+1, req.MinTerm), ""
	for _, o := range f.nodes {
		if o.role == "standby" && o.healthy { // standbys learn the term; a lost old primary or standby does not
			o.term = max(o.term, n.term)
		}
	}
	return switchover.Promoted{Term: n.term, LSN: n.lsn}, nil
}

func (f *fakeCluster) View() []route.Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []route.Node
	for _, name := range f.order {
		n := f.nodes[name]
		rn := route.Node{Name: name, Role: route.ParseRole(n.role), Term: n.term, Healthy: n.healthy, Enabled: true}
		if f.view != nil {
			rn = f.view(rn)
		}
		out = append(out, rn)
	}
	return out
}

func (f *fakeCluster) Refresh(context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("refresh")
}

func (f *fakeCluster) Hold(node string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("hold %s", node)
	ch := make(chan struct{})
	if f.drained {
		close(ch)
	}
	return ch
}

func (f *fakeCluster) Busy(string) (int, int) { return 0, 1 }

func (f *fakeCluster) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("release")
}

func (f *fakeCluster) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func coordinator(f *fakeCluster, mutate func(*switchover.Config)) *switchover.Coordinator {
	cfg := switchover.Config{
		Nodes: []switchover.Node{{Name: "a", Host: "ha"}, {Name: "b", Host: "hb"}, {Name: "c", Host: "hc"}},
		API:   f, Cluster: f, Gate: f, DrainTimeout: 50 * time.Millisecond, StepTimeout: 200 * time.Millisecond,
		PollInterval: time.Millisecond,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	return switchover.New(cfg)
}

func TestSwitchover(t *testing.T) {
	f := newFake()
	res, err := coordinator(f, nil).Run(t.Context(), "b")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "ok" || res.OldPrimary != "a" || res.NewPrimary != "b" || res.Term != 2 || len(res.Warnings) > 0 {
		t.Errorf("result %+v", res)
	}
	// b advertises 10.0.0.2:6433; c is re-pointed there, a already follows it.
	want := []string{"hold a", "demote a → 10.0.0.2:6433", "wait b for 0/64", "promote b", "demote c → 10.0.0.2:6433", "refresh", "release"}
	if got := f.callLog(); !slices.Equal(got, want) {
		t.Errorf("calls\n got %q\nwant %q", got, want)
	}
	if f.nodes["a"].role != "standby" || f.nodes["b"].role != "primary" || f.nodes["c"].follows != "10.0.0.2:6433" {
		t.Errorf("end state a=%+v b=%+v c=%+v", *f.nodes["a"], *f.nodes["b"], *f.nodes["c"])
	}
}

// TestNativeAddress: configured native_port on the configured host wins;
// else the advertised address (a wildcard host replaced by the configured
// one); else port 5433.
func TestNativeAddress(t *testing.T) {
	cases := []struct {
		name      string
		port      int
		advertise string
		want      string
	}{
		{"configured", 9999, "10.0.0.3:7433", "demote a → hc:9999"},
		{"advertised wildcard", 0, "0.0.0.0:7433", "demote a → hc:7433"},
		{"advertised", 0, "10.0.0.3:7433", "demote a → 10.0.0.3:7433"},
		{"nothing advertised", 0, "", "demote a → hc:5433"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.nodes["c"].native = tc.advertise
			f.catchUp = true
			c := coordinator(f, func(cfg *switchover.Config) { cfg.Nodes[2].NativePort = tc.port })
			_, _ = c.Run(t.Context(), "c") // a cannot follow made-up addresses: warnings are fine
			if got := f.callLog(); len(got) < 2 || got[1] != tc.want {
				t.Errorf("calls %q, want %q second", got, tc.want)
			}
		})
	}
}

// TestRefused: checks before the demotion fail with the cluster untouched.
func TestRefused(t *testing.T) {
	cases := []struct {
		name   string
		target string
		change func(*fakeCluster)
		is     error
		says   string
	}{
		{"unknown", "x", nil, switchover.ErrUnknownNode, "x"},
		{"already primary", "a", nil, switchover.ErrRejected, "already the primary"},
		{"no primary", "b", func(f *fakeCluster) { f.nodes["a"].healthy = false }, switchover.ErrRejected, "no current primary"},
		{"target unhealthy", "b", func(f *fakeCluster) { f.nodes["b"].healthy = false }, switchover.ErrRejected, "healthy"},
		{"target disabled", "b", func(f *fakeCluster) {
			f.view = func(n route.Node) route.Node { n.Enabled = n.Name != "b"; return n }
		}, switchover.ErrRejected, "enabled"},
		{"same HTTP API", "b", func(f *fakeCluster) { f.alias = map[string]string{"b": "a"} }, switchover.ErrRejected, "same node's HTTP API"},
		{"target not streaming", "b", func(f *fakeCluster) { f.nodes["b"].follows = "elsewhere:1" }, switchover.ErrRejected, "streaming"},
		{"open transactions", "b", func(f *fakeCluster) { f.drained = false }, switchover.ErrRejected, "1 transaction(s)"},
		{"demote refused", "b", func(f *fakeCluster) {
			f.demoteErr = func(string) error { return switchover.ErrNodeAPI }
		}, switchover.ErrRejected, "still the primary"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.change != nil {
				tc.change(f)
			}
			_, err := coordinator(f, nil).Run(t.Context(), tc.target)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.is, tc.says)
			}
			for _, call := range f.callLog() {
				if strings.HasPrefix(call, "promote") || (strings.HasPrefix(call, "demote") && tc.name != "demote refused") {
					t.Errorf("the cluster was changed: %q", f.callLog())
				}
			}
			if log := f.callLog(); len(log) > 0 && log[len(log)-1] != "release" {
				t.Errorf("hold not released: %q", log)
			}
			if f.nodes["a"].role != "primary" {
				t.Errorf("a is %s", f.nodes["a"].role)
			}
		})
	}
}

// TestRollback: the target does not catch up in time after the demotion:
// the old primary is promoted back and the others follow it again.
func TestRollback(t *testing.T) {
	f := newFake()
	f.catchUp = false
	_, err := coordinator(f, nil).Run(t.Context(), "b")
	if !errors.Is(err, switchover.ErrFailed) || !strings.Contains(err.Error(), "rolled back: a is the primary again (term 2)") {
		t.Fatalf("err = %v", err)
	}
	log := f.callLog()
	if !slices.Contains(log, "promote a") || slices.Contains(log, "promote b") ||
		!slices.Contains(log, "demote b → 10.0.0.1:5433") || !slices.Contains(log, "demote c → 10.0.0.1:5433") {
		t.Errorf("calls %q", log)
	}
	if f.nodes["a"].role != "primary" || f.nodes["b"].role != "standby" {
		t.Errorf("a %s, b %s", f.nodes["a"].role, f.nodes["b"].role)
	}
}

// TestNoRollbackWhenTargetUnknown: a failed promotion of a target whose
// state cannot be read is not rolled back (it might be a primary).
func TestNoRollbackWhenTargetUnknown(t *testing.T) {
	f := newFake()
	f.promoteErr = func(name string) error {
		f.nodes[name].healthy = false // unreachable from now on
		return errors.New("timeout")
	}
	_, err := coordinator(f, nil).Run(t.Context(), "b")
	if !errors.Is(err, switchover.ErrFailed) || !strings.Contains(err.Error(), "promote one by hand") {
		t.Fatalf("err = %v", err)
	}
	if log := f.callLog(); slices.Contains(log, "promote a") {
		t.Errorf("rolled back with the target's state unknown: %q", log)
	}
}

// TestBusy: one switchover at a time.
func TestBusy(t *testing.T) {
	f := newFake()
	f.drained = false
	c := coordinator(f, func(cfg *switchover.Config) { cfg.DrainTimeout = 300 * time.Millisecond })
	done := make(chan error)
	go func() { _, err := c.Run(context.Background(), "b"); done <- err }()
	time.Sleep(50 * time.Millisecond)
	if _, err := c.Run(t.Context(), "b"); !errors.Is(err, switchover.ErrBusy) {
		t.Errorf("second run: %v", err)
	}
	if err := <-done; !errors.Is(err, switchover.ErrRejected) {
		t.Errorf("first run: %v", err)
	}
}

func (f *fakeCluster) Changed() <-chan struct{} { return nil }

func (f *fakeCluster) Lease(_ context.Context, name string, req switchover.LeaseRequest) (switchover.LeaseResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.nodes[name]
	switch {
	case !n.healthy:
		return switchover.LeaseResult{}, errors.New("connection refused")
	case n.role != "primary" || n.term != req.Term:
		return switchover.LeaseResult{}, fmt.Errorf("%w: not the primary of term %d", switchover.ErrNodeAPI, req.Term)
	}
	f.leases = append(f.leases, fmt.Sprintf("%s@%d", name, req.Term))
	f.grantedAt = time.Now()
	res := switchover.LeaseResult{NodeID: name, Term: n.term, SyncState: cmp.Or(f.syncState, hastate.Sync)}
	for _, o := range f.order {
		if f.followed(f.nodes[o]) == n {
			res.Standbys = append(res.Standbys, switchover.Standby{NodeID: o, State: "streaming", ReplicationMode: f.nodes[o].mode})
		}
	}
	return res, nil
}
