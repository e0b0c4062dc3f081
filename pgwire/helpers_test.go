package pgwire_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

const (
	testUser     = "helios"
	testPassword = "s3cret pässword"
)

// startServer starts a server with SCRAM auth (unless cfg says otherwise)
// over a fresh fake factory.
func startServer(t *testing.T, cfg pgwire.Config) (*pgwire.Server, string, *pgwiretest.Factory) {
	t.Helper()
	if cfg.Credentials == nil {
		cfg.Credentials = pgwiretest.Users(map[string]string{testUser: testPassword})
	}
	f := pgwiretest.NewFactory()
	srv, addr := pgwiretest.StartServer(t, cfg, f)
	return srv, addr, f
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustConnect opens a pgx connection as testUser.
func mustConnect(t *testing.T, addr string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(testCtx(t), pgwiretest.ConnString(addr, testUser, "s3cret%20p%C3%A4ssword", "heliosdb"))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// pgCode returns the SQLSTATE of a pgx error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
