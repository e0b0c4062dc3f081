package exec

import (
	"context"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/ssi"
	"github.com/heliosdb/nano/storage"
)

// SERIALIZABLE is serializable snapshot isolation as PostgreSQL runs it
// (package ssi): a SERIALIZABLE transaction reports the key ranges it
// reads (scanPlan.startAt: a range of the primary key or of an index, the
// row fetched through an index, or the whole table bucket for a full
// scan) and the keys it writes (writeRow, deleteRow, putIndexEntry); the
// engine's ssi.Manager flags the rw-conflicts between concurrent
// SERIALIZABLE transactions and fails, with 40001, the one that would
// complete a dangerous structure. Other isolation levels never call it.
// The Manager lives in memory on the primary; a standby refuses
// SERIALIZABLE (the session, as PostgreSQL's hot standby).

// beginSerializable registers t with the SSI manager, taking its snapshot
// under the manager's lock. READ ONLY DEFERRABLE waits for a safe
// snapshot, retaking it while the one it got turns out unsafe.
func (e *Engine) beginSerializable(ctx context.Context, t *Txn, deferrable bool) error {
	for {
		var snap *storage.Snapshot
		x, err := e.ssi.Begin(e.xids.Add(1), t.pid, t.readOnly, func() error {
			var err error
			snap, err = e.cfg.Snapshots.Snapshot()
			return err
		})
		if err != nil {
			return err
		}
		t.view.Start(e.cfg.Snapshots, snap)
		t.writeLSN = snap.AppliedLSN()
		if !deferrable || !t.readOnly || x == nil {
			t.ssx = x
			return nil
		}
		if safe, err := e.waitSafe(ctx, x); err != nil || safe {
			if err != nil {
				x.Abort()
				_ = snap.Close()
			}
			return err
		}
		x.Abort()
		_ = snap.Close()
	}
}

// waitSafe waits for x's snapshot to be found safe or unsafe (while it
// waits, pg_stat_activity shows IPC / SafeSnapshot, as PostgreSQL).
func (e *Engine) waitSafe(ctx context.Context, x *ssi.Xact) (bool, error) {
	safe, err := x.WaitSafe(ctx)
	if err != nil {
		if pgerror.As(err) == nil {
			err = pgerror.Wrapf(err, pgerror.QueryCanceled, "canceling statement due to user request")
		}
		return false, err
	}
	return safe, nil
}

// SafeSnapshotBlockers is pg_safe_snapshot_blocking_pids(pid).
func (e *Engine) SafeSnapshotBlockers(pid uint32) []uint32 { return e.ssi.SafeSnapshotBlockers(pid) }

// ssiRead records a SERIALIZABLE transaction's read of bucket's keys in
// [lo, hi) (nil, nil: all of it). Temporary tables are skipped here and
// in ssiReadKey and ssiWrite: their rows are the session's alone, no other
// transaction can be in a rw-conflict over them, and PostgreSQL takes no
// predicate locks on them either (PredicateLockingNeededForRelation).
func (t *Txn) ssiRead(bucket, lo, hi []byte) error {
	if t.ssx == nil || isTempBucket(bucket) {
		return nil
	}
	return t.ssx.Read(string(bucket), lo, hi)
}

// ssiReadKey records the read of one key (a row fetched through an index).
func (t *Txn) ssiReadKey(bucket, key []byte) error {
	if t.ssx == nil || isTempBucket(bucket) {
		return nil
	}
	return t.ssx.Read(string(bucket), key, append(key[:len(key):len(key)], 0))
}

// ssiWrite records a SERIALIZABLE transaction's write of key in bucket.
func (t *Txn) ssiWrite(bucket, key []byte) error {
	if t.ssx == nil || isTempBucket(bucket) {
		return nil
	}
	return t.ssx.Write(string(bucket), key)
}
