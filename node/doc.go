// Package node composes one HeliosDB Nano database node: it locks and opens
// the data directory, recovers storage from the WAL, owns the commit path,
// and serves the PostgreSQL protocol and the HTTP API.
//
// # Data directory
//
//	<data-dir>/LOCK      flock held while the node runs (one process per dir)
//	<data-dir>/wal/      WAL segment files (format: package wal)
//	<data-dir>/data.db   bbolt database: the materialised state (package storage)
//
// # Commit path
//
// All writes go through one committer (committer.go), one group at a time:
// conflict check (first committer wins) → WAL append → one fsync per group
// of concurrent commits → storage.Apply, which stores the data and the applied
// LSN in one bbolt transaction → answer the sessions. A commit is
// acknowledged only after its WAL record is durable, so kill -9 at any
// instant loses nothing acknowledged: recovery (replay.go) re-applies every
// WAL record after storage's applied LSN.
//
// # Isolation
//
// PostgreSQL's levels with row locks that wait (sql/lock, sql/exec:
// READ COMMITTED by default, REPEATABLE READ, SERIALIZABLE as PostgreSQL's
// SSI, package ssi; a standby refuses SERIALIZABLE as a hot standby does).
// Locks are in memory on the primary and released only after Commit
// returned, i.e. after the commit is applied and visible: the committer
// must keep answering after storage.Apply. Writes to table and index
// buckets are made under locks and not checked at commit
// (exec.LockProtected); the committer still applies first-committer-wins
// to the rest (catalog, sequences, bucket creation and drops), except
// for a READ COMMITTED transaction (exec.LockedCommitter), whose catalog
// and bucket changes were made under the catalog and table locks on the
// newest state: only its sequence writes are checked. A standby takes no
// locks; a promoted node starts with none; a forwarded transaction runs
// in a session on the primary and locks there.
//
// # Write forwarding
//
// Package forward implements it; forward.go only wires it: every node
// serves the primary's side on its native port, and on a standby with
// --write-forwarding sessions get a forward.Client, which runs writes on
// the primary (in sessions there) and answers once storage has applied
// the commit's LSN here.
package node
