package spill

import (
	"container/heap"
	"slices"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/types"
)

const (
	// MaxFanIn is how many runs one merge pass reads at once.
	MaxFanIn = 64
	// ioBuf is the buffer of each temporary-file reader and writer.
	ioBuf = 32 << 10
)

// Sorter sorts rows by cmp, spilling sorted runs to a file when its budget
// says no. Use: Add every row, then Finish once, then Close.
type Sorter struct {
	cmp    func(a, b []types.Datum) int
	budget Budget
	space  *Space
	buf    [][]types.Datum
	held   int64 // bytes charged for buf
	file   *rowFile
	runs   []segment
	nruns  int // runs written from memory
}

// NewSorter returns a sorter ordering by cmp (a stable order: rows that
// compare equal keep their input order).
func NewSorter(cmp func(a, b []types.Datum) int, budget Budget, space *Space) *Sorter {
	return &Sorter{cmp: cmp, budget: budget, space: space}
}

// Spilled reports how many sorted runs went to disk.
func (s *Sorter) Spilled() int { return s.nruns }

// Add adds a row (the sorter keeps it; the caller must not modify it).
func (s *Sorter) Add(row []types.Datum) error {
	n := memacct.RowSize(row) + 16
	if !s.budget.TryGrow(n) {
		if len(s.buf) > 0 {
			if err := s.spillRun(); err != nil {
				return err
			}
		}
		if !s.budget.TryGrow(n) {
			if err := s.budget.Grow(n); err != nil {
				return err
			}
		}
	}
	s.held += n
	s.buf = append(s.buf, row)
	return nil
}

func (s *Sorter) sortBuf() {
	slices.SortStableFunc(s.buf, s.cmp)
}

// spillRun writes the sorted buffer as a run and empties it.
func (s *Sorter) spillRun() error {
	s.sortBuf()
	if s.file == nil {
		f, err := newRowFile(s.space, ioBuf)
		if err != nil {
			return err
		}
		s.file = f
	}
	s.file.begin()
	for i, r := range s.buf {
		if err := s.file.add(r); err != nil {
			return err
		}
		s.buf[i] = nil
	}
	seg, err := s.file.end()
	if err != nil {
		return err
	}
	s.runs = append(s.runs, seg)
	s.nruns++
	s.release()
	return nil
}

func (s *Sorter) release() {
	s.budget.Shrink(s.held)
	s.held = 0
	s.buf = s.buf[:0]
	if cap(s.buf) > 1024 {
		s.buf = nil // let a big slice go
	}
}

// Finish returns the rows in order. The iterator is valid until Close.
func (s *Sorter) Finish() (Iterator, error) {
	if len(s.runs) == 0 {
		s.sortBuf()
		return &sliceIter{rows: s.buf}, nil
	}
	if len(s.buf) > 0 {
		if err := s.spillRun(); err != nil {
			return nil, err
		}
	}
	for len(s.runs) > MaxFanIn {
		if err := s.mergePass(); err != nil {
			return nil, err
		}
	}
	return s.merger(s.runs), nil
}

// mergePass merges the first MaxFanIn runs into one run at the end of the
// file, keeping run order (the merged run takes their place).
func (s *Sorter) mergePass() error {
	m := s.merger(s.runs[:MaxFanIn])
	s.file.begin()
	for {
		row, err := m.Next()
		if err != nil {
			return err
		}
		if row == nil {
			break
		}
		if err := s.file.add(row); err != nil {
			return err
		}
	}
	seg, err := s.file.end()
	if err != nil {
		return err
	}
	s.runs = append([]segment{seg}, s.runs[MaxFanIn:]...)
	return nil
}

func (s *Sorter) merger(runs []segment) *merger {
	m := &merger{cmp: s.cmp}
	for i, seg := range runs {
		m.srcs = append(m.srcs, mergeSrc{r: s.file.reader(seg, ioBuf), idx: i})
	}
	return m
}

// Close releases the sorter's memory. Its files are the Space's.
func (s *Sorter) Close() {
	s.release()
	s.buf = nil
}

// merger is a k-way merge of sorted runs; ties go to the lower run index,
// which keeps a stable sort stable.
type merger struct {
	cmp     func(a, b []types.Datum) int
	srcs    []mergeSrc
	h       []*mergeSrc
	started bool
}

type mergeSrc struct {
	r   *reader
	row []types.Datum
	idx int
}

func (m *merger) Len() int { return len(m.h) }
func (m *merger) Less(i, j int) bool {
	if c := m.cmp(m.h[i].row, m.h[j].row); c != 0 {
		return c < 0
	}
	return m.h[i].idx < m.h[j].idx
}
func (m *merger) Swap(i, j int) { m.h[i], m.h[j] = m.h[j], m.h[i] }
func (m *merger) Push(x any)    { m.h = append(m.h, x.(*mergeSrc)) }
func (m *merger) Pop() any {
	x := m.h[len(m.h)-1]
	m.h = m.h[:len(m.h)-1]
	return x
}

// Next returns the next row of the merge, nil at the end.
func (m *merger) Next() ([]types.Datum, error) {
	if !m.started {
		m.started = true
		for i := range m.srcs {
			src := &m.srcs[i]
			row, err := src.r.Next()
			if err != nil {
				return nil, err
			}
			if row != nil {
				src.row = row
				m.h = append(m.h, src)
			}
		}
		heap.Init(m)
	}
	if len(m.h) == 0 {
		return nil, nil
	}
	top := m.h[0]
	out := top.row
	row, err := top.r.Next()
	if err != nil {
		return nil, err
	}
	if row == nil {
		heap.Pop(m)
	} else {
		top.row = row
		heap.Fix(m, 0)
	}
	return out, nil
}

// Close implements Iterator.
func (m *merger) Close() {}
