package exec

import (
	"strings"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/txn"
	"github.com/heliosdb/nano/storage"
)

// Shadow buckets: how COPY into a table others read and write keeps its
// memory bounded, and still commits atomically.
//
// A COPY into a table that is not private to its transaction (stage.go
// covers those) cannot commit its rows early: they must become visible
// together, at COMMIT. Instead of holding them all in the write set until
// then, once stageBytes are buffered, stage moves the puts into each table
// and index bucket the load wrote, as one chunk, into a shadow of that
// bucket: a fresh bucket under an id no catalog names (reserveID), created
// by the first chunk, committed like any other chunk and invisible to
// every reader. The transaction's own reads merge the write set, the
// shadow (read from a snapshot after the last chunk, stagedSnap) and the
// bucket; the final commit moves each shadow into its bucket
// (storage.OpMoveBucket): storage publishes the move with the rest of the
// batch and writes a large shadow into its bucket afterwards, in bounded
// transactions that change nothing a reader sees (storage/merge.go). The
// write set's side of this — WriteSet.Stage, DualCursor,
// the move in WriteSet.Batch — is in sql/txn's shadow.go.
//
// A transaction that rolls back drops its shadows (dropStaged); one that
// dies with the node — kill -9 mid-COPY — leaves them as orphans no
// catalog names and no reader sees, as stage.go's chunks, until the next
// primary reclaims them (reclaim.go). The table and row locks are
// unchanged: the rows keep their claims (copylocks.go) until the
// transaction ends. Not used with savepoints (a chunk cannot be rolled
// back to one) nor under SERIALIZABLE (its conflict checks read the write
// set's writes).

// shadowed is the committed-state cursor of ob's bucket: cur, merged with
// the bucket's shadow when it has one.
func (t *Txn) shadowed(ob *txn.Bucket, cur *storage.Cursor) txn.Cursor {
	if ob == nil || ob.Shadow() == "" {
		return cur
	}
	return txn.NewDualCursor(cur, t.stagedSnap().Cursor([]byte(ob.Shadow())))
}

// shadowGet reads key from ob's shadow (nil when it has none or the key is
// not there).
func (t *Txn) shadowGet(ob *txn.Bucket, key []byte) []byte {
	if ob.Shadow() == "" {
		return nil
	}
	return t.stagedSnap().Get([]byte(ob.Shadow()), key)
}

// shadowable reports whether stage may move ob's puts to a shadow: a
// table or index bucket of a permanent table that others can read, while
// a COPY that allows it runs (Txn.shadowing).
func (t *Txn) shadowable(name string, ob *txn.Bucket) bool {
	return t.shadowing && !ob.Created() && !ob.Dropped() && !ob.Staged() && LockProtected([]byte(name)) && !isTempBucket([]byte(name))
}

// newShadow names a new shadow for bucket (an index bucket's shadow is an
// index bucket, a table's a table bucket) under an id shadowID reserves.
func (t *Txn) newShadow(bucket string) string {
	if strings.HasPrefix(bucket, "i/") {
		return string(catalog.IndexBucket(t.shadowID()))
	}
	return string(catalog.TableBucket(t.shadowID()))
}

// shadowID reserves an id for a shadow bucket: one no catalog names, no
// transaction of this engine was handed, and whose bucket does not exist.
func (t *Txn) shadowID() uint32 {
	from := catalog.DecodeUint64(t.get(catalog.BucketCatalog, catalog.KeyNextID))
	return uint32(t.eng.reserveID(max(from, 16384)))
}
