// Package classify decides, with PostgreSQL's own grammar (sql/parser),
// where a statement may run: on the primary (Write), on any healthy node
// (Read), or on whichever backend the session already uses (Any: SET,
// COMMIT, DISCARD…). It never executes anything and knows nothing about
// nodes; proxy/route turns a Class into a target.
//
// # Rules (DESIGN.md section 6)
//
//   - Write: INSERT, UPDATE, DELETE, MERGE; DDL and other utility
//     statements; COPY … FROM; SELECT … FOR UPDATE/SHARE; SELECT INTO;
//     WITH containing a data-modifying statement; calls of functions that
//     write or hold state (nextval, setval, currval, lastval, advisory
//     locks, set_config, txid_current, pg_notify…); LOCK; cursors
//     (DECLARE/FETCH/MOVE/CLOSE, so they stay on one backend); SQL-level
//     PREPARE/EXECUTE; LISTEN/NOTIFY; BEGIN (read-write); EXPLAIN ANALYZE
//     of a write; COMMIT/ROLLBACK PREPARED.
//   - Read: plain SELECT (and VALUES, TABLE), SHOW, EXPLAIN without ANALYZE,
//     EXPLAIN ANALYZE of a read, COPY … TO, BEGIN READ ONLY.
//   - Any: SET, RESET, SET LOCAL, SET TRANSACTION, COMMIT, ROLLBACK,
//     SAVEPOINT, RELEASE, DISCARD, DEALLOCATE, the empty query, and text the
//     parser rejects (every node rejects it the same way, so any node can
//     report the syntax error).
//
// A query string with several statements gets the strongest kind of its
// statements (Write > Read > Any). Session-level SET and RESET statements
// are listed in Class.Set so the proxy can replay them on every backend
// the session uses; CREATE TEMP … sets Class.Temp so the session stays on
// the primary from then on.
//
// Classifier caches classes by statement text and by statement shape (the
// text with its literals replaced), so "… WHERE id = 1" and "… WHERE id =
// 2" are parsed once; classes that depend on the text (SET, to be replayed
// verbatim) or on a literal's value are cached by exact text only. It is
// safe for concurrent use. Classes are shared between callers and must not
// be modified.
package classify
