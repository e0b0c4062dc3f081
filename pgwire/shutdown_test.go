package pgwire_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// slowStatement registers "SELECT slow", which signals started and then
// takes d (or until cancelled).
func slowStatement(f *pgwiretest.Factory, d time.Duration, started chan<- struct{}) {
	f.Statements["SELECT slow"] = &pgwiretest.Statement{
		Columns: []result.Column{{Name: "slow", Type: types.Int4}},
		Run: func(ctx context.Context, _ *pgwiretest.Session, _ []types.Datum) ([][]types.Datum, string, error) {
			started <- struct{}{}
			select {
			case <-time.After(d):
				return [][]types.Datum{{int64(7)}}, "", nil
			case <-ctx.Done():
				return nil, "", ctx.Err()
			}
		},
	}
}

func TestShutdownDrains(t *testing.T) {
	f := pgwiretest.NewFactory()
	started := make(chan struct{}, 1)
	slowStatement(f, 300*time.Millisecond, started)
	srv, addr := pgwiretest.StartServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust}, f)

	idle := startupRaw(t, addr)
	busy := startupRaw(t, addr)
	busy.send(&pgproto3.Query{String: "SELECT slow"})
	<-started

	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- srv.Shutdown(testCtx(t)) }()

	if got := idle.untilClosed(); !slices.Equal(got, []string{"ErrorResponse FATAL 57P01"}) {
		t.Errorf("idle client got %q", got)
	}
	want := []string{"RowDescription slow:23:0", "DataRow 7", "CommandComplete SELECT 1", "ReadyForQuery I", "ErrorResponse FATAL 57P01"}
	if got := busy.untilClosed(); !slices.Equal(got, want) {
		t.Errorf("busy client got %q\nwant %q", got, want)
	}
	if err := <-shutdownErr; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if n := f.Closed(); n != 2 {
		t.Errorf("%d sessions closed, want 2", n)
	}
	if nc, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		nc.Close()
		t.Errorf("server still accepts connections after Shutdown")
	}
}

func TestShutdownDeadlineCancelsStatements(t *testing.T) {
	f := pgwiretest.NewFactory()
	started := make(chan struct{}, 1)
	slowStatement(f, time.Hour, started)
	srv, addr := pgwiretest.StartServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust}, f)
	busy := startupRaw(t, addr)
	busy.send(&pgproto3.Query{String: "SELECT slow"})
	<-started

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	busy.untilClosed()
	if n := f.Closed(); n != 1 {
		t.Errorf("%d sessions closed, want 1", n)
	}
}

func TestServeAfterClose(t *testing.T) {
	srv, err := pgwire.NewServer(pgwire.Config{AuthMethod: pgwire.AuthTrust}, pgwiretest.NewFactory())
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(l); !errors.Is(err, pgwire.ErrServerClosed) {
		t.Errorf("Serve after Close = %v", err)
	}
}
