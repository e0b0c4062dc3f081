package pgwire_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

// BenchmarkSimpleQuery: one SELECT 1 round trip over a real socket with
// pgx, against the fake session (pgwire's own per-statement cost, which
// includes arming and stopping the client check).
func BenchmarkSimpleQuery(b *testing.B) {
	_, addr := pgwiretest.StartServer(b, pgwire.Config{AuthMethod: pgwire.AuthTrust}, pgwiretest.NewFactory())
	conn, err := pgx.Connect(b.Context(), pgwiretest.ConnString(addr, "u", "", "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(b.Context())
	b.ResetTimer()
	for b.Loop() {
		if _, err := conn.Exec(b.Context(), pgwiretest.SelectOne, pgx.QueryExecModeSimpleProtocol); err != nil {
			b.Fatal(err)
		}
	}
}
