package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Issue 16, "released LSN in the stream": a standby makes visible only
// the WAL its primary has released (acknowledged durable). Before, an
// async standby applied every record it had flushed, so it showed a commit
// that waited for a sync standby which never confirmed it; after a failover
// to that sync standby the async standby, re-pointed to it, had shown a
// commit the new primary lacks (the register checker's non-linearizable
// read, seed 1796649676501832827).
//
// n1 is a sync primary, n2 its sync standby, n3 an async standby. n2 is
// killed, so an UPDATE on n1 waits for it; n3 receives the UPDATE's WAL
// and must not show it. n1 is killed, n2 restarted and promoted, n3
// re-pointed to n2: n3 never shows the UPDATE and ends equal to n2.
func TestAsyncStandbyShowsOnlyReleasedCommits(t *testing.T) {
	c := startSVCluster(t)
	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]

	n2.kill9() // the sync standby never flushes the UPDATE
	before, err := n3.status()
	if err != nil {
		t.Fatal(err)
	}
	pending := execAsync(t, n1, "UPDATE sv SET v = 1 WHERE id = 1")
	eventually(t, 20*time.Second, "the UPDATE in n3's WAL", func() (bool, string) {
		st, err := n3.status()
		return err == nil && st.CurrentLSN != before.CurrentLSN, fmt.Sprintf("%+v %v", st, err)
	})
	reader := n3.connectDirect(t)
	defer reader.Close(context.Background())
	neverSeen := func(phase string, d time.Duration) {
		t.Helper()
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			v, err := readV(context.Background(), reader)
			if err != nil {
				t.Fatalf("%s: read n3: %v", phase, err)
			}
			if v != 0 {
				t.Fatalf("%s: the async standby n3 shows v=%d, a commit its primary never released (its sync standby is down)", phase, v)
			}
		}
	}
	neverSeen("while the sync standby is down", 1500*time.Millisecond)
	select {
	case err := <-pending:
		t.Fatalf("the UPDATE returned (%v) while its sync standby is down", err)
	default:
	}

	n1.kill9()
	<-pending // the connection died with the node
	neverSeen("after the primary died", 500*time.Millisecond)
	n2.launch(t)
	var ans struct {
		Status string `json:"status"`
	}
	eventually(t, 30*time.Second, "n2 promoted", func() (bool, string) {
		_, body, err := adminPost(fmt.Sprintf("http://127.0.0.1:%d/admin/promote", n2.httpPort), "{}")
		return err == nil && json.Unmarshal([]byte(body), &ans) == nil && ans.Status == "ok", fmt.Sprint(body, err)
	})
	body := fmt.Sprintf(`{"primary_host":"127.0.0.1","primary_port":%d}`, n2.nativePort)
	if _, out, err := adminPost(fmt.Sprintf("http://127.0.0.1:%d/admin/demote", n3.httpPort), body); err != nil || json.Unmarshal([]byte(out), &ans) != nil || ans.Status != "ok" {
		t.Fatalf("re-point n3 to n2: %s %v", out, err)
	}
	neverSeen("after n3 was re-pointed to the promoted n2", time.Second)
	w := n2.connectDirect(t)
	defer w.Close(context.Background())
	mustExec(t, w, "INSERT INTO sv VALUES (2, 2)")
	eventually(t, 60*time.Second, "n3 following n2 with n2's rows", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c3, err := pgx.Connect(ctx, n3.dsn())
		if err != nil {
			return false, err.Error()
		}
		defer c3.Close(ctx)
		var n, sum int
		err = c3.QueryRow(ctx, "SELECT count(*), sum(v) FROM sv").Scan(&n, &sum)
		if err == nil && sum == 3 {
			t.Fatalf("n3 shows the UPDATE n2 never had (rows=%d sum=%d)", n, sum)
		}
		return err == nil && n == 2 && sum == 2, fmt.Sprintf("rows=%d sum=%d %v", n, sum, err)
	})
	h2, _ := tableHash(t, n2.nodeProc, "SELECT id, v FROM sv ORDER BY id")
	h3, _ := tableHash(t, n3.nodeProc, "SELECT id, v FROM sv ORDER BY id")
	if h2 != h3 {
		t.Fatalf("n3 differs from its new primary n2")
	}
}
