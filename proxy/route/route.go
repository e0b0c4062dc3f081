package route

import (
	"slices"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
)

// Role is what a node says it is.
type Role uint8

// Roles. Unknown: never probed successfully, or an unexpected answer.
const (
	Unknown Role = iota
	Primary
	Standby
)

func (r Role) String() string {
	switch r {
	case Primary:
		return "primary"
	case Standby:
		return "standby"
	}
	return "unknown"
}

// ParseRole maps a node's reported role to a Role.
func ParseRole(r hastate.Role) Role {
	switch r {
	case hastate.Primary:
		return Primary
	case hastate.Standby:
		return Standby
	}
	return Unknown
}

// Node is the routing view of one node.
type Node struct {
	Name     string
	Role     Role
	Term     uint64
	Healthy  bool
	Enabled  bool
	LagBytes int64
	// Held: a planned switchover is moving the primary role away from this
	// node. While it is the primary, statements that need the primary wait
	// (ReasonSwitchover); reads and open transactions are not affected.
	Held bool
	// AppliedLSN is how far the node has applied the WAL, as last reported.
	AppliedLSN lsn.LSN
	// Conflict is a configuration error (another configured node is the
	// same node); "" when none. Routing ignores it; switchover and
	// failover refuse to act on it.
	Conflict string
}

// Consistency is the read consistency (proxy.read_consistency).
type Consistency uint8

// Consistency levels. With ConsistencyEventual and ConsistencySession,
// Policy.ReadYourWrites decides whether a session that wrote reads from
// the primary.
const (
	ConsistencyEventual Consistency = iota
	ConsistencySession
	// ConsistencyCausal: a read goes to a node that has applied
	// Session.MinLSN (the primary as well), or to the primary after a wait.
	ConsistencyCausal
)

// Policy holds the configured routing knobs.
type Policy struct {
	ReadFromPrimary bool
	ReadYourWrites  bool
	MaxLagBytes     int64 // 0: no bound
	Consistency     Consistency
}

// Session is the routing state of one client session.
type Session struct {
	TxNode     string // node of the open transaction, "" when none
	ReadNode   string // sticky read node, "" when none
	LastNode   string // node of the previous statement
	Wrote      bool   // the session has written (read-your-writes)
	PinPrimary bool   // temporary objects: everything on the primary
	// Causal reads, set by the caller for each statement: MinLSN is the
	// last commit LSN acknowledged to any client when the statement
	// arrived; CausalWaitOver says the wait for a standby to apply it
	// (causal_wait_ms) is over.
	MinLSN         lsn.LSN
	CausalWaitOver bool
}

// Kind is a statement's routing kind (see proxy/classify).
type Kind uint8

// Kinds.
const (
	Any Kind = iota
	Read
	Write
)

// Reasons for a decision: stable words for logs and metric labels.
const (
	ReasonTransaction  = "transaction"
	ReasonPrimary      = "primary"
	ReasonPinned       = "pinned-primary"
	ReasonReadYourOwn  = "read-your-writes"
	ReasonSticky       = "sticky"
	ReasonRoundRobin   = "round-robin"
	ReasonFallback     = "primary-fallback"
	ReasonSameBackend  = "same-backend"
	ReasonNoPrimary    = "no-primary"
	ReasonSplitPrimary = "conflicting-primaries"
	ReasonNoNode       = "no-healthy-node"
	ReasonSwitchover   = "switchover"
	// Causal reads: another standby than the round-robin pick has applied
	// MinLSN; none has yet (wait); the wait is over (the primary).
	ReasonCausal        = "causal-standby"
	ReasonCausalWait    = "causal-wait"
	ReasonCausalPrimary = "causal-primary"
)

// Decision is where to run a statement. Node is "" when the caller must
// wait (Wait) for the view to change.
type Decision struct {
	Node   string
	Reason string
}

// Wait reports whether no node can take the statement now.
func (d Decision) Wait() bool { return d.Node == "" }

// Decide picks the node for a statement of kind k. rr is the round-robin
// position; the caller advances it when Reason is ReasonRoundRobin.
func Decide(p Policy, nodes []Node, s Session, k Kind, rr uint64) Decision {
	if s.TxNode != "" {
		return Decision{s.TxNode, ReasonTransaction}
	}
	primary, why := CurrentPrimary(nodes)
	if s.PinPrimary || k == Write {
		reason := ReasonPrimary
		if k != Write {
			reason = ReasonPinned
		}
		if primary == "" {
			return Decision{"", why}
		}
		if held(nodes, primary) {
			return Decision{"", ReasonSwitchover}
		}
		return Decision{primary, reason}
	}
	if k == Any && s.LastNode != "" && usable(nodes, s.LastNode) {
		return Decision{s.LastNode, ReasonSameBackend}
	}
	if p.Consistency == ConsistencyCausal {
		return decideCausal(p, nodes, s, primary, rr)
	}
	if s.Wrote && p.ReadYourWrites && primary != "" {
		return Decision{primary, ReasonReadYourOwn}
	}
	var buf [8]string // candidates without an allocation for up to 8 nodes
	cands := candidates(buf[:0], p, nodes, primary)
	for _, n := range cands {
		if n == s.ReadNode {
			return Decision{n, ReasonSticky}
		}
	}
	if len(cands) > 0 {
		return Decision{cands[rr%uint64(len(cands))], ReasonRoundRobin}
	}
	if primary != "" {
		return Decision{primary, ReasonFallback}
	}
	return Decision{"", ReasonNoNode}
}

// CurrentPrimary returns the current primary: the enabled, healthy node reporting
// role primary with the highest term. With none, or two sharing the
// highest term, it returns "" and why. A primary whose term is below a
// term any node has reported (a newer primary that is down now, or a
// standby that follows it) is not current: it is an old primary back
// from a crash or a partition, fenced, and its data may miss commits the
// newer primary acknowledged — neither reads nor writes go there.
func CurrentPrimary(nodes []Node) (name, why string) {
	var newest uint64
	for _, n := range nodes {
		newest = max(newest, n.Term)
	}
	var best *Node
	split := false
	for i := range nodes {
		n := &nodes[i]
		if !n.Enabled || !n.Healthy || n.Role != Primary || n.Term < newest {
			continue
		}
		switch {
		case best == nil || n.Term > best.Term:
			best, split = n, false
		case n.Term == best.Term:
			split = true
		}
	}
	switch {
	case best == nil:
		return "", ReasonNoPrimary
	case split:
		return "", ReasonSplitPrimary
	}
	return best.Name, ""
}

// candidates lists the nodes that may serve round-robin reads, in the
// order given.
func candidates(out []string, p Policy, nodes []Node, primary string) []string {
	for _, n := range nodes {
		switch {
		case !n.Enabled || !n.Healthy || n.Role == Unknown:
		case n.Role == Primary && (n.Name != primary || !p.ReadFromPrimary):
			// A primary that is not the current one (stale term) is skipped too.
		case n.Role == Standby && p.MaxLagBytes > 0 && n.LagBytes > p.MaxLagBytes:
		default:
			out = append(out, n.Name)
		}
	}
	return out
}

func held(nodes []Node, name string) bool {
	for _, n := range nodes {
		if n.Name == name {
			return n.Held
		}
	}
	return false
}

func usable(nodes []Node, name string) bool {
	for _, n := range nodes {
		if n.Name == name {
			return n.Enabled && n.Healthy
		}
	}
	return false
}

// decideCausal routes a read that must see s.MinLSN. Its first choice
// is as for other reads: the sticky node while it is a candidate, else
// the round-robin pick. If that node has applied MinLSN (the primary
// too may not have yet: a standby can show a sync commit a moment before
// the primary's release makes it visible there) it gets the read; else
// another standby that has;
// else the read waits (ReasonCausalWait) for a standby to catch up until
// s.CausalWaitOver, then goes to the primary. A session stays with its
// sticky standby across such waits, so sessions spread over the nodes as
// with eventual reads. The session's own writes need no rule: their
// commits are at or below MinLSN.
func decideCausal(p Policy, nodes []Node, s Session, primary string, rr uint64) Decision {
	var buf [8]string // candidates without an allocation for up to 8 nodes
	cands := candidates(buf[:0], p, nodes, primary)
	byName := make(map[string]*Node, len(nodes))
	for i := range nodes {
		byName[nodes[i].Name] = &nodes[i]
	}
	// The primary too: in sync mode it makes a commit visible only once a
	// sync standby flushed it, and a standby may apply it (and show it to a
	// read) a moment before the primary's release.
	caughtUp := func(name string) bool { return byName[name].AppliedLSN >= s.MinLSN }
	standbys := false
	if len(cands) > 0 {
		first, reason := int(rr%uint64(len(cands))), ReasonRoundRobin
		if i := slices.Index(cands, s.ReadNode); i >= 0 {
			first, reason = i, ReasonSticky
		}
		if caughtUp(cands[first]) {
			return Decision{cands[first], reason}
		}
		for j := 1; j <= len(cands); j++ {
			c := cands[(first+j)%len(cands)]
			if byName[c].Role == Standby {
				standbys = true
				if caughtUp(c) && j < len(cands) {
					return Decision{c, ReasonCausal}
				}
			}
		}
	}
	switch {
	case standbys && !s.CausalWaitOver:
		return Decision{"", ReasonCausalWait}
	case primary != "":
		return Decision{primary, ReasonCausalPrimary}
	case standbys:
		return Decision{"", ReasonNoPrimary} // nobody can prove it has MinLSN: wait for a primary
	}
	return Decision{"", ReasonNoNode}
}
