// Package route is the proxy's routing policy as a pure function: given
// the nodes as the health checker sees them, the session's pins and the
// statement's kind, Decide names the node to use, or says to wait for one.
// It does no I/O and keeps no state; the round-robin position is passed in.
//
// # Rules (DESIGN.md section 6)
//
//   - A session inside a transaction stays on the transaction's node,
//     whatever its health (a lost node fails the transaction; it is never
//     silently moved).
//   - The primary is discovered, never configured: among enabled, healthy
//     nodes that report role "primary", the one with the highest term. Two
//     at the same highest term is a split brain: no primary (writes wait)
//     rather than a guess.
//   - Write → the primary; none → Wait.
//   - A session that created a temporary object goes to the primary for
//     everything (PinPrimary).
//   - While the primary is Held (a planned switchover is taking the role
//     away from it), writes and PinPrimary sessions Wait
//     (ReasonSwitchover); transactions already open continue on their
//     node and reads are routed as usual, the held primary included.
//   - Read → after a write in this session with ReadYourWrites, the
//     primary while it is healthy; else the session's sticky read node
//     while it stays a candidate; else round robin over candidates.
//     Candidates are enabled, healthy nodes with a known role, minus the
//     primary when ReadFromPrimary is off, minus standbys lagging more
//     than MaxLagBytes. No candidate → the primary; no primary → Wait.
//   - Causal reads (Policy.Consistency == ConsistencyCausal, replacing the
//     ReadYourWrites rule): the first choice (sticky node, else round robin)
//     serves the read if it has applied Session.MinLSN (the current
//     primary always has); else another standby that has (ReasonCausal);
//     else Wait (ReasonCausalWait) until the caller sets
//     Session.CausalWaitOver, then the primary (ReasonCausalPrimary).
//   - Any → the session's last node if it is still usable, else as Read.
package route
