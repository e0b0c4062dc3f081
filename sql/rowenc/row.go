package rowenc

import (
	"encoding/binary"
	"math"
	"math/big"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/types"
)

const (
	rowVersion = 1

	numFinitePos = 0
	numFiniteNeg = 1
	numNaN       = 2
	numPosInf    = 3
	numNegInf    = 4

	// maxRowNumExp bounds numeric exponents accepted from disk.
	maxRowNumExp = 1 << 20
)

// EncodeRow appends the value encoding of row (column i has type typs[i];
// nil datums are NULL) to buf and returns the extended slice. The layout is
// documented in doc.go. It panics if len(row) != len(typs) or a datum's Go
// type cannot represent its column type (caller bugs).
func EncodeRow(buf []byte, row []types.Datum, typs []types.T) []byte {
	if len(row) != len(typs) {
		panic("rowenc: EncodeRow: row and types differ in length")
	}
	buf = append(buf, rowVersion)
	buf = binary.AppendUvarint(buf, uint64(len(row)))
	bitmap := len(buf)
	buf = append(buf, make([]byte, (len(row)+7)/8)...)
	for i, d := range row {
		if d == nil {
			buf[bitmap+i/8] |= 1 << (i % 8)
			continue
		}
		buf = appendValue(buf, d, typs[i])
	}
	return buf
}

func appendValue(buf []byte, d types.Datum, t types.T) []byte {
	d, k := coerce(d, t)
	switch k {
	case kindBool:
		if d.(bool) {
			return append(buf, 1)
		}
		return append(buf, 0)
	case kindInt:
		return binary.AppendVarint(buf, d.(int64))
	case kindFloat:
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(d.(float64)))
	case kindNumeric:
		return appendValueNumeric(buf, d.(*apd.Decimal))
	case kindString:
		s := d.(string)
		return append(binary.AppendUvarint(buf, uint64(len(s))), s...)
	case kindBytes:
		b := d.([]byte)
		return append(binary.AppendUvarint(buf, uint64(len(b))), b...)
	case kindTime:
		ts := d.(time.Time)
		return binary.AppendUvarint(binary.AppendVarint(buf, ts.Unix()), uint64(ts.Nanosecond()))
	case kindInterval:
		iv := d.(types.IntervalValue)
		buf = binary.AppendVarint(buf, int64(iv.Months))
		buf = binary.AppendVarint(buf, int64(iv.Days))
		return binary.AppendVarint(buf, iv.Micros)
	case kindArray:
		// PostgreSQL's binary array format (array_send), length-prefixed
		b, err := types.AppendBinary(nil, d, t)
		if err != nil {
			panic("rowenc: " + err.Error())
		}
		return append(binary.AppendUvarint(buf, uint64(len(b))), b...)
	}
	panic("rowenc: unreachable value kind")
}

// appendValueNumeric keeps the exact value and scale: form byte, then for
// finite values the exponent (varint) and the coefficient magnitude
// (uvarint length + big-endian bytes).
func appendValueNumeric(buf []byte, d *apd.Decimal) []byte {
	switch {
	case d.Form == apd.NaN:
		return append(buf, numNaN)
	case d.Form == apd.Infinite && d.Negative:
		return append(buf, numNegInf)
	case d.Form == apd.Infinite:
		return append(buf, numPosInf)
	case d.Negative && d.Coeff.Sign() != 0:
		buf = append(buf, numFiniteNeg)
	default:
		buf = append(buf, numFinitePos)
	}
	buf = binary.AppendVarint(buf, int64(d.Exponent))
	c := d.Coeff.MathBigInt().Bytes()
	return append(binary.AppendUvarint(buf, uint64(len(c))), c...)
}

// DecodeRow decodes a row encoded by EncodeRow with column types typs. Rows
// written with fewer columns (before ALTER TABLE ADD COLUMN) decode with
// the missing trailing columns NULL; rows with more columns than typs are
// corrupt. Strings and byte slices are copied (buf is not retained).
// Errors wrap ErrCorrupt (XX001); it never panics on any input.
func DecodeRow(buf []byte, typs []types.T) ([]types.Datum, error) {
	row := make([]types.Datum, len(typs))
	if err := DecodeRowInto(buf, typs, row, nil); err != nil {
		return nil, err
	}
	return row, nil
}

// DecodeRowInto decodes into row (len(row) == len(typs)) the columns i of
// the row in buf with want[i] (every column when want is nil): row[i] is
// set to the value, or nil for NULL and for a column the row was written
// without; the other columns of row are left as they were. The columns
// not wanted are stepped over without being converted (nothing is
// allocated for them), and those after the last wanted one are not read,
// so a corrupt value in one of them is not reported: decoding that column
// later reports it. Errors wrap ErrCorrupt; it never
// panics on any input.
func DecodeRowInto(buf []byte, typs []types.T, row []types.Datum, want []bool) error {
	if len(row) != len(typs) || want != nil && len(want) != len(typs) {
		panic("rowenc: DecodeRowInto: row, want and types differ in length")
	}
	if len(buf) == 0 || buf[0] != rowVersion {
		return corrupt("bad row version")
	}
	n, w := binary.Uvarint(buf[1:])
	if w <= 0 || n > uint64(len(typs)) {
		return corrupt("row has %d columns, table has %d", n, len(typs))
	}
	off := 1 + w
	nb := int((n + 7) / 8)
	if len(buf)-off < nb {
		return errCorruptAt("short null bitmap", off)
	}
	bitmap := buf[off : off+nb]
	d := decoder{buf: buf, off: off + nb}
	// The stored values after the last wanted one are not read at all.
	last := len(typs) - 1
	if want != nil {
		for last >= 0 && !want[last] {
			last--
		}
	}
	for i := 0; i <= last; i++ {
		wanted := want == nil || want[i]
		if i >= int(n) || bitmap[i/8]&(1<<(i%8)) != 0 {
			if wanted {
				row[i] = nil
			}
			continue
		}
		if !wanted {
			if err := d.skip(typs[i]); err != nil {
				return err
			}
			continue
		}
		v, err := d.value(typs[i])
		if err != nil {
			return err
		}
		row[i] = v
	}
	if last == len(typs)-1 && d.off != len(buf) {
		return errCorruptAt("trailing bytes in row", d.off)
	}
	return nil
}

// skip steps over one value of type t without converting it.
func (d *decoder) skip(t types.T) error {
	var err error
	switch kindOf(t) {
	case kindBool:
		_, err = d.bytes(1)
	case kindInt:
		// a varint: bytes with the high bit set, then one without
		for i, b := range d.buf[d.off:min(len(d.buf), d.off+binary.MaxVarintLen64)] {
			if b < 0x80 {
				d.off += i + 1
				return nil
			}
		}
		return errCorruptAt("bad varint", d.off)
	case kindFloat:
		_, err = d.bytes(8)
	case kindNumeric:
		var f []byte
		if f, err = d.bytes(1); err == nil && (f[0] == numFinitePos || f[0] == numFiniteNeg) {
			if _, err = d.varint(); err == nil {
				_, err = d.lenBytes()
			}
		}
	case kindString, kindBytes, kindArray:
		_, err = d.lenBytes()
	case kindTime:
		if _, err = d.varint(); err == nil {
			_, err = d.uvarint()
		}
	case kindInterval:
		for i := 0; i < 3 && err == nil; i++ {
			_, err = d.varint()
		}
	default:
		return unsupported(t)
	}
	return err
}

// decoder reads values from buf at off.
type decoder struct {
	buf []byte
	off int
}

func (d *decoder) varint() (int64, error) {
	v, w := binary.Varint(d.buf[d.off:])
	if w <= 0 {
		return 0, errCorruptAt("bad varint", d.off)
	}
	d.off += w
	return v, nil
}

func (d *decoder) uvarint() (uint64, error) {
	v, w := binary.Uvarint(d.buf[d.off:])
	if w <= 0 {
		return 0, errCorruptAt("bad uvarint", d.off)
	}
	d.off += w
	return v, nil
}

func (d *decoder) bytes(n int) ([]byte, error) {
	if n < 0 || len(d.buf)-d.off < n {
		return nil, errCorruptAt("short value", d.off)
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b, nil
}

// lenBytes reads a uvarint length and that many bytes.
func (d *decoder) lenBytes() ([]byte, error) {
	n, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(d.buf)-d.off) {
		return nil, errCorruptAt("value length past end of row", d.off)
	}
	return d.bytes(int(n))
}

func (d *decoder) value(t types.T) (types.Datum, error) {
	switch kindOf(t) {
	case kindBool:
		b, err := d.bytes(1)
		if err != nil {
			return nil, err
		}
		return b[0] != 0, nil
	case kindInt:
		return d.varint()
	case kindFloat:
		b, err := d.bytes(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case kindNumeric:
		return d.numeric()
	case kindString:
		b, err := d.lenBytes()
		if err != nil {
			return nil, err
		}
		return string(b), nil
	case kindBytes:
		b, err := d.lenBytes()
		if err != nil {
			return nil, err
		}
		return append([]byte{}, b...), nil
	case kindTime:
		return d.time()
	case kindInterval:
		return d.interval()
	case kindArray:
		b, err := d.lenBytes()
		if err != nil {
			return nil, err
		}
		v, err := types.DecodeBinary(t, b)
		if err != nil {
			return nil, errCorruptAt("bad array: "+err.Error(), d.off)
		}
		return v, nil
	}
	return nil, unsupported(t)
}

func (d *decoder) numeric() (types.Datum, error) {
	f, err := d.bytes(1)
	if err != nil {
		return nil, err
	}
	switch f[0] {
	case numNaN:
		return &apd.Decimal{Form: apd.NaN}, nil
	case numPosInf:
		return &apd.Decimal{Form: apd.Infinite}, nil
	case numNegInf:
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, nil
	case numFinitePos, numFiniteNeg:
	default:
		return nil, errCorruptAt("bad numeric form", d.off-1)
	}
	e, err := d.varint()
	if err != nil {
		return nil, err
	}
	if e > maxRowNumExp || e < -maxRowNumExp {
		return nil, errCorruptAt("numeric exponent out of range", d.off)
	}
	c, err := d.lenBytes()
	if err != nil {
		return nil, err
	}
	v := new(apd.Decimal)
	v.Coeff.SetMathBigInt(new(big.Int).SetBytes(c))
	v.Exponent = int32(e)
	v.Negative = f[0] == numFiniteNeg && v.Coeff.Sign() != 0
	return v, nil
}

func (d *decoder) time() (types.Datum, error) {
	secs, err := d.varint()
	if err != nil {
		return nil, err
	}
	ns, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if ns >= 1e9 {
		return nil, errCorruptAt("bad nanoseconds", d.off)
	}
	return time.Unix(secs, int64(ns)).UTC(), nil
}

func (d *decoder) interval() (types.Datum, error) {
	var v [3]int64
	for i := range v {
		x, err := d.varint()
		if err != nil {
			return nil, err
		}
		v[i] = x
	}
	if v[0] != int64(int32(v[0])) || v[1] != int64(int32(v[1])) {
		return nil, errCorruptAt("interval field out of range", d.off)
	}
	return types.IntervalValue{Months: int32(v[0]), Days: int32(v[1]), Micros: v[2]}, nil
}
