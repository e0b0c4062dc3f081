package txn

import (
	"bytes"
	"sort"
)

// Cursor is a cursor over a bucket's committed state: a storage.Cursor,
// or a bucket's snapshot merged with its shadow (DualCursor).
type Cursor interface {
	First() (key, value []byte)
	Last() (key, value []byte)
	Seek(key []byte) (k, value []byte)
	Next() (key, value []byte)
	Prev() (key, value []byte)
}

// Iter iterates a bucket of committed state plus pending writes over
// [start, end) (end nil = unbounded), forward or reverse.
type Iter struct {
	cur     Cursor
	ov      []string
	ents    map[string]Entry
	oi      int
	start   []byte
	end     []byte
	reverse bool
	sk, sv  []byte
	begun   bool
}

// NewIter merges cur (nil: nothing committed to read, as for a bucket
// the transaction dropped) with the pending writes of b (nil: none) over
// [start, end), backward when reverse. A ROLLBACK TO while it runs is
// seen: an undone write is skipped or falls back to cur's version.
func NewIter(cur Cursor, b *Bucket, start, end []byte, reverse bool) *Iter {
	it := &Iter{cur: cur, start: start, end: end, reverse: reverse}
	if b != nil {
		it.ents = b.m()
		keys := b.Keys()
		lo := sort.SearchStrings(keys, string(start))
		hi := len(keys)
		if end != nil {
			hi = sort.SearchStrings(keys, string(end))
		}
		it.ov = keys[lo:hi]
		if reverse {
			it.oi = len(it.ov) - 1
		}
	}
	return it
}

func (it *Iter) snapNext() {
	if it.cur == nil {
		it.sk = nil
		return
	}
	var k, v []byte
	switch {
	case !it.begun && !it.reverse:
		if it.start == nil {
			k, v = it.cur.First()
		} else {
			k, v = it.cur.Seek(it.start)
		}
	case !it.begun:
		if it.end == nil {
			k, v = it.cur.Last()
		} else {
			k, _ = it.cur.Seek(it.end)
			if k == nil {
				k, v = it.cur.Last()
			} else {
				k, v = it.cur.Prev()
			}
		}
	case it.reverse:
		k, v = it.cur.Prev()
	default:
		k, v = it.cur.Next()
	}
	if k != nil && (it.end != nil && bytes.Compare(k, it.end) >= 0 || it.start != nil && bytes.Compare(k, it.start) < 0) {
		k = nil
	}
	it.sk, it.sv = k, v
}

// Next returns the next live key/value, or nil at the end.
func (it *Iter) Next() (key, val []byte) {
	if !it.begun {
		it.snapNext()
		it.begun = true
	}
	for {
		var ok string
		hasOv := it.oi >= 0 && it.oi < len(it.ov)
		if hasOv {
			ok = it.ov[it.oi]
		}
		if it.sk == nil && !hasOv {
			return nil, nil
		}
		c := 0
		switch {
		case it.sk == nil:
			c = 1
		case !hasOv:
			c = -1
		default:
			c = bytes.Compare(it.sk, []byte(ok))
			if it.reverse {
				c = -c
			}
		}
		if c < 0 {
			k, v := it.sk, it.sv
			it.snapNext()
			return k, v
		}
		sk, sv := it.sk, it.sv
		if c == 0 {
			it.snapNext()
		}
		if it.reverse {
			it.oi--
		} else {
			it.oi++
		}
		e, pending := it.ents[ok]
		switch {
		case !pending && c == 0:
			// Undone by a ROLLBACK TO after the iterator began: the
			// snapshot's version is the one to read.
			return sk, sv
		case !pending:
			// Written after the iterator began and undone since: absent.
		case !e.Del:
			return []byte(ok), e.Val
		}
	}
}
