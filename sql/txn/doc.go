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
// Chunks commits those chunks, one in flight while the statement builds
// the next, and keeps the snapshot that holds them (chunks.go), through
// two small interfaces the engine satisfies: Committer and SnapshotSource.
//
// A View (view.go) is the committed state a transaction reads: its
// statements' snapshot, refreshed per statement under READ COMMITTED, and
// the newest snapshot for rows read after locking them.
//
// Row fates (rowfate.go): a transaction records in a FateLog the rows it
// deleted or moved to another key; at commit the engine's Fates registry
// publishes them, so a statement with an older snapshot that then locks
// such a row follows it (or skips it) as PostgreSQL follows a tuple's
// update chain. RowLockKey is a row's name in the lock manager.
//
// The package knows keys, values and buckets, not SQL: it imports only
// storage and lsn. Everything that reaches the engine — which snapshot a read
// goes to, locks, the committer, the catalog — stays with sql/exec's Txn,
// which passes the cursors and names in.
package txn
