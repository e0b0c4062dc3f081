package parser

import (
	"errors"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	pgqparser "github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/heliosdb/nano/sql/pgerror"
)

// Statement is one parsed statement of a query string.
type Statement struct {
	Node   *pg_query.Node // RawStmt.Stmt
	SQL    string         // this statement's text
	Offset int            // byte offset of SQL in the full string
	// CharOffset is the number of characters before SQL in the full string.
	CharOffset int
	// full is the whole query string, for converting node locations.
	full string
}

// Position converts a node location (byte offset into the full string, -1
// when unknown) into a 1-based character position, or 0.
func (s Statement) Position(loc int32) int32 {
	if loc < 0 {
		return 0
	}
	full := s.full
	if full == "" {
		full = s.SQL
		loc -= int32(s.Offset)
		if loc < 0 {
			return 0
		}
		if int(loc) > len(full) {
			loc = int32(len(full))
		}
		return int32(s.CharOffset + utf8.RuneCountInString(full[:loc]) + 1)
	}
	if int(loc) > len(full) {
		loc = int32(len(full))
	}
	return int32(utf8.RuneCountInString(full[:loc]) + 1)
}

// Parse parses sql into its statements. Empty statements (";;") are
// dropped; an all-blank string gives no statements and no error.
func Parse(sql string) ([]Statement, error) {
	res, err := pg_query.Parse(sql)
	if err != nil {
		return nil, convertError(err)
	}
	out := make([]Statement, 0, len(res.Stmts))
	for _, raw := range res.Stmts {
		if raw.Stmt == nil {
			continue
		}
		start := int(raw.StmtLocation)
		end := len(sql)
		if raw.StmtLen > 0 {
			end = start + int(raw.StmtLen)
		}
		if start < 0 || start > len(sql) || end > len(sql) || end < start {
			start, end = 0, len(sql)
		}
		text := sql[start:end]
		// pg_query includes leading whitespace/comments in the statement.
		trimmed := strings.TrimLeft(text, " \t\r\n")
		start += len(text) - len(trimmed)
		out = append(out, Statement{
			Node:       raw.Stmt,
			SQL:        strings.TrimRight(trimmed, " \t\r\n;"),
			Offset:     start,
			CharOffset: utf8.RuneCountInString(sql[:start]),
			full:       sql,
		})
	}
	return out, nil
}

// ParseOne parses sql that must hold exactly one statement.
func ParseOne(sql string) (Statement, error) {
	stmts, err := Parse(sql)
	if err != nil {
		return Statement{}, err
	}
	if len(stmts) != 1 {
		return Statement{}, pgerror.Newf(pgerror.SyntaxError, "expected one statement, got %d", len(stmts))
	}
	return stmts[0], nil
}

func convertError(err error) error {
	var pe *pgqparser.Error
	if errors.As(err, &pe) {
		e := pgerror.New(pgerror.SyntaxError, pe.Message)
		if pe.Cursorpos > 0 {
			e.Position = int32(pe.Cursorpos)
		}
		return e
	}
	return pgerror.Wrapf(err, pgerror.SyntaxError, "parse")
}
