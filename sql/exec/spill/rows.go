package spill

import (
	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/types"
)

// Rows is an append-then-reread container: the first rows stay in memory
// while the budget allows, the rest go to a temporary file. Add every
// row, then Iter as often as needed, then Close.
type Rows struct {
	budget Budget
	space  *Space
	mem    [][]types.Datum
	held   int64
	file   *rowFile
	seg    segment
	done   bool
	rd     *reader // reused by Iter: one pass at a time
}

// NewRows returns an empty container.
func NewRows(budget Budget, space *Space) *Rows { return &Rows{budget: budget, space: space} }

// Len returns the number of rows added.
func (r *Rows) Len() int { return len(r.mem) + r.seg.rows + r.pending() }

func (r *Rows) pending() int {
	if r.file == nil || r.done {
		return 0
	}
	return r.file.cur.rows
}

// Spilled reports whether some rows are on disk.
func (r *Rows) Spilled() bool { return r.file != nil }

// Add appends a row.
func (r *Rows) Add(row []types.Datum) error {
	if r.file == nil {
		n := memacct.RowSize(row) + 16
		if r.budget.TryGrow(n) {
			r.held += n
			r.mem = append(r.mem, row)
			return nil
		}
		f, err := newRowFile(r.space, ioBuf)
		if err != nil {
			return err
		}
		r.file = f
		f.begin()
	}
	return r.file.add(row)
}

// finish flushes the file part once.
func (r *Rows) finish() error {
	if r.done || r.file == nil {
		r.done = true
		return nil
	}
	seg, err := r.file.end()
	if err != nil {
		return err
	}
	r.seg, r.done = seg, true
	return nil
}

// Iter returns an iterator over every row in order of Add. It reuses one
// file reader: a new Iter ends the previous iterator's pass (a join reads
// its inner side once per outer row, one pass at a time).
func (r *Rows) Iter() (Iterator, error) {
	if err := r.finish(); err != nil {
		return nil, err
	}
	it := &rowsIter{mem: &sliceIter{rows: r.mem}}
	if r.file != nil {
		if r.rd == nil {
			r.rd = r.file.reader(r.seg, ioBuf)
		} else {
			r.rd.reset(r.file, r.seg)
		}
		it.disk = r.rd
	}
	return it, nil
}

// Close releases the memory (the file is the Space's).
func (r *Rows) Close() {
	r.budget.Shrink(r.held)
	r.held = 0
	r.mem = nil
}

type rowsIter struct {
	mem  *sliceIter
	disk *reader
}

func (it *rowsIter) Next() ([]types.Datum, error) {
	if row, _ := it.mem.Next(); row != nil {
		return row, nil
	}
	if it.disk == nil {
		return nil, nil
	}
	return it.disk.Next()
}

func (it *rowsIter) Close() {}

// Partitions are n files a hash operator sends rows to by their key hash.
// Add rows, then Iter(i) each partition once, then Close.
type Partitions struct {
	files []*rowFile
	segs  []segment
	done  bool
}

// PartitionBuf is the write buffer of each partition file.
const PartitionBuf = 8 << 10

// NewPartitions creates n partition files in space.
func NewPartitions(space *Space, n int) (*Partitions, error) {
	p := &Partitions{}
	for i := 0; i < n; i++ {
		f, err := newRowFile(space, PartitionBuf)
		if err != nil {
			return nil, err
		}
		f.begin()
		p.files = append(p.files, f)
	}
	return p, nil
}

// N returns the number of partitions.
func (p *Partitions) N() int { return len(p.files) }

// Add writes row to partition i.
func (p *Partitions) Add(i int, row []types.Datum) error { return p.files[i].add(row) }

// Iter returns the rows of partition i (after the last Add).
func (p *Partitions) Iter(i int) (Iterator, int, error) {
	if !p.done {
		for _, f := range p.files {
			seg, err := f.end()
			if err != nil {
				return nil, 0, err
			}
			p.segs = append(p.segs, seg)
		}
		p.done = true
	}
	return p.files[i].reader(p.segs[i], ioBuf), p.segs[i].rows, nil
}

// Hash is FNV-1a of key salted with level, so that a partition
// re-partitioned at the next level spreads differently.
func Hash(key []byte, level int) uint64 {
	h := uint64(14695981039346656037) ^ uint64(level)*0x9E3779B97F4A7C15
	for _, c := range key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
