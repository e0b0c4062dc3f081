package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgcatalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Arrays, as far as the catalog queries of psql and drivers use them: an
// array value is carried as its PostgreSQL text form ("{1,2}", or "1 2"
// for int2vector/oidvector) under the array type's OID. Supported:
// ARRAY(subquery), x op ANY/ALL(array), array[i], and (package pgcatalog)
// array_upper/array_lower/array_length/cardinality/array_to_string; the
// set-returning unnest and generate_subscripts are in srf.go.

// arrayElem is the element type of array type t.
func arrayElem(t types.T) (types.T, bool) {
	e, ok := pgcatalog.ArrayElem(t.Oid)
	if !ok {
		return types.T{}, false
	}
	return types.T{Oid: e, Mod: -1}, true
}

// arrayElems parses an array value's text form. The bool of each element
// is false for NULL.
func arrayElems(d Datum) ([]string, []bool) { return pgcatalog.ParseArray(str(d)) }

// arrayLower is the subscript of an array's first element.
func arrayLower(t types.T) int64 {
	if t.Oid == 22 || t.Oid == 30 { // int2vector, oidvector
		return 0
	}
	return 1
}

// elemDatum converts element text to a datum of type et.
func elemDatum(s string, ok bool, et types.T) (Datum, error) {
	if !ok {
		return nil, nil
	}
	return types.ParseText(et, s)
}

// compileArraySubLink is ARRAY(subquery).
func compileArraySubLink(sub plan, run func(*env, []Datum) ([][]Datum, error)) (*cexpr, error) {
	cols := sub.cols()
	if len(cols) != 1 {
		return nil, pgerror.New(pgerror.SyntaxError, "subquery must return only one column")
	}
	et := cols[0].typ
	at, ok := pgcatalog.ArrayOf(et.Oid)
	if !ok {
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "arrays of type %s are not supported", et)
	}
	return &cexpr{t: types.T{Oid: at, Mod: -1}, s: "ARRAY(SubPlan)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		rows, err := run(en, row)
		if err != nil {
			return nil, err
		}
		vals := make([]Datum, len(rows))
		for i, r := range rows {
			vals[i] = r[0]
		}
		return pgcatalog.FormatArray(vals, et), nil
	}}, nil
}

// compileAnyArray is x op ANY(array) / x op ALL(array).
func (b *builder) compileAnyArray(s *scope, a *pg_query.A_Expr, op string) (*cexpr, error) {
	arr, err := b.compile(s, a.Rexpr, types.Unknown)
	if err != nil {
		return nil, err
	}
	l, err := b.compile(s, a.Lexpr, types.Unknown)
	if err != nil {
		return nil, err
	}
	et, ok := arrayElem(arr.t)
	if !ok && arr.unknown {
		// '{a,b}' literal: an array of the left side's type
		if at, ok2 := pgcatalog.ArrayOf(l.t.Oid); ok2 {
			arr.t, et, ok = types.T{Oid: at, Mod: -1}, l.t, true
		}
	}
	if !ok {
		return nil, b.errAt(pgerror.Newf(pgerror.FeatureNotSupported, "op ANY/ALL (array) is not supported for type %s", arr.t), a.Location)
	}
	key := new(int)
	slot := &cexpr{t: et, colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) { return en.cache[key], nil }}
	cmp, err := compareOp(op, l, slot)
	if err != nil {
		return nil, b.errAt(pgerror.Flatten(err), a.Location)
	}
	all := a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL
	af := arr.fn
	return &cexpr{t: types.Bool, s: l.s + " " + op + " ANY (" + arr.s + ")", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
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
		elems, present := arrayElems(av)
		sawNull := false
		for i, el := range elems {
			d, err := elemDatum(el, present[i], et)
			if err != nil {
				return nil, err
			}
			en.cache[key] = d
			v, err := cmp.fn(en, row)
			if err != nil {
				return nil, err
			}
			if v == nil {
				sawNull = true
			} else if v.(bool) != all {
				return !all, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return all, nil
	}}, nil
}

// compileIndirection is array[i] (one subscript; slices are not
// supported).
func (b *builder) compileIndirection(s *scope, ind *pg_query.A_Indirection) (*cexpr, error) {
	arr, err := b.compile(s, ind.Arg, types.Unknown)
	if err != nil {
		return nil, err
	}
	if len(ind.Indirection) == 1 && ind.Indirection[0].GetString_() != nil && arr.t.Oid == types.OidRecord && arr.t.Mod > 0 {
		return fieldSelect(arr, ind.Indirection[0].GetString_().Sval)
	}
	if len(ind.Indirection) != 1 || ind.Indirection[0].GetAIndices() == nil || ind.Indirection[0].GetAIndices().IsSlice {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "this kind of subscript or field selection is not supported")
	}
	et, ok := arrayElem(arr.t)
	if !ok {
		return nil, pgerror.Newf(pgerror.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", arr.t)
	}
	idx, err := b.compile(s, ind.Indirection[0].GetAIndices().Uidx, types.Int4)
	if err != nil {
		return nil, err
	}
	idx = coerce(idx, types.Int8)
	lower := arrayLower(arr.t)
	af, xf := arr.fn, idx.fn
	return &cexpr{t: et, s: arr.s + "[" + idx.s + "]", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		av, err := af(en, row)
		if err != nil || av == nil {
			return nil, err
		}
		iv, err := xf(en, row)
		if err != nil || iv == nil {
			return nil, err
		}
		elems, present := arrayElems(av)
		i := iv.(int64) - lower
		if i < 0 || i >= int64(len(elems)) {
			return nil, nil
		}
		return elemDatum(elems[i], present[i], et)
	}}, nil
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
