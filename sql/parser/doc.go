// Package parser adapts pg_query_go (PostgreSQL's own grammar) to HeliosDB
// Nano. It is the only package that calls pg_query_go's parser.
//
// Parse (and ParseContext) first runs Split, a linear lexical scan that
// cuts the query string into statements where PostgreSQL's grammar would
// (semicolons outside strings, comments, parentheses and CREATE FUNCTION
// … BEGIN ATOMIC … END bodies, as psql cuts them) and bounds each
// statement's parse-tree depth from its tokens. A statement estimated
// deeper than MaxDepth is refused with 54001 "stack depth limit exceeded"
// before pg_query sees it: pg_query's parser, its protobuf output and Go's
// protobuf unmarshal recurse once per tree level, and an unbounded
// expression (SELECT 1+1+…+1 with 25,000 terms) overflowed the C stack
// and crashed the process. The others are then parsed one at a time, so
// parsing is linear in the input and stops between two statements when
// the context ends (cancel request, statement_timeout).
//
// Each Statement carries the raw parse tree, its own text and its byte and
// character offsets in the full string. Node locations inside the tree are
// byte offsets into the text that was parsed; Statement.Position turns one
// into the 1-based character position in the full string that PostgreSQL
// reports in ErrorResponse.
//
// Syntax errors are *pgerror.Error with code 42601 and the position
// PostgreSQL reports ("syntax error at or near \"x\"").
package parser
