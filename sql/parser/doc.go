// Package parser adapts pg_query_go (PostgreSQL's own grammar) to HeliosDB
// Nano. It is the only package that imports github.com/pganalyze/pg_query_go.
//
// Parse splits a query string into statements, each carrying the raw parse
// tree, its own text and its byte offset in the full string. Node locations
// inside the tree are byte offsets into the full string; Statement.Position
// turns one into the 1-based character position PostgreSQL reports in
// ErrorResponse.
//
// Syntax errors are *pgerror.Error with code 42601 and the position
// PostgreSQL reports ("syntax error at or near \"x\"").
package parser
