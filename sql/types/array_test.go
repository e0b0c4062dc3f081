package types

import (
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
)

func TestArrayTextRoundTrip(t *testing.T) {
	int4a, _ := ArrayOf(Int4)
	texta, _ := ArrayOf(Text)
	boola, _ := ArrayOf(Bool)
	for _, c := range []struct {
		t       T
		in, out string
	}{
		{int4a, "{1,2,3}", "{1,2,3}"},
		{int4a, " { 1 , NULL ,3 } ", "{1,NULL,3}"},
		{int4a, "{}", "{}"},
		{int4a, "{{1,2},{3,4}}", "{{1,2},{3,4}}"},
		{int4a, "[0:1]={5,6}", "[0:1]={5,6}"},
		{int4a, "[1:2]={5,6}", "{5,6}"},
		{texta, `{"a b","",NULL,"NULL","x\"y",z\\w}`, `{"a b","",NULL,"NULL","x\"y","z\\w"}`},
		{texta, `{ " sp " , b }`, `{" sp ",b}`},
		{boola, "{t,false}", "{t,f}"},
	} {
		d, err := ParseText(c.t, c.in)
		if err != nil {
			t.Fatalf("%s %q: %v", c.t, c.in, err)
		}
		if got := FormatText(d, c.t); got != c.out {
			t.Errorf("%s %q: got %q, want %q", c.t, c.in, got, c.out)
		}
		b, err := AppendBinary(nil, d, c.t)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeBinary(c.t, b)
		if err != nil {
			t.Fatalf("%q: binary: %v", c.in, err)
		}
		if Compare(back, d) != 0 || FormatText(back, c.t) != c.out {
			t.Errorf("%q: binary round trip gave %q", c.in, FormatText(back, c.t))
		}
	}
}

func TestArrayInputErrors(t *testing.T) {
	int4a, _ := ArrayOf(Int4)
	for _, c := range []struct {
		in   string
		code pgerror.Code
	}{
		{"{1,2", pgerror.InvalidTextRepresentation},
		{"1,2", pgerror.InvalidTextRepresentation},
		{"{1}x", pgerror.InvalidTextRepresentation},
		{"{{1},{2,3}}", pgerror.InvalidTextRepresentation},
		{"{{1},2}", pgerror.InvalidTextRepresentation},
		{"{,}", pgerror.InvalidTextRepresentation},
		{"{a}", pgerror.InvalidTextRepresentation},
		{"{99999999999}", pgerror.NumericValueOutOfRange},
		{"[1:3]={1}", pgerror.InvalidTextRepresentation},
	} {
		_, err := ParseText(int4a, c.in)
		if pe := pgerror.As(err); pe == nil || pe.Code != c.code {
			t.Errorf("%q: got %v, want %s", c.in, err, c.code)
		}
	}
}

func TestCompareArrays(t *testing.T) {
	int4a, _ := ArrayOf(Int4)
	order := []string{"{}", "{1}", "{1,2}", "{{1,2}}", "{1,NULL}", "{2}", "{NULL}"}
	for i := range order {
		for j := range order {
			a, _ := ParseText(int4a, order[i])
			b, _ := ParseText(int4a, order[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}
