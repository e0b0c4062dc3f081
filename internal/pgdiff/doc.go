// Package pgdiff is the differential test harness: it runs the same SQL files
// against HeliosDB Nano and a real PostgreSQL 15 (which it starts itself, see
// StartPostgres) and compares, statement by statement, what the two answer —
// column names and type OIDs, rows (in order where the statement orders at
// top level, else as multisets), command tags and SQLSTATEs. PostgreSQL is
// the oracle: there are no hand-written expected results.
//
// Corpus files (testdata/compat/*.sql) are plain SQL: a statement ends with a
// ';' at the end of a line. Comment lines "-- compare: messages" (compare
// error messages too) and "-- compare: unordered" (compare rows as a
// multiset even though the statement orders, e.g. on a key with ties) apply
// to the statement that follows. A statement's id is "file.sql:line", the
// line it starts on.
//
// Known mismatches are listed in testdata/compat/known_failures.txt (one id
// per line, "# why" after it); Check fails on a mismatch not listed and on a
// listed statement that now matches, so the list only shrinks.
//
// The package also runs the sqllogictest corpus through slt.py (RunSLT) to
// score a server's pass rate.
package pgdiff
