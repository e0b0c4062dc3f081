package pgwire_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

func TestBinaryResultFormat(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
	rc := startupRaw(t, addr)
	rc.send(&pgproto3.Parse{Query: pgwiretest.SelectItemByID},
		&pgproto3.Bind{Parameters: [][]byte{binary.BigEndian.AppendUint64(nil, 2)}, ParameterFormatCodes: []int16{1}, ResultFormatCodes: []int16{1, 0}},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Sync{})
	var row [][]byte
	var formats []int16
	for {
		m, err := rc.fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.RowDescription:
			for _, f := range m.Fields {
				formats = append(formats, f.Format)
			}
		case *pgproto3.DataRow:
			for _, v := range m.Values {
				row = append(row, append([]byte(nil), v...))
			}
		case *pgproto3.ErrorResponse:
			t.Fatalf("error %s %s", m.Code, m.Message)
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	if len(formats) != 2 || formats[0] != 1 || formats[1] != 0 {
		t.Errorf("RowDescription formats %v, want [1 0]", formats)
	}
	if len(row) != 2 || len(row[0]) != 8 || binary.BigEndian.Uint64(row[0]) != 2 || string(row[1]) != "item2" {
		t.Errorf("row = %q", row)
	}
}

func TestTimeZoneAppliesToTextOutput(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{})
	conn := mustConnect(t, addr)
	ctx := testCtx(t)
	if _, err := conn.Exec(ctx, "SET TimeZone = 'Asia/Tokyo'", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	if got := conn.PgConn().ParameterStatus("TimeZone"); got != "Asia/Tokyo" {
		t.Fatalf("TimeZone status %q", got)
	}
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	res := conn.PgConn().ExecParams(ctx, pgwiretest.SelectEcho,
		[][]byte{[]byte("1"), []byte("x"), []byte("1"), []byte("t"), []byte(ts.Format("2006-01-02 15:04:05Z07:00"))},
		nil, nil, nil).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got, want := string(res.Rows[0][4]), "2024-01-02 12:04:05+09"; got != want {
		t.Errorf("timestamptz text in Asia/Tokyo = %q, want %q", got, want)
	}
}

// BenchmarkPointSelect measures a prepared single-row select over pgx, the
// hot path of OLTP clients.
func BenchmarkPointSelect(b *testing.B) {
	f := pgwiretest.NewFactory()
	_, addr := pgwiretest.StartServer(b, pgwire.Config{AuthMethod: pgwire.AuthTrust}, f)
	conn, err := pgx.Connect(b.Context(), pgwiretest.ConnString(addr, "u", "", "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(b.Context())
	var id int64
	var name string
	for b.Loop() {
		if err := conn.QueryRow(b.Context(), pgwiretest.SelectItemByID, int64(3)).Scan(&id, &name); err != nil {
			b.Fatal(err)
		}
	}
}
