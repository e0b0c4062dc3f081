package node_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/internal/tlsfiles/tlstest"
	"github.com/heliosdb/nano/node"
)

// nativeTLSMember prepares a node whose native port speaks TLS with a
// certificate (for 127.0.0.1) from certCA and verifies peers against
// trustFile; standbys follow primary.
func nativeTLSMember(t *testing.T, name string, certCA *tlstest.CA, trustFile string, primary *clustertest.Member, mutate func(*node.Config)) *clustertest.Member {
	t.Helper()
	cert, key := certCA.Issue(t, name, "127.0.0.1")
	return clustertest.NewMember(t, name, clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.TLSCertFile, c.TLSKeyFile = cert, key
		c.NativeTLS, c.NativeTLSCAFile, c.NativeTLSClientAuth = true, trustFile, true
		if mutate != nil {
			mutate(c)
		}
	}}, func(c *node.Config) {
		if primary == nil {
			c.Role = node.RolePrimary
			return
		}
		host, port := hostPort(t, primary.NativeAddr())
		c.Role, c.ReplicationMode, c.PrimaryHost, c.PrimaryPort = node.RoleStandby, node.ModeAsync, host, port
	})
}

// lastReplicationError is the standby's replication error from GET /status.
func lastReplicationError(t *testing.T, m *clustertest.Member) string {
	t.Helper()
	code, body := do(t, m.HTTPURL(), httpProbe{"GET", "/status", ""}, basic("helios", "helios"))
	if code != http.StatusOK {
		t.Fatalf("%s: GET /status: %d %s", m.Name, code, body)
	}
	return body
}

func rowCount(t *testing.T, m *clustertest.Member) int {
	t.Helper()
	c := m.Conn()
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM t").Scan(&n); err != nil {
		return -1
	}
	return n
}

// TestNativePortTLS: with --native-tls (and mutual TLS) a standby that
// verifies the primary's certificate replicates; a standby trusting
// another CA refuses the primary (and sends it nothing of the secret
// exchange), one whose certificate is from another CA is refused by the
// primary, and one without TLS is refused. Regression test for issue 15
// point 4 (the native port had no TLS: before, these nodes had no such
// settings and every one of them replicated).
func TestNativePortTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "cluster")
	other := tlstest.NewCA(t, "other")
	primary := nativeTLSMember(t, "primary", ca, ca.CertFile, nil, nil)
	primary.Start()
	primary.Exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)")

	good := nativeTLSMember(t, "good", ca, ca.CertFile, primary, nil)
	wrongCA := nativeTLSMember(t, "trusts-other", ca, other.CertFile, primary, nil)
	foreign := nativeTLSMember(t, "foreign-cert", other, ca.CertFile, primary, nil)
	plain := nativeTLSMember(t, "plain", ca, ca.CertFile, primary, func(c *node.Config) {
		c.NativeTLS, c.NativeTLSCAFile, c.NativeTLSClientAuth = false, "", false
	})
	for _, m := range []*clustertest.Member{good, wrongCA, foreign, plain} {
		m.Start()
	}
	clustertest.Eventually(t, 30*time.Second, "the verifying standby has the rows", func() bool { return rowCount(t, good) == 2 })

	for _, tc := range []struct {
		m    *clustertest.Member
		want string
	}{
		{wrongCA, "certificate signed by unknown authority"},
		{foreign, "certificate"},
		{plain, "did not prove"},
	} {
		clustertest.Eventually(t, 30*time.Second, tc.m.Name+" reports why it cannot stream", func() bool {
			return strings.Contains(lastReplicationError(t, tc.m), tc.want)
		})
		if _, _, _, connected := tc.m.Status(); connected {
			t.Errorf("%s: connected to the primary", tc.m.Name)
		}
		if n := rowCount(t, tc.m); n > 0 {
			t.Errorf("%s: replicated %d rows", tc.m.Name, n)
		}
	}
	// Only the verified standby is known to the primary.
	c := primary.Conn()
	var ids string
	if err := c.QueryRow(context.Background(), "SELECT string_agg(node_id, ',') FROM helios_standby_nodes").Scan(&ids); err != nil {
		t.Fatal(err)
	}
	if ids != "good" {
		t.Errorf("primary's standbys: %q, want only good", ids)
	}
}

// TestNativePortTLSReload: ReloadTLS (SIGHUP) gives the native port a new
// certificate and CA for new connections: a standby that trusts only a
// new CA connects once the primary has reloaded a certificate from it.
func TestNativePortTLSReload(t *testing.T) {
	oldCA := tlstest.NewCA(t, "old")
	newCA := tlstest.NewCA(t, "new")
	primary := nativeTLSMember(t, "primary", oldCA, newCA.CertFile, nil, func(c *node.Config) { c.NativeTLSClientAuth = false })
	primary.Start()
	primary.Exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	standby := nativeTLSMember(t, "standby", newCA, newCA.CertFile, primary, nil)
	standby.Start()
	clustertest.Eventually(t, 30*time.Second, "the standby refuses the old certificate", func() bool {
		return strings.Contains(lastReplicationError(t, standby), "certificate")
	})

	cert, key := newCA.Issue(t, "primary-renewed", "127.0.0.1")
	for from, to := range map[string]string{cert: primary.Cfg.TLSCertFile, key: primary.Cfg.TLSKeyFile} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := primary.Node().ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	clustertest.Eventually(t, 30*time.Second, "the standby streams after the primary's reload", func() bool { return rowCount(t, standby) == 1 })
}

// TestNativeTLSConfig: --native-tls needs a certificate and a CA file.
func TestNativeTLSConfig(t *testing.T) {
	for _, mutate := range []func(*node.Config){
		func(c *node.Config) { c.NativeTLS = true },
		func(c *node.Config) { c.NativeTLS, c.TLSCertFile, c.TLSKeyFile = true, "a.crt", "a.key" },
		func(c *node.Config) { c.NativeTLSCAFile = "ca.crt" },
		func(c *node.Config) { c.NativeTLSClientAuth = true },
	} {
		c := node.Defaults()
		c.DataDir = t.TempDir()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "native-tls") {
			t.Errorf("Validate = %v, want an error naming native-tls", err)
		}
	}
}
