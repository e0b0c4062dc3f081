package proxy_test

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
	"github.com/heliosdb/nano/proxy"
)

// tlsCluster runs a cluster whose nodes accept only TLS clients
// (--tls-required) with certificates from ca.
func tlsCluster(t *testing.T, ca *tlstest.CA) *clustertest.Cluster {
	t.Helper()
	cert, key := ca.Issue(t, "node", "localhost", "127.0.0.1")
	return clustertest.Start(t, clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.TLSCertFile, c.TLSKeyFile, c.TLSRequired = cert, key, true
	}})
}

func proxyConnect(tp *testProxy, host, params string) (*pgx.Conn, error) {
	_, port, _ := net.SplitHostPort(tp.p.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pgx.Connect(ctx, fmt.Sprintf("postgres://helios:helios@%s/heliosdb?%s", net.JoinHostPort(host, port), params))
}

// TestProxyTLS: the proxy's client port speaks TLS (psql and pgx with
// verify-full), refuses plaintext clients with 28000 when tls_required,
// and reaches nodes that accept only TLS with backend_sslmode =
// verify-full. Regression test for issue 15 point 4 (the proxy answered
// every SSLRequest 'N' and spoke plaintext to the nodes).
func TestProxyTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "helios-test")
	c := tlsCluster(t, ca)
	cert, key := ca.Issue(t, "proxy", "localhost", "127.0.0.1")
	tp := startProxy(t, c, func(cfg *proxy.Config) {
		cfg.TLSCertFile, cfg.TLSKeyFile, cfg.TLSRequired = cert, key, true
		cfg.BackendSSLMode, cfg.BackendSSLRootCert = "verify-full", ca.CertFile
	})
	conn, err := proxyConnect(tp, "localhost", "sslmode=verify-full&sslrootcert="+ca.CertFile)
	if err != nil {
		t.Fatalf("pgx verify-full through the proxy: %v", err)
	}
	defer conn.Close(context.Background())
	if _, ok := conn.PgConn().Conn().(*tls.Conn); !ok {
		t.Errorf("client connection is %T, not TLS", conn.PgConn().Conn())
	}
	mustExec(t, conn, "CREATE TABLE tls_t (id int PRIMARY KEY)")
	mustExec(t, conn, "INSERT INTO tls_t VALUES (1)")
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM tls_t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("read through the proxy over TLS: %d, %v", n, err)
	}

	_, port, _ := net.SplitHostPort(tp.p.Addr())
	cmd := exec.Command("psql", "-h", "localhost", "-p", port, "-U", "helios", "-d", "heliosdb", "-X", "-c", `\conninfo`, "-c", "SELECT count(*) FROM tls_t")
	cmd.Env = append(os.Environ(), "PGPASSWORD=helios", "PGCONNECT_TIMEOUT=10", "PGSSLMODE=verify-full", "PGSSLROOTCERT="+ca.CertFile)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "SSL connection") || !strings.Contains(string(out), "(1 row)") {
		t.Errorf("psql verify-full through the proxy: %v\n%s", err, out)
	}

	_, err = proxyConnect(tp, "127.0.0.1", "sslmode=disable")
	wantCode(t, "plaintext client", err, "28000")
	other := tlstest.NewCA(t, "other")
	if _, err := proxyConnect(tp, "localhost", "sslmode=verify-full&sslrootcert="+other.CertFile); err == nil ||
		!strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("client trusting another CA: %v", err)
	}
}

// TestProxyBackendTLSVerifies: with backend_sslmode = verify-full and a
// CA that did not sign the nodes' certificates the proxy uses no node
// (a read waits write_timeout, then 57P03), and with backend_sslmode =
// disable the TLS-only nodes refuse it: it never falls back to plaintext.
func TestProxyBackendTLSVerifies(t *testing.T) {
	ca := tlstest.NewCA(t, "helios-test")
	c := tlsCluster(t, ca)
	other := tlstest.NewCA(t, "other")
	for _, tc := range []struct {
		name string
		set  func(*proxy.Config)
	}{
		{"wrong CA", func(cfg *proxy.Config) { cfg.BackendSSLMode, cfg.BackendSSLRootCert = "verify-full", other.CertFile }},
		{"no TLS", func(cfg *proxy.Config) { cfg.BackendSSLMode = "disable" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := startProxy(t, c, func(cfg *proxy.Config) {
				tc.set(cfg)
				cfg.WriteTimeout = 500 * time.Millisecond
			})
			conn := tp.conn()
			_, err := conn.Exec(context.Background(), "SELECT 1")
			wantCode(t, "read with no usable node", err, "57P03")
		})
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if pgCode(err) != code {
		t.Errorf("%s: %v, want SQLSTATE %s", what, err, code)
	}
}
