package pgwire_test

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/heliosdb/nano/pgwire"
)

func TestPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql not installed: run make deps (scripts/install-test-deps.sh)")
	}
	for _, method := range []string{pgwire.AuthSCRAM, pgwire.AuthMD5} {
		t.Run(method, func(t *testing.T) {
			_, addr, _ := startServer(t, pgwire.Config{AuthMethod: method})
			host, port, _ := net.SplitHostPort(addr)
			cmd := exec.CommandContext(testCtx(t), psql, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
				"-h", host, "-p", port, "-U", testUser, "-d", "heliosdb", "-c", "SELECT 1", "-c", "SELECT id, name FROM items")
			cmd.Env = append(os.Environ(), "PGPASSWORD="+testPassword, "PGSSLMODE=prefer", "PGCONNECT_TIMEOUT=5")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("psql: %v\n%s", err, out)
			}
			want := "1\n1|item1\n2|item2\n3|item3\n4|item4\n5|item5\n"
			if string(out) != want {
				t.Errorf("psql output %q, want %q", out, want)
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
		host, port, _ := net.SplitHostPort(addr)
		out, err := exec.CommandContext(testCtx(t), psql, "-X", "-h", host, "-p", port, "-U", testUser, "-c", "SELECT 1/0").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "division by zero") {
			t.Errorf("psql error run: %v\n%s", err, out)
		}
	})
}
