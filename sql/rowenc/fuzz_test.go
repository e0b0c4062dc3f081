package rowenc_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/rowenc"
	"github.com/heliosdb/nano/sql/types"
)

// FuzzDecodeKey: DecodeKey never panics, and whatever it decodes
// re-encodes to the bytes it consumed when the input was canonical.
func FuzzDecodeKey(f *testing.F) {
	for i, typ := range keyTypes {
		f.Add(uint8(i), rowenc.AppendKey(nil, sampleDatum(typ), typ))
		f.Add(uint8(i), []byte{0})
	}
	f.Add(uint8(5), []byte{4, 0x80, 0, 0, 1, 12, 0})
	f.Fuzz(func(t *testing.T, ti uint8, b []byte) {
		typ := keyTypes[int(ti)%len(keyTypes)]
		d, rest, err := rowenc.DecodeKey(b, typ)
		if err != nil {
			return
		}
		if len(rest) > len(b) {
			t.Fatalf("rest longer than input")
		}
		re := rowenc.AppendKey(nil, d, typ)
		if d2, _, err := rowenc.DecodeKey(re, typ); err != nil || (d == nil) != (d2 == nil) ||
			(d != nil && types.Compare(d, d2) != 0) {
			t.Fatalf("re-encoded %v decodes to %v, %v", d, d2, err)
		}
	})
}

// FuzzDecodeRow: DecodeRow never panics; decoded rows re-encode and decode
// to the same text.
func FuzzDecodeRow(f *testing.F) {
	row := make([]types.Datum, len(rowTypes))
	for i, typ := range rowTypes {
		row[i] = sampleDatum(typ)
	}
	f.Add(rowenc.EncodeRow(nil, row, rowTypes))
	f.Add(rowenc.EncodeRow(nil, make([]types.Datum, len(rowTypes)), rowTypes))
	f.Add(rowenc.EncodeRow(nil, row[:3], rowTypes[:3]))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := rowenc.DecodeRow(b, rowTypes)
		if err != nil {
			return
		}
		re := rowenc.EncodeRow(nil, got, rowTypes)
		got2, err := rowenc.DecodeRow(re, rowTypes)
		if err != nil {
			t.Fatalf("re-encoded row fails to decode: %v", err)
		}
		re2 := rowenc.EncodeRow(nil, got2, rowTypes)
		if !bytes.Equal(re, re2) {
			t.Fatalf("row encoding not stable")
		}
	})
}

// FuzzDecodeRowInto: DecodeRowInto never panics, and a row DecodeRow
// (DecodeRowInto with every column wanted) decodes gives the same wanted
// columns under any mask, leaving the others alone.
func FuzzDecodeRowInto(f *testing.F) {
	row := make([]types.Datum, len(rowTypes))
	for i, typ := range rowTypes {
		row[i] = sampleDatum(typ)
	}
	f.Add(uint16(0x5555), rowenc.EncodeRow(nil, row, rowTypes))
	f.Add(uint16(0), rowenc.EncodeRow(nil, make([]types.Datum, len(rowTypes)), rowTypes))
	f.Add(uint16(0xffff), rowenc.EncodeRow(nil, row[:3], rowTypes[:3]))
	f.Fuzz(func(t *testing.T, mask uint16, b []byte) {
		want := make([]bool, len(rowTypes))
		for i := range want {
			want[i] = mask&(1<<i) != 0
		}
		got := make([]types.Datum, len(rowTypes))
		errInto := rowenc.DecodeRowInto(b, rowTypes, got, want)
		whole, err := rowenc.DecodeRow(b, rowTypes)
		if err != nil {
			return
		}
		if errInto != nil {
			t.Fatalf("DecodeRow decodes the row, DecodeRowInto with a mask fails: %v", errInto)
		}
		for i := range whole {
			if want[i] && !bytes.Equal(rowenc.EncodeRow(nil, []types.Datum{whole[i]}, rowTypes[i:i+1]), rowenc.EncodeRow(nil, []types.Datum{got[i]}, rowTypes[i:i+1])) {
				t.Fatalf("column %d wanted: DecodeRow %v, DecodeRowInto %v", i, whole[i], got[i])
			}
			if !want[i] && got[i] != nil {
				t.Fatalf("column %d not wanted, set to %v", i, got[i])
			}
		}
	})
}

func sampleDatum(typ types.T) types.Datum {
	switch typ.Oid {
	case types.OidBool:
		return true
	case types.OidInt2, types.OidInt4, types.OidInt8:
		return int64(-42)
	case types.OidFloat8, types.OidFloat4:
		return -1.5
	case types.OidNumeric:
		d, _ := types.NewNumeric("-123.4500")
		return d
	case types.OidBytea:
		return []byte{0, 1, 2}
	case types.OidDate:
		return time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	case types.OidTimestamp, types.OidTimestamptz:
		return time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	case types.OidInterval:
		return types.IntervalValue{Months: 1, Days: -2, Micros: 3}
	case types.OidUUID:
		return "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
	}
	return "a\x00b"
}
