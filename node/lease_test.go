package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// tryInsert inserts id on m and returns the error, if any.
func tryInsert(t *testing.T, m *clustertest.Member, id int) error {
	t.Helper()
	c := m.Conn()
	defer c.Close(context.Background())
	_, err := c.Exec(context.Background(), "INSERT INTO l VALUES ($1)", id)
	return err
}

func grant(m *clustertest.Member, term uint64, d time.Duration) error {
	_, err := m.Node().GrantLease(context.Background(), node.LeaseRequest{Term: term, Duration: d.Milliseconds(), Holder: "test"})
	return err
}

func TestLeaseGatesWritesAndSurvivesRestart(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	c.Primary.Exec("CREATE TABLE l (id INT PRIMARY KEY)")

	// Refusals: a standby, a stale term, an absurd duration.
	for _, tc := range []struct {
		m    *clustertest.Member
		term uint64
		d    time.Duration
		want string
	}{
		{c.Sync, 1, time.Second, "standby"},
		{c.Primary, 2, time.Second, "not 2"},
		{c.Primary, 1, time.Millisecond, "duration_ms"},
	} {
		if err := grant(tc.m, tc.term, tc.d); !errors.Is(err, node.ErrLeaseRefused) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("grant(%s, term %d, %s) = %v, want a refusal mentioning %q", tc.m.Name, tc.term, tc.d, err, tc.want)
		}
	}
	if err := tryInsert(t, c.Primary, 1); err != nil {
		t.Fatalf("a primary never leased takes writes: %v", err)
	}

	if err := grant(c.Primary, 1, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := tryInsert(t, c.Primary, 2); err != nil {
		t.Fatalf("write under a valid lease: %v", err)
	}
	time.Sleep(400 * time.Millisecond)
	requireLeaseRefusal(t, tryInsert(t, c.Primary, 3))
	if err := grant(c.Primary, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := tryInsert(t, c.Primary, 3); err != nil {
		t.Fatalf("write after renewal: %v", err)
	}

	// The requirement is recorded: a restarted primary waits for a grant.
	c.Primary.Restart()
	requireLeaseRefusal(t, tryInsert(t, c.Primary, 4))
	if err := grant(c.Primary, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := tryInsert(t, c.Primary, 4); err != nil {
		t.Fatalf("write after the restarted primary's grant: %v", err)
	}

	// promote on a primary lifts the requirement, across restarts too.
	if _, err := c.Primary.Node().Promote(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.Primary.Restart()
	if err := tryInsert(t, c.Primary, 5); err != nil {
		t.Fatalf("write after promote lifted the lease requirement: %v", err)
	}
}

func requireLeaseRefusal(t *testing.T, err error) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "25006" || !strings.Contains(pe.Hint, "lease") {
		t.Fatalf("write with a lapsed lease: %v, want 25006 with a hint about the lease", err)
	}
}
