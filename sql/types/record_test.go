package types

import "testing"

// TestRecordText: record_out's quoting — a NULL field is empty; an empty
// field or one with a quote, backslash, parenthesis, comma or white space
// is quoted, with " and \ doubled; a nested record is quoted as text.
func TestRecordText(t *testing.T) {
	inner := &Record{Vals: []Datum{int64(2), "a b"}, Typs: []T{Int4, Text}}
	r := &Record{
		Vals: []Datum{int64(1), nil, "", `"`, `a\b`, "(x)", "x,y", "x\ty", "plain", inner},
		Typs: []T{Int4, Text, Text, Text, Text, Text, Text, Text, Text, {Oid: OidRecord, Mod: -1}},
	}
	want := `(1,,"","""","a\\b","(x)","x,y","x` + "\t" + `y",plain,"(2,""a b"")")`
	if got := FormatText(r, T{Oid: OidRecord, Mod: -1}); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := FormatText(&Record{}, T{Oid: OidRecord, Mod: -1}); got != "()" {
		t.Errorf("empty record: got %s", got)
	}
}

// TestCompareRecords: field by field, NULL fields after values and equal
// to each other, a prefix first.
func TestCompareRecords(t *testing.T) {
	rec := func(v ...Datum) *Record {
		ts := make([]T, len(v))
		for i := range ts {
			ts[i] = Int4
		}
		return &Record{Vals: v, Typs: ts}
	}
	cases := []struct {
		a, b *Record
		want int
	}{
		{rec(int64(1), int64(2)), rec(int64(1), int64(3)), -1},
		{rec(int64(1), nil), rec(int64(1), int64(3)), 1},
		{rec(nil, int64(0)), rec(int64(2), nil), 1},
		{rec(int64(1), nil), rec(int64(1), nil), 0},
		{rec(int64(1)), rec(int64(1), int64(0)), -1},
	}
	for _, c := range cases {
		if got := Compare(c.a, c.b); got != c.want {
			t.Errorf("Compare(%v, %v) = %d, want %d", c.a.Vals, c.b.Vals, got, c.want)
		}
	}
}
