package parser

import (
	"context"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string
	}{
		{"plain", "SELECT 1; SELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"blank", " ;; -- c\n ; /* x */", nil},
		{"string", "SELECT 'a;b'; SELECT 'it''s;'", []string{"SELECT 'a;b'", "SELECT 'it''s;'"}},
		{"escape string", `SELECT E'\';'; SELECT 2`, []string{`SELECT E'\';'`, "SELECT 2"}},
		{"not an escape string", `SELECT 'a\'; SELECT 2`, []string{`SELECT 'a\'`, "SELECT 2"}},
		{"identifier ending in e", `SELECT somee'x'; SELECT 2`, []string{`SELECT somee'x'`, "SELECT 2"}},
		{"quoted identifier", `SELECT 1 AS "a;""b"; SELECT 2`, []string{`SELECT 1 AS "a;""b"`, "SELECT 2"}},
		{"unicode string", `SELECT U&'d\0061t;'; SELECT 2`, []string{`SELECT U&'d\0061t;'`, "SELECT 2"}},
		{"dollar quote", "SELECT $x$a;$y$;$x$; SELECT $$;$$", []string{"SELECT $x$a;$y$;$x$", "SELECT $$;$$"}},
		{"param and identifier dollar", "SELECT $1, a$b; SELECT 2", []string{"SELECT $1, a$b", "SELECT 2"}},
		{"line comment", "SELECT 1 -- ;\n; SELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"nested comment", "SELECT /* /* ; */ ; */ 1; SELECT 2", []string{"SELECT /* /* ; */ ; */ 1", "SELECT 2"}},
		{"rule body", "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2); SELECT 3",
			[]string{"CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)", "SELECT 3"}},
		{"begin atomic", "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END; SELECT 3",
			[]string{"CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END", "SELECT 3"}},
		{"transaction begin", "BEGIN; SELECT 1; END; COMMIT", []string{"BEGIN", "SELECT 1", "END", "COMMIT"}},
		{"unterminated", "SELECT 1; SELECT 'x;", []string{"SELECT 1", "SELECT 'x;"}},
		{"operator before comment", "SELECT 1+--;\n2; SELECT 3", []string{"SELECT 1+--;\n2", "SELECT 3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pieces, err := Split(context.Background(), tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pieces {
				got = append(got, tc.sql[p.Start:p.End])
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("piece %d: %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestOperatorLexing(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"+-+-1", []string{"+", "-", "+", "-"}},
		{"<=-1", []string{"<=", "-"}},
		{"@-1", []string{"@-"}},
		{"||'a'", []string{"||"}},
		{"x::int", []string{"::"}},
		{"a /* c */ * b", []string{"*"}},
		{"0+++1", []string{"+", "+", "+"}},
		{"1*+-+2", []string{"*", "+", "-", "+"}},
		{"1<=-+-1", []string{"<=", "-", "+", "-"}},
		{"1@+-1", []string{"@+-"}},
		{"1 ++-- c\n+1", []string{"+", "+", "+"}},
		{"1 +-/* c */+-1", []string{"+", "-", "+", "-"}},
		{"1 +- ~+-1", []string{"+", "-", "~+-"}},
	}
	for _, tc := range tests {
		lx := lexer{s: tc.in}
		var got []string
		for {
			k, s, e := lx.next()
			if k == tokEOF {
				break
			}
			if k == tokOp {
				got = append(got, tc.in[s:e])
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: operators %q, want %q", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: operators %q, want %q", tc.in, got, tc.want)
			}
		}
	}
}

// TestDepthEstimateShapes: every deep shape is refused far below where
// pg_query would crash, and the limit admits what real SQL needs.
func TestDepthEstimateShapes(t *testing.T) {
	minimum := map[string]int{ // at least this size must be accepted
		"sum": 2500, "columns-sum": 1000, "concat": 2500, "params": 1000, "parens": 900,
		"unary-minus": 2500, "not": 2500, "functions": 700, "subqueries": 700, "casts": 2500,
		"case": 700, "union": 2500, "joins": 500, "in-sum": 2500, "and-or-sum": 2500,
	}
	for _, sh := range deepShapes {
		n := maxAccepted(sh, 20000)
		if n >= 20000 {
			t.Errorf("%s: never refused", sh.name)
		}
		if m := minimum[sh.name]; n < m {
			t.Errorf("%s: only %d accepted, want ≥ %d", sh.name, n, m)
		}
	}
}

func TestDepthEstimateFlatLists(t *testing.T) {
	big := func(head, item, sep, tail string, n int) string {
		b := []byte(head)
		for i := 0; i < n; i++ {
			if i > 0 {
				b = append(b, sep...)
			}
			b = append(b, item...)
		}
		return string(append(b, tail...))
	}
	for name, sql := range map[string]string{
		"values":       big("VALUES ", "(1, 'a', -2.5)", ",", "", 100000),
		"insert":       big("INSERT INTO t VALUES ", "(1, now() - interval '1 day', -1)", ",", "", 100000),
		"in list":      big("SELECT * FROM t WHERE a IN (", "-1", ",", ")", 100000),
		"columns":      big("SELECT ", "a + b * 2", ",", " FROM t", 20000),
		"and chain":    big("SELECT * FROM t WHERE ", "a.x = 1", " AND ", "", 20000),
		"or chain":     big("SELECT * FROM t WHERE ", "(x = 1 AND y <> 'b')", " OR ", "", 20000),
		"case arms":    big("SELECT CASE ", "WHEN x = 1 THEN 'a'", " ", " END FROM t", 20000),
		"array":        big("SELECT ARRAY[", "1", ",", "]", 100000),
		"negative":     "SELECT -1, - 2, -(-3), 1 - -1, -2147483648",
		"json literal": "SELECT '" + big("", `{"a":[[[1]]]}`, ",", "", 10000) + "'::text",
	} {
		p, err := Split(context.Background(), sql)
		if err != nil || len(p) != 1 {
			t.Fatalf("%s: %v %d", name, err, len(p))
		}
		if p[0].Depth > 20 {
			t.Errorf("%s: depth estimate %d, want a small constant", name, p[0].Depth)
		}
	}
}
