package exec

import (
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// string_agg(value, delimiter [ORDER BY …]): the values of a group joined
// by the delimiter of each value after the first, in the aggregate's
// ORDER BY order (input order otherwise); NULL values are skipped and a
// group without values is NULL. text or bytea.

// aggOrderKey is one ORDER BY key of an ordered aggregate.
type aggOrderKey struct {
	e          *cexpr
	desc       bool
	nullsFirst bool
}

// aggItem is one collected input of an ordered aggregate.
type aggItem struct {
	val  Datum
	sep  Datum
	keys []Datum
}

// bindStringAgg binds string_agg's two arguments and its ORDER BY.
func (b *builder) bindStringAgg(spec *aggSpec, inner *scope, fc *pg_query.FuncCall) error {
	if len(fc.Args) != 2 {
		return pgerror.Newf(pgerror.UndefinedFunction, "function string_agg with %d arguments does not exist", len(fc.Args))
	}
	v, err := b.compile(inner, fc.Args[0], types.Unknown)
	if err != nil {
		return err
	}
	h := types.Text
	if !v.unknown && v.t.Family() == types.FamBytes {
		h = types.Bytea
	}
	sep, err := b.compile(inner, fc.Args[1], h)
	if err != nil {
		return err
	}
	ok := func(e *cexpr) bool { return e.unknown || e.t.Family() == h.Family() }
	if !ok(v) || !ok(sep) {
		return argErr("string_agg", []*cexpr{v, sep})
	}
	if v.t.Oid == types.OidBpchar {
		v = coerce(v, types.Text)
	}
	if v.unknown {
		v = coerce(v, types.Text)
		v.t = types.Text
	}
	spec.arg, spec.sep, spec.t = v, sep, h
	return b.bindAggOrder(spec, inner, fc)
}

func (b *builder) bindAggOrder(spec *aggSpec, inner *scope, fc *pg_query.FuncCall) error {
	for _, n := range fc.AggOrder {
		sb := n.GetSortBy()
		if sb == nil || sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
			return pgerror.New(pgerror.FeatureNotSupported, "ORDER BY … USING in an aggregate is not supported")
		}
		e, err := b.compile(inner, sb.Node, types.Unknown)
		if err != nil {
			return err
		}
		k := aggOrderKey{e: e}
		k.desc, k.nullsFirst = planner.SortOf(sb)
		spec.order = append(spec.order, k)
	}
	if spec.distinct && len(spec.order) > 0 {
		// PostgreSQL: with DISTINCT, ORDER BY expressions must be arguments
		for _, k := range spec.order {
			if !sameDisplay(k.e, spec.arg) {
				return pgerror.New(pgerror.InvalidColumnReference, "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list")
			}
		}
	}
	return nil
}

func sameDisplay(a, b *cexpr) bool { return a.s == b.s && a.t.Oid == b.t.Oid }

// collectOrdered adds a row's value to an ordered aggregate's state.
func collectOrdered(e *env, a *aggSpec, st *aggState, v Datum, row []Datum, budget *memacct.Budget) error {
	it := aggItem{val: v}
	var err error
	if a.sep != nil {
		if it.sep, err = a.sep.fn(e, row); err != nil {
			return err
		}
	}
	for _, k := range a.order {
		kv, err := k.e.fn(e, row)
		if err != nil {
			return err
		}
		it.keys = append(it.keys, kv)
	}
	if err := budget.Grow(memacct.RowSize(append([]Datum{it.val, it.sep}, it.keys...)) + 48); err != nil {
		return err
	}
	st.items = append(st.items, it)
	return nil
}

// sortItems puts the collected items in the aggregate's ORDER BY order.
func sortItems(a *aggSpec, st *aggState) {
	if len(a.order) == 0 {
		return
	}
	sort.SliceStable(st.items, func(i, j int) bool {
		for n, k := range a.order {
			x, y := st.items[i].keys[n], st.items[j].keys[n]
			if x == nil || y == nil {
				if (x == nil) == (y == nil) {
					continue
				}
				return (x == nil) == k.nullsFirst
			}
			c := types.Compare(x, y)
			if c == 0 {
				continue
			}
			return (c < 0) != k.desc
		}
		return false
	})
}

// sortDistinct sorts a DISTINCT aggregate's input without ORDER BY as
// PostgreSQL does (NULL last).
func sortDistinct(a *aggSpec, st *aggState) {
	if !a.distinct || len(a.order) > 0 {
		return
	}
	sort.SliceStable(st.items, func(i, j int) bool {
		x, y := st.items[i].val, st.items[j].val
		if x == nil || y == nil {
			return y == nil && x != nil
		}
		return types.Compare(x, y) < 0
	})
}

// finishStringAgg sorts the collected items and joins them.
func finishStringAgg(a *aggSpec, st *aggState) (Datum, error) {
	if len(st.items) == 0 {
		return nil, nil
	}
	sortItems(a, st)
	if a.t.Family() == types.FamBytes {
		var out []byte
		for i, it := range st.items {
			if i > 0 {
				if s, ok := it.sep.([]byte); ok {
					out = append(out, s...)
				}
			}
			out = append(out, it.val.([]byte)...)
		}
		return out, nil
	}
	var sb strings.Builder
	for i, it := range st.items {
		if i > 0 && it.sep != nil {
			sb.WriteString(str(it.sep))
		}
		sb.WriteString(textOf(it.val, a.arg.t))
	}
	return sb.String(), nil
}

// bindArrayAgg binds array_agg(value [ORDER BY …]): the group's values,
// NULLs included, as a one-dimensional array (arrays of arrays: one more
// dimension).
func (b *builder) bindArrayAgg(spec *aggSpec, inner *scope, fc *pg_query.FuncCall) error {
	if len(fc.Args) != 1 {
		return pgerror.Newf(pgerror.UndefinedFunction, "function array_agg with %d arguments does not exist", len(fc.Args))
	}
	v, err := b.compile(inner, fc.Args[0], types.Unknown)
	if err != nil {
		return err
	}
	if v.unknown {
		return pgerror.New(pgerror.AmbiguousFunction, "function array_agg(unknown) is not unique").
			WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
	}
	if v.t.IsArray() {
		spec.arg, spec.t = v, v.t
	} else {
		at, ok := arrayOf(v.t)
		if !ok {
			return pgerror.Newf(pgerror.UndefinedObject, "could not find array type for data type %s", v.t)
		}
		at.Mod = -1
		spec.arg, spec.t = v, at
	}
	return b.bindAggOrder(spec, inner, fc)
}

// finishArrayAgg sorts the collected items into an array.
func finishArrayAgg(a *aggSpec, st *aggState) (Datum, error) {
	if len(st.items) == 0 {
		return nil, nil
	}
	sortItems(a, st)
	sortDistinct(a, st)
	vals := make([]Datum, len(st.items))
	for i, it := range st.items {
		vals[i] = it.val
	}
	if a.arg.t.IsArray() {
		for _, v := range vals {
			if v == nil {
				return nil, pgerror.New(pgerror.NullValueNotAllowed, "cannot accumulate null arrays")
			}
			if x, err := toArray(v, a.arg.t); err == nil && len(x.Dims) == 0 {
				return nil, pgerror.New(pgerror.ArraySubscriptError, "cannot accumulate empty arrays")
			}
		}
		et, _ := arrayElem(a.t)
		d, err := stackArrays(et, vals, a.t)
		if err != nil {
			return nil, pgerror.New(pgerror.ArraySubscriptError, "cannot accumulate arrays of different dimensionality")
		}
		return d, nil
	}
	et, _ := arrayElem(a.t)
	return types.NewArray1(et, vals), nil
}
