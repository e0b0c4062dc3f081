package exec

import (
	"context"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgcatalog"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// This file is where the system catalogs (package pgcatalog) plug into
// planning: relation lookup (pg_catalog.*, information_schema.*), the
// catalog functions, the reg* casts and the regular-expression operators
// the catalog queries of psql and drivers use.

// system returns the engine's system catalogs.
func (e *Engine) system() *pgcatalog.System { return e.cfg.System }

// systemRelation plans a read of a system relation named by rv, or
// returns nil when rv names none. A schema-qualified name in a system
// schema that does not exist is 42P01.
func (b *builder) systemRelation(rv *pg_query.RangeVar, alias string) (plan, error) {
	schema := rv.Schemaname
	if schema != "" && !pgcatalog.IsSystemSchema(schema) {
		return nil, nil
	}
	if schema == "" && b.cat.Tables[rv.Relname] != nil && !strings.HasPrefix(rv.Relname, "pg_") {
		return nil, nil
	}
	r, ok := b.eng.system().Lookup(schema, rv.Relname)
	if !ok {
		if schema != "" {
			name := schema + "." + rv.Relname
			return nil, b.errAt(pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", name), rv.Location)
		}
		return nil, nil
	}
	p := &sysPlan{rel: r, sys: b.eng.system(), cat: b.cat, alias: alias}
	for _, c := range r.Columns() {
		p.columns = append(p.columns, colInfo{table: alias, name: c.Name, typ: c.Type, tableOID: c.TableOID, attNum: c.AttrNum})
	}
	return p, nil
}

// sysPlan reads a system relation, generated from the statement's catalog.
type sysPlan struct {
	rel     *pgcatalog.Relation
	sys     *pgcatalog.System
	cat     *catalog.Catalog
	alias   string
	columns []colInfo
}

func (p *sysPlan) cols() []colInfo { return p.columns }
func (p *sysPlan) explain(x *explainer, depth int) {
	s := "Seq Scan on " + p.rel.Name
	if p.alias != p.rel.Name {
		s += " " + p.alias
	}
	x.add(depth, s)
}

func (p *sysPlan) start(e *env) (iter, error) {
	ctx := e.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	rows, err := p.rel.Rows(ctx, p.sys, &pgcatalog.Env{Cat: p.cat, Vars: e.vars})
	if err != nil {
		return nil, err
	}
	return sliceIter(rows), nil
}

// compileSystemFunc compiles a call of a catalog function.
func (b *builder) compileSystemFunc(s *scope, name string, f *pgcatalog.Func, fc *pg_query.FuncCall) (*cexpr, error) {
	if len(fc.Args) < f.MinArgs || f.MaxArgs >= 0 && len(fc.Args) > f.MaxArgs {
		return nil, b.undefinedFunc(s, name, fc)
	}
	args := make([]*cexpr, len(fc.Args))
	var texts []string
	for i, a := range fc.Args {
		h := types.Unknown
		if len(f.Hints) > 0 {
			h = f.Hints[min(i, len(f.Hints)-1)]
		}
		ch := h
		if planner.IsRegType(h) {
			ch = types.Unknown // a literal stays a name (below)
		}
		e, err := b.compile(s, a, ch)
		if err != nil {
			return nil, err
		}
		if e.unknown && planner.IsRegType(h) {
			// 'name'::regclass: a name looked up, not an OID parsed
			if c, ok, err := b.compileRegCast(e, h); err != nil {
				return nil, err
			} else if ok {
				e = c
			}
		}
		if e.unknown && h.Oid != types.OidUnknown {
			e = coerce(e, h)
		}
		args[i] = e
		texts = append(texts, e.s)
	}
	sys, cat := b.eng.system(), b.cat
	e := &cexpr{t: f.Result, s: name + "(" + strings.Join(texts, ", ") + ")", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		if en == nil && f.Volatile {
			return nil, errNoFold
		}
		if f.ReadsData {
			if err := b.eng.dataAllowed(); err != nil {
				return nil, err
			}
		}
		vals := make([]Datum, len(args))
		for i, a := range args {
			v, err := a.fn(en, row)
			if err != nil {
				return nil, err
			}
			if v == nil && f.Strict {
				return nil, nil
			}
			vals[i] = v
		}
		pe := &pgcatalog.Env{Cat: cat}
		if en != nil {
			pe.Vars = en.vars
		}
		return f.Fn(sys, pe, vals)
	}}
	if f.Volatile {
		return e, nil
	}
	return foldConst(e, args...)
}

// compileRegCast compiles casts into and out of the reg* types: a name to
// its OID ('t'::regclass) and an OID to its name (oid::regclass::text).
// ok is false for other casts.
func (b *builder) compileRegCast(x *cexpr, t types.T) (e *cexpr, ok bool, err error) {
	sys, cat := b.eng.system(), b.cat
	penv := &pgcatalog.Env{Cat: cat, Vars: pathVars{b.txn.searchPath, b.txn.user}}
	var fn func(Datum) (Datum, error)
	switch {
	case t.Oid == types.OidRegtype && x.t.Oid != types.OidRegtype:
		// regtype values are type names (see pg_typeof).
		fn = func(d Datum) (Datum, error) {
			o, ok := d.(int64)
			if !ok {
				var err error
				if o, err = sys.RegtypeIn(str(d)); err != nil {
					return nil, err
				}
			}
			return sys.RegtypeOut(o), nil
		}
	case x.t.Oid == types.OidRegtype && t.Family() == types.FamInt:
		fn = func(d Datum) (Datum, error) { return sys.RegtypeIn(str(d)) }
	case t.Oid == types.OidRegtype || x.t.Oid == types.OidRegtype:
		return nil, false, nil
	case planner.IsRegType(t) && x.t.Family() == types.FamString:
		fn = func(d Datum) (Datum, error) {
			s, _ := d.(string)
			switch t.Oid {
			case types.OidRegclass:
				return sys.RegclassIn(penv, s)
			case types.OidRegnamespace:
				return sys.RegnamespaceIn(penv, s)
			case types.OidRegrole:
				return sys.RegroleIn(penv, s)
			case types.OidRegproc:
				return sys.RegprocIn(penv, s)
			case types.OidRegprocedure:
				return sys.RegprocedureIn(penv, s)
			}
			return types.ParseText(types.Oid4, s)
		}
	case planner.IsRegType(x.t) && t.Family() == types.FamString:
		fn = func(d Datum) (Datum, error) {
			o, _ := d.(int64)
			return types.Cast(regOut(sys, penv, x.t.Oid, o), types.Text, t, true)
		}
	case planner.IsRegType(t) && x.t.Family() == types.FamInt:
		fn = func(d Datum) (Datum, error) { return d, nil }
	default:
		return nil, false, nil
	}
	inner := x.fn
	out := &cexpr{t: t, s: "(" + x.s + ")::" + t.String(), colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		v, err := inner(en, row)
		if err != nil || v == nil {
			return v, err
		}
		return fn(v)
	}}
	if x.isConst {
		if x.val == nil {
			return constExpr(nil, t, out.s), true, nil
		}
		v, err := fn(x.val)
		if err != nil {
			return nil, true, err
		}
		return constExpr(v, t, out.s), true, nil
	}
	return out, true, nil
}

// regOut is the text output of a value of reg* type oid: the object's
// name, "-" for InvalidOid, the number when there is no such object.
func regOut(sys *pgcatalog.System, penv *pgcatalog.Env, oid types.Oid, o int64) string {
	switch {
	case o == 0:
		return "-"
	case oid == types.OidRegclass:
		return sys.RegclassOut(penv, o)
	case oid == types.OidRegnamespace:
		return sys.RegnamespaceOut(penv, o)
	case oid == types.OidRegrole:
		return sys.RegroleOut(penv, o)
	case oid == types.OidRegproc:
		return sys.RegprocOut(o)
	case oid == types.OidRegprocedure:
		return sys.RegprocedureOut(o)
	}
	return types.FormatText(o, types.Oid4)
}

// pathVars gives the reg* conversions a builder compiles (and folds) the
// session's search_path and user, which name lookups and regclass output
// depend on.
type pathVars struct{ searchPath, user string }

func (v pathVars) Get(name string) (string, bool) {
	switch name {
	case "search_path":
		return v.searchPath, v.searchPath != ""
	case "session_authorization":
		return v.user, true
	}
	return "", false
}
