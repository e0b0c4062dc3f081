package pgwire_test

import (
	"context"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

func TestCancelRequestFromPgxContext(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{})
	cfg, err := pgx.ParseConfig(pgwiretest.ConnString(addr, testUser, "s3cret%20p%C3%A4ssword", "db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 10 * time.Second}
	}
	conn, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())

	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		start := time.Now()
		_, err = conn.Exec(ctx, pgwiretest.SelectSleep, mode)
		cancel()
		if code := pgCode(err); code != "57014" {
			t.Fatalf("mode %v: cancelled statement returned %v (code %q), want 57014", mode, err, code)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("cancel took %v", time.Since(start))
		}
		var n int
		if err := conn.QueryRow(testCtx(t), pgwiretest.SelectOne).Scan(&n); err != nil || n != 1 {
			t.Fatalf("connection unusable after cancel: %d %v", n, err)
		}
	}
}

func TestCancelRequestDirect(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{})
	conn := mustConnect(t, addr)
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), pgwiretest.SelectSleep, pgx.QueryExecModeSimpleProtocol)
		done <- err
	}()
	// Cancels that arrive before the statement starts are ignored, as in
	// PostgreSQL; repeat until one lands.
	for {
		// A cancel with the right pid and a wrong secret must do nothing.
		wrong := dialRaw(t, addr)
		key := conn.PgConn().SecretKey()
		bad := slices.Clone(key)
		bad[0]++
		wrong.send(&pgproto3.CancelRequest{ProcessID: conn.PgConn().PID(), SecretKey: bad})
		if got := wrong.untilClosed(); len(got) != 0 {
			t.Errorf("cancel connection got %q", got)
		}
		select {
		case err := <-done:
			t.Fatalf("a cancel with a wrong secret ended the statement: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if err := conn.PgConn().CancelRequest(testCtx(t)); err != nil {
			t.Fatalf("CancelRequest: %v", err)
		}
		select {
		case err := <-done:
			if pgCode(err) != "57014" {
				t.Fatalf("got %v, want 57014", err)
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func TestCancelRequestUnknownKeyIsIgnored(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
	rc := dialRaw(t, addr)
	msg := make([]byte, 16)
	binary.BigEndian.PutUint32(msg[0:], 16)
	binary.BigEndian.PutUint32(msg[4:], 80877102)
	binary.BigEndian.PutUint32(msg[8:], 12345)
	rc.sendBytes(msg)
	if got := rc.untilClosed(); len(got) != 0 {
		t.Errorf("cancel connection got %q, want a silent close", got)
	}
	other := startupRaw(t, addr)
	other.send(&pgproto3.Query{String: pgwiretest.SelectOne})
	other.untilReady()
}
