// Package pgwiretest holds test fixtures for pgwire: a fake Session that
// answers canned statements over a tiny in-memory table (so the protocol is
// tested without SQL), and helpers that start a real pgwire.Server on
// 127.0.0.1:0 for real clients (pgx, psql, raw pgproto3) to talk to.
//
// The fake understands only the statement texts registered in
// Factory.Statements (NewFactory registers a default set, see
// DefaultStatements); any other text fails with 42601. A simple-protocol
// string is split on ';' (no quoting rules), each piece trimmed.
package pgwiretest
