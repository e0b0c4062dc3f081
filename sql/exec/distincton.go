package exec

import (
	"github.com/heliosdb/nano/sql/types"
)

// DISTINCT ON (exprs): the rows are sorted by the ORDER BY keys (which must
// start with the DISTINCT ON expressions) and then by the DISTINCT ON
// expressions ORDER BY leaves out, and the first row of each run of equal
// DISTINCT ON values is kept. The builder's half (distinctOn, which
// resolves the expressions) is in selectplan.go beside ORDER BY's.

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
