package tests

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The tutorial's statements, exactly as it writes them, through psql.
func TestTutorialSQLThroughPsql(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatal("psql not installed: run make deps (scripts/install-test-deps.sh)")
	}
	n := newNode(t)
	n.start()
	psql := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("psql", append([]string{"-h", "localhost", "-p", strconv.Itoa(n.pgPort), "-U", "helios", "-d", "heliosdb", "-v", "ON_ERROR_STOP=1"}, args...)...)
		cmd.Env = append(os.Environ(), "PGPASSWORD=helios")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("psql %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	psql("-c", "SELECT 1")
	psql("-c", `CREATE TABLE twr_test ( id INTEGER PRIMARY KEY, data TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP);`)
	psql("-c", "INSERT INTO twr_test (id, data) VALUES (1, 'test data')")
	if out := psql("-c", "SELECT * FROM twr_test"); !strings.Contains(out, "test data") || !strings.Contains(out, "(1 row)") {
		t.Fatalf("SELECT * FROM twr_test:\n%s", out)
	}
	psql("-c", "SELECT '3', current_timestamp")
	psql("-c", `CREATE TABLE IF NOT EXISTS app_orders (id SERIAL PRIMARY KEY, customer TEXT, amount NUMERIC(10,2), status TEXT DEFAULT 'pending', created_at TIMESTAMP DEFAULT now())`)
	psql("-c", "INSERT INTO app_orders (id, customer, amount, status) VALUES (1, 'a', 10.50, 'new') ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status")
	psql("-c", "INSERT INTO app_orders (id, customer, amount, status) VALUES (1, 'a', 10.50, 'completed') ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status")
	if out := psql("-At", "-c", "SELECT COUNT(*) FROM app_orders WHERE status = 'completed'"); strings.TrimSpace(out) != "1" {
		t.Fatalf("count = %q", out)
	}
	psql("-c", "DROP TABLE IF EXISTS twr_test")
	psql("-c", "DROP TABLE IF EXISTS twr_test")
}

func TestDataSurvivesRestart(t *testing.T) {
	n := newNode(t)
	n.start()
	ctx := context.Background()
	c := n.connect(t)
	mustExec(t, c, "CREATE TABLE kv (k INT PRIMARY KEY, v TEXT NOT NULL)")
	for i := 0; i < 100; i++ {
		mustExec(t, c, "INSERT INTO kv VALUES ($1, $2)", i, "v"+strconv.Itoa(i))
	}
	c.Close(ctx)
	if err := n.stop(); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, n.logs)
	}
	n.start()
	c = n.connect(t)
	var count, sum int
	if err := c.QueryRow(ctx, "SELECT count(*), sum(k) FROM kv").Scan(&count, &sum); err != nil {
		t.Fatal(err)
	}
	if count != 100 || sum != 4950 {
		t.Fatalf("after restart: count=%d sum=%d", count, sum)
	}
}

func TestErrorsCarrySQLSTATE(t *testing.T) {
	n := newNode(t)
	n.start()
	c := n.connect(t)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE e (id INT PRIMARY KEY, v TEXT NOT NULL)")
	mustExec(t, c, "INSERT INTO e VALUES (1, 'x')")
	cases := []struct{ sql, code string }{
		{"SELEC 1", "42601"},
		{"SELECT * FROM nope", "42P01"},
		{"SELECT nope FROM e", "42703"},
		{"INSERT INTO e VALUES (1, 'y')", "23505"},
		{"INSERT INTO e VALUES (2, NULL)", "23502"},
		{"SELECT 2147483647::int + 1", "22003"},
		{"SELECT 1/0", "22012"},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			_, err := c.Exec(ctx, tc.sql)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != tc.code {
				t.Fatalf("%s: err = %v, want SQLSTATE %s", tc.sql, err, tc.code)
			}
		})
	}
	_, err := pgconnWrongPassword(n)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Fatalf("wrong password: %v", err)
	}
}

func pgconnWrongPassword(n *nodeProc) (*pgconn.PgConn, error) {
	return pgconn.Connect(context.Background(), strings.Replace(n.dsn(), "helios:helios", "helios:wrong", 1))
}

func TestBadConfigExitsNamingKey(t *testing.T) {
	cases := []struct {
		args []string
		key  string
	}{
		{[]string{"start", "--pg-port", "abc"}, "pg-port"},
		{[]string{"start", "--pg-port", "70000"}, "pg-port"},
		{[]string{"start", "--replication-mode", "maybe"}, "replication-mode"},
		{[]string{"start", "--replication-role", "leader"}, "replication-role"},
		{[]string{"start", "--sync-timeout", "soon"}, "sync-timeout"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := exec.Command(nanoBin, append(tc.args, "--data-dir", t.TempDir())...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("exit 0; output:\n%s", out)
			}
			if !strings.Contains(string(out), tc.key) {
				t.Fatalf("error does not name %q:\n%s", tc.key, out)
			}
		})
	}
	t.Run("env", func(t *testing.T) {
		cmd := exec.Command(nanoBin, "start", "--data-dir", t.TempDir())
		cmd.Env = append(os.Environ(), "HELIOSDB_HTTP_PORT=eighty")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "http-port") {
			t.Fatalf("err=%v out=%s", err, out)
		}
	})
}

func TestHealthAndHTTPQuery(t *testing.T) {
	n := newNode(t)
	n.start()
	base := "http://127.0.0.1:" + strconv.Itoa(n.httpPort)
	code, body, err := httpGet(base + "/health")
	if err != nil || code != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("/health: %d %s %v", code, body, err)
	}
	health := exec.Command(nanoBin, "health")
	health.Env = append(os.Environ(), "HELIOSDB_HTTP_PORT="+strconv.Itoa(n.httpPort))
	if out, err := health.CombinedOutput(); err != nil {
		t.Fatalf("health: %v %s", err, out)
	}
	resp, err := httpPost(base+"/query", `{"sql":"SELECT $1::int + 1 AS x, 'a' AS s","params":[41]}`)
	if err != nil || !strings.Contains(resp, `"rows":[[42,"a"]]`) || !strings.Contains(resp, `"columns":["x","s"]`) {
		t.Fatalf("/query: %s %v", resp, err)
	}
	resp, _ = httpPost(base+"/query", `{"sql":"SELECT * FROM missing"}`)
	if !strings.Contains(resp, `"code":"42P01"`) {
		t.Fatalf("/query error: %s", resp)
	}
	n.stop()
	health = exec.Command(nanoBin, "health", "--url", base+"/health")
	if out, err := health.CombinedOutput(); err == nil {
		t.Fatalf("health of a stopped node succeeded: %s", out)
	}
}

// A standby with no primary to follow must refuse to start, loudly (and
// not hang: the command has a deadline).
func TestStandbyRoleRefusedClearly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nanoBin, "start", "--data-dir", t.TempDir(), "--replication-role", "standby",
		"--pg-port", strconv.Itoa(freePort(t)), "--native-port", strconv.Itoa(freePort(t)), "--http-port", "0")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "primary-host") {
		t.Fatalf("err=%v out=%s", err, out)
	}
}

// Settings come from a config file unless the environment or a flag says
// otherwise; unknown keys are warned about.
func TestConfigFilePrecedence(t *testing.T) {
	n := newNode(t)
	cfg := t.TempDir() + "/node.toml"
	body := "pg-port = 1\nhttp-port = " + strconv.Itoa(n.httpPort) + "\nnode-id = \"from-file\"\nno-such-key = 3\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	// The flag (--pg-port from n.args) beats the file's pg-port = 1.
	n.extra = []string{"--config", cfg}
	n.start()
	code, status, err := httpGet("http://127.0.0.1:" + strconv.Itoa(n.httpPort) + "/status")
	if err != nil || code != 200 || !strings.Contains(status, `"node_id":"e2e"`) {
		t.Fatalf("status %d %s %v", code, status, err)
	}
	if !strings.Contains(n.logs.String(), "no-such-key") {
		t.Fatalf("unknown key not warned about:\n%s", n.logs)
	}
	bad := t.TempDir() + "/bad.toml"
	os.WriteFile(bad, []byte("pg-port = \"many\"\n"), 0o600)
	out, err := exec.Command(nanoBin, "start", "--data-dir", t.TempDir(), "--config", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "pg-port") {
		t.Fatalf("bad file value: err=%v out=%s", err, out)
	}
}

// Server functions and settings clients probe at connect time.
func TestServerFunctions(t *testing.T) {
	n := newNode(t)
	n.start()
	c := n.connect(t)
	var version, lsn, tz string
	var recovery bool
	err := c.QueryRow(context.Background(),
		"SELECT version(), pg_is_in_recovery(), pg_current_wal_lsn()::text, current_setting('TimeZone')").Scan(&version, &recovery, &lsn, &tz)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(version, "PostgreSQL 15") || recovery || !strings.Contains(lsn, "/") || tz == "" {
		t.Fatalf("version=%q recovery=%v lsn=%q tz=%q", version, recovery, lsn, tz)
	}
	if c.PgConn().ParameterStatus("server_version") != "15.0" {
		t.Fatalf("server_version = %q", c.PgConn().ParameterStatus("server_version"))
	}
}
