package parser

import (
	"context"
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
	// src is the text pg_query parsed (node locations are byte offsets
	// into it) and srcChars the number of characters before it in the
	// full string.
	src      string
	srcChars int
}

// Position converts a node location (byte offset into the parsed text, -1
// when unknown) into a 1-based character position in the full string, or
// 0.
func (s Statement) Position(loc int32) int32 {
	if loc < 0 {
		return 0
	}
	src, chars := s.src, s.srcChars
	if src == "" { // built by hand: locations are offsets in SQL
		src, chars = s.SQL, s.CharOffset
	}
	if int(loc) > len(src) {
		loc = int32(len(src))
	}
	return int32(chars + utf8.RuneCountInString(src[:loc]) + 1)
}

// SourceAt is the statement's text from node location loc (a byte offset
// into the parsed text) to its end; "" when loc is unknown or out of range.
func (s Statement) SourceAt(loc int32) string {
	src := s.src
	if src == "" { // built by hand: locations are offsets in SQL
		src = s.SQL
	}
	if loc < 0 || int(loc) > len(src) {
		return ""
	}
	return src[loc:]
}

// Parse parses sql into its statements. Empty statements (";;") are
// dropped; an all-blank string gives no statements and no error.
func Parse(sql string) ([]Statement, error) {
	return ParseContext(context.Background(), sql)
}

// ParseContext is Parse that stops with ctx's error when ctx ends. It
// splits sql (Split) and parses statement by statement, so its time is
// linear in len(sql) and it notices ctx between statements; all of sql is
// parsed before anything runs, as PostgreSQL does. A statement nested
// deeper than MaxDepth is refused with 54001 before pg_query sees it.
func ParseContext(ctx context.Context, sql string) ([]Statement, error) {
	pieces, err := Split(ctx, sql)
	if err != nil {
		return nil, err
	}
	out := make([]Statement, 0, len(pieces))
	chars, charsAt := 0, 0 // chars = characters in sql[:charsAt]
	for _, p := range pieces {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		chars += utf8.RuneCountInString(sql[charsAt:p.Start])
		charsAt = p.Start
		if p.Depth > MaxDepth {
			return nil, errTooDeep()
		}
		if out, err = parsePiece(out, sql[p.Start:p.End], p.Start, chars); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parsePiece parses the statement text src, found at byte start and
// character chars of the full string, and appends its statements to out.
func parsePiece(out []Statement, src string, start, chars int) ([]Statement, error) {
	if n, ok := txStatement(src); ok {
		return append(out, Statement{Node: n, SQL: src, Offset: start, CharOffset: chars, src: src, srcChars: chars}), nil
	}
	if got, ok := parseValues(out, src, start, chars); ok {
		return got, nil
	}
	return parsePgQuery(out, src, start, chars)
}

// parsePgQuery is parsePiece through pg_query.
func parsePgQuery(out []Statement, src string, start, chars int) ([]Statement, error) {
	res, err := pg_query.Parse(src)
	if err != nil {
		return nil, convertError(err, chars)
	}
	at, atChars := 0, chars // characters before src[at:] in the full string
	for _, raw := range res.Stmts {
		if raw.Stmt == nil {
			continue
		}
		b, e := int(raw.StmtLocation), len(src)
		if raw.StmtLen > 0 {
			e = b + int(raw.StmtLen)
		}
		if b < at || b > len(src) || e > len(src) || e < b {
			b, e = at, len(src)
		}
		text := src[b:e]
		// pg_query includes leading whitespace/comments in the statement.
		trimmed := strings.TrimLeft(text, " \t\r\n")
		b += len(text) - len(trimmed)
		atChars += utf8.RuneCountInString(src[at:b])
		at = b
		out = append(out, Statement{
			Node:       raw.Stmt,
			SQL:        strings.TrimRight(trimmed, " \t\r\n;"),
			Offset:     start + b,
			CharOffset: atChars,
			src:        src,
			srcChars:   chars,
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

// errTooDeep is PostgreSQL's answer to an expression nested beyond its
// stack (54001); the hint says what our limit is about.
func errTooDeep() error {
	return pgerror.New(pgerror.StatementTooComplex, "stack depth limit exceeded").
		WithHint("The statement nests expressions, operators or subqueries more than %d levels deep; simplify it or split it.", MaxDepth)
}

// convertError turns a pg_query error into 42601 (0A000 for what the
// grammar says is not yet implemented) with its position moved
// by chars, the characters before the parsed text in the full string.
func convertError(err error, chars int) error {
	var pe *pgqparser.Error
	if errors.As(err, &pe) {
		code := pgerror.SyntaxError
		if strings.HasSuffix(pe.Message, "not yet implemented") {
			// the grammar's own refusals (MATCH PARTIAL, CREATE
			// ASSERTION) are 0A000 in PostgreSQL, not syntax errors
			code = pgerror.FeatureNotSupported
		}
		e := pgerror.New(code, pe.Message)
		if pe.Cursorpos > 0 {
			e.Position = int32(pe.Cursorpos + chars)
		}
		return e
	}
	if strings.Contains(err.Error(), "exceeded maximum recursion depth") {
		return errTooDeep() // Go's protobuf unmarshal limit: MaxDepth let a shape through
	}
	return pgerror.Wrapf(err, pgerror.SyntaxError, "parse")
}
