package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
)

// fuzzSetup gives every fuzz input the same tables to work on.
const fuzzSetup = `CREATE TABLE t (a int PRIMARY KEY, b text, c float8, d jsonb, e numeric, f timestamptz);
INSERT INTO t VALUES (1, 'one', 1.5, '{"k": [1, 2]}', 1.25, '2024-01-01 00:00:00+00'),
  (2, NULL, 'NaN', 'null', -0.5, NULL), (3, 'three', -1e300, '[1, "x", {}]', 1e20, '1999-12-31 23:59:59.5-08');
CREATE TABLE u (x int NOT NULL, y text DEFAULT 'y');
INSERT INTO u VALUES (1), (3);
CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1;`

// FuzzQuery runs arbitrary SQL through the simple-query entry point of a
// session (parser, planner, executor) on a fresh in-memory engine with a
// 64 MB statement memory limit: it must answer results or an error —
// never panic, never a Go error outside PostgreSQL's (*pgerror.Error,
// context end) — and return soon after its context ends (no hang: every
// loop checks for cancellation).
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM t ORDER BY a",
		"SELECT a, count(*), sum(c), string_agg(b, ',') FROM t GROUP BY ROLLUP (a) HAVING count(*) > 0",
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r WHERE n < 100) SELECT sum(n) FROM r",
		"SELECT d->'k'->>0, d #> '{k,1}', jsonb_path_query(d, '$.k[*]') FROM t",
		"UPDATE t SET b = b || '!' WHERE a IN (SELECT x FROM u) RETURNING *",
		"DELETE FROM u WHERE x = 1; INSERT INTO u SELECT a FROM t ON CONFLICT DO NOTHING",
		"BEGIN; SAVEPOINT s; DROP TABLE u; ROLLBACK TO s; SELECT * FROM u; COMMIT",
		"SELECT generate_series(1, 1000000000)",
		"SELECT repeat('x', 100000000)",
		"SELECT * FROM t t1, t t2, t t3, t t4, t t5, t t6 WHERE t1.a = t6.a",
		"SELECT row_number() OVER (PARTITION BY b ORDER BY c DESC NULLS LAST), lag(a) OVER w FROM t WINDOW w AS (ORDER BY a)",
		"SELECT '1 day'::interval * 1e10, 'epoch'::timestamptz + '1000000 years', 1/0",
		"SELECT regexp_replace(b, '(a*)*b', 'x', 'g'), b ~ '^(a|a)*$' FROM t",
		"PREPARE p(int) AS SELECT $1 + a FROM t; EXECUTE p(1); DEALLOCATE p",
		"COPY t TO STDOUT",
		"CREATE INDEX ON t (b); ANALYZE t; EXPLAIN SELECT * FROM t WHERE b = 'one'",
		"SELECT pg_sleep(1000)",
		"SELECT 1 FROM v NATURAL FULL JOIN u LEFT JOIN LATERAL (SELECT (ARRAY[a])[1]) s ON true",
		"SET work_mem = '64kB'; SELECT a, b FROM t, generate_series(1, 20000) ORDER BY b, a DESC LIMIT 3",
		"SELECT ARRAY(SELECT a FROM t)::text[], format('%s %I %L', 1, 'x', NULL), to_char(now(), 'YYYY')",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		e := exectest.NewConfig(t, exec.Config{StatementMemoryLimit: 64 << 20})
		s, err := session.New(session.Config{Engine: e}, result.StartupInfo{User: "helios", Database: "heliosdb"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Query(context.Background(), fuzzSetup, &recorder{}); err != nil {
			t.Fatalf("setup: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.Query(ctx, sql, &recorder{}) }()
		select {
		case err = <-done:
		case <-time.After(2*time.Second + 60*time.Second):
			t.Fatalf("the statement did not end within 60 s of its context:\n%s", sql)
		}
		// ErrEmptyQuery: a query of blanks or comments (testdata/fuzz/FuzzQuery/
		// 8643a79bab153d1b, " "); pgwire answers it with EmptyQueryResponse.
		if err == nil || errors.Is(err, result.ErrEmptyQuery) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return
		}
		var pe *pgerror.Error
		if !errors.As(err, &pe) {
			t.Fatalf("error outside PostgreSQL's: %T %v\n%s", err, err, sql)
		}
		if pe.Code == pgerror.InternalError {
			t.Fatalf("internal error (XX000): %v\n%s", err, sql)
		}
	})
}
