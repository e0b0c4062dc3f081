package proxy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// rawConn is a protocol-level client: pgconn logs in, then the test
// sends and receives single messages.
type rawConn struct {
	t  *testing.T
	fe *pgproto3.Frontend
}

func (tp *testProxy) raw() *rawConn {
	tp.t.Helper()
	pc, err := pgconn.Connect(context.Background(), tp.dsn())
	if err != nil {
		tp.t.Fatal(err)
	}
	hc, err := pc.Hijack()
	if err != nil {
		tp.t.Fatal(err)
	}
	tp.t.Cleanup(func() { hc.Conn.Close() })
	return &rawConn{t: tp.t, fe: hc.Frontend}
}

func (r *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	r.t.Helper()
	for _, m := range msgs {
		r.fe.Send(m)
	}
	if err := r.fe.Flush(); err != nil {
		r.t.Fatal(err)
	}
}

// expect reads len(want) messages and checks their types, returning the
// DataRow values seen.
func (r *rawConn) expect(want ...string) []string {
	r.t.Helper()
	var rows []string
	for i, w := range want {
		msg, err := r.fe.Receive()
		if err != nil {
			r.t.Fatalf("message %d: %v", i, err)
		}
		got := strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")
		if e, ok := msg.(*pgproto3.ErrorResponse); ok {
			got += "(" + e.Message + ")"
		}
		if got != w {
			r.t.Fatalf("message %d: got %s, want %s", i, got, w)
		}
		if d, ok := msg.(*pgproto3.DataRow); ok {
			rows = append(rows, string(d.Values[0]))
		}
	}
	return rows
}

// TestFlushAndReprepare drives the extended protocol by hand: a Flush
// answered before Sync, a named statement re-prepared on the primary
// after the session moves there, and a stale statement closed and
// re-prepared when the session comes back to a standby.
func TestFlushAndReprepare(t *testing.T) {
	c := startCluster(t)
	tp := startProxy(t, c, noPrimaryReads)
	r := tp.raw()
	const q = "SELECT node_id FROM helios_replication_status"

	r.send(&pgproto3.Parse{Name: "s1", Query: q}, &pgproto3.Describe{ObjectType: 'S', Name: "s1"}, &pgproto3.Flush{})
	r.expect("ParseComplete", "ParameterDescription", "RowDescription")
	r.send(&pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	standby := r.expect("BindComplete", "DataRow", "CommandComplete", "ReadyForQuery")[0]
	if standby == "primary" {
		t.Fatalf("read on %s with read_from_primary off", standby)
	}

	// A write moves the session's reads to the primary: s1 is re-prepared
	// there without the client seeing a second ParseComplete.
	r.send(&pgproto3.Query{String: "CREATE TABLE f (id int)"})
	r.expect("CommandComplete", "ReadyForQuery")
	r.send(&pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if got := r.expect("BindComplete", "DataRow", "CommandComplete", "ReadyForQuery")[0]; got != "primary" {
		t.Fatalf("after the write s1 ran on %s", got)
	}

	// s1 is closed (on the primary) and prepared anew as something else.
	r.send(&pgproto3.Close{ObjectType: 'S', Name: "s1"}, &pgproto3.Sync{})
	r.expect("CloseComplete", "ReadyForQuery")
	r.send(&pgproto3.Parse{Name: "s1", Query: "SELECT 'second'"}, &pgproto3.Sync{})
	r.expect("ParseComplete", "ReadyForQuery")

	// With the primary disabled the session reads on its standby again,
	// which still holds the old s1: it is closed and re-prepared there.
	if code, body := tp.admin("POST", "/nodes/primary/disable", nil); code != 200 {
		t.Fatalf("disable: %d %s", code, body)
	}
	r.send(&pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if got := r.expect("BindComplete", "DataRow", "CommandComplete", "ReadyForQuery")[0]; got != "second" {
		t.Fatalf("stale statement on the standby: got %q", got)
	}

	// An error in a batch is followed by ReadyForQuery only, at Sync.
	r.send(&pgproto3.Parse{Query: "SELECT * FROM nosuch"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	r.expect(`ErrorResponse(relation "nosuch" does not exist)`, "ReadyForQuery")
	// A lone Sync is answered without a backend.
	r.send(&pgproto3.Sync{})
	r.expect("ReadyForQuery")
}
