package proxy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/proxy"
)

// TestMaxConnections: proxy.max_connections client sessions, then FATAL
// 53300 "sorry, too many clients already" as from PostgreSQL; a slot
// freed is taken again. Regression test for issue 15 (the proxy accepted
// any number of clients).
func TestMaxConnections(t *testing.T) {
	a := startFakeNode(t, "a", "primary")
	tp := proxyForFakesWith(t, func(c *proxy.Config) { c.MaxConnections = 2 }, a)
	first := tp.conn()
	tp.conn()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := pgx.Connect(ctx, tp.dsn())
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "53300" || pe.Message != "sorry, too many clients already" || pe.Severity != "FATAL" {
		t.Fatalf("third client: %v, want FATAL 53300 sorry, too many clients already", err)
	}
	first.Close(ctx)
	// The proxy frees the slot when it has read the Terminate.
	clustertest.Eventually(t, 10*time.Second, "a client connects after one left", func() bool {
		c, err := pgx.Connect(ctx, tp.dsn())
		if err != nil {
			return false
		}
		c.Close(ctx)
		return true
	})
}
