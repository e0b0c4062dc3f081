package node_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/internal/tlsfiles/tlstest"
	"github.com/heliosdb/nano/node"
)

// tlsNode starts a primary whose PostgreSQL port has a certificate for
// localhost and 127.0.0.1 signed by ca.
func tlsNode(t *testing.T, ca *tlstest.CA, required bool) (m *clustertest.Member, port, certFile, keyFile string) {
	t.Helper()
	cert, key := ca.Issue(t, "node", "localhost", "127.0.0.1")
	m = clustertest.NewMember(t, "primary", clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.TLSCertFile, c.TLSKeyFile, c.TLSRequired = cert, key, required
	}}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	_, port, _ = net.SplitHostPort(pgAddr(m))
	return m, port, cert, key
}

// connectTLS connects with pgx as helios/helios to host:port with the
// given libpq TLS parameters.
func connectTLS(host, port, params string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pgx.Connect(ctx, fmt.Sprintf("postgres://helios:helios@%s/heliosdb?%s", net.JoinHostPort(host, port), params))
}

// psqlTLS runs psql's \conninfo with PGSSLMODE (and PGSSLROOTCERT).
func psqlTLS(t *testing.T, host, port, mode, rootCert string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatal("psql not installed: run make deps (scripts/install-test-deps.sh)")
	}
	cmd := exec.Command("psql", "-h", host, "-p", port, "-U", "helios", "-d", "heliosdb", "-X", "-c", `\conninfo`, "-c", "SELECT 42")
	cmd.Env = append(os.Environ(), "PGPASSWORD=helios", "PGCONNECT_TIMEOUT=10", "PGSSLMODE="+mode, "PGSSLROOTCERT="+rootCert)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestTLSOnPGPort: with --tls-cert-file/--tls-key-file the PostgreSQL port
// speaks TLS to psql and pgx with sslmode=require and verify-full; a client
// that trusts another CA refuses the node. Regression test for issue 15
// point 4 (on main, psql with sslmode=require failed: "server does not
// support SSL, but SSL was required").
func TestTLSOnPGPort(t *testing.T) {
	ca := tlstest.NewCA(t, "helios-test")
	other := tlstest.NewCA(t, "other")
	_, port, _, _ := tlsNode(t, ca, false)

	for _, host := range []string{"localhost", "127.0.0.1"} {
		for _, mode := range []string{"require", "verify-full"} {
			out, err := psqlTLS(t, host, port, mode, ca.CertFile)
			if err != nil || !strings.Contains(out, "SSL connection (protocol: TLSv1.3") || !strings.Contains(out, "42") {
				t.Errorf("psql sslmode=%s host=%s: %v\n%s", mode, host, err, out)
			}
			c, err := connectTLS(host, port, "sslmode="+mode+"&sslrootcert="+ca.CertFile)
			if err != nil {
				t.Errorf("pgx sslmode=%s host=%s: %v", mode, host, err)
				continue
			}
			if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
				t.Errorf("pgx sslmode=%s: connection is %T, not TLS", mode, c.PgConn().Conn())
			}
			var n int
			if err := c.QueryRow(context.Background(), "SELECT 42").Scan(&n); err != nil || n != 42 {
				t.Errorf("SELECT over TLS: %d, %v", n, err)
			}
			c.Close(context.Background())
		}
	}
	// A client trusting another CA refuses the node's certificate.
	out, err := psqlTLS(t, "localhost", port, "verify-full", other.CertFile)
	if err == nil || !strings.Contains(out, "certificate verify failed") {
		t.Errorf("psql verify-full with a wrong CA: %v\n%s", err, out)
	}
	if _, err := connectTLS("localhost", port, "sslmode=verify-full&sslrootcert="+other.CertFile); err == nil ||
		!strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("pgx verify-full with a wrong CA: %v", err)
	}
	// Plaintext still works when TLS is not required.
	c, err := connectTLS("127.0.0.1", port, "sslmode=disable")
	if err != nil {
		t.Fatalf("plaintext client: %v", err)
	}
	c.Close(context.Background())
}

// TestTLSRequired: with --tls-required a client that does not negotiate
// TLS is refused with FATAL 28000, PostgreSQL's text for a pg_hba.conf
// holding only hostssl lines; TLS clients log in.
func TestTLSRequired(t *testing.T) {
	ca := tlstest.NewCA(t, "helios-test")
	_, port, _, _ := tlsNode(t, ca, true)
	_, err := connectTLS("127.0.0.1", port, "sslmode=disable")
	wantPgError(t, "plaintext client", err, "28000",
		`no pg_hba.conf entry for host "127.0.0.1", user "helios", database "heliosdb", no encryption`)
	out, err := psqlTLS(t, "127.0.0.1", port, "disable", "")
	if err == nil || !strings.Contains(out, "no pg_hba.conf entry") {
		t.Errorf("psql without TLS: %v\n%s", err, out)
	}
	// prefer (psql's default) negotiates TLS and gets in.
	if out, err := psqlTLS(t, "127.0.0.1", port, "prefer", ""); err != nil || !strings.Contains(out, "SSL connection") {
		t.Errorf("psql sslmode=prefer: %v\n%s", err, out)
	}
}

// TestTLSRequiredWithHBAFile: --tls-required holds on top of an
// --hba-file whose host lines would let a plaintext client in.
func TestTLSRequiredWithHBAFile(t *testing.T) {
	ca := tlstest.NewCA(t, "helios-test")
	cert, key := ca.Issue(t, "node", "localhost", "127.0.0.1")
	hbaFile := t.TempDir() + "/hba.conf"
	if err := os.WriteFile(hbaFile, []byte("host all all 127.0.0.1/32 scram-sha-256\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := clustertest.NewMember(t, "primary", clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.TLSCertFile, c.TLSKeyFile, c.TLSRequired, c.HBAFile = cert, key, true, hbaFile
	}}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	_, port, _ := net.SplitHostPort(pgAddr(m))
	_, err := connectTLS("127.0.0.1", port, "sslmode=disable")
	wantPgError(t, "plaintext client", err, "28000",
		`no pg_hba.conf entry for host "127.0.0.1", user "helios", database "heliosdb", no encryption`)
	c, err := connectTLS("127.0.0.1", port, "sslmode=require")
	if err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	c.Close(context.Background())
}

// TestTLSReload: Node.ReloadTLS (SIGHUP) swaps the certificate for new
// connections; a reload of broken files keeps the current certificate.
func TestTLSReload(t *testing.T) {
	ca := tlstest.NewCA(t, "helios-test")
	m, port, cert, key := tlsNode(t, ca, false)
	next := tlstest.NewCA(t, "next")
	// Overwrite the node's files with a certificate from another CA.
	newCert, newKey := next.Issue(t, "node2", "localhost")
	copyFile(t, newCert, cert)
	copyFile(t, newKey, key)
	if c, err := connectTLS("localhost", port, "sslmode=verify-full&sslrootcert="+ca.CertFile); err != nil {
		t.Fatalf("before the reload the old certificate serves: %v", err)
	} else {
		c.Close(context.Background())
	}
	if err := m.Node().ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if _, err := connectTLS("localhost", port, "sslmode=verify-full&sslrootcert="+ca.CertFile); err == nil {
		t.Error("after the reload the old CA still verifies the node")
	}
	c, err := connectTLS("localhost", port, "sslmode=verify-full&sslrootcert="+next.CertFile)
	if err != nil {
		t.Fatalf("after the reload: %v", err)
	}
	c.Close(context.Background())
	if err := os.WriteFile(key, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.Node().ReloadTLS(); err == nil {
		t.Error("reloading a broken key succeeded")
	}
	c, err = connectTLS("localhost", port, "sslmode=verify-full&sslrootcert="+next.CertFile)
	if err != nil {
		t.Fatalf("after a failed reload the current certificate must stay: %v", err)
	}
	c.Close(context.Background())
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
