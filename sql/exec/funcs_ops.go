package exec

import (
	"time"

	"math"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// The operators' implementations. sql/plan resolves an operator for its
// operand types (planner.ResolveBinaryOp, ResolvePrefixOp: which
// implementation, the reads of untyped literals, the casts of its inputs,
// the type computed in); buildOp and compilePrefix carry the resolution
// out. Here: the dispatch, date/time arithmetic, exponentiation, the
// integer bitwise operators, the POSIX regular expression matches and the
// prefix operators; comparison and arithmetic are in expr.go, LIKE in
// expr2.go, the json and array operators in jsonfuncs.go and
// arrayfuncs.go.

// binExpr is a strict binary operator: NULL on either side gives NULL.
func binExpr(t types.T, s string, l, r *cexpr, f func(a, b Datum) (Datum, error)) (*cexpr, error) {
	lf, rf := l.fn, r.fn
	e := &cexpr{t: t, s: s, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		a, err := lf(en, row)
		if err != nil || a == nil {
			return nil, err
		}
		c, err := rf(en, row)
		if err != nil || c == nil {
			return nil, err
		}
		return f(a, c)
	}}
	return foldConst(e, l, r)
}

// litAs types an untyped literal or parameter as t (a string literal is
// parsed now, so a malformed one fails while planning as in PostgreSQL).
func litAs(e *cexpr, t types.T) (*cexpr, error) {
	if !e.unknown {
		return e, nil
	}
	if e.isConst && e.val != nil {
		if s, ok := e.val.(string); ok {
			d, err := types.ParseText(t, s)
			if err != nil {
				return nil, err
			}
			return constExpr(d, t, e.s), nil
		}
	}
	c := coerce(e, t)
	c.unknown = false
	return c, nil
}

// binaryOp compiles l op r: the operator the plan's resolution
// (planner.ResolveBinaryOp) picks for the operand types.
func binaryOp(op string, l, r *cexpr) (*cexpr, error) {
	res, err := planner.ResolveBinaryOp(op, l.Operand(), r.Operand())
	return buildOp(res, err, l, r)
}

// buildOp compiles a resolved operator over its operands as written:
// the reads of untyped literals first (their error wins over rerr, the
// resolution's), then the casts of each input, then the operator.
func buildOp(res *planner.ResolvedOp, rerr error, operands ...*cexpr) (*cexpr, error) {
	ops, args, err := applyResolution(res, rerr, operands)
	if err != nil {
		return nil, err
	}
	l, r := ops[0], ops[1]
	switch res.Class {
	case planner.OpJSON:
		e, ok, err := jsonBinaryOp(res.Name, l, r)
		if !ok {
			return nil, opError(res.Name, l, r)
		}
		return e, err
	case planner.OpArray:
		e, ok, err := arrayBinaryOp(res.Name, l, r)
		if !ok {
			return nil, opError(res.Name, l, r)
		}
		return e, err
	case planner.OpCompare:
		return compareExpr(res, l, r, args)
	case planner.OpArith:
		return arithExpr(res, l, r, args)
	case planner.OpDateTime:
		return dateTimeExpr(res, args)
	case planner.OpTimeOfDay:
		return timeOfDayExpr(res, l, r, args)
	case planner.OpPow:
		return powExpr(res, l, r, args)
	case planner.OpBit:
		return bitExpr(res, args)
	case planner.OpRegex:
		return regexOp(res.Name, l, r)
	case planner.OpStartsWith:
		return binExpr(types.Bool, "("+l.s+" ^@ "+r.s+")", l, r, func(a, b Datum) (Datum, error) {
			return strings.HasPrefix(str(a), str(b)), nil
		})
	case planner.OpConcat:
		return concatOp(l, r)
	case planner.OpLike:
		return likeExpr(res.Name, l, args[1], nil)
	}
	return nil, opError(res.Name, l, r)
}

// applyResolution carries out res on the operands by compiling the
// bound trees it describes: the reads first (an untyped literal read as
// its type now, so a malformed one fails while planning as in
// PostgreSQL), in the resolution's order, then, unless rerr, the casts.
// ops are the operands after the reads, args the operator's inputs.
func applyResolution(res *planner.ResolvedOp, rerr error, operands []*cexpr) (ops, args []*cexpr, err error) {
	ops = operands
	if res != nil && len(res.Reads) > 0 {
		bound := res.Operands(exprsOf(operands))
		ops = append([]*cexpr(nil), operands...)
		for _, rd := range res.Reads {
			if ops[rd.From], err = compileImplicit(bound[rd.From]); err != nil {
				return nil, nil, err
			}
		}
	}
	if rerr != nil {
		return nil, nil, rerr
	}
	in := res.Inputs(exprsOf(ops))
	args = make([]*cexpr, len(in))
	for i, x := range in {
		if args[i], err = compileImplicit(x); err != nil {
			return nil, nil, err
		}
	}
	return ops, args, nil
}

func exprsOf(es []*cexpr) []planner.Expr {
	out := make([]planner.Expr, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// compileImplicit compiles a compiled operand under the implicit casts
// the binder put around it: a Read types an untyped literal or parameter
// (litAs), any other implicit cast converts at run time (coerce).
func compileImplicit(e planner.Expr) (*cexpr, error) {
	switch v := e.(type) {
	case *cexpr:
		return v, nil
	case *planner.Cast:
		if v.Explicit {
			break
		}
		x, err := compileImplicit(v.Arg)
		if err != nil {
			return nil, err
		}
		if v.Read {
			return litAs(x, v.T)
		}
		return coerce(x, v.T), nil
	}
	return nil, pgerror.Newf(pgerror.InternalError, "bound expression %T cannot be compiled here", e)
}

// dateTimeExpr is date, timestamp and interval arithmetic (OpDateTime)
// over its inputs l, r.
func dateTimeExpr(res *planner.ResolvedOp, args []*cexpr) (*cexpr, error) {
	l, r, op, calc := args[0], args[1], res.Name, res.Calc
	var f func(a, b Datum, t types.T) (Datum, error)
	switch op {
	case "+":
		f = types.Add
	case "-":
		f = types.Sub
	case "*":
		f = types.Mul
	default:
		f = types.Div
	}
	if res.Result.Oid == types.OidTimestamptz && (op == "+" || op == "-") {
		return zonedArith(res.Result, "("+l.s+" "+op+" "+r.s+")", l, r, func(a, b Datum) (Datum, error) { return f(a, b, calc) }), nil
	}
	return binExpr(res.Result, "("+l.s+" "+op+" "+r.s+")", l, r, func(a, b Datum) (Datum, error) { return f(a, b, calc) })
}

// timeOfDayExpr is an operator of time without time zone (OpTimeOfDay):
// time ± interval (time, modulo a day), time - time (interval), date +
// time (timestamp); l and r are the operands as written.
func timeOfDayExpr(res *planner.ResolvedOp, l, r *cexpr, args []*cexpr) (*cexpr, error) {
	s := "(" + l.s + " " + res.Name + " " + r.s + ")"
	switch res.Result.Oid {
	case types.OidTime:
		neg := res.Name == "-"
		return binExpr(types.Time, s, args[0], args[1], func(a, b Datum) (Datum, error) {
			iv := b.(types.IntervalValue)
			if neg {
				iv.Micros = -iv.Micros
			}
			return types.TimePlusInterval(a.(int64), iv), nil
		})
	case types.OidInterval:
		return binExpr(types.Interval, s, args[0], args[1], func(a, b Datum) (Datum, error) {
			return types.IntervalValue{Micros: a.(int64) - b.(int64)}, nil
		})
	}
	return binExpr(types.Timestamp, s, args[0], args[1], func(a, b Datum) (Datum, error) {
		return types.TimeOfDayPlusDate(a.(time.Time), b.(int64)), nil
	})
}

// powExpr is ^ (OpPow): numeric when a side is numeric, else double
// precision.
func powExpr(res *planner.ResolvedOp, l, r *cexpr, args []*cexpr) (*cexpr, error) {
	s := "(" + l.s + " ^ " + r.s + ")"
	if res.Calc.Oid == types.OidNumeric {
		return binExpr(types.Numeric, s, args[0], args[1], func(a, b Datum) (Datum, error) {
			return numericPower(a.(*apd.Decimal), b.(*apd.Decimal))
		})
	}
	return binExpr(types.Float8, s, args[0], args[1], func(a, b Datum) (Datum, error) {
		return floatPower(toFloat(a), toFloat(b))
	})
}

func floatPower(x, y float64) (Datum, error) {
	if x == 0 && y < 0 {
		return nil, pgerror.New(pgerror.InvalidArgumentForPower, "zero raised to a negative power is undefined")
	}
	if x < 0 && y != math.Trunc(y) {
		return nil, pgerror.New(pgerror.InvalidArgumentForPower, "a negative number raised to a non-integer power yields a complex result")
	}
	v := math.Pow(x, y)
	if math.IsInf(v, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: overflow")
	}
	if v == 0 && x != 0 && !math.IsInf(y, 0) {
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: underflow")
	}
	return v, nil
}

// numericPower is numeric.c's power_var (PostgreSQL 15): an integral
// exponent gives scale max(16, the base's scale); otherwise the scale
// follows the result's estimated decimal weight.
func numericPower(x, y *apd.Decimal) (Datum, error) {
	if x.IsZero() && y.Negative {
		return nil, pgerror.New(pgerror.InvalidArgumentForPower, "zero raised to a negative power is undefined")
	}
	intExp := isIntegral(y)
	if x.Negative && !intExp {
		return nil, pgerror.New(pgerror.InvalidArgumentForPower, "a negative number raised to a non-integer power yields a complex result")
	}
	if x.Form != apd.Finite || y.Form != apd.Finite {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "power of NaN or infinity is not supported")
	}
	var rscale int32
	var weight int64
	if intExp {
		rscale = clampScale(max(16, int(dscale(x))))
		xf, _ := x.Float64()
		yf, _ := y.Float64()
		weight = int64(math.Max(0, yf*math.Log10(math.Abs(xf))))
	} else {
		xf, _ := x.Float64()
		yf, _ := y.Float64()
		val := math.Log(xf) * yf * 0.434294481903252
		val = math.Max(-1000, math.Min(1000, val))
		rscale = clampScale(max(16-int(val), int(dscale(x)), int(dscale(y))))
		weight = int64(math.Max(0, val))
	}
	if weight > 131072 {
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
	}
	return numResult(rscale, weight, func(c *apd.Context, out *apd.Decimal) error {
		if _, err := c.Pow(out, x, y); err != nil {
			return pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
		}
		return nil
	})
}

// bitExpr is & | # << >> on integers (OpBit; shift counts are int4).
func bitExpr(res *planner.ResolvedOp, args []*cexpr) (*cexpr, error) {
	l, r, op, t := args[0], args[1], res.Name, res.Calc
	bits := int64(32)
	switch t.Oid {
	case types.OidInt2:
		bits = 16
	case types.OidInt8:
		bits = 64
	}
	return binExpr(t, "("+l.s+" "+op+" "+r.s+")", l, r, func(a, b Datum) (Datum, error) {
		x, y := a.(int64), b.(int64)
		switch op {
		case "&":
			return x & y, nil
		case "|":
			return x | y, nil
		case "#":
			return x ^ y, nil
		}
		// PostgreSQL shifts with C semantics on the type's width: the
		// count is taken modulo the width on x86.
		// (int2 is promoted to int first, so it shifts modulo 32 too).
		if bits == 64 {
			n := uint(y) % 64
			if op == "<<" {
				return x << n, nil
			}
			return x >> n, nil
		}
		n := uint(y) % 32
		v := int32(x)
		if op == "<<" {
			v <<= n
		} else {
			v >>= n
		}
		if bits == 16 {
			return int64(int16(v)), nil
		}
		return int64(v), nil
	})
}

// regexCache holds compiled patterns for non-constant pattern arguments.
type regexCache struct {
	pat string
	re  *regexp.Regexp
}

// regexOpts are the flags that change how a pattern compiles: case
// folding, and PostgreSQL's newline modes — by default (flag s) . matches
// a newline and ^ $ only the ends of the string; n makes . stop at
// newlines and ^ $ match at them, p only the first, w only the second.
// (In the n and p modes PostgreSQL's [^…] does not match a newline
// either; Go's does.)
type regexOpts struct {
	fold, dotNL, multiLine bool
}

func defaultRegexOpts() regexOpts { return regexOpts{dotNL: true} }

// compileRegex compiles a PostgreSQL ARE with the default options.
func compileRegex(pat string, fold bool) (*regexp.Regexp, error) {
	o := defaultRegexOpts()
	o.fold = fold
	return compileRegexOpts(pat, o)
}

// compileRegexOpts translates a PostgreSQL ARE to Go's RE2 syntax for the
// common subset (classes, anchors, quantifiers, groups, \d \s \w, [[:alpha:]]).
// Constructs RE2 lacks (back references, lookaround) fail with 2201B.
func compileRegexOpts(pat string, o regexOpts) (*regexp.Regexp, error) {
	p := translateARE(pat)
	flags := ""
	if o.fold {
		flags += "i"
	}
	if o.dotNL {
		flags += "s"
	}
	if o.multiLine {
		flags += "m"
	}
	if flags != "" {
		p = "(?" + flags + ")" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, pgerror.Newf(pgerror.InvalidRegularExpression, "invalid regular expression: %s", regexErrText(err))
	}
	return re, nil
}

// translateARE rewrites the escapes whose meaning differs between
// PostgreSQL's AREs and RE2: \b is a backspace and \B a backslash there;
// \m (word start), \M (word end) and \y become RE2's \b, \Y its \B.
func translateARE(pat string) string {
	if !strings.Contains(pat, `\`) {
		return pat
	}
	var b strings.Builder
	for i := 0; i < len(pat); i++ {
		if pat[i] != '\\' || i+1 == len(pat) {
			b.WriteByte(pat[i])
			continue
		}
		i++
		switch pat[i] {
		case 'b':
			b.WriteString(`\x08`)
		case 'B':
			b.WriteString(`\\`)
		case 'm', 'M', 'y':
			b.WriteString(`\b`)
		case 'Y':
			b.WriteString(`\B`)
		default:
			b.WriteByte('\\')
			b.WriteByte(pat[i])
		}
	}
	return b.String()
}

func regexErrText(err error) string {
	if e, ok := err.(*syntax.Error); ok {
		return string(e.Code)
	}
	return err.Error()
}

// regexMatcher returns a function matching subject strings against the
// pattern expression's value, compiling a constant pattern once.
func regexMatcher(pat *cexpr, fold bool) (func(string) (*regexp.Regexp, error), error) {
	if pat.isConst && pat.val != nil {
		re, err := compileRegex(str(pat.val), fold)
		if err != nil {
			return nil, err
		}
		return func(string) (*regexp.Regexp, error) { return re, nil }, nil
	}
	var c regexCache
	return func(p string) (*regexp.Regexp, error) {
		if c.re != nil && c.pat == p {
			return c.re, nil
		}
		re, err := compileRegex(p, fold)
		if err != nil {
			return nil, err
		}
		c = regexCache{pat: p, re: re}
		return re, nil
	}, nil
}

// regexOp is ~ ~* !~ !~* (POSIX regular expression match; OpRegex).
func regexOp(op string, l, r *cexpr) (*cexpr, error) {
	neg := strings.HasPrefix(op, "!")
	m, err := regexMatcher(r, strings.HasSuffix(op, "*"))
	if err != nil {
		return nil, err
	}
	return binExpr(types.Bool, "("+l.s+" "+op+" "+r.s+")", l, r, func(a, b Datum) (Datum, error) {
		re, err := m(str(b))
		if err != nil {
			return nil, err
		}
		return re.MatchString(str(a)) != neg, nil
	})
}

// compilePrefix compiles a bound prefix operator (planner.OpExpr with
// one operand).
func (b *builder) compilePrefix(op *planner.OpExpr, rerr error) (*cexpr, error) {
	x, err := b.compileBound(op.Args[0])
	if err != nil {
		return nil, err
	}
	name := op.Res.Name
	if name == "-" && rerr == nil && x.isConst {
		if i, ok := x.val.(int64); ok && i == 2147483648 && x.t == types.Int8 {
			return constExpr(int64(-2147483648), types.Int4, "-"+x.s), nil
		}
	}
	ops, args, err := applyResolution(op.Res, rerr, []*cexpr{x})
	if err != nil {
		// (positions as before the move: a + operand that does not read
		// as float8 at the operand; ~ |/ @ without a position)
		switch {
		case name == "+" && err != rerr:
			return nil, b.errAt(pgerror.Flatten(err), op.ArgLocation)
		case name == "~" || name == "|/" || name == "@":
			return nil, err
		}
		return nil, b.errAt(pgerror.Flatten(err), op.Location)
	}
	x = ops[0]
	switch op.Res.Class {
	case planner.OpNeg:
		t := op.Res.Result
		x = args[0]
		f := x.fn
		e := &cexpr{t: t, s: "(- " + x.s + ")", colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
			v, err := f(en, row)
			if err != nil || v == nil {
				return v, err
			}
			return types.Neg(v, t)
		}}
		return foldConst(e, x)
	case planner.OpPlus:
		// The value, but no longer the column: + c is named ?column?
		// and has no table/attribute in RowDescription.
		y := *x
		y.colIdx, y.s = -1, "(+ "+x.s+")"
		return &y, nil
	case planner.OpBitNot:
		return unExpr(x.t, "(~ "+x.s+")", x, func(a Datum) (Datum, error) { return ^a.(int64), nil })
	case planner.OpSqrt:
		x = args[0]
		return unExpr(types.Float8, "(|/ "+x.s+")", x, func(a Datum) (Datum, error) { return fnSqrtFloat(toFloat(a)) })
	case planner.OpAbs:
		return unExpr(x.t, "(@ "+x.s+")", x, absFnT(x.t))
	}
	return nil, b.errAt(planner.PrefixOpNotExist(name, x.t), op.Location)
}

func unExpr(t types.T, s string, x *cexpr, f func(a Datum) (Datum, error)) (*cexpr, error) {
	xf := x.fn
	e := &cexpr{t: t, s: s, colIdx: -1, fn: func(en *env, row []Datum) (Datum, error) {
		a, err := xf(en, row)
		if err != nil || a == nil {
			return nil, err
		}
		return f(a)
	}}
	return foldConst(e, x)
}

func fnSqrtFloat(x float64) (Datum, error) {
	if x < 0 {
		return nil, pgerror.New(pgerror.InvalidArgumentForPower, "cannot take square root of a negative number")
	}
	return math.Sqrt(x), nil
}

// absFnT is abs() for type t, with its range check.
func absFnT(t types.T) func(a Datum) (Datum, error) {
	return func(a Datum) (Datum, error) {
		if v, ok := a.(int64); ok {
			switch t.Oid {
			case types.OidInt2:
				if v == math.MinInt16 {
					return nil, pgerror.New(pgerror.NumericValueOutOfRange, "smallint out of range")
				}
			case types.OidInt4:
				if v == math.MinInt32 {
					return nil, pgerror.New(pgerror.NumericValueOutOfRange, "integer out of range")
				}
			}
		}
		return absFn(nil, []Datum{a})
	}
}
