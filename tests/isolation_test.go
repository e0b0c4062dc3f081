package tests

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Isolation permutations in the style of PostgreSQL's src/test/isolation:
// each spec has sessions with named steps and permutations (orders of
// steps). The harness runs every permutation against our node and against
// a real PostgreSQL 15 and requires the same outcome for every step: its
// result (command tags and rows, or the SQLSTATE) and whether it had to
// wait for a lock. Specs also state the outcome they expect, so a bug
// shared by both servers' runs (or a harness that sees nothing) fails too.
//
// Regression tests for issue 13: before row locks, the second writer of a
// row did not wait and one of them failed with 40001 at COMMIT.

type isoStep struct {
	session int
	sql     string
}

type isoSpec struct {
	name     string
	setup    string
	sessions int
	steps    map[string]isoStep
	perms    [][]string
	check    string // run after each permutation, compared too
	// want: per step, the outcome we require (a substring of the
	// rendered outcome, e.g. "waited", "ERROR 40001", "UPDATE 1").
	want map[string]string
	// wantCheck is required of check's rendered result.
	wantCheck string
	// messages: errors render with their message, not only the SQLSTATE.
	messages bool
}

var isoSpecs = []isoSpec{
	// Foreign keys (issue 12): the inserting child locks its parent row
	// FOR KEY SHARE, so a concurrent DELETE of the parent waits and then
	// sees the child; a child insert waits for an uncommitted parent
	// delete; a non-key UPDATE of the parent does not wait.
	{
		name: "fk-parent-delete-waits-for-child",
		setup: "DROP TABLE IF EXISTS fkc; DROP TABLE IF EXISTS fkp; CREATE TABLE fkp (id int PRIMARY KEY, v int); " +
			"CREATE TABLE fkc (id int PRIMARY KEY, pid int REFERENCES fkp); INSERT INTO fkp VALUES (1, 0), (2, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "i1": {0, "INSERT INTO fkc VALUES (1, 1)"}, "c1": {0, "COMMIT"}, "r1": {0, "ROLLBACK"},
			"d2": {1, "DELETE FROM fkp WHERE id = 1"}, "u2": {1, "UPDATE fkp SET v = 5 WHERE id = 1"},
		},
		perms: [][]string{{"b1", "i1", "d2", "c1"}, {"b1", "i1", "d2", "r1"}, {"b1", "i1", "u2", "c1"}},
		check: "SELECT (SELECT count(*) FROM fkp), (SELECT count(*) FROM fkc)",
		want:  map[string]string{"u2": "UPDATE 1"},
	},
	{
		name: "fk-child-insert-waits-for-parent-delete",
		setup: "DROP TABLE IF EXISTS fkc; DROP TABLE IF EXISTS fkp; CREATE TABLE fkp (id int PRIMARY KEY, v int); " +
			"CREATE TABLE fkc (id int PRIMARY KEY, pid int REFERENCES fkp ON DELETE CASCADE); INSERT INTO fkp VALUES (1, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "d1": {0, "DELETE FROM fkp WHERE id = 1"}, "c1": {0, "COMMIT"}, "r1": {0, "ROLLBACK"},
			"i2": {1, "INSERT INTO fkc VALUES (1, 1)"},
		},
		perms: [][]string{{"b1", "d1", "i2", "c1"}, {"b1", "d1", "i2", "r1"}},
		check: "SELECT (SELECT count(*) FROM fkp), (SELECT count(*) FROM fkc)",
		want:  map[string]string{"i2": "waited"},
	},
	{
		name:     "lost-update-read-committed",
		setup:    "DROP TABLE IF EXISTS acct; CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "u1": {0, "UPDATE acct SET v = v + 1 WHERE id = 1"}, "c1": {0, "COMMIT"},
			"b2": {1, "BEGIN"}, "u2": {1, "UPDATE acct SET v = v + 1 WHERE id = 1 RETURNING v"}, "c2": {1, "COMMIT"},
		},
		perms:     [][]string{{"b1", "b2", "u1", "u2", "c1", "c2"}, {"b1", "u1", "b2", "c1", "u2", "c2"}},
		check:     "SELECT v FROM acct",
		want:      map[string]string{"u2": "UPDATE 1"},
		wantCheck: "2",
	},
	{
		name:     "epq-recheck-where",
		setup:    "DROP TABLE IF EXISTS acct; CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0), (2, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "u1": {0, "UPDATE acct SET v = 5 WHERE id = 1"}, "c1": {0, "COMMIT"},
			"u2": {1, "UPDATE acct SET v = v + 10 WHERE v = 0"},
		},
		perms:     [][]string{{"b1", "u1", "u2", "c1"}},
		check:     "SELECT id, v FROM acct ORDER BY id",
		want:      map[string]string{"u2": "waited UPDATE 1"},
		wantCheck: "1,5;2,10",
	},
	// UPDATE … FROM / DELETE … USING: the target row waits for the
	// concurrent writer, then the WHERE clause is rechecked on its newest
	// version with the same FROM row (PostgreSQL's EvalPlanQual).
	{
		name: "epq-update-from",
		setup: "DROP TABLE IF EXISTS acct; DROP TABLE IF EXISTS adj; CREATE TABLE acct (id int PRIMARY KEY, k int, v int); " +
			"CREATE TABLE adj (k int, d int); INSERT INTO acct VALUES (1, 1, 0), (2, 2, 0); INSERT INTO adj VALUES (1, 100), (2, 200)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "u1": {0, "UPDATE acct SET v = v + 1 WHERE id = 1"}, "k1": {0, "UPDATE acct SET k = 9 WHERE id = 2"},
			"c1": {0, "COMMIT"}, "r1": {0, "ROLLBACK"},
			"u2": {1, "UPDATE acct SET v = acct.v + adj.d FROM adj WHERE acct.k = adj.k RETURNING acct.id, acct.v, adj.d"},
			"d2": {1, "DELETE FROM acct USING adj WHERE acct.k = adj.k AND adj.d > 150 RETURNING acct.id, adj.d"},
		},
		perms: [][]string{
			{"b1", "u1", "k1", "u2", "c1"}, // row 1: newest v; row 2: k changed, no longer matches
			{"b1", "u1", "k1", "u2", "r1"},
			{"b1", "k1", "d2", "c1"},
			{"b1", "k1", "d2", "r1"},
		},
		check: "SELECT id, k, v FROM acct ORDER BY id",
		want:  map[string]string{"u2": "waited", "d2": "waited"},
	},
	// MERGE: a matched row waits for its concurrent writer, then the join
	// is rechecked on the newest version (updated: the MATCHED action on it;
	// deleted: the NOT MATCHED action); an insert waits for a concurrent
	// inserter of the same key.
	{
		name:     "merge-concurrent",
		setup:    "DROP TABLE IF EXISTS mt; CREATE TABLE mt (id int PRIMARY KEY, n int); INSERT INTO mt VALUES (1, 1), (2, 2)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "u1": {0, "UPDATE mt SET n = n + 1 WHERE id = 1"}, "d1": {0, "DELETE FROM mt WHERE id = 1"},
			"i1": {0, "INSERT INTO mt VALUES (9, 0)"}, "c1": {0, "COMMIT"}, "r1": {0, "ROLLBACK"},
			"m2": {1, "MERGE INTO mt USING (VALUES (1, 100), (9, 900)) s(id, n) ON mt.id = s.id " +
				"WHEN MATCHED THEN UPDATE SET n = mt.n * 10 WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.n)"},
		},
		perms: [][]string{
			{"b1", "u1", "m2", "c1"},
			{"b1", "u1", "m2", "r1"},
			{"b1", "d1", "m2", "c1"},
			{"b1", "i1", "m2", "c1"},
			{"b1", "i1", "m2", "r1"},
		},
		check: "SELECT id, n FROM mt ORDER BY id",
		want:  map[string]string{"m2": "waited"},
	},
	{
		name:     "repeatable-read-40001",
		setup:    "DROP TABLE IF EXISTS acct; CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN ISOLATION LEVEL REPEATABLE READ"}, "r1": {0, "SELECT v FROM acct"},
			"u1": {0, "UPDATE acct SET v = v + 1 WHERE id = 1"}, "e1": {0, "ROLLBACK"},
			"b2": {1, "BEGIN"}, "u2": {1, "UPDATE acct SET v = v + 10 WHERE id = 1"}, "c2": {1, "COMMIT"},
		},
		perms: [][]string{
			{"b1", "r1", "b2", "u2", "c2", "u1", "e1"}, // changed before: 40001 at once
			{"b1", "r1", "b2", "u2", "u1", "c2", "e1"}, // waits, then 40001
		},
		check:     "SELECT v FROM acct",
		want:      map[string]string{"u1": "ERROR 40001"},
		wantCheck: "10",
	},
	{
		name:     "nowait",
		setup:    "DROP TABLE IF EXISTS acct; CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "l1": {0, "SELECT id FROM acct WHERE id = 1 FOR UPDATE"}, "c1": {0, "COMMIT"},
			"l2": {1, "SELECT id FROM acct WHERE id = 1 FOR UPDATE NOWAIT"},
			"s2": {1, "SELECT id FROM acct WHERE id = 1 FOR KEY SHARE NOWAIT"},
		},
		perms: [][]string{{"b1", "l1", "l2", "c1"}, {"b1", "l1", "s2", "c1"}},
		want:  map[string]string{"l2": "ERROR 55P03"},
	},
	{
		name:     "skip-locked-queue",
		setup:    "DROP TABLE IF EXISTS jobs; CREATE TABLE jobs (id int PRIMARY KEY, done bool); INSERT INTO jobs VALUES (1, false), (2, false), (3, false)",
		sessions: 3,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "t1": {0, "SELECT id FROM jobs WHERE NOT done ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"},
			"d1": {0, "UPDATE jobs SET done = true WHERE id = 1"}, "c1": {0, "COMMIT"},
			"b2": {1, "BEGIN"}, "t2": {1, "SELECT id FROM jobs WHERE NOT done ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"}, "c2": {1, "COMMIT"},
			"b3": {2, "BEGIN"}, "t3": {2, "SELECT id FROM jobs WHERE NOT done ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"}, "c3": {2, "COMMIT"},
		},
		perms:     [][]string{{"b1", "t1", "b2", "t2", "b3", "t3", "d1", "c1", "c2", "c3"}},
		check:     "SELECT count(*) FROM jobs WHERE done",
		want:      map[string]string{"t1": "SELECT 1: 1", "t2": "SELECT 1: 2", "t3": "SELECT 1: 3"},
		wantCheck: "1",
	},
	{
		name:     "deadlock-two",
		setup:    "DROP TABLE IF EXISTS acct; CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0), (2, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "x1": {0, "UPDATE acct SET v = 1 WHERE id = 1"}, "y1": {0, "UPDATE acct SET v = 1 WHERE id = 2"}, "c1": {0, "COMMIT"},
			"b2": {1, "BEGIN"}, "y2": {1, "UPDATE acct SET v = 2 WHERE id = 2"}, "x2": {1, "UPDATE acct SET v = 2 WHERE id = 1"}, "c2": {1, "COMMIT"},
		},
		perms: [][]string{{"b1", "b2", "x1", "y2", "y1", "x2", "c1", "c2"}},
		check: "SELECT id, v FROM acct ORDER BY id",
		// The first waiter's deadlock check finds the cycle: it is the victim.
		want:      map[string]string{"y1": "ERROR 40P01", "x2": "waited UPDATE 1", "c1": "ROLLBACK"},
		wantCheck: "1,2;2,2",
	},
	{
		name:     "deadlock-three",
		setup:    "DROP TABLE IF EXISTS acct; CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0), (2, 0), (3, 0)",
		sessions: 3,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "a1": {0, "UPDATE acct SET v = 1 WHERE id = 1"}, "n1": {0, "UPDATE acct SET v = 1 WHERE id = 2"}, "c1": {0, "COMMIT"},
			"b2": {1, "BEGIN"}, "a2": {1, "UPDATE acct SET v = 2 WHERE id = 2"}, "n2": {1, "UPDATE acct SET v = 2 WHERE id = 3"}, "c2": {1, "COMMIT"},
			"b3": {2, "BEGIN"}, "a3": {2, "UPDATE acct SET v = 3 WHERE id = 3"}, "n3": {2, "UPDATE acct SET v = 3 WHERE id = 1"}, "c3": {2, "COMMIT"},
		},
		// The victim's locks go with its error: n3 proceeds, n2 waits for c3.
		perms:     [][]string{{"b1", "b2", "b3", "a1", "a2", "a3", "n1", "n2", "n3", "c1", "c3", "c2"}},
		check:     "SELECT id, v FROM acct ORDER BY id",
		want:      map[string]string{"n1": "ERROR 40P01", "n2": "waited UPDATE 1", "n3": "waited UPDATE 1"},
		wantCheck: "1,3;2,2;3,2",
	},
	{
		name:     "lock-timeout",
		setup:    "DROP TABLE IF EXISTS acct; CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "u1": {0, "UPDATE acct SET v = 1 WHERE id = 1"}, "c1": {0, "COMMIT"},
			"t2": {1, "SET lock_timeout = '100ms'"}, "u2": {1, "UPDATE acct SET v = 2 WHERE id = 1"}, "r2": {1, "RESET ALL"},
			"s2": {1, "SET statement_timeout = '100ms'"},
		},
		// r2 is due on u2's session: the harness waits for u2 to end.
		perms:     [][]string{{"b1", "u1", "t2", "u2", "r2", "c1"}, {"b1", "u1", "s2", "u2", "r2", "c1"}},
		check:     "SELECT v FROM acct",
		want:      map[string]string{"u2": "ERROR"},
		wantCheck: "1",
	},
	{
		name:     "uniqueness-wait",
		setup:    "DROP TABLE IF EXISTS uq; CREATE TABLE uq (id int PRIMARY KEY, email text UNIQUE)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "i1": {0, "INSERT INTO uq VALUES (1, 'a@x')"}, "c1": {0, "COMMIT"}, "r1": {0, "ROLLBACK"},
			"i2": {1, "INSERT INTO uq VALUES (1, 'b@x')"}, "j2": {1, "INSERT INTO uq VALUES (2, 'a@x')"},
			"o2": {1, "INSERT INTO uq VALUES (1, 'c@x') ON CONFLICT (id) DO UPDATE SET email = excluded.email"},
		},
		perms: [][]string{
			{"b1", "i1", "i2", "r1"}, // inserter rolls back: the waiter inserts
			{"b1", "i1", "i2", "c1"}, // commits: 23505 after the wait
			{"b1", "i1", "j2", "r1"}, // same through a unique index
			{"b1", "i1", "o2", "c1"}, // ON CONFLICT waits, then updates
		},
		check: "SELECT id, email FROM uq ORDER BY id",
	},
	{
		name:     "serializable-write-skew",
		setup:    "DROP TABLE IF EXISTS doctors; CREATE TABLE doctors (name text PRIMARY KEY, on_call bool); INSERT INTO doctors VALUES ('alice', true), ('bob', true)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN ISOLATION LEVEL SERIALIZABLE"}, "r1": {0, "SELECT count(*) FROM doctors WHERE on_call"},
			"w1": {0, "UPDATE doctors SET on_call = false WHERE name = 'alice'"}, "c1": {0, "COMMIT"},
			"b2": {1, "BEGIN ISOLATION LEVEL SERIALIZABLE"}, "r2": {1, "SELECT count(*) FROM doctors WHERE on_call"},
			"w2": {1, "UPDATE doctors SET on_call = false WHERE name = 'bob'"}, "c2": {1, "COMMIT"},
		},
		perms:     [][]string{{"b1", "b2", "r1", "r2", "w1", "w2", "c1", "c2"}},
		check:     "SELECT count(*) FROM doctors WHERE on_call",
		want:      map[string]string{"c2": "ERROR 40001"},
		wantCheck: "1",
	},
	{
		name:     "lock-table",
		setup:    "DROP TABLE IF EXISTS acct; CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "sh1": {0, "LOCK TABLE acct IN SHARE MODE"}, "ax1": {0, "LOCK TABLE acct"},
			"ex1": {0, "LOCK acct IN EXCLUSIVE MODE"}, "u1": {0, "UPDATE acct SET v = v + 1 WHERE id = 1"},
			"al1": {0, "ALTER TABLE acct ADD COLUMN w int"}, "c1": {0, "COMMIT"},
			"b2": {1, "BEGIN"}, "r2": {1, "SELECT v FROM acct"}, "u2": {1, "UPDATE acct SET v = v + 10 WHERE id = 1"},
			"sh2": {1, "LOCK TABLE acct IN SHARE MODE"}, "rs2": {1, "SELECT v FROM acct WHERE id = 1 FOR SHARE"},
			"out2": {1, "LOCK TABLE acct"}, "multi2": {1, "LOCK TABLE acct IN ACCESS SHARE MODE; SELECT 1"},
			"nw2": {1, "BEGIN; LOCK TABLE acct IN ROW EXCLUSIVE MODE NOWAIT"}, "c2": {1, "COMMIT"},
			"d1": {0, "UPDATE acct SET v = v + 1 WHERE id = 1"}, "d2": {1, "UPDATE acct SET v = v + 10 WHERE id = 1"},
		},
		perms: [][]string{
			{"b1", "sh1", "r2", "u2", "c1"},                    // SHARE: readers pass, writers wait
			{"b1", "ax1", "r2", "c1"},                          // ACCESS EXCLUSIVE: readers wait too
			{"b1", "ex1", "rs2", "c1"},                         // EXCLUSIVE blocks FOR SHARE (ROW SHARE)
			{"b2", "r2", "al1", "c2"},                          // ALTER TABLE waits for a reader's transaction
			{"b2", "u2", "sh1", "c2", "c1"},                    // SHARE waits for a writer
			{"out2", "multi2"},                                 // 25P01 alone; an implicit block is one
			{"b1", "sh1", "nw2", "c1", "c2"},                   // NOWAIT
			{"b1", "b2", "sh1", "sh2", "d1", "d2", "c1", "c2"}, // deadlock through table locks, found at once
		},
		check: "SELECT v FROM acct",
		want: map[string]string{"out2": "ERROR 25P01", "nw2": "ERROR 55P03", "d1": "waited UPDATE 1", "d2": "ERROR 40P01",
			"al1": "waited ALTER TABLE"},
	},
	{
		// pg_locks and pg_stat_activity while sessions wait for a row, a
		// table and an advisory lock (virtualxid rows and other relations'
		// locks left out: PostgreSQL's own catalog reads take those).
		name:     "lock-visibility",
		setup:    "DROP TABLE IF EXISTS acct; CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0)",
		sessions: 4,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "u1": {0, "UPDATE acct SET v = 1 WHERE id = 1"}, "sh1": {0, "LOCK TABLE acct IN SHARE MODE"},
			"al1": {0, "SELECT pg_advisory_lock(42)"}, "un1": {0, "SELECT pg_advisory_unlock_all()"}, "c1": {0, "COMMIT"},
			"u2": {1, "UPDATE acct SET v = 2 WHERE id = 1"}, "al2": {1, "SELECT pg_advisory_lock(42)"},
			"un2":   {1, "SELECT pg_advisory_unlock_all()"},
			"u3":    {2, "UPDATE acct SET v = 3 WHERE id = 1"},
			"locks": {3, "SELECT locktype, mode, granted FROM pg_locks WHERE locktype <> 'virtualxid' AND (locktype <> 'relation' OR relation = 'acct'::regclass) ORDER BY 1, 2, 3"},
			"waits": {3, "SELECT wait_event_type, wait_event, state FROM pg_stat_activity WHERE wait_event_type = 'Lock' ORDER BY 2"},
		},
		perms: [][]string{
			{"b1", "u1", "u2", "u3", "locks", "waits", "c1"}, // row lock: first waiter on the transaction, second on the tuple
			{"b1", "sh1", "u2", "locks", "waits", "c1"},      // table lock
			{"al1", "al2", "locks", "waits", "un1", "un2"},   // advisory lock
		},
		want: map[string]string{"waits": "Lock"},
	},
	{
		name: "for-update-join",
		setup: "DROP TABLE IF EXISTS fa, fb; CREATE TABLE fa (id int PRIMARY KEY, v int); CREATE TABLE fb (id int PRIMARY KEY, aid int); " +
			"INSERT INTO fa VALUES (1, 0), (2, 0); INSERT INTO fb VALUES (10, 1), (20, 2)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "c1": {0, "COMMIT"},
			"j1":  {0, "SELECT fa.id, fb.id FROM fa JOIN fb ON fb.aid = fa.id WHERE fa.id = 1 FOR UPDATE"},
			"of1": {0, "SELECT fa.id FROM fa, fb WHERE fb.aid = fa.id AND fa.id = 1 FOR UPDATE OF fb"},
			"sh1": {0, "SELECT x.id FROM fa x JOIN fb y ON y.aid = x.id WHERE x.id = 1 FOR SHARE OF x FOR UPDATE OF y"},
			"mb1": {0, "UPDATE fb SET aid = 2 WHERE id = 10"},
			"ua2": {1, "UPDATE fa SET v = 1 WHERE id = 1"}, "ub2": {1, "UPDATE fb SET aid = 1 WHERE id = 10"},
			"ra2": {1, "SELECT id FROM fa WHERE id = 1 FOR SHARE"},
			"j2":  {1, "SELECT fa.id, fb.id FROM fa JOIN fb ON fb.aid = fa.id WHERE fa.id = 1 FOR UPDATE"},
			"e1":  {1, "SELECT count(*) FROM fa FOR UPDATE"}, "e2": {1, "SELECT DISTINCT v FROM fa FOR SHARE"},
			"e3": {1, "SELECT v FROM fa GROUP BY v FOR NO KEY UPDATE"}, "e4": {1, "SELECT id FROM fa UNION SELECT id FROM fb FOR UPDATE"},
			"e5": {1, "SELECT fa.id FROM fa FOR UPDATE OF fb"}, "e6": {1, "SELECT row_number() OVER () FROM fa FOR KEY SHARE"},
			"e7": {1, "SELECT v FROM fa GROUP BY v HAVING v > 0 FOR UPDATE"}, "e8": {1, "SELECT x.id FROM fa x FOR UPDATE OF fa"},
		},
		perms: [][]string{
			{"b1", "j1", "ua2", "c1"}, // a join locks the rows of both tables
			{"b1", "j1", "ub2", "c1"},
			{"b1", "of1", "ua2", "ub2", "c1"}, // OF fb: only fb's rows
			{"b1", "sh1", "ra2", "ub2", "c1"}, // per-table strengths: FOR SHARE of fa lets FOR SHARE in
			{"b1", "mb1", "j2", "c1"},         // the join is re-checked on the row's new version: no row
			{"e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"},
		},
		check:    "SELECT fa.id, v, fb.id, aid FROM fa JOIN fb ON fb.aid = fa.id ORDER BY 1, 3",
		messages: true,
		want: map[string]string{"ub2": "waited UPDATE 1", "ua2": "UPDATE 1", "j2": "waited SELECT 0",
			"e1": "FOR UPDATE is not allowed with aggregate functions", "e5": `relation "fb" in FOR UPDATE clause not found in FROM clause`},
	},
	{
		name:     "advisory",
		setup:    "SELECT 1",
		sessions: 2,
		steps: map[string]isoStep{
			"l1": {0, "SELECT pg_advisory_lock(42)"}, "u1": {0, "SELECT pg_advisory_unlock(42)"},
			"t2": {1, "SELECT pg_try_advisory_lock(42)"}, "w2": {1, "SELECT pg_advisory_lock(42)"}, "u2": {1, "SELECT pg_advisory_unlock(42)"},
			"x2": {1, "BEGIN; SELECT pg_advisory_xact_lock(7); COMMIT"}, "y1": {0, "SELECT pg_try_advisory_lock(7)"}, "z1": {0, "SELECT pg_advisory_unlock_all()"},
		},
		perms: [][]string{{"l1", "t2", "w2", "u1", "u2", "x2", "y1", "z1"}},
		want:  map[string]string{"t2": "SELECT 1: f", "w2": "waited", "y1": "SELECT 1: t"},
	},
	// Savepoints (issues 11-13): ROLLBACK TO gives back the row, table and
	// advisory locks taken after the savepoint, so a waiter proceeds before
	// the transaction ends; an error inside a savepoint gives them back at
	// once (PostgreSQL aborts the subtransaction); locks taken before the
	// savepoint stay. A step of the waiter's session placed after the
	// release point fails the permutation if the waiter still waits.
	{
		name: "savepoint-rollback-releases-locks",
		setup: "DROP TABLE IF EXISTS spl; CREATE TABLE spl (id int PRIMARY KEY, v int); " +
			"INSERT INTO spl VALUES (1, 0), (2, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "k1": {0, "SELECT v FROM spl WHERE id = 2 FOR UPDATE"}, "s1": {0, "SAVEPOINT a"},
			"u1": {0, "UPDATE spl SET v = 1 WHERE id = 1"}, "t1": {0, "LOCK TABLE spl IN EXCLUSIVE MODE"},
			"a1": {0, "SELECT pg_advisory_xact_lock(5)"}, "e1": {0, "SELECT 1/0"}, "r1": {0, "ROLLBACK TO a"},
			"q1": {0, "SELECT v FROM spl WHERE id = 1"}, "c1": {0, "COMMIT"},
			"u2": {1, "UPDATE spl SET v = v + 10 WHERE id = 1"}, "w2": {1, "UPDATE spl SET v = v + 100 WHERE id = 2"},
			"a2": {1, "SELECT pg_advisory_xact_lock(5)"}, "x2": {1, "SELECT count(*) FROM spl"},
		},
		perms: [][]string{
			{"b1", "k1", "s1", "u1", "u2", "r1", "q1", "w2", "c1"}, // row lock: u2 goes on at r1, w2 waits for c1
			{"b1", "s1", "u1", "u2", "e1", "x2", "r1", "c1"},       // the error releases u1's lock
			{"b1", "s1", "t1", "u2", "r1", "x2", "c1"},             // table lock
			{"b1", "s1", "a1", "a2", "r1", "x2", "c1"},             // advisory transaction lock
		},
		check: "SELECT id, v FROM spl ORDER BY id",
		want: map[string]string{"u2": "waited UPDATE 1", "q1": "SELECT 1: 10", "w2": "waited UPDATE 1",
			"e1": "ERROR 22012", "a2": "waited"},
	},
	// An UPDATE that changes the primary key moves the row to another
	// key; a writer waiting for the row follows it there, as PostgreSQL
	// follows the update chain: READ COMMITTED re-checks its WHERE clause
	// on the moved row and acts on it (two hops in the third permutation;
	// the fourth is not "two movers while v3 waits": that races on
	// PostgreSQL too, whichever waiter wakes first),
	// REPEATABLE READ fails with "concurrent update". Before: the waiter
	// found the old key empty and skipped the row (a lost increment).
	{
		name:     "pk-move-follow",
		setup:    "DROP TABLE IF EXISTS pkm; CREATE TABLE pkm (k int PRIMARY KEY, v int); INSERT INTO pkm VALUES (1, 0)",
		sessions: 3,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "u1": {0, "UPDATE pkm SET k = k + 1"}, "c1": {0, "COMMIT"}, "r1": {0, "ROLLBACK"},
			"w1": {0, "UPDATE pkm SET k = k + 1"},
			"u2": {1, "UPDATE pkm SET k = k + 1 RETURNING k, v"}, "b2": {1, "BEGIN"}, "m2": {1, "UPDATE pkm SET k = k + 1 RETURNING k"},
			"c2": {1, "COMMIT"}, "d2": {1, "DELETE FROM pkm WHERE k = 1"}, "e2": {1, "DELETE FROM pkm WHERE v = 0 RETURNING k"},
			"f2": {1, "SELECT k, v FROM pkm WHERE v = 0 FOR UPDATE"}, "rr2": {1, "BEGIN ISOLATION LEVEL REPEATABLE READ"},
			"s2": {1, "SELECT k FROM pkm"},
			"v3": {2, "UPDATE pkm SET v = v + 1 WHERE v = 0 RETURNING k, v"},
		},
		perms: [][]string{
			{"b1", "u1", "u2", "c1"},                    // follows: k = 3
			{"b1", "u1", "u2", "r1"},                    // the mover rolled back: k = 2
			{"b1", "u1", "w1", "v3", "c1"},              // v3 follows 1 -> 2 -> 3 (one mover, two moves)
			{"b1", "u1", "c1", "b2", "m2", "v3", "c2"},  // v3 follows the second mover's 2 -> 3
			{"b1", "u1", "d2", "c1"},                    // re-checked on the moved row: not k = 1 any more
			{"b1", "u1", "e2", "c1"},                    // still v = 0: deleted at its new key
			{"b1", "u1", "f2", "c1"},                    // SELECT FOR UPDATE returns the moved row
			{"rr2", "s2", "b1", "u1", "m2", "c1", "c2"}, // REPEATABLE READ: 40001 concurrent update
		},
		check:    "SELECT k, v FROM pkm ORDER BY k",
		messages: true,
		want:     map[string]string{"u2": "waited UPDATE 1", "v3": "waited UPDATE 1: 3,1", "e2": "waited DELETE 1: 2"},
	},
	// A transaction that deletes a row and inserts one with the same key
	// has not updated the row: a second such transaction waits, finds the
	// row it read deleted (DELETE 0), and its INSERT then conflicts with
	// the first one's row (23505), as in PostgreSQL. Before: the second
	// deleted the first one's new row and both committed.
	{
		name:     "delete-insert-same-key",
		setup:    "DROP TABLE IF EXISTS dik; CREATE TABLE dik (k int PRIMARY KEY, v int); INSERT INTO dik VALUES (1, 0)",
		sessions: 2,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN"}, "d1": {0, "DELETE FROM dik WHERE k = 1"}, "i1": {0, "INSERT INTO dik VALUES (1, 1)"},
			"c1": {0, "COMMIT"}, "r1": {0, "ROLLBACK"},
			"b2": {1, "BEGIN"}, "d2": {1, "DELETE FROM dik WHERE k = 1"}, "i2": {1, "INSERT INTO dik VALUES (1, 2)"},
			"c2": {1, "COMMIT"}, "u2": {1, "UPDATE dik SET v = v + 10 WHERE k = 1"},
			"s1": {0, "SAVEPOINT a"}, "a1": {0, "ROLLBACK TO a"},
		},
		perms: [][]string{
			{"b1", "d1", "i1", "b2", "d2", "c1", "i2", "c2"}, // DELETE 0, then 23505
			{"b1", "d1", "i1", "b2", "d2", "r1", "i2", "c2"}, // the first rolled back: the second goes through
			{"b1", "d1", "i1", "u2", "c1"},                   // an UPDATE skips the deleted row too
			{"b1", "s1", "d1", "i1", "u2", "a1", "c1"},       // ... unless the delete was rolled back to a savepoint
		},
		check: "SELECT k, v FROM dik ORDER BY k",
		want:  map[string]string{"d2": "waited DELETE", "u2": "waited UPDATE"},
	},
	// SERIALIZABLE transactions' SIREAD locks in pg_locks (mode
	// SIReadLock): a full scan's relation lock, kept after the commit
	// while a transaction that overlapped it runs, gone after that.
	{
		name: "ssi-pg-locks",
		setup: "DROP TABLE IF EXISTS sr; DROP TABLE IF EXISTS sw; CREATE TABLE sr (id int PRIMARY KEY, v int); " +
			"CREATE TABLE sw (id int PRIMARY KEY, v int); INSERT INTO sr VALUES (1, 10), (2, 20)",
		sessions: 3,
		steps: map[string]isoStep{
			"b1": {0, "BEGIN ISOLATION LEVEL SERIALIZABLE"}, "r1": {0, "SELECT sum(v) FROM sr"},
			"w1": {0, "INSERT INTO sw VALUES (1, 1)"}, "c1": {0, "COMMIT"},
			"b2": {1, "BEGIN ISOLATION LEVEL SERIALIZABLE"}, "q2": {1, "SELECT 1"}, "c2": {1, "COMMIT"},
			"locks":  {2, "SELECT locktype, relation::regclass, mode, granted FROM pg_locks WHERE mode = 'SIReadLock' ORDER BY 1, 2"},
			"locks2": {2, "SELECT locktype, relation::regclass, mode, granted FROM pg_locks WHERE mode = 'SIReadLock' ORDER BY 1, 2"},
			"locks3": {2, "SELECT locktype, relation::regclass, mode, granted FROM pg_locks WHERE mode = 'SIReadLock' ORDER BY 1, 2"},
		},
		perms: [][]string{
			{"b1", "r1", "locks", "c1", "locks2"},
			{"b2", "q2", "b1", "r1", "w1", "locks", "c1", "locks2", "c2", "locks3"},
		},
		want: map[string]string{"locks": "SELECT 1: relation,sr,SIReadLock,t"},
	},
}

// isoServer runs permutations against one server.
type isoServer struct {
	name  string
	dsn   string
	admin *pgx.Conn
}

type isoSession struct {
	conn *pgx.Conn
	pid  uint32
	reqs chan *isoPending
}

type isoPending struct {
	step string
	sql  string
	done chan string
	out  string
}

var xidRE = regexp.MustCompile(`[0-9]+`)

func render(results []*pgconn.Result, err error) string { return renderMsg(results, err, false) }

func renderMsg(results []*pgconn.Result, err error, messages bool) string {
	if err != nil {
		if pe, ok := err.(*pgconn.PgError); ok {
			if messages && pe.Code == "40001" && pe.Detail != "" {
				// transaction numbers differ between servers
				return "ERROR " + pe.Code + " " + pe.Message + " (" + xidRE.ReplaceAllString(pe.Detail, "N") + ")"
			}
			if messages {
				return "ERROR " + pe.Code + " " + pe.Message
			}
			return "ERROR " + pe.Code
		}
		return "ERROR " + err.Error()
	}
	var parts []string
	for _, r := range results {
		if r.Err != nil {
			if pe, ok := r.Err.(*pgconn.PgError); ok {
				return strings.Join(append(parts, "ERROR "+pe.Code), " / ")
			}
			return strings.Join(append(parts, "ERROR "+r.Err.Error()), " / ")
		}
		p := r.CommandTag.String()
		if len(r.Rows) > 0 {
			var rows []string
			for _, row := range r.Rows {
				var vals []string
				for _, v := range row {
					if v == nil {
						vals = append(vals, "NULL")
					} else {
						vals = append(vals, string(v))
					}
				}
				rows = append(rows, strings.Join(vals, ","))
			}
			p += ": " + strings.Join(rows, ";")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " / ")
}

func execText(ctx context.Context, c *pgx.Conn, sql string) string {
	res, err := c.PgConn().Exec(ctx, sql).ReadAll()
	return render(res, err)
}

func execTextMsg(ctx context.Context, c *pgx.Conn, sql string, messages bool) string {
	res, err := c.PgConn().Exec(ctx, sql).ReadAll()
	return renderMsg(res, err, messages)
}

// blocked reports whether pid waits for a lock or, READ ONLY DEFERRABLE,
// for a safe snapshot (as isolationtester's
// pg_isolation_test_session_is_blocked).
func (s *isoServer) blocked(ctx context.Context, pid uint32) bool {
	var v string
	q := fmt.Sprintf("SELECT pg_blocking_pids(%d)::text || pg_safe_snapshot_blocking_pids(%d)::text", pid, pid)
	if err := s.admin.QueryRow(ctx, q, pgx.QueryExecModeSimpleProtocol).Scan(&v); err != nil {
		return false
	}
	return v != "{}{}"
}

// settle waits until p finished (false) or its session waits for a lock
// (true).
func (s *isoServer) settle(ctx context.Context, t *testing.T, sess *isoSession, p *isoPending) bool {
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case p.out = <-p.done:
			return false
		case <-tick.C:
		}
		if s.blocked(ctx, sess.pid) {
			select {
			case p.out = <-p.done:
				return false
			default:
				return true
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: step %s neither finished nor waits for a lock after 15s", s.name, p.step)
		}
	}
}

// run executes one permutation and returns each step's outcome and the
// check's result.
func (s *isoServer) run(ctx context.Context, t *testing.T, sp isoSpec, perm []string) (map[string]string, string) {
	if out := execText(ctx, s.admin, sp.setup); strings.Contains(out, "ERROR") {
		t.Fatalf("%s: setup of %s: %s", s.name, sp.name, out)
	}
	sessions := make([]*isoSession, sp.sessions)
	for i := range sessions {
		c, err := pgx.Connect(ctx, s.dsn)
		if err != nil {
			t.Fatal(err)
		}
		sess := &isoSession{conn: c, pid: c.PgConn().PID(), reqs: make(chan *isoPending, 8)}
		sessions[i] = sess
		go func() {
			for p := range sess.reqs {
				p.done <- execTextMsg(ctx, sess.conn, p.sql, sp.messages)
			}
		}()
	}
	defer func() {
		for _, sess := range sessions {
			close(sess.reqs)
			sess.conn.Close(context.Background())
		}
	}()
	outcome := map[string]string{}
	var waiting []*isoPending
	waitingOf := map[int]*isoPending{}
	sessOf := map[*isoPending]int{}
	finishWaiting := func() {
		var still []*isoPending
		for _, w := range waiting {
			if s.settle(ctx, t, sessions[sessOf[w]], w) {
				still = append(still, w)
				continue
			}
			outcome[w.step] = "waited " + w.out
			delete(waitingOf, sessOf[w])
		}
		waiting = still
	}
	for _, name := range perm {
		st := sp.steps[name]
		if w := waitingOf[st.session]; w != nil {
			// The session is busy: its waiting step must end first.
			select {
			case w.out = <-w.done:
			case <-time.After(15 * time.Second):
				t.Fatalf("%s %s: step %s still waits when %s is due", s.name, sp.name, w.step, name)
			}
			outcome[w.step] = "waited " + w.out
			delete(waitingOf, st.session)
			for i, x := range waiting {
				if x == w {
					waiting = append(waiting[:i], waiting[i+1:]...)
					break
				}
			}
		}
		p := &isoPending{step: name, sql: st.sql, done: make(chan string, 1)}
		sessions[st.session].reqs <- p
		if s.settle(ctx, t, sessions[st.session], p) {
			waiting = append(waiting, p)
			waitingOf[st.session] = p
			sessOf[p] = st.session
		} else {
			outcome[name] = p.out
		}
		finishWaiting()
	}
	for _, w := range waiting {
		select {
		case w.out = <-w.done:
			outcome[w.step] = "waited " + w.out
		case <-time.After(15 * time.Second):
			t.Fatalf("%s %s: step %s still waits at the end", s.name, sp.name, w.step)
		}
	}
	check := ""
	if sp.check != "" {
		check = execText(ctx, s.admin, sp.check)
	}
	return outcome, check
}

func TestIsolationMatchesPostgres(t *testing.T) {
	ctx := context.Background()
	pg := startPostgres(t)
	if err := pg.CreateDatabase(ctx, "iso"); err != nil {
		t.Fatal(err)
	}
	node := newNode(t)
	node.start()
	var servers []*isoServer
	for _, s := range []*isoServer{{name: "postgres", dsn: pg.DSN("iso")}, {name: "ours", dsn: node.dsn()}} {
		c, err := pgx.Connect(ctx, s.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		s.admin = c
		servers = append(servers, s)
	}
	for _, sp := range isoSpecs {
		for pi, perm := range sp.perms {
			t.Run(fmt.Sprintf("%s/%d", sp.name, pi), func(t *testing.T) {
				want, wantCheck := servers[0].run(ctx, t, sp, perm)
				got, gotCheck := servers[1].run(ctx, t, sp, perm)
				for _, step := range perm {
					t.Logf("%s: %s", step, want[step])
					if got[step] != want[step] {
						t.Errorf("step %s (%s): ours %q, PostgreSQL %q", step, sp.steps[step].sql, got[step], want[step])
					}
					if w, ok := sp.want[step]; ok && !strings.Contains(want[step], w) {
						t.Errorf("step %s: PostgreSQL gave %q, the spec expects %q (spec wrong?)", step, want[step], w)
					}
					if w, ok := sp.want[step]; ok && !strings.Contains(got[step], w) {
						t.Errorf("step %s: ours %q, want %q", step, got[step], w)
					}
				}
				if gotCheck != wantCheck {
					t.Errorf("check %q: ours %q, PostgreSQL %q", sp.check, gotCheck, wantCheck)
				}
				if sp.wantCheck != "" && !strings.HasSuffix(gotCheck, ": "+sp.wantCheck) {
					t.Errorf("check %q: ours %q, want %q", sp.check, gotCheck, sp.wantCheck)
				}
			})
		}
	}
}

// TestSkipLockedQueue drains a job table with 8 workers using the
// job-queue pattern (FOR UPDATE SKIP LOCKED LIMIT 1) and requires every job
// taken exactly once, with no error. Regression test for issue 13.
// HELIOSDB_QUEUE_JOBS sets the number of jobs (default 1000; make faults
// uses 10000).
func TestSkipLockedQueue(t *testing.T) {
	jobs := 1000
	if v := os.Getenv("HELIOSDB_QUEUE_JOBS"); v != "" {
		jobs, _ = strconv.Atoi(v)
	}
	const workers = 8
	ctx := context.Background()
	node := newNode(t)
	node.start()
	c := node.connect(t)
	if _, err := c.Exec(ctx, "CREATE TABLE jobs (id int PRIMARY KEY, done bool, worker int)"); err != nil {
		t.Fatal(err)
	}
	for s := 1; s <= jobs; s += 1000 {
		var b strings.Builder
		b.WriteString("INSERT INTO jobs VALUES ")
		for i := s; i < s+1000 && i <= jobs; i++ {
			if i > s {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "(%d,false,NULL)", i)
		}
		if _, err := c.Exec(ctx, b.String()); err != nil {
			t.Fatal(err)
		}
	}
	taken := make(chan []int, workers)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			var mine []int
			err := func() error {
				wc, err := pgx.Connect(ctx, node.dsn())
				if err != nil {
					return err
				}
				defer wc.Close(ctx)
				for {
					tx, err := wc.Begin(ctx)
					if err != nil {
						return err
					}
					var id int
					err = tx.QueryRow(ctx, "SELECT id FROM jobs WHERE NOT done ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED").Scan(&id)
					if err == pgx.ErrNoRows {
						return tx.Commit(ctx)
					}
					if err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, "UPDATE jobs SET done = true, worker = $1 WHERE id = $2", w, id); err != nil {
						return err
					}
					if err := tx.Commit(ctx); err != nil {
						return err
					}
					mine = append(mine, id)
				}
			}()
			errs <- err
			taken <- mine
		}()
	}
	seen := map[int]int{}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Errorf("worker: %v", err)
		}
		for _, id := range <-taken {
			seen[id]++
		}
	}
	for id := 1; id <= jobs; id++ {
		if seen[id] != 1 {
			t.Errorf("job %d taken %d times", id, seen[id])
		}
	}
	var left int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM jobs WHERE NOT done").Scan(&left); err != nil || left != 0 {
		t.Fatalf("jobs left: %d (%v)", left, err)
	}
}

// TestBankTransfers moves money between 100 accounts from 16 sessions under
// READ COMMITTED with SELECT … FOR UPDATE (rows locked in id order) while a
// reader checks the total in every read: no transfer may fail and the
// total never changes. Regression test for issue 13.
// HELIOSDB_BANK_SECONDS sets the duration (default 3; make faults uses 60).
func TestBankTransfers(t *testing.T) {
	secs := 3
	if v := os.Getenv("HELIOSDB_BANK_SECONDS"); v != "" {
		secs, _ = strconv.Atoi(v)
	}
	const accounts, sessions, start = 100, 16, 1000
	ctx := context.Background()
	node := newNode(t)
	node.start()
	c := node.connect(t)
	var b strings.Builder
	b.WriteString("CREATE TABLE bank (id int PRIMARY KEY, balance int); INSERT INTO bank VALUES ")
	for i := 1; i <= accounts; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "(%d,%d)", i, start)
	}
	if _, err := c.Exec(ctx, b.String()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	type result struct {
		n   int
		err error
	}
	results := make(chan result, sessions+1)
	for w := 0; w < sessions; w++ {
		go func() {
			n, err := func() (int, error) {
				wc, err := pgx.Connect(ctx, node.dsn())
				if err != nil {
					return 0, err
				}
				defer wc.Close(ctx)
				n := 0
				for i := 0; time.Now().Before(deadline); i++ {
					from, to := (w*7+i*13)%accounts+1, (w*11+i*17+1)%accounts+1
					if from == to {
						continue
					}
					tx, err := wc.Begin(ctx)
					if err != nil {
						return n, err
					}
					rows, err := tx.Query(ctx, "SELECT id, balance FROM bank WHERE id IN ($1, $2) ORDER BY id FOR UPDATE", from, to)
					if err != nil {
						return n, err
					}
					rows.Close()
					if rows.Err() != nil {
						return n, rows.Err()
					}
					if _, err := tx.Exec(ctx, "UPDATE bank SET balance = balance - 7 WHERE id = $1", from); err != nil {
						return n, err
					}
					if _, err := tx.Exec(ctx, "UPDATE bank SET balance = balance + 7 WHERE id = $1", to); err != nil {
						return n, err
					}
					if err := tx.Commit(ctx); err != nil {
						return n, err
					}
					n++
				}
				return n, nil
			}()
			results <- result{n, err}
		}()
	}
	reads := 0
	for time.Now().Before(deadline) {
		var sum int
		if err := c.QueryRow(ctx, "SELECT sum(balance) FROM bank").Scan(&sum); err != nil {
			t.Fatal(err)
		}
		if sum != accounts*start {
			t.Fatalf("total %d, want %d", sum, accounts*start)
		}
		reads++
	}
	total := 0
	for w := 0; w < sessions; w++ {
		r := <-results
		if r.err != nil {
			t.Errorf("transfer failed: %v", r.err)
		}
		total += r.n
	}
	var sum int
	if err := c.QueryRow(ctx, "SELECT sum(balance) FROM bank").Scan(&sum); err != nil || sum != accounts*start {
		t.Fatalf("final total %d (%v)", sum, err)
	}
	if total == 0 {
		t.Fatal("no transfer committed")
	}
	t.Logf("%d transfers, %d reads of the total", total, reads)
}

// TestForwardedWritersWait: writes forwarded by a standby take the same
// row locks on the primary as the primary's own sessions — a primary
// session waits for a forwarded transaction's row lock, and increments
// through both nodes at once lose nothing. Regression test for issue 13.
func TestForwardedWritersWait(t *testing.T) {
	ctx := context.Background()
	primary := newPrimary(t, "primary", "async")
	fwd := newStandby(t, "standby-fwd", primary, "async", "--write-forwarding")
	waitStreaming(t, primary, "standby-fwd")
	pc := primary.connect(t)
	if _, err := pc.Exec(ctx, "CREATE TABLE ctr (id int PRIMARY KEY, v int); INSERT INTO ctr VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	sc := fwd.connect(t)
	eventually(t, 10*time.Second, "the standby has the table", func() (bool, string) {
		_, err := sc.Exec(ctx, "SELECT v FROM ctr")
		return err == nil, fmt.Sprint(err)
	})
	tx, err := sc.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "UPDATE ctr SET v = v + 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	waiter := primary.connect(t)
	pid := waiter.PgConn().PID()
	done := make(chan error, 1)
	go func() {
		_, err := waiter.Exec(ctx, "UPDATE ctr SET v = v + 10 WHERE id = 1")
		done <- err
	}()
	eventually(t, 10*time.Second, "the primary's writer waits for the forwarded lock", func() (bool, string) {
		var b string
		if err := pc.QueryRow(ctx, fmt.Sprintf("SELECT pg_blocking_pids(%d)", pid)).Scan(&b); err != nil {
			return false, err.Error()
		}
		return b != "{}", b
	})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	const per = 20
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		node := primary
		if i%2 == 1 {
			node = fwd
		}
		go func() {
			c, err := pgx.Connect(ctx, node.dsn())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(ctx)
			for j := 0; j < per; j++ {
				if _, err := c.Exec(ctx, "UPDATE ctr SET v = v + 1 WHERE id = 1"); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("increment: %v", err)
		}
	}
	var v int
	if err := pc.QueryRow(ctx, "SELECT v FROM ctr WHERE id = 1").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != 11+8*per {
		t.Fatalf("v = %d, want %d", v, 11+8*per)
	}
}
