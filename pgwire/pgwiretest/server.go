package pgwiretest

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/heliosdb/nano/pgwire"
)

// StartServer starts a pgwire.Server with cfg and sessions on 127.0.0.1:0
// and closes it when the test ends. It returns the server and its
// "host:port" address.
func StartServer(t testing.TB, cfg pgwire.Config, sessions pgwire.SessionFactory) (*pgwire.Server, string) {
	t.Helper()
	srv, err := pgwire.NewServer(cfg, sessions)
	if err != nil {
		t.Fatalf("pgwire.NewServer: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, pgwire.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return srv, l.Addr().String()
}

// Users returns a Credentials function over a fixed user → password map.
func Users(m map[string]string) func(string) (string, bool) {
	return func(user string) (string, bool) {
		p, ok := m[user]
		return p, ok
	}
}

// ConnString returns a pgx/libpq URL for addr; sslmode is disabled.
func ConnString(addr, user, password, database string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", user, password, addr, database)
}
