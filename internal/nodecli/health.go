package nodecli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/heliosdb/nano/node"
)

// defaultURL is the local node's HTTP API, honouring HELIOSDB_HTTP_PORT
// and HELIOSDB_HTTP_TLS (https) so that a container healthcheck needs no
// arguments.
func defaultURL(path string) string {
	port := os.Getenv("HELIOSDB_HTTP_PORT")
	if port == "" {
		port = "8080"
	}
	scheme := "http"
	if httpTLSFromEnv() {
		scheme = "https"
	}
	return scheme + "://127.0.0.1:" + port + path
}

func healthCmd(out io.Writer) *cobra.Command {
	var url, caFile string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Check that a node answers (exit 0) or say why not (exit 1); usable as a Docker healthcheck",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			hc, err := newHTTPClient(caFile, true)
			if err != nil {
				return err
			}
			body, err := get(url, timeout, apiClient{http: hc})
			if err != nil {
				return err
			}
			fmt.Fprintln(out, string(body))
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", defaultURL("/health"), "health endpoint to check (default uses HELIOSDB_HTTP_PORT, and https with HELIOSDB_HTTP_TLS)")
	cmd.Flags().StringVar(&caFile, "ca-file", os.Getenv("HELIOSDB_CA_FILE"), "CA certificates (PEM) to check an https:// node's certificate against; without it health does not check the certificate (it sends no credentials) [env HELIOSDB_CA_FILE]")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

func statusCmd(out io.Writer) *cobra.Command {
	var url string
	var cc clientCreds
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print a node's status (role, term, LSNs) as JSON",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			creds, err := cc.resolve()
			if err != nil {
				return err
			}
			body, err := get(url, 5*time.Second, creds)
			if err != nil {
				return err
			}
			var v any
			if json.Unmarshal(body, &v) == nil {
				body, _ = json.MarshalIndent(v, "", "  ")
			}
			fmt.Fprintln(out, string(body))
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", defaultURL("/status"), "status endpoint of the node")
	addCredFlags(cmd, &cc)
	return cmd
}

func get(url string, timeout time.Duration, creds apiClient) ([]byte, error) {
	return call(http.MethodGet, url, nil, timeout, creds)
}

func call(method, url string, body []byte, timeout time.Duration, creds apiClient) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	creds.Apply(req)
	resp, err := creds.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("node not answering at %s: %w", url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("node at %s answered %s: %s", url, resp.Status, bytes.TrimSpace(out))
	}
	return out, nil
}

func promoteCmd(out io.Writer) *cobra.Command {
	var url string
	var cc clientCreds
	cmd := &cobra.Command{
		Use:   "promote",
		Short: "Make a standby the primary of a new term (POST /admin/promote); a no-op on a primary",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			creds, err := cc.resolve()
			if err != nil {
				return err
			}
			body, err := call(http.MethodPost, url, nil, 30*time.Second, creds)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, string(bytes.TrimSpace(body)))
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", defaultURL("/admin/promote"), "promote endpoint of the node (default uses HELIOSDB_HTTP_PORT)")
	addCredFlags(cmd, &cc)
	return cmd
}

func demoteCmd(out io.Writer) *cobra.Command {
	var (
		url, host string
		port      int
		cc        clientCreds
	)
	cmd := &cobra.Command{
		Use:   "demote --primary-host H --primary-port P",
		Short: "Make a node a standby of the given primary (POST /admin/demote); on a standby, re-point it",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if host == "" {
				return &node.ConfigError{Key: "primary-host", Reason: "required: the new primary's host"}
			}
			creds, err := cc.resolve()
			if err != nil {
				return err
			}
			body, _ := json.Marshal(map[string]any{"primary_host": host, "primary_port": port})
			resp, err := call(http.MethodPost, url, body, 30*time.Second, creds)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, string(bytes.TrimSpace(resp)))
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", defaultURL("/admin/demote"), "demote endpoint of the node (default uses HELIOSDB_HTTP_PORT)")
	cmd.Flags().StringVar(&host, "primary-host", "", "host of the primary to follow")
	cmd.Flags().IntVar(&port, "primary-port", 5433, "native (replication) port of the primary to follow")
	addCredFlags(cmd, &cc)
	return cmd
}
