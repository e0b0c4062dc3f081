package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// DISTINCT ON (exprs): the rows are sorted by the ORDER BY keys (which must
// start with the DISTINCT ON expressions) and then by the DISTINCT ON
// expressions ORDER BY leaves out, and the first row of each run of equal
// DISTINCT ON values is kept.

// distinctOn resolves the DISTINCT ON expressions (appending hidden
// columns as ORDER BY does) and returns the output columns they occupy
// and the sort keys to use (planner.DistinctOnKeys checks them against
// the ORDER BY keys).
func (b *builder) distinctOn(s *scope, sel *pg_query.SelectStmt, o *outputCols, keys []planner.SortKey) ([]int, []planner.SortKey, error) {
	var on []int
	for _, n := range sel.DistinctClause {
		idx, err := b.sortTarget(s, n, o, "DISTINCT ON")
		if err != nil {
			return nil, nil, err
		}
		on = append(on, idx)
	}
	return planner.DistinctOnKeys(on, keys, o.same)
}

// distinctOnPlan keeps the first row of each run of equal values in the
// columns on (its input is sorted on them).
type distinctOnPlan struct {
	in plan
	on []int
}

func (p *distinctOnPlan) cols() []colInfo { return p.in.cols() }
func (p *distinctOnPlan) explain(x *explainer, depth int) {
	x.add(depth, "Unique")
	x.child(p.in, depth+1)
}

func (p *distinctOnPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	var prev []Datum
	return &funcIter{nx: func() ([]Datum, error) {
		for {
			if err := e.checkCancel(); err != nil {
				return nil, err
			}
			row, err := in.next()
			if err != nil || row == nil {
				return nil, err
			}
			if prev != nil && sameValues(prev, row, p.on) {
				continue
			}
			prev = row
			return row, nil
		}
	}, cl: in.close}, nil
}

// sameValues compares the columns idx of two rows, NULL equal to NULL.
func sameValues(a, b []Datum, idx []int) bool {
	for _, i := range idx {
		x, y := a[i], b[i]
		if x == nil || y == nil {
			if x != nil || y != nil {
				return false
			}
			continue
		}
		if types.Compare(x, y) != 0 {
			return false
		}
	}
	return true
}
