package rowenc_test

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/rowenc"
	"github.com/heliosdb/nano/sql/types"
)

var uuidT = types.T{Oid: types.OidUUID, Mod: -1}

// keyTypes are the column types the property tests cover.
var keyTypes = []types.T{
	types.Bool, types.Int2, types.Int4, types.Int8, types.Float8, types.Numeric,
	types.Text, types.Bytea, types.Date, types.Timestamp, types.Timestamptz,
	types.Interval, uuidT,
}

// randDatum returns a random value of t, NULL one time in ten, biased
// towards edge cases.
func randDatum(r *rand.Rand, t types.T) types.Datum {
	if r.IntN(10) == 0 {
		return nil
	}
	switch t.Oid {
	case types.OidBool:
		return r.IntN(2) == 0
	case types.OidInt2, types.OidInt4, types.OidInt8:
		edges := []int64{0, -1, 1, math.MinInt64, math.MaxInt64, math.MinInt32}
		if r.IntN(4) == 0 {
			return edges[r.IntN(len(edges))]
		}
		return r.Int64N(2001) - 1000
	case types.OidFloat8:
		edges := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat64, -math.MaxFloat64}
		if r.IntN(4) == 0 {
			return edges[r.IntN(len(edges))]
		}
		return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(40)-20))
	case types.OidNumeric:
		return randNumeric(r)
	case types.OidText, types.OidUUID:
		if t.Oid == types.OidUUID {
			return types.FormatText(mustDatum(types.DecodeBinary(uuidT, randBytes(r, 16))), uuidT)
		}
		return string(randBytes(r, r.IntN(6)))
	case types.OidBytea:
		return randBytes(r, r.IntN(6))
	case types.OidDate:
		return time.Unix((r.Int64N(200000)-100000)*86400, 0).UTC()
	case types.OidTimestamp, types.OidTimestamptz:
		return time.UnixMicro(r.Int64N(1<<50) - 1<<49).UTC()
	case types.OidInterval:
		return types.IntervalValue{Months: int32(r.IntN(50) - 25), Days: int32(r.IntN(100) - 50), Micros: r.Int64N(1<<40) - 1<<39}
	}
	panic("unhandled type " + t.String())
}

func mustDatum(d types.Datum, err error) types.Datum {
	if err != nil {
		panic(err)
	}
	return d
}

func randBytes(r *rand.Rand, n int) []byte {
	alphabet := []byte{0, 1, 0xff, 'a', 'b', 0xfe}
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return b
}

func randNumeric(r *rand.Rand) *apd.Decimal {
	switch r.IntN(12) {
	case 0:
		return &apd.Decimal{Form: apd.NaN}
	case 1:
		return &apd.Decimal{Form: apd.Infinite, Negative: r.IntN(2) == 0}
	}
	s := strconv.FormatInt(r.Int64N(200001)-100000, 10)
	if r.IntN(3) == 0 {
		s += ".000" // same value, different scale
	}
	if r.IntN(2) == 0 {
		s += "e" + strconv.Itoa(r.IntN(20)-10)
	}
	d, err := types.NewNumeric(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestKeyOrderProperty: sorting random values with types.Compare and with
// bytes.Compare of their keys must agree, for single and composite keys.
func TestKeyOrderProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 400
	if testing.Short() {
		n = 100
	}
	for _, typ := range keyTypes {
		t.Run(typ.String(), func(t *testing.T) {
			vals := make([]types.Datum, n)
			for i := range vals {
				vals[i] = randDatum(r, typ)
			}
			keys := make([][]byte, n)
			for i, v := range vals {
				keys[i] = rowenc.AppendKey(nil, v, typ)
			}
			for i := range vals {
				for j := range vals {
					want := types.Compare(vals[i], vals[j])
					if got := bytes.Compare(keys[i], keys[j]); got != want {
						t.Fatalf("Compare(%v, %v) = %d but key order %d", vals[i], vals[j], want, got)
					}
				}
			}
		})
	}
	t.Run("composite", func(t *testing.T) {
		typs := []types.T{types.Int4, types.Text, types.Numeric}
		rows := make([][]types.Datum, n)
		for i := range rows {
			rows[i] = []types.Datum{randDatum(r, typs[0]), randDatum(r, typs[1]), randDatum(r, typs[2])}
			rows[i][0] = int64(r.IntN(3)) // force ties on the first column
		}
		keyOf := func(row []types.Datum) []byte {
			var k []byte
			for i, d := range row {
				k = rowenc.AppendKey(k, d, typs[i])
			}
			return k
		}
		byCompare := slices.Clone(rows)
		slices.SortStableFunc(byCompare, func(a, b []types.Datum) int {
			for i := range a {
				if c := types.Compare(a[i], b[i]); c != 0 {
					return c
				}
			}
			return 0
		})
		for i := 1; i < len(byCompare); i++ {
			if bytes.Compare(keyOf(byCompare[i-1]), keyOf(byCompare[i])) > 0 {
				t.Fatalf("composite keys out of order: %v then %v", byCompare[i-1], byCompare[i])
			}
		}
	})
}

func TestKeyRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, typ := range keyTypes {
		t.Run(typ.String(), func(t *testing.T) {
			for i := 0; i < 200; i++ {
				d := randDatum(r, typ)
				k := rowenc.AppendKey([]byte("pre"), d, typ)
				k = append(k, "tail"...)
				got, rest, err := rowenc.DecodeKey(k[3:], typ)
				if err != nil {
					t.Fatalf("DecodeKey(%v): %v", d, err)
				}
				if string(rest) != "tail" {
					t.Fatalf("DecodeKey(%v) rest = %q", d, rest)
				}
				if (got == nil) != (d == nil) || (d != nil && types.Compare(got, d) != 0) {
					t.Fatalf("DecodeKey = %v, want %v", got, d)
				}
			}
		})
	}
}

// TestKeyCanonical checks that equal values in different forms encode
// identically and decode to the canonical form.
func TestKeyCanonical(t *testing.T) {
	cases := []struct {
		name string
		typ  types.T
		a, b types.Datum
		want string // canonical text after decoding a
	}{
		{"numeric scale", types.Numeric, mustNum(t, "1.50"), mustNum(t, "1.5"), "1.5"},
		{"numeric big exponent", types.Numeric, apd.New(12, 3), mustNum(t, "12000.000"), "12000"},
		{"numeric neg", types.Numeric, mustNum(t, "-0.0100"), mustNum(t, "-0.01"), "-0.01"},
		{"numeric zero", types.Numeric, mustNum(t, "0.000"), mustNum(t, "0"), "0"},
		{"float zero", types.Float8, math.Copysign(0, -1), 0.0, "0"},
		{"interval month", types.Interval, types.IntervalValue{Months: 1}, types.IntervalValue{Days: 30}, "1 mon"},
		{"interval day", types.Interval, types.IntervalValue{Days: 1}, types.IntervalValue{Micros: 86400e6}, "1 day"},
		{"int numeric coerced", types.Numeric, int64(7), mustNum(t, "7.0"), "7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ka, kb := rowenc.AppendKey(nil, tc.a, tc.typ), rowenc.AppendKey(nil, tc.b, tc.typ)
			if !bytes.Equal(ka, kb) {
				t.Fatalf("keys differ: %x vs %x", ka, kb)
			}
			d, _, err := rowenc.DecodeKey(ka, tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			if s := types.FormatText(d, tc.typ); s != tc.want {
				t.Fatalf("decoded %q, want %q", s, tc.want)
			}
		})
	}
}

func mustNum(t *testing.T, s string) *apd.Decimal {
	t.Helper()
	d, err := types.NewNumeric(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecodeKeyErrors(t *testing.T) {
	cases := []struct {
		name string
		typ  types.T
		b    []byte
	}{
		{"empty", types.Int4, nil},
		{"short int", types.Int8, []byte{1, 0, 0}},
		{"bad tag", types.Int8, []byte{9, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"unterminated string", types.Text, []byte{1, 'a'}},
		{"bad escape", types.Text, []byte{1, 0, 7}},
		{"bad bool", types.Bool, []byte{1, 2}},
		{"numeric unterminated", types.Numeric, []byte{4, 0x80, 0, 0, 1, 5}},
		{"numeric bad digit", types.Numeric, []byte{4, 0x80, 0, 0, 1, 200, 0}},
		{"numeric huge exponent", types.Numeric, []byte{4, 0xff, 0, 0, 0, 11, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := rowenc.DecodeKey(tc.b, tc.typ)
			if !errors.Is(err, rowenc.ErrCorrupt) || pgerror.CodeOf(err) != pgerror.DataCorrupted {
				t.Fatalf("err = %v (code %s), want ErrCorrupt/XX001", err, pgerror.CodeOf(err))
			}
		})
	}
	_, _, err := rowenc.DecodeKey([]byte{1}, types.T{Oid: types.OidRecord, Mod: -1})
	if !errors.Is(err, rowenc.ErrUnsupportedType) {
		t.Fatalf("err = %v, want ErrUnsupportedType", err)
	}
}

func TestAppendKeyPanicsOnWrongGoType(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("AppendKey did not panic")
		}
	}()
	rowenc.AppendKey(nil, "x", types.Int4)
}

var rowTypes = []types.T{
	types.Bool, types.Int4, types.Int8, types.Float8, types.Numeric, types.Text,
	types.Bytea, types.Date, types.Timestamp, types.Timestamptz, types.Interval, uuidT,
	types.VarcharN(10), types.T{Oid: types.OidJSONB, Mod: -1}, types.Float4,
}

func TestRowRoundTrip(t *testing.T) {
	row := []types.Datum{
		true, int64(-5), int64(math.MinInt64), math.NaN(), mustNum(t, "-12.3400"), "héllo\x00",
		[]byte{0, 1}, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.UnixMicro(-123456789).UTC(), types.IntervalValue{Months: -1, Days: 2, Micros: -3},
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "", `{"a":1}`, 1.5,
	}
	cases := []struct {
		name string
		row  []types.Datum
	}{
		{"values", row},
		{"all null", make([]types.Datum, len(rowTypes))},
		{"some null", func() []types.Datum {
			r := slices.Clone(row)
			r[0], r[4], r[8], r[14] = nil, nil, nil, nil
			return r
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := rowenc.EncodeRow([]byte("x"), tc.row, rowTypes)
			got, err := rowenc.DecodeRow(b[1:], rowTypes)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.row {
				if (got[i] == nil) != (tc.row[i] == nil) {
					t.Fatalf("column %d: got %v, want %v", i, got[i], tc.row[i])
				}
				if tc.row[i] == nil {
					continue
				}
				// Text output is exact: it shows numeric scale and interval fields.
				if g, w := types.FormatText(got[i], rowTypes[i]), types.FormatText(tc.row[i], rowTypes[i]); g != w {
					t.Fatalf("column %d: got %q, want %q", i, g, w)
				}
			}
		})
	}
}

func TestDecodeRowFewerColumns(t *testing.T) {
	old := []types.T{types.Int4, types.Text}
	b := rowenc.EncodeRow(nil, []types.Datum{int64(1), "a"}, old)
	got, err := rowenc.DecodeRow(b, append(old, types.Numeric, types.Bool))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] != int64(1) || got[1] != "a" || got[2] != nil || got[3] != nil {
		t.Fatalf("DecodeRow = %v", got)
	}
	if _, err := rowenc.DecodeRow(b, old[:1]); !errors.Is(err, rowenc.ErrCorrupt) {
		t.Fatalf("more columns than types: err = %v, want ErrCorrupt", err)
	}
}

// TestDecodeRowInto: the wanted columns decode as DecodeRow decodes them
// (NULLs and the columns of an older, shorter row as nil), the others are
// left untouched, for every mask over every column kind.
func TestDecodeRowInto(t *testing.T) {
	row := []types.Datum{
		true, int64(-5), int64(math.MinInt64), math.NaN(), mustNum(t, "-12.3400"), "héllo",
		[]byte{0, 1}, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		nil, types.IntervalValue{Months: -1, Days: 2, Micros: -3},
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "", `{"a":1}`, 1.5,
	}
	full := rowenc.EncodeRow(nil, row, rowTypes)
	short := rowenc.EncodeRow(nil, row[:9], rowTypes[:9])
	for _, enc := range [][]byte{full, short} {
		whole, err := rowenc.DecodeRow(enc, rowTypes)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for trial := 0; trial < 200; trial++ {
			want := make([]bool, len(rowTypes))
			for i := range want {
				want[i] = rng.IntN(2) == 0
			}
			got := make([]types.Datum, len(rowTypes))
			for i := range got {
				got[i] = "untouched"
			}
			if err := rowenc.DecodeRowInto(enc, rowTypes, got, want); err != nil {
				t.Fatalf("mask %v: %v", want, err)
			}
			for i := range got {
				switch {
				case !want[i] && got[i] != "untouched":
					t.Fatalf("mask %v: column %d not wanted but set to %v", want, i, got[i])
				case want[i] && (got[i] == nil) != (whole[i] == nil):
					t.Fatalf("mask %v: column %d = %v, DecodeRow gives %v", want, i, got[i], whole[i])
				case want[i] && got[i] != nil && types.FormatText(got[i], rowTypes[i]) != types.FormatText(whole[i], rowTypes[i]):
					t.Fatalf("mask %v: column %d = %v, DecodeRow gives %v", want, i, got[i], whole[i])
				}
			}
		}
	}
	typs := []types.T{types.Int8, types.Text, types.Numeric}
	good := rowenc.EncodeRow(nil, []types.Datum{int64(300), "hello", mustNum(t, "1.5")}, typs)
	// A cut through a wanted column or before it is corrupt; what follows
	// the last wanted column is not read.
	for _, want := range [][]bool{nil, {false, false, true}, {true, false, true}} {
		for cut := 0; cut < len(good); cut++ {
			if err := rowenc.DecodeRowInto(good[:cut], typs, make([]types.Datum, 3), want); !errors.Is(err, rowenc.ErrCorrupt) {
				t.Fatalf("mask %v, truncated at %d: err = %v, want ErrCorrupt", want, cut, err)
			}
		}
	}
	if err := rowenc.DecodeRowInto(append(slices.Clone(good), 0), typs, make([]types.Datum, 3), nil); !errors.Is(err, rowenc.ErrCorrupt) {
		t.Fatalf("trailing byte: err = %v, want ErrCorrupt", err)
	}
	got := make([]types.Datum, 3)
	if err := rowenc.DecodeRowInto(good[:len(good)-4], typs, got, []bool{true, false, false}); err != nil || got[0] != int64(300) {
		t.Fatalf("first column of a row cut in its last: %v, %v", got, err)
	}
}

func TestDecodeRowCorrupt(t *testing.T) {
	typs := []types.T{types.Int8, types.Text, types.Numeric}
	good := rowenc.EncodeRow(nil, []types.Datum{int64(300), "hello", mustNum(t, "1.5")}, typs)
	for cut := 0; cut < len(good); cut++ {
		if _, err := rowenc.DecodeRow(good[:cut], typs); !errors.Is(err, rowenc.ErrCorrupt) {
			t.Fatalf("truncated at %d: err = %v, want ErrCorrupt", cut, err)
		}
	}
	if _, err := rowenc.DecodeRow(append(slices.Clone(good), 0), typs); !errors.Is(err, rowenc.ErrCorrupt) {
		t.Fatalf("trailing byte: err = %v, want ErrCorrupt", err)
	}
}

func TestArrayKeyOrderAndRow(t *testing.T) {
	at, _ := types.ArrayOf(types.Text)
	order := []string{"{}", "{a}", "{a,b}", "{{a,b}}", "{a,NULL}", "{b}", "{NULL}"}
	var prev []byte
	for i, s := range order {
		d, err := types.ParseText(at, s)
		if err != nil {
			t.Fatal(err)
		}
		k := rowenc.AppendKey(nil, d, at)
		if i > 0 && string(prev) >= string(k) {
			t.Errorf("key of %s does not sort after %s's", s, order[i-1])
		}
		prev = k
		back, rest, err := rowenc.DecodeKey(k, at)
		if err != nil || len(rest) != 0 || types.Compare(back, d) != 0 {
			t.Errorf("%s: key round trip %v %v", s, back, err)
		}
		row, err := rowenc.DecodeRow(rowenc.EncodeRow(nil, []types.Datum{d, int64(1)}, []types.T{at, types.Int4}), []types.T{at, types.Int4})
		if err != nil || types.FormatText(row[0], at) != s {
			t.Errorf("%s: row round trip %v %v", s, row, err)
		}
	}
}

// TestRecordKeyOrder: a record's key orders as types.Compare orders
// records (NULL fields after values, a prefix first) and equal records key
// identically.
func TestRecordKeyOrder(t *testing.T) {
	rec := func(v ...types.Datum) *types.Record {
		ts := make([]types.T, len(v))
		for i := range ts {
			ts[i] = types.Int4
		}
		return &types.Record{Vals: v, Typs: ts}
	}
	rt := types.T{Oid: types.OidRecord, Mod: -1}
	recs := []*types.Record{
		rec(int64(1)), rec(int64(1), int64(-5)), rec(int64(1), int64(3)), rec(int64(1), nil),
		rec(int64(2), int64(1)), rec(nil, int64(0)), rec(nil, nil),
	}
	for i, a := range recs {
		for j, b := range recs {
			ka, kb := rowenc.AppendKey(nil, a, rt), rowenc.AppendKey(nil, b, rt)
			if got, want := bytes.Compare(ka, kb), types.Compare(a, b); got != want {
				t.Errorf("records %d, %d: key order %d, Compare %d", i, j, got, want)
			}
		}
	}
}
