// Package tests holds end-to-end tests that build the real binaries and
// drive them with real clients (pgx, psql) on 127.0.0.1, plus the layering
// test that keeps DESIGN.md's import rules true.
package tests
