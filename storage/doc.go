// Package storage is the materialised state of a HeliosDB Nano node: a
// key/value store on bbolt (go.etcd.io/bbolt).
//
// # Contract
//
// The WAL (package wal, which storage never imports) is the source of truth.
// The node appends a commit's encoded [Batch] to the WAL, fsyncs it, and only
// then calls [DB.Apply] with the LSN at the end of that record. Apply makes
// the batch visible to new Snapshots at once ([DB.AppliedLSN]) but keeps it
// in memory; a background flush writes all pending changes and the applied
// LSN in ONE bbolt transaction (every Config.FlushInterval, or sooner when
// they grow past Config.FlushBytes), so bbolt's fsyncs are paid once per
// flush rather than once per commit group (memtable.go explains why reads
// stay consistent). After a crash the file holds exactly the commits up to
// [DB.DurableLSN]; the node replays WAL records after that LSN, so it must
// keep its WAL back to DurableLSN. Apply is therefore deterministic (the
// same batches on the same state always give the same state) and
// idempotent (Apply with end <= AppliedLSN is a no-op).
//
// bbolt itself always runs with full fsyncs (never NoSync): the file is at
// every moment a consistent prefix of the WAL, even after a power loss.
// Bucket operations and very large batches are written into the file by
// Apply itself, in one durable transaction with everything pending.

// # Data model
//
// Data lives in flat, named buckets (top-level bbolt buckets; nesting is not
// exposed). Bucket names starting with 0x00 are reserved for storage's own
// buckets (see schema.go) and rejected by Apply with [ErrReservedBucket];
// snapshots treat them as missing. Keys are 1..32768 bytes, values up to
// bbolt's MaxValueSize; an empty value is distinct from a missing key.
//
// Reads go through a [Snapshot], a bbolt read transaction: a consistent,
// repeatable view that never blocks and is never blocked by Apply. A
// Snapshot must be closed; [DB.Close] waits for open snapshots.
//
// Node-local key/values ([DB.GetLocal], [DB.SetLocal]: role, term, ...) live
// in a reserved bucket that is not part of the replicated data; they are
// nevertheless included in a base backup (the file is copied whole), so a
// node restoring a backup must overwrite the local keys it cares about.
//
// # Batch encoding (WAL payload)
//
// [Batch.Encode] produces a compact, deterministic byte string. All integers
// are unsigned LEB128 varints (encoding/binary.AppendUvarint):
//
//	batch   = version:byte(=1) count:uvarint op{count}
//	op      = kind:byte bucket
//	          [key]         if kind is Put, Delete or MoveBucket (the source bucket)
//	          [value]       if kind is Put
//	bucket, key, value = len:uvarint bytes{len}
//	kind    = 1 Put | 2 Delete | 3 CreateBucket | 4 DropBucket | 5 MoveBucket
//
// For example a batch holding CreateBucket("t") then Put("t", "k", "v") is
//
//	01 02  03 01 74  01 01 74 01 6b 01 76
//
// [DecodeBatch] rejects an unknown version or kind, a length running past
// the end, a count larger than the input could hold, and trailing bytes,
// with errors wrapping [ErrCorrupt]; it never panics and never retains its
// input. Decoding checks structure only: [Batch.Validate] (also run by
// Apply) checks bucket names, key and value sizes. The node should Validate
// a batch before appending it to the WAL, so that replay cannot fail.
//
// # On-disk metadata
//
// The reserved meta bucket holds the storage format version (checked on
// open: [ErrVersionMismatch]) and the applied LSN, both as 8-byte big-endian
// integers. The reserved merge bucket, present only while a large
// OpMoveBucket is still being written into its bucket, maps that bucket to
// the moved one; the format version is 2 while it exists, so that a binary
// that does not know merges refuses the file (merge.go).
//
// # Concurrency
//
// [DB] is safe for concurrent use. Apply calls are serialised. [Snapshot]
// and [Cursor] are not safe for concurrent use; use one per goroutine.
package storage
