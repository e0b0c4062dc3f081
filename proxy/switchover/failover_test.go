package switchover_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/proxy/switchover"
)

// Short timings: the failover logic is the same at any scale.
const (
	foTimeout = 300 * time.Millisecond
	foRenew   = 20 * time.Millisecond
	foMargin  = 30 * time.Millisecond
)

// runFailover starts RunFailover on a fake cluster whose "b" is a sync
// standby, and returns a stop function.
func runFailover(t *testing.T, f *fakeCluster, mutate func(*switchover.FailoverConfig)) {
	t.Helper()
	f.mu.Lock()
	f.nodes["b"].mode = "sync"
	f.mu.Unlock()
	c := coordinator(f, func(cfg *switchover.Config) {
		cfg.AutoFailover = true
		cfg.Failover = switchover.FailoverConfig{Timeout: foTimeout, Renew: foRenew, Margin: foMargin}
		if mutate != nil {
			mutate(&cfg.Failover)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.RunFailover(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (f *fakeCluster) setHealthy(name string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nodes[name].healthy = on
}

func (f *fakeCluster) role(name string) (hastate.Role, uint64, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.nodes[name]
	return n.role, n.term, n.follows
}

func (f *fakeCluster) lastGrant() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.grantedAt
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFailoverPromotesSyncStandbyAfterLease(t *testing.T) {
	f := newFake()
	f.nodes["c"].lsn = 95 // the async standby is ahead: still not a candidate
	runFailover(t, f, nil)
	waitFor(t, "a lease on a", time.Second, func() bool { return !f.lastGrant().IsZero() })
	f.setHealthy("a", false)
	lost := time.Now()
	lastGrant := f.lastGrant()
	waitFor(t, "b promoted", 3*time.Second, func() bool { r, _, _ := f.role("b"); return r == "primary" })
	promoted := time.Now()
	// The timeout counts from the primary's last renewal.
	if away := promoted.Sub(lastGrant); away < foTimeout {
		t.Fatalf("promoted %s after the primary's last renewal (lost %s ago); the timeout is %s", away, promoted.Sub(lost), foTimeout)
	}
	// The default lease for a timeout under 4 s is half of it.
	if lease := foTimeout / 2; promoted.Sub(lastGrant) < lease+foMargin {
		t.Fatalf("promoted %s after the last lease grant; the lease (%s) + margin had not expired", promoted.Sub(lastGrant), lease)
	}
	_, term, _ := f.role("b")
	if term != 2 {
		t.Fatalf("new term %d, want 2", term)
	}
	// The async standby follows the new primary (hb stands for b's native address).
	waitFor(t, "c re-pointed", time.Second, func() bool { _, _, fl := f.role("c"); return fl == f.nodes["b"].native })
	// Leases now go to b in term 2.
	waitFor(t, "a lease on b", time.Second, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return slices.Contains(f.leases, "b@2")
	})

	// The old primary returns still claiming term 1: it is demoted to follow b.
	f.setHealthy("a", true)
	waitFor(t, "a demoted", 2*time.Second, func() bool { r, _, fl := f.role("a"); return r == "standby" && fl == f.nodes["b"].native })
	if r, _, _ := f.role("b"); r != "primary" {
		t.Fatalf("b is %s after a's return", r)
	}
}

// A standby that could not be re-pointed at the failover (down then) and
// comes back following the old primary in the old term is re-pointed at
// the new primary (faults-quick: an async standby left in term 1 never
// streamed again and the cluster never settled).
func TestFailoverRepointsStandbyMissedAtFailover(t *testing.T) {
	f := newFake()
	f.demoteErr = func(name string) error { // called with f.mu held
		if !f.nodes[name].healthy {
			return errors.New("connection refused")
		}
		return nil
	}
	runFailover(t, f, nil)
	waitFor(t, "a lease on a", time.Second, func() bool { return !f.lastGrant().IsZero() })
	f.setHealthy("c", false)
	f.setHealthy("a", false)
	waitFor(t, "b promoted", 3*time.Second, func() bool { r, _, _ := f.role("b"); return r == "primary" })
	if _, term, fl := f.role("c"); fl == f.nodes["b"].native || term != 1 {
		t.Fatalf("c, down at the failover, follows %s in term %d", fl, term)
	}
	f.setHealthy("c", true)
	waitFor(t, "c re-pointed", 2*time.Second, func() bool { _, _, fl := f.role("c"); return fl == f.nodes["b"].native })
	if _, term, _ := f.role("c"); term != 2 {
		t.Fatalf("c in term %d after its re-pointing, want 2", term)
	}
}

func TestFailoverShortOutageNoPromotion(t *testing.T) {
	f := newFake()
	runFailover(t, f, nil)
	waitFor(t, "a lease", time.Second, func() bool { return !f.lastGrant().IsZero() })
	f.setHealthy("a", false)
	time.Sleep(foTimeout / 2)
	f.setHealthy("a", true)
	time.Sleep(foTimeout * 2)
	if r, _, _ := f.role("b"); r != "standby" {
		t.Fatalf("b was promoted after a %s outage (timeout %s)", foTimeout/2, foTimeout)
	}
	if r, _, _ := f.role("a"); r != "primary" {
		t.Fatalf("a is %s", r)
	}
}

func TestFailoverBlockedWhenUnsafe(t *testing.T) {
	cases := []struct {
		name  string
		setup func(f *fakeCluster)
	}{
		{"degraded primary", func(f *fakeCluster) { f.syncState = "degraded" }},
		{"async primary", func(f *fakeCluster) { f.syncState = "async" }},
		{"sync standby unreachable", func(f *fakeCluster) { f.alias = map[string]string{"b": "x"} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			runFailover(t, f, nil)
			waitFor(t, "a lease", time.Second, func() bool { return !f.lastGrant().IsZero() })
			f.mu.Lock()
			tc.setup(f)
			granted := len(f.leases)
			f.mu.Unlock()
			// A renewal reports the new state: the second grant after the
			// change starts after the first one's answer was taken in.
			waitFor(t, "two renewals", 5*time.Second, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return len(f.leases) >= granted+2 })
			f.setHealthy("a", false)
			time.Sleep(3 * foTimeout)
			// Blocked, the loop retries at its renewal cadence, not in a
			// tight loop (it re-ran every millisecond: ~180 node logins a
			// second from an idle proxy).
			f.mu.Lock()
			before := f.statuses
			f.mu.Unlock()
			const window = 10 * foRenew
			time.Sleep(window)
			f.mu.Lock()
			asked := f.statuses - before
			f.mu.Unlock()
			if limit := 3 * (int(window/foRenew) + 2); asked > limit {
				t.Errorf("blocked failover asked for %d statuses in %s (at most %d at one round per renewal)", asked, window, limit)
			}
			for _, call := range f.callLog() {
				if strings.HasPrefix(call, "promote") {
					t.Fatalf("%s although it was unsafe; calls %v", call, f.callLog())
				}
			}
		})
	}
}

func TestFailoverAllowDataLoss(t *testing.T) {
	f := newFake()
	f.syncState = "async"
	f.nodes["c"].lsn = 95 // most advanced standby
	runFailover(t, f, func(fc *switchover.FailoverConfig) { fc.AllowDataLoss = true })
	waitFor(t, "a lease", time.Second, func() bool { return !f.lastGrant().IsZero() })
	f.setHealthy("a", false)
	waitFor(t, "c promoted", 3*time.Second, func() bool { r, _, _ := f.role("c"); return r == "primary" })
	if r, _, _ := f.role("b"); r != "standby" {
		t.Fatalf("b is %s", r)
	}
}

// A standby that missed a promotion (down then, still in the old term)
// and is the only one left at the next failover is promoted at once, to a
// term above every term the proxy has seen: its own term + 1 is the term
// of the primary that is now down (set-async, seed 1796680674326778792:
// "n1 primary/59, n2 primary/59"), and refusing it made the failover wait
// for a standby that might never come.
func TestFailoverPromotesStandbyBehindAboveEveryTerm(t *testing.T) {
	f := newFake()
	f.syncState = "async"
	f.demoteErr = func(name string) error { // called with f.mu held
		if !f.nodes[name].healthy {
			return errors.New("connection refused")
		}
		return nil
	}
	runFailover(t, f, func(fc *switchover.FailoverConfig) { fc.AllowDataLoss = true })
	waitFor(t, "a lease", time.Second, func() bool { return !f.lastGrant().IsZero() })
	f.setHealthy("c", false)
	f.setHealthy("a", false)
	waitFor(t, "b promoted", 3*time.Second, func() bool { r, _, _ := f.role("b"); return r == "primary" })
	if _, term, _ := f.role("c"); term != 1 {
		t.Fatalf("c, down at the failover, is in term %d", term)
	}
	f.setHealthy("b", false)
	f.setHealthy("c", true)
	waitFor(t, "c promoted", 3*time.Second, func() bool { r, _, _ := f.role("c"); return r == "primary" })
	_, bterm, _ := f.role("b")
	if _, term, _ := f.role("c"); term <= bterm {
		t.Fatalf("c promoted to term %d, b holds term %d", term, bterm)
	}
}

func TestFailoverNeverGrantedLease(t *testing.T) {
	f := newFake()
	f.nodes["a"].healthy = false // down before the proxy ever reached it
	runFailover(t, f, nil)
	time.Sleep(3 * foTimeout)
	if len(f.callLog()) != 0 && slices.ContainsFunc(f.callLog(), func(s string) bool { return strings.HasPrefix(s, "promote") }) {
		t.Fatalf("promoted without knowing the primary's sync state: %v", f.callLog())
	}
}

// reorderAPI delays the answer to one grant (taken while the primary was
// in sync) until a later grant has been answered (the primary degraded
// meanwhile), then cuts the primary off, as a proxy under load could see
// it: two grants in flight, one from the renewal loop and one from a
// session's RenewLease. It records whether the primary received an
// approval of its degradation.
type reorderAPI struct {
	*fakeCluster
	mu          sync.Mutex
	armed       bool
	degraded    bool
	approved    bool
	slowStarted chan struct{}
	laterDone   chan struct{}
	laterOnce   sync.Once
}

func (r *reorderAPI) Lease(ctx context.Context, name string, req switchover.LeaseRequest) (switchover.LeaseResult, error) {
	res, err := r.fakeCluster.Lease(ctx, name, req)
	r.mu.Lock()
	slow := r.armed && err == nil
	r.armed = false
	if err == nil && r.degraded && name == "a" {
		res.SyncState, res.DegradedSeq = "degraded", 1
		r.approved = r.approved || req.DegradedSeq == 1
	}
	later := err == nil && r.degraded && name == "a" && !slow
	r.mu.Unlock()
	if later {
		r.laterOnce.Do(func() { close(r.laterDone) })
	}
	if slow {
		close(r.slowStarted)
		select {
		case <-r.laterDone:
		case <-time.After(10 * foRenew):
		}
		r.setHealthy(name, false)
	}
	return res, err
}

// An older grant's answer ("sync") must never replace a newer one
// ("degraded", whose degradation the proxy then approved): the proxy
// would promote a sync standby that lacks the commits the approval
// released. Grants are serialised.
func TestFailoverGrantAnswersKeepTheirOrder(t *testing.T) {
	f := newFake()
	f.nodes["b"].mode = "sync"
	api := &reorderAPI{fakeCluster: f, slowStarted: make(chan struct{}), laterDone: make(chan struct{})}
	c := coordinator(f, func(cfg *switchover.Config) {
		cfg.API, cfg.AutoFailover = api, true
		cfg.Failover = switchover.FailoverConfig{Timeout: foTimeout, Renew: foRenew, Margin: foMargin}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.RunFailover(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, "a lease", time.Second, func() bool { return c.FailoverStatus().SyncState == "sync" })
	api.mu.Lock()
	api.armed = true
	api.mu.Unlock()
	select {
	case <-api.slowStarted:
	case <-time.After(time.Second):
		t.Fatal("no grant after arming")
	}
	api.mu.Lock()
	api.degraded = true
	api.mu.Unlock()
	c.RenewLease(context.Background(), "a")
	time.Sleep(4 * foTimeout) // a promotion, if any, has happened
	api.mu.Lock()
	approved := api.approved
	api.mu.Unlock()
	promoted := slices.ContainsFunc(f.callLog(), func(s string) bool { return strings.HasPrefix(s, "promote") })
	if approved && promoted {
		t.Fatalf("the primary's degradation was approved, and a standby promoted after an older answer said sync; calls %v", f.callLog())
	}
	if !promoted {
		t.Fatalf("no promotion although the primary's last recorded state was sync and it is gone; calls %v", f.callLog())
	}
}

// hideAPI leaves standby hidden out of the primary's lease answers, as if
// it connected after the last renewal.
type hideAPI struct {
	*fakeCluster
	hidden string
}

func (h *hideAPI) Lease(ctx context.Context, name string, req switchover.LeaseRequest) (switchover.LeaseResult, error) {
	res, err := h.fakeCluster.Lease(ctx, name, req)
	res.Standbys = slices.DeleteFunc(res.Standbys, func(s switchover.Standby) bool { return s.NodeID == h.hidden })
	return res, err
}

// A sync standby the primary's last lease answer did not list (it
// connected after that renewal) may hold acknowledged commits the listed
// one lacks: when it answers, with the primary's term and more WAL, it is
// the one promoted.
func TestFailoverConsidersUnlistedSyncStandby(t *testing.T) {
	f := newFake()
	f.catchUp = false
	f.nodes["b"].mode, f.nodes["c"].mode, f.nodes["c"].lsn = "sync", "sync", 95
	c := coordinator(f, func(cfg *switchover.Config) {
		cfg.API, cfg.AutoFailover = &hideAPI{fakeCluster: f, hidden: "c"}, true
		cfg.Failover = switchover.FailoverConfig{Timeout: foTimeout, Renew: foRenew, Margin: foMargin}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.RunFailover(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, "a lease", time.Second, func() bool { return c.FailoverStatus().SyncState == "sync" })
	f.setHealthy("a", false)
	waitFor(t, "a promotion", 3*time.Second, func() bool {
		return slices.ContainsFunc(f.callLog(), func(s string) bool { return strings.HasPrefix(s, "promote") })
	})
	if r, _, _ := f.role("c"); r != "primary" {
		t.Fatalf("promoted another standby than c, the sync standby with the most WAL; calls %v", f.callLog())
	}
}
