package storage

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// appendFill packs the pages of a bucket full when a write transaction only
// appends to it. bbolt splits the nodes a transaction touched at commit,
// each at FillPercent of a page (default 0.5: room for later inserts in
// between); a bulk load writes keys in order past the bucket's last key —
// COPY into a new table, an ALTER TABLE rewrite, an index build — and
// at 0.5 every page it writes stays half empty, so the file, and each
// commit's writes and fsync, are twice what the data needs. Pages are
// split at commit, so the choice is made per bucket for the whole
// transaction: full pages when every put into it (in order) sorted past the
// key before, the first past the bucket's last committed key; the default
// otherwise. Only the page layout changes, never the content.
type appendFill struct {
	tx      *bolt.Tx
	buckets map[string]*fillState // by bucket name (a string of the op's bytes)
	// merges is the transaction's merge records (merge.go): applyOp and
	// writeTree keep them up to date, and clear a written key from its
	// bucket's merge source.
	merges *txMerges
}

type fillState struct {
	b      *bolt.Bucket
	last   []byte // the last key put (aliases the caller's op, read only while it lives)
	append bool
}

func newAppendFill(tx *bolt.Tx) *appendFill {
	return &appendFill{tx: tx, buckets: map[string]*fillState{}, merges: newTxMerges(tx)}
}

// put notes a put of key into bucket b (named name).
func (f *appendFill) put(name []byte, b *bolt.Bucket, key []byte) {
	s := f.buckets[string(name)]
	if s == nil {
		last, _ := b.Cursor().Last()
		s = &fillState{b: b, append: last == nil || bytes.Compare(key, last) > 0}
		f.buckets[string(name)] = s
	} else if s.append && bytes.Compare(key, s.last) <= 0 {
		s.append = false
	}
	s.last = key
}

// del notes a delete in bucket name: not an append-only load.
func (f *appendFill) del(name []byte, b *bolt.Bucket) {
	s := f.buckets[string(name)]
	if s == nil {
		s = &fillState{b: b}
		f.buckets[string(name)] = s
	}
	s.append = false
}

// forget drops what is known of bucket name (created or dropped: a new
// handle).
func (f *appendFill) forget(name []byte) { delete(f.buckets, string(name)) }

// apply sets FillPercent on the buckets written; call before Commit.
func (f *appendFill) apply() {
	for _, s := range f.buckets {
		if s.append {
			s.b.FillPercent = 1
		} else {
			s.b.FillPercent = bolt.DefaultFillPercent
		}
		s.last = nil
	}
}
