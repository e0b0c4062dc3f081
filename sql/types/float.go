package types

import (
	"math"
	"strconv"
	"strings"

	"github.com/heliosdb/nano/sql/pgerror"
)

// appendFloat appends f as PostgreSQL 12+ prints it with the default
// extra_float_digits=1: the shortest string that round-trips (ryu), in
// fixed notation when the decimal exponent is in [-4, 15) for float8 and
// [-4, 6) for float4, otherwise as d.ddde+XX.
func appendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(buf, "-0"...)
		}
		return append(buf, '0')
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, bits)
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	ep := strings.IndexByte(string(e), 'e')
	mant := make([]byte, 0, ep)
	for _, c := range e[:ep] {
		if c != '.' {
			mant = append(mant, c)
		}
	}
	exp, _ := strconv.Atoi(string(e[ep+1:]))
	if neg {
		buf = append(buf, '-')
	}
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp >= -4 && exp < limit {
		return appendFixed(buf, mant, exp)
	}
	buf = append(buf, mant[0])
	if len(mant) > 1 {
		buf = append(buf, '.')
		buf = append(buf, mant[1:]...)
	}
	buf = append(buf, 'e')
	if exp < 0 {
		buf = append(buf, '-')
		exp = -exp
	} else {
		buf = append(buf, '+')
	}
	if exp < 10 {
		buf = append(buf, '0')
	}
	return strconv.AppendInt(buf, int64(exp), 10)
}

// appendFixed writes digits mant (first digit at 10^exp) in fixed notation.
func appendFixed(buf, mant []byte, exp int) []byte {
	if exp < 0 {
		buf = append(buf, "0."...)
		for i := 0; i < -exp-1; i++ {
			buf = append(buf, '0')
		}
		return append(buf, mant...)
	}
	if len(mant) <= exp+1 {
		buf = append(buf, mant...)
		for i := len(mant); i <= exp; i++ {
			buf = append(buf, '0')
		}
		return buf
	}
	buf = append(buf, mant[:exp+1]...)
	buf = append(buf, '.')
	return append(buf, mant[exp+1:]...)
}

// parseFloat is float4in/float8in.
func parseFloat(t T, s string) (Datum, error) {
	str := strings.TrimSpace(s)
	bits := 64
	if t.Oid == OidFloat4 {
		bits = 32
	}
	switch strings.ToLower(str) {
	case "nan", "+nan", "-nan":
		return math.NaN(), nil
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	}
	if !validNumericSyntax(str) {
		return nil, errSyntax(t, s)
	}
	f, err := strconv.ParseFloat(str, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, pgerror.Newf(pgerror.NumericValueOutOfRange,
				"\"%s\" is out of range for type %s", str, t.String())
		}
		return nil, errSyntax(t, s)
	}
	return f, nil
}

// checkFloat enforces float8 result range: an infinite result from finite
// inputs is an overflow, a zero result from non-zero inputs an underflow.
func checkFloat(r float64, infOK, zeroOK bool) (float64, error) {
	if math.IsInf(r, 0) && !infOK {
		return 0, errFloatOverflow()
	}
	if r == 0 && !zeroOK {
		return 0, errFloatUnderflow()
	}
	return r, nil
}

// toFloat4 rounds f to float4 precision with range checks.
func toFloat4(f float64) (float64, error) {
	r := float32(f)
	if math.IsInf(float64(r), 0) && !math.IsInf(f, 0) {
		return 0, errFloatOverflow()
	}
	if r == 0 && f != 0 {
		return 0, errFloatUnderflow()
	}
	return float64(r), nil
}
