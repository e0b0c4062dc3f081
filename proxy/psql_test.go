package proxy_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// psql runs the psql binary against the proxy the way the tutorial does
// (PGPASSWORD=helios psql -h … -p … -U helios -d heliosdb …).
func (tp *testProxy) psql(stdin string, args ...string) (string, error) {
	tp.t.Helper()
	host, port, _ := net.SplitHostPort(tp.p.Addr())
	cmd := exec.Command("psql", append([]string{"-h", host, "-p", port, "-U", "helios", "-d", "heliosdb", "-X", "-v", "ON_ERROR_STOP=1"}, args...)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD=helios", "PGCONNECT_TIMEOUT=10")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestPsqlTutorial runs the tutorial's TWR and TRR commands with psql
// (which also exercises SSLRequest, answered 'N').
func TestPsqlTutorial(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatal("psql not installed: run make deps (scripts/install-test-deps.sh)")
	}
	c := startCluster(t)
	tp := startProxy(t, c, nil)
	out, err := tp.psql(`CREATE TABLE twr_test (
    id INTEGER PRIMARY KEY,
    data TEXT,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP
);
`)
	if err != nil {
		t.Fatalf("create through psql: %v\n%s", err, out)
	}
	if out, err = tp.psql("", "-c", "INSERT INTO twr_test (id, data) VALUES (1, 'test data')"); err != nil || !strings.Contains(out, "INSERT 0 1") {
		t.Fatalf("insert through psql: %v\n%s", err, out)
	}
	c.WaitCaughtUp()
	if h, n := c.Sync.TableHash("twr_test"); n != 1 {
		t.Fatalf("standby has %d rows (%s)", n, h)
	}
	before := map[string]float64{}
	for _, n := range []string{"primary", "standby-sync", "standby-async"} {
		before[n] = tp.metric("heliosdb_proxy_queries_total", `node="`+n+`"`, `kind="read"`)
	}
	for i := 1; i <= 10; i++ {
		out, err := tp.psql("", "-c", fmt.Sprintf("SELECT '%d', current_timestamp", i))
		if err != nil || !strings.Contains(out, "(1 row)") {
			t.Fatalf("select %d: %v\n%s", i, err, out)
		}
	}
	for n, b := range before {
		if got := tp.metric("heliosdb_proxy_queries_total", `node="`+n+`"`, `kind="read"`) - b; got < 1 {
			t.Errorf("%s served %v of the ten psql reads", n, got)
		}
	}
	if out, err := tp.psql("SELECT data FROM twr_test;\nBEGIN;\nSELECT count(*) FROM twr_test;\nCOMMIT;\n"); err != nil || !strings.Contains(out, "test data") {
		t.Errorf("script: %v\n%s", err, out)
	}
	if out, err := tp.psql("", "-c", "SELECT * FROM nosuch"); err == nil || !strings.Contains(out, "does not exist") {
		t.Errorf("error through psql: %v\n%s", err, out)
	}
}
