package exec

import (
	"errors"
	"math"
	"math/big"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// Mathematical functions (PostgreSQL 15 documentation, "Mathematical
// Functions and Operators"): the float8 and numeric variants, chosen by the
// argument as PostgreSQL's function resolution does (an integer argument
// takes the float8 variant where both exist), with the numeric result
// scales of PostgreSQL's numeric.c.

func init() {
	for name, d := range map[string]funcDef{
		"sign":  {minArg: 1, maxArg: 1, strict: true, prep: floatOrNumeric(signFloat, signNumeric)},
		"exp":   {minArg: 1, maxArg: 1, strict: true, prep: floatOrNumeric(expFloat, expNumeric)},
		"ln":    {minArg: 1, maxArg: 1, strict: true, prep: floatOrNumeric(lnFloat, lnNumeric)},
		"log10": {minArg: 1, maxArg: 1, strict: true, prep: floatOrNumeric(log10Float, log10Numeric)},
		"log":   {minArg: 1, maxArg: 2, strict: true, prep: prepLog},
		"sqrt":  {minArg: 1, maxArg: 1, strict: true, prep: floatOrNumeric(sqrtFloat, sqrtNumeric)},
		"power": {minArg: 2, maxArg: 2, strict: true, prep: prepPower},
		"pow":   {minArg: 2, maxArg: 2, strict: true, prep: prepPower},
		"cbrt":  {minArg: 1, maxArg: 1, strict: true, prep: floatOnly(func(x float64) (Datum, error) { return math.Cbrt(x), nil })},
		"degrees": {minArg: 1, maxArg: 1, strict: true, prep: floatOnly(func(x float64) (Datum, error) {
			return checkFloat(x*180/math.Pi, x)
		})},
		"radians": {minArg: 1, maxArg: 1, strict: true, prep: floatOnly(func(x float64) (Datum, error) {
			return checkFloat(x*math.Pi/180, x)
		})},
		"sin":   {minArg: 1, maxArg: 1, strict: true, prep: floatOnly(trig(math.Sin))},
		"cos":   {minArg: 1, maxArg: 1, strict: true, prep: floatOnly(trig(math.Cos))},
		"tan":   {minArg: 1, maxArg: 1, strict: true, prep: floatOnly(trig(math.Tan))},
		"cot":   {minArg: 1, maxArg: 1, strict: true, prep: floatOnly(trig(func(x float64) float64 { return math.Cos(x) / math.Sin(x) }))},
		"asin":  {minArg: 1, maxArg: 1, strict: true, prep: floatOnly(arcTrig(math.Asin))},
		"acos":  {minArg: 1, maxArg: 1, strict: true, prep: floatOnly(arcTrig(math.Acos))},
		"atan":  {minArg: 1, maxArg: 1, strict: true, prep: floatOnly(func(x float64) (Datum, error) { return math.Atan(x), nil })},
		"atan2": {minArg: 2, maxArg: 2, strict: true, prep: prepAtan2},
		"pi": {result: fixed(types.Float8), minArg: 0, maxArg: 0,
			fn: func(*env, []Datum) (Datum, error) { return math.Pi, nil }},
		"div":          {minArg: 2, maxArg: 2, strict: true, prep: prepDiv},
		"gcd":          {minArg: 2, maxArg: 2, strict: true, prep: prepGcd(false)},
		"lcm":          {minArg: 2, maxArg: 2, strict: true, prep: prepGcd(true)},
		"factorial":    {minArg: 1, maxArg: 1, strict: true, prep: prepFactorial},
		"width_bucket": {minArg: 4, maxArg: 4, strict: true, prep: prepWidthBucket},
		"scale": {minArg: 1, maxArg: 1, strict: true, prep: numericOnly(types.Int4, func(d *apd.Decimal) (Datum, error) {
			if d.Form != apd.Finite {
				return nil, nil
			}
			return int64(dscale(d)), nil
		})},
	} {
		funcTable[name] = d
	}
}

// errNoVariant from a funcDef's prep: no variant of the function takes
// these argument types (buildCall reports 42883 with the call's types).
var errNoVariant = errors.New("exec: no function variant for these arguments")

// argErr is the 42883 of a call no variant accepts.
func argErr(name string, args []*cexpr) error {
	ts := ""
	for i, a := range args {
		if i > 0 {
			ts += ", "
		}
		if a.unknown {
			ts += "unknown"
		} else {
			ts += a.t.String()
		}
	}
	return pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s) does not exist", name, ts).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

// numArg types argument i as a number: an untyped literal reads as t.
func numArg(args []*cexpr, i int, t types.T) (*cexpr, bool, error) {
	a := args[i]
	if a.unknown {
		e, err := litAs(a, t)
		return e, err == nil, err
	}
	return a, planner.IsNumeric(a.t), nil
}

func floatOrNumeric(ff func(float64) (Datum, error), nf func(*apd.Decimal) (Datum, error)) func([]*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	return func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		a, ok, err := numArg(args, 0, types.Float8)
		if err != nil {
			return nil, types.T{}, nil, err
		}
		if !ok {
			return nil, types.T{}, nil, errNoVariant
		}
		if a.t.Family() == types.FamNumeric {
			return []*cexpr{coerce(a, types.Numeric)}, types.Numeric, func(_ *env, v []Datum) (Datum, error) {
				return nf(v[0].(*apd.Decimal))
			}, nil
		}
		return []*cexpr{coerce(a, types.Float8)}, types.Float8, func(_ *env, v []Datum) (Datum, error) {
			return ff(toFloat(v[0]))
		}, nil
	}
}

func floatOnly(ff func(float64) (Datum, error)) func([]*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	return func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		a, ok, err := numArg(args, 0, types.Float8)
		if err != nil {
			return nil, types.T{}, nil, err
		}
		if !ok {
			return nil, types.T{}, nil, errNoVariant
		}
		return []*cexpr{coerce(a, types.Float8)}, types.Float8, func(_ *env, v []Datum) (Datum, error) {
			return ff(toFloat(v[0]))
		}, nil
	}
}

func numericOnly(rt types.T, nf func(*apd.Decimal) (Datum, error)) func([]*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	return func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		a, ok, err := numArg(args, 0, types.Numeric)
		if err != nil {
			return nil, types.T{}, nil, err
		}
		if !ok {
			return nil, types.T{}, nil, errNoVariant
		}
		return []*cexpr{coerce(a, types.Numeric)}, rt, func(_ *env, v []Datum) (Datum, error) {
			return nf(v[0].(*apd.Decimal))
		}, nil
	}
}

func errOverflow() error {
	return pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: overflow")
}
func errUnderflow() error {
	return pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: underflow")
}

// checkFloat is PostgreSQL's float overflow check: an infinite result
// from finite input overflows.
func checkFloat(r, in float64) (Datum, error) {
	if math.IsInf(r, 0) && !math.IsInf(in, 0) {
		return nil, errOverflow()
	}
	return r, nil
}

func trig(f func(float64) float64) func(float64) (Datum, error) {
	return func(x float64) (Datum, error) {
		if math.IsInf(x, 0) {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "input is out of range")
		}
		return f(x), nil
	}
}

func arcTrig(f func(float64) float64) func(float64) (Datum, error) {
	return func(x float64) (Datum, error) {
		if x < -1 || x > 1 {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "input is out of range")
		}
		return f(x), nil
	}
}

func signFloat(x float64) (Datum, error) {
	switch {
	case x > 0:
		return 1.0, nil
	case x < 0:
		return -1.0, nil
	}
	return 0.0, nil
}

func signNumeric(d *apd.Decimal) (Datum, error) {
	if d.Form == apd.NaN {
		return d, nil
	}
	switch {
	case d.IsZero():
		return apd.New(0, 0), nil
	case d.Negative:
		return apd.New(-1, 0), nil
	}
	return apd.New(1, 0), nil
}

func expFloat(x float64) (Datum, error) {
	r := math.Exp(x)
	if math.IsInf(r, 0) && !math.IsInf(x, 0) {
		return nil, errOverflow()
	}
	if r == 0 && !math.IsInf(x, 0) {
		return nil, errUnderflow()
	}
	return r, nil
}

func lnFloat(x float64) (Datum, error) {
	if x == 0 {
		return nil, pgerror.New(pgerror.InvalidArgumentForLog, "cannot take logarithm of zero")
	}
	if x < 0 {
		return nil, pgerror.New(pgerror.InvalidArgumentForLog, "cannot take logarithm of a negative number")
	}
	return math.Log(x), nil
}

func log10Float(x float64) (Datum, error) {
	if _, err := lnFloat(x); err != nil {
		return nil, err
	}
	return math.Log10(x), nil
}

func sqrtFloat(x float64) (Datum, error) { return fnSqrtFloat(x) }

// dscale is a numeric's display scale (digits after the point).
func dscale(d *apd.Decimal) int32 { return max(0, -d.Exponent) }

// decWeight is floor(log10|d|): the decimal position of the leading digit.
func decWeight(d *apd.Decimal) int64 {
	if d.IsZero() {
		return 0
	}
	return d.NumDigits() + int64(d.Exponent) - 1
}

// nbaseWeight is the weight of d in PostgreSQL's base-10000 digits.
func nbaseWeight(d *apd.Decimal) int64 {
	if d.IsZero() {
		return 0
	}
	w := decWeight(d)
	if w >= 0 {
		return w / 4
	}
	return -((-w + 3) / 4)
}

// estimateLnDweight is numeric.c's estimate_ln_dweight.
func estimateLnDweight(d *apd.Decimal) int {
	if d.Negative || d.IsZero() {
		return 0
	}
	f, _ := d.Float64()
	if f >= 0.9 && f <= 1.1 {
		x := new(apd.Decimal)
		_, _ = ctx1000.Sub(x, d, apd.New(1, 0))
		if x.IsZero() {
			return 0
		}
		return int(decWeight(x))
	}
	return int(math.Log10(math.Abs(math.Log(f)))) // truncates toward zero, like C's (int)
}

func clampScale(r int) int32 { return int32(min(max(r, 0), 1000)) }

// numResult computes f at a precision enough for scale rscale and rounds
// to it (half away from zero, as PostgreSQL's round_var).
func numResult(rscale int32, weight int64, f func(c *apd.Context, out *apd.Decimal) error) (Datum, error) {
	prec := int64(rscale) + max(weight, 0) + 20
	c := apd.BaseContext.WithPrecision(uint32(prec))
	c.MaxExponent, c.MinExponent = apd.MaxExponent, apd.MinExponent
	out := new(apd.Decimal)
	if err := f(c, out); err != nil {
		return nil, err
	}
	q := ctx1000
	q.Rounding = apd.RoundHalfUp
	if _, err := q.Quantize(out, out, -rscale); err != nil {
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
	}
	return out, nil
}

func expNumeric(d *apd.Decimal) (Datum, error) {
	if d.Form != apd.Finite {
		return d, nil
	}
	f, _ := d.Float64()
	val := f * 0.434294481903252
	val = math.Max(-1000, math.Min(1000, val))
	if val > 131072 {
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
	}
	rscale := clampScale(max(16-int(val), int(dscale(d))))
	return numResult(rscale, int64(val), func(c *apd.Context, out *apd.Decimal) error {
		_, err := c.Exp(out, d)
		return err
	})
}

func lnCheck(d *apd.Decimal) error {
	if d.IsZero() {
		return pgerror.New(pgerror.InvalidArgumentForLog, "cannot take logarithm of zero")
	}
	if d.Negative {
		return pgerror.New(pgerror.InvalidArgumentForLog, "cannot take logarithm of a negative number")
	}
	return nil
}

func lnNumeric(d *apd.Decimal) (Datum, error) {
	if err := lnCheck(d); err != nil {
		return nil, err
	}
	if d.Form != apd.Finite {
		return d, nil
	}
	rscale := clampScale(max(16-estimateLnDweight(d), int(dscale(d))))
	return numResult(rscale, 4, func(c *apd.Context, out *apd.Decimal) error {
		_, err := c.Ln(out, d)
		return err
	})
}

var ten = apd.New(10, 0)

func log10Numeric(d *apd.Decimal) (Datum, error) { return logNumeric(ten, d) }

// logNumeric is numeric_log(base, x).
func logNumeric(base, x *apd.Decimal) (Datum, error) {
	if err := lnCheck(base); err != nil {
		return nil, err
	}
	if err := lnCheck(x); err != nil {
		return nil, err
	}
	if base.Cmp(apd.New(1, 0)) == 0 {
		return nil, pgerror.New(pgerror.DivisionByZero, "division by zero")
	}
	rw := estimateLnDweight(x) - estimateLnDweight(base)
	rscale := clampScale(max(16-rw, int(dscale(base)), int(dscale(x))))
	return numResult(rscale, int64(max(rw, 0)), func(c *apd.Context, out *apd.Decimal) error {
		lb, lx := new(apd.Decimal), new(apd.Decimal)
		if _, err := c.Ln(lb, base); err != nil {
			return err
		}
		if _, err := c.Ln(lx, x); err != nil {
			return err
		}
		_, err := c.Quo(out, lx, lb)
		return err
	})
}

func sqrtNumeric(d *apd.Decimal) (Datum, error) {
	if d.Negative && !d.IsZero() {
		return nil, pgerror.New(pgerror.InvalidArgumentForPower, "cannot take square root of a negative number")
	}
	if d.Form != apd.Finite {
		return d, nil
	}
	sweight := (nbaseWeight(d)+1)*4/2 - 1
	rscale := clampScale(max(16-int(sweight), int(dscale(d))))
	return numResult(rscale, sweight, func(c *apd.Context, out *apd.Decimal) error {
		_, err := c.Sqrt(out, d)
		return err
	})
}

func prepLog(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	if len(args) == 1 {
		return floatOrNumeric(log10Float, log10Numeric)(args)
	}
	for i := range args {
		a, ok, err := numArg(args, i, types.Numeric)
		if err != nil {
			return nil, types.T{}, nil, err
		}
		if !ok {
			return nil, types.T{}, nil, errNoVariant
		}
		args[i] = coerce(a, types.Numeric)
	}
	return args, types.Numeric, func(_ *env, v []Datum) (Datum, error) {
		return logNumeric(v[0].(*apd.Decimal), v[1].(*apd.Decimal))
	}, nil
}

// prepPower is power(x, y): numeric when a side is numeric, else float8.
func prepPower(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	num := false
	for i := range args {
		if !args[i].unknown && args[i].t.Family() == types.FamNumeric {
			num = true
		}
	}
	t := types.Float8
	if num {
		t = types.Numeric
	}
	for i := range args {
		a, ok, err := numArg(args, i, t)
		if err != nil {
			return nil, types.T{}, nil, err
		}
		if !ok {
			return nil, types.T{}, nil, errNoVariant
		}
		args[i] = coerce(a, t)
	}
	if num {
		return args, t, func(_ *env, v []Datum) (Datum, error) {
			return numericPower(v[0].(*apd.Decimal), v[1].(*apd.Decimal))
		}, nil
	}
	return args, t, func(_ *env, v []Datum) (Datum, error) { return floatPower(toFloat(v[0]), toFloat(v[1])) }, nil
}

func prepAtan2(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	for i := range args {
		a, ok, err := numArg(args, i, types.Float8)
		if err != nil {
			return nil, types.T{}, nil, err
		}
		if !ok {
			return nil, types.T{}, nil, errNoVariant
		}
		args[i] = coerce(a, types.Float8)
	}
	return args, types.Float8, func(_ *env, v []Datum) (Datum, error) { return math.Atan2(toFloat(v[0]), toFloat(v[1])), nil }, nil
}

// prepDiv is div(numeric, numeric): the integral quotient, truncated.
func prepDiv(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	for i := range args {
		a, ok, err := numArg(args, i, types.Numeric)
		if err != nil {
			return nil, types.T{}, nil, err
		}
		if !ok {
			return nil, types.T{}, nil, errNoVariant
		}
		args[i] = coerce(a, types.Numeric)
	}
	return args, types.Numeric, func(_ *env, v []Datum) (Datum, error) {
		x, y := v[0].(*apd.Decimal), v[1].(*apd.Decimal)
		if y.IsZero() {
			return nil, pgerror.New(pgerror.DivisionByZero, "division by zero")
		}
		out := new(apd.Decimal)
		if _, err := ctx1000.QuoInteger(out, x, y); err != nil {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
		}
		_, _ = ctx1000.Quantize(out, out, 0)
		return out, nil
	}, nil
}

// prepGcd is gcd/lcm over int4, int8 or numeric (the widest argument).
func prepGcd(lcm bool) func([]*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	name := map[bool]string{false: "gcd", true: "lcm"}[lcm]
	return func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
		for i := range args {
			a, ok, err := numArg(args, i, types.Int4)
			if err != nil {
				return nil, types.T{}, nil, err
			}
			if !ok || a.t.Family() == types.FamFloat {
				return nil, types.T{}, nil, argErr(name, args)
			}
			args[i] = a
		}
		t, _ := commonType(args[0], args[1])
		if t.Oid == types.OidInt2 {
			t = types.Int4
		}
		if t.Family() == types.FamNumeric {
			t = types.Numeric
		}
		args[0], args[1] = coerce(args[0], t), coerce(args[1], t)
		return args, t, func(_ *env, v []Datum) (Datum, error) {
			x, y := new(big.Int), new(big.Int)
			sc := int32(0)
			if t == types.Numeric {
				// numeric gcd/lcm work on the values scaled to their
				// larger display scale (gcd(1.5, 3) is 1.5)
				a, b := v[0].(*apd.Decimal), v[1].(*apd.Decimal)
				if a.Form != apd.Finite || b.Form != apd.Finite {
					return nil, pgerror.Newf(pgerror.InvalidParameterValue, "%s of NaN or infinity is not supported", name)
				}
				sc = max(dscale(a), dscale(b))
				x, y = decToBig(shiftDec(a, sc)), decToBig(shiftDec(b, sc))
			} else {
				x.SetInt64(v[0].(int64))
				y.SetInt64(v[1].(int64))
			}
			g := new(big.Int).GCD(nil, nil, new(big.Int).Abs(x), new(big.Int).Abs(y))
			r := g
			if lcm {
				if x.Sign() == 0 || y.Sign() == 0 {
					r = new(big.Int)
				} else {
					r = new(big.Int).Mul(new(big.Int).Quo(new(big.Int).Abs(x), g), new(big.Int).Abs(y))
				}
			}
			if t == types.Numeric {
				d := bigToDec(r)
				d.Exponent -= sc
				return d, nil
			}
			lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
			if t.Oid == types.OidInt8 {
				lo, hi = math.MinInt64, math.MaxInt64
			}
			if !r.IsInt64() || r.Int64() < lo || r.Int64() > hi {
				if t.Oid == types.OidInt8 {
					return nil, pgerror.New(pgerror.NumericValueOutOfRange, "bigint out of range")
				}
				return nil, pgerror.New(pgerror.NumericValueOutOfRange, "integer out of range")
			}
			return r.Int64(), nil
		}, nil
	}
}

func isIntegral(d *apd.Decimal) bool {
	if d.Form != apd.Finite {
		return false
	}
	var i apd.Decimal
	_, _ = ctx1000.RoundToIntegralValue(&i, d)
	return i.Cmp(d) == 0
}

// shiftDec is d * 10^sc.
func shiftDec(d *apd.Decimal, sc int32) *apd.Decimal {
	out := new(apd.Decimal).Set(d)
	out.Exponent += sc
	return out
}

func bigToDec(b *big.Int) *apd.Decimal {
	d := apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(new(big.Int).Abs(b)), 0)
	d.Negative = b.Sign() < 0
	return d
}

func decToBig(d *apd.Decimal) *big.Int {
	var i apd.Decimal
	_, _ = ctx1000.Quantize(&i, d, 0)
	b := new(big.Int).Set(i.Coeff.MathBigInt())
	if i.Negative {
		b.Neg(b)
	}
	return b
}

// prepFactorial is factorial(bigint) → numeric.
func prepFactorial(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	a, ok, err := numArg(args, 0, types.Int8)
	if err != nil {
		return nil, types.T{}, nil, err
	}
	if !ok || a.t.Family() != types.FamInt {
		return nil, types.T{}, nil, errNoVariant
	}
	return []*cexpr{coerce(a, types.Int8)}, types.Numeric, func(_ *env, v []Datum) (Datum, error) {
		n := v[0].(int64)
		if n < 0 {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "factorial of a negative number is undefined")
		}
		if n > 32177 {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
		}
		r := new(big.Int).MulRange(1, max(n, 1))
		return bigToDec(r), nil
	}, nil
}

// prepWidthBucket is width_bucket(operand, low, high, count) for float8 or
// numeric operands.
func prepWidthBucket(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
	num := false
	for i := 0; i < 3; i++ {
		if !args[i].unknown && args[i].t.Family() == types.FamNumeric {
			num = true
		}
	}
	t := types.Float8
	if num {
		t = types.Numeric
	}
	for i := range args {
		want := t
		if i == 3 {
			want = types.Int4
		}
		a, ok, err := numArg(args, i, want)
		if err != nil {
			return nil, types.T{}, nil, err
		}
		if !ok || i == 3 && a.t.Family() != types.FamInt {
			return nil, types.T{}, nil, errNoVariant
		}
		args[i] = coerce(a, want)
	}
	return args, types.Int4, func(_ *env, v []Datum) (Datum, error) {
		count := v[3].(int64)
		if count <= 0 {
			return nil, pgerror.New(pgerror.InvalidArgumentForWidthBucket, "count must be greater than zero")
		}
		x, lo, hi := numOperandF(v[0]), numOperandF(v[1]), numOperandF(v[2])
		if lo == hi {
			return nil, pgerror.New(pgerror.InvalidArgumentForWidthBucket, "lower bound cannot equal upper bound")
		}
		if math.IsNaN(x) || math.IsNaN(lo) || math.IsNaN(hi) {
			return nil, pgerror.New(pgerror.InvalidArgumentForWidthBucket, "operand, lower bound, and upper bound cannot be NaN")
		}
		var r int64
		if lo < hi {
			switch {
			case x < lo:
				r = 0
			case x >= hi:
				r = count + 1
			default:
				r = int64(float64(count)*(x-lo)/(hi-lo)) + 1
			}
		} else {
			switch {
			case x > lo:
				r = 0
			case x <= hi:
				r = count + 1
			default:
				r = int64(float64(count)*(lo-x)/(lo-hi)) + 1
			}
		}
		if r > math.MaxInt32 {
			return nil, pgerror.New(pgerror.NumericValueOutOfRange, "integer out of range")
		}
		return r, nil
	}, nil
}

func numOperandF(d Datum) float64 { return toFloat(d) }
