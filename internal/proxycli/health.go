package proxycli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/heliosdb/nano/proxy/config"
)

func healthCmd(out io.Writer) *cobra.Command {
	var url, cfgPath, caFile string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Check that a proxy answers on its admin API (exit 0) or say why not (exit 1); usable as a Docker healthcheck",
		Long: `Ask a running proxy's admin API for /health. The URL is --url, or built from
admin_addr in the configuration (--config or HELIOSDB_PROXY_CONFIG; https
with admin_tls), or http://127.0.0.1:9090/health. An https:// certificate is
checked against --ca-file when given (health sends no credentials, so
without it the certificate is not checked).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if url == "" {
				var err error
				if url, err = healthURL(cfgPath); err != nil {
					return err
				}
			}
			body, err := get(url, caFile, timeout)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, string(body))
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "health endpoint to check")
	cmd.Flags().StringVar(&cfgPath, "config", os.Getenv("HELIOSDB_PROXY_CONFIG"), "proxy configuration whose admin_addr to check [env HELIOSDB_PROXY_CONFIG]")
	cmd.Flags().StringVar(&caFile, "ca-file", os.Getenv("HELIOSDB_CA_FILE"), "CA certificates (PEM) to check an https:// admin API's certificate against [env HELIOSDB_CA_FILE]")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

// healthURL derives the admin API's /health URL from the configuration;
// a wildcard listen address is reached on the loopback.
func healthURL(path string) (string, error) {
	addr, scheme := config.Defaults().AdminAddr, "http"
	if path != "" {
		c, _, err := config.Load(path)
		if err != nil {
			return "", err
		}
		if c.AdminAddr == "" {
			return "", &usageError{fmt.Errorf("%s: the admin API is off (admin_addr is empty)", path)}
		}
		addr = c.AdminAddr
		if c.AdminTLS {
			scheme = "https"
		}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/health", nil
}

// get fetches url; an https:// certificate is checked against the CAs in
// caFile, or not at all without one (nothing secret is sent).
func get(url, caFile string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, &usageError{fmt.Errorf("ca-file: %w", err)}
		}
		cfg.InsecureSkipVerify, cfg.RootCAs = false, x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, &usageError{fmt.Errorf("ca-file: %s holds no PEM certificate", caFile)}
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("proxy not answering at %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("proxy at %s answered %s: %s", url, resp.Status, body)
	}
	return body, nil
}
