package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// rawConn speaks the protocol message by message (pgx has no Execute with
// a row limit): a pgconn connection taken over after the startup.
type rawConn struct {
	t  *testing.T
	fe *pgproto3.Frontend
}

func dialRaw(t *testing.T, dsn string) *rawConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pc, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	hj, err := pc.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hj.Conn.Close() })
	_ = hj.Conn.SetDeadline(time.Now().Add(60 * time.Second))
	return &rawConn{t: t, fe: hj.Frontend}
}

// round sends msgs and renders what the server answers up to
// ReadyForQuery: rows, command tags, PortalSuspended and SQLSTATEs.
func (r *rawConn) round(msgs ...pgproto3.FrontendMessage) string {
	r.t.Helper()
	for _, m := range msgs {
		r.fe.Send(m)
	}
	if err := r.fe.Flush(); err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for {
		m, err := r.fe.Receive()
		if err != nil {
			r.t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.DataRow:
			var vals []string
			for _, v := range m.Values {
				vals = append(vals, string(v))
			}
			out = append(out, "row "+strings.Join(vals, ","))
		case *pgproto3.CommandComplete:
			out = append(out, string(m.CommandTag))
		case *pgproto3.PortalSuspended:
			out = append(out, "suspended")
		case *pgproto3.ErrorResponse:
			out = append(out, "ERROR "+m.Code)
		case *pgproto3.ReadyForQuery:
			return strings.Join(out, "; ")
		}
	}
}

// TestSuspendedPortalKeepsSnapshot executes a portal with a row limit in
// a transaction, writes to its table in between (simple and extended
// protocol; rows the transaction wrote before the portal started too),
// and reads the rest: the portal shows the rows as they were
// when it started, as in PostgreSQL (the portal keeps its snapshot, as a
// DECLAREd cursor does), on both servers message by message. Regression
// test for issue 13: the rest of the portal showed the transaction's
// later writes.
func TestSuspendedPortalKeepsSnapshot(t *testing.T) {
	ctx := context.Background()
	pg := startPostgres(t)
	if err := pg.CreateDatabase(ctx, "portal"); err != nil {
		t.Fatal(err)
	}
	node := newNode(t)
	node.start()
	run := func(dsn string) []string {
		r := dialRaw(t, dsn)
		var got []string
		step := func(what string, msgs ...pgproto3.FrontendMessage) {
			got = append(got, what+": "+r.round(msgs...))
		}
		q := func(sql string) { step(sql, &pgproto3.Query{String: sql}) }
		q("DROP TABLE IF EXISTS pt; CREATE TABLE pt (id int PRIMARY KEY, v text); INSERT INTO pt SELECT g, 'v' || g FROM generate_series(1, 5000) g")
		q("BEGIN")
		q("UPDATE pt SET v = 'before' WHERE id IN (2000, 3000, 4000)")
		step("open p1, 1 row",
			&pgproto3.Parse{Name: "s1", Query: "SELECT id, v FROM pt WHERE id % 1000 = 0 OR id < 3 ORDER BY id"},
			&pgproto3.Bind{DestinationPortal: "p1", PreparedStatement: "s1"},
			&pgproto3.Execute{Portal: "p1", MaxRows: 1}, &pgproto3.Sync{})
		q("UPDATE pt SET v = 'changed' WHERE id IN (2, 4000)")
		step("p1, 1 row", &pgproto3.Execute{Portal: "p1", MaxRows: 1}, &pgproto3.Sync{})
		step("extended DELETE and INSERT",
			&pgproto3.Parse{Query: "DELETE FROM pt WHERE id = 3000"}, &pgproto3.Bind{}, &pgproto3.Execute{},
			&pgproto3.Parse{Query: "INSERT INTO pt VALUES (6000, 'new')"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
		step("p1, the rest", &pgproto3.Execute{Portal: "p1"}, &pgproto3.Sync{})
		step("p1 again", &pgproto3.Execute{Portal: "p1"}, &pgproto3.Sync{})
		q("SELECT id, v FROM pt WHERE id % 1000 = 0 OR id < 3 ORDER BY id")
		q("COMMIT")
		return got
	}
	want, got := run(pg.DSN("portal")), run(node.dsn())
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		t.Log(w)
		if w != g {
			t.Errorf("ours:       %s\nPostgreSQL: %s", g, w)
		}
	}
	// What PostgreSQL gives, so that a harness that sees nothing fails.
	if rest := fmt.Sprint(want); !strings.Contains(rest, "p1, the rest: row 1000,v1000; row 2000,before; row 3000,before; row 4000,before; row 5000,v5000; SELECT 5") ||
		!strings.Contains(rest, "p1, 1 row: row 2,v2; suspended") {
		t.Errorf("PostgreSQL's portal saw the later writes? %v", want)
	}
}
