package exec

import (
	"math"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// The ordered-set aggregates: percentile_cont(fraction) and
// percentile_disc(fraction) WITHIN GROUP (ORDER BY value), and mode()
// WITHIN GROUP (ORDER BY value). NULL values are ignored; a group without
// values is NULL. The fraction may be an array (one result per element);
// it must lie in [0, 1] (22003), checked even for an empty group, and a
// NULL fraction gives NULL, as PostgreSQL's final functions. The fraction
// is a "direct argument": it is evaluated once per group and may name only
// enclosing queries' columns and parameters here (PostgreSQL also allows
// the grouped columns; we answer 42703 for those).

func isOrderedSetAgg(name string) bool {
	return name == "percentile_cont" || name == "percentile_disc" || name == "mode"
}

// bindOrderedSet binds the direct argument (spec.direct), the ordering value
// (spec.arg and its single sort key) and the result type.
func (b *builder) bindOrderedSet(a *aggCtx, spec *aggSpec, fc *pg_query.FuncCall) error {
	wantDirect := 1
	if spec.name == "mode" {
		wantDirect = 0
	}
	if !fc.AggWithinGroup {
		// PostgreSQL finds the ordered-set aggregate only when the call
		// has as many arguments as its direct and ordered ones together
		if len(fc.Args) == wantDirect+1 {
			return b.errAt(pgerror.Newf(pgerror.WrongObjectType, "WITHIN GROUP is required for ordered-set aggregate %s", spec.name), fc.Location)
		}
		return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", spec.name, len(fc.Args)), fc.Location)
	}
	if spec.distinct {
		return b.errAt(pgerror.Newf(pgerror.FeatureNotSupported, "DISTINCT is not supported for ordered-set aggregate %s", spec.name), fc.Location)
	}
	if len(fc.Args) != wantDirect || len(fc.AggOrder) != 1 {
		return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function %s with %d direct and %d ordered arguments does not exist", spec.name, len(fc.Args), len(fc.AggOrder)), fc.Location)
	}
	inner := &scope{cols: a.in.cols, parent: a.in.parent, excluded: -1}
	sb := fc.AggOrder[0].GetSortBy()
	if sb == nil || sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
		return pgerror.New(pgerror.FeatureNotSupported, "ORDER BY … USING in an aggregate is not supported")
	}
	if err := b.bindAggOrder(spec, inner, &pg_query.FuncCall{AggOrder: fc.AggOrder}); err != nil {
		return err
	}
	v := spec.order[0].e
	if v.unknown {
		if spec.name == "percentile_cont" {
			v = coerce(v, types.Float8)
			v.t, v.unknown = types.Float8, false
		} else {
			v = coerce(v, types.Text)
			v.t, v.unknown = types.Text, false
		}
	}
	if spec.name == "percentile_cont" {
		switch {
		case v.t.Oid == types.OidInterval || v.t.Oid == types.OidFloat8:
		case planner.IsNumeric(v.t):
			v = coerce(v, types.Float8)
		default:
			return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function percentile_cont(double precision, %s) does not exist", v.t).
				WithHint("No function matches the given name and argument types. You might need to add explicit type casts."), fc.Location)
		}
	}
	spec.order[0].e, spec.arg, spec.t = v, v, v.t
	if wantDirect == 0 {
		return nil
	}
	f, err := b.compile(&scope{parent: a.in.parent, excluded: -1}, fc.Args[0], types.Float8)
	if err != nil {
		return err
	}
	f8arr, _ := types.ArrayOf(types.Float8)
	switch {
	case f.unknown || planner.IsNumeric(f.t):
		f = coerce(f, types.Float8)
	case f.t.IsArray():
		et, _ := arrayElem(f.t)
		if !planner.IsNumeric(et) {
			return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s, %s) does not exist", spec.name, f.t, v.t), fc.Location)
		}
		f = coerce(f, f8arr)
		at, ok := types.ArrayOf(v.t)
		if !ok {
			return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s, %s) does not exist", spec.name, f.t, v.t), fc.Location)
		}
		spec.t = at
	default:
		return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s, %s) does not exist", spec.name, f.t, v.t), fc.Location)
	}
	spec.direct = f
	return nil
}

// finishOrderedSet computes the result from the collected (non-NULL)
// values.
func finishOrderedSet(e *env, a *aggSpec, st *aggState) (Datum, error) {
	var frac Datum
	if a.direct != nil {
		var err error
		if frac, err = a.direct.fn(e, nil); err != nil || frac == nil {
			return nil, err
		}
	}
	var fracs []Datum
	arr, isArr := frac.(*types.Array)
	if isArr {
		fracs = arr.Elems
	} else if a.direct != nil {
		fracs = []Datum{frac}
	}
	for _, f := range fracs {
		if x, ok := f.(float64); ok && (x < 0 || x > 1 || math.IsNaN(x)) {
			return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "percentile value %s is not between 0 and 1", types.FormatText(x, types.Float8))
		}
	}
	if len(st.items) == 0 {
		return nil, nil
	}
	sortItems(a, st)
	if a.name == "mode" {
		return modeOf(st.items), nil
	}
	one := func(f Datum) (Datum, error) {
		if f == nil {
			return nil, nil
		}
		p := f.(float64)
		if a.name == "percentile_disc" {
			k := int(math.Ceil(p * float64(len(st.items))))
			return st.items[max(k, 1)-1].val, nil
		}
		pos := p * float64(len(st.items)-1)
		lo, hi := math.Floor(pos), math.Ceil(pos)
		x := st.items[int(lo)].val
		if lo == hi {
			return x, nil
		}
		y := st.items[int(hi)].val
		return lerp(x, y, pos-lo, a.arg.t)
	}
	if !isArr {
		return one(frac)
	}
	out := make([]Datum, len(fracs))
	for i, f := range fracs {
		v, err := one(f)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	res := *arr
	res.Elem, res.Elems = a.arg.t, out
	return &res, nil
}

// lerp is float8_lerp / interval_lerp: lo + (hi - lo) * p.
func lerp(lo, hi Datum, p float64, t types.T) (Datum, error) {
	if x, ok := lo.(float64); ok {
		return x + p*(hi.(float64)-x), nil
	}
	d, err := types.Sub(hi, lo, t)
	if err != nil {
		return nil, err
	}
	m, err := types.Mul(d, p, t)
	if err != nil {
		return nil, err
	}
	return types.Add(lo, m, t)
}

// modeOf is the most frequent value of sorted items, the first in sort
// order among equally frequent ones.
func modeOf(items []aggItem) Datum {
	var best, run Datum
	bestN, n := 0, 0
	for i, it := range items {
		if i > 0 && types.Compare(it.val, items[i-1].val) == 0 {
			n++
		} else {
			run, n = it.val, 1
		}
		if n > bestN {
			best, bestN = run, n // a run's value is its first item's
		}
	}
	return best
}
