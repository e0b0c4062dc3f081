package spill

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/types"
)

// Datum tags of the row encoding.
const (
	tagNull byte = iota
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagString
	tagBytes
	tagDecimal
	tagTime
	tagInterval
)

// EncodeRow appends row to buf: uvarint column count, then per datum a tag
// and its body (varint int64, 8-byte float bits, uvarint-length strings,
// bytes and decimals (apd's text form), time.MarshalBinary, interval as
// three varints). It fails on a Go type that is not a Datum.
func EncodeRow(buf []byte, row []types.Datum) ([]byte, error) {
	buf = binary.AppendUvarint(buf, uint64(len(row)))
	for _, d := range row {
		switch v := d.(type) {
		case nil:
			buf = append(buf, tagNull)
		case bool:
			if v {
				buf = append(buf, tagTrue)
			} else {
				buf = append(buf, tagFalse)
			}
		case int64:
			buf = binary.AppendVarint(append(buf, tagInt), v)
		case float64:
			buf = binary.BigEndian.AppendUint64(append(buf, tagFloat), math.Float64bits(v))
		case string:
			buf = appendLen(append(buf, tagString), v)
		case []byte:
			buf = appendLen(append(buf, tagBytes), string(v))
		case *apd.Decimal:
			buf = appendLen(append(buf, tagDecimal), v.String())
		case time.Time:
			b, err := v.MarshalBinary()
			if err != nil {
				return nil, fmt.Errorf("spill: encode time: %w", err)
			}
			buf = appendLen(append(buf, tagTime), string(b))
		case types.IntervalValue:
			buf = append(buf, tagInterval)
			buf = binary.AppendVarint(buf, int64(v.Months))
			buf = binary.AppendVarint(buf, int64(v.Days))
			buf = binary.AppendVarint(buf, v.Micros)
		default:
			return nil, fmt.Errorf("spill: cannot encode a datum of Go type %T", d)
		}
	}
	return buf, nil
}

func appendLen(buf []byte, s string) []byte {
	return append(binary.AppendUvarint(buf, uint64(len(s))), s...)
}

// DecodeRow decodes one row written by EncodeRow; it never panics.
func DecodeRow(b []byte) ([]types.Datum, error) {
	d := decoder{b: b}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(b)) {
		return nil, errCorrupt
	}
	row := make([]types.Datum, n)
	for i := range row {
		row[i] = d.datum()
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errCorrupt
	}
	return row, nil
}

var errCorrupt = fmt.Errorf("spill: corrupt temporary file")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) datum() types.Datum {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return nil
	}
	tag := d.b[0]
	d.b = d.b[1:]
	switch tag {
	case tagNull:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return d.varint()
	case tagFloat:
		if len(d.b) < 8 {
			d.err = errCorrupt
			return nil
		}
		v := math.Float64frombits(binary.BigEndian.Uint64(d.b))
		d.b = d.b[8:]
		return v
	case tagString:
		return string(d.bytes())
	case tagBytes:
		return append([]byte{}, d.bytes()...)
	case tagDecimal:
		v, _, err := apd.NewFromString(string(d.bytes()))
		if err != nil && d.err == nil {
			d.err = errCorrupt
		}
		return v
	case tagTime:
		var t time.Time
		if err := t.UnmarshalBinary(d.bytes()); err != nil && d.err == nil {
			d.err = errCorrupt
		}
		if _, off := t.Zone(); off == 0 {
			t = t.UTC() // executor times are UTC; MarshalBinary keeps that
		}
		return t
	case tagInterval:
		return types.IntervalValue{Months: int32(d.varint()), Days: int32(d.varint()), Micros: d.varint()}
	}
	d.err = errCorrupt
	return nil
}
