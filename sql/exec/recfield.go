package exec

import (
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Field selection from records: (r).f picks a field of a record whose
// shape is known when the statement is planned (types.RecordType: ROW(…),
// a whole-row reference, a subquery's record column); (r).* in a select
// list expands to every field. The record is evaluated once per field, as
// PostgreSQL does for (f(x)).*.

// selectField is (rec).name.
func (b *builder) selectField(rec *cexpr, name string, loc int32) (*cexpr, error) {
	if rec.t.Oid != types.OidRecord {
		return nil, b.errAt(pgerror.Newf(pgerror.WrongObjectType, "column notation .%s applied to type %s, which is not a composite type", name, rec.t), loc)
	}
	sh, ok := types.RecordShapeOf(rec.t)
	if !ok {
		return nil, b.errAt(pgerror.Newf(pgerror.UndefinedColumn, "could not identify column %q in record data type", name), loc)
	}
	for i, n := range sh.Names {
		if n == name {
			return recordFieldOf(rec, i, sh.Typs[i], name), nil
		}
	}
	return nil, b.errAt(pgerror.Newf(pgerror.UndefinedColumn, "could not identify column %q in record data type", name), loc)
}

// recordFieldOf is field i (of type t) of the record rec's value.
func recordFieldOf(rec *cexpr, i int, t types.T, name string) *cexpr {
	rf := rec.fn
	e := &cexpr{t: t, s: "(" + rec.s + ")." + name, colIdx: -1, foldErr: rec.foldErr, fn: func(en *env, row []Datum) (Datum, error) {
		v, err := rf(en, row)
		if err != nil || v == nil {
			return nil, err
		}
		switch r := v.(type) {
		case *types.Record:
			if i < len(r.Vals) {
				return r.Vals[i], nil
			}
		case []Datum:
			if i < len(r) {
				return r[i], nil
			}
		}
		return nil, pgerror.Newf(pgerror.InternalError, "record value has no field %d", i+1)
	}}
	return e
}

// shapedRecordArg makes a record value of known shape (a subquery's record
// column, ROW(…) through a CASE) a record argument of the JSON functions
// (recShape, its value the fields' []Datum); any other e is returned as is.
func shapedRecordArg(e *cexpr) *cexpr {
	sh, ok := types.RecordShapeOf(e.t)
	if !ok {
		return e
	}
	f := e.fn
	return &cexpr{t: recordT, s: e.s, colIdx: -1, foldErr: e.foldErr, rec: &recShape{names: sh.Names, typs: sh.Typs},
		fn: func(en *env, row []Datum) (Datum, error) {
			v, err := f(en, row)
			if err != nil || v == nil {
				return nil, err
			}
			if r, ok := v.(*types.Record); ok {
				return r.Vals, nil
			}
			return v, nil
		}}
}

// recordStar is (r).* of a select list: one output column per field of r
// (at loc).
func (b *builder) recordStar(rec *cexpr, loc int32) ([]*cexpr, []colInfo, error) {
	if rec.t.Oid != types.OidRecord {
		return nil, nil, b.errAt(pgerror.Newf(pgerror.DatatypeMismatch, "type %s is not composite", rec.t), loc)
	}
	sh, ok := types.RecordShapeOf(rec.t)
	if !ok {
		return nil, nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, "record type has not been registered"), loc)
	}
	exprs := make([]*cexpr, len(sh.Names))
	cols := make([]colInfo, len(sh.Names))
	for i, n := range sh.Names {
		exprs[i] = recordFieldOf(rec, i, sh.Typs[i], n)
		cols[i] = colInfo{name: n, typ: sh.Typs[i]}
	}
	return exprs, cols, nil
}
