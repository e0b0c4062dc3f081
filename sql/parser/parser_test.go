package parser_test

import (
	"testing"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
)

func TestParseSplits(t *testing.T) {
	stmts, err := parser.Parse("SELECT 1;  select 'é', 2 ; ")
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 2 {
		t.Fatalf("got %d statements", len(stmts))
	}
	if stmts[0].SQL != "SELECT 1" || stmts[1].SQL != "select 'é', 2" {
		t.Fatalf("texts %q %q", stmts[0].SQL, stmts[1].SQL)
	}
	if stmts[1].Offset != 11 {
		t.Fatalf("offset %d", stmts[1].Offset)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		pos  int32
	}{
		{"near", "SELECT * FORM t", 10},
		{"end", "SELECT (1", 10},
		{"second", "SELECT 1; SELEC 2", 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parser.Parse(tc.sql)
			pe := pgerror.As(err)
			if pe == nil || pe.Code != pgerror.SyntaxError {
				t.Fatalf("err %v", err)
			}
			if pe.Position != tc.pos {
				t.Fatalf("position %d, want %d (%s)", pe.Position, tc.pos, pe.Message)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	stmts, err := parser.Parse("  ; -- nothing\n")
	if err != nil || len(stmts) != 0 {
		t.Fatalf("%v %v", stmts, err)
	}
}
