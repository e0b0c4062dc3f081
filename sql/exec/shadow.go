package exec

import (
	"bytes"
	"sort"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/storage"
)

// Shadow buckets: how COPY into a table others read and write keeps its
// memory bounded, and still commits atomically.
//
// A COPY into a table that is not private to its transaction (stage.go
// covers those) cannot commit its rows early: they must become visible
// together, at COMMIT. Holding them all in the overlay until then cost
// two to three times the data (the overlay, the encoded batch, storage's
// pending table). Instead, once stageBytes are buffered, the overlay's
// puts into each table and index bucket the load wrote go, as one chunk,
// into a shadow of that bucket: a fresh bucket under an id no catalog
// names (reserveID), created by the first chunk. A chunk is an ordinary
// commit — WAL-logged, fsynced, replicated, replayed — that no reader can
// see, because nothing names its bucket. The transaction's own reads
// merge the three layers: the overlay, then the shadow (read from a
// snapshot after the last chunk, stagedSnap), then the bucket.
//
// The final commit carries, for each shadowed bucket, an OpMoveBucket
// that storage applies in the same bbolt transaction as the rest of the
// batch: the shadow's rows are put into the bucket and the shadow
// dropped, then the overlay's remaining writes (deletes, later puts) are
// applied over them. So the load becomes visible all at once, on the
// primary, on a standby applying the same WAL records, and on replay after
// a crash. A transaction that rolls back drops its shadows (dropStaged);
// one that dies with the node — kill -9 mid-COPY — leaves them as
// orphans no catalog names and no reader sees, as stage.go's chunks.
//
// Only puts are shadowed: a delete stays in the overlay (a shadow hit is
// a live row, a miss falls through to the bucket). The table and row
// locks are unchanged: the rows keep their claims (copylocks.go) until
// the transaction ends. Not used with savepoints (a chunk cannot be
// rolled back to one) nor under SERIALIZABLE (its conflict checks read
// the overlay's writes).

// shadowed is the committed-state cursor of ob's bucket: cur, merged with
// the bucket's shadow when it has one.
func (t *Txn) shadowed(ob *ovBucket, cur *storage.Cursor) kvCursor {
	if ob == nil || ob.shadow == "" {
		return cur
	}
	return &dualCursor{a: cur, b: t.stagedSnap().Cursor([]byte(ob.shadow))}
}

// shadowGet reads key from ob's shadow (nil when it has none or the key is
// not there).
func (t *Txn) shadowGet(ob *ovBucket, key []byte) []byte {
	if ob.shadow == "" {
		return nil
	}
	return t.stagedSnap().Get([]byte(ob.shadow), key)
}

// shadowable reports whether stage may move ob's puts to a shadow: a
// table or index bucket of a permanent table that others can read, while
// a COPY that allows it runs (Txn.shadowing).
func (t *Txn) shadowable(name string, ob *ovBucket) bool {
	return t.shadowing && !ob.created && !ob.dropped && !ob.staged && LockProtected([]byte(name)) && !isTempBucket([]byte(name))
}

// stageShadow adds ob's puts to chunk b, into its shadow (created by the
// first chunk), and drops them from the overlay; its deletes stay.
func (t *Txn) stageShadow(b *storage.Batch, name string, ob *ovBucket) {
	if ob.shadow == "" {
		var id uint32
		if bytes.HasPrefix([]byte(name), []byte("i/")) {
			id = t.shadowID()
			ob.shadow = string(catalog.IndexBucket(id))
		} else {
			id = t.shadowID()
			ob.shadow = string(catalog.TableBucket(id))
		}
		b.CreateBucket([]byte(ob.shadow))
	}
	sh := []byte(ob.shadow)
	keys := ob.keys()
	kept := make(map[string]ovEntry)
	var keptKeys []string
	for _, k := range keys {
		e := ob.entries[k]
		if e.del {
			kept[k] = e
			keptKeys = append(keptKeys, k)
			continue
		}
		b.Put(sh, bytesOf(k), e.val)
	}
	ob.entries, ob.sorted = kept, keptKeys
	if ob.sorted == nil {
		ob.sorted = []string{}
	}
}

// shadowID reserves an id for a shadow bucket: one no catalog names, no
// transaction of this engine was handed, and whose bucket does not exist.
func (t *Txn) shadowID() uint32 {
	from := catalog.DecodeUint64(t.get(catalog.BucketCatalog, catalog.KeyNextID))
	return uint32(t.eng.reserveID(max(from, 16384)))
}

// shadowBuckets lists the transaction's shadows.
func (t *Txn) shadowBuckets() []string {
	var out []string
	for _, ob := range t.ov.buckets {
		if ob.shadow != "" {
			out = append(out, ob.shadow)
		}
	}
	sort.Strings(out)
	return out
}

// dualCursor merges a bucket's committed state (a) with its shadow (b,
// which wins on equal keys). It moves either way; on a change of
// direction each side steps from where it stands, which is its first key
// at or past the last key returned (its last key at or before it, going
// back), so each lands on its nearest key beyond the last returned one.
type dualCursor struct {
	a, b   *storage.Cursor
	ak, av []byte
	bk, bv []byte
	rk     []byte // the key last returned
	back   bool   // the last move went backward
}

func (d *dualCursor) First() ([]byte, []byte) {
	d.ak, d.av = d.a.First()
	d.bk, d.bv = d.b.First()
	d.back = false
	return d.pick()
}

func (d *dualCursor) Last() ([]byte, []byte) {
	d.ak, d.av = d.a.Last()
	d.bk, d.bv = d.b.Last()
	d.back = true
	return d.pick()
}

func (d *dualCursor) Seek(key []byte) ([]byte, []byte) {
	d.ak, d.av = d.a.Seek(key)
	d.bk, d.bv = d.b.Seek(key)
	d.back = false
	return d.pick()
}

func (d *dualCursor) Next() ([]byte, []byte) {
	if d.back {
		d.ak, d.av = turn(d.a, d.ak, false)
		d.bk, d.bv = turn(d.b, d.bk, false)
		d.back = false
		return d.pick()
	}
	if d.rk == nil {
		return nil, nil
	}
	if d.ak != nil && bytes.Equal(d.ak, d.rk) {
		d.ak, d.av = d.a.Next()
	}
	if d.bk != nil && bytes.Equal(d.bk, d.rk) {
		d.bk, d.bv = d.b.Next()
	}
	return d.pick()
}

func (d *dualCursor) Prev() ([]byte, []byte) {
	if !d.back {
		d.ak, d.av = turn(d.a, d.ak, true)
		d.bk, d.bv = turn(d.b, d.bk, true)
		d.back = true
		return d.pick()
	}
	if d.rk == nil {
		return nil, nil
	}
	if d.ak != nil && bytes.Equal(d.ak, d.rk) {
		d.ak, d.av = d.a.Prev()
	}
	if d.bk != nil && bytes.Equal(d.bk, d.rk) {
		d.bk, d.bv = d.b.Prev()
	}
	return d.pick()
}

// turn steps c, standing at k (nil: off its end in the old direction),
// one key the new way.
func turn(c *storage.Cursor, k []byte, back bool) ([]byte, []byte) {
	switch {
	case k == nil && back:
		return c.Last()
	case k == nil:
		return c.First()
	case back:
		return c.Prev()
	}
	return c.Next()
}

// pick returns the nearer of the two sides' keys in the current direction
// (the shadow's value on a tie) and remembers it.
func (d *dualCursor) pick() ([]byte, []byte) {
	var k, v []byte
	switch {
	case d.ak == nil:
		k, v = d.bk, d.bv
	case d.bk == nil:
		k, v = d.ak, d.av
	default:
		c := bytes.Compare(d.ak, d.bk)
		if d.back {
			c = -c
		}
		if c < 0 {
			k, v = d.ak, d.av
		} else {
			k, v = d.bk, d.bv
		}
	}
	d.rk = k
	return k, v
}
