package proxy

import (
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/proxy/config"
)

// Defaults for the Config fields that are not in the file.
const (
	DefaultPollInterval   = 500 * time.Millisecond
	DefaultStartupTimeout = 10 * time.Second
)

// Config is the proxy's configuration: the file settings plus what only
// code can set. Zero values mean the documented defaults.
type Config struct {
	config.Config

	// Logger receives the proxy's logs: health and role changes at info,
	// each routing decision at debug. nil discards.
	Logger *slog.Logger
	// Registry receives the proxy's metrics (and the Go and process
	// collectors) and is served on /metrics; nil means a new registry. Use
	// one Registry per Proxy: registering twice panics.
	Registry *prometheus.Registry
	// Listener, when set, is used instead of listening on ListenAddr;
	// AdminListener likewise for AdminAddr. The Proxy closes them.
	Listener, AdminListener net.Listener
	// PollInterval is how often a write waiting for a primary re-checks
	// (default 500ms).
	PollInterval time.Duration
	// StartupTimeout bounds a client's startup and authentication
	// (default 10s).
	StartupTimeout time.Duration
	// SwitchoverDrainTimeout bounds how long POST /switchover waits, with
	// new writes held, for transactions and writes already running on the
	// old primary (default switchover.DefaultDrainTimeout, 5s); when they
	// do not finish the switchover is refused and nothing changes.
	SwitchoverDrainTimeout time.Duration
	// SwitchoverStepTimeout bounds each node request of a switchover and
	// the wait for the target to catch up (default
	// switchover.DefaultStepTimeout, 10s). Keep write_timeout_secs above
	// the whole pause, or held writes time out.
	SwitchoverStepTimeout time.Duration

	// clientTLS is the client port's TLS (from TLSCertFile/TLSKeyFile),
	// set by New; nil = none. backendTLS and backendTLSRequired are the
	// nodes' (BackendSSLMode, BackendSSLRootCert).
	clientTLS          *tls.Config
	backendTLS         *tls.Config
	backendTLSRequired bool
	// nodeHTTP calls the nodes' HTTP APIs (HTTPS when NodeHTTPTLS); nil =
	// http.DefaultClient.
	nodeHTTP *http.Client
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.StartupTimeout <= 0 {
		c.StartupTimeout = DefaultStartupTimeout
	}
	return c
}
