package types

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Cast converts d of type from to type to with PostgreSQL semantics;
// explicit is true for CAST/:: and false for assignment coercion. NULL
// (nil) casts to nil. It covers:
//   - int<->int with range checks (22003 "integer out of range"…);
//   - float->int rounding to nearest even, numeric->int half away from zero;
//   - int/float/numeric conversions, float->numeric through 15 (float4: 6)
//     significant digits as PostgreSQL;
//   - anything -> text/varchar/char via text output (bool gives
//     "true"/"false"), and text/unknown -> anything via ParseText;
//   - varchar(n)/char(n): explicit casts truncate, assignment fails 22001
//     unless only spaces are cut; numeric(p,s) rounds or fails 22003;
//   - bool<->int (explicit only), date<->timestamp<->timestamptz (session
//     zone UTC);
//
// and fails with 42846 "cannot cast type X to Y" otherwise.
func Cast(d Datum, from, to T, explicit bool) (Datum, error) {
	if d == nil {
		return nil, nil
	}
	tf := to.Family()
	if tf == FamArray {
		if from.IsArray() || from.Family() == FamString || from.Family() == FamUnknown {
			return castArray(d, from, to, explicit)
		}
		return nil, errCannotCast(from, to)
	}
	if tf == FamString {
		return castToString(d, from, to, explicit)
	}
	if from.Oid == OidJSONB && (tf == FamBool || tf == FamInt || tf == FamFloat || tf == FamNumeric) {
		return castJSONB(d, to)
	}
	if from.Oid == OidJSON && tf != FamUnknown && to.Oid != OidJSON {
		return nil, errCannotCast(from, to)
	}
	if s, ok := d.(string); ok && (from.Family() == FamString || from.Family() == FamUnknown || from.Oid == to.Oid) {
		if from.Oid == to.Oid && to.Oid == OidUUID {
			return d, nil
		}
		return ParseText(to, s)
	}
	switch tf {
	case FamBool:
		return castToBool(d, from, to, explicit)
	case FamInt:
		return castToInt(d, from, to, explicit)
	case FamFloat:
		return castToFloat(d, from, to)
	case FamNumeric:
		return castToNumeric(d, from, to)
	case FamDate, FamTimestamp, FamTimestamptz:
		return castToTime(d, from, to)
	case FamTime:
		return castToTimeOfDay(d, from, to)
	case FamUnknown:
		return castToString(d, from, Text, explicit)
	}
	if tf == FamInterval && from.Oid == OidTime {
		if us, ok := d.(int64); ok {
			return IntervalValue{Micros: us}, nil
		}
	}
	if from.Oid == to.Oid || (tf == FamBytes && from.Family() == FamBytes) ||
		(tf == FamInterval && from.Family() == FamInterval) {
		return d, nil
	}
	return nil, errCannotCast(from, to)
}

func castToString(d Datum, from, to T, explicit bool) (Datum, error) {
	var s string
	switch v := d.(type) {
	case string:
		s = v
		if from.Oid == OidBpchar && to.Oid != OidBpchar {
			s = strings.TrimRight(s, " ")
		}
	case bool:
		s = strconv.FormatBool(v)
	default:
		s = FormatText(d, from)
	}
	switch to.Oid {
	case OidJSON, OidJSONB:
		if from.Oid == to.Oid || from.Oid == OidJSONB {
			return s, nil
		}
		return parseJSON(to, s)
	case OidName, OidChar:
		return parseString(to, s)
	}
	return applyLength(s, to, explicit)
}

func castToBool(d Datum, from, to T, explicit bool) (Datum, error) {
	switch v := d.(type) {
	case bool:
		return v, nil
	case int64:
		if explicit {
			return v != 0, nil
		}
	}
	return nil, errCannotCast(from, to)
}

func castToInt(d Datum, from, to T, explicit bool) (Datum, error) {
	lo, hi := intRange(to)
	var v int64
	switch x := d.(type) {
	case int64:
		v = x
		if to.Oid == OidOid && x < 0 && x >= math.MinInt32 && from.Oid != OidInt8 {
			v = int64(uint32(int32(x)))
		}
	case bool:
		if !explicit {
			return nil, errCannotCast(from, to)
		}
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case float64:
		r := math.RoundToEven(x)
		if math.IsNaN(r) || r < -(1<<63) || r >= 1<<63 {
			return nil, errIntRange(to)
		}
		v = int64(r)
	case *apd.Decimal:
		var err error
		if v, err = decimalToInt(x, to); err != nil {
			return nil, err
		}
	default:
		return nil, errCannotCast(from, to)
	}
	if v < lo || v > hi {
		return nil, errIntRange(to)
	}
	return v, nil
}

// decimalToInt rounds half away from zero and range-checks for int8.
func decimalToInt(x *apd.Decimal, to T) (int64, error) {
	name := to.String()
	switch x.Form {
	case apd.NaN:
		return 0, pgerror.Newf(pgerror.FeatureNotSupported, "cannot convert NaN to %s", name)
	case apd.Infinite:
		return 0, pgerror.Newf(pgerror.FeatureNotSupported, "cannot convert infinity to %s", name)
	}
	r := rescale(x, 0)
	c := signedCoeff(r)
	if !c.IsInt64() {
		return 0, errIntRange(to)
	}
	return c.Int64(), nil
}

func castToFloat(d Datum, from, to T) (Datum, error) {
	var f float64
	switch x := d.(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	case *apd.Decimal:
		f = decimalToFloat(x)
		if math.IsInf(f, 0) && x.Form == apd.Finite {
			return nil, pgerror.Newf(pgerror.NumericValueOutOfRange,
				"\"%s\" is out of range for type %s", FormatText(x, from), to)
		}
	default:
		return nil, errCannotCast(from, to)
	}
	if to.Oid == OidFloat4 {
		return toFloat4(f)
	}
	return f, nil
}

// floatToNumeric converts like float8_numeric/float4_numeric: through the
// %.15g (float4: %.6g) text form.
func floatToNumeric(f float64, bits int) (*apd.Decimal, error) {
	switch {
	case math.IsNaN(f):
		return &apd.Decimal{Form: apd.NaN}, nil
	case math.IsInf(f, 0):
		return &apd.Decimal{Form: apd.Infinite, Negative: f < 0}, nil
	}
	prec := 15
	if bits == 32 {
		prec = 6
	}
	d, _, err := apd.NewFromString(strconv.FormatFloat(f, 'g', prec, bits))
	if err != nil {
		return nil, pgerror.Wrapf(err, pgerror.InternalError, "float to numeric")
	}
	return canonDec(d), nil
}

func castToNumeric(d Datum, from, to T) (Datum, error) {
	var r *apd.Decimal
	switch x := d.(type) {
	case int64:
		r = apd.New(x, 0)
	case float64:
		bits := 64
		if from.Oid == OidFloat4 {
			bits = 32
		}
		var err error
		if r, err = floatToNumeric(x, bits); err != nil {
			return nil, err
		}
	case *apd.Decimal:
		r = x
	default:
		return nil, errCannotCast(from, to)
	}
	return applyNumericTypmod(r, to)
}

func castToTime(d Datum, from, to T) (Datum, error) {
	v, ok := d.(time.Time)
	if !ok {
		return nil, errCannotCast(from, to)
	}
	if InfSign(v) != 0 {
		return v, nil
	}
	if to.Oid == OidDate {
		y, m, dd := v.UTC().Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC), nil
	}
	return roundTimestamp(v.UTC(), to), nil
}

// IsNumberDatum reports whether d is an int64, float64 or *apd.Decimal.
func IsNumberDatum(d Datum) bool { return isNumberDatum(d) }
