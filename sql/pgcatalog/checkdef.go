package pgcatalog

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/types"
)

// checkExpr prints a CHECK condition as PostgreSQL's ruleutils prints the
// analysed expression: pretty (psql's \d) leaves out the parentheses
// precedence makes redundant, plain wraps every operator; literals carry
// the cast to the type they were coerced to ('x'::text, 0::numeric);
// BETWEEN and IN appear expanded (c >= 1 AND c <= 10, c = ANY (ARRAY[…])).
// An expression it cannot print falls back to its source text.
func checkExpr(t *catalog.Table, expr string, pretty bool) string {
	st, err := parser.ParseOne("SELECT " + expr)
	if err != nil {
		return expr
	}
	p := &exprPrinter{t: t, pretty: pretty}
	n := st.Node.GetSelectStmt().TargetList[0].GetResTarget().Val
	s := p.print(n, types.T{})
	if p.failed {
		return expr
	}
	return s
}

type exprPrinter struct {
	t      *catalog.Table
	pretty bool
	failed bool
}

// kind classifies nodes for PostgreSQL's pretty-mode parenthesization.
type nodeKind int

const (
	kSimple nodeKind = iota // column, constant, function call
	kOp                     // binary operator
	kOther                  // NullTest, ScalarArrayOp, ...
	kAnd
	kOr
	kNot
	kIn // ScalarArrayOpExpr: parenthesized under any parent
)

func (p *exprPrinter) kindOf(n *pg_query.Node) (nodeKind, string) {
	switch v := n.Node.(type) {
	case *pg_query.Node_AExpr:
		switch v.AExpr.Kind {
		case pg_query.A_Expr_Kind_AEXPR_OP:
			if v.AExpr.Lexpr == nil {
				return kSimple, ""
			}
			return kOp, lastNameStr(v.AExpr.Name)
		case pg_query.A_Expr_Kind_AEXPR_BETWEEN:
			return kAnd, ""
		case pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
			return kOr, ""
		case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
			return kOp, "~~"
		case pg_query.A_Expr_Kind_AEXPR_IN:
			return kIn, ""
		}
		return kOther, ""
	case *pg_query.Node_BoolExpr:
		switch v.BoolExpr.Boolop {
		case pg_query.BoolExprType_AND_EXPR:
			return kAnd, ""
		case pg_query.BoolExprType_OR_EXPR:
			return kOr, ""
		}
		return kNot, ""
	case *pg_query.Node_NullTest, *pg_query.Node_BooleanTest:
		return kOther, ""
	}
	return kSimple, ""
}

func lastNameStr(ns []*pg_query.Node) string {
	if len(ns) == 0 {
		return ""
	}
	return ns[len(ns)-1].GetString_().GetSval()
}

// needParen is ruleutils' !isSimpleNode for child under parent in pretty
// mode (first: child is the parent's left operand).
func (p *exprPrinter) needParen(child, parent *pg_query.Node, first bool) bool {
	if !p.pretty {
		return false
	}
	ck, cop := p.kindOf(child)
	pk, pop := p.kindOf(parent)
	switch ck {
	case kSimple:
		return false
	case kOp:
		if pk == kOp {
			lo, hi := strings.Contains("+-", cop), strings.Contains("*/%", cop)
			plo, phi := strings.Contains("+-", pop), strings.Contains("*/%", pop)
			if cop == "" || len(cop) != 1 || pop == "" || len(pop) != 1 || !(lo || hi) || !(plo || phi) {
				return true
			}
			if hi && plo {
				return false
			}
			if lo && phi {
				return true
			}
			return !first
		}
		return pk != kAnd && pk != kOr && pk != kNot
	case kOther:
		return pk != kAnd && pk != kOr && pk != kNot
	case kAnd, kNot:
		return !(pk == kAnd || pk == kOr)
	case kOr:
		return pk != kOr
	case kIn:
		return true
	}
	return true
}

func (p *exprPrinter) sub(child, parent *pg_query.Node, first bool, hint types.T) string {
	s := p.print(child, hint)
	if p.needParen(child, parent, first) {
		return "(" + s + ")"
	}
	return s
}

// typeOf is the type of n when it is known without a context.
func (p *exprPrinter) typeOf(n *pg_query.Node) (types.T, bool) {
	switch v := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		if i := p.colIndex(v.ColumnRef); i >= 0 {
			return p.t.Columns[i].Type, true
		}
	case *pg_query.Node_AConst:
		switch {
		case v.AConst.GetIval() != nil:
			return types.Int4, true
		case v.AConst.GetFval() != nil:
			return types.Numeric, true
		case v.AConst.GetBoolval() != nil:
			return types.Bool, true
		}
	case *pg_query.Node_TypeCast:
		if t, err := types.ParseTypeName(lastNameStr(v.TypeCast.TypeName.Names), nil); err == nil {
			return t, true
		}
	case *pg_query.Node_AExpr:
		if v.AExpr.Kind == pg_query.A_Expr_Kind_AEXPR_OP && v.AExpr.Lexpr != nil {
			switch lastNameStr(v.AExpr.Name) {
			case "+", "-", "*", "/", "%":
				return p.typeOf(v.AExpr.Lexpr)
			}
			return types.Bool, true
		}
	}
	return types.T{}, false
}

func (p *exprPrinter) colIndex(cr *pg_query.ColumnRef) int {
	if len(cr.Fields) == 0 {
		return -1
	}
	name := cr.Fields[len(cr.Fields)-1].GetString_().GetSval()
	return p.t.ColumnIndex(name)
}

func (p *exprPrinter) cast(s string, t types.T) string {
	if p.pretty {
		return s + "::" + t.String()
	}
	return "(" + s + ")::" + t.String()
}

// constant prints a literal coerced to hint (zero: its own type).
func (p *exprPrinter) constant(c *pg_query.A_Const, hint types.T) string {
	switch {
	case c.Isnull:
		if hint.Oid != 0 {
			return "NULL::" + hint.String()
		}
		return "NULL"
	case c.GetBoolval() != nil:
		if c.GetBoolval().Boolval {
			return "true"
		}
		return "false"
	case c.GetIval() != nil, c.GetFval() != nil:
		own := types.Int4
		txt := ""
		if c.GetIval() != nil {
			txt = strconv.FormatInt(int64(c.GetIval().Ival), 10)
		} else {
			txt = c.GetFval().Fval
			own = types.Numeric
			if !strings.ContainsAny(txt, ".eE") {
				own = types.Int8
				if _, err := strconv.ParseInt(txt, 10, 64); err != nil {
					own = types.Numeric
				}
			}
		}
		neg := strings.HasPrefix(txt, "-")
		lit := txt
		if neg {
			lit = "'" + txt + "'::" + own.String()
		}
		if hint.Oid == 0 || hint.Oid == own.Oid || (own.Oid == types.OidInt4 && (hint.Oid == types.OidInt2 || hint.Oid == types.OidInt8)) {
			return lit
		}
		if own.Oid == types.OidInt8 && hint.Oid == types.OidInt4 {
			return lit
		}
		return p.cast(lit, hint)
	case c.GetSval() != nil:
		t := types.Text
		if hint.Oid != 0 && hint.Family() != types.FamString || hint.Oid == types.OidBpchar {
			t = hint
		}
		return "'" + strings.ReplaceAll(c.GetSval().Sval, "'", "''") + "'::" + t.String()
	}
	p.failed = true
	return ""
}

// operandHint is the type an operand literal is coerced to: the other
// operand's (varchar compares as text).
func (p *exprPrinter) operandHint(other *pg_query.Node) types.T {
	t, ok := p.typeOf(other)
	if !ok {
		return types.T{}
	}
	if t.Oid == types.OidVarchar {
		return types.Text
	}
	return t
}

// column prints a column reference, cast to text where varchar meets a
// text operator.
func (p *exprPrinter) operand(n, parent, other *pg_query.Node, first bool) string {
	s := p.sub(n, parent, first, p.operandHint(other))
	if cr := n.GetColumnRef(); cr != nil {
		if i := p.colIndex(cr); i >= 0 && p.t.Columns[i].Type.Oid == types.OidVarchar {
			if ot, ok := p.typeOf(other); !ok || ot.Family() == types.FamString {
				return p.cast(s, types.Text)
			}
		}
	}
	return s
}

func (p *exprPrinter) wrap(s string) string {
	if p.pretty {
		return s
	}
	return "(" + s + ")"
}

func (p *exprPrinter) print(n *pg_query.Node, hint types.T) string {
	if n == nil {
		p.failed = true
		return ""
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		i := p.colIndex(v.ColumnRef)
		if i < 0 {
			p.failed = true
			return ""
		}
		return parser.QuoteIdent(p.t.Columns[i].Name)
	case *pg_query.Node_AConst:
		return p.constant(v.AConst, hint)
	case *pg_query.Node_TypeCast:
		t, err := types.ParseTypeName(lastNameStr(v.TypeCast.TypeName.Names), nil)
		if err != nil {
			p.failed = true
			return ""
		}
		if c := v.TypeCast.Arg.GetAConst(); c != nil && c.GetSval() != nil {
			return "'" + strings.ReplaceAll(c.GetSval().Sval, "'", "''") + "'::" + t.String()
		}
		return p.cast(p.sub(v.TypeCast.Arg, n, true, types.T{}), t)
	case *pg_query.Node_FuncCall:
		var args []string
		for _, a := range v.FuncCall.Args {
			s := p.print(a, types.T{})
			if cr := a.GetColumnRef(); cr != nil {
				if i := p.colIndex(cr); i >= 0 && p.t.Columns[i].Type.Oid == types.OidVarchar {
					s = p.cast(s, types.Text) // string functions take text
				}
			}
			args = append(args, s)
		}
		return lastNameStr(v.FuncCall.Funcname) + "(" + strings.Join(args, ", ") + ")"
	case *pg_query.Node_BoolExpr:
		if v.BoolExpr.Boolop == pg_query.BoolExprType_NOT_EXPR {
			return p.wrap("NOT " + p.sub(v.BoolExpr.Args[0], n, true, types.Bool))
		}
		sep := " AND "
		if v.BoolExpr.Boolop == pg_query.BoolExprType_OR_EXPR {
			sep = " OR "
		}
		var parts []string
		for i, a := range v.BoolExpr.Args {
			parts = append(parts, p.sub(a, n, i == 0, types.Bool))
		}
		return p.wrap(strings.Join(parts, sep))
	case *pg_query.Node_NullTest:
		op := " IS NULL"
		if v.NullTest.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL {
			op = " IS NOT NULL"
		}
		return p.wrap(p.sub(v.NullTest.Arg, n, true, types.T{}) + op)
	case *pg_query.Node_AExpr:
		return p.aexpr(n, v.AExpr)
	}
	p.failed = true
	return ""
}

func (p *exprPrinter) aexpr(n *pg_query.Node, a *pg_query.A_Expr) string {
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		op := lastNameStr(a.Name)
		if a.Lexpr == nil {
			return op + p.sub(a.Rexpr, n, false, types.T{})
		}
		return p.wrap(p.operand(a.Lexpr, n, a.Rexpr, true) + " " + op + " " + p.operand(a.Rexpr, n, a.Lexpr, false))
	case pg_query.A_Expr_Kind_AEXPR_LIKE:
		op := "~~"
		if lastNameStr(a.Name) == "!~~" {
			op = "!~~"
		}
		return p.wrap(p.operand(a.Lexpr, n, a.Rexpr, true) + " " + op + " " + p.operand(a.Rexpr, n, a.Lexpr, false))
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		l := a.Rexpr.GetList()
		if l == nil || len(l.Items) != 2 {
			p.failed = true
			return ""
		}
		lo, hi, cmp1, cmp2, sep := l.Items[0], l.Items[1], ">=", "<=", " AND "
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN {
			cmp1, cmp2, sep = "<", ">", " OR "
		}
		x := p.operand(a.Lexpr, n, lo, true)
		return p.wrap(p.wrap(x+" "+cmp1+" "+p.print(lo, p.operandHint(a.Lexpr))) + sep + p.wrap(x+" "+cmp2+" "+p.print(hi, p.operandHint(a.Lexpr))))
	case pg_query.A_Expr_Kind_AEXPR_IN:
		l := a.Rexpr.GetList()
		if l == nil {
			p.failed = true
			return ""
		}
		op, quant := "=", "ANY"
		if lastNameStr(a.Name) == "<>" {
			op, quant = "<>", "ALL"
		}
		var items []string
		for _, it := range l.Items {
			items = append(items, p.print(it, p.operandHint(a.Lexpr)))
		}
		x := p.operand(a.Lexpr, n, l.Items[0], true)
		return p.wrap(x + " " + op + " " + quant + " (ARRAY[" + strings.Join(items, ", ") + "])")
	}
	p.failed = true
	return ""
}
