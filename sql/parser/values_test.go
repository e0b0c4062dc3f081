package parser

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// bulkInsert builds a long INSERT … VALUES of n rows whose values come
// from val (row, column).
func bulkInsert(head string, n int, sep string, val func(r, c int) string) string {
	var b strings.Builder
	b.WriteString(head)
	for r := range n {
		if r > 0 {
			b.WriteString("," + sep)
		}
		b.WriteString("(" + val(r, 0) + ", " + val(r, 1) + "," + val(r, 2) + ")")
	}
	return b.String()
}

// TestValuesMatchPgQuery: a long INSERT … VALUES of plain literals parsed
// by the shortcut (values.go) is the Statement pg_query's path gives —
// same tree (every constant and its location), text, offsets and error
// positions; statements outside the shortcut's subset go to pg_query
// whole and give its result too.
func TestValuesMatchPgQuery(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lit := func(r, c int) string {
		switch rng.IntN(6) {
		case 0:
			return "NULL"
		case 1:
			return "null"
		case 2:
			return fmt.Sprint(rng.Int32())
		case 3:
			return fmt.Sprintf("'row %d'", r)
		case 4:
			return "''"
		}
		return fmt.Sprintf("%d", r*10+c)
	}
	plain := func(r, c int) string { return fmt.Sprintf("%d", r*3+c) }
	type tc struct {
		sql      string
		shortcut bool
	}
	cases := []tc{
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", lit), true},
		{bulkInsert("insert into public.bulk (id, v, s) values\n", 300, "\n  ", lit) + " ;", true},
		{bulkInsert("Insert Into b_2 (a1,b) VALUES(1+1, 'x'::text, now()), ", 300, "\t", lit), false}, // first row not plain
		{bulkInsert("SELECT 1; INSERT INTO bulk VALUES ", 300, "", lit), false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + " ON CONFLICT DO NOTHING", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + " RETURNING id", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1, 'it''s', 2)", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1, 'a\\b', 2)", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1, 'é', 2)", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (-1, 2, 3)", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1.5, 2, 3)", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1e5, 2, 3)", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (2147483648, 2, 3)", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1, 'a'\n'b', 3)", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1, E'x', 3)", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1, 2, 3) -- c", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1, 2 /* c */, 3)", false},
		{bulkInsert("INSERT INTO \"Bulk\" VALUES ", 300, "", plain), false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1, nullx, 3)", false},
		{bulkInsert("INSERT INTO bulk VALUES ", 300, "", plain) + ", (1, 2, 3", false}, // unterminated: pg_query's syntax error
		{"INSERT INTO bulk VALUES (1, 2, 3)", false},                                   // short
	}
	for i, c := range cases {
		_, took := parseValues(nil, c.sql, 0, 0)
		if took != c.shortcut {
			t.Errorf("case %d: shortcut %v, want %v: %.120s", i, took, c.shortcut, c.sql)
		}
		prefix := "SELECT 'é';\n"
		full := prefix + c.sql
		got, gerr := ParseContext(context.Background(), full)
		want, werr := parseAllPgQuery(full)
		if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Errorf("case %d: error %v, pg_query %v", i, gerr, werr)
			continue
		}
		if len(got) != len(want) {
			t.Errorf("case %d: %d statements, pg_query %d", i, len(got), len(want))
			continue
		}
		for j := range got {
			g, w := got[j], want[j]
			if !proto.Equal(g.Node, w.Node) || g.SQL != w.SQL || g.Offset != w.Offset || g.CharOffset != w.CharOffset ||
				g.src != w.src || g.srcChars != w.srcChars {
				t.Errorf("case %d statement %d: shortcut and pg_query differ (SQL %q / %q, offsets %d,%d / %d,%d)",
					i, j, g.SQL[:min(40, len(g.SQL))], w.SQL[:min(40, len(w.SQL))], g.Offset, g.CharOffset, w.Offset, w.CharOffset)
			}
			for _, loc := range []int32{0, 5, int32(len(g.src) / 2), int32(len(g.src) - 3)} {
				if g.Position(loc) != w.Position(loc) {
					t.Errorf("case %d statement %d: Position(%d) %d, pg_query %d", i, j, loc, g.Position(loc), w.Position(loc))
				}
			}
		}
	}
}

// parseAllPgQuery is ParseContext with every statement through pg_query.
func parseAllPgQuery(sql string) ([]Statement, error) {
	pieces, err := Split(context.Background(), sql)
	if err != nil {
		return nil, err
	}
	var out []Statement
	for _, p := range pieces {
		if out, err = parsePgQuery(out, sql[p.Start:p.End], p.Start, len([]rune(sql[:p.Start]))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BenchmarkParseBulkInsert: a 1000-row INSERT … VALUES as make bench loads
// it, through ParseContext (the shortcut) and through pg_query alone.
func BenchmarkParseBulkInsert(b *testing.B) {
	sql := bulkInsert("INSERT INTO bulk VALUES ", 1000, "", func(r, c int) string {
		switch c {
		case 0:
			return fmt.Sprint(r + 1)
		case 1:
			return fmt.Sprint(r % 97)
		}
		return fmt.Sprintf("'row %d'", r+1)
	})
	b.Run("shortcut", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseContext(context.Background(), sql); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pg_query", func(b *testing.B) {
		for b.Loop() {
			if _, err := parsePgQuery(nil, sql, 0, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}
