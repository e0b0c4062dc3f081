package rowenc

import (
	"encoding/binary"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/types"
)

// Key tags. NULL sorts first; tags of non-null values are chosen so that
// special values (NaN, ±Infinity) sort as PostgreSQL orders them.
const (
	tagNull  = 0x00
	tagValue = 0x01 // every finite value except numerics
	tagNaN   = 0x02 // float NaN, after every float

	tagNumNegInf = 0x01
	tagNumNeg    = 0x02
	tagNumZero   = 0x03
	tagNumPos    = 0x04
	tagNumPosInf = 0x05
	tagNumNaN    = 0x06

	escByte  = 0x00 // string escape
	escNul   = 0xFF // 0x00 0xFF encodes a 0x00 byte
	escTerm  = 0x01 // 0x00 0x01 terminates a string
	numTerm  = 0x00 // terminates numeric digit pairs (0xFF when negative)
	signFlip = 1 << 63

	// maxKeyNumExp bounds decoded numeric exponents so corrupt keys cannot
	// make the decoder build astronomically large coefficients.
	maxKeyNumExp = 1 << 18
)

// AppendKey appends the order-preserving encoding of d (nil = NULL) as type
// t to buf and returns the extended slice: for values a, b of type t,
// bytes.Compare(AppendKey(nil, a, t), AppendKey(nil, b, t)) ==
// types.Compare(a, b), with NULL first. Encodings are self-delimiting, so a
// composite key is the concatenation of its columns' encodings. Values that
// compare equal encode identically (1.5 and 1.50, -0 and 0, '1 mon' and
// '30 days'). It panics if d's Go type cannot represent t (a caller bug).
func AppendKey(buf []byte, d types.Datum, t types.T) []byte {
	if d == nil {
		return append(buf, tagNull)
	}
	if r, ok := d.(*types.Record); ok {
		return appendKeyRecord(append(buf, tagValue), r)
	}
	d, k := coerce(d, t)
	switch k {
	case kindBool:
		if d.(bool) {
			return append(buf, tagValue, 1)
		}
		return append(buf, tagValue, 0)
	case kindInt:
		return binary.BigEndian.AppendUint64(append(buf, tagValue), uint64(d.(int64))^signFlip)
	case kindFloat:
		return appendKeyFloat(buf, d.(float64))
	case kindNumeric:
		return appendKeyNumeric(buf, d.(*apd.Decimal))
	case kindString:
		return appendKeyBytes(append(buf, tagValue), d.(string))
	case kindBytes:
		return appendKeyBytes(append(buf, tagValue), string(d.([]byte)))
	case kindTime:
		ts := d.(time.Time)
		buf = binary.BigEndian.AppendUint64(append(buf, tagValue), uint64(ts.Unix())^signFlip)
		return binary.BigEndian.AppendUint32(buf, uint32(ts.Nanosecond()))
	case kindInterval:
		days, us := intervalSpan(d.(types.IntervalValue))
		buf = binary.BigEndian.AppendUint64(append(buf, tagValue), uint64(days)^signFlip)
		return binary.BigEndian.AppendUint64(buf, uint64(us))
	case kindArray:
		return appendKeyArray(append(buf, tagValue), d.(*types.Array))
	}
	panic("rowenc: unreachable key kind")
}

func appendKeyFloat(buf []byte, f float64) []byte {
	if math.IsNaN(f) {
		return append(buf, tagNaN)
	}
	if f == 0 {
		f = 0 // -0 encodes as 0
	}
	b := math.Float64bits(f)
	if b&signFlip != 0 {
		b = ^b
	} else {
		b |= signFlip
	}
	return binary.BigEndian.AppendUint64(append(buf, tagValue), b)
}

// appendKeyBytes writes s with 0x00 escaped as 0x00 0xFF and terminated by
// 0x00 0x01, so shorter prefixes sort first.
func appendKeyBytes(buf []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, escByte)
		if i < 0 {
			break
		}
		buf = append(buf, s[:i]...)
		buf = append(buf, escByte, escNul)
		s = s[i+1:]
	}
	buf = append(buf, s...)
	return append(buf, escByte, escTerm)
}

// appendKeyNumeric writes a tag by sign class; finite non-zero values add
// the decimal exponent E (value = 0.d1d2… × 10^E) as a sign-flipped int32
// and the significant digits packed two per byte (1 + 10·d1 + d2), then a
// 0x00 terminator; negative values complement those bytes.
func appendKeyNumeric(buf []byte, d *apd.Decimal) []byte {
	switch {
	case d.Form == apd.NaN:
		return append(buf, tagNumNaN)
	case d.Form == apd.Infinite && d.Negative:
		return append(buf, tagNumNegInf)
	case d.Form == apd.Infinite:
		return append(buf, tagNumPosInf)
	case d.Coeff.Sign() == 0:
		return append(buf, tagNumZero)
	}
	coeff := d.Coeff.String()
	digits := strings.TrimRight(coeff, "0")
	e := int64(len(coeff)) + int64(d.Exponent)
	tag := byte(tagNumPos)
	if d.Negative {
		tag = tagNumNeg
	}
	buf = append(buf, tag)
	start := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, uint32(int32(e))^(1<<31))
	for i := 0; i < len(digits); i += 2 {
		p := (digits[i] - '0') * 10
		if i+1 < len(digits) {
			p += digits[i+1] - '0'
		}
		buf = append(buf, 1+p)
	}
	buf = append(buf, numTerm)
	if d.Negative {
		for i := start; i < len(buf); i++ {
			buf[i] = ^buf[i]
		}
	}
	return buf
}

// intervalSpan mirrors types' interval comparison: total days (a month is
// 30 days) and microseconds within the day in [0, 86400e6).
func intervalSpan(iv types.IntervalValue) (days, us int64) {
	const usecsPerDay = 86_400_000_000
	days = int64(iv.Months)*30 + int64(iv.Days)
	d, r := iv.Micros/usecsPerDay, iv.Micros%usecsPerDay
	if r < 0 {
		r += usecsPerDay
		d--
	}
	return days + d, r
}

// DecodeKey decodes one datum of type t from the front of buf and returns
// it with the remaining bytes. Numerics, floats and intervals come back in
// the canonical form of their equality class (1.50 -> 1.5, -0 -> 0, an
// interval as months/days/micros with days < 30 and 0 <= micros < 1 day);
// read the row value when the exact form matters. rest is a subslice of
// buf; decoded strings and byte slices are copies. Errors wrap ErrCorrupt
// (XX001) or ErrUnsupportedType; it never panics on any input.
func DecodeKey(buf []byte, t types.T) (d types.Datum, rest []byte, err error) {
	k := kindOf(t)
	if k == kindUnsupported {
		return nil, buf, unsupported(t)
	}
	if len(buf) == 0 {
		return nil, buf, corrupt("empty key")
	}
	if buf[0] == tagNull {
		return nil, buf[1:], nil
	}
	if k == kindNumeric {
		return decodeKeyNumeric(buf)
	}
	if k == kindFloat && buf[0] == tagNaN {
		return math.NaN(), buf[1:], nil
	}
	if buf[0] != tagValue {
		return nil, buf, corrupt("bad key tag 0x%02x for %s", buf[0], t)
	}
	if k == kindArray {
		return decodeKeyArray(buf[1:], t)
	}
	return decodeKeyValue(buf[1:], k, t)
}

// fixedKeyLen is the body length of fixed-size key kinds.
var fixedKeyLen = map[kind]int{kindBool: 1, kindInt: 8, kindFloat: 8, kindTime: 12, kindInterval: 16}

func decodeKeyValue(b []byte, k kind, t types.T) (types.Datum, []byte, error) {
	if n, ok := fixedKeyLen[k]; ok && len(b) < n {
		return nil, b, corrupt("short %s key: %d bytes", t, len(b))
	}
	switch k {
	case kindBool:
		if b[0] > 1 {
			return nil, b, corrupt("bad bool key byte 0x%02x", b[0])
		}
		return b[0] == 1, b[1:], nil
	case kindInt:
		return int64(binary.BigEndian.Uint64(b) ^ signFlip), b[8:], nil
	case kindFloat:
		u := binary.BigEndian.Uint64(b)
		if u&signFlip != 0 {
			u &^= signFlip
		} else {
			u = ^u
		}
		return math.Float64frombits(u), b[8:], nil
	case kindTime:
		secs := int64(binary.BigEndian.Uint64(b) ^ signFlip)
		ns := binary.BigEndian.Uint32(b[8:])
		if ns >= 1e9 {
			return nil, b, corrupt("bad nanoseconds %d in time key", ns)
		}
		return time.Unix(secs, int64(ns)).UTC(), b[12:], nil
	case kindInterval:
		return decodeKeyInterval(b)
	}
	s, rest, err := decodeKeyBytes(b)
	if err != nil {
		return nil, b, err
	}
	if k == kindBytes {
		return s, rest, nil
	}
	return string(s), rest, nil
}

func decodeKeyInterval(b []byte) (types.Datum, []byte, error) {
	days := int64(binary.BigEndian.Uint64(b) ^ signFlip)
	us := int64(binary.BigEndian.Uint64(b[8:]))
	months := days / 30
	if days%30 < 0 {
		months--
	}
	if us < 0 || us >= 86_400_000_000 || months != int64(int32(months)) {
		return nil, b, corrupt("bad interval key")
	}
	return types.IntervalValue{Months: int32(months), Days: int32(days - months*30), Micros: us}, b[16:], nil
}

// decodeKeyBytes undoes appendKeyBytes; the result is a fresh slice.
func decodeKeyBytes(b []byte) ([]byte, []byte, error) {
	var out []byte
	for i := 0; ; {
		j := indexByte(b[i:], escByte)
		if j < 0 || i+j+1 >= len(b) {
			return nil, b, corrupt("unterminated string key")
		}
		out = append(out, b[i:i+j]...)
		i += j
		switch b[i+1] {
		case escTerm:
			if out == nil {
				out = []byte{}
			}
			return out, b[i+2:], nil
		case escNul:
			out = append(out, 0)
			i += 2
		default:
			return nil, b, corrupt("bad escape 0x%02x in string key", b[i+1])
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func decodeKeyNumeric(buf []byte) (types.Datum, []byte, error) {
	switch buf[0] {
	case tagNumNaN:
		return &apd.Decimal{Form: apd.NaN}, buf[1:], nil
	case tagNumNegInf:
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, buf[1:], nil
	case tagNumPosInf:
		return &apd.Decimal{Form: apd.Infinite}, buf[1:], nil
	case tagNumZero:
		return apd.New(0, 0), buf[1:], nil
	case tagNumPos, tagNumNeg:
	default:
		return nil, buf, corrupt("bad numeric key tag 0x%02x", buf[0])
	}
	neg := buf[0] == tagNumNeg
	b := buf[1:]
	flip := func(c byte) byte {
		if neg {
			return ^c
		}
		return c
	}
	if len(b) < 5 {
		return nil, buf, corrupt("short numeric key")
	}
	var eb [4]byte
	for i := range eb {
		eb[i] = flip(b[i])
	}
	e := int64(int32(binary.BigEndian.Uint32(eb[:]) ^ (1 << 31)))
	var digits []byte
	i := 4
	for ; i < len(b) && flip(b[i]) != numTerm; i++ {
		p := flip(b[i]) - 1
		if p > 99 {
			return nil, buf, corrupt("bad numeric key digit byte 0x%02x", b[i])
		}
		digits = append(digits, '0'+p/10, '0'+p%10)
	}
	if i == len(b) || len(digits) == 0 {
		return nil, buf, corrupt("unterminated numeric key")
	}
	if digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	if digits[0] == '0' || digits[len(digits)-1] == '0' || e > maxKeyNumExp || e < -maxKeyNumExp {
		return nil, buf, corrupt("non-canonical numeric key")
	}
	return numericFromDigits(string(digits), e, neg), b[i+1:], nil
}

// numericFromDigits builds 0.digits × 10^e with a non-positive exponent.
func numericFromDigits(digits string, e int64, neg bool) *apd.Decimal {
	c, _ := new(big.Int).SetString(digits, 10)
	exp := e - int64(len(digits))
	if exp > 0 {
		c.Mul(c, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp), nil))
		exp = 0
	}
	d := new(apd.Decimal)
	d.Coeff.SetMathBigInt(c)
	d.Exponent = int32(exp)
	d.Negative = neg
	return d
}

// Array keys: each element as 0x01 and its key, or 0x02 for NULL (NULL
// elements sort after values, as btarraycmp), then 0x00; then the number of
// dimensions and each dimension's length and lower bound. A prefix sorts
// first, so the order is PostgreSQL's: elements, then their count, then
// the dimensions.
const (
	arrElem = 0x01
	arrNull = 0x02
	arrEnd  = 0x00
)

func appendKeyArray(buf []byte, a *types.Array) []byte {
	for _, e := range a.Elems {
		if e == nil {
			buf = append(buf, arrNull)
			continue
		}
		buf = AppendKey(append(buf, arrElem), e, a.Elem)
	}
	buf = append(buf, arrEnd, byte(len(a.Dims)))
	for i := range a.Dims {
		buf = binary.BigEndian.AppendUint32(buf, uint32(a.Dims[i]))
		buf = binary.BigEndian.AppendUint32(buf, uint32(int32(a.Lower[i]))^(1<<31))
	}
	return buf
}

func decodeKeyArray(b []byte, t types.T) (types.Datum, []byte, error) {
	et, _ := types.ElemOf(t)
	a := &types.Array{Elem: types.T{Oid: et.Oid, Mod: -1}}
	for {
		if len(b) == 0 {
			return nil, b, corrupt("short array key")
		}
		switch b[0] {
		case arrEnd:
			b = b[1:]
			if len(b) == 0 || int(b[0])*8 > len(b)-1 || b[0] > 6 {
				return nil, b, corrupt("bad array key dimensions")
			}
			nd := int(b[0])
			b = b[1:]
			n := 1
			for range nd {
				d := int(binary.BigEndian.Uint32(b))
				l := int(int32(binary.BigEndian.Uint32(b[4:]) ^ (1 << 31)))
				a.Dims, a.Lower = append(a.Dims, d), append(a.Lower, l)
				n *= d
				b = b[8:]
			}
			if nd == 0 {
				n = 0
			}
			if n != len(a.Elems) {
				return nil, b, corrupt("array key has %d elements for dimensions %v", len(a.Elems), a.Dims)
			}
			return a, b, nil
		case arrNull:
			a.Elems = append(a.Elems, nil)
			b = b[1:]
		case arrElem:
			d, rest, err := DecodeKey(b[1:], a.Elem)
			if err != nil {
				return nil, b, err
			}
			a.Elems = append(a.Elems, d)
			b = rest
		default:
			return nil, b, corrupt("bad array key element tag 0x%02x", b[0])
		}
	}
}

// A record value (a row constructor's, never stored) keys as its fields in
// order, each a recField mark and its key or recNull, then recEnd: NULL
// fields after values and a prefix first, as types.Compare orders records.
// Such a key is not decodable (DecodeKey: unsupported type record).
const (
	recEnd   = 0x00
	recField = 0x01
	recNull  = 0x02
)

func appendKeyRecord(buf []byte, r *types.Record) []byte {
	for i, v := range r.Vals {
		if v == nil {
			buf = append(buf, recNull)
			continue
		}
		buf = AppendKey(append(buf, recField), v, r.Typs[i])
	}
	return append(buf, recEnd)
}
