package exec

import (
	"sort"
	"strings"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/pgerror"
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
