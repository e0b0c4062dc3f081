// Package session is the per-connection SQL session that the PostgreSQL
// wire server (pgwire) and the HTTP API drive. *Session implements
// pgwire.Session structurally (this package does not import pgwire): the
// simple query protocol (Query), the extended protocol (Prepare, Bind,
// Describe*, Execute, Close*, Sync) and the status calls.
//
// # Transaction blocks
//
// A session is in one of four block states, reported at ReadyForQuery as
// 'I' (none or implicit), 'T' (explicit) or 'E' (failed):
//
//	none ──statement / Bind──▶ implicit ──end of string / Sync──▶ none (commit)
//	implicit ──error──▶ none (rollback)
//	none | implicit ──BEGIN──▶ explicit ──COMMIT──▶ none
//	explicit ──error──▶ failed ──COMMIT (tag ROLLBACK) | ROLLBACK──▶ none
//
// A simple-query string runs as one implicit transaction unless it holds
// BEGIN (statements before BEGIN then join the explicit one) or COMMIT
// (which warns 25P01 and commits what ran). In the extended protocol the
// implicit transaction runs from the first message after Sync to the next
// Sync. In a failed block every statement but COMMIT/ROLLBACK gets 25P02.
// BEGIN inside a block warns 25001; COMMIT/ROLLBACK outside one warn
// 25P01. Parameter changes (SET) in a block that rolls back are undone;
// SET LOCAL lasts until the block ends. Portals belong to the block and
// are closed when it ends, as are SQL cursors (DECLARE, cursor.go) unless
// declared WITH HOLD: those are read to the end at commit and live on. The engine transaction (snapshot) is taken
// lazily by the block's first engine statement.
//
// # Isolation
//
// PostgreSQL's levels (exec.Txn, package lock). READ COMMITTED (the
// default; READ UNCOMMITTED behaves the same) takes a fresh snapshot per
// statement; UPDATE, DELETE, INSERT … ON CONFLICT and SELECT … FOR
// UPDATE/NO KEY UPDATE/SHARE/KEY SHARE lock the rows they act on until
// the transaction ends, other writers wait (NOWAIT → 55P03, SKIP LOCKED,
// lock_timeout → 55P03, cancel/statement_timeout → 57014), and a row
// changed by a transaction that committed meanwhile is re-checked against
// the WHERE clause and acted on in its newest version. Inserters of one
// key (primary or unique) wait for each other. REPEATABLE READ keeps the
// first snapshot and fails with 40001 where PostgreSQL does (a row to lock
// was changed by a transaction the snapshot cannot see). SERIALIZABLE is
// PostgreSQL's serializable snapshot isolation (package ssi, through
// exec/serializable.go); READ ONLY DEFERRABLE waits for a safe snapshot at
// its first statement; a standby (Config.ReadOnly) refuses SERIALIZABLE
// with 0A000 as PostgreSQL's hot standby does.
// A deadlock is found after deadlock_timeout (1s) and one victim gets
// 40P01. The session owns its locks (advisory session locks outlive
// transactions); Close releases them. Two-phase commit is not supported
// (0A000).
//
// # Savepoints
//
// SAVEPOINT, RELEASE [SAVEPOINT] and ROLLBACK TO [SAVEPOINT] work as in
// PostgreSQL 15 inside an explicit block (savepoint.go): ROLLBACK TO undoes
// writes, DDL, row/table/advisory transaction locks, SET/SET LOCAL and the
// cursors opened since the savepoint; an error in a block with savepoints
// rolls back to the newest one at once and fails the block until ROLLBACK
// TO.
//
// # Conflicts
//
// Nothing is re-run. Writers wait for row, table and catalog locks instead
// of conflicting (package exec), so under READ COMMITTED a statement never
// fails with 40001 because of a concurrent writer; REPEATABLE READ and
// SERIALIZABLE give PostgreSQL's 40001 to the client, in an implicit block
// as in an explicit one. Results stream to the client as they are made,
// except the held CommandComplete of a simple query's last writing
// statement (output.go).
//
// # Read-only
//
// On a read-only node (Config.ReadOnly) and in read-only transactions
// (BEGIN READ ONLY, SET TRANSACTION READ ONLY,
// default_transaction_read_only) a statement the engine reports as writing
// fails with 25006 "cannot execute INSERT in a read-only transaction"; on
// a node the hint names the primary. SHOW transaction_read_only and
// in_hot_standby report it.
//
// # Write forwarding
//
// With Config.Forward set, a read-only node does not refuse a writing
// statement (unless the client made the transaction read-only): it and the
// rest of its transaction block run on the primary through a ForwardTxn,
// and the commit returns once this node can read it. Reads before the
// first write used this node's snapshot. See forward.go.
//
// # Parameters
//
// SET / SET SESSION / SET LOCAL / RESET / RESET ALL / SHOW / SHOW ALL know
// the usual PostgreSQL parameters with their defaults and validation (see
// guc.go); unknown names are 42704, read-only ones 55P02. Values this
// server cannot honour (client_encoding other than UTF8, DateStyle other
// than ISO, IntervalStyle other than postgres, bytea_output escape,
// standard_conforming_strings off) are 0A000. statement_timeout is
// enforced per statement (per Execute in the extended protocol) with
// 57014; client_connection_check_interval (default 250ms, 0 = off) is
// read by pgwire through ClientConnectionCheckInterval; lock_timeout, idle_*_timeout, synchronous_commit and work_mem are
// accepted and shown but have no effect. The engine sees every parameter
// through exec.Vars; the value passed to Open also has
// Set(name, value string, local bool) error for set_config().
// SHOW TOPOLOGY runs SELECT * FROM helios_topology.
//
// # Simple-query plan cache
//
// A simple query of one SELECT, INSERT, UPDATE or DELETE whose literals
// are all numbers is run from a per-session cache of plans keyed by its
// text with the numbers replaced by $n (plancache.go says where a
// parameter may stand for a literal and why that is exact).
//
// # Concurrency and cancellation
//
// A Session is used by one goroutine at a time (pgwire's connection
// goroutine); it starts no goroutines. Every blocking call takes a
// context: cancelling it fails the running statement with 57014
// "canceling statement due to user request", or with the context's cause
// when that is a *pgerror.Error (e.g. 57P01 at shutdown). Close rolls back
// an open transaction and closes portals.
package session
