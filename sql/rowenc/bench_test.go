package rowenc_test

import (
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/rowenc"
	"github.com/heliosdb/nano/sql/types"
)

var benchTypes = []types.T{types.Int8, types.Text, types.Numeric, types.Timestamptz, types.Bool, types.Float8}

func benchRow(b *testing.B) []types.Datum {
	b.Helper()
	n, err := types.NewNumeric("12345.678")
	if err != nil {
		b.Fatal(err)
	}
	return []types.Datum{int64(123456789), "customer name here", n, time.Now().UTC(), true, 3.25}
}

func BenchmarkAppendKey(b *testing.B) {
	row := benchRow(b)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for i, d := range row {
			buf = rowenc.AppendKey(buf, d, benchTypes[i])
		}
	}
}

func BenchmarkEncodeRow(b *testing.B) {
	row := benchRow(b)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = rowenc.EncodeRow(buf[:0], row, benchTypes)
	}
}

func BenchmarkDecodeRow(b *testing.B) {
	enc := rowenc.EncodeRow(nil, benchRow(b), benchTypes)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rowenc.DecodeRow(enc, benchTypes); err != nil {
			b.Fatal(err)
		}
	}
}
