// Package exec plans and executes SQL statements against storage
// snapshots. The builder binds a pg_query parse tree and compiles its
// expressions into typed closures, asks package sql/plan (imported as
// planner) for the decisions — access paths, join order and algorithms,
// what each ORDER BY / GROUP BY / DISTINCT ON item names and the order of
// a SELECT's output operators — and builds an immutable tree of plan nodes
// that carry them out; Open starts the tree against a Txn. See sql/plan's
// doc.go for the layout, and docs/architecture.md for the target (exec
// keeps the iterators; binding, types and the logical plan move to
// sql/plan, transactions to their own package) and the order of the moves.
//
// Transactions: a Txn is a storage.Snapshot plus a private write set of
// pending puts/deletes (package sql/txn's WriteSet; read-your-own-writes
// through its merged iterator, txn.Iter). Each statement runs under a
// savepoint of the write set and is undone if it fails; SQL savepoints
// (savepoint.go) mark the write set's undo log and the lock manager's
// grant log and roll both back. Commit hands the write set as one
// storage.Batch (drops, creates, then puts/deletes in key order) to the
// Committer.
//
// Isolation and locks (txn.go, rowlock.go, serializable.go): READ
// COMMITTED moves the Txn to a fresh snapshot at each statement; writers
// lock rows and unique keys in package lock's manager until the Txn ends,
// then compare the version they read with the newest committed one (a
// changed row is re-checked against the WHERE clause under READ
// COMMITTED, a 40001 under REPEATABLE READ and SERIALIZABLE), so writes to
// table and index buckets need no commit-time conflict check
// (LockProtected). A statement that changes the catalog takes the catalog
// lock first, so DDL transactions queue instead of failing at commit
// (catlock.go). SERIALIZABLE is PostgreSQL's SSI (serializable.go over
// package ssi): scans report the key ranges they read, writes the keys
// they write, and the transaction completing a dangerous structure of
// rw-conflicts fails with 40001.
//
// Storage layout: see package catalog. Sequences hand out values from
// blocks of 32 reserved by autonomous commits of the "sys.seq" key, so
// concurrent inserts into a SERIAL table do not conflict.
//
// Views (view.go, viewdml.go) are stored as their deparsed SELECT and
// expanded where they are named; DML on a simple view is rewritten onto its
// table. WITH queries (cte.go) are planned where they are named, WITH
// RECURSIVE as a streaming recursivePlan. Window functions (window.go binds,
// windowexec.go computes) run above GROUP BY/HAVING, one sorted pass per
// window definition. Set-returning functions: srf.go (FROM), srfproject.go
// (select list).
//
// Access paths (chosen by planner.ChooseAccess): equality/range/IN
// predicates on the leading primary key or index columns become key
// lookups or key-range scans; ORDER BY on the
// primary key uses key order (backward for DESC). EXPLAIN prints
// PostgreSQL-style node names.
package exec
