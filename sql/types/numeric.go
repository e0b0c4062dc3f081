package types

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Numeric values are *apd.Decimal. Values built by this package are
// canonical: finite values have Exponent <= 0 (so -Exponent is PostgreSQL's
// dscale, the number of digits shown after the point) and zero is never
// negative. NaN and ±Infinity use apd's forms.

const (
	// maxNumericWeight bounds decimal digits before the point, like
	// PostgreSQL's NUMERIC_MAX_PRECISION-independent 131072 limit.
	maxNumericWeight = 131072
	// maxNumericDScale is PostgreSQL's NUMERIC_MAX_DISPLAY_SCALE... for
	// input; results of division use at most 1000.
	maxNumericDScale = 16383
	minSigDigits     = 16
	maxInputExponent = 1000
	maxDisplayScale  = 1000
)

var bigTen = big.NewInt(10)

func errNumericOverflow() error {
	return pgerror.New(pgerror.NumericValueOutOfRange, "value overflows numeric format")
}

// NewNumeric returns the canonical numeric for the decimal string s, or an
// error; it is ParseText(Numeric, s).
func NewNumeric(s string) (*apd.Decimal, error) {
	d, err := parseNumeric(Numeric, s)
	if err != nil {
		return nil, err
	}
	return d.(*apd.Decimal), nil
}

// NumericFromInt returns i as a numeric with scale 0.
func NumericFromInt(i int64) *apd.Decimal { return apd.New(i, 0) }

// pow10 returns 10^n as a big.Int.
func pow10(n int64) *big.Int {
	return new(big.Int).Exp(bigTen, big.NewInt(n), nil)
}

// decFromBig builds a canonical finite decimal from coefficient c (signed)
// and exponent e.
func decFromBig(c *big.Int, e int32) *apd.Decimal {
	d := new(apd.Decimal)
	neg := c.Sign() < 0
	abs := new(big.Int).Abs(c)
	d.Coeff.SetMathBigInt(abs)
	d.Exponent = e
	d.Negative = neg && abs.Sign() != 0
	return canonDec(d)
}

// canonDec makes d canonical in place (exponent <= 0, no negative zero).
func canonDec(d *apd.Decimal) *apd.Decimal {
	if d.Form != apd.Finite {
		if d.Form == apd.NaN {
			d.Negative = false
		}
		return d
	}
	if d.Exponent > 0 {
		c := d.Coeff.MathBigInt()
		c.Mul(c, pow10(int64(d.Exponent)))
		d.Coeff.SetMathBigInt(c)
		d.Exponent = 0
	}
	if d.Coeff.Sign() == 0 {
		d.Negative = false
	}
	return d
}

// decScale returns PostgreSQL's dscale of a finite decimal.
func decScale(d *apd.Decimal) int32 {
	if d.Exponent >= 0 {
		return 0
	}
	return -d.Exponent
}

// signedCoeff returns d's coefficient with d's sign.
func signedCoeff(d *apd.Decimal) *big.Int {
	c := d.Coeff.MathBigInt()
	if d.Negative {
		c.Neg(c)
	}
	return c
}

// rescale returns finite d with exactly scale digits after the point,
// rounding half away from zero as PostgreSQL's round_var does.
func rescale(d *apd.Decimal, scale int32) *apd.Decimal {
	if d.Form != apd.Finite {
		return d
	}
	e := -scale
	c := signedCoeff(d)
	switch {
	case d.Exponent == e:
		return decFromBig(c, e)
	case d.Exponent > e:
		c.Mul(c, pow10(int64(d.Exponent-e)))
		return decFromBig(c, e)
	}
	return decFromBig(divRoundHalfAway(c, pow10(int64(e-d.Exponent))), e)
}

// divRoundHalfAway returns n/m rounded half away from zero (m != 0).
func divRoundHalfAway(n, m *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(n, m, new(big.Int))
	if r.Sign() == 0 {
		return q
	}
	r2 := new(big.Int).Abs(r)
	r2.Lsh(r2, 1)
	if r2.Cmp(new(big.Int).Abs(m)) >= 0 {
		if (n.Sign() < 0) != (m.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// intDigits returns the number of decimal digits before the point of a
// finite d (0 for |d| < 1).
func intDigits(d *apd.Decimal) int64 {
	n := int64(d.NumDigits()) + int64(d.Exponent)
	if d.Coeff.Sign() == 0 || n < 0 {
		return 0
	}
	return n
}

// applyNumericTypmod rounds d to t's scale and checks its precision.
func applyNumericTypmod(d *apd.Decimal, t T) (*apd.Decimal, error) {
	p, s, ok := t.PrecisionScale()
	if !ok {
		return d, nil
	}
	switch d.Form {
	case apd.NaN:
		return d, nil
	case apd.Infinite:
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "numeric field overflow").
			WithDetail("A field with precision %d, scale %d cannot hold an infinite value.", p, s)
	}
	r := rescale(d, int32(s))
	if maxd := p - s; intDigits(r) > int64(maxd) {
		pre, n := "10^", maxd
		if maxd == 0 {
			pre, n = "", 1
		}
		return nil, pgerror.New(pgerror.NumericValueOutOfRange, "numeric field overflow").
			WithDetail("A field with precision %d, scale %d must round to an absolute value less than %s%d.", p, s, pre, n)
	}
	return r, nil
}

// validNumericSyntax reports whether s (trimmed) is a decimal literal:
// [+-] digits [. digits] [e [+-] digits], with at least one digit.
func validNumericSyntax(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ed := 0
		for ; i < len(s) && isDigit(s[i]); i++ {
			ed++
		}
		if ed == 0 {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseNumeric is numeric_in: decimal literals, NaN and [+-]Infinity/inf.
func parseNumeric(t T, s string) (Datum, error) {
	str := strings.TrimSpace(s)
	var d *apd.Decimal
	switch strings.ToLower(str) {
	case "nan":
		d = &apd.Decimal{Form: apd.NaN}
	case "infinity", "+infinity", "inf", "+inf":
		d = &apd.Decimal{Form: apd.Infinite}
	case "-infinity", "-inf":
		d = &apd.Decimal{Form: apd.Infinite, Negative: true}
	default:
		if !validNumericSyntax(str) {
			return nil, errSyntax(Numeric, s)
		}
		if err := checkNumericExponent(str, s); err != nil {
			return nil, err
		}
		var err error
		d, _, err = apd.NewFromString(str)
		if err != nil {
			return nil, errSyntax(Numeric, s)
		}
		if int64(d.NumDigits())+int64(d.Exponent) > maxNumericWeight {
			return nil, errNumericOverflow()
		}
		canonDec(d)
		if decScale(d) > maxNumericDScale {
			d = rescale(d, maxNumericDScale)
		}
	}
	return applyNumericTypmod(d, t)
}

// checkNumericExponent rejects exponents beyond ±1000 as PostgreSQL's
// set_var_from_str does (22P02), before apd builds huge coefficients.
func checkNumericExponent(s, orig string) error {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return nil
	}
	e, err := strconv.ParseInt(s[i+1:], 10, 32)
	if err != nil || e > maxInputExponent || e < -maxInputExponent {
		return errSyntax(Numeric, orig)
	}
	return nil
}

// appendNumeric appends PostgreSQL's text form of d.
func appendNumeric(buf []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN:
		return append(buf, "NaN"...)
	case apd.Infinite:
		if d.Negative {
			return append(buf, "-Infinity"...)
		}
		return append(buf, "Infinity"...)
	}
	if d.Exponent > 0 || (d.Negative && d.Coeff.Sign() == 0) {
		d = canonDec(new(apd.Decimal).Set(d))
	}
	return d.Append(buf, 'f')
}

// pgNumDigits returns d's base-10000 digits as PostgreSQL stores them:
// weight of the first digit and the digit groups with leading and trailing
// zero groups stripped. d must be finite.
func pgNumDigits(d *apd.Decimal) (weight int, digits []int16) {
	str := d.Coeff.MathBigInt().String()
	if str == "0" {
		return 0, nil
	}
	if d.Exponent > 0 {
		str += strings.Repeat("0", int(d.Exponent))
	}
	intLen := len(str) + int(min(d.Exponent, 0))
	lead := mod(-intLen, 4)
	trail := mod(-(lead + len(str)), 4)
	full := strings.Repeat("0", lead) + str + strings.Repeat("0", trail)
	weight = (intLen+lead)/4 - 1
	digits = make([]int16, 0, len(full)/4)
	for i := 0; i+4 <= len(full); i += 4 {
		v, _ := strconv.Atoi(full[i : i+4])
		digits = append(digits, int16(v))
	}
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
		weight--
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	return weight, digits
}

// mod returns a mod m in [0, m).
func mod(a, m int) int {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}

// decFromPGDigits builds a decimal from PostgreSQL's base-10000 form.
func decFromPGDigits(weight int, digits []int16, neg bool, dscale int32) *apd.Decimal {
	c := new(big.Int)
	tenK := big.NewInt(10000)
	for _, g := range digits {
		c.Mul(c, tenK)
		c.Add(c, big.NewInt(int64(g)))
	}
	if neg {
		c.Neg(c)
	}
	e := int32(4 * (weight - len(digits) + 1))
	return rescale(decFromBig(c, e), dscale)
}

// decimalToFloat converts d to the nearest float64 (±Inf on overflow).
func decimalToFloat(d *apd.Decimal) float64 {
	switch d.Form {
	case apd.NaN:
		return math.NaN()
	case apd.Infinite:
		if d.Negative {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	f, err := strconv.ParseFloat(d.Text('E'), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return math.NaN()
	}
	return f
}
