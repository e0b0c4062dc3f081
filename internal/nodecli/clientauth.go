package nodecli

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heliosdb/nano/internal/httpauth"
	"github.com/heliosdb/nano/node"
)

// clientCreds are the credentials the client commands (status, promote,
// demote, switchover) present to a node's HTTP API: the admin token when
// one is given, else HTTP Basic with --user/--password. Each flag defaults
// to its environment variable, so nothing secret needs to be on the
// command line; user and password default to the node's defaults.
type clientCreds struct {
	user, password, passwordFile string
	token, tokenFile             string
	caFile                       string
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func addCredFlags(cmd *cobra.Command, c *clientCreds) {
	d := node.Defaults()
	f := cmd.Flags()
	f.StringVar(&c.user, "user", envOr("HELIOSDB_USER", d.User), "user to log in to the HTTP API as [env HELIOSDB_USER]")
	f.StringVar(&c.password, "password", envOr("HELIOSDB_PASSWORD", d.Password), "password of --user (prefer the environment variable or --password-file) [env HELIOSDB_PASSWORD]")
	f.StringVar(&c.passwordFile, "password-file", os.Getenv("HELIOSDB_PASSWORD_FILE"), "file holding the password [env HELIOSDB_PASSWORD_FILE]")
	f.StringVar(&c.token, "admin-token", os.Getenv("HELIOSDB_ADMIN_TOKEN"), "admin token, sent instead of user and password [env HELIOSDB_ADMIN_TOKEN]")
	f.StringVar(&c.tokenFile, "admin-token-file", os.Getenv("HELIOSDB_ADMIN_TOKEN_FILE"), "file holding the admin token [env HELIOSDB_ADMIN_TOKEN_FILE]")
	f.StringVar(&c.caFile, "ca-file", os.Getenv("HELIOSDB_CA_FILE"), "CA certificates (PEM) an https:// node's certificate must chain to (default: the system's) [env HELIOSDB_CA_FILE]")
}

// resolve reads the secret files and the CA file and returns the client
// and credentials to use. The certificate of an https:// node is always
// checked, so the credentials go only to a node that proved its name.
func (c *clientCreds) resolve() (apiClient, error) {
	hc, err := newHTTPClient(c.caFile, false)
	if err != nil {
		return apiClient{}, err
	}
	out := apiClient{Credentials: httpauth.Credentials{User: c.user, Password: c.password, Token: c.token}, http: hc}
	if c.passwordFile != "" {
		if out.Password, err = readSecretFile("password-file", c.passwordFile); err != nil {
			return out, err
		}
	}
	if c.tokenFile != "" {
		if out.Token, err = readSecretFile("admin-token-file", c.tokenFile); err != nil {
			return out, err
		}
	}
	return out, nil
}

// readSecretFile returns the content of a secret file without its final
// line break.
func readSecretFile(key, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", &node.ConfigError{Key: key, Reason: err.Error()}
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", &node.ConfigError{Key: key, Reason: path + " is empty"}
	}
	return s, nil
}
