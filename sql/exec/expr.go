package exec

import (
	"sync/atomic"
	"time"

	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// compile turns an expression node into a cexpr; hint is the type an
// untyped literal or parameter should adopt (Unknown = none).
//
// A whole expression (not an operand of another) whose constant folding
// failed records its error in b.foldErr: PostgreSQL's planner folds every
// immutable expression of constants (eval_const_expressions) and raises
// its error while planning, whether or not a row is ever read — SELECT 1/0
// FROM t WHERE false fails with 22012. The rules that drop a branch before
// it is folded (CASE, COALESCE, AND, OR) are foldErr's, see foldConst.
func (b *builder) compile(s *scope, n *pg_query.Node, hint types.T) (*cexpr, error) {
	b.foldFrames = append(b.foldFrames, nil)
	e, err := b.compileNode(s, n, hint)
	top := len(b.foldFrames) - 1
	operand := b.foldFrames[top]
	b.foldFrames = b.foldFrames[:top]
	if err != nil {
		return e, err
	}
	if e.foldErr == nil && operand != nil && !dropsOperands(n) {
		// An operand that fails to fold fails its operator, function or
		// test too (PostgreSQL simplifies arguments before the call).
		c := *e
		c.foldErr = operand
		e = &c
	}
	if e.foldErr != nil {
		if top > 0 {
			if b.foldFrames[top-1] == nil {
				b.foldFrames[top-1] = e.foldErr
			}
		} else if b.foldErr == nil && b.deps == nil {
			b.foldErr = e.foldErr
		}
	}
	return e, nil
}

// dropsOperands reports whether n is CASE, COALESCE, AND or OR, whose
// compilation decides which operands' fold errors it keeps (caseFoldErr,
// coalesceFoldErr, logicFoldErr).
func dropsOperands(n *pg_query.Node) bool {
	switch v := n.Node.(type) {
	case *pg_query.Node_CaseExpr, *pg_query.Node_CoalesceExpr:
		return true
	case *pg_query.Node_BoolExpr:
		return v.BoolExpr.Boolop != pg_query.BoolExprType_NOT_EXPR
	}
	return false
}

// foldParts runs bind, which compiles the parts of an aggregate or window
// call (arguments, FILTER, ORDER BY, the window's clauses) as whole
// expressions that are not operands of the call's value, and gives the
// call the first fold error among them: PostgreSQL folds an aggregate's
// arguments, so sum(1/0) fails while planning — unless a CASE drops the
// branch the call is in, which the call's foldErr follows like any other.
func (b *builder) foldParts(bind func() (*cexpr, error)) (*cexpr, error) {
	frames, saved := b.foldFrames, b.foldErr
	b.foldFrames, b.foldErr = nil, nil
	e, err := bind()
	ferr := b.foldErr
	b.foldFrames, b.foldErr = frames, saved
	if err == nil && ferr != nil && e.foldErr == nil {
		c := *e
		c.foldErr = ferr
		e = &c
	}
	return e, err
}

func (b *builder) compileNode(s *scope, n *pg_query.Node, hint types.T) (*cexpr, error) {
	if fc := n.GetFuncCall(); fc != nil && (fc.Over != nil || windowFuncs[lastName(fc.Funcname)]) {
		if fc.Over == nil {
			return nil, b.errAt(pgerror.Newf(pgerror.WrongObjectType, "window function %s requires an OVER clause", lastName(fc.Funcname)), fc.Location)
		}
		return b.compileWindowCall(s, fc)
	}
	if fc := n.GetFuncCall(); fc != nil && isSRFCall(fc) {
		return b.compileSRFCall(s, fc)
	}
	if s.agg != nil {
		if e, ok, err := s.agg.match(b, s, n); ok || err != nil {
			return e, err
		}
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_AConst:
		c, err := planner.BindConst(v.AConst, hint)
		if err != nil {
			return nil, err
		}
		return b.compileConst(c)
	case *pg_query.Node_ColumnRef:
		return b.compileColumnRef(s, v.ColumnRef)
	case *pg_query.Node_ParamRef:
		p, params, err := planner.BindParam(v.ParamRef, b.params, hint)
		b.params = params
		if err != nil {
			return nil, b.errAt(err, v.ParamRef.Location)
		}
		return compileParam(p), nil
	case *pg_query.Node_AExpr:
		return b.compileAExpr(s, v.AExpr, hint)
	case *pg_query.Node_BoolExpr:
		return b.compileBoolExpr(s, v.BoolExpr)
	case *pg_query.Node_NullTest:
		return b.compileNullTest(s, v.NullTest)
	case *pg_query.Node_BooleanTest:
		return b.compileBoolTest(s, v.BooleanTest)
	case *pg_query.Node_TypeCast:
		return b.compileCast(s, v.TypeCast)
	case *pg_query.Node_FuncCall:
		return b.compileFunc(s, v.FuncCall, hint)
	case *pg_query.Node_CaseExpr:
		return b.compileCase(s, v.CaseExpr, hint)
	case *pg_query.Node_CoalesceExpr:
		return b.bindVariadic(s, "coalesce", v.CoalesceExpr.Args, hint)
	case *pg_query.Node_MinMaxExpr:
		name := "greatest"
		if v.MinMaxExpr.Op == pg_query.MinMaxOp_IS_LEAST {
			name = "least"
		}
		return b.bindVariadic(s, name, v.MinMaxExpr.Args, hint)
	case *pg_query.Node_SqlvalueFunction:
		return b.compileSQLValueFunc(v.SqlvalueFunction)
	case *pg_query.Node_SubLink:
		return b.compileSubLink(s, v.SubLink)
	case *pg_query.Node_AIndirection:
		return b.compileIndirection(s, v.AIndirection)
	case *pg_query.Node_RowExpr:
		return b.compileRowValue(s, v.RowExpr)
	case *pg_query.Node_AArrayExpr:
		if v.AArrayExpr != b.castArray {
			// PostgreSQL types ARRAY[…] from its elements alone, except
			// under a cast (ARRAY['1']::int[]): ARRAY['1'] is text[]
			// beside an integer[] too.
			hint = types.Unknown
		}
		return b.compileArrayExpr(s, v.AArrayExpr, hint)
	case *pg_query.Node_CollateClause:
		return b.compile(s, v.CollateClause.Arg, hint)
	case *pg_query.Node_GroupingFunc:
		// outside a grouped query's output (aggCtx.match answers it there)
		return nil, b.errAt(pgerror.New(pgerror.GroupingError, "arguments to GROUPING must be grouping expressions of the associated query level"), v.GroupingFunc.Location)
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "expression %s is not supported", nodeName(n))
}

// compileFunc compiles a function call (aggregates are handled by
// aggCtx): the plan binds its arguments, and resolves it when it has the
// function's candidates (planner.BindFuncCall); compileCall compiles the
// bound call.
func (b *builder) compileFunc(s *scope, fc *pg_query.FuncCall, hint types.T) (*cexpr, error) {
	name := lastName(fc.Funcname)
	if planner.IsAggregate(name) {
		return nil, b.errAt(pgerror.Newf(pgerror.GroupingError, "aggregate functions are not allowed here"), fc.Location)
	}
	if fc.Over != nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "window functions are not supported")
	}
	if name == "row_to_json" || name == "to_json" || name == "to_jsonb" {
		return b.compileJSONFunc(s, name, fc)
	}
	if name == "version" && len(fc.Args) == 0 {
		return constExpr(b.eng.cfg.ServerVersion, types.Text, "version()"), nil
	}
	if name == "coalesce" || name == "greatest" || name == "least" {
		return b.bindVariadic(s, name, fc.Args, hint)
	}
	if ext, ok := b.eng.cfg.Functions[name]; ok {
		call, err := planner.BindFuncArgs(operands{b, s}, fc, nil)
		if err != nil {
			return nil, err
		}
		return b.compileExternal(call, ext)
	}
	if name == "pg_typeof" && len(fc.Args) == 1 {
		x, err := b.compile(s, fc.Args[0], types.Unknown)
		if err != nil {
			return nil, err
		}
		return pgTypeof(x)
	}
	def, ok := funcTable[name]
	if !ok {
		if f, ok := b.eng.system().Function(name); ok {
			return b.compileSystemFunc(s, name, f, fc)
		}
		return nil, b.undefinedFunc(s, name, fc)
	}
	if len(fc.Args) < def.minArg || def.maxArg >= 0 && len(fc.Args) > def.maxArg {
		return nil, b.undefinedFunc(s, name, fc)
	}
	call, err := planner.BindFuncCall(operands{b, s}, fc, def.hint)
	if err != nil {
		return nil, b.locate(err)
	}
	return b.compileCall(call, def)
}

func (b *builder) undefinedFunc(s *scope, name string, fc *pg_query.FuncCall) error {
	var ts []string
	for _, a := range fc.Args {
		if e, err := b.compile(s, a, types.Unknown); err == nil {
			ts = append(ts, e.t.String())
		}
	}
	return b.errAt(pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s) does not exist", name, strings.Join(ts, ", ")).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts."), fc.Location)
}

// bindVariadic binds COALESCE, GREATEST or LEAST (planner.BindVariadic)
// and compiles it.
func (b *builder) bindVariadic(s *scope, name string, nodes []*pg_query.Node, hint types.T) (*cexpr, error) {
	v, err := planner.BindVariadic(operands{b, s}, name, nodes, hint)
	if err != nil {
		return nil, err
	}
	return compileVariadic(v)
}

func nodeName(n *pg_query.Node) string {
	s := fmt.Sprintf("%T", n.Node)
	return strings.TrimPrefix(s, "*pg_query.Node_")
}

// compileConst compiles a bound constant (planner.BindConst). A quoted
// literal typed by its context is read by the type's input function here,
// or at run time when its value depends on the session.
func (b *builder) compileConst(c *planner.Const) (*cexpr, error) {
	if !c.ReadInput {
		e := constExpr(c.Value, c.T, c.Display)
		e.unknown = c.Unknown
		return e, nil
	}
	d, err := b.parseLiteral(c.T, c.Input)
	if err != nil {
		return nil, err
	}
	if sessionDependent(c.T, c.Input) {
		return sessionLiteral(c.T, c.Input, c.Display), nil
	}
	return constExpr(d, c.T, c.Display), nil
}

// sessionDependent reports whether the value of literal s of type t
// depends on the session: a timestamptz without its own zone is read in
// the TimeZone setting, and 'now', 'today', 'tomorrow' and 'yesterday' in
// the transaction's start. Such a literal is read when the statement runs
// (a prepared statement may run under another TimeZone or transaction).
func sessionDependent(t types.T, s string) bool {
	w := strings.ToLower(strings.TrimSpace(s))
	switch t.Oid {
	case types.OidTimestamptz:
		return w != "infinity" && w != "-infinity" && w != "epoch"
	case types.OidDate, types.OidTimestamp:
		for _, day := range []string{"now", "today", "tomorrow", "yesterday"} {
			if strings.HasPrefix(w, day) {
				return true
			}
		}
	}
	return false
}

// sessionLiteral is a sessionDependent literal: parsed at run time in the
// session's TimeZone and transaction start, once per (zone, transaction)
// rather than per row.
func sessionLiteral(t types.T, s, disp string) *cexpr {
	type memo struct {
		tz    string
		start time.Time
		d     Datum
		err   error
	}
	var last atomic.Pointer[memo]
	return &cexpr{t: t, s: disp, colIdx: -1, fn: func(en *env, _ []Datum) (Datum, error) {
		if en == nil || en.txn == nil {
			return nil, errNoFold
		}
		tz := ""
		if en.vars != nil {
			tz, _ = en.vars.Get("TimeZone")
		}
		if m := last.Load(); m != nil && m.tz == tz && m.start.Equal(en.txn.start) {
			return m.d, m.err
		}
		d, err := types.ParseTextAt(t, s, en.txn.start, sessionLoc(en))
		last.Store(&memo{tz: tz, start: en.txn.start, d: d, err: err})
		return d, err
	}}
}

// parseLiteral is types.ParseText with the transaction's start time for the
// date/time inputs 'now', 'today', 'tomorrow' and 'yesterday', so that
// 'now'::timestamptz = now() inside a transaction, as in PostgreSQL.
func (b *builder) parseLiteral(t types.T, s string) (types.Datum, error) {
	if b.txn == nil {
		return types.ParseText(t, s)
	}
	return types.ParseTextAt(t, s, b.txn.start, time.UTC)
}

// compileParam compiles a bound parameter (planner.BindParam): a read
// of its value.
func compileParam(p *planner.Param) *cexpr {
	idx := p.N - 1
	return &cexpr{t: p.T, s: "$" + strconv.Itoa(p.N), param: p.N, colIdx: -1, unknown: p.Unknown,
		fn: func(e *env, _ []Datum) (Datum, error) {
			if idx >= len(e.params) {
				return nil, pgerror.Newf(pgerror.ProtocolViolation, "no value for parameter $%d", idx+1)
			}
			return e.params[idx], nil
		}}
}

// compileColumnRef binds a column reference (planner.BindColumnRef) and
// compiles the bound column.
func (b *builder) compileColumnRef(s *scope, c *pg_query.ColumnRef) (*cexpr, error) {
	e, err := b.compileColumnRefOnly(s, c)
	if pe := pgerror.As(err); pe != nil && pe.Code == pgerror.UndefinedColumn && len(c.Fields) == 1 && c.Fields[0].GetString_() != nil {
		// t: a whole-row reference to the FROM item t (a column named t
		// wins, as in PostgreSQL)
		if rel := strVal(c.Fields[0]); b.hasRelation(s, rel) {
			r, rerr := b.compileWholeRow(s, rel, c)
			if rerr != nil || r.rec == nil {
				return r, rerr
			}
			return asRecordValue(r), nil
		}
	}
	return e, err
}

// compileColumnRefOnly is compileColumnRef without whole-row references.
func (b *builder) compileColumnRefOnly(s *scope, c *pg_query.ColumnRef) (*cexpr, error) {
	r, perr := planner.BindColumnRef(s.levels(), c)
	if perr != nil {
		return nil, b.errAt(perr, c.Location)
	}
	return compileScoped(s, r.Scoped, r.T, r.Display), nil
}

// compileScoped compiles a bound column reference: a read of the current
// row, or of an enclosing query's row (marking the scopes between as
// correlated).
func compileScoped(s *scope, r planner.Scoped, t types.T, disp string) *cexpr {
	depth, idx := r.Depth, r.Ordinal
	if t := s.up(depth); t.reads != nil {
		for len(t.reads) <= idx {
			t.reads = append(t.reads, false)
		}
		t.reads[idx] = true
	}
	if depth == 0 {
		return &cexpr{t: t, s: disp, colIdx: idx,
			fn: func(_ *env, row []Datum) (Datum, error) { return row[idx], nil }}
	}
	sc := s
	for d := 0; d < depth; sc, d = sc.parent, d+1 {
		sc.correlated = true
	}
	sc.outerRefs++
	return &cexpr{t: t, s: disp, colIdx: -1,
		fn: func(e *env, _ []Datum) (Datum, error) {
			return e.outer[len(e.outer)-depth][idx], nil
		}}
}

// operands lets the plan's binder bind the operands of an operator
// through compile, while their families are compiled here.
type operands struct {
	b *builder
	s *scope
}

// BindOperand implements planner.OperandBinder.
func (o operands) BindOperand(n *pg_query.Node, hint types.T) (planner.Expr, error) {
	e, err := o.b.compile(o.s, n, hint)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Type implements planner.Expr: a compiled operand handed to the binder.
func (e *cexpr) Type() types.T { return e.t }

// Operand implements planner.Operander.
func (e *cexpr) Operand() planner.Operand {
	return planner.Operand{T: e.t, Unknown: e.unknown, Literal: e.isConst}
}

// compileBound compiles a bound operand: one compiled here, a constant,
// an explicit cast, or the implicit casts the binder inserted around one.
func (b *builder) compileBound(e planner.Expr) (*cexpr, error) {
	switch v := e.(type) {
	case *planner.Cast:
		if v.Explicit {
			return b.compileExplicitCast(v)
		}
	case *planner.Const:
		return b.compileConst(v)
	}
	return compileImplicit(e)
}

// compilePair compiles two operands, letting an untyped side adopt the
// other side's type (planner.BindPair).
func (b *builder) compilePair(s *scope, l, r *pg_query.Node) (*cexpr, *cexpr, error) {
	x, y, err := planner.BindPair(operands{b, s}, l, r)
	if err != nil {
		return nil, nil, err
	}
	return x.(*cexpr), y.(*cexpr), nil
}

// coerce returns e converted to t at run time (implicit cast).
func coerce(e *cexpr, t types.T) *cexpr {
	if e.t == t || e.t.Oid == t.Oid && t.Family() != types.FamNumeric && t.Family() != types.FamString {
		return e
	}
	if e.isConst && e.val == nil {
		return constExpr(nil, t, e.s)
	}
	from, inner := e.t, e.fn
	// An implicit conversion is never a truncating one: text to
	// varchar(n) fails with 22001 as an assignment does (explicit casts
	// truncate; they go through compileCast).
	// Arrays convert as their elements do (text[] to varchar(3)[] fails
	// on a longer element).
	ef, et := from, t
	if from.IsArray() && t.IsArray() {
		ef, _ = types.ElemOf(from)
		et, _ = types.ElemOf(t)
	}
	explicit := ef.Family() == et.Family() && et.Family() != types.FamString || planner.IsNumeric(ef) && planner.IsNumeric(et)
	out := &cexpr{t: t, s: e.s, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		d, err := inner(en, row)
		if err != nil || d == nil {
			return d, err
		}
		return types.Cast(d, from, t, explicit)
	}}
	out.foldErr = e.foldErr
	if e.isConst {
		d, err := types.Cast(e.val, from, t, explicit)
		if err == nil {
			return constExpr(d, t, e.s)
		}
		out.foldErr = err
	}
	return out
}

// commonType finds the type two operands are compared or combined in
// (planner.CommonOperandType).
func commonType(a, b *cexpr) (types.T, bool) {
	return planner.CommonOperandType(a.Operand(), b.Operand())
}

// nullifResult is NULLIF's first operand as its = operator receives it:
// PostgreSQL has cross-type equality within the integer and within the
// float family (int4 = int8, float4 = float8), so there the first operand
// keeps its type, but an integer compared with a numeric or a float, or a
// numeric with a float, is promoted first — NULLIF(1, 2.5) is numeric.
func nullifResult(l, r *cexpr) *cexpr {
	if l.t.Oid == types.OidBpchar && !r.unknown && r.t.Family() == types.FamString {
		// char(n) = text compares as text: NULLIF(c, t) is c as text
		if t, ok := commonType(l, r); ok && t.Oid == types.OidText {
			return coerce(l, t)
		}
		return l
	}
	if l.unknown || r.unknown || !planner.IsNumeric(l.t) || !planner.IsNumeric(r.t) || l.t.Family() == r.t.Family() {
		return l
	}
	rank := map[types.Family]int{types.FamInt: 0, types.FamNumeric: 1, types.FamFloat: 2}
	if rank[l.t.Family()] >= rank[r.t.Family()] {
		return l
	}
	t, ok := commonType(l, r)
	if !ok {
		return l
	}
	return coerce(l, t)
}

func opError(op string, a, b *cexpr) *pgerror.Error { return planner.OpNotExist(op, a.t, b.t) }

// compileOpExpr compiles a bound operator (planner.BindOperator); rerr
// is its resolution's error.
func (b *builder) compileOpExpr(op *planner.OpExpr, rerr error) (*cexpr, error) {
	if len(op.Args) == 1 {
		return b.compilePrefix(op, rerr)
	}
	l, err := b.compileBound(op.Args[0])
	if err != nil {
		return nil, err
	}
	r, err := b.compileBound(op.Args[1])
	if err != nil {
		return nil, err
	}
	e, err := buildOp(op.Res, rerr, l, r)
	if err != nil {
		return nil, b.errAt(pgerror.Flatten(err), op.Location)
	}
	if (isNullConst(l) || isNullConst(r)) && !(op.Res.Name == "||" && e.t.IsArray()) {
		// Every binary operator is strict (but array concatenation): PostgreSQL folds x op NULL
		// to NULL without evaluating x (whose overflow would be an
		// error) — unless x is itself constant and fails to fold: then
		// the operation fails like x (when evaluated, or when CASE or
		// COALESCE keep the branch it is in, see caseFoldErr).
		for _, x := range []*cexpr{l, r} {
			if x.foldErr != nil {
				e.foldErr = x.foldErr
				return e, nil
			}
		}
		return constExpr(nil, e.t, e.s), nil
	}
	return e, nil
}

func (b *builder) compileAExpr(s *scope, a *pg_query.A_Expr, hint types.T) (*cexpr, error) {
	op := ""
	if len(a.Name) > 0 {
		op = strVal(a.Name[len(a.Name)-1])
	}
	if e, ok, err := b.compileRowOp(s, a, op); ok {
		return e, err
	}
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		op, err := planner.BindOperator(operands{b, s}, a, hint)
		if op == nil {
			return nil, err
		}
		return b.compileOpExpr(op, err)
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		l, r, err := b.compilePair(s, a.Lexpr, a.Rexpr)
		if err != nil {
			return nil, err
		}
		return distinctOp(l, r, a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT)
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		l, r, err := b.compilePair(s, a.Lexpr, a.Rexpr)
		if err != nil {
			return nil, err
		}
		eq, err := binaryOp("=", l, r)
		if err != nil {
			return nil, err
		}
		l = nullifResult(l, r)
		lf := l.fn
		return &cexpr{t: l.t, s: "NULLIF(" + l.s + ", " + r.s + ")", colIdx: -1, fn: func(e *env, row []Datum) (Datum, error) {
			v, err := eq.fn(e, row)
			if err != nil {
				return nil, err
			}
			if v == true {
				return nil, nil
			}
			return lf(e, row)
		}}, nil
	case pg_query.A_Expr_Kind_AEXPR_IN:
		if e, ok, err := b.compileRowIn(s, a, op == "<>"); ok {
			return e, err
		}
		return b.compileIn(s, a, op == "<>")
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		return b.compileLike(s, a, op)
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN,
		pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		return b.compileBetween(s, a)
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		return b.compileAnyArray(s, a, op)
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "operator kind %s is not supported", a.Kind)
}

// caseFoldErr is the error PostgreSQL's constant folding raises for a CASE:
// that of a constant result that fails to evaluate, unless its branch is
// dropped — a constant false or NULL condition, or any branch after a
// constant true one (conds[i] guards results[i]; the last result is ELSE).
func caseFoldErr(conds, results []*cexpr) error {
	for i, c := range conds {
		if c.foldErr != nil {
			return c.foldErr
		}
		if c.isConst && c.val != true {
			continue
		}
		if results[i].foldErr != nil {
			return results[i].foldErr
		}
		if c.isConst {
			return nil
		}
	}
	return results[len(conds)].foldErr
}

// caseConstResult is the branch a CASE whose conditions up to the chosen
// one are all constant reduces to, when that branch is itself a constant
// (PostgreSQL folds CASE WHEN true THEN 0 … to 0, so an operator over it
// is folded and fails while planning as it does); nil otherwise.
func caseConstResult(conds, results []*cexpr) *cexpr {
	for i, c := range conds {
		if !c.isConst {
			return nil
		}
		if c.val == true {
			return constOrNil(results[i])
		}
	}
	return constOrNil(results[len(conds)])
}

// constOrNil is e when it is a typed constant: an untyped literal stays
// under its CASE/COALESCE, which resolves it to text.
func constOrNil(e *cexpr) *cexpr {
	if e.isConst && !e.unknown {
		return e
	}
	return nil
}

// coalesceConstResult is caseConstResult for COALESCE: the first argument
// when it is a non-null constant after only NULL constants, or NULL when
// every argument is a NULL constant.
func coalesceConstResult(args []*cexpr) *cexpr {
	for _, a := range args {
		if !a.isConst {
			return nil
		}
		if a.val != nil {
			return constOrNil(a)
		}
	}
	return constOrNil(args[len(args)-1])
}

// coalesceFoldErr is caseFoldErr for COALESCE: arguments after a non-null
// constant are dropped.
func coalesceFoldErr(args []*cexpr) error {
	for _, a := range args {
		if a.foldErr != nil {
			return a.foldErr
		}
		if a.isConst && a.val != nil {
			return nil
		}
	}
	return nil
}

// firstFoldErr is the fold error of the first input that has one.
func firstFoldErr(in []*cexpr) error {
	for _, x := range in {
		if x.foldErr != nil {
			return x.foldErr
		}
	}
	return nil
}

// logicFoldErr is firstFoldErr for AND (decisive=false) and OR
// (decisive=true): PostgreSQL stops simplifying the arguments at the first
// constant decisive one, so false AND 1/0 = 1 is false, 1/0 = 1 AND false
// fails.
func logicFoldErr(args []*cexpr, decisive bool) error {
	for _, a := range args {
		if a.foldErr != nil {
			return a.foldErr
		}
		if a.isConst && a.val == decisive {
			return nil
		}
	}
	return nil
}

func isNullConst(e *cexpr) bool { return e.isConst && e.val == nil }

// foldConst evaluates e now when all its inputs are constants. An error
// (1/0, an overflow) is left for evaluation time, so that it is raised only
// when the expression is evaluated: CASE WHEN false THEN 1/0 ELSE 5 END and
// coalesce(1, 1/0) are 5 and 1, as in PostgreSQL, whose constant folding
// drops such branches before evaluating them. Such an error is kept in
// e.foldErr and carried up through every operator above it (the first
// input's, as PostgreSQL simplifies arguments left to right and stops at
// the first error), whether or not the other inputs are constant: a CASE
// or COALESCE that keeps the branch raises it while planning, as
// PostgreSQL does for (1/0) * 91 * NULL or (2147483647 * 2) + count(*).
func foldConst(e *cexpr, in ...*cexpr) (*cexpr, error) {
	if err := firstFoldErr(in); err != nil {
		e.foldErr = err
		return e, nil
	}
	for _, x := range in {
		if !x.isConst {
			return e, nil
		}
	}
	v, err := e.fn(nil, nil)
	if err == errNoFold {
		return e, nil
	}
	if err != nil {
		e.foldErr = err
		return e, nil
	}
	c := constExpr(v, e.t, e.s)
	return c, nil
}

// compareOp compiles the comparison l op r (planner.ResolveCompare).
func compareOp(op string, l, r *cexpr) (*cexpr, error) {
	res, err := planner.ResolveCompare(op, l.Operand(), r.Operand())
	if err != nil {
		return nil, err
	}
	_, args, _ := applyResolution(res, nil, []*cexpr{l, r})
	return compareExpr(res, l, r, args)
}

// compareExpr is a resolved comparison (OpCompare) of l and r, whose
// inputs in the type compared are args.
func compareExpr(res *planner.ResolvedOp, l, r *cexpr, args []*cexpr) (*cexpr, error) {
	op, t, lc, rc := res.Name, res.Calc, args[0], args[1]
	lf, rf := lc.fn, rc.fn
	test := cmpTest(op)
	if t.Oid == types.OidJSONB {
		e := &cexpr{t: types.Bool, s: "(" + l.s + " " + op + " " + r.s + ")", colIdx: -1,
			fn: func(en *env, row []Datum) (Datum, error) {
				a, err := lf(en, row)
				if err != nil || a == nil {
					return nil, err
				}
				c, err := rf(en, row)
				if err != nil || c == nil {
					return nil, err
				}
				x, y, err := decodeJSONPair(a, c)
				if err != nil {
					return nil, err
				}
				return test(types.CompareJSON(x, y)), nil
			}}
		return foldConst(e, l, r)
	}
	bp := t.Oid == types.OidBpchar
	e := &cexpr{t: types.Bool, s: "(" + l.s + " " + op + " " + r.s + ")", colIdx: -1,
		fn: func(en *env, row []Datum) (Datum, error) {
			a, err := lf(en, row)
			if err != nil || a == nil {
				return nil, err
			}
			c, err := rf(en, row)
			if err != nil || c == nil {
				return nil, err
			}
			if bp {
				return test(types.CompareBpchar(a, c)), nil
			}
			return test(types.Compare(a, c)), nil
		}}
	return foldConst(e, l, r)
}

func cmpTest(op string) func(int) bool {
	switch op {
	case "=":
		return func(c int) bool { return c == 0 }
	case "<>", "!=":
		return func(c int) bool { return c != 0 }
	case "<":
		return func(c int) bool { return c < 0 }
	case "<=":
		return func(c int) bool { return c <= 0 }
	case ">":
		return func(c int) bool { return c > 0 }
	}
	return func(c int) bool { return c >= 0 }
}

// arithExpr is resolved arithmetic (OpArith) on numbers: l op r with
// inputs args in the type computed in.
func arithExpr(res *planner.ResolvedOp, l, r *cexpr, args []*cexpr) (*cexpr, error) {
	op, t := res.Name, res.Calc
	lf, rf := args[0].fn, args[1].fn
	var f func(a, b Datum, t types.T) (Datum, error)
	switch op {
	case "+":
		f = types.Add
	case "-":
		f = types.Sub
	case "*":
		f = types.Mul
	case "/":
		f = types.Div
	default:
		f = types.Mod
	}
	e := &cexpr{t: t, s: "(" + l.s + " " + op + " " + r.s + ")", colIdx: -1,
		fn: func(en *env, row []Datum) (Datum, error) {
			a, err := lf(en, row)
			if err != nil || a == nil {
				return nil, err
			}
			c, err := rf(en, row)
			if err != nil || c == nil {
				return nil, err
			}
			return f(a, c, t)
		}}
	return foldConst(e, l, r)
}

// textOf renders any datum as text.
func textOf(d Datum, t types.T) string {
	if s, ok := d.(string); ok {
		return s
	}
	return types.FormatText(d, t)
}

// opText is textOf for an operand of ||: char(n) converts to text without
// its trailing blanks, as PostgreSQL's bpchar-to-text cast does.
func opText(d Datum, t types.T) string {
	if t.Oid == types.OidBpchar {
		return strings.TrimRight(str(d), " ")
	}
	return textOf(d, t)
}

func concatOp(l, r *cexpr) (*cexpr, error) {
	lf, rf, lt, rt := l.fn, r.fn, l.t, r.t
	e := &cexpr{t: types.Text, s: "(" + l.s + " || " + r.s + ")", colIdx: -1,
		fn: func(en *env, row []Datum) (Datum, error) {
			a, err := lf(en, row)
			if err != nil || a == nil {
				return nil, err
			}
			c, err := rf(en, row)
			if err != nil || c == nil {
				return nil, err
			}
			n := textLen(a, lt) + textLen(c, rt)
			if n+4 > memacct.MaxAllocSize {
				return nil, errAllocRequest(n + 4)
			}
			if err := en.allowValue(n); err != nil {
				return nil, err
			}
			return opText(a, lt) + opText(c, rt), nil
		}}
	return foldConst(e, l, r)
}

func distinctOp(l, r *cexpr, notDistinct bool) (*cexpr, error) {
	eq, err := compareOp("=", l, r)
	if err != nil {
		return nil, err
	}
	lf, rf, ef := l.fn, r.fn, eq.fn
	return &cexpr{t: types.Bool, s: "(" + l.s + " IS DISTINCT FROM " + r.s + ")", colIdx: -1,
		fn: func(en *env, row []Datum) (Datum, error) {
			a, err := lf(en, row)
			if err != nil {
				return nil, err
			}
			c, err := rf(en, row)
			if err != nil {
				return nil, err
			}
			var same bool
			switch {
			case a == nil || c == nil:
				same = a == nil && c == nil
			default:
				v, err := ef(en, row)
				if err != nil {
					return nil, err
				}
				same = v == true
			}
			return same == notDistinct, nil
		}}, nil
}

func (b *builder) compileBoolExpr(s *scope, be *pg_query.BoolExpr) (*cexpr, error) {
	args := make([]*cexpr, len(be.Args))
	for i, a := range be.Args {
		e, err := b.compile(s, a, types.Bool)
		if err != nil {
			return nil, err
		}
		if e.t.Family() != types.FamBool && !e.unknown {
			return nil, pgerror.Newf(pgerror.DatatypeMismatch, "argument of %s must be type boolean, not type %s", boolOpName(be.Boolop), e.t)
		}
		args[i] = e
	}
	switch be.Boolop {
	case pg_query.BoolExprType_NOT_EXPR:
		f := args[0].fn
		return foldConst(&cexpr{t: types.Bool, s: "(NOT " + args[0].s + ")", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
			v, err := f(en, row)
			if err != nil || v == nil {
				return nil, err
			}
			return !(v.(bool)), nil
		}}, args...)
	case pg_query.BoolExprType_AND_EXPR:
		return foldLogic(andExprs(args), args, false)
	default:
		return foldLogic(orExprs(args), args, true)
	}
}

// foldLogic is foldConst for AND (decisive=false) and OR: a fold error
// after a constant decisive argument is dropped (see logicFoldErr).
func foldLogic(e *cexpr, args []*cexpr, decisive bool) (*cexpr, error) {
	ferr := logicFoldErr(args, decisive)
	if ferr != nil {
		e.foldErr = ferr
		return e, nil
	}
	for _, a := range args {
		if a.isConst && a.val == decisive {
			// x AND false is false, x OR true is true, whatever x is:
			// PostgreSQL folds them so (CASE WHEN a IS NULL AND false
			// THEN 1/0 …) drops its branch.
			return constExpr(decisive, types.Bool, e.s), nil
		}
	}
	return foldConst(e, args...)
}

func boolOpName(op pg_query.BoolExprType) string {
	switch op {
	case pg_query.BoolExprType_AND_EXPR:
		return "AND"
	case pg_query.BoolExprType_OR_EXPR:
		return "OR"
	}
	return "NOT"
}

func joinStr(args []*cexpr, sep string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.s
	}
	return "(" + strings.Join(parts, sep) + ")"
}

func andExprs(args []*cexpr) *cexpr {
	if len(args) == 1 {
		return args[0]
	}
	return logicExprs(args, " AND ", false)
}

func orExprs(args []*cexpr) *cexpr { return logicExprs(args, " OR ", true) }

// logicExprs evaluates AND (decisive=false) or OR (decisive=true) with
// three-valued logic: the first decisive value wins, else NULL if any
// input was NULL, else !decisive.
func logicExprs(args []*cexpr, sep string, decisive bool) *cexpr {
	return &cexpr{t: types.Bool, s: joinStr(args, sep), colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		sawNull := false
		for _, a := range args {
			v, err := a.fn(en, row)
			if err != nil {
				return nil, err
			}
			if v == nil {
				sawNull = true
			} else if v == decisive {
				return decisive, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return !decisive, nil
	}}
}

func (b *builder) compileNullTest(s *scope, nt *pg_query.NullTest) (*cexpr, error) {
	if e, ok, err := b.compileRowNullTest(s, nt); ok {
		return e, err
	}
	x, err := b.compile(s, nt.Arg, types.Unknown)
	if err != nil {
		return nil, err
	}
	want := nt.Nulltesttype == pg_query.NullTestType_IS_NULL
	f := x.fn
	txt := " IS NULL"
	if !want {
		txt = " IS NOT NULL"
	}
	return foldConst(&cexpr{t: types.Bool, s: "(" + x.s + txt + ")", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		v, err := f(en, row)
		if err != nil {
			return nil, err
		}
		if r, ok := v.(*types.Record); ok {
			// a row is NULL when every field is, NOT NULL when none is
			for _, fv := range r.Vals {
				if (fv == nil) != want {
					return false, nil
				}
			}
			return true, nil
		}
		return (v == nil) == want, nil
	}}, x)
}

func (b *builder) compileBoolTest(s *scope, bt *pg_query.BooleanTest) (*cexpr, error) {
	x, err := b.compile(s, bt.Arg, types.Bool)
	if err != nil {
		return nil, err
	}
	f := x.fn
	kind := bt.Booltesttype
	return &cexpr{t: types.Bool, s: x.s, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		v, err := f(en, row)
		if err != nil {
			return nil, err
		}
		switch kind {
		case pg_query.BoolTestType_IS_TRUE:
			return v == true, nil
		case pg_query.BoolTestType_IS_NOT_TRUE:
			return v != true, nil
		case pg_query.BoolTestType_IS_FALSE:
			return v == false, nil
		case pg_query.BoolTestType_IS_NOT_FALSE:
			return v != false, nil
		case pg_query.BoolTestType_IS_UNKNOWN:
			return v == nil, nil
		}
		return v != nil, nil
	}}, nil
}

// typeFromName resolves a TypeName node.
// compileCast binds an explicit cast (planner.TypeOf, BindCast) and
// compiles it.
func (b *builder) compileCast(s *scope, tc *pg_query.TypeCast) (*cexpr, error) {
	t, err := planner.TypeOf(tc.TypeName)
	if err != nil {
		return nil, b.errAt(pgerror.Flatten(err), tc.TypeName.Location)
	}
	outer := b.castArray
	b.castArray = tc.Arg.GetAArrayExpr()
	c, err := planner.BindCast(operands{b, s}, tc.Arg, t)
	b.castArray = outer
	if err != nil {
		return nil, err
	}
	return b.compileExplicitCast(c)
}

// compileExplicitCast compiles a bound explicit cast: reg* conversions,
// a literal typed by the cast (kept, or truncated to a varchar(n)), a
// string read by the target type's input function, any other value by
// types.Cast.
func (b *builder) compileExplicitCast(c *planner.Cast) (*cexpr, error) {
	x, err := b.compileBound(c.Arg)
	if err != nil {
		return nil, err
	}
	t := c.T
	if e, ok, err := b.compileRegCast(x, t); ok {
		return e, err
	}
	if x.isConst && x.val != nil && x.t == t {
		if t.Oid == types.OidVarchar && t.Mod >= 0 {
			// a literal typed by the cast: an explicit cast truncates
			// ('abc'::varchar(2) is 'ab')
			v, err := types.Cast(x.val, types.Text, t, true)
			if err != nil {
				return nil, err
			}
			return constExpr(v, t, x.s), nil
		}
		return x, nil
	}
	from, f := x.t, x.fn
	e := &cexpr{t: t, s: "(" + x.s + ")::" + t.String(), colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		v, err := f(en, row)
		if err != nil || v == nil {
			return v, err
		}
		if sv, ok := v.(string); ok && from.Family() == types.FamString && t.Family() != types.FamString && !isJSONType(from) {
			if en != nil && en.txn != nil {
				return types.ParseTextAt(t, sv, en.txn.start, sessionLoc(en))
			}
			return types.ParseText(t, sv)
		}
		return types.Cast(v, from, t, true)
	}}
	return foldConst(e, x)
}

func (b *builder) compileCase(s *scope, c *pg_query.CaseExpr, hint types.T) (*cexpr, error) {
	var ob planner.OperandBinder = operands{b, s}
	var spans [][2]int
	if s.agg != nil {
		ob = caseOperands{operands{b, s}, &spans}
	}
	bc, err := planner.BindCase(ob, c, hint)
	if err != nil {
		return nil, err
	}
	var conds []*cexpr
	defer func() {
		if s.agg != nil {
			dropCaseAggs(s.agg, c, conds, spans)
		}
	}()
	conds = make([]*cexpr, len(bc.Whens))
	results := make([]*cexpr, len(bc.Whens)+1)
	for i, w := range bc.Whens {
		conds[i] = w.Cond.(*cexpr)
		if w.Eq != nil {
			arg := bc.Arg.(*cexpr)
			_, args, _ := applyResolution(w.Eq, nil, []*cexpr{arg, conds[i]})
			if conds[i], err = compareExpr(w.Eq, arg, conds[i], args); err != nil {
				return nil, err
			}
		}
		results[i] = w.Result.(*cexpr)
	}
	if results[len(bc.Whens)], err = b.compileBound(bc.Else); err != nil {
		return nil, err
	}
	bc.Else = results[len(bc.Whens)]
	if err := caseFoldErr(conds, results); err != nil {
		return nil, err
	}
	if err := bc.Resolve(); err != nil {
		return nil, err
	}
	for i, w := range bc.Whens {
		if results[i], err = compileImplicit(w.Result); err != nil {
			return nil, err
		}
	}
	if results[len(bc.Whens)], err = compileImplicit(bc.Else); err != nil {
		return nil, err
	}
	t := bc.T
	if r := caseConstResult(conds, results); r != nil {
		return r, nil
	}
	return &cexpr{t: t, s: "CASE", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		for i, cnd := range conds {
			v, err := cnd.fn(en, row)
			if err != nil {
				return nil, err
			}
			if v == true {
				return results[i].fn(en, row)
			}
		}
		return results[len(conds)].fn(en, row)
	}}, nil
}

// caseOperands binds the parts of a CASE over a post-aggregation scope and
// records, for each part in BindCase's order (the CASE's argument, each
// WHEN's condition and result, ELSE), the aggregates it added: [from, to)
// of aggCtx.aggs.
type caseOperands struct {
	operands
	spans *[][2]int
}

func (o caseOperands) BindOperand(n *pg_query.Node, hint types.T) (planner.Expr, error) {
	from := len(o.s.agg.aggs)
	e, err := o.operands.BindOperand(n, hint)
	*o.spans = append(*o.spans, [2]int{from, len(o.s.agg.aggs)})
	return e, err
}

// dropCaseAggs makes the aggregates of the CASE branches that constant
// folding drops read no row, as PostgreSQL removes them from the plan
// with their branch: the result of a WHEN whose condition is a constant
// false or NULL, and everything after a constant true one (CASE WHEN false
// THEN sum(1/0) ELSE 0 END does not divide). Their values are never read.
func dropCaseAggs(a *aggCtx, c *pg_query.CaseExpr, conds []*cexpr, spans [][2]int) {
	at := 0
	if c.Arg != nil {
		at = 1
	}
	if len(spans) < at+2*len(conds) {
		return
	}
	drop := func(k int) {
		if k >= len(spans) {
			return
		}
		for _, spec := range a.aggs[spans[k][0]:spans[k][1]] {
			spec.filter = constExpr(false, types.Bool, "false")
			if spec.direct != nil {
				spec.direct = constExpr(nil, spec.direct.t, "NULL")
			}
			if spec.arg != nil {
				spec.arg = constExpr(nil, spec.arg.t, "NULL")
			}
		}
	}
	for i, cnd := range conds {
		if cnd == nil || !cnd.isConst {
			continue
		}
		if cnd.val == true {
			for k := at + 2*i + 2; k < len(spans); k++ {
				drop(k)
			}
			return
		}
		drop(at + 2*i + 1)
	}
}

// coerceUnified converts a value of CASE/COALESCE/VALUES/IN to the type
// unifyTypes chose (planner.ToCommon).
func coerceUnified(e *cexpr, t types.T) (*cexpr, error) {
	return compileImplicit(planner.ToCommon(e, t))
}

// unifyTypes is the common type of the values of a CASE, COALESCE, VALUES
// column, set operation or IN list (planner.CommonType).
func unifyTypes(es []*cexpr, what string) (types.T, error) {
	xs := make([]planner.Expr, len(es))
	for i, e := range es {
		xs[i] = e
	}
	return planner.CommonType(xs, what)
}
