// Package causal gives heliosdb-proxy what read_consistency = "causal"
// routes by: the last commit LSN the proxy acknowledged to any client
// (Tracker), and how far each node has applied the WAL (Watcher).
//
// # Commit LSNs
//
// The proxy opens its node connections with the startup parameter
// helios.report_commit_lsn = on; a node then reports the end LSN of each
// commit that wrote something as the ParameterStatus helios.commit_lsn,
// before the ReadyForQuery that completes the commit. The proxy records it
// (Tracker.Observe) before it relays that ReadyForQuery, so a commit is in
// the Tracker before any client can know it happened. A read captures
// Tracker.Acked when it arrives: the LSN it must see.
//
// # Applied LSNs
//
// A Watcher keeps one connection per node and asks it, only while some
// read needs more than the node is known to have applied (Need),
// SELECT helios_wait_for_applied_lsn(lsn, timeout_ms): the node answers as
// soon as storage has applied lsn (a wait woken by the apply, not a poll),
// or at the timeout with what it has. Each answer is published (Applied)
// and wakes waiting reads (Changed). A node that cannot be reached is
// retried after a backoff. Applied LSNs are only ever taken as lower
// bounds of what a node has applied within its current term.
//
// # Concurrency
//
// All methods are safe for concurrent use; Start runs one goroutine per
// node until Close.
package causal
