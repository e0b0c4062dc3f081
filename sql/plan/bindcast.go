package plan

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Casts: the binder's third family. An explicit cast (x::t, CAST(x AS
// t)) binds its argument with the target type as the hint an untyped
// literal adopts, so '12'::int reads the literal as an integer rather than
// casting text; the casts operator resolution decides are Cast nodes too
// (ResolvedOp.Inputs).

// Cast is a conversion of Arg to T.
type Cast struct {
	Arg Expr
	T   types.T
	// Explicit: written in the statement (x::t, CAST(x AS t)): it may
	// truncate (to varchar(n)), read a string as any type and convert
	// between the reg* types and names. Otherwise the binder inserted it:
	// an implicit cast, which never truncates (22001 instead).
	Explicit bool
	// Read (implicit only): Arg is an untyped literal or parameter that
	// the operator's resolution types as T — a quoted literal is read by
	// T's input function while the statement is built.
	Read bool
}

// Type implements Expr.
func (c *Cast) Type() types.T { return c.T }

// Operand implements Operander: a cast value is typed.
func (c *Cast) Operand() Operand { return Operand{T: c.T} }

// TypeOf is the type a type name denotes: its name, its modifiers (simple
// integer constants) and whether it is an array.
func TypeOf(tn *pg_query.TypeName) (types.T, error) {
	name := LastName(tn.Names)
	var mods []int32
	for _, m := range tn.Typmods {
		if c := m.GetAConst(); c != nil {
			if iv, ok := c.Val.(*pg_query.A_Const_Ival); ok {
				mods = append(mods, iv.Ival.Ival)
				continue
			}
		}
		return types.T{}, pgerror.New(pgerror.SyntaxError, "type modifiers must be simple constants")
	}
	if len(tn.ArrayBounds) > 0 {
		return types.ParseTypeName(name+"[]", mods)
	}
	return types.ParseTypeName(name, mods)
}

// IsRegType reports whether t is one of the reg* types (an object's OID
// shown and read as its name).
func IsRegType(t types.T) bool {
	switch t.Oid {
	case types.OidRegclass, types.OidRegtype, types.OidRegproc, types.OidRegprocedure, types.OidRegnamespace, types.OidRegrole:
		return true
	}
	return false
}

// CastHint is the type a cast to t binds its argument with: t itself (an
// untyped literal is then a literal of type t), but text for a reg* type
// (a name, looked up when the cast is compiled: 'int4'::regtype is
// integer, an unknown name 42704).
func CastHint(t types.T) types.T {
	if IsRegType(t) {
		return types.Text
	}
	return t
}

// BindCast binds the explicit cast of arg to t (t is TypeOf the cast's
// type name; the caller positions that error at the name).
func BindCast(ob OperandBinder, arg *pg_query.Node, t types.T) (*Cast, error) {
	x, err := ob.BindOperand(arg, CastHint(t))
	if err != nil {
		return nil, err
	}
	return &Cast{Arg: x, T: t, Explicit: true}, nil
}
