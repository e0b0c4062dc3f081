package cluster

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"strconv"
	"time"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
)

// Lease bounds what a grant may ask.
const (
	MinLease = 100 * time.Millisecond
	MaxLease = 5 * time.Minute
)

// Errors of the transitions.
var (
	// ErrLeaseRefused: the node does not take a lease (not a primary,
	// fenced, a stale term, a bad duration).
	ErrLeaseRefused = errors.New("lease refused")
	// ErrNotSeeded: a standby that never received a base backup has no
	// cluster or history to promote.
	ErrNotSeeded = errors.New("this standby has never been seeded from a primary; there is nothing to promote")
	// ErrBadPrimary: a demotion without a usable primary address.
	ErrBadPrimary = errors.New("demote needs the new primary's host and native port")
)

// State is a node's place in its cluster. The zero value is a standby
// that follows nothing and has never joined a cluster. Treat it as
// immutable: transitions return a new State and never share the History
// or Peers of the receiver with it.
type State struct {
	Role hastate.Role
	// PrimaryHost and PrimaryPort are the native address of the primary
	// a standby follows ("" and 0 on a primary).
	PrimaryHost string
	PrimaryPort int
	ClusterID   string              // "" until founded or seeded
	History     replication.History // term history; empty until founded or seeded
	// Leased: this primary needs a failover lease to accept writes.
	Leased bool
	// Peers are the native addresses of the nodes seen (node id →
	// host:port): standbys that connected, the primary followed before a
	// promotion.
	Peers map[string]string
	// FencedTerm is a newer term seen elsewhere while primary (0 = not
	// fenced), learned from FencedBy. Persisted: a fenced primary stays
	// fenced across restarts until it is demoted.
	FencedTerm uint64
	FencedBy   string

	// Volatile: not persisted.
	LeaseUntil  time.Time // when the current lease lapses (zero: none granted since start)
	LeaseHolder string
}

// Initial is the state a node starts with on a data dir that records
// none: the role and primary from its flags.
func Initial(role hastate.Role, primaryHost string, primaryPort int) State {
	if role == hastate.Primary {
		primaryHost, primaryPort = "", 0
	}
	return State{Role: role, PrimaryHost: primaryHost, PrimaryPort: primaryPort}
}

// Term is the current term (0 before the node joined a cluster).
func (s State) Term() uint64 { return s.History.Term() }

// PrimaryAddr is the native address of the followed primary ("" if none).
func (s State) PrimaryAddr() string {
	if s.PrimaryHost == "" {
		return ""
	}
	return net.JoinHostPort(s.PrimaryHost, strconv.Itoa(s.PrimaryPort))
}

// Fenced reports whether this primary knows a newer term exists.
func (s State) Fenced() bool { return s.Role == hastate.Primary && s.FencedTerm > 0 }

// clone copies the slices and maps a transition may change.
func (s State) clone() State {
	s.History = append(replication.History(nil), s.History...)
	s.Peers = maps.Clone(s.Peers)
	return s
}

// newRole is s with role and primary changed and everything tied to the
// old role (lease, fencing) reset.
func (s State) newRole(role hastate.Role, host string, port int) State {
	s = s.clone()
	s.Role, s.PrimaryHost, s.PrimaryPort = role, host, port
	s.Leased, s.LeaseUntil, s.LeaseHolder = false, time.Time{}, ""
	s.FencedTerm, s.FencedBy = 0, ""
	return s
}

// Found makes a primary that has no cluster id (a new cluster, or a data
// dir from before replication) the founder of cluster id, at term 1 from
// the start of the WAL. ok is false (and s returned) when there is nothing
// to found: a standby, or a node that has a cluster id.
func (s State) Found(id string) (next State, ok bool) {
	if s.Role != hastate.Primary || s.ClusterID != "" || id == "" {
		return s, false
	}
	s = s.clone()
	s.ClusterID, s.History = id, replication.History{{Term: 1, Start: 0}}
	return s, true
}

// Promote makes a standby the primary of a new term, which starts at
// start (the end of its WAL): its own term + 1, or minTerm when that is
// higher. minTerm is what the promoter knows to be above every term in
// use (heliosdb-proxy: every term it has seen, + 1); a standby that
// missed a promotion would otherwise take a term another node holds, and
// two primaries of one term do not fence each other. The history may
// then skip terms: terms only have to increase. It does not apply to a
// primary (see LiftLease).
func (s State) Promote(start lsn.LSN, minTerm uint64) (State, error) {
	term := max(s.Term()+1, minTerm)
	switch {
	case s.Role != hastate.Standby:
		return s, fmt.Errorf("cluster: promote: %s is not a standby", s.Role)
	case s.ClusterID == "":
		return s, ErrNotSeeded
	case len(s.History) > 0 && start < s.History[len(s.History)-1].Start:
		return s, fmt.Errorf("cluster: promote: term %d would start at %s, before term %d (%s)", term, start, s.Term(), s.History[len(s.History)-1].Start)
	}
	next := s.newRole(hastate.Primary, "", 0)
	next.History = append(next.History, replication.TermStart{Term: term, Start: start})
	return next, nil
}

// LiftLease lifts a primary's lease requirement (promote on a primary:
// the operator takes it out of the proxy's care).
func (s State) LiftLease() State {
	s.Leased = false
	return s
}

// Demote makes the node a standby of the primary at host:port (its native
// port); on a standby it re-points it.
func (s State) Demote(host string, port int) (State, error) {
	if host == "" || port <= 0 || port > 65535 {
		return s, ErrBadPrimary
	}
	return s.newRole(hastate.Standby, host, port), nil
}

// Leaseable checks that s is the unfenced primary of term (nodeID names
// the node in the error).
func (s State) Leaseable(nodeID string, term uint64) error {
	switch {
	case s.Role != hastate.Primary:
		return fmt.Errorf("%w: %s is a standby", ErrLeaseRefused, nodeID)
	case s.FencedTerm > 0:
		return fmt.Errorf("%w: %s is fenced (term %d exists)", ErrLeaseRefused, nodeID, s.FencedTerm)
	case term != s.Term():
		return fmt.Errorf("%w: %s is primary of term %d, not %d", ErrLeaseRefused, nodeID, s.Term(), term)
	}
	return nil
}

// GrantLease extends the lease of the unfenced primary of term to d from
// now, for holder, and makes the lease a requirement from then on.
// notAfter, when not zero, is when the holder's grant expires by the
// holder's clock (its send time plus d): the lease ends then at the
// latest, and a grant that arrives after it is refused. A grant can
// arrive late — read from the socket by a primary waking from a pause
// after the holder gave up on it and promoted another node — and must not
// extend the lease past what the holder counts on.
func (s State) GrantLease(nodeID string, term uint64, now time.Time, d time.Duration, holder string, notAfter time.Time) (State, error) {
	if d < MinLease || d > MaxLease {
		return s, fmt.Errorf("%w: duration_ms must be between %d and %d", ErrLeaseRefused, MinLease.Milliseconds(), MaxLease.Milliseconds())
	}
	if err := s.Leaseable(nodeID, term); err != nil {
		return s, err
	}
	until := now.Add(d)
	if !notAfter.IsZero() && notAfter.Before(until) {
		if !notAfter.After(now) {
			return s, fmt.Errorf("%w: the grant expired %s before it arrived", ErrLeaseRefused, now.Sub(notAfter).Round(time.Millisecond))
		}
		until = notAfter
	}
	s.LeaseUntil, s.LeaseHolder, s.Leased = until, holder, true
	return s, nil
}

// LeaseLapsed reports whether s needs a lease and has none at now, and
// since when (0 when none was granted since the start).
func (s State) LeaseLapsed(now time.Time) (bool, time.Duration) {
	if !s.Leased || s.Role != hastate.Primary || now.Before(s.LeaseUntil) {
		return false, 0
	}
	if s.LeaseUntil.IsZero() {
		return true, 0
	}
	return true, now.Sub(s.LeaseUntil)
}

// Fence makes a primary refuse writes because term, newer than its own,
// exists elsewhere (learned from by). ok is false when it changes nothing:
// not a primary, or not a newer term than known.
func (s State) Fence(term uint64, by string) (next State, ok bool) {
	if s.Role != hastate.Primary || term <= s.Term() || term <= s.FencedTerm {
		return s, false
	}
	s.FencedTerm, s.FencedBy = term, by
	return s, true
}

// Writable reports whether the node accepts writes at now.
func (s State) Writable(now time.Time) bool {
	ro, _ := s.ReadOnly("", now)
	return !ro
}

// ReadOnly reports whether the node refuses writes at now, and the hint
// that tells the client why (nodeID names this node).
func (s State) ReadOnly(nodeID string, now time.Time) (bool, string) {
	if lapsed, since := s.LeaseLapsed(now); lapsed {
		holder := s.LeaseHolder
		if holder == "" {
			holder = "heliosdb-proxy"
		}
		return true, fmt.Sprintf("This node (%s) is primary of term %d under a failover lease from %s that lapsed %s ago, so another node may be promoted: it refuses writes until the lease is renewed (heliosdb-nano promote on this node lifts the requirement).",
			nodeID, s.Term(), holder, since.Round(time.Millisecond))
	}
	switch {
	case s.Fenced():
		return true, fmt.Sprintf("This node (%s) was primary of term %d, but %s has seen term %d: it is fenced. Demote it to follow the new primary.", nodeID, s.Term(), s.FencedBy, s.FencedTerm)
	case s.Role != hastate.Primary:
		return true, fmt.Sprintf("This node (%s) is a standby of %s; send writes to the primary or through heliosdb-proxy.", nodeID, s.PrimaryAddr())
	}
	return false, ""
}

// Standing tells synchronous replication whether a degradation to async
// may release waiting commits (replication.Standing): never on a node
// that is not an unfenced primary; under a failover lease only with the
// holder's approval and while the lease holds; otherwise on sync-timeout.
func (s State) Standing(now time.Time) replication.Standing {
	switch {
	case s.Role != hastate.Primary || s.FencedTerm > 0:
		return replication.Standing{Policy: replication.DegradeNever}
	case s.Leased:
		lapsed, _ := s.LeaseLapsed(now)
		return replication.Standing{Policy: replication.DegradeApproved, LeaseLapsed: lapsed}
	}
	return replication.Standing{Policy: replication.DegradeOnTimeout}
}

// AdoptHistory records the term history of the primary a standby follows.
func (s State) AdoptHistory(h replication.History) (State, error) {
	if err := h.Validate(); err != nil {
		return s, err
	}
	s = s.clone()
	s.History = append(replication.History(nil), h...)
	return s, nil
}

// AddPeer records a peer's native address. ok is false when it changes
// nothing (already known, incomplete, or self).
func (s State) AddPeer(self, nodeID, addr string) (next State, ok bool) {
	if nodeID == "" || addr == "" || nodeID == self || s.Peers[nodeID] == addr {
		return s, false
	}
	s = s.clone()
	if s.Peers == nil {
		s.Peers = map[string]string{}
	}
	s.Peers[nodeID] = addr
	return s, true
}

// Reseeded is s after a base backup whose node-local state is backup: the
// cluster id, term history and peers come from the backup (the cluster
// this node joined and the history of the WAL it now holds); the role and
// primary stay this node's own, without lease or fencing.
func (s State) Reseeded(backup State) State {
	next := s.newRole(s.Role, s.PrimaryHost, s.PrimaryPort)
	next.ClusterID = backup.ClusterID
	next.History = append(replication.History(nil), backup.History...)
	next.Peers = maps.Clone(backup.Peers)
	return next
}
