package node_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Regression test for issue 16: pg_terminate_backend ends the connection
// as PostgreSQL 15 does, with an ErrorResponse of severity FATAL, SQLSTATE
// 57P01, "terminating connection due to administrator command" — at once
// for an idle session (a client waiting for notifications reads it), and
// instead of the result of a running statement. Before, the socket was
// closed without a word (pgx: "unexpected EOF").
func TestTerminateBackendSendsFatal57P01(t *testing.T) {
	m, adm := copyNode(t)
	ctx := context.Background()
	victimOf := m.Conn
	terminate := func(pid uint32) {
		t.Helper()
		var ok bool
		if err := adm.QueryRow(ctx, "SELECT pg_terminate_backend($1)", int32(pid)).Scan(&ok); err != nil || !ok {
			t.Fatalf("pg_terminate_backend(%d) = %v, %v; want true", pid, ok, err)
		}
	}

	t.Run("idle", func(t *testing.T) {
		victim := victimOf()
		terminate(victim.PgConn().PID())
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		requireTerminated(t, victim.PgConn().WaitForNotification(wctx))
		if !victim.IsClosed() {
			t.Fatal("the terminated connection is still open")
		}
	})

	t.Run("running statement", func(t *testing.T) {
		victim := victimOf()
		res := make(chan error, 1)
		go func() {
			_, err := victim.Exec(ctx, "SELECT pg_sleep(30)")
			res <- err
		}()
		waitRunning(t, adm, victim.PgConn().PID())
		start := time.Now()
		terminate(victim.PgConn().PID())
		select {
		case err := <-res:
			requireTerminated(t, err)
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("the running statement ended %v after pg_terminate_backend", d)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("pg_sleep(30) still runs 10s after pg_terminate_backend")
		}
	})

	t.Run("itself", func(t *testing.T) {
		victim := victimOf()
		_, err := victim.Exec(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
		requireTerminated(t, err)
	})
}

// waitRunning waits until pg_stat_activity shows pid running a statement.
func waitRunning(t *testing.T, adm *pgx.Conn, pid uint32) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var state string
		err := adm.QueryRow(ctx, "SELECT state FROM pg_stat_activity WHERE pid = $1", int32(pid)).Scan(&state)
		if err == nil && state == "active" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %d not active after 10s (state %q, %v)", pid, state, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func requireTerminated(t *testing.T, err error) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57P01" || pe.Severity != "FATAL" ||
		pe.Message != "terminating connection due to administrator command" {
		t.Fatalf("got %v, want FATAL 57P01 terminating connection due to administrator command", err)
	}
}
