package session

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// The simple-query plan cache. A client that sends its statements as
// text with the values written in (pgbench -M simple, most ORMs' "simple"
// modes, psql scripts) makes the server parse (a cgo call into pg_query
// and a protobuf decode) and plan every statement again, though most of
// them differ only in their numbers. A one-statement query string whose
// only literals are numbers is normalised (parser.Normalize: each number
// becomes $1, $2, … and the key records each one's type, int4, int8 or
// numeric, as its spelling gives it); the normalised text is parsed and
// planned once per session with those parameter types declared, and the
// plan is run with the literals' values as the parameters.
//
// That is exact only where a parameter of the literal's own type means
// what the literal means, so the parsed tree of the normalised text is
// checked (cacheableTree) and the statement goes the ordinary way when a
// $n stands anywhere else:
//
//   - an operand of a binary operator (= <> < > <= >= + - * / %) whose
//     other operand varies with the row (a column, or an operator over
//     one): an operator over constants only is folded when PostgreSQL
//     plans (2147483647 + 1 fails even when no row is read), over a
//     parameter it is not;
//   - the value of an UPDATE's SET item;
//   - an item of the single row of an INSERT's VALUES;
//   - any of these under one unary minus: the grammar folds -5 into the
//     constant -5, here it is -($1); the type is the same except for
//     -2147483648 and -9223372036854775808, which the literal's own type
//     would widen, so those values go the ordinary way (negationWidens).
//
// Not a position anything else: not the select list (SELECT 1), ORDER BY
// and GROUP BY (ORDER BY 1 names a column), LIMIT, function arguments,
// casts and type modifiers, array subscripts. String literals are never
// normalised (an untyped literal takes its type from context, and a date
// or time one can depend on TimeZone or the transaction's start).
//
// A plan is kept per session (a Prepared is for one session) and keyed by
// the normalised text and the literals' types; it carries the search_path
// it was planned under. The engine re-plans a Prepared whose catalog
// changed (exec.Prepared.Open). Planning errors are never taken from the
// normalised text: a statement whose normalised form fails to plan runs
// the ordinary way and reports its own error; an error of a cached run
// that carries a position has it moved back to the original text
// (cachedPlan.origPosition).

// planCacheSize bounds the plans a session keeps; the cache is emptied
// when it is full (a client with more distinct statement shapes than this
// gains little from it anyway).
const planCacheSize = 128

// cachedPlan is one cached statement shape.
type cachedPlan struct {
	st         *statement // kindEngine, prepared on the normalised text
	searchPath string
	// negated[i]: literal i stands under a unary minus.
	negated []bool
	// bad: the shape cannot be cached (a $n outside the positions above,
	// or a normalised text that does not parse): go the ordinary way.
	bad bool
}

// queryCached runs a simple query from the plan cache when it can. done
// is false when the query must go the ordinary way (and nothing was done
// yet).
func (s *Session) queryCached(ctx context.Context, sql string, w result.Writer) (done bool, err error) {
	if s.cfg.Forward != nil || s.block == blockFailed {
		return false, nil
	}
	n, ok := parser.Normalize(sql, s.litBuf)
	if !ok {
		return false, nil
	}
	s.litBuf = n.Lits
	sp, _ := s.vars.Get("search_path")
	e := s.plans[n.Key]
	if e == nil || (!e.bad && e.searchPath != sp) {
		if e = s.fillPlan(ctx, n, sp); e == nil {
			return false, nil
		}
	}
	if e.bad {
		return false, nil
	}
	params := make([]types.Datum, len(n.Lits))
	for i, l := range n.Lits {
		text := l.Text(sql)
		d, t, err := planner.NumericConst(text)
		if err != nil || t != e.st.params[i] || e.negated[i] && negationWidens(text, t) {
			return false, nil
		}
		params[i] = d
	}
	st := *e.st
	st.ast.SQL = strings.TrimRight(strings.TrimLeft(sql, " \t\r\n"), " \t\r\n;")

	s.activityStart(sql)
	defer s.activityIdle()
	defer func() { s.lastInString, s.multiString = false, false }()
	s.multiString = false
	s.beginImplicit()
	s.lastInString = true
	replanFailed, err := s.runCached(ctx, e, &st, params, w)
	if replanFailed {
		// The catalog changed and the normalised text no longer plans:
		// run the statement the ordinary way, which reports its error.
		delete(s.plans, n.Key)
		err = s.runUncached(ctx, sql, w)
	} else {
		err = origPosition(err, sql, n)
	}
	if err != nil {
		s.abort()
		return true, err
	}
	if s.block == blockImplicit {
		return true, s.commitImplicit(ctx, w)
	}
	return true, nil
}

// runCached is runSimple and runParsed for a statement from the cache.
// The plan is brought up to date with the catalog first (the columns go
// out before the statement opens); replanFailed reports that this failed.
func (s *Session) runCached(ctx context.Context, e *cachedPlan, st *statement, params []types.Datum, w result.Writer) (replanFailed bool, err error) {
	start := s.cfg.Now()
	sctx, cancel := s.stmtContext(ctx)
	defer cancel()
	if err = s.ensureTxn(sctx); err == nil {
		s.txn.SetSearchPath(e.searchPath)
		if err = st.prep.Refresh(sctx, s.txn); err != nil {
			if sctx.Err() == nil {
				return true, nil
			}
		} else {
			e.st.cols = st.prep.Columns()
			st.cols = e.st.cols
			err = s.runEngine(sctx, st, params, output{w: w, setCols: true})
		}
	}
	err = mapCancel(ctx, sctx, err)
	s.logStatement(st.ast.SQL, start, err)
	return false, err
}

// runUncached parses and runs a one-statement query string the ordinary
// way inside a simple query queryCached started.
func (s *Session) runUncached(ctx context.Context, sql string, w result.Writer) error {
	stmts, err := s.parseQuery(ctx, sql)
	if err != nil {
		return err
	}
	for _, ast := range stmts {
		if err := s.runSimple(ctx, ast, w); err != nil {
			return err
		}
	}
	return nil
}

// fillPlan parses and plans a normalised statement and caches the
// result; nil when it failed to plan (the ordinary path then reports the
// statement's own error).
func (s *Session) fillPlan(ctx context.Context, n parser.Normalized, searchPath string) *cachedPlan {
	if s.plans == nil || len(s.plans) >= planCacheSize {
		s.plans = make(map[string]*cachedPlan)
	}
	bad := &cachedPlan{bad: true}
	stmts, err := parser.ParseContext(ctx, n.Text)
	if err != nil || len(stmts) != 1 {
		if ctx.Err() == nil {
			s.plans[n.Key] = bad
		}
		return nil
	}
	negated, ok := cacheableTree(stmts[0].Node, len(n.Lits))
	if !ok {
		s.plans[n.Key] = bad
		return nil
	}
	oids := make([]types.Oid, len(n.Lits))
	for i, l := range n.Lits {
		switch l.Kind {
		case parser.LitInt4:
			oids[i] = types.OidInt4
		case parser.LitInt8:
			oids[i] = types.OidInt8
		default:
			oids[i] = types.OidNumeric
		}
	}
	st, err := s.prepareEngine(ctx, &statement{ast: stmts[0], kind: kindEngine}, oids)
	if err != nil || st.prep == nil || len(st.params) != len(oids) {
		return nil
	}
	for i, t := range st.params {
		if t.Oid != oids[i] {
			return nil
		}
	}
	e := &cachedPlan{st: st, searchPath: searchPath, negated: negated}
	s.plans[n.Key] = e
	return e
}

// negationWidens reports whether the literal text (unsigned, of type t)
// has a narrower type when negated: the grammar folds -2147483648 into an
// int4 constant, -($1) with $1 = 2147483648 is int8.
func negationWidens(text string, t types.T) bool {
	if t == types.Int4 {
		return false
	}
	_, nt, err := planner.NumericConst("-" + text)
	return err != nil || nt != t
}

// origPosition moves the position of an error raised on the normalised
// text back to the original one: the two differ only in the literals,
// which are ASCII, so a position moves by the difference in length of
// the literals before it (one inside a $n goes to the literal's start).
func origPosition(err error, sql string, n parser.Normalized) error {
	pe := pgerror.As(err)
	if pe == nil || pe.Position <= 0 || len(n.Lits) == 0 {
		return err
	}
	at := int(pe.Position) - 1 // characters before the position in n.Text
	shift := 0
	for i, l := range n.Lits {
		slotChars := utf8.RuneCountInString(n.Text[:l.NormStart])
		slotLen := 1 + len(strconv.Itoa(i+1)) // "$n"
		switch {
		case at < slotChars:
			return pe.WithPosition(int32(at + shift + 1))
		case at < slotChars+slotLen:
			return pe.WithPosition(int32(slotChars + shift + 1))
		}
		shift += (l.End - l.Start) - slotLen
	}
	return pe.WithPosition(int32(at + shift + 1))
}

// cacheableTree reports whether every $n of a normalised statement's
// tree stands where a parameter of the literal's type means what the
// literal meant (see the comment at the top of this file), and which of
// them stand under a unary minus. nLits is the number of $n Normalize
// wrote; each must appear exactly once.
func cacheableTree(n *pg_query.Node, nLits int) ([]bool, bool) {
	switch x := n.GetNode().(type) {
	case *pg_query.Node_SelectStmt:
		if x.SelectStmt.IntoClause != nil { // SELECT … INTO creates a table
			return nil, false
		}
	case *pg_query.Node_InsertStmt, *pg_query.Node_UpdateStmt, *pg_query.Node_DeleteStmt:
	default:
		return nil, false
	}
	negated := make([]bool, nLits)
	seen := make([]bool, nLits)
	ok := true
	var stack []frame
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if !ok {
			return
		}
		if p, isParam := m.Interface().(*pg_query.ParamRef); isParam {
			k := int(p.Number) - 1
			if k < 0 || k >= nLits || seen[k] {
				ok = false
				return
			}
			seen[k] = true
			neg, allowed := paramPlace(stack)
			negated[k] = neg
			ok = allowed
			return
		}
		_, wrapper := m.Interface().(*pg_query.Node)
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Message() == nil || fd.IsMap() {
				return true
			}
			if !wrapper {
				stack = append(stack, frame{msg: m.Interface(), field: string(fd.Name())})
			}
			if fd.IsList() {
				l := v.List()
				for i := 0; i < l.Len() && ok; i++ {
					walk(l.Get(i).Message())
				}
			} else {
				walk(v.Message())
			}
			if !wrapper {
				stack = stack[:len(stack)-1]
			}
			return ok
		})
	}
	walk(n.ProtoReflect())
	for _, s := range seen {
		ok = ok && s
	}
	return negated, ok
}

// frame is one step of the path from the statement to a node: the
// message and the field of it the path goes through (Node wrappers are
// left out).
type frame struct {
	msg   any
	field string
}

// paramPlace decides whether a $n reached by path stands in one of the
// positions a parameter may take a literal's place, and whether it is
// under a unary minus.
func paramPlace(path []frame) (negated, ok bool) {
	i := len(path) - 1
	if i < 0 {
		return false, false
	}
	if ae, isExpr := path[i].msg.(*pg_query.A_Expr); isExpr && isUnaryMinus(ae) && path[i].field == "rexpr" {
		negated = true
		if i--; i < 0 {
			return false, false
		}
	}
	f := path[i]
	switch x := f.msg.(type) {
	case *pg_query.A_Expr:
		if !isBinaryOp(x) {
			return false, false
		}
		other := x.Lexpr
		if f.field == "lexpr" {
			other = x.Rexpr
		} else if f.field != "rexpr" {
			return false, false
		}
		return negated, variesByRow(other)
	case *pg_query.ResTarget:
		return negated, f.field == "val" && len(x.Indirection) == 0 && i > 0 &&
			isField[*pg_query.UpdateStmt](path[i-1], "target_list")
	case *pg_query.List:
		if f.field != "items" || i < 2 {
			return false, false
		}
		sel, isSel := path[i-1].msg.(*pg_query.SelectStmt)
		return negated, isSel && path[i-1].field == "values_lists" && len(sel.ValuesLists) == 1 &&
			isField[*pg_query.InsertStmt](path[i-2], "select_stmt")
	}
	return false, false
}

func isField[T any](f frame, field string) bool {
	_, ok := f.msg.(T)
	return ok && f.field == field
}

// cacheOps are the binary operators a $n may be an operand of.
var cacheOps = map[string]bool{"=": true, "<>": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
	"+": true, "-": true, "*": true, "/": true, "%": true}

func opName(x *pg_query.A_Expr) (string, bool) {
	if x.Kind != pg_query.A_Expr_Kind_AEXPR_OP || len(x.Name) != 1 {
		return "", false
	}
	s := x.Name[0].GetString_()
	if s == nil {
		return "", false
	}
	return s.Sval, true
}

func isBinaryOp(x *pg_query.A_Expr) bool {
	name, ok := opName(x)
	return ok && x.Lexpr != nil && x.Rexpr != nil && cacheOps[name]
}

func isUnaryMinus(x *pg_query.A_Expr) bool {
	name, ok := opName(x)
	return ok && x.Lexpr == nil && x.Rexpr != nil && name == "-"
}

// variesByRow reports whether n is a column reference or a binary
// operator over one: an expression PostgreSQL cannot fold into a
// constant when it plans.
func variesByRow(n *pg_query.Node) bool {
	switch x := n.GetNode().(type) {
	case *pg_query.Node_ColumnRef:
		return true
	case *pg_query.Node_AExpr:
		return isBinaryOp(x.AExpr) && (variesByRow(x.AExpr.Lexpr) || variesByRow(x.AExpr.Rexpr))
	}
	return false
}
