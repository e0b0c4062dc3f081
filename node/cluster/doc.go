// Package cluster is a node's place in its cluster as one value: its role,
// the primary it follows, the cluster id, the term history, the failover
// lease, fencing and the peers it has seen. State is a plain value; its
// transitions (Promote, Demote, GrantLease, Fence, LiftLease, AdoptHistory,
// AddPeer, Reseeded, …) return the next value or an error and do no I/O.
// The node keeps the current State, runs a transition, persists the
// result when its durable part changed, and only then makes it current.
//
// # Durable and volatile parts
//
// Record is what survives a restart: role, followed primary, whether a
// primary needs a failover lease, cluster id, term history, peers and the
// fencing (a newer term seen elsewhere, and who said so). It is stored as
// one JSON value under the node-local key "cluster" (storage's local
// bucket), written in one bbolt transaction, so a transition is on disk
// entirely or not at all: there is no crash point inside one. A fenced
// primary therefore stays fenced across a restart, even when none of its
// peers answers the start-up peer check, until it is demoted (which
// clears the fence in the same write as the new role). Only the lease's
// expiry and holder are volatile: a restarted leased primary waits for a
// new grant. A restarted primary still asks its peers their terms before
// it serves (node's peer check), which fences it if it missed a failover
// while down.
//
// # Migration
//
// Before this package, the same facts were four keys written by separate
// transactions: "role" (role, primary_host, primary_port, leased),
// "cluster_id", "term_history" (JSON list of {term, start_lsn}) and
// "peers" (JSON object node id → native address). Decode reads them when
// "cluster" is absent (OldKeys lists them); the node then writes the record
// and deletes them in one transaction. A promotion used to write the term
// history and then the role in separate transactions: a crash in between
// left a standby whose history already has the new term; it loads as
// exactly that (the old code loaded it the same way), and the primary it
// follows re-seeds it (its history diverged).
//
// A base backup carries the primary's node-local values: a re-seeded
// standby takes the cluster id, term history and peers from it and keeps
// its own role and primary (Reseeded).
package cluster
