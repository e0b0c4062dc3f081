package parser_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
)

// The inputs of issue 18 that crashed the node and the proxy (SIGSEGV in
// pg_query_parse_protobuf): now 54001, as PostgreSQL answers.
func TestParseRefusesCrashInputs(t *testing.T) {
	var params strings.Builder
	params.WriteString("SELECT $1::int")
	for i := 2; i <= 65536; i++ {
		fmt.Fprintf(&params, "+$%d::int", i)
	}
	for name, sql := range map[string]string{
		"sum":    "SELECT 1" + strings.Repeat("+1", 24999),
		"concat": "SELECT 'a'" + strings.Repeat("||'a'", 49999),
		"params": params.String(),
		"second": "SELECT 1; SELECT 1" + strings.Repeat("+1", 24999),
	} {
		_, err := parser.Parse(sql)
		pe := pgerror.As(err)
		if pe == nil || pe.Code != pgerror.StatementTooComplex || pe.Message != "stack depth limit exceeded" {
			t.Errorf("%s: %v, want 54001 stack depth limit exceeded", name, err)
		}
	}
}

func TestParseAcceptsLongSums(t *testing.T) {
	for _, sql := range []string{
		"SELECT 1" + strings.Repeat("+1", 999),
		"SELECT 'a'" + strings.Repeat("||'a'", 999),
		"SELECT c" + strings.Repeat("+c", 999) + " FROM t",
	} {
		if _, err := parser.Parse(sql); err != nil {
			t.Errorf("%.40s…: %v", sql, err)
		}
	}
}

func TestParseContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := parser.ParseContext(ctx, strings.Repeat("SELECT 1;", 1000)); err != context.Canceled {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestParsePositionsAcrossStatements(t *testing.T) {
	_, err := parser.Parse("SELECT 'é'; SELEC 'ü'")
	pe := pgerror.As(err)
	if pe == nil || pe.Position != 13 {
		t.Fatalf("%v position %+v, want 13", err, pe)
	}
	stmts, err := parser.Parse("SELECT 'é';\n  SELECT 'ü', x")
	if err != nil || len(stmts) != 2 {
		t.Fatal(err)
	}
	if stmts[1].SQL != "SELECT 'ü', x" || stmts[1].CharOffset != 14 || stmts[1].Offset != 15 {
		t.Fatalf("%q char %d byte %d", stmts[1].SQL, stmts[1].CharOffset, stmts[1].Offset)
	}
	// x is the 27th character of the whole string.
	loc := int32(strings.Index("SELECT 'ü', x", "x")) // within the parsed text
	if p := stmts[1].Position(loc); p != 27 {
		t.Fatalf("position %d, want 27", p)
	}
}
