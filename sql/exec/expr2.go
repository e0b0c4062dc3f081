package exec

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

func (b *builder) compileIn(s *scope, a *pg_query.A_Expr, negate bool) (*cexpr, error) {
	l, err := b.compile(s, a.Lexpr, types.Unknown)
	if err != nil {
		return nil, err
	}
	list := a.Rexpr.GetList()
	if list == nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "IN requires a list")
	}
	hint := types.Unknown
	if !l.unknown {
		hint = planner.OperandType(l.t)
	}
	items := make([]*cexpr, len(list.Items))
	for i, it := range list.Items {
		if items[i], err = b.compile(s, it, hint); err != nil {
			return nil, err
		}
	}
	if l.unknown {
		// '20' IN (20, 30): the untyped left side takes the list's
		// type, as PostgreSQL resolves IN over all its operands (it was
		// compared as text: false).
		if t, err := unifyTypes(items, "IN"); err == nil && t.Oid != types.OidUnknown {
			if l, err = b.compile(s, a.Lexpr, t); err != nil {
				return nil, err
			}
		}
	}
	if l, items, err = unifyStringIn(l, items); err != nil {
		return nil, err
	}
	eqs := make([]*cexpr, len(items))
	for i, r := range items {
		if eqs[i], err = compareOp("=", l, r); err != nil {
			return nil, b.errAt(pgerror.Flatten(err), a.Location)
		}
	}
	return inExpr(l, eqs, negate), nil
}

// unifyStringIn resolves x IN (a, b, …) over string types as PostgreSQL's
// transformAExprIn does: with more than one item that reads no column,
// those items and x get one type (select_common_type, then = ANY of an
// array of it), so varchar IN ('x'::char(2), 'y') compares as varchar, not
// as bpchar; a single such item, and items reading columns, use = pair by
// pair ('a'::char(3) IN ('a '::text) is text's =: false).
func unifyStringIn(l *cexpr, items []*cexpr) (*cexpr, []*cexpr, error) {
	if l.unknown || l.t.Family() != types.FamString {
		return l, items, nil
	}
	all := []*cexpr{l}
	mixed := false
	for _, e := range items {
		if !e.isConst {
			continue
		}
		all = append(all, e)
		if e.unknown {
			continue
		}
		if e.t.Family() != types.FamString {
			return l, items, nil
		}
		if e.t.Oid != l.t.Oid {
			mixed = true
		}
	}
	if !mixed || len(all) < 3 {
		return l, items, nil
	}
	t, err := unifyTypes(all, "IN")
	if err != nil {
		return l, items, nil
	}
	out := make([]*cexpr, len(items))
	for i, e := range items {
		out[i] = e
		if e.isConst {
			if out[i], err = coerceUnified(e, t); err != nil {
				return nil, nil, err
			}
		}
	}
	return coerce(l, t), out, nil
}

func inExpr(l *cexpr, eqs []*cexpr, negate bool) *cexpr {
	lf := l.fn
	return &cexpr{t: types.Bool, s: l.s + " IN (...)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		v, err := lf(en, row)
		if err != nil || v == nil {
			return nil, err
		}
		in, err := quantified(false, len(eqs), func(i int) (Datum, error) { return eqs[i].fn(en, row) })
		if err != nil || in == nil || !negate {
			return in, err
		}
		return !in.(bool), nil
	}}
}

func (b *builder) compileBetween(s *scope, a *pg_query.A_Expr) (*cexpr, error) {
	list := a.Rexpr.GetList()
	x, lo, err := b.compilePair(s, a.Lexpr, list.Items[0])
	if err != nil {
		return nil, err
	}
	_, hi, err := b.compilePair(s, a.Lexpr, list.Items[1])
	if err != nil {
		return nil, err
	}
	ge, err := compareOp(">=", x, lo)
	if err != nil {
		return nil, err
	}
	le, err := compareOp("<=", x, hi)
	if err != nil {
		return nil, err
	}
	e := andExprs([]*cexpr{ge, le})
	if a.Kind == pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM || a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
		ge2, _ := compareOp(">=", x, hi)
		le2, _ := compareOp("<=", x, lo)
		e = orExprs([]*cexpr{e, andExprs([]*cexpr{ge2, le2})})
	}
	e.s = "(" + x.s + " BETWEEN " + lo.s + " AND " + hi.s + ")"
	if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN || a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
		f := e.fn
		return &cexpr{t: types.Bool, s: "NOT " + e.s, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
			v, err := f(en, row)
			if err != nil || v == nil {
				return v, err
			}
			return !v.(bool), nil
		}}, nil
	}
	return e, nil
}

func (b *builder) compileLike(s *scope, a *pg_query.A_Expr, op string) (*cexpr, error) {
	l, err := b.compile(s, a.Lexpr, types.Text)
	if err != nil {
		return nil, err
	}
	var esc *cexpr
	rn := a.Rexpr
	if fc := rn.GetFuncCall(); fc != nil && lastName(fc.Funcname) == "like_escape" && len(fc.Args) == 2 {
		rn = fc.Args[0]
		if esc, err = b.compile(s, fc.Args[1], types.Text); err != nil {
			return nil, err
		}
	}
	r, err := b.compile(s, rn, types.Text)
	if err != nil {
		return nil, err
	}
	return likeOp(op, l, r, esc)
}

// likeOp compiles l LIKE r (op ~~ ~~* and their negations) with the
// escape esc (nil: backslash), as planner.ResolveLike resolves it.
func likeOp(op string, l, r, esc *cexpr) (*cexpr, error) {
	res, err := planner.ResolveLike(op, l.Operand(), r.Operand())
	if err != nil {
		return nil, err
	}
	_, args, _ := applyResolution(res, nil, []*cexpr{l, r})
	return likeExpr(op, l, args[1], esc)
}

// likeExpr is a resolved LIKE (OpLike) with the pattern r as text.
func likeExpr(op string, l, r, esc *cexpr) (*cexpr, error) {
	neg := strings.HasPrefix(op, "!")
	fold := strings.HasSuffix(op, "*")
	lf, rf := l.fn, r.fn
	return &cexpr{t: types.Bool, s: "(" + l.s + " " + op + " " + r.s + ")", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		v, err := lf(en, row)
		if err != nil || v == nil {
			return nil, err
		}
		p, err := rf(en, row)
		if err != nil || p == nil {
			return nil, err
		}
		escape := '\\'
		if esc != nil {
			ev, err := esc.fn(en, row)
			if err != nil || ev == nil {
				return nil, err
			}
			es := ev.(string)
			switch utf8.RuneCountInString(es) {
			case 0:
				escape = -1
			case 1:
				escape, _ = utf8.DecodeRuneInString(es)
			default:
				return nil, pgerror.New(pgerror.InvalidEscapeSequence, "invalid escape string")
			}
		}
		sv, pv := v.(string), p.(string)
		if fold {
			sv, pv = strings.ToLower(sv), strings.ToLower(pv)
		}
		m, err := likeMatch(sv, pv, escape)
		if err != nil {
			return nil, err
		}
		return m != neg, nil
	}}, nil
}

// likeMatch matches s against a LIKE pattern with % and _ wildcards. It
// walks the strings rune by rune (no []rune copies of big values).
func likeMatch(s, p string, esc rune) (bool, error) {
	for len(p) > 0 {
		c, cw := utf8.DecodeRuneInString(p)
		switch {
		case c == esc:
			if len(p) == cw {
				return false, pgerror.New(pgerror.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			pc, pw := utf8.DecodeRuneInString(p[cw:])
			if len(s) == 0 {
				return false, nil
			}
			sc, sw := utf8.DecodeRuneInString(s)
			if sc != pc {
				return false, nil
			}
			s, p = s[sw:], p[cw+pw:]
		case c == '%':
			for len(p) > 0 && p[0] == '%' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true, nil
			}
			for i := 0; ; {
				if ok, err := likeMatch(s[i:], p, esc); ok || err != nil {
					return ok, err
				}
				if i >= len(s) {
					return false, nil
				}
				_, w := utf8.DecodeRuneInString(s[i:])
				i += w
			}
		case c == '_':
			if len(s) == 0 {
				return false, nil
			}
			_, sw := utf8.DecodeRuneInString(s)
			s, p = s[sw:], p[cw:]
		default:
			if len(s) == 0 {
				return false, nil
			}
			sc, sw := utf8.DecodeRuneInString(s)
			if sc != c {
				return false, nil
			}
			s, p = s[sw:], p[cw:]
		}
	}
	return len(s) == 0, nil
}

func (b *builder) compileSQLValueFunc(f *pg_query.SQLValueFunction) (*cexpr, error) {
	switch f.Op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		return &cexpr{t: types.Timestamptz, s: "CURRENT_TIMESTAMP", colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) {
			return en.txn.start.UTC(), nil
		}}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		return &cexpr{t: types.Timestamp, s: "LOCALTIMESTAMP", colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) {
			t := en.txn.start.In(sessionLoc(en))
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000*1000, time.UTC), nil
		}}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		t := types.Time
		if f.Op == pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N {
			t = types.T{Oid: types.OidTime, Mod: min(f.Typmod, 6)}
		}
		return &cexpr{t: types.Time, s: "LOCALTIME", colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) {
			now := en.txn.start.In(sessionLoc(en)).Format("15:04:05.999999")
			return types.ParseText(t, now)
		}}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N:
		return nil, pgerror.New(pgerror.FeatureNotSupported, "CURRENT_TIME is not supported: type time with time zone is not supported (LOCALTIME is time without time zone)")
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		return &cexpr{t: types.Date, s: "CURRENT_DATE", colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) {
			t := en.txn.start.In(sessionLoc(en))
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg_query.SQLValueFunctionOp_SVFOP_USER,
		pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
		return varExpr("current_user", "session_authorization", "helios"), nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		return varExpr("current_catalog", "database", "heliosdb"), nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		return &cexpr{t: types.Name, s: "current_schema", colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) {
			if en == nil {
				return nil, errNoFold
			}
			return currentSchema(en)
		}}, nil
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "%s is not supported", f.Op)
}

func varExpr(disp, name, def string) *cexpr {
	return &cexpr{t: types.Name, s: disp, colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) {
		if en.vars != nil {
			if v, ok := en.vars.Get(name); ok && v != "" {
				return v, nil
			}
		}
		return def, nil
	}}
}

func sessionLoc(en *env) *time.Location {
	if en.vars != nil {
		if tz, ok := en.vars.Get("TimeZone"); ok {
			if loc, err := time.LoadLocation(tz); err == nil {
				return loc
			}
		}
	}
	return time.UTC
}

func initcap(s string) string {
	out := []rune(s)
	start := true
	for i, r := range out {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start {
				out[i] = unicode.ToUpper(r)
			} else {
				out[i] = unicode.ToLower(r)
			}
			start = false
		} else {
			start = true
		}
	}
	return string(out)
}

// quantified folds n tests with SQL's three-valued logic, the one rule
// behind x op ANY/ALL (array), x op ANY/ALL (subquery), IN and NOT IN (a
// list or a subquery) and row comparisons with a subquery: ANY (all
// false) is true at the first true test, ALL false at the first false one
// (the rest are not evaluated); otherwise the answer is NULL when a test
// was NULL, else all (ANY of nothing is false, ALL of nothing true).
// test(i) evaluates the i'th test.
func quantified(all bool, n int, test func(i int) (Datum, error)) (Datum, error) {
	sawNull := false
	for i := 0; i < n; i++ {
		v, err := test(i)
		if err != nil {
			return nil, err
		}
		if v == nil {
			sawNull = true
		} else if v == Datum(!all) {
			return !all, nil
		}
	}
	if sawNull {
		return nil, nil
	}
	return all, nil
}
