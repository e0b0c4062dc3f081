package nodecli

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"strconv"

	"github.com/heliosdb/nano/internal/httpauth"
	"github.com/heliosdb/nano/node"
)

// apiClient is how a client command reaches a node's HTTP API: the
// credentials it presents and the HTTP client, whose TLS settings check an
// https:// API's certificate.
type apiClient struct {
	httpauth.Credentials
	http *http.Client
}

// newHTTPClient returns the client for https:// URLs verified against the
// CA certificates in caFile ("" = the system's CAs). With insecure and no
// caFile the certificate is not checked: only for health, which sends no
// credentials and reads nothing secret.
func newHTTPClient(caFile string, insecure bool) (*http.Client, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case caFile != "":
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, &node.ConfigError{Key: "ca-file", Reason: err.Error()}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &node.ConfigError{Key: "ca-file", Reason: caFile + " holds no PEM certificate"}
		}
		cfg.RootCAs = pool
	case insecure:
		cfg.InsecureSkipVerify = true
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr}, nil
}

// httpTLSFromEnv reports whether the local node serves its HTTP API over
// HTTPS (HELIOSDB_HTTP_TLS, the node's own setting), for the default URLs.
func httpTLSFromEnv() bool {
	v, err := strconv.ParseBool(os.Getenv("HELIOSDB_HTTP_TLS"))
	return err == nil && v
}
