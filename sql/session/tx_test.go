package session_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
)

func TestTransactionStates(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	mustQuery(t, s, "CREATE TABLE t (id int primary key)")

	steps := []struct {
		sql    string
		code   pgerror.Code // "" = success
		tag    string
		status result.TxStatus
		notice pgerror.Code
	}{
		{sql: "COMMIT", tag: "COMMIT", status: 'I', notice: pgerror.NoActiveSQLTransaction},
		{sql: "ROLLBACK", tag: "ROLLBACK", status: 'I', notice: pgerror.NoActiveSQLTransaction},
		{sql: "BEGIN", tag: "BEGIN", status: 'T'},
		{sql: "BEGIN", tag: "BEGIN", status: 'T', notice: pgerror.ActiveSQLTransaction},
		{sql: "INSERT INTO t VALUES (1)", tag: "INSERT 0 1", status: 'T'},
		{sql: "INSERT INTO t VALUES (1)", code: pgerror.UniqueViolation, status: 'E'},
		{sql: "SELECT 1", code: pgerror.InFailedSQLTransaction, status: 'E'},
		{sql: "SELECT 1", code: pgerror.InFailedSQLTransaction, status: 'E'},
		{sql: "COMMIT", tag: "ROLLBACK", status: 'I'},
		{sql: "SELECT count(*) FROM t", tag: "SELECT 1", status: 'I'},
		{sql: "START TRANSACTION ISOLATION LEVEL SERIALIZABLE", tag: "START TRANSACTION", status: 'T'},
		{sql: "INSERT INTO t VALUES (2)", tag: "INSERT 0 1", status: 'T'},
		{sql: "ROLLBACK", tag: "ROLLBACK", status: 'I'},
		{sql: "BEGIN; INSERT INTO t VALUES (3); COMMIT", tag: "COMMIT", status: 'I'},
		{sql: "BEGIN; SELECT 1/0", code: pgerror.DivisionByZero, status: 'E'},
		{sql: "ABORT", tag: "ROLLBACK", status: 'I'},
		{sql: "BEGIN", tag: "BEGIN", status: 'T'},
		{sql: "SELEC 1", code: pgerror.SyntaxError, status: 'E'},
		{sql: "END", tag: "ROLLBACK", status: 'I'},
		{sql: "SAVEPOINT a", code: pgerror.NoActiveSQLTransaction, status: 'I'},
		{sql: "SELECT 1; RELEASE a", code: pgerror.NoActiveSQLTransaction, status: 'I'},
		// Savepoints: an error fails the block until ROLLBACK TO.
		{sql: "BEGIN", tag: "BEGIN", status: 'T'},
		{sql: "INSERT INTO t VALUES (4)", tag: "INSERT 0 1", status: 'T'},
		{sql: "SAVEPOINT a", tag: "SAVEPOINT", status: 'T'},
		{sql: "INSERT INTO t VALUES (5)", tag: "INSERT 0 1", status: 'T'},
		{sql: "SAVEPOINT a", tag: "SAVEPOINT", status: 'T'},
		{sql: "INSERT INTO t VALUES (4)", code: pgerror.UniqueViolation, status: 'E'},
		{sql: "RELEASE a", code: pgerror.InFailedSQLTransaction, status: 'E'},
		{sql: "ROLLBACK TO b", code: pgerror.InvalidSavepointSpec, status: 'E'},
		{sql: "ROLLBACK TO a", tag: "ROLLBACK", status: 'T'},
		{sql: "RELEASE a", tag: "RELEASE", status: 'T'},
		{sql: "ROLLBACK TO SAVEPOINT a", tag: "ROLLBACK", status: 'T'},
		{sql: "RELEASE SAVEPOINT a", tag: "RELEASE", status: 'T'},
		{sql: "RELEASE a", code: pgerror.InvalidSavepointSpec, status: 'E'},
		{sql: "COMMIT", tag: "ROLLBACK", status: 'I'},
		{sql: "BEGIN; SAVEPOINT x; INSERT INTO t VALUES (6); ROLLBACK TO x; INSERT INTO t VALUES (7); COMMIT", tag: "COMMIT", status: 'I'},
	}
	for i, st := range steps {
		r := &recorder{}
		err := s.Query(context.Background(), st.sql, r)
		if got := pgerror.CodeOf(err); got != st.code {
			t.Fatalf("step %d %q: code %q (%v), want %q", i, st.sql, got, err, st.code)
		}
		if st.code == "" && r.Results[len(r.Results)-1].Tag != st.tag {
			t.Fatalf("step %d %q: tags %v, want last %q", i, st.sql, r.tags(), st.tag)
		}
		if s.TxStatus() != st.status {
			t.Fatalf("step %d %q: status %c, want %c", i, st.sql, s.TxStatus(), st.status)
		}
		var notice pgerror.Code
		if len(r.Notices) > 0 {
			notice = r.Notices[0].Code
		}
		if notice != st.notice {
			t.Fatalf("step %d %q: notice %q, want %q", i, st.sql, notice, st.notice)
		}
	}
	// Only 3 and 7 committed: 1 died with the failed block, 2 was rolled
	// back, 4 and 5 with the block that failed after its savepoint was
	// released, 6 by ROLLBACK TO.
	if got := scalar(t, s, "SELECT string_agg(id::text, ',' ORDER BY id) FROM t"); got != "3,7" {
		t.Fatalf("rows = %s, want 3,7", got)
	}
}

func TestImplicitTransaction(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	mustQuery(t, s, "CREATE TABLE t (id int primary key)")

	// The first INSERT is rolled back with the implicit transaction.
	err := s.Query(context.Background(), "INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)", &recorder{})
	wantCode(t, err, pgerror.UniqueViolation)
	if got := scalar(t, s, "SELECT count(*) FROM t"); got != "0" {
		t.Fatalf("after failed string: %s rows, want 0", got)
	}
	// Results of statements that ran still go out before the error.
	r := &recorder{}
	err = s.Query(context.Background(), "INSERT INTO t VALUES (5); SELECT 1/0", r)
	wantCode(t, err, pgerror.DivisionByZero)
	if tags := r.tags(); len(tags) != 1 || tags[0] != "INSERT 0 1" {
		t.Fatalf("tags %v, want [INSERT 0 1]", tags)
	}

	// BEGIN inside the string makes it explicit; COMMIT ends it and later
	// statements form a new implicit transaction.
	err = s.Query(context.Background(),
		"INSERT INTO t VALUES (1); BEGIN; INSERT INTO t VALUES (2); COMMIT; INSERT INTO t VALUES (3); SELECT 1/0", &recorder{})
	wantCode(t, err, pgerror.DivisionByZero)
	if got := scalar(t, s, "SELECT count(*) FROM t"); got != "2" {
		t.Fatalf("got %s rows, want 2 (ids 1 and 2)", got)
	}
	// COMMIT inside an implicit transaction warns and commits.
	r = mustQuery(t, s, "INSERT INTO t VALUES (7); COMMIT; SELECT count(*) FROM t")
	if len(r.Notices) != 1 || r.Notices[0].Code != pgerror.NoActiveSQLTransaction {
		t.Fatalf("notices %v", r.Notices)
	}
	if tags := r.tags(); fmt.Sprint(tags) != "[INSERT 0 1 COMMIT SELECT 1]" {
		t.Fatalf("tags %v", tags)
	}

	if err := s.Query(context.Background(), " ; -- nothing\n", &recorder{}); err != result.ErrEmptyQuery {
		t.Fatalf("empty query: %v", err)
	}
}

func TestSetRolledBackWithTransaction(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	mustQuery(t, s, "BEGIN; SET application_name = 'x'; SET LOCAL extra_float_digits = 2")
	if got := scalar(t, s, "SHOW extra_float_digits"); got != "2" {
		t.Fatalf("SET LOCAL in tx: %s", got)
	}
	mustQuery(t, s, "ROLLBACK")
	if got := scalar(t, s, "SHOW application_name"); got != "" {
		t.Fatalf("application_name after rollback = %q", got)
	}
	mustQuery(t, s, "BEGIN; SET application_name = 'y'; SET LOCAL extra_float_digits = 2; COMMIT")
	if got := scalar(t, s, "SHOW application_name"); got != "y" {
		t.Fatalf("application_name after commit = %q", got)
	}
	if got := scalar(t, s, "SHOW extra_float_digits"); got != "1" {
		t.Fatalf("SET LOCAL after commit = %q", got)
	}
	// A failing string undoes its SET (implicit block rolled back).
	_ = s.Query(context.Background(), "SET application_name = 'z'; SELECT 1/0", &recorder{})
	if got := scalar(t, s, "SHOW application_name"); got != "y" {
		t.Fatalf("application_name after failed string = %q", got)
	}
}

// incrementAll runs n autocommit increments of row 1 from each of k
// sessions at once, through run.
func incrementAll(t *testing.T, k, n int, run func(s *session.Session) error) string {
	eng := newEngine(t)
	setup := newSession(t, session.Config{Engine: eng}, nil)
	mustQuery(t, setup, "CREATE TABLE c (id int primary key, v int); INSERT INTO c VALUES (1, 0)")
	var wg sync.WaitGroup
	errs := make(chan error, k*n)
	for range k {
		s := newSession(t, session.Config{Engine: eng}, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if err := run(s); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("increment: %v (%s)", err, pgerror.CodeOf(err))
	}
	return scalar(t, setup, "SELECT v FROM c WHERE id = 1")
}

// Autocommit increments of one row from 8 sessions all succeed and none
// is lost: writers wait for the row lock and update the newest version
// (nothing is re-run; issue 13 point 8).
func TestAutocommitIncrementsWaitSimple(t *testing.T) {
	const k, n = 8, 40
	got := incrementAll(t, k, n, func(s *session.Session) error {
		r := &recorder{}
		err := s.Query(context.Background(), "UPDATE c SET v = v + 1 WHERE id = 1 RETURNING v", r)
		if err == nil && (len(r.Results) != 1 || r.Results[0].Tag != "UPDATE 1" || len(r.Results[0].Rows) != 1) {
			return fmt.Errorf("unexpected results %+v", r.Results)
		}
		return err
	})
	if got != fmt.Sprint(k*n) {
		t.Fatalf("v = %s, want %d", got, k*n)
	}
}

func TestAutocommitIncrementsWaitExtended(t *testing.T) {
	const k, n = 8, 40
	got := incrementAll(t, k, n, func(s *session.Session) error {
		ctx := context.Background()
		if _, err := s.Prepare(ctx, "", "UPDATE c SET v = v + $1 WHERE id = 1", nil); err != nil {
			return err
		}
		if err := s.Bind(ctx, "", "", [][]byte{[]byte("1")}, nil, nil); err != nil {
			return err
		}
		r := &recorder{}
		if _, err := s.Execute(ctx, "", 0, r); err != nil {
			return err
		}
		return s.Sync(ctx)
	})
	if got != fmt.Sprint(k*n) {
		t.Fatalf("v = %s, want %d", got, k*n)
	}
}

// Regression test for issue 13: a second writer of a row waits for the
// first transaction instead of failing its commit with 40001, and then
// updates the newest version (READ COMMITTED).
func TestExplicitWriterWaits(t *testing.T) {
	eng := newEngine(t)
	a := newSession(t, session.Config{Engine: eng}, nil)
	b := newSession(t, session.Config{Engine: eng}, nil)
	mustQuery(t, a, "CREATE TABLE c (id int primary key, v int); INSERT INTO c VALUES (1, 0)")
	mustQuery(t, a, "BEGIN; UPDATE c SET v = v + 1 WHERE id = 1")
	done := make(chan error, 1)
	go func() { done <- b.Query(context.Background(), "UPDATE c SET v = v + 10 WHERE id = 1", &recorder{}) }()
	select {
	case err := <-done:
		t.Fatalf("second writer did not wait: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	mustQuery(t, a, "COMMIT")
	if err := <-done; err != nil {
		t.Fatalf("second writer: %v", err)
	}
	if got := scalar(t, a, "SELECT v FROM c"); got != "11" {
		t.Fatalf("v = %s, want 11", got)
	}
}

// Regression test for issue 13: REPEATABLE READ fails with 40001 when the
// row it updates was changed by a transaction its snapshot cannot see.
func TestRepeatableReadConflict(t *testing.T) {
	eng := newEngine(t)
	a := newSession(t, session.Config{Engine: eng}, nil)
	b := newSession(t, session.Config{Engine: eng}, nil)
	mustQuery(t, a, "CREATE TABLE c (id int primary key, v int); INSERT INTO c VALUES (1, 0)")
	mustQuery(t, a, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT v FROM c")
	mustQuery(t, b, "UPDATE c SET v = v + 10 WHERE id = 1")
	wantCode(t, a.Query(context.Background(), "UPDATE c SET v = v + 1 WHERE id = 1", &recorder{}), pgerror.SerializationFailure)
	mustQuery(t, a, "ROLLBACK")
	if a.TxStatus() != result.TxIdle {
		t.Fatalf("status after ROLLBACK = %c", a.TxStatus())
	}
	if got := scalar(t, a, "SELECT v FROM c"); got != "10" {
		t.Fatalf("v = %s, want 10", got)
	}
}

func TestReadOnly(t *testing.T) {
	eng := newEngine(t)
	rw := newSession(t, session.Config{Engine: eng}, nil)
	mustQuery(t, rw, "CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1)")

	const hint = "the primary is at db1:5432"
	ro := newSession(t, session.Config{Engine: eng, ReadOnly: func() (bool, string) { return true, hint }}, nil)
	for _, tc := range []struct{ sql, verb string }{
		{"INSERT INTO t VALUES (2)", "INSERT"},
		{"UPDATE t SET id = 3", "UPDATE"},
		{"DELETE FROM t", "DELETE"},
		{"CREATE TABLE u (id int)", "CREATE TABLE"},
		{"DROP TABLE t", "DROP TABLE"},
	} {
		t.Run(tc.verb, func(t *testing.T) {
			err := ro.Query(context.Background(), tc.sql, &recorder{})
			wantCode(t, err, pgerror.ReadOnlySQLTransaction)
			pe := pgerror.As(err)
			if want := "cannot execute " + tc.verb + " in a read-only transaction"; pe.Message != want || pe.Hint != hint {
				t.Fatalf("got %q hint %q", pe.Message, pe.Hint)
			}
		})
	}
	if got := scalar(t, ro, "SELECT count(*) FROM t"); got != "1" {
		t.Fatalf("SELECT on read-only node: %s", got)
	}
	for name, want := range map[string]string{"transaction_read_only": "on", "in_hot_standby": "on"} {
		if got := scalar(t, ro, "SHOW "+name); got != want {
			t.Fatalf("SHOW %s = %s", name, got)
		}
	}
	wantCode(t, ro.Query(context.Background(), "BEGIN READ WRITE", &recorder{}), pgerror.FeatureNotSupported)

	// SERIALIZABLE is refused as on PostgreSQL's hot standby: at BEGIN,
	// SET TRANSACTION, or (from the default) at the first statement.
	mustQuery(t, ro, "ROLLBACK")
	for _, q := range []string{"BEGIN ISOLATION LEVEL SERIALIZABLE", "BEGIN; SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"} {
		err := ro.Query(context.Background(), q, &recorder{})
		wantCode(t, err, pgerror.FeatureNotSupported)
		if pe := pgerror.As(err); pe.Message != "cannot use serializable mode in a hot standby" || pe.Hint != "You can use REPEATABLE READ instead." {
			t.Fatalf("%s: got %q hint %q", q, pe.Message, pe.Hint)
		}
		mustQuery(t, ro, "ROLLBACK")
	}
	mustQuery(t, ro, "SET default_transaction_isolation = serializable")
	err := ro.Query(context.Background(), "SELECT 1", &recorder{})
	wantCode(t, err, pgerror.FeatureNotSupported)
	if pe := pgerror.As(err); pe.Detail != `"default_transaction_isolation" is set to "serializable".` {
		t.Fatalf("default serializable on a standby: detail %q", pe.Detail)
	}
	mustQuery(t, ro, "SET default_transaction_isolation = 'repeatable read'")
	if got := scalar(t, ro, "SELECT count(*) FROM t"); got != "1" {
		t.Fatalf("REPEATABLE READ on a standby: %s", got)
	}

	// LOCK TABLE: up to ROW EXCLUSIVE on a standby; above it refused
	// "during recovery", as PostgreSQL's hot standby does (a READ ONLY
	// transaction on a primary takes every mode: below).
	mustQuery(t, ro, "BEGIN; LOCK TABLE t IN ROW EXCLUSIVE MODE")
	err = ro.Query(context.Background(), "LOCK TABLE t IN SHARE MODE", &recorder{})
	wantCode(t, err, pgerror.ReadOnlySQLTransaction)
	if pe := pgerror.As(err); pe.Message != "cannot execute LOCK TABLE during recovery" {
		t.Fatalf("LOCK TABLE IN SHARE MODE on a standby: %q", pe.Message)
	}
	mustQuery(t, ro, "ROLLBACK")
	mustQuery(t, rw, "BEGIN READ ONLY; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; ROLLBACK")

	// Read-only transactions on a writable node.
	mustQuery(t, rw, "BEGIN READ ONLY")
	wantCode(t, rw.Query(context.Background(), "INSERT INTO t VALUES (5)", &recorder{}), pgerror.ReadOnlySQLTransaction)
	mustQuery(t, rw, "ROLLBACK; BEGIN; SET TRANSACTION READ ONLY")
	if got := scalar(t, rw, "SHOW transaction_read_only"); got != "on" {
		t.Fatalf("transaction_read_only = %s", got)
	}
	wantCode(t, rw.Query(context.Background(), "DELETE FROM t", &recorder{}), pgerror.ReadOnlySQLTransaction)
	mustQuery(t, rw, "ROLLBACK; SET default_transaction_read_only = on")
	wantCode(t, rw.Query(context.Background(), "INSERT INTO t VALUES (6)", &recorder{}), pgerror.ReadOnlySQLTransaction)
	mustQuery(t, rw, "SET default_transaction_read_only = off; INSERT INTO t VALUES (6)")
}

// TestSavepointParameters: ROLLBACK TO restores the parameters of the
// savepoint it names, with shadowed names and marks that share their
// values until a SET changes them.
func TestSavepointParameters(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	for _, st := range []struct{ sql, want string }{
		{"BEGIN", ""}, {"SET work_mem = '1MB'", ""}, {"SAVEPOINT a", ""}, {"SET work_mem = '2MB'", ""},
		{"SAVEPOINT a", ""}, {"SET LOCAL work_mem = '3MB'", "3MB"}, {"ROLLBACK TO a", "2MB"},
		{"RELEASE a", "2MB"}, {"ROLLBACK TO a", "1MB"}, {"SET work_mem = '5MB'", "5MB"},
		{"SAVEPOINT b", "5MB"}, {"ROLLBACK TO a", "1MB"}, {"SET LOCAL work_mem = '6MB'", "6MB"},
		{"ROLLBACK TO a", "1MB"}, {"COMMIT", "1MB"},
	} {
		mustQuery(t, s, st.sql)
		if st.want != "" {
			if got := scalar(t, s, "SHOW work_mem"); got != st.want {
				t.Fatalf("after %s: work_mem %s, want %s", st.sql, got, st.want)
			}
		}
	}
	mustQuery(t, s, "BEGIN")
	for range 10000 { // a savepoint per statement, never released (pgjdbc autosave=always)
		mustQuery(t, s, "SAVEPOINT x")
	}
	mustQuery(t, s, "SET work_mem = '7MB'")
	mustQuery(t, s, "ROLLBACK TO x")
	mustQuery(t, s, "COMMIT")
	if got := scalar(t, s, "SHOW work_mem"); got != "1MB" {
		t.Fatalf("work_mem %s after the savepoints, want 1MB", got)
	}
}
