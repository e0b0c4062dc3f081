package parser_test

import (
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/parser"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		sql, text string
		kinds     []parser.LitKind
	}{
		{"SELECT abalance FROM pgbench_accounts WHERE aid = 51234;", "SELECT abalance FROM pgbench_accounts WHERE aid = $1;",
			[]parser.LitKind{parser.LitInt4}},
		{"UPDATE t SET v = v + -42 WHERE id = 7", "UPDATE t SET v = v + -$1 WHERE id = $2",
			[]parser.LitKind{parser.LitInt4, parser.LitInt4}},
		{"select 2147483647, 2147483648, 9223372036854775807, 9223372036854775808",
			"select $1, $2, $3, $4", []parser.LitKind{parser.LitInt4, parser.LitInt8, parser.LitInt8, parser.LitNumeric}},
		{"select 1.5, .5, 1., 1e3, 2E-2, 007", "select $1, $2, $3, $4, $5, $6",
			[]parser.LitKind{parser.LitNumeric, parser.LitNumeric, parser.LitNumeric, parser.LitNumeric, parser.LitNumeric, parser.LitInt4}},
		{`/* 1 */ select "c1", U&"d2" from t9 -- 3`, `/* 1 */ select "c1", U&"d2" from t9 -- 3`, nil},
		{"select a[1] from t;;", "select a[$1] from t;;", []parser.LitKind{parser.LitInt4}},
	} {
		n, ok := parser.Normalize(tc.sql, nil)
		if !ok {
			t.Errorf("Normalize(%q) refused", tc.sql)
			continue
		}
		if n.Text != tc.text {
			t.Errorf("Normalize(%q) = %q, want %q", tc.sql, n.Text, tc.text)
		}
		if len(n.Lits) != len(tc.kinds) {
			t.Errorf("Normalize(%q): %d literals, want %d", tc.sql, len(n.Lits), len(tc.kinds))
			continue
		}
		for i, l := range n.Lits {
			if l.Kind != tc.kinds[i] {
				t.Errorf("Normalize(%q): literal %d (%s) kind %d, want %d", tc.sql, i, l.Text(tc.sql), l.Kind, tc.kinds[i])
			}
			if want := "$"; n.Text[l.NormStart:l.NormStart+1] != want {
				t.Errorf("Normalize(%q): literal %d NormStart %d points at %q", tc.sql, i, l.NormStart, n.Text[l.NormStart:])
			}
		}
		if !strings.HasPrefix(n.Key, n.Text+"\x00") {
			t.Errorf("Normalize(%q): key %q does not start with the text", tc.sql, n.Key)
		}
	}
}

func TestNormalizeRefuses(t *testing.T) {
	for _, sql := range []string{
		"select 1; select 2",          // two statements
		"select 'a' from t where c=1", // a string literal: typed from context
		"select E'a', 1", "select B'101'", "select X'1F'", "select N'a'", "select U&'a'", "select $$a$$",
		"select $1",                   // a parameter
		"select 0x1F", "select 1_000", // PostgreSQL 15 reads these otherwise
		"select 1abc", "select 1e", "select 1.5e+",
	} {
		if n, ok := parser.Normalize(sql, nil); ok {
			t.Errorf("Normalize(%q) = %q, want refused", sql, n.Text)
		}
	}
}

// TestNormalizeKeys: the key separates what must be planned apart (the
// statement's text, the literals' types) and nothing else.
func TestNormalizeKeys(t *testing.T) {
	key := func(sql string) string {
		n, ok := parser.Normalize(sql, nil)
		if !ok {
			t.Fatalf("Normalize(%q) refused", sql)
		}
		return n.Key
	}
	if key("select * from t where a = 1") != key("select * from t where a = 99999") {
		t.Error("two int4 values: different keys")
	}
	for _, pair := range [][2]string{
		{"select * from t where a = 1", "select * from t where a = 3000000000"},
		{"select * from t where a = 1", "select * from t where a = 1.0"},
		{"select * from t where a = 1", "select * from t where b = 1"},
		{"select * from t where a = 1", "select * from t where a = 1 "},
	} {
		if key(pair[0]) == key(pair[1]) {
			t.Errorf("%q and %q: same key", pair[0], pair[1])
		}
	}
}
