package storage

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/heliosdb/nano/lsn"
)

// Snapshot is a consistent, read-only view of the data as of one applied
// LSN: a bbolt read transaction. Applies that commit after it was opened
// are invisible to it. It is not safe for concurrent use. Slices it returns
// point into the file mapping: they are valid only until Close and must not
// be modified. Close it promptly: an open Snapshot keeps the pages it sees
// from being reused and delays DB.Close and file remaps.
type Snapshot struct {
	tx      *bolt.Tx
	applied lsn.LSN
	mem     *memTree  // pending changes laid over tx (memtable.go); nil when none
	merges  *mergeSet // merge sources laid over their buckets (merge.go); nil when none
	probe   memItem
	// buckets caches opened buckets: bbolt allocates a new Bucket on every
	// lookup in a read-only transaction. Missing buckets are cached as nil.
	// The first few live in recent, without allocating (a point select
	// opens two: the catalog's and its table's).
	recent  [4]openBucket
	nrecent int
	buckets map[string]*bolt.Bucket
}

// openBucket is one entry of Snapshot.recent; name holds up to 24 bytes.
type openBucket struct {
	name [24]byte
	n    int
	b    *bolt.Bucket
	c    *bolt.Cursor // Get's cursor over b, made on first use
}

// Snapshot opens a read view. It returns ErrClosed after Close.
func (db *DB) Snapshot() (*Snapshot, error) {
	if db.closed.Load() {
		return nil, ErrClosed
	}
	db.viewMu.Lock()
	tx, err := db.bolt.Begin(false)
	mem, at, merges := db.published, db.viewLSN, db.merges
	db.viewMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("storage: snapshot: %w", mapClosed(err))
	}
	return &Snapshot{tx: tx, applied: at, mem: mem, merges: merges}, nil
}

// AppliedLSN is the LSN the view corresponds to.
func (s *Snapshot) AppliedLSN() lsn.LSN { return s.applied }

// Close ends the view. Closing twice is harmless.
func (s *Snapshot) Close() error {
	if s.tx == nil {
		return nil
	}
	err := s.tx.Rollback()
	s.tx, s.buckets, s.mem, s.merges = nil, nil, nil, nil
	s.recent, s.nrecent = [len(s.recent)]openBucket{}, 0
	if err != nil {
		return fmt.Errorf("storage: close snapshot: %w", err)
	}
	return nil
}

// bucket returns the data bucket name, or nil if it is missing or reserved
// or the Snapshot is closed (reads after Close see nothing).
func (s *Snapshot) bucket(name []byte) *bolt.Bucket {
	b, _ := s.openBucket(name)
	return b
}

// openBucket is bucket, with the bucket's slot in recent when it has one
// (nil otherwise).
func (s *Snapshot) openBucket(name []byte) (*bolt.Bucket, *openBucket) {
	if s.tx == nil || len(name) == 0 || isReserved(name) {
		return nil, nil
	}
	for i := range s.nrecent {
		if r := &s.recent[i]; bytes.Equal(r.name[:r.n], name) {
			return r.b, r
		}
	}
	if b, ok := s.buckets[string(name)]; ok {
		return b, nil
	}
	b := s.tx.Bucket(name)
	if s.nrecent < len(s.recent) && len(name) <= len(s.recent[0].name) {
		r := &s.recent[s.nrecent]
		r.n = copy(r.name[:], name)
		r.b = b
		s.nrecent++
		return b, r
	}
	if s.buckets == nil {
		s.buckets = make(map[string]*bolt.Bucket)
	}
	s.buckets[string(name)] = b
	return b, nil
}

// BucketExists reports whether the data bucket exists in this view (a
// merge source does not: OpMoveBucket dropped it, merge.go).
func (s *Snapshot) BucketExists(bucket []byte) bool {
	return s.bucket(bucket) != nil && !s.merges.isSource(bucket)
}

// Get returns the value of key in bucket, or nil if either is missing. A
// present empty value is returned as a non-nil empty slice.
func (s *Snapshot) Get(bucket, key []byte) []byte {
	b, r := s.openBucket(bucket)
	if b == nil || len(key) == 0 {
		return nil
	}
	if s.mem != nil {
		s.probe.bucket, s.probe.key = bucket, key
		it, ok := s.mem.Get(&s.probe)
		s.probe.bucket, s.probe.key = nil, nil
		if ok {
			if it.del {
				return nil
			}
			return it.value
		}
	}
	if s.merges != nil {
		if from := s.merges.source(bucket); from != nil {
			if v := s.Get(from, key); v != nil {
				return v // the source of a merge wins over its bucket
			}
		}
	}
	// One seek (bbolt's Get seeks too, and may return nil for an empty
	// value), on a cursor kept with the bucket: a bulk INSERT checks
	// every new key, and a fresh cursor is an allocation per lookup.
	var c *bolt.Cursor
	switch {
	case r == nil:
		c = b.Cursor()
	case r.c == nil:
		r.c = b.Cursor()
		c = r.c
	default:
		c = r.c
	}
	k, v := c.Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil
	}
	if v == nil {
		return []byte{} // present, empty
	}
	return v
}

// ForEachBucket calls fn with the name of every data bucket, in byte order,
// stopping at and returning fn's first error. The name is valid only
// during the call.
func (s *Snapshot) ForEachBucket(fn func(name []byte) error) error {
	if s.tx == nil {
		return ErrClosed
	}
	return s.tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if isReserved(name) || s.merges.isSource(name) {
			return nil // a merge source is part of its bucket
		}
		return fn(name)
	})
}

// Cursor returns a cursor over bucket's keys in byte order. If the bucket
// is missing the cursor ranges over nothing. It is valid until the
// Snapshot is closed.
func (s *Snapshot) Cursor(bucket []byte) *Cursor {
	b := s.bucket(bucket)
	if b == nil {
		return &Cursor{}
	}
	c := &Cursor{c: b.Cursor()}
	if from := s.merges.source(bucket); from != nil {
		if src := s.bucket(from); src != nil {
			c.c = NewMergeCursor(b.Cursor(), src.Cursor())
		}
	}
	if s.mem != nil {
		if m := newMemCursor(s.mem, bucket); m.seekGE(nil) != nil {
			c.m = m // pending changes in this bucket: merge them
		}
	}
	return c
}

// Cursor iterates over one bucket of a Snapshot. Every method returns the
// key and value it lands on, or a nil key at either end. A present empty
// value is a non-nil empty slice. Slices are valid until the Snapshot is
// closed and must not be modified. Not safe for concurrent use.
//
// When the bucket has pending changes the cursor merges the file's keys
// with them: a pending version replaces the file's, a pending delete hides
// it. Both sides are kept positioned at or beyond the current key in the
// direction of travel; a change of direction re-seeks both.
type Cursor struct {
	c KeyCursor  // the file side: a bbolt cursor, or a MergeCursor for a bucket with a merge source; nil for a missing bucket
	m *memCursor // nil when the bucket has no pending changes

	bk, bv []byte   // file side
	mi     *memItem // pending side
	fwd    bool
	key    []byte // current key; nil at an end
}

// First moves to the first key.
func (c *Cursor) First() (key, value []byte) {
	if c.c == nil {
		return nil, nil
	}
	if c.m == nil {
		return norm(c.c.First())
	}
	c.bk, c.bv = c.c.First()
	c.mi = c.m.seekGE(nil)
	return c.forward()
}

// Last moves to the last key.
func (c *Cursor) Last() (key, value []byte) {
	if c.c == nil {
		return nil, nil
	}
	if c.m == nil {
		return norm(c.c.Last())
	}
	c.bk, c.bv = c.c.Last()
	c.mi = c.m.seekLT(nil)
	return c.backward()
}

// Seek moves to key, or to the first key after it if key is missing.
func (c *Cursor) Seek(key []byte) (k, value []byte) {
	if c.c == nil {
		return nil, nil
	}
	if c.m == nil {
		return norm(c.c.Seek(key))
	}
	c.bk, c.bv = c.c.Seek(key)
	c.mi = c.m.seekGE(key)
	return c.forward()
}

// Next moves to the next key.
func (c *Cursor) Next() (key, value []byte) {
	if c.c == nil {
		return nil, nil
	}
	if c.m == nil {
		return norm(c.c.Next())
	}
	if c.key == nil {
		return nil, nil
	}
	if c.fwd {
		c.stepForward()
	} else {
		c.bk, c.bv = c.c.Seek(c.key)
		if c.bk != nil && bytes.Equal(c.bk, c.key) {
			c.bk, c.bv = c.c.Next()
		}
		c.mi = c.m.seekGT(c.key)
	}
	return c.forward()
}

// Prev moves to the previous key.
func (c *Cursor) Prev() (key, value []byte) {
	if c.c == nil {
		return nil, nil
	}
	if c.m == nil {
		return norm(c.c.Prev())
	}
	if c.key == nil {
		return nil, nil
	}
	if !c.fwd {
		c.stepBackward()
	} else {
		if k, _ := c.c.Seek(c.key); k == nil {
			c.bk, c.bv = c.c.Last()
		} else {
			c.bk, c.bv = c.c.Prev()
		}
		c.mi = c.m.seekLT(c.key)
	}
	return c.backward()
}

// stepForward moves past the current key on the side(s) holding it.
func (c *Cursor) stepForward() {
	cur := c.key
	if c.bk != nil && bytes.Equal(c.bk, cur) {
		c.bk, c.bv = c.c.Next()
	}
	if c.mi != nil && bytes.Equal(c.mi.key, cur) {
		c.mi = c.m.next()
	}
}

func (c *Cursor) stepBackward() {
	cur := c.key
	if c.bk != nil && bytes.Equal(c.bk, cur) {
		c.bk, c.bv = c.c.Prev()
	}
	if c.mi != nil && bytes.Equal(c.mi.key, cur) {
		c.mi = c.m.prev()
	}
}

// forward lands on the smaller of the two sides, skipping pending deletes.
func (c *Cursor) forward() ([]byte, []byte) {
	c.fwd = true
	for {
		switch {
		case c.mi == nil && c.bk == nil:
			c.key = nil
			return nil, nil
		case c.mi != nil && (c.bk == nil || bytes.Compare(c.mi.key, c.bk) <= 0):
			c.key = c.mi.key
			if c.mi.del {
				c.stepForward()
				continue
			}
			return c.mi.key, c.mi.value
		default:
			c.key = c.bk
			return norm(c.bk, c.bv)
		}
	}
}

// backward lands on the larger of the two sides, skipping pending deletes.
func (c *Cursor) backward() ([]byte, []byte) {
	c.fwd = false
	for {
		switch {
		case c.mi == nil && c.bk == nil:
			c.key = nil
			return nil, nil
		case c.mi != nil && (c.bk == nil || bytes.Compare(c.mi.key, c.bk) >= 0):
			c.key = c.mi.key
			if c.mi.del {
				c.stepBackward()
				continue
			}
			return c.mi.key, c.mi.value
		default:
			c.key = c.bk
			return norm(c.bk, c.bv)
		}
	}
}

// norm turns bbolt's nil value for an empty value into an empty slice, so
// callers can rely on value != nil whenever key != nil.
func norm(k, v []byte) ([]byte, []byte) {
	if k != nil && v == nil {
		v = []byte{}
	}
	return k, v
}

// BucketBytes is the size of the pages bucket's tree occupies in the file
// (branch, leaf and overflow pages, nested buckets included); 0 when the
// bucket is missing or small enough to live inline in its parent. Changes
// still in the memtable are not counted. It reads every page of the tree.
func (s *Snapshot) BucketBytes(bucket []byte) int64 {
	b := s.bucket(bucket)
	if b == nil {
		return 0
	}
	st := b.Stats()
	pages := st.BranchPageN + st.BranchOverflowN + st.LeafPageN + st.LeafOverflowN
	n := int64(pages) * int64(s.tx.DB().Info().PageSize)
	if from := s.merges.source(bucket); from != nil {
		n += s.BucketBytes(from)
	}
	return n
}

// FileBytes is the data file's size as of this view.
func (s *Snapshot) FileBytes() int64 {
	if s.tx == nil {
		return 0
	}
	return s.tx.Size()
}
