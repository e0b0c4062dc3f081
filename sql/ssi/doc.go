// Package ssi is serializable snapshot isolation as PostgreSQL runs it
// (src/backend/storage/lmgr/predicate.c): SIREAD locks, rw-antidependency
// tracking between concurrent SERIALIZABLE transactions, and the abort of
// a transaction that would complete a dangerous structure
//
//	T1 -rw-> T2 -rw-> T3, T3 the first of the three to commit
//
// (T1 may be T3). A Manager is the in-memory state of one primary; it
// knows nothing of SQL: a transaction reports what it reads as key ranges
// of storage buckets (Read) and what it writes as keys (Write), and the
// Manager flags a conflict R -rw-> W when R read a key W wrote and neither
// saw the other's effect, whichever came first.
//
// Granularity: a caller locks a key range [lo, hi) for a primary-key or
// index lookup or range scan, a single key for a row fetched through an
// index, and the whole bucket (lo = hi = nil) for a full scan — the
// relation lock PostgreSQL takes for a sequential scan. More than
// Limits.LocksPerBucket ranges of one transaction in one bucket are
// promoted to a lock of the whole bucket, and more than
// Limits.WritesPerBucket written keys to a write of the whole bucket, so
// a transaction's footprint is bounded by the number of buckets it
// touches.
//
// Lifetime: a transaction is registered by Begin and leaves by Commit or
// Abort. A committed transaction's locks and conflicts are kept while a
// transaction that overlapped it is still running, then dropped. Past
// Limits.MaxCommitted kept transactions the oldest are summarised, as
// PostgreSQL's OldCommittedSxact: their reads and writes survive per
// bucket with the newest commit sequence number, and the conflicts of the
// running transactions with them become the summary-conflict flags.
//
// Read-only transactions: a READ ONLY transaction whose snapshot no
// concurrent read-write transaction can make unsafe stops being tracked
// (a safe snapshot); WaitSafe waits for that, for READ ONLY DEFERRABLE.
//
// Errors are PostgreSQL's: 40001 "could not serialize access due to
// read/write dependencies among transactions" with its "Reason code: …"
// detail. Every method is safe for concurrent use; the methods of one Xact
// are called by one goroutine at a time.
package ssi
