package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// Field selection from records: (r).f picks a field of a record whose
// shape is known when the statement is planned (types.RecordType: ROW(…),
// a whole-row reference, a subquery's record column); (r).* in a select
// list expands to every field. The record is evaluated once per field, as
// PostgreSQL does for (f(x)).*.

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
			if base, err = b.selectField(base, name, ind.Arg); pgerror.As(err) != nil && pgerror.As(err).Code == pgerror.UndefinedColumn {
				err = b.errAt(pgerror.Newf(pgerror.UndefinedColumn, "column %s.%s does not exist", rel, name), planner.ExprLocation(ind.Arg))
			}
		} else {
			base, err = b.selectField(base, name, ind.Arg)
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

// selectField is (rec).name.
func (b *builder) selectField(rec *cexpr, name string, at *pg_query.Node) (*cexpr, error) {
	if rec.t.Oid != types.OidRecord {
		return nil, b.errAt(pgerror.Newf(pgerror.WrongObjectType, "column notation .%s applied to type %s, which is not a composite type", name, rec.t), planner.ExprLocation(at))
	}
	sh, ok := types.RecordShapeOf(rec.t)
	if !ok {
		return nil, b.errAt(pgerror.Newf(pgerror.UndefinedColumn, "could not identify column %q in record data type", name), planner.ExprLocation(at))
	}
	for i, n := range sh.Names {
		if n == name {
			return recordFieldOf(rec, i, sh.Typs[i], name), nil
		}
	}
	return nil, b.errAt(pgerror.Newf(pgerror.UndefinedColumn, "could not identify column %q in record data type", name), planner.ExprLocation(at))
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

// expandRecordStar compiles (r).* of a select list: one output column per
// field of r.
func (b *builder) expandRecordStar(s *scope, recNode *pg_query.Node) ([]*cexpr, []colInfo, error) {
	rec, err := b.compile(s, recNode, types.Unknown)
	if err != nil {
		return nil, nil, err
	}
	if rec.t.Oid != types.OidRecord {
		return nil, nil, b.errAt(pgerror.Newf(pgerror.DatatypeMismatch, "type %s is not composite", rec.t), planner.ExprLocation(recNode))
	}
	sh, ok := types.RecordShapeOf(rec.t)
	if !ok {
		return nil, nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, "record type has not been registered"), planner.ExprLocation(recNode))
	}
	exprs := make([]*cexpr, len(sh.Names))
	cols := make([]colInfo, len(sh.Names))
	for i, n := range sh.Names {
		exprs[i] = recordFieldOf(rec, i, sh.Typs[i], n)
		cols[i] = colInfo{name: n, typ: sh.Typs[i]}
	}
	return exprs, cols, nil
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

// wholeRowName is the name n of an expression that is a bare name (maybe a
// whole-row reference), "" otherwise.
func wholeRowName(n *pg_query.Node) string {
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
		return strVal(cr.Fields[0])
	}
	return ""
}
