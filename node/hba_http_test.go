package node_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// TestHBARulesOnHTTP: --hba-file governs the HTTP API too, before any
// password is checked: a user a reject line matches, or whom no line
// matches (here: only hostssl lines, over plain HTTP), gets 403 with
// PostgreSQL's 28000 text whatever the password, and nothing runs; a user
// the rules admit still needs the right password; the admin token is not
// a user and is not subject to them. Before, the rules applied to the
// PostgreSQL port only and mallory's /query ran.
func TestHBARulesOnHTTP(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pg_hba.conf")
	if err := os.WriteFile(file, []byte(`host all mallory all reject
hostssl all tlsonly all scram-sha-256
host all +staff 127.0.0.1/32 scram-sha-256
host all helios 127.0.0.1/32 scram-sha-256
`), 0o600); err != nil {
		t.Fatal(err)
	}
	m := clustertest.NewMember(t, "primary", clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.HBAFile, c.AdminToken = file, "tok3n"
	}}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	m.Exec("CREATE ROLE staff", "CREATE ROLE mallory LOGIN PASSWORD 'm' IN ROLE staff", "CREATE ROLE tlsonly LOGIN PASSWORD 't'",
		"CREATE ROLE carol LOGIN PASSWORD 'c' IN ROLE staff", "CREATE TABLE victim (id int)", "GRANT ALL ON victim TO staff, tlsonly")

	drop := httpProbe{"POST", "/query", `{"sql":"DROP TABLE victim"}`}
	for _, tc := range []struct {
		name, authz string
		code        int
		want        string
	}{
		{"rejected user, right password", basic("mallory", "m"), http.StatusForbidden,
			`pg_hba.conf rejects connection for host \"127.0.0.1\", user \"mallory\", database \"heliosdb\", no encryption`},
		{"rejected user, wrong password", basic("mallory", "x"), http.StatusForbidden, "pg_hba.conf rejects connection"},
		{"no line for plain HTTP", basic("tlsonly", "t"), http.StatusForbidden,
			`no pg_hba.conf entry for host \"127.0.0.1\", user \"tlsonly\", database \"heliosdb\", no encryption`},
		{"no line for an unknown user", basic("ghost", "g"), http.StatusForbidden, "no pg_hba.conf entry"},
		{"admitted user, wrong password", basic("carol", "x"), http.StatusUnauthorized, "authentication required"},
	} {
		code, body := do(t, m.HTTPURL(), drop, tc.authz)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s; want %d with %s", tc.name, code, body, tc.code, tc.want)
		}
	}
	code, body := do(t, m.HTTPURL(), httpProbe{"POST", "/query", `{"sql":"SELECT count(*) FROM victim"}`}, basic("carol", "c"))
	if code != http.StatusOK || !strings.Contains(body, `"rows":[[0]]`) {
		t.Fatalf("admitted user: %d %s (the table must still be there)", code, body)
	}
	if code, body := do(t, m.HTTPURL(), httpProbe{"GET", "/status", ""}, "Bearer tok3n"); code != http.StatusOK {
		t.Errorf("admin token: %d %s", code, body)
	}
	if code, body := do(t, m.HTTPURL(), httpProbe{"GET", "/status", ""}, basic("helios", "helios")); code != http.StatusOK {
		t.Errorf("configured user: %d %s", code, body)
	}
}
