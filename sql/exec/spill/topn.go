package spill

import (
	"container/heap"
	"slices"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/types"
)

// TopN keeps the first n rows of the stable order cmp defines — ORDER BY …
// LIMIT n, PostgreSQL's "top-N heapsort" — in a bounded heap: memory for n
// rows, not for the whole input, and n·log n comparisons per row at most.
// Its result is exactly a stable Sorter's first n rows: a row that ties
// with a kept one comes later in the input, so it loses the tie.
//
// When the n rows do not fit the budget, TopN hands what it kept and the
// rest of the input to a Sorter, which spills; the result is the same.
// Use as a Sorter: Add every row, then Finish once, then Close.
type TopN struct {
	cmp    func(a, b []types.Datum) int
	n      int
	budget Budget
	space  *Space
	h      topHeap
	seq    int64
	held   int64
	sorter *Sorter // non-nil once the kept rows outgrew the budget
}

type topRow struct {
	row  []types.Datum
	seq  int64 // input position: ties keep the earlier row
	size int64
}

// topHeap is a max-heap in (cmp, seq) order: its root is the kept row the
// next better row replaces.
type topHeap struct {
	rows []topRow
	cmp  func(a, b []types.Datum) int
}

func (h *topHeap) after(a, b *topRow) bool {
	if c := h.cmp(a.row, b.row); c != 0 {
		return c > 0
	}
	return a.seq > b.seq
}

func (h *topHeap) Len() int           { return len(h.rows) }
func (h *topHeap) Less(i, j int) bool { return h.after(&h.rows[i], &h.rows[j]) }
func (h *topHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *topHeap) Push(x any)         { h.rows = append(h.rows, x.(topRow)) }
func (h *topHeap) Pop() any {
	x := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return x
}

// NewTopN returns a TopN keeping n >= 0 rows.
func NewTopN(cmp func(a, b []types.Datum) int, n int, budget Budget, space *Space) *TopN {
	return &TopN{cmp: cmp, n: n, budget: budget, space: space, h: topHeap{cmp: cmp}}
}

// Spilled reports whether the rows outgrew the budget and went to a Sorter.
func (t *TopN) Spilled() bool { return t.sorter != nil }

// Held returns the bytes charged for the kept rows.
func (t *TopN) Held() int64 { return t.held }

// Add offers a row (kept rows are the TopN's; the caller must not modify them).
func (t *TopN) Add(row []types.Datum) error {
	if t.sorter != nil {
		return t.sorter.Add(row)
	}
	r := topRow{row: row, seq: t.seq, size: memacct.RowSize(row) + 16}
	t.seq++
	if len(t.h.rows) < t.n {
		if !t.budget.TryGrow(r.size) {
			return t.toSorter(row)
		}
		t.held += r.size
		heap.Push(&t.h, r)
		return nil
	}
	if t.n == 0 || !t.h.after(&t.h.rows[0], &r) {
		return nil // not better than the worst kept row
	}
	old := t.h.rows[0].size
	if r.size > old && !t.budget.TryGrow(r.size-old) {
		return t.toSorter(row)
	}
	if r.size < old {
		t.budget.Shrink(old - r.size)
	}
	t.held += r.size - old
	t.h.rows[0] = r
	heap.Fix(&t.h, 0)
	return nil
}

// toSorter moves the kept rows, in input order, and row to a Sorter. Rows
// already dropped were behind n kept ones, so the Sorter's first n rows
// are the same.
func (t *TopN) toSorter(row []types.Datum) error {
	kept := t.h.rows
	slices.SortFunc(kept, func(a, b topRow) int { return int(a.seq - b.seq) })
	t.release()
	t.sorter = NewSorter(t.cmp, t.budget, t.space)
	for _, r := range kept {
		if err := t.sorter.Add(r.row); err != nil {
			return err
		}
	}
	return t.sorter.Add(row)
}

// Finish returns the kept rows in order (all the Sorter's rows once spilled:
// the caller's LIMIT stops after n). The iterator is valid until Close.
func (t *TopN) Finish() (Iterator, error) {
	if t.sorter != nil {
		return t.sorter.Finish()
	}
	kept := t.h.rows
	slices.SortFunc(kept, func(a, b topRow) int {
		if t.h.after(&a, &b) {
			return 1
		}
		return -1
	})
	rows := make([][]types.Datum, len(kept))
	for i := range kept {
		rows[i] = kept[i].row
	}
	return &sliceIter{rows: rows}, nil
}

func (t *TopN) release() {
	t.budget.Shrink(t.held)
	t.held = 0
	t.h.rows = nil
}

// Close releases the memory held.
func (t *TopN) Close() {
	t.release()
	if t.sorter != nil {
		t.sorter.Close()
	}
}
