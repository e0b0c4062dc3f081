package exec

import (
	"slices"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// GROUPING SETS, ROLLUP and CUBE. A GROUP BY list is expanded into the
// list of its grouping sets, each a set of indexes into the distinct
// grouping expressions (PostgreSQL's expand_grouping_sets): a plain item
// is one set of itself, () the empty set, ROLLUP(a, b) the sets {a, b},
// {a} and {}, CUBE(a, b) every subset, GROUPING SETS (…) the sets of its
// items one after the other, and a parenthesised list (a, b) one set of
// both. The items of the GROUP BY list combine by cross product. The
// aggregation then groups every input row once per grouping set; a row's
// value of an expression outside its set is NULL, and a hidden column
// after the grouping expressions holds the set's index, which GROUPING()
// reads.

const (
	maxCubeItems    = 12   // PostgreSQL's limit on the elements of CUBE
	maxGroupingSets = 4096 // and on the grouping sets of a query
)

// groupingSetList expands items into grouping sets. leaf maps a grouping
// expression to its index in the distinct list; sets is nil when no item
// is a grouping set construct (a plain GROUP BY, whose items are the
// leaves in order).
func groupingSetList(items []*pg_query.Node, distinct bool, leaf func(*pg_query.Node) (int, error)) ([][]int, bool, error) {
	hasSets := false
	for _, it := range items {
		if it.GetGroupingSet() != nil {
			hasSets = true
		}
	}
	sets := [][]int{{}}
	for _, it := range items {
		exp, err := expandGroupItem(it, leaf)
		if err != nil {
			return nil, false, err
		}
		var next [][]int
		for _, a := range sets {
			for _, b := range exp {
				next = append(next, unionSet(a, b))
				if len(next) > maxGroupingSets {
					return nil, false, pgerror.Newf(pgerror.StatementTooComplex, "too many grouping sets present (maximum %d)", maxGroupingSets)
				}
			}
		}
		sets = next
	}
	if distinct {
		var out [][]int
		for _, s := range sets {
			if !slices.ContainsFunc(out, func(o []int) bool { return slices.Equal(o, s) }) {
				out = append(out, s)
			}
		}
		sets = out
	}
	return sets, hasSets, nil
}

// unionSet is a ∪ b, sorted.
func unionSet(a, b []int) []int {
	out := append(append([]int(nil), a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// expandGroupItem is the list of grouping sets one GROUP BY item stands for.
func expandGroupItem(n *pg_query.Node, leaf func(*pg_query.Node) (int, error)) ([][]int, error) {
	gs := n.GetGroupingSet()
	if gs == nil {
		s, err := groupItemSet(n, leaf)
		return [][]int{s}, err
	}
	switch gs.Kind {
	case pg_query.GroupingSetKind_GROUPING_SET_EMPTY:
		return [][]int{{}}, nil
	case pg_query.GroupingSetKind_GROUPING_SET_SIMPLE:
		var s []int
		for _, c := range gs.Content {
			cs, err := groupItemSet(c, leaf)
			if err != nil {
				return nil, err
			}
			s = unionSet(s, cs)
		}
		return [][]int{s}, nil
	case pg_query.GroupingSetKind_GROUPING_SET_ROLLUP, pg_query.GroupingSetKind_GROUPING_SET_CUBE:
		elems := make([][]int, len(gs.Content))
		for i, c := range gs.Content {
			s, err := groupItemSet(c, leaf)
			if err != nil {
				return nil, err
			}
			elems[i] = s
		}
		var out [][]int
		if gs.Kind == pg_query.GroupingSetKind_GROUPING_SET_ROLLUP {
			for k := len(elems); k >= 0; k-- {
				var s []int
				for _, e := range elems[:k] {
					s = unionSet(s, e)
				}
				out = append(out, s)
			}
			return out, nil
		}
		if len(elems) > maxCubeItems {
			return nil, pgerror.Newf(pgerror.TooManyColumns, "CUBE is limited to %d elements", maxCubeItems)
		}
		for mask := (1 << len(elems)) - 1; mask >= 0; mask-- {
			var s []int
			for i, e := range elems {
				if mask&(1<<(len(elems)-1-i)) != 0 {
					s = unionSet(s, e)
				}
			}
			out = append(out, s)
		}
		return out, nil
	case pg_query.GroupingSetKind_GROUPING_SET_SETS:
		var out [][]int
		for _, c := range gs.Content {
			exp, err := expandGroupItem(c, leaf)
			if err != nil {
				return nil, err
			}
			out = append(out, exp...)
		}
		return out, nil
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "grouping set kind %s is not supported", gs.Kind)
}

// groupItemSet is the set of one element of a grouping set construct: an
// expression, or a parenthesised list of them.
func groupItemSet(n *pg_query.Node, leaf func(*pg_query.Node) (int, error)) ([]int, error) {
	if r := n.GetRowExpr(); r != nil && r.RowFormat == pg_query.CoercionForm_COERCE_IMPLICIT_CAST {
		var s []int
		for _, a := range r.Args {
			i, err := leaf(a)
			if err != nil {
				return nil, err
			}
			s = unionSet(s, []int{i})
		}
		return s, nil
	}
	if n.GetGroupingSet() != nil {
		exp, err := expandGroupItem(n, leaf)
		if err != nil {
			return nil, err
		}
		if len(exp) == 1 {
			return exp[0], nil
		}
		return nil, pgerror.New(pgerror.FeatureNotSupported, "a grouping set construct nested inside ROLLUP or CUBE is not supported")
	}
	i, err := leaf(n)
	if err != nil {
		return nil, err
	}
	return []int{i}, nil
}

// compileGrouping is GROUPING(args): an integer whose bit i (counting
// from the last argument) is set when argument i is not in the grouping
// set of the row.
func (a *aggCtx) compileGrouping(b *builder, gf *pg_query.GroupingFunc) (*cexpr, error) {
	idx := make([]int, len(gf.Args))
	for i, arg := range gf.Args {
		idx[i] = -1
		for j, gn := range a.gnodes {
			if sameExpr(gn, arg) {
				idx[i] = j
				break
			}
		}
		if idx[i] < 0 && arg.GetColumnRef() != nil {
			if e, err := b.compile(a.in, arg, types.Unknown); err == nil && e.colIdx >= 0 {
				for j, g := range a.groups {
					if g.colIdx == e.colIdx {
						idx[i] = j
						break
					}
				}
			}
		}
		if idx[i] < 0 {
			return nil, b.errAt(pgerror.New(pgerror.GroupingError, "arguments to GROUPING must be grouping expressions of the associated query level"), gf.Location)
		}
	}
	masks := make([]int64, max(len(a.sets), 1))
	for si, set := range a.sets {
		for i, j := range idx {
			if !slices.Contains(set, j) {
				masks[si] |= 1 << (len(idx) - 1 - i)
			}
		}
	}
	col := len(a.groups)
	return &cexpr{t: types.Int4, s: "GROUPING(...)", colIdx: -1, fn: func(_ *env, row []Datum) (Datum, error) {
		if a.sets == nil {
			return int64(0), nil
		}
		return masks[row[col].(int64)], nil
	}}, nil
}
