package node_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/internal/tlsfiles/tlstest"
	"github.com/heliosdb/nano/node"
)

// caClient is an HTTP client trusting only the CA in caFile.
func caClient(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA certificate in", caFile)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestHTTPAPIOverTLS: with --http-tls the HTTP API answers HTTPS with the
// PostgreSQL port's certificate (verified against the test CA, by host
// name and IP), a client trusting another CA refuses it, and a plain HTTP
// request gets no answer from the API. Regression test for issue 15 point
// 4 (before --http-tls the HTTPS request failed: "server gave HTTP
// response to HTTPS client").
func TestHTTPAPIOverTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "helios-test")
	other := tlstest.NewCA(t, "other")
	cert, key := ca.Issue(t, "node", "localhost", "127.0.0.1")
	m := clustertest.NewMember(t, "primary", clustertest.Options{Mutate: func(_ string, c *node.Config) {
		c.TLSCertFile, c.TLSKeyFile, c.HTTPTLS = cert, key, true
	}}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	addr := m.Node().HTTPAddr().String()
	port := addr[strings.LastIndex(addr, ":")+1:]

	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := caClient(t, ca.CertFile).Get("https://" + host + ":" + port + "/health")
		if err != nil {
			t.Fatalf("HTTPS GET /health via %s: %v", host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"ok"`) || resp.TLS == nil {
			t.Errorf("HTTPS GET /health via %s: %d %s (TLS %v)", host, resp.StatusCode, body, resp.TLS != nil)
		}
	}
	if _, err := caClient(t, other.CertFile).Get("https://127.0.0.1:" + port + "/health"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("client trusting another CA: err = %v, want a certificate error", err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://127.0.0.1:" + port + "/health")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(body), `"status"`) {
			t.Errorf("plain HTTP to the HTTPS port answered by the API: %d %s", resp.StatusCode, body)
		}
	}
}
