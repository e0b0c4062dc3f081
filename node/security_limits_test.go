package node_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

func pgAddr(m *clustertest.Member) string {
	return strings.Split(strings.Split(m.DSN(), "@")[1], "/")[0]
}

func wantPgError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code || pe.Message != msg {
		t.Fatalf("%s: %v, want %s %s", what, err, code, msg)
	}
}

// TestMaxConnections: --max-connections sessions, then FATAL 53300 as in
// PostgreSQL; the last --superuser-reserved-connections slots only for
// superusers; a flood of silent sockets is turned away at twice the limit
// and disconnected after --authentication-timeout; /health keeps answering.
func TestMaxConnections(t *testing.T) {
	m := clustertest.NewMember(t, "primary", clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.MaxConnections, c.SuperuserReservedConnections = 4, 1
		c.AuthMethod = "trust" // lets a second, non-superuser role log in
		c.AuthenticationTimeout = 500 * time.Millisecond
	}}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	m.Exec("CREATE ROLE app LOGIN")
	ctx := context.Background()
	addr := pgAddr(m)
	connect := func(user string) (*pgx.Conn, error) {
		return pgx.Connect(ctx, fmt.Sprintf("postgres://%s@%s/heliosdb?sslmode=disable", user, addr))
	}
	var open []*pgx.Conn
	defer func() {
		for _, c := range open {
			c.Close(ctx)
		}
	}()
	for range 3 {
		c, err := connect("helios")
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	// The last slot is reserved: an ordinary user is refused, a superuser
	// gets it.
	// (The session that created the role gives its slot back as it ends.)
	var err error
	clustertest.Eventually(t, 5*time.Second, "the CREATE ROLE session's slot is free", func() bool {
		_, err = connect("app")
		var pe *pgconn.PgError
		return !errors.As(err, &pe) || pe.Message != "sorry, too many clients already"
	})
	wantPgError(t, "ordinary user in a reserved slot", err, "53300", "remaining connection slots are reserved for non-replication superuser connections")
	// (The refused connection gives its slot back as it ends.)
	var c *pgx.Conn
	clustertest.Eventually(t, 5*time.Second, "a superuser gets the reserved slot", func() bool {
		c, err = connect("helios")
		return err == nil
	})
	open = append(open, c)
	_, err = connect("helios")
	wantPgError(t, "one more", err, "53300", "sorry, too many clients already")
	if code, _ := do(t, m.HTTPURL(), httpProbe{"GET", "/health", ""}, ""); code != http.StatusOK {
		t.Errorf("/health while full: %d", code)
	}
	open[0].Close(ctx)
	open = open[1:]
	clustertest.Eventually(t, 5*time.Second, "a slot is free again after one session left", func() bool {
		c, err = connect("helios")
		return err == nil
	})
	open = append(open, c)

	// Silent sockets: at twice the limit (counting the 4 sessions), the
	// next is answered 53300 at once; the silent ones are closed after
	// the authentication timeout.
	var silent []net.Conn
	defer func() {
		for _, s := range silent {
			s.Close()
		}
	}()
	for range 4 {
		s, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, s)
	}
	time.Sleep(100 * time.Millisecond) // let the server register them
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	m1, err := pgproto3.NewFrontend(extra, extra).Receive()
	extra.Close()
	if er, ok := m1.(*pgproto3.ErrorResponse); err != nil || !ok || er.Code != "53300" {
		t.Fatalf("socket over the raw limit: %T %v %v", m1, m1, err)
	}
	start := time.Now()
	silent[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(silent[0]); err != nil {
		t.Fatalf("silent socket: %v (want closed by the server)", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("silent socket closed after %v, want about the 500ms authentication timeout", took)
	}
}
