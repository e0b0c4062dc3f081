package proxy_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/internal/tlsfiles/tlstest"
	"github.com/heliosdb/nano/node"
	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/admin"
)

// httpsCall sends method url (JSON body when not nil) as helios/helios
// with an HTTP client trusting only caFile.
func httpsCall(t *testing.T, caFile, method, url string, body any) (int, []byte, error) {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("helios", "helios")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, nil
}

// TestProxyHTTPSAdminAndNodes: with admin_tls the proxy's admin API
// answers HTTPS (certificate checked against the test CA) and plain HTTP
// reaches no endpoint; with node_http_tls the proxy drives nodes whose
// HTTP APIs are HTTPS-only (--http-tls): a switchover through the HTTPS
// admin API succeeds. Regression test for issue 15 point 4 (before, the
// admin API spoke only plain HTTP: "server gave HTTP response to HTTPS
// client", and a switchover to HTTPS nodes failed).
func TestProxyHTTPSAdminAndNodes(t *testing.T) {
	ca := tlstest.NewCA(t, "helios-test")
	ncert, nkey := ca.Issue(t, "node", "localhost", "127.0.0.1")
	c := clustertest.Start(t, clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.TLSCertFile, c.TLSKeyFile, c.HTTPTLS = ncert, nkey, true
		// CI once saw the demoted primary's graceful stop exceed
		// clustertest's 2 s on a loaded machine (run: context deadline
		// exceeded) after the switchover; what is tested here is the
		// HTTPS path, not the stop's speed.
		c.ShutdownTimeout = 10 * time.Second
	}})
	cert, key := ca.Issue(t, "proxy", "localhost", "127.0.0.1")
	tp := startProxy(t, c, func(cfg *proxy.Config) {
		cfg.TLSCertFile, cfg.TLSKeyFile, cfg.AdminTLS = cert, key, true
		cfg.NodeHTTPTLS, cfg.BackendSSLRootCert = true, ca.CertFile
	})
	base := "https://" + tp.p.AdminAddr()

	code, body, err := httpsCall(t, ca.CertFile, http.MethodGet, base+"/health", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("HTTPS GET /health: %d %s %v", code, body, err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + tp.p.AdminAddr() + "/nodes")
	if err == nil {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(raw), c.Primary.Name) {
			t.Errorf("plain HTTP to the HTTPS admin port answered: %d %s", resp.StatusCode, raw)
		}
	}

	clustertest.Eventually(t, 15*time.Second, "all nodes healthy", func() bool {
		code, body, err := httpsCall(t, ca.CertFile, http.MethodGet, base+"/nodes", nil)
		var nodes []admin.Node
		if err != nil || code != http.StatusOK || json.Unmarshal(body, &nodes) != nil {
			return false
		}
		healthy := 0
		for _, n := range nodes {
			if n.Healthy {
				healthy++
			}
		}
		return healthy == 3
	})
	code, body, err = httpsCall(t, ca.CertFile, http.MethodPost, base+"/switchover", map[string]string{"target": c.Sync.Name})
	if err != nil || code != http.StatusOK {
		t.Fatalf("POST /switchover over HTTPS to HTTPS nodes: %d %s %v", code, body, err)
	}
}
