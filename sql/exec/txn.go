package exec

import (
	"context"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
)

// Txn is a transaction: a snapshot plus a private write overlay. Not safe
// for concurrent use.
type Txn struct {
	eng      *Engine
	snap     *storage.Snapshot
	ov       *overlay
	readOnly bool
	start    time.Time
	done     bool
	catDirty bool             // DDL in this txn: catalog read through the overlay
	cat      *catalog.Catalog // cached catalog of this txn after DDL
	lastSeq  map[string]int64 // currval
}

// HasWrites reports whether the transaction has pending writes.
func (t *Txn) HasWrites() bool { return t.ov.writes > 0 }

// ReadLSN is the LSN of the transaction's snapshot.
func (t *Txn) ReadLSN() lsn.LSN { return t.snap.AppliedLSN() }

// StartTime is the transaction timestamp (now()).
func (t *Txn) StartTime() time.Time { return t.start }

// Commit makes the writes durable through the Committer and releases the
// snapshot. Without writes it only releases the snapshot.
func (t *Txn) Commit(ctx context.Context) (lsn.LSN, error) {
	if t.done {
		return 0, pgerror.New(pgerror.InvalidTransactionState, "transaction already finished")
	}
	defer t.Rollback()
	if !t.HasWrites() {
		return t.snap.AppliedLSN(), nil
	}
	b := t.ov.batch()
	if b.Len() == 0 {
		return t.snap.AppliedLSN(), nil
	}
	return t.eng.cfg.Committer.Commit(ctx, b, t.snap.AppliedLSN())
}

// Rollback discards the writes and releases the snapshot. Idempotent.
func (t *Txn) Rollback() {
	if t.done {
		return
	}
	t.done = true
	_ = t.snap.Close()
}

func (t *Txn) get(bucket, key []byte) []byte {
	if ob := t.ov.buckets[string(bucket)]; ob != nil {
		if e, ok := ob.entries[string(key)]; ok {
			if e.del {
				return nil
			}
			return e.val
		}
		if ob.dropped {
			return nil
		}
	}
	return t.snap.Get(bucket, key)
}

func (t *Txn) scan(bucket []byte, fn func(k, v []byte)) {
	it := t.iterate(bucket, nil, nil, false)
	for k, v := it.next(); k != nil; k, v = it.next() {
		fn(k, v)
	}
}

func (t *Txn) bucketExists(b []byte) bool {
	if ob := t.ov.buckets[string(b)]; ob != nil {
		if ob.dropped {
			return false
		}
		if ob.created {
			return true
		}
	}
	return t.snap.BucketExists(b)
}

func (t *Txn) checkWritable(what string) error {
	if t.readOnly {
		return pgerror.Newf(pgerror.ReadOnlySQLTransaction, "cannot execute %s in a read-only transaction", what)
	}
	return nil
}

// catalog returns the catalog this transaction sees.
func (t *Txn) catalog() (*catalog.Catalog, error) {
	if !t.catDirty {
		return t.eng.loadCatalog(snapReader{t.snap})
	}
	if t.cat == nil {
		v := catalog.DecodeUint64(t.get(catalog.BucketCatalog, catalog.KeyVersion))
		c, err := readCatalog(t, v)
		if err != nil {
			return nil, err
		}
		t.cat = c
	}
	return t.cat, nil
}

// ddlWrote marks the catalog as changed by this transaction.
func (t *Txn) ddlWrote() {
	t.catDirty = true
	t.cat = nil
}

// snapReader adapts a Snapshot to kvReader.
type snapReader struct{ s *storage.Snapshot }

func (r snapReader) get(bucket, key []byte) []byte { return r.s.Get(bucket, key) }

func (r snapReader) scan(bucket []byte, fn func(k, v []byte)) {
	c := r.s.Cursor(bucket)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		fn(k, v)
	}
}
