package exec

import (
	"time"

	"math"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/cockroachdb/apd/v3"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Operators beyond comparison, + - * / % and ||: date/time arithmetic
// (PostgreSQL's operator table for date, timestamp[tz] and interval),
// exponentiation, the integer bitwise operators and the POSIX regular
// expression matches.

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

func isDTFam(t types.T) bool { return isTimeFam(t) || t.Family() == types.FamInterval }

// dateTimeOp resolves + and - (and * / with an interval) when a side is a
// date, timestamp or interval; ok is false when neither side is.
func dateTimeOp(op string, l, r *cexpr) (*cexpr, bool, error) {
	dt := func(t types.T) bool { return isDTFam(t) || t.Family() == types.FamTime }
	if !(dt(l.t) && !l.unknown) && !(dt(r.t) && !r.unknown) {
		return nil, false, nil
	}
	var err error
	// An untyped literal takes the type PostgreSQL's operator resolution
	// gives it: the other side's type for -, an interval for + with a
	// timestamp, a number for * and /.
	if l.unknown || r.unknown {
		known, unk := l, r
		if l.unknown {
			known, unk = r, l
		}
		var t types.T
		switch {
		case op == "-" && r.unknown:
			t = known.t
		case op == "+" && known.t.Family() == types.FamDate:
			return nil, true, pgerror.Newf(pgerror.AmbiguousFunction, "operator is not unique: %s %s %s", l.t, op, r.t).
				WithHint("Could not choose a best candidate operator. You might need to add explicit type casts.")
		case op == "*" || op == "/":
			t = types.Float8
		case known.t.Family() == types.FamInterval && op == "+":
			t = types.Interval
		default:
			t = types.Interval
		}
		if unk, err = litAs(unk, t); err != nil {
			return nil, true, err
		}
		if l.unknown {
			l = unk
		} else {
			r = unk
		}
	}
	if e, ok, err := timeOfDayOp(op, l, r); ok {
		return e, true, err
	}
	if l.t.Family() == types.FamTime {
		l = coerce(l, types.Interval) // time's implicit cast to interval
	}
	if r.t.Family() == types.FamTime {
		r = coerce(r, types.Interval)
	}
	lf, rf := l.t.Family(), r.t.Family()
	var res types.T // result type
	var calc types.T
	switch op {
	case "+", "-":
		switch {
		case lf == types.FamDate && rf == types.FamInt:
			res, calc = types.Date, types.Date
		case op == "+" && lf == types.FamInt && rf == types.FamDate:
			l, r = r, l
			res, calc = types.Date, types.Date
		case lf == types.FamDate && rf == types.FamDate && op == "-":
			res, calc = types.Int4, types.Int4
		case (lf == types.FamDate || lf == types.FamTimestamp) && rf == types.FamInterval:
			res, calc = types.Timestamp, types.Timestamp
		case lf == types.FamTimestamptz && rf == types.FamInterval:
			res, calc = types.Timestamptz, types.Timestamptz
		case op == "+" && lf == types.FamInterval && isTimeFam(r.t):
			l, r = r, l
			res = types.Timestamp
			if r.t.Family() == types.FamTimestamptz {
				res = types.Timestamptz
			}
			calc = res
		case lf == types.FamInterval && rf == types.FamInterval:
			res, calc = types.Interval, types.Interval
		case op == "-" && isTimeFam(l.t) && isTimeFam(r.t) && lf != types.FamDate || op == "-" && isTimeFam(l.t) && isTimeFam(r.t) && rf != types.FamDate:
			// timestamp - timestamp (a date side widens to timestamp)
			t, _ := types.CommonType(l.t, r.t)
			l, r = coerce(l, t), coerce(r, t)
			res, calc = types.Interval, types.Interval
		default:
			return nil, true, opError(op, l, r)
		}
	case "*":
		switch {
		case lf == types.FamInterval && isNumFam(r.t):
			res = types.Interval
		case isNumFam(l.t) && rf == types.FamInterval:
			l, r = r, l
			res = types.Interval
		default:
			return nil, true, opError(op, l, r)
		}
		r = coerce(r, types.Float8)
		calc = res
	case "/":
		if lf != types.FamInterval || !isNumFam(r.t) {
			return nil, true, opError(op, l, r)
		}
		r = coerce(r, types.Float8)
		res, calc = types.Interval, types.Interval
	default:
		return nil, true, opError(op, l, r)
	}
	if l.t.Family() == types.FamDate && res.Family() != types.FamDate && res.Family() != types.FamInt && calc != types.Interval {
		l = coerce(l, types.Timestamp)
	}
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
	e, err := binExpr(res, "("+l.s+" "+op+" "+r.s+")", l, r, func(a, b Datum) (Datum, error) { return f(a, b, calc) })
	return e, true, err
}

// timeOfDayOp resolves the operators of time without time zone: time ±
// interval and interval + time (time, modulo a day), time - time
// (interval), date + time and time + date (timestamp). ok is false for
// the others, which take time's implicit cast to interval.
func timeOfDayOp(op string, l, r *cexpr) (*cexpr, bool, error) {
	lf, rf := l.t.Family(), r.t.Family()
	if lf != types.FamTime && rf != types.FamTime {
		return nil, false, nil
	}
	s := "(" + l.s + " " + op + " " + r.s + ")"
	switch {
	case lf == types.FamTime && rf == types.FamInterval && (op == "+" || op == "-"),
		op == "+" && lf == types.FamInterval && rf == types.FamTime:
		if lf == types.FamInterval {
			l, r = r, l
		}
		neg := op == "-"
		e, err := binExpr(types.Time, s, l, r, func(a, b Datum) (Datum, error) {
			iv := b.(types.IntervalValue)
			if neg {
				iv.Micros = -iv.Micros
			}
			return types.TimePlusInterval(a.(int64), iv), nil
		})
		return e, true, err
	case op == "-" && lf == types.FamTime && rf == types.FamTime:
		e, err := binExpr(types.Interval, s, l, r, func(a, b Datum) (Datum, error) {
			return types.IntervalValue{Micros: a.(int64) - b.(int64)}, nil
		})
		return e, true, err
	case op == "+" && (lf == types.FamDate && rf == types.FamTime || lf == types.FamTime && rf == types.FamDate):
		if lf == types.FamTime {
			l, r = r, l
		}
		e, err := binExpr(types.Timestamp, s, l, r, func(a, b Datum) (Datum, error) {
			return types.TimeOfDayPlusDate(a.(time.Time), b.(int64)), nil
		})
		return e, true, err
	}
	return nil, false, nil
}

// powOp is ^: numeric when a side is numeric, else double precision.
func powOp(l, r *cexpr) (*cexpr, error) {
	if !(isNumFam(l.t) || l.unknown) || !(isNumFam(r.t) || r.unknown) {
		return nil, opError("^", l, r)
	}
	s := "(" + l.s + " ^ " + r.s + ")"
	if l.t.Family() == types.FamNumeric && !l.unknown || r.t.Family() == types.FamNumeric && !r.unknown {
		l, r = coerce(l, types.Numeric), coerce(r, types.Numeric)
		return binExpr(types.Numeric, s, l, r, func(a, b Datum) (Datum, error) {
			return numericPower(a.(*apd.Decimal), b.(*apd.Decimal))
		})
	}
	var err error
	if l, err = litAs(l, types.Float8); err != nil {
		return nil, err
	}
	if r, err = litAs(r, types.Float8); err != nil {
		return nil, err
	}
	l, r = coerce(l, types.Float8), coerce(r, types.Float8)
	return binExpr(types.Float8, s, l, r, func(a, b Datum) (Datum, error) {
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

// bitOp is & | # << >> on integers (shift counts are int4).
func bitOp(op string, l, r *cexpr) (*cexpr, error) {
	var err error
	if l.unknown && !r.unknown {
		if l, err = litAs(l, r.t); err != nil {
			return nil, err
		}
	}
	if r.unknown {
		t := l.t
		if op == "<<" || op == ">>" || l.unknown {
			t = types.Int4
		}
		if r, err = litAs(r, t); err != nil {
			return nil, err
		}
	}
	if l.unknown {
		if l, err = litAs(l, types.Int4); err != nil {
			return nil, err
		}
	}
	if l.t.Family() != types.FamInt || r.t.Family() != types.FamInt || l.t.Oid == types.OidOid || r.t.Oid == types.OidOid {
		return nil, opError(op, l, r)
	}
	t := l.t
	if op != "<<" && op != ">>" {
		var ok bool
		if t, ok = commonType(l, r); !ok {
			return nil, opError(op, l, r)
		}
		l, r = coerce(l, t), coerce(r, t)
	} else if r.t.Oid == types.OidInt8 {
		return nil, opError(op, l, r)
	}
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

// regexOp is ~ ~* !~ !~* (POSIX regular expression match).
func regexOp(op string, l, r *cexpr) (*cexpr, error) {
	if l.t.Family() != types.FamString && !l.unknown || r.t.Family() != types.FamString && !r.unknown {
		return nil, opError(op, l, r)
	}
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

// startsWithOp is ^@.
func startsWithOp(l, r *cexpr) (*cexpr, error) {
	if l.t.Family() != types.FamString && !l.unknown || r.t.Family() != types.FamString && !r.unknown {
		return nil, opError("^@", l, r)
	}
	return binExpr(types.Bool, "("+l.s+" ^@ "+r.s+")", l, r, func(a, b Datum) (Datum, error) {
		return strings.HasPrefix(str(a), str(b)), nil
	})
}

// extraBinaryOp resolves the operators of this file; ok is false for
// others.
func extraBinaryOp(op string, l, r *cexpr) (*cexpr, bool, error) {
	switch op {
	case "+", "-", "*", "/":
		return dateTimeOp(op, l, r)
	case "^":
		e, err := powOp(l, r)
		return e, true, err
	case "&", "|", "#", "<<", ">>":
		e, err := bitOp(op, l, r)
		return e, true, err
	case "~", "~*", "!~", "!~*":
		e, err := regexOp(op, l, r)
		return e, true, err
	case "^@":
		e, err := startsWithOp(l, r)
		return e, true, err
	}
	return nil, false, nil
}

// unaryExtra is prefix ~ (bitwise not), |/ (square root), @ (absolute
// value).
func unaryExtra(op string, x *cexpr) (*cexpr, bool, error) {
	var err error
	switch op {
	case "~":
		if x, err = litAs(x, types.Int4); err != nil {
			return nil, true, err
		}
		if x.t.Family() != types.FamInt || x.t.Oid == types.OidOid {
			return nil, true, pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: ~ %s", x.t)
		}
		t := x.t
		e, err := unExpr(t, "(~ "+x.s+")", x, func(a Datum) (Datum, error) { return ^a.(int64), nil })
		return e, true, err
	case "|/":
		if x, err = litAs(x, types.Float8); err != nil {
			return nil, true, err
		}
		x = coerce(x, types.Float8)
		e, err := unExpr(types.Float8, "(|/ "+x.s+")", x, func(a Datum) (Datum, error) { return fnSqrtFloat(toFloat(a)) })
		return e, true, err
	case "@":
		if x, err = litAs(x, types.Float8); err != nil {
			return nil, true, err
		}
		if !isNumFam(x.t) {
			return nil, true, pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: @ %s", x.t)
		}
		e, err := unExpr(x.t, "(@ "+x.s+")", x, absFnT(x.t))
		return e, true, err
	}
	return nil, false, nil
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

// compileOpPair is compilePair for a binary operator: an untyped literal
// beside a date/time value takes the type PostgreSQL's operator resolution
// picks (timestamp + '1 day' reads an interval, interval * '2' a number),
// not the other side's type.
func (b *builder) compileOpPair(s *scope, op string, ln, rn *pg_query.Node) (*cexpr, *cexpr, error) {
	switch op {
	case "||":
		return b.compileConcatPair(s, ln, rn)
	case "->", "->>", "#>", "#>>", "?", "?|", "?&", "-", "#-":
		return b.compileJSONOpPair(s, op, ln, rn)
	case "~", "~*", "!~", "!~*", "^@":
		// text operators: an untyped literal stays text (1 ~ 'a' is 42883)
		l, err := b.compile(s, ln, types.Unknown)
		if err != nil {
			return nil, nil, err
		}
		r, err := b.compile(s, rn, types.Unknown)
		return l, r, err
	case "+", "*", "/":
	default:
		return b.compilePair(s, ln, rn)
	}
	l, err := b.compile(s, ln, types.Unknown)
	if err != nil {
		return nil, nil, err
	}
	hintFor := func(t types.T) types.T {
		switch {
		case !isDTFam(t) && t.Family() != types.FamTime:
			return t
		case op == "*" || op == "/":
			return types.Float8
		case t.Family() == types.FamDate:
			return types.Unknown // ambiguous: dateTimeOp reports it
		}
		return types.Interval
	}
	h := types.Unknown
	if !l.unknown {
		h = hintFor(l.t)
	}
	r, err := b.compile(s, rn, h)
	if err != nil {
		return nil, nil, err
	}
	if l.unknown && !r.unknown {
		if h := hintFor(r.t); h.Oid != types.OidUnknown {
			if l, err = b.compile(s, ln, h); err != nil {
				return nil, nil, err
			}
		}
	}
	return l, r, nil
}

// compileConcatPair compiles the operands of ||: an untyped literal beside
// a value that is not a string (or bytea) is text, as PostgreSQL's
// anynonarray || text resolves it ('row ' || 1 is 'row 1').
func (b *builder) compileConcatPair(s *scope, ln, rn *pg_query.Node) (*cexpr, *cexpr, error) {
	hintFor := func(e *cexpr) types.T {
		if e.unknown || e.t.Family() == types.FamString || e.t.Oid == types.OidBytea || e.t.IsArray() {
			return e.t
		}
		return types.Text
	}
	l, err := b.compile(s, ln, types.Unknown)
	if err != nil {
		return nil, nil, err
	}
	r, err := b.compile(s, rn, hintFor(l))
	if err != nil {
		return nil, nil, err
	}
	if l.unknown && !r.unknown {
		if l, err = b.compile(s, ln, hintFor(r)); err != nil {
			return nil, nil, err
		}
	}
	return l, r, nil
}
