package plan

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/types"
)

// Binding of operator expressions (the binder's second family): the
// operands are bound with the type hints the operator's candidates give
// an untyped operand, then the operator is resolved (ops.go).

// OpExpr is a bound operator expression (PostgreSQL's OpExpr).
type OpExpr struct {
	// Res is the resolution (after an error, only the reads that come
	// first).
	Res *ResolvedOp
	// Args are the operands as written: left and right, or the prefix
	// operator's one.
	Args []Expr
	// Location is the operator's position in the statement, ArgLocation
	// the (last) operand's.
	Location, ArgLocation int32
}

// Type implements Expr: the result type (unknown for the json and array
// operators, which exec resolves).
func (o *OpExpr) Type() types.T { return o.Res.Result }

// Inputs are the operator's inputs as bound trees: its operands with the
// reads and implicit casts of its resolution (ResolvedOp.Operands,
// Inputs).
func (o *OpExpr) Inputs() []Expr { return o.Res.Inputs(o.Res.Operands(o.Args)) }

// OperandBinder binds an operand of an operator: exec provides it while
// the families other than constants, parameters, column references and
// operators are bound there. hint is the type an untyped operand should
// adopt (types.Unknown: none).
type OperandBinder interface {
	BindOperand(n *pg_query.Node, hint types.T) (Expr, error)
}

// BindOperator binds an operator expression (a.Kind AEXPR_OP): the
// operands, each untyped one with the type its context gives it, then
// the operator (ResolveBinaryOp, ResolvePrefixOp). An error binding an
// operand is returned with a nil OpExpr; an error resolving the operator is
// returned with the OpExpr (its Res holds the reads to do first): the caller
// positions it at the operator. hint, the type the context expects, is
// passed on to a prefix operator's operand.
func BindOperator(ob OperandBinder, a *pg_query.A_Expr, hint types.T) (*OpExpr, error) {
	op := LastName(a.Name)
	out := &OpExpr{Location: a.Location, ArgLocation: ExprLocation(a.Rexpr)}
	if a.Lexpr == nil {
		return bindPrefix(ob, op, a, hint, out)
	}
	l, r, err := bindOperands(ob, op, a.Lexpr, a.Rexpr)
	if err != nil {
		return nil, err
	}
	out.Args = []Expr{l, r}
	res, err := ResolveBinaryOp(op, OperandOf(l), OperandOf(r))
	out.Res = res
	if res == nil {
		out.Res = &ResolvedOp{Name: op}
	}
	return out, err
}

func bindPrefix(ob OperandBinder, op string, a *pg_query.A_Expr, hint types.T, out *OpExpr) (*OpExpr, error) {
	x, err := ob.BindOperand(a.Rexpr, hint)
	if err != nil {
		return nil, err
	}
	out.Args = []Expr{x}
	out.Res = &ResolvedOp{Name: op}
	if op == "-" && untypedConst(a.Rexpr) {
		// Prefix - exists for the numeric types and interval, two
		// categories: an untyped literal or NULL picks none (PostgreSQL
		// does not look at the context either: INSERT … VALUES (-'1')
		// fails too).
		return out, opNotUnique("operator is not unique: - unknown")
	}
	res, err := ResolvePrefixOp(op, OperandOf(x))
	if res != nil {
		out.Res = res
	}
	return out, err
}

// untypedConst reports whether n is a string literal or NULL: of type
// unknown until an operator or a context resolves it.
func untypedConst(n *pg_query.Node) bool {
	c := n.GetAConst()
	if c == nil {
		return false
	}
	return c.Isnull || c.GetSval() != nil
}

// ExprLocation is the position of an expression node in the statement,
// or -1.
func ExprLocation(n *pg_query.Node) int32 {
	switch v := n.GetNode().(type) {
	case *pg_query.Node_ColumnRef:
		return v.ColumnRef.Location
	case *pg_query.Node_AConst:
		return v.AConst.Location
	case *pg_query.Node_ParamRef:
		return v.ParamRef.Location
	case *pg_query.Node_TypeCast:
		return v.TypeCast.Location
	case *pg_query.Node_FuncCall:
		return v.FuncCall.Location
	}
	return -1
}

// bindOperands binds the operands of a binary operator, each untyped one
// with the type the operator's candidates give it.
func bindOperands(ob OperandBinder, op string, ln, rn *pg_query.Node) (Expr, Expr, error) {
	switch op {
	case "||":
		return bindConcatOperands(ob, ln, rn)
	case "->", "->>", "#>", "#>>", "?", "?|", "?&", "-", "#-":
		return bindJSONOperands(ob, op, ln, rn)
	case "~", "~*", "!~", "!~*", "^@":
		// text operators: an untyped literal stays text (1 ~ 'a' is 42883)
		l, err := ob.BindOperand(ln, types.Unknown)
		if err != nil {
			return nil, nil, err
		}
		r, err := ob.BindOperand(rn, types.Unknown)
		if err != nil {
			return nil, nil, err
		}
		return l, r, nil
	case "+", "*", "/":
		return bindDateTimeOperands(ob, op, ln, rn)
	}
	return BindPair(ob, ln, rn)
}

// BindPair binds two operands, letting an untyped side adopt the other
// side's type (as an operator input: OperandType).
func BindPair(ob OperandBinder, ln, rn *pg_query.Node) (Expr, Expr, error) {
	l, err := ob.BindOperand(ln, types.Unknown)
	if err != nil {
		return nil, nil, err
	}
	return BindPairFrom(ob, l, ln, rn)
}

// BindPairFrom is BindPair with the left side l already bound from ln
// (with no type hint): a caller that had to look at the left side's type
// first must not bind it again — binding each left operand twice made a
// chain of n operators cost 2^n (the soak's SELECT 1-1-1-… hung).
func BindPairFrom(ob OperandBinder, l Expr, ln, rn *pg_query.Node) (Expr, Expr, error) {
	lo := OperandOf(l)
	hint := types.Unknown
	if !lo.Unknown {
		hint = OperandType(lo.T)
	}
	r, err := ob.BindOperand(rn, hint)
	if err != nil {
		return nil, nil, err
	}
	if ro := OperandOf(r); lo.Unknown && !ro.Unknown {
		if l, err = ob.BindOperand(ln, OperandType(ro.T)); err != nil {
			return nil, nil, err
		}
	}
	return l, r, nil
}

// bindDateTimeOperands binds the operands of + * /: an untyped literal
// beside a date/time value takes the type PostgreSQL's operator
// resolution picks (timestamp + '1 day' reads an interval, interval * '2'
// a number), not the other side's type.
func bindDateTimeOperands(ob OperandBinder, op string, ln, rn *pg_query.Node) (Expr, Expr, error) {
	l, err := ob.BindOperand(ln, types.Unknown)
	if err != nil {
		return nil, nil, err
	}
	hintFor := func(t types.T) types.T {
		switch {
		case !isDTOrInterval(t) && t.Family() != types.FamTime:
			return t
		case op == "*" || op == "/":
			return types.Float8
		case t.Family() == types.FamDate:
			return types.Unknown // ambiguous: the resolution reports it
		}
		return types.Interval
	}
	lo := OperandOf(l)
	h := types.Unknown
	if !lo.Unknown {
		h = hintFor(lo.T)
	}
	r, err := ob.BindOperand(rn, h)
	if err != nil {
		return nil, nil, err
	}
	if ro := OperandOf(r); lo.Unknown && !ro.Unknown {
		if h := hintFor(ro.T); h.Oid != types.OidUnknown {
			if l, err = ob.BindOperand(ln, h); err != nil {
				return nil, nil, err
			}
		}
	}
	return l, r, nil
}

// bindConcatOperands binds the operands of ||: an untyped literal beside
// a value that is not a string (or bytea, or an array) is text, as
// PostgreSQL's anynonarray || text resolves it ('row ' || 1 is 'row 1').
func bindConcatOperands(ob OperandBinder, ln, rn *pg_query.Node) (Expr, Expr, error) {
	hintFor := func(o Operand) types.T {
		if o.Unknown || o.T.Family() == types.FamString || o.T.Oid == types.OidBytea || o.T.IsArray() {
			return o.T
		}
		return types.Text
	}
	l, err := ob.BindOperand(ln, types.Unknown)
	if err != nil {
		return nil, nil, err
	}
	lo := OperandOf(l)
	r, err := ob.BindOperand(rn, hintFor(lo))
	if err != nil {
		return nil, nil, err
	}
	if ro := OperandOf(r); lo.Unknown && !ro.Unknown {
		if l, err = ob.BindOperand(ln, hintFor(ro)); err != nil {
			return nil, nil, err
		}
	}
	return l, r, nil
}

// bindJSONOperands binds the operands of l op r when l is json: the right
// operand of -> ->> - is text or an integer (an untyped one is text), of
// #> #>> #- ?| ?& a text[]. Otherwise the pair is bound as for any
// operator.
func bindJSONOperands(ob OperandBinder, op string, ln, rn *pg_query.Node) (Expr, Expr, error) {
	l, err := ob.BindOperand(ln, types.Unknown)
	if err != nil {
		return nil, nil, err
	}
	if lo := OperandOf(l); !isJSON(lo.T) || lo.Unknown {
		return BindPairFrom(ob, l, ln, rn)
	}
	h := types.Unknown
	switch op {
	case "#>", "#>>", "#-", "?|", "?&":
		h, _ = types.ArrayOf(types.Text)
	}
	r, err := ob.BindOperand(rn, h)
	if err != nil {
		return nil, nil, err
	}
	if OperandOf(r).Unknown {
		if h.Oid == types.OidUnknown {
			h = types.Text
		}
		r = &Cast{Arg: r, T: h, Read: true}
	}
	return l, r, nil
}
