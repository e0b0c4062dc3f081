package switchover

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proxy/route"
)

// Defaults for Config.
const (
	DefaultDrainTimeout = 5 * time.Second
	DefaultStepTimeout  = 10 * time.Second
	DefaultPollInterval = 5 * time.Millisecond
)

// Node is a configured node as the switchover needs it.
type Node struct {
	Name string
	Host string
	// NativePort is the configured replication port; 0 means what the
	// node advertises in GET /status, else config.DefaultNativePort.
	NativePort int
}

// Cluster is the proxy's view of its nodes.
type Cluster interface {
	// View returns the routing view, in configuration order.
	View() []route.Node
	// Refresh probes every node and returns once the view reflects what
	// the nodes said after the call.
	Refresh(ctx context.Context)
	// Changed returns a channel closed when a probe next changes a node's
	// health, role or term.
	Changed() <-chan struct{}
}

// Gate holds the proxy's writes to one node.
type Gate interface {
	// Hold makes new writes and new transactions that would go to node
	// wait. The channel is closed once no write statement and no
	// transaction is running on node.
	Hold(node string) (drained <-chan struct{})
	// Busy counts the write statements and the transactions running on
	// node now.
	Busy(node string) (writes, transactions int)
	// Release ends the hold and wakes the statements waiting on it.
	Release()
}

// Config configures a Coordinator. API, Cluster and Gate are required;
// zero durations mean the defaults above.
type Config struct {
	Nodes   []Node
	API     NodeAPI
	Cluster Cluster
	Gate    Gate
	// DrainTimeout bounds the wait for writes and transactions already
	// running on the old primary.
	DrainTimeout time.Duration
	// StepTimeout bounds each node request and the wait for the target
	// to apply the old primary's last LSN.
	StepTimeout time.Duration
	// PollInterval is the pause before retrying a failed request for the
	// target's applied LSN (the wait itself is the node's, not a poll).
	PollInterval time.Duration
	// Logger receives one line per step at info; nil discards.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Registerer receives the switchover metrics; nil registers none.
	Registerer prometheus.Registerer
	// AutoFailover enables RunFailover and RenewLease (auto_failover).
	AutoFailover bool
	Failover     FailoverConfig
}

// Result is a completed switchover (the POST /switchover answer).
type Result struct {
	Status       string  `json:"status"` // "ok"
	OldPrimary   string  `json:"old_primary"`
	NewPrimary   string  `json:"new_primary"`
	Term         uint64  `json:"term"`           // the new primary's term
	WritePauseMS float64 `json:"write_pause_ms"` // from holding writes to releasing them
	// Warnings name standbys that could not be re-pointed, or a view that
	// did not show the new primary at once; the switchover itself is done.
	Warnings []string `json:"warnings,omitempty"`
}

// Coordinator runs planned switchovers, one at a time.
type Coordinator struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	busy    sync.Mutex // held by a switchover, a failover, a demotion of a stale primary
	fo      failover
}

// New returns a Coordinator.
func New(cfg Config) *Coordinator {
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = DefaultStepTimeout
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Failover = cfg.Failover.withDefaults()
	return &Coordinator{cfg: cfg, log: cfg.Logger, metrics: newMetrics(cfg.Registerer)}
}

// Run moves the primary role to the node named target (see the package
// documentation for the steps). Errors wrap ErrUnknownNode, ErrBusy,
// ErrRejected (nothing changed) or ErrFailed (after the demotion; the
// message says what state the cluster is in). Safe for concurrent use:
// a second call while one runs gets ErrBusy.
func (c *Coordinator) Run(ctx context.Context, target string) (Result, error) {
	if !c.busy.TryLock() {
		return Result{}, ErrBusy
	}
	defer c.busy.Unlock()
	p, err := c.plan(ctx, target)
	if err != nil {
		c.log.Info("switchover: rejected", "target", target, "err", err)
		c.metrics.done(err, 0)
		return Result{}, err
	}
	c.log.Info("switchover: starting", "old_primary", p.old.Name, "new_primary", p.target.Name,
		"term", p.oldSt.Term, "lsn", p.oldSt.CurrentLSN.String(), "target_lag_bytes", p.targetSt.Replication.LagBytes,
		"target_native", p.native.String())
	res, err := c.execute(ctx, p)
	c.metrics.done(err, time.Duration(res.WritePauseMS*float64(time.Millisecond)))
	if err != nil {
		c.log.Warn("switchover: did not complete", "old_primary", p.old.Name, "new_primary", p.target.Name, "err", err)
	}
	return res, err
}

// execute runs steps 2–7 of the package documentation.
func (c *Coordinator) execute(ctx context.Context, p *plan) (Result, error) {
	start := c.cfg.Now()
	drained := c.cfg.Gate.Hold(p.old.Name)
	release := sync.OnceFunc(c.cfg.Gate.Release)
	defer release()
	if err := c.drain(ctx, p, drained); err != nil {
		return Result{}, err
	}
	// From here on the cluster changes: finish even if the caller leaves.
	ctx = context.WithoutCancel(ctx)
	final, err := c.demote(ctx, p)
	if err != nil {
		return Result{}, err
	}
	if err := c.waitApplied(ctx, p, final); err != nil {
		return Result{}, c.rollback(ctx, p, err)
	}
	term, err := c.promote(ctx, p)
	if err != nil {
		return Result{}, c.rollback(ctx, p, err)
	}
	res := Result{Status: "ok", OldPrimary: p.old.Name, NewPrimary: p.target.Name, Term: term}
	res.Warnings = c.repoint(ctx, c.followers(ctx, p), p.target.Name, p.native)
	res.Warnings = append(res.Warnings, c.refresh(ctx, p.target.Name)...)
	pause := c.cfg.Now().Sub(start)
	release()
	res.WritePauseMS = float64(pause.Microseconds()) / 1000
	c.log.Info("switchover: done", "old_primary", p.old.Name, "new_primary", p.target.Name, "term", term,
		"write_pause", pause.Round(time.Microsecond), "warnings", len(res.Warnings))
	return res, nil
}

// drain waits until nothing runs on the old primary.
func (c *Coordinator) drain(ctx context.Context, p *plan, drained <-chan struct{}) error {
	t := time.NewTimer(c.cfg.DrainTimeout)
	defer t.Stop()
	select {
	case <-drained:
		return nil
	case <-t.C:
		w, tx := c.cfg.Gate.Busy(p.old.Name)
		return fmt.Errorf("%w: %d transaction(s) and %d write statement(s) still running on %s after %s; nothing was changed, retry when they have finished",
			ErrRejected, tx, w, p.old.Name, c.cfg.DrainTimeout)
	case <-ctx.Done():
		return fmt.Errorf("%w: %w; nothing was changed", ErrRejected, ctx.Err())
	}
}

// demote demotes the old primary towards the target and returns its last
// LSN.
func (c *Coordinator) demote(ctx context.Context, p *plan) (lsn.LSN, error) {
	sctx, cancel := context.WithTimeout(ctx, c.cfg.StepTimeout)
	derr := c.cfg.API.Demote(sctx, p.old.Name, p.native.host, p.native.port)
	cancel()
	st, serr := c.status(ctx, p.old.Name)
	switch {
	case derr != nil && serr == nil && st.Role == hastate.Primary:
		return 0, fmt.Errorf("%w: demoting %s: %w; it is still the primary and nothing was changed", ErrRejected, p.old.Name, derr)
	case derr != nil:
		return 0, c.rollback(ctx, p, fmt.Errorf("demoting %s: %w", p.old.Name, derr))
	case serr != nil:
		return 0, c.rollback(ctx, p, fmt.Errorf("reading %s's last LSN after the demotion: %w", p.old.Name, serr))
	}
	c.log.Info("switchover: old primary demoted", "node", p.old.Name, "lsn", st.CurrentLSN.String())
	return st.CurrentLSN, nil
}

// sleepCtx waits d or until ctx ends (then its error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// waitApplied waits until the target has applied final, or ctx ends. The
// node answers as soon as its storage has applied final (NodeAPI
// WaitApplied: a wait woken by the apply, not a poll); a failed request
// (the node restarting) is retried after PollInterval, a deliberate
// backoff since nothing signals the node's return.
func (c *Coordinator) waitApplied(ctx context.Context, p *plan, final lsn.LSN) error {
	deadline := c.cfg.Now().Add(c.cfg.StepTimeout)
	var last error
	for {
		left := deadline.Sub(c.cfg.Now())
		if left <= 0 {
			return fmt.Errorf("%s did not apply %s within %s (last error: %v)", p.target.Name, final, c.cfg.StepTimeout, last)
		}
		// The request may take the whole wait, plus a margin for the answer.
		wctx, cancel := context.WithTimeout(ctx, left+c.cfg.StepTimeout)
		applied, err := c.cfg.API.WaitApplied(wctx, p.target.Name, final, left)
		cancel()
		if err == nil && applied >= final {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for %s to apply %s: %w", p.target.Name, final, context.Cause(ctx))
		}
		if err == nil {
			last = fmt.Errorf("applied up to %s", applied)
			continue
		}
		last = err
		if werr := sleepCtx(ctx, c.cfg.PollInterval); werr != nil {
			return fmt.Errorf("waiting for %s to apply %s: %w", p.target.Name, final, werr)
		}
	}
}

// promote promotes the target and returns its new term. A failed request
// after which the target says it is the primary anyway counts as done.
func (c *Coordinator) promote(ctx context.Context, p *plan) (uint64, error) {
	sctx, cancel := context.WithTimeout(ctx, c.cfg.StepTimeout)
	res, err := c.cfg.API.Promote(sctx, p.target.Name, PromoteRequest{MinTerm: c.seenTerm(nil) + 1})
	cancel()
	if err == nil {
		c.log.Info("switchover: target promoted", "node", p.target.Name, "term", res.Term, "lsn", res.LSN.String())
		return res.Term, nil
	}
	if st, serr := c.status(ctx, p.target.Name); serr == nil && st.Role == hastate.Primary {
		return st.Term, nil
	}
	return 0, fmt.Errorf("promoting %s: %w", p.target.Name, err)
}

// followers are the nodes to point at the new primary: the other enabled
// nodes, and the old primary when its stream to the target is not up yet
// (it tried while the target was still a standby and is backing off).
func (c *Coordinator) followers(ctx context.Context, p *plan) []string {
	nodes := append([]string(nil), p.others...)
	if st, err := c.status(ctx, p.old.Name); err != nil || !st.Replication.Connected {
		nodes = append(nodes, p.old.Name)
	}
	return nodes
}

// status reads a node's GET /status within StepTimeout.
func (c *Coordinator) status(ctx context.Context, node string) (Status, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.StepTimeout)
	defer cancel()
	return c.cfg.API.Status(ctx, node)
}

// refresh re-probes every node and checks that routing sees primary.
func (c *Coordinator) refresh(ctx context.Context, primary string) []string {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.StepTimeout)
	defer cancel()
	c.cfg.Cluster.Refresh(ctx)
	if got, why := route.CurrentPrimary(c.cfg.Cluster.View()); got != primary {
		return []string{fmt.Sprintf("the proxy does not see %s as the primary yet (%q %s); writes wait until its health checks do",
			primary, got, why)}
	}
	return nil
}
