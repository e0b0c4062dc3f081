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
// All writes go through one committer goroutine (committer.go): conflict
// check (first committer wins) → WAL append → one fsync per group of
// concurrent commits → storage.Apply, which stores the data and the applied
// LSN in one bbolt transaction → answer the sessions. A commit is
// acknowledged only after its WAL record is durable, so kill -9 at any
// instant loses nothing acknowledged: recovery (replay.go) re-applies every
// WAL record after storage's applied LSN.
//
// # Isolation
//
// Every transaction reads one bbolt snapshot (snapshot isolation, which is
// PostgreSQL's REPEATABLE READ behaviour) and buffers its writes. At commit,
// a transaction that writes a key some other transaction committed after
// its snapshot fails with 40001; an autocommit statement is retried by the
// session, an explicit transaction gets the error.
//
// # Write forwarding
//
// forward.go joins sql/session and the replication transport: on a standby
// with --write-forwarding, sessions run writes on the primary (which runs
// them in its own sessions) and answer once storage has applied the
// commit's LSN here. Every node serves the primary's side.
package node
