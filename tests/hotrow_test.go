package tests

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestHotRowNoRetries runs a pgbench-like workload from 8 pgx sessions in
// each query mode: autocommit increments of one row, tpcb-like explicit
// transactions that all update the same branch row, and explicit
// transactions that write a row and then create and drop a table while
// the others do the same. Under READ COMMITTED every statement must
// succeed by waiting for locks (PostgreSQL gives 0 errors); the node
// re-runs nothing (issue 13 point 8), so any 40001 reaches the client and
// fails the test. The counters must be exact.
//
// Regression test for issue 13: the DDL transactions failed with 40001 at
// COMMIT (every DDL writes the catalog version, and the commit checked it
// against the transaction's first snapshot), as did tpcb-like
// transactions before row locks.
func TestHotRowNoRetries(t *testing.T) {
	node := newNode(t)
	node.start()
	ctx := context.Background()
	setup := node.connect(t)
	for _, q := range []string{
		"CREATE TABLE hot (id int PRIMARY KEY, v bigint)",
		"INSERT INTO hot VALUES (1, 0)",
		"CREATE TABLE hb (bid int PRIMARY KEY, bbalance bigint)",
		"CREATE TABLE ha (aid int PRIMARY KEY, bid int, abalance bigint)",
		"CREATE TABLE hh (aid int, bid int, delta int)",
		"INSERT INTO hb VALUES (1, 0)",
		"INSERT INTO ha SELECT g, 1, 0 FROM generate_series(1, 100) g",
	} {
		if _, err := setup.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const workers, rounds = 8, 15
	modes := []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeCacheStatement}
	var increments, transfers, deltaSum int64
	for _, mode := range modes {
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			cfg, err := pgx.ParseConfig(node.dsn())
			if err != nil {
				t.Fatal(err)
			}
			cfg.DefaultQueryExecMode = mode
			c, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close(ctx)
				for i := range rounds {
					if _, err := c.Exec(ctx, "UPDATE hot SET v = v + 1 WHERE id = 1"); err != nil {
						errs <- fmt.Errorf("%v increment: %w", mode, err)
						return
					}
					aid, delta := (w*rounds+i)%100+1, i-7
					if err := tpcbLike(ctx, c, aid, delta); err != nil {
						errs <- fmt.Errorf("%v tpcb-like: %w", mode, err)
						return
					}
					mu.Lock()
					increments++
					transfers++
					deltaSum += int64(delta)
					mu.Unlock()
					if i%5 == 0 {
						if err := ddlTxn(ctx, c, fmt.Sprintf("hw_%d", w)); err != nil {
							errs <- fmt.Errorf("%v DDL transaction: %w", mode, err)
							return
						}
						mu.Lock()
						increments++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	var v, bbal, abal, hist int64
	if err := setup.QueryRow(ctx, "SELECT (SELECT v FROM hot), (SELECT bbalance FROM hb), (SELECT sum(abalance) FROM ha), (SELECT count(*) FROM hh)").Scan(&v, &bbal, &abal, &hist); err != nil {
		t.Fatal(err)
	}
	if v != increments || bbal != deltaSum || abal != deltaSum || hist != transfers {
		t.Fatalf("hot v = %d (want %d), branch = %d, accounts = %d (want %d), history = %d (want %d)",
			v, increments, bbal, abal, deltaSum, hist, transfers)
	}
}

// tpcbLike is pgbench's tpcb-like transaction on one branch.
func tpcbLike(ctx context.Context, c *pgx.Conn, aid, delta int) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "UPDATE ha SET abalance = abalance + $1 WHERE aid = $2", delta, aid); err != nil {
		return err
	}
	var bal int64
	if err := tx.QueryRow(ctx, "SELECT abalance FROM ha WHERE aid = $1", aid).Scan(&bal); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE hb SET bbalance = bbalance + $1 WHERE bid = 1", delta); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO hh VALUES ($1, 1, $2)", aid, delta); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// ddlTxn writes the hot row, then creates and drops a table of its own.
func ddlTxn(ctx context.Context, c *pgx.Conn, name string) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, q := range []string{"UPDATE hot SET v = v + 1 WHERE id = 1", "CREATE TABLE " + name + " (a int)",
		"INSERT INTO " + name + " VALUES (1)", "DROP TABLE " + name} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return tx.Commit(ctx)
}

// TestPrimaryKeyIncrementNoLostUpdates runs `UPDATE … SET k = k + 1` on a
// one-row table's primary key from 8 sessions (autocommit, READ
// COMMITTED) and requires every increment counted, as in PostgreSQL: each
// UPDATE moves the row to a new key, and a waiter follows it there
// (EvalPlanQual on the row's newest version) instead of finding the old
// key empty. Regression test for issue 13: increments were lost (UPDATE 0).
func TestPrimaryKeyIncrementNoLostUpdates(t *testing.T) {
	node := newNode(t)
	node.start()
	ctx := context.Background()
	setup := node.connect(t)
	for _, q := range []string{"CREATE TABLE pkinc (k int PRIMARY KEY, v int)", "INSERT INTO pkinc VALUES (1, 0)"} {
		if _, err := setup.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const workers, rounds = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		c := node.connect(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				tag, err := c.Exec(ctx, "UPDATE pkinc SET k = k + 1, v = v + 1")
				if err != nil {
					errs <- err
					return
				}
				if tag.RowsAffected() != 1 {
					errs <- fmt.Errorf("%s: an increment was lost", tag)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var k, v int
	if err := setup.QueryRow(ctx, "SELECT k, v FROM pkinc").Scan(&k, &v); err != nil {
		t.Fatal(err)
	}
	if want := workers * rounds; k != want+1 || v != want {
		t.Errorf("k = %d, v = %d after %d increments; want %d, %d", k, v, want, want+1, want)
	}
}
