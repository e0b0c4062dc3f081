// Package txn holds a SQL transaction's write set: the pending puts,
// deletes and bucket creations/drops a transaction has made and not yet
// committed, read back through it (read-your-own-writes) and committed as
// one storage.Batch.
//
// A WriteSet keeps, per bucket, the pending entries (a value or a
// deletion), whether the transaction created or dropped the bucket, and
// an undo log: Savepoint marks a position, RollbackTo undoes every change
// after it (statement-level rollback and SQL savepoints both use it).
// Bulk statements (COPY, ALTER TABLE rewrites) run under Bulk, which
// skips the undo records unless the transaction has savepoints, and
// poisons the write set when they fail after unlogged writes.
//
// Batch renders the write set for the committer: drops, creates, the
// moves of shadow buckets (storage.OpMoveBucket), then puts and deletes
// in bucket and key order. Iter merges a bucket's pending entries with a
// Cursor over its committed state, forward or backward over a key range;
// DualCursor is that committed state for a bucket with a shadow.
//
// Bounded memory for bulk loads (the policy lives in sql/exec's stage.go
// and copy.go; the write set keeps the state): Stage takes the writes of
// buckets private to the transaction out of the write set as a chunk, a
// commit of its own, after which the bucket is Staged and read from a
// newer snapshot; and it moves the puts of shared buckets into shadow
// buckets no catalog names (shadow.go), which the final Batch moves in.
//
// The package knows keys, values and buckets, not SQL: it imports only
// storage. Everything that reaches the engine — which snapshot a read
// goes to, locks, the committer, the catalog — stays with sql/exec's Txn,
// which passes the cursors and names in.
package txn
