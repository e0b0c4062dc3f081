package pgwire_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

func TestSimpleQueryMessages(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
	cases := []struct {
		name  string
		query string
		want  []string
	}{
		{"select one", "SELECT 1", []string{"RowDescription ?column?:23:0", "DataRow 1", "CommandComplete SELECT 1", "ReadyForQuery I"}},
		{"multi statement", "SELECT 1; SELECT id, name FROM items", []string{
			"RowDescription ?column?:23:0", "DataRow 1", "CommandComplete SELECT 1",
			"RowDescription id:20:0,name:25:0", "DataRow 1,item1", "DataRow 2,item2", "DataRow 3,item3", "DataRow 4,item4", "DataRow 5,item5", "CommandComplete SELECT 5",
			"ReadyForQuery I"}},
		{"error stops the string", "SELECT 1; SELECT 1/0; SELECT 1", []string{
			"RowDescription ?column?:23:0", "DataRow 1", "CommandComplete SELECT 1",
			"ErrorResponse ERROR 22012", "ReadyForQuery I"}},
		{"empty query", "", []string{"EmptyQueryResponse", "ReadyForQuery I"}},
		{"only semicolons", " ; ;", []string{"EmptyQueryResponse", "ReadyForQuery I"}},
		{"null value", pgwiretest.SelectNull, []string{"RowDescription text:25:0", "DataRow NULL", "CommandComplete SELECT 1", "ReadyForQuery I"}},
		{"notice", pgwiretest.DoNotice, []string{"NoticeResponse hello from the fake", "CommandComplete DO", "ReadyForQuery I"}},
		{"parameter change", "SET application_name = 'app1'", []string{"CommandComplete SET", "ParameterStatus application_name=app1", "ReadyForQuery I"}},
		{"transaction", "BEGIN; SELECT 1", []string{"CommandComplete BEGIN", "RowDescription ?column?:23:0", "DataRow 1", "CommandComplete SELECT 1", "ReadyForQuery T"}},
		{"failed transaction", "SELECT 1/0", []string{"ErrorResponse ERROR 22012", "ReadyForQuery E"}},
		{"aborted transaction", "SELECT 1", []string{"ErrorResponse ERROR 25P02", "ReadyForQuery E"}},
		{"rollback", "ROLLBACK", []string{"CommandComplete ROLLBACK", "ReadyForQuery I"}},
	}
	rc := startupRaw(t, addr)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc.send(&pgproto3.Query{String: tc.query})
			if got := rc.untilReady(); !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestSimpleProtocolPgx(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{})
	conn := mustConnect(t, addr)
	ctx := testCtx(t)
	pc := conn.PgConn()

	results, err := pc.Exec(ctx, "SELECT 1; SELECT id, name FROM items").ReadAll()
	if err != nil {
		t.Fatalf("multi-statement: %v", err)
	}
	if len(results) != 2 || len(results[1].Rows) != 5 || results[1].CommandTag.String() != "SELECT 5" || string(results[1].Rows[4][1]) != "item5" {
		t.Fatalf("results = %+v", results)
	}

	_, err = pc.Exec(ctx, pgwiretest.SelectDivZero).ReadAll()
	var pe *pgconn.PgError
	if code := pgCode(err); code != "22012" || !asPgError(err, &pe) || pe.Position != 9 || pe.Severity != "ERROR" {
		t.Fatalf("division by zero: %#v", err)
	}
	_, err = pc.Exec(ctx, "SELEKT 1").ReadAll()
	if code := pgCode(err); code != "42601" || !asPgError(err, &pe) || pe.Position != 1 {
		t.Fatalf("syntax error: %#v", err)
	}

	if _, err := conn.Exec(ctx, "SET application_name = 'reporting'", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	if got := pc.ParameterStatus("application_name"); got != "reporting" {
		t.Errorf("application_name status = %q", got)
	}

	var sum, n int64
	rows, err := conn.Query(ctx, pgwiretest.SelectSeries, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		sum += v
		n++
	}
	if rows.Err() != nil || n != 10000 || sum != 10000*10001/2 {
		t.Fatalf("series: n=%d sum=%d err=%v", n, sum, rows.Err())
	}
}

func asPgError(err error, pe **pgconn.PgError) bool {
	p, ok := err.(*pgconn.PgError)
	*pe = p
	return ok
}

func TestNoticeReachesPgx(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{})
	cfg, err := pgx.ParseConfig(pgwiretest.ConnString(addr, testUser, "s3cret%20p%C3%A4ssword", "db"))
	if err != nil {
		t.Fatal(err)
	}
	notices := make(chan string, 1)
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices <- n.Severity + " " + n.Message }
	conn, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(testCtx(t), pgwiretest.DoNotice, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	if got := <-notices; got != "NOTICE hello from the fake" {
		t.Errorf("notice = %q", got)
	}
}

func TestSessionPanicClosesOnlyThatConnection(t *testing.T) {
	_, addr, f := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
	rc := startupRaw(t, addr)
	rc.send(&pgproto3.Query{String: pgwiretest.SelectPanic})
	got := rc.untilClosed()
	if !slices.Equal(got, []string{"ErrorResponse FATAL XX000"}) {
		t.Errorf("after panic got %q", got)
	}
	other := startupRaw(t, addr)
	other.send(&pgproto3.Query{String: "SELECT 1"})
	if got := other.untilReady(); !slices.Contains(got, "DataRow 1") {
		t.Errorf("server stopped serving after a panic: %q", got)
	}
	if f.Closed() < 1 {
		t.Errorf("panicked session was not closed")
	}
}

func TestFunctionCallAndStrayCopyMessages(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
	rc := startupRaw(t, addr)
	rc.send(&pgproto3.FunctionCall{Function: 1234})
	if got := rc.untilReady(); !slices.Equal(got, []string{"ErrorResponse ERROR 0A000", "ReadyForQuery I"}) {
		t.Errorf("FunctionCall got %q", got)
	}
	rc.send(&pgproto3.CopyData{Data: []byte("x")}, &pgproto3.CopyDone{}, &pgproto3.CopyFail{Message: "no"}, &pgproto3.Query{String: "SELECT 1"})
	if got := rc.untilReady(); !slices.Equal(got, []string{"RowDescription ?column?:23:0", "DataRow 1", "CommandComplete SELECT 1", "ReadyForQuery I"}) {
		t.Errorf("after stray copy messages got %q", got)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("addr %q", addr)
	}
}
