package exec

import (
	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/exec/spill"
)

// Hash operators (DISTINCT, GROUP BY) keep a table of keys in work_mem.
// When it is full they stop adding keys: rows whose key is in the table
// are still handled in memory, the others go to one of spillFanOut
// partition files by a hash of their key, and each partition is processed
// afterwards the same way at the next level (a new hash salt). Every row
// of a key lands in the same partition, so each key is handled exactly
// once. Past maxSpillLevel a table grows without work_mem (still bounded
// by the statement's limit, 53200).
const (
	spillFanOut   = 16
	maxSpillLevel = 6
	keyOverhead   = 64 // map entry + bookkeeping per key, estimated
)

// hashTable tracks a hash operator's memory and its spill partitions.
type hashTable struct {
	e      *env
	budget *memacct.Budget
	level  int
	full   bool
	parts  *spill.Partitions
}

func newHashTable(e *env, level int) *hashTable {
	return &hashTable{e: e, budget: e.budget(), level: level}
}

// admit charges a new key of n bytes; false means the row must be spilled
// with spillRow.
func (h *hashTable) admit(n int64) (bool, error) {
	if !h.full {
		if h.budget.TryGrow(n) {
			return true, nil
		}
		if h.level < maxSpillLevel {
			h.full = true
			return false, nil
		}
	}
	if h.level >= maxSpillLevel {
		return true, h.budget.Grow(n)
	}
	return false, nil
}

// spillRow sends row (whose key is key) to its partition.
func (h *hashTable) spillRow(key string, row []Datum) error {
	if h.parts == nil {
		p, err := spill.NewPartitions(h.e.space(), spillFanOut)
		if err != nil {
			return err
		}
		h.parts = p
	}
	return h.parts.Add(int(spill.Hash([]byte(key), h.level)%spillFanOut), row)
}

// partition returns partition i's rows (after the input is consumed); nil
// when nothing was spilled.
func (h *hashTable) partition(i int) (spill.Iterator, error) {
	if h.parts == nil {
		return nil, nil
	}
	it, _, err := h.parts.Iter(i)
	return it, err
}

func (h *hashTable) release() { h.budget.Release() }

// iterAdapter lets a plan iterator feed hash operators.
type iterAdapter struct{ in iter }

func (a iterAdapter) Next() ([]Datum, error) { return a.in.next() }
func (a iterAdapter) Close()                 {}

// hashDistinct streams the first row of each distinct key (the leading n
// columns), spilling past work_mem.
type hashDistinct struct {
	e     *env
	cols  []colInfo
	n     int
	src   spill.Iterator
	ht    *hashTable
	seen  map[string]struct{}
	part  int           // next partition to process
	child *hashDistinct // the partition being processed
}

func newHashDistinct(e *env, src spill.Iterator, cols []colInfo, n, level int) *hashDistinct {
	return &hashDistinct{e: e, cols: cols, n: n, src: src, ht: newHashTable(e, level), seen: map[string]struct{}{}}
}

func (d *hashDistinct) next() ([]Datum, error) {
	for d.src != nil {
		if err := d.e.checkCancel(); err != nil {
			return nil, err
		}
		row, err := d.src.Next()
		if err != nil {
			return nil, err
		}
		if row == nil {
			d.src = nil
			d.seen = nil
			d.ht.release()
			break
		}
		k := rowKey(row, d.cols, d.n)
		if _, ok := d.seen[k]; ok {
			continue
		}
		ok, err := d.ht.admit(int64(len(k)) + keyOverhead)
		if err != nil {
			return nil, err
		}
		if !ok {
			if err := d.ht.spillRow(k, row); err != nil {
				return nil, err
			}
			continue
		}
		d.seen[k] = struct{}{}
		return row, nil
	}
	for {
		if d.child != nil {
			row, err := d.child.next()
			if err != nil || row != nil {
				return row, err
			}
			d.child.close()
			d.child = nil
		}
		if d.ht.parts == nil || d.part >= spillFanOut {
			return nil, nil
		}
		it, err := d.ht.partition(d.part)
		if err != nil {
			return nil, err
		}
		d.part++
		d.child = newHashDistinct(d.e, it, d.cols, d.n, d.ht.level+1)
	}
}

func (d *hashDistinct) close() {
	if d.child != nil {
		d.child.close()
	}
	d.seen = nil
	d.ht.release()
}
