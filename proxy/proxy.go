package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/heliosdb/nano/internal/httpauth"
	"github.com/heliosdb/nano/internal/tlsfiles"
	"github.com/heliosdb/nano/proxy/admin"
	"github.com/heliosdb/nano/proxy/backend"
	"github.com/heliosdb/nano/proxy/config"
	"github.com/heliosdb/nano/proxy/health"
	"github.com/heliosdb/nano/proxy/switchover"
)

// Proxy is a running heliosdb-proxy: the health checker, the PostgreSQL
// listener and the admin API.
type Proxy struct {
	cfg      Config
	log      *slog.Logger
	checker  *health.Checker
	server   *Server
	switcher *switchover.Coordinator
	admin    *http.Server
	ln       net.Listener
	adminLn  net.Listener     // nil when the admin API is off
	tls      *tlsfiles.Server // the client port's certificate; nil = no TLS
}

// New validates cfg and opens the listeners; nothing is served before
// Run. Configuration errors wrap ErrInvalidConfig.
func New(cfg Config) (*Proxy, error) {
	if err := cfg.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	cfg = cfg.withDefaults()
	p := &Proxy{cfg: cfg, log: cfg.Logger}
	var err error
	if err := p.setupTLS(&cfg); err != nil {
		return nil, err
	}
	p.cfg = cfg
	if p.ln, err = listen(cfg.Listener, cfg.ListenAddr); err != nil {
		return nil, err
	}
	if cfg.AdminListener != nil || cfg.AdminAddr != "" {
		if p.adminLn, err = listen(cfg.AdminListener, cfg.AdminAddr); err != nil {
			p.ln.Close()
			return nil, err
		}
	}
	reg := cfg.Registry
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	p.checker = health.New(health.Config{
		Nodes:    specs(cfg),
		Interval: cfg.HealthCheckInterval,
		// While a statement waits for a node, re-probe as often as it re-checks.
		FastInterval: cfg.PollInterval,
		Threshold:    cfg.FailureThreshold,
		Timeout:      min(cfg.ConnectTimeout, max(cfg.HealthCheckInterval, time.Second)),
		Probe:        prober(cfg),
		Logger:       cfg.Logger,
		Registerer:   reg,
	})
	if p.server, err = newServer(cfg, p.checker, newMetrics(reg)); err != nil {
		p.ln.Close()
		if p.adminLn != nil {
			p.adminLn.Close()
		}
		return nil, err
	}
	if cfg.Consistency() == config.ConsistencyCausal {
		p.server.causal = newCausalReads(cfg, p.checker, p.server.dialer)
	}
	p.switcher = switchover.New(switchover.Config{Nodes: switchNodes(cfg), API: &switchover.HTTPNodes{URL: p.nodeURL, Client: cfg.nodeHTTP,
		Creds: httpauth.Credentials{User: cfg.User, Password: cfg.Password}},
		Cluster: p.checker, Gate: p.server.gate, DrainTimeout: cfg.SwitchoverDrainTimeout,
		StepTimeout: cfg.SwitchoverStepTimeout, Logger: cfg.Logger, Registerer: reg,
		AutoFailover: cfg.AutoFailover, Failover: switchover.FailoverConfig{Timeout: cfg.FailoverTimeout,
			AllowDataLoss: cfg.FailoverAllowDataLoss, Holder: "heliosdb-proxy@" + p.ln.Addr().String()}})
	p.server.renewLease = p.switcher.RenewLease
	if p.adminLn != nil {
		p.admin = &http.Server{Handler: admin.Handler(p.checker, p.switcher, reg, adminOptions(cfg), cfg.Logger),
			ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	}
	return p, nil
}

// setupTLS loads the client port's certificate and the CA the nodes are
// checked against.
func (p *Proxy) setupTLS(cfg *Config) error {
	if cfg.TLSCertFile != "" {
		s, err := tlsfiles.Load(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("%w: proxy.tls_cert_file: %w", ErrInvalidConfig, err)
		}
		p.tls, cfg.clientTLS = s, s.Config()
	}
	mode, err := tlsfiles.ParseMode(cfg.BackendSSLMode)
	if err != nil {
		return fmt.Errorf("%w: proxy.backend_sslmode: %w", ErrInvalidConfig, err)
	}
	if cfg.backendTLS, err = tlsfiles.ClientConfig(mode, cfg.BackendSSLRootCert, ""); err != nil {
		return fmt.Errorf("%w: proxy.backend_sslrootcert: %w", ErrInvalidConfig, err)
	}
	cfg.backendTLSRequired = mode.Required()
	if cfg.NodeHTTPTLS {
		// verify-full: the transport checks the configured host name.
		tc, err := tlsfiles.ClientConfig(tlsfiles.ModeVerifyFull, cfg.BackendSSLRootCert, "")
		if err != nil {
			return fmt.Errorf("%w: proxy.backend_sslrootcert: %w", ErrInvalidConfig, err)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tc
		cfg.nodeHTTP = &http.Client{Transport: tr}
	}
	return nil
}

// ReloadTLS re-reads the client port's certificate and key files (on
// SIGHUP); new connections use them, and a failed reload keeps the
// current ones. Without TLS it does nothing.
func (p *Proxy) ReloadTLS() error {
	if p.tls == nil {
		return nil
	}
	return p.tls.Reload()
}

// newDialer returns a dialer towards the nodes with the configured TLS.
func newDialer(cfg Config) *backend.Dialer {
	return &backend.Dialer{TLS: cfg.backendTLS, TLSRequired: cfg.backendTLSRequired}
}

// adminOptions guards the admin API with the proxy's client users (the
// same names and passwords as its PostgreSQL port) and the admin token.
func adminOptions(cfg Config) admin.Options {
	users := cfg.Credentials()
	check := func(user, password string) bool {
		want, known := users[user]
		ok := httpauth.Equal(password, want)
		return ok && known
	}
	return admin.Options{ProtectMetrics: cfg.ProtectMetrics, Auth: httpauth.Config{Check: check, Token: cfg.AdminToken,
		None: cfg.AdminAuth == config.AdminAuthNone, Realm: "heliosdb-proxy", Logger: cfg.Logger}}
}

func listen(l net.Listener, addr string) (net.Listener, error) {
	if l != nil {
		return l, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proxy: listen: %w", err)
	}
	return l, nil
}

func specs(cfg Config) []health.Spec {
	out := make([]health.Spec, len(cfg.Nodes))
	for i, n := range cfg.Nodes {
		out[i] = health.Spec{Name: n.Name, Addr: n.Addr(), ConfiguredRole: n.Role, Enabled: n.Enabled,
			Host: n.Host, HTTPPort: n.HTTPPort, NativePort: n.NativePort}
	}
	return out
}

func switchNodes(cfg Config) []switchover.Node {
	out := make([]switchover.Node, len(cfg.Nodes))
	for i, n := range cfg.Nodes {
		out[i] = switchover.Node{Name: n.Name, Host: n.Host, NativePort: n.NativePort}
	}
	return out
}

// nodeURL is the base URL of a node's HTTP API: its configured http_port,
// else the port the node advertises in helios_node, on its configured host.
func (p *Proxy) nodeURL(name string) (string, error) {
	st, ok := p.checker.Status(name)
	switch {
	case !ok:
		return "", fmt.Errorf("%w: %q", switchover.ErrUnknownNode, name)
	case st.HTTPAddress == "":
		return "", fmt.Errorf("%w: %s has not told the proxy its HTTP API address (it has not answered a health probe yet, or it runs with --http-port 0); set http_port for it",
			switchover.ErrNodeAPI, name)
	}
	if p.cfg.NodeHTTPTLS {
		return "https://" + st.HTTPAddress, nil
	}
	return "http://" + st.HTTPAddress, nil
}

// Switchover runs a planned switchover to the node named target, as POST
// /switchover does (see proxy/switchover for the steps and errors).
func (p *Proxy) Switchover(ctx context.Context, target string) (switchover.Result, error) {
	return p.switcher.Run(ctx, target)
}

// prober logs in with the configured probe user.
func prober(cfg Config) health.ProbeFunc {
	d := newDialer(cfg)
	return func(ctx context.Context, addr string) (backend.Status, error) {
		return d.Probe(ctx, backend.Options{Addr: addr, User: cfg.User, Password: cfg.Password,
			Database: cfg.Database, Params: map[string]string{"application_name": "heliosdb-proxy health check"}})
	}
}

// Addr is the PostgreSQL listener's address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// AdminAddr is the admin API's address, "" when it is off.
func (p *Proxy) AdminAddr() string {
	if p.adminLn == nil {
		return ""
	}
	return p.adminLn.Addr().String()
}

// Run probes every node once, then serves until ctx ends, and shuts down
// gracefully (bounded by ShutdownTimeout). It returns nil after a clean
// shutdown and the first serving error otherwise.
func (p *Proxy) Run(ctx context.Context) error {
	ictx, cancel := context.WithTimeout(ctx, p.cfg.ConnectTimeout)
	p.checker.CheckAll(ictx)
	cancel()
	p.checker.Start()
	if p.server.causal != nil {
		p.server.causal.watcher.Start()
	}
	p.logStart()
	if p.cfg.AutoFailover {
		fctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.switcher.RunFailover(fctx)
		}()
		defer func() { stop(); <-done }()
	}
	errc := make(chan error, 2)
	running := 1
	go func() { errc <- p.server.Serve(p.ln) }()
	if p.admin != nil {
		running++
		ln := p.adminLn
		if p.cfg.AdminTLS && p.tls != nil {
			ln = tls.NewListener(ln, p.tls.Config())
		}
		go func() { errc <- p.admin.Serve(ln) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		running--
		p.log.Error("proxy: listener failed", "err", err)
	}
	p.shutdown()
	for ; running > 0; running-- { // both Serve calls return once shut down
		<-errc
	}
	return err
}

func (p *Proxy) logStart() {
	for _, st := range p.checker.Statuses() {
		p.log.Info("proxy: node", "node", st.Name, "address", st.Address, "configured_role", st.ConfiguredRole,
			"role", st.Role.String(), "healthy", st.Healthy, "enabled", st.Enabled, "err", st.LastError)
	}
	if p.cfg.AdminAuth == config.AdminAuthNone && p.adminLn != nil {
		p.log.Warn("proxy.admin_auth = none: the admin API (switchover, enable/disable nodes) answers anyone who can reach it; use only in a lab")
	}
	p.log.Info("proxy: serving", "listen_addr", p.Addr(), "admin_addr", p.AdminAddr(),
		"health_check_interval", p.cfg.HealthCheckInterval, "failure_threshold", p.cfg.FailureThreshold,
		"write_timeout", p.cfg.WriteTimeout, "read_from_primary", p.cfg.ReadFromPrimary,
		"read_your_writes", p.cfg.ReadYourWrites, "read_consistency", p.cfg.Consistency(), "causal_wait", p.cfg.CausalWait, "max_replica_lag_bytes", p.cfg.MaxReplicaLagBytes,
		"auth_method", p.cfg.AuthMethod, "auto_failover", p.cfg.AutoFailover, "failover_timeout", p.cfg.FailoverTimeout,
		"failover_allow_data_loss", p.cfg.FailoverAllowDataLoss)
}

func (p *Proxy) shutdown() {
	p.log.Info("proxy: shutting down", "timeout", p.cfg.ShutdownTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.ShutdownTimeout)
	defer cancel()
	if err := p.server.Shutdown(ctx); err != nil {
		p.log.Info("proxy: sessions still open at the shutdown timeout were closed", "err", err)
	}
	if p.admin != nil {
		if err := p.admin.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.admin.Close()
		}
	}
	if p.server.causal != nil {
		p.server.causal.watcher.Close()
	}
	p.checker.Close()
	p.log.Info("proxy: shutdown complete")
}
