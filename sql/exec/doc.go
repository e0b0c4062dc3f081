// Package exec plans and executes SQL statements against storage
// snapshots. Planning and execution live in one package (there is no
// separate sql/plan): the builder turns a pg_query parse tree into an
// immutable tree of plan nodes with compiled expression closures; Open
// starts the tree against a Txn.
//
// Transactions: a Txn is a storage.Snapshot plus a private overlay of
// pending puts/deletes (read-your-own-writes through a merged iterator).
// Each statement runs under a savepoint of the overlay and is undone if it
// fails. Commit hands the overlay as one storage.Batch (drops, creates, then
// puts/deletes in key order) to the Committer.
//
// Storage layout: see package catalog. Sequences hand out values from
// blocks of 32 reserved by autonomous commits of the "sys.seq" key, so
// concurrent inserts into a SERIAL table do not conflict.
//
// Access paths: equality/range/IN predicates on the leading primary key or
// index columns become key lookups or key-range scans; ORDER BY on the
// primary key uses key order (backward for DESC). EXPLAIN prints
// PostgreSQL-style node names.
package exec
