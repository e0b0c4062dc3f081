package pgwire_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

func TestExtendedProtocolPgx(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{})
	conn := mustConnect(t, addr)
	ctx := testCtx(t)

	t.Run("params and binary results", func(t *testing.T) {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec} {
			var id int64
			var name string
			if err := conn.QueryRow(ctx, pgwiretest.SelectItemByID, mode, int64(3)).Scan(&id, &name); err != nil {
				t.Fatalf("mode %v: %v", mode, err)
			}
			if id != 3 || name != "item3" {
				t.Errorf("mode %v: got (%d, %q)", mode, id, name)
			}
		}
	})

	t.Run("echo types", func(t *testing.T) {
		ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
		var (
			i  int64
			s  string
			f  float64
			b  bool
			tz time.Time
		)
		err := conn.QueryRow(ctx, pgwiretest.SelectEcho, int64(-42), "héllo", 2.5, true, ts).Scan(&i, &s, &f, &b, &tz)
		if err != nil {
			t.Fatal(err)
		}
		if i != -42 || s != "héllo" || f != 2.5 || !b || !tz.Equal(ts) {
			t.Errorf("echo = %v %q %v %v %v", i, s, f, b, tz)
		}
	})

	t.Run("text result format", func(t *testing.T) {
		res := conn.PgConn().ExecParams(ctx, pgwiretest.SelectEcho,
			[][]byte{[]byte("7"), []byte("x"), []byte("1.5"), []byte("false"), []byte("2024-01-02 03:04:05Z")},
			nil, nil, nil).Read()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		got := make([]string, len(res.Rows[0]))
		for i, v := range res.Rows[0] {
			got[i] = string(v)
		}
		want := []string{"7", "x", "1.5", "f", "2024-01-02 03:04:05+00"}
		if !slices.Equal(got, want) {
			t.Errorf("text row = %q, want %q", got, want)
		}
	})

	t.Run("named prepared statement", func(t *testing.T) {
		sd, err := conn.Prepare(ctx, "byid", pgwiretest.SelectItemByID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sd.ParamOIDs, []uint32{20}) || len(sd.Fields) != 2 || sd.Fields[1].Name != "name" || sd.Fields[0].TableOID != 16384 {
			t.Errorf("description = %+v", sd)
		}
		var name string
		if err := conn.QueryRow(ctx, "byid", int64(2)).Scan(&name); err == nil {
			t.Errorf("scan of 2 columns into 1 should fail")
		}
		var id int64
		if err := conn.QueryRow(ctx, "byid", int64(2)).Scan(&id, &name); err != nil || name != "item2" {
			t.Errorf("byid(2) = %q, %v", name, err)
		}
		if err := conn.Deallocate(ctx, "byid"); err != nil {
			t.Errorf("deallocate: %v", err)
		}
	})

	t.Run("errors with fields", func(t *testing.T) {
		tag, err := conn.Exec(ctx, pgwiretest.InsertItem, int64(100), "new")
		if err != nil || tag.String() != "INSERT 0 1" {
			t.Fatalf("insert: %v %v", tag, err)
		}
		_, err = conn.Exec(ctx, pgwiretest.InsertItem, int64(100), "dup")
		var pe *pgconn.PgError
		if !asPgError(err, &pe) || pe.Code != "23505" || pe.ConstraintName != "items_pkey" || pe.TableName != "items" || pe.Detail == "" {
			t.Fatalf("duplicate insert: %#v", err)
		}
		if _, err := conn.Exec(ctx, "SELEKT"); pgCode(err) != "42601" {
			t.Errorf("bad statement: %v", err)
		}
		var n int
		if err := conn.QueryRow(ctx, pgwiretest.SelectOne).Scan(&n); err != nil || n != 1 {
			t.Errorf("after errors SELECT 1 = %d, %v", n, err)
		}
	})
}

func TestExtendedProtocolMessages(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
	rc := startupRaw(t, addr)
	cases := []struct {
		name string
		msgs []pgproto3.FrontendMessage
		want []string
	}{
		{"row limit suspends the portal",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: pgwiretest.SelectItems},
				&pgproto3.Bind{DestinationPortal: "p1"},
				&pgproto3.Execute{Portal: "p1", MaxRows: 2},
				&pgproto3.Execute{Portal: "p1", MaxRows: 2},
				&pgproto3.Execute{Portal: "p1", MaxRows: 2},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "BindComplete",
				"DataRow 1,item1", "DataRow 2,item2", "PortalSuspended",
				"DataRow 3,item3", "DataRow 4,item4", "PortalSuspended",
				"DataRow 5,item5", "CommandComplete SELECT 5", "ReadyForQuery I"}},
		{"describe statement and portal",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Name: "s1", Query: pgwiretest.SelectItemByID},
				&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
				&pgproto3.Bind{PreparedStatement: "s1", Parameters: [][]byte{[]byte("4")}},
				&pgproto3.Describe{ObjectType: 'P'},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "ParameterDescription [20]", "RowDescription id:20:0,name:25:0",
				"BindComplete", "RowDescription id:20:0,name:25:0", "DataRow 4,item4", "CommandComplete SELECT 1", "ReadyForQuery I"}},
		{"describe without rows",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "BEGIN"},
				&pgproto3.Describe{ObjectType: 'S'},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "ParameterDescription []", "NoData", "ReadyForQuery I"}},
		{"error skips to sync",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "SELEKT"},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Query{String: "SELECT 1"},
				&pgproto3.Sync{},
				&pgproto3.Parse{Query: pgwiretest.SelectOne},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"ErrorResponse ERROR 42601", "ReadyForQuery I",
				"ParseComplete", "BindComplete", "DataRow 1", "CommandComplete SELECT 1", "ReadyForQuery I"}},
		{"execute error",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: pgwiretest.SelectDivZero},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "BindComplete", "ErrorResponse ERROR 22012", "ReadyForQuery I"}},
		{"close statement and portal",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Name: "s2", Query: pgwiretest.SelectOne},
				&pgproto3.Bind{DestinationPortal: "p2", PreparedStatement: "s2"},
				&pgproto3.Close{ObjectType: 'P', Name: "p2"},
				&pgproto3.Close{ObjectType: 'S', Name: "s2"},
				&pgproto3.Close{ObjectType: 'S', Name: "never-existed"},
				&pgproto3.Describe{ObjectType: 'S', Name: "s2"},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "BindComplete", "CloseComplete", "CloseComplete", "CloseComplete", "ErrorResponse ERROR 26000", "ReadyForQuery I"}},
		{"empty query",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: ""},
				&pgproto3.Bind{},
				&pgproto3.Describe{ObjectType: 'P'},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "BindComplete", "NoData", "EmptyQueryResponse", "ReadyForQuery I"}},
		{"bad format code",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: pgwiretest.SelectOne},
				&pgproto3.Bind{ResultFormatCodes: []int16{7}},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "ErrorResponse ERROR 08P01", "ReadyForQuery I"}},
		{"wrong parameter count",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: pgwiretest.SelectItemByID},
				&pgproto3.Bind{},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "ErrorResponse ERROR 08P01", "ReadyForQuery I"}},
		{"set in extended protocol reports the parameter",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "SET TimeZone = 'Europe/Berlin'"},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "BindComplete", "CommandComplete SET", "ParameterStatus TimeZone=Europe/Berlin", "ReadyForQuery I"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc.send(tc.msgs...)
			var got []string
			for range countReady(tc.want) {
				got = append(got, rc.untilReady()...)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFlushSendsPendingOutput(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
	rc := startupRaw(t, addr)
	rc.send(&pgproto3.Parse{Query: pgwiretest.SelectOne}, &pgproto3.Flush{})
	m, err := rc.fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(m); got != "ParseComplete" {
		t.Fatalf("after Flush got %q", got)
	}
	rc.send(&pgproto3.Sync{})
	if got := rc.untilReady(); !slices.Equal(got, []string{"ReadyForQuery I"}) {
		t.Errorf("after Sync got %q", got)
	}
}

func countReady(msgs []string) int {
	n := 0
	for _, m := range msgs {
		if strings.HasPrefix(m, "ReadyForQuery") {
			n++
		}
	}
	return n
}
