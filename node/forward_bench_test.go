package node_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/internal/clustertest"
)

// BenchmarkWriteForwarding compares an autocommit INSERT sent to the
// primary with the same INSERT forwarded by the sync and the async standby
// (which answer once they have applied it). The primary is in sync mode:
// every commit waits for the sync standby's fsync.
//
//	go test -run '^$' -bench WriteForwarding ./node/
func BenchmarkWriteForwarding(b *testing.B) {
	c := forwardingCluster(b, 0)
	c.Primary.Exec("CREATE TABLE bench (id BIGINT PRIMARY KEY, v TEXT)")
	c.WaitCaughtUp()
	var next atomic.Int64
	for _, tc := range []struct {
		name string
		m    *clustertest.Member
		mode pgx.QueryExecMode
	}{
		{"primary/extended", c.Primary, pgx.QueryExecModeCacheStatement},
		{"sync-standby/extended", c.Sync, pgx.QueryExecModeCacheStatement},
		{"async-standby/extended", c.Async, pgx.QueryExecModeCacheStatement},
		{"primary/simple", c.Primary, pgx.QueryExecModeSimpleProtocol},
		{"async-standby/simple", c.Async, pgx.QueryExecModeSimpleProtocol},
	} {
		b.Run(tc.name, func(b *testing.B) {
			conn := tc.m.Conn()
			ctx := context.Background()
			for b.Loop() {
				if _, err := conn.Exec(ctx, "INSERT INTO bench VALUES ($1, 'x')", tc.mode, next.Add(1)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
