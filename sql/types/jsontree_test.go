package types

import (
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
)

func TestJSONBNormalizeAndErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"b":1,"a":2,"a":3}`:     `{"a": 3, "b": 1}`,
		`{"aa":1,"b":2}`:          `{"b": 2, "aa": 1}`,
		` [1, 2.50, 1e2, -0.5] `:  `[1, 2.50, 100, -0.5]`,
		`"a\"b\u00e9"`:            `"a\"bé"`,
		`{"a":{"c":null,"b":[]}}`: `{"a": {"b": [], "c": null}}`,
	} {
		d, err := ParseText(JSONB, in)
		if err != nil || d != want {
			t.Errorf("%s: got %v %v, want %s", in, d, err, want)
		}
	}
	for _, in := range []string{`x`, `{"a":}`, `[1,]`, ``, `1 2`, `{a:1}`} {
		_, err := ParseText(JSONB, in)
		if pe := pgerror.As(err); pe == nil || pe.Code != pgerror.InvalidTextRepresentation || pe.Message != "invalid input syntax for type json" {
			t.Errorf("%q: got %v", in, err)
		}
	}
}

func TestCompareAndContainJSON(t *testing.T) {
	dec := func(s string) any {
		v, err := DecodeJSON(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	order := []string{`null`, `"a"`, `"b"`, `1`, `2.5`, `false`, `true`, `[9]`, `[1,2]`, `{"b":1}`, `{"a":1,"b":1}`}
	for i := 1; i < len(order); i++ {
		if CompareJSON(dec(order[i-1]), dec(order[i])) >= 0 {
			t.Errorf("%s should sort before %s", order[i-1], order[i])
		}
	}
	if CompareJSON(dec(`{"a":1}`), dec(`{"a":1.0}`)) != 0 {
		t.Error("1 and 1.0 should be equal")
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":2}`, `{"a":1}`, true},
		{`{"a":{"b":1}}`, `{"b":1}`, false},
		{`[1,2,[3,4]]`, `[[3]]`, true},
		{`[1,2,[3,4]]`, `[3]`, false},
		{`["a","b"]`, `"a"`, true},
		{`"a"`, `["a"]`, false},
	} {
		if got := JSONContains(dec(c.a), dec(c.b), true); got != c.want {
			t.Errorf("%s @> %s = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
