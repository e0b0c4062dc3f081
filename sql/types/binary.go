package types

import (
	"encoding/binary"
	"encoding/hex"

	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/pgerror"
)

// PostgreSQL numeric binary sign words.
const (
	numPos    = 0x0000
	numNeg    = 0x4000
	numNaN    = 0xC000
	numPInf   = 0xD000
	numNInf   = 0xF000
	maxNumLen = 0x7FFF
)

// HasBinary reports whether AppendBinary and DecodeBinary support oid.
func HasBinary(oid Oid) bool {
	switch oid {
	case OidBool, OidBytea, OidInt2, OidInt4, OidInt8, OidOid, OidRegclass, OidRegproc, OidRegprocedure, OidRegnamespace, OidRegrole,
		OidFloat4, OidFloat8, OidNumeric, OidText, OidVarchar, OidBpchar, OidName,
		OidUnknown, OidJSON, OidJSONB, OidChar, OidDate, OidTimestamp,
		OidTimestamptz, OidInterval, OidUUID, OidPgLSN, OidTime:
		return true
	}
	if et, ok := ElemOf(T{oid, -1}); ok && et.Oid != OidRecord {
		return HasBinary(et.Oid)
	}
	return false
}

// AppendBinary appends d (non-nil) in PostgreSQL's binary send format for t
// (without the int32 length prefix of a DataRow field). It fails with 0A000
// for types without binary support (see HasBinary), 22008 for timestamps
// outside PostgreSQL's range and XX000 when d's Go type does not match t.
func AppendBinary(buf []byte, d Datum, t T) ([]byte, error) {
	switch t.Oid {
	case OidBool:
		v, ok := d.(bool)
		if !ok {
			return buf, errDatumType(d, t)
		}
		if v {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case OidInt2, OidInt4, OidInt8, OidOid, OidRegclass, OidRegproc, OidRegprocedure, OidRegnamespace, OidRegrole, OidPgLSN:
		return appendBinaryInt(buf, d, t)
	case OidFloat4, OidFloat8:
		return appendBinaryFloat(buf, d, t)
	case OidNumeric:
		v, ok := d.(*apd.Decimal)
		if !ok {
			return buf, errDatumType(d, t)
		}
		return appendBinaryNumeric(buf, v), nil
	case OidText, OidVarchar, OidBpchar, OidName, OidUnknown, OidJSON, OidChar:
		return appendBinaryString(buf, d, t)
	case OidJSONB:
		return appendBinaryString(append(buf, 1), d, t)
	case OidBytea:
		v, ok := d.([]byte)
		if !ok {
			return appendBinaryString(buf, d, t)
		}
		return append(buf, v...), nil
	case OidDate, OidTimestamp, OidTimestamptz:
		return appendBinaryTime(buf, d, t)
	case OidTime:
		v, ok := d.(int64)
		if !ok {
			return buf, errDatumType(d, t)
		}
		return binary.BigEndian.AppendUint64(buf, uint64(v)), nil
	case OidInterval:
		v, ok := d.(IntervalValue)
		if !ok {
			return buf, errDatumType(d, t)
		}
		buf = binary.BigEndian.AppendUint64(buf, uint64(v.Micros))
		buf = binary.BigEndian.AppendUint32(buf, uint32(v.Days))
		return binary.BigEndian.AppendUint32(buf, uint32(v.Months)), nil
	case OidUUID:
		return appendBinaryUUID(buf, d, t)
	}
	if t.IsArray() {
		a, err := AsArray(d, t)
		if err != nil {
			return buf, err
		}
		return appendArrayBinary(buf, a)
	}
	return buf, pgerror.Newf(pgerror.FeatureNotSupported, "binary output of type %s is not supported", t)
}

func errDatumType(d Datum, t T) error {
	return pgerror.Newf(pgerror.InternalError, "datum of Go type %T is not a valid %s", d, t)
}

func appendBinaryInt(buf []byte, d Datum, t T) ([]byte, error) {
	v, ok := d.(int64)
	if r, isReg := d.(RegName); isReg {
		v, ok = r.OID, true
	}
	if !ok {
		return buf, errDatumType(d, t)
	}
	switch t.Oid {
	case OidInt2:
		return binary.BigEndian.AppendUint16(buf, uint16(v)), nil
	case OidInt4, OidOid, OidRegclass, OidRegproc, OidRegprocedure, OidRegnamespace, OidRegrole:
		return binary.BigEndian.AppendUint32(buf, uint32(v)), nil
	}
	return binary.BigEndian.AppendUint64(buf, uint64(v)), nil
}

func appendBinaryFloat(buf []byte, d Datum, t T) ([]byte, error) {
	v, ok := d.(float64)
	if !ok {
		return buf, errDatumType(d, t)
	}
	if t.Oid == OidFloat4 {
		return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(v))), nil
	}
	return binary.BigEndian.AppendUint64(buf, math.Float64bits(v)), nil
}

func appendBinaryString(buf []byte, d Datum, t T) ([]byte, error) {
	switch v := d.(type) {
	case string:
		return append(buf, v...), nil
	case []byte:
		return append(buf, v...), nil
	}
	return buf, errDatumType(d, t)
}

func appendBinaryNumeric(buf []byte, d *apd.Decimal) []byte {
	var sign uint16
	var weight int
	var digits []int16
	var dscale int32
	switch {
	case d.Form == apd.NaN:
		sign = numNaN
	case d.Form == apd.Infinite && d.Negative:
		sign = numNInf
	case d.Form == apd.Infinite:
		sign = numPInf
	default:
		weight, digits = pgNumDigits(d)
		dscale = decScale(d)
		if d.Negative && len(digits) > 0 {
			sign = numNeg
		}
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(digits)))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(dscale))
	for _, g := range digits {
		buf = binary.BigEndian.AppendUint16(buf, uint16(g))
	}
	return buf
}

func appendBinaryTime(buf []byte, d Datum, t T) ([]byte, error) {
	v, ok := d.(time.Time)
	if !ok {
		return buf, errDatumType(d, t)
	}
	if s := InfSign(v); s != 0 {
		// PostgreSQL's DATEVAL_NOBEGIN/NOEND and DT_NOBEGIN/NOEND
		days, us := int32(math.MaxInt32), int64(math.MaxInt64)
		if s < 0 {
			days, us = math.MinInt32, math.MinInt64
		}
		if t.Oid == OidDate {
			return binary.BigEndian.AppendUint32(buf, uint32(days)), nil
		}
		return binary.BigEndian.AppendUint64(buf, uint64(us)), nil
	}
	if t.Oid == OidDate {
		days := dateDays(v)
		if days > math.MaxInt32 || days < math.MinInt32 {
			return buf, pgerror.New(pgerror.DatetimeFieldOverflow, "date out of range")
		}
		return binary.BigEndian.AppendUint32(buf, uint32(int32(days))), nil
	}
	us, ok := micros(v)
	if !ok {
		return buf, errTimestampRange()
	}
	return binary.BigEndian.AppendUint64(buf, uint64(us)), nil
}

func appendBinaryUUID(buf []byte, d Datum, t T) ([]byte, error) {
	s, ok := d.(string)
	if !ok {
		return buf, errDatumType(d, t)
	}
	raw, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(raw) != 16 {
		return buf, errDatumType(d, t)
	}
	return append(buf, raw...), nil
}

// DecodeBinary decodes b, a value in PostgreSQL's binary format for t (a
// Bind parameter or COPY BINARY field, without its length prefix). Bad
// lengths or contents fail with 22P03; typmods are not applied (use Cast).
// It never panics on any input and does not retain b.
func DecodeBinary(t T, b []byte) (Datum, error) {
	switch t.Oid {
	case OidBool:
		if len(b) != 1 {
			return nil, errBinaryLen(t, len(b))
		}
		return b[0] != 0, nil
	case OidInt2, OidInt4, OidInt8, OidOid, OidRegclass, OidRegproc, OidRegprocedure, OidRegnamespace, OidRegrole, OidPgLSN:
		return decodeBinaryInt(t, b)
	case OidFloat4, OidFloat8:
		return decodeBinaryFloat(t, b)
	case OidNumeric:
		return decodeBinaryNumeric(t, b)
	case OidText, OidVarchar, OidBpchar, OidName, OidUnknown, OidChar:
		if !utf8.Valid(b) {
			return nil, errBinary(t, "invalid byte sequence for encoding \"UTF8\"")
		}
		return string(b), nil
	case OidJSON:
		return parseJSON(t, string(b))
	case OidJSONB:
		if len(b) < 1 || b[0] != 1 {
			return nil, errBinary(t, "unsupported jsonb version number")
		}
		return parseJSON(t, string(b[1:]))
	case OidBytea:
		return append([]byte(nil), b...), nil
	case OidDate, OidTimestamp, OidTimestamptz:
		return decodeBinaryTime(t, b)
	case OidTime:
		if len(b) != 8 {
			return nil, errBinaryLen(t, len(b))
		}
		us := int64(binary.BigEndian.Uint64(b))
		if us < 0 || us > usecsPerDay {
			return nil, pgerror.New(pgerror.DatetimeFieldOverflow, "time out of range")
		}
		return roundTimeOfDay(us, t), nil
	case OidInterval:
		if len(b) != 16 {
			return nil, errBinaryLen(t, len(b))
		}
		return IntervalValue{
			Micros: int64(binary.BigEndian.Uint64(b)),
			Days:   int32(binary.BigEndian.Uint32(b[8:])),
			Months: int32(binary.BigEndian.Uint32(b[12:])),
		}, nil
	case OidUUID:
		if len(b) != 16 {
			return nil, errBinaryLen(t, len(b))
		}
		return formatUUID(b), nil
	}
	if t.IsArray() {
		return decodeArrayBinary(t, b)
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "binary input of type %s is not supported", t)
}

func errBinaryLen(t T, n int) error {
	return errBinary(t, "incorrect binary data format: %d bytes for type %s", n, t)
}

func decodeBinaryInt(t T, b []byte) (Datum, error) {
	switch {
	case t.Oid == OidInt2 && len(b) == 2:
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	case t.Oid == OidInt4 && len(b) == 4:
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	case (t.Oid == OidOid || t.Oid == OidRegclass || t.Oid == OidRegproc || t.Oid == OidRegprocedure ||
		t.Oid == OidRegnamespace || t.Oid == OidRegrole) && len(b) == 4:
		return int64(binary.BigEndian.Uint32(b)), nil
	case (t.Oid == OidInt8 || t.Oid == OidPgLSN) && len(b) == 8:
		return int64(binary.BigEndian.Uint64(b)), nil
	}
	return nil, errBinaryLen(t, len(b))
}

func decodeBinaryFloat(t T, b []byte) (Datum, error) {
	switch {
	case t.Oid == OidFloat4 && len(b) == 4:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	case t.Oid == OidFloat8 && len(b) == 8:
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	}
	return nil, errBinaryLen(t, len(b))
}

func decodeBinaryNumeric(t T, b []byte) (Datum, error) {
	if len(b) < 8 {
		return nil, errBinaryLen(t, len(b))
	}
	n := int(binary.BigEndian.Uint16(b))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := binary.BigEndian.Uint16(b[6:])
	if n > maxNumLen || len(b) != 8+2*n {
		return nil, errBinary(t, "invalid length in external \"numeric\" value")
	}
	switch sign {
	case numNaN:
		return &apd.Decimal{Form: apd.NaN}, nil
	case numPInf:
		return &apd.Decimal{Form: apd.Infinite}, nil
	case numNInf:
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, nil
	case numPos, numNeg:
	default:
		return nil, errBinary(t, "invalid sign in external \"numeric\" value")
	}
	if dscale > maxNumericDScale {
		return nil, errBinary(t, "invalid scale in external \"numeric\" value")
	}
	digits := make([]int16, n)
	for i := range digits {
		g := binary.BigEndian.Uint16(b[8+2*i:])
		if g >= 10000 {
			return nil, errBinary(t, "invalid digit in external \"numeric\" value")
		}
		digits[i] = int16(g)
	}
	d := decFromPGDigits(weight, digits, sign == numNeg, int32(dscale))
	if t.Mod >= 0 {
		return applyNumericTypmod(d, t)
	}
	return d, nil
}

func decodeBinaryTime(t T, b []byte) (Datum, error) {
	if t.Oid == OidDate {
		if len(b) != 4 {
			return nil, errBinaryLen(t, len(b))
		}
		days := int32(binary.BigEndian.Uint32(b))
		switch days {
		case math.MaxInt32:
			return InfinityTime, nil
		case math.MinInt32:
			return NegInfinityTime, nil
		}
		return fromDateDays(int64(days)), nil
	}
	if len(b) != 8 {
		return nil, errBinaryLen(t, len(b))
	}
	us := int64(binary.BigEndian.Uint64(b))
	switch us {
	case math.MaxInt64:
		return InfinityTime, nil
	case math.MinInt64:
		return NegInfinityTime, nil
	}
	return fromMicros(us), nil
}
