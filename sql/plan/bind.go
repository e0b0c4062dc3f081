package plan

import (
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Binding of expressions: a parse-tree expression becomes a bound Expr in
// which nothing is left to look up (docs/architecture.md, "The bound
// representation"). The binder moves here one family of expressions at a
// time; the leaves are bound here: constants (BindConst), parameters
// (BindParam) and column references (BindColumnRef). sql/exec compiles a
// bound Expr into a closure and still binds the other families itself.

// Expr is a bound expression.
type Expr interface {
	// Type is the expression's type (text for an untyped one, see
	// Const.Unknown).
	Type() types.T
}

// Const is a bound literal.
type Const struct {
	T types.T
	// Value is the literal's value (nil: NULL). Unset when ReadInput.
	Value types.Datum
	// ReadInput: the literal is a quoted string that its context types as
	// T; Input is read by T's input function — when the statement is built,
	// or at each run for a value that depends on the session (a
	// timestamptz without its own zone, 'now', 'today', …).
	ReadInput bool
	Input     string
	// Unknown: an untyped NULL or quoted string (PostgreSQL's unknown):
	// T is text (or unknown for NULL) until a context gives it a type.
	Unknown bool
	Display string // as EXPLAIN shows it
}

// Type implements Expr.
func (c *Const) Type() types.T { return c.T }

// Param is a bound parameter $N.
type Param struct {
	N int
	T types.T // text when Unknown
	// Unknown: no type declared or inferred yet; the parameter may still
	// adopt one from a later context.
	Unknown bool
}

// Type implements Expr.
func (p *Param) Type() types.T { return p.T }

// Var is a bound column reference (PostgreSQL's Var).
type Var struct {
	Scoped
	T       types.T
	Display string // [table.]name as written, for EXPLAIN
}

// Type implements Expr.
func (c *Var) Type() types.T { return c.T }

// TypedColumn is what binding needs of a column: its name and type.
type TypedColumn interface {
	NamedColumn
	ColumnType() types.T
}

// NumericConst is the value and type of a numeric literal spelled s (a
// "float" constant of the grammar: an integer too big for int4, or one
// with a decimal point or exponent), as PostgreSQL's make_const gives
// them: an integer that fits int4 is int4 (-2147483648 reaches here as a
// negated float literal), one that fits int8 is int8, anything else is
// numeric. The simple-query plan cache (sql/session) types the literals it
// turns into parameters with it.
func NumericConst(s string) (types.Datum, types.T, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		if i == int64(int32(i)) {
			return i, types.Int4, nil
		}
		return i, types.Int8, nil
	}
	d, _, err := apd.NewFromString(s)
	if err != nil {
		return nil, types.Numeric, pgerror.Newf(pgerror.InvalidTextRepresentation, "invalid numeric %q", s)
	}
	return d, types.Numeric, nil
}

// BindConst types a constant; hint is the type its context expects
// (types.Unknown: none), which an untyped NULL or quoted string adopts, as
// PostgreSQL resolves an unknown literal from its context.
func BindConst(c *pg_query.A_Const, hint types.T) (*Const, error) {
	if c.Isnull {
		if hint.Oid != types.OidUnknown {
			return &Const{T: hint, Display: "NULL"}, nil
		}
		return &Const{T: types.Unknown, Unknown: true, Display: "NULL"}, nil
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		return &Const{T: types.Int4, Value: int64(v.Ival.Ival), Display: strconv.Itoa(int(v.Ival.Ival))}, nil
	case *pg_query.A_Const_Fval:
		d, t, err := NumericConst(v.Fval.Fval)
		if err != nil {
			return nil, err
		}
		return &Const{T: t, Value: d, Display: v.Fval.Fval}, nil
	case *pg_query.A_Const_Boolval:
		return &Const{T: types.Bool, Value: v.Boolval.Boolval, Display: strconv.FormatBool(v.Boolval.Boolval)}, nil
	case *pg_query.A_Const_Sval:
		return bindString(v.Sval.Sval, hint)
	case *pg_query.A_Const_Bsval:
		return &Const{T: types.Text, Value: v.Bsval.Bsval, Display: v.Bsval.Bsval}, nil
	}
	return nil, pgerror.New(pgerror.FeatureNotSupported, "constant kind is not supported")
}

// bindString types a quoted literal: as hint when given, else unknown
// (treated as text).
func bindString(s string, hint types.T) (*Const, error) {
	disp := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if hint.Family() == types.FamString && hint.Mod >= 0 {
		// the literal is of the base type: a cast or an assignment to
		// varchar(n)/char(n) then truncates, pads or fails with 22001
		hint.Mod = -1
	}
	switch {
	case hint.Oid == types.OidJSONB || hint.Oid == types.OidJSON:
		d, err := types.ParseText(hint, s)
		if err != nil {
			return nil, err
		}
		return &Const{T: hint, Value: d, Display: disp}, nil
	case hint.Oid == types.OidUnknown:
		return &Const{T: types.Text, Value: s, Unknown: true, Display: disp}, nil
	case hint.Family() == types.FamString:
		return &Const{T: hint, Value: s, Display: disp}, nil
	}
	return &Const{T: hint, ReadInput: true, Input: s, Display: disp + "::" + hint.String()}, nil
}

// BindParam binds $n given the parameter types known so far (params[i]
// is $i+1's; types.Unknown: not yet known). An unknown parameter takes
// hint, the type its context expects, when there is one. It returns the
// parameter types extended and updated. The error (42P02, no such
// parameter) has no position: the caller adds the reference's.
func BindParam(p *pg_query.ParamRef, params []types.T, hint types.T) (*Param, []types.T, *pgerror.Error) {
	n := int(p.Number)
	if n < 1 || n > 65535 {
		return nil, params, pgerror.Newf(pgerror.UndefinedParameter, "there is no parameter $%d", n)
	}
	for len(params) < n {
		params = append(params, types.Unknown)
	}
	t := params[n-1]
	if t.Oid == types.OidUnknown && hint.Oid != types.OidUnknown {
		t = hint
		params[n-1] = hint
	}
	if t.Oid == types.OidUnknown {
		return &Param{N: n, T: types.Text, Unknown: true}, params, nil
	}
	return &Param{N: n, T: t}, params, nil
}

// BindColumnRef binds a column reference over levels (ResolveColumn).
// The error has no position: the caller adds the reference's.
func BindColumnRef[C TypedColumn](levels Levels[C], c *pg_query.ColumnRef) (*Var, *pgerror.Error) {
	ref, ok := ColumnNameOf(c)
	if !ok {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "* is not allowed here")
	}
	r, err := ResolveColumn(levels, ref)
	if err != nil {
		return nil, err
	}
	disp := ref.Name
	if ref.Table != "" {
		disp = ref.Table + "." + ref.Name
	}
	l, _ := levels(r.Depth)
	return &Var{Scoped: r, T: l.Cols[r.Ordinal].ColumnType(), Display: disp}, nil
}
