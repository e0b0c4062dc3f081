package nodecli

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/internal/tlsfiles/tlstest"
	"github.com/heliosdb/nano/node"
)

// TestClientCommandsOverHTTPS: health, status and promote reach a node
// serving its HTTP API over HTTPS (--http-tls): with --ca-file (or
// HELIOSDB_CA_FILE) the certificate is checked, and a node whose
// certificate does not chain to it gets no credentials; health alone
// accepts an unchecked certificate (it sends none), and
// HELIOSDB_HTTP_TLS makes the default URL https. Before, the commands
// spoke plain HTTP only and were answered 400 by such a node.
func TestClientCommandsOverHTTPS(t *testing.T) {
	ca := tlstest.NewCA(t, "helios-test")
	other := tlstest.NewCA(t, "other")
	cert, key := ca.Issue(t, "node", "127.0.0.1")
	m := clustertest.NewMember(t, "primary", clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.TLSCertFile, c.TLSKeyFile, c.HTTPTLS = cert, key, true
	}}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	base := m.HTTPURL()
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("HTTPURL %s is not https", base)
	}
	u, _ := url.Parse(base)
	t.Setenv("HELIOSDB_USER", "helios")
	t.Setenv("HELIOSDB_PASSWORD", "helios")
	t.Setenv("HELIOSDB_CA_FILE", "")
	t.Setenv("HELIOSDB_HTTP_TLS", "")

	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Main(args, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
		want string
	}{
		{"health, no CA", []string{"health", "--url", base + "/health"}, true, `"status":"ok"`},
		{"health, the CA", []string{"health", "--url", base + "/health", "--ca-file", ca.CertFile}, true, `"status":"ok"`},
		{"health, another CA", []string{"health", "--url", base + "/health", "--ca-file", other.CertFile}, false, "certificate"},
		{"status, the CA", []string{"status", "--url", base + "/status", "--ca-file", ca.CertFile}, true, `"role": "primary"`},
		{"status, system CAs", []string{"status", "--url", base + "/status"}, false, "certificate"},
		{"status, another CA", []string{"status", "--url", base + "/status", "--ca-file", other.CertFile}, false, "certificate"},
		{"promote, the CA", []string{"promote", "--url", base + "/admin/promote", "--ca-file", ca.CertFile}, true, "primary"},
		{"status, plain http", []string{"status", "--url", "http://" + u.Host + "/status"}, false, "400"},
	} {
		code, out := run(tc.args...)
		if (code == 0) != tc.ok || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, %s; want ok=%v and %q", tc.name, code, out, tc.ok, tc.want)
		}
	}

	t.Setenv("HELIOSDB_HTTP_PORT", u.Port())
	t.Setenv("HELIOSDB_HTTP_TLS", "true")
	t.Setenv("HELIOSDB_CA_FILE", ca.CertFile)
	if code, out := run("health"); code != 0 || !strings.Contains(out, `"status":"ok"`) {
		t.Errorf("health with HELIOSDB_HTTP_TLS: exit %d, %s", code, out)
	}
	if code, out := run("status"); code != 0 || !strings.Contains(out, `"role": "primary"`) {
		t.Errorf("status with HELIOSDB_HTTP_TLS and HELIOSDB_CA_FILE: exit %d, %s", code, out)
	}
}
