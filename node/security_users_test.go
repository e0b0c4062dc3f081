package node_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// connectAs opens a pgx connection to m as user/password.
func connectAs(m *clustertest.Member, user, password string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pgx.Connect(ctx, fmt.Sprintf("postgres://%s:%s@%s/heliosdb?sslmode=disable", user, password, pgAddr(m)))
}

// mustConnectAs is connectAs that fails the test, closed at its end.
func mustConnectAs(t *testing.T, m *clustertest.Member, user, password string) *pgx.Conn {
	t.Helper()
	c, err := connectAs(m, user, password)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// psqlAs runs one statement through psql as user (PGPASSWORD) and returns
// its combined output and error.
func psqlAs(t *testing.T, m *clustertest.Member, user, password, sql string) (string, error) {
	t.Helper()
	host, port := hostPort(t, pgAddr(m))
	cmd := exec.Command("psql", "-X", "-w", "-h", host, "-p", fmt.Sprint(port), "-U", user, "-d", "heliosdb", "-Atc", sql)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func needPsql(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql is not installed (scripts/install-test-deps.sh)")
	}
}

// TestRolesLoginPerMethod: roles created with CREATE ROLE log in with
// their password, through pgx and psql, under each authentication method;
// a wrong password, a NOLOGIN role, an expired password and a role without
// password are refused with PostgreSQL's SQLSTATEs and messages. Before
// roles existed, only the configured user could log in.
func TestRolesLoginPerMethod(t *testing.T) {
	needPsql(t)
	md5pw := func(pw, user string) string {
		s := md5.Sum([]byte(pw + user))
		return "md5" + hex.EncodeToString(s[:])
	}
	for _, method := range []string{"scram-sha-256", "md5", "password"} {
		t.Run(method, func(t *testing.T) {
			m := clustertest.NewMember(t, "primary", clustertest.Options{Mutate: func(_ string, c *node.Config) {
				c.AuthMethod = method
			}}, func(c *node.Config) { c.Role = node.RolePrimary })
			m.Start()
			m.Exec("CREATE ROLE alice LOGIN PASSWORD 'wonderland'",
				"CREATE USER bob PASSWORD 'builder' NOLOGIN",
				"CREATE USER old PASSWORD 'pw' VALID UNTIL '2001-01-01 00:00:00+00'",
				"CREATE USER nopw",
				"CREATE USER hashed PASSWORD '"+md5pw("h4sh", "hashed")+"'")

			c := mustConnectAs(t, m, "alice", "wonderland")
			var who string
			if err := c.QueryRow(context.Background(), "SELECT current_user").Scan(&who); err != nil || who != "alice" {
				t.Fatalf("current_user = %q, %v; want alice", who, err)
			}
			if out, err := psqlAs(t, m, "alice", "wonderland", "SELECT current_user"); err != nil || strings.TrimSpace(out) != "alice" {
				t.Fatalf("psql as alice: %q, %v", out, err)
			}
			_, err := connectAs(m, "alice", "wrong")
			wantPgError(t, "wrong password", err, "28P01", `password authentication failed for user "alice"`)
			if out, err := psqlAs(t, m, "alice", "wrong", "SELECT 1"); err == nil || !strings.Contains(out, `password authentication failed for user "alice"`) {
				t.Fatalf("psql with a wrong password: %q, %v", out, err)
			}
			_, err = connectAs(m, "bob", "builder")
			wantPgError(t, "NOLOGIN", err, "28000", `role "bob" is not permitted to log in`)
			_, err = connectAs(m, "old", "pw")
			wantPgError(t, "expired", err, "28P01", `password authentication failed for user "old"`)
			_, err = connectAs(m, "nopw", "")
			if err == nil {
				t.Fatal("a role without a password logged in")
			}
			_, err = connectAs(m, "nobody", "x")
			wantPgError(t, "unknown user", err, "28P01", `password authentication failed for user "nobody"`)
			// An md5 hash given as the password is stored as is: it works
			// with md5 and password; SCRAM cannot use it (as in PostgreSQL).
			_, err = connectAs(m, "hashed", "h4sh")
			if method == "scram-sha-256" {
				wantPgError(t, "md5-hashed role under scram", err, "28P01", `password authentication failed for user "hashed"`)
			} else if err != nil {
				t.Fatalf("md5-hashed role under %s: %v", method, err)
			}

			// ALTER ROLE ... PASSWORD by the role itself; the old one stops
			// working.
			if _, err := c.Exec(context.Background(), "ALTER ROLE alice PASSWORD 'looking-glass'"); err != nil {
				t.Fatal(err)
			}
			_, err = connectAs(m, "alice", "wonderland")
			wantPgError(t, "old password", err, "28P01", `password authentication failed for user "alice"`)
			mustConnectAs(t, m, "alice", "looking-glass")
			// The configured user still logs in.
			mustConnectAs(t, m, m.Cfg.User, m.Cfg.Password)
		})
	}
}

// TestPasswordsNeverStoredInClear: CREATE ROLE ... PASSWORD stores a
// SCRAM-SHA-256 verifier: the clear password appears in no file of the data
// dir (bbolt file and WAL).
func TestPasswordsNeverStoredInClear(t *testing.T) {
	m := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	const secret = "Pl41nTextMustNotLeak"
	m.Exec("CREATE ROLE carol LOGIN PASSWORD '"+secret+"'", "ALTER ROLE carol PASSWORD '"+secret+"2'")
	mustConnectAs(t, m, "carol", secret+"2")
	m.Stop()
	found := 0
	err := filepath.Walk(m.Cfg.DataDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the clear password", p)
		}
		if bytes.Contains(b, []byte("SCRAM-SHA-256$4096:")) {
			found++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Error("no SCRAM verifier found in the data dir")
	}
}

// TestGrantRevoke: a role reads and writes only what it was granted
// (directly, through PUBLIC or through a role it is a member of), reads in
// joins, subqueries and RETURNING need SELECT, DDL needs ownership, and a
// table's creator owns it. Errors as in PostgreSQL 15.
func TestGrantRevoke(t *testing.T) {
	m := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	m.Exec("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)", "INSERT INTO t VALUES (1, 'one')",
		"CREATE TABLE s (id INT PRIMARY KEY)", "INSERT INTO s VALUES (1)",
		"CREATE ROLE app LOGIN PASSWORD 'app'", "CREATE ROLE readers")
	ctx := context.Background()
	app := mustConnectAs(t, m, "app", "app")
	denied := func(sql, want string) {
		t.Helper()
		_, err := app.Exec(ctx, sql)
		wantPgError(t, sql, err, "42501", want)
	}
	ok := func(sql string) {
		t.Helper()
		if _, err := app.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	const noT, noS = "permission denied for table t", "permission denied for table s"
	denied("SELECT * FROM t", noT)
	denied("INSERT INTO t VALUES (2, 'two')", noT)
	denied("UPDATE t SET v = 'x'", noT)
	denied("DELETE FROM t", noT)
	denied("TRUNCATE t", noT)
	denied("DROP TABLE t", "must be owner of table t")
	denied("CREATE INDEX ON t (v)", "must be owner of table t")
	denied("ALTER TABLE t ADD COLUMN w INT", "must be owner of table t")
	denied("ALTER TABLE t RENAME TO t2", "must be owner of table t")
	denied("CREATE TABLE mine (a INT)", "permission denied for schema public")

	m.Exec("GRANT SELECT ON t TO app")
	ok("SELECT * FROM t")
	denied("SELECT * FROM t JOIN s ON s.id = t.id", noS)
	denied("SELECT * FROM t WHERE id IN (SELECT id FROM s)", noS)
	denied("INSERT INTO t VALUES (2, 'two')", noT)

	m.Exec("GRANT INSERT ON TABLE t TO app")
	ok("INSERT INTO t VALUES (2, 'two')")
	m.Exec("REVOKE SELECT ON t FROM app")
	ok("INSERT INTO t VALUES (3, 'three')")
	denied("INSERT INTO t VALUES (4, 'four') RETURNING id", noT)
	denied("SELECT * FROM t", noT)

	// Through a group role and through PUBLIC.
	m.Exec("GRANT SELECT ON s TO readers", "GRANT readers TO app")
	ok("SELECT * FROM s")
	m.Exec("REVOKE readers FROM app")
	denied("SELECT * FROM s", noS)
	m.Exec("GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC")
	ok("SELECT * FROM t JOIN s ON s.id = t.id")
	m.Exec("REVOKE ALL PRIVILEGES ON t, s FROM PUBLIC", "GRANT UPDATE ON t TO app")
	// UPDATE with a WHERE reads the table: it needs SELECT too.
	ok("UPDATE t SET v = 'all'")
	denied("UPDATE t SET v = 'x' WHERE id = 1", noT)

	// A creator owns its table; others cannot touch it; the owner cannot
	// be dropped while it owns it (2BP01).
	m.Exec("GRANT CREATE ON SCHEMA public TO app")
	ok("CREATE TABLE mine (a INT)")
	ok("INSERT INTO mine VALUES (1)")
	ok("CREATE INDEX mine_a ON mine (a)")
	m.Exec("CREATE ROLE other LOGIN PASSWORD 'o'")
	other := mustConnectAs(t, m, "other", "o")
	_, err := other.Exec(ctx, "SELECT * FROM mine")
	wantPgError(t, "other reads mine", err, "42501", "permission denied for table mine")
	_, err = other.Exec(ctx, "DROP INDEX mine_a")
	wantPgError(t, "other drops mine's index", err, "42501", "must be owner of index mine_a")
	admin := m.Conn()
	_, err = admin.Exec(ctx, "DROP ROLE app")
	wantPgError(t, "drop an owner", err, "2BP01", `role "app" cannot be dropped because some objects depend on it`)
	ok("DROP TABLE mine")

	// Role management needs CREATEROLE or superuser.
	_, err = other.Exec(ctx, "CREATE ROLE x")
	wantPgError(t, "create role", err, "42501", "permission denied to create role")
	_, err = other.Exec(ctx, "ALTER ROLE app NOLOGIN")
	wantPgError(t, "alter role", err, "42501", "permission denied")
	_, err = admin.Exec(ctx, "CREATE ROLE app")
	wantPgError(t, "duplicate", err, "42710", `role "app" already exists`)
	_, err = admin.Exec(ctx, "DROP ROLE nosuch")
	wantPgError(t, "drop unknown", err, "42704", `role "nosuch" does not exist`)
	if _, err := admin.Exec(ctx, "DROP ROLE IF EXISTS nosuch"); err != nil {
		t.Fatal(err)
	}
	// A prepared statement re-checks on each execution.
	if _, err := app.Prepare(ctx, "q", "SELECT v FROM t WHERE id = $1"); err != nil {
		t.Fatal(err)
	}
	m.Exec("GRANT SELECT ON t TO app")
	if _, err := app.Exec(ctx, "q", 1); err != nil {
		t.Fatal(err)
	}
	m.Exec("REVOKE SELECT ON t FROM app")
	_, err = app.Exec(ctx, "q", 1)
	wantPgError(t, "prepared after revoke", err, "42501", noT)
}

// TestHTTPQueryRunsAsUser: POST /query with HTTP Basic runs as that role:
// its privileges apply; a NOLOGIN role, a wrong password and an unknown
// user get 401.
func TestHTTPQueryRunsAsUser(t *testing.T) {
	m := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	m.Exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (7)",
		"CREATE ROLE web LOGIN PASSWORD 'w3b'", "CREATE ROLE locked PASSWORD 'l'")
	q := httpProbe{"POST", "/query", `{"sql":"SELECT id, current_user FROM t"}`}
	code, body := do(t, m.HTTPURL(), q, basic("web", "w3b"))
	if code != http.StatusBadRequest && code != http.StatusForbidden && code != http.StatusInternalServerError {
		t.Logf("status %d", code)
	}
	if !strings.Contains(body, "42501") || !strings.Contains(body, "permission denied for table t") {
		t.Fatalf("web without grant: %d %s", code, body)
	}
	m.Exec("GRANT SELECT ON t TO web")
	code, body = do(t, m.HTTPURL(), q, basic("web", "w3b"))
	var res struct {
		Rows [][]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &res); code != http.StatusOK || err != nil || len(res.Rows) != 1 || res.Rows[0][1] != "web" {
		t.Fatalf("web with grant: %d %s", code, body)
	}
	for _, cred := range [][2]string{{"web", "nope"}, {"locked", "l"}, {"ghost", "x"}} {
		if code, body := do(t, m.HTTPURL(), q, basic(cred[0], cred[1])); code != http.StatusUnauthorized {
			t.Errorf("%s/%s: %d %s, want 401", cred[0], cred[1], code, body)
		}
	}
}

// TestRolesReplicated: a role created on the primary logs in on its
// standbys (read-only there) and, after a promotion, on the new primary,
// with its privileges.
func TestRolesReplicated(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{})
	c.Primary.Exec("CREATE TABLE t (id INT PRIMARY KEY)", "CREATE ROLE rep LOGIN PASSWORD 'r3p'", "GRANT SELECT, INSERT ON t TO rep")
	c.WaitCaughtUp()
	ctx := context.Background()
	sc := mustConnectAs(t, c.Sync, "rep", "r3p")
	var n int
	if err := sc.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	_, err := connectAs(c.Async, "rep", "wrong")
	wantPgError(t, "standby, wrong password", err, "28P01", `password authentication failed for user "rep"`)

	c.Primary.Stop()
	if _, err := c.Sync.Node().Promote(ctx); err != nil {
		t.Fatal(err)
	}
	pc := mustConnectAs(t, c.Sync, "rep", "r3p")
	if _, err := pc.Exec(ctx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("insert on the promoted standby: %v", err)
	}
	_, err = pc.Exec(ctx, "DELETE FROM t")
	wantPgError(t, "delete without grant", err, "42501", "permission denied for table t")
	// A role created on the new primary.
	c.Sync.Exec("CREATE ROLE late LOGIN PASSWORD 'l8'")
	mustConnectAs(t, c.Sync, "late", "l8")
}

// TestHBARules: --hba-file decides each client's method, first match
// wins: a rejected user is refused whatever its password, an unmatched
// client gets "no pg_hba.conf entry", per-user methods apply (trust for
// one role, cleartext for another), and a group rule (+role) follows
// role membership. PostgreSQL 15's messages.
func TestHBARules(t *testing.T) {
	needPsql(t)
	file := filepath.Join(t.TempDir(), "pg_hba.conf")
	err := os.WriteFile(file, []byte(`# test rules
host all mallory all reject
host all trusty  127.0.0.1/32 trust
host all +cleartext 127.0.0.1 password
host heliosdb all 127.0.0.0/8 scram-sha-256
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	m := clustertest.NewMember(t, "primary", clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.HBAFile = file
	}}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	m.Exec("CREATE ROLE mallory LOGIN PASSWORD 'm'", "CREATE ROLE trusty LOGIN", "CREATE ROLE cleartext",
		"CREATE ROLE clara LOGIN PASSWORD 'c' IN ROLE cleartext", "CREATE ROLE sam LOGIN PASSWORD 's'")

	_, err = connectAs(m, "mallory", "m")
	wantPgError(t, "rejected user", err, "28000", `pg_hba.conf rejects connection for host "127.0.0.1", user "mallory", database "heliosdb", no encryption`)
	if out, err := psqlAs(t, m, "mallory", "m", "SELECT 1"); err == nil || !strings.Contains(out, "pg_hba.conf rejects connection") {
		t.Fatalf("psql as a rejected user: %q, %v", out, err)
	}
	mustConnectAs(t, m, "trusty", "anything")
	mustConnectAs(t, m, "clara", "c")
	_, err = connectAs(m, "clara", "wrong")
	wantPgError(t, "cleartext, wrong password", err, "28P01", `password authentication failed for user "clara"`)
	mustConnectAs(t, m, "sam", "s")
	// The configured user is under the same rules (scram for heliosdb).
	mustConnectAs(t, m, m.Cfg.User, m.Cfg.Password)
	// Another database: no rule matches.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = pgx.Connect(ctx, fmt.Sprintf("postgres://sam:s@%s/postgres?sslmode=disable", pgAddr(m)))
	wantPgError(t, "no rule", err, "28000", `no pg_hba.conf entry for host "127.0.0.1", user "sam", database "postgres", no encryption`)
	if out, err := psqlAs(t, m, "sam", "s", "SELECT 1"); err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("psql as sam: %q, %v", out, err)
	}
}

// TestRolesInCatalogViews: pg_roles, pg_user and pg_tables show the roles
// and owners of the role store (psql's \du reads them); no password hash
// in pg_roles.
func TestRolesInCatalogViews(t *testing.T) {
	m := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	m.Exec("CREATE ROLE viewer LOGIN PASSWORD 'v' CREATEDB", "CREATE ROLE grp", "GRANT CREATE ON SCHEMA public TO viewer")
	v := mustConnectAs(t, m, "viewer", "v")
	ctx := context.Background()
	if _, err := v.Exec(ctx, "CREATE TABLE vt (a INT)"); err != nil {
		t.Fatal(err)
	}
	var canLogin, createDB bool
	var pw string
	if err := v.QueryRow(ctx, "SELECT rolcanlogin, rolcreatedb, rolpassword FROM pg_roles WHERE rolname = 'viewer'").Scan(&canLogin, &createDB, &pw); err != nil {
		t.Fatal(err)
	}
	if !canLogin || !createDB || pw != "********" {
		t.Errorf("pg_roles row of viewer: login %v createdb %v password %q", canLogin, createDB, pw)
	}
	var n int
	if err := v.QueryRow(ctx, "SELECT count(*) FROM pg_user WHERE usename IN ('viewer', 'grp', 'helios')").Scan(&n); err != nil || n != 2 {
		t.Errorf("pg_user has %d of viewer/helios (grp cannot log in): %v", n, err)
	}
	var owner string
	if err := v.QueryRow(ctx, "SELECT tableowner FROM pg_tables WHERE tablename = 'vt'").Scan(&owner); err != nil || owner != "viewer" {
		t.Errorf("owner of vt: %q, %v", owner, err)
	}
	if err := v.QueryRow(ctx, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'vt'").Scan(&owner); err != nil || owner != "viewer" {
		t.Errorf("relowner of vt: %q, %v", owner, err)
	}
}
