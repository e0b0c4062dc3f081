package switchover

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/proxy/route"
)

// Defaults for FailoverConfig.
const (
	DefaultFailoverTimeout = 10 * time.Second
	DefaultLeaseRenew      = time.Second
	DefaultLeaseMargin     = 500 * time.Millisecond
)

// FailoverConfig configures automatic failover (RunFailover). Zero values
// mean the defaults.
type FailoverConfig struct {
	// Timeout: the primary has answered no lease renewal for this long →
	// promote a standby (failover_timeout_secs).
	Timeout time.Duration
	// Lease is how long a grant lets the primary accept writes (default
	// Timeout minus two seconds, at least half of it; at most Timeout, so
	// that a proxy that restarts never promotes while an earlier process's
	// lease may be in force).
	Lease time.Duration
	// Renew is the renewal cadence (default 1s, at most Lease/4).
	Renew time.Duration
	// Margin is added to every lease before the proxy counts it as
	// expired: network delay of a grant and clock-rate differences.
	Margin time.Duration
	// AllowDataLoss promotes the most advanced reachable standby even when
	// the primary may hold acknowledged commits no standby has
	// (failover_allow_data_loss).
	AllowDataLoss bool
	// Holder names this proxy in the nodes' logs.
	Holder string
}

func (f FailoverConfig) withDefaults() FailoverConfig {
	f.Timeout = cmp.Or(f.Timeout, DefaultFailoverTimeout)
	if f.Lease <= 0 {
		f.Lease = max(f.Timeout-2*time.Second, f.Timeout/2)
	}
	f.Lease = min(f.Lease, f.Timeout)
	f.Renew = min(cmp.Or(f.Renew, DefaultLeaseRenew), f.Lease/4)
	f.Margin = cmp.Or(f.Margin, DefaultLeaseMargin)
	f.Holder = cmp.Or(f.Holder, "heliosdb-proxy")
	return f
}

// LeaseRequest is POST /admin/lease on a primary.
type LeaseRequest struct {
	Term        uint64 `json:"term"`
	DurationMS  int64  `json:"duration_ms"`
	Holder      string `json:"holder"`
	DegradedSeq uint64 `json:"degraded_seq"`
	// ExpiresUnixMS is the send time plus the lease, by this clock: the
	// node's lease ends then at the latest, so a grant it reads late (it
	// was paused) cannot outlast the bound this proxy counts on.
	ExpiresUnixMS int64 `json:"expires_unix_ms,omitempty"`
}

// LeaseResult is a primary's answer to a grant.
type LeaseResult struct {
	NodeID      string            `json:"node_id"`
	Term        uint64            `json:"term"`
	SyncState   hastate.SyncState `json:"sync_state"`
	DegradedSeq uint64            `json:"degraded_seq"` // echoed with the next grant
	Standbys    []Standby         `json:"standbys"`
}

// failover is the automatic-failover state of a Coordinator.
type failover struct {
	// grants serialises grants, each from its request to the recording of
	// its answer, so that an older answer never replaces a newer one: an
	// answer saying "sync" taken before a degradation, recorded after the
	// degradation was reported and approved, would let the proxy promote
	// a sync standby without the commits the approval released.
	grants  sync.Mutex
	mu      sync.Mutex
	primary string // the node leases go to
	term    uint64
	last    *LeaseResult // its answer to the last successful grant in term
	// bound: no promotion before it. Every grant attempt pushes it to the
	// attempt's end + Lease + Margin (the node may have taken the grant
	// even if the answer was lost); once the primary is down no grant is
	// sent to it until it answers a status request again (checkBack).
	bound     time.Time
	downSince time.Time // primary has renewed nothing since (its last successful renewal, else the first failed one); zero while it answers
	lastOK    time.Time // end of primary's last successful renewal in term
	inflight  int       // grants sent and not yet accounted in bound
	promoting bool      // a promotion is decided: no grant may be sent
	unsure    string    // a candidate whose promotion failed without an answer
	blocked   string    // why the last failover attempt did not promote (logged once)
	demoted   map[string]time.Time
}

// FailoverStatus is GET /failover on the proxy's admin API.
type FailoverStatus struct {
	Enabled        bool              `json:"auto_failover"`
	TimeoutSecs    float64           `json:"failover_timeout_secs"`
	LeaseSecs      float64           `json:"lease_secs"`
	AllowDataLoss  bool              `json:"failover_allow_data_loss"`
	Primary        string            `json:"primary"` // the node leases go to
	Term           uint64            `json:"term"`
	SyncState      hastate.SyncState `json:"sync_state"` // at its last renewal; "" before one
	DownSince      *time.Time        `json:"down_since"` // last successful renewal before the failures (else the first failure); null while it renews
	PromotionAfter *time.Time        `json:"promotion_after"`
	Blocked        string            `json:"blocked,omitempty"` // why the last attempt promoted nothing
}

// FailoverStatus reports the automatic failover's state.
func (c *Coordinator) FailoverStatus() FailoverStatus {
	f := c.cfg.Failover
	c.fo.mu.Lock()
	defer c.fo.mu.Unlock()
	st := FailoverStatus{Enabled: c.cfg.AutoFailover, TimeoutSecs: f.Timeout.Seconds(), LeaseSecs: f.Lease.Seconds(),
		AllowDataLoss: f.AllowDataLoss, Primary: c.fo.primary, Term: c.fo.term, Blocked: c.fo.blocked}
	if c.fo.last != nil {
		st.SyncState = c.fo.last.SyncState
	}
	if !c.fo.downSince.IsZero() {
		down := c.fo.downSince
		after := down.Add(f.Timeout)
		if c.fo.bound.After(after) {
			after = c.fo.bound
		}
		st.DownSince, st.PromotionAfter = &down, &after
	}
	return st
}

// RunFailover grants the current primary its lease every Renew and, when
// the primary has answered none for Timeout, promotes the standby that
// holds every acknowledged commit; it also demotes a node that still
// claims the primary role of an older term. It returns when ctx ends.
// Only one proxy per cluster may run it.
func (c *Coordinator) RunFailover(ctx context.Context) {
	f := c.cfg.Failover
	c.fo.mu.Lock()
	// A lease an earlier proxy process granted may still be in force.
	c.fo.bound = c.cfg.Now().Add(f.Lease + f.Margin)
	c.fo.mu.Unlock()
	c.log.Info("failover: automatic failover on", "timeout", f.Timeout.String(), "lease", f.Lease.String(),
		"renew", f.Renew.String(), "allow_data_loss", f.AllowDataLoss)
	t := time.NewTicker(f.Renew)
	defer t.Stop()
	due := time.NewTimer(time.Hour)
	defer due.Stop()
	for {
		c.failoverTick(ctx)
		due.Reset(c.untilDue())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-due.C: // a promotion may be due now, between two renewals
		case <-c.cfg.Cluster.Changed():
		}
	}
}

// untilDue is how long until a promotion becomes due, so that the loop
// tries it then rather than at the next renewal; an hour when the primary
// renews its lease or when it is due already: a due promotion that did
// not happen (blocked as unsafe, a failed promote, a switchover running)
// is retried at the renewal ticker's cadence and on view changes, not by
// a timer that is always due (the loop re-ran every millisecond: ~180
// node logins a second from an idle proxy).
func (c *Coordinator) untilDue() time.Duration {
	c.fo.mu.Lock()
	defer c.fo.mu.Unlock()
	if c.fo.downSince.IsZero() {
		return time.Hour
	}
	at := c.fo.downSince.Add(c.cfg.Failover.Timeout)
	if c.fo.bound.After(at) {
		at = c.fo.bound
	}
	if wait := at.Sub(c.cfg.Now()); wait > 0 {
		return wait
	}
	return time.Hour
}

func (c *Coordinator) failoverTick(ctx context.Context) {
	if c.resolveUnsure(ctx) {
		return
	}
	view := c.cfg.Cluster.View()
	primary, _ := route.CurrentPrimary(view)
	if primary != "" {
		c.demoteStale(ctx, view, primary)
	}
	name, term := primary, termOf(view, primary)
	c.fo.mu.Lock()
	if name == "" { // keep renewing the last primary: it may come back
		name, term = c.fo.primary, c.fo.term
	}
	if name != c.fo.primary || term != c.fo.term {
		c.fo.primary, c.fo.term, c.fo.last, c.fo.downSince, c.fo.blocked = name, term, nil, time.Time{}, ""
		c.fo.lastOK = time.Time{}
	}
	down := !c.fo.downSince.IsZero()
	c.fo.mu.Unlock()
	if name == "" {
		return
	}
	var err error
	if down {
		err = c.checkBack(ctx, name, term)
	} else {
		err = c.grant(ctx, name, term)
	}
	if err == nil || ctx.Err() != nil {
		return
	}
	if errors.Is(err, ErrNodeAPI) { // it answered but refused: maybe the view is stale
		c.refresh(ctx, "")
		if p, _ := route.CurrentPrimary(c.cfg.Cluster.View()); p != "" && (p != name || termOf(c.cfg.Cluster.View(), p) != term) {
			return
		}
	}
	now := c.cfg.Now()
	c.fo.mu.Lock()
	if c.fo.downSince.IsZero() {
		// It has renewed nothing since its last successful renewal.
		c.fo.downSince = now
		if !c.fo.lastOK.IsZero() {
			c.fo.downSince = c.fo.lastOK
		}
		c.log.Warn("failover: the primary does not renew its lease; a standby is promoted if it stays away",
			"primary", name, "term", term, "after", c.cfg.Failover.Timeout.String(), "err", err)
	}
	due := now.Sub(c.fo.downSince) >= c.cfg.Failover.Timeout && !now.Before(c.fo.bound)
	c.fo.mu.Unlock()
	if due {
		c.failover(ctx, name)
	}
}

// resolveUnsure asks a candidate whose promotion request failed what it
// is; leases stay suspended (true) until it answers.
func (c *Coordinator) resolveUnsure(ctx context.Context) bool {
	c.fo.mu.Lock()
	cand := c.fo.unsure
	c.fo.mu.Unlock()
	if cand == "" {
		return false
	}
	st, err := c.status(ctx, cand)
	if err != nil {
		return true
	}
	c.fo.mu.Lock()
	c.fo.unsure, c.fo.promoting = "", false
	if st.Role == hastate.Primary {
		c.fo.primary, c.fo.term, c.fo.last, c.fo.downSince = cand, st.Term, nil, time.Time{}
	}
	c.fo.mu.Unlock()
	c.log.Warn("failover: the candidate answers again", "node", cand, "role", st.Role, "term", st.Term)
	c.refresh(ctx, "")
	return false
}

// checkBack asks a primary that stopped renewing its lease whether it is
// back, without granting anything (a grant would push back the time a
// promotion is safe), and grants the lease again if it is.
func (c *Coordinator) checkBack(ctx context.Context, name string, term uint64) error {
	sctx, cancel := context.WithTimeout(ctx, c.quick())
	st, err := c.cfg.API.Status(sctx, name)
	cancel()
	switch {
	case err != nil:
		return err
	case st.Role != hastate.Primary || st.Term != term:
		return fmt.Errorf("%w: %s is %s of term %d", ErrNodeAPI, name, st.Role, st.Term)
	}
	return c.grant(ctx, name, term)
}

// quick bounds the failover loop's requests, so that an unreachable node
// does not slow its cadence.
func (c *Coordinator) quick() time.Duration {
	return min(max(2*c.cfg.Failover.Renew, time.Second), c.cfg.StepTimeout)
}

func termOf(view []route.Node, name string) uint64 {
	for _, n := range view {
		if n.Name == name {
			return n.Term
		}
	}
	return 0
}

// grant renews node's lease in term. When the answer reports a
// degradation the grant did not approve, it grants again at once: the
// proxy has now recorded that the primary is degraded (and will not
// promote without failover_allow_data_loss), so the commits waiting in it
// need not wait for the next renewal.
func (c *Coordinator) grant(ctx context.Context, node string, term uint64) error {
	res, sent, err := c.grantOnce(ctx, node, term)
	if err == nil && res.DegradedSeq != 0 && res.DegradedSeq != sent {
		_, _, err = c.grantOnce(ctx, node, term)
	}
	return err
}

// grantOnce sends one grant and returns the answer and the degradation
// it approved.
func (c *Coordinator) grantOnce(ctx context.Context, node string, term uint64) (LeaseResult, uint64, error) {
	f := c.cfg.Failover
	c.fo.grants.Lock()
	defer c.fo.grants.Unlock()
	c.fo.mu.Lock()
	if c.fo.promoting {
		c.fo.mu.Unlock()
		return LeaseResult{}, 0, errPromoting
	}
	c.fo.inflight++
	var seq uint64
	if c.fo.last != nil {
		seq = c.fo.last.DegradedSeq
	}
	c.fo.mu.Unlock()
	sctx, cancel := context.WithTimeout(ctx, c.quick())
	res, err := c.cfg.API.Lease(sctx, node, LeaseRequest{Term: term, DurationMS: f.Lease.Milliseconds(), Holder: f.Holder, DegradedSeq: seq,
		ExpiresUnixMS: c.cfg.Now().Add(f.Lease).UnixMilli()})
	cancel()
	end := c.cfg.Now()
	c.fo.mu.Lock()
	defer c.fo.mu.Unlock()
	c.fo.inflight--
	if b := end.Add(f.Lease + f.Margin); b.After(c.fo.bound) {
		c.fo.bound = b
	}
	if err != nil {
		c.metrics.leases.WithLabelValues("failed").Inc()
		return res, seq, err
	}
	c.metrics.leases.WithLabelValues("ok").Inc()
	if node == c.fo.primary && res.Term == c.fo.term {
		if !c.fo.downSince.IsZero() {
			c.log.Info("failover: the primary renews its lease again", "primary", node, "term", term,
				"away", end.Sub(c.fo.downSince).Round(time.Millisecond).String())
		}
		c.fo.last, c.fo.downSince, c.fo.blocked, c.fo.lastOK = &res, time.Time{}, "", end
	}
	return res, seq, nil
}

// RenewLease grants node its lease now if the view names it the primary,
// and reports whether it took it: a write it refused because its lease
// had lapsed (a restart, or a proxy that was away) can then be retried.
func (c *Coordinator) RenewLease(ctx context.Context, node string) bool {
	if !c.cfg.AutoFailover {
		return false
	}
	view := c.cfg.Cluster.View()
	if p, _ := route.CurrentPrimary(view); p != node {
		return false
	}
	c.fo.mu.Lock()
	down := c.fo.primary == node && !c.fo.downSince.IsZero()
	c.fo.mu.Unlock()
	if down {
		return c.checkBack(ctx, node, termOf(view, node)) == nil
	}
	return c.grant(ctx, node, termOf(view, node)) == nil
}

var errPromoting = errors.New("failover: a standby is being promoted")

// decide commits to promoting instead of old, if that is still due: old
// still has not renewed, the last lease it may hold has expired and no
// grant is in flight. From then on no grant is sent until done is called.
func (c *Coordinator) decide(old string) (ok bool, done func()) {
	c.fo.mu.Lock()
	defer c.fo.mu.Unlock()
	now := c.cfg.Now()
	if c.fo.primary != old || c.fo.downSince.IsZero() || now.Sub(c.fo.downSince) < c.cfg.Failover.Timeout ||
		now.Before(c.fo.bound) || c.fo.inflight > 0 || c.fo.promoting {
		return false, nil
	}
	c.fo.promoting = true
	return true, func() {
		c.fo.mu.Lock()
		c.fo.promoting = false
		c.fo.mu.Unlock()
	}
}

// failover promotes the safe candidate instead of old, re-points the other
// nodes and refreshes the view. It does nothing while a switchover runs.
func (c *Coordinator) failover(ctx context.Context, old string) {
	if !c.busy.TryLock() {
		return
	}
	defer c.busy.Unlock()
	choice, why := c.candidate(ctx, old)
	cand, st := choice.Name, choice.Status
	if conflict := conflictOf(c.cfg.Cluster.View()); conflict != "" {
		cand, why = "", conflict
	}
	if cand == "" {
		c.fo.mu.Lock()
		first := c.fo.blocked != why
		c.fo.blocked = why
		c.fo.mu.Unlock()
		if first {
			c.log.Error("failover: not promoting any standby", "primary", old, "reason", why)
			c.metrics.failovers.WithLabelValues("blocked").Inc()
		}
		return
	}
	ok, done := c.decide(old)
	if !ok { // old came back while the candidate was chosen
		return
	}
	ctx = context.WithoutCancel(ctx)
	sctx, cancel := context.WithTimeout(ctx, c.cfg.StepTimeout)
	// With no other sync standby to connect to it, the new primary would
	// make its first commits wait sync-timeout for nothing.
	res, err := c.cfg.API.Promote(sctx, cand, PromoteRequest{SyncDegraded: !choice.OtherSync, MinTerm: choice.MinTerm})
	cancel()
	if err != nil {
		st, serr := c.status(ctx, cand)
		if serr != nil || st.Role != hastate.Primary {
			c.metrics.failovers.WithLabelValues("failed").Inc()
			if serr == nil { // it says it is a standby: nothing changed
				c.log.Error("failover: promoting the standby failed; retrying at the next renewal", "standby", cand, "err", err)
				done()
				return
			}
			// Unknown: it may be primary now. Grant nothing until it answers.
			c.log.Error("failover: promoting the standby failed and it does not answer; leases stay suspended until it does",
				"standby", cand, "err", err, "status_err", serr)
			c.fo.mu.Lock()
			c.fo.unsure = cand
			c.fo.mu.Unlock()
			return
		}
		res = Promoted{Term: st.Term, LSN: st.CurrentLSN}
	}
	c.metrics.failovers.WithLabelValues("ok").Inc()
	c.fo.mu.Lock()
	away := c.cfg.Now().Sub(c.fo.downSince)
	c.fo.primary, c.fo.term, c.fo.last, c.fo.downSince, c.fo.blocked = cand, res.Term, nil, time.Time{}, ""
	c.fo.mu.Unlock()
	done()
	c.log.Warn("failover: standby promoted", "old_primary", old, "new_primary", cand, "term", res.Term,
		"lsn", res.LSN.String(), "behind_bytes", res.BehindBytes, "primary_away", away.Round(time.Millisecond).String())
	n, _ := c.node(cand)
	native := nativeAddr(n, st)
	var others []string
	for _, v := range c.cfg.Cluster.View() {
		if v.Enabled && v.Name != cand && v.Name != old {
			others = append(others, v.Name)
		}
	}
	for _, w := range c.repoint(ctx, others, cand, native) {
		c.log.Warn("failover: " + w)
	}
	c.refresh(ctx, cand)
	c.grant(ctx, cand, res.Term)
}

// candidate gathers the statuses of the standbys and picks the one to
// promote instead of old (chooseCandidate), or says why none is safe.
func (c *Coordinator) candidate(ctx context.Context, old string) (candidateChoice, string) {
	c.fo.mu.Lock()
	last := c.fo.last
	c.fo.mu.Unlock()
	sts := c.standbyStatuses(ctx, old)
	return chooseCandidate(old, last, c.cfg.Failover.AllowDataLoss, c.seenTerm(sts), sts)
}

// seenTerm is the newest term this coordinator knows of: in its view of
// the nodes, of the primary it grants leases to, and in sts.
func (c *Coordinator) seenTerm(sts map[string]Status) uint64 {
	var seen uint64
	for _, v := range c.cfg.Cluster.View() {
		seen = max(seen, v.Term)
	}
	for _, st := range sts {
		seen = max(seen, st.Term)
	}
	c.fo.mu.Lock()
	defer c.fo.mu.Unlock()
	seen = max(seen, c.fo.term)
	if c.fo.last != nil {
		seen = max(seen, c.fo.last.Term)
	}
	return seen
}

// candidateChoice is the standby chooseCandidate picked.
type candidateChoice struct {
	Name   string
	Status Status
	// OtherSync: another sync standby answers (one that will follow the
	// new primary).
	OtherSync bool
	// MinTerm is the promotion's minimum term (PromoteRequest.MinTerm):
	// above every term known.
	MinTerm uint64
}

// chooseCandidate picks the standby to promote instead of old from the
// statuses of the standbys that answered (by node name), or says why none
// is safe; it is a pure function of its arguments. Safe means: at old's
// last lease answer (last) it was not degraded (a degradation it had not
// reported acknowledges nothing), and every sync standby it listed
// answers now; the one with the most WAL flushed holds every acknowledged
// commit (any one sync standby's flush acknowledges); ties go to the
// smallest name. With allowDataLoss every answering standby qualifies.
// A standby of a newer term goes before one of an older term whatever
// their LSNs (LSNs of different histories do not compare: the older
// term's WAL may run past where the newer term began). seen is the newest
// term the caller knows of besides last and standbys; the promotion takes
// a term above all of them (MinTerm), so that a standby that missed a
// promotion is promoted at once instead of reusing a term another node
// holds (two primaries of one term do not fence each other).
func chooseCandidate(old string, last *LeaseResult, allowDataLoss bool, seen uint64, standbys map[string]Status) (candidateChoice, string) {
	var pool []Status
	var names []string
	switch {
	case allowDataLoss:
		for _, name := range slices.Sorted(maps.Keys(standbys)) {
			pool, names = append(pool, standbys[name]), append(names, name)
		}
	case last == nil:
		return candidateChoice{}, fmt.Sprintf("%s never answered a lease renewal since this proxy started, so whether a standby holds all its acknowledged commits is unknown (set failover_allow_data_loss = true to promote anyway)", old)
	case last.SyncState != hastate.Sync && last.SyncState != hastate.Waiting:
		return candidateChoice{}, fmt.Sprintf("%s was %s at its last lease renewal: commits it acknowledged may be on no standby (set failover_allow_data_loss = true to promote anyway)", old, last.SyncState)
	default:
		for _, sb := range last.Standbys {
			if sb.ReplicationMode != "sync" {
				continue
			}
			name, st, ok := byNodeID(standbys, sb.NodeID)
			if !ok {
				return candidateChoice{}, fmt.Sprintf("sync standby %s does not answer: it may hold commits the others lack", sb.NodeID)
			}
			pool, names = append(pool, st), append(names, name)
		}
		// A sync standby that first connected after the last renewal is
		// not listed, yet its flush may have acknowledged commits. One of
		// the primary's term that answers is as safe a candidate (its WAL
		// is a prefix of the primary's); one that does not answer is a
		// window (docs/replication.md).
		for _, name := range slices.Sorted(maps.Keys(standbys)) {
			if st := standbys[name]; st.Replication.ReplicationMode == "sync" && st.Term == last.Term && !slices.Contains(names, name) {
				pool, names = append(pool, st), append(names, name)
			}
		}
	}
	if len(pool) == 0 {
		return candidateChoice{}, "no reachable standby qualifies"
	}
	newest := seen
	if last != nil {
		newest = max(newest, last.Term)
	}
	for _, s := range standbys {
		newest = max(newest, s.Term)
	}
	best := 0
	for i := range pool {
		a, b := pool[i], pool[best]
		if a.Term != b.Term {
			if a.Term > b.Term {
				best = i
			}
			continue
		}
		if a.Replication.FlushedLSN > b.Replication.FlushedLSN ||
			(a.Replication.FlushedLSN == b.Replication.FlushedLSN && names[i] < names[best]) {
			best = i
		}
	}
	choice := candidateChoice{Name: names[best], Status: pool[best], MinTerm: newest + 1}
	for n, s := range standbys {
		if n != names[best] && s.Replication.ReplicationMode == "sync" {
			choice.OtherSync = true
		}
	}
	return choice, ""
}

// standbyStatuses reads GET /status of every enabled node but old,
// concurrently, and keeps the standbys that answer.
func (c *Coordinator) standbyStatuses(ctx context.Context, old string) map[string]Status {
	var mu sync.Mutex
	out := map[string]Status{}
	var wg sync.WaitGroup
	for _, v := range c.cfg.Cluster.View() {
		if !v.Enabled || v.Name == old {
			continue
		}
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, c.quick())
			defer cancel()
			st, err := c.cfg.API.Status(sctx, v.Name)
			if err == nil && st.Role == hastate.Standby {
				mu.Lock()
				out[v.Name] = st
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

func byNodeID(sts map[string]Status, id string) (string, Status, bool) {
	names := make([]string, 0, len(sts))
	for name := range sts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if sts[name].NodeID == id {
			return name, sts[name], true
		}
	}
	return "", Status{}, false
}

// demoteStale points at primary a node of an older term: one that still
// claims the primary role (an old primary back after a failover), or a
// standby that could not be re-pointed when the failover happened (it was
// down or cut off) and came back following the old primary. At most once
// per Lease per node (repoint records when): a standby a failover or a
// switchover has just re-pointed gets that long to report the new term.
func (c *Coordinator) demoteStale(ctx context.Context, view []route.Node, primary string) {
	pterm := termOf(view, primary)
	var stale []string
	now := c.cfg.Now()
	c.fo.mu.Lock()
	for _, v := range view {
		if v.Name == primary || !v.Enabled || !v.Healthy || v.Term >= pterm ||
			v.Role != route.Primary && (v.Role != route.Standby || v.Term == 0) {
			continue
		}
		if at, ok := c.fo.demoted[v.Name]; ok && now.Sub(at) < c.cfg.Failover.Lease {
			continue
		}
		stale = append(stale, v.Name)
	}
	c.fo.mu.Unlock()
	if len(stale) == 0 || !c.busy.TryLock() {
		return
	}
	defer c.busy.Unlock()
	st, err := c.status(ctx, primary)
	if err != nil {
		return
	}
	n, _ := c.node(primary)
	to := nativeAddr(n, st)
	for _, name := range stale {
		c.log.Warn("failover: a node of an older term (a former primary back, or a standby missed by the failover) is pointed at the current primary",
			"node", name, "primary", primary, "term", pterm)
	}
	for _, w := range c.repoint(ctx, stale, primary, to) {
		c.log.Warn("failover: " + w)
	}
	c.refresh(ctx, primary)
}

// conflictOf returns the configuration error of an enabled node, if any:
// with two entries for one node, which standby is which is not known.
func conflictOf(view []route.Node) string {
	for _, v := range view {
		if v.Enabled && v.Conflict != "" {
			return v.Conflict
		}
	}
	return ""
}
