package tests

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestSerializablePhantomWithdrawals checks SSI's predicate locks on an
// index range under load. Each of 200 groups starts with a balance of 300
// in one row; 8 sessions run SERIALIZABLE transactions that sum a group
// through its index (WHERE grp = $1) and, when the sum allows, withdraw 100
// by inserting a new row into the group — a phantom for a concurrent
// reader of the same group. Under snapshot isolation two withdrawals that
// each saw 100 left would both commit and the group would go negative; SSI
// must fail one with 40001 (retried). Groups are disjoint, so the failures
// must stay rare: a table-granularity check (the one SSI replaced) fails
// most transactions that overlap another.
func TestSerializablePhantomWithdrawals(t *testing.T) {
	const groups, sessions, perSession = 200, 8, 60
	ctx := context.Background()
	node := newNode(t)
	node.start()
	c := node.connect(t)
	var b strings.Builder
	b.WriteString("CREATE TABLE ledger (id serial PRIMARY KEY, grp int NOT NULL, amount int NOT NULL); CREATE INDEX ON ledger (grp); INSERT INTO ledger (grp, amount) VALUES ")
	for g := 1; g <= groups; g++ {
		if g > 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "(%d,300)", g)
	}
	if _, err := c.Exec(ctx, b.String()); err != nil {
		t.Fatal(err)
	}
	type result struct {
		commits, failures int
		err               error
	}
	results := make(chan result, sessions)
	for w := 0; w < sessions; w++ {
		go func() {
			var r result
			r.err = func() error {
				wc, err := pgx.Connect(ctx, node.dsn())
				if err != nil {
					return err
				}
				defer wc.Close(ctx)
				rng := rand.New(rand.NewPCG(uint64(w+1)*0x9E3779B97F4A7C15, uint64(w+1)*0xBF58476D1CE4E5B9))
				for i := 0; i < perSession; i++ {
					for {
						// a retry picks another group: retrying the same one
						// while the winner is still in flight fails again
						err := withdraw(ctx, wc, rng.IntN(groups)+1)
						var pe *pgconn.PgError
						if errors.As(err, &pe) && pe.Code == "40001" {
							r.failures++
							continue
						}
						if err != nil {
							return err
						}
						r.commits++
						break
					}
				}
				return nil
			}()
			results <- r
		}()
	}
	commits, failures := 0, 0
	for w := 0; w < sessions; w++ {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		commits += r.commits
		failures += r.failures
	}
	var negative, spent int
	if err := c.QueryRow(ctx, "SELECT count(*) FILTER (WHERE s < 0), coalesce(sum(300 - s), 0) FROM (SELECT sum(amount) AS s FROM ledger GROUP BY grp) g").
		Scan(&negative, &spent); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d transactions committed, %d failed with 40001 and were retried; %d withdrawn", commits, failures, spent)
	if negative > 0 {
		t.Fatalf("%d groups went below zero: write skew through a phantom", negative)
	}
	if spent == 0 {
		t.Fatal("nothing withdrawn: the workload did not run")
	}
	if failures*4 > commits {
		t.Fatalf("%d serialization failures for %d commits over disjoint groups: far more than key-range predicate locks give", failures, commits)
	}
}

// withdraw takes 100 from group g in a SERIALIZABLE transaction when its
// balance allows (commits either way).
func withdraw(ctx context.Context, c *pgx.Conn, g int) error {
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var sum int
	if err := tx.QueryRow(ctx, "SELECT coalesce(sum(amount), 0) FROM ledger WHERE grp = $1", g).Scan(&sum); err != nil {
		return err
	}
	if sum >= 100 {
		if _, err := tx.Exec(ctx, "INSERT INTO ledger (grp, amount) VALUES ($1, -100)", g); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}
