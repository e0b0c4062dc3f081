package proxy

import (
	"context"
	"maps"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proxy/backend"
	"github.com/heliosdb/nano/proxy/causal"
	"github.com/heliosdb/nano/proxy/route"
	"github.com/heliosdb/nano/sql/pgerror"
)

// causalReads is read_consistency = "causal" in the proxy: the commit
// LSNs seen and the nodes' applied LSNs (proxy/causal), merged into the
// routing view.
type causalReads struct {
	tracker causal.Tracker
	watcher *causal.Watcher
	// seeded: the tracker holds a floor for the commits acknowledged
	// before this process started (see acked).
	seeded atomic.Bool

	mu    sync.Mutex
	terms map[string]uint64 // term each node's watched LSN belongs to
}

func newCausalReads(cfg Config, nodes nodeView, dialer *backend.Dialer) *causalReads {
	names := make([]string, len(cfg.Nodes))
	for i, n := range cfg.Nodes {
		names[i] = n.Name
	}
	dial := func(ctx context.Context, node string) (*backend.Conn, error) {
		addr, _ := nodes.Addr(node)
		return dialer.Dial(ctx, backend.Options{Addr: addr, User: cfg.User, Password: cfg.Password, Database: cfg.Database,
			Params: map[string]string{"application_name": "heliosdb-proxy causal reads"}, Timeout: cfg.ConnectTimeout})
	}
	return &causalReads{watcher: causal.New(causal.Config{Nodes: names, Dial: dial, Wait: time.Second,
		Backoff: max(cfg.PollInterval, 100*time.Millisecond), Logger: cfg.Logger}), terms: map[string]uint64{}}
}

// overlay raises each node's applied LSN in view to what the watcher
// learned in the node's current term.
func (c *causalReads) overlay(view []route.Node) []route.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range view {
		n := &view[i]
		if t, ok := c.terms[n.Name]; !ok || t != n.Term {
			c.terms[n.Name] = n.Term
			c.watcher.Forget(n.Name)
			continue
		}
		if at := c.watcher.Applied(n.Name); at > n.AppliedLSN {
			n.AppliedLSN = at
		}
	}
	return view
}

// unknownLSN is a read's MinLSN while the proxy cannot know what was
// acknowledged before it started: no standby can show that it applied
// it, so the read goes to the current primary, or waits for one.
const unknownLSN = lsn.LSN(math.MaxUint64)

// acked is what a read must see: every commit acknowledged so far. The
// tracker sees the commits this process relays, but an earlier run of the
// proxy (before a crash or restart) may have acknowledged later ones than
// a standby has applied. The first current primary in view bounds them:
// its applied LSN at a probe made by this process covers every commit
// acknowledged before it (a commit is acknowledged after it is applied,
// and a promoted primary holds every acknowledged commit). Until one is
// in view, unknownLSN.
func (c *causalReads) acked(view []route.Node) lsn.LSN {
	if !c.seeded.Load() {
		p, _ := route.CurrentPrimary(view)
		if p == "" {
			return unknownLSN
		}
		for _, n := range view {
			if n.Name == p {
				c.tracker.Observe(n.AppliedLSN)
			}
		}
		c.seeded.Store(true)
	}
	return c.tracker.Acked()
}

// observe records a helios.commit_lsn ParameterStatus value.
func (c *causalReads) observe(value string) {
	if at, err := lsn.Parse(value); err == nil {
		c.tracker.Observe(at)
	}
}

// nodeParams are the startup parameters for a node connection: the
// client's, plus the request for commit LSNs in causal mode.
func (s *session) nodeParams() map[string]string {
	if s.srv.causal == nil {
		return s.params
	}
	p := maps.Clone(s.params)
	if p == nil {
		p = map[string]string{}
	}
	p[causal.ReportParam] = "on"
	return p
}

// causalWait is one read's wait for a standby to apply its MinLSN.
type causalWait struct {
	deadline time.Time
}

// beginCausal starts a statement's routing: a read must see every commit
// acknowledged before it arrived (set by causalFloor).
func (s *session) beginCausal(k route.Kind) {
	s.rs.MinLSN, s.rs.CausalWaitOver = 0, false
	if s.srv.causal != nil && k != route.Write {
		s.rs.MinLSN = unknownLSN
	}
}

// causalFloor fills in the read's MinLSN once the proxy knows it (at
// once, except in a proxy that has not yet seen a current primary).
func (s *session) causalFloor(view []route.Node) {
	if s.srv.causal != nil && s.rs.MinLSN == unknownLSN {
		s.rs.MinLSN = s.srv.causal.acked(view)
	}
}

// lsnChanged returns a channel closed when a node's applied LSN is next
// learned (nil without causal reads: never).
func (s *session) lsnChanged() <-chan struct{} {
	if s.srv.causal == nil {
		return nil
	}
	return s.srv.causal.watcher.Changed()
}

// waitCausal waits until a node reports a new applied LSN, the view
// changes, or causal_wait_ms has passed since the read began waiting
// (then the read goes to the primary).
func (s *session) waitCausal(w *causalWait, lsnChanged, nodesChanged <-chan struct{}) error {
	now := time.Now()
	if w.deadline.IsZero() {
		w.deadline = now.Add(s.srv.cfg.CausalWait)
		if s.rs.MinLSN != unknownLSN {
			s.srv.causal.watcher.Need(s.rs.MinLSN)
		}
	}
	if !now.Before(w.deadline) {
		s.rs.CausalWaitOver = true
		return nil
	}
	t := time.NewTimer(w.deadline.Sub(now))
	defer t.Stop()
	select {
	case <-lsnChanged:
	case <-nodesChanged:
	case <-t.C:
		s.rs.CausalWaitOver = true
	case <-s.cancelWait:
		return pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
	case <-s.srv.closing:
		return pgerror.New(pgerror.AdminShutdown, "terminating statement: the proxy is shutting down")
	}
	return nil
}
