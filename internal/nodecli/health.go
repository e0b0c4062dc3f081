package nodecli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// defaultURL is the local node's HTTP API, honouring HELIOSDB_HTTP_PORT so
// that a container healthcheck needs no arguments.
func defaultURL(path string) string {
	port := os.Getenv("HELIOSDB_HTTP_PORT")
	if port == "" {
		port = "8080"
	}
	return "http://127.0.0.1:" + port + path
}

func healthCmd(out io.Writer) *cobra.Command {
	var url string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Check that a node answers (exit 0) or say why not (exit 1); usable as a Docker healthcheck",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			body, err := get(url, timeout)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, string(body))
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", defaultURL("/health"), "health endpoint to check (default uses HELIOSDB_HTTP_PORT)")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

func statusCmd(out io.Writer) *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print a node's status (role, term, LSNs) as JSON",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			body, err := get(url, 5*time.Second)
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
	return cmd
}

func get(url string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("node not answering at %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("node at %s answered %s: %s", url, resp.Status, body)
	}
	return body, nil
}
