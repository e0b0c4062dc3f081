package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Row comparisons, as PostgreSQL's make_row_comparison_op and
// make_row_distinct_op expand them: (a, b) = (1, 2) is a = 1 AND b = 2,
// <> is the OR of the fields' <>, IS [NOT] DISTINCT FROM the OR (AND) of
// the fields', IN (…) an OR of row equalities, ROW(…) IS [NOT] NULL the
// AND of its fields' tests; < <= > >= compare field by field, the first
// pair that is not equal deciding (NULL when that pair has a NULL). Each
// field pair is an ordinary operator, typed and checked as one.

// rowFields returns the fields of n when it is a row constructor: ROW(…)
// or a parenthesised list (a, b).
func rowFields(n *pg_query.Node) ([]*pg_query.Node, bool) {
	if re := n.GetRowExpr(); re != nil {
		return re.Args, true
	}
	return nil, false
}

// pairwise builds the field-by-field operator nodes of two row
// constructors (42601 when their lengths differ).
func (b *builder) pairwise(l, r []*pg_query.Node, loc int32, mk func(x, y *pg_query.Node) *pg_query.Node) ([]*pg_query.Node, error) {
	if len(l) != len(r) {
		return nil, b.errAt(pgerror.New(pgerror.SyntaxError, "unequal number of entries in row expressions"), loc)
	}
	if len(l) == 0 {
		return nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, "cannot compare rows of zero length"), loc)
	}
	out := make([]*pg_query.Node, len(l))
	for i := range l {
		out[i] = mk(l[i], r[i])
	}
	return out, nil
}

func opNode(op string, l, r *pg_query.Node, loc int32) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_AExpr{AExpr: &pg_query.A_Expr{Kind: pg_query.A_Expr_Kind_AEXPR_OP,
		Name: []*pg_query.Node{pg_query.MakeStrNode(op)}, Lexpr: l, Rexpr: r, Location: loc}}}
}

func boolNode(op pg_query.BoolExprType, args []*pg_query.Node, loc int32) *pg_query.Node {
	if len(args) == 1 && op != pg_query.BoolExprType_NOT_EXPR {
		return args[0]
	}
	return &pg_query.Node{Node: &pg_query.Node_BoolExpr{BoolExpr: &pg_query.BoolExpr{Boolop: op, Args: args, Location: loc}}}
}

// compileRowOp compiles op between two row constructors; ok is false when
// a is not one.
func (b *builder) compileRowOp(s *scope, a *pg_query.A_Expr, op string) (*cexpr, bool, error) {
	lf, lok := rowFields(a.Lexpr)
	rf, rok := rowFields(a.Rexpr)
	if !lok || !rok {
		return nil, false, nil
	}
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		kind := a.Kind
		parts, err := b.pairwise(lf, rf, a.Location, func(x, y *pg_query.Node) *pg_query.Node {
			return &pg_query.Node{Node: &pg_query.Node_AExpr{AExpr: &pg_query.A_Expr{Kind: kind,
				Name: []*pg_query.Node{pg_query.MakeStrNode("=")}, Lexpr: x, Rexpr: y, Location: a.Location}}}
		})
		if err != nil {
			return nil, true, err
		}
		join := pg_query.BoolExprType_OR_EXPR
		if kind == pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT {
			join = pg_query.BoolExprType_AND_EXPR
		}
		e, err := b.compile(s, boolNode(join, parts, a.Location), types.Bool)
		return e, true, err
	case pg_query.A_Expr_Kind_AEXPR_OP:
	default:
		return nil, false, nil
	}
	switch op {
	case "=", "<>", "!=":
		if op == "!=" {
			op = "<>"
		}
		parts, err := b.pairwise(lf, rf, a.Location, func(x, y *pg_query.Node) *pg_query.Node { return opNode(op, x, y, a.Location) })
		if err != nil {
			return nil, true, err
		}
		join := pg_query.BoolExprType_AND_EXPR
		if op == "<>" {
			join = pg_query.BoolExprType_OR_EXPR
		}
		e, err := b.compile(s, boolNode(join, parts, a.Location), types.Bool)
		return e, true, err
	case "<", "<=", ">", ">=":
		e, err := b.compileRowOrder(s, lf, rf, op, a.Location)
		return e, true, err
	}
	// Any other operator: each pair is bound, and must be a comparison.
	parts, err := b.pairwise(lf, rf, a.Location, func(x, y *pg_query.Node) *pg_query.Node { return opNode(op, x, y, a.Location) })
	if err != nil {
		return nil, true, err
	}
	for _, p := range parts {
		e, err := b.compile(s, p, types.Unknown)
		if err != nil {
			return nil, true, err
		}
		if e.t.Oid != types.OidBool {
			return nil, true, b.errAt(pgerror.Newf(pgerror.DatatypeMismatch, "row comparison operator must yield type boolean, not type %s", e.t), a.Location)
		}
	}
	return nil, true, b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "could not determine interpretation of row comparison operator %s", op).
		WithHint("Row comparison operators must be associated with btree operator families."), a.Location)
}

// compileRowOrder is PostgreSQL's RowCompareExpr: the first field pair
// that is not equal decides; NULL when it has a NULL; all equal: <= and
// >= are true.
func (b *builder) compileRowOrder(s *scope, lf, rf []*pg_query.Node, op string, loc int32) (*cexpr, error) {
	if _, err := b.pairwise(lf, rf, loc, func(x, y *pg_query.Node) *pg_query.Node { return nil }); err != nil {
		return nil, err
	}
	eqs := make([]*cexpr, len(lf))
	ords := make([]*cexpr, len(lf))
	var all []*cexpr
	for i := range lf {
		var err error
		if ords[i], err = b.compile(s, opNode(op, lf[i], rf[i], loc), types.Bool); err != nil {
			return nil, err
		}
		if eqs[i], err = b.compile(s, opNode("=", lf[i], rf[i], loc), types.Bool); err != nil {
			return nil, err
		}
		all = append(all, ords[i])
	}
	whenEqual := op == "<=" || op == ">="
	e := &cexpr{t: types.Bool, s: "(ROW(...) " + op + " ROW(...))", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		for i := range eqs {
			v, err := eqs[i].fn(en, row)
			if err != nil || v == nil {
				return nil, err
			}
			if !v.(bool) {
				return ords[i].fn(en, row)
			}
		}
		return whenEqual, nil
	}}
	return foldConst(e, all...)
}

// compileRowIn compiles (a, b) [NOT] IN ((1, 2), …): the OR of the row
// equalities (NOT IN: the AND of the row inequalities).
func (b *builder) compileRowIn(s *scope, a *pg_query.A_Expr, negate bool) (*cexpr, bool, error) {
	lf, ok := rowFields(a.Lexpr)
	if !ok {
		return nil, false, nil
	}
	list := a.Rexpr.GetList()
	if list == nil {
		return nil, false, nil
	}
	op, join := "=", pg_query.BoolExprType_OR_EXPR
	if negate {
		op, join = "<>", pg_query.BoolExprType_AND_EXPR
	}
	var rows []*pg_query.Node
	for _, it := range list.Items {
		rf, ok := rowFields(it)
		if !ok {
			return nil, true, b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: record %s %s", op, "unknown"), a.Location)
		}
		parts, err := b.pairwise(lf, rf, a.Location, func(x, y *pg_query.Node) *pg_query.Node { return opNode(op, x, y, a.Location) })
		if err != nil {
			return nil, true, err
		}
		inner := pg_query.BoolExprType_AND_EXPR
		if negate {
			inner = pg_query.BoolExprType_OR_EXPR
		}
		rows = append(rows, boolNode(inner, parts, a.Location))
	}
	e, err := b.compile(s, boolNode(join, rows, a.Location), types.Bool)
	return e, true, err
}

// compileRowNullTest compiles ROW(…) IS [NOT] NULL: every field NULL (IS
// NULL) or every field not NULL (IS NOT NULL).
func (b *builder) compileRowNullTest(s *scope, nt *pg_query.NullTest) (*cexpr, bool, error) {
	fields, ok := rowFields(nt.Arg)
	if !ok {
		return nil, false, nil
	}
	if len(fields) == 0 {
		return constExpr(true, types.Bool, "true"), true, nil
	}
	parts := make([]*pg_query.Node, len(fields))
	for i, f := range fields {
		parts[i] = &pg_query.Node{Node: &pg_query.Node_NullTest{NullTest: &pg_query.NullTest{Arg: f, Nulltesttype: nt.Nulltesttype, Location: nt.Location}}}
	}
	e, err := b.compile(s, boolNode(pg_query.BoolExprType_AND_EXPR, parts, nt.Location), types.Bool)
	return e, true, err
}

// rowSlotKey holds field i of the subquery row being compared (in
// env.cache).
type rowSlotKey struct{ i int }

// compileRowSubLink compiles (a, b) op ANY|ALL (SELECT x, y …), IN and NOT
// IN with a row: each subquery row is compared as a row (= is the AND of
// the fields' =, <> the OR of their <>), then ANY/ALL combine the rows
// with three-valued logic.
func (b *builder) compileRowSubLink(s *scope, fields []*pg_query.Node, op string, sl *pg_query.SubLink,
	sub plan, run func(*env, []Datum) ([][]Datum, error)) (*cexpr, error) {
	cols := visibleCols(sub.cols())
	if len(cols) > len(fields) {
		return nil, b.errAt(pgerror.New(pgerror.SyntaxError, "subquery has too many columns"), sl.Location)
	}
	if len(cols) < len(fields) {
		return nil, b.errAt(pgerror.New(pgerror.SyntaxError, "subquery has too few columns"), sl.Location)
	}
	if op == "!=" {
		op = "<>"
	}
	if op != "=" && op != "<>" {
		return nil, b.errAt(pgerror.Newf(pgerror.FeatureNotSupported, "row comparison %s with a subquery is not supported", op), sl.Location)
	}
	cmps := make([]*cexpr, len(fields))
	for i, f := range fields {
		l, err := b.compile(s, f, types.Unknown)
		if err != nil {
			return nil, err
		}
		if l.unknown && cols[i].typ.Oid != types.OidUnknown {
			if l, err = b.compile(s, f, cols[i].typ); err != nil {
				return nil, err
			}
		}
		key := rowSlotKey{i}
		slot := &cexpr{t: cols[i].typ, colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) { return en.cache[key], nil }}
		if cmps[i], err = compareOp(op, l, slot); err != nil {
			return nil, b.errAt(pgerror.Flatten(err), sl.Location)
		}
	}
	all := sl.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK
	decisive := op == "<>" // a field pair that decides the row comparison
	e := &cexpr{t: types.Bool, s: "ANY(SubPlan)", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		rows, err := run(en, row)
		if err != nil {
			return nil, err
		}
		if en.cache == nil {
			en.cache = map[any]any{}
		}
		return quantified(all, len(rows), func(r int) (Datum, error) {
			for i := range cmps {
				en.cache[rowSlotKey{i}] = rows[r][i]
			}
			// the row pair: <> holds when a field pair differs, the
			// other operators when every field pair compares true
			return quantified(!decisive, len(cmps), func(i int) (Datum, error) { return cmps[i].fn(en, row) })
		})
	}}
	return foldConst(e, cmps...)
}

// visibleCols are cols without the hidden ones (row ids).
func visibleCols(cols []colInfo) []colInfo {
	var out []colInfo
	for _, c := range cols {
		if !c.hidden {
			out = append(out, c)
		}
	}
	return out
}
