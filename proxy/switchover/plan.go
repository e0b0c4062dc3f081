package switchover

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/proxy/config"
	"github.com/heliosdb/nano/proxy/route"
)

// plan is a checked switchover, before anything changed.
type plan struct {
	old, target       Node
	oldSt, targetSt   Status
	native, oldNative addr     // where the target (the old primary) takes standbys
	others            []string // enabled nodes other than old and target
}

// addr is a node's native (replication) address.
type addr struct {
	host string
	port int
}

func (a addr) String() string { return net.JoinHostPort(a.host, strconv.Itoa(a.port)) }

func rejected(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
}

// plan checks that target can take over from the current primary.
func (c *Coordinator) plan(ctx context.Context, target string) (*plan, error) {
	tn, ok := c.node(target)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownNode, target)
	}
	view := c.cfg.Cluster.View()
	oldName, why := route.CurrentPrimary(view)
	if oldName == "" {
		return nil, rejected("the proxy sees no current primary (%s)", why)
	}
	if oldName == target {
		return nil, rejected("%s is already the primary", target)
	}
	for _, n := range view {
		if (n.Name == target || n.Name == oldName) && n.Conflict != "" {
			return nil, rejected("%s", n.Conflict)
		}
		if n.Name != target {
			continue
		}
		if !n.Enabled || !n.Healthy || n.Role != route.Standby {
			return nil, rejected("%s must be an enabled, healthy standby (enabled %t, healthy %t, role %s)",
				target, n.Enabled, n.Healthy, n.Role)
		}
	}
	p := &plan{target: tn}
	p.old, _ = c.node(oldName)
	if err := c.checkNodes(ctx, p); err != nil {
		return nil, err
	}
	p.native, p.oldNative = nativeAddr(p.target, p.targetSt), nativeAddr(p.old, p.oldSt)
	for _, n := range view {
		if n.Enabled && n.Name != p.old.Name && n.Name != p.target.Name {
			p.others = append(p.others, n.Name)
		}
	}
	return p, nil
}

// checkNodes asks both nodes what they are: the old primary a primary,
// the target a standby streaming from it.
func (c *Coordinator) checkNodes(ctx context.Context, p *plan) error {
	var err error
	if p.oldSt, err = c.status(ctx, p.old.Name); err != nil {
		return rejected("cannot read %s's status: %v", p.old.Name, err)
	}
	if p.oldSt.Role != hastate.Primary {
		return rejected("%s reports role %q, not primary", p.old.Name, p.oldSt.Role)
	}
	if p.targetSt, err = c.status(ctx, p.target.Name); err != nil {
		return rejected("cannot read %s's status: %v", p.target.Name, err)
	}
	if p.targetSt.NodeID == p.oldSt.NodeID {
		return rejected("configuration error: %s and %s reach the same node's HTTP API (node_id %q); check their host, port and http_port",
			p.old.Name, p.target.Name, p.oldSt.NodeID)
	}
	if p.targetSt.Role != hastate.Standby || !p.targetSt.Replication.Connected {
		return rejected("%s must be a standby streaming from the primary (role %q, connected %t)",
			p.target.Name, p.targetSt.Role, p.targetSt.Replication.Connected)
	}
	sb, ok := p.oldSt.standby(p.targetSt.NodeID)
	if !ok || (!sb.State.Connected()) {
		return rejected("%s (node_id %q) is not streaming from %s (its standby state: %q)",
			p.target.Name, p.targetSt.NodeID, p.old.Name, sb.State)
	}
	return nil
}

func (c *Coordinator) node(name string) (Node, bool) {
	for _, n := range c.cfg.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// nativeAddr is where n takes standbys: its configured native port on its
// configured host; else the address it advertises (on its configured host
// when it advertises a wildcard); else the default native port.
func nativeAddr(n Node, st Status) addr {
	if n.NativePort != 0 {
		return addr{n.Host, n.NativePort}
	}
	if h, p, err := net.SplitHostPort(st.nativeAddress()); err == nil {
		port, _ := strconv.Atoi(p)
		if ip := net.ParseIP(h); h == "" || (ip != nil && ip.IsUnspecified()) {
			h = n.Host
		}
		if port > 0 {
			return addr{h, port}
		}
	}
	return addr{n.Host, config.DefaultNativePort}
}

// repoint points nodes at primary (native address to), concurrently.
// Failures are returned as warnings. It records when, so that demoteStale
// leaves the nodes a Lease to report the new term.
func (c *Coordinator) repoint(ctx context.Context, nodes []string, primary string, to addr) []string {
	now := c.cfg.Now()
	c.fo.mu.Lock()
	if c.fo.demoted == nil {
		c.fo.demoted = map[string]time.Time{}
	}
	for _, n := range nodes {
		c.fo.demoted[n] = now
	}
	c.fo.mu.Unlock()
	var mu sync.Mutex
	var warnings []string
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, c.cfg.StepTimeout)
			defer cancel()
			if err := c.cfg.API.Demote(sctx, n, to.host, to.port); err != nil {
				mu.Lock()
				warnings = append(warnings, fmt.Sprintf("could not point %s at %s: %v", n, primary, err))
				mu.Unlock()
				return
			}
			c.log.Info("switchover: standby re-pointed", "node", n, "primary", primary, "native", to.String())
		})
	}
	wg.Wait()
	return warnings
}

// rollback undoes a switchover that failed after the demotion, when that
// is safe: the target must say it is still a standby (otherwise two
// primaries could share a term). It returns the error for the caller,
// wrapping ErrFailed and cause, and saying what state the cluster is in.
func (c *Coordinator) rollback(ctx context.Context, p *plan, cause error) error {
	c.log.Error("switchover: failed after the demotion; rolling back", "old_primary", p.old.Name, "target", p.target.Name, "err", cause)
	st, err := c.status(ctx, p.target.Name)
	if err != nil || st.Role != hastate.Standby {
		c.refresh(ctx, "")
		return fmt.Errorf("%w: %w; %s is demoted and the state of %s is unknown (role %q, %v): check both with GET /status and promote one by hand",
			ErrFailed, cause, p.old.Name, p.target.Name, st.Role, err)
	}
	sctx, cancel := context.WithTimeout(ctx, c.cfg.StepTimeout)
	res, err := c.cfg.API.Promote(sctx, p.old.Name, PromoteRequest{MinTerm: c.seenTerm(nil) + 1})
	cancel()
	if err != nil {
		c.refresh(ctx, "")
		return fmt.Errorf("%w: %w; promoting %s back also failed (%v): no node is primary, promote one by hand",
			ErrFailed, cause, p.old.Name, err)
	}
	c.log.Info("switchover: old primary promoted back", "node", p.old.Name, "term", res.Term)
	warnings := c.repoint(ctx, append([]string{p.target.Name}, p.others...), p.old.Name, p.oldNative)
	warnings = append(warnings, c.refresh(ctx, p.old.Name)...)
	msg := fmt.Sprintf("%v; rolled back: %s is the primary again (term %d)", cause, p.old.Name, res.Term)
	if len(warnings) > 0 {
		msg += fmt.Sprintf(" (%v)", warnings)
	}
	return fmt.Errorf("%w: %s", ErrFailed, msg)
}
