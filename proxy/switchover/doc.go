// Package switchover moves the primary role: from the current primary to
// a chosen standby without a client error (the proxy's planned
// switchover, POST /switchover on the admin API, DESIGN.md section 6),
// and from a primary that went silent to the standby that holds every
// acknowledged commit (automatic failover under a lease, failover.go and
// docs/replication.md "Automatic failover").
//
// # Procedure
//
// Coordinator.Run(ctx, target) does, in order:
//
//  1. Plan (nothing changes yet): the target is a configured, enabled,
//     healthy node; the proxy's view names a current primary other than
//     it; GET /status on both says the old primary is "primary" and the
//     target a "standby" that is connected and listed among the old
//     primary's standbys as streaming or catching up. The target's native
//     (replication) address is its configured native_port on its host,
//     else the native_address it advertises in its topology, else port
//     5433.
//  2. Hold: Gate.Hold(old) makes new writes and new transactions wait at
//     the routing layer (reads and open transactions go on), then the
//     coordinator waits up to DrainTimeout until no write and no
//     transaction is running on the old primary. Timing out releases the
//     hold and fails with ErrRejected: nothing was changed.
//  3. Demote the old primary towards the target (POST /admin/demote): it
//     refuses new writes, finishes commits in flight and hands its WAL
//     tail to its standbys, then follows the target.
//  4. Wait until the target's applied_lsn reaches the old primary's last
//     current_lsn (bounded by StepTimeout).
//  5. Promote the target (POST /admin/promote): a new term.
//  6. Re-point every other enabled standby at the target (POST
//     /admin/demote on a standby), and the old primary once more if its
//     stream to the target is not up yet (this restarts its reconnect
//     backoff); failures here are warnings in the Result.
//  7. Cluster.Refresh: probe every node at once so routing sees the new
//     primary, then release the hold. Held writes run on the new primary.
//
// The write pause reported is the time from Hold to release.
//
// # Failures
//
// Before the demotion every failure is ErrRejected (or ErrUnknownNode,
// ErrBusy) and leaves the cluster as it was. If the demotion request
// fails but the old primary still says it is the primary, that is
// ErrRejected too. After it, a failure is ErrFailed: when the target is
// still a standby, the coordinator rolls back (promotes the old primary
// again, in a new term, and points the target and the other standbys at
// it) and says so; when the target's state is unknown it does not guess,
// so that two primaries never share a term, and the error says what to do
// by hand. Steps after the demotion run to completion even if ctx ends.
//
// # Concurrency
//
// One switchover runs at a time per Coordinator (ErrBusy otherwise); a
// failover or the demotion of a returning old primary needs the same lock
// and skips its turn (retrying at the next renewal) while one runs. The
// node API is reached only through NodeAPI (HTTPNodes speaks the nodes'
// HTTP API); the proxy's view and its write gate only through Cluster and
// Gate, so the sequence is tested with fakes.
package switchover
