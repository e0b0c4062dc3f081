package health

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/proxy/backend"
	"github.com/heliosdb/nano/proxy/route"
)

// Spec is one configured node.
type Spec struct {
	Name           string
	Addr           string // host:port of its PostgreSQL listener
	ConfiguredRole string
	Enabled        bool
	// Host is the host of Addr: the node's HTTP API is reached on it, at
	// the port the node advertises (helios_node.http_address) unless
	// HTTPPort overrides it. NativePort overrides the port of the native
	// address the node advertises. Zero: no override.
	Host       string
	HTTPPort   int
	NativePort int
}

// ProbeFunc probes the node at addr.
type ProbeFunc func(ctx context.Context, addr string) (backend.Status, error)

// Config configures a Checker.
type Config struct {
	Nodes     []Spec
	Interval  time.Duration // between probes of one node (default 5s)
	Threshold int           // consecutive failures before unhealthy (default 3)
	Timeout   time.Duration // bound on one probe (default: Interval)
	// FastInterval is the cadence, while Expedite is in effect, for nodes
	// that are not a healthy primary (default 500ms, at most Interval).
	FastInterval time.Duration
	Probe        ProbeFunc // required
	// Logger receives health and role changes at info; nil discards.
	Logger *slog.Logger
	// Registerer receives the per-node metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Checker probes nodes and holds their state.
type Checker struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics

	mu    sync.Mutex
	nodes []state // in configuration order

	// Expedite: while waiters > 0 the probe loops use FastInterval for
	// nodes that are not a healthy primary. fast is closed (and replaced)
	// whenever a node's cadence may have become fast: waiters going from
	// 0 to 1, or a node failing on the data path while waiters > 0.
	waiters int           // guarded by mu
	fast    chan struct{} // guarded by mu
	changed chan struct{} // guarded by mu; closed (and replaced) when a probe changes a node

	// Refresh: at most one round runs and one waits to start; callers
	// that find a round waiting join it.
	refreshMu sync.Mutex    // held while a Refresh round runs
	pendMu    sync.Mutex    // guards pending
	pending   chan struct{} // closed when the waiting round has finished

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// New returns a Checker that has not started probing.
func New(cfg Config) *Checker {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.Threshold < 1 {
		cfg.Threshold = 3
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = cfg.Interval
	}
	if cfg.FastInterval <= 0 {
		cfg.FastInterval = 500 * time.Millisecond
	}
	cfg.FastInterval = min(cfg.FastInterval, cfg.Interval)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Checker{cfg: cfg, log: cfg.Logger, stop: make(chan struct{}), fast: make(chan struct{}),
		changed: make(chan struct{})}
	for _, n := range cfg.Nodes {
		c.nodes = append(c.nodes, state{spec: n, Status: Status{Name: n.Name, Address: n.Addr,
			ConfiguredRole: n.ConfiguredRole, Enabled: n.Enabled}})
		c.nodes[len(c.nodes)-1].resolve(backend.Status{})
	}
	c.metrics = newMetrics(c, cfg.Registerer)
	return c
}

// CheckAll probes every node once, concurrently, and returns when all
// probes have finished.
func (c *Checker) CheckAll(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range c.nodes {
		wg.Go(func() { c.check(ctx, i) })
	}
	wg.Wait()
}

// Start launches one probe loop per node; each waits Interval (or
// FastInterval, see Expedite), probes, and repeats until Close.
func (c *Checker) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.wg.Go(func() {
		<-c.stop
		cancel()
	})
	for i := range c.nodes {
		c.wg.Go(func() { c.loop(ctx, i) })
	}
}

// Close stops the probe loops and waits for them.
func (c *Checker) Close() {
	c.once.Do(func() { close(c.stop) })
	c.wg.Wait()
}

// Expedite asks for fast probes: until the returned function is called
// (once; later calls do nothing), every node that is not a healthy
// primary is re-probed every FastInterval instead of every Interval, so
// that a statement waiting for a primary (or for any node) sees a node
// come back, or a standby promoted, within about FastInterval. A node's
// loop switches to the fast cadence at once, but never probes sooner than
// FastInterval after its previous probe began. Concurrent callers share
// the fast cadence; it ends when the last one releases it. One successful
// probe makes a node healthy; failures still need Threshold.
func (c *Checker) Expedite() (release func()) {
	c.mu.Lock()
	c.waiters++
	if c.waiters == 1 {
		c.kickLocked()
	}
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			c.waiters--
			c.mu.Unlock()
		})
	}
}

// Changed returns a channel closed when a probe next changes a node's
// health, role or term: a statement waiting for a node can decide again
// at once instead of at its next poll.
func (c *Checker) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// kickLocked wakes the probe loops to recompute their cadence. c.mu is held.
func (c *Checker) kickLocked() {
	close(c.fast)
	c.fast = make(chan struct{})
}

// cadence returns node i's probe interval now, and a channel closed when
// the fast cadence next begins.
func (c *Checker) cadence(i int) (time.Duration, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := &c.nodes[i]
	if c.waiters > 0 && !(n.Healthy && n.Role == route.Primary) {
		return c.cfg.FastInterval, c.fast
	}
	return c.cfg.Interval, c.fast
}

func (c *Checker) loop(ctx context.Context, i int) {
	last := time.Now() // start of the previous probe (CheckAll, in Run)
	t := time.NewTimer(c.cfg.Interval)
	defer t.Stop()
	for {
		d, wake := c.cadence(i)
		t.Reset(max(d-time.Since(last), 0))
		select {
		case <-ctx.Done():
			return
		case <-wake: // the cadence may be faster now: recompute it
			continue
		case <-t.C:
		}
		last = time.Now()
		c.check(ctx, i)
	}
}

// Refresh probes every node now and returns when a round of probes that
// started after the call has finished (or ctx ends): the view then shows
// what the nodes said after the call, for example a promotion the caller
// just made. Concurrent callers share rounds, so a burst of callers costs
// at most two rounds. Safe for concurrent use.
func (c *Checker) Refresh(ctx context.Context) {
	c.pendMu.Lock()
	if ch := c.pending; ch != nil { // a round not started yet: it will see our state
		c.pendMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		return
	}
	ch := make(chan struct{})
	c.pending = ch
	c.pendMu.Unlock()

	c.refreshMu.Lock() // wait for a running round to end
	c.pendMu.Lock()
	c.pending = nil // this round starts now; later callers need another
	c.pendMu.Unlock()
	c.CheckAll(ctx)
	c.refreshMu.Unlock()
	close(ch)
}

// check probes node i once and applies the result, unless a probe that
// started later has already been applied (a slow probe must not bring
// back a role the node no longer has).
func (c *Checker) check(ctx context.Context, i int) {
	c.mu.Lock()
	addr := c.nodes[i].Address
	c.nodes[i].started++
	seq := c.nodes[i].started
	c.mu.Unlock()
	pctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	st, err := c.cfg.Probe(pctx, addr)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: not the node's fault
	}
	c.metrics.probed(c.nodes[i].Name, err)
	c.mu.Lock()
	n := &c.nodes[i]
	if seq < n.applied {
		c.mu.Unlock()
		return
	}
	n.applied = seq
	changes := n.observe(c.cfg.Now(), st, err, c.cfg.Threshold)
	conflicts := c.checkIdentities()
	snap := n.Status
	if len(changes) > 0 {
		close(c.changed)
		c.changed = make(chan struct{})
	}
	c.mu.Unlock()
	if err != nil && len(changes) == 0 {
		c.log.Debug("health: probe failed", "node", snap.Name, "failures", snap.FailureCount, "err", err)
	}
	c.logChanges(snap, changes, "probe")
	for _, msg := range conflicts {
		c.log.Error("health: " + msg)
	}
}

// ReportFailure records a failed connection to node name on the data path:
// the node is unhealthy at once, until a probe succeeds.
func (c *Checker) ReportFailure(name string, err error) {
	c.mu.Lock()
	i := c.index(name)
	if i < 0 {
		c.mu.Unlock()
		return
	}
	n := &c.nodes[i]
	changes := n.failNow(err, c.cfg.Threshold)
	snap := n.Status
	if c.waiters > 0 && len(changes) > 0 {
		c.kickLocked() // its loop may be on the slow cadence
	}
	c.mu.Unlock()
	c.logChanges(snap, changes, "data path")
}

func (c *Checker) logChanges(s Status, changes []change, source string) {
	for _, ch := range changes {
		switch ch.what {
		case "healthy":
			c.log.Info("health: node is healthy", "node", s.Name, "role", s.Role.String(), "term", s.Term, "lsn", s.LSN.String())
		case "unhealthy":
			c.log.Info("health: node is unhealthy", "node", s.Name, "failures", s.FailureCount, "source", source, "err", s.LastError)
		case "role":
			c.log.Info("health: node role changed", "node", s.Name, "from", ch.from, "to", ch.to, "term", s.Term)
		case "term":
			c.log.Info("health: node term changed", "node", s.Name, "from", ch.from, "to", ch.to)
		}
	}
}

// SetEnabled includes (on) or excludes a node from routing. It returns
// ErrUnknownNode for an unknown name.
func (c *Checker) SetEnabled(name string, on bool) error {
	c.mu.Lock()
	i := c.index(name)
	if i < 0 {
		c.mu.Unlock()
		return ErrUnknownNode
	}
	was := c.nodes[i].Enabled
	c.nodes[i].Enabled = on
	c.mu.Unlock()
	if was != on {
		c.log.Info("health: node enabled changed", "node", name, "enabled", on)
	}
	return nil
}

func (c *Checker) index(name string) int {
	for i := range c.nodes {
		if c.nodes[i].Name == name {
			return i
		}
	}
	return -1
}

// View returns the routing view of every node, in configuration order.
// The slice is the caller's.
func (c *Checker) View() []route.Node { return c.AppendView(nil) }

// AppendView appends the routing view to dst (View without the
// allocation, for a caller that reuses dst).
func (c *Checker) AppendView(dst []route.Node) []route.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		dst = append(dst, route.Node{Name: n.Name, Role: n.Role, Term: n.Term, Healthy: n.Healthy, Enabled: n.Enabled, LagBytes: n.LagBytes,
			AppliedLSN: n.LSN, Conflict: n.Conflict})
	}
	return dst
}

// Statuses returns the admin view of every node, in configuration order.
func (c *Checker) Statuses() []Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Status, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.Status
	}
	return out
}

// Status returns the admin view of node name.
func (c *Checker) Status(name string) (Status, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.index(name); i >= 0 {
		return c.nodes[i].Status, true
	}
	return Status{}, false
}

// Addr returns the address of node name.
func (c *Checker) Addr(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.index(name); i >= 0 {
		return c.nodes[i].Address, true
	}
	return "", false
}

// Params returns the ParameterStatus values the current primary (else any
// healthy node, else any node ever probed) reported at its last probe
// login, or nil. The map must not be modified.
func (c *Checker) Params() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best map[string]string
	rank := 0
	for _, n := range c.nodes {
		r := 0
		switch {
		case n.params == nil:
		case n.Healthy && n.Role == route.Primary:
			r = 3
		case n.Healthy:
			r = 2
		default:
			r = 1
		}
		if r > rank {
			best, rank = n.params, r
		}
	}
	return best
}
