package plan

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Conditional expressions, the binder's fourth family: CASE, COALESCE,
// GREATEST and LEAST. Their parts are bound with the type the context
// expects (a simple CASE's WHEN values with its operand's, its
// comparisons resolved as the = operator), and their result type is the
// common type of the values they choose among (CommonType, PostgreSQL's
// select_common_type), to which Resolve casts each value (ToCommon).
// Binding comes in two halves because exec checks the constant folding of
// the values as written (a COALESCE or CASE drops the branches it never
// reaches) between them, and reports a fold error before a type error, as
// PostgreSQL does.

// Variadic is a bound COALESCE, GREATEST or LEAST.
type Variadic struct {
	Name string // coalesce, greatest or least
	// Args are the arguments; after Resolve each is cast to T.
	Args []Expr
	T    types.T // set by Resolve
}

// Type implements Expr.
func (v *Variadic) Type() types.T { return v.T }

// BindVariadic binds the arguments of COALESCE, GREATEST or LEAST (name
// in lower case), each with hint, the type the context expects.
func BindVariadic(ob OperandBinder, name string, args []*pg_query.Node, hint types.T) (*Variadic, error) {
	v := &Variadic{Name: name, Args: make([]Expr, len(args))}
	for i, n := range args {
		x, err := ob.BindOperand(n, hint)
		if err != nil {
			return nil, err
		}
		v.Args[i] = x
	}
	return v, nil
}

// Resolve types the call: T is the arguments' common type, and each
// argument is cast to it.
func (v *Variadic) Resolve() error {
	t, err := CommonType(v.Args, strings.ToUpper(v.Name))
	if err != nil {
		return err
	}
	v.T = t
	for i, a := range v.Args {
		v.Args[i] = ToCommon(a, t)
	}
	return nil
}

// Case is a bound CASE.
type Case struct {
	// Arg is the operand of a simple CASE (CASE x WHEN …), nil for a
	// searched CASE.
	Arg   Expr
	Whens []When
	// Else is the ELSE result, an untyped NULL when there is none.
	Else Expr
	T    types.T // set by Resolve
}

// When is one WHEN … THEN … of a Case.
type When struct {
	// Cond is the condition of a searched CASE (bound as a boolean), or
	// the value a simple CASE compares its operand with.
	Cond Expr
	// Eq is a simple CASE's comparison Arg = Cond, resolved.
	Eq     *ResolvedOp
	Result Expr
}

// Type implements Expr.
func (c *Case) Type() types.T { return c.T }

// BindCase binds a CASE's parts in the order PostgreSQL's
// transformCaseExpr reports their errors: the operand, then each WHEN's
// value or condition, its comparison with the operand and its result,
// then ELSE. hint, the type the context expects, is the results'.
func BindCase(ob OperandBinder, c *pg_query.CaseExpr, hint types.T) (*Case, error) {
	out := &Case{Whens: make([]When, len(c.Args))}
	var err error
	if c.Arg != nil {
		if out.Arg, err = ob.BindOperand(c.Arg, types.Unknown); err != nil {
			return nil, err
		}
	}
	for i, w := range c.Args {
		cw, wh := w.GetCaseWhen(), &out.Whens[i]
		if out.Arg != nil {
			arg, h := OperandOf(out.Arg), types.Unknown
			if !arg.Unknown {
				h = arg.T
			}
			if wh.Cond, err = ob.BindOperand(cw.Expr, h); err != nil {
				return nil, err
			}
			if wh.Eq, err = ResolveCompare("=", arg, OperandOf(wh.Cond)); err != nil {
				return nil, err
			}
		} else if wh.Cond, err = ob.BindOperand(cw.Expr, types.Bool); err != nil {
			return nil, err
		}
		if wh.Result, err = ob.BindOperand(cw.Result, hint); err != nil {
			return nil, err
		}
	}
	if c.Defresult == nil {
		out.Else = &Const{T: types.Unknown, Unknown: true, Display: "NULL"}
	} else if out.Else, err = ob.BindOperand(c.Defresult, hint); err != nil {
		return nil, err
	}
	return out, nil
}

// Resolve types the CASE: T is the common type of its results, ELSE's
// first (transformCaseExpr), and each result is cast to it.
func (c *Case) Resolve() error {
	rs := make([]Expr, 0, len(c.Whens)+1)
	rs = append(rs, c.Else)
	for _, w := range c.Whens {
		rs = append(rs, w.Result)
	}
	t, err := CommonType(rs, "CASE")
	if err != nil {
		return err
	}
	c.T = t
	for i := range c.Whens {
		c.Whens[i].Result = ToCommon(c.Whens[i].Result, t)
	}
	c.Else = ToCommon(c.Else, t)
	return nil
}

// CommonType is the type of a set of values one of which stands for
// all: the results of CASE, the arguments of COALESCE, GREATEST and
// LEAST, the rows of VALUES, the arms of a set operation, an IN list
// (PostgreSQL's select_common_type; what names the construct in the 42804
// error). Untyped values take no part (all untyped: text), and make a
// typed result its category's operand type. Between string types text
// (the category's preferred type) wins, otherwise the first of char(n) and
// varchar stays (each converts to the other implicitly), so a varchar
// UNION a char(3) is varchar and a char(3) UNION a char(5) is bpchar; a
// length survives only when every value has it.
func CommonType(es []Expr, what string) (types.T, error) {
	var cur Operand
	have, sawUnknown := false, false
	for _, e := range es {
		o := OperandOf(e)
		switch {
		case o.Unknown:
			sawUnknown = true
			continue
		case !have:
			cur, have = o, true
			continue
		case cur.T.Family() == types.FamString && o.T.Family() == types.FamString && cur.T != o.T:
			cur = Operand{T: commonString(cur.T, o.T)}
			continue
		}
		t, ok := CommonOperandType(cur, o)
		if !ok && cur.T.IsArray() && o.T.IsArray() {
			// One category (A): the first type stays and the other
			// does not convert to it (PostgreSQL's coerce_to_common_type).
			return types.T{}, pgerror.Newf(pgerror.CannotCoerce, "%s could not convert type %s to %s", what, o.T, cur.T)
		}
		if !ok {
			return types.T{}, pgerror.Newf(pgerror.DatatypeMismatch, "%s types %s and %s cannot be matched", what, cur.T, o.T)
		}
		cur = Operand{T: t}
	}
	switch {
	case !have:
		return types.Text, nil
	case sawUnknown:
		return OperandType(cur.T), nil
	}
	return cur.T, nil
}

// commonString is CommonType for two different string types (category
// S: text, varchar, bpchar, name). Every cast among them is implicit but
// name to varchar/bpchar, so the first type stays — text being the
// preferred type stays too — and name displaces varchar and bpchar.
func commonString(a, b types.T) types.T {
	catS := func(t types.T) bool {
		switch t.Oid {
		case types.OidText, types.OidVarchar, types.OidBpchar, types.OidName:
			return true
		}
		return false
	}
	switch {
	case !catS(a) || !catS(b):
		return types.Text
	case b.Oid == types.OidName && a.Oid != types.OidText:
		return b
	}
	return types.T{Oid: a.Oid, Mod: -1}
}

// ToCommon is e as a value of t, the common type of its set: an untyped
// quoted literal (or NULL) is read as t — so CASE WHEN true THEN 1 ELSE
// 'a' END fails with 22P02 while planning, whichever branch runs — unless
// t is a string type; anything else is cast implicitly.
func ToCommon(e Expr, t types.T) Expr {
	o := OperandOf(e)
	return &Cast{Arg: e, T: t, Read: o.Unknown && o.Literal && t.Family() != types.FamString}
}
