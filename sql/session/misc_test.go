package session_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/sql/types"
)

// fillBig creates big(i) with n rows.
func fillBig(t *testing.T, s *session.Session, n int) {
	t.Helper()
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf("(%d)", i)
	}
	mustQuery(t, s, "CREATE TABLE big (i int primary key); INSERT INTO big VALUES "+strings.Join(vals, ","))
}

const slowQuery = "SELECT count(*) FROM big a, big b, big c, big d"

func TestStatementTimeout(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	fillBig(t, s, 100)
	mustQuery(t, s, "SET statement_timeout = '100ms'")
	start := time.Now()
	err := s.Query(context.Background(), slowQuery, &recorder{})
	wantCode(t, err, pgerror.QueryCanceled)
	if msg := pgerror.As(err).Message; msg != "canceling statement due to statement timeout" {
		t.Fatalf("message %q", msg)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %v", d)
	}
	if got := scalar(t, s, "SELECT count(*) FROM big"); got != "100" {
		t.Fatalf("session unusable after timeout: %s", got)
	}
}

func TestCancel(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	fillBig(t, s, 100)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	err := s.Query(ctx, slowQuery, &recorder{})
	wantCode(t, err, pgerror.QueryCanceled)
	if msg := pgerror.As(err).Message; msg != "canceling statement due to user request" {
		t.Fatalf("message %q", msg)
	}
	// A cancel with a pgerror cause (shutdown) reports that cause.
	ctx, cancelCause := context.WithCancelCause(context.Background())
	time.AfterFunc(50*time.Millisecond, func() {
		cancelCause(pgerror.New(pgerror.AdminShutdown, "terminating connection due to administrator command"))
	})
	wantCode(t, s.Query(ctx, slowQuery, &recorder{}), pgerror.AdminShutdown)
}

func TestSetShowReset(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)},
		map[string]string{"application_name": "psql", "options": "-c extra_float_digits=3 --work_mem=8MB"})
	show := func(name string) string { return scalar(t, s, "SHOW "+name) }
	for _, tc := range []struct{ set, name, want string }{
		{"", "application_name", "psql"},
		{"", "extra_float_digits", "3"},
		{"", "work_mem", "8MB"},
		{"", "server_version", "15.0"},
		{"", "server_version_num", "150000"},
		{"", "search_path", `"$user", public`},
		{"", "transaction isolation level", "read committed"},
		{"SET DateStyle = 'DMY'", "datestyle", "ISO, DMY"},
		{"SET DATESTYLE TO ISO, YMD", "DateStyle", "ISO, YMD"},
		{"SET statement_timeout = 1000", "statement_timeout", "1s"},
		{"SET statement_timeout = '90s'", "statement_timeout", "90s"},
		{"SET statement_timeout = '1.5min'", "statement_timeout", "90s"},
		{"SET statement_timeout TO DEFAULT", "statement_timeout", "0"},
		{"SET work_mem = '1GB'", "work_mem", "1GB"},
		{"", "client_connection_check_interval", "250ms"},
		{"SET client_connection_check_interval = 1000", "client_connection_check_interval", "1s"},
		{"SET client_connection_check_interval = 0", "client_connection_check_interval", "0"},
		{"SET client_connection_check_interval TO DEFAULT", "client_connection_check_interval", "250ms"},
		{"SET search_path = a, \"B\", '$user'", "search_path", `a, "B", "$user"`},
		{"SET TIME ZONE 'Europe/Paris'", "timezone", "Europe/Paris"},
		{"SET client_encoding = 'utf-8'", "client_encoding", "UTF8"},
		{"SET NAMES 'unicode'", "client_encoding", "UTF8"},
		{"SET row_security = false", "row_security", "off"},
		{"SET SESSION application_name = 'app'", "application_name", "app"},
		{"RESET application_name", "application_name", "psql"},
		{"SET extra_float_digits = 0; RESET ALL", "extra_float_digits", "3"},
		{"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", "default_transaction_isolation", "serializable"},
		{"", "transaction_isolation", "serializable"},
	} {
		if tc.set != "" {
			r := mustQuery(t, s, tc.set)
			if tag := r.Results[0].Tag; tag != "SET" && tag != "RESET" {
				t.Fatalf("%s: tag %q", tc.set, tag)
			}
		}
		if got := show(tc.name); got != tc.want {
			t.Fatalf("after %q: SHOW %s = %q, want %q", tc.set, tc.name, got, tc.want)
		}
	}

	r := mustQuery(t, s, "SHOW DateStyle")
	if c := r.Results[0].Columns; len(c) != 1 || c[0].Name != "DateStyle" || c[0].Type != types.Text || r.Results[0].Tag != "SHOW" {
		t.Fatalf("SHOW DateStyle: %+v", r.Results[0])
	}
	if r := mustQuery(t, s, "SHOW ALL"); len(r.Results[0].Rows) < 30 || len(r.Results[0].Columns) != 3 {
		t.Fatalf("SHOW ALL: %d rows", len(r.Results[0].Rows))
	}

	for _, tc := range []struct {
		sql  string
		code pgerror.Code
	}{
		{"SET nosuch = 1", pgerror.UndefinedObject},
		{"SHOW nosuch", pgerror.UndefinedObject},
		{"RESET nosuch", pgerror.UndefinedObject},
		{"SET server_version = '16'", pgerror.CantChangeRuntimeParam},
		{"SET integer_datetimes = off", pgerror.CantChangeRuntimeParam},
		{"SET client_encoding = 'LATIN1'", pgerror.FeatureNotSupported},
		{"SET client_encoding = 'klingon'", pgerror.InvalidParameterValue},
		{"SET row_security = maybe", pgerror.InvalidParameterValue},
		{"SET extra_float_digits = 4", pgerror.InvalidParameterValue},
		{"SET statement_timeout = '5 parsecs'", pgerror.InvalidParameterValue},
		{"SET TimeZone = 'Mars/Olympus'", pgerror.InvalidParameterValue},
		{"SET DateStyle = 'SQL'", pgerror.FeatureNotSupported},
		{"SET default_transaction_isolation = 'sloppy'", pgerror.InvalidParameterValue},
		{"SET application_name = a, b", pgerror.InvalidParameterValue},
	} {
		if got := queryCode(t, s, tc.sql); got != tc.code {
			t.Errorf("%s: code %s, want %s", tc.sql, got, tc.code)
		}
	}

	mustQuery(t, s, "SET application_name = 'via_engine'")
	ps := s.ParameterStatus()
	for _, k := range []string{"server_version", "server_encoding", "client_encoding", "application_name", "DateStyle",
		"IntervalStyle", "integer_datetimes", "is_superuser", "session_authorization", "standard_conforming_strings",
		"TimeZone", "in_hot_standby", "default_transaction_read_only"} {
		if _, ok := ps[k]; !ok {
			t.Errorf("ParameterStatus lacks %s", k)
		}
	}
	if ps["application_name"] != "via_engine" || ps["session_authorization"] != "helios" || ps["in_hot_standby"] != "off" {
		t.Errorf("ParameterStatus %v", ps)
	}
}

func TestStartupErrors(t *testing.T) {
	_, err := session.New(session.Config{Engine: newEngine(t)},
		result.StartupInfo{User: "helios", Params: map[string]string{"client_encoding": "LATIN1"}})
	wantCode(t, err, pgerror.FeatureNotSupported)
	_, err = session.New(session.Config{}, result.StartupInfo{})
	if err != session.ErrNoEngine {
		t.Fatalf("no engine: %v", err)
	}
}

func TestSQLPrepareExecute(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	mustQuery(t, s, "CREATE TABLE t (id int primary key, v text)")
	mustQuery(t, s, "PREPARE ins (int, text) AS INSERT INTO t VALUES ($1, $2) RETURNING id")
	r := mustQuery(t, s, "EXECUTE ins(1, 'one'); EXECUTE ins(2, NULL)")
	if fmt.Sprint(r.tags()) != "[INSERT 0 1 INSERT 0 1]" || len(r.Results[0].Rows) != 1 {
		t.Fatalf("EXECUTE results %+v", r.Results)
	}
	mustQuery(t, s, "PREPARE sel AS SELECT v FROM t WHERE id = $1")
	if got := scalar(t, s, "EXECUTE sel(1)"); got != "one" {
		t.Fatalf("EXECUTE sel(1) = %q", got)
	}
	for _, tc := range []struct {
		sql  string
		code pgerror.Code
	}{
		{"PREPARE sel AS SELECT 1", pgerror.DuplicatePreparedStmt},
		{"EXECUTE nosuch", pgerror.InvalidSQLStatementName},
		{"EXECUTE sel", pgerror.SyntaxError},
		{"EXECUTE sel('x')", pgerror.InvalidTextRepresentation},
		{"DEALLOCATE nosuch", pgerror.InvalidSQLStatementName},
	} {
		if got := queryCode(t, s, tc.sql); got != tc.code {
			t.Errorf("%s: code %s, want %s", tc.sql, got, tc.code)
		}
	}
	if tag := mustQuery(t, s, "DEALLOCATE sel").Results[0].Tag; tag != "DEALLOCATE" {
		t.Fatalf("tag %q", tag)
	}
	wantCode(t, s.Query(context.Background(), "EXECUTE sel(1)", &recorder{}), pgerror.InvalidSQLStatementName)
	mustQuery(t, s, "SET extra_float_digits = 2; DEALLOCATE ALL")
	wantCode(t, s.Query(context.Background(), "EXECUTE ins(3, 'x')", &recorder{}), pgerror.InvalidSQLStatementName)

	// DISCARD ALL resets parameters and drops statements, outside a block only.
	mustQuery(t, s, "PREPARE p AS SELECT 1")
	wantCode(t, s.Query(context.Background(), "BEGIN; DISCARD ALL", &recorder{}), pgerror.ActiveSQLTransaction)
	mustQuery(t, s, "ROLLBACK")
	if tag := mustQuery(t, s, "DISCARD ALL").Results[0].Tag; tag != "DISCARD ALL" {
		t.Fatalf("tag %q", tag)
	}
	if got := scalar(t, s, "SHOW extra_float_digits"); got != "1" {
		t.Fatalf("extra_float_digits after DISCARD ALL = %s", got)
	}
	wantCode(t, s.Query(context.Background(), "EXECUTE p", &recorder{}), pgerror.InvalidSQLStatementName)
}

func TestExtendedProtocol(t *testing.T) {
	ctx := context.Background()
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	mustQuery(t, s, "CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1),(2),(3),(4),(5)")

	d, err := s.Prepare(ctx, "q", "SELECT id FROM t WHERE id >= $1 ORDER BY id", []types.Oid{types.OidInt8})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ParamTypes) != 1 || d.ParamTypes[0] != types.OidInt8 || len(d.Columns) != 1 || d.Columns[0].Name != "id" {
		t.Fatalf("description %+v", d)
	}
	_, err = s.Prepare(ctx, "q", "SELECT 1", nil)
	wantCode(t, err, pgerror.DuplicatePreparedStmt)
	wantCode(t, s.Sync(ctx), "")

	// Binary parameter, row limit with suspension.
	one := binary.BigEndian.AppendUint64(nil, 1)
	if err := s.Bind(ctx, "p", "q", [][]byte{one}, []int16{1}, []int16{1}); err != nil {
		t.Fatal(err)
	}
	cols, formats, err := s.DescribePortal("p")
	if err != nil || len(cols) != 1 || len(formats) != 1 || formats[0] != 1 {
		t.Fatalf("DescribePortal: %v %v %v", cols, formats, err)
	}
	for i, want := range []struct {
		rows      int
		suspended bool
	}{{2, true}, {2, true}, {1, false}} {
		r := &recorder{}
		suspended, err := s.Execute(ctx, "p", 2, r)
		if err != nil {
			t.Fatal(err)
		}
		rows := len(r.cur.Rows)
		if suspended {
			if len(r.Results) != 0 {
				t.Fatalf("execute %d: Complete on a suspended portal", i)
			}
		} else {
			rows = len(r.Results[0].Rows)
			// The tag counts the rows of this Execute, as PostgreSQL's
			// PortalRun does (tests/portal_test.go compares with it).
			if r.Results[0].Tag != "SELECT 1" || r.Results[0].Columns != nil {
				t.Fatalf("execute %d: %+v", i, r.Results[0])
			}
		}
		if suspended != want.suspended || rows != want.rows {
			t.Fatalf("execute %d: suspended=%v rows=%d, want %v %d", i, suspended, rows, want.suspended, want.rows)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, "p", 0, &recorder{}); pgerror.CodeOf(err) != pgerror.InvalidCursorName {
		t.Fatalf("portal survived Sync: %v", err)
	}
	_ = s.Sync(ctx)

	// Errors.
	wantCode(t, s.Bind(ctx, "", "q", nil, nil, nil), pgerror.ProtocolViolation)
	_ = s.Sync(ctx)
	wantCode(t, s.Bind(ctx, "", "nosuch", nil, nil, nil), pgerror.InvalidSQLStatementName)
	_ = s.Sync(ctx)
	_, err = s.DescribeStatement("nosuch")
	wantCode(t, err, pgerror.InvalidSQLStatementName)
	_ = s.Sync(ctx)
	_, _, err = s.DescribePortal("nosuch")
	wantCode(t, err, pgerror.InvalidCursorName)
	_ = s.Sync(ctx)
	wantCode(t, s.Bind(ctx, "", "q", [][]byte{{1, 2}}, []int16{1}, nil), pgerror.InvalidBinaryRepresentation)
	_ = s.Sync(ctx)
	wantCode(t, s.Bind(ctx, "", "q", [][]byte{[]byte("1")}, nil, []int16{0, 1}), pgerror.ProtocolViolation)
	_ = s.Sync(ctx)
	_, err = s.Prepare(ctx, "", "SELECT 1; SELECT 2", nil)
	wantCode(t, err, pgerror.SyntaxError)
	_ = s.Sync(ctx)

	// The batch up to Sync is one transaction: an error rolls it back.
	exec1 := func(sql string) error {
		if _, err := s.Prepare(ctx, "", sql, nil); err != nil {
			return err
		}
		if err := s.Bind(ctx, "", "", nil, nil, nil); err != nil {
			return err
		}
		_, err := s.Execute(ctx, "", 0, &recorder{})
		return err
	}
	if err := exec1("INSERT INTO t VALUES (10)"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, exec1("INSERT INTO t VALUES (1)"), pgerror.UniqueViolation)
	if err := s.Sync(ctx); err != nil || s.TxStatus() != result.TxIdle {
		t.Fatalf("Sync after error: %v %c", err, s.TxStatus())
	}
	if got := scalar(t, s, "SELECT count(*) FROM t WHERE id = 10"); got != "0" {
		t.Fatalf("row of failed batch visible: %s", got)
	}
	// Without an error Sync commits; BEGIN keeps the transaction open.
	if err := exec1("INSERT INTO t VALUES (11)"); err != nil {
		t.Fatal(err)
	}
	_ = s.Sync(ctx)
	if err := exec1("BEGIN"); err != nil {
		t.Fatal(err)
	}
	if err := exec1("INSERT INTO t VALUES (12)"); err != nil {
		t.Fatal(err)
	}
	_ = s.Sync(ctx)
	if s.TxStatus() != result.TxInTx {
		t.Fatalf("status %c after BEGIN batch", s.TxStatus())
	}
	wantCode(t, exec1("SELECT 1/0"), pgerror.DivisionByZero)
	_ = s.Sync(ctx)
	if s.TxStatus() != result.TxFailed {
		t.Fatalf("status %c after error in explicit tx", s.TxStatus())
	}
	wantCode(t, exec1("SELECT 1"), pgerror.InFailedSQLTransaction)
	_ = s.Sync(ctx)
	if err := exec1("ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	_ = s.Sync(ctx)
	if got := scalar(t, s, "SELECT count(*) FROM t WHERE id >= 10"); got != "1" {
		t.Fatalf("rows >= 10: %s, want 1 (id 11)", got)
	}
	// Empty statement.
	if _, err := s.Prepare(ctx, "", "", nil); err != nil {
		t.Fatal(err)
	}
	_ = s.Bind(ctx, "", "", nil, nil, nil)
	if _, err := s.Execute(ctx, "", 0, &recorder{}); err != result.ErrEmptyQuery {
		t.Fatalf("empty: %v", err)
	}
	_ = s.Sync(ctx)
	// SHOW through the extended protocol.
	d, err = s.Prepare(ctx, "", "SHOW TimeZone", nil)
	if err != nil || len(d.Columns) != 1 || d.Columns[0].Name != "TimeZone" {
		t.Fatalf("SHOW describe: %+v %v", d, err)
	}
	_ = s.Bind(ctx, "", "", nil, nil, nil)
	r := &recorder{}
	if _, err := s.Execute(ctx, "", 0, r); err != nil || fmt.Sprint(r.Results[0].Rows) != "[[UTC]]" || r.Results[0].Columns != nil {
		t.Fatalf("SHOW execute: %+v %v", r.Results, err)
	}
	_ = s.Sync(ctx)
}

// The engine reads the session's parameters through exec.Vars.
func TestEngineSeesParameters(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	mustQuery(t, s, "SET application_name = 'via_engine'")
	r := &recorder{}
	err := s.Query(context.Background(), "SELECT current_setting('application_name')", r)
	if err != nil || fmt.Sprint(r.Results[0].Rows) != "[[via_engine]]" {
		t.Fatalf("current_setting: %v %v", r.Results, err)
	}
}

// Server-fixed parameters (the node's --max-connections) are what SHOW,
// current_setting and pg_settings give, and SET refuses them as
// PostgreSQL does.
func TestServerFixedSettings(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t), Settings: map[string]string{"max_connections": "42"}}, nil)
	if got := scalar(t, s, "SHOW max_connections"); got != "42" {
		t.Fatalf("SHOW max_connections = %s, want 42", got)
	}
	if got := scalar(t, s, "SELECT setting FROM pg_settings WHERE name = 'max_connections'"); got != "42" {
		t.Fatalf("pg_settings max_connections = %s, want 42", got)
	}
	err := s.Query(context.Background(), "SET max_connections = 5", &recorder{})
	wantCode(t, err, pgerror.CantChangeRuntimeParam)
	if msg := pgerror.As(err).Message; msg != `parameter "max_connections" cannot be changed without restarting the server` {
		t.Fatalf("message %q", msg)
	}
}

// CREATE/DROP DATABASE are refused naming the one database (issue 12's
// choice), not with a bare "CREATEDB is not supported".
func TestDatabaseStatementsRefused(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	for _, q := range []string{"CREATE DATABASE app", "DROP DATABASE app"} {
		err := s.Query(context.Background(), q, &recorder{})
		wantCode(t, err, pgerror.FeatureNotSupported)
		if msg := pgerror.As(err).Message; !strings.HasSuffix(msg, "is not supported: a HeliosDB Nano cluster holds one database") || !strings.HasPrefix(msg, q[:len(q)-4]) {
			t.Fatalf("%s: message %q", q, msg)
		}
	}
}
