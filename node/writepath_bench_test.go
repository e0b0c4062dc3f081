package node_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// BenchmarkSimpleUpdate runs pgbench's simple-update transaction (BEGIN;
// UPDATE accounts; SELECT balance; INSERT history; END) from one client
// against a single primary, in the extended and the simple protocol. Its
// allocs/op (client and server together: they share the process) is the
// steady measure of the write path's per-transaction cost on a machine
// too loaded for stable TPS.
//
//	go test -run '^$' -bench SimpleUpdate -benchmem ./node/
func BenchmarkSimpleUpdate(b *testing.B) {
	m := clustertest.NewMember(b, "primary", clustertest.Options{}, func(cfg *node.Config) {
		cfg.Role = node.RolePrimary
	})
	m.Start()
	const rows = 10000
	m.Exec("CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))",
		"CREATE TABLE history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))",
		"INSERT INTO accounts SELECT g, 1, 0, '' FROM generate_series(1, 10000) g")
	for _, tc := range []struct {
		name string
		mode pgx.QueryExecMode
	}{
		{"extended", pgx.QueryExecModeCacheStatement},
		{"simple", pgx.QueryExecModeSimpleProtocol},
	} {
		b.Run(tc.name, func(b *testing.B) {
			conn := m.Conn()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				aid, delta := rand.IntN(rows)+1, rand.IntN(10001)-5000
				var bal int
				_, err := conn.Exec(ctx, "BEGIN", tc.mode)
				if err == nil {
					_, err = conn.Exec(ctx, "UPDATE accounts SET abalance = abalance + $1 WHERE aid = $2", tc.mode, delta, aid)
				}
				if err == nil {
					err = conn.QueryRow(ctx, "SELECT abalance FROM accounts WHERE aid = $1", tc.mode, aid).Scan(&bal)
				}
				if err == nil {
					_, err = conn.Exec(ctx, "INSERT INTO history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
						tc.mode, 1, 1, aid, delta)
				}
				if err == nil {
					_, err = conn.Exec(ctx, "END", tc.mode)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPointSelect is pgbench's select-only transaction (one SELECT by
// primary key, autocommit) from one client against a single primary.
//
//	go test -run '^$' -bench PointSelect -benchmem ./node/
func BenchmarkPointSelect(b *testing.B) {
	m := clustertest.NewMember(b, "primary", clustertest.Options{}, func(cfg *node.Config) {
		cfg.Role = node.RolePrimary
	})
	m.Start()
	const rows = 10000
	m.Exec("CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))",
		"INSERT INTO accounts SELECT g, 1, 0, '' FROM generate_series(1, 10000) g")
	for _, tc := range []struct {
		name string
		mode pgx.QueryExecMode
	}{
		{"extended", pgx.QueryExecModeCacheStatement},
		{"simple", pgx.QueryExecModeSimpleProtocol},
	} {
		b.Run(tc.name, func(b *testing.B) {
			conn := m.Conn()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				var bal int
				if err := conn.QueryRow(ctx, "SELECT abalance FROM accounts WHERE aid = $1", tc.mode, rand.IntN(rows)+1).Scan(&bal); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
