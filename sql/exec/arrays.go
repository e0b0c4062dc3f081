package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgcatalog"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// Arrays: values are *types.Array (catalog rows may carry an array in its
// text form, which toArray parses). Here: ARRAY[...] and ARRAY(subquery),
// x op ANY/ALL(array), subscripts and slices; functions and operators are
// in arrayfuncs.go, array_agg in agg_ordered.go, unnest and
// generate_subscripts in srflist.go.

// arrayElem is the element type of array type t.
func arrayElem(t types.T) (types.T, bool) {
	if et, ok := types.ElemOf(t); ok {
		return types.T{Oid: et.Oid, Mod: -1}, true
	}
	e, ok := pgcatalog.ArrayElem(t.Oid)
	if !ok {
		return types.T{}, false
	}
	return types.T{Oid: e, Mod: -1}, true
}

// arrayOf is the array type of element type et.
func arrayOf(et types.T) (types.T, bool) {
	if at, ok := types.ArrayOf(types.T{Oid: et.Oid, Mod: -1}); ok {
		return at, true
	}
	if a, ok := pgcatalog.ArrayOf(et.Oid); ok {
		return types.T{Oid: a, Mod: -1}, true
	}
	return types.T{}, false
}

// toArray returns d, a non-NULL value of array type t, as an *Array.
func toArray(d Datum, t types.T) (*types.Array, error) {
	if a, ok := d.(*types.Array); ok {
		return a, nil
	}
	if _, ok := types.ElemOf(t); ok {
		return types.AsArray(d, t)
	}
	// catalog arrays of other types (int2vector, oidvector, aclitem[])
	// in their text form
	et, ok := arrayElem(t)
	if !ok {
		et = types.Text
	}
	elems, present := pgcatalog.ParseArray(str(d))
	vals := make([]Datum, len(elems))
	for i, el := range elems {
		if !present[i] {
			continue
		}
		v, err := types.ParseText(et, el)
		if err != nil {
			v = el
		}
		vals[i] = v
	}
	a := types.NewArray1(et, vals)
	if len(vals) > 0 && arrayLower(t) == 0 {
		a.Lower = []int{0}
	}
	return a, nil
}

// arrayLower is the subscript of a catalog array's first element.
func arrayLower(t types.T) int64 {
	if t.Oid == 22 || t.Oid == 30 { // int2vector, oidvector
		return 0
	}
	return 1
}

// compileArraySubLink is ARRAY(subquery).
func compileArraySubLink(sub plan, run func(*env, []Datum) ([][]Datum, error)) (*cexpr, error) {
	cols := sub.cols()
	if len(cols) != 1 {
		return nil, pgerror.New(pgerror.SyntaxError, "subquery must return only one column")
	}
	et := cols[0].typ
	at, ok := arrayOf(et)
	if !ok {
		return nil, pgerror.Newf(pgerror.UndefinedObject, "could not find array type for data type %s", et)
	}
	return &cexpr{t: at, s: "ARRAY(SubPlan)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		rows, err := run(en, row)
		if err != nil {
			return nil, err
		}
		vals := make([]Datum, len(rows))
		for i, r := range rows {
			vals[i] = r[0]
		}
		return types.NewArray1(types.T{Oid: et.Oid, Mod: -1}, vals), nil
	}}, nil
}

// compileArrayExpr is ARRAY[e, ...]: a one-dimensional array of the
// elements' common type, or, when the elements are arrays, an array of one
// more dimension.
func (b *builder) compileArrayExpr(s *scope, ae *pg_query.A_ArrayExpr, hint types.T) (*cexpr, error) {
	elemHint := types.Unknown
	if et, ok := types.ElemOf(hint); ok {
		elemHint = et
		if len(ae.Elements) > 0 && ae.Elements[0].GetAArrayExpr() != nil {
			elemHint = hint // sub-arrays of a multidimensional array
		}
	}
	if len(ae.Elements) == 0 {
		if elemHint.Oid == types.OidUnknown {
			return nil, b.errAt(pgerror.New(pgerror.IndeterminateDatatype, "cannot determine type of empty array").
				WithHint("Explicitly cast to the desired type, for example ARRAY[]::integer[]."), ae.Location)
		}
		at, _ := types.ArrayOf(elemHint)
		return constExpr(&types.Array{Elem: types.T{Oid: elemHint.Oid, Mod: -1}}, at, "ARRAY[]"), nil
	}
	els := make([]*cexpr, len(ae.Elements))
	for i, n := range ae.Elements {
		h := elemHint
		if sub := n.GetAArrayExpr(); sub != nil && h.Oid != types.OidUnknown && !h.IsArray() {
			h, _ = types.ArrayOf(h)
		}
		var e *cexpr
		var err error
		if sub := n.GetAArrayExpr(); sub != nil {
			e, err = b.compileArrayExpr(s, sub, h)
		} else {
			e, err = b.compile(s, n, h)
		}
		if err != nil {
			return nil, err
		}
		els[i] = e
	}
	var ct types.T
	allUnknown := true
	for _, e := range els {
		if e.unknown {
			continue
		}
		if allUnknown {
			ct, allUnknown = e.t, false
			continue
		}
		t, ok := types.CommonType(ct, e.t)
		if !ok || (ct.IsArray() != e.t.IsArray()) {
			return nil, b.errAt(pgerror.Newf(pgerror.DatatypeMismatch, "ARRAY types %s and %s cannot be matched", ct, e.t), ae.Location)
		}
		if ct.Oid != t.Oid {
			ct = types.T{Oid: t.Oid, Mod: -1}
		} else if ct.Mod != e.t.Mod {
			ct.Mod = -1
		}
	}
	if allUnknown {
		ct = types.Text
		if elemHint.Oid != types.OidUnknown {
			ct = elemHint
		}
	}
	if ct.Oid == types.OidBpchar || ct.Oid == types.OidVarchar {
		ct.Mod = -1
	}
	for i, e := range els {
		els[i] = coerce(e, ct)
	}
	multi := ct.IsArray()
	var et types.T
	if multi {
		et, _ = types.ElemOf(ct)
	} else {
		et = ct
	}
	at, ok := types.ArrayOf(types.T{Oid: et.Oid, Mod: -1})
	if !ok {
		return nil, b.errAt(pgerror.Newf(pgerror.UndefinedObject, "could not find array type for data type %s", et), ae.Location)
	}
	at.Mod = -1
	elT := types.T{Oid: et.Oid, Mod: -1}
	e := &cexpr{t: at, s: "ARRAY[...]", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		vals := make([]Datum, len(els))
		for i, x := range els {
			v, err := x.fn(en, row)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		if !multi {
			return types.NewArray1(elT, vals), nil
		}
		return stackArrays(elT, vals, ct)
	}}
	return foldConst(e, els...)
}

// stackArrays builds the array of one more dimension whose elements are
// the arrays vals (ARRAY[ARRAY[1,2], ARRAY[3,4]]).
func stackArrays(et types.T, vals []Datum, at types.T) (Datum, error) {
	out := &types.Array{Elem: et}
	var first *types.Array
	for _, v := range vals {
		if v == nil {
			// PostgreSQL: a NULL sub-array makes the whole result...
			// it is an error only with mismatched dimensions; treat it as
			// an empty sub-array
			v = &types.Array{Elem: et}
		}
		a, err := toArray(v, at)
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = a
		} else if !sameDims(first, a) {
			return nil, pgerror.New(pgerror.ArraySubscriptError, "multidimensional arrays must have array expressions with matching dimensions")
		}
		out.Elems = append(out.Elems, a.Elems...)
	}
	if first == nil || len(first.Dims) == 0 {
		return out, nil
	}
	if len(first.Dims)+1 > 6 {
		return nil, pgerror.Newf(pgerror.ProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (6)", len(first.Dims)+1)
	}
	out.Dims = append([]int{len(vals)}, first.Dims...)
	out.Lower = append([]int{1}, first.Lower...)
	return out, nil
}

func sameDims(a, b *types.Array) bool {
	if len(a.Dims) != len(b.Dims) {
		return false
	}
	for i := range a.Dims {
		if a.Dims[i] != b.Dims[i] || a.Lower[i] != b.Lower[i] {
			return false
		}
	}
	return true
}

// compileAnyArray is x op ANY/ALL(array).
func (b *builder) compileAnyArray(s *scope, a *pg_query.A_Expr, op string) (*cexpr, error) {
	l, err := b.compile(s, a.Lexpr, types.Unknown)
	if err != nil {
		return nil, err
	}
	hint := types.Unknown
	if !l.unknown {
		if at, ok := arrayOf(l.t); ok {
			hint = at
		}
	}
	arr, err := b.compile(s, a.Rexpr, hint)
	if err != nil {
		return nil, err
	}
	et, ok := arrayElem(arr.t)
	if !ok && arr.unknown {
		// '{a,b}' literal: an array of the left side's type
		lt := l.t
		if l.unknown {
			lt = types.Text
		}
		if at, ok2 := arrayOf(lt); ok2 {
			arr = coerce(arr, at)
			et, ok = lt, true
		}
	}
	if !ok {
		return nil, b.errAt(pgerror.Newf(pgerror.WrongObjectType, "op ANY/ALL (array) requires array on right side"), a.Location)
	}
	if l.unknown && !arr.unknown {
		// '20' = ANY (ARRAY[20]) compares integers (it compared text)
		if l, err = b.compile(s, a.Lexpr, et); err != nil {
			return nil, err
		}
	}
	key := new(int)
	slot := &cexpr{t: et, colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) { return en.cache[key], nil }}
	cmp, err := compareOp(op, l, slot)
	if err != nil {
		return nil, b.errAt(pgerror.Flatten(err), a.Location)
	}
	all := a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL
	af, at := arr.fn, arr.t
	word := "ANY"
	if all {
		word = "ALL"
	}
	return &cexpr{t: types.Bool, s: l.s + " " + op + " " + word + " (" + arr.s + ")", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		if en == nil {
			return nil, errNoFold
		}
		av, err := af(en, row)
		if err != nil || av == nil {
			return nil, err
		}
		if en.cache == nil {
			en.cache = map[any]any{}
		}
		arr, err := toArray(av, at)
		if err != nil {
			return nil, err
		}
		return quantified(all, len(arr.Elems), func(i int) (Datum, error) {
			en.cache[key] = arr.Elems[i]
			return cmp.fn(en, row)
		})
	}}, nil
}

// compileIndirection is (r).f field selection, then array[i][j] and
// array[lo:hi] (compileSubscripts).
func (b *builder) compileIndirection(s *scope, ind *pg_query.A_Indirection) (*cexpr, error) {
	base, err := b.compile(s, ind.Arg, types.Unknown)
	if err != nil {
		return nil, err
	}
	inds := ind.Indirection
	for len(inds) > 0 && inds[0].GetString_() != nil {
		name := strVal(inds[0])
		if base.t.Oid == types.OidRecord && base.t.Mod > 0 {
			base, err = fieldSelect(base, name) // _pg_expandarray's (x, n)
		} else if rel := wholeRowName(ind.Arg); rel != "" && base.colIdx < 0 && len(inds) == len(ind.Indirection) && b.hasRelation(s, rel) {
			// (t).f of a FROM item t is t.f
			if base, err = b.selectField(base, name, planner.ExprLocation(ind.Arg)); pgerror.As(err) != nil && pgerror.As(err).Code == pgerror.UndefinedColumn {
				err = b.errAt(pgerror.Newf(pgerror.UndefinedColumn, "column %s.%s does not exist", rel, name), planner.ExprLocation(ind.Arg))
			}
		} else {
			base, err = b.selectField(base, name, planner.ExprLocation(ind.Arg))
		}
		if err != nil {
			return nil, err
		}
		inds = inds[1:]
	}
	if len(inds) == 0 {
		return base, nil
	}
	return b.compileSubscripts(s, base, ind.Arg, inds)
}

// starIndirection reports whether select-list item val is (r).*: the
// record expression without the star.
func starIndirection(val *pg_query.Node) (*pg_query.Node, bool) {
	ind := val.GetAIndirection()
	if ind == nil || len(ind.Indirection) == 0 || ind.Indirection[len(ind.Indirection)-1].GetAStar() == nil {
		return nil, false
	}
	if len(ind.Indirection) == 1 {
		return ind.Arg, true
	}
	return &pg_query.Node{Node: &pg_query.Node_AIndirection{AIndirection: &pg_query.A_Indirection{
		Arg: ind.Arg, Indirection: ind.Indirection[:len(ind.Indirection)-1]}}}, true
}

// wholeRowName is the name n of an expression that is a bare name (maybe a
// whole-row reference), "" otherwise.
func wholeRowName(n *pg_query.Node) string {
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
		return strVal(cr.Fields[0])
	}
	return ""
}

// expandRecordStar compiles (r).* of a select list, r being recNode.
func (b *builder) expandRecordStar(s *scope, recNode *pg_query.Node) ([]*cexpr, []colInfo, error) {
	rec, err := b.compile(s, recNode, types.Unknown)
	if err != nil {
		return nil, nil, err
	}
	return b.recordStar(rec, planner.ExprLocation(recNode))
}

// subscript is one compiled [lo:hi] or [i] of an indirection.
type subscript struct {
	lo, hi *cexpr // nil when omitted; lo nil and !slice for [i]
	slice  bool
}

// compileSubscripts is array[i][j] and array[lo:hi] (slices) of arr, the
// value of node arg.
func (b *builder) compileSubscripts(s *scope, arr *cexpr, arg *pg_query.Node, indirection []*pg_query.Node) (*cexpr, error) {
	var subs []subscript
	slice := false
	for _, n := range indirection {
		ai := n.GetAIndices()
		if ai == nil {
			if n.GetAStar() != nil {
				return nil, pgerror.New(pgerror.FeatureNotSupported, "row expansion via \"*\" is not supported here")
			}
			return nil, pgerror.Newf(pgerror.DatatypeMismatch, "column notation .%s applied to type %s, which is not a composite type", strVal(n), arr.t)
		}
		var sub subscript
		sub.slice = ai.IsSlice
		slice = slice || ai.IsSlice
		for i, x := range []*pg_query.Node{ai.Lidx, ai.Uidx} {
			if x == nil {
				continue
			}
			e, err := b.compile(s, x, types.Int4)
			if err != nil {
				return nil, err
			}
			if !e.unknown && e.t.Family() != types.FamInt {
				if e.t.Family() == types.FamFloat || e.t.Family() == types.FamNumeric {
					e = coerce(e, types.Int4)
				} else {
					return nil, b.errAt(pgerror.Newf(pgerror.DatatypeMismatch, "array subscript must have type integer"), planner.ExprLocation(x))
				}
			}
			e = coerce(e, types.Int8)
			if i == 0 {
				sub.lo = e
			} else {
				sub.hi = e
			}
		}
		subs = append(subs, sub)
	}
	if arr.unknown {
		return nil, b.errAt(pgerror.Newf(pgerror.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", types.Text), planner.ExprLocation(arg))
	}
	et, ok := arrayElem(arr.t)
	if !ok {
		return nil, b.errAt(pgerror.Newf(pgerror.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", arr.t), planner.ExprLocation(arg))
	}
	if len(subs) > 6 {
		return nil, pgerror.Newf(pgerror.ProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (6)", len(subs))
	}
	af, at := arr.fn, arr.t
	eval := func(en *env, row []Datum, x *cexpr) (int, bool, error) {
		v, err := x.fn(en, row)
		if err != nil || v == nil {
			return 0, false, err
		}
		return int(i64(v)), true, nil
	}
	rt := et
	if slice {
		rt = at
	}
	e := &cexpr{t: rt, s: arr.s + "[...]", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		av, err := af(en, row)
		if err != nil || av == nil {
			return nil, err
		}
		a, err := toArray(av, at)
		if err != nil {
			return nil, err
		}
		if !slice {
			idx := make([]int, len(subs))
			for i, sb := range subs {
				v, ok, err := eval(en, row, sb.hi)
				if err != nil || !ok {
					return nil, err
				}
				idx[i] = v
			}
			return arrayAt(a, idx), nil
		}
		lo, hi := make([]int, len(subs)), make([]int, len(subs))
		for i, sb := range subs {
			if i >= len(a.Dims) {
				// evaluated for NULL checks only
				lo[i], hi[i] = 1, 0
			} else {
				lo[i], hi[i] = a.Lower[i], a.Lower[i]+a.Dims[i]-1
			}
			if sb.slice && sb.lo != nil {
				v, ok, err := eval(en, row, sb.lo)
				if err != nil || !ok {
					return nil, err
				}
				lo[i] = v
			} else if !sb.slice {
				lo[i] = 1
			}
			if sb.hi != nil {
				v, ok, err := eval(en, row, sb.hi)
				if err != nil || !ok {
					return nil, err
				}
				hi[i] = v
			}
		}
		return arraySlice(a, lo, hi), nil
	}}
	return foldConst(e, arr)
}

// arrayAt is a[idx...] (NULL when out of range or the number of
// subscripts is not the number of dimensions).
func arrayAt(a *types.Array, idx []int) Datum {
	if len(idx) != len(a.Dims) {
		return nil
	}
	off := 0
	for i, x := range idx {
		p := x - a.Lower[i]
		if p < 0 || p >= a.Dims[i] {
			return nil
		}
		off = off*a.Dims[i] + p
	}
	return a.Elems[off]
}

// arraySlice is a[lo:hi, ...], bounds clamped to the array's; the result
// has lower bounds 1 (empty when any range is empty).
func arraySlice(a *types.Array, lo, hi []int) Datum {
	empty := &types.Array{Elem: a.Elem}
	nd := len(a.Dims)
	if len(lo) > nd || nd == 0 {
		return empty
	}
	l, h := make([]int, nd), make([]int, nd)
	for i := 0; i < nd; i++ {
		l[i], h[i] = a.Lower[i], a.Lower[i]+a.Dims[i]-1
		if i < len(lo) {
			l[i], h[i] = max(l[i], lo[i]), min(h[i], hi[i])
		}
		if l[i] > h[i] {
			return empty
		}
	}
	out := &types.Array{Elem: a.Elem, Dims: make([]int, nd), Lower: make([]int, nd)}
	for i := range nd {
		out.Dims[i], out.Lower[i] = h[i]-l[i]+1, 1
	}
	// walk every index of the result, row-major
	cur := append([]int(nil), l...)
	for {
		off := 0
		for i := range nd {
			off = off*a.Dims[i] + cur[i] - a.Lower[i]
		}
		out.Elems = append(out.Elems, a.Elems[off])
		i := nd - 1
		for i >= 0 {
			cur[i]++
			if cur[i] <= h[i] {
				break
			}
			cur[i] = l[i]
			i--
		}
		if i < 0 {
			break
		}
	}
	return out
}

// compileSubscriptAssign is UPDATE … SET col[i][j] = val: the column's
// array with that element set (a one-dimensional array grows, padded with
// NULLs, as PostgreSQL's array_set_element).
func (b *builder) compileSubscriptAssign(s *scope, col int, at types.T, ind []*pg_query.Node, val *pg_query.Node) (*cexpr, error) {
	et, ok := arrayElem(at)
	if !ok {
		return nil, pgerror.Newf(pgerror.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", at)
	}
	var idx []*cexpr
	for _, n := range ind {
		ai := n.GetAIndices()
		if ai == nil || ai.IsSlice {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "assignment to an array slice or field is not supported")
		}
		e, err := b.compile(s, ai.Uidx, types.Int4)
		if err != nil {
			return nil, err
		}
		idx = append(idx, coerce(e, types.Int8))
	}
	v, err := b.compile(s, val, et)
	if err != nil {
		return nil, err
	}
	v = coerce(v, et)
	vf := v.fn
	return &cexpr{t: at, s: "subscripted assignment", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		sub := make([]int, len(idx))
		for i, x := range idx {
			d, err := x.fn(en, row)
			if err != nil {
				return nil, err
			}
			if d == nil {
				return nil, pgerror.New(pgerror.NullValueNotAllowed, "array subscript in assignment must not be null")
			}
			sub[i] = int(i64(d))
		}
		nv, err := vf(en, row)
		if err != nil {
			return nil, err
		}
		var a *types.Array
		if row[col] == nil {
			a = &types.Array{Elem: et}
		} else if a, err = toArray(row[col], at); err != nil {
			return nil, err
		}
		return arraySet(a, sub, nv)
	}}, nil
}

// arraySet is array_set_element.
func arraySet(a *types.Array, sub []int, v Datum) (Datum, error) {
	if len(a.Dims) == 0 {
		dims, lower := make([]int, len(sub)), make([]int, len(sub))
		for i := range sub {
			dims[i], lower[i] = 1, sub[i]
		}
		return &types.Array{Elem: a.Elem, Dims: dims, Lower: lower, Elems: []Datum{v}}, nil
	}
	if len(sub) != len(a.Dims) {
		return nil, pgerror.New(pgerror.ArraySubscriptError, "wrong number of array subscripts")
	}
	out := &types.Array{Elem: a.Elem, Dims: append([]int(nil), a.Dims...), Lower: append([]int(nil), a.Lower...)}
	if len(sub) == 1 {
		lo, hi := a.Lower[0], a.Lower[0]+a.Dims[0]-1
		elems := append([]Datum(nil), a.Elems...)
		switch {
		case sub[0] < lo:
			elems = append(make([]Datum, lo-sub[0]), elems...)
			out.Lower[0] = sub[0]
		case sub[0] > hi:
			elems = append(elems, make([]Datum, sub[0]-hi)...)
		}
		out.Dims[0] = len(elems)
		elems[sub[0]-out.Lower[0]] = v
		out.Elems = elems
		return out, nil
	}
	off := 0
	for i, x := range sub {
		p := x - a.Lower[i]
		if p < 0 || p >= a.Dims[i] {
			return nil, pgerror.New(pgerror.ArraySubscriptError, "array subscript out of range")
		}
		off = off*a.Dims[i] + p
	}
	out.Elems = append([]Datum(nil), a.Elems...)
	out.Elems[off] = v
	return out, nil
}

// fieldSelect is (rec).x or (rec).n of a _pg_expandarray record (srflist.go).
func fieldSelect(rec *cexpr, field string) (*cexpr, error) {
	var i int
	var t types.T
	switch field {
	case "x":
		i, t = 0, types.T{Oid: types.Oid(rec.t.Mod), Mod: -1}
	case "n":
		i, t = 1, types.Int4
	default:
		return nil, pgerror.Newf(pgerror.UndefinedColumn, "could not identify column %q in record data type", field)
	}
	rf := rec.fn
	return &cexpr{t: t, s: "(" + rec.s + ")." + field, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		v, err := rf(en, row)
		if err != nil || v == nil {
			return nil, err
		}
		fields, present := recordFields(str(v))
		if i >= len(fields) {
			return nil, nil
		}
		return elemDatum(fields[i], present[i], t)
	}}, nil
}

// elemDatum converts element text to a datum of type et.
func elemDatum(s string, ok bool, et types.T) (Datum, error) {
	if !ok {
		return nil, nil
	}
	return types.ParseText(et, s)
}

// arrayElems is the text form of each element of array d (present[i]
// false for NULL), as _pg_expandarray's record text needs.
func arrayElems(d Datum) (elems []string, present []bool) {
	a, ok := d.(*types.Array)
	if !ok {
		return pgcatalog.ParseArray(str(d))
	}
	for _, e := range a.Elems {
		if e == nil {
			elems, present = append(elems, ""), append(present, false)
			continue
		}
		elems, present = append(elems, textOf(e, a.Elem)), append(present, true)
	}
	return elems, present
}
