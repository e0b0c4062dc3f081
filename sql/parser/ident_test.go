package parser

import "testing"

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"t": "t", "_x1": "_x1", "x1$": "x1$", "public": "public",
		"T": `"T"`, "My": `"My"`, "a b": `"a b"`, `q"`: `"q"""`, `a"b`: `"a""b"`, "$user": `"$user"`, "": `""`,
		"user": `"user"`, "select": `"select"`, "integer": `"integer"`,
	} {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}
