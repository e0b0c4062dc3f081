package types

import (
	"math"
	"math/big"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Arithmetic follows PostgreSQL's operators. The operands must already be
// coerced to the result type t (FamInt: int64, FamFloat: float64,
// FamNumeric: *apd.Decimal; int64 operands are accepted for numeric and
// float results). Date/time operators are chosen by the operands' Go types:
// date±int (date), timestamp±interval and interval+timestamp (timestamp),
// date-date (int64 days when t is an integer type or date, otherwise an
// interval, as timestamp-timestamp), interval±interval, interval*/number.
// Errors: 22003 on overflow (message per result type), 22012 on division by
// zero, 22008 for interval/timestamp overflow, 42883 for unsupported
// operand types.

type arithOp int

const (
	opAdd arithOp = iota
	opSub
	opMul
	opDiv
	opMod
)

var opNames = [...]string{"+", "-", "*", "/", "%"}

// Add returns a + b; see the package arithmetic contract above.
func Add(a, b Datum, t T) (Datum, error) { return arith(opAdd, a, b, t) }

// Sub returns a - b.
func Sub(a, b Datum, t T) (Datum, error) { return arith(opSub, a, b, t) }

// Mul returns a * b.
func Mul(a, b Datum, t T) (Datum, error) { return arith(opMul, a, b, t) }

// Div returns a / b; integer division truncates toward zero; numeric
// division uses PostgreSQL's select_div_scale (at least 16 significant
// digits, at least the operands' scales, at most 1000).
func Div(a, b Datum, t T) (Datum, error) { return arith(opDiv, a, b, t) }

// Mod returns a % b (sign of a) for integers and numerics.
func Mod(a, b Datum, t T) (Datum, error) { return arith(opMod, a, b, t) }

// Neg returns -a.
func Neg(a Datum, t T) (Datum, error) {
	switch x := a.(type) {
	case int64:
		lo, _ := intRange(t)
		if x == lo || x == math.MinInt64 {
			return nil, errIntRange(t)
		}
		return -x, nil
	case float64:
		return -x, nil
	case *apd.Decimal:
		if x.Form == apd.NaN {
			return x, nil
		}
		r := new(apd.Decimal).Neg(x)
		return canonDec(r), nil
	case IntervalValue:
		return negInterval(x)
	}
	return nil, errNoOperator("-", a, a)
}

func errNoOperator(op string, a, b Datum) error {
	return pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: %s %s %s",
		goTypeName(a), op, goTypeName(b))
}

func goTypeName(d Datum) string {
	switch d.(type) {
	case bool:
		return "boolean"
	case int64:
		return "bigint"
	case float64:
		return "double precision"
	case *apd.Decimal:
		return "numeric"
	case string:
		return "text"
	case []byte:
		return "bytea"
	case time.Time:
		return "timestamp"
	case IntervalValue:
		return "interval"
	}
	return "unknown"
}

func arith(op arithOp, a, b Datum, t T) (Datum, error) {
	if r, ok, err := arithDateTime(op, a, b, t); ok {
		return r, err
	}
	switch t.Family() {
	case FamInt:
		x, ok1 := a.(int64)
		y, ok2 := b.(int64)
		if ok1 && ok2 {
			return arithInt(op, x, y, t)
		}
	case FamFloat:
		if isNumberDatum(a) && isNumberDatum(b) && op != opMod {
			return arithFloat(op, Float64Of(a), Float64Of(b), t)
		}
	case FamNumeric:
		if isNumberDatum(a) && isNumberDatum(b) {
			r, err := arithNumeric(op, numOperand(a), numOperand(b))
			if err != nil {
				return nil, err
			}
			return applyNumericTypmod(r, t)
		}
	}
	return nil, errNoOperator(opNames[op], a, b)
}

// numOperand converts a numeric operand; floats go through their shortest
// text form.
func numOperand(d Datum) *apd.Decimal {
	if f, ok := d.(float64); ok {
		r, _ := floatToNumeric(f, 64)
		return r
	}
	return toDecimal(d)
}

// arithInt is int2/int4/int8 arithmetic with overflow checks on t's range.
func arithInt(op arithOp, x, y int64, t T) (Datum, error) {
	var r int64
	switch op {
	case opAdd:
		r = x + y
		if (x > 0 && y > 0 && r < 0) || (x < 0 && y < 0 && r >= 0) {
			return nil, errIntRange(t)
		}
	case opSub:
		r = x - y
		if (x >= 0 && y < 0 && r < 0) || (x < 0 && y > 0 && r >= 0) {
			return nil, errIntRange(t)
		}
	case opMul:
		r = x * y
		if x != 0 && (r/x != y || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64)) {
			return nil, errIntRange(t)
		}
	case opDiv:
		if y == 0 {
			return nil, errDivZero()
		}
		if y == -1 {
			return Neg(x, t)
		}
		r = x / y
	case opMod:
		if y == 0 {
			return nil, errDivZero()
		}
		if y == -1 {
			return int64(0), nil
		}
		r = x % y
	}
	if lo, hi := intRange(t); r < lo || r > hi {
		return nil, errIntRange(t)
	}
	return r, nil
}

// arithFloat is float8 (or float4, computed in float32) arithmetic with
// PostgreSQL's overflow/underflow checks.
func arithFloat(op arithOp, x, y float64, t T) (Datum, error) {
	f32 := t.Oid == OidFloat4
	if f32 {
		x, y = float64(float32(x)), float64(float32(y))
	}
	var r float64
	inf := math.IsInf(x, 0) || math.IsInf(y, 0)
	zeroOK := true
	switch op {
	case opAdd:
		r = x + y
	case opSub:
		r = x - y
	case opMul:
		r = x * y
		zeroOK = x == 0 || y == 0
	case opDiv:
		if y == 0 && !math.IsNaN(x) {
			return nil, errDivZero()
		}
		r = x / y
		inf = math.IsInf(x, 0)
		zeroOK = x == 0 || math.IsInf(y, 0)
	}
	if f32 {
		r = float64(float32(r))
	}
	return checkFloat(r, inf, zeroOK)
}

// arithNumeric implements numeric +,-,*,/,% exactly (division rounded).
func arithNumeric(op arithOp, x, y *apd.Decimal) (*apd.Decimal, error) {
	if x.Form != apd.Finite || y.Form != apd.Finite {
		return numericSpecial(op, x, y)
	}
	var r *apd.Decimal
	switch op {
	case opAdd, opSub:
		cx, cy, e := aligned(x, y)
		if op == opAdd {
			r = decFromBig(cx.Add(cx, cy), e)
		} else {
			r = decFromBig(cx.Sub(cx, cy), e)
		}
	case opMul:
		c := signedCoeff(x)
		r = decFromBig(c.Mul(c, signedCoeff(y)), x.Exponent+y.Exponent)
	case opDiv:
		if y.IsZero() {
			return nil, errDivZero()
		}
		r = divNumeric(x, y, selectDivScale(x, y))
	case opMod:
		if y.IsZero() {
			return nil, errDivZero()
		}
		cx, cy, e := aligned(x, y)
		r = decFromBig(cx.Rem(cx, cy), e)
	}
	if intDigits(r) > maxNumericWeight {
		return nil, errNumericOverflow()
	}
	return r, nil
}

// aligned returns x and y's signed coefficients scaled to a common exponent.
func aligned(x, y *apd.Decimal) (*big.Int, *big.Int, int32) {
	cx, cy := signedCoeff(x), signedCoeff(y)
	e := min(x.Exponent, y.Exponent)
	if x.Exponent > e {
		cx.Mul(cx, pow10(int64(x.Exponent-e)))
	}
	if y.Exponent > e {
		cy.Mul(cy, pow10(int64(y.Exponent-e)))
	}
	return cx, cy, e
}

// selectDivScale is PostgreSQL's select_div_scale.
func selectDivScale(x, y *apd.Decimal) int32 {
	w1, d1 := pgNumDigits(x)
	w2, d2 := pgNumDigits(y)
	var f1, f2 int16
	if len(d1) > 0 {
		f1 = d1[0]
	} else {
		w1 = 0
	}
	if len(d2) > 0 {
		f2 = d2[0]
	} else {
		w2 = 0
	}
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := int32(minSigDigits - qweight*4)
	rscale = max(rscale, decScale(x), decScale(y), 0)
	return min(rscale, maxDisplayScale)
}

// divNumeric returns x/y rounded half away from zero to scale digits.
func divNumeric(x, y *apd.Decimal, scale int32) *apd.Decimal {
	num, den := signedCoeff(x), signedCoeff(y)
	k := int64(x.Exponent) - int64(y.Exponent) + int64(scale)
	if k >= 0 {
		num.Mul(num, pow10(k))
	} else {
		den.Mul(den, pow10(-k))
	}
	return decFromBig(divRoundHalfAway(num, den), -scale)
}

// numericSpecial handles NaN and ±Infinity operands as PostgreSQL 14+.
func numericSpecial(op arithOp, x, y *apd.Decimal) (*apd.Decimal, error) {
	nan := &apd.Decimal{Form: apd.NaN}
	if x.Form == apd.NaN || y.Form == apd.NaN {
		return nan, nil
	}
	xs, ys := x.Sign(), y.Sign()
	inf := func(neg bool) *apd.Decimal { return &apd.Decimal{Form: apd.Infinite, Negative: neg} }
	xi, yi := x.Form == apd.Infinite, y.Form == apd.Infinite
	switch op {
	case opAdd, opSub:
		if op == opSub {
			ys = -ys
		}
		if xi && yi && xs != ys {
			return nan, nil
		}
		if xi {
			return inf(xs < 0), nil
		}
		return inf(ys < 0), nil
	case opMul:
		if xs == 0 || ys == 0 {
			return nan, nil
		}
		return inf(xs != ys), nil
	case opDiv:
		if xi && yi {
			return nan, nil
		}
		if ys == 0 {
			return nil, errDivZero()
		}
		if yi {
			return apd.New(0, 0), nil
		}
		return inf(xs != ys), nil
	}
	// opMod
	if xi {
		if ys == 0 {
			return nil, errDivZero()
		}
		return nan, nil
	}
	return x, nil
}

// arithDateTime handles date/timestamp/interval operands; ok is false when
// the operands are not date/time values.
func arithDateTime(op arithOp, a, b Datum, t T) (Datum, bool, error) {
	switch x := a.(type) {
	case time.Time:
		r, err := arithTime(op, x, b, t)
		return r, true, err
	case IntervalValue:
		if y, ok := b.(time.Time); ok && op == opAdd {
			r, err := arithTime(op, y, x, t)
			return r, true, err
		}
		r, err := arithInterval(op, x, b)
		return r, true, err
	case int64:
		if y, ok := b.(time.Time); ok && op == opAdd {
			r, err := arithTime(op, y, x, t)
			return r, true, err
		}
	}
	if y, ok := b.(IntervalValue); ok && op == opMul {
		r, err := arithInterval(op, y, a)
		return r, true, err
	}
	return nil, false, nil
}

func arithTime(op arithOp, x time.Time, b Datum, t T) (Datum, error) {
	if r, ok, err := arithInfinite(op, x, b, t); ok {
		return r, err
	}
	switch y := b.(type) {
	case int64:
		if op == opAdd || op == opSub {
			if op == opSub {
				y = -y
			}
			if y > 1<<31 || y < -(1<<31) {
				return nil, pgerror.New(pgerror.DatetimeFieldOverflow, "date out of range")
			}
			return checkTimestamp(fromDateDays(dateDays(x) + y))
		}
	case IntervalValue:
		if op == opSub {
			n, err := negInterval(y)
			if err != nil {
				return nil, err
			}
			y = n
		}
		if op == opAdd || op == opSub {
			return checkTimestamp(addInterval(x, y))
		}
	case time.Time:
		if op == opSub {
			if t.Family() == FamInt || t.Oid == OidDate {
				return dateDays(x) - dateDays(y), nil
			}
			return timestampDiff(x, y)
		}
	}
	return nil, errNoOperator(opNames[op], x, b)
}

// timestampDiff is timestamp_mi: the difference as days and time.
func timestampDiff(x, y time.Time) (Datum, error) {
	ux, ok1 := micros(x)
	uy, ok2 := micros(y)
	d := ux - uy
	if !ok1 || !ok2 || (ux >= 0) != (uy >= 0) && (d >= 0) != (ux >= 0) {
		return nil, errIntervalRange()
	}
	days := d / usecsPerDay
	if days > math.MaxInt32 || days < math.MinInt32 {
		return nil, errIntervalRange()
	}
	return IntervalValue{Days: int32(days), Micros: d % usecsPerDay}, nil
}

func arithInterval(op arithOp, x IntervalValue, b Datum) (Datum, error) {
	if y, ok := b.(IntervalValue); ok && (op == opAdd || op == opSub) {
		if op == opSub {
			n, err := negInterval(y)
			if err != nil {
				return nil, err
			}
			y = n
		}
		m := int64(x.Months) + int64(y.Months)
		d := int64(x.Days) + int64(y.Days)
		us := x.Micros + y.Micros
		if m != int64(int32(m)) || d != int64(int32(d)) ||
			(x.Micros > 0 && y.Micros > 0 && us < 0) || (x.Micros < 0 && y.Micros < 0 && us >= 0) {
			return nil, errIntervalRange()
		}
		return IntervalValue{int32(m), int32(d), us}, nil
	}
	if isNumberDatum(b) && (op == opMul || op == opDiv) {
		f := Float64Of(b)
		if op == opDiv {
			if f == 0 {
				return nil, errDivZero()
			}
			f = 1 / f
		}
		return scaleInterval(x, f)
	}
	return nil, errNoOperator(opNames[op], x, b)
}

// scaleInterval is interval_mul: fractional months spill into days (30 per
// month) and fractional days into time.
func scaleInterval(x IntervalValue, f float64) (Datum, error) {
	if math.IsNaN(f) {
		return nil, errIntervalRange()
	}
	m := float64(x.Months) * f
	d := float64(x.Days) * f
	wm := math.Trunc(m)
	d += (m - wm) * daysPerMonth
	wd := math.Trunc(d)
	us := float64(x.Micros)*f + (d-wd)*usecsPerDay
	us = math.RoundToEven(us)
	if math.Abs(wm) > math.MaxInt32 || math.Abs(wd) > math.MaxInt32 || math.Abs(us) >= 9.2e18 {
		return nil, errIntervalRange()
	}
	return IntervalValue{int32(wm), int32(wd), int64(us)}, nil
}

// checkTimestamp enforces PostgreSQL's timestamp range (4714-11-24 BC to
// 294276 AD) on arithmetic results.
func checkTimestamp(ts time.Time) (Datum, error) {
	if ts.Before(minTimestamp) || !ts.Before(maxTimestamp) {
		return nil, errTimestampRange()
	}
	return ts, nil
}

var (
	minTimestamp = time.Date(-4713, 11, 24, 0, 0, 0, 0, time.UTC)
	maxTimestamp = time.Date(294277, 1, 1, 0, 0, 0, 0, time.UTC)
)

// arithInfinite is date/timestamp arithmetic with an infinite operand:
// infinity plus or minus days or an interval stays infinite (date_pli,
// timestamp_pl_interval), and subtracting two date/time values fails when
// either is infinite (date_mi, timestamp_mi). ok is false when neither
// operand is infinite.
func arithInfinite(op arithOp, x time.Time, b Datum, t T) (Datum, bool, error) {
	switch y := b.(type) {
	case int64, IntervalValue:
		if IsFiniteTime(x) || (op != opAdd && op != opSub) {
			return nil, false, nil
		}
		return x, true, nil
	case time.Time:
		if op != opSub || IsFiniteTime(x) && IsFiniteTime(y) {
			return nil, false, nil
		}
		if t.Family() == FamInt || t.Oid == OidDate {
			return nil, true, pgerror.New(pgerror.DatetimeFieldOverflow, "cannot subtract infinite dates")
		}
		return nil, true, pgerror.New(pgerror.DatetimeFieldOverflow, "cannot subtract infinite timestamps")
	}
	return nil, false, nil
}
